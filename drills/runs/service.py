"""The run service: one object that answers "the telemetry of this scenario with this
timeline", handed to whoever needs runs (a drill, a score, the console), configured by its
constructor. No module keeps runs of its own.

The simulator is a pure function of (fleet, workload, timeline, seed), so a run is named
by its timeline and computed once: read back from memory or disk, finished from a paused
live run, or simulated. A score's runs share the scenario's run up to the page: it is
simulated once, paused, and each trainee's run forks from it (`prefetch`).

Where runs are simulated is the constructor's choice:
- by default in processes this one forks (a command line: one caller, one thread);
- `isolated`: in the simulation host (drills/runs/host.py), a clean process of its own
  that forks from the paused page, so a threaded server never forks itself;
- `dask=ADDRESS`: on a Dask cluster (each run simulated whole there, to the same digest).
The last two queue runs fairly by owner (drills/runs/fair.py): a front end with many users
hands each one `owned_by(name)`, and one user's burst of runs waits behind the others'.
`sandboxes=N` runs trainee SQL in N child processes under OS limits (drills/play/
sql_child.py) instead of in this process."""

from __future__ import annotations

import copy
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, wait
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

import simulator
from drills.library.scenario import LoadedScenario
from drills.play.asof import tables_as_of
from drills.play.sql import QueryResult
from drills.play.sql_child import Limits
from drills.runs.cache import DiskReads, RunCache, run_key
from drills.runs.fair import FairQueue
from drills.runs.fork import can_fork, fork_each
from drills.runs.host import SimulationHost
from drills.runs.live import LiveRuns
from drills.runs.tree import Branch, run_tree, split
from drills.runs.views import SharedViews
from simulator.engine.loop import Simulation
from simulator.spec.timeline import TimelineEvent
from simulator.telemetry.bundle import Telemetry, build

Job = Callable[[], "tuple[str, Telemetry | None] | None"]  # a forked worker's (key, run)
PREFIXES_KEPT = 2  # scenarios whose run paused at the page is kept for their next scores


def new_simulation(scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Simulation:
    spec = scenario.spec
    return simulator.start(
        scenario.fleet, scenario.workload, timeline, seed=spec.seed, duration_s=spec.duration_s
    )


def simulate_whole(scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Telemetry:
    """A run from the start (what a Dask worker computes: nothing of this process's)."""
    sim = new_simulation(scenario, timeline)
    sim.run()
    return build(sim)


def env_int(name: str, default: int) -> int:
    """An operator's setting from the environment, else the caller's default."""
    return int(os.environ.get(name) or default)


class Runs:
    def __init__(
        self,
        *,
        memory: int = 8,
        workers: int | None = None,
        niceness: int = 0,
        folder: Path | None = None,
        keep_on_disk: int | None = None,
        live_runs: int = 2,
        isolated: bool = False,
        dask: str | None = None,
        sandboxes: int = 0,
        sandbox_limits: Limits | None = None,
        reads: DiskReads | None = None,
    ) -> None:
        """`memory`: finished runs held in memory (a score reads up to five); `workers`:
        processes that simulate runs side by side (0: in-process; default
        $SPEECHDRILL_WORKERS, else the cores); `niceness` of those workers (the console
        yields the cores to its pages); `folder`/`keep_on_disk`: the disk cache
        ($SPEECHDRILL_CACHE, else $SPEECHDRILL_HOME/runs; $SPEECHDRILL_CACHE_KEEP runs);
        `isolated`/`dask`/`sandboxes`: see the module's docstring; `reads`: runs read from
        disk, shared with the process's other run services (drills/runs/cache.py)."""
        keep = keep_on_disk if keep_on_disk is not None else env_int("SPEECHDRILL_CACHE_KEEP", 6)
        self.cache = RunCache(memory, folder, keep, reads)
        self.workers = (
            workers if workers is not None else env_int("SPEECHDRILL_WORKERS", os.cpu_count() or 1)
        )
        self.niceness = niceness
        self.live = LiveRuns(self.key, new_simulation, live_runs)
        self.views = SharedViews(sandboxes, limits=sandbox_limits)
        self.owner = ""  # whose runs these are, for the fair queue (`owned_by`)
        self._prefixes: OrderedDict[str, Simulation] = OrderedDict()
        self._host: SimulationHost | None = None
        self._dask = DaskCluster(dask) if dask else None
        self._queue: FairQueue[None] | None = None
        if isolated or dask:
            if not dask:
                self._host = SimulationHost(folder, keep, niceness)
            # as many runs at once as the cores that simulate them (the cluster's threads,
            # counted when it is joined); one owner's runs take all but one of the slots
            # at most: a burst of actions (or a score's runs) leaves room for another's
            width = max(1, self._dask.threads() if self._dask else self.workers)
            self._queue = FairQueue(width, "runs", per_owner=max(1, width - 1))

    def owned_by(self, owner: str) -> Runs:
        """This service as one user's: everything shared, their runs and queries queued
        fairly beside other users' under this name."""
        mine = copy.copy(self)
        mine.owner = owner
        mine.views = self.views.owned_by(owner)
        return mine

    def close(self) -> None:
        """Stop the helper processes (the simulation host, the SQL sandboxes) and reap them."""
        if self._queue is not None:
            self._queue.close()
        if self._host is not None:
            self._host.close()
        self.views.close()
        if self._dask is not None:
            self._dask.close()

    def key(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> str:
        return run_key(scenario, timeline)

    def known(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Telemetry | None:
        """The finished run if it is in memory or on disk; None without simulating."""
        return self.cache.known(self.key(scenario, timeline))

    def get(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Telemetry:
        key = self.key(scenario, timeline)
        found = self.cache.known(key)
        if found is None and self._queue is not None:
            self._queued(scenario, {key: timeline})
            found = self.cache.known(key)
        if found is None:  # in this process: the last resort of a queue that failed
            found = self._simulate(key, scenario, timeline)
            self.cache.remember(key, found)
        return found

    def query(
        self,
        scenario: LoadedScenario,
        timeline: list[TimelineEvent],
        seen: tuple[str, float],
        sql: str,
    ) -> QueryResult:
        """A query over the run of `timeline` as of `seen` (the key of the events before
        that time, and the time); raises QueryRefused. In a sandbox process when the
        service has them (the run's settled rows shared with it through the disk cache's
        memory-mapped Arrow files), else in this process."""
        tel = self.get(scenario, timeline)
        key = self.key(scenario, timeline)
        return self.views.run(tel, seen, sql, lambda: self.cache.shared_arrow(key, tel))

    def live_view(
        self, scenario: LoadedScenario, timeline: list[TimelineEvent], now: float
    ) -> dict[str, pa.Table]:
        """The tables as of `now`, from the finished run if there is one, else from a run
        simulated only that far (and kept paused there for the next look)."""
        finished = self.known(scenario, timeline)
        if finished is not None:
            return tables_as_of(finished, now)
        return tables_as_of(build(self.live.advanced(scenario, timeline, now)), now)

    def prefetch(self, scenario: LoadedScenario, timelines: list[list[TimelineEvent]]) -> None:
        """Simulate the runs of these timelines not yet cached, side by side in forked
        processes that write each to the disk cache. Runs that add trainee actions to the
        scenario's own timeline share everything before the first action: that prefix is
        simulated once, paused (at the page, kept for the scenario's next scores), and
        they fork from it (a forked process is a copy of the paused run). Several such
        runs go on sharing as long as their actions agree: they are simulated as a tree
        (drills/runs/tree.py) and read back from disk; a lone one is handed back when it
        fits the memory cache. A batch never prunes its own runs from the disk cache.
        Without fork, `get` simulates them one by one."""
        missing: dict[str, list[TimelineEvent]] = {}
        for timeline in timelines:
            key = self.key(scenario, timeline)
            if key not in missing and not self.cache.has(key):
                missing[key] = timeline
        if missing and self._queue is not None:
            self._queued(scenario, missing)
            return
        if not missing or self.workers < 1 or not can_fork():
            return
        base = scenario.timeline
        alone = {k: t for k, t in missing.items() if t[: len(base)] != base}
        branches = {k: t for k, t in missing.items() if k not in alone}
        back = len(missing) <= self.cache.size
        jobs: list[Job] = [
            partial(self._simulate_in_child, k, scenario, t, back) for k, t in alone.items()
        ]
        forked = self._branch_jobs(scenario, branches, back) if branches else []
        # the lone runs share nothing, so they start beside the branches' workers
        width = len(alone) + min(len(forked), self.workers)
        jobs += forked
        keep = self.cache.keep_on_disk
        self.cache.keep_on_disk = max(keep, len(missing) + 1)  # a batch never prunes its own
        try:
            # kept as each arrives (the memory cache holds the last few): a batch of a
            # cohort's runs is never all in this process at once
            for _, found in fork_each(jobs, width, self.niceness):
                if found is not None and found[1] is not None:  # a failed worker's run is
                    self.cache.remember(found[0], found[1])  # simulated again by `get`
        finally:
            self.cache.keep_on_disk = keep

    def _branch_jobs(
        self, scenario: LoadedScenario, branches: dict[str, list[TimelineEvent]], back: bool
    ) -> list[Job]:
        """The runs that add actions to the scenario's own timeline, forked from its run
        paused before the first action: one alone, several as trees (drills/runs/tree.py:
        runs that share their first actions share those minutes)."""
        prefix = self._prefix(scenario, _fork_time(scenario, list(branches.values())))
        n = len(scenario.timeline)
        if len(branches) == 1:
            return [partial(_branch, prefix, t[n:], k, self, back) for k, t in branches.items()]
        # in time order, as a fresh run orders its timeline (stably: same-instant events
        # keep their order); a tree takes each event at its own time
        batch = [Branch(k, tuple(sorted(t[n:], key=_at))) for k, t in branches.items()]
        return [partial(_tree, prefix, part, self) for part in split(batch, self.workers)]

    def _queued(self, scenario: LoadedScenario, runs: dict[str, list[TimelineEvent]]) -> None:
        """These runs simulated through the fair queue under this service's owner; a run
        that failed is left to the caller (`get` simulates it in this process)."""
        assert self._queue is not None
        futures: list[Future[None]] = [
            self._queue.submit(self.owner, key, partial(self._elsewhere, scenario, key, timeline))
            for key, timeline in runs.items()
        ]
        wait(futures)

    def _elsewhere(self, scenario: LoadedScenario, key: str, timeline: list[TimelineEvent]) -> None:
        """One run on the simulation host (into the disk cache) or on the Dask cluster."""
        if self.cache.known(key) is not None:
            return
        if self._host is not None:
            self._host.simulate(scenario, key, timeline)
            return
        assert self._dask is not None
        tel = self._dask.simulate(scenario, timeline)
        self.cache.store(key, tel)
        self.cache.remember(key, tel)

    def page_prefix(self, scenario: LoadedScenario) -> Simulation:
        """The scenario's own run paused at the page (kept for its next runs)."""
        return self._prefix(scenario, scenario.spec.clock.start_s)

    def finish_branch(self, prefix: Simulation, extra: list[TimelineEvent], key: str) -> None:
        """In a forked copy of a paused prefix: add the branch's events, run to the end,
        write the run to the disk cache."""
        _branch(prefix, extra, key, self)

    def _simulate(
        self, key: str, scenario: LoadedScenario, timeline: list[TimelineEvent]
    ) -> Telemetry:
        paused = self.live.take(key)  # a drill's run paused at its clock finishes from there
        sim = paused or new_simulation(scenario, timeline)
        sim.run()
        tel = build(sim)
        self.cache.store(key, tel)
        return tel

    def _simulate_in_child(
        self, key: str, scenario: LoadedScenario, timeline: list[TimelineEvent], back: bool
    ) -> tuple[str, Telemetry | None]:
        tel = self._simulate(key, scenario, timeline)
        return key, tel if back else None

    def _prefix(self, scenario: LoadedScenario, until: float) -> Simulation:
        """The scenario's own run paused at `until`, kept for the next scores of the same
        scenario when `until` is the page (workers fork from it and never change it)."""
        key = self.key(scenario, scenario.timeline) + f"@{until!r}"
        if key not in self._prefixes:
            sim = new_simulation(scenario, scenario.timeline)
            sim.advance(until)
            if until != scenario.spec.clock.start_s:
                return sim
            self._prefixes[key] = sim
            while len(self._prefixes) > PREFIXES_KEPT:
                self._prefixes.popitem(last=False)
        self._prefixes.move_to_end(key)
        return self._prefixes[key]


class DaskCluster:
    """Runs simulated whole on an existing Dask cluster (the what-if's backend,
    simulator/studies/sweep_run.py): a run is a pure function of its inputs, so where it
    ran never changes a number."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._client: Any = None
        self._lock = threading.Lock()

    def _joined(self) -> Any:
        with self._lock:
            if self._client is None:
                from distributed import Client

                self._client = Client(self.address)
            return self._client

    def threads(self) -> int:
        """The cluster's worker threads now (it is joined here)."""
        return int(sum(self._joined().nthreads().values()))

    def simulate(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Telemetry:
        future = self._joined().submit(simulate_whole, scenario, timeline, pure=False)
        tel: Telemetry = future.result()
        return tel

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _branch(
    prefix: Simulation, extra: list[TimelineEvent], key: str, runs: Runs, back: bool = True
) -> tuple[str, Telemetry | None]:
    """In a forked worker: the paused shared prefix (this process's own copy of it) takes
    the branch's events and runs to the end, into the disk cache; the run is handed back
    if `back`."""
    for event in extra:
        prefix.add_event(event)
    prefix.run()
    tel = build(prefix)
    runs.cache.store(key, tel)
    return key, tel if back else None


def _at(event: TimelineEvent) -> float:
    return event.at_s


def _tree(prefix: Simulation, branches: list[Branch], runs: Runs) -> None:
    """In a forked worker: a tree of branches from the paused prefix (this process's own
    copy of it), each run written to the disk cache, where the caller reads it."""

    def finish(sim: Simulation, key: str) -> None:
        runs.cache.store(key, build(sim))

    run_tree(prefix, branches, finish)


def _fork_time(scenario: LoadedScenario, branches: list[list[TimelineEvent]]) -> float:
    """Where the branches part: the page, when every added event comes at or after it (a
    trainee acts only from the page on), else the first added event."""
    n = len(scenario.timeline)
    first = min((e.at_s for t in branches for e in t[n:]), default=scenario.spec.duration_s)
    return min(first, scenario.spec.clock.start_s)
