"""A drill: the incident clock, the trainee's moves, and the fleet re-simulated with them.

The simulator is a pure function of (fleet, workload, timeline, seed), so one run with every
action the trainee took answers every question they asked: what a look at clock time c
showed depends only on events before c, and actions all come at or after the look that
preceded them. Runs are cached by their timeline.
"""

from __future__ import annotations

import copy
import hashlib
import json
import multiprocessing
import os
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

import simulator
from drills.actions import ACTIONS, ActionError, action_changes
from drills.asof import tables_as_of
from drills.journal import Journal
from drills.panels import PANELS
from drills.scenario import Act, Conclusion, LoadedScenario, Move
from drills.sql import QueryRefused, QueryResult, Sandbox
from simulator.engine import Simulation
from simulator.fleet import Fleet
from simulator.telemetry import Telemetry, build
from simulator.timeline import Announcement, PathError, TimelineEvent, set_path


class RunCache:
    """Telemetry of recent runs, in memory and on disk (Parquet under SPEECHDRILL_HOME), keyed
    by the scenario's content, the timeline and the simulator's code: a scripted drill's
    second look reads its run back instead of simulating it again."""

    def __init__(self, size: int = 8) -> None:
        self.size = size  # a score reads up to five runs
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, Telemetry] = OrderedDict()

    def key(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> str:
        parts = [
            scenario.spec.model_dump_json(),
            scenario.fleet.model_dump_json(),
            scenario.workload.model_dump_json(),
            json.dumps([e.model_dump() for e in timeline], sort_keys=True, default=str),
            simulator.code_version(),
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]

    def known(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Telemetry | None:
        """The finished run if it is in memory or on disk; None without simulating."""
        key = self.key(scenario, timeline)
        found = self._runs.get(key)
        if found is None:
            found = self._from_disk(key)
            if found is None:
                return None
            self._remember(key, found)
        return found

    def _remember(self, key: str, tel: Telemetry) -> None:
        with self._lock:  # the console hands runs over from a background thread
            self._runs[key] = tel
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)

    def get(self, scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Telemetry:
        key = self.key(scenario, timeline)
        found = self._runs.get(key)
        if found is None:
            found = self._from_disk(key) or self._simulate(key, scenario, timeline)
            self._remember(key, found)
        with self._lock:
            if key in self._runs:
                self._runs.move_to_end(key)
        return found

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
            if key not in missing and self.known(scenario, timeline) is None:
                missing[key] = timeline
        if (
            not missing
            or PARALLEL_RUNS < 1
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            return
        workers = min(len(missing), PARALLEL_RUNS)
        branches = [t for t in missing.values() if _extends(scenario.timeline, t)]
        alone = [t for t in missing.values() if not _extends(scenario.timeline, t)]
        context = multiprocessing.get_context("fork")
        pools, jobs = [], []
        try:
            if alone:  # started first: they share nothing, so need no prefix
                pools.append(context.Pool(len(alone), maxtasksperchild=1))
                jobs += [pools[-1].apply_async(_simulate_to_disk, (scenario, t)) for t in alone]
            if branches:
                _FORK[:] = [_prefix(scenario, _fork_time(scenario, branches))]
                pools.append(context.Pool(workers, maxtasksperchild=1))  # forks the prefix
                extra = [t[len(scenario.timeline) :] for t in branches]
                jobs += [pools[-1].apply_async(_branch_to_disk, (scenario, e)) for e in extra]
            for job in jobs:
                key, tel = job.get()
                self._remember(key, tel)  # handed back whole: no need to read it from disk
        except Exception:  # a failed worker's run is simulated again by `get`
            pass
        finally:
            _FORK.clear()
            for pool in pools:
                pool.close()
                pool.join()

    def _folder(self, key: str) -> Path:
        """$SPEECHDRILL_CACHE, else $SPEECHDRILL_HOME/runs."""
        from drills.journal import home

        root = os.environ.get("SPEECHDRILL_CACHE")
        return (Path(root) if root else home() / "runs") / key

    def _from_disk(self, key: str) -> Telemetry | None:
        folder = self._folder(key)
        if not (folder / "span.json").is_file():
            return None
        try:
            return Telemetry.load(folder)
        except (OSError, ValueError):
            return None  # a damaged cache entry: simulate again

    def _simulate(
        self, key: str, scenario: LoadedScenario, timeline: list[TimelineEvent]
    ) -> Telemetry:
        paused = LIVE.take(key)  # a drill's run paused at its clock finishes from there
        sim = paused or new_simulation(scenario, timeline)
        sim.run()
        tel = build(sim)
        self._store(key, tel)
        return tel

    def _store(self, key: str, tel: Telemetry) -> None:
        folder = self._folder(key)
        scratch = folder.with_name(f"{key}.{os.getpid()}.tmp")
        try:
            tel.save(scratch)
            scratch.replace(folder)  # atomic: concurrent writers never see half a run
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
        self._prune(folder.parent)

    @staticmethod
    def _prune(root: Path) -> None:
        """Keep the disk cache to the most recent runs (each is tens of megabytes);
        $SPEECHDRILL_CACHE_KEEP sets how many (default 6)."""
        keep = int(os.environ.get("SPEECHDRILL_CACHE_KEEP", "6"))
        runs = sorted(
            (p for p in root.iterdir() if p.is_dir() and not p.name.endswith(".tmp")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in runs[keep:]:
            shutil.rmtree(old, ignore_errors=True)


RUNS = RunCache()
# processes that simulate a score's runs side by side (0: none, simulate in-process)
PARALLEL_RUNS = int(os.environ.get("SPEECHDRILL_WORKERS", str(os.cpu_count() or 1)))


_FORK: list[Simulation] = []  # the shared prefix that prefetch's workers fork from
_PREFIXES: OrderedDict[str, Simulation] = OrderedDict()  # by scenario: paused at the page


def _extends(base: list[TimelineEvent], timeline: list[TimelineEvent]) -> bool:
    return timeline[: len(base)] == base


def _fork_time(scenario: LoadedScenario, branches: list[list[TimelineEvent]]) -> float:
    """Where the branches part: the page, when every added event comes at or after it (a
    trainee acts only from the page on), else the first added event."""
    n = len(scenario.timeline)
    first = min((t[n].at_s for t in branches if len(t) > n), default=scenario.spec.duration_s)
    return min(first, scenario.spec.clock.start_s)


def _prefix(scenario: LoadedScenario, until: float) -> Simulation:
    """The scenario's own run paused at `until`, kept for the next scores of the same
    scenario when `until` is the page (workers fork from it and never change it)."""
    key = RUNS.key(scenario, scenario.timeline) + f"@{until!r}"
    if key not in _PREFIXES:
        sim = new_simulation(scenario, scenario.timeline)
        sim.advance(until)
        if until != scenario.spec.clock.start_s:
            return sim
        _PREFIXES[key] = sim
        while len(_PREFIXES) > 2:
            _PREFIXES.popitem(last=False)
    _PREFIXES.move_to_end(key)
    return _PREFIXES[key]


# niceness of the forked workers: the console runs re-simulations behind the pages it
# serves (a worker at low priority takes the cores only when no page needs them)
WORKER_NICENESS = 0


def _lower_priority() -> None:
    if WORKER_NICENESS:
        os.nice(WORKER_NICENESS)


def _simulate_to_disk(
    scenario: LoadedScenario, timeline: list[TimelineEvent]
) -> tuple[str, Telemetry]:
    """In a forked worker: simulate one run into the disk cache, and hand it back."""
    _lower_priority()
    key = RUNS.key(scenario, timeline)
    return key, RUNS._simulate(key, scenario, timeline)


def _branch_to_disk(scenario: LoadedScenario, extra: list[TimelineEvent]) -> tuple[str, Telemetry]:
    """In a forked worker: the paused shared prefix (this process's own copy of it) takes
    the branch's events and runs to the end, into the disk cache; the run is handed back."""
    _lower_priority()
    sim = _FORK[0]
    for event in extra:
        sim.add_event(event)
    sim.run()
    key = RUNS.key(scenario, [*scenario.timeline, *extra])
    tel = build(sim)
    RUNS._store(key, tel)
    return key, tel


def new_simulation(scenario: LoadedScenario, timeline: list[TimelineEvent]) -> Simulation:
    spec = scenario.spec
    return simulator.start(
        scenario.fleet, scenario.workload, timeline, seed=spec.seed, duration_s=spec.duration_s
    )


class LiveRuns:
    """Runs paused at a drill's clock, simulated only as far as someone has looked.

    A look at clock time c advances the run of the drill's timeline to c and shows its
    telemetry so far; an action at c becomes an event of that paused run (everything before
    c stays as it was), so acting costs the simulation of the minutes the trainee then
    watches, not a re-run of the whole window. The view is the finished run's as of c
    (tests/test_incremental.py), so a later replay of the transcript shows the same."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._runs: OrderedDict[str, Simulation] = OrderedDict()

    def view(
        self, scenario: LoadedScenario, timeline: list[TimelineEvent], now: float
    ) -> dict[str, pa.Table]:
        finished = RUNS.known(scenario, timeline)
        if finished is not None:
            return tables_as_of(finished, now)
        key = RUNS.key(scenario, timeline)
        sim = self._paused(scenario, timeline, now)
        sim.advance(now)
        self._runs[key] = sim
        self._runs.move_to_end(key)
        while len(self._runs) > self.size:
            self._runs.popitem(last=False)
        return tables_as_of(build(sim), now)

    def take(self, key: str) -> Simulation | None:
        return self._runs.pop(key, None)

    def _paused(
        self, scenario: LoadedScenario, timeline: list[TimelineEvent], now: float
    ) -> Simulation:
        """This timeline's paused run, or the run of a shorter timeline still before the
        events it lacks (they are added), or a new run."""
        for cut in range(len(timeline), len(scenario.timeline) - 1, -1):
            key = RUNS.key(scenario, timeline[:cut])
            sim = self._runs.get(key)
            missing = timeline[cut:]
            if sim is None or sim.frontier > now:
                continue
            if all(event.at_s >= sim.frontier for event in missing):
                del self._runs[key]
                for event in missing:
                    sim.add_event(event)
                return sim
        return new_simulation(scenario, timeline)


LIVE = LiveRuns()
VIEWS_KEPT = 2  # each holds its run (shared) and the few blocks not settled at its time
LOOKS_KEPT = 4096  # results are bounded (ROW_LIMIT rows): a few megabytes at most
_LOOKS: dict[tuple[str, float, str], QueryResult] = {}
_VIEWS: OrderedDict[tuple[str, float], tuple[Telemetry, Sandbox]] = OrderedDict()


def _sandbox_as_of(tel: Telemetry, seen: tuple[str, float]) -> Sandbox:
    """A sandbox over the run as of a time, kept for the last few (events so far, time)
    pairs: transcripts replayed against runs that part later look at the same views (the
    run is held with it)."""
    if seen not in _VIEWS:
        _VIEWS[seen] = (tel, Sandbox(tables_as_of(tel, seen[1])))
        while len(_VIEWS) > VIEWS_KEPT:
            _VIEWS.popitem(last=False)[1][1].close()
    _VIEWS.move_to_end(seen)
    return _VIEWS[seen][1]


@dataclass
class MoveRecord:
    """One move as it happened: when, what, and what it read or changed."""

    index: int
    kind: str  # look, query, act, conclude
    clock_min: float
    sim_time_s: float
    text: str
    sql: str = ""  # what a look or query ran (a panel's SQL, or the trainee's)
    result: QueryResult | None = None  # what it showed, once run
    action: Act | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    conclusion: Conclusion | None = None
    error: str = ""
    event: TimelineEvent | None = None  # what an action became on the timeline (if anything)


@dataclass
class Drill:
    scenario: LoadedScenario
    clock_min: float = 0.0
    moves: list[MoveRecord] = field(default_factory=list)
    actions: list[TimelineEvent] = field(default_factory=list)
    concluded: bool = False
    live: bool = False  # show looks from a run paused at the clock (one long-lived process)

    @property
    def now_s(self) -> float:
        return self.scenario.spec.clock.start_s + self.clock_min * 60.0

    @property
    def timeline(self) -> list[TimelineEvent]:
        return [*self.scenario.timeline, *self.actions]

    def fleet_at(self, t: float) -> Fleet:
        """The fleet as it stood at time t: the scenario's changes and actions so far."""
        fleet = copy.deepcopy(self.scenario.fleet)
        for event in sorted(self.timeline, key=lambda e: e.at_s):
            if event.at_s <= t:
                for path, value in event.set.items():
                    set_path(fleet, path, value)
        return fleet

    def play(self, move: Move) -> MoveRecord:
        """Play one move; a move that cannot be played (ActionError) changes nothing."""
        if self.concluded:
            raise ValueError("the drill is concluded; no more moves")
        clock = self.clock_min
        try:
            return self._play(move)
        except ActionError:
            self.clock_min = clock
            raise

    def _play(self, move: Move) -> MoveRecord:
        if move.at_min is not None:
            self.clock_min = max(self.clock_min, move.at_min)
        costs = self.scenario.spec.clock
        record = MoveRecord(len(self.moves), "", self.clock_min, self.now_s, "")
        if move.look is not None:
            record.kind, record.text, record.sql = "look", move.look, PANELS[move.look].sql
            self.clock_min += costs.look_cost_s / 60.0
        elif move.query is not None:
            record.kind, record.text, record.sql = "query", move.query, move.query
            self.clock_min += costs.query_cost_s / 60.0
        elif move.act is not None:
            record.kind, record.action = "act", move.act
            record.text = f"{move.act.action} {json.dumps(move.act.args, sort_keys=True)}"
            self._act(move.act, record)
            self.clock_min += costs.act_cost_s / 60.0
        elif move.conclude is not None:
            record.kind, record.conclusion = "conclude", move.conclude
            record.text = f"cause: {move.conclude.cause}"
            self.concluded = True
        self.moves.append(record)
        return record

    def _act(self, act: Act, record: MoveRecord) -> None:
        """Turn an action into fleet changes, checked on a copy of the fleet: an unknown
        pool, path or an invalid value is an ActionError here, never a broken run later."""
        now = self.now_s
        fleet = self.fleet_at(now)
        changes = action_changes(act.action, act.args, fleet, self.scenario.fleet)
        for path, value in changes.items():
            try:
                set_path(fleet, path, value)
            except PathError as exc:
                unknown = any(w in str(exc) for w in ("no field", "no entry", "not a field"))
                field = "args.path" if unknown or act.action != "set" else "args.value"
                raise ActionError(field if act.action == "set" else "args", str(exc)) from None
        record.changes = changes
        if changes or ACTIONS[act.action].unsafe:
            record.event = TimelineEvent(
                at_s=now,
                set=changes,
                announce=Announcement(type="action", target=act.action, detail=record.text),
            )
            self.actions.append(record.event)

    def telemetry(self) -> Telemetry:
        return RUNS.get(self.scenario, self.timeline)

    def show(self, record: MoveRecord) -> QueryResult | None:
        """What a look or query showed: its result on the telemetry as of its clock time,
        exactly as a live session showed it (None, with `record.error`, if it failed)."""
        if record.result is not None or record.error:
            return record.result
        now = record.sim_time_s
        # what a look shows depends only on the events before it (a run is causal:
        # tests/test_incremental.py), so drills that part later share their early looks
        seen = (RUNS.key(self.scenario, [e for e in self.timeline if e.at_s <= now]), now)
        memo = (*seen, record.sql)
        if memo in _LOOKS:
            record.result = _LOOKS[memo]
            return record.result
        if self.live:
            sandbox = Sandbox(LIVE.view(self.scenario, self.timeline, now))
        else:  # separate processes share finished runs on disk
            sandbox = _sandbox_as_of(self.telemetry(), seen)
        try:
            record.result = sandbox.run(record.sql, now)
        except QueryRefused as exc:
            record.error = str(exc)
        finally:
            if self.live:
                sandbox.close()
        if record.result is not None:  # a refusal may be the host's (time, memory): not kept
            _LOOKS[memo] = record.result
            while len(_LOOKS) > LOOKS_KEPT:
                _LOOKS.pop(next(iter(_LOOKS)))
        return record.result


def load_drill(journal: Journal, session_id: str, live: bool = False) -> tuple[Drill, list[str]]:
    from drills.scenario import load_scenario, resolve_scenario

    row = journal.session(session_id)
    drill = Drill(load_scenario(resolve_scenario(row.scenario)), live=live)
    moves, problems = journal.moves(session_id)
    for seq, payload in enumerate(moves):
        try:
            drill.play(Move.model_validate(payload))
        except ValueError as exc:  # only a tampered journal holds a move that cannot replay
            problems.append(f"entry {seq} cannot be replayed: {exc}")
    return drill, problems
