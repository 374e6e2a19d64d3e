"""Jobs run side by side in forked processes. A forked child is a copy of its parent, so a
job is a plain closure over whatever it needs (a paused run, say): nothing is pickled on
the way in, only each job's result on the way back.

For a single-threaded caller only (the command line, the simulation host of
drills/runs/host.py): a threaded server forking would hand its children its listening
socket and whatever locks its other threads held."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from drills.runs.child import die_with_parent, quiet_send

T = TypeVar("T")


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def fork_each(
    jobs: Sequence[Callable[[], T]], workers: int, niceness: int = 0
) -> Iterator[tuple[int, T | None]]:
    """(index, result) of each job as its child answers, at most `workers` at a time: a
    caller that keeps only some results (a cache of the last few runs) never holds them
    all at once. None for a job whose child failed."""
    context = multiprocessing.get_context("fork")
    pending = list(enumerate(jobs))
    running: dict[Any, tuple[int, Any]] = {}
    while pending or running:
        while pending and len(running) < max(1, workers):
            index, job = pending.pop(0)
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(job, send, niceness), daemon=True)
            child.start()
            send.close()
            running[receive] = (index, child)
        for ready in wait(list(running)):
            index, child = running.pop(ready)
            answer = _receive(ready)  # type: ignore[arg-type]
            child.join()
            yield index, answer


def _receive(connection: Connection) -> Any:
    try:
        return connection.recv()
    except (EOFError, OSError):
        return None  # the child died before it answered
    finally:
        connection.close()


def _child(job: Callable[[], Any], send: Connection, niceness: int) -> None:
    die_with_parent(signal.SIGKILL)  # a killed caller leaves no simulation running on
    if niceness:
        os.nice(niceness)  # a re-simulation takes the cores only when no page needs them
    try:
        result = job()
    except Exception:
        result = None
    quiet_send(send, result)  # a caller gone meanwhile: no BrokenPipe traceback
    send.close()
