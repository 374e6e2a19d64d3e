"""The run service: one object that answers "the telemetry of this scenario with this
timeline", handed to whoever needs runs (a drill, a score, the console), configured by its
constructor. No module keeps runs of its own.

The simulator is a pure function of (fleet, workload, timeline, seed), so a run is named
by its timeline and computed once: read back from memory or disk, finished from a paused
live run, or simulated. A score's runs share the scenario's run up to the page: it is
simulated once, paused, and each trainee's run forks from it (`prefetch`)."""

from __future__ import annotations

import os
from collections import OrderedDict
from functools import partial
from pathlib import Path

import pyarrow as pa

import simulator
from drills.library.scenario import LoadedScenario
from drills.play.asof import tables_as_of
from drills.runs.cache import RunCache, run_key
from drills.runs.fork import can_fork, fork_map
from drills.runs.live import LiveRuns
from drills.runs.views import SharedViews
from simulator.engine.loop import Simulation
from simulator.spec.timeline import TimelineEvent
from simulator.telemetry.bundle import Telemetry, build

PREFIXES_KEPT = 2  # scenarios whose run paused at the page is kept for their next scores


def new_simulation(scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Simulation:
    spec = scenario.spec
    return simulator.start(
        scenario.fleet, scenario.workload, timeline, seed=spec.seed, duration_s=spec.duration_s
    )


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


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
    ) -> None:
        """`memory`: finished runs held in memory (a score reads up to five); `workers`:
        processes that simulate a score's runs side by side (0: in-process; default
        $SPEECHDRILL_WORKERS, else the cores); `niceness` of those workers (the console
        yields the cores to its pages); `folder`/`keep_on_disk`: the disk cache
        ($SPEECHDRILL_CACHE, else $SPEECHDRILL_HOME/runs; $SPEECHDRILL_CACHE_KEEP runs)."""
        keep = keep_on_disk if keep_on_disk is not None else _env_int("SPEECHDRILL_CACHE_KEEP", 6)
        self.cache = RunCache(memory, folder, keep)
        self.workers = (
            workers if workers is not None else _env_int("SPEECHDRILL_WORKERS", os.cpu_count() or 1)
        )
        self.niceness = niceness
        self.live = LiveRuns(self.key, new_simulation, live_runs)
        self.views = SharedViews()
        self._prefixes: OrderedDict[str, Simulation] = OrderedDict()

    def key(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> str:
        return run_key(scenario, timeline)

    def known(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Telemetry | None:
        """The finished run if it is in memory or on disk; None without simulating."""
        return self.cache.known(self.key(scenario, timeline))

    def get(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Telemetry:
        key = self.key(scenario, timeline)
        found = self.cache.known(key)
        if found is None:
            found = self._simulate(key, scenario, timeline)
            self.cache.remember(key, found)
        return found

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
        processes that write each to the disk cache and hand it back. Runs that add trainee
        actions to the scenario's own timeline share everything before the first action:
        that prefix is simulated once, paused at the page (and kept for the scenario's next
        scores), and each run forks from it (a forked process is a copy of the paused run),
        so each pays only for the minutes after the page. Without fork, `get` simulates
        them one by one."""
        missing: dict[str, list[TimelineEvent]] = {}
        for timeline in timelines:
            key = self.key(scenario, timeline)
            if key not in missing and self.cache.known(key) is None:
                missing[key] = timeline
        if not missing or self.workers < 1 or not can_fork():
            return
        base = scenario.timeline
        alone = {k: t for k, t in missing.items() if t[: len(base)] != base}
        branches = {k: t for k, t in missing.items() if k not in alone}
        jobs = [partial(self._simulate_in_child, k, scenario, t) for k, t in alone.items()]
        if branches:
            prefix = self._prefix(scenario, _fork_time(scenario, list(branches.values())))
            jobs += [partial(_branch, prefix, t[len(base) :], k, self) for k, t in branches.items()]
        # the lone runs share nothing, so they start beside the branches' workers
        width = len(alone) + min(len(branches), self.workers)
        for found in fork_map(jobs, width, self.niceness):
            if found is not None:  # a failed worker's run is simulated again by `get`
                self.cache.remember(*found)

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
        self, key: str, scenario: LoadedScenario, timeline: list[TimelineEvent]
    ) -> tuple[str, Telemetry]:
        return key, self._simulate(key, scenario, timeline)

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


def _branch(
    prefix: Simulation, extra: list[TimelineEvent], key: str, runs: Runs
) -> tuple[str, Telemetry]:
    """In a forked worker: the paused shared prefix (this process's own copy of it) takes
    the branch's events and runs to the end, into the disk cache; the run is handed back."""
    for event in extra:
        prefix.add_event(event)
    prefix.run()
    tel = build(prefix)
    runs.cache.store(key, tel)
    return key, tel


def _fork_time(scenario: LoadedScenario, branches: list[list[TimelineEvent]]) -> float:
    """Where the branches part: the page, when every added event comes at or after it (a
    trainee acts only from the page on), else the first added event."""
    n = len(scenario.timeline)
    first = min((t[n].at_s for t in branches if len(t) > n), default=scenario.spec.duration_s)
    return min(first, scenario.spec.clock.start_s)
