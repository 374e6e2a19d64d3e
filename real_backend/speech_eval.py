"""A small real speech eval: speech synthesised by flite from text, degraded into slices
(noise at two SNRs, clipping, far-field reverb, a narrowband codec, fast speech), decoded by
pocketsphinx's US-English model in a decoder configuration, scored by word error rate and
entity error. Deterministic: the same text, slices and configuration give the same words.

Needs `flite` (Debian) and `pocketsphinx` (PyPI, ships its model); `available()` says
whether both are here.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import fftconvolve, resample_poly

RATE_HZ = 16_000
FULL_SCALE = 32767.0


@dataclass(frozen=True)
class Condition:
    """How a slice's audio differs from clean speech."""

    snr_db: float | None = None  # white noise at this SNR
    gain_db: float = 0.0  # gain before int16 clipping
    reverb_rt60_s: float | None = None  # a synthetic room's reverberation time
    narrowband: bool = False  # through an 8 kHz codec and back
    stretch: float = 1.0  # flite's duration stretch (<1: faster speech)


@dataclass(frozen=True)
class Utterance:
    text: str  # with [entity phrases] in brackets
    slice: str

    @property
    def words(self) -> list[str]:
        return normalise(self.text.replace("[", "").replace("]", ""))

    @property
    def entities(self) -> list[str]:
        return [" ".join(normalise(e)) for e in re.findall(r"\[([^\]]+)\]", self.text)]


def normalise(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def available() -> bool:
    if shutil.which("flite") is None:
        return False
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return False
    return True


def synthesise(text: str, stretch: float = 1.0) -> np.ndarray:
    """16 kHz int16 speech from flite's `slt` voice."""
    plain = text.replace("[", "").replace("]", "")
    with tempfile.TemporaryDirectory(prefix="speechdrill-tts-") as tmp:
        out = Path(tmp) / "speech.wav"
        command = ["flite", "-voice", "slt", "-t", plain, "-o", str(out)]
        if stretch != 1.0:
            command[1:1] = ["--setf", f"duration_stretch={stretch:g}"]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        with wave.open(str(out)) as handle:
            if handle.getframerate() != RATE_HZ:
                raise RuntimeError(f"flite wrote {handle.getframerate()} Hz, not {RATE_HZ}")
            return np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16).copy()


def _rng(*parts: Any) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def room_response(rt60_s: float, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room: the direct path, then exponentially decaying diffuse reflections
    (60 dB down at rt60), a little attenuated as a far microphone hears it."""
    n = int(rt60_s * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60_s) * 0.25
    tail[: int(0.005 * RATE_HZ)] = 0.0  # first reflections arrive after 5 ms
    tail[0] = 1.0
    return tail / np.sqrt(np.sum(tail**2))


def degrade(speech: np.ndarray, condition: Condition, rng: np.random.Generator) -> np.ndarray:
    x = speech.astype(np.float64)
    if condition.reverb_rt60_s is not None:
        x = fftconvolve(x, room_response(condition.reverb_rt60_s, rng))[: len(x)]
    if condition.narrowband:
        x = resample_poly(resample_poly(x, 1, 2), 2, 1)[: len(x)]
    if condition.snr_db is not None:
        voiced = x[np.abs(x) > 0.02 * np.max(np.abs(x))]
        power = float(np.mean(voiced**2)) if len(voiced) else float(np.mean(x**2))
        x = x + rng.standard_normal(len(x)) * np.sqrt(power / 10 ** (condition.snr_db / 10))
    x = x * 10 ** (condition.gain_db / 20)
    return np.clip(np.round(x), -FULL_SCALE - 1, FULL_SCALE).astype(np.int16)


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words (substitutions, deletions, insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i]
        for j, hyp in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


@dataclass
class Decoded:
    words: list[str]
    seconds: float  # decode time
    audio_s: float


def decode_all(audio: list[np.ndarray], config: dict[str, Any]) -> list[Decoded]:
    """Decode each utterance whole with one pocketsphinx decoder of this configuration."""
    from pocketsphinx import Decoder

    decoder = Decoder(**config)
    out = []
    for samples in audio:
        start = time.perf_counter()
        decoder.start_utt()
        decoder.process_raw(samples.tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        seconds = time.perf_counter() - start
        out.append(Decoded(normalise(hyp.hypstr if hyp else ""), seconds, len(samples) / RATE_HZ))
    return out


def slice_audio(utterances: list[Utterance], conditions: dict[str, Condition]) -> list[np.ndarray]:
    audio = []
    for utterance in utterances:
        condition = conditions[utterance.slice]
        speech = synthesise(utterance.text, condition.stretch)
        audio.append(degrade(speech, condition, _rng(utterance.slice, utterance.text)))
    return audio


def score(utterances: list[Utterance], decoded: list[Decoded]) -> dict[str, dict[str, Any]]:
    """WER, entity error and the p95 decode time per slice."""
    by_slice: dict[str, list[tuple[Utterance, Decoded]]] = {}
    for utterance, result in zip(utterances, decoded, strict=True):
        by_slice.setdefault(utterance.slice, []).append((utterance, result))
    out = {}
    for name, pairs in by_slice.items():
        errors = sum(word_errors(u.words, d.words) for u, d in pairs)
        words = sum(len(u.words) for u, _ in pairs)
        entities = [e for u, _ in pairs for e in u.entities]
        missed = sum(e not in " ".join(d.words) for u, d in pairs for e in u.entities)
        per_utterance = {
            utterance_id(u.text): [word_errors(u.words, d.words), len(u.words)] for u, d in pairs
        }
        out[name] = {
            "wer": round(errors / words, 4),
            "entity_error": round(missed / len(entities), 4) if entities else None,
            "latency_ms": round(float(np.percentile([d.seconds * 1000 for _, d in pairs], 95)), 1),
            "rtf": round(sum(d.seconds for _, d in pairs) / sum(d.audio_s for _, d in pairs), 3),
            "n": len(pairs),
            "words": words,
            "per_utterance": per_utterance,
        }
    return out


def utterance_id(text: str) -> str:
    """A short id of an utterance's text: the same sentence in two configurations' maps
    pairs up (no text in the map)."""
    return hashlib.sha256(text.encode()).hexdigest()[:10]
