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


# --- the second part of issue 35: verdicts, set-aside causes, lists, conditions ---------

SHADOW = "shadow-mirroring-left-on"
FEATURES = "feature-extraction-mismatch"


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # a verdict on the clause before turns it down, whatever its words
        ("A larger vocoder in the new voice was mentioned; I'd rule that out.", VOICE, 0.0),
        ("Some say the new voice is heavier; I don't believe that's the case.", VOICE, 0.0),
        ("Heavier new voice (unlikely).", VOICE, 0.0),
        # ... but a clause with its own subject is its own claim
        ("The new voice's larger vocoder did it; I'd rule out batching.", VOICE, 1.0),
        # a cause set aside stays set aside where it is only talked about again
        (
            "Shadow mirroring isn't the problem here - those shadow requests are a rounding "
            "error. It's client retries resubmitting jobs.",
            SHADOW,
            0.0,
        ),
        ("Retries aren't the problem; shadow mirroring was left on after launch.", SHADOW, 1.0),
        # a word that only describes a noun is not a negation; said of the subject it is
        (
            "The preprocessing release changed the features, and the unchanged ASR weights no "
            "longer get the input they were trained on.",
            FEATURES,
            1.0,
        ),
        ("The preprocessing features are unchanged.", FEATURES, 0.0),
        # lemmas: "held" is "hold"
        (
            "Unstable trailing words were no longer held back from the partial results.",
            "partial-stabilisation-disabled",
            1.0,
        ),
        # an inability or a mismatch is the claim
        ("The new model can't handle Spanglish.", "code-switching-regression", 1.0),
        ("The preprocessing release produces features the weights don't expect.", FEATURES, 1.0),
        # alternatives offered by repeated hedges name none
        ("Perhaps the new voice, perhaps something upstream.", VOICE, 0.0),
    ],
)
def test_verdicts_and_set_aside_causes(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text).explain()


def test_an_arrow_chain_reads_cause_then_effects():
    text = "Cause: bigger vocoder in the new voice -> more synthesis work -> FAB x2 with flat RPM"
    assert diagnosis_share(text, [VOICE])[0] == 1.0


GATE_FAB = Concept.of("fab-gate", [["@gate", "@alert"], ["first audio byte", "fab"]])
MOS = Concept.of("not-offline-mos", [["@never", "as well as"], ["offline mos", "mos"]])
SLICE = Concept.of("slice-regression", [["@slice"], ["regression", "regress", "@gate"]])


def test_a_bare_comma_list_is_a_list_and_a_verdict_joins_its_statement():
    assert judge(["MOS, FAB gate, vocoder, canary, SLO, rollback"], [GATE_FAB]).credit == 0
    assert judge(["Add a FAB gate to promotion."], [GATE_FAB]).credit == 1
    assert (
        judge(["A FAB gate would slow down our tuning work; not worth it."], [GATE_FAB]).credit == 0
    )
    assert judge(["A FAB gate on promotion. Pointless."], [GATE_FAB]).credit == 0


def test_an_items_own_never_governs_its_clause():
    assert judge(["Promote voices on MOS and fix latency later; don't block."], [MOS]).credit == 0
    assert judge(["Offline MOS is necessary but never sufficient."], [MOS]).credit == 1
    assert judge(["Never promote on offline MOS alone."], [MOS]).credit == 1


def test_a_negation_inside_a_check_is_its_condition():
    assert judge(["Check slice WER doesn't regress before merging."], [SLICE]).credit == 1
    assert judge(["Checking slice regressions isn't needed."], [SLICE]).credit == 0
    assert judge(["We don't check slice regressions."], [SLICE]).credit == 0
