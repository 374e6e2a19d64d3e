"""A drill: the incident clock, the trainee's moves, and the fleet re-simulated with them.

The simulator is a pure function of (fleet, workload, timeline, seed), so one run with every
action the trainee took answers every question they asked: what a look at clock time c
showed depends only on events before c, and actions all come at or after the look that
preceded them. The runs come from the run service the drill is handed (drills/runs/).
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from typing import Any

from drills.library.scenario import Act, Conclusion, LoadedScenario, Move
from drills.play.actions import ActionError, apply_action, check_action, outcome
from drills.play.journal import Journal
from drills.play.panels import PANELS
from drills.play.sql import QueryRefused, QueryResult, Sandbox
from drills.runs.service import Runs
from simulator.spec.fleet import Fleet
from simulator.spec.timeline import Announcement, TimelineEvent, set_path
from simulator.telemetry.bundle import Telemetry


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
    event: TimelineEvent | None = None  # what an action became on the timeline (every act)
    planned: dict[str, Any] = field(default_factory=dict)  # an action's changes as the trainee
    # knows the fleet (docs/candidate-view.md); `changes` are those it made to the real one
    outcome: str = ""  # what the trainee reads of an action once played


@dataclass
class Drill:
    scenario: LoadedScenario
    runs: Runs
    clock_min: float = 0.0
    moves: list[MoveRecord] = field(default_factory=list)
    actions: list[TimelineEvent] = field(default_factory=list)
    concluded: bool = False
    live: bool = False  # show looks from a run paused at the clock (one long-lived process)
    # the scenario's fleet pickled once, beside the fleet it pickles: each fleet the drill
    # changes is a fresh copy unpickled from it (`_fresh_fleet`)
    _pickled: tuple[Fleet, bytes] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def now_s(self) -> float:
        return self.scenario.spec.clock.start_s + self.clock_min * 60.0

    @property
    def timeline(self) -> list[TimelineEvent]:
        return [*self.scenario.timeline, *self.actions]

    def fleet_at(self, t: float) -> Fleet:
        """The fleet as it stood at time t: the scenario's changes and actions so far."""
        fleet = self._fresh_fleet()
        for event in sorted(self.timeline, key=lambda e: e.at_s):
            if event.at_s <= t:
                for path, value in event.set.items():
                    set_path(fleet, path, value)
        return fleet

    def known_fleet(self) -> Fleet:
        """The fleet as the trainee knows it: as deployed before the incident, with their own
        actions on it and none of the faults. Actions are checked, previewed and reported
        against it, so that what they read of one never depends on the fault."""
        fleet = self._fresh_fleet()
        for move in self.moves:
            for path, value in move.planned.items():
                set_path(fleet, path, value)
        return fleet

    def _fresh_fleet(self) -> Fleet:
        """A copy of the scenario's fleet of the drill's own, to change: unpickled, which
        takes about half the time of a deep copy (a previewed and played action copies it
        three times) and gives the same fleet, field for field. The scenario's fleet is
        never changed (the fleet as deployed); a drill handed another scenario pickles
        that one's."""
        fleet = self.scenario.fleet
        if self._pickled is None or self._pickled[0] is not fleet:
            self._pickled = (fleet, pickle.dumps(fleet, protocol=pickle.HIGHEST_PROTOCOL))
        copied: Fleet = pickle.loads(self._pickled[1])
        return copied

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
        """Turn an action into fleet changes: checked against the fleet the trainee knows (an
        unknown pool, path or an invalid value is an ActionError here, never a broken run
        later), then applied to the fleet as it stands."""
        known, base = self.known_fleet(), self.scenario.fleet
        # each check applies its changes to the fresh fleet it is handed: `known` is the
        # fleet as the trainee knows it after the move
        parsed, record.planned = check_action(act.action, act.args, known, base)
        changes = apply_action(act.action, parsed, self.fleet_at(self.now_s), base)
        record.outcome = outcome(act.action, parsed, known)
        record.changes = changes
        # every action is announced, whether or not it changed anything: the events table
        # must not tell a candidate that a rollback had nothing to roll back
        record.event = TimelineEvent(
            at_s=self.now_s,
            set=changes,
            announce=Announcement(type="action", target=act.action, detail=record.text),
        )
        self.actions.append(record.event)

    def telemetry(self) -> Telemetry:
        return self.runs.get(self.scenario, self.timeline)

    def show(self, record: MoveRecord) -> QueryResult | None:
        """What a look or query showed: its result on the telemetry as of its clock time,
        exactly as a live session showed it (None, with `record.error`, if it failed)."""
        if record.result is not None or record.error:
            return record.result
        now = record.sim_time_s
        runs = self.runs
        # what a look shows depends only on the events before it (a run is causal:
        # tests/test_incremental.py), so drills that part later share their early looks
        seen = (runs.key(self.scenario, [e for e in self.timeline if e.at_s <= now]), now)
        kept = runs.views.look(seen, record.sql)
        if kept is not None:
            record.result = kept
            return kept
        try:
            if self.live:  # the run paused at the clock, in this process
                sandbox = Sandbox(runs.live_view(self.scenario, self.timeline, now))
                try:
                    record.result = sandbox.run(record.sql, now)
                finally:
                    sandbox.close()
            else:  # a finished run (separate processes share finished runs on disk)
                record.result = runs.query(self.scenario, self.timeline, seen, record.sql)
        except QueryRefused as exc:
            record.error = str(exc)
        if record.result is not None:  # a refusal may be the host's (time, memory): not kept
            runs.views.remember(seen, record.sql, record.result)
        return record.result


def load_drill(
    journal: Journal, session_id: str, runs: Runs, live: bool = False
) -> tuple[Drill, list[str]]:
    from drills.library.scenario import load_scenario, resolve_scenario

    row = journal.session(session_id)
    drill = Drill(load_scenario(resolve_scenario(row.scenario)), runs, live=live)
    moves, problems = journal.moves(session_id)
    for seq, payload in enumerate(moves):
        try:
            drill.play(Move.model_validate(payload))
        except ValueError as exc:  # only a tampered journal holds a move that cannot replay
            problems.append(f"entry {seq} cannot be replayed: {exc}")
    return drill, problems
