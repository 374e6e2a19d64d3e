"""The language judge on answers written blind (tests/blind/README.md): recall and false
accepts on the held-out corpus (writer C, never read while the judge was tuned), asserted at
the figures measured once when the judge was frozen (docs/scoring.md), and on the two tuning
corpora (writers A and B) in the full tier. No simulation: the held-out check is part of
`make test`."""

from __future__ import annotations

import pytest

from tests.blind.corpus import evaluate

# label -> the share judged as a fair examiner would, at least (measured: docs/scoring.md).
# Held out (writer C): measured once, the judge frozen at commit 66b3a82. They fall short of
# the targets (docs/scoring.md says where) and guard against regressions; a change
# that lowers one is a regression on answers nobody tuned for.
HELDOUT: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9406,  # 16/17
        "first-only": 1.0,  # 4/4
        "hedge": 0.9406,  # 32/34
        "right": 0.8328,  # 85/102
        "second-only": 0.7495,  # 3/4
        "wrong": 0.9171,  # 78/85
    },
    "prevention": {
        "buzzword-list": 1.0,  # 34/34
        "dismissive": 0.8524,  # 29/34
        "negated": 0.97,  # 33/34
        "right": 0.7541,  # 163/216
        "unrelated": 0.97,  # 33/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,  # 110/110
        "not covered (dismissive)": 0.9631,  # 106/110
        "not covered (off-topic)": 0.9631,  # 53/55
        "not covered (partial)": 0.9477,  # 55/58
        "not covered (strong)": 1.0,  # 4/4
        "recall": 0.8729,  # 138/158
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,  # 10/10
        "dismissive": 1.0,  # 10/10
        "off-topic": 1.0,  # 5/5
        "partial": 0.7995,  # 8/10
        "strong": 0.4995,  # 5/10
    },
}
# writer B: the first held-out set, now tuned on
TUNE_B: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 1.0,  # 17/17
        "first-only": 1.0,  # 4/4
        "hedge": 1.0,  # 34/34
        "right": 0.9602,  # 98/102
        "second-only": 1.0,  # 4/4
        "wrong": 1.0,  # 85/85
    },
    "prevention": {
        "buzzword-list": 1.0,  # 34/34
        "dismissive": 1.0,  # 34/34
        "negated": 0.9798,  # 50/51
        "right": 0.8467,  # 183/216
        "unrelated": 1.0,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,  # 110/110
        "not covered (dismissive)": 0.9358,  # 103/110
        "not covered (off-topic)": 1.0,  # 55/55
        "not covered (partial)": 0.9677,  # 61/63
        "recall": 0.8275,  # 130/157
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,  # 10/10
        "dismissive": 1.0,  # 10/10
        "off-topic": 1.0,  # 5/5
        "partial": 0.2995,  # 3/10
        "strong": 0.4995,  # 5/10
    },
}
# writer A: tuned on from the start
TUNE: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 1.0,  # 34/34
        "first-only": 1.0,  # 4/4
        "hedge": 1.0,  # 34/34
        "right": 1.0,  # 119/119
        "second-only": 1.0,  # 4/4
        "wrong": 1.0,  # 85/85
    },
    "prevention": {
        "buzzword-list": 1.0,  # 34/34
        "dismissive": 1.0,  # 51/51
        "negated": 1.0,  # 51/51
        "right": 0.8624,  # 233/270
        "unrelated": 1.0,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,  # 110/110
        "not covered (dismissive)": 0.8449,  # 93/110
        "not covered (off-topic)": 0.9449,  # 52/55
        "not covered (partial)": 0.9297,  # 80/86
        "not covered (strong)": 0.7995,  # 4/5
        "recall": 0.8656,  # 207/239
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,  # 10/10
        "dismissive": 0.8995,  # 9/10
        "off-topic": 1.0,  # 5/5
        "partial": 0.7995,  # 12/15
        "strong": 0.5995,  # 9/15
    },
}


@pytest.fixture(scope="module")
def heldout():
    return evaluate("heldout")


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
@pytest.mark.parametrize(("corpus", "floors"), [("tune", TUNE), ("tune-b", TUNE_B)])
def test_tuning_answers_are_judged_at_the_measured_rates(corpus, floors):
    assert not check(evaluate(corpus), floors)
