"""The candidates' drills, held in memory and answered from there; each move is journaled
before its result shows, and a restarted server resumes every drill from its journal.

Two locks: `lock` serialises the moves (a drill's state), `runs_lock` the simulations and
queries (the run cache and its DuckDB sandboxes are shared by all sessions of a scenario:
candidates who have not acted look at one finished run; the two-core host gains nothing
from two simulations at once). After an action the new run is simulated in the background
under `runs_lock` only, so pages keep answering from the results already shown and the
next look finds the run ready (or waits for it, never simulating it twice)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from drills.judge.scoring import references as reference_runs
from drills.library.scenario import LoadedScenario
from drills.play.drill import Drill, MoveRecord
from drills.play.journal import Journal
from drills.play.panels import PANELS
from drills.play.sql import QueryResult
from drills.runs.service import Runs
from drills.usecases import open_session, play_move


class LiveDrills:
    def __init__(self, journal: Journal, runs: Runs) -> None:
        self.journal = journal
        self.runs = runs
        self.lock = threading.RLock()
        self.runs_lock = threading.RLock()
        self._drills: dict[str, Drill] = {}
        self._inflight: dict[str, threading.Event] = {}  # runs simulating in the background
        self._primed: set[str] = set()  # scenarios whose panels at the page have been run
        self._priming: set[str] = set()  # scenarios being warmed and primed in the background

    def get(self, session_id: str) -> Drill:
        with self.lock:
            if session_id not in self._drills:
                self._drills[session_id] = open_session(self.journal, session_id, self.runs)
            return self._drills[session_id]

    def play(self, session_id: str, move: dict[str, Any], time_box_min: float) -> MoveRecord:
        """Validate, play, journal (drills.usecases.play_move); a move that cannot be played
        changes nothing (MoveRefused)."""
        with self.lock:
            drill = self.get(session_id)
            record = play_move(drill, self.journal, session_id, move, time_box_min)
        if record.kind == "act":
            timeline = list(drill.timeline)
            self._in_background(lambda: self.warm(drill, timeline))
        return record

    def show(self, drill: Drill, record: MoveRecord) -> QueryResult | None:
        """What a look or query showed (computed once, then kept on the record); waits
        for its run if the background is simulating it, never simulating it twice."""
        if record.result is not None or record.error:
            return record.result
        pending = self._inflight.get(self.runs.key(drill.scenario, drill.timeline))
        if pending is not None:
            pending.wait()
        with self.runs_lock:
            return drill.show(record)

    def warm(self, drill: Drill, timeline: list[Any] | None = None, prime: bool = False) -> None:
        """Simulate a run of the drill's scenario (forked from the page, in worker
        processes) if not cached, or wait for the one simulating; with `prime`, then run
        every panel at the page. Other candidates' looks go on meanwhile: the run cache is
        only touched to hand the finished run over."""
        timeline = drill.timeline if timeline is None else timeline
        key = self.runs.key(drill.scenario, timeline)
        with self.lock:
            pending = self._inflight.get(key)
            ours = pending is None and self.runs.known(drill.scenario, timeline) is None
            if ours:
                done = self._inflight[key] = threading.Event()
        if pending is not None:
            pending.wait()
        if ours:
            try:
                self.runs.prefetch(drill.scenario, [timeline])
            finally:
                del self._inflight[key]
                done.set()
        if prime:
            self.prime(drill.scenario)

    def warm_scenario(self, scenario: LoadedScenario, references: bool = False) -> None:
        """A cohort not ready yet (new, or after a restart): its candidates look at the
        scenario's own run until they act, and every one of them opens the dashboard at the
        page. Started once per scenario, in the background. With `references` (a variant:
        one set of reference runs per candidate), then the no-fault and expert runs its
        scores compare against, so the cohort report does not simulate them all at once
        while the facilitator waits."""
        key = self.runs.key(scenario, scenario.timeline)
        with self.lock:
            if key in self._primed or key in self._priming:
                return
            self._priming.add(key)

        def job() -> None:
            try:
                self.warm(Drill(scenario, self.runs), scenario.timeline, prime=True)
            finally:
                self._priming.discard(key)
            if references:
                expert = reference_runs(scenario, scenario.directory, self.runs).expert
                self.runs.prefetch(scenario, [[], expert.timeline])

        self._in_background(job)

    def prime(self, scenario: LoadedScenario) -> None:
        """Every panel as it reads at the page, run once while the candidates join: a
        drill's first looks are then answered from the kept results (drills/runs/views.py)."""
        page = Drill(scenario, self.runs)
        for name, panel in PANELS.items():
            record = MoveRecord(0, "look", page.clock_min, page.now_s, name, sql=panel.sql)
            with self.runs_lock:
                page.show(record)
        self._primed.add(self.runs.key(scenario, scenario.timeline))

    def ready(self, scenario: LoadedScenario) -> bool:
        """Whether a cohort of this scenario can start: its run simulated, its panels at
        the page run (the facilitator's page says so before the links go out)."""
        return self.runs.key(scenario, scenario.timeline) in self._primed

    @staticmethod
    def _in_background(job: Callable[[], None]) -> None:
        threading.Thread(target=job, daemon=True).start()
