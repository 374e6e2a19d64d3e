"""What looks showed, shared between drills: a look's result depends only on the events
before it (a run is causal: tests/test_incremental.py), so drills that part later share
their early looks, and transcripts replayed against runs that part later query the same
sandboxes."""

from __future__ import annotations

from collections import OrderedDict

from drills.play.asof import tables_as_of
from drills.play.sql import QueryResult, Sandbox
from simulator.telemetry.bundle import Telemetry

Seen = tuple[str, float]  # (the key of the events so far, the clock time)


class SharedViews:
    def __init__(self, views_kept: int = 2, looks_kept: int = 4096) -> None:
        # a view holds its run (shared) and the few blocks of rows not settled at its time
        self.views_kept = views_kept
        # results are bounded (ROW_LIMIT rows): a few megabytes at most
        self.looks_kept = looks_kept
        self._views: OrderedDict[Seen, tuple[Telemetry, Sandbox]] = OrderedDict()
        self._looks: dict[tuple[str, float, str], QueryResult] = {}

    def sandbox(self, tel: Telemetry, seen: Seen) -> Sandbox:
        """A sandbox over the run as of a time, kept for the last few (events, time)."""
        if seen not in self._views:
            self._views[seen] = (tel, Sandbox(tables_as_of(tel, seen[1])))
            while len(self._views) > self.views_kept:
                self._views.popitem(last=False)[1][1].close()
        self._views.move_to_end(seen)
        return self._views[seen][1]

    def look(self, seen: Seen, sql: str) -> QueryResult | None:
        return self._looks.get((*seen, sql))

    def remember(self, seen: Seen, sql: str, result: QueryResult) -> None:
        self._looks[(*seen, sql)] = result
        while len(self._looks) > self.looks_kept:
            self._looks.pop(next(iter(self._looks)))
