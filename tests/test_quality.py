"""The quality and churn models reproduce the real measurements they were fitted to."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.quality import asr_wer, churn_mean, clipping_ratio

CLEAN_WER = 0.054


def wer(
    snr=40.0,
    clip=0.0,
    bandwidth=8000.0,
    declared=16000,
    true=16000,
    features=True,
    loudness=-23.0,
    mix=0.0,
    penalty=0.1,
    normalized=True,
    robustness=0.0,
):
    acoustics = {
        "snr_db": np.array([snr]),
        "clipping_ratio": np.array([clip]),
        "bandwidth_hz": np.array([bandwidth]),
        "sample_rate_hz": np.array([declared]),
        "loudness_lufs": np.array([loudness]),
        "code_switch_ratio": np.array([mix]),
    }
    return float(
        asr_wer(
            acoustics,
            np.array([true]),
            np.array([CLEAN_WER]),
            np.array([robustness]),
            np.array([penalty]),
            np.array([1.0]),
            np.array([features]),
            np.array([normalized]),
        )[0]
    )


# shared/calibration/real-asr-measurements.md
MEASURED = {
    "clean 16 kHz": ({}, 0.054),
    "8 kHz and back": ({"bandwidth": 4000.0}, 0.171),
    "+20 dB gain": ({"clip": float(clipping_ratio(np.array([20.0]))[0])}, 0.632),
    "white noise 10 dB": ({"snr": 10.0}, 0.904),
    "8 kHz labelled 16 kHz": ({"true": 8000}, 0.964),
}


@pytest.mark.parametrize("condition", MEASURED)
def test_each_calibration_condition_reproduces_its_measured_wer(condition):
    kwargs, measured = MEASURED[condition]
    assert wer(**kwargs) == pytest.approx(measured, abs=0.002)


def test_conditions_rank_as_measured():
    ranked = sorted(MEASURED, key=lambda c: wer(**MEASURED[c][0]))
    assert ranked == sorted(MEASURED, key=lambda c: MEASURED[c][1])


def test_robustness_features_and_code_switching_move_wer_the_right_way():
    assert wer(snr=15.0, robustness=5.0) < wer(snr=15.0)
    assert wer(features=False) > 0.8
    assert wer(mix=0.3, penalty=0.45) > wer(mix=0.3, penalty=0.1) > wer()
    assert wer(loudness=-50.0, normalized=False) > wer(loudness=-50.0)


CHURN_ARGS = {
    "beam": np.array([4.0]),
    "lm_rescoring": np.array([False]),
    "endpoint_ms": np.array([500.0]),
    "jitter_ms": np.array([0.0]),
    "audio_s": np.array([3.0]),
}


@pytest.mark.parametrize(
    ("interval", "held", "measured"),
    [
        (10, False, 37.2),
        (100, False, 17.5),
        (320, False, 6.4),
        (1000, False, 3.1),
        (100, True, 5.9),
        (1000, True, 2.5),
    ],
)
def test_churn_reproduces_the_measured_table(interval, held, measured):
    value = churn_mean(np.array([float(interval)]), np.array([held]), **CHURN_ARGS)[0]
    assert value == pytest.approx(measured, rel=1e-6)


def test_churn_grows_with_the_stated_assumptions():
    base = churn_mean(np.array([320.0]), np.array([False]), **CHURN_ARGS)[0]
    worse = {
        **CHURN_ARGS,
        "beam": np.array([16.0]),
        "lm_rescoring": np.array([True]),
        "endpoint_ms": np.array([100.0]),
        "jitter_ms": np.array([100.0]),
    }
    assert churn_mean(np.array([320.0]), np.array([False]), **worse)[0] > 3 * base
