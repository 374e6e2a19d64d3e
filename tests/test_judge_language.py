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


# --- the third part of issue 35: discourse, denials, conditions, lists (tests/blind C) ----

RETRY = "retry-storm"
TRAFFIC = "traffic-surge"
CLIPPING = "mic-firmware-clipping"


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # "X is not the problem; it is Y": X ruled out, Y asserted, however X is written
        (
            "VAD endpoint silence threshold too long: turns end late is not the problem here; "
            "it is a larger acoustic model or vocoder in a voice update",
            VOICE,
            1.0,
        ),
        (
            "new model worse on mixed-language (code-switched) speech is not the problem "
            "here; it is a genuine increase in traffic",
            "code-switching-regression",
            0.0,
        ),
        # a cause another cause's words deny is not the one denied
        (
            "it wasn't device firmware mislabels its sample rate this time; firmware 4.2 "
            "raised the microphone gain and the audio now clips",
            CLIPPING,
            1.0,
        ),
        # self-correction: the first guess is superseded, the latest word is the verdict
        (
            "My first guess was that the node never came back from maintenance. But user "
            "volume is unchanged. So it's the clients: the SDK's new retry policy multiplies "
            "every timed-out call, and the pool can never drain.",
            RETRY,
            1.0,
        ),
        (
            "Its requests grew. So it isn't demand at all: the evaluation mirror into the "
            "candidate pool was still running after the launch.",
            TRAFFIC,
            0.0,
        ),
        # a concession grants a symptom; what follows "but" is the claim
        (
            "Clipping from a gain bump is one idea, but I think the firmware mislabels its "
            "sample rate.",
            CLIPPING,
            0.0,
        ),
        (
            "Late chunks are making partials rewrite, yes, but the lateness comes from the "
            "server: a sick GPU in the streaming pool.",
            "network-jitter",
            0.0,
        ),
        # what is asked is not asserted; the answer to "why?" is
        ("Bigger vocoder? Longer batching? Contention? Any could double it.", VOICE, 0.0),
        (
            "Why is that late? The VAD requires a longer silence before endpointing.",
            "endpointing-too-conservative",
            1.0,
        ),
        # a negation appended to a cause governs what follows it, not the cause
        (
            "The release-candidate pool receives a full-rate duplicate of batch traffic after "
            "the launch, doubling inference without any growth in demand.",
            SHADOW,
            1.0,
        ),
        # "not because B" denies B, not the clause before it
        (
            "Because their network path got jittery and chunks arrive late, not because the "
            "servers slowed.",
            "network-jitter",
            1.0,
        ),
        # one word names one cause: "more requests at once" is batching, not traffic
        (
            "A tuning change to process more requests at once backfired on the CPU servers: "
            "requests now wait for each other.",
            TRAFFIC,
            0.0,
        ),
        # dismissed, the right cause earns nothing
        (
            "I don't think client retries have anything to do with this; the SDK retry change "
            "can be set aside.",
            RETRY,
            0.0,
        ),
    ],
)
def test_discourse_denials_and_corrections(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text).explain()


HEALTH = Concept.of("health-check-gate", [["health check", "probe"], ["@gate", "@canary"]])
ROUTER = Concept.of("canary-router", [["@canary", "blast radius"], ["router", "routing"]])
TESTS = Concept.of("feature-shape-tests", [["test", "check"], ["feature shape", "shape"]])
PRIVATE = Concept.of("no-private", [["@never", "redacted"], ["transcripts", "private"]])


def test_lists_by_what_they_say():
    # a head and a colon: the list says what the head is made of
    assert judge(["unit tests: feature shape, SR, normalisation."], [TESTS]).credit == 1
    assert judge(["Prevention: tests, shape, canary, SLO."], [TESTS]).credit == 0
    # one item and its details is one terse answer; a list of item names is not
    assert judge(["router canary, capped blast radius, one-click rollback"], [ROUTER]).credit == 1
    assert judge(["router canary", "latency gate", "fab by voice"], [ROUTER, GATE]).credit == 0
    # in a list of headings a policy word in front of a topic is one more heading
    headings = ["fab alert", "config as release", "no batching first token", "fab by kind"]
    assert judge(headings, [BATCH]).credit == 0
    assert judge(["no batching on the first-token TTS path"], [BATCH]).credit == 1


def test_conditions_lessons_and_verdicts_of_a_stretch():
    # a negation after "if" is the condition
    gate = "Refuse the voice's promotion if its first audio byte doesn't fit in 250 ms."
    assert judge([gate], [GATE]).credit == 1
    assert (
        judge(["I haven't thought about a gate if first audio byte regresses."], [GATE]).credit == 0
    )
    # the answer to "why did it happen?" names the practice that was missing
    lesson = "Why did a broken health check reach production? Nothing probed it before rollout."
    assert judge([lesson], [HEALTH]).credit == 1
    assert judge(["Why gate on health checks? No need, nothing probes them."], [HEALTH]).credit == 0
    # an item's own "not" answers its never when the first reading is turned down
    offline = "Batching is for offline jobs, not for the interactive TTS path."
    assert judge([offline], [BATCH]).credit == 1
    # a verdict after a comma governs its own stretch when the first is a point of its own
    assert judge(["FAB gate on promotion, MOS irrelevant."], [GATE_FAB]).credit == 1
    assert judge(["FAB gates, canaries are overkill."], [GATE_FAB]).credit == 0
    # ", no raw audio" governs what follows; "no transcripts" is the item's own point
    assert judge(["Only redacted transcripts to inspect, no raw audio."], [PRIVATE]).credit == 1
    assert judge(["You need the real user transcripts anyway."], [PRIVATE]).credit == 0


def test_dismissals_in_an_engineers_words():
    for answer in (
        "Latency gates and canaries are paperwork for a voice change.",
        "I'd skip the FAB gate entirely.",
        "A FAB gate slows down research for little benefit.",
        "Don't bother gating on first audio byte.",
    ):
        assert judge([answer], [GATE_FAB, CANARY]).credit == 0, answer
