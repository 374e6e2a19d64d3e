"""What looks showed, shared between drills: a look's result depends only on the events
before it (a run is causal: tests/test_incremental.py), so drills that part later share
their early looks, and transcripts replayed against runs that part later query the same
sandboxes.

Queries run in this process (a sandbox per recent view), or, given sandbox processes, in
those (drills/play/sql_child.py): a view is then shipped as row ranges of the run's mapped
Arrow files plus its few copied blocks, kept here for the next query at that view. Every
table here is guarded by one short lock that no query holds while it runs: a query's time
limit stalls nobody else."""

from __future__ import annotations

import copy
import os
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from drills.library.paths import library_root
from drills.play.asof import tables_as_of
from drills.play.sql import Connections, QueryResult, Sandbox
from drills.play.sql_child import Limits, SandboxPool, View, ViewGone, copied_whole, shipped
from simulator.telemetry.bundle import Telemetry

Seen = tuple[str, float]  # (the key of the events so far, the clock time)
Shared = Callable[[], tuple[Path, dict[str, pa.Table]]]  # the run's mapped tables


class SharedViews:
    def __init__(
        self,
        sandboxes: int = 0,
        views_kept: int = 2,
        looks_kept: int = 4096,
        shipped_kept: int = 64,
        limits: Limits | None = None,
    ) -> None:
        """`sandboxes`: processes that run the queries (0: this process runs them), under
        `limits` (drills/play/sql_child.py)."""
        # a view holds its run (shared) and the few blocks of rows not settled at its time
        self.views_kept = views_kept
        # results are bounded (ROW_LIMIT rows): a few megabytes at most
        self.looks_kept = looks_kept
        self.shipped_kept = shipped_kept  # views as shipped: row ranges and copied blocks
        self.owner = ""  # whose queries these are (`owned_by`), for the sandboxes' queue
        self.pool = SandboxPool(sandboxes, server_paths(), limits) if sandboxes else None
        self._connections = Connections()
        self._views: OrderedDict[Seen, tuple[Telemetry, Sandbox, threading.Lock]] = OrderedDict()
        self._shipped: OrderedDict[Seen, View] = OrderedDict()
        self._looks: dict[tuple[str, float, str], QueryResult] = {}
        self._lock = threading.Lock()

    def owned_by(self, owner: str) -> SharedViews:
        """The same views, the queries queued under `owner`."""
        mine = copy.copy(self)
        mine.owner = owner
        return mine

    def run(self, tel: Telemetry, seen: Seen, sql: str, shared: Shared) -> QueryResult:
        """A query over `tel` as of `seen`; raises QueryRefused."""
        if self.pool is None:
            sandbox, lock = self._sandbox(tel, seen)
            with lock:  # one query at a time on one view's connection
                return sandbox.run(sql, seen[1])
        try:
            return self.pool.run(self.owner, self._view(tel, seen, shared), sql, seen[1])
        except ViewGone:  # its files were pruned meanwhile: ship every row this once
            whole = copied_whole(seen, tables_as_of(tel, seen[1]))
            return self.pool.run(self.owner, whole, sql, seen[1])

    def sandbox(self, tel: Telemetry, seen: Seen) -> Sandbox:
        """A sandbox in this process over the run as of a time, kept for the last few."""
        return self._sandbox(tel, seen)[0]

    def _sandbox(self, tel: Telemetry, seen: Seen) -> tuple[Sandbox, threading.Lock]:
        with self._lock:
            if seen not in self._views:
                sandbox = Sandbox(tables_as_of(tel, seen[1]), self._connections)
                self._views[seen] = (tel, sandbox, threading.Lock())
                while len(self._views) > self.views_kept:
                    _, old, lock = self._views.popitem(last=False)[1]
                    with lock:
                        old.close()
            self._views.move_to_end(seen)
            _, sandbox, lock = self._views[seen]
            return sandbox, lock

    def _view(self, tel: Telemetry, seen: Seen, shared: Shared) -> View:
        with self._lock:
            found = self._shipped.get(seen)
            if found is not None:
                self._shipped.move_to_end(seen)
                return found
        folder, mapped = shared()  # first: the view's slices must be of the mapped tables
        view = shipped(seen, folder, tables_as_of(tel, seen[1]), mapped)
        with self._lock:
            self._shipped[seen] = view
            while len(self._shipped) > self.shipped_kept:
                self._shipped.popitem(last=False)
        return view

    def look(self, seen: Seen, sql: str) -> QueryResult | None:
        return self._looks.get((*seen, sql))

    def remember(self, seen: Seen, sql: str, result: QueryResult) -> None:
        with self._lock:
            self._looks[(*seen, sql)] = result
            while len(self._looks) > self.looks_kept:
                self._looks.pop(next(iter(self._looks)))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        with self._lock:
            views, self._views = list(self._views.values()), OrderedDict()
        for _, sandbox, lock in views:
            with lock:
                sandbox.close()


def server_paths() -> list[str]:
    """Folders of this server that no answer may name (blanked if DuckDB ever shows one)."""
    paths = [os.getcwd(), tempfile.gettempdir(), str(Path.home()), sys.prefix, sys.exec_prefix]
    for name in ("SPEECHDRILL_HOME", "SPEECHDRILL_CACHE", "SPEECHDRILL_JOURNAL_KEY"):
        if os.environ.get(name):
            paths.append(str(Path(os.environ[name]).resolve()))
    paths += [str(library_root().resolve()), str(library_root().resolve().parent)]
    return [p for p in paths if len(p.rstrip("/")) > 1]
