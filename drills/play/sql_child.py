"""Trainee SQL in child processes under OS limits, for a server that many trainees share.

DuckDB's lockdown (drills/play/sql.py) is the first wall; DuckDB's own guidance for
untrusted SQL is isolation by the operating system, and its `memory_limit` does not bound
every allocation (a single `repeat()` can take gigabytes past it, and runs on past the
interrupt). So the console runs queries in sandbox processes (drills/runs/child.py: started
clean, one query at a time each), each under `setrlimit`: an address-space cap (an
allocation past it fails, and the query is refused), a CPU-time cap per query (SIGXCPU
ends the process), no core files; a process that has not answered by the time limit and a
grace is killed by the server, which starts another. A query's limit therefore stalls no
one else: the other sandboxes go on serving, and the queue before them is fair by owner
(drills/runs/fair.py).

The tables are not copied into the sandbox. The run service writes each run's Arrow tables
once, uncompressed, beside the run in the disk cache and maps them (drills/runs/cache.py);
a view as of a clock time is mostly slices of those tables (drills/play/asof.py), so what
is shipped is each slice's row range and only the few copied blocks of rows not settled at
that time. The sandbox maps the same files: the kernel shares their pages between every
process, so a look costs what it cost in-process plus one pipe round trip."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import resource
import sys
import threading
import traceback
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from drills.play.sql import TIME_LIMIT_S, Connections, QueryRefused, QueryResult, Sandbox, hiding
from drills.runs.child import Child, connections, quiet_send
from drills.runs.fair import FairQueue

MAPPED_RUNS = 8  # runs a sandbox keeps mapped (each maps ~80 MB of address space)
VIEWS_KEPT = 8  # views a sandbox keeps rebuilt (a handful of small copied blocks each)


@dataclass(frozen=True)
class Limits:
    """A sandbox process's limits: DuckDB interrupts a query at `time_s` (wall); the
    kernel ends the process once the query has used `cpu_s` of CPU time (SIGXCPU: for the
    work an interrupt does not stop); the server kills a sandbox that has not answered
    after `kill_after_s`; no allocation takes the process past `address_space` bytes
    (DuckDB reserves ~1 GB at start, each mapped run ~80 MB, the rest is the query's)."""

    time_s: float = TIME_LIMIT_S
    cpu_s: float = TIME_LIMIT_S + 2.0
    kill_after_s: float = TIME_LIMIT_S + 3.0
    address_space: int = 4 * 2**30


Piece = tuple[int, int] | bytes  # rows [start, start + n) of the mapped table, or IPC bytes


@dataclass(frozen=True)
class View:
    """A run as of a clock time, as a sandbox receives it: where its mapped tables are,
    and each table as pieces (a slice of the mapped rows, or a copied block)."""

    id: tuple[str, float]
    folder: str
    pieces: dict[str, list[Piece]]


class ViewGone(Exception):
    """The sandbox could not map the view's files (pruned from the disk cache meanwhile)."""


def shipped(view_id: tuple[str, float], folder: Path, view: dict[str, pa.Table],
            mapped: dict[str, pa.Table]) -> View:  # fmt: skip
    """A view's tables as pieces: a batch whose buffers are the mapped table's own is a
    slice of it (its offset is the row), any other is copied."""
    pieces: dict[str, list[Piece]] = {}
    for name, table in view.items():
        source = mapped[name].column(0).chunk(0) if mapped[name].num_rows else None
        own = _addresses(source) if source is not None else None
        out: list[Piece] = []
        for batch in table.to_batches():
            column = batch.column(0)
            if own is not None and _addresses(column) == own:
                out.append((column.offset, batch.num_rows))
            elif batch.num_rows:
                out.append(_ipc(batch))
        pieces[name] = out
    return View(view_id, str(folder), pieces)


def copied_whole(view_id: tuple[str, float], view: dict[str, pa.Table]) -> View:
    """The view with every row copied (when its mapped files are gone)."""
    return View(view_id, "", {name: [_ipc(b) for b in t.to_batches()] for name, t in view.items()})


def _addresses(array: pa.Array) -> list[int]:
    return [b.address for b in array.buffers() if b is not None]


def _ipc(batch: pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue())


def rebuilt(view: View, mapped: dict[str, pa.Table] | None) -> dict[str, pa.Table]:
    tables = {}
    for name, pieces in view.pieces.items():
        parts = [
            mapped[name].slice(*piece)  # type: ignore[index]
            if isinstance(piece, tuple)
            else pa.ipc.open_stream(piece).read_all()
            for piece in pieces
        ]
        if parts:
            tables[name] = pa.concat_tables(parts)
        elif mapped is not None:
            tables[name] = mapped[name].slice(0, 0)
        else:
            raise ViewGone("an empty table of a view with no mapped files")
    return tables


class SandboxPool:
    """`processes` sandbox processes; each query queued fairly by its owner and answered
    by the next free sandbox."""

    def __init__(self, processes: int, hide: list[str], limits: Limits | None = None) -> None:
        self.processes = processes
        self.limits = limits or Limits()
        self._hide = hide
        self._idle: queue.SimpleQueue[Child] = queue.SimpleQueue()
        self._all: set[Child] = set()
        self._lock = threading.Lock()
        self._closed = False
        # one sandbox at most per owner: a candidate with several tabs holds only one
        self._queue: FairQueue[tuple[str, Any]] = FairQueue(processes, "sql", per_owner=1)

    def prestart(self) -> None:
        """Start every sandbox now, in the background (an interpreter takes a second or
        two to start: the first queries then do not wait for it)."""

        def start() -> None:
            for _ in range(self.processes - self._idle.qsize()):
                with self._lock:
                    if self._closed:
                        return
                self._idle.put(self._start())

        threading.Thread(target=start, daemon=True, name="sql-prestart").start()

    def run(self, owner: str, view: View, sql: str, now: float) -> QueryResult:
        """The query's result; QueryRefused (a refusal, a time or memory limit); ViewGone."""
        job = partial(self._one, view, sql, now)
        kind, value = self._queue.submit(owner, (view.id, view.folder, sql), job).result()
        if kind == "ok":
            result: QueryResult = value
            return result
        if kind == "gone":
            raise ViewGone(value)
        raise QueryRefused(value)

    def _one(self, view: View, sql: str, now: float) -> tuple[str, Any]:
        child = self._take()
        try:
            child.send((view, sql, now))
        except OSError:  # it died while idle (killed from outside): a fresh one
            self._replace(child)
            child = self._take()
            child.send((view, sql, now))
        try:
            if not child.poll(self.limits.kill_after_s):
                self._replace(child)
                return "refused", f"query ran past the {self.limits.time_s:g} s limit (stopped)"
            answer: tuple[str, Any] = child.recv()
        except (EOFError, OSError):
            self._replace(child)
            return "refused", (
                "the query was stopped at the sandbox's limits (memory or CPU time); "
                "narrow it (fewer rows, fewer columns, an aggregate)"
            )
        self._idle.put(child)
        return answer

    def _take(self) -> Child:
        """An idle sandbox, or a new one (each job holds one, and there are as many jobs at
        once as processes)."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._start()

    def _start(self) -> Child:
        limits = json.dumps(vars(self.limits))
        child = Child("drills.play.sql_child", [json.dumps(self._hide), limits])
        with self._lock:
            closed = self._closed
            if not closed:
                self._all.add(child)
        if closed:  # the pool closed while this one started (the prestart thread)
            child.stop(kill=True)
        return child

    def _replace(self, child: Child) -> None:
        """Kill a sandbox (reaped), and start its successor now so the next query does not
        wait for its interpreter to start."""
        child.stop(kill=True)
        with self._lock:
            self._all.discard(child)
            if self._closed:
                return
        self._idle.put(self._start())

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(c.pid for c in self._all if c.alive())

    def close(self) -> None:
        """Kill every sandbox and reap it: a sandbox holds nothing to save (read-only maps
        of runs on disk), and one still starting would otherwise be waited for until its
        interpreter had loaded, only to exit (a second or two for each app closed)."""
        self._queue.close()
        with self._lock:
            self._closed = True
            children, self._all = list(self._all), set()
        for child in children:
            child.stop(kill=True)


# --- the sandbox process ---------------------------------------------------------------


def main(argv: list[str]) -> None:
    inbox, outbox = connections(argv)
    hide = hiding(json.loads(argv[2]))
    limits = Limits(**json.loads(argv[3]))
    os.chdir("/")  # DuckDB names its working directory in settings: let it be nothing
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    pool = Connections(kept=1)
    pool.give(pool.take(), reusable=True)  # opened before the cap: DuckDB reserves ~0.6 GB
    _cap(resource.RLIMIT_AS, limits.address_space)
    mapped: OrderedDict[str, dict[str, pa.Table]] = OrderedDict()
    views: OrderedDict[tuple[str, float, str], dict[str, pa.Table]] = OrderedDict()
    while True:
        try:
            view, sql, now = inbox.recv()
        except (EOFError, OSError):
            return
        used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        _cap(resource.RLIMIT_CPU, int(used + limits.cpu_s) + 1)
        quiet_send(outbox, _answer(view, sql, now, mapped, views, pool, hide, limits.time_s))


def _answer(
    view: View,
    sql: str,
    now: float,
    mapped: OrderedDict[str, dict[str, pa.Table]],
    views: OrderedDict[tuple[str, float, str], dict[str, pa.Table]],
    pool: Connections,
    hide: Any,
    time_limit_s: float,
) -> tuple[str, Any]:
    try:
        tables = _view(view, mapped, views)
    except (OSError, ViewGone) as exc:
        return "gone", f"{type(exc).__name__}"
    sandbox = Sandbox(tables, pool, hide, time_limit_s)
    try:
        return "ok", sandbox.run(sql, now)
    except QueryRefused as exc:
        return "refused", str(exc)
    except MemoryError:
        return "refused", "the query needs more memory than the sandbox allows"
    finally:
        sandbox.close()


def _view(
    view: View,
    mapped: OrderedDict[str, dict[str, pa.Table]],
    views: OrderedDict[tuple[str, float, str], dict[str, pa.Table]],
) -> dict[str, pa.Table]:
    key = (view.id[0], view.id[1], view.folder)
    found = views.get(key)
    if found is None:
        found = rebuilt(view, _mapped(view.folder, mapped) if view.folder else None)
        views[key] = found
        while len(views) > VIEWS_KEPT:
            views.popitem(last=False)
    views.move_to_end(key)
    return found


def _mapped(folder: str, mapped: OrderedDict[str, dict[str, pa.Table]]) -> dict[str, pa.Table]:
    from drills.runs.cache import map_shared

    if folder not in mapped:
        mapped[folder] = map_shared(Path(folder))
        while len(mapped) > MAPPED_RUNS:
            mapped.popitem(last=False)  # unmapped once its views are gone
    mapped.move_to_end(folder)
    return mapped[folder]


def _cap(limit: int, value: int) -> None:
    """Lower a soft limit (the hard one stays, so the next query's can be set again)."""
    _, hard = resource.getrlimit(limit)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(limit, (value, hard))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        pass
    except Exception:
        traceback.print_exc()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        sys.exit(3)
