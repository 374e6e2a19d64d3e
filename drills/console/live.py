"""The candidates' drills, held in memory and answered from there; each move is journaled
before its result shows, and a restarted server resumes every drill from its journal.

No lock is shared between candidates across a simulation, a query or a score. A move is
played under its own drill's lock only (a drill's state); a look or query runs in a SQL
sandbox process and a re-simulation in the simulation host (or on a Dask cluster), each
queued fairly by candidate (drills/runs/): a candidate whose queries run into the time
limit, or who acts in a burst, waits behind the others, never in front of them. After an
action the new run is queued at once in the background, so the next look finds it ready
(or waits for it, never simulating it twice).

A finished drill (concluded, out of time, or ended by the facilitator) is scored once, in
the background and one at a time (`Scorer`), and its score stored with the journal
(drills/usecases.py `score_once`): the cohort report reads stored scores, and reloading it
costs nothing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drills.judge.scoring import References, Score
from drills.judge.scoring import references as reference_runs
from drills.library.scenario import AnswerKey, LoadedScenario
from drills.play.drill import Drill, MoveRecord
from drills.play.journal import Journal
from drills.play.panels import PANELS
from drills.play.sql import QueryResult
from drills.runs.fair import FairQueue, QueueClosed
from drills.runs.service import Runs
from drills.usecases import (
    open_session,
    play_move,
    score_once,
    second_reading,
    stored_score,
)

LOG = logging.getLogger("speechdrill.console")
REFERENCES = "references"  # the owner of the runs every score of a scenario compares against
PRIME = "prime"  # the owner of the panels run at the page while a cohort joins


class LiveDrills:
    def __init__(self, journal: Journal, runs: Runs) -> None:
        self.journal = journal
        self.runs = runs
        self.lock = threading.Lock()  # the table of drills below, never held across work
        self._drills: dict[str, Drill] = {}
        self._locks: dict[str, threading.Lock] = {}  # each drill's own
        self._primed: set[str] = set()  # scenarios whose panels at the page have been run
        self._priming: set[str] = set()  # scenarios being warmed and primed in the background

    def get(self, session_id: str) -> Drill:
        with self.lock:
            found = self._drills.get(session_id)
        if found is not None:
            return found
        with self.lock_of(session_id):  # opened once, by whoever comes first
            with self.lock:
                found = self._drills.get(session_id)
            if found is None:
                found = open_session(self.journal, session_id, self.runs.owned_by(session_id))
                with self.lock:
                    self._drills[session_id] = found
            return found

    def lock_of(self, session_id: str) -> threading.Lock:
        with self.lock:
            return self._locks.setdefault(session_id, threading.Lock())

    def play(self, session_id: str, move: dict[str, Any], time_box_min: float) -> MoveRecord:
        """Validate, play, journal (drills.usecases.play_move); a move that cannot be played
        changes nothing (MoveRefused)."""
        drill = self.get(session_id)
        with self.lock_of(session_id):
            record = play_move(drill, self.journal, session_id, move, time_box_min)
            timeline = list(drill.timeline)
        if record.kind == "act":
            self._in_background(lambda: self.warm(drill, timeline))
        return record

    def show(self, drill: Drill, record: MoveRecord) -> QueryResult | None:
        """What a look or query showed (computed once, then kept on the record); waits for
        its run if it is being simulated, never simulating it twice."""
        if record.result is not None or record.error:
            return record.result
        return drill.show(record)

    def warm(self, drill: Drill, timeline: list[Any] | None = None, prime: bool = False) -> None:
        """Simulate a run of the drill's scenario if it is not cached (queued under the
        drill's owner), or wait for the one simulating; with `prime`, then run every
        panel at the page."""
        timeline = drill.timeline if timeline is None else timeline
        drill.runs.prefetch(drill.scenario, [timeline])
        if prime:
            self.prime(drill.scenario)

    def warm_scenario(self, scenario: LoadedScenario, references: bool = False) -> None:
        """A cohort not ready yet (new, or after a restart): its candidates look at the
        scenario's own run until they act, and every one of them opens the dashboard at the
        page. Started once per scenario, in the background. With `references` (a variant:
        one set of reference runs per candidate), then the no-fault and expert runs its
        scores compare against, so that scoring its drills does not wait for them."""
        key = self.runs.key(scenario, scenario.timeline)
        with self.lock:
            if key in self._primed or key in self._priming:
                return
            self._priming.add(key)

        def job() -> None:
            try:
                self.warm(Drill(scenario, self.runs.owned_by(PRIME)), scenario.timeline, True)
            finally:
                self._priming.discard(key)
            if references:
                runs = self.runs.owned_by(REFERENCES)
                expert = reference_runs(scenario, scenario.directory, runs).expert
                runs.prefetch(scenario, [[], expert.timeline])

        self._in_background(job)

    def prime(self, scenario: LoadedScenario) -> None:
        """Every panel as it reads at the page, run once while the candidates join: a
        drill's first looks are then answered from the kept results (drills/runs/views.py)."""
        page = Drill(scenario, self.runs.owned_by(PRIME))
        for name, panel in PANELS.items():
            page.show(MoveRecord(0, "look", page.clock_min, page.now_s, name, sql=panel.sql))
        with self.lock:
            self._primed.add(self.runs.key(scenario, scenario.timeline))

    def ready(self, scenario: LoadedScenario) -> bool:
        """Whether a cohort of this scenario can start: its run simulated, its panels at
        the page run (the facilitator's page says so before the links go out)."""
        with self.lock:
            return self.runs.key(scenario, scenario.timeline) in self._primed

    @staticmethod
    def _in_background(job: Callable[[], None]) -> None:
        threading.Thread(target=_quietly, args=(job,), daemon=True).start()


def _quietly(job: Callable[[], None]) -> None:
    """A background job: a failure is one line in the log, never a traceback (the page
    that needed the work does it again, or says why); none at all while shutting down."""
    try:
        job()
    except QueueClosed:
        pass
    except Exception as exc:
        LOG.warning("background work failed: %s: %s", type(exc).__name__, exc)


class Scorer:
    """Finished drills scored once each, in the background, one at a time (a score's
    re-simulations are queued like any other runs), and stored with the journal."""

    def __init__(
        self, drills: LiveDrills, key: Callable[[LoadedScenario], AnswerKey], root: Path
    ) -> None:
        self.drills, self.key, self.root = drills, key, root
        self._queue: FairQueue[Score] = FairQueue(1, name="scores")
        self._refs: dict[Path, References] = {}  # by scenario (or variant) folder
        self._second: dict[str, list[dict[str, Any]]] = {}  # by session: read once
        self._lock = threading.Lock()

    def close(self) -> None:
        self._queue.close()

    def stored(self, session_id: str) -> Score | None:
        return stored_score(self.drills.journal, session_id)

    def request(self, session_id: str, trainee: str) -> None:
        """Score a finished drill unless it is stored or already queued."""
        if self.stored(session_id) is None:
            self._queue.submit("", session_id, lambda: self._score(session_id, trainee))

    def wait(self, session_id: str, trainee: str) -> Score:
        """The drill's score, waiting for it to be scored (tests, the command line)."""
        found = self.stored(session_id)
        if found is not None:
            return found
        job = self._queue.submit("", session_id, lambda: self._score(session_id, trainee))
        return job.result()

    def second_reading(self, session_id: str, drill: Drill, key: AnswerKey) -> list[dict[str, Any]]:
        """Where the second reader disagrees with a finished drill's score (`usecases.
        second_reading`): read when an examiner first opens the report (a few forward
        passes of a small model, about a second), then kept."""
        with self._lock:
            found = self._second.get(session_id)
        if found is None:
            found = second_reading(drill, key)
            with self._lock:
                found = self._second.setdefault(session_id, found)
        return found

    def references(self, scenario: LoadedScenario) -> References:
        """The reference runs of a scenario (or variant): the expert path replayed (no
        simulation until a score reads them), shared by its candidates."""
        with self._lock:
            found = self._refs.get(scenario.directory)
        if found is None:
            runs = self.drills.runs.owned_by(REFERENCES)
            found = reference_runs(scenario, scenario.directory, runs)
            with self._lock:
                found = self._refs.setdefault(scenario.directory, found)
        return found

    def _score(self, session_id: str, trainee: str) -> Score:
        drill = self.drills.get(session_id)
        refs = self.references(drill.scenario)
        journal = self.drills.journal
        key = self.key(drill.scenario)
        return score_once(journal, session_id, drill, trainee, refs, key, self.root)
