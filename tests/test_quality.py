"""The quality and churn models reproduce the real measurements they were fitted to."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.spec.quality import (
    CALIBRATION,
    QualityCurve,
    asr_wer,
    churn_mean,
    clipping_ratio,
    combined_shift,
    curve_fields,
    load_curve,
    noise_loss,
)

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


def test_a_fitted_curve_runs_through_its_measured_noise_points_and_never_rises():
    curve = QualityCurve(name="t", noise_points=[(20.0, 0.97), (25.0, 0.33), (30.0, 0.15)])
    snr = np.array([20.0, 25.0, 30.0])
    assert curve.noise_loss(snr, np.zeros(3)) == pytest.approx([0.97, 0.33, 0.15], abs=1e-9)
    grid = np.linspace(0.0, 60.0, 121)
    losses = curve.noise_loss(grid, np.zeros(len(grid)))
    assert np.all(np.diff(losses) <= 1e-12) and losses[-1] < 0.01 and losses[0] > 0.99
    # robustness shifts the curve as it shifts the calibrated logistic
    assert curve.noise_loss(np.array([20.0]), np.array([5.0]))[0] == pytest.approx(0.33)


def test_a_fleet_model_naming_a_curve_gets_its_losses_and_the_rest_keep_the_calibration():
    fitted = load_curve("pocketsphinx-en-us")
    curves = [CALIBRATION, fitted]
    pick = np.array([0, 1, 0, 1])
    snr = np.array([25.0, 25.0, 30.0, 30.0])
    fields = curve_fields(curves, pick, snr, np.zeros(4))
    assert fields["noise_loss"][0] == pytest.approx(noise_loss(np.array([25.0]))[0])
    assert fields["noise_loss"][1] == pytest.approx(fitted.noise_loss(snr[1:2], np.zeros(1))[0])
    assert list(fields["narrowband_loss"]) == pytest.approx(
        [CALIBRATION.narrowband_loss, fitted.narrowband_loss] * 2
    )
    # this small recogniser is far more brittle in noise than the calibrated production one
    assert fields["noise_loss"][1] > 3 * fields["noise_loss"][0]


def test_the_logit_form_adds_shifts_and_noise_masks_its_share():
    noise = np.array([0.0, 1.0, 2.0, 2.0])
    shift = np.array([1.5, 1.5, 1.5, 0.0])
    # γ = 0 adds the shifts; γ = 1 keeps the larger; nothing on clean audio is masked
    assert list(combined_shift(noise, [(shift, 0.0)])) == [1.5, 2.5, 3.5, 2.0]
    assert list(combined_shift(noise, [(shift, 1.0)])) == [1.5, 1.5, 2.0, 2.0]
    half = combined_shift(noise, [(shift, 0.5)])
    assert list(half) == [1.5, 2.0, 2.75, 2.0]


def test_a_logit_curve_gives_its_requests_its_wer_and_leaves_the_others_bit_for_bit():
    logit = QualityCurve(
        name="t",
        form="logit",
        clean_wer=0.05,
        noise_shift=[(20.0, 3.0), (30.0, 1.0), (40.0, 0.2)],
        shifts={"narrowband": 1.2, "clipping": 4.0},
        masking={"narrowband": 0.5},
    )
    n = 4
    acoustics = {
        "snr_db": np.array([30.0, 30.0, 60.0, 30.0]),
        "clipping_ratio": np.zeros(n),
        "bandwidth_hz": np.array([8000.0, 8000.0, 4000.0, 4000.0]),
        "sample_rate_hz": np.full(n, 16000),
        "loudness_lufs": np.full(n, -23.0),
        "code_switch_ratio": np.zeros(n),
    }
    args = {
        "true_rate_hz": np.full(n, 16000),
        "clean_wer": np.full(n, 0.05),
        "robustness_db": np.zeros(n),
        "code_switch_penalty": np.zeros(n),
        "wer_factor": np.ones(n),
        "features_match": np.ones(n, dtype=bool),
        "normalized": np.ones(n, dtype=bool),
    }
    pick = np.array([0, 1, 1, 1])
    mixed = asr_wer(
        acoustics,
        **args,
        curves=curve_fields([CALIBRATION, logit], pick, acoustics["snr_db"], np.zeros(n)),
    )
    alone = asr_wer(
        acoustics,
        **args,
        curves=curve_fields(
            [CALIBRATION], np.zeros(n, dtype=int), acoustics["snr_db"], np.zeros(n)
        ),
    )
    assert mixed[0] == alone[0]  # the calibration's request: the same bits
    clean_logit = np.log(0.05 / 0.95)

    def expit(x: float) -> float:
        return 1.0 / (1.0 + np.exp(-x))

    assert mixed[1] == pytest.approx(expit(clean_logit + 1.0))  # noise at 30 dB alone
    # 60 dB: past the last point on the end slope, never below 0 (clean speech): nb alone
    assert mixed[2] == pytest.approx(expit(clean_logit + 1.2))
    # narrowband in noise: 1 + 1.2 − 0.5·min(1, 1.2)
    assert mixed[3] == pytest.approx(expit(clean_logit + 1.7))
