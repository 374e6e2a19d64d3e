"""Scoring a drill the way a fair examiner watching over the trainee's shoulder would.

Points (100): diagnosis 30 · evidence 25 · mitigation 20 · recovery 15 · prevention 10;
minus penalties. Every component is earned by what the trainee saw and what their moves
did to the fleet, never by how a move was spelt:

- **evidence**: each key signal counts once, at the best reading a move's visible result
  gave of it (drills/judge/evidence.py: a focused look 1, a sweep 0.4, a dump 0.2); a signal
  first read only after mitigating earns half;
- **diagnosis**: the cause (by id or in the trainee's words, drills/judge/causes.py), scaled by the
  evidence read before concluding: a right cause with nothing read is a guess, and scores
  like one;
- **mitigation**: the first move after which the fleet is as one of the key's fixes would
  have made it (so `set cohorts[fw-4.2].gain_db 0` is the same fix as rolling the cohort
  back), or that changes what a key fix changes in another way and does for users what it
  would have (a retry cap that ends a retry storm), timed against the expert and scaled by
  the evidence read before it;
- **recovery**: how much of the incident's key signal the trainee's run recovered, against
  the expert's, in re-simulated telemetry;
- **prevention**: key items earned by the trainee's prevention list, matched in their own
  words (drills/judge/matcher.py): negations, buzzword lists and padding earn nothing;
- **two faults at once** (a key with `also`): each fault's cause and fix earn their share,
  each backed by that fault's own evidence; each cause named that is not the incident's
  cancels one right one (a shotgun of hypotheses earns nothing); fixes in the wrong order,
  where the key says which comes first, earn ×ORDER_FACTOR;
- **penalties**: unsafe moves (privacy) 40 each; a harmful move the key lists, 10, however
  it was split into steps; and by effect, whether or not the key lists it: the trainee's
  moves other than the fix, re-simulated on their own, against the no-action run: points in
  proportion to the requests they failed (late, failed, served by a model that cannot
  serve them, or with clearly worse recognition) and the spend they added; what a run
  "recovers" by serving requests from the wrong model is not recovery.

The jobs live beside it in drills/judge/: measures.py (SLO burn, spend, the incident left),
reference_runs.py (the runs a score compares against), seen.py (what the trainee saw),
fixes.py (which moves fixed a fault), lines.py (each component's line) and harm.py (the
penalties); this module puts them together and keeps their public names importable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from drills.judge.fixes import (
    Fix,
    Trial,
    by_outcome,
    does,
    earliest,
    first_mitigation,
    fix_moves,
    fixed_at,
    fixes,
    fixing_moves,
    fleet_before,
    fleet_has,
    judged_fixes,
    key_effect,
    matches,
    trials,
)
from drills.judge.harm import (
    HARMFUL_PENALTY,
    UNSAFE_PENALTY,
    act_events,
    fixes_timeline,
    harm_by_effect,
    listed_penalties,
    side_effect_timeline,
    side_effects,
)
from drills.judge.lines import (
    ORDER_FACTOR,
    WEIGHTS,
    WRONG_CAUSE_PREVENTION,
    Line,
    causes_read,
    diagnosis_line,
    evidence_line,
    mitigation_line,
    prevention_concepts,
    prevention_line,
    recovery_line,
    seen_conclusion,
)
from drills.judge.measures import (
    AFTER_PAGE_S,
    concerned_kinds,
    evaluation_window,
    fleet_after,
    impact,
    signal_level,
    slo_burn,
    slo_burn_by_kind,
    slo_misses,
    spend,
    wrong_model_share,
)
from drills.judge.reference_runs import References, references, replay
from drills.judge.seen import (
    FOCUS_WEIGHT,
    FULL_EVIDENCE,
    Evidence,
    evidence_factor,
    gather_evidence,
    signal_weight,
)
from drills.library.scenario import AnswerKey, load_key
from drills.play.drill import Drill
from simulator.spec.timeline import TimelineEvent
from simulator.telemetry.bundle import Telemetry

__all__ = [
    "AFTER_PAGE_S",
    "FOCUS_WEIGHT",
    "FULL_EVIDENCE",
    "HARMFUL_PENALTY",
    "ORDER_FACTOR",
    "UNSAFE_PENALTY",
    "WEIGHTS",
    "WRONG_CAUSE_PREVENTION",
    "Assessed",
    "Evidence",
    "Fix",
    "Line",
    "References",
    "Score",
    "act_events",
    "assess",
    "does",
    "earliest",
    "evaluation_window",
    "evidence_factor",
    "first_mitigation",
    "fix_moves",
    "fixed_at",
    "fixes",
    "fixing_moves",
    "fleet_before",
    "fleet_has",
    "gather_evidence",
    "harm_by_effect",
    "impact",
    "judged_fixes",
    "key_effect",
    "matches",
    "prefetch_scores",
    "prevention_concepts",
    "references",
    "replay",
    "runs_read",
    "score",
    "side_effect_timeline",
    "side_effects",
    "signal_level",
    "signal_weight",
    "slo_burn",
    "slo_burn_by_kind",
    "slo_misses",
    "spend",
]


@dataclass
class Score:
    score: float
    diagnosis_correct: bool
    signals_covered: int
    signals_total: int
    time_to_mitigate_min: float | None
    slo_burn: float
    cost_burn: float
    penalties: list[dict[str, Any]]
    breakdown: list[Line]
    recovery: float
    concluded: bool = True
    evidence: float = 0.0  # share of the key's evidence read (0-1)
    reference: dict[str, float] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)  # the trainee's alert rules
    # every catalogue cause the conclusion's words fit: cause, role, the words that matched
    causes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        """The score as stored (drills/usecases.py `score_once`): every number a float."""
        return json.dumps(self.as_dict(), sort_keys=True, default=_number)

    @classmethod
    def from_json(cls, text: str) -> Score:
        data = json.loads(text)
        data["breakdown"] = [Line(**line) for line in data["breakdown"]]
        return cls(**data)


def _number(value: Any) -> Any:
    """numpy scalars as Python numbers, anything else as its text."""
    return value.item() if isinstance(value, np.generic) else str(value)


@dataclass
class Assessed:
    """A drill scored against its scenario's answer key and reference runs."""

    drill: Drill
    key: AnswerKey
    refs: References
    score: Score


def assess(drill: Drill, refs: References | None = None, key: AnswerKey | None = None) -> Assessed:
    """Score a drill: its scenario's key and references are read unless given (a cohort on
    one incident shares them)."""
    directory = drill.scenario.directory
    key = key or load_key(directory / "key.yaml", drill.scenario)
    refs = refs or references(drill.scenario, directory, drill.runs)
    return Assessed(drill, key, refs, score(drill, key, refs))


def runs_read(drill: Drill, key: AnswerKey, refs: References) -> list[list[TimelineEvent]]:
    """Every run a score of this drill reads: known from the moves alone, before any
    simulation, so that they can be simulated side by side. The references, the trainee's
    run, what each trial move and the key's fix in its place did, and harm's two looks at
    the moves other than the fixes (on the no-action run, and taken out of the trainee's
    own: read only where the first shows nothing, simulated beside the rest all the same,
    since waiting for it alone afterwards costs more than a run on an idle core)."""
    done = fixes(drill, key)
    return _runs_read(drill, refs, done, trials(drill, key, done))


def _runs_read(
    drill: Drill, refs: References, done: list[Fix | None], tried: list[Trial]
) -> list[list[TimelineEvent]]:
    """`runs_read`, given the drill's fixes and trial moves (a score has found them)."""
    fixed = fixing_moves(done)
    extra = side_effect_timeline(drill, fixed)
    harm = [extra, fixes_timeline(drill, fixed)] if extra and fixed else [extra] if extra else []
    outcomes = [t for x in tried for t in (x.mine, x.theirs)]
    return [*refs.timelines(), drill.timeline, *harm, *outcomes]


def prefetch_scores(drills: Sequence[Drill], key: AnswerKey, refs: References) -> None:
    """The runs the scores of several drills of one scenario read (a cohort's, a
    ranking's), simulated together: the service keeps its workers busy across them instead
    of each score waiting on its own few."""
    timelines = [t for drill in drills for t in runs_read(drill, key, refs)]
    refs.expert.runs.prefetch(refs.scenario, timelines)


def served_wrong(drill: Drill, key: AnswerKey, refs: References, tel: Telemetry) -> float:
    """The largest share of a kind the incident concerns that the trainee's run served
    from a model that cannot serve it, over the scoring window from the first such request."""
    window = evaluation_window(drill.scenario)
    fleet = fleet_after(drill.scenario.fleet, drill.timeline)
    # counted from the first request served so: what was "recovered" after it was
    # recovered by serving wrongly, whatever came before it
    shares = wrong_model_share(tel, window, fleet, since_first=True)
    if not any(v > 0 for v in shares.values()):
        return 0.0
    memo = ("concerned", key.model_dump_json())
    kinds = refs.remember(memo, lambda: concerned_kinds(drill.scenario, key, refs.none))
    return max((shares.get(k, 0.0) for k in kinds), default=0.0)


def score(drill: Drill, key: AnswerKey, refs: References) -> Score:
    done = fixes(drill, key)  # each fault's fix: every line below reads them
    tried = trials(drill, key, done)  # moves that may fix a fault by their outcome
    drill.runs.prefetch(drill.scenario, _runs_read(drill, refs, done, tried))
    done = by_outcome(drill, key, refs, done, tried)
    fixed = fixing_moves(done)
    found = gather_evidence(drill, key)
    mitigation = earliest(done)
    mitigated_at = fixed_at(key, done)
    conclusion_move = seen_conclusion(drill)
    diagnosis, correct = diagnosis_line(key, conclusion_move, found)
    conclusion = conclusion_move.conclusion if conclusion_move else None

    lines = [
        diagnosis,
        evidence_line(found, key, mitigated_at),
        mitigation_line(key, refs, found, done),
    ]
    window = evaluation_window(drill.scenario)
    tel = drill.telemetry()
    lines.append(recovery_line(tel, refs, key, window, served_wrong(drill, key, refs, tel)))
    prevention, alerts = prevention_line(conclusion, key, correct, drill)
    lines.append(prevention)
    penalties = listed_penalties(drill, key) + harm_by_effect(drill, refs, fixed)
    total = sum(line.points for line in lines) - sum(p["points"] for p in penalties)
    clean_spend = spend(refs.clean, window)
    ttm = mitigation[0].clock_min if mitigation else None
    return Score(
        score=round(float(np.clip(total, 0.0, 100.0)), 1),
        diagnosis_correct=correct,
        signals_covered=len(found.readings),
        signals_total=len(key.signals),
        time_to_mitigate_min=round(ttm, 1) if ttm is not None else None,
        slo_burn=round(slo_burn(drill.scenario, tel, window), 4),
        cost_burn=round(spend(tel, window) - clean_spend, 4),
        penalties=penalties,
        breakdown=lines,
        recovery=round(lines[3].points / WEIGHTS["recovery"], 3),
        concluded=conclusion is not None,
        alerts=alerts,
        causes=causes_read(conclusion.cause) if conclusion else [],
        evidence=round(found.share(key, mitigated=mitigated_at), 3),
        reference={
            "slo_burn_no_action": round(slo_burn(drill.scenario, refs.none, window), 4),
            "slo_burn_expert": round(slo_burn(drill.scenario, refs.expert_tel, window), 4),
            "cost_burn_no_action": round(spend(refs.none, window) - clean_spend, 4),
            "cost_burn_expert": round(spend(refs.expert_tel, window) - clean_spend, 4),
        },
    )
