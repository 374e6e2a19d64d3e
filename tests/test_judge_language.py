"""The language judge's clause-level polarity, lists and cause roles (issue 35), the replay's
validation of clock minutes, and Markdown escaping of trainee text. No simulation."""

from __future__ import annotations

import pytest

from drills.judge.causes import diagnosis_share, match_cause, read_causes
from drills.judge.matcher import Concept, judge
from reports.after_action import code, md
from tests.helpers import speechdrill

VOICE = "heavier-voice-model"


@pytest.mark.parametrize(
    "text, share",
    [
        # ruled out, then the right cause: the cause is read where it is asserted
        (
            "It isn't cold starts or batching, queue time didn't budge. It's the new voice: its "
            "vocoder is bigger.",
            1.0,
        ),
        ("The voice is not the problem here; it is a degraded GPU.", 0.0),
        ("Definitely not the new voice model.", 0.0),
        (
            "I compared model sizes in case the new voice had a bigger vocoder; it doesn't, so "
            "not that.",
            0.0,
        ),
        ("Cold starts rather than a heavier voice model.", 0.0),
        # the cause, then the mechanism and effects it led to: one cause
        (
            "The new voice ships a bigger acoustic model, so the pool scaled and replicas came "
            "up cold, causing timeouts.",
            1.0,
        ),
        # rivals offered: a hedge names none
        ("Could be the new voice, cold starts or plain traffic; not sure.", 0.0),
        ("Either the new voice is slower or the replicas are cold.", 0.0),
        # a wrong cause first, the right one only as a side remark
        (
            "First audio byte doubled because the batching window was widened alongside the "
            "voice rollout.",
            0.0,
        ),
    ],
)
def test_a_cause_is_read_in_the_clause_that_asserts_it(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


def test_a_richer_answer_names_its_primary_and_the_mechanisms_it_describes():
    found = read_causes(
        "The heavier new voice is the cause. The pool also scaled down and replicas came "
        "up cold, so requests timed out."
    )
    roles = {n.cause: n.role for n in found.found}
    assert roles[VOICE] == "primary"
    assert roles.get("cold-replicas-after-deploy") == "mechanism"
    assert (
        match_cause("The heavier new voice is the cause. Replicas also came up cold.")[0] == VOICE
    )


BATCH = Concept.of(
    "no-batching-first-token",
    [["@never", "unbatched"], ["batch", "batching"], ["tts", "first audio", "interactive"]],
)
GATE = Concept.of("latency-gate", [["@gate", "@alert"], ["@latency", "first audio byte"]])
CANARY = Concept.of("canary-first", [["@canary"], ["voice", "tts", "halt"]])


@pytest.mark.parametrize(
    "answer",
    [
        "A latency gate for voices is overkill.",
        "Canarying voices would only slow releases down.",
        "Not worth automating halts for TTS.",
        "Keep shipping fast instead of gating on first audio byte.",
        "Gating on first audio byte is pointless.",
    ],
)
def test_dismissive_answers_earn_nothing(answer):
    assert judge([answer], [GATE, CANARY]).credit == 0


def test_no_statement_earns_an_item_whose_polarity_it_contradicts():
    assert judge(["batch the TTS pool more aggressively"], [BATCH]).credit == 0
    assert judge(["never batch interactive TTS on CPU"], [BATCH]).credit == 1


def test_a_list_of_fragments_earns_in_proportion_to_its_points():
    bullets = "- latency gates\n- voice canary\n- first audio byte\n- auto-halt\n- SLO"
    assert judge([bullets], [GATE, CANARY]).credit == 0
    fragments = ["first audio byte gate", "voice canary", "MOS"]  # one entry each
    assert judge(fragments, [GATE, CANARY]).credit == 0
    sentences = [
        "Block the voice release when first audio byte breaks its budget.",
        "Roll voices out to 5% first and halt automatically.",
    ]
    assert judge(sentences, [GATE, CANARY]).credit == 2
    # one terse entry alone is an answer, not a list
    assert judge(["voice canary + auto-halt on FAB"], [CANARY]).credit == 1


def test_markdown_shows_trainee_text_as_text():
    shown = md("<script>x</script> **bold** [link](http://e) | cell")
    assert "<script>" not in shown and "**" not in shown and "](" not in shown.replace("\\]", "")
    assert "\\|" in shown
    assert code("select `x` from t").startswith("`` ")


@pytest.mark.parametrize(
    "at_min, expected",
    [(".inf", "finite number"), ("9999", "within the drill's time box")],
)
def test_a_replay_refuses_minutes_a_live_session_refuses(tmp_path, at_min, expected):
    path = tmp_path / "t.yaml"
    path.write_text(
        "scenario: tts-first-audio-byte\nmoves:\n  - look: latency-by-kind\n"
        f"  - at_min: {at_min}\n    act: {{action: rollback, args: {{target: pools.tts-cpu}}}}\n"
        "  - conclude: {cause: x}\n"
    )
    done = speechdrill("drill", "replay", "tts-first-audio-byte", str(path), "--json")
    assert done.returncode == 2, done.stderr
    assert "moves[1].at_min" in done.stderr and expected in done.stderr
    assert ":4:" in done.stderr  # the line
