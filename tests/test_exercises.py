"""The release lab's exercises as exam items: the handed-in artifact is checked by the
tools, the prose by the rubric; a blind decision, a lazy artifact or prose alone do not
pass."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from drills.course.exam import Attempt, load_exam, mark, resolve_exam, self_check
from tests.helpers import speechdrill

SCENARIOS = Path(__file__).parents[1] / "scenarios"
GOOD_PROSE = {
    "exercise-1-asr-slice-gate": (
        "Protected slices are first-class release criteria. Block when a protected slice "
        "exceeds its regression budget even if global WER improves. A missing slice pauses "
        "so eval coverage cannot disappear."
    ),
}


def marking(exam_id: str, artifact: str | None, decision: str | None = None, answer: str = ""):
    exam = load_exam(resolve_exam(exam_id))
    attempt = Attempt(
        exam=exam_id,
        candidate="c",
        answer=answer or GOOD_PROSE.get(exam_id, "x"),
        artifact=artifact,
        decision=decision,
    )
    result = mark(exam, attempt)
    return result, {i.id: i.met for i in result.items}


def budgets(**slices) -> str:
    return yaml.safe_dump({"slices": slices})


REFERENCE_BUDGETS = (SCENARIOS / "release" / "asr-budgets.yaml").read_text()
ALL = {
    "clean": {"max_wer_delta": 0.01},
    "noisy-far-field": {"max_wer_delta": 0.02},
    "code-switching": {"max_wer_delta": 0.01},
}


def test_the_gate_exercise_ranks_as_a_fair_examiner_would():
    full, met = marking("exercise-1-asr-slice-gate", REFERENCE_BUDGETS, "block")
    assert full.score == 100.0
    # nothing protected: the gate only pauses, so "block" is not the candidate's own verdict
    lax, met = marking(
        "exercise-1-asr-slice-gate",
        budgets(**ALL, **{"domain-terms": {"max_wer_delta": 0.01}}),
        "block",
    )
    assert not met["budgets-protect-the-regression"] and not met["decision-consistent"]
    assert met["budgets-cover-every-slice"]
    # the regressing slice forgotten: coverage fails, and the gate (pausing) disagrees
    forgot, met = marking("exercise-1-asr-slice-gate", budgets(**ALL), "pause")
    assert not met["budgets-cover-every-slice"] and not met["budgets-protect-the-regression"]
    # a blind "block" with no artifact earns no practical item
    blind, met = marking("exercise-1-asr-slice-gate", None, "block")
    assert not any(met[i] for i in ("budgets-protect-the-regression", "decision-consistent"))
    # prose alone cannot pass: the practical items weigh 4 of 7 points
    assert blind.score < 60.0 <= full.score
    assert full.score > lax.score > blind.score and full.score > forgot.score


@pytest.mark.slow
def test_the_packet_exercise_checks_the_packet_as_the_tool_does():
    reference = (SCENARIOS / "tts-first-audio-byte" / "rollback-packet.yaml").read_text()
    _, met = marking("exercise-2-rollback-packet", reference)
    checks = (
        "rollback-plays",
        "verification-discriminates",
        "thresholds-measured",
        "packet-private-free",
    )
    assert all(met[c] for c in checks)
    leaky = reference.replace("pager: voice-platform", "pager: ana@example.com")
    _, met = marking("exercise-2-rollback-packet", leaky)
    assert not met["packet-private-free"] and met["rollback-plays"]
    _, met = marking("exercise-2-rollback-packet", "model_version: x\n")
    assert not any(met[c] for c in checks)  # an artifact that does not load fails them all


@pytest.mark.slow
def test_the_budget_exercise_simulates_the_handed_in_plan():
    reference = (SCENARIOS / "release" / "voice-agent.yaml").read_text()
    _, met = marking("exercise-3-voice-agent-budget", reference)
    assert met["overlap-on-paper"] and met["simulated-meets"]
    serial = yaml.safe_load(reference)
    serial["overlap"] = {"retrieval_on_partials": False, "first_clause_to_tts": False}
    _, met = marking("exercise-3-voice-agent-budget", yaml.safe_dump(serial))
    assert not met["overlap-on-paper"] and not met["simulated-meets"]


def test_every_exercise_item_passes_its_own_answer_and_artifact():
    for exam_id in ("exercise-1-asr-slice-gate",):
        assert self_check(load_exam(resolve_exam(exam_id))) == []


def test_taking_an_exercise_needs_its_artifact(tmp_path):
    answer = tmp_path / "answer.txt"
    answer.write_text(GOOD_PROSE["exercise-1-asr-slice-gate"])
    out = speechdrill(
        "exam", "take", "exercise-1-asr-slice-gate", "--candidate", "ana", "--answer", str(answer)
    )
    assert out.returncode == 2 and "--artifact" in out.stderr
