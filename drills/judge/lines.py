"""The score's lines, one per component, each with the reason, what earned it and what it
lacked: diagnosis, evidence, mitigation, recovery and prevention (docs/scoring.md)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from drills.judge.alerts import credit_rules
from drills.judge.causes import match_cause, match_causes, read_causes
from drills.judge.essay import visible
from drills.judge.fixes import Fix, expert_fixes
from drills.judge.matcher import Concept, judge
from drills.judge.measures import impact
from drills.judge.reference_runs import References
from drills.judge.seen import FULL_EVIDENCE, Evidence, evidence_factor
from drills.library.scenario import AnswerKey, Conclusion
from drills.play.drill import Drill, MoveRecord
from simulator.telemetry.bundle import Telemetry

WEIGHTS = {
    "diagnosis": 30.0,
    "evidence": 25.0,
    "mitigation": 20.0,
    "recovery": 15.0,
    "prevention": 10.0,
}
WRONG_CAUSE_PREVENTION = 0.5  # prevention items for a cause the trainee did not name
ORDER_FACTOR = 0.7  # a compound incident's fixes in the order its key says is wrong


@dataclass
class Line:
    component: str
    points: float
    max_points: float
    why: str
    evidence: list[str] = field(default_factory=list)  # what earned it
    missed: list[str] = field(default_factory=list)  # what it lacked


def as_seen(move: MoveRecord | None) -> MoveRecord | None:
    """A conclusion move with its words as an examiner reads them (`essay.visible`: an HTML
    comment dropped, zero-width characters removed, look-alike letters of other scripts
    read as Latin), so that nothing hidden from the examiner earns and a disguised "not"
    still negates; the journaled move keeps the words as written."""
    if move is None or move.conclusion is None:
        return move
    c = move.conclusion
    seen = c.model_copy(
        update={
            "cause": visible(c.cause),
            "mitigations": [visible(m) for m in c.mitigations],
            "prevention": [visible(p) if isinstance(p, str) else p for p in c.prevention],
            "notes": visible(c.notes),
        }
    )
    return replace(move, conclusion=seen)


def seen_conclusion(drill: Drill) -> MoveRecord | None:
    """The drill's conclusion move, its words as an examiner reads them (`as_seen`)."""
    return as_seen(next((m for m in drill.moves if m.conclusion is not None), None))


def diagnosis_line(
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
    read = cause_readings(conclusion.cause)
    right = [f for f in faults if f.cause in named]
    if not right:
        why = f"the cause given is not the incident's ({how})"
        return Line("diagnosis", 0.0, top, why, read), False
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
    return Line("diagnosis", points, top, why, read), len(right) == len(faults) and not wrong


def causes_read(text: str) -> list[dict[str, object]]:
    """Every catalogue cause the words fit, with its role and the words that matched it
    (for the report: an ambiguous verdict names what it matched)."""
    return read_causes(text).explain() if text.strip() else []


def cause_readings(text: str) -> list[str]:
    """The causes read in an answer, one line each, as the report lists them."""
    found = read_causes(text).found if text.strip() else []
    return [f"read as {n.cause} ({n.role}): " + ", ".join(f"“{w}”" for w in n.words) for n in found]


def evidence_line(found: Evidence, key: AnswerKey, mitigated_at: dict[str, int]) -> Line:
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


def mitigation_line(
    key: AnswerKey, refs: References, found: Evidence, mine: list[Fix | None]
) -> Line:
    """Each fault's fix earns its share: timed against the expert's fix of the same fault,
    scaled by that fault's evidence read before it; fixes in the wrong order (where the
    key says which must come first) earn ×ORDER_FACTOR."""
    top = WEIGHTS["mitigation"]
    faults = key.faults()
    expert = expert_fixes(refs, key)
    if all(fix is None for fix in mine):
        missed = [m.description or m.id for m in key.all_mitigations()]
        return Line("mitigation", 0.0, top, "no move fixed what the key's fixes fix", [], missed)
    points, whys, earned, missed = 0.0, [], [], []
    for fault, fix, reference_fix in zip(faults, mine, expert, strict=True):
        if fix is None:
            missed += [m.description or m.id for m in fault.mitigations]
            continue
        move, wanted = fix.move, fix.wanted
        reference = reference_fix[0].clock_min if reference_fix else move.clock_min
        late = max(0.0, move.clock_min - reference - 5.0)
        timeliness = float(np.clip(1.0 - late / 20.0, 0.0, 1.0))
        share = found.share(key, before=move.index, only=fault.signals)
        factor = evidence_factor(share)
        points += top / len(faults) * (0.4 + 0.6 * timeliness) * factor
        how = "does for users what the key's" if fix.by_outcome else "has the effect of the key's"
        why = (
            f"{move.text} at minute {move.clock_min:.0f} {how} '{wanted.id}'"
            + (" in re-simulation" if fix.by_outcome else "")
            + f" (expert: minute {reference:.0f})"
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


def recovery_line(
    tel: Telemetry,
    refs: References,
    key: AnswerKey,
    window: tuple[float, float],
    served_wrong: float = 0.0,
) -> Line:
    """How much of each fault's signal the trainee's run recovered, against the expert's;
    a compound incident's faults count alike, however many signals each shows in. What
    was recovered by serving the incident's requests from a model that cannot serve them
    (`served_wrong`: the largest share of a concerned kind served so) is not recovery."""
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
    earned = float(np.mean(parts)) * (1.0 - served_wrong)
    if served_wrong >= 0.005:
        why += (
            f"; ×{1 - served_wrong:.2f}: {served_wrong:.0%} of the incident's requests were "
            "served by a model that cannot serve them"
        )
    return Line("recovery", WEIGHTS["recovery"] * earned, WEIGHTS["recovery"], why)


def prevention_concepts(key: AnswerKey) -> list[Concept]:
    return [Concept.of(p.id, p.groups()) for p in key.prevention]


def prevention_line(
    conclusion: Conclusion | None, key: AnswerKey, correct: bool, drill: Drill
) -> tuple[Line, list[dict[str, Any]]]:
    top = WEIGHTS["prevention"]
    if not key.prevention:
        return Line("prevention", top, top, "no prevention items in the key"), []
    if conclusion is None:
        return Line("prevention", 0.0, top, "did not conclude: no prevention items given"), []
    result = judge(conclusion.statements(), prevention_concepts(key))
    alerts = credit_rules(drill.scenario, key, conclusion.rules(), set(result.earned), drill.runs)
    share = (result.credit + alerts.items) / len(key.prevention)  # a fragment earns its weight
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
