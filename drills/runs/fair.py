"""Work shared fairly between its owners (the console's candidates): each owner's jobs wait
in their own line, and the next job always comes from the owner served longest ago, so one
candidate's burst of re-simulations or queries delays their own work only. A job asked for
again while it waits or runs (the same key) is not queued twice: the second caller waits
for the first's result.

Workers are threads of this process that each take the next job and hand it to whatever
runs it (a simulation host, a Dask cluster, a sandbox process): `width` of them bound how
much runs at once, and `per_owner` how much of that one owner may hold (a candidate with
two tabs open holds one sandbox, not both)."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class QueueClosed(RuntimeError):
    """The queue was closed (its front end is shutting down): the job was not run."""


@dataclass
class _Job(Generic[T]):
    owner: str
    key: Hashable
    work: Callable[[], T]
    future: Future[T] = field(default_factory=Future)


class FairQueue(Generic[T]):
    def __init__(self, width: int, name: str = "fair", per_owner: int | None = None) -> None:
        self.width = max(1, width)
        self.per_owner = self.width if per_owner is None else max(1, per_owner)
        self._running: Counter[str] = Counter()
        self._lines: OrderedDict[str, deque[_Job[T]]] = OrderedDict()  # least recent first
        self._by_key: dict[Hashable, _Job[T]] = {}  # waiting or running
        self._ready = threading.Condition()
        self._closed = False
        self._workers = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(self.width)
        ]
        for worker in self._workers:
            worker.start()

    def submit(self, owner: str, key: Hashable, work: Callable[[], T]) -> Future[T]:
        """The job's future: a new job at the end of its owner's line, or the job of the
        same key already waiting or running."""
        with self._ready:
            if self._closed:
                raise QueueClosed("the queue is closed")
            found = self._by_key.get(key)
            if found is not None:
                return found.future
            job = _Job(owner, key, work)
            self._by_key[key] = job
            line = self._lines.get(owner)
            if line is None:
                line = self._lines[owner] = deque()  # a new owner is served next round
            line.append(job)
            self._ready.notify_all()
            return job.future

    def waiting(self) -> dict[str, int]:
        """Jobs waiting, by owner (for tests and the facilitator)."""
        with self._ready:
            return {owner: len(line) for owner, line in self._lines.items() if line}

    def _eligible(self) -> str | None:
        """The owner served longest ago with a job waiting and room to run it."""
        return next(
            (o for o, line in self._lines.items() if line and self._running[o] < self.per_owner),
            None,
        )

    def _next(self) -> _Job[T] | None:
        with self._ready:
            while not self._closed and (owner := self._eligible()) is None:
                self._ready.wait()
            if self._closed or owner is None:
                return None
            job = self._lines[owner].popleft()
            self._lines.move_to_end(owner)  # served: to the back of the round
            if not self._lines[owner]:
                del self._lines[owner]
            self._running[owner] += 1
            return job

    def _work(self) -> None:
        while (job := self._next()) is not None:
            if job.future.set_running_or_notify_cancel():
                try:
                    job.future.set_result(job.work())
                except BaseException as exc:  # the caller sees it on its future
                    job.future.set_exception(exc)
            with self._ready:
                self._by_key.pop(job.key, None)
                self._running[job.owner] -= 1
                if not self._running[job.owner]:
                    del self._running[job.owner]
                self._ready.notify_all()  # the owner may run its next job

    def close(self) -> None:
        """Stop taking jobs; those waiting are cancelled (a running one finishes)."""
        with self._ready:
            self._closed = True
            for line in self._lines.values():
                for job in line:
                    job.future.cancel()
                    self._by_key.pop(job.key, None)
            self._lines.clear()
            self._ready.notify_all()
