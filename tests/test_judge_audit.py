"""A hostile candidate's audit of the language judge: three defects and their near misses
both ways, in words of our own (docs/scoring.md).

1. Rival causes asserted beside the right one (a list, "also", ids side by side) are a
   second cause, not its mechanism; what the cause led to, said in its own story, is not.
2. Each prevention item's own description, given alone as the answer, earns that item (every
   scenario's key and every family member's); so does each exam rubric item's, but for the
   few listed below.
3. A checklist written once for every question does not pass an exam question: an answer
   that answers two other questions as fully is marked by its share of statements on this
   one.
"""

from __future__ import annotations

import pytest

from drills.course.exam import Attempt, ExamItem, exam_paths, load_exam, mark
from drills.judge.causes import CATALOG, diagnosis_share, match_cause, read_causes
from drills.judge.lines import cause_readings, prevention_concepts
from drills.judge.matcher import ESSAY, judge
from drills.library.family import family_dirs, load_family
from drills.library.paths import library_root
from drills.library.scenario import AnswerKey, load_key, load_scenario, scenario_dirs
from drills.library.variant_spec import substituter
from simulator.spec.fileio import read_yaml

FALLBACK = ["cpu-to-gpu-fallback"]

# --- 1. rivals are not mechanisms ---------------------------------------------------------

RIVALS = [
    # a line of its own
    "The embedding service fell back onto the A100s.\nA retry storm from the SDK.",
    # bullets
    "* embeddings moved to the GPUs after the health check failed\n* the decoder beam was widened",
    # a bare entry after the cause
    "Embeddings fell back onto the GPUs. Beam width.",
    # a second assertion with "also"
    "Embeddings fell back onto the GPUs because the CPU health check broke, and I also "
    "think the decoder beam got wider.",
    # catalogue ids side by side
    "cpu-to-gpu-fallback, retry-storm",
]


@pytest.mark.parametrize("text", RIVALS)
def test_a_rival_asserted_beside_the_right_cause_cancels_it(text):
    share, named = diagnosis_share(text, FALLBACK)
    assert share == 0.0 and len(named) == 2, named
    cause, how = match_cause(text)
    assert cause is None and how.startswith("ambiguous"), how
    # the report names the rival, with its role and the trainee's words for it
    rival = next(n for n in named if n != FALLBACK[0])
    assert any(line.startswith(f"read as {rival} (co-cause)") for line in cause_readings(text))


MECHANISMS = [
    # what the cause led to, in its own sentence
    "The CPU embedding health check broke, so embeddings fell back onto the GPUs and the "
    "GPU pool got more traffic.",
    # what the data also showed, "also" inside a statement of what happened
    "Embeddings fell back onto the GPUs after the health check broke. The GPU pool also grew "
    "and fresh replicas came up cold.",
    # a consequence the catalogue knows the cause leads to, in a sentence of its own
    "Embeddings fell back onto the GPU pool after the CPU health check broke. That is why "
    "the GPU pool shows more traffic.",
]


@pytest.mark.parametrize("text", MECHANISMS)
def test_what_the_cause_led_to_stays_its_mechanism(text):
    share, named = diagnosis_share(text, FALLBACK)
    assert share == 1.0, named


def test_an_effect_in_the_causes_own_chain_is_no_rival():
    own = (
        "The config push turned on batching for tts-cpu, so every request now waits for its "
        "neighbours in the batch."
    )
    assert diagnosis_share(own, ["batching-misconfigured"])[0] == 1.0
    added = "The config push turned on batching for tts-cpu. Also a noisy neighbour on the host."
    assert diagnosis_share(added, ["batching-misconfigured"])[0] == 0.0


def test_a_denied_cause_in_a_short_sentence_is_no_rival():
    text = (
        "The firmware reports 16 kHz while the audio only reaches 4 kHz: the sample rate is "
        "mislabelled. Loudness and clipping stayed flat."
    )
    assert [n.role for n in read_causes(text).found if n.role == "co-cause"] == []


# rivals a review found read as one cause: a second change said with its own subject and an
# additive ("as well", "too") or an opening that counts another ("another factor:"), even
# where the catalogue lists it as a consequence of the first (`leads_to`)
RIVAL_CHANGES = [
    "The new voice is a much bigger model, and the autoscaler's target got bumped as well.",
    "The new voice is a much bigger model. Another factor: the autoscaler target was edited.",
]
# what the data also showed stays the story, additive or not
STORY = [
    "The new voice is a much bigger model, so the pool scaled out as well.",
    "The new voice is a much bigger model, and the autoscaler added replicas too.",
]


@pytest.mark.parametrize("text", RIVAL_CHANGES)
def test_a_rival_change_with_its_own_subject_is_a_second_cause(text):
    share, named = diagnosis_share(text, ["heavier-voice-model"])
    assert share == 0.0 and "autoscaler-target-changed" in named, named


@pytest.mark.parametrize("text", STORY)
def test_what_the_data_also_showed_is_no_rival_change(text):
    assert diagnosis_share(text, ["heavier-voice-model"])[0] == 1.0


# genuine effects: replicas that come up cold after the heavier voice's scale-up are its
# consequence (leads_to), and a sentence labelled as the effects names no cause of its own;
# cold replicas asserted as a cause are still a rival
EFFECTS = [
    "The new voice is a much bigger model. The pool scaled out and the new replicas were cold.",
    "Cause: the heavier new voice.\nEffects: more traffic per replica, and cold pods.",
]


@pytest.mark.parametrize("text", EFFECTS)
def test_genuine_effects_are_no_second_cause(text):
    assert diagnosis_share(text, ["heavier-voice-model"])[0] == 1.0


def test_an_effect_asserted_as_a_cause_is_still_a_rival():
    text = "The new voice is a much bigger model. Cold pods after the deploy are a second cause."
    assert diagnosis_share(text, ["heavier-voice-model"])[0] == 0.0


def test_leads_to_names_other_catalogue_causes():
    for name, cause in CATALOG.items():
        assert cause.leads_to <= set(CATALOG) - {name}, name


# --- 2. a key's own words earn its item ----------------------------------------------------


def _scenario_keys() -> list[tuple[str, AnswerKey]]:
    """Every scenario's key (as tests/blind/corpus.py `_key` loads it) and every family
    member's, rendered with the member's default parameters."""
    keys = []
    for folder in scenario_dirs():
        keys.append(
            (folder.name, load_key(folder / "key.yaml", load_scenario(folder / "scenario.yaml")))
        )
    for folder in family_dirs():
        family = load_family(folder / "family.yaml")
        for member in sorted(p.parent for p in folder.glob("*/key.yaml")):
            params = family.member_params(member.name, {})
            path = member / "key.yaml"
            data, _ = read_yaml(path, substituter(params, str(path)))
            keys.append((f"{folder.name}/{member.name}", AnswerKey.model_validate(data)))
    return keys


KEYS = _scenario_keys()


def test_every_key_was_found():
    assert len(KEYS) >= len(list(library_root().glob("*/key.yaml")))
    assert any("/" in name for name, _ in KEYS)  # family members too


@pytest.mark.parametrize("name,key", KEYS, ids=[name for name, _ in KEYS])
def test_each_prevention_items_own_description_earns_it(name, key):
    concepts = prevention_concepts(key)
    for item in key.prevention:
        earned = judge([item.description], concepts)
        assert earned.weights.get(item.id, 0.0) * earned.factor == 1.0, (
            item.id,
            item.description,
        )


def test_a_part_pointing_back_over_a_semicolon_completes_its_statement():
    key = dict(KEYS)["tts-slow-after-config-push"]
    concepts = prevention_concepts(key)
    said = judge(
        ["keep the interactive TTS path unbatched; batch the offline jobs instead"], concepts
    )
    assert said.weights.get("no-batching-first-token") == 1.0
    # a part that does not point back is a point of its own: the opposite practice, with
    # the item's words spread over two points, earns nothing
    opposite = judge(["batch the interactive TTS path; keep the offline jobs unbatched"], concepts)
    assert "no-batching-first-token" not in opposite.earned
    # and a semicolon list is still a list of points
    both = judge(["alert on first audio byte p95; canary every serving config push"], concepts)
    assert {"fab-alert", "config-as-release"} <= set(both.earned)


# rubric descriptions written as an examiner's bare notes (a comma list of nouns, which an
# essay's bare list earns nothing for) or a contrast the negation reads as turned down: an
# answer in those words is a list of topics, not a point (reported, not forced)
TERSE_RUBRIC = {
    ("exercise-2-rollback-packet", "identity"),
    ("exercise-3-voice-agent-budget", "streaming-overlap"),
    ("prompt-4-cicd-model-and-feature-change", "versioned-artifacts"),
}
EXAMS = [load_exam(p) for p in exam_paths()]


def test_each_rubric_items_own_description_earns_it_but_the_terse_notes():
    missed = set()
    for exam in EXAMS:
        for item in exam.rubric:
            if not item.accept:
                continue
            attempt = Attempt(exam=exam.id, candidate="examiner", answer=item.description)
            if not next(i for i in mark(exam, attempt).items if i.id == item.id).met:
                missed.add((exam.id, item.id))
    assert missed == TERSE_RUBRIC


# --- 3. a checklist for every question ------------------------------------------------------

CHECKLIST = """\
Always score the model on a frozen test set broken down by accent, noise and domain vocabulary.
Never judge by the overall average WER, since it masks regressions in small slices.
Block the release when any slice's WER gets worse than its budget.
Start with a canary on a few percent of traffic before rolling out to everyone.
Keep a single switch that rolls back instantly.
Measure p95 latency, memory and cost per audio hour.
Send difficult audio to the big model.
Watch user corrections and confidence per cohort.
Compare acoustic aggregates such as sample rate, clipping and loudness per firmware cohort.
Do not store raw audio or transcripts without consent.
Reproduce with consented samples and public test fixtures.
Version the feature code and the model weights together.
Write unit tests for feature shapes and sample rate handling.
Mirror shadow traffic before the canary.
Alert on time to first audio byte.
Track task completion and downstream user outcomes.
"""


def _exam(name: str) -> ExamItem:
    return next(e for e in EXAMS if e.id == name)


def _score(exam: ExamItem, answer: str) -> tuple[float, list[str]]:
    marking = mark(exam, Attempt(exam=exam.id, candidate="c", answer=answer))
    return marking.score, marking.elsewhere


@pytest.mark.parametrize(
    "name",
    [
        "prompt-2-drift-without-raw-audio",
        "prompt-3-smaller-or-larger-asr",
        "prompt-4-cicd-model-and-feature-change",
    ],
)
def test_a_checklist_for_every_question_scores_no_better_than_partial(name):
    score, elsewhere = _score(_exam(name), CHECKLIST)
    assert len(elsewhere) >= 2 and name not in elsewhere
    assert score <= 50.0, score


def test_the_checklists_lines_on_this_question_alone_are_not_scaled():
    exam = _exam("prompt-3-smaller-or-larger-asr")
    lines = CHECKLIST.splitlines()
    own = "\n".join(line for line in lines if judge([line], exam.concepts(), ESSAY).earned)
    score, elsewhere = _score(exam, own)
    assert elsewhere == [] and score >= 70.0, score


@pytest.mark.parametrize("exam", EXAMS, ids=[e.id for e in EXAMS])
def test_the_courses_own_answer_answers_no_other_question_as_fully(exam):
    assert _score(exam, exam.hidden_answer)[1] == []


# a rich, honest rollout plan that also says what a three-item question asks (slices, a
# fixed set) and what a release pipeline asks (tests, versions): not a checklist
RICH_ROLLOUT = (
    "Set latency SLOs for first audio byte and end-of-turn, and a cost budget per session. "
    "Before launch, unit-test the audio frontend (sample rate, chunk boundaries), evaluate "
    "on a fixed set of approved fixtures per slice, and version weights and configs together. "
    "Launch in stages: shadow traffic, a small canary, then a gradual rollout that halts by "
    "itself on an SLO breach, with a one-command rollback to the cascaded pipeline. Watch "
    "quality per slice (accents, noisy audio) with user corrections, not just global WER, and "
    "block the rollout if a protected slice regresses even when the average improves. No raw "
    "audio is kept without consent. Risky sessions fall back to the old pipeline."
)


def test_a_rich_honest_answer_touching_a_small_rubric_is_not_a_checklist():
    """Exercise 1's three prose items (slices, a fixed set, a budget) are what an honest
    answer says in passing: a question of fewer than five items counts for nothing here
    (scaled to 50 as answering exercise 1 and prompt 4 before; 75 now)."""
    score, elsewhere = _score(_exam("prompt-1-speech-to-speech-rollout"), RICH_ROLLOUT)
    assert elsewhere == [] and score >= 70.0, (score, elsewhere)


def test_a_known_consequence_in_an_entry_of_its_own_is_still_the_story():
    """`leads_to` is read before the entry's shape: a retry storm's load, said as a
    fragment of its own, is what the storm led to (a review found the shape read first)."""
    assert (
        diagnosis_share("Client retries amplified load. Traffic surge.", ["retry-storm"])[0] == 1.0
    )


def test_a_conclusion_is_judged_as_the_examiner_reads_it():
    """A hostile audit hid the answer from the examiner: the cause inside an HTML comment
    (the report shows "No idea."), or a "not" spelt with a zero-width space or a Cyrillic
    letter so that the judge missed the negation. The drill's score reads the conclusion
    as an examiner sees it; the journaled move keeps the words as written."""
    from drills.judge.causes import match_cause
    from drills.judge.lines import as_seen
    from drills.library.scenario import Conclusion
    from drills.play.drill import MoveRecord

    voice = "The new TTS voice b-2.0 is heavier and slower to first audio byte."
    hidden = f"No idea. <!-- {voice} -->"
    assert match_cause(hidden)[0] == "heavier-voice-model"  # what the raw words would earn
    move = MoveRecord(
        3,
        "conclude",
        9.0,
        540.0,
        "conclude",
        conclusion=Conclusion(
            cause=hidden,
            mitigations=["rolled back the v\u200boice"],
            prevention=["canary new v\u043eices <!-- and everything else -->"],
        ),
    )
    seen = as_seen(move)
    assert seen is not None and seen.conclusion is not None
    assert match_cause(seen.conclusion.cause)[0] is None
    assert seen.conclusion.mitigations == ["rolled back the voice"]
    assert seen.conclusion.prevention == ["canary new voices "]
    assert move.conclusion is not None and move.conclusion.cause == hidden  # as journaled
    assert as_seen(None) is None


# --- rivals listed after the right cause, and hedges by "or" (issue 35, item 7) -----------

VOICE = ["heavier-voice-model"]

# a list of findings: each rival in a part of its own, not said as what the cause did
FINDINGS = [
    (
        VOICE,
        "The new voice release is much slower to its first audio byte; jitter on the "
        "network; the mirror of shadow requests was never switched off; somebody lowered "
        "the autoscaler ceiling.",
    ),
    (
        VOICE,
        "Voice b-2.0 is a slower model; the network got jittery.",
    ),
    (
        VOICE,
        "The updated voice is heavier; an SDK retry storm.",
    ),
    (
        FALLBACK,
        "Embeddings fell back onto the GPUs; the decoder beam got wider; a retry storm "
        "from the clients.",
    ),
    (
        FALLBACK,
        "The embedding service fell back onto the A100s; shadow traffic was left on.",
    ),
]


@pytest.mark.parametrize(("wanted", "text"), FINDINGS)
def test_rivals_listed_after_the_right_cause_are_no_mechanism(wanted, text):
    share, named = diagnosis_share(text, wanted)
    assert share == 0.0 and len(named) >= 2, [(n.cause, n.role) for n in read_causes(text).found]


# the cause's story, told as what it did or led to: the diagnosis stands
STORIES = [
    (
        VOICE,
        "The heavier voice is slower to first audio byte, so the pool scaled up, new "
        "replicas started cold and clients timed out and retried.",
    ),
    (
        VOICE,
        "Voice b-2.0 is slower to first audio byte; as a result the pool scaled up and the "
        "new replicas came up cold.",
    ),
    (
        VOICE,
        "Voice b-2.0 is slower to first audio byte.\nEffects: the pool scaled up, cold "
        "replicas, client timeouts and retries.",
    ),
    (VOICE, "Voice b-2.0 is slower to first audio byte; not the network, not the autoscaler."),
    (
        FALLBACK,
        "Embeddings fell back onto the GPUs, so the GPU pool took far more traffic and the "
        "autoscaler added replicas.",
    ),
]


@pytest.mark.parametrize(("wanted", "text"), STORIES)
def test_the_causes_story_keeps_the_diagnosis(wanted, text):
    share, _ = diagnosis_share(text, wanted)
    assert share == 1.0, [(n.cause, n.role) for n in read_causes(text).found]


HEDGES = [
    (VOICE, "Network jitter, or the autoscaler target, or voice b-2.0 being slower."),
    (VOICE, "Either the network got jittery or voice b-2.0 is slower to first audio."),
    (VOICE, "The voice b-2.0 rollout is slower or the network is jittery or shadow is on."),
    (FALLBACK, "A retry storm from the SDK, or embeddings falling back onto the GPUs."),
]


@pytest.mark.parametrize(("wanted", "text"), HEDGES)
def test_alternatives_joined_by_or_are_a_hedge(wanted, text):
    share, _ = diagnosis_share(text, wanted)
    assert share == 0.0 and read_causes(text).hedged


@pytest.mark.parametrize(
    ("wanted", "text"),
    [
        (VOICE, "The voice or its vocoder is slower to first audio byte."),
        (FALLBACK, "Embeddings fell back onto the GPUs or the A100s when the CPU check broke."),
    ],
)
def test_an_or_inside_one_causes_own_words_is_no_hedge(wanted, text):
    share, _ = diagnosis_share(text, wanted)
    assert share == 1.0 and not read_causes(text).hedged


CLIPPING = ["mic-firmware-clipping"]


def test_a_known_consequence_told_with_a_participle_is_the_story():
    # "dragging" is no change made: the consequence the catalogue knows, in its own part
    text = (
        "The firmware update turned the mic gain up until the audio clips; the clipped share "
        "climbed, dragging the features away from what the model was trained on."
    )
    assert diagnosis_share(text, CLIPPING)[0] == 1.0


def test_a_known_consequence_as_a_bare_finding_is_a_second_cause():
    text = (
        "The firmware update turned the mic gain up until the audio clips; a feature "
        "extraction mismatch."
    )
    assert diagnosis_share(text, CLIPPING)[0] == 0.0
