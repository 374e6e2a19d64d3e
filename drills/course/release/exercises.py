"""The release lab's exercises as exam items with practical parts: a candidate hands in an
artifact (slice budgets and a gate decision; a rollback packet; a voice-agent budget) and
the tools that teams use on real releases check it. Each check is a rubric item of the exam
(`check:` instead of `accept:`), marked beside the prose rubric (drills/course/exam.py).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from drills.course.release import budget, gate, packet
from drills.library.paths import library_root
from drills.runs.service import Runs
from simulator.errors import InputError

Checks = dict[str, tuple[bool, str]]  # check id: (met, why)


def _release(name: str) -> Path:
    return library_root() / "release" / name


def gate_checks(path: Path, decision: str | None, _runs: Runs | None = None) -> Checks:
    """Exercise 1: the candidate's budgets on the shipped metric maps (global WER better,
    the domain-terms slice worse)."""
    budgets = gate.load_budgets(path)
    baseline = gate.load_metric_map(_release("asr-baseline.json"))
    candidate = gate.load_metric_map(_release("asr-candidate.json"))
    result = gate.judge(baseline, candidate, budgets)
    named = set(budgets.slices) | (set(baseline.slices) if budgets.default else set())
    missing = sorted(set(baseline.slices) - named)
    blocked_by = sorted({f.what for f in result.findings if f.verdict == "block"})
    return {
        "protects-the-regressing-slice": (
            "domain-terms" in blocked_by,
            f"your budgets block on {blocked_by or 'nothing'} (global WER "
            f"{result.global_wer[0]:.3f} → {result.global_wer[1]:.3f})",
        ),
        "covers-every-slice": (
            not missing,
            "every measured slice has a budget" if not missing else f"no budget for {missing}",
        ),
        "decision-matches-the-gate": (
            decision == result.verdict == "block",
            f"you decided {decision or 'nothing'}; your own budgets say {result.verdict}",
        ),
    }


def packet_checks(path: Path, decision: str | None, runs: Runs | None = None) -> Checks:
    """Exercise 2: the candidate's packet, tried as `speechdrill packet check` does (its
    query run by `runs`: in the console, in a sandbox process)."""
    result = packet.check(path, runs)

    def clean(prefix: str, what: str) -> tuple[bool, str]:
        found = [p for p in result.problems if p.field.startswith(prefix)]
        return (not found, "; ".join(f"{p.field}: {p.reason}" for p in found) or what)

    private = [p for p in result.problems if p.reason.startswith("holds ")]
    return {
        "rollback-command-works": clean("rollback", "the rollback command plays on the fleet"),
        "verification-tells-broken-from-fixed": clean(
            "verification", "the query fails on the incident and passes after the rollback"
        ),
        "thresholds-name-real-metrics": clean("slo_thresholds", "every threshold is measured"),
        "no-private-data": (
            not private,
            "; ".join(f"{p.field}: {p.reason}" for p in private) or "no user data in it",
        ),
    }


def budget_checks(path: Path, decision: str | None, _runs: Runs | None = None) -> Checks:
    """Exercise 3: the candidate's stage budgets, on paper and simulated (no sweep)."""
    result = budget.evaluate(path, with_sweep=False)
    target, paper, sim = result.agent.target_ms, result.paper, result.simulated
    return {
        "overlap-beats-serial": (
            paper.overlapped_ms < paper.serial_ms and paper.overlapped_ms <= target,
            f"serial {paper.serial_ms:.0f} ms, overlapped {paper.overlapped_ms:.0f} ms, "
            f"target {target:g} ms",
        ),
        "simulated-p95-meets": (
            sim.meets(target),
            f"simulated p95 {sim.percentiles['p95']:.0f} ms against {target:g} ms",
        ),
    }


# each exercise's checks of an artifact; `runs` runs the SQL a packet holds (the others
# run none)
EXERCISES: dict[str, Callable[[Path, str | None, Runs | None], Checks]] = {
    "gate": gate_checks,
    "packet": packet_checks,
    "budget": budget_checks,
}
CHECK_IDS: dict[str, set[str]] = {
    "gate": {"protects-the-regressing-slice", "covers-every-slice", "decision-matches-the-gate"},
    "packet": {
        "rollback-command-works",
        "verification-tells-broken-from-fixed",
        "thresholds-name-real-metrics",
        "no-private-data",
    },
    "budget": {"overlap-beats-serial", "simulated-p95-meets"},
}


def run_checks(
    exercise: str, artifact: str | None, decision: str | None, runs: Runs | None = None
) -> Checks:
    """Every check of the exercise on the candidate's artifact (its text); an artifact the
    tool cannot read fails every check, saying why."""
    if not artifact:
        return {c: (False, "no artifact handed in") for c in CHECK_IDS[exercise]}
    with tempfile.TemporaryDirectory(prefix="speechdrill-exercise-") as tmp:
        path = Path(tmp) / "artifact.yaml"
        path.write_text(artifact)
        try:
            return EXERCISES[exercise](path, decision, runs)
        except InputError as exc:
            why = f"the artifact does not load: {exc.field_path or 'file'}: {exc.expected}"
            return {c: (False, why) for c in CHECK_IDS[exercise]}
