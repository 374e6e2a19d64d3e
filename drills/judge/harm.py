"""Penalties: unsafe moves, harmful moves the key lists (however split into steps), and
harm by effect, whether or not the key lists it: the trainee's moves other than the fix,
re-simulated together on the no-action run against it, and taken out of the trainee's own
run against it: by what users got (failed, late, served by a model that cannot serve them,
worse recognition) and what it cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from drills.judge.fixes import does
from drills.judge.measures import (
    evaluation_window,
    fleet_after,
    quality_worse,
    slo_burn_by_kind,
    slo_misses,
    spend,
    wrong_model_share,
)
from drills.judge.reference_runs import References
from drills.library.scenario import AnswerKey
from drills.play.actions import ACTIONS
from drills.play.drill import Drill, MoveRecord
from simulator.spec.timeline import TimelineEvent

HARMFUL_PENALTY, UNSAFE_PENALTY = 10.0, 40.0
# harm by effect: points per percentage point of a request kind's SLO burn added (the worst
# kind: taking one service down is an outage however small its share of traffic; 4 points
# burn four times a 99% SLO's whole budget, worth 10), and per 100% of spend added; below
# the floors an effect is too small to charge
HARM_PER_SLO_POINT, HARM_PER_SPEND = 2.5, 40.0
HARM_FLOOR_SLO, HARM_FLOOR_SPEND = 1.0, 0.03
HARM_MIN, HARM_MAX = 4.0, 25.0

Penalty = dict[str, Any]


def listed_penalties(drill: Drill, key: AnswerKey) -> list[Penalty]:
    out: list[Penalty] = []
    seen: set[str] = set()
    for move in drill.moves:
        if move.action is None:
            continue
        if ACTIONS[move.action.action].unsafe:
            out.append(
                {
                    "move": move.index,
                    "points": UNSAFE_PENALTY,
                    "id": move.action.action,
                    "why": f"unsafe: {move.action.action} (privacy policy)",
                }
            )
            continue
        for harmful in key.harmful:
            if harmful.id not in seen and does(drill, move, harmful):
                seen.add(harmful.id)
                out.append(
                    {
                        "move": move.index,
                        "points": HARMFUL_PENALTY,
                        "id": harmful.id,
                        "why": harmful.description or f"harmful: {move.text}",
                    }
                )
    return out


def side_effects(drill: Drill, fixed: set[int]) -> list[MoveRecord]:
    """The trainee's moves that changed the fleet other than the fixes themselves."""
    return [m for m in drill.moves if m.kind == "act" and m.changes and m.index not in fixed]


def act_events(drill: Drill) -> list[tuple[MoveRecord, TimelineEvent]]:
    """The trainee's actions paired with the events they became, in order."""
    return [(m, m.event) for m in drill.moves if m.event is not None]


def side_effect_timeline(drill: Drill, fixed: set[int]) -> list[TimelineEvent] | None:
    """The scenario with the trainee's moves other than the fixes (None if there are none)."""
    moves = side_effects(drill, fixed)
    if not moves:
        return None
    return [*drill.scenario.timeline, *(m.event for m in moves if m.event is not None)]


def fixes_timeline(drill: Drill, fixed: set[int]) -> list[TimelineEvent]:
    """The scenario with the trainee's fixes alone (their run without the other moves)."""
    events = [m.event for m in drill.moves if m.index in fixed and m.event is not None]
    return [*drill.scenario.timeline, *events]


@dataclass(frozen=True)
class Effect:
    """What some moves did to users and spend: a run with them against one without."""

    added: dict[str, float]  # points of each kind's requests that now fail their users
    wrong: dict[str, float]  # share of each kind served by a model that cannot serve it
    poorer: dict[str, float]  # share of each kind served, with clearly worse recognition
    spend_added: float  # relative
    against: str

    @property
    def worst(self) -> str:
        return max(self.added, key=lambda k: self.added[k])

    @property
    def points(self) -> float:
        slo = HARM_PER_SLO_POINT * max(0.0, self.added[self.worst])
        return slo + HARM_PER_SPEND * max(0.0, self.spend_added)

    def said(self) -> str:
        """What the moves did, in a trainee's words: a harm charged on spend alone says
        so (never "+0.0% more of ... fail")."""
        kind = self.worst
        how = [
            f"{100 * share:.0f}% {words}"
            for share, words in (
                (self.wrong.get(kind, 0.0), "served by a model that cannot serve them"),
                (self.poorer.get(kind, 0.0), "with clearly worse recognition"),
            )
            if share >= 0.005
        ]
        failed = (
            f"made {self.added[kind]:+.1f}% more of {kind} requests fail their users"
            + (f" ({'; '.join(how)})" if how else " (failed or missed their SLO)")
            if self.added[kind] >= 0.05
            else "made no more requests fail their users"
        )
        return f"{failed} and changed spend by {self.spend_added:+.0%}, against {self.against}"


def effect(
    drill: Drill,
    timelines: tuple[list[TimelineEvent], list[TimelineEvent]],
    window: tuple[float, float],
    against: str,
) -> Effect:
    """The run of the first timeline against the run of the second, over the window: the
    requests that fail their users (failed, late, served by a model that cannot serve
    their kind, or with clearly worse recognition than the same requests without the
    moves), and spend. Serving a kind from a model that cannot serve it is harm whatever
    the other run did to those requests (a request timing out is not made good by
    garbage)."""
    scenario = drill.scenario
    tel, base = (drill.runs.get(scenario, t) for t in timelines)
    fleet = fleet_after(scenario.fleet, timelines[0])
    users, missed = slo_misses(scenario, tel, window, fleet)
    worse = quality_worse(tel, base, window)
    mine = users.by_kind(missed | worse)
    before = slo_burn_by_kind(scenario, base, window, fleet_after(scenario.fleet, timelines[1]))
    wrong = wrong_model_share(tel, window, fleet)
    added = {k: 100.0 * max(mine[k] - before.get(k, 0.0), wrong.get(k, 0.0)) for k in mine}
    base_spend = spend(base, window)
    spent = (spend(tel, window) - base_spend) / base_spend if base_spend > 0 else 0.0
    return Effect(added, wrong, users.by_kind(worse & ~missed), spent, against)


def charged(found: Effect) -> bool:
    """An effect big enough to charge."""
    return found.added[found.worst] >= HARM_FLOOR_SLO or found.spend_added >= HARM_FLOOR_SPEND


def harm_by_effect(drill: Drill, refs: References, fixed: set[int]) -> list[Penalty]:
    """The moves other than the fixes, after the first of them, re-simulated together on
    the no-action run against it; where that shows nothing (the incident itself may hide
    a harm there: worse recognition on requests the fault already ruined), taken out of
    the trainee's own run against it. In proportion to the requests that fail their
    users and the spend added."""
    moves = side_effects(drill, fixed)
    timeline = side_effect_timeline(drill, fixed)
    if not moves or timeline is None:
        return []
    window = (moves[0].sim_time_s, evaluation_window(drill.scenario)[1])
    if window[1] <= window[0]:
        return []
    worst = effect(drill, (timeline, drill.scenario.timeline), window, "the no-action run")
    if not charged(worst) and fixed:  # nothing seen: the incident may hide it there
        yours = (drill.timeline, fixes_timeline(drill, fixed))
        worst = effect(drill, yours, window, "your run without them")
    if not charged(worst):
        return []
    points = float(np.clip(worst.points, HARM_MIN, HARM_MAX))
    named = "; ".join(f"move {m.index + 1} {m.text}" for m in moves)
    return [
        {
            "move": moves[0].index,
            "points": round(points, 1),
            "id": "harm-by-effect",
            "why": f"re-simulated, your moves other than the fix ({named}) {worst.said()}",
            "slo_burn_added_pct": {k: round(v, 2) for k, v in worst.added.items()},
            "wrong_model_pct": {k: round(100 * v, 2) for k, v in worst.wrong.items() if v > 0},
            "quality_worse_pct": {k: round(100 * v, 2) for k, v in worst.poorer.items() if v > 0},
            "spend_added": round(worst.spend_added, 4),
        }
    ]
