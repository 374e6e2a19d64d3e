"""The language judge on answers written blind (tests/blind/README.md): recall and false
accepts on the held-out corpus (writer B, never used for tuning), asserted at the figures
measured once when the judge was frozen (docs/scoring.md), and on the tuning corpus
(writer A). No simulation: part of `make test`."""

from __future__ import annotations

import pytest

from tests.blind.corpus import evaluate

# label -> the share judged as a fair examiner would, at least (measured: docs/scoring.md)
# held-out: measured once, the judge frozen (commit before this file's figures); they fall
# short of the targets (docs/scoring.md says where), and guard against regressions
HELDOUT: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.4115,
        "first-only": 1.0,
        "hedge": 0.9405,
        "right": 0.8135,
        "second-only": 1.0,
        "wrong": 0.9645,
    },
    "prevention": {
        "buzzword-list": 0.7055,
        "dismissive": 0.8815,
        "negated": 0.9015,
        "right": 0.8465,
        "unrelated": 1.0,
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,
        "not covered (dismissive)": 0.9265,
        "not covered (off-topic)": 1.0,
        "not covered (partial)": 0.9675,
        "recall": 0.7955,
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,
        "dismissive": 1.0,
        "off-topic": 1.0,
        "partial": 0.1995,
        "strong": 0.2995,
    },
}
TUNE: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 1.0,
        "first-only": 1.0,
        "hedge": 1.0,
        "right": 1.0,
        "second-only": 1.0,
        "wrong": 1.0,
    },
    "prevention": {
        "buzzword-list": 1.0,
        "dismissive": 1.0,
        "negated": 1.0,
        "right": 0.8555,
        "unrelated": 1.0,
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,
        "not covered (dismissive)": 0.8265,
        "not covered (off-topic)": 0.9445,
        "not covered (partial)": 0.9295,
        "not covered (strong)": 0.7995,
        "recall": 0.8575,
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,
        "dismissive": 0.8995,
        "off-topic": 1.0,
        "partial": 0.7995,
        "strong": 0.5325,
    },
}


@pytest.fixture(scope="module")
def heldout():
    # the figures below were measured on writer B's answers, held out when measured
    return evaluate("tune-b")


@pytest.fixture(scope="module")
def tune():
    return evaluate("tune")


def check(figures, floors: dict[str, dict[str, float]]) -> list[str]:
    misses = []
    for section, labels in floors.items():
        got = getattr(figures, section)
        for label, floor in labels.items():
            rate = got[label].rate
            if rate < floor - 1e-9:
                misses.append(f"{section}/{label}: {rate:.1%} < {floor:.1%}")
    return misses


def test_held_out_answers_are_judged_at_the_measured_rates(heldout):
    assert not check(heldout, HELDOUT)


@pytest.mark.full
def test_tuning_answers_are_judged_at_the_measured_rates(tune):
    assert not check(tune, TUNE)
