"""Latency profiles: interpolation, extrapolation warnings, the shipped library."""

from __future__ import annotations

import json

import pytest

from simulator.errors import InputError
from simulator.spec.profiles import (
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


def test_shipped_library_is_measured_on_cpu_and_labelled_estimates_on_gpus():
    library = shipped_library()
    by_key = {(p.name, p.device): p for p in library.all()}
    for name in ("asr-streaming", "asr-batch", "tts", "tts-large", "embedding", "classifier"):
        cpu = by_key[(name, "cpu")]
        assert cpu.source == "measured" and cpu.parameters and cpu.hardware
        assert cpu.fit_error["median_rel"] < 0.25 and cpu.memory_mb["parameters"] > 0
        for device in ("gpu-t4", "gpu-l4", "gpu-a100", "gpu-h100"):
            gpu = by_key[(name, device)]
            assert gpu.source == "roofline-estimate" and "ROOFLINE ESTIMATE" in gpu.note
    for variant in ("asr-batch-nokv", "asr-batch-beam4", "asr-batch-beam8", "asr-batch-int8"):
        assert by_key[(variant, "cpu")].source == "measured"
    assert by_key[("asr-batch-int8", "cpu")].precision == "int8"
    assert by_key[("asr-streaming", "cpu")].first_chunk_ms
    assert all(p.source != "placeholder" for p in library.all())


def test_the_measured_kernels_rank_as_the_mechanisms_say():
    """KV cache and int8 help, beams and the larger voice cost more, batching amortises."""
    library = shipped_library()

    def at(name: str, batch: int, length: float) -> float:
        return ServiceTimeModel(library.get(name, "cpu")).latency_ms(batch, length)

    assert at("asr-batch-nokv", 4, 10) > 1.2 * at("asr-batch", 4, 10)
    assert at("asr-batch", 1, 10) < at("asr-batch-beam4", 1, 10) < at("asr-batch-beam8", 1, 10)
    assert at("asr-batch-int8", 8, 10) < at("asr-batch", 8, 10)
    assert at("tts-large", 1, 2) > 1.5 * at("tts", 1, 2)
    assert at("asr-streaming", 8, 0.32) < 8 * at("asr-streaming", 1, 0.32)


def test_the_preprocess_stage_default_is_the_measured_kernel_cost():
    from simulator.spec.fleet import StagesSpec

    profile = shipped_library().get("preprocess", "cpu")
    default = StagesSpec().preprocess
    row = profile.latency_ms[0]  # batch 1, per audio length
    slope = (row[-1] - row[0]) / (profile.lengths[-1] - profile.lengths[0])
    assert default.per_audio_s_ms == pytest.approx(slope, rel=0.25)
    assert default.base_ms == pytest.approx(row[0] - slope * profile.lengths[0], rel=0.25, abs=0.2)


def test_unknown_profile_lists_what_exists():
    with pytest.raises(KeyError, match="available"):
        shipped_library().get("asr-batch", "tpu-v5")


def test_a_measurement_beats_an_estimate_which_beats_a_placeholder():
    from simulator.spec.profiles import ProfileLibrary

    placeholder = LINEAR.model_copy(update={"source": "placeholder"})
    estimate = LINEAR.model_copy(update={"source": "roofline-estimate"})
    measured = LINEAR.model_copy(update={"source": "measured"})
    for order in ([measured, estimate, placeholder], [placeholder, estimate, measured]):
        assert ProfileLibrary(order).get("linear", "cpu").source == "measured"
    assert ProfileLibrary([estimate, placeholder]).get("linear", "cpu").source == (
        "roofline-estimate"
    )
