"""The language judge's clause-level polarity, lists and cause roles (issue 35), the replay's
validation of clock minutes, and Markdown escaping of trainee text. No simulation."""

from __future__ import annotations

import pytest

from drills.judge.causes import diagnosis_share, match_cause, read_causes
from drills.judge.matcher import ESSAY, Concept, judge
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


# --- the third round: verdicts through a pronoun, reasons against a measure, questions ---

PARTIALS = "partial-stabilisation-disabled"
JITTER = "network-jitter"


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # doubt is a verdict; through a pronoun it judges the cause named just before it
        (
            "The new voice might be a bit heavier, but it benchmarked fine. I doubt it — "
            "probably just peak-hour queueing.",
            VOICE,
            0.0,
        ),
        ("Yes the voice update made the vocoder heavier, but I doubt that's it.", VOICE, 0.0),
        ("The vocoder may be bigger, but I doubt a few ms of synthesis matters.", VOICE, 0.0),
        # ... and only on a cause: the right cause stays asserted beside a doubted rival
        (
            "The heavier new voice is the cause; jitter rose too but I doubt that matters.",
            VOICE,
            1.0,
        ),
        ("I have no doubt the new voice's bigger vocoder doubled first audio.", VOICE, 1.0),
        (
            "The voice update shipped a heavier vocoder. I doubt that was intended, but it is "
            "what doubled first audio.",
            VOICE,
            1.0,
        ),
        # a hypothesis considered or put in others' mouths is not asserted
        (
            "The heavier voice crossed my mind, but it benchmarked fine; it's peak traffic.",
            VOICE,
            0.0,
        ),
        ("Some will say the heavier new voice is to blame, but it's just queueing.", VOICE, 0.0),
        # a cause that is itself a "not" is said, not denied
        ("The streaming partials now don't hold back the unstable words anymore.", PARTIALS, 1.0),
        ("The shadow mirror to the canary pool was not stopped after the launch.", SHADOW, 1.0),
        (
            "Hold-back on partials is still on, so it's not that; the beam was widened.",
            PARTIALS,
            0.0,
        ),
        # a clause with no verb goes on with the one before; a pronoun subject across a stop
        (
            "The new decoder config does language model rescoring, also on the partials.",
            "lm-rescoring-on-partials",
            1.0,
        ),
        (
            "We shipped the new vocoder at noon. It is much heavier, so first audio doubled.",
            VOICE,
            1.0,
        ),
        # the tighter of two matches on a shared word; a rise said of what came before it
        (
            "The delay comes from unstable network timing after a network route change.",
            JITTER,
            1.0,
        ),
        (
            "Network jitter for that cohort jumped from 15 ms to 240 ms after their traffic "
            "moved to a different edge gateway.",
            JITTER,
            1.0,
        ),
        ("Nothing jittery about it: the new gateway adds a steady 200 ms round trip.", JITTER, 0.0),
        # a cause offered beside a cause only named is an alternative
        ("Jitter or a heavier voice; hard to tell.", JITTER, 0.0),
    ],
)
def test_verdicts_through_a_pronoun_and_causes_said_as_negations(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text).explain()


def test_causes_either_side_of_a_semicolon_are_not_a_list_of_guesses():
    told = (
        "First, that cohort's network jitter jumped and the replicas restarted cold after the "
        "deploy{} the canary pool still receives a shadow copy of every batch request."
    )
    roles = {n.cause: n.role for n in read_causes(told.format("; second,")).found}
    assert roles[JITTER] == "primary" and roles[SHADOW] == "co-cause", roles
    # three side by side in one sentence are still a list of guesses
    soup = {n.role for n in read_causes(told.format(", and")).found}
    assert soup == {"soup"}


BYPASS = Concept.of("bypass", [["bypass", "skip", "small model"]])
CS_GATE = Concept.of("code-switching-gate", [["@gate"], ["code-switching", "code switching"]])


@pytest.mark.parametrize(
    "answer, concept, credit",
    [
        # reasons against a measure the entry turned down do not earn it
        ("Don't canary voices — switching voices for a subset of users is jarring.", CANARY, 0),
        ("We shouldn't gate on first audio byte. Gating on latency just blocks releases.", GATE, 0),
        (
            "Don't ship voices to everyone at once; canary them to 5% and halt on latency.",
            CANARY,
            1,
        ),
        # a statement that opens with a bare verdict turns down the one before it
        ("A FAB gate on every voice release. Not worth it — just ship.", GATE, 0),
        # a "but" with no subject of its own passes its verdict on the clause before
        ("A first audio byte gate sounds responsible but mostly slows the team down.", GATE, 0),
        ("Canarying voices sounds slow, but halting on latency keeps the voice safe.", CANARY, 1),
        # a verdict with a gap, and the same words said as an instruction
        ("A FAB gate slows the whole team down.", GATE, 0),
        ("Slow the voice rollout down with a 5% canary.", CANARY, 1),
        # forbid is a never: two of them undo each other
        ("We shouldn't forbid batching on the interactive TTS path.", BATCH, 0),
        ("Forbid batching on the interactive TTS path.", BATCH, 1),
        # an answer is read with the question it answers, and earns by its own words or a yes
        ("Would a feature-shape test have caught this release? Yes, so add them.", TESTS, 1),
        ("Should we add feature-shape tests? No — ship it.", TESTS, 0),
        ("Would a feature-shape test have caught it? No, it would not.", TESTS, 0),
        ("Does a higher MOS predict first audio byte? No — so never promote on it alone.", MOS, 1),
        # a trigger made of the item's own word is that word; "skip the canary" still turns down
        ("For trivial turns skip the big model entirely.", BYPASS, 1),
        ("Skip the canary for voices.", CANARY, 0),
    ],
)
def test_reasons_questions_and_verdicts_around_a_measure(answer, concept, credit):
    assert judge([answer], [concept]).credit == credit, judge([answer], [concept])


def test_an_essays_dismissals_with_a_concession_or_a_gap_earn_nothing():
    for answer in (
        "Code-switching gates sound responsible but mostly slow the team down.",
        "Building code-switching gates is a lot of process for a small user segment.",
        "Pausing the canary over one cohort is an overreaction; code-switching gates are ceremony.",
    ):
        assert judge([answer], [CS_GATE], ESSAY).credit == 0, answer
    assert judge(["Add a code-switching gate before any release."], [CS_GATE], ESSAY).credit == 1


@pytest.mark.parametrize(
    "answer, concept, credit",
    [
        # a verdict on a course of action in a copula's predicate argues against the measure
        (
            "Gating every voice on first audio byte would be an error; listeners want timbre.",
            GATE,
            0,
        ),
        (
            "It seems unwise to canary voices, since a voice swap mid-call confuses people.",
            CANARY,
            0,
        ),
        ("Canary rollouts for TTS voices would do more harm than good.", CANARY, 0),
        ("I'd argue against canarying TTS voices at all.", CANARY, 0),
        # ... and with a negation of its own the two cancel: the measure is recommended
        ("Shipping a voice without a first audio byte gate would be an error.", GATE, 1),
        ("It would be unwise not to canary new TTS voices.", CANARY, 1),
        ("A first-audio-byte gate is no mistake: put one on every voice release.", GATE, 1),
        # an evaluation inside a condition is what is checked, not a verdict
        ("Block the voice release whenever its first audio byte looks wrong.", GATE, 1),
        # an item that is a "never" is said by a verdict on what it forbids
        ("Promoting a voice on offline MOS alone would be a mistake.", MOS, 1),
        ("Promoting a voice on offline MOS is the sensible default.", MOS, 0),
        # a "but" with no subject that opens on a verdict judges the clause before
        ("A first audio byte gate is a neat idea but not worth the effort.", GATE, 0),
        ("Gate voices on first audio byte, but not on internal test builds.", GATE, 1),
        # a noun that is also a verb ("pool-level ...") opens a description, not an
        # instruction: the reasons after a turned-down measure stay reasons against it
        (
            "There's no reason to gate voices on latency. Pool-level latency is what people "
            "watch, and per-voice gates are brittle.",
            GATE,
            0,
        ),
        ("There's no reason to wait. Gate every voice on first audio byte.", GATE, 1),
    ],
)
def test_a_verdict_on_a_measure_argues_against_it(answer, concept, credit):
    assert judge([answer], [concept]).credit == credit, judge([answer], [concept])


@pytest.mark.parametrize(
    "text, share",
    [
        # a verdict on what was done is not a denial of the cause: it says it happened
        ("Shipping the heavier voice model was a mistake: its vocoder doubled first audio.", 1.0),
        ("Rolling out the heavier new voice model to everyone at once was unwise.", 1.0),
    ],
)
def test_a_verdict_on_what_was_done_leaves_the_cause_said(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


BEAM = "beam-width-changed"


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # a hypothesis others put forward is reported, not the writer's claim
        ("People keep blaming the heavier new voice model.", VOICE, 0.0),
        ("I blame the heavier new voice model.", VOICE, 1.0),
        ("The heavier new voice model was floated in standup; nothing is confirmed.", VOICE, 0.0),
        ("A heavier new voice model came up in the incident channel.", VOICE, 0.0),
        ("A heavier new voice model was raised as a possibility.", VOICE, 0.0),
        # "raised", "brought in" are also the change itself
        ("The beam width was raised in the decoder config push.", BEAM, 1.0),
        ("The voice update brought in a heavier new voice model.", VOICE, 1.0),
        # ... and a reported hypothesis may be endorsed
        (
            "Someone floated a heavier voice model, and sure enough the new voice model is "
            "heavier.",
            VOICE,
            1.0,
        ),
        # a sentence that opens by granting ("Yes, X, but ...") does not claim X
        ("Yes, the new voice model is heavier, but that can't explain a doubling.", VOICE, 0.0),
        ("Yes, the new voice model is heavier, and that doubled first audio byte.", VOICE, 1.0),
        # a hypothesis supposed, then weighed in the same sentence, is still not claimed
        (
            "The heavier voice was my first guess, but a heavier voice would slow every "
            "request, not only first audio.",
            VOICE,
            0.0,
        ),
        ("My first guess was cold starts, but it's the heavier new voice model.", VOICE, 1.0),
        (
            "Heavier voice models crossed my mind, and the profile confirms it: the new voice "
            "model is heavier.",
            VOICE,
            1.0,
        ),
        # "ruled them out": the object between the verb and "out"
        ("Heavier voice models crossed my mind and I ruled them out.", VOICE, 0.0),
        ("I ruled the heavier voice out early; the vocoder is the same size.", VOICE, 0.0),
        (
            "Cold starts crossed my mind and I ruled them out; it's the heavier new voice model.",
            VOICE,
            1.0,
        ),
    ],
)
def test_hypotheses_reported_granted_or_weighed_are_not_claimed(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # a subject called an effect is set aside; "a consequence of X" names X as the cause
        (
            "Client retries are just a symptom; the classifier pool never came back.",
            RETRY,
            0.0,
        ),
        (
            "Client retries with no backoff are the cause; the failing pool is just a symptom.",
            RETRY,
            1.0,
        ),
        (
            "The outage is a consequence of client retries hammering the pool without backoff.",
            RETRY,
            1.0,
        ),
        # a verdict said of a word of one cause's thing ("the network": "flaky network")
        (
            "I don't think it's the network; that cohort's jitter graphs are always busy.",
            JITTER,
            0.0,
        ),
        ("I think it's the network: jitter on that cohort's ISP delays the chunks.", JITTER, 1.0),
        # a hypothesis named as such is not the writer's; "my theory is" is
        ("There's a theory that client retries are hammering the pool; unchecked.", RETRY, 0.0),
        ("My theory is that client retries are hammering the pool with no backoff.", RETRY, 1.0),
    ],
)
def test_effects_theories_and_verdicts_on_a_word_of_a_cause(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


SLICE_GATE = Concept.of("slice-gates", [["@gate", "@monitor"], ["slice"]])
REPLAY = Concept.of("replay-fixtures", [["replay", "@fixture"], ["release", "config"]])


@pytest.mark.parametrize(
    "answer, concept, credit",
    [
        # a word two groups share ("slice": also a monitor's "sliced") answers the group that
        # has no other word, in a clause that directs
        ("Make slice metrics the gate for router changes.", SLICE_GATE, 1),
        ("Slice metrics were the gate we had for router changes.", SLICE_GATE, 0),
        # "why not ..." suggests, wherever the question opens; "why ..." only asks
        ("Why not replay a fixed audio set before each config release?", REPLAY, 1),
        ("Why replay a fixed audio set before each config release?", REPLAY, 0),
        ("The averages looked fine, so why not alarm on first audio byte per voice?", GATE, 1),
        ("The averages looked fine, so why alarm on first audio byte per voice?", GATE, 0),
    ],
)
def test_shared_words_and_suggestions_in_a_question(answer, concept, credit):
    assert judge([answer], [concept]).credit == credit, judge([answer], [concept])


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # an article inside a phrasing is any article ("close the turn": "close a turn")
        ("The silence needed to close a turn is too long.", "endpointing-too-conservative", 1.0),
        ("The silence needed to close a turn is too short.", "endpointing-too-conservative", 0.0),
        # a mismatch said as what the weights were not trained for is the claim itself
        ("The new preprocessing produces features the weights weren't trained for.", FEATURES, 1.0),
        ("The preprocessing release altered the features it computes.", FEATURES, 1.0),
        ("The features are unchanged, and the preprocessing was not altered.", FEATURES, 0.0),
    ],
)
def test_articles_and_mismatches_in_a_causes_words(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


PRIVACY_REVIEW = Concept.of("privacy-review", [["privacy"], ["review", "check", "sign-off"]])
QUEUE_WATCH = Concept.of("serving-health", [["@monitor", "watch"], ["queue", "retries"]])


@pytest.mark.parametrize(
    "answer, concept, credit",
    [
        # a negation's list goes on after a comma: every entry is turned down
        (
            "I'd skip load tests, dashboards or privacy reviews for a small tweak.",
            PRIVACY_REVIEW,
            0,
        ),
        ("We don't need canaries, dashboards or privacy reviews here.", PRIVACY_REVIEW, 0),
        # ... but a clause or an instruction of its own after the comma is not on the list
        ("We don't need a canary, privacy reviews catch it before launch.", PRIVACY_REVIEW, 1),
        ("Don't log raw audio, and watch queue time and retries.", QUEUE_WATCH, 1),
    ],
)
def test_a_negations_list_goes_on_after_a_comma(answer, concept, credit):
    assert judge([answer], [concept], ESSAY).credit == credit, judge([answer], [concept], ESSAY)


FAB_PAGE = Concept.of("fab-alert", [["@alert"], ["first audio byte"]])


@pytest.mark.parametrize(
    "answers, credit",
    [
        # after a measure is turned down, a statement that only describes is a reason
        # against it, whatever other item its words fit
        (
            ["We shouldn't canary TTS voices. A first audio byte alert would fire on every swap."],
            0,
        ),
        # ... one that recommends is an answer
        (["We shouldn't canary TTS voices. Page on first audio byte instead."], 1),
        # ... and a separate entry is its own argument
        (["We shouldn't canary TTS voices.", "A first audio byte alert catches a slow voice."], 1),
    ],
)
def test_reasons_against_a_turned_down_measure_earn_no_other_item(answers, credit):
    assert judge(answers, [CANARY, FAB_PAGE]).weights.get("fab-alert", 0) == credit


@pytest.mark.parametrize(
    "text, share",
    [
        # a negated participle of a cause carries its auxiliary ("not disabled": "had not
        # been disabled"); said without the negation, the mirror was stopped
        ("The shadow mirror had not been disabled when the candidate shipped.", 1.0),
        ("The shadow mirror had been disabled when the candidate shipped.", 0.0),
    ],
)
def test_a_negated_participle_carries_its_auxiliary(text, share):
    assert diagnosis_share(text, [SHADOW])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # a rise named as the head of another noun's compound is that noun's rise
        ("Jitter lagged captions. The batch spend increase came from duplicated requests.", 0.0),
        ("The GPU cost increase at noon tracks the requests our users sent.", 0.0),
        ("A request increase at noon drove the spend up.", 1.0),
        ("Requests show a sharp increase at noon, all from real users.", 1.0),
    ],
)
def test_a_rise_is_said_of_the_noun_it_heads(text, share):
    assert diagnosis_share(text, [TRAFFIC])[0] == share, read_causes(text)


ACOUSTIC = Concept.of(
    "acoustic-summaries", [["@monitor", "@alert"], ["clipping", "loudness", "snr"]]
)
SHADOW_EVAL = Concept.of(
    "shadow-before-promotion", [["shadow", "fixed eval"], ["promot", "release"]]
)


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # one verb and the list of its objects is one point; a list of topics is not
        (["Monitor clipping, loudness, SNR and input levels."], ACOUSTIC, 1),
        (["Clipping, loudness, SNR and input levels."], ACOUSTIC, 0),
        # a why-question naming what was missing, answered by requiring it
        (["Why promote a build that was never shadowed? Require it from now on."], SHADOW_EVAL, 1),
        (["Why promote a build that was shadowed? Require it from now on."], SHADOW_EVAL, 0),
        (["Why promote a build that was never shadowed? No, ship it."], SHADOW_EVAL, 0),
    ],
)
def test_a_verb_with_its_list_and_a_why_answered_by_a_requirement(answers, concept, credit):
    # beside another item a fragment of the list names (so the list is not one item detailed)
    found = judge(answers, [concept, LEVELS])
    assert found.weights.get(concept.id, 0) == credit, found


LEVELS = Concept.of("input-levels", [["input levels", "input level"]])


# --- the fifth round (issue 35, tuned on writer F): where an argument lands ---------------
RETRY_BUDGET = Concept.of("retry-budget", [["retry budget", "budget"], ["retry", "retries"]])
COHORT_ALERT = Concept.of("cohort-latency-alert", [["@alert"], ["cohort"], ["@latency"]])
STAGES = Concept.of("overlap-stages", [["overlap", "in parallel"], ["retrieval", "stage"]])


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a measure described, then a preference for the status quo: argued against
        (
            [
                "A retry budget would starve callers when a dependency flaps; I'd rather leave "
                "retries as they are."
            ],
            RETRY_BUDGET,
            0,
        ),
        # the same measure recommended in its own clause, the preference an addition
        (
            ["Add a retry budget for every client; I'd also keep the attempt cap at three."],
            RETRY_BUDGET,
            1,
        ),
        # what there is said to suffice
        (
            [
                "Paging per cohort on latency would flood the rota. The global latency page is "
                "enough."
            ],
            COHORT_ALERT,
            0,
        ),
        # ... and said not to suffice: an argument for the measure
        (
            ["Page per cohort on latency. The global latency page is not enough on its own."],
            COHORT_ALERT,
            1,
        ),
        # a first person refusing it through a pronoun, in the next sentence
        (
            [
                "Running retrieval in parallel with the last words means redoing it whenever the "
                "speaker goes on. We won't build it."
            ],
            STAGES,
            0,
        ),
        # a purpose with a negation is a reason for the measure, not a refusal
        (
            [
                "Run retrieval in parallel with transcription so we don't lose half a second "
                "per turn."
            ],
            STAGES,
            1,
        ),
        # a bare verdict of worth or time, alone or after a comma
        (["Overlapping retrieval stages — a fun project, not a priority."], STAGES, 0),
        (["Overlap the retrieval stage with ASR. Not optional."], STAGES, 1),
        # a measure said to be too much, in its copula's predicate
        (["Cohort latency alerts are far too noisy to be worth it."], COHORT_ALERT, 0),
        # "too" as "also", and "too" inside a condition, are no verdict
        (["Cohort latency alerts too, paging when p95 gets too high."], COHORT_ALERT, 1),
        # a pronoun's denial after the measure
        (["A retry budget halves availability in a blip; it isn't justified."], RETRY_BUDGET, 0),
        # a relative "that" before a denial is no pronoun's verdict
        (
            ["Retry budgets per client. Clients that don't back off hit theirs first."],
            RETRY_BUDGET,
            1,
        ),
        # a stance against, and a cost said to exceed the gain
        (["I'm against a retry budget for retries on the mobile SDK."], RETRY_BUDGET, 0),
        (
            ["Per-client retry budgets: the bookkeeping costs more than it's worth."],
            RETRY_BUDGET,
            0,
        ),
        # a question weighs the measure; it does not land against it
        (
            ["Retry budgets per client. Why would anyone keep unlimited retries?"],
            RETRY_BUDGET,
            1,
        ),
    ],
)
def test_an_entry_that_lands_against_a_measure_earns_nothing(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


STABILISATION = "partial-stabilisation-disabled"


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # a dismissal holding its object sets the cause just named aside
        (
            "The loudness did go up on the new firmware and frames clip, but the model saw "
            "louder audio in training, so I've put it aside. My bet is the VAD.",
            CLIPPING,
            0.0,
        ),
        # the same words as the cause, kept
        (
            "The loudness went up on the new firmware and frames clip; I've checked it twice "
            "and that is the cause.",
            CLIPPING,
            1.0,
        ),
        # a pronoun called a coincidence or cosmetic
        (
            "Yes, the beam width changed in that push, but that's a coincidence; longer calls "
            "explain the GPU time.",
            BEAM,
            0.0,
        ),
        ("The beam width changed in that push, and that's what doubled the GPU time.", BEAM, 1.0),
        # "not treating it as the cause"
        (
            "The new voice is larger, but I'm not treating it as the cause; the network is.",
            VOICE,
            0.0,
        ),
        # a pronoun's dismissal with "set aside" said of the network, the voice kept
        (
            "The new voice is a heavier model, and that is the cause; the network I set aside.",
            VOICE,
            1.0,
        ),
    ],
)
def test_a_cause_waved_away_after_it_is_named_is_not_named(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # a condition contrary to past fact asserts what its "hadn't" denies
        (
            "If the decoder push hadn't widened the beam, each file would still cost what it "
            "did last week.",
            1.0,
        ),
        # a plain condition asserts nothing, and a denial outside a condition still denies
        ("If the beam had been widened, each file would cost more.", 0.0),
        ("The decoder push hadn't widened the beam; the files got longer.", 0.0),
    ],
)
def test_a_counterfactual_asserts_what_happened(text, share):
    assert diagnosis_share(text, [BEAM])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # the consequent of a condition contrary to past fact says what the world without
        # the cause would be: it asserts the cause, its denial denies only that world; so
        # does the inverted form
        (
            "If the health check hadn't broken in the release, the embeddings would still run "
            "on CPUs and the GPU fallback pool would not be busy.",
            1.0,
        ),
        (
            "Had the release not broken the health check, embeddings wouldn't have fallen back "
            "onto the GPU pool.",
            1.0,
        ),
        # a plain condition supposes; a denial with no condition still denies
        ("If embeddings fell back onto the GPU pool, the bill would rise.", 0.0),
        ("Embeddings wouldn't fall back onto the GPU pool; the health check is fine.", 0.0),
    ],
)
def test_a_counterfactual_consequent_asserts_what_is(text, share):
    assert diagnosis_share(text, ["cpu-to-gpu-fallback"])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        ("Decoder config change: no hold-back on the trailing word any more.", 1.0),
        ("Hold-back was never touched by the push.", 0.0),
    ],
)
def test_the_stabilisation_cause_said_as_a_negation(text, share):
    assert diagnosis_share(text, [STABILISATION])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # a modal of possibility on where it came from, over a list of candidates: a hedge
        (
            "The slower replies could come from the heavier voice, a flaky CDN or a client "
            "bug; we can't tell yet.",
            0.0,
        ),
        ("Possible causes: the heavier voice, a CDN hiccup, or a client regression.", 0.0),
        # the same cause asserted, with what it came from said plainly
        ("The slower replies come from the heavier voice: its vocoder is bigger.", 1.0),
    ],
)
def test_candidates_listed_as_possibilities_name_none(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a denial that a release goes ahead, on a condition, is a rule: a gate
        (["No voice passes review unless its first audio byte is under budget."], 1),
        (["A voice can't be promoted if its first audio byte is over budget."], 1),
        # without the condition it denies; said by someone for themselves it refuses; said
        # as an instruction not to, it turns the gate down
        (["No gate on first audio byte for voices."], 0),
        (["I wouldn't block a voice on first audio byte unless users complain."], 0),
        (["Don't block voices on first audio byte if they sound better."], 0),
    ],
)
def test_a_prohibition_with_its_condition_is_a_rule(answers, credit):
    found = judge(answers, [GATE_FAB])
    assert found.weights.get("fab-gate", 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a constraint set before the main clause governs its own phrase, up to the comma
        (["Without the raw audio, I'd watch clipping per cohort."], ACOUSTIC, 1),
        # what it governs stays turned down, and without a main clause it governs all
        (["Without a canary per voice, we'd ship faster."], CANARY, 0),
        (["Without clipping monitors per cohort."], ACOUSTIC, 0),
    ],
)
def test_an_opening_without_governs_its_own_phrase(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answer, credit",
    [
        # a modal in a relative clause after the measure's verb does not recommend it
        (
            "Gating every voice on latency gives up the quality we'll need to win users; "
            "better to tune the vocoder.",
            0,
        ),
        # the speaker's own modal before the verb does, whatever the entry closes on
        ("We should gate every voice on latency; I'd rather lose a week than users.", 1),
        ("We'll need a latency gate for every voice; I'd rather lose a week than users.", 1),
    ],
)
def test_a_modal_recommends_only_as_its_clauses_own(answer, credit):
    found = judge([answer], [GATE])
    assert found.weights.get("latency-gate", 0) * found.factor == credit, found


ROUTER_CAUSE = "cascade-router-misrouting"


@pytest.mark.parametrize(
    "text, share",
    [
        # "A and not B": the "not" sets what follows against what came before
        (
            "Noisy speakerphone audio is now routed to the small model and not to the large one.",
            1.0,
        ),
        # a "not" that governs the claim itself still denies it
        (
            "Noisy speakerphone audio is not routed to the small model; it goes to the large "
            "one as before.",
            0.0,
        ),
    ],
)
def test_and_not_governs_what_follows(text, share):
    assert diagnosis_share(text, [ROUTER_CAUSE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answer, credit",
    [
        ("Page on latency per device cohort and not on the fleet average.", 1),
        ("Page on the fleet average latency and not per device cohort.", 0),
    ],
)
def test_and_not_in_a_measure_governs_what_follows(answer, credit):
    found = judge([answer], [COHORT_ALERT])
    assert found.weights.get("cohort-latency-alert", 0) * found.factor == credit, found


# --- the sixth round (tuned on writer G) -------------------------------------------------
ENDPOINT_LONG = "endpointing-too-conservative"
REASON_CAUSE = "lm-rescoring-on-partials"
RATE = "mic-firmware-sample-rate"
SHADOW = "shadow-mirroring-left-on"


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # "so" of degree ("so much that") opens no consequence: the claim stays whole
        (
            "The new firmware boosts the mic so much that loud vowels saturate and arrive "
            "squared off.",
            CLIPPING,
            1.0,
        ),
        # the same words with a real consequence after "so" and the cause ruled out
        (
            "The mic level is unchanged on the new firmware, so clipping is not the story here.",
            CLIPPING,
            0.0,
        ),
        # "cut flat" is what clipping does to a waveform, not a steady reading
        (
            "Since the update the peaks get cut flat: the devices overdrive the input.",
            CLIPPING,
            1.0,
        ),
        ("Peak level stayed flat across the update, so it's not clipping.", CLIPPING, 0.0),
        # a view the evidence changed is a first guess; the final view is the answer
        (
            "The jumpy partials made me think someone switched off hold-back. The diff says "
            "otherwise: interim hypotheses now go through an LM rescoring pass.",
            REASON_CAUSE,
            1.0,
        ),
        (
            "I expected the LM rescoring on interim results to be it, and the diff confirms "
            "it: rescoring now runs on every partial.",
            REASON_CAUSE,
            1.0,
        ),
        (
            "The jumpy partials made me think of LM rescoring on interim results, but the "
            "rescoring config is untouched; hold-back was switched off.",
            REASON_CAUSE,
            0.0,
        ),
    ],
)
def test_degree_so_a_clipped_shape_and_a_changed_mind(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # a cause named by its mechanism, without the component's usual noun
        (
            "The decoding step now carries a dozen candidate hypotheses per frame where it "
            "used to keep one, so every file costs far more GPU.",
            BEAM,
            1.0,
        ),
        (
            "The end-of-turn logic now wants a longer pause before it decides the speaker has "
            "finished, so replies start late.",
            ENDPOINT_LONG,
            1.0,
        ),
        (
            "Those handsets' headers state a rate twice what the devices actually capture.",
            RATE,
            1.0,
        ),
        (
            "The devices record at half the rate their metadata declares.",
            RATE,
            1.0,
        ),
        (
            "Every batch file is transcribed a second time by the comparison job nobody "
            "switched off after launch.",
            SHADOW,
            1.0,
        ),
        # near misses: the same families, turned down or said of something else
        (
            "The headers declare the right rate and the devices record at it, so the sample "
            "rate is not the problem.",
            RATE,
            0.0,
        ),
        (
            "The decoder keeps one candidate per frame as before; the beam is unchanged, it's "
            "longer files.",
            BEAM,
            0.0,
        ),
        # the mic's volume, not the traffic's: a job run at full volume is no loud mic
        (
            "The comparison copy of batch traffic we set up for the canary still runs at full "
            "volume after launch.",
            CLIPPING,
            0.0,
        ),
    ],
)
def test_causes_named_by_their_mechanism(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


ROLLBACK_TO_OLD = Concept.of("rollback", [["rollback", "roll back"], ["old", "previous"]])


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # the last of a series of instructions, "and don't ...", denies only itself
        (
            [
                "Ship to a small canary first, keep a rollback to the previous build, and don't "
                "store raw audio."
            ],
            ROLLBACK_TO_OLD,
            1,
        ),
        (
            ["Ship to a small canary first, and don't keep a rollback to the previous build."],
            ROLLBACK_TO_OLD,
            0,
        ),
        # a negation bounded by a limit states the limit
        (["No slice may regress beyond the agreed budget before promotion."], SLICE, 1),
        (["Slice WER must not regress by more than 2 points."], SLICE, 1),
        # unbounded, or bounded by no limit, it still denies
        (["No slice regression beyond noise, so no gate."], SLICE, 0),
        (["I wouldn't block on a slice regressing by more than 2 points."], SLICE, 0),
    ],
)
def test_a_series_of_instructions_and_a_bounded_negation(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a measure handed to someone else, deferred forever, or called noise: turned down
        (["Cohort latency alerts are the SRE team's problem, not ours."], COHORT_ALERT, 0),
        (
            ["Per-cohort latency alerts... the observability folks will get to it eventually."],
            COHORT_ALERT,
            0,
        ),
        (["Cohort latency alerts. One more page on top of the rest is noise."], COHORT_ALERT, 0),
        (["A retry budget: fine in theory, but nobody will tune it."], RETRY_BUDGET, 0),
        (["A retry budget is a poor investment for a client we're retiring."], RETRY_BUDGET, 0),
        # the same verdicts as the reason for the measure, or said of the alternative
        (
            ["Alert on latency per device cohort, because the fleet-wide page alone is noise."],
            COHORT_ALERT,
            1,
        ),
        (
            ["Cohort latency alerts are ours to own, not the SRE team's: add them this sprint."],
            COHORT_ALERT,
            1,
        ),
        (
            ["Add a retry budget per client; unlimited retries are a waste of capacity."],
            RETRY_BUDGET,
            1,
        ),
    ],
)
def test_a_measure_handed_off_deferred_or_called_noise(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


RETRIES = "retry-storm"
JITTER = "network-jitter"


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # a chat reply's "nah" and normal variation dismiss the cause just raised
        (
            "ana: could the new retry policy be flooding us?\nben: nah, the SDK caps retries "
            "at two; the pool lost replicas in the maintenance window",
            RETRIES,
            0.0,
        ),
        (
            "ana: could the new retry policy be flooding us?\nben: yes, the SDK now retries "
            "without backoff and the retries swamp the pool",
            RETRIES,
            1.0,
        ),
        ("Jitter rose a little, but that's always noisy; I'd blame the new canary.", JITTER, 0.0),
        ("Jitter on that carrier doubled and the audio arrives in bursts.", JITTER, 1.0),
    ],
)
def test_a_chat_dismissal_and_normal_variation(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a verdict on what there is alone argues for the measure
        (
            ["Latency alerts per device cohort; the fleet-wide page alone is too coarse."],
            COHORT_ALERT,
            1,
        ),
        (["Latency alerts per device cohort are too coarse to act on."], COHORT_ALERT, 0),
        # a prohibition of doing without requires the thing
        (["Clients should never retry without a budget."], RETRY_BUDGET, 1),
        (["Clients retry without a budget today."], RETRY_BUDGET, 0),
        (["I wouldn't add a retry budget without more data."], RETRY_BUDGET, 0),
    ],
)
def test_alone_and_never_without(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


CONFIG_RELEASE = Concept.of("config-as-release", [["config", "setting"], ["@release"]])


@pytest.mark.parametrize(
    "answers, credit",
    [
        # an instruction pointing back at what the sentence before named is read with it
        (["Decoder settings get edited in place on prod. Treat them as releases."], 1),
        # a choice of the writer's, or a denial, pointing back earns nothing
        (
            ["Decoder settings get edited in place on prod. I'd keep editing them that way."],
            0,
        ),
        (["Decoder settings get edited in place on prod. Never gate them."], 0),
    ],
)
def test_an_instruction_pointing_back_is_read_with_what_it_points_at(answers, credit):
    found = judge(answers, [CONFIG_RELEASE])
    assert found.weights.get("config-as-release", 0) * found.factor == credit, found


# the seventh round (tuned on writer H): readings of kinds of rejection, each both ways
FALLBACK_PAGE = Concept.of("fallback-rate-alarm", [["@alert", "counter"], ["fallback"]])
COST_UNIT = Concept.of("cost-per-request-alert", [["@alert"], ["per request", "cost per"]])
SHAPE_TESTS = Concept.of("feature-shape-tests", [["test"], ["shape"]])
FAB_ALERT = Concept.of("fab-alert", [["@alert"], ["fab", "first audio byte"]])


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a verdict word is no truncation of an item's word ("counterproductive", "counter")
        (
            ["Paging on the fallback share is counterproductive: fallbacks are meant to be quiet."],
            FALLBACK_PAGE,
            0,
        ),
        (["Page on the fallback share: a silent fallback hides a sick pool."], FALLBACK_PAGE, 1),
        # "we'd be ...ing" foretells what a measure brings, it does not recommend; a plural
        # noun and its verb ("request sizes vary") is a subject, not an instruction
        (
            [
                "I'd argue against cost-per-request paging: request sizes vary a lot, so we'd be "
                "chasing noise weekly."
            ],
            COST_UNIT,
            0,
        ),
        (
            [
                "Page on cost per request: request sizes vary, but the weekly median barely moves, "
                "so we'd catch a real jump."
            ],
            COST_UNIT,
            1,
        ),
    ],
)
def test_a_verdict_word_and_a_prediction_are_no_recommendation(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a negation of worth or need in any form lands the argument ("isn't worth it")
        (
            [
                "A canary for every voice sounds careful, but voices change rarely; the extra "
                "pipeline isn't worth it."
            ],
            CANARY,
            0,
        ),
        (["Send every new voice to a canary first; the extra pipeline is worth it."], CANARY, 1),
        # a topic heading ("Cohort alerts —") is no instruction, so the wave of the hand after
        # it ("fired anyway") lands against it; an instruction with a dash still stands
        (
            [
                "Cohort latency alerts — there are hundreds of cohorts. The fleet page went off "
                "anyway."
            ],
            COHORT_ALERT,
            0,
        ),
        (["Alert on latency per cohort — the fleet page went off far too late."], COHORT_ALERT, 1),
        # the question an entry answers asks, it directs nothing; a verdict or a refusal
        # standing alone after the answer turns it down
        (
            ["First-audio-byte alerts? The burn-rate page caught it. Not worth another one."],
            FAB_ALERT,
            0,
        ),
        (
            ["First-audio-byte alerts? The burn-rate page caught it. Don't need another one."],
            FAB_ALERT,
            0,
        ),
        (
            ["First-audio-byte alerts? The burn-rate page caught it an hour late. Add one."],
            FAB_ALERT,
            1,
        ),
        (
            [
                "Per-cohort latency alerts would mean a page per carrier for what tickets show us. "
                "Skip."
            ],
            COHORT_ALERT,
            0,
        ),
        (
            ["Per-cohort latency alerts would have paged us before the tickets did. Add them."],
            COHORT_ALERT,
            1,
        ),
        # "so I don't see them paying off" judges; "so we don't ship it again" is a purpose
        (
            ["Shape tests are quick to write and quick to skip, so I don't see them paying off."],
            SHAPE_TESTS,
            0,
        ),
        (
            ["Add shape tests on the features, so we don't ship a wrong config again."],
            SHAPE_TESTS,
            1,
        ),
        # reasons after a refusal: a third party's need is no one's choice of the measure
        (
            [
                "I don't think we should add a retry budget. Callers need their results, and a "
                "budget would drop retries they rely on."
            ],
            RETRY_BUDGET,
            0,
        ),
        (
            ["I don't think the default is enough. We should add a retry budget per client."],
            RETRY_BUDGET,
            1,
        ),
    ],
)
def test_a_measure_turned_down_by_worth_a_topic_or_a_refusal_alone(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a cost weighed against its gain, harm, and a measure said to be only words
        (
            ["A retry budget would hurt the callers more than help them during a blip."],
            RETRY_BUDGET,
            0,
        ),
        (
            ["A budget on retries helps more than it costs: the storm dies in seconds."],
            RETRY_BUDGET,
            1,
        ),
        (["Per-cohort latency alerts: too much noise for what they find."], COHORT_ALERT, 0),
        (
            ["Per-cohort latency alerts cut the noise: page only the cohort that is late."],
            COHORT_ALERT,
            1,
        ),
        (
            ["Making every retry change go through a budget review would slow us to a crawl."],
            RETRY_BUDGET,
            0,
        ),
        (
            ["Per-cohort latency alerts miss the point; the fleet SLO is what users feel."],
            COHORT_ALERT,
            0,
        ),
        (
            ["Per-cohort latency alerts make sense elsewhere, but our cohorts are tiny."],
            COHORT_ALERT,
            0,
        ),
        (
            ["Per-cohort latency alerts make sense here: one carrier went dark for an hour."],
            COHORT_ALERT,
            1,
        ),
    ],
)
def test_cost_benefit_and_harm_arguments(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # "I'd discount it", "treat X as a side note", "I wouldn't jump to X": set aside
        (
            "A fallback to the GPU pool crossed my mind, but the probes were green, so I'd "
            "discount it; padding waste is my guess.",
            "cpu-to-gpu-fallback",
            0.0,
        ),
        (
            "The embedding calls fell back from CPU to GPU when the new health check failed; a "
            "discount tier on GPU hours hid the bill.",
            "cpu-to-gpu-fallback",
            1.0,
        ),
        (
            "Clipping happens on some loud clips, so I'd treat clipping as a side note; the "
            "firmware's noise filter is my bet.",
            CLIPPING,
            0.0,
        ),
        ("The firmware raised the mic gain and the audio now clips at the peaks.", CLIPPING, 1.0),
    ],
)
def test_a_cause_discounted_or_set_beside_the_story(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # "where the money goes" is a verdict on a cause, as "the cause" is
        (
            "The release pool still receives mirrored traffic, but I doubt that's where the "
            "money goes; my bet is padding.",
            0.0,
        ),
        (
            "The release pool still receives a mirrored copy of every batch job after launch, "
            "and that's where the money goes.",
            1.0,
        ),
    ],
)
def test_where_the_money_goes_is_a_verdict_on_a_cause(text, share):
    assert diagnosis_share(text, [SHADOW])[0] == share, read_causes(text)


BATCHING = "batching-misconfigured"


@pytest.mark.parametrize(
    "text, share",
    [
        # a list of guesses under a heading that calls them candidates names none of them
        (
            "Suspects for the slow replies:\n- the batching window change\n- too few "
            "replicas\n- longer LLM replies\nNo verdict yet.",
            0.0,
        ),
        (
            "Ideas on the table: the batching window change, too few replicas, or a slow "
            "text front end.",
            0.0,
        ),
        # unless the answer takes one of them up after the list
        (
            "Suspects were: the batching window change, too few replicas, longer LLM "
            "replies. The queue data settles it: the batching change makes each request "
            "wait for a full batch.",
            1.0,
        ),
        # a heading that is no list of guesses
        (
            "What the data shows: the batching change makes each request wait for a full "
            "batch, so first audio takes seconds.",
            1.0,
        ),
        # a heading that is itself a hedge calls its entries candidates
        (
            "Could be any of:\n- the batching window change\n- too few replicas\n"
            "- a slow text front end\nHard to pick one yet.",
            0.0,
        ),
        (
            "Might be one of these:\n- the batching window change\n- too few replicas\n"
            "- a slow text front end",
            0.0,
        ),
        (
            "Here is what the data says:\n- the batching window was widened in the push\n"
            "- each request now waits for a full batch\n- first audio takes seconds as a result",
            1.0,
        ),
    ],
)
def test_a_list_of_candidates_names_none(text, share):
    assert diagnosis_share(text, [BATCHING])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # a past incident set beside this one: its cause is history, not a claim about now
        (
            "Last time captions lagged it was network jitter; this time the servers "
            "themselves are out of replicas.",
            0.0,
        ),
        (
            "Unlike last month's jitter incident, the network path is clean; the streaming "
            "pool is out of replicas.",
            0.0,
        ),
        # the same contrast that asserts the cause now, or "unlike" said of no past incident
        (
            "Last time it was the streaming pool; this time jitter on that cohort's path "
            "doubled after the gateway move.",
            1.0,
        ),
        (
            "Unlike the rest of the fleet, this cohort's network jitter doubled after the "
            "gateway move.",
            1.0,
        ),
    ],
)
def test_a_past_incident_set_beside_this_one(text, share):
    assert diagnosis_share(text, [JITTER])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # a turn to the writer's own rival after a concession or a negation: the cause
        # described before it is set aside
        (
            "Sure, the new voice is a bigger model, though its benchmark matched the old one. "
            "I'd blame the load balancer rollout from Tuesday.",
            VOICE,
            0.0,
        ),
        (
            "The new voice is a bigger model and nobody benchmarked it before launch. I'd blame "
            "that for the slow first byte.",
            VOICE,
            1.0,
        ),
        (
            "The gain change does make loud speakers clip, yet the model copes with a few dB. "
            "More likely the updated noise filter eats the quiet syllables.",
            CLIPPING,
            0.0,
        ),
        (
            "A router change could in theory hurt, but the data says otherwise; more likely the "
            "firmware raised the mic gain until the audio clips at the peaks.",
            CLIPPING,
            1.0,
        ),
        (
            "Mirrored traffic is still hitting the release pool, but not in any volume that "
            "matters; my money is on longer uploads.",
            SHADOW,
            0.0,
        ),
        (
            "Mirrored traffic is still hitting the release pool after the launch and doubling "
            "its work; my money is on that mirror, not on longer uploads.",
            SHADOW,
            1.0,
        ),
    ],
)
def test_a_turn_to_a_rival_sets_the_cause_before_it_aside(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # the same turn said in a team's voice, with an epistemic "has to be", by a verb of
        # attributing, or as an investigation turned elsewhere ("look at ... instead")
        (
            "The new voice is a bigger model, but it cleared every offline benchmark. We think "
            "the load balancer rollout slowed the first byte.",
            VOICE,
            0.0,
        ),
        (
            "The new voice is a bigger model, but nobody load-tested it. We think that is why "
            "the first byte got slow.",
            VOICE,
            1.0,
        ),
        (
            "A bigger voice model may add a few milliseconds, but it has to be the balancer "
            "rollout that moved the first byte.",
            VOICE,
            0.0,
        ),
        (
            "While the new voice is a bigger model, we attribute the slow first byte to the "
            "balancer rollout.",
            VOICE,
            0.0,
        ),
        (
            "The new voice is a bigger model and it takes longer to produce its first frame; "
            "we attribute the slow first byte to that.",
            VOICE,
            1.0,
        ),
        (
            "Mirrored traffic does still reach the release pool, but only a trickle of it, so "
            "we will focus on the upload sizes instead.",
            SHADOW,
            0.0,
        ),
        # a fix done instead is no turn: the cause stands
        (
            "Mirrored traffic is still doubling the release pool's work, but we can't switch "
            "the mirror off before Monday, so we'll add nodes instead.",
            SHADOW,
            1.0,
        ),
    ],
)
def test_a_turn_in_other_voices_sets_the_cause_before_it_aside(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a bad outcome foretold for the measure, with no verdict word: argued against
        (["A slice gate on every release would block most of our merges."], SLICE_GATE, 0),
        # the endorsement's twin: the harm it stops is itself bad, or the outcome is good
        (["A slice gate would block any merge that regresses a slice."], SLICE_GATE, 1),
        (["A slice gate would hold merges until the slice WER recovers."], SLICE_GATE, 1),
        (["A slice gate would catch a merge that hurts one slice."], SLICE_GATE, 1),
        # a verb that puts the team somewhere it should not be
        (
            ["Cohort latency alerts would have us chasing every carrier hiccup at night."],
            COHORT_ALERT,
            0,
        ),
        (
            ["Cohort latency alerts would keep us stuck triaging pages from tiny cohorts."],
            COHORT_ALERT,
            0,
        ),
        (["Cohort latency alerts would keep us honest about small carriers."], COHORT_ALERT, 1),
        # "stop" with a gerund foretells a loss; "stop" with an object, a remedy
        (["A retry budget: clients would stop retrying even when it helps."], RETRY_BUDGET, 0),
        (["A retry budget would stop the next storm of retries early."], RETRY_BUDGET, 1),
        # a harm said of the team's own choice, and a question asking for the measure
        (
            ["What would have blocked the release? A slice gate on per-slice WER."],
            SLICE_GATE,
            1,
        ),
        # a harm beside a negation: no two negatives cancel here
        (["A slice gate would slow our merges for no gain."], SLICE_GATE, 0),
        # the speaker's own plan is no forecast ("I would break quality down by slice"),
        # as "I'd ..." never was; the measure's own forecast still is
        (["I would block any merge that hurts a slice with a slice gate."], SLICE_GATE, 1),
        (["We would gate every merge on the slice WER with a slice gate."], SLICE_GATE, 1),
        (["A slice gate would slow every merge we make to a crawl."], SLICE_GATE, 0),
        # fragility is a verdict in the predicate; "stable" is not
        (["Replay fixtures for config releases are brittle; nobody trusts them."], REPLAY, 0),
        (["Replay fixtures for config releases, kept stable across versions."], REPLAY, 1),
    ],
)
def test_a_harm_foretold_for_a_measure_argues_against_it(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # what there is said to suffice, after a description: the measure turned down
        (
            [
                "Cohort latency alerts — the global burn alert paged us within minutes. "
                "We're covered."
            ],
            COHORT_ALERT,
            0,
        ),
        (
            [
                "Cohort latency alerts: our weekly carrier review already spots these. "
                "Nothing more needed."
            ],
            COHORT_ALERT,
            0,
        ),
        # after an instruction, the same words say the measure suffices
        (["Alert on latency per cohort. We're covered."], COHORT_ALERT, 1),
        (["Page per cohort when latency drifts. Nothing more needed."], COHORT_ALERT, 1),
        # a refusal standing alone
        (["Cohort latency alerts — the tickets tell us first. Don't bother."], COHORT_ALERT, 0),
    ],
)
def test_what_there_is_said_to_suffice_turns_a_described_measure_down(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # a hypothesis weighed in the passive and let go
        (
            "A gain increase in the firmware that clips the audio was looked at and set aside; "
            "the drop is put down to a new accent mix.",
            CLIPPING,
            0.0,
        ),
        (
            "A network fault was looked at and set aside; the firmware raised the gain so the "
            "audio clips.",
            CLIPPING,
            1.0,
        ),
        # an effect made small, then a turn to a rival: the cause is dismissed
        (
            "The mirrored copies still reach the release pool, a rounding error on the bill. "
            "More likely the batch files simply got longer.",
            SHADOW,
            0.0,
        ),
        (
            "The mirrored copies still reach the release pool and double its work; the other "
            "costs moved a few percent at most.",
            SHADOW,
            1.0,
        ),
    ],
)
def test_a_hypothesis_let_go_in_the_passive_or_made_small(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # more than is needed, in the predicate: a verdict on the measure
        (["Replay fixtures for config releases are redundant with staging."], REPLAY, 0),
        (["Per-stage release replays and config fixtures are a paper exercise."], REPLAY, 0),
        # the same word before a noun only describes
        (
            ["Replay fixtures for config releases, each with a redundant copy of its trace."],
            REPLAY,
            1,
        ),
    ],
)
def test_a_measure_called_redundant_or_a_paper_exercise(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # the silence waited for, said as a stretch of it
        (
            "The agent now waits out a whole second of silence before it answers, so every "
            "turn starts late.",
            ENDPOINT_LONG,
            1.0,
        ),
        (
            "Packet loss on the carrier leaves stretches of silence in the uplink audio.",
            ENDPOINT_LONG,
            0.0,
        ),
        # several requests handled together, in any verb
        (
            "Since the push the speech servers collect several requests and work on them as one, "
            "so each caller waits for the others.",
            BATCHING,
            1.0,
        ),
        (
            "The servers are fine; each caller's request is handled alone and answers fast.",
            BATCHING,
            0.0,
        ),
        # the input said by what the model was trained to expect
        (
            "The release changed the step that prepares the audio: it feeds the model input in a "
            "different format from what it was trained on.",
            FEATURES,
            1.0,
        ),
        (
            "The step that prepares the audio is unchanged; the model itself got worse.",
            FEATURES,
            0.0,
        ),
    ],
)
def test_causes_said_in_plain_words(text, wanted, share):
    assert diagnosis_share(text, [wanted])[0] == share, read_causes(text)


CODE_SWITCH = "code-switching-regression"


@pytest.mark.parametrize(
    "text, share",
    [
        # the language-ID front end blamed: a rival cause, not the new model's weakness
        (
            "The language detector now tags bilingual callers as English-only and sends them to "
            "the English model.",
            0.0,
        ),
        # language ID ruled out, the new model's weakness asserted: the right cause
        (
            "Language ID is unchanged since last week; the new model simply does worse on "
            "code-switched Spanish-English turns.",
            1.0,
        ),
    ],
)
def test_the_language_id_front_end_is_a_rival_of_the_code_switching_model(text, share):
    assert diagnosis_share(text, [CODE_SWITCH])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # the client's screen blamed: a rival cause, not the new model's weakness
        (
            "The app's new edit button for Spanish-English users is far more visible, so they "
            "tap it more; the transcripts are as good as before.",
            0.0,
        ),
        # the screen ruled out, the new model's weakness asserted
        (
            "Not a UI thing: the app is unchanged. The new model handles code-switched "
            "Spanish-English speech worse than the old one.",
            1.0,
        ),
    ],
)
def test_the_client_screen_is_a_rival_of_the_code_switching_model(text, share):
    assert diagnosis_share(text, [CODE_SWITCH])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # a claim weighed and found wanting: the cause is set aside
        (
            "Some would say the new model copes worse with bilingual code-switched turns; given "
            "its offline gains I don't find that plausible.",
            0.0,
        ),
        # found convincing: the cause stands
        (
            "The new model copes worse with bilingual code-switched turns; the slice numbers make "
            "that convincing.",
            1.0,
        ),
    ],
)
def test_a_claim_found_unconvincing_is_set_aside(text, share):
    assert diagnosis_share(text, [CODE_SWITCH])[0] == share, read_causes(text)


# --- the same answer, the same verdict, in every process --------------------------------

HASH_SEEDED = """
import json, sys
from pathlib import Path
import yaml
from drills.judge.matcher import judge
from drills.judge.scoring import prevention_concepts
from tests.blind.corpus import _key
out = []
for f in sorted(Path("tests/blind/J/prevention").glob("*.yaml"))[:6]:
    concepts = prevention_concepts(_key(f.stem))
    doc = yaml.safe_load(f.read_text())
    texts = [t for i in doc["items"] for t in i["answers"]] + [n["text"] for n in doc["negatives"]]
    out += [sorted(judge([t], concepts).weights.items()) for t in texts]
from drills.judge.reading import directs, read
norms = [read(t) for t in sys.argv[1:]]
print(json.dumps([out, [[directs(r, c) for c in r.clauses] for r in norms]]))
"""
NORMS = (
    "the budget has to be capped per client",
    "the gate has to block any merge",
    "someone has to own the cost alert",
)


def test_verdicts_do_not_depend_on_the_process_hash_seed():
    """The same answers judged in two processes with different string hashes: the same
    verdicts. "has to" was once read from a set of the clause's words, paired in whatever
    order the process's hashes gave, so "the gate has to block any merge" directed or not
    by chance."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    runs = {
        seed: subprocess.run(
            [sys.executable, "-c", HASH_SEEDED, *NORMS],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "5")
    }
    assert len(set(runs.values())) == 1 and len(runs["0"]) > 1000
    assert json.loads(runs["0"])[1] == [[True]] * len(NORMS)


# a paragraph hard-wrapped by an editor: one paragraph, its verdict in the same entry
WRAPPED_AGAINST = (
    "A retry budget looks tidy in a design doc, but our batch callers would rather wait\n"
    "than drop a clip, and a budget turns each short server wobble into lost results for\n"
    "them downstream. I'm against it."
)
# the same wrap width, ending on an endorsement
WRAPPED_FOR = (
    "Give each batch caller a retry budget in the SDK: during the wobble our callers kept\n"
    "resending clips until the pool drowned, and a budget caps exactly that. I'm all for\n"
    "it."
)
# a list written one measure a line: no wrap, each line its own entry
LINES_LIST = (
    "Cap client retries with a retry budget per caller\n"
    "Alert when retries pass a fifth of the traffic\n"
    "I'm against anything more than that"
)


@pytest.mark.parametrize(
    "answers, credit",
    [
        ([WRAPPED_AGAINST], 0),
        ([WRAPPED_FOR], 1),
        ([LINES_LIST], 1),
    ],
)
def test_a_hard_wrapped_paragraph_is_read_as_one_paragraph(answers, credit):
    found = judge(answers, [RETRY_BUDGET])
    assert found.weights.get(RETRY_BUDGET.id, 0) * found.factor == credit, found


def test_unwrapping_keeps_lists_chat_and_tables_apart():
    from drills.judge.reading import unwrap

    assert "\n" not in unwrap(WRAPPED_AGAINST)
    assert len(unwrap(WRAPPED_AGAINST)) == len(WRAPPED_AGAINST)  # spans still point into it
    assert unwrap(LINES_LIST) == LINES_LIST  # short lines: one entry a line
    chat = (
        "lee: the pool has been saturated since the maintenance window closed, look at it\n"
        "ana: most of what it serves are retries of calls whose clients already left"
    )
    assert unwrap(chat) == chat
    table = (
        "queue deep after the host came back   -> clients resending timed-out work again\n"
        "most requests on attempt two or more  -> the new SDK policy with no budget at all"
    )
    assert unwrap(table) == table
    # two paragraphs stay two
    two = WRAPPED_AGAINST + "\n\n" + WRAPPED_FOR
    assert "\n\n" in unwrap(two)


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a harm foretold in the passive falls on the subject: the team's own work harmed
        # argues against; a bad thing held back is the measure's point
        (["Gate merges on tiny slices and nearly every merge would be blocked."], SLICE_GATE, 0),
        (
            ["Gate merges on slice WER so that a faulty merge would be blocked before it ships."],
            SLICE_GATE,
            1,
        ),
        (
            ["Add a slice gate: a merge that regresses a slice would be blocked before it ships."],
            SLICE_GATE,
            1,
        ),
        # the harm a condition brings is an argument against; a condition that is itself a
        # harm the measure meets is the reason for it
        (["If we gated on the tiny slices, nearly every merge would be blocked."], SLICE_GATE, 0),
        (
            ["Add a slice gate: if a merge regresses a protected slice, the gate would block it."],
            SLICE_GATE,
            1,
        ),
        # "turns X into Y": a bad Y argues against, in any tense; a good one, or the harm of
        # going without the measure, argues for it
        (
            ["Capping retries with a budget turns every short blip into lost results for callers."],
            RETRY_BUDGET,
            0,
        ),
        (
            ["Capping retries with a budget turns a runaway retry storm into a small trickle."],
            RETRY_BUDGET,
            1,
        ),
        (
            ["Without a retry budget, retries turn a blip into an outage; add a retry budget."],
            RETRY_BUDGET,
            1,
        ),
        (
            ["Alerting on fallback share turns a safety net into a noise generator."],
            FALLBACK_PAGE,
            0,
        ),
        (["A fallback alarm would turn a designed behaviour into pager toil."], FALLBACK_PAGE, 0),
        (
            ["Alerting on fallback share turns a silent failover into a page someone reads."],
            FALLBACK_PAGE,
            1,
        ),
        # a stance taken against, in any person
        (["I'd oppose a retry budget for the batch callers."], RETRY_BUDGET, 0),
        (["I'd propose a retry budget for the batch callers."], RETRY_BUDGET, 1),
        # noise said of the measure, in a forecast; noise that would hide the regression is
        # the reason for it
        (["Per-cohort latency alerts would be pure noise."], COHORT_ALERT, 0),
        (
            [
                "Per-cohort latency alerts, or the regression would be buried in noise at "
                "fleet level."
            ],
            COHORT_ALERT,
            1,
        ),
    ],
)
def test_harms_in_the_passive_after_a_condition_or_made_into_something_bad(
    answers, concept, credit
):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, wanted, share",
    [
        # a colleague's theory, named as theirs, is not the writer's claim
        (
            "Tomasz blames the new voice, but the GPUs sit at forty percent; I think the pool "
            "is queueing behind the embedding fallback.",
            [VOICE],
            0.0,
        ),
        (
            "Ingrid suspects client retries, but the pool was already saturated before "
            "anything retried; something on the host is still slow.",
            [RETRY],
            0.0,
        ),
        # the writer's own claim, or a colleague's taken up, still earns
        (
            "Tomasz blames the new voice and he's right: its vocoder is twice the size, so "
            "every first audio byte waits on the heavier model.",
            [VOICE],
            1.0,
        ),
        (
            "The header says the usual thing, but the new voice's model is heavier and "
            "synthesis takes longer per request.",
            [VOICE],
            1.0,
        ),
    ],
)
def test_a_colleagues_theory_named_as_theirs_is_not_asserted(text, wanted, share):
    assert diagnosis_share(text, wanted)[0] == share, read_causes(text)


def test_a_bullet_wrapped_onto_indented_lines_is_one_bullet():
    from drills.judge.reading import statements, unwrap

    wrapped = (
        "- pool doubled from one A100 to two\n"
        "- the beam width change in the push: an accuracy knob, and its cost is\n"
        "  usually negligible; I'd look at thermal throttling instead\n"
        "- replicas: two"
    )
    assert len(unwrap(wrapped)) == len(wrapped)
    bullets = [p.text for p in statements(wrapped)]
    assert any("beam width" in b and "usually negligible" in b for b in bullets), bullets
    # an indented key of a config under a bullet keeps its line
    config = "- pin the decoder config:\n  beam_size: 1\n  hold_back: true"
    assert unwrap(config) == config


BACKUP_ALARM = Concept.of("fallback-rate-alarm", [["@alert", "@monitor"], ["@fallback"]])


@pytest.mark.parametrize(
    "answers, credit",
    [
        # the fallback said as the backup that serves when the primary cannot
        (["Page when the backup pool serves more than a few percent of embeddings."], 1),
        (["Alert once the backup path carries real traffic for more than ten minutes."], 1),
        (["Page when the backup pool serves traffic? No, that is what it is for."], 0),
    ],
)
def test_the_fallback_said_as_a_backup(answers, credit):
    found = judge(answers, [BACKUP_ALARM])
    assert found.weights.get(BACKUP_ALARM.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a chat shrug or a bare priority verdict turns down what was just described
        (["Cohort latency alerts, meh."], 0),
        (["Cohort latency alerting is a fair bit of work for a one-off. Low priority."], 0),
        # the same topic taken up, or made a priority, still earns
        (["Cohort latency alerts, definitely: page per cohort when p95 latency drifts."], 1),
        (["Top priority: alert per cohort when p95 latency drifts."], 1),
    ],
)
def test_a_shrug_or_low_priority_turns_a_measure_down(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # a stop that never came says the thing kept going: no denial of it
        (
            "The mirror copying batch jobs to the candidate pool was never shut off after the "
            "launch, so every file is transcribed twice.",
            1.0,
        ),
        (
            "The candidate's mirror of batch requests wasn't ever disabled when the release "
            "went out; we pay for a second copy of the work.",
            1.0,
        ),
        # the mirror denied, or said to be stopped, is still ruled out
        ("Not the shadow mirror: it was shut off at launch. The new model pads batches more.", 0.0),
        ("The mirror isn't it: it was switched off at launch, and the new model pads more.", 0.0),
    ],
)
def test_a_stop_that_never_came_asserts_what_kept_going(text, share):
    assert diagnosis_share(text, [SHADOW])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # another thing that "will do" closes an argument against the measure described
        (
            [
                "Cohort latency alerts: a lot of machinery for one slow carrier. A note in the "
                "on-call handbook will do."
            ],
            0,
        ),
        (
            [
                "Per-cohort latency alerts are a lot of setup; a weekly look at the carrier "
                "report would do."
            ],
            0,
        ),
        # after an instruction it says the measure suffices; "will do more than" compares
        (["Alert on p95 latency per cohort; that will do."], 1),
        (
            [
                "Add cohort latency alerts: a page per cohort will do more than the fleet "
                "average ever did."
            ],
            1,
        ),
    ],
)
def test_another_thing_that_will_do_turns_a_described_measure_down(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a measure said, in the present, to teach the team to neglect what it is for
        (["Paging on the fallback share trains on-call to ignore pages."], FALLBACK_PAGE, 0),
        (
            ["Paging on the fallback share trains on-call to check which pool is serving."],
            FALLBACK_PAGE,
            1,
        ),
        (
            [
                "Page on the fallback share; a silent fallback teaches responders to ignore "
                "the bill."
            ],
            FALLBACK_PAGE,
            1,
        ),
        # "you'll" foretells as "it'll" does: a harm, or a good outcome
        (
            ["Alert per cohort on latency and you'll drown on-call in pages from tiny cohorts."],
            COHORT_ALERT,
            0,
        ),
        (
            ["Alert per cohort on latency and you'll catch the next carrier change in minutes."],
            COHORT_ALERT,
            1,
        ),
    ],
)
def test_a_measure_that_teaches_neglect_or_a_harm_you_will_meet(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a prohibition of what lacks a thing requires it: a negation in the relative clause
        # (or a "without") restricting the object of a verb of keeping back is its condition
        (["Reject every voice build whose canary hasn't finished."], CANARY, 1),
        (["CI should fail any preprocessing change that doesn't pass the shape test."], TESTS, 1),
        (["Halt any rollout without a health check passing on staging."], HEALTH, 1),
        # a denied verb of letting through, restricted so, is the same prohibition
        (["We must never ship a router change that hasn't had a canary."], ROUTER, 1),
        # the verb's own denial still governs, and a plain relative negation still denies
        (["I wouldn't reject voice builds whose canary hasn't finished."], CANARY, 0),
        (["We have a voice canary that doesn't halt anything."], CANARY, 0),
        # a verb of keeping back that says what happens imposes nothing; a rule's own verb
        # in a relative clause does
        (["Voice canaries fail without enough traffic to halt on."], CANARY, 0),
        (["Give the voice canary stop rules that halt it without waiting for a human."], CANARY, 1),
        (["Don't fail preprocessing changes that don't pass the shape test."], TESTS, 0),
        # "no X should go ahead before Y" is a rule requiring Y, as "no X unless Y" is
        (["No router change should ship before a canary has run on it."], ROUTER, 1),
        (["No router change needs a canary before it ships."], ROUTER, 0),
    ],
)
def test_a_prohibition_of_what_lacks_a_measure_requires_it(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # an instruction not to leave a thing out recommends it
        (["Never drop the health check from the deploy pipeline."], HEALTH, 1),
        (["Do not ignore the feature shape tests when CI is slow."], TESTS, 1),
        # a description of what was not left out, or leaving it out, is no instruction
        (["We never dropped a health check from the deploy pipeline."], HEALTH, 0),
        (["Don't add feature shape tests; CI is slow enough."], TESTS, 0),
    ],
)
def test_an_instruction_not_to_leave_a_measure_out_recommends_it(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # recklessness: doing without a measure so judged recommends it, the measure so
        # judged is argued against
        (["It would be irresponsible to change the router without a canary."], ROUTER, 1),
        (["Running the router with no canary is risky."], ROUTER, 1),
        (["A canary for every router change would be risky with so little traffic."], ROUTER, 0),
    ],
)
def test_a_verdict_of_recklessness_on_doing_without(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a first person leaving the measure out, or putting it off, closes the argument
        (["Per-cohort latency alerts are tempting, and I'd still skip them."], 0),
        (["Per-cohort latency alerts sound good; I'd leave them out this quarter."], 0),
        (["Latency alerts per cohort would be neat. Happy to revisit next year."], 0),
        # an instruction stands beside a refusal of something else; leaving out denied
        (["Add a latency alert per cohort; I'd skip the weekly report."], 1),
        (["Don't leave per-cohort latency alerts out of the plan."], 1),
    ],
)
def test_a_measure_left_out_or_put_off_is_argued_against(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


def test_a_refusal_that_names_another_measure_lands_on_that_one():
    # "the retry budget I'd skip" turns the budget down, not the alerts described before it
    found = judge(
        [
            "Latency alerts per cohort are what I want most from this review. The retry "
            "budget I'd skip."
        ],
        [COHORT_ALERT, RETRY_BUDGET],
    )
    assert found.weights == {COHORT_ALERT.id: 1.0}, found
    # with no measure of its own, it lands on the one described
    found = judge(
        ["Latency alerts per cohort are a nice thought. I'd skip them."],
        [COHORT_ALERT, RETRY_BUDGET],
    )
    assert not found.weights, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a harm the team would learn from the measure, a stance of resisting it or worry,
        # and a verdict of little use argue against it
        (
            [
                "A fallback page sounds fine, but it would fire daily and on-call would learn to "
                "mute it."
            ],
            FALLBACK_PAGE,
            0,
        ),
        (["I'd resist paging on the fallback counter."], FALLBACK_PAGE, 0),
        (["Paging on the fallback counter worries me."], FALLBACK_PAGE, 0),
        (["Latency alerts per cohort are of limited use with tiny cohorts."], COHORT_ALERT, 0),
        # learning to act, a worry the measure meets, and a use that is not limited stand
        (
            ["Page on the fallback counter so on-call would learn to check which pool is serving."],
            FALLBACK_PAGE,
            1,
        ),
        (["A silent fallback worries me, so page on the fallback counter."], FALLBACK_PAGE, 1),
    ],
)
def test_a_harm_learnt_a_stance_of_resisting_or_worry_argues_against(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # worth denied through a verb of seeming, and a refusal standing alone ("Skip.")
        (["Latency alerts per cohort: cohorts are tiny, doesn't seem worth it."], 0),
        (["Latency alerts per cohort are busywork for us. Skip."], 0),
        # worth affirmed, and a skip that names what it skips, leave the alert standing
        (["Latency alerts per cohort: cohorts are big, it seems worth it."], 1),
        (["Alert on latency per cohort. Skip the fleet-wide average."], 1),
        (["Alert on latency per cohort; if a cohort has under ten sessions, skip it."], 1),
    ],
)
def test_worth_denied_through_seeming_and_a_lone_skip(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


NOT_GLOBAL = Concept.of("not-global-wer", [["@never", "hides"], ["global wer", "overall wer"]])


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a never taken from another clause: the item said whole in its other words' clause
        (["Not on the average: overall WER hides the slices that matter."], 1),
        # with no other reading, the never must govern the item's clause
        (["Not the slices: overall WER decides."], 0),
        (["Never decide on global WER alone."], 1),
    ],
)
def test_a_never_item_said_whole_beside_another_clauses_never(answers, credit):
    found = judge(answers, [NOT_GLOBAL], ESSAY)
    assert found.weights.get(NOT_GLOBAL.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # of two courses of action compared, the one after "than to" is turned down
        (["For us it's simpler to roll back fast than to canary every router change."], 0),
        (["It's cheaper to canary every router change than to roll back in production."], 1),
    ],
)
def test_the_course_of_action_after_than_to_is_turned_down(answers, credit):
    found = judge(answers, [ROUTER])
    assert found.weights.get(ROUTER.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a measure put forward as the writer's own proposal stands beside a refusal
        (["My main ask is latency alerts per cohort. The rest I'd skip."], 1),
        (
            [
                "The change that would have caught this is a latency alert per cohort. The "
                "weekly report I'd skip."
            ],
            1,
        ),
        # someone else's suggestion, then the refusal, is turned down
        (["The other suggestion is latency alerts per cohort. I'd skip it."], 0),
    ],
)
def test_a_measure_put_forward_as_the_writers_proposal_stands(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # the reason given for ruling a cause out, in the same sentence, asserts nothing
        (
            "A shadow mirror left running crossed my mind and I ruled it out, since the "
            "mirrored copy was stopped at launch; I'd look at padding.",
            0.0,
        ),
        # another cause ruled out with that reason, or the cause taken up after a "but"
        ("I ruled out the network, since the shadow mirror was left on after the launch.", 1.0),
        (
            "I ruled the mirror out at first, but the shadow mirror was left on after the "
            "launch and doubled the bill.",
            1.0,
        ),
        # "no way that ..." denies what its pronoun points back at; "no way to" does not
        (
            "The shadow mirror keeps copying batch jobs, but those copies are cheap; no way "
            "that doubles the spend.",
            0.0,
        ),
        (
            "The shadow mirror was left on after the launch; there was no way to see it in "
            "the per-pool view.",
            1.0,
        ),
    ],
)
def test_the_reason_given_for_ruling_a_cause_out_asserts_nothing(text, share):
    assert diagnosis_share(text, ["shadow-mirroring-left-on"])[0] == share, read_causes(text)


STAGES = Concept.of("stage-budget", [["per-stage", "per stage", "each stage"], ["budget"]])


@pytest.mark.parametrize(
    "answers, credit",
    [
        # what is kept said to be the better choice closes an argument against the measure
        (
            [
                "Per-stage budgets look neat, but teams would argue over the split; one total "
                "is simpler."
            ],
            0,
        ),
        # the measure itself said to be better stands
        (
            [
                "Set a budget per stage; the total alone hides the stage, a per-stage split "
                "is better."
            ],
            1,
        ),
        # work thrown away, said of the measure in the present, argues against it
        (["A budget per stage wastes effort on a two-stage agent."], 0),
        (["A budget per stage stops the stages from hiding wasted work."], 1),
    ],
)
def test_the_kept_choice_said_better_and_wasted_work_argue_against(answers, credit):
    found = judge(answers, [STAGES])
    assert found.weights.get(STAGES.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a never repeated at the head of each entry of a list is the item's own, once
        (["Privacy: no transcripts, no audio, no user IDs; metrics are enough."], 1),
        (["Keep it clean: no transcripts or recordings, no user IDs."], 1),
        # a second never that is no list entry still undoes it, and a denied omission
        # ("don't leave ... out") is no never of the item's
        (["I would not say no transcripts; the on-call needs them."], 0),
        (["Don't leave transcripts out, the on-call needs the real ones."], 0),
    ],
)
def test_a_never_repeated_down_a_list_is_the_items_own(answers, credit):
    found = judge(answers, [PRIVATE], ESSAY)
    assert found.weights.get(PRIVATE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # praise kept for another setting, by its size or maturity, argues against
        (["Latency alerts per cohort would be great for a team with a bigger on-call rota."], 0),
        (["A cohort latency alert is a useful tool for a mature platform org."], 0),
        # praise for the writer's own setting, or for a case, is praise
        (["Latency alerts per cohort would be great for a fleet like ours; add them."], 1),
        (["A latency alert per cohort is a great fit for a big carrier change like this."], 1),
    ],
)
def test_praise_kept_for_another_setting_argues_against(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a first person expecting noise from the measure argues against it
        (["Per-cohort latency alerts: I'd expect a stream of noisy pages from tiny cohorts."], 0),
        (["Latency alerts per cohort? I worry about alert fatigue with forty cohorts."], 0),
        # noise the measure cuts, or expected to fall, is praise
        (["Alert on latency per cohort; I'd expect fewer false alarms than the fleet page."], 1),
        (["Alert on latency per cohort: I expect it to catch noisy carrier changes early."], 1),
    ],
)
def test_noise_expected_from_a_measure_argues_against_it(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # unpersuaded by a measure: argued against
        (["I'm less sold on latency alerts per cohort; the fleet page found this one."], 0),
        (["Not keen on per-cohort latency alerts with this many cohorts."], 0),
        # sold on it, or unpersuaded by what argues against it
        (["I'm sold on latency alerts per cohort after this incident."], 1),
        (["Alert on latency per cohort; I'm not sold on the fleet-wide average."], 1),
    ],
)
def test_a_writer_unpersuaded_by_a_measure_argues_against_it(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # a clause that is nothing but "any of them" makes the list before it candidates
        ("heavier voice model, cold pods, peak queueing or the network — any of them.", 0.0),
        ("The heavier voice model, cold pods or queueing; could be any of these.", 0.0),
        # the cause said, and "any of them" about something else or in a longer clause
        ("The heavier voice model is the cause, more than any of the others.", 1.0),
        ("The heavier voice model. Cold pods and queueing: I checked each of them.", 1.0),
    ],
)
def test_a_list_closed_by_any_of_them_names_candidates(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a lack set before the harm it brought proposes what is lacking
        (["Without latency alerts per cohort, a bad carrier stays hidden for days."], 1),
        (["Without a latency alert for each cohort, nobody sees the slow one."], 1),
        # ... but not before a gain, nor when nothing follows it
        (["Without latency alerts per cohort, the on-call sleeps better."], 0),
        (["Without latency alerts per cohort."], 0),
        # with no comma, the outcome opens at its subject or its linking verb
        (["Without latency alerts per cohort we sleep through the night."], 0),
        (["Without latency alerts per cohort a slow carrier stays invisible."], 1),
        # "even without" concedes that the outcome comes anyway
        (["Even without latency alerts per cohort, nobody would miss a slow carrier."], 0),
    ],
)
def test_a_lack_before_the_harm_it_brought_proposes_the_measure(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a prohibition of a harm of concealment: the two negatives cancel
        (["Never let a cohort's latency go unnoticed again: alert on it."], 1),
        (["Don't let a cohort's latency regression go unnoticed by our alerts."], 1),
        # a plain refusal of the measure stays a refusal
        (["Don't alert on latency per cohort; it pages for nothing."], 0),
        (["Never alert on cohort latency, the fleet page is enough."], 0),
    ],
)
def test_a_prohibition_of_concealment_proposes_what_would_see_it(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a lack blamed for the harm: its cure is proposed
        (["Not alerting on cohort latency is what let the carrier bug run for a week."], 1),
        (["Not having a latency alert per cohort is why we heard from users first."], 1),
        # a lack that is merely said, or praised, is no proposal
        (["Not alerting on cohort latency is fine for a team this size."], 0),
        (["We are not alerting on cohort latency."], 0),
    ],
)
def test_a_lack_blamed_for_the_harm_proposes_its_cure(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # "No more." after a harm turns down the harm, not the measure said beside it
        (["Without cohort latency alerts, slow carriers stay invisible. No more."], 1),
        # a bare "no" still turns down what it follows
        (["Latency alerts per cohort? No."], 0),
    ],
)
def test_no_more_after_a_harm_turns_down_the_harm(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a measure weighed and let go: turned down, in the passive or the active
        (["Latency alerts per cohort were discussed but rejected."], 0),
        (["We weighed a latency alert per cohort but rejected it as noisy."], 0),
        (["We evaluated a latency alert per cohort and rejected it."], 0),
        # the rejection of something else leaves the measure weighed, and kept, standing
        (["We evaluated a latency alert per cohort and rejected the fleet page."], 1),
    ],
)
def test_a_measure_weighed_and_rejected_is_turned_down(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a prohibition of a move made to everything at once proposes the staged rollout
        (["Never hand a new voice to every listener in one go again."], 1),
        (["No more fleet-wide TTS switches."], 1),
        # the move described, or the staging itself refused, proposes nothing
        (["The new voice went to every listener in one go."], 0),
        (["Don't bother canarying the voice, switch the whole fleet at once."], 0),
    ],
)
def test_a_prohibition_of_an_all_at_once_move_proposes_staging(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # "should never" on a verb of letting through, with its condition, states a rule
        (["A model should never ship if any slice regresses."], 1),
        (["A model shouldn't be released if any slice regresses."], 1),
        # on a verb of keeping back it refuses the gate
        (["A model should never be held back if one slice regresses."], 0),
        (["Models should never be blocked if only a slice regresses."], 0),
    ],
)
def test_should_never_pass_on_a_condition_is_a_rule(answers, credit):
    found = judge(answers, [SLICE])
    assert found.weights.get(SLICE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a prohibition of letting a thing go undone ("unalerted") asks for it done
        (["Never let a cohort's latency go unalerted again."], 1),
        (["Don't allow any cohort's latency to stay unalerted."], 1),
        # the undone thing merely named beside a denial is no proposal
        (["Don't fret about a cohort's latency being unalerted."], 0),
        (["A cohort's latency went unalerted for a week."], 0),
    ],
)
def test_a_prohibition_of_leaving_a_thing_undone_asks_for_it(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


# the twelfth round (issue 35): constructions of a measure proposed in negative words, read
# whatever their words (near misses in words of this file's own)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # "nothing <passes> unless ...": a rule, whoever the subject
        (["Nothing gets released unless it clears the slice regression check."], 1),
        (["Nothing from the model team ships until the slice check passes."], 1),
        # "nothing" with no verb of letting through, or a verdict, is no rule
        (["Nothing regressed unless you count the slices."], 0),
        (["Nothing about slice checks is worth the delay."], 0),
    ],
)
def test_nothing_passes_unless_is_a_rule(answers, credit):
    found = judge(answers, [SLICE])
    assert found.weights.get(SLICE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # what must be impossible without a thing requires it
        (["It should be impossible to change retry settings without a retry budget."], 1),
        # an opening "never" governs a "without" however far along its clause
        (["Never should a client be allowed to hammer us with retries without a budget."], 1),
        # a thing said impossible, with no "without", or said by someone refusing, is not
        (["A retry budget is impossible to tune for retries without months of data."], 0),
        (["I'd never add a retry budget without more evidence."], 0),
    ],
)
def test_impossible_or_never_without_requires_the_thing(answers, credit):
    found = judge(answers, [RETRY_BUDGET])
    assert found.weights.get(RETRY_BUDGET.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a lack before a harm that goes on or comes back
        (["Without a latency alert per cohort we'll keep learning of it from angry users."], 1),
        (["Without a cohort latency alert, this will happen again."], 1),
        # a gain that goes on is no harm
        (["Without a latency alert per cohort we keep shipping faster."], 0),
        (["Without a cohort latency alert, things are simpler."], 0),
    ],
)
def test_a_lack_before_a_harm_that_recurs_proposes_the_measure(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # "never again" forbids the incident: a harm, or a thing let through
        (["Never again should a voice that misses its latency target get past the gate."], 1),
        (["Never again should a slow voice slip past the latency gate."], 1),
        # "never again" on the measure itself, or said by someone for themselves, refuses
        (["Never again should a latency gate hold up a voice."], 0),
        (["Never again will we bolt a latency gate onto voices."], 0),
    ],
)
def test_never_again_forbids_the_incident_not_the_measure(answers, credit):
    found = judge(answers, [GATE])
    assert found.weights.get(GATE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # "stop" forbids as "never" does: a thing let through that lacks, or all at once
        (["Stop promoting routers that haven't had a canary."], 1),
        (["Stop pushing routing changes to every user in one step."], 1),
        # a stop reported, or the staging itself stopped, proposes nothing
        (["Stop worrying about routers that haven't had a canary."], 0),
        (["They pushed routing changes to every user in one step."], 0),
    ],
)
def test_stop_forbids_as_never_does(answers, credit):
    found = judge(answers, [ROUTER])
    assert found.weights.get(ROUTER.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a why-question that denies complains of a lack, and so asks for it
        (["Why do we still not alert on cost per request?"], 1),
        (["Why isn't there an alert on the cost per request yet?"], 1),
        # a why-question with no denial weighs the measure, it asks for nothing
        (["Why would anyone alert on cost per request?"], 0),
        (["Why alert on cost per request?"], 0),
    ],
)
def test_a_why_question_that_denies_asks_for_the_measure(answers, credit):
    found = judge(answers, [COST_UNIT])
    assert found.weights.get(COST_UNIT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a question that only names a measure, then a turn to it or a yes: taken up
        (["A retry budget? Cap retries at a tenth of first attempts."], 1),
        (["A retry budget? Yes, cap retries at a tenth of first attempts."], 1),
        # then only a remark about it, whatever its words: weighed, not proposed
        (["A retry budget? Retries hardly ever pile up past first attempts."], 0),
        (["A retry budget? We'll be buried in tuning retry caps for each caller."], 0),
    ],
)
def test_a_question_naming_a_measure_is_taken_up_only_by_a_turn_to_it(answers, credit):
    found = judge(answers, [RETRY_BUDGET])
    assert found.weights.get(RETRY_BUDGET.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # what there is, said to do in the present, closes the argument against the measure
        (["Per-cohort latency alerts would add noise. The fleet page is fine."], 0),
        # said of the past, or as a reason, it reports what was seen
        (["Page on latency per cohort, since the fleet chart said all was fine."], 1),
        (["Alert on each cohort's latency: the fleet chart looked fine throughout."], 1),
    ],
)
def test_what_there_is_said_to_be_fine_closes_against_the_measure(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # a verdict of improbability on the subject of its copula, or through a pronoun
        # that a judgement points back with, sets the cause aside
        ("We looked at the new voice's larger vocoder and judge it unlikely to matter.", 0.0),
        ("The new voice's larger vocoder is highly unlikely to be it; look elsewhere.", 0.0),
        # the same words of improbability said of another thing leave the cause standing
        ("The new voice's larger vocoder did it; a demand rise is unlikely.", 1.0),
        ("The new voice's larger vocoder slowed first audio; demand seems improbable.", 1.0),
    ],
)
def test_a_verdict_of_improbability_sets_aside_what_it_is_said_of(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a lack set as the condition of a harm proposes what is lacking
        (["If no one is paged on a cohort's latency, we'll chase the wrong servers again."], 1),
        (["If a cohort's latency isn't alerted on, the next slowdown will be missed too."], 1),
        # a lack set as the condition of a gain, or of an acceptance, argues against it
        (["If we don't alert on each cohort's latency, we'd save the on-call a lot of noise."], 0),
        (["If a cohort's latency isn't alerted on, we'll live with that."], 0),
    ],
)
def test_a_lack_as_the_condition_of_a_harm_proposes_the_measure(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


OVERLAP = Concept.of("overlap-stages", [["overlap", "in parallel"], ["retrieval", "stage"]])


@pytest.mark.parametrize(
    "answers, credit",
    [
        # what is kept, judged easier or cheaper to do, closes the argument against it
        (
            [
                "Per-stage overlap sounds clever. One stage after another is simpler to "
                "reason about."
            ],
            0,
        ),
        # the measure itself judged so, or a comparative with nothing to do after it, not
        (["Overlap retrieval with the LLM stage: in parallel is quicker to answer."], 1),
        (["Overlap retrieval with the LLM stage; serial is slower."], 1),
    ],
)
def test_what_is_kept_judged_easier_to_do_argues_against(answers, credit):
    found = judge(answers, [OVERLAP])
    assert found.weights.get(OVERLAP.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # what is said unable to explain what was seen is set aside, through a pointer too
        ("The new voice's larger vocoder can't account for a doubling of latency.", 0.0),
        ("The new voice's larger vocoder adds a little, but it can't explain a doubling.", 0.0),
        # said of another thing, or of what it does explain, the cause stands
        ("The new voice's larger vocoder did it; queueing can't explain a doubling.", 1.0),
        ("The new voice's larger vocoder did it, and nothing else accounts for a doubling.", 1.0),
    ],
)
def test_what_cannot_explain_the_symptom_is_set_aside(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a refusal that names its own object lands on that, not on the measure before it
        (["Alert on each cohort's latency. I would not, though, add a weekly review board."], 1),
        (
            [
                "Latency alerts per cohort would have caught it. I wouldn't cap the fleet page "
                "at one region, though — that's noise."
            ],
            1,
        ),
        # a refusal that points back, or names nothing, still lands on the measure
        (["Latency alerts per cohort could help. I wouldn't, though — that's noise."], 0),
        (["Latency alerts per cohort could help. I would not add them."], 0),
        # a verdict with no verb of its own names no object: it lands on the measure
        (["Latency alerts per cohort could help. Not an engineering priority."], 0),
    ],
)
def test_a_refusal_naming_its_own_object_leaves_the_measure_before_it(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


# --- the thirteenth round (issue 35, tuned on writer N) ----------------------------------
@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # "stop" before a gerund ends a practice: the item's never, not a gate's halt
        (["Stop batching first audio byte requests on the TTS path."], BATCH, 1),
        (["Stop batching first audio byte requests on the TTS path."], GATE, 0),
        # "stop" that halts a release is still a gate
        (["Stop the rollout when first audio byte regresses."], GATE, 1),
    ],
)
def test_stop_before_a_gerund_ends_a_practice(answers, concept, credit):
    found = judge(answers, [BATCH, GATE])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # what cannot go on is finding out late: the denial forbids the harm
        (["We can't keep hearing about first audio byte regressions from a 3am page."], 1),
        # what cannot go on is the measure's own cost: an argument against it
        (["We can't keep paging on every first audio byte wobble."], 0),
        # a concealment, then the lack that brought it
        (["We are blind without an alert on first audio byte."], 1),
        (["We are fine without an alert on first audio byte."], 0),
    ],
)
def test_a_harm_that_cannot_go_on_or_a_blindness_without_proposes(answers, credit):
    found = judge(answers, [FAB_ALERT])
    assert found.weights.get(FAB_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a lack whose consequent denies seeing or knowing: the lack's harm
        (["If there's no alert on cost per request, we won't know the bill doubled."], 1),
        (["If there's no alert on cost per request, we won't lose anything."], 0),
        # weighed, then rejected with an adjunct, or decided against by what suffices
        (["An alert on cost per request was discussed and dropped in favour of reviews."], 0),
        (["We discussed an alert on cost per request and decided the pool alert suffices."], 0),
        (["We discussed an alert on cost per request and decided to add it."], 1),
    ],
)
def test_a_lack_that_blinds_and_a_weighing_that_rejects(answers, credit):
    found = judge(answers, [COST_UNIT])
    assert found.weights.get(COST_UNIT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # speed or ease asked for after the measure was turned down: a reason against
        (["Config doesn't need a release process; config should stay quick to change."], 0),
        # asked for beside the measure, not after its refusal, the measure stands
        (["Every config push gets a release canary; pushes should stay quick."], 1),
    ],
)
def test_ease_after_a_turned_down_measure_argues_against_it(answers, credit):
    found = judge(answers, [CONFIG_RELEASE])
    assert found.weights.get(CONFIG_RELEASE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # an engineer's words for building what is not needed
        (["Latency alerts for every cohort are gold-plating."], 0),
        (["Per-cohort latency alerting is YAGNI."], 0),
        (["Per-cohort latency alerts are an academic nicety."], 0),
        (["Alert on each cohort's latency; that is no luxury."], 1),
        # the verdict alone after a colon turns down the head before it
        (["Per-cohort latency alerts: gold-plating."], 0),
        (["Per-cohort latency alerts; the rest is gold-plating."], 1),
        # a refusal that names its own object may point at it after naming it
        (
            [
                "Alert on each cohort's latency. I would not, however, page all teams until "
                "someone triages them; too noisy."
            ],
            1,
        ),
        (["Alert on each cohort's latency. I would not, however, add them; too noisy."], 0),
    ],
)
def test_words_of_needless_building_and_a_refusal_of_its_own(answers, credit):
    found = judge(answers, [COHORT_ALERT])
    assert found.weights.get(COHORT_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # a verdict of "fine" on the cause's own thing sets it aside
        ("Firmware headers claim 16 kHz; the sample rate is fine though, it's clipping.", 0.0),
        # said of something else, the cause stands
        ("The new firmware mislabels its sample rate; older firmware is fine.", 1.0),
    ],
)
def test_a_verdict_of_fine_sets_aside_what_it_is_said_of(text, share):
    assert diagnosis_share(text, ["mic-firmware-sample-rate"])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        ("The client retries are a scapegoat here; the pool is cold.", 0.0),
        ("The client retries multiply the load; the cold pool is a scapegoat.", 1.0),
    ],
)
def test_a_scapegoat_is_set_aside(text, share):
    assert diagnosis_share(text, ["retry-storm"])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # an opening "no more" governs its whole clause: with a "without", the two cancel,
        # however far apart ("at once" is no condition that would swallow the "without")
        (["No more voice swaps for every TTS user at once without a staged canary."], 1),
        (["No more staged canaries for voice swaps; ship TTS without the ceremony."], 0),
    ],
)
def test_no_more_without_requires_the_thing(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


PARALLEL = Concept.of("overlap", [["overlap", "in parallel", "concurrently"]])


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a time still to come, said alone after the praise, puts the measure off
        (
            ["Staged canaries for new voices are sensible on paper; perhaps next quarter."],
            CANARY,
            0,
        ),
        (
            ["A staged canary for each TTS voice would be lovely. Later, once the pool is stable."],
            CANARY,
            0,
        ),
        (["Staged canaries for new voices; someday."], CANARY, 0),
        # a time inside a plan, with its own verb, is a step of it
        (
            ["Canary every new TTS voice. Next quarter, extend the same to the ASR models."],
            CANARY,
            1,
        ),
        (["Canary every new TTS voice now, and later the ASR models too."], CANARY, 1),
        # a subject whose verb of seeming follows at once is judged, not instructed
        (
            ["Serial is easy to reason about; overlapping sounds neat, but it isn't worth it."],
            PARALLEL,
            0,
        ),
        (["Overlap the stages: run retrieval and synthesis concurrently."], PARALLEL, 1),
    ],
)
def test_a_deferral_alone_and_a_subject_that_seems(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # what there is said to work as it stands is a reason to add nothing
        (
            ["A TTS voice canary sounds lovely; our release checklist works fine as it is."],
            CANARY,
            0,
        ),
        (["A canary per TTS voice would be neat, but the rollback button works."], CANARY, 0),
        # a check that something works, or the noun "work", is no such claim
        (["Canary each TTS voice so we know the new one works."], CANARY, 1),
        (["Canary each TTS voice; keep batch work off the canary pool."], CANARY, 1),
        # a cost weighed against what the measure brings back
        (["Staging every TTS voice through a canary would take more than it returns."], CANARY, 0),
        (
            ["Canary each TTS voice, even though a canary pool costs more than the old one."],
            CANARY,
            1,
        ),
        # a cost paid for no return at all
        (["A canary for every TTS voice drags each release out for no gain."], CANARY, 0),
        (["Put each TTS voice behind a canary; we lost a day for nothing without one."], CANARY, 1),
    ],
)
def test_what_works_as_it_is_and_a_cost_against_its_return(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a first person opening on a past rejection turns its object down
        (["We vetoed a staged canary for TTS voices; speed of launch matters more."], CANARY, 0),
        # what went wrong, said with another verb, stands beside the measure
        (["We skipped the TTS canary last time; always canary a new voice."], CANARY, 1),
        # a deferral waits on its condition in the same clause
        (["A TTS voice canary would be sensible. Maybe next quarter, once we hire."], CANARY, 0),
        # a need denied to nobody is no one's choice, so it takes nothing up again
        (["A first-audio alert isn't needed; retries exist so nobody has to be woken."], GATE, 0),
        (["Alert on first audio latency so nobody has to hear about it from users."], GATE, 1),
    ],
)
def test_a_rejection_said_outright_and_a_need_denied(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # a cause conceded, then a belief on another: the writer turns away from it
        (
            "The new voice did ship that morning, but a bigger vocoder costs a few ms at most; "
            "I believe the GPUs are throttling.",
            0.0,
        ),
        # the concession introduced the cause: the belief after it does not turn away
        (
            "Queue time is flat, but the new voice has a much heavier vocoder, so synthesis "
            "takes longer. I think the slowdown comes from that synthesis step.",
            1.0,
        ),
    ],
)
def test_a_belief_after_a_conceded_cause_turns_away_from_it(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # any of what came before, with a modal of possibility: a list of guesses
        ("A heavier voice, cold replicas, or a noisy neighbour. Any one of them could do it.", 0.0),
        ("The heavier new voice, or cold replicas; either might explain it.", 0.0),
        # a quantifier over something else, or no modal of possibility, asserts nothing new
        ("The heavier new voice is the cause. Any of the replicas can serve it once warm.", 1.0),
    ],
)
def test_any_of_them_could_supposes_the_list_before_it(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a speaker's regret over what was done without the thing requires it
        (["We should never have launched the new voice without a staged canary."], CANARY, 1),
        (["We shouldn't have pushed that TTS voice without a canary first."], CANARY, 1),
        # a speaker refusing the thing without more is still a refusal
        (["I wouldn't add a TTS voice canary without more evidence it helps."], CANARY, 0),
        # an obligation refused is no regret ("shouldn't have to", a review's near miss)
        (["I shouldn't have to add a TTS canary without evidence."], CANARY, 0),
        # nothing ships unless: a gate said as a prohibition with its condition
        (["Nothing ships unless its first audio latency holds on the canary."], GATE, 1),
        (["Nothing ships faster than a change with no latency gate in its way."], GATE, 0),
    ],
)
def test_a_regret_and_nothing_ships_unless(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # an epistemic "must" after a conceded cause turns away from it
        (
            "The new voice went live, but voices barely change latency; it must be the GPUs "
            "throttling.",
            0.0,
        ),
        # said of the cause itself, it asserts it
        ("Queue time is flat, so it must be the new voice: its vocoder is far heavier.", 1.0),
    ],
)
def test_an_epistemic_must_after_a_conceded_cause(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # ease asked for in the same sentence after the measure was turned down
        (
            ["We weighed a TTS voice canary and rejected it, voice launches must stay quick."],
            CANARY,
            0,
        ),
        (["Canary each TTS voice; rollbacks must stay quick too."], CANARY, 1),
        # what there is said to work out
        (
            ["TTS canaries are textbook; in practice voice launches just go and it works out."],
            CANARY,
            0,
        ),
        (["Canary each new TTS voice and see how it works out for a week."], CANARY, 1),
    ],
)
def test_ease_in_the_same_sentence_and_what_works_out(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # praise kept for another time is a deferral of the measure
        (["A staged canary for new TTS voices is a fine idea for later."], 0),
        (["A TTS voice canary would be a good idea once we have more staff."], 0),
        (["A TTS voice canary would be a good idea once a voice is ready to ship."], 1),
        # praise kept for a world that is not ours; the means denied
        (["A staged canary for TTS voices would be nice in an ideal world."], 0),
        (["A TTS voice canary is a lovely idea; we just don't have the headcount for it."], 0),
        # what there is, said to do the job; a goal that is "the job" is no such claim
        (["A TTS voice canary is tempting, but the one-click rollback does the job."], 0),
        (["Canary each TTS voice: first audio under load is the job, not studio scores."], 1),
        # "alone" makes no claim that what there is suffices
        (["Put TTS voices behind a canary: the rollback alone works, but too slowly."], 1),
    ],
)
def test_praise_kept_for_later_and_what_does_the_job(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a first person's "would" foretelling being overwhelmed is no choice made
        (["Per-voice latency alerts? We'd drown in pages."], 0),
        (["Alert on first audio latency per voice, or we'd drown in complaints."], 1),
    ],
)
def test_being_overwhelmed_foretold_is_no_choice(answers, credit):
    found = judge(answers, [GATE])
    assert found.weights.get(GATE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # "no more X that nobody <verifies>" is "no X without the check": the two cancel
        (["No more TTS voice launches that nobody has canaried first."], CANARY, 1),
        (["No more voice releases that nobody checks for first audio latency."], GATE, 1),
        # a complaint about the measure itself, that nobody uses it, is no such rule
        (["No more staged TTS canaries that nobody reads."], CANARY, 0),
        (["No more first audio latency alerts that nobody acts on."], GATE, 0),
    ],
)
def test_no_more_what_nobody_verifies_requires_the_check(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a cost said as a noun of its own is a verdict on the measure
        (["A staged TTS voice canary is sensible; still, it's overhead."], 0),
        (["A TTS voice canary would be a tax on every launch."], 0),
        (["Put TTS voices behind a canary; the extra toil is worth it."], 1),
        # a return denied ("doesn't pay for itself")
        (["I like a canary for TTS voices; I just don't think it pays for itself."], 0),
        # the measure denied the writer's own setting; "not for us but for ..." contrasts
        (["A canary for TTS voices is a good idea; just not for us."], 0),
        (["Put every TTS voice behind a canary, not for us but for the listeners."], 1),
    ],
)
def test_a_cost_as_a_noun_and_not_for_us(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # merit granted, then a turn to anything that does not take the measure up: the
        # turn is the verdict, whatever reason it gives
        (["Canarying each TTS voice seems reasonable, but launches have been smooth so far."], 0),
        (["On paper a TTS voice canary is appealing, but our rollback takes a minute."], 0),
        (["I agree a TTS canary is good practice, though I'd sooner spend the time on docs."], 0),
        # the turn keeps the measure: a requirement, an addition, a directive of its own
        (["A TTS voice canary sounds sensible, but it must halt the rollout on its own."], 1),
        (["A canary for TTS voices is a good start, but pair it with an automatic halt."], 1),
        (["A TTS voice canary is nice, but not enough alone; watch first audio too."], 1),
    ],
)
def test_merit_conceded_then_turned_from(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # an epistemic adverb after a conceded cause is a belief turned to a rival
        (
            "The new voice went live that morning, though new voices rarely add latency. "
            "Probably the GPUs are throttling.",
            0.0,
        ),
        ("new voice shipped, but voices never move latency much. prob a noisy host", 0.0),
        # said of the cause itself, or after a qualified denial with no concession
        ("The new voice is probably the cause: its vocoder is far heavier than the old one.", 1.0),
        (
            "It is the new voice: its vocoder is heavier. I would not call every voice slow — "
            "the old ones are probably fine — only this one.",
            1.0,
        ),
    ],
)
def test_an_epistemic_adverb_after_a_conceded_cause(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a measure handed to someone else's judgement or work proposes nothing
        (["TTS voice canaries I would leave to the voice team's discretion."], 0),
        (["A canary for each TTS voice? That's the platform team's job, not ours."], 0),
        # left to a measure, or made someone's job, it is proposed
        (["Canary each TTS voice, and leave the halt to the automatic gate."], 1),
        (["Make a TTS voice canary the release owner's job on every launch."], 1),
    ],
)
def test_a_measure_handed_to_someone_else(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a third party's need after the measure was turned down is a reason against it
        (["We weighed a TTS voice canary and vetoed it: launches need to land at once."], 0),
        # a need of the writer's own after it takes the measure up
        (["We skipped a TTS voice canary last time; we need a canary for every voice now."], 1),
    ],
)
def test_a_third_partys_need_after_a_refusal(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a past lack with the job it would have done is the lesson: the measure stands
        (["There was no latency gate to stop a slow voice before it shipped."], 1),
        (["We had no gate that checked first audio latency on new voices."], 1),
        (["The gap was that nothing gated voices on first audio latency."], 1),
        # a need denied, a lack welcomed, or the present described are no such lesson
        (["There was no need for a first audio latency gate on that voice."], 0),
        (["There was no latency gate to slow our voice launches down, which was good."], 0),
        # a lack, then the next incident foretold, asks for the measure
        (["Without a first audio latency gate, the next heavy voice will do the same."], 1),
        (["Without a first audio latency gate, the next voice ships a day sooner."], 0),
    ],
)
def test_a_lack_that_let_the_incident_through(answers, credit):
    found = judge(answers, [GATE])
    assert found.weights.get(GATE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # the review's worst loss: a recommendation after a semicolon following a past
        # refusal, its verb the measure's own noun ("canary each ...")
        (["We said no to a TTS voice canary last spring; canary each voice from now on."], 1),
        (["Canary every TTS voice; the rollback is already fast, so the canary costs little."], 1),
        # the noun before a quantifier that is not an instruction
        (["We vetoed a TTS voice canary last spring; canaries every week would slow us."], 0),
        (["Canary each TTS voice? No, the rollback is quick enough."], 0),
    ],
)
def test_a_measures_noun_as_the_instructions_verb(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a leave anyone has to act without the measure is the status quo complained of
        (["Today any engineer can ship a TTS voice without a canary. That has to end."], 1),
        (["Anyone can push a new TTS voice live without a canary; we can't keep it so."], 1),
        # the same leave, then said to be fine, argues against the measure
        (["Anyone can push a new TTS voice live without a canary, and that's fine."], 0),
        # a leave someone else is given, no complaint: "without" denies as before
        (["Let the voice team ship TTS voices without a canary."], 0),
    ],
)
def test_a_leave_anyone_has_without_the_measure(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # what goes unseen, forbidden, asks for the alarm that would have been raised
        (["No more silent first audio latency regressions on voice launches."], 1),
        (["Never again an unnoticed first audio latency regression."], 1),
        # said without a prohibition, or a prohibition of the thing itself, it asks nothing
        (["Silent first audio latency regressions are fine by me."], 0),
        (["No more first audio latency regressions, please."], 0),
    ],
)
def test_what_goes_unseen_forbidden_asks_for_the_alarm(answers, credit):
    found = judge(answers, [GATE])
    assert found.weights.get(GATE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # the sixteenth round: a measure named as a bare topic, then appraised without a
        # verb — one more of a pile with the work it adds, a verdict as the appraisal's
        # head, or a bare refusal after it
        (["TTS voice canaries — yet another gate to babysit on every launch."], 0),
        (["A canary per TTS voice: one more dial nobody watches."], 0),
        (["TTS voice canaries — a trap."], 0),
        (["TTS voice canaries, sure. Another checklist step to argue about."], 0),
        (["Per-voice TTS canaries. Hard pass."], 0),
        (["Per-voice TTS canaries. No thank you."], 0),
        # the appraisal approves, turns back, or the measure is directed
        (["TTS voice canaries — one more safety net before every launch."], 1),
        (["TTS voice canaries: another step to argue about, but worth every minute."], 1),
        (["Canary each TTS voice; another gate to babysit is a fair price."], 1),
        (["TTS voice canaries. Another early warning before users notice."], 1),
    ],
)
def test_a_topic_appraised_without_a_verb(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # merit granted in a sentence of its own, the turn in the next
        (
            ["A TTS voice canary is tempting. Launch went fine, so leave things as they are."],
            0,
        ),
        (["I love the idea of a TTS voice canary. It's a month of plumbing, however."], 0),
        (
            ["A TTS voice canary is neat. Our rollback handled it fast, and that's enough."],
            0,
        ),
        # the next sentence takes it up, or says what it brings
        (["A TTS voice canary is valuable. Add one to every launch from now on."], 1),
        (["A TTS voice canary is valuable. It would have caught the slow vocoder early."], 1),
        (["I love the idea of a TTS voice canary. However, it needs an automatic halt."], 1),
    ],
)
def test_merit_granted_then_turned_from_in_the_next_sentence(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # what was pointed back to, given to another team to own
        (
            ["A TTS voice canary is good practice; the release team is better placed to own that."],
            0,
        ),
        (["TTS voice canaries are fine, but the platform folks should handle it."], 0),
        # the writer's own team, or a duty set after the measure is directed
        (["Canary each TTS voice; our team will own that."], 1),
        (["Canary each TTS voice, and the platform team should handle it on every launch."], 1),
    ],
)
def test_a_measure_pointed_back_to_and_given_to_another_to_own(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a verdict in the predicate after a relative clause is said of the subject before it
        (["A canary for each TTS voice, which the vendor recommended, is not needed."], 0),
        (["A canary for each TTS voice, as the review proposed, would be a mistake."], 0),
        (["A canary for each TTS voice, which the vendor recommended, is worth the time."], 1),
        (["A canary for each TTS voice, which nobody had, is what we need."], 1),
        # only a verdict of no need or value reaches back, not any denial
        (["A canary for each TTS voice, which would have caught this, is not expensive."], 1),
        (["A TTS voice canary, which we lacked, would not have let this ship."], 1),
    ],
)
def test_a_predicate_after_a_relative_clause_speaks_of_its_subject(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # talked about and turned down; what there is, said to suffice, is no proposal
        # a past rejection reversed in the next statement keeps the measure (not read yet as
        # taken up: not turned down by a weighing it does not name)
        (["We talked about a TTS voice canary last year and rejected it; time to build it."], 1),
        (["The current TTS voice canary already covers it."], 0),
        # talked about and taken up; what there is, extended
        (["We talked about a TTS voice canary and agreed to build it this sprint."], 1),
        (["Extend the existing TTS voice canary to every launch."], 1),
    ],
)
def test_a_weighing_talked_over_and_what_there_is(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # a second change made, said in a sentence of its own with an additive: a rival
        ("Blame the beam. The autoscaler target was also edited, which doubled the pool.", 0.0),
        # what the data also showed, or a consequence the beam led to: the story goes on
        ("Blame the beam. The autoscaler also reacted and doubled the pool.", 1.0),
        ("Blame the beam width. The pool also scaled up to keep pace.", 1.0),
    ],
)
def test_a_rival_change_in_a_sentence_of_its_own(text, share):
    assert diagnosis_share(text, ["beam-width-changed"])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a why-question of the present practice, with what it goes without: the lack
        (["Why on earth do we launch TTS voices without a canary?"], 1),
        (["Why does every TTS voice still ship to everyone without a canary first?"], 1),
        # a release chosen without the measure is the practice complained of (seventeenth
        # round, the audit's "Why would we ship X without Y?")
        (["Why would we ship a new TTS voice without a canary?"], 1),
        (["Why should anyone push a TTS voice to everyone without a canary first?"], 1),
        # a question of a choice, or an open question, asks
        (["Why would we add a TTS voice canary without evidence it helps?"], 0),
        (["Why would we ship a TTS voice canary without evidence it helps?"], 0),
        (["Why do we need a TTS voice canary?"], 0),
    ],
)
def test_a_why_question_of_a_practice_without_the_measure(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a measure asked as a topic, answered by the work it adds or a refusal
        (["A canary for every TTS voice? Toil for the release team, every week."], 0),
        (["A canary for every TTS voice? Nope."], 0),
        # answered by a gain or a yes
        (["A canary for every TTS voice? Definitely: halt on first audio byte."], 1),
        (["A canary for every TTS voice? Yes, with an automatic halt."], 1),
    ],
)
def test_a_topic_question_answered_by_its_burden(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # the seventeenth round: a dismissal of no need as the appraisal's head or a
        # copula's predicate, and what there is said to signal already
        (["TTS voice canaries are a solution looking for a problem."], 0),
        (["TTS voice canaries — a solution in search of a problem."], 0),
        (["The launch canary already flags a slow TTS voice."], 0),
        (["TTS voice canary reports already exist in our tooling, which covers this well."], 0),
        (["TTS voice canary reports should exist in launch tooling, which covers this gap."], 1),
        # a gain, a solution to a named problem, a measure directed
        (["A canary for every TTS voice? Halt on first byte; less toil than a rollback."], 1),
        (["TTS voice canaries — a solution to the problem we keep having."], 1),
        (["TTS voice canaries — a solution to the slow-voice problem."], 1),
    ],
)
def test_a_verdict_of_no_need_or_of_what_signals_already(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a list its label calls topics names topics, however short
        (["Themes: TTS voice canary, launch hygiene, holistic quality."], 0),
        (["Pillars: TTS voice canary, launch hygiene, holistic quality."], 0),
        # a label of measures, or none: one terse answer with its details
        (["Fixes: TTS voice canary, halted on first byte, per voice."], 1),
    ],
)
def test_a_list_labelled_as_topics(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # merit that holds only "until" the cost shows; what there is, said by its record
        (["A TTS voice canary looks elegant until you maintain it through a holiday."], 0),
        (["A TTS voice canary is neat; the manual listen has worked well for us."], 0),
        (["A TTS voice canary is a lovely idea. A quick rollback already solved this."], 0),
        # the merit granted to what there is, the measure said in the turn: proposed
        (["Our rollback is clean, but a TTS voice canary would have stopped it earlier."], 1),
        # a record limited or turned, a keep after the "until", a team made to own it
        (["TTS voice canary. Our manual listen worked well for years, but not this time."], 1),
        (["A TTS voice canary would have caught it; the rollback only handled it late."], 1),
        (["A TTS voice canary looks elegant until you forget it; so alert on it too."], 1),
        (["Canary each TTS voice and let the release team own it."], 1),
        # another team better placed, deferred to
        (["A TTS voice canary is sensible, and the release folks are better placed for it."], 0),
        (["A TTS voice canary is sensible; happy to defer to the platform team on it."], 0),
        # the turn keeps it; the writer's own team; a question answered by a harm foretold
        (["A TTS voice canary looks elegant, and it must halt until a human approves."], 1),
        (["A TTS voice canary is sensible, and we are better placed to build it than anyone."], 1),
    ],
)
def test_the_record_of_what_there_is_and_a_measure_handed_over(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a measure asked as a topic, answered by a harm foretold or the work it adds
        (["Slice gates for every release? We'll drown in blocked releases."], 0),
        (["Slice gates on every release? Yet another red build to argue about."], 0),
        # answered by a yes
        (["Slice gates for every release? Yes, on the far-field slice."], 1),
    ],
)
def test_a_topic_question_answered_by_a_harm_foretold(answers, credit):
    found = judge(answers, [SLICE_GATE])
    assert found.weights.get(SLICE_GATE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, earned",
    [
        # a refusal that points back lands on the nearer measure turned down, not the first
        (
            [
                "TTS voice canaries with a capped share. A first audio byte latency gate is "
                "overkill on top of that; drop it."
            ],
            {"canary-first"},
        ),
        # with nothing turned down between, it lands on the measure before it
        (["TTS voice canaries with a capped share. Drop it."], set()),
    ],
)
def test_a_refusal_pointing_back_lands_on_the_nearer_measure_turned_down(answers, earned):
    found = judge(answers, [CANARY, GATE])
    assert set(found.earned) == earned, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a record of what there is, then a statement that turns from it: the measure after
        # it is proposed (review16)
        (
            [
                "Our current voice rollout has worked well for years. But this time it failed, "
                "so canary new voices and halt on latency."
            ],
            1,
        ),
        (
            [
                "The manual listen has worked well for years. This time it missed, so canary "
                "new voices and halt on latency."
            ],
            1,
        ),
        # ... and not turned from, it still closes the argument
        (["A TTS voice canary is neat; the manual listen has worked well for us."], 0),
        # (a measure described, not directed: "Canary new voices ..." now directs, issue 35)
        (
            [
                "A canary for new voices, halting on latency. The manual listen has worked "
                "well for us."
            ],
            0,
        ),
    ],
)
def test_a_record_turned_from_in_the_next_statement_closes_nothing(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a concession, a cost turned from, then the measure kept: proposed (review16)
        (["Love the idea of a TTS voice canary. It adds a step, though one we lacked; add it."], 1),
        (["TTS voice canaries are good practice. Though they slow releases, they are needed."], 1),
        # the cost is the last word, or the worth is before the turn: turned from
        (
            [
                "Love the idea of a TTS voice canary. It's weeks of work, though, so let's note "
                "it and move on."
            ],
            0,
        ),
        (["TTS voice canaries are good practice. Worth it in theory, though weeks of work."], 0),
    ],
)
def test_a_concession_whose_next_sentence_keeps_the_measure(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a topic piled on, then kept in its sentence (review16)
        (["First audio byte gates: yet another thing to maintain, and the right call."], GATE, 1),
        (["First audio byte gates: yet another thing to maintain. No."], GATE, 0),
        # a verdict denied after a relative clause says nothing against the subject
        (["The first audio byte gate, which the team suggested, is not overkill."], GATE, 1),
        (["The first audio byte gate, which the team suggested, is overkill."], GATE, 0),
        # the status quo named as what went wrong is not kept
        (
            ["Staying as we are is how this happened; canary TTS voices from now on."],
            CANARY,
            1,
        ),
        (["Staying as we are is the safe call; a TTS voice canary is overkill."], CANARY, 0),
    ],
)
def test_a_verdict_kept_denied_or_blamed_is_no_argument_against(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # a second change told as context and set aside in its sentence: no rival (review16)
        (
            "The beam width was changed in the decoder push. The batch size was also changed, "
            "but that was reverted an hour earlier.",
            1.0,
        ),
        # ... and told without it, or with its setting aside denied: a rival
        ("The beam width was changed in the decoder push. The batch size was also changed.", 0.0),
        (
            "The beam width was changed in the decoder push. The batch size was also changed, "
            "and it was never reverted.",
            0.0,
        ),
    ],
)
def test_a_second_change_set_aside_in_its_sentence_is_no_rival(text, share):
    assert diagnosis_share(text, ["beam-width-changed"])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # a measure's noun as the verb opening a statement, before its object: an instruction
        # that an earlier "X is enough" does not turn down (issue 35)
        (["The manual listen is enough. Canary new TTS voices on 5% first."], 1),
        (["Spot checks by ear are enough. Canary the next TTS voice before it ships."], 1),
        # ... the same noun heading a subject its verb speaks of: turned down
        (["The manual listen is enough. Canary new TTS voices would be overkill."], 0),
        (["Spot checks by ear are enough. Canary TTS voice rollouts are a luxury."], 0),
    ],
)
def test_a_measures_noun_opening_a_statement_as_its_verb_instructs(answers, credit):
    found = judge(answers, [CANARY])
    assert found.weights.get(CANARY.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a measure directed, its merit granted, then its need denied: refused (issue 35)
        (["Gate rollouts on first audio byte: best practice, but we don't need one."], GATE, 0),
        (
            ["Canary new TTS voices: makes sense in principle, though honestly not needed here."],
            CANARY,
            0,
        ),
        # ... a need denied of something else, or a need kept: the measure stands
        (
            [
                "Gate rollouts on first audio byte: best practice, but we don't need one for "
                "the chat tier."
            ],
            GATE,
            1,
        ),
        (
            ["Canary new TTS voices: makes sense in principle, though it needs an owner."],
            CANARY,
            1,
        ),
    ],
)
def test_a_need_denied_after_a_concession_refuses_the_measure(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, concept, credit",
    [
        # a rhetorical demand: harms counted before the measure is taken (issue 35)
        (["How many more incidents until we canary every TTS voice?"], CANARY, 1),
        (["How many more pages before we gate rollouts on first audio byte?"], GATE, 1),
        # ... a count that weighs, or a verdict against the measure inside it: nothing
        (["How many more TTS voices will we canary this quarter?"], CANARY, 0),
        (
            ["How many more incidents before someone admits a TTS voice canary is overkill?"],
            CANARY,
            0,
        ),
    ],
)
def test_a_rhetorical_demand_asks_for_the_measure(answers, concept, credit):
    found = judge(answers, [concept])
    assert found.weights.get(concept.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # a rival the writer commits to after the right cause: the cause set aside (issue 35)
        (
            "The new voice is heavier. Still, the load balancer config is what actually broke it.",
            0.0,
        ),
        ("The new voice model is bigger; the real culprit, though, was the DNS change.", 0.0),
        # ... the rival denied, or the commitment pointing back at the cause: it stands
        ("The new voice is heavier. The DNS change was not the real culprit.", 1.0),
        ("The new voice model is bigger, and that is what actually broke it.", 1.0),
    ],
)
def test_a_rival_committed_to_after_the_cause_sets_it_aside(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # a second change set aside by a relative clause: no rival (issue 35, item 3)
        (
            "The beam width was changed in the decoder push. The batch size was also changed, "
            "which turned out to be unrelated.",
            1.0,
        ),
        # ... the setting aside denied, or the change said to matter: a rival
        (
            "The beam width was changed in the decoder push. The batch size was also changed, "
            "which is not unrelated.",
            0.0,
        ),
        (
            "The beam width was changed in the decoder push. The batch size was also changed, "
            "which turned out to matter.",
            0.0,
        ),
    ],
)
def test_a_second_change_called_unrelated_in_a_relative_clause_is_no_rival(text, share):
    assert diagnosis_share(text, ["beam-width-changed"])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "answers, credit",
    [
        # the seventeenth round (drills/judge/required.py): "nothing" as the subject, or a
        # speaker refusing a change passage, with a "without": the rule requires the thing
        (["Nothing reaches production without a gate on slice WER."], 1),
        (["From now on nothing ships without a gate on slice WER."], 1),
        (["I refuse to approve another release without a gate on slice WER."], 1),
        (["The fix is that nobody can ship a model without a gate on slice WER."], 1),
        (["From now on no model moves to production without a gate on slice WER."], 1),
        (["Never again should a model ship with no gate on slice WER."], 1),
        (["How on earth did a model get through without a gate on slice WER?"], 1),
        # a measure refused, or a "nothing" that reports, requires nothing
        (["I refuse to add a gate on slice WER without evidence it helps."], 0),
        (["Last quarter we shipped nothing without a gate on slice WER, and it still broke."], 0),
        (["We shipped it with no gate on slice WER."], 0),
        (["Nobody noticed we changed the model and added no gate on slice WER."], 0),
        (["How did a model get through without a gate on slice WER?"], 0),
        (["How on earth would we run a gate on slice WER without more people?"], 0),
    ],
)
def test_a_passage_refused_without_the_measure_requires_it(answers, credit):
    found = judge(answers, [SLICE_GATE])
    assert found.weights.get(SLICE_GATE.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "answers, credit",
    [
        # the seventeenth round: what nobody could see ("blind on / to") is the alarm that was
        # missing, as a word of silence under a prohibition is; a tripwire is an alarm
        (["We flew blind on first audio byte for a week."], 1),
        (["Never again should we be blind to first audio byte."], 1),
        (["Put a tripwire on first audio byte."], 1),
        # the blindness denied, or the alarm turned down
        (["We were never blind to first audio byte."], 0),
        (["No tripwire on first audio byte, please; it would page all night."], 0),
    ],
)
def test_blind_to_a_signal_asks_for_its_alarm(answers, credit):
    found = judge(answers, [FAB_ALERT])
    assert found.weights.get(FAB_ALERT.id, 0) * found.factor == credit, found


@pytest.mark.parametrize(
    "text, share",
    [
        # the seventeenth round: a bracketed aside unsure of a detail of the cause's own thing
        # hedges nothing
        (
            "The new voice runs a much larger synthesis model (or vocoder, maybe both), so "
            "first audio byte doubled.",
            1.0,
        ),
        # an aside that offers something else, or a cause of its own, still hedges
        (
            "The new voice runs a much larger synthesis model (or maybe the balancer rollout), "
            "so first audio byte doubled.",
            0.0,
        ),
        (
            "The new voice runs a much larger synthesis model (or maybe the pool is cold "
            "after the deploy), so first audio byte doubled.",
            0.0,
        ),
    ],
)
def test_a_bracketed_aside_on_a_detail_hedges_nothing(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)


@pytest.mark.parametrize(
    "text, share",
    [
        # the seventeenth round: a verdict through a pronoun that the evidence weighs nothing
        # (a denied verb of weighing, or a judging verb with a doubt) sets the cause aside
        (
            "The new voice is a bigger model, though its benchmarks are noisy, so I'd not read "
            "much into it. I'd check the balancer.",
            0.0,
        ),
        (
            "Someone blamed the new voice's bigger model, but it matched the old one offline, "
            "so I find that hard to believe.",
            0.0,
        ),
        (
            "The new voice is a bigger model, but offline it matched the old one, so no. The "
            "balancer rollout slowed the first byte.",
            0.0,
        ),
        # an action denied, a judgement that is no doubt, or a "no" that answers a question
        # leaves the cause standing
        (
            "The new voice is a bigger model. Did anyone load-test it? No. So first audio doubled.",
            1.0,
        ),
        (
            "The new voice is a bigger model and it doubled the first byte; we didn't roll "
            "it back yet.",
            1.0,
        ),
        ("The new voice is a bigger model; I find it slower on every single request.", 1.0),
    ],
)
def test_evidence_said_to_weigh_nothing_sets_the_cause_aside(text, share):
    assert diagnosis_share(text, [VOICE])[0] == share, read_causes(text)
