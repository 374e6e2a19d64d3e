"""Queueing formulas checked by hand, and the simulator checked against them."""

from __future__ import annotations

import pytest

from simulator.errors import InputError
from simulator.studies.analytic import (
    DEFAULT_CASES,
    analytic_values,
    erlang_c,
    mmck_probabilities,
    parse_case,
    validate_case,
)


def test_erlang_c_by_hand():
    # M/M/2 with a = 1: P0 = 1/3 and P(wait) = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = ρ


def test_formulas_by_hand():
    assert analytic_values(parse_case("mm1:lam=0.5,mu=1"))["mean_wait_s"] == pytest.approx(1.0)
    assert analytic_values(parse_case("md1:lam=0.5,mu=1"))["mean_wait_s"] == pytest.approx(0.5)
    mg1 = analytic_values(parse_case("mg1:lam=0.5,mu=1,cs2=3"))["mean_wait_s"]
    assert mg1 == pytest.approx(2.0)  # (1 + cs2) / 2 × M/M/1
    mmc = analytic_values(parse_case("mmc:lam=1,mu=1,c=2"))["mean_wait_s"]
    assert mmc == pytest.approx((1 / 3) / (2 - 1))


def test_mmck_reduces_to_erlang_b_and_normalises():
    p = mmck_probabilities(1, 1, 1.0)
    assert p.tolist() == pytest.approx([0.5, 0.5])
    values = analytic_values(parse_case("mmck:lam=2,mu=1,c=2,k=2"))
    assert values["blocking_probability"] == pytest.approx(2 / 5)  # Erlang B(2, 2)
    assert values["mean_wait_s"] == 0.0


@pytest.mark.parametrize(
    ("spec", "path", "fragment"),
    [
        ("mmx:lam=1,mu=2", "mmx:lam=1,mu=2", "unknown case kind"),
        ("mmc:lam=1,mu=2", "mmc.c", "required parameter missing"),
        ("mmc:lam=1,mu=2,c=two", "mmc.c", "expected a number"),
        ("mmc:lam=1,mu=2,c=1.5", "mmc.c", "positive integer"),
        ("mm1:lam=1,mu=1", "mm1.lam", "unstable"),
        ("mm1:lam=1,mu=2,z=3", "mm1.z", "unknown parameter"),
        ("mmck:lam=1,mu=2,c=4,k=2", "mmck.k", "k ≥ c"),
        ("mg1:lam=0.5,mu=1,cs2=-1", "mg1.cs2", "≥ 0"),
        ("mm1:lam=0,mu=1", "mm1.lam", "> 0"),
    ],
)
def test_bad_specs_name_the_parameter(spec, path, fragment):
    with pytest.raises(InputError) as info:
        parse_case(spec)
    assert info.value.field_path == path
    assert fragment in info.value.expected
    assert info.value.source == "--case"


@pytest.mark.slow
@pytest.mark.parametrize("spec", DEFAULT_CASES)
def test_the_simulator_agrees_with_queueing_theory(spec):
    for result in validate_case(parse_case(spec), seed=0):
        assert result.relative_half_width <= 0.05, result
        assert result.ci_low <= result.analytic <= result.ci_high, result
        assert result.ok
