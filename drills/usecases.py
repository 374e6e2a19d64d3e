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
from drills.judge.lines import seen_conclusion
from drills.judge.referrals import referrals
from drills.judge.scoring import (
    Assessed,
    References,
    Score,
    assess,
    prefetch_scores,
    references,
    replay,
)
from drills.library.family import load_family, resolve_family
from drills.library.scenario import (
    AnswerKey,
    LoadedScenario,
    Move,
    Transcript,
    load_key,
    load_scenario,
)
from drills.library.scenario import resolve_scenario as resolve
from drills.play.actions import ACTIONS, ActionError, check_action, parse_action, preview
from drills.play.drill import Drill, MoveRecord, load_drill
from drills.play.journal import Journal
from drills.play.panels import PANELS
from drills.play.transcript import load_transcript
from drills.runs.service import Runs
from drills.team.drill import Posted, TeamDrill, TeamRefused
from drills.team.drill import replay as replay_team
from drills.team.judging import debrief_parts, drill_score, team_evidence
from drills.team.model import Entry as TeamEntry
from drills.team.model import TeamSpec, load_family_plan, load_plan, load_team_transcript
from drills.team.scoring import TeamScore
from drills.team.scoring import score_team as team_score
from drills.team.store import MemberRow, TeamRow, TeamStore
from reports.after_action import ReportInput, moves_of, report_data, write
from reports.team import team_report_data
from reports.team import write as write_team
from simulator.errors import InputError

__all__ = [
    "Assessed",
    "MoveRefused",
    "Preview",
    "Replayed",
    "TeamAssessed",
    "TeamMoveRefused",
    "drill_over",
    "finished_session",
    "new_team",
    "open_session",
    "open_team",
    "play_move",
    "play_team",
    "preview_move",
    "record",
    "replay_team_transcript",
    "replay_team_transcripts",
    "replay_transcript",
    "score_once",
    "score_session",
    "score_team",
    "second_reading",
    "stored_score",
    "team_target",
    "write_report",
    "write_team_report",
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


@dataclass
class Preview:
    """An action before it is confirmed: what it will do in the operator's words (never
    whether it would change a setting the incident changed) and whether it breaks policy."""

    action: str
    says: str
    unsafe: bool


def preview_move(drill: Drill, move: dict[str, Any], time_box_min: float | None = None) -> Preview:
    """The check `play_move` makes, without playing: a move the preview accepts, the
    confirm plays; one it refuses, the confirm refuses alike (MoveRefused)."""
    parsed = check_move(drill, move, time_box_min)
    if parsed.act is None:
        raise MoveRefused("act", "only an action is previewed")
    name, known = parsed.act.action, drill.known_fleet()
    try:
        # said of the fleet before the move, which the check then applies to `known`
        says = preview(name, parse_action(name, parsed.act.args), known)
        check_action(name, parsed.act.args, known, drill.scenario.fleet)
    except ActionError as exc:
        raise MoveRefused(f"act.{exc.path}", exc.expected) from None
    return Preview(name, says, ACTIONS[name].unsafe)


def play_move(
    drill: Drill,
    journal: Journal,
    session_id: str,
    move: dict[str, Any],
    time_box_min: float | None = None,
) -> MoveRecord:
    """Validate, play, journal: only a move that could be played is journaled, and a move
    that cannot be played changes nothing. A drill once scored takes no more moves: its
    report (the key) may have been read, at the time box or by an examiner ending it."""
    if journal.stored_score(session_id) is not None:
        raise MoveRefused("", "this drill has been scored; it takes no more moves", closed=True)
    parsed = check_move(drill, move, time_box_min)
    try:
        record = drill.play(parsed)
    except ActionError as exc:
        raise MoveRefused(f"act.{exc.path}", exc.expected) from None
    journal.append(session_id, parsed.model_dump(exclude_none=True))
    return record


def drill_over(journal: Journal, session_id: str, drill: Drill) -> bool:
    """Whether a session's drill is over: concluded, at its time box, or scored as finished
    (the console scores a drill when its facilitator ends it)."""
    if drill.concluded or drill.clock_min >= drill.scenario.time_box_min:
        return True
    return journal.stored_score(session_id) is not None


def finished_session(
    journal: Journal, session_id: str, runs: Runs, end: bool = False
) -> tuple[Drill, list[str]]:
    """A journaled drill that is over (or that its examiner ends as it stands: `end`), with
    its integrity problems. One still being played is refused: what is written of a session
    after it (its report holds the answer key, its export every table at once) would tell
    the trainee, at no clock, what the drill makes them spend minutes to find."""
    drill, problems = load_drill(journal, session_id, runs)
    if not end and not drill_over(journal, session_id, drill):
        raise InputError(
            session_id,
            "",
            f"a drill that is over; this one is still being played (minute "
            f"{drill.clock_min:.1f} of {drill.scenario.time_box_min:g}): the trainee "
            f"concludes it, or an examiner ends it as it stands (`speechdrill drill report "
            f"{session_id} --end`: no more moves after)",
        )
    return drill, problems


def score_session(
    journal: Journal, session_id: str, runs: Runs, refs: References | None = None, end: bool = False
) -> tuple[Assessed, list[str]]:
    """A journaled session that is over (or ended now: `end`), scored, with its integrity
    problems (the caller decides whether a tampered journal may be reported). A sound
    journal's score is stored with its head, as `score_once` stores it (a console reads it
    back), and the drill takes no more moves (`play_move`)."""
    head = journal.head(session_id)
    drill, problems = finished_session(journal, session_id, runs, end)
    assessed = assess(drill, refs)
    if not problems and head[0] == len(drill.moves):
        journal.store_score(session_id, head, assessed.score.to_json())
    return assessed, problems


def score_once(
    journal: Journal,
    session_id: str,
    drill: Drill,
    trainee: str,
    refs: References | None = None,
    key: AnswerKey | None = None,
    root: Path | None = None,
) -> Score:
    """A finished session's score, computed once: read back when the journal holds one
    for its entries as they stand, else scored now (from the drill as played: what each
    move showed is kept on it), stored with the journal's head and recorded in the
    trainee's history. A report reads it back instead of scoring again."""
    stored = journal.stored_score(session_id)
    if stored is not None:
        return Score.from_json(stored)
    head = journal.head(session_id)
    assessed = assess(drill, refs, key)
    if head[0] == len(drill.moves) and journal.store_score(
        session_id, head, assessed.score.to_json()
    ):
        record(assessed, session_id, trainee, root)
    return assessed.score


def stored_score(journal: Journal, session_id: str) -> Score | None:
    """A session's score if it has been scored for its journal as it stands."""
    stored = journal.stored_score(session_id)
    return Score.from_json(stored) if stored is not None else None


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


def second_reading(drill: Drill, key: AnswerKey) -> list[dict[str, Any]]:
    """The verdicts on a drill's conclusion that the rules and the second reader read
    differently, for the examiner (drills/judge/referrals.py); the score is untouched."""
    seen = seen_conclusion(drill)
    return referrals(key, seen.conclusion if seen else None)


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
    data["referrals"] = second_reading(drill, key)
    if integrity:
        data["integrity"] = list(integrity)
    return write(data, out, tuple(formats)), debrief


# --- team drills (drills/team/: one incident, a team with roles, the channel) ----------


class TeamMoveRefused(Exception):
    """An entry a team drill cannot take: nothing played, nothing journaled. `where` is the
    field at fault ('' for the drill itself: ended, out of time, not the member's role)."""

    def __init__(self, where: str, why: str, closed: bool = False) -> None:
        super().__init__(f"{where}: {why}" if where else why)
        self.where = where
        self.why = why
        self.closed = closed


def new_team(
    store: TeamStore, spec: TeamSpec, family_session: str | None = None
) -> tuple[TeamRow, list[MemberRow]]:
    """A team drill created: its scenario and team plan read (InputError if either is
    bad), one join token per member. With `family_session`, `spec.scenario` is a symptom
    family: its team plan is read, and the team takes the next place of that team session
    (drills/team/store.py); the front end draws its member (`TeamStore.drawn`)."""
    if family_session is None:
        load_plan(load_scenario(resolve(spec.scenario)))
    else:
        load_family_plan(load_family(resolve_family(spec.scenario)))
    return store.create(spec, family_session)


def team_target(store: TeamStore, team_id: str) -> str | None:
    """What a team drill plays: its scenario, or its drawn member's folder (None while a
    family team's member is still being drawn)."""
    row, draw = store.team(team_id), store.draw(team_id)
    if row is None:
        raise TeamMoveRefused("", "no such team drill", closed=True)
    if draw is None:
        return row.spec.scenario
    return draw.folder or None


def open_team(store: TeamStore, team_id: str, runs: Runs, live: bool = False) -> TeamDrill:
    """A journaled team drill rebuilt entry by entry; a log that fails its check is refused."""
    target = team_target(store, team_id)
    row = store.team(team_id)
    if target is None or row is None:
        raise TeamMoveRefused("", "the team's incident is still being drawn")
    scenario = load_scenario(resolve(target))
    entries, problems = store.entries(team_id)
    team, refused = replay_team(row.spec, scenario, load_plan(scenario), entries, runs, live)
    problems += [f"entry {seq} cannot be replayed: {where}: {why}" for seq, where, why in refused]
    if problems:
        raise TeamMoveRefused(
            "", "the team's log fails its integrity check: " + "; ".join(problems), closed=True
        )
    return team


def play_team(
    team: TeamDrill, store: TeamStore, team_id: str, entry: dict[str, Any]
) -> MoveRecord | Posted | None:
    """Validate, play, journal a team entry (a member's move or post, the facilitator's
    inject or end): only an entry that could be played is journaled."""
    try:
        parsed = TeamEntry.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise TeamMoveRefused(".".join(str(p) for p in first["loc"]), first["msg"]) from None
    try:
        result = team.apply(parsed)
    except TeamRefused as exc:
        raise TeamMoveRefused(exc.where, exc.why, exc.closed) from None
    store.append(team_id, parsed.model_dump(mode="json", exclude_none=True))
    return result


@dataclass
class TeamAssessed:
    """A team drill scored: its combined drill's individual score and the team's."""

    team: TeamDrill
    assessed: Assessed
    score: TeamScore


def score_team(team: TeamDrill, refs: References | None = None) -> TeamAssessed:
    assessed = drill_score(team.drill, refs, None)
    return TeamAssessed(
        team, assessed, team_score(team, assessed, team_evidence(team.drill, assessed.key))
    )


def replay_team_transcript(path: Path, runs: Runs) -> TeamAssessed:
    """A recorded team drill (drills/team/model.py: TeamTranscript) replayed and scored; an
    entry that cannot be played is bad input naming its place in the file."""
    return score_team(_replayed_team(path, runs))


def replay_team_transcripts(paths: Sequence[Path], runs: Runs) -> list[TeamAssessed]:
    """Several recorded team drills replayed and scored, as `replay_team_transcript` each:
    the runs of those on one incident are simulated together, as one batch (actions they
    share, simulated once: drills/runs/tree.py), before any of them is scored."""
    teams = [_replayed_team(path, runs) for path in paths]
    shared: dict[Path, References] = {}
    for team in teams:
        scenario = team.drill.scenario
        if scenario.directory not in shared:
            shared[scenario.directory] = references(scenario, scenario.directory, runs)
    for directory, refs in shared.items():
        key = load_key(directory / "key.yaml", refs.scenario)
        drills = [t.drill for t in teams if t.drill.scenario.directory == directory]
        prefetch_scores(drills, key, refs)
    return [score_team(team, shared[team.drill.scenario.directory]) for team in teams]


def _replayed_team(path: Path, runs: Runs) -> TeamDrill:
    transcript = load_team_transcript(path)
    scenario = load_scenario(resolve(transcript.team.scenario))
    plan = load_plan(scenario)
    team, refused = replay_team(transcript.team, scenario, plan, transcript.entries, runs)
    if refused:
        seq, where, why = refused[0]
        raise InputError(str(path), f"entries[{seq}]" + (f".{where}" if where else ""), why)
    return team


def write_team_report(
    scored: TeamAssessed,
    out: Path,
    formats: Sequence[str] = ("html", "json", "md"),
    counterfactuals: bool = True,
) -> tuple[list[Path], dict[str, Any]]:
    """The team's after-action report: the score credited, the channel as a timeline
    beside the key signal, the debrief of the team's decisions."""
    curves, debrief = debrief_parts(scored.assessed, counterfactuals)
    data = team_report_data(scored.team, scored.score, scored.assessed, curves, debrief)
    return write_team(data, out, tuple(formats)), data
