"""The debrief: what the after-action report shows beyond the score, computed before it
is rendered.

- the key signal per minute in the no-action, expert and trainee runs (and the best
  counterfactual's);
- **counterfactuals**: at each of the trainee's decision points where the expert had
  already acted and the trainee had not, the run with the expert's moves taken at that
  minute instead of the trainee's move, everything else kept, and what it would have
  changed (SLO burn, spend, the incident left); the shipped expert's own path gives zero
  change, by construction and in re-simulation;
- **each action's own cost**: the run without that action, against the trainee's;
- **what to practise**: the key signals never read, each with the expert's query that read
  it, the moves that cost points, and every component short of its points with why (so it
  never says "nothing missed" beside a component that earned nothing).

Every run forks from the scenario's run paused at the page (`Runs.prefetch`), so a
counterfactual costs only the minutes after it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drills.judge.fixes import fix_moves, fleet_has
from drills.judge.harm import act_events
from drills.judge.measures import evaluation_window, impact, slo_burn, spend
from drills.judge.reference_runs import References
from drills.judge.scoring import Score
from drills.judge.seen import Evidence, gather_evidence
from drills.judge.signals import series
from drills.library.scenario import AnswerKey, LoadedScenario
from drills.play.drill import Drill, MoveRecord
from simulator.spec.timeline import TimelineEvent
from simulator.telemetry.bundle import Telemetry

MAX_DECISIONS = 5  # counterfactual runs per report (each is the minutes after the page)
MAX_MOVE_COSTS = 5


@dataclass(frozen=True)
class Outcome:
    """A run over the report's window (the page to 25 minutes after it)."""

    slo_burn: float  # share of user requests that missed an SLO or failed
    cost_burn_usd: float  # spend above the fault-free run's
    incident_left: float  # of the key signals' excess: 1 untouched, 0 as if clean


@dataclass(frozen=True)
class Decision:
    """Had the trainee, at this move, done what the expert had done by then."""

    minute: float
    your_move: str
    instead: tuple[str, ...]  # the expert's moves, taken at this minute
    yours: Outcome
    then: Outcome

    @property
    def slo_burn_saved_pp(self) -> float:
        return 100.0 * (self.yours.slo_burn - self.then.slo_burn)

    @property
    def usd_saved(self) -> float:
        return self.yours.cost_burn_usd - self.then.cost_burn_usd


@dataclass(frozen=True)
class MoveCost:
    """One action's own effect: the trainee's run against the run without it."""

    minute: float
    move: str
    slo_burn_added_pp: float  # positive: the move made things worse
    usd_added: float
    incident_left_added: float


@dataclass
class Debrief:
    decisions: list[Decision] = field(default_factory=list)
    move_costs: list[MoveCost] = field(default_factory=list)
    practise: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time to compute (simulation included)
    timelines: dict[float, list[TimelineEvent]] = field(default_factory=dict, repr=False)


def outcome(tel: Telemetry, refs: References, key: AnswerKey) -> Outcome:
    window = evaluation_window(refs.scenario)
    return Outcome(
        slo_burn=slo_burn(refs.scenario, tel, window),
        cost_burn_usd=spend(tel, window) - spend(refs.clean, window),
        incident_left=impact(tel, refs, key, window),
    )


# --- counterfactuals -------------------------------------------------------------------


def _missing(drill: Drill, move: MoveRecord, expert: Drill) -> list[MoveRecord]:
    """The expert's actions taken by this move's minute whose changes the trainee's fleet
    lacks just before it: what the trainee was behind on."""
    fleet = drill.fleet_at(math.nextafter(move.sim_time_s, -math.inf))
    behind = []
    for done in (m for m in expert.moves if m.kind == "act" and m.changes):
        if done.clock_min > move.clock_min + 1e-9:
            break
        if not fleet_has(fleet, done.changes):
            behind.append(done)
    return behind


def _instead(drill: Drill, move: MoveRecord, expert_moves: list[MoveRecord]) -> list[TimelineEvent]:
    """The trainee's timeline with `move` replaced by the expert's moves at its minute."""
    events: list[TimelineEvent] = []
    placed = False
    for act, event in act_events(drill):
        if act.sim_time_s > move.sim_time_s and not placed:
            events += _retimed(expert_moves, move.sim_time_s)
            placed = True
        if act.index != move.index:
            events.append(event)
    if not placed:
        events += _retimed(expert_moves, move.sim_time_s)
    return [*drill.scenario.timeline, *events]


def _retimed(moves: list[MoveRecord], at_s: float) -> list[TimelineEvent]:
    return [m.event.model_copy(update={"at_s": at_s}) for m in moves if m.event is not None]


def decision_points(
    drill: Drill, key: AnswerKey, refs: References
) -> list[tuple[MoveRecord, list[MoveRecord]]]:
    """The trainee's moves up to their fix (or all, without one) where the expert had
    already acted and the trainee had not: at most MAX_DECISIONS, the first and last kept
    and the rest spread evenly between them."""
    fixed = fix_moves(drill, key, refs)
    last = max(fixed) if fixed else len(drill.moves) - 1
    points: list[tuple[MoveRecord, list[MoveRecord]]] = []
    for move in drill.moves[: last + 1]:
        behind = _missing(drill, move, refs.expert)
        if behind and not (points and points[-1][0].clock_min == move.clock_min):
            points.append((move, behind))
    if len(points) <= MAX_DECISIONS:
        return points
    keep = np.unique(np.linspace(0, len(points) - 1, MAX_DECISIONS).round().astype(int))
    return [points[i] for i in keep]


# --- each action's own cost ------------------------------------------------------------


def without(drill: Drill, move: MoveRecord) -> list[TimelineEvent]:
    events = [event for act, event in act_events(drill) if act.index != move.index]
    return [*drill.scenario.timeline, *events]


def costed_moves(drill: Drill, key: AnswerKey, refs: References) -> list[MoveRecord]:
    """The trainee's actions other than the fixes that changed the fleet (a fix's worth is
    the counterfactuals' subject)."""
    fixed = fix_moves(drill, key, refs)
    acts = [m for m, _ in act_events(drill) if m.changes and m.index not in fixed]
    return acts[:MAX_MOVE_COSTS]


# --- what to practise ------------------------------------------------------------------


def practise(drill: Drill, key: AnswerKey, refs: References, result: Score) -> list[str]:
    """The key signals never read, with the expert's move that read each; the moves that
    cost points; each component short of its points, with why (what earned each component
    is in the score's breakdown)."""
    found = gather_evidence(drill, key)
    expert_found: Evidence = gather_evidence(refs.expert, key)
    out = []
    for signal in key.signals:
        if signal.id in found.readings:
            continue
        what = signal.description or f"{signal.table}.{signal.column}"
        shown = expert_found.readings.get(signal.id)
        if shown is None:
            out.append(f"missed: {what} ({signal.table}.{signal.column} by {signal.group_by})")
            continue
        move = refs.expert.moves[shown[1]]
        how = f"`{move.sql}`" if move.kind == "query" else f"the panel `{move.text}`"
        out.append(f"missed: {what} — the expert read it at minute {move.clock_min:.0f} with {how}")
    for penalty in result.penalties:
        out.append(f"avoid: {penalty['why']} (−{penalty['points']:g} points)")
    # every component short of its points says why, so that this list never reads as
    # "nothing missed" beside a component that earned nothing
    for line in result.breakdown:
        if line.points < line.max_points - 0.05:
            earned = f"{line.points:.0f} of {line.max_points:g}"
            out.append(f"{line.component} ({earned}): {line.why}")
    return out


def debrief(
    drill: Drill, key: AnswerKey, refs: References, result: Score, counterfactuals: bool = True
) -> Debrief:
    """The debrief; without `counterfactuals`, only what to practise (no extra runs)."""
    start = time.perf_counter()
    points = decision_points(drill, key, refs) if counterfactuals else []
    costed = costed_moves(drill, key, refs) if counterfactuals else []
    alternatives = [_instead(drill, move, behind) for move, behind in points]
    removed = [without(drill, move) for move in costed]
    drill.runs.prefetch(
        drill.scenario, [drill.timeline, *refs.timelines(), *alternatives, *removed]
    )
    yours = outcome(drill.telemetry(), refs, key)
    out = Debrief()
    for (move, behind), timeline in zip(points, alternatives, strict=True):
        then = outcome(drill.runs.get(drill.scenario, timeline), refs, key)
        texts = tuple(m.text for m in behind)
        minute = round(move.clock_min, 1)
        out.decisions.append(Decision(minute, move.text, texts, yours, then))
        out.timelines[minute] = timeline
    for move, timeline in zip(costed, removed, strict=True):
        base = outcome(drill.runs.get(drill.scenario, timeline), refs, key)
        out.move_costs.append(
            MoveCost(
                minute=round(move.clock_min, 1),
                move=move.text,
                slo_burn_added_pp=100.0 * (yours.slo_burn - base.slo_burn),
                usd_added=yours.cost_burn_usd - base.cost_burn_usd,
                incident_left_added=yours.incident_left - base.incident_left,
            )
        )
    out.practise = practise(drill, key, refs, result)
    out.seconds = time.perf_counter() - start
    return out


def as_data(found: Debrief) -> dict[str, Any]:
    """The debrief as the report shows it (plain, rounded: stable for golden files)."""

    def plain(o: Outcome) -> dict[str, float]:
        return {
            "slo_burn_pct": round(100.0 * o.slo_burn, 2),
            "cost_burn_usd": round(o.cost_burn_usd, 2),
            "incident_left_pct": round(100.0 * o.incident_left, 1),
        }

    return {
        "decisions": [
            {
                "minute": d.minute,
                "your_move": d.your_move,
                "instead": list(d.instead),
                "yours": plain(d.yours),
                "then": plain(d.then),
                "slo_burn_saved_pp": round(d.slo_burn_saved_pp, 2),
                "usd_saved": round(d.usd_saved, 2),
            }
            for d in found.decisions
        ],
        "move_costs": [
            {
                "minute": c.minute,
                "move": c.move,
                "slo_burn_added_pp": round(c.slo_burn_added_pp, 2),
                "usd_added": round(c.usd_added, 2),
                "incident_left_added_pct": round(100.0 * c.incident_left_added, 1),
            }
            for c in found.move_costs
        ],
        "practise": found.practise,
    }


def best_decision(found: Debrief) -> Decision | None:
    """The decision point whose counterfactual would have left the least of the incident,
    if it would have changed anything at all."""
    better = [d for d in found.decisions if d.then != d.yours]
    return min(better, key=lambda d: d.then.incident_left, default=None)


# --- what the report plots -------------------------------------------------------------


def key_curves(
    scenario: LoadedScenario,
    key: AnswerKey,
    drill_: Drill,
    refs: References,
    found: Debrief | None = None,
) -> dict[str, Any]:
    """The first focus signal, per minute, from 10 minutes before the page to the end (and
    the best counterfactual's, when a debrief has one)."""
    signal = next(s for s in key.signals if s.focus)
    page = scenario.spec.clock.start_s
    _, end = evaluation_window(scenario)
    window = (max(0.0, page - 600.0), end)
    view = signal.model_copy(update={"window_s": window})
    minutes = (np.arange(window[0], window[1], 60.0) - page) / 60.0

    def clean(values: np.ndarray) -> list[float | None]:
        return [None if not np.isfinite(v) else round(float(v), 4) for v in values]

    curves: dict[str, Any] = {
        "label": f"{signal.table}.{signal.column} ({signal.id})",
        "minutes": [round(float(m), 2) for m in minutes],
        "no action": clean(series(refs.none, view)),
        "expert": clean(series(refs.expert_tel, view)),
        "trainee": clean(series(drill_.telemetry(), view)),
    }
    best = best_decision(found) if found else None
    if best is not None and found is not None:
        timeline = found.timelines[best.minute]
        name = f"had you acted at minute {best.minute:g}"
        curves[name] = clean(series(drill_.runs.get(scenario, timeline), view))
    return curves


def report_parts(
    drill: Drill, key: AnswerKey, refs: References, result: Score, counterfactuals: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an after-action report needs beyond the score: the curves and the debrief."""
    found = debrief(drill, key, refs, result, counterfactuals)
    return key_curves(drill.scenario, key, drill, refs, found), as_data(found)
