"""The answer matcher: paraphrases earn an item; negations, buzzword lists and padding do
not; causes in the trainee's own words; the catalogue never quoted to a trainee."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from drills.judge.causes import CATALOG, match_cause
from drills.judge.matcher import Concept, judge, statements, stems

COST = Concept.of("cost-per-request-alert", [["@alert", "@monitor"], ["@cost"], ["@unit"]])
FALLBACK = Concept.of("fallback-rate-alarm", [["@alert", "@monitor"], ["fallback", "fall back"]])
HEALTH = Concept.of(
    "health-check-gate",
    [["health check", "readiness", "probe"], ["@gate", "@canary", "before rollout"]],
)
COHORT = Concept.of("cohort-dashboards", [["@monitor", "@alert", "@slice"], ["@cohort"]])
MOS = Concept.of("not-offline-mos", [["@never", "as well as"], ["offline mos", "mos alone"]])
KEY = [COST, FALLBACK, HEALTH]


def earned(answers: list[str], concepts: list[Concept] = KEY) -> set[str]:
    return set(judge(answers, concepts).earned)


@pytest.mark.parametrize(
    "answer, item",
    [
        ("alert on cost per request by device and pool", "cost-per-request-alert"),
        ("page when spend per request jumps", "cost-per-request-alert"),
        ("Alerting on the bill, broken down per device", "cost-per-request-alert"),
        ("alarm when the fallback share of a route passes 5%", "fallback-rate-alarm"),
        ("make rollouts run the readiness probe first and block on failure", "health-check-gate"),
    ],
)
def test_paraphrases_earn_their_item(answer, item):
    assert item in earned([answer])


def test_an_accurate_item_in_other_words_counts():
    assert earned(["break every ASR quality graph down by device build"], [COHORT]) == {
        "cohort-dashboards"
    }


@pytest.mark.parametrize(
    "answer",
    [
        "we do NOT need a cost alert or a fallback alarm",
        "no need to alert on cost per request",
        "don't bother paging on the fallback rate",
        "there is no need for a health check gate before rollout",
    ],
)
def test_negated_statements_earn_nothing(answer):
    assert earned([answer]) == set()


def test_an_item_that_is_itself_a_negative_needs_its_own_never():
    assert earned(["never promote a voice on offline MOS alone"], [MOS]) == {"not-offline-mos"}
    assert earned(["promote the voice on offline MOS"], [MOS]) == set()
    assert earned(["we do not need to worry, never MOS alone"], [MOS]) == set()


def test_a_buzzword_list_earns_little():
    soup = ["cost per request alert fallback rate alarm health check gate dashboards canary"]
    assert earned(soup) == set()
    comma_list = ["alerts, dashboards, canary, cost, fallback, health check, slices, budgets"]
    assert earned(comma_list) == set()
    shotgun = [
        "alert on cost per request by device",
        *[f"{w} dashboards" for w in ("latency", "churn", "slice", "budget", "cohort", "mos")],
        "gate on eval fixtures",
        "canary everything",
    ]
    result = judge(shotgun, KEY)
    assert len(result.earned) / len(KEY) * result.factor <= 0.3


def test_each_item_counts_once_and_a_sentence_makes_at_most_two_points():
    repeated = ["alert on cost per request", "page on spend per device", "cost per pool alert"]
    assert earned(repeated) == {"cost-per-request-alert"}
    two = ["alert on cost per request and on the fallback rate"]
    assert earned(two) == {"cost-per-request-alert", "fallback-rate-alarm"}


def texts(answers: list[str]) -> list[str]:
    return [s.text for s in statements(answers)]


def test_statements_split_lists_not_sentences():
    assert texts(["a, b, c"]) == ["a", "b", "c"]
    long = "alert on cost per request, by device, pool and route"
    assert texts([long]) == [long]
    assert texts(["One. Two; three"]) == ["One.", "Two;", "three"]
    assert texts(["- one\n- two\n1. three\n2) four"]) == ["one", "two", "three", "four"]


def test_stems_join_inflections_and_hyphens():
    assert stems("Alerts alerting alerted") == ("alert", "alert", "alert")
    assert stems("per-stage") == stems("per stage")


@pytest.mark.parametrize(
    "words, cause",
    [
        ("cpu-to-gpu-fallback", "cpu-to-gpu-fallback"),
        ("CPU to GPU fallback", "cpu-to-gpu-fallback"),
        (
            "the embedding health check broke, so traffic fell back onto the A100 GPUs",
            "cpu-to-gpu-fallback",
        ),
        ("not a traffic surge: embeddings fell back to GPU", "cpu-to-gpu-fallback"),
        (
            "the patient VAD profile waits 800 ms before ending the turn",
            "endpointing-too-conservative",
        ),
        ("features don't match what the weights expect", "feature-extraction-mismatch"),
        ("mic firmware 4.2 raised gain and clips", "mic-firmware-clipping"),
        ("router sends noisy far-field audio to the small model", "cascade-router-misrouting"),
        ("traffic surge or fallback or shadow or clipping", None),  # a shotgun
        ("the voice is not heavier", None),
        ("no idea", None),
    ],
)
def test_causes_in_the_trainees_words(words, cause):
    assert match_cause(words)[0] == cause


def test_a_cause_explanation_never_quotes_the_catalogue():
    for text in ("no idea", "traffic surge or fallback or shadow or clipping", ""):
        _, why = match_cause(text)
        assert not any(name in why for name in CATALOG)


@example("<|0|0")  # a comma list whose head holds no word (it once raised an IndexError)
@given(st.text(max_size=200))
def test_the_matcher_never_raises(text):
    judge([text], KEY)
    match_cause(text)
