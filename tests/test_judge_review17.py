"""Near misses a fresh-eyes review of the seventeenth rule round wrote, both ways, with one or
two of our own per fix: each construction read as one (drills/judge/causes.py, essay.py,
required.py, lacks.py), not as a list of phrases."""

from __future__ import annotations

import pytest

from drills.course.exam import Attempt, mark
from drills.judge.causes import diagnosis_share
from drills.judge.lines import prevention_concepts
from drills.judge.matcher import judge
from tests.blind.corpus import _key
from tests.test_exam_commitment import EXAM, ITEM, STATED  # the five measures, stated

VOICE = "heavier-voice-model"
BEAM = "beam-width-changed"
TTS = "tts-first-audio-byte"
SPEND = "asr-spend-jump-after-launch"


def _credited(text: str, cause: str) -> int:
    return int(diagnosis_share(text, [cause])[0] > 0)


def _earns(text: str, scenario: str, concept: str) -> int:
    found = judge([text], prevention_concepts(_key(scenario)))
    return int(found.weights.get(concept, 0) * found.factor > 0)


def _passes(sentence: str) -> int:
    answer = f"{STATED} {sentence}"
    return int(mark(EXAM, Attempt(exam=ITEM, candidate="c", answer=answer)).score >= 60)


# --- 1. H: a verdict through a pronoun is the clause's it points back to -------------------


@pytest.mark.parametrize(
    "text, cause, credit",
    [
        # a clause that names something else stands between: the pronoun points at it
        (
            "The heavier voice model doubled first audio byte. The balancer change went out "
            "the same hour, but I wouldn't read much into that.",
            VOICE,
            1,
        ),
        (
            "The new voice is a heavier model that doubled first audio byte. The load test "
            "said otherwise, but I wouldn't trust it.",
            VOICE,
            1,
        ),
        (
            "Someone raised the beam width in the decoder config, so each file takes far more "
            "GPU time. Latency rose too, but I don't read much into it: it follows from the "
            "same change.",
            BEAM,
            1,
        ),
        (
            "The heavier voice model doubled first audio byte. Traffic dipped at noon, but I "
            "wouldn't read much into that.",
            VOICE,
            1,
        ),
        # a placeholder "it" before "that": the doubt is of its clause
        (
            "The new voice is heavier and doubled first audio byte; I find it unlikely that "
            "anything else explains the jump.",
            VOICE,
            1,
        ),
        (
            "The new voice is heavier and doubled first audio byte; I find it hard to believe "
            "that the pool matters.",
            VOICE,
            1,
        ),
        # the cause's own clause just before: the verdict is the cause's
        ("The voice model is heavier, but I wouldn't read much into that.", VOICE, 0),
        ("People say the heavier voice did it. I consider that unlikely.", VOICE, 0),
        ("The heavier voice might explain it. I find that hard to believe.", VOICE, 0),
    ],
)
def test_a_verdict_through_a_pronoun_is_the_clauses_it_points_at(text, cause, credit):
    assert _credited(text, cause) == credit


# --- 1. J: a "but no" after a clause of wondering answers the wondering ---------------------


@pytest.mark.parametrize(
    "text, credit",
    [
        (
            "The new voice is a heavier model and doubled first audio byte. I wondered whether "
            "the balancer mattered too, but no.",
            1,
        ),
        (
            "The new voice is a heavier model and doubled first audio byte. Any other change "
            "could have explained it, I thought, but no.",
            1,
        ),
        (
            "The heavier voice model doubled first audio byte. I asked the platform team about "
            "the pool, so no.",
            1,
        ),
        # a "no" after an argument against the cause is still its verdict
        (
            "The voice model is heavier, but its latency matched the old one in load tests, so no.",
            0,
        ),
        (
            "Could be the heavier voice model, but it ran fine in staging. So no. The balancer "
            "rollout did it.",
            0,
        ),
    ],
)
def test_a_bare_no_after_wondering_answers_it(text, credit):
    assert _credited(text, VOICE) == credit


# --- 1. I: "none" denies a sweeping verdict; a turn after the dashed list concedes ----------


@pytest.mark.parametrize(
    "sentence, passes",
    [
        (
            "None of these guardrails — slices, canary, rollback — is overkill for a model "
            "serving millions.",
            1,
        ),
        (
            "All these hoops — slice comparison, canary, rollback — may look like overkill, "
            "but each caught a real regression last year.",
            1,
        ),
        ("Neither of these gates — slices, canary — is overkill here.", 1),
        ("All these gates — slice comparison, canary, rollback — are overkill.", 0),
        ("All these guardrails (slice comparison, canary, rollback) are overkill here.", 0),
    ],
)
def test_a_dashed_sweep_denied_or_turned(sentence, passes):
    assert _passes(sentence) == passes


# --- 1. A: a looking verb whose object undoes the cause is no turn --------------------------


@pytest.mark.parametrize(
    "text, credit",
    [
        (
            "The heavier voice model doubled first audio byte. Tuning the pool won't help, so "
            "we'll focus on rolling back to voice a instead.",
            1,
        ),
        (
            "The heavier voice model doubled first audio byte. The pool is fine, so we will "
            "look into reverting the voice config instead.",
            1,
        ),
        (
            "The new voice is a heavier model, but the pool is small; we should focus on the "
            "autoscaler instead.",
            0,
        ),
        (
            "The heavier voice model doubled first audio byte, but the pool is small, so look "
            "at rolling out more replicas instead.",
            0,
        ),
    ],
)
def test_a_fix_looked_at_instead_is_no_turn(text, credit):
    assert _credited(text, VOICE) == credit


# --- 2. D/E: the double negative lifts only a measure, a passage, a rule --------------------


@pytest.mark.parametrize(
    "text, scenario, concept, credit",
    [
        # what follows "without" is a reason or what it would take, not a measure
        (
            "I refuse to merge a latency gate on first audio byte without evidence it would "
            "have caught this.",
            TTS,
            "latency-gate",
            0,
        ),
        (
            "No one on the team can run a voice canary without help from platform, so skip it.",
            TTS,
            "canary-first",
            0,
        ),
        (
            "We refuse to deploy a first audio byte gate without data that it helps.",
            TTS,
            "latency-gate",
            0,
        ),
        # a verb of letting through in any inflection ("merging", "shipping", "letting"):
        # the passage refused is a rule; a measure refused is still none
        (
            "I refuse to keep merging mirror configs without an expiry date.",
            SPEND,
            "shadow-expiry",
            1,
        ),
        (
            "I refuse to keep merging first audio byte gates without evidence they work.",
            TTS,
            "latency-gate",
            0,
        ),
        (
            "Nobody should merge a first audio byte gate without evidence it works.",
            TTS,
            "latency-gate",
            0,
        ),
        # a subject's verb of liking or wanting: a feeling, no passage refused
        (
            "Nobody likes waiting a day for a voice canary without a good reason.",
            TTS,
            "canary-first",
            0,
        ),
        (
            "No engineer wants to babysit a first audio byte gate without being paid for on-call.",
            TTS,
            "latency-gate",
            0,
        ),
        # the present reported, no rule set
        (
            "Nothing ships without a voice canary today already, so there is no new process "
            "to add.",
            TTS,
            "canary-first",
            0,
        ),
        (
            "Nothing currently ships without a voice canary, so that is covered.",
            TTS,
            "canary-first",
            0,
        ),
        # "nothing <verb>s faster than X with no Y": a comparison, no rule
        ("Nothing reaches users sooner than a voice with no canary.", TTS, "canary-first", 0),
        (
            "Nothing goes out quicker than a voice with no first audio byte gate.",
            TTS,
            "latency-gate",
            0,
        ),
        ("Nothing should reach users with no voice canary first.", TTS, "canary-first", 1),
        # the rules, still read
        ("We refuse to ship any voice change without a canary first.", TTS, "canary-first", 1),
        (
            "Nothing should reach all users without a voice canary that halts on latency.",
            TTS,
            "canary-first",
            1,
        ),
        (
            "No one gets to start a traffic mirror without setting an expiry.",
            SPEND,
            "shadow-expiry",
            1,
        ),
        (
            "From today nothing ships without a voice canary that halts on latency.",
            TTS,
            "canary-first",
            1,
        ),
    ],
)
def test_a_double_negative_lifts_a_measure_of_a_rule(text, scenario, concept, credit):
    assert _earns(text, scenario, concept) == credit


# --- 2. E: "how on earth could/can" asks whether it can be done -----------------------------


@pytest.mark.parametrize(
    "text, concept, credit",
    [
        ("How on earth could we staff a voice canary without another hire?", "canary-first", 0),
        ("How on earth can we run a voice canary without more people?", "canary-first", 0),
        (
            "How on earth did a voice twice as slow get past review without a first audio byte "
            "gate?",
            "latency-gate",
            1,
        ),
    ],
)
def test_how_on_earth_could_asks_feasibility(text, concept, credit):
    assert _earns(text, TTS, concept) == credit


# --- 2. C: a why-question that ships the measure itself weighs the measure ------------------


@pytest.mark.parametrize(
    "text, concept, credit",
    [
        (
            "Why would we merge a voice canary config without the team's sign-off?",
            "canary-first",
            0,
        ),
        (
            "Why would we deploy a first audio byte gate before fixing the flaky latency "
            "metric, without which it just pages on noise?",
            "latency-gate",
            0,
        ),
        ("Why would we push a latency alert to every team without a runbook?", "latency-gate", 0),
        (
            "Why would we ever promote a new TTS voice without a canary that halts on latency?",
            "canary-first",
            1,
        ),
        (
            "Why did we release the heavier voice to everyone without a first audio byte gate?",
            "latency-gate",
            1,
        ),
    ],
)
def test_a_why_question_shipping_the_measure_itself(text, concept, credit):
    assert _earns(text, TTS, concept) == credit


# --- 2. F: blindness denied, approved of, or prohibited -------------------------------------


@pytest.mark.parametrize(
    "text, concept, credit",
    [
        (
            "Nobody was blind to first audio byte here; we saw it and chose to wait.",
            "latency-gate",
            0,
        ),
        ("No one on call was blind to first audio byte that night.", "latency-gate", 0),
        (
            "Being blind to first audio byte for a day is acceptable for a voice launch.",
            "latency-gate",
            0,
        ),
        ("We should never be blind to first audio byte again.", "latency-gate", 1),
        ("We must never be blind to first audio byte on the next launch.", "latency-gate", 1),
        ("For three days we were flying blind on first audio byte.", "latency-gate", 1),
        (
            "We weren't ever blind to first audio byte; it was on the dashboard all along.",
            "latency-gate",
            0,
        ),
    ],
)
def test_blindness_denied_approved_or_prohibited(text, concept, credit):
    assert _earns(text, TTS, concept) == credit


# --- 2. G: a bracket that offers something beyond the cause's own detail hedges -------------


@pytest.mark.parametrize(
    "text, credit",
    [
        (
            "It's the heavier new voice (maybe, or the vocoder settings, or the text "
            "normaliser) that doubled first audio byte.",
            0,
        ),
        (
            "It's the heavier new voice (or maybe the vocoder settings, or the network) that "
            "doubled first audio byte.",
            0,
        ),
        (
            "The heavier new voice model (or its vocoder, I didn't check which layer) doubled "
            "first audio byte.",
            1,
        ),
        (
            "The new voice ships a heavier synthesis model (the vocoder alone is roughly twice "
            "the size), so first audio byte doubled.",
            1,
        ),
    ],
)
def test_an_aside_offering_something_else_hedges(text, credit):
    assert _credited(text, VOICE) == credit
