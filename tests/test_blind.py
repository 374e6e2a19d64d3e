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
        "dismissive-right": 0.412,
        "first-only": 1.0,
        "hedge": 0.941,
        "right": 0.814,
        "second-only": 1.0,
        "wrong": 0.965,
    },
    "prevention": {
        "buzzword-list": 0.706,
        "dismissive": 0.882,
        "negated": 0.902,
        "right": 0.847,
        "unrelated": 1.0,
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,
        "not covered (dismissive)": 0.927,
        "not covered (off-topic)": 1.0,
        "not covered (partial)": 0.968,
        "recall": 0.796,
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,
        "dismissive": 1.0,
        "off-topic": 1.0,
        "partial": 0.2,
        "strong": 0.3,
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
        "right": 0.856,
        "unrelated": 1.0,
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,
        "not covered (dismissive)": 0.827,
        "not covered (off-topic)": 0.945,
        "not covered (partial)": 0.93,
        "not covered (strong)": 0.8,
        "recall": 0.858,
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,
        "dismissive": 0.9,
        "off-topic": 1.0,
        "partial": 0.8,
        "strong": 0.533,
    },
}


@pytest.fixture(scope="module")
def heldout():
    return evaluate("heldout")


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


def test_tuning_answers_are_judged_at_the_measured_rates(tune):
    assert not check(tune, TUNE)
