"""What the trainee saw: the best reading of each key signal over a drill's looks and
queries (each result read by drills/judge/evidence.py), and the share of the key's
evidence read by a given move."""

from __future__ import annotations

from dataclasses import dataclass, field

from drills.judge.evidence import Reading, read
from drills.library.scenario import AnswerKey, Signal
from drills.play.drill import Drill

FOCUS_WEIGHT = 2.0
FULL_EVIDENCE = 0.6  # share of the key's evidence that earns a diagnosis in full


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
