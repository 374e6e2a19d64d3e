"""The release lab's real eval: scenarios/release/asr-eval.yaml run through flite and
pocketsphinx (real_backend/speech_eval.py) into one metric map per decoder configuration,
cached under $SPEECHDRILL_HOME/eval by the fixture's content and the decoder's version; and
the simulator's quality model set beside it slice by slice (the quality half of fidelity).
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from drills.journal import home
from drills.library import library_root
from drills.release.gate import MetricMap
from real_backend import speech_eval
from simulator import quality
from simulator.fileio import read_yaml, validate_data
from simulator.fleet import NonNeg, Strict

SCHEMA = 1  # bump when the cached result's shape changes


class SliceSpec(Strict):
    texts: Literal["general", "domain"] = "general"
    snr_db: float | None = None
    gain_db: NonNeg = 0.0
    reverb_rt60_s: NonNeg | None = None
    narrowband: bool = False
    stretch: float = Field(1.0, gt=0.3, le=2.0)
    per_slice: int | None = Field(None, ge=1, description="utterances (default: the fixture's)")

    def condition(self) -> speech_eval.Condition:
        fields = self.model_dump(exclude={"texts", "per_slice"})
        return speech_eval.Condition(**fields)


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


@dataclass
class Comparison:
    slice: str
    real_wer: float
    model_wer: float
    modelled: bool  # whether the quality model has a term for this slice's condition

    @property
    def relative_error(self) -> float:
        return (self.model_wer - self.real_wer) / self.real_wer if self.real_wer else 0.0


def model_wer(spec: SliceSpec) -> tuple[float, bool]:
    """The simulator's WER proxy for a slice's condition (simulator/quality.py), and
    whether the model has a term for it: noise, clipping and bandwidth it models; room
    reverberation, speaking rate and vocabulary it does not (they fall back to clean)."""
    n = 1
    snr = np.array([spec.snr_db if spec.snr_db is not None else 60.0])
    clip = quality.clipping_ratio(np.array([spec.gain_db]))
    acoustics = {
        "snr_db": snr,
        "clipping_ratio": clip,
        "bandwidth_hz": np.array([4000.0 if spec.narrowband else 8000.0]),
        "sample_rate_hz": np.array([16000]),
        "loudness_lufs": np.array([quality.NOMINAL_LUFS]),
        "code_switch_ratio": np.zeros(n),
    }
    wer = quality.asr_wer(
        acoustics,
        true_rate_hz=np.array([16000]),
        clean_wer=np.array([quality.CALIBRATION_CLEAN_WER]),
        robustness_db=np.zeros(n),
        code_switch_penalty=np.zeros(n),
        wer_factor=np.ones(n),
        features_match=np.ones(n, dtype=bool),
        normalized=np.ones(n, dtype=bool),
    )
    modelled = spec.reverb_rt60_s is None and spec.stretch == 1.0 and spec.texts == "general"
    return float(wer[0]), modelled


def compare(fixture: EvalFixture, real: MetricMap) -> list[Comparison]:
    out = []
    for name, spec in fixture.slices.items():
        predicted, modelled = model_wer(spec)
        out.append(Comparison(name, real.slices[name].wer, predicted, modelled))
    return out


def spearman(a: list[float], b: list[float]) -> float:
    """Rank correlation (average ranks for ties)."""
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic) if len(a) > 1 else 1.0
