"""The release lab's real eval: scenarios/release/asr-eval.yaml run through flite and
pocketsphinx (real_backend/speech_eval.py) into one metric map per decoder configuration,
cached under $SPEECHDRILL_HOME/eval by the fixture's content and the decoder's version; and
the simulator's quality model set beside it slice by slice (the quality half of fidelity).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from drills.course.release.gate import RESAMPLES, Z95, MetricMap, SliceMetrics, bootstrap_wer
from drills.library.paths import library_root
from drills.play.journal import home
from real_backend import speech_eval
from simulator.spec import quality
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import NonNeg, Strict

SCHEMA = 3  # bump when the cached result's shape changes


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
    maps: dict[str, dict[str, Any]] = {}
    for (name, config), result in zip(fixture.configs.items(), decoded, strict=True):
        slices = speech_eval.score(utterances, result)
        for slice_name, metrics in slices.items():
            low, high = bootstrap_wer(metrics["per_utterance"], slice_name)
            metrics["wer_low"], metrics["wer_high"] = round(low, 4), round(high, 4)
        maps[name] = {"model": config.model, "interval": INTERVAL, "slices": slices}
    return maps


INTERVAL = f"95% bootstrap over utterances ({RESAMPLES} resamples, seeded by the slice's name)"


def digest(fixture: EvalFixture) -> str:
    """What an eval's result depends on: the fixture, the decoder's version, the shape."""
    return hashlib.sha256(
        f"{SCHEMA}|{_decoder_version()}|{fixture.model_dump_json()}".encode()
    ).hexdigest()[:20]


def cached(fixture: EvalFixture, refresh: bool = False) -> dict[str, MetricMap]:
    """The eval's metric maps, from the cache when this fixture and decoder ran before.
    Word error rates are deterministic; the decode latencies are this host's."""
    path = home() / "eval" / f"asr-{digest(fixture)}.json"
    if refresh or not path.is_file():
        result = run(fixture)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1))
    data = json.loads(path.read_text())
    return {name: MetricMap.model_validate(found) for name, found in data.items()}


# --- the recorded eval: the shipped curves' measurement, checked by spot decodes --------

# The whole eval is 544 decodes, about ten CPU-minutes: it is recorded beside its fixture
# (`speechdrill eval asr --record`), and the tests decode its first two slices
# afresh (`spot_check`; the decodes are deterministic, so they must match word for word)
# instead of decoding it all again. `make bench` decodes the whole eval.
RECORDING = "asr-eval-measured.json"


def recording_path(fixture_file: Path | None = None) -> Path:
    return (fixture_file or fixture_path()).with_name(RECORDING)


def record(fixture: EvalFixture, maps: dict[str, MetricMap], path: Path | None = None) -> Path:
    """Write the maps as the fixture's recorded eval (with what they depend on)."""
    path = path or recording_path()
    data = {
        "digest": digest(fixture),
        "decoder": f"pocketsphinx {_decoder_version()}",
        "note": "word errors are deterministic; decode latencies are the recording host's",
        "maps": {
            name: found.model_dump(mode="json", exclude_none=True) for name, found in maps.items()
        },
    }
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def recorded(fixture: EvalFixture, path: Path | None = None) -> dict[str, MetricMap] | None:
    """The recorded eval if it was measured on this fixture with this decoder, else None."""
    path = path or recording_path()
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    if data.get("digest") != digest(fixture):
        return None
    return {name: MetricMap.model_validate(found) for name, found in data["maps"].items()}


def spot_check(fixture: EvalFixture, maps: dict[str, MetricMap], first: int = 32) -> list[str]:
    """Decode the eval's `first` utterances afresh in every configuration, in the eval's
    order from a fresh decoder as `run` does (the decoder's live cepstral mean carries from
    one utterance to the next, so a decode repeats exactly only from the same start), and
    compare their word errors with the maps': the differences (none when the maps are this
    fixture's and this decoder's measurement)."""
    conditions = {name: spec.condition() for name, spec in fixture.slices.items()}
    sample = fixture.utterances()[:first]
    audio = speech_eval.slice_audio(sample, conditions)
    differences = []
    for name, config in fixture.configs.items():
        decoded = speech_eval.decode_all(audio, dict(config.decoder))
        for utterance, result in zip(sample, decoded, strict=True):
            errors = speech_eval.word_errors(utterance.words, result.words)
            found = maps[name].slices[utterance.slice].per_utterance or {}
            kept = found.get(speech_eval.utterance_id(utterance.text))
            if kept is None or kept[0] != errors:
                differences.append(
                    f"{name}/{utterance.slice}: {errors} word errors decoded, {kept} recorded"
                )
    return differences


# --- the simulator's quality model on the same conditions -------------------------------

# conditions the quality model has no acoustic term for: a WER factor per condition, fitted
# at the fixture's setting of it (a room, a speaking rate, a vocabulary)
FACTOR_TERMS: tuple[quality.ConditionName, ...] = ("reverb", "rate", "domain")


@dataclass
class Comparison:
    slice: str
    real_wer: float
    model_wer: float  # the calibrated quality model (shared/calibration)
    fitted_wer: float  # the curve fitted to this eval
    role: Literal["fit", "held out"]
    modelled: bool  # whether the calibrated model has a term for this slice's condition
    standard_error: float  # of the real WER, from its bootstrap interval

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
    quality curve. Conditions the telemetry has no acoustic summary for (reverberation,
    speaking rate, vocabulary) count through the curve's shifts (the logit form) or slice
    factors (the loss form; none in the calibration: they fall back to clean)."""
    n = 1
    acoustics = {
        "snr_db": np.array([spec.snr_db if spec.snr_db is not None else 60.0]),
        "clipping_ratio": quality.clipping_ratio(np.array([spec.gain_db])),
        "bandwidth_hz": np.array([4000.0 if spec.narrowband else 8000.0]),
        "sample_rate_hz": np.array([16000]),
        "loudness_lufs": np.array([quality.NOMINAL_LUFS]),
        "code_switch_ratio": np.zeros(n),
    }
    terms = spec.terms()
    logit = curve.form == "logit"
    factor = 1.0 if logit else float(np.prod([curve.slice_factors.get(t, 1.0) for t in terms]))
    extra: list[tuple[np.ndarray, np.ndarray | float]] = [
        (np.array([curve.shifts.get(t, 0.0)]), curve.masking.get(t, 0.0))
        for t in FACTOR_TERMS
        if logit and t in terms
    ]
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
        extra_terms=extra,
    )
    return float(wer[0])


MASKED = ("reverb", "narrowband", "clipping")  # conditions fitted with noise's masking
GAMMAS = np.linspace(0.0, 1.0, 201)


def fit_curve(fixture: EvalFixture, real: MetricMap, name: str) -> quality.QualityCurve:
    """The quality curve of the recogniser behind `real` in the logit form, fitted to the
    fixture's slices that are not held out:

    - the clean WER from clean speech;
    - noise's logistic loss (midpoint and width) by least squares over the noise-only
      slices, as a logit shift from clean;
    - each other condition's shift from its slice alone (clipping per unit of clipped
      share), and for reverberation, narrowband and clipping the share γ of the smaller of
      its shift and noise's that noise masks, from the same condition in noise: a second
      slice, so the condition's shift and γ fit both exactly;
    - speaking rate and vocabulary add (one slice each).

    Held-out slices (noise between two fitted points, each combination at another noise
    level) check it."""
    fit = {n: s for n, s in fixture.slices.items() if not s.holdout}
    clean_name = next((n for n, s in fit.items() if not s.terms()), None)
    if clean_name is None:
        raise ValueError("the fixture needs a clean slice (no condition) to fit a curve")
    clean = real.slices[clean_name].wer
    base = _logit(clean)

    def total(slice_name: str) -> float:
        return _logit(real.slices[slice_name].wer) - base

    noisy = [
        (float(s.snr_db), real.slices[n].wer)
        for n, s in fit.items()
        if s.terms() == {"noise"} and s.snr_db is not None
    ]
    mid, width = _noise_logistic(clean, noisy)
    curve = quality.QualityCurve(
        name=name, form="logit", clean_wer=clean, noise_mid_db=mid, noise_width_db=width
    )
    shifts: dict[str, float] = {}
    masking: dict[str, float] = {}
    for term in ("reverb", "narrowband", "clipping", "rate", "domain"):
        with_term = [(n, s) for n, s in fit.items() if term in s.terms()]
        if not with_term or any(s.terms() - {term, "noise"} for _, s in with_term):
            continue
        shift, gamma = _fit_term(curve, term, with_term, total)
        per = float(quality.clipping_ratio(np.array([with_term[0][1].gain_db]))[0])
        shifts[term] = shift / per if term == "clipping" else shift
        if term in MASKED:
            masking[term] = gamma
    curve = curve.model_copy(update={"shifts": shifts, "masking": masking})
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


def _noise_logistic(clean: float, noisy: list[tuple[float, float]]) -> tuple[float, float]:
    """The logistic noise loss's midpoint and width (dB), least squares in logit space over
    the noise-only slices: a smooth curve through noisy measurements predicts an SNR
    between them better than straight lines through each (which chase their noise)."""
    from scipy.optimize import least_squares

    def residuals(p: np.ndarray) -> list[float]:
        return [
            _logit(1.0 - (1.0 - clean) * (1.0 - 1.0 / (1.0 + math.exp((snr - p[0]) / p[1]))))
            - _logit(wer)
            for snr, wer in noisy
        ]

    found = least_squares(residuals, [25.0, 3.0], bounds=([0.0, 0.3], [60.0, 30.0]))
    return float(found.x[0]), float(found.x[1])


def _fit_term(
    curve: quality.QualityCurve,
    term: str,
    slices: list[tuple[str, SliceSpec]],
    total: Any,
) -> tuple[float, float]:
    """(shift, γ) of one condition: for each γ on a grid, the shift each of its slices
    needs (noise's shift at that slice's SNR known); the γ whose shifts agree best, and
    their mean. With one slice, γ = 0 (the shifts add)."""
    noise = [
        float(
            curve.shift_of_noise(
                np.array([s.snr_db if s.snr_db is not None else 60.0]), np.zeros(1)
            )[0]
        )
        for _, s in slices
    ]
    wanted = [total(n) for n, _ in slices]
    gammas = GAMMAS if term in MASKED and len(slices) > 1 else np.array([0.0])
    best: tuple[float, float, float] | None = None
    for gamma in gammas:
        needed = [_needed(w, d, float(gamma)) for w, d in zip(wanted, noise, strict=True)]
        spread = float(np.ptp(needed))
        if best is None or spread < best[0] - 1e-12:
            best = (spread, float(np.mean(needed)), float(gamma))
    assert best is not None
    return max(best[1], 0.0), best[2]


def _needed(wanted: float, noise: float, gamma: float) -> float:
    """The condition's shift t with noise + t − γ·min(noise, t) = wanted."""
    if wanted - noise * (1.0 - gamma) >= noise:  # t ≥ noise: noise's share is masked
        return wanted - noise * (1.0 - gamma)
    return (wanted - noise) / (1.0 - gamma) if gamma < 1.0 else noise


def _logit(p: float) -> float:
    q = min(max(p, 1e-4), 1.0 - 1e-4)
    return math.log(q / (1.0 - q))


def _standard_error(metrics: SliceMetrics) -> float:
    """From the slice's bootstrap interval (else binomial over its words)."""
    return metrics.standard_error() or 0.0


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


def curve_name(config: str, first: bool) -> str:
    """The shipped curve's name for a decoder configuration (the first: the baseline)."""
    return CURVE_NAME if first else f"{CURVE_NAME}-{config}"


def fit_all(fixture: EvalFixture, maps: dict[str, MetricMap]) -> dict[str, quality.QualityCurve]:
    """One curve per model (decoder configuration), each fitted to its own map."""
    return {
        name: fit_curve(fixture, found, curve_name(name, i == 0))
        for i, (name, found) in enumerate(maps.items())
    }


WITHIN = 0.20  # how close a fitted curve should come to the real WER on held-out slices


def summary(comparison: list[Comparison], model: str = "") -> str:
    """Rank order and error, for the calibrated model on the slices it has terms for and
    for the fitted curve on every slice and on the held-out ones."""
    modelled = [c for c in comparison if c.modelled]
    held = [c for c in comparison if c.role == "held out"]
    real_all = [c.real_wer for c in comparison]
    lines = [
        "calibrated model, rank correlation over the slices it has terms for: "
        f"{spearman([c.real_wer for c in modelled], [c.model_wer for c in modelled]):.2f}",
        f"fitted curve{model}, rank correlation over every slice: "
        f"{spearman(real_all, [c.fitted_wer for c in comparison]):.2f}",
    ]
    if held:
        worst = max(held, key=lambda c: abs(c.fitted_error))
        inside = sum(abs(c.fitted_error) <= WITHIN for c in held)
        kept = rank_kept(held)
        lines.append(
            f"fitted curve{model} on the {len(held)} held-out slices: {inside} within "
            f"{WITHIN:.0%} of the real WER (worst {worst.slice} {worst.fitted_error:+.0%}); "
            f"their rank order {'kept' if kept else 'not kept'} (beyond sampling error)"
        )
    return "\n".join(lines)


def rank_kept(comparison: list[Comparison]) -> bool:
    """The fitted WERs order the slices as the real ones do, wherever the real ones differ
    by more than their sampling error (two slices within each other's noise may come in
    either order: the eval cannot say which is worse)."""
    for a, b in itertools.combinations(comparison, 2):
        noise = Z95 * math.hypot(a.standard_error, b.standard_error)
        if (
            abs(a.real_wer - b.real_wer) > noise
            and (a.real_wer - b.real_wer) * (a.fitted_wer - b.fitted_wer) < 0
        ):
            return False
    return True


def spearman(a: list[float], b: list[float]) -> float:
    """Rank correlation (average ranks for ties)."""
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic) if len(a) > 1 else 1.0
