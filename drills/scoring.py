"""Scoring a drill against its answer key, in re-simulated telemetry.

Points (100): diagnosis 30 · debug-path coverage 25 · mitigation and its timing 20 ·
recovery measured in the re-simulated telemetry 15 · prevention 10; minus penalties for
harmful moves (10 each) and unsafe ones (40 each: raw audio, transcripts — a privacy
violation outweighs a slow but safe path). Recovery compares the key's focus signals
after the page in three runs of the same scenario: without any action, with the
expert's actions, and with the trainee's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drills.actions import ACTIONS
from drills.scenario import (
    AnswerKey,
    LoadedScenario,
    MoveMatch,
    Signal,
    Transcript,
    load_transcript,
)
from drills.session import RUNS, Drill, MoveRecord
from drills.signals import series
from drills.sql import covers
from simulator.telemetry import Telemetry

WEIGHTS = {
    "diagnosis": 30.0,
    "coverage": 25.0,
    "mitigation": 20.0,
    "recovery": 15.0,
    "prevention": 10.0,
}
HARMFUL_PENALTY, UNSAFE_PENALTY = 10.0, 40.0
AFTER_PAGE_S = 25 * 60.0  # how long after the page burn and recovery are measured


@dataclass
class Line:
    component: str
    points: float
    max_points: float
    why: str


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
    reference: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def replay(scenario: LoadedScenario, transcript: Transcript) -> Drill:
    drill = Drill(scenario)
    for move in transcript.moves:
        if drill.concluded:
            break
        drill.play(move)
    return drill


def matches(record: MoveRecord, wanted: MoveMatch) -> bool:
    if record.action is None or record.action.action != wanted.action:
        return False
    return all(record.action.args.get(k) == v for k, v in wanted.args.items())


def evaluation_window(scenario: LoadedScenario) -> tuple[float, float]:
    start = scenario.spec.clock.start_s
    return start, min(scenario.spec.duration_s, start + AFTER_PAGE_S)


def signal_level(tel: Telemetry, signal: Signal, window: tuple[float, float]) -> float:
    values = series(tel, signal.model_copy(update={"window_s": window}))
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else float("nan")


def impact(
    tel: Telemetry, clean: Telemetry, none: Telemetry, key: AnswerKey, window: tuple[float, float]
) -> float:
    """How much of the unmitigated incident is left: 1 = untouched, 0 = as if clean."""
    shares = []
    for signal in key.signals:
        if not signal.focus:
            continue
        base = signal_level(clean, signal, window)
        full = signal_level(none, signal, window) - base
        level = signal_level(tel, signal, window)
        if np.isfinite(full) and abs(full) > 1e-12 and np.isfinite(level):
            shares.append(abs(level - base) / abs(full))
    return float(np.mean(shares)) if shares else 1.0


def slo_burn(scenario: LoadedScenario, tel: Telemetry, window: tuple[float, float]) -> float:
    """Share of user requests in the window that missed an SLO or failed."""
    r = tel.requests
    r = r[
        (r["arrival_s"] >= window[0])
        & (r["arrival_s"] < window[1])
        & (r["attempt"] == 1)
        & (r["status"] != "shadow")
    ]
    if not len(r):
        return 0.0
    bad = (r["status"] != "ok").to_numpy().copy()
    kinds = r["kind"].astype(str).to_numpy()
    for kind, slo in scenario.fleet.slos.items():
        mine = kinds == kind
        for column, target in (
            ("latency_ms", slo.p95_ms),
            ("first_partial_ms", slo.first_partial_ms),
            ("first_audio_byte_ms", slo.first_audio_byte_ms),
        ):
            if target is not None:
                bad |= mine & (r[column].to_numpy(dtype=float) > target)
    agent = scenario.fleet.agent
    if agent is not None:
        bad |= r["first_response_ms"].to_numpy(dtype=float) > agent.first_response_target_ms
    return float(bad.mean())


def spend(tel: Telemetry, window: tuple[float, float]) -> float:
    m = tel.metrics
    m = m[(m["name"] == "cost_usd_per_hour") & (m["t_s"] >= window[0]) & (m["t_s"] < window[1])]
    per_time = m.groupby("t_s")["value"].sum()
    return float(per_time.mean() * (window[1] - window[0]) / 3600.0) if len(per_time) else 0.0


@dataclass
class References:
    clean: Telemetry
    none: Telemetry
    expert: Drill
    expert_tel: Telemetry


def references(scenario: LoadedScenario, directory: Path) -> References:
    expert = replay(scenario, load_transcript(directory / "transcripts" / "expert.yaml"))
    return References(
        clean=RUNS.get(scenario, []),
        none=RUNS.get(scenario, scenario.timeline),
        expert=expert,
        expert_tel=expert.telemetry(),
    )


def first_mitigation(drill: Drill, key: AnswerKey) -> MoveRecord | None:
    return next((m for m in drill.moves if any(matches(m, w) for w in key.mitigations)), None)


def score(drill: Drill, key: AnswerKey, refs: References) -> Score:
    lines: list[Line] = []
    conclusion = next((m.conclusion for m in drill.moves if m.conclusion is not None), None)
    correct = conclusion is not None and conclusion.cause == key.cause
    lines.append(
        Line(
            "diagnosis",
            WEIGHTS["diagnosis"] if correct else 0.0,
            WEIGHTS["diagnosis"],
            "named the cause"
            if correct
            else f"concluded {conclusion.cause if conclusion else 'nothing'!r}; the cause "
            f"was {key.cause!r}",
        )
    )
    mitigation = first_mitigation(drill, key)
    covered, credit = _coverage(drill, key, mitigation)
    lines.append(
        Line(
            "coverage",
            WEIGHTS["coverage"] * credit / len(key.signals),
            WEIGHTS["coverage"],
            f"read {len(covered)} of {len(key.signals)} key signals"
            + (f" ({', '.join(sorted(covered))})" if covered else ""),
        )
    )
    expert_mitigation = first_mitigation(refs.expert, key)
    ttm = mitigation.clock_min if mitigation else None
    lines.append(
        _mitigation_line(
            ttm, expert_mitigation.clock_min if expert_mitigation else None, mitigation
        )
    )
    window = evaluation_window(drill.scenario)
    tel = drill.telemetry()
    left = impact(tel, refs.clean, refs.none, key, window)
    left_expert = impact(refs.expert_tel, refs.clean, refs.none, key, window)
    recovered = float(np.clip((1.0 - left) / max(1.0 - left_expert, 1e-9), 0.0, 1.0))
    lines.append(
        Line(
            "recovery",
            WEIGHTS["recovery"] * recovered,
            WEIGHTS["recovery"],
            f"{(1 - left):.0%} of the incident's signal recovered in re-simulation "
            f"(expert path: {(1 - left_expert):.0%})",
        )
    )
    lines.append(_prevention_line(conclusion, key))
    penalties = _penalties(drill, key)
    total = sum(line.points for line in lines) - sum(p["points"] for p in penalties)
    clean_spend = spend(refs.clean, window)
    return Score(
        score=round(float(np.clip(total, 0.0, 100.0)), 1),
        diagnosis_correct=correct,
        signals_covered=len(covered),
        signals_total=len(key.signals),
        time_to_mitigate_min=round(ttm, 1) if ttm is not None else None,
        slo_burn=round(slo_burn(drill.scenario, tel, window), 4),
        cost_burn=round(spend(tel, window) - clean_spend, 4),
        penalties=penalties,
        breakdown=lines,
        recovery=round(recovered, 3),
        reference={
            "slo_burn_no_action": round(slo_burn(drill.scenario, refs.none, window), 4),
            "slo_burn_expert": round(slo_burn(drill.scenario, refs.expert_tel, window), 4),
            "cost_burn_no_action": round(spend(refs.none, window) - clean_spend, 4),
            "cost_burn_expert": round(spend(refs.expert_tel, window) - clean_spend, 4),
        },
    )


def _coverage(
    drill: Drill, key: AnswerKey, mitigation: MoveRecord | None
) -> tuple[set[str], float]:
    """Signals read before concluding; reading one only after mitigating earns half."""
    covered: dict[str, float] = {}
    for move in drill.moves:
        if move.shape is None:
            continue
        for signal in key.signals:
            if signal.id not in covered and covers(move.shape, signal, move.sim_time_s):
                early = mitigation is None or move.index < mitigation.index
                covered[signal.id] = 1.0 if early else 0.5
    return set(covered), sum(covered.values())


def _mitigation_line(ttm: float | None, expert_ttm: float | None, move: MoveRecord | None) -> Line:
    top = WEIGHTS["mitigation"]
    if ttm is None or move is None:
        return Line("mitigation", 0.0, top, "took none of the acceptable mitigations")
    reference = expert_ttm if expert_ttm is not None else ttm
    late = max(0.0, ttm - reference - 5.0)
    timeliness = float(np.clip(1.0 - late / 20.0, 0.0, 1.0))
    points = 0.4 * top + 0.6 * top * timeliness
    return Line(
        "mitigation",
        points,
        top,
        f"{move.text} at minute {ttm:.0f} (expert: minute {reference:.0f})",
    )


def _prevention_line(conclusion: Any, key: AnswerKey) -> Line:
    top = WEIGHTS["prevention"]
    if not key.prevention:
        return Line("prevention", top, top, "no prevention items in the key")
    text = " ".join(
        [*(conclusion.prevention if conclusion else []), conclusion.notes if conclusion else ""]
    ).lower()
    hits = [p.id for p in key.prevention if any(k.lower() in text for k in p.keywords)]
    return Line(
        "prevention",
        top * len(hits) / len(key.prevention),
        top,
        f"named {len(hits)} of {len(key.prevention)} prevention items"
        + (f" ({', '.join(hits)})" if hits else ""),
    )


def _penalties(drill: Drill, key: AnswerKey) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
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
            if harmful.id not in seen and matches(move, harmful):
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
