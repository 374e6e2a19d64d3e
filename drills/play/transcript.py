"""Transcript files: a recorded drill, checked as far as it can be without simulating."""

from __future__ import annotations

from pathlib import Path

import yaml

from drills.judge.alerts import check_rules
from drills.library.scenario import AlertRule, LoadedScenario, Transcript, load_model
from drills.play.actions import ActionError, parse_action
from drills.play.drill import Drill
from drills.play.panels import PANELS
from drills.runs.service import Runs
from simulator.errors import InputError
from simulator.spec.fileio import dotted, line_of


def _refused(
    path: Path, node: yaml.Node | None, field: tuple[object, ...], expected: str
) -> InputError:
    """The error for one field of a transcript: the file, the field's path and its line."""
    return InputError(str(path), dotted(field), expected, line_of(node, field))


def load_transcript(path: Path, scenario: LoadedScenario | None = None) -> Transcript:
    """A transcript, checked as far as it can be without simulating: every field, every
    panel, and (given its scenario) that it is that scenario's and that each action is
    valid on the fleet as it stands at that move."""
    transcript, node = load_model(path, Transcript)
    _check_order(transcript, path, node)
    for i, move in enumerate(transcript.moves):
        if move.act is not None:
            try:
                parse_action(move.act.action, move.act.args)
            except ActionError as exc:
                field = ("moves", i, "act", *exc.path.split("."))
                raise _refused(path, node, field, exc.expected) from None
        if move.look is not None and move.look not in PANELS:
            field = ("moves", i, "look")
            raise _refused(
                path, node, field, f"unknown panel {move.look!r}; expected one of {sorted(PANELS)}"
            )
        if move.conclude is not None and not move.conclude.cause.strip():
            field = ("moves", i, "conclude", "cause")
            raise _refused(path, node, field, "the cause, in your own words")
    check_rules(
        [
            (f"moves[{i}].conclude.prevention[{j}]", item)
            for i, move in enumerate(transcript.moves)
            if move.conclude is not None
            for j, item in enumerate(move.conclude.prevention)
            if isinstance(item, AlertRule)
        ],
        str(path),
    )
    if scenario is not None:
        _check_against(transcript, scenario, path, node)
    return transcript


def _check_order(transcript: Transcript, path: Path, node: yaml.Node | None) -> None:
    """Moves in the order a live session takes them: none after the conclusion (a session
    refuses them) and no clock minute before an earlier move's (a recording's minutes only
    go forward; one going back is a slip in the file, not a wait)."""
    last: tuple[int, float] | None = None
    for i, move in enumerate(transcript.moves):
        if i and transcript.moves[i - 1].conclude is not None:
            field: tuple[object, ...] = ("moves", i)
            raise _refused(
                path,
                node,
                field,
                f"no move after the conclusion (moves[{i - 1}] concludes the drill)",
            )
        if move.at_min is None:
            continue
        if last is not None and move.at_min < last[1]:
            field = ("moves", i, "at_min")
            raise _refused(
                path,
                node,
                field,
                f"a clock minute at or after moves[{last[0]}]'s ({last[1]:g}), not {move.at_min:g}",
            )
        last = (i, move.at_min)


def _check_against(
    transcript: Transcript, scenario: LoadedScenario, path: Path, node: yaml.Node | None
) -> None:
    if transcript.scenario != scenario.spec.id:
        raise _refused(
            path,
            node,
            ("scenario",),
            f"this transcript is for {transcript.scenario!r}, not {scenario.spec.id!r}",
        )
    box = scenario.time_box_min
    for i, move in enumerate(transcript.moves):  # as a live session refuses them
        if move.at_min is not None and move.at_min > box:
            box_field: tuple[object, ...] = ("moves", i, "at_min")
            raise _refused(
                path,
                node,
                box_field,
                f"a clock minute within the drill's time box (0 to {box:g}: the clock's limit "
                f"and the simulated window), not {move.at_min:g}",
            )
    drill = Drill(scenario, Runs(workers=0))  # moves are played, never shown: no run
    for i, move in enumerate(transcript.moves):
        if drill.concluded:
            break
        try:
            drill.play(move)
        except ActionError as exc:
            field = ("moves", i, "act", *exc.path.split("."))
            raise _refused(path, node, field, exc.expected) from None
