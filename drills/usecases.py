"""The use cases, written once: play a move, score a session or a recorded transcript,
record it in the trainee's history, write its after-action report. Every front end (the
command line, the console, the benchmarks) calls these and only parses and renders around
them; the runs come from the `Runs` object the front end holds (drills/runs/).

This layer sits above `reports` (it writes reports) and below the front ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from drills.judge.debrief import report_parts
from drills.judge.history import record_drill
from drills.judge.scoring import Assessed, References, assess, references, replay
from drills.library.scenario import LoadedScenario, Move, Transcript, load_scenario
from drills.library.scenario import resolve_scenario as resolve
from drills.play.actions import ActionError
from drills.play.drill import Drill, MoveRecord, load_drill
from drills.play.journal import Journal
from drills.play.panels import PANELS
from drills.play.transcript import load_transcript
from drills.runs.service import Runs
from reports.after_action import ReportInput, moves_of, report_data, write

__all__ = [
    "Assessed",
    "MoveRefused",
    "Replayed",
    "open_session",
    "play_move",
    "record",
    "replay_transcript",
    "score_session",
    "write_report",
]


class MoveRefused(Exception):
    """A move that cannot be played: nothing was played and nothing journaled. `where` is
    the field at fault ('' for the drill itself: concluded, out of time, tampered)."""

    def __init__(self, where: str, why: str, closed: bool = False) -> None:
        super().__init__(f"{where}: {why}" if where else why)
        self.where = where
        self.why = why
        self.closed = closed  # the drill takes no more moves


def open_session(journal: Journal, session_id: str, runs: Runs, live: bool = False) -> Drill:
    """A journaled drill rebuilt move by move; a journal that fails its check is refused."""
    drill, problems = load_drill(journal, session_id, runs, live)
    if problems:
        raise MoveRefused(
            "", "the journal fails its integrity check: " + "; ".join(problems), closed=True
        )
    return drill


def check_move(drill: Drill, move: dict[str, Any], time_box_min: float | None = None) -> Move:
    """The move parsed and allowed as the drill stands (before anything is played)."""
    if drill.concluded:
        raise MoveRefused("", "this drill is concluded", closed=True)
    limit = drill.scenario.time_box_min if time_box_min is None else time_box_min
    if drill.clock_min >= limit and "conclude" not in move:
        raise MoveRefused("", f"the time box ({limit:g} minutes) is over", closed=True)
    try:
        parsed = Move.model_validate(move)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise MoveRefused(".".join(str(p) for p in first["loc"]), first["msg"]) from None
    if parsed.look is not None and parsed.look not in PANELS:
        raise MoveRefused("look", f"unknown panel {parsed.look!r}; panels: {sorted(PANELS)}")
    return parsed


def play_move(
    drill: Drill,
    journal: Journal,
    session_id: str,
    move: dict[str, Any],
    time_box_min: float | None = None,
) -> MoveRecord:
    """Validate, play, journal: only a move that could be played is journaled, and a move
    that cannot be played changes nothing."""
    parsed = check_move(drill, move, time_box_min)
    try:
        record = drill.play(parsed)
    except ActionError as exc:
        raise MoveRefused(f"act.{exc.path}", exc.expected) from None
    journal.append(session_id, parsed.model_dump(exclude_none=True))
    return record


def score_session(
    journal: Journal, session_id: str, runs: Runs, refs: References | None = None
) -> tuple[Assessed, list[str]]:
    """A journaled session scored, with its integrity problems (the caller decides whether
    a tampered journal may be reported)."""
    drill, problems = load_drill(journal, session_id, runs)
    return assess(drill, refs), problems


@dataclass
class Replayed:
    scenario: LoadedScenario
    transcript: Transcript
    path: Path
    assessed: Assessed


def replay_transcript(scenario_id: str, transcript: Path, runs: Runs) -> Replayed:
    """A recorded transcript (a file, or the name of one of the scenario's own) replayed
    against the scenario and scored, headlessly."""
    scenario_path = resolve(scenario_id)
    scenario = load_scenario(scenario_path)
    if not transcript.is_file():
        own = scenario_path.parent / "transcripts" / f"{transcript}.yaml"
        transcript = own if own.is_file() else transcript
    recorded = load_transcript(transcript, scenario)
    refs = references(scenario, scenario.directory, runs)
    return Replayed(scenario, recorded, transcript, assess(replay(scenario, recorded, runs), refs))


def record(assessed: Assessed, session_id: str, trainee: str, root: Path | None = None) -> None:
    """A scored session joins the trainee's history."""
    scenario = assessed.drill.scenario.spec.id
    record_drill(session_id, trainee, scenario, assessed.score, root)


def write_report(
    assessed: Assessed,
    trainee: str,
    out: Path,
    formats: Sequence[str] = ("html", "json", "md"),
    integrity: Sequence[str] = (),
    counterfactuals: bool = True,
) -> tuple[list[Path], dict[str, Any]]:
    """The after-action report (with its debrief) in each format; the files and the debrief."""
    drill, key, refs, result = assessed.drill, assessed.key, assessed.refs, assessed.score
    curves, debrief = report_parts(drill, key, refs, result, counterfactuals)
    view = ReportInput(
        drill.scenario,
        key,
        result,
        moves_of(drill.moves),
        moves_of(refs.expert.moves),
        curves,
        debrief,
        trainee,
    )
    data = report_data(view)
    if integrity:
        data["integrity"] = list(integrity)
    return write(data, out, tuple(formats)), debrief
