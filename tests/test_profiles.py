"""Latency profiles: interpolation, extrapolation warnings, the shipped library."""

from __future__ import annotations

import json

import pytest

from simulator.errors import InputError
from simulator.profiles import (
    LatencyProfile,
    ProfileExtrapolationWarning,
    ServiceTimeModel,
    load_profile,
    shipped_library,
)
from tests.helpers import LINEAR, linear_ms


@pytest.mark.parametrize(("batch", "length"), [(1, 1.0), (3, 2.5), (6, 7.0), (8, 10.0)])
def test_bilinear_interpolation_is_exact_on_a_bilinear_surface(batch, length):
    assert ServiceTimeModel(LINEAR).latency_ms(batch, length) == pytest.approx(
        linear_ms(batch, length)
    )


def test_mild_extrapolation_is_linear_and_silent(recwarn):
    assert ServiceTimeModel(LINEAR).latency_ms(10, 12.0) == pytest.approx(linear_ms(10, 12.0))
    assert not [w for w in recwarn if w.category is ProfileExtrapolationWarning]


def test_far_extrapolation_warns_once():
    model = ServiceTimeModel(LINEAR)
    with pytest.warns(ProfileExtrapolationWarning, match="far outside the measured grid"):
        model.latency_ms(64, 5.0)
    model.latency_ms(64, 40.0)  # second call: no new warning (pytest.warns would not mind)
    assert model._warned


def test_grid_shape_is_validated():
    data = LINEAR.model_dump()
    data["latency_ms"] = data["latency_ms"][:-1]
    with pytest.raises(ValueError, match="grid"):
        LatencyProfile.model_validate(data)


def test_profile_round_trip_and_bad_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(LINEAR.model_dump_json())
    assert load_profile(path) == LINEAR
    path.write_text(json.dumps({"name": "x"}))
    with pytest.raises(InputError):
        load_profile(path)


def test_shipped_library_covers_every_family_and_device_and_says_its_source():
    library = shipped_library()
    keys = {(p.family, p.device) for p in library.all()}
    for family in ("asr-streaming", "asr-batch", "tts", "embedding", "classifier"):
        for device in ("cpu", "gpu-t4", "gpu-l4", "gpu-a100", "gpu-h100"):
            assert (family, device) in keys
    for profile in library.all():
        assert profile.source in ("measured", "roofline-estimate", "placeholder")
        if profile.source == "placeholder":
            assert "PLACEHOLDER" in profile.note


def test_unknown_profile_lists_what_exists():
    with pytest.raises(KeyError, match="available"):
        shipped_library().get("asr-batch", "tpu-v5")


def test_a_measurement_beats_an_estimate_which_beats_a_placeholder():
    from simulator.profiles import ProfileLibrary

    placeholder = LINEAR.model_copy(update={"source": "placeholder"})
    estimate = LINEAR.model_copy(update={"source": "roofline-estimate"})
    measured = LINEAR.model_copy(update={"source": "measured"})
    for order in ([measured, estimate, placeholder], [placeholder, estimate, measured]):
        assert ProfileLibrary(order).get("linear", "cpu").source == "measured"
    assert ProfileLibrary([estimate, placeholder]).get("linear", "cpu").source == (
        "roofline-estimate"
    )
