"""Which of the trainee's moves fixed a fault: judged by what the move did to the fleet,
never by how it was spelt. A move fixes a fault when, after it, the fleet is as one of the
key's fixes would have made it (fleets compared as they behave, `fleet_has`), alone or
as the last of several steps."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from drills.judge.reference_runs import References
from drills.library.scenario import AnswerKey, KeyFault, MoveMatch
from drills.play.actions import ActionError, action_changes
from drills.play.drill import Drill, MoveRecord
from simulator.spec.fleet import Fleet
from simulator.spec.timeline import PathError, get_path, set_path

Fix = tuple[MoveRecord, MoveMatch]  # a fixing move and the key move it did the work of


def matches(record: MoveRecord, wanted: MoveMatch) -> bool:
    """A move spelt as the key spells it (action and the arguments the key gives)."""
    if record.action is None or record.action.action != wanted.action:
        return False
    return all(record.action.args.get(k) == v for k, v in wanted.args.items())


def _plain(value: Any) -> Any:
    """A fleet value as compared: models as they behave (`comparable`) or as data."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if not isinstance(value, BaseModel):
        return value
    comparable = getattr(value, "comparable", None)
    return comparable() if callable(comparable) else value.model_dump()


def fleet_before(drill: Drill, record: MoveRecord) -> Fleet:
    """The fleet just before a move: the scenario's changes so far and earlier actions."""
    fleet = copy.deepcopy(drill.scenario.fleet)
    earlier = [
        (m.sim_time_s, m.changes) for m in drill.moves if m.kind == "act" and m.index < record.index
    ]
    events = [(e.at_s, e.set) for e in drill.scenario.timeline if e.at_s <= record.sim_time_s]
    for _, changes in sorted(events + earlier, key=lambda e: e[0]):
        for path, value in changes.items():
            set_path(fleet, path, value)
    return fleet


def fleet_after(drill: Drill, record: MoveRecord) -> Fleet:
    """The fleet just after a move."""
    after = fleet_before(drill, record)
    for path, value in record.changes.items():
        set_path(after, path, value)
    return after


def fleet_has(fleet: Fleet, changes: dict[str, Any]) -> bool:
    """Whether the fleet already is as these changes would make it, judged on each changed
    field's owner as it behaves (a cohort with its rate written back is a cohort with no
    mislabel), not field by field."""
    try:
        target = copy.deepcopy(fleet)
        for path, value in changes.items():
            set_path(target, path, value)
        owners = {owner(path) for path in changes}
        return all(_plain(get_path(fleet, o)) == _plain(get_path(target, o)) for o in owners)
    except (PathError, ValueError):
        return False


def owner(path: str) -> str:
    """The part of the fleet a changed field belongs to (`retries`, `pools.tts-cpu`)."""
    return path.rsplit(".", 1)[0] if "." in path else path


def key_effect(wanted: MoveMatch, fleet: Fleet, base: Fleet) -> dict[str, Any]:
    """The fleet changes a key move would make on this fleet ({} if it names no complete
    change, e.g. a harmful `set` without its value)."""
    try:
        return action_changes(wanted.action, wanted.args, fleet, base)
    except (ActionError, PathError, ValueError):
        return {}


def reference_fleet(drill: Drill) -> Fleet:
    """The fleet the trainee started acting on (the scenario's changes up to their first
    action): where a key move's effect is worked out."""
    first_act = next(m for m in drill.moves if m.kind == "act")
    return fleet_before(drill, first_act)


def does(drill: Drill, record: MoveRecord, wanted: MoveMatch) -> bool:
    """Does this move complete the key move's effect on the fleet (alone or as the last of
    several steps), or spell it as the key does?"""
    if record.kind != "act":
        return False
    if matches(record, wanted):
        return True
    change = key_effect(wanted, reference_fleet(drill), drill.scenario.fleet)
    if not change:
        return False
    before = fleet_before(drill, record)
    return fleet_has(fleet_after(drill, record), change) and not fleet_has(before, change)


def fault_fix(drill: Drill, fault: KeyFault) -> Fix | None:
    """The first move that fixes this fault the way one of its key moves would."""
    for move in drill.moves:
        for wanted in fault.mitigations:
            if does(drill, move, wanted):
                return move, wanted
    return None


def fixes(drill: Drill, key: AnswerKey) -> list[Fix | None]:
    """Each fault's fix (None where the trainee never fixed it), in the key's order."""
    return [fault_fix(drill, fault) for fault in key.faults()]


def expert_fixes(refs: References, key: AnswerKey) -> list[Fix | None]:
    """Each fault's fix on the expert's path (found once: every score compares)."""
    return refs.remember(("fixes", key.model_dump_json()), lambda: fixes(refs.expert, key))


def earliest(done: list[Fix | None]) -> Fix | None:
    """The first of these fixes, whichever fault it fixed."""
    made = [fix for fix in done if fix is not None]
    return min(made, key=lambda fix: fix[0].index) if made else None


def first_mitigation(drill: Drill, key: AnswerKey) -> Fix | None:
    """The trainee's first fixing move, whichever fault it fixed."""
    return earliest(fixes(drill, key))


def fixed_at(key: AnswerKey, done: list[Fix | None]) -> dict[str, int]:
    """The move that fixed each signal's fault, by signal (a signal read later is late)."""
    return {
        signal: fix[0].index
        for fault, fix in zip(key.faults(), done, strict=True)
        if fix is not None
        for signal in fault.signals
    }


def fixing_moves(done: list[Fix | None]) -> set[int]:
    return {fix[0].index for fix in done if fix is not None}


def fix_moves(drill: Drill, key: AnswerKey) -> set[int]:
    """The indices of the trainee's moves that fixed a fault."""
    return fixing_moves(fixes(drill, key))
