"""The simulation host's process (drills/runs/host.py says why it exists): one thread, a
loop over its inbox and its children's pipes; each job's run simulated in a child forked
from the scenario's run paused at the page (or from nothing), written to the disk cache,
and the child reaped."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from drills.library.scenario import LoadedScenario
from drills.runs.child import connections, die_with_parent, quiet_send
from drills.runs.service import Runs
from simulator.spec.timeline import TimelineEvent

Job = tuple[int, LoadedScenario, str, list[TimelineEvent]]


def main(argv: list[str]) -> None:
    inbox, outbox = connections(argv)
    folder, keep, niceness = argv[2], argv[3], int(argv[4])
    if niceness:
        os.nice(niceness)  # and every run it forks: the console's pages come first
    runs = Runs(
        workers=0,
        folder=Path(folder) if folder else None,
        keep_on_disk=int(keep) if keep else None,
    )
    running: dict[Connection, tuple[int, int]] = {}  # a child's pipe: (job id, pid)
    while True:
        for ready in wait([inbox, *running]):
            if ready is inbox:
                try:
                    job: Job = inbox.recv()
                except (EOFError, OSError):
                    _stop_children(running)
                    return
                _start(runs, job, running, inbox, outbox)
            else:
                answer = _receive(ready)  # type: ignore[arg-type]
                job_id, pid = running.pop(ready)  # type: ignore[call-overload]
                os.waitpid(pid, 0)  # reaped
                quiet_send(outbox, (job_id, answer))


def _start(
    runs: Runs,
    job: Job,
    running: dict[Connection, tuple[int, int]],
    inbox: Connection,
    outbox: Connection,
) -> None:
    """Answer at once if the run is on disk already, else fork its child."""
    job_id, scenario, key, timeline = job
    if runs.cache.on_disk(key):
        quiet_send(outbox, (job_id, None))
        return
    prefix = None
    base = scenario.timeline
    if timeline[: len(base)] == base and all(
        e.at_s >= scenario.spec.clock.start_s for e in timeline[len(base) :]
    ):
        prefix = runs.page_prefix(scenario)
    receive, send = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a copy of this single-threaded host
        os.close(receive)
        for connection in (inbox, outbox, *running):
            with contextlib.suppress(OSError):
                connection.close()
        _child(runs, scenario, key, timeline, prefix, Connection(send, readable=False))
    os.close(send)
    running[Connection(receive, writable=False)] = (job_id, pid)


def _child(
    runs: Runs,
    scenario: LoadedScenario,
    key: str,
    timeline: list[TimelineEvent],
    prefix: Any,
    send: Connection,
) -> None:
    die_with_parent(signal.SIGKILL)
    code = 0
    try:
        if prefix is not None:
            runs.finish_branch(prefix, timeline[len(scenario.timeline) :], key)
        else:
            runs.get(scenario, timeline)  # simulated whole, into the disk cache
        why = None
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
        code = 1
    quiet_send(send, why)
    os._exit(code)


def _receive(connection: Connection) -> str | None:
    try:
        answer: str | None = connection.recv()
        return answer
    except (EOFError, OSError):
        return "the run's process died before it finished (out of memory?)"
    finally:
        connection.close()


def _stop_children(running: dict[Connection, tuple[int, int]]) -> None:
    for _, pid in running.values():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        pass
    except Exception:
        traceback.print_exc()
        sys.exit(3)
