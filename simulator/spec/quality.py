"""Acoustic summaries, the ASR quality model and the streaming partial-churn model.

Everything here is a derived, privacy-safe signal: no audio exists in the simulator, only
the conditions a device cohort and a data slice impose (gain, noise, bandwidth, labelled vs
true sample rate, language mix), and what preprocessing and the serving model make of them.

Calibration (shared/calibration/real-asr-measurements.md, pocketsphinx on flite speech):
clean 16 kHz WER 0.054; resampled to 8 kHz and back 0.171; +20 dB gain (heavy clipping)
0.632; white noise at 10 dB SNR 0.904; 8 kHz audio labelled 16 kHz 0.964. Each condition
is a loss d ∈ [0, 1) on accuracy: 1 − WER = (1 − clean_wer)·Π(1 − d), with the losses
fitted so that each calibration condition alone reproduces its measured WER exactly.
Partial churn follows the measured churn-by-interval table, with the measured effect of
holding back the last word; the effects of beam width, partial LM rescoring, endpointing
and network jitter on churn are stated assumptions, not measurements.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from simulator.errors import InputError

# --- calibration constants --------------------------------------------------------------

CALIBRATION_CLEAN_WER = 0.054


def _loss(wer: float) -> float:
    """The condition loss that turns the calibration's clean WER into `wer`."""
    return 1.0 - (1.0 - wer) / (1.0 - CALIBRATION_CLEAN_WER)


LOSS_NARROWBAND = _loss(0.171)  # 8 kHz bandwidth after resampling
LOSS_RATE_MISMATCH = _loss(0.964)  # audio played at the wrong rate
NOISE_LOSS_AT_10DB = _loss(0.904)
NOISE_LOSS_AT_25DB = 0.03  # assumption: typical clean-ish traffic barely hurts
# logistic noise loss d(snr) = 1 / (1 + exp((snr − mid) / width)) through both points
NOISE_WIDTH_DB = 15.0 / (
    math.log(NOISE_LOSS_AT_10DB / (1 - NOISE_LOSS_AT_10DB))
    - math.log(NOISE_LOSS_AT_25DB / (1 - NOISE_LOSS_AT_25DB))
)
NOISE_MID_DB = 10.0 + NOISE_WIDTH_DB * math.log(NOISE_LOSS_AT_10DB / (1 - NOISE_LOSS_AT_10DB))
# clipping: the share of clipped samples grows once gain pushes speech peaks (≈ −6 dBFS at
# nominal level) past full scale; d = 1 − exp(−clip / scale), fitted at +20 dB
CLIP_HEADROOM_DB = 6.0
CLIP_GROWTH_DB = 10.0
CLIP_MAX_RATIO = 0.5


def clipping_ratio(gain_db: np.ndarray) -> np.ndarray:
    over = np.maximum(gain_db - CLIP_HEADROOM_DB, 0.0)
    return CLIP_MAX_RATIO * (1.0 - np.exp(-over / CLIP_GROWTH_DB))


CLIP_SCALE = float(clipping_ratio(np.array([20.0]))[0]) / -math.log(1 - _loss(0.632))
FEATURE_MISMATCH_LOSS = 0.85  # assumption: features the weights never saw
QUIET_LOSS_PER_10DB = 0.05  # assumption: unnormalised quiet audio below −35 LUFS
NOMINAL_LUFS = -23.0


def noise_loss(
    snr_db: np.ndarray,
    robustness_db: float | np.ndarray = 0.0,
    mid_db: float | np.ndarray = NOISE_MID_DB,
    width_db: float | np.ndarray = NOISE_WIDTH_DB,
) -> np.ndarray:
    return 1.0 / (1.0 + np.exp((snr_db + robustness_db - mid_db) / width_db))


def clip_loss(clip: np.ndarray, scale: float | np.ndarray = CLIP_SCALE) -> np.ndarray:
    return 1.0 - np.exp(-clip / scale)


ConditionName = Literal["clipping", "narrowband", "reverb", "rate", "domain"]


class QualityCurve(BaseModel):
    """How one recogniser loses words to each condition: the noise curve, the clipping
    scale and the bandwidth and sample-rate losses. The default is the calibration above;
    a model's fleet entry may name a curve fitted to a real eval instead
    (`speechdrill eval asr --fit-out`, shipped in simulator/data/quality/)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    source: str = Field("", description="what it was fitted to")
    clean_wer: float = Field(CALIBRATION_CLEAN_WER, ge=0, lt=1)
    noise_mid_db: float = Field(
        NOISE_MID_DB, description="the logistic noise curve's midpoint (unused with noise_points)"
    )
    noise_width_db: float = Field(
        NOISE_WIDTH_DB, gt=0, description="its width in dB (unused with noise_points)"
    )
    noise_points: list[tuple[float, float]] = Field(
        default_factory=list,
        description="measured (SNR dB, loss) points; when given, the noise loss runs through "
        "them in logit space (straight on past the end points) instead of the logistic",
    )
    clip_scale: float = Field(CLIP_SCALE, gt=0)
    narrowband_loss: float = Field(LOSS_NARROWBAND, ge=0, lt=1)
    rate_mismatch_loss: float = Field(LOSS_RATE_MISMATCH, ge=0, lt=1)
    slice_factors: dict[str, float] = Field(
        default_factory=dict,
        description="WER factors of conditions the curve has no term for (reverberation, "
        "speaking rate, vocabulary), relative to clean speech",
    )
    form: Literal["loss", "logit"] = Field(
        "loss",
        description="loss: 1 − WER = (1 − clean)·Π(1 − loss) (the calibration); logit: "
        "logit(WER) = logit(clean) + the conditions' shifts, noise masking part of each",
    )
    noise_shift: list[tuple[float, float]] = Field(
        default_factory=list,
        description="logit form: measured (SNR dB, logit shift) points of the noise term; "
        "without them, the logistic noise loss (noise_mid_db, noise_width_db) as a shift",
    )
    shifts: dict[ConditionName, float] = Field(
        default_factory=dict,
        description="logit form: each condition's logit shift (clipping: per unit of clipped "
        "share; reverb, rate, domain: at the eval's setting, the simulator's slices carry "
        "their own wer_factor)",
    )
    masking: dict[ConditionName, float] = Field(
        default_factory=dict,
        description="logit form: the share (0–1) of the smaller of a condition's shift and "
        "noise's that the two share (0 adds them, 1 keeps the larger)",
    )
    fit_error: dict[str, float] = Field(
        default_factory=dict, description="relative error per slice it was fitted to"
    )
    holdout_error: dict[str, float] = Field(
        default_factory=dict, description="relative error per held-out slice"
    )

    def noise_loss(self, snr_db: np.ndarray, robustness_db: np.ndarray) -> np.ndarray:
        if not self.noise_points:
            return noise_loss(snr_db, robustness_db, self.noise_mid_db, self.noise_width_db)
        points = sorted(self.noise_points)
        xs = np.array([p[0] for p in points])
        ys = np.array([_logit(p[1]) for p in points])
        x = snr_db + robustness_db
        y = np.interp(x, xs, ys)
        if len(xs) > 1:  # past the ends, the end segments' slopes (never rising with SNR)
            low = min((ys[1] - ys[0]) / (xs[1] - xs[0]), 0.0)
            high = min((ys[-1] - ys[-2]) / (xs[-1] - xs[-2]), 0.0)
            y = np.where(x < xs[0], ys[0] + low * (x - xs[0]), y)
            y = np.where(x > xs[-1], ys[-1] + high * (x - xs[-1]), y)
        return 1.0 / (1.0 + np.exp(-y))

    def shift_of_noise(self, snr_db: np.ndarray, robustness_db: np.ndarray) -> np.ndarray:
        """Logit form: noise's shift through its measured points, straight on past the end
        points with the end segments' slopes (never rising with SNR), never below 0."""
        points = sorted(self.noise_shift)
        if not points:  # the logistic noise loss, as a shift from clean
            kept = (1.0 - self.clean_wer) * (1.0 - self.noise_loss(snr_db, robustness_db))
            return np.maximum(_logits(1.0 - kept) - _logit(self.clean_wer), 0.0)
        xs = np.array([p[0] for p in points])
        ys = np.array([p[1] for p in points])
        x = snr_db + robustness_db
        y = np.interp(x, xs, ys)
        if len(xs) > 1:
            low = min((ys[1] - ys[0]) / (xs[1] - xs[0]), 0.0)
            high = min((ys[-1] - ys[-2]) / (xs[-1] - xs[-2]), 0.0)
            y = np.where(x < xs[0], ys[0] + low * (x - xs[0]), y)
            y = np.where(x > xs[-1], ys[-1] + high * (x - xs[-1]), y)
        return np.maximum(y, 0.0)


def combined_shift(
    noise: np.ndarray, terms: list[tuple[np.ndarray, np.ndarray | float]]
) -> np.ndarray:
    """The logit form's total shift: noise's plus each condition's, less the share γ of
    the smaller of the two that noise masks (a condition that already costs the words noise
    would cost adds less in noise)."""
    total = noise.astype(float).copy()
    for shift, gamma in terms:
        total = total + shift - gamma * np.minimum(noise, shift)
    return total


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logits(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-4, 1.0 - 1e-4)
    return np.log(q / (1.0 - q))


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1.0 - 1e-4)
    return math.log(p / (1.0 - p))


CALIBRATION = QualityCurve(name="calibration", source="shared/calibration")
# what asr_wer reads of a curve, per request (with the noise loss itself)
CURVE_FIELDS = ("clip_scale", "narrowband_loss", "rate_mismatch_loss")


def curve_fields(
    curves: list[QualityCurve], pick: np.ndarray, snr_db: np.ndarray, robustness_db: np.ndarray
) -> dict[str, np.ndarray]:
    """What asr_wer reads of each request's curve (`pick` indexes `curves`), the noise loss
    worked out curve by curve."""
    fields = {f: np.array([getattr(c, f) for c in curves])[pick] for f in CURVE_FIELDS}
    loss = np.empty(len(pick))
    noise_shift = np.zeros(len(pick))
    for i, curve in enumerate(curves):
        mine = pick == i
        loss[mine] = curve.noise_loss(snr_db[mine], robustness_db[mine])
        noise_shift[mine] = curve.shift_of_noise(snr_db[mine], robustness_db[mine])
    fields["noise_loss"] = loss
    if any(c.form == "logit" for c in curves):
        fields["logit_form"] = np.array([c.form == "logit" for c in curves])[pick]
        fields["noise_shift"] = noise_shift
        for term in ("clipping", "narrowband"):
            fields[f"{term}_shift"] = np.array([c.shifts.get(term, 0.0) for c in curves])[pick]
            fields[f"{term}_masking"] = np.array([c.masking.get(term, 0.0) for c in curves])[pick]
    return fields


QUALITY_DIR = Path(__file__).parents[1] / "data" / "quality"


@lru_cache(maxsize=32)
def load_curve(name: str | None) -> QualityCurve:
    """A shipped quality curve by name (None: the calibration)."""
    if name is None:
        return CALIBRATION
    path = QUALITY_DIR / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in QUALITY_DIR.glob("*.json"))
        raise InputError(str(path), "", f"a shipped quality curve, one of {known}")
    return QualityCurve.model_validate_json(path.read_text())


# --- acoustic summaries -----------------------------------------------------------------

ACOUSTIC_COLUMNS = (
    "sample_rate_hz",
    "bandwidth_hz",
    "clipping_ratio",
    "silence_ratio",
    "loudness_lufs",
    "snr_db",
    "channels",
    "vad_segments",
    "lang_top_prob",
    "code_switch_ratio",
    "jitter_ms",
)


def acoustic_summaries(
    audio_s: np.ndarray,
    cohort: dict[str, np.ndarray],
    snr_offset_db: np.ndarray,
    code_switched: np.ndarray,
    z: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-request summaries from cohort conditions (arrays aligned with the requests)
    and standard normals z (n × 4) drawn once per request."""
    true_rate = np.minimum(cohort["true_sample_rate_hz"], cohort["sample_rate_hz"])
    snr = cohort["snr_db"] + snr_offset_db + cohort["snr_spread_db"] * z[:, 0]
    clip = np.clip(clipping_ratio(cohort["gain_db"]) * np.exp(0.3 * z[:, 1]), 0.0, 1.0)
    silence = np.clip(cohort["silence_ratio"] + 0.05 * z[:, 2], 0.0, 0.95)
    mix = np.where(code_switched, np.clip(0.3 + 0.1 * z[:, 3], 0.05, 0.6), 0.0)
    return {
        "sample_rate_hz": cohort["sample_rate_hz"].astype(np.int32),
        "bandwidth_hz": (true_rate / 2.0).astype(np.float32),
        "clipping_ratio": clip.astype(np.float32),
        "silence_ratio": silence.astype(np.float32),
        "loudness_lufs": (NOMINAL_LUFS + cohort["gain_db"] + 1.5 * z[:, 2]).astype(np.float32),
        "snr_db": snr.astype(np.float32),
        "channels": cohort["channels"].astype(np.int8),
        "vad_segments": np.maximum(1, np.round(audio_s * (1 + silence) / 2.5)).astype(np.int16),
        "lang_top_prob": np.clip(0.97 - 0.8 * mix + 0.01 * z[:, 0], 0.3, 0.999).astype(np.float32),
        "code_switch_ratio": mix.astype(np.float32),
        "jitter_ms": (cohort["network_jitter_ms"] * np.exp(0.2 * z[:, 1])).astype(np.float32),
    }


# --- quality ----------------------------------------------------------------------------


def asr_wer(
    acoustics: dict[str, np.ndarray],
    true_rate_hz: np.ndarray,
    clean_wer: np.ndarray,
    robustness_db: np.ndarray,
    code_switch_penalty: np.ndarray,
    wer_factor: np.ndarray,
    features_match: np.ndarray,
    normalized: np.ndarray,
    curves: dict[str, np.ndarray] | None = None,
    extra_terms: list[tuple[np.ndarray, np.ndarray | float]] | None = None,
) -> np.ndarray:
    """WER proxy per request from its conditions and the serving model's robustness;
    `curves` gives each request its model's QualityCurve fields (default: calibration);
    `extra_terms` are logit shifts (with their masking) of conditions the telemetry has
    no acoustic summary for (the real eval's reverberation, speaking rate, vocabulary)."""
    c = curves or {}
    if "noise_loss" in c:  # worked out per curve (QualityCurve.noise_loss)
        keep = 1.0 - c["noise_loss"]
    else:
        keep = 1.0 - noise_loss(acoustics["snr_db"], robustness_db)
    keep = keep * (1.0 - clip_loss(acoustics["clipping_ratio"], c.get("clip_scale", CLIP_SCALE)))
    narrow = acoustics["bandwidth_hz"] < 6000
    keep = keep * np.where(narrow, 1.0 - c.get("narrowband_loss", LOSS_NARROWBAND), 1.0)
    mislabelled = true_rate_hz != acoustics["sample_rate_hz"]
    keep = keep * np.where(mislabelled, 1.0 - c.get("rate_mismatch_loss", LOSS_RATE_MISMATCH), 1.0)
    keep = keep * np.where(features_match, 1.0, 1.0 - FEATURE_MISMATCH_LOSS)
    quiet = np.maximum(-35.0 - acoustics["loudness_lufs"], 0.0) / 10.0 * QUIET_LOSS_PER_10DB
    keep = keep * np.where(normalized, 1.0, 1.0 - np.minimum(quiet, 0.5))
    keep = keep * (1.0 - code_switch_penalty * acoustics["code_switch_ratio"] / 0.3)
    base = np.clip(clean_wer * wer_factor, 0.0, 0.95)
    wer = np.clip(1.0 - (1.0 - base) * keep, 0.0, 1.0)
    if "logit_form" not in c:
        return wer
    # the logit form for the requests whose model's curve has it: noise, clipping and
    # bandwidth as shifts in logit space; the rest (sample-rate labels, features, loudness,
    # language mix) as the losses above
    rest = _other_losses(
        acoustics, true_rate_hz, code_switch_penalty, features_match, normalized, c
    )
    terms = [
        (c["clipping_shift"] * acoustics["clipping_ratio"], c["clipping_masking"]),
        (np.where(narrow, c["narrowband_shift"], 0.0), c["narrowband_masking"]),
        *(extra_terms or []),
    ]
    acoustic = _sigmoid(_logits(base) + combined_shift(c["noise_shift"], terms))
    logit_wer = np.clip(1.0 - (1.0 - acoustic) * rest, 0.0, 1.0)
    return np.where(c["logit_form"], logit_wer, wer)


def _other_losses(
    acoustics: dict[str, np.ndarray],
    true_rate_hz: np.ndarray,
    code_switch_penalty: np.ndarray,
    features_match: np.ndarray,
    normalized: np.ndarray,
    c: dict[str, np.ndarray],
) -> np.ndarray:
    """The share of words kept past the sample-rate label, the features, the loudness and
    the language mix (both forms apply these as losses)."""
    mislabelled = true_rate_hz != acoustics["sample_rate_hz"]
    keep = np.where(mislabelled, 1.0 - c.get("rate_mismatch_loss", LOSS_RATE_MISMATCH), 1.0)
    keep = keep * np.where(features_match, 1.0, 1.0 - FEATURE_MISMATCH_LOSS)
    quiet = np.maximum(-35.0 - acoustics["loudness_lufs"], 0.0) / 10.0 * QUIET_LOSS_PER_10DB
    keep = keep * np.where(normalized, 1.0, 1.0 - np.minimum(quiet, 0.5))
    return keep * (1.0 - code_switch_penalty * acoustics["code_switch_ratio"] / 0.3)


def confidence_from_wer(wer: np.ndarray, z: np.ndarray) -> np.ndarray:
    return np.clip(0.97 - 1.1 * wer + 0.03 * z, 0.02, 0.995)


def correction_probability(wer: np.ndarray) -> np.ndarray:
    return np.clip(0.01 + 0.5 * wer, 0.0, 1.0)


# --- streaming partial churn ------------------------------------------------------------

# measured: words retracted per utterance by partial interval (ms), and with the last word
# held back (stabilisation) where measured
CHURN_INTERVAL_MS = np.array([10.0, 100.0, 320.0, 1000.0])
CHURN_WORDS = np.array([37.2, 17.5, 6.4, 3.1])
HOLD_BACK_INTERVAL_MS = np.array([100.0, 1000.0])
HOLD_BACK_FACTOR = np.array([5.9 / 17.5, 2.5 / 3.1])
CHURN_REFERENCE_UTTERANCE_S = 3.0  # assumption: length of the calibration utterances
# assumptions (not measured): how other decoder settings scale churn
BEAM_EXPONENT = 0.25  # wider beams revise more often: (beam / 4) ** 0.25
LM_RESCORING_FACTOR = 1.5  # rescoring partials reorders them
SHORT_ENDPOINT_MS = 300.0  # endpoint silence below this fragments utterances


def churn_mean(
    interval_ms: np.ndarray,
    hold_back: np.ndarray,
    beam: np.ndarray,
    lm_rescoring: np.ndarray,
    endpoint_ms: np.ndarray,
    jitter_ms: np.ndarray,
    audio_s: np.ndarray,
) -> np.ndarray:
    """Expected words retracted per utterance (log-log interpolation of the table)."""
    log_i = np.log(np.clip(interval_ms, CHURN_INTERVAL_MS[0], CHURN_INTERVAL_MS[-1]))
    base = np.exp(np.interp(log_i, np.log(CHURN_INTERVAL_MS), np.log(CHURN_WORDS)))
    held = np.interp(log_i, np.log(HOLD_BACK_INTERVAL_MS), HOLD_BACK_FACTOR)
    factor = np.where(hold_back, held, 1.0)
    factor = factor * (beam / 4.0) ** BEAM_EXPONENT
    factor = factor * np.where(lm_rescoring, LM_RESCORING_FACTOR, 1.0)
    factor = factor * (1.0 + np.maximum(SHORT_ENDPOINT_MS - endpoint_ms, 0.0) / SHORT_ENDPOINT_MS)
    factor = factor * (1.0 + jitter_ms / np.maximum(interval_ms, 1.0))
    return base * factor * audio_s / CHURN_REFERENCE_UTTERANCE_S
