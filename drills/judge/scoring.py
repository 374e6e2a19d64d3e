"""Scoring a drill the way a fair examiner watching over the trainee's shoulder would.

Points (100): diagnosis 30 · evidence 25 · mitigation 20 · recovery 15 · prevention 10;
minus penalties. Every component is earned by what the trainee saw and what their moves
did to the fleet, never by how a move was spelt:

- **evidence**: each key signal counts once, at the best reading a move's visible result
  gave of it (drills/judge/evidence.py: a focused look 1, a sweep 0.5, a dump 0.25); a signal
  first read only after mitigating earns half;
- **diagnosis**: the cause (by id or in the trainee's words, drills/judge/causes.py), scaled by the
  evidence read before concluding: a right cause with nothing read is a guess, and scores
  like one;
- **mitigation**: the first move after which the fleet is as one of the key's fixes would
  have made it (so `set cohorts[fw-4.2].gain_db 0` is the same fix as rolling the cohort
  back), timed against the expert and scaled by the evidence read before it;
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
  proportion to the SLO burn and spend they added.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from drills.judge.alerts import credit_rules
from drills.judge.causes import match_cause, match_causes
from drills.judge.evidence import Reading, read
from drills.judge.matcher import Concept, judge
from drills.judge.signals import series
from drills.library.scenario import (
    AnswerKey,
    Conclusion,
    KeyFault,
    LoadedScenario,
    MoveMatch,
    Signal,
    Transcript,
    load_key,
)
from drills.play.actions import ACTIONS, ActionError, action_changes
from drills.play.drill import Drill, MoveRecord
from drills.play.transcript import load_transcript
from drills.runs.service import Runs
from simulator.spec.fleet import Fleet
from simulator.spec.timeline import PathError, TimelineEvent, get_path, set_path
from simulator.telemetry.bundle import Telemetry

WEIGHTS = {
    "diagnosis": 30.0,
    "evidence": 25.0,
    "mitigation": 20.0,
    "recovery": 15.0,
    "prevention": 10.0,
}
HARMFUL_PENALTY, UNSAFE_PENALTY = 10.0, 40.0
WRONG_CAUSE_PREVENTION = 0.5  # prevention items for a cause the trainee did not name
ORDER_FACTOR = 0.7  # a compound incident's fixes in the order its key says is wrong
FOCUS_WEIGHT = 2.0
FULL_EVIDENCE = 0.6  # share of the key's evidence that earns a diagnosis in full
AFTER_PAGE_S = 25 * 60.0  # how long after the page burn and recovery are measured
# harm by effect: points per percentage point of a request kind's SLO burn added (the worst
# kind: taking one service down is an outage however small its share of traffic; 4 points
# burn four times a 99% SLO's whole budget, worth 10), and per 100% of spend added; below
# the floors an effect is too small to charge
HARM_PER_SLO_POINT, HARM_PER_SPEND = 2.5, 40.0
HARM_FLOOR_SLO, HARM_FLOOR_SPEND = 1.0, 0.03
HARM_MIN, HARM_MAX = 4.0, 25.0


Fix = tuple[MoveRecord, MoveMatch]  # a fixing move and the key move it did the work of


@dataclass
class Line:
    component: str
    points: float
    max_points: float
    why: str
    evidence: list[str] = field(default_factory=list)  # what earned it
    missed: list[str] = field(default_factory=list)  # what it lacked


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


def replay(scenario: LoadedScenario, transcript: Transcript, runs: Runs) -> Drill:
    drill = Drill(scenario, runs)
    for move in transcript.moves:
        if drill.concluded:
            break
        drill.play(move)
    return drill


def matches(record: MoveRecord, wanted: MoveMatch) -> bool:
    """A move spelt as the key spells it (action and the arguments the key gives)."""
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
    tel: Telemetry,
    refs: References,
    key: AnswerKey,
    window: tuple[float, float],
    only: frozenset[str] | None = None,
) -> float:
    """How much of the unmitigated incident (or of one fault: the signals `only` names) is
    left: 1 = untouched, 0 = as if clean."""
    shares = []
    for signal in key.signals:
        if not signal.focus or (only is not None and signal.id not in only):
            continue
        base = refs.level("clean", signal, window)
        full = refs.level("none", signal, window) - base
        level = signal_level(tel, signal, window)
        if np.isfinite(full) and abs(full) > 1e-12 and np.isfinite(level):
            shares.append(abs(level - base) / abs(full))
    return float(np.mean(shares)) if shares else 1.0


def slo_misses(
    scenario: LoadedScenario, tel: Telemetry, window: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """(kind, missed) per user request arriving in the window: missed an SLO or failed."""
    r = tel.requests
    arrival = r["arrival_s"].to_numpy()
    status = r["status"].to_numpy()
    rows = np.flatnonzero(
        (arrival >= window[0])
        & (arrival < window[1])
        & (r["attempt"].to_numpy() == 1)
        & (status != "shadow")
    )
    bad = status[rows] != "ok"
    kind = r["kind"].array
    kinds = np.asarray(kind.categories, dtype=str)[kind.codes[rows]]

    def over(column: str, target: float) -> np.ndarray:
        return r[column].to_numpy(dtype=float)[rows] > target

    for name, slo in scenario.fleet.slos.items():
        mine = kinds == name
        for column, target in (
            ("latency_ms", slo.p95_ms),
            ("first_partial_ms", slo.first_partial_ms),
            ("first_audio_byte_ms", slo.first_audio_byte_ms),
        ):
            if target is not None and mine.any():
                bad |= mine & over(column, target)
    agent = scenario.fleet.agent
    if agent is not None:
        bad |= over("first_response_ms", agent.first_response_target_ms)
    return kinds, bad


def slo_burn(scenario: LoadedScenario, tel: Telemetry, window: tuple[float, float]) -> float:
    """Share of user requests in the window that missed an SLO or failed."""
    _, bad = slo_misses(scenario, tel, window)
    return float(bad.mean()) if len(bad) else 0.0


def slo_burn_by_kind(
    scenario: LoadedScenario, tel: Telemetry, window: tuple[float, float]
) -> dict[str, float]:
    kinds, bad = slo_misses(scenario, tel, window)
    return {str(k): float(bad[kinds == k].mean()) for k in np.unique(kinds)}


def spend(tel: Telemetry, window: tuple[float, float]) -> float:
    m = tel.metrics
    m = m[(m["name"] == "cost_usd_per_hour") & (m["t_s"] >= window[0]) & (m["t_s"] < window[1])]
    per_time = m.groupby("t_s")["value"].sum()
    return float(per_time.mean() * (window[1] - window[0]) / 3600.0) if len(per_time) else 0.0


class References:
    """The runs a score compares against: fault-free, no action, and the expert's path.
    Simulated on first use (or together with the trainee's runs, see `Runs.prefetch`)."""

    def __init__(self, scenario: LoadedScenario, expert: Drill) -> None:
        self.scenario = scenario
        self.expert = expert
        self._levels: dict[tuple[str, str, tuple[float, float]], float] = {}
        self._fixes: dict[str, list[Fix | None]] = {}

    @property
    def clean(self) -> Telemetry:
        return self.expert.runs.get(self.scenario, [])

    @property
    def none(self) -> Telemetry:
        return self.expert.runs.get(self.scenario, self.scenario.timeline)

    @property
    def expert_tel(self) -> Telemetry:
        return self.expert.telemetry()

    def timelines(self) -> list[list[TimelineEvent]]:
        return [[], self.scenario.timeline, self.expert.timeline]

    def level(self, run: str, signal: Signal, window: tuple[float, float]) -> float:
        """A key signal's mean level in a reference run (remembered: every score of this
        scenario compares against the same three)."""
        memo = (run, signal.model_dump_json(), window)
        if memo not in self._levels:
            tel = {"clean": self.clean, "none": self.none, "expert": self.expert_tel}[run]
            self._levels[memo] = signal_level(tel, signal, window)
        return self._levels[memo]

    def expert_fixes(self, key: AnswerKey) -> list[Fix | None]:
        """Each fault's fix on the expert's path (found once: every score compares)."""
        memo = key.model_dump_json()
        if memo not in self._fixes:
            self._fixes[memo] = fixes(self.expert, key)
        return self._fixes[memo]

    def expert_impact(
        self, key: AnswerKey, window: tuple[float, float], only: frozenset[str] | None = None
    ) -> float:
        memo = ("impact", key.model_dump_json() + str(sorted(only or [])), window)
        if memo not in self._levels:
            self._levels[memo] = impact(self.expert_tel, self, key, window, only)
        return self._levels[memo]


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


def references(scenario: LoadedScenario, directory: Path, runs: Runs) -> References:
    expert = replay(scenario, load_transcript(directory / "transcripts" / "expert.yaml"), runs)
    return References(scenario, expert)


# --- what the trainee saw -------------------------------------------------------------


@dataclass
class Evidence:
    """The best reading of each key signal, and the move that first gave it."""

    readings: dict[str, tuple[Reading, int]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # moves that read nothing: why

    def share(
        self,
        key: AnswerKey,
        before: int | None = None,
        mitigated: dict[str, int] | None = None,
        only: frozenset[str] | None = None,
    ) -> float:
        """Share of the key's evidence (or of the signals `only` names: one fault's) read
        (before move `before`); a signal first read after the move that fixed its fault
        (`mitigated`: by signal) counts half."""
        weights = {s.id: signal_weight(s) for s in key.signals if only is None or s.id in only}
        total = 0.0
        for signal, (reading, index) in self.readings.items():
            if signal not in weights or (before is not None and index >= before):
                continue
            late = mitigated is not None and index > mitigated.get(signal, index)
            total += weights[signal] * reading.weight * (0.5 if late else 1.0)
        return total / sum(weights.values())


def signal_weight(signal: Signal) -> float:
    """A signal that shows where the fault is counts twice a context signal (flat traffic,
    the deploy log): it is the evidence a diagnosis stands on."""
    return FOCUS_WEIGHT if signal.focus else 1.0


def gather_evidence(drill: Drill, key: AnswerKey) -> Evidence:
    found = Evidence()
    for move in drill.moves:
        if move.kind not in ("look", "query"):
            continue
        result = drill.show(move)
        if result is None:
            found.failed.append(f"move {move.index + 1}: {move.error}")
            continue
        for signal in key.signals:
            reading = read(result, signal, move.sim_time_s)
            best = found.readings.get(signal.id)
            if reading is not None and (best is None or reading.weight > best[0].weight):
                found.readings[signal.id] = (reading, best[1] if best else move.index)
    return found


def evidence_factor(share: float) -> float:
    return float(min(1.0, share / FULL_EVIDENCE))


# --- what the trainee's moves did to the fleet ----------------------------------------


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


def fleet_has(fleet: Fleet, changes: dict[str, Any]) -> bool:
    """Whether the fleet already is as these changes would make it, judged on each changed
    field's owner as it behaves (a cohort with its rate written back is a cohort with no
    mislabel), not field by field."""
    try:
        target = copy.deepcopy(fleet)
        for path, value in changes.items():
            set_path(target, path, value)
        owners = {path.rsplit(".", 1)[0] if "." in path else path for path in changes}
        return all(_plain(get_path(fleet, o)) == _plain(get_path(target, o)) for o in owners)
    except (PathError, ValueError):
        return False


def key_effect(wanted: MoveMatch, fleet: Fleet, base: Fleet) -> dict[str, Any]:
    """The fleet changes a key move would make on this fleet ({} if it names no complete
    change, e.g. a harmful `set` without its value)."""
    try:
        return action_changes(wanted.action, wanted.args, fleet, base)
    except (ActionError, PathError, ValueError):
        return {}


def does(drill: Drill, record: MoveRecord, wanted: MoveMatch) -> bool:
    """Does this move complete the key move's effect on the fleet (alone or as the last of
    several steps), or spell it as the key does?"""
    if record.kind != "act":
        return False
    if matches(record, wanted):
        return True
    first_act = next(m for m in drill.moves if m.kind == "act")
    reference = fleet_before(drill, first_act)  # the fleet the trainee started acting on
    change = key_effect(wanted, reference, drill.scenario.fleet)
    if not change:
        return False
    before = fleet_before(drill, record)
    after = copy.deepcopy(before)
    for path, value in record.changes.items():
        set_path(after, path, value)
    return fleet_has(after, change) and not fleet_has(before, change)


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


# --- the score -------------------------------------------------------------------------


def runs_needed(drill: Drill, refs: References, fixed: set[int]) -> list[list[TimelineEvent]]:
    """Every run a score of this drill reads: known from the moves alone, before any
    simulation, so that they can be simulated side by side."""
    extra = side_effect_timeline(drill, fixed)
    return [*refs.timelines(), drill.timeline, *([extra] if extra else [])]


def score(drill: Drill, key: AnswerKey, refs: References) -> Score:
    done = fixes(drill, key)  # each fault's fix: every line below reads them
    fixed = fixing_moves(done)
    drill.runs.prefetch(drill.scenario, runs_needed(drill, refs, fixed))
    found = gather_evidence(drill, key)
    mitigation = earliest(done)
    mitigated_at = fixed_at(key, done)
    conclusion_move = next((m for m in drill.moves if m.conclusion is not None), None)
    diagnosis, correct = _diagnosis_line(key, conclusion_move, found)
    conclusion = conclusion_move.conclusion if conclusion_move else None

    lines = [
        diagnosis,
        _evidence_line(found, key, mitigated_at),
        _mitigation_line(key, refs, found, done),
    ]
    window = evaluation_window(drill.scenario)
    tel = drill.telemetry()
    lines.append(_recovery_line(tel, refs, key, window))
    prevention, alerts = _prevention_line(conclusion, key, correct, drill)
    lines.append(prevention)
    penalties = _listed_penalties(drill, key) + harm_by_effect(drill, refs, fixed)
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
        evidence=round(found.share(key, mitigated=mitigated_at), 3),
        reference={
            "slo_burn_no_action": round(slo_burn(drill.scenario, refs.none, window), 4),
            "slo_burn_expert": round(slo_burn(drill.scenario, refs.expert_tel, window), 4),
            "cost_burn_no_action": round(spend(refs.none, window) - clean_spend, 4),
            "cost_burn_expert": round(spend(refs.expert_tel, window) - clean_spend, 4),
        },
    )


def _diagnosis_line(
    key: AnswerKey, conclusion_move: MoveRecord | None, found: Evidence
) -> tuple[Line, bool]:
    """The diagnosis line, and whether the trainee named every fault's cause."""
    top = WEIGHTS["diagnosis"]
    conclusion = conclusion_move.conclusion if conclusion_move else None
    if conclusion_move is None or conclusion is None:
        return Line("diagnosis", 0.0, top, "did not conclude: no diagnosis to score"), False
    faults = key.faults()
    if len(faults) == 1:
        cause, how = match_cause(conclusion.cause)
        named = [cause] if cause is not None else []
    else:
        named, how = match_causes(conclusion.cause)
    right = [f for f in faults if f.cause in named]
    if not right:
        return Line("diagnosis", 0.0, top, f"the cause given is not the incident's ({how})"), False
    # each fault's cause earns its share, backed by that fault's own evidence; each cause
    # named that is not the incident's cancels one share (a shotgun of hypotheses, or a
    # hedge, earns nothing over the honest half-answer)
    wrong = len(named) - len(right)
    parts, notes = [], []
    for fault in right:
        share = found.share(key, conclusion_move.index, only=fault.signals)
        parts.append(evidence_factor(share))
        if parts[-1] < 1.0:
            whose = "the key" if len(faults) == 1 else f"fault {faults.index(fault) + 1}'s key"
            notes.append(
                f"{share:.0%} of {whose} evidence read before concluding ({FULL_EVIDENCE:.0%} "
                f"earns it in full): {'a guess' if share == 0 else 'partly'} supported"
            )
    points = top * max(0.0, sum(parts) - wrong) / len(faults)
    why = f"named the cause ({how})"
    if len(faults) > 1:
        why = f"named {len(right)} of the incident's {len(faults)} causes ({how})"
        if wrong:
            why += f"; {wrong} named cause(s) not the incident's, each cancelling one"
    if notes:
        why += ", with " + "; ".join(notes)
    return Line("diagnosis", points, top, why), len(right) == len(faults) and not wrong


def _evidence_line(found: Evidence, key: AnswerKey, mitigated_at: dict[str, int]) -> Line:
    share = found.share(key, mitigated=mitigated_at)
    earned = [
        f"{sid}: move {index + 1}, {reading.why} (×{reading.weight:g})"
        for sid, (reading, index) in found.readings.items()
    ]
    missed = [
        f"{s.id}: {s.description or s.column}" for s in key.signals if s.id not in found.readings
    ]
    return Line(
        "evidence",
        WEIGHTS["evidence"] * share,
        WEIGHTS["evidence"],
        f"read {len(found.readings)} of {len(key.signals)} key signals"
        + (f" ({', '.join(found.readings)})" if found.readings else "")
        + (f"; {len(found.failed)} queries read nothing" if found.failed else ""),
        earned + [f"read nothing — {f}" for f in found.failed],
        missed,
    )


def _mitigation_line(
    key: AnswerKey, refs: References, found: Evidence, mine: list[Fix | None]
) -> Line:
    """Each fault's fix earns its share: timed against the expert's fix of the same fault,
    scaled by that fault's evidence read before it; fixes in the wrong order (where the
    key says which must come first) earn ×ORDER_FACTOR."""
    top = WEIGHTS["mitigation"]
    faults = key.faults()
    expert = refs.expert_fixes(key)
    if all(fix is None for fix in mine):
        missed = [m.description or m.id for m in key.all_mitigations()]
        return Line("mitigation", 0.0, top, "no move fixed what the key's fixes fix", [], missed)
    points, whys, earned, missed = 0.0, [], [], []
    for fault, fix, reference_fix in zip(faults, mine, expert, strict=True):
        if fix is None:
            missed += [m.description or m.id for m in fault.mitigations]
            continue
        move, wanted = fix
        reference = reference_fix[0].clock_min if reference_fix else move.clock_min
        late = max(0.0, move.clock_min - reference - 5.0)
        timeliness = float(np.clip(1.0 - late / 20.0, 0.0, 1.0))
        share = found.share(key, before=move.index, only=fault.signals)
        factor = evidence_factor(share)
        points += top / len(faults) * (0.4 + 0.6 * timeliness) * factor
        why = (
            f"{move.text} at minute {move.clock_min:.0f} has the effect of the key's "
            f"'{wanted.id}' (expert: minute {reference:.0f})"
        )
        if factor < 1.0:
            why += f"; {share:.0%} of the key evidence read before it"
        whys.append(why)
        earned.append(f"move {move.index + 1}: {move.text}")
    order = _order_note(key, mine)
    if order:
        points *= ORDER_FACTOR
        whys.append(order)
    return Line("mitigation", points, top, "; ".join(whys), earned, missed)


def _order_note(key: AnswerKey, mine: list[Fix | None]) -> str:
    """Why the fixes came in the wrong order ('' if they did not)."""
    if key.mitigate_first is None:
        return ""
    at = {f.cause: fix[0].index for f, fix in zip(key.faults(), mine, strict=True) if fix}
    first = at.get(key.mitigate_first)
    if first is None or all(first <= index for index in at.values()):
        return ""
    return f"×{ORDER_FACTOR:g}: the fixes came in the wrong order" + (
        f" — {key.first_because}" if key.first_because else ""
    )


def _recovery_line(
    tel: Telemetry, refs: References, key: AnswerKey, window: tuple[float, float]
) -> Line:
    """How much of each fault's signal the trainee's run recovered, against the expert's;
    a compound incident's faults count alike, however many signals each shows in."""
    faults = key.faults()
    groups = [None] if len(faults) == 1 else [f.signals for f in faults]
    parts, notes = [], []
    for only in groups:
        left = impact(tel, refs, key, window, only)
        left_expert = refs.expert_impact(key, window, only)
        if 1.0 - left_expert <= 1e-9:  # nothing the expert could recover: not a measure
            parts.append(1.0)
        else:
            parts.append(float(np.clip((1.0 - left) / (1.0 - left_expert), 0.0, 1.0)))
        notes.append((f"{(1 - left):.0%}", f"(expert path: {(1 - left_expert):.0%})"))
    if len(faults) == 1:
        mine, expert = notes[0]
        why = f"{mine} of the incident's signal recovered in re-simulation {expert}"
    else:
        why = "of each fault's signal recovered in re-simulation: " + ", ".join(
            f"fault {i + 1} {mine} {expert}" for i, (mine, expert) in enumerate(notes)
        )
    return Line("recovery", WEIGHTS["recovery"] * float(np.mean(parts)), WEIGHTS["recovery"], why)


def prevention_concepts(key: AnswerKey) -> list[Concept]:
    return [Concept.of(p.id, p.groups()) for p in key.prevention]


def _prevention_line(
    conclusion: Conclusion | None, key: AnswerKey, correct: bool, drill: Drill
) -> tuple[Line, list[dict[str, Any]]]:
    top = WEIGHTS["prevention"]
    if not key.prevention:
        return Line("prevention", top, top, "no prevention items in the key"), []
    if conclusion is None:
        return Line("prevention", 0.0, top, "did not conclude: no prevention items given"), []
    result = judge(conclusion.statements(), prevention_concepts(key))
    alerts = credit_rules(drill.scenario, key, conclusion.rules(), set(result.earned), drill.runs)
    share = (len(result.earned) * result.factor + alerts.items) / len(key.prevention)
    named = len(result.earned) + len(alerts.earned)
    why = f"named {named} of {len(key.prevention)} prevention items"
    if result.factor < 1.0:
        why += (
            f"; {result.on_point} of {result.statements} statements on point, "
            f"so the list earns ×{result.factor:.2f}"
        )
    if alerts.note:
        why += f"; {alerts.note}"
    earned = [f"{item}: “{text}”" for item, text in result.earned.items()]
    earned += [f"{item}: {why}" for item, why in alerts.earned.items()]
    refused = [f"negated, not counted: “{t}”" for t in result.negated]
    refused += [f"a list of buzzwords, not counted: “{t}”" for t in result.soup]
    refused += alerts.refused
    got = set(result.earned) | set(alerts.earned)
    missed = [p.description or p.id for p in key.prevention if p.id not in got]
    factor = 1.0 if correct else WRONG_CAUSE_PREVENTION
    if not correct and got:
        why += f"; ×{WRONG_CAUSE_PREVENTION:g}: the diagnosis missed or mis-named a cause"
    points = top * float(np.clip(share, 0.0, 1.0)) * factor
    return Line("prevention", points, top, why, earned + refused, missed), alerts.report


def _listed_penalties(drill: Drill, key: AnswerKey) -> list[dict[str, Any]]:
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


def harm_by_effect(drill: Drill, refs: References, fixed: set[int]) -> list[dict[str, Any]]:
    """The moves other than the fixes, re-simulated together on the no-action run: the SLO
    burn and spend they added after the first of them, in proportion."""
    moves = side_effects(drill, fixed)
    timeline = side_effect_timeline(drill, fixed)
    if not moves or timeline is None:
        return []
    scenario = drill.scenario
    tel = drill.runs.get(scenario, timeline)
    window = (moves[0].sim_time_s, evaluation_window(scenario)[1])
    if window[1] <= window[0]:
        return []
    mine = slo_burn_by_kind(scenario, tel, window)
    before = slo_burn_by_kind(scenario, refs.none, window)
    added = {k: 100.0 * (mine[k] - before.get(k, 0.0)) for k in mine}
    worst = max(added, key=lambda k: added[k])
    base_spend = spend(refs.none, window)
    spend_added = (spend(tel, window) - base_spend) / base_spend if base_spend > 0 else 0.0
    if added[worst] < HARM_FLOOR_SLO and spend_added < HARM_FLOOR_SPEND:
        return []
    points = HARM_PER_SLO_POINT * max(0.0, added[worst]) + HARM_PER_SPEND * max(0.0, spend_added)
    points = float(np.clip(points, HARM_MIN, HARM_MAX))
    named = "; ".join(f"move {m.index + 1} {m.text}" for m in moves)
    return [
        {
            "move": moves[0].index,
            "points": round(points, 1),
            "id": "harm-by-effect",
            "why": (
                f"re-simulated without the fix, your other moves ({named}) made "
                f"{added[worst]:+.1f}% more of {worst} requests miss their SLO and changed "
                f"spend by {spend_added:+.0%}, against the no-action run"
            ),
            "slo_burn_added_pct": {k: round(v, 2) for k, v in added.items()},
            "spend_added": round(spend_added, 4),
        }
    ]
