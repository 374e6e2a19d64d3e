"""The release lab's real eval: scenarios/release/asr-eval.yaml run through flite and
pocketsphinx (real_backend/speech_eval.py) into one metric map per decoder configuration,
cached under $SPEECHDRILL_HOME/eval by the fixture's content and the decoder's version; and
the simulator's quality model set beside it slice by slice (the quality half of fidelity).
"""

from __future__ import annotations

import hashlib
import json
import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from drills.course.release.gate import MetricMap, SliceMetrics
from drills.library.paths import library_root
from drills.play.journal import home
from real_backend import speech_eval
from simulator.spec import quality
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import NonNeg, Strict

SCHEMA = 2  # bump when the cached result's shape changes


class SliceSpec(Strict):
    texts: Literal["general", "domain"] = "general"
    snr_db: float | None = None
    gain_db: NonNeg = 0.0
    reverb_rt60_s: NonNeg | None = None
    narrowband: bool = False
    stretch: float = Field(1.0, gt=0.3, le=2.0)
    per_slice: int | None = Field(None, ge=1, description="utterances (default: the fixture's)")
    holdout: bool = Field(
        False, description="held out of the quality fit: the fitted curve is checked on it"
    )

    def condition(self) -> speech_eval.Condition:
        fields = self.model_dump(exclude={"texts", "per_slice", "holdout"})
        return speech_eval.Condition(**fields)

    def terms(self) -> set[str]:
        """The conditions this slice imposes on clean, general speech."""
        found = {
            "noise": self.snr_db is not None,
            "clipping": self.gain_db > 0,
            "narrowband": self.narrowband,
            "reverb": self.reverb_rt60_s is not None,
            "rate": self.stretch != 1.0,
            "domain": self.texts == "domain",
        }
        return {term for term, present in found.items() if present}


class DecoderConfig(Strict):
    model: str = Field(min_length=1, description="what the configuration is, for the maps")
    decoder: dict[str, float | int | str] = Field(default_factory=dict)


class EvalFixture(Strict):
    general: list[str] = Field(min_length=1)
    domain: list[str] = Field(min_length=1)
    per_slice: int = Field(5, ge=1)
    slices: dict[str, SliceSpec] = Field(min_length=1)
    configs: dict[str, DecoderConfig] = Field(min_length=1)

    def utterances(self) -> list[speech_eval.Utterance]:
        out = []
        for name, spec in self.slices.items():
            texts = self.general if spec.texts == "general" else self.domain
            count = spec.per_slice or self.per_slice
            out += [speech_eval.Utterance(text, name) for text in texts[:count]]
        return out


def fixture_path() -> Path:
    return library_root() / "release" / "asr-eval.yaml"


def load_fixture(path: Path | None = None) -> EvalFixture:
    path = path or fixture_path()
    data, node = read_yaml(path)
    return validate_data(data, EvalFixture, str(path), node)


def _decoder_version() -> str:
    try:
        return version("pocketsphinx")
    except PackageNotFoundError:
        return "absent"


def _decode(job: tuple[list[np.ndarray], dict[str, Any]]) -> list[speech_eval.Decoded]:
    audio, config = job
    return speech_eval.decode_all(audio, config)


def run(fixture: EvalFixture) -> dict[str, dict[str, Any]]:
    """Each configuration's metric map (as data), the configurations decoded side by side."""
    utterances = fixture.utterances()
    conditions = {name: spec.condition() for name, spec in fixture.slices.items()}
    audio = speech_eval.slice_audio(utterances, conditions)
    jobs = [(audio, dict(c.decoder)) for c in fixture.configs.values()]
    with ProcessPoolExecutor(max_workers=min(2, len(jobs))) as pool:
        decoded = list(pool.map(_decode, jobs))
    return {
        name: {"model": config.model, "slices": speech_eval.score(utterances, result)}
        for (name, config), result in zip(fixture.configs.items(), decoded, strict=True)
    }


def cached(fixture: EvalFixture, refresh: bool = False) -> dict[str, MetricMap]:
    """The eval's metric maps, from the cache when this fixture and decoder ran before.
    Word error rates are deterministic; the decode latencies are this host's."""
    digest = hashlib.sha256(
        f"{SCHEMA}|{_decoder_version()}|{fixture.model_dump_json()}".encode()
    ).hexdigest()[:20]
    path = home() / "eval" / f"asr-{digest}.json"
    if refresh or not path.is_file():
        result = run(fixture)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1))
    data = json.loads(path.read_text())
    return {name: MetricMap.model_validate(found) for name, found in data.items()}


# --- the simulator's quality model on the same conditions -------------------------------

# conditions the quality model has no acoustic term for: a WER factor per condition, fitted
# at the fixture's setting of it (a room, a speaking rate, a vocabulary)
FACTOR_TERMS = ("reverb", "rate", "domain")


@dataclass
class Comparison:
    slice: str
    real_wer: float
    model_wer: float  # the calibrated quality model (shared/calibration)
    fitted_wer: float  # the curve fitted to this eval
    role: Literal["fit", "held out"]
    modelled: bool  # whether the calibrated model has a term for this slice's condition
    standard_error: float  # of the real WER, from its words (binomial)

    @property
    def agrees(self) -> bool:
        """The fitted curve within WITHIN of the real WER, or within two standard errors
        of it (a slice of a few dozen words measures WER to about ±0.05)."""
        gap = abs(self.fitted_wer - self.real_wer)
        return gap <= WITHIN * self.real_wer or gap <= 2.0 * self.standard_error

    @property
    def relative_error(self) -> float:
        return _relative(self.model_wer, self.real_wer)

    @property
    def fitted_error(self) -> float:
        return _relative(self.fitted_wer, self.real_wer)


def _relative(predicted: float, real: float) -> float:
    return (predicted - real) / real if real else 0.0


def model_wer(spec: SliceSpec, curve: quality.QualityCurve = quality.CALIBRATION) -> float:
    """The simulator's WER proxy (simulator/spec/quality.py) for a slice's condition with this
    quality curve; conditions it has no term for count through the curve's slice factors
    (none in the calibration: they fall back to clean)."""
    n = 1
    acoustics = {
        "snr_db": np.array([spec.snr_db if spec.snr_db is not None else 60.0]),
        "clipping_ratio": quality.clipping_ratio(np.array([spec.gain_db])),
        "bandwidth_hz": np.array([4000.0 if spec.narrowband else 8000.0]),
        "sample_rate_hz": np.array([16000]),
        "loudness_lufs": np.array([quality.NOMINAL_LUFS]),
        "code_switch_ratio": np.zeros(n),
    }
    factor = float(np.prod([curve.slice_factors.get(t, 1.0) for t in spec.terms()]))
    fields = quality.curve_fields([curve], np.zeros(n, dtype=int), acoustics["snr_db"], np.zeros(n))
    wer = quality.asr_wer(
        acoustics,
        true_rate_hz=np.array([16000]),
        clean_wer=np.array([curve.clean_wer]),
        robustness_db=np.zeros(n),
        code_switch_penalty=np.zeros(n),
        wer_factor=np.array([factor]),
        features_match=np.ones(n, dtype=bool),
        normalized=np.ones(n, dtype=bool),
        curves=fields,
    )
    return float(wer[0])


def fit_curve(fixture: EvalFixture, real: MetricMap, name: str) -> quality.QualityCurve:
    """The quality curve of the recogniser behind `real`, fitted to the fixture's slices
    that are not held out, each condition from the slices that impose it alone: the clean
    WER from clean speech; the noise loss through the noise-only slices' points (in logit
    space: no logistic is assumed, as this recogniser falls off a cliff between 25 and
    20 dB that no single logistic through 30 dB follows); the clipping scale, the
    narrowband loss and the factors of reverberation, speaking rate and vocabulary from
    their one slice each. Held-out slices (combinations, settings between fitted ones)
    check it. Each condition is a loss on accuracy, as in the quality model:
    1 − WER = (1 − clean)·Π(1 − loss)."""
    fit = {n: s for n, s in fixture.slices.items() if not s.holdout}
    alone = {next(iter(s.terms())): n for n, s in fit.items() if len(s.terms()) == 1}
    clean_name = next((n for n, s in fit.items() if not s.terms()), None)
    if clean_name is None:
        raise ValueError("the fixture needs a clean slice (no condition) to fit a curve")
    clean = real.slices[clean_name].wer

    def loss(slice_name: str) -> float:
        return 1.0 - (1.0 - real.slices[slice_name].wer) / (1.0 - clean)

    fields: dict[str, Any] = {}
    noisy = [(s.snr_db, loss(n)) for n, s in fit.items() if s.terms() == {"noise"} and s.snr_db]
    if len(noisy) >= 2:  # the measured points themselves: no curve shape is assumed
        fields["noise_points"] = sorted((float(x), round(d, 6)) for x, d in noisy)
    if "clipping" in alone:
        spec = fit[alone["clipping"]]
        clip = float(quality.clipping_ratio(np.array([spec.gain_db]))[0])
        kept = 1.0 - loss(alone["clipping"])
        if clip > 0 and 0 < kept < 1:
            fields["clip_scale"] = -clip / math.log(kept)
    if "narrowband" in alone:
        fields["narrowband_loss"] = min(max(loss(alone["narrowband"]), 0.0), 0.99)
    curve = quality.QualityCurve(name=name, clean_wer=clean, **fields)
    factors = {}
    for term in FACTOR_TERMS:
        with_term = [n for n, s in fit.items() if term in s.terms()]
        if len(with_term) == 1:  # the rest of its conditions come from the curve so far
            slice_name = with_term[0]
            rest = model_wer(fit[slice_name], curve)
            wanted = real.slices[slice_name].wer
            # the base WER that, through the rest of the slice's conditions, gives `wanted`
            kept = (1.0 - rest) / (1.0 - clean)
            base = 1.0 - (1.0 - wanted) / kept if kept > 0 else wanted
            factors[term] = max(base, 1e-6) / clean if clean else 1.0
    curve = curve.model_copy(update={"slice_factors": factors})
    errors = {
        n: round(_relative(model_wer(s, curve), real.slices[n].wer), 4)
        for n, s in fixture.slices.items()
    }
    return curve.model_copy(
        update={
            "source": f"fitted to {fixture_path().name} ({real.model})",
            "fit_error": {n: e for n, e in errors.items() if not fixture.slices[n].holdout},
            "holdout_error": {n: e for n, e in errors.items() if fixture.slices[n].holdout},
        }
    )


def _standard_error(metrics: SliceMetrics) -> float:
    if not metrics.words:
        return 0.0
    p = min(metrics.wer, 1.0)
    return math.sqrt(p * (1.0 - p) / metrics.words)


def compare(fixture: EvalFixture, real: MetricMap, curve: quality.QualityCurve) -> list[Comparison]:
    out = []
    for name, spec in fixture.slices.items():
        out.append(
            Comparison(
                slice=name,
                real_wer=real.slices[name].wer,
                model_wer=model_wer(spec, quality.CALIBRATION),
                fitted_wer=model_wer(spec, curve),
                role="held out" if spec.holdout else "fit",
                modelled=not spec.terms() & set(FACTOR_TERMS),
                standard_error=_standard_error(real.slices[name]),
            )
        )
    return out


CURVE_NAME = "pocketsphinx-en-us"  # the shipped curve fitted to this eval's baseline
WITHIN = 0.20  # how close a fitted curve should come to the real WER on held-out slices


def summary(comparison: list[Comparison]) -> str:
    """Rank order and error, for the calibrated model on the slices it has terms for and
    for the fitted curve on the held-out slices."""
    modelled = [c for c in comparison if c.modelled]
    held = [c for c in comparison if c.role == "held out"]
    lines = [
        "calibrated model, rank correlation over the slices it has terms for: "
        f"{spearman([c.real_wer for c in modelled], [c.model_wer for c in modelled]):.2f}",
        "fitted curve, rank correlation over every slice: "
        f"{spearman([c.real_wer for c in comparison], [c.fitted_wer for c in comparison]):.2f}",
    ]
    if held:
        worst = max(held, key=lambda c: abs(c.fitted_error))
        inside = sum(abs(c.fitted_error) <= WITHIN for c in held)
        agree = sum(c.agrees for c in held)
        lines.append(
            f"fitted curve on the {len(held)} held-out slices: {inside} within "
            f"{WITHIN:.0%} of the real WER, {agree} within {WITHIN:.0%} or two standard "
            f"errors of it; worst {worst.slice} {worst.fitted_error:+.0%}"
        )
    return "\n".join(lines)


def spearman(a: list[float], b: list[float]) -> float:
    """Rank correlation (average ranks for ties)."""
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic) if len(a) > 1 else 1.0
