"""Which of the trainee's moves fixed a fault: judged by what the move did to the fleet
and to users, never by how it was spelt.

- A move fixes a fault when, after it, the fleet is as one of the key's fixes would have
  made it (fleets compared as they behave, `fleet_has`), alone or as the last of several
  steps.
- A move that changes the part of the fleet a key fix changes, in another way, fixes the
  fault when it does for users what the key's fix would have done in its place: re-simulated
  from that minute, it leaves no more of the fault's signal, no more SLO burn and no more
  spend (a retry cap that ends a retry storm where the key restores the retry budget). A
  move elsewhere is never a fix by outcome: scaling up, rerouting or restarting around a
  fault is judged as what it is (drills/judge/harm.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel

from drills.judge.measures import evaluation_window, impact, slo_burn, spend
from drills.judge.reference_runs import References
from drills.library.scenario import AnswerKey, KeyFault, MoveMatch
from drills.play.actions import ActionError, action_changes
from drills.play.drill import Drill, MoveRecord
from simulator.spec.fleet import Fleet
from simulator.spec.timeline import (
    Announcement,
    PathError,
    TimelineEvent,
    get_path,
    with_changes,
)

# by outcome: as good as the key's fix in its place, within these margins
OUTCOME_INCIDENT, OUTCOME_SLO, OUTCOME_SPEND = 0.1, 0.01, 0.03


class Fix(NamedTuple):
    """A fixing move and the key move it did the work of."""

    move: MoveRecord
    wanted: MoveMatch
    by_outcome: bool = False  # the same outcome in re-simulation, not the same fleet


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
    """The fleet just before a move: the scenario's changes so far and earlier actions.
    It shares what they left alone with the scenario's fleet (`with_changes`): read it,
    or change it with `with_changes`, never in place."""
    fleet = drill.scenario.fleet
    earlier = [
        (m.sim_time_s, m.changes) for m in drill.moves if m.kind == "act" and m.index < record.index
    ]
    events = [(e.at_s, e.set) for e in drill.scenario.timeline if e.at_s <= record.sim_time_s]
    for _, changes in sorted(events + earlier, key=lambda e: e[0]):
        fleet = with_changes(fleet, changes)
    return fleet


def fleet_after(drill: Drill, record: MoveRecord) -> Fleet:
    """The fleet just after a move (shared as `fleet_before`'s is)."""
    return with_changes(fleet_before(drill, record), record.changes)


def fleet_has(fleet: Fleet, changes: dict[str, Any]) -> bool:
    """Whether the fleet already is as these changes would make it, judged on each changed
    field's owner as it behaves (a cohort with its rate written back is a cohort with no
    mislabel), not field by field."""
    try:
        target = with_changes(fleet, changes)
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


ROUTE = re.compile(r"^routes\.(\d+)(?=\.|$)")


def rebased(change: dict[str, Any], source: Fleet, fleet: Fleet) -> dict[str, Any] | None:
    """A change worked out on `source`, for `fleet`: a route is the rule of that name,
    wherever rules added before it have moved it (a reroute puts its rule first, which
    pauses no canary); None where `fleet` has no such rule."""
    out: dict[str, Any] = {}
    for path, value in change.items():
        found = ROUTE.match(path)
        if found and int(found.group(1)) < len(source.routes):
            name = source.routes[int(found.group(1))].name
            if name is not None:
                at = next((i for i, r in enumerate(fleet.routes) if r.name == name), None)
                if at is None:
                    return None
                path = f"routes.{at}" + path[found.end() :]
        out[path] = value
    return out


def does(drill: Drill, record: MoveRecord, wanted: MoveMatch) -> bool:
    """Does this move complete the key move's effect on the fleet (alone or as the last of
    several steps), or spell it as the key does?"""
    if record.kind != "act":
        return False
    if matches(record, wanted):
        return True
    reference = reference_fleet(drill)
    change = key_effect(wanted, reference, drill.scenario.fleet)
    if not change:
        return False
    before, after = fleet_before(drill, record), fleet_after(drill, record)
    then, now = rebased(change, reference, before), rebased(change, reference, after)
    return now is not None and fleet_has(after, now) and not (then and fleet_has(before, then))


def fault_fix(drill: Drill, fault: KeyFault) -> Fix | None:
    """The first move that fixes this fault the way one of its key moves would."""
    for move in drill.moves:
        for wanted in fault.mitigations:
            if does(drill, move, wanted):
                return Fix(move, wanted)
    return None


def fixes(drill: Drill, key: AnswerKey) -> list[Fix | None]:
    """Each fault's fix (None where the trainee never fixed it), in the key's order."""
    return [fault_fix(drill, fault) for fault in key.faults()]


@dataclass(frozen=True)
class Trial:
    """A move that may fix a fault by outcome: the run with it, and the run with the key's
    fix in its place instead."""

    fault: int  # index in key.faults()
    move: MoveRecord
    wanted: MoveMatch
    mine: list[TimelineEvent]
    theirs: list[TimelineEvent]


def in_scope(path: str, scope: set[str]) -> bool:
    return any(path == o or path.startswith((o + ".", o + "[")) for o in scope)


def as_action(wanted: MoveMatch, at_s: float, change: dict[str, Any]) -> TimelineEvent:
    """The key move played as an action at `at_s` (announced as a drill announces it, so
    that the run is the expert's own where the expert played it then)."""
    text = f"{wanted.action} {json.dumps(wanted.args, sort_keys=True)}"
    announce = Announcement(type="action", target=wanted.action, detail=text)
    return TimelineEvent(at_s=at_s, set=change, announce=announce)


def trials(drill: Drill, key: AnswerKey, done: list[Fix | None]) -> list[Trial]:
    """For each fault no move fixed as the key's fixes do: every action that changed only
    the part of the fleet one of its key fixes changes (known before any simulation)."""
    out: list[Trial] = []
    acts = [m for m in drill.moves if m.kind == "act" and m.event is not None]
    for index, (fault, fix) in enumerate(zip(key.faults(), done, strict=True)):
        if fix is not None:
            continue
        for move in (m for m in acts if m.changes and m.event is not None):
            before = fleet_before(drill, move)
            for wanted in fault.mitigations:
                change = key_effect(wanted, before, drill.scenario.fleet)
                scope = {owner(p) for p in change}
                if not change or not all(in_scope(p, scope) for p in move.changes):
                    continue
                earlier = [m.event for m in acts if m.index < move.index and m.event]
                base = [*drill.scenario.timeline, *earlier]
                instead = as_action(wanted, move.sim_time_s, change)
                mine = [*base, *([move.event] if move.event else [])]
                out.append(Trial(index, move, wanted, mine, [*base, instead]))
    return out


def by_outcome(
    drill: Drill, key: AnswerKey, refs: References, done: list[Fix | None], tried: list[Trial]
) -> list[Fix | None]:
    """The faults left unfixed, fixed by the first trial move whose outcome, re-simulated
    from its minute on, is as good for users and no dearer than the key's fix in its place."""
    out = list(done)
    faults = key.faults()
    end = evaluation_window(drill.scenario)[1]
    for trial in tried:
        if out[trial.fault] is not None or trial.move.sim_time_s >= end:
            continue
        only = faults[trial.fault].signals if len(faults) > 1 else None
        window = (trial.move.sim_time_s, end)
        mine = drill.runs.get(drill.scenario, trial.mine)
        theirs = drill.runs.get(drill.scenario, trial.theirs)
        scenario = drill.scenario
        if (
            impact(mine, refs, key, window, only)
            <= impact(theirs, refs, key, window, only) + OUTCOME_INCIDENT
            and slo_burn(scenario, mine, window) <= slo_burn(scenario, theirs, window) + OUTCOME_SLO
            and spend(mine, window) <= spend(theirs, window) * (1 + OUTCOME_SPEND)
        ):
            out[trial.fault] = Fix(trial.move, trial.wanted, by_outcome=True)
    return out


def judged_fixes(drill: Drill, key: AnswerKey, refs: References) -> list[Fix | None]:
    """Each fault's fix, by the fleet or by outcome (simulating what a trial needs)."""
    done = fixes(drill, key)
    tried = trials(drill, key, done)
    if tried:
        drill.runs.prefetch(
            drill.scenario, [t for trial in tried for t in (trial.mine, trial.theirs)]
        )
    return by_outcome(drill, key, refs, done, tried)


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


def fix_moves(drill: Drill, key: AnswerKey, refs: References | None = None) -> set[int]:
    """The indices of the trainee's moves that fixed a fault (by outcome too, given the
    reference runs)."""
    return fixing_moves(judged_fixes(drill, key, refs) if refs else fixes(drill, key))
