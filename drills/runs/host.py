"""The simulation host: a process of its own (drills/runs/child.py; its main loop is
drills/runs/host_process.py) that simulates the console's runs into the disk cache, each
in a child it forks.

Forking is what makes a trainee's run cheap: the scenario's run is simulated once up to
the page and kept paused here, and each run whose actions all come from the page on forks
from it (a forked child is a copy of the paused run), so it pays only for the minutes after
the page. The host is single-threaded, so its forks copy no other thread's locks, and it
was started clean, so they hold no socket of the console's. It reaps every child, answers
each job once its run is on disk, and exits when the console does (its children with it).

Protocol: the console sends (job id, scenario, run key, timeline); the host answers
(job id, None) once the run is on disk, or (job id, "why") if it could not simulate it."""

from __future__ import annotations

import contextlib
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock, Thread

from drills.library.scenario import LoadedScenario
from drills.runs.child import Child
from simulator.spec.timeline import TimelineEvent


class HostGone(RuntimeError):
    """The host exited (killed, or out of memory) before it answered."""


@dataclass
class SimulationHost:
    """The console's side: `simulate` blocks until the run is on disk. Started on first
    use; started again if it died."""

    folder: Path | None = None
    keep_on_disk: int | None = None
    niceness: int = 0
    _child: Child | None = field(default=None, init=False)
    _pending: dict[int, Future[None]] = field(default_factory=dict, init=False)
    _lock: Lock = field(default_factory=Lock, init=False)
    _ids: int = field(default=0, init=False)

    def simulate(self, scenario: LoadedScenario, key: str, timeline: list[TimelineEvent]) -> None:
        done: Future[None] = Future()
        with self._lock:
            child = self._started()
            self._ids += 1
            self._pending[self._ids] = done
            child.send((self._ids, scenario, key, timeline))
        done.result()

    def _started(self) -> Child:
        if self._child is not None and self._child.alive():
            return self._child
        args = [str(self.folder or ""), str(self.keep_on_disk or ""), str(self.niceness)]
        child = self._child = Child("drills.runs.host_process", args)
        Thread(target=self._answers, args=(child,), daemon=True, name="host-answers").start()
        return child

    def _answers(self, child: Child) -> None:
        """Hand each answer to its job; when the host has gone, fail what it still owed."""
        while True:
            try:
                job, why = child.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                done = self._pending.pop(job, None)
            if done is not None and why is None:
                done.set_result(None)
            elif done is not None:
                done.set_exception(RuntimeError(why))
        child.stop(kill=True)
        with self._lock:
            owed = [f for f in self._pending.values()]
            if self._child is child:
                self._pending.clear()
        for done in owed:
            with contextlib.suppress(Exception):
                done.set_exception(HostGone("the simulation host exited"))

    def close(self) -> None:
        """Kill the host (its forked runs die with it) and reap it: a run it was simulating
        is lost either way, and waiting for it held a console's shutdown for seconds. The
        run's half-written folder is removed by the cache's next prune."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.stop(kill=True)
