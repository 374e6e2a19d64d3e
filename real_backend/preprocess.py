"""The real preprocessing kernels a speech server runs before a model, in torch.

    features = Preprocessor()(waveform, rate=8000)   # resample → loudness → log-mel, VAD

- resample: windowed-sinc polyphase resampling (Kaiser window), like torchaudio/sox;
- loudness normalisation: RMS to a target dBFS with a peak ceiling (no clipping);
- log-mel features: STFT (25 ms Hann window, 10 ms hop) → 80-band mel filterbank → log;
- VAD: short-term energy against an adaptive noise floor, with hangover.

These are what `preprocess` costs in the simulator: `speechdrill profile` measures them per
audio second, and their effect on quality (rate mismatch, clipping) is what the quality model
reproduces from the measured WER table.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import Tensor, nn

from real_backend.models import MEL_BINS

TARGET_RATE = 16000
WINDOW_S, HOP_S = 0.025, 0.010


@lru_cache(maxsize=16)
def _sinc_kernels(orig: int, new: int, zeros: int = 16, beta: float = 8.6) -> tuple[Tensor, int]:
    """One low-pass windowed-sinc filter per output phase: (new/g phases, taps), width."""
    g = math.gcd(orig, new)
    orig, new = orig // g, new // g
    cutoff = min(orig, new) * 0.97  # leave a transition band below Nyquist
    width = math.ceil(zeros * orig / cutoff)
    offsets = torch.arange(-width, width + orig, dtype=torch.float64)
    phases = torch.arange(new, dtype=torch.float64)[:, None] / new * orig
    t = (offsets[None, :] - phases) * cutoff / orig
    window = torch.i0(beta * torch.sqrt((1 - (t / zeros).clamp(-1, 1) ** 2).clamp_min(0)))
    window = window / torch.i0(torch.tensor(beta, dtype=torch.float64))
    sinc = torch.where(t == 0, torch.ones_like(t), torch.sin(math.pi * t) / (math.pi * t))
    kernels = (sinc * window * cutoff / orig).float()
    return kernels[:, None, :], width


def resample(wave: Tensor, orig: int, new: int) -> Tensor:
    """(batch, samples) at `orig` Hz → (batch, ceil(samples·new/orig)) at `new` Hz."""
    if orig == new:
        return wave
    g = math.gcd(orig, new)
    stride = orig // g
    kernels, width = _sinc_kernels(orig, new)
    padded = nn.functional.pad(wave[:, None, :], (width, width + stride))
    out = nn.functional.conv1d(padded, kernels, stride=stride)  # (batch, phases, frames)
    out = out.transpose(1, 2).reshape(wave.shape[0], -1)
    return out[:, : math.ceil(wave.shape[-1] * new / orig)]


def normalize_loudness(wave: Tensor, target_dbfs: float = -23.0, ceiling: float = 0.97) -> Tensor:
    """Scale each item to a target RMS level, never past the peak ceiling."""
    rms = wave.pow(2).mean(-1, keepdim=True).sqrt().clamp_min(1e-8)
    gain = 10 ** (target_dbfs / 20) / rms
    peak = wave.abs().amax(-1, keepdim=True).clamp_min(1e-8)
    return wave * torch.minimum(gain, ceiling / peak)


@lru_cache(maxsize=4)
def mel_filterbank(rate: int = TARGET_RATE, n_fft: int = 512, bins: int = MEL_BINS) -> Tensor:
    """Triangular filters evenly spaced on the HTK mel scale: (n_fft//2+1, bins)."""

    def mel(hz: Tensor) -> Tensor:
        return 2595 * torch.log10(1 + hz / 700)

    edges_mel = torch.linspace(0.0, float(mel(torch.tensor(rate / 2.0))), bins + 2)
    edges_hz = 700 * (10 ** (edges_mel / 2595) - 1)
    freqs = torch.linspace(0, rate / 2, n_fft // 2 + 1)
    lower, centre, upper = edges_hz[:-2], edges_hz[1:-1], edges_hz[2:]
    rising = (freqs[:, None] - lower) / (centre - lower)
    falling = (upper - freqs[:, None]) / (upper - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def log_mel(wave: Tensor, rate: int = TARGET_RATE) -> Tensor:
    """(batch, samples) → (batch, frames, 80) log-mel, 25 ms window, 10 ms hop."""
    n_fft, win, hop = 512, round(WINDOW_S * rate), round(HOP_S * rate)
    spec = torch.stft(
        wave, n_fft, hop, win, torch.hann_window(win), center=True, return_complex=True
    )
    power = spec.abs().pow(2).transpose(1, 2)  # (batch, frames, freq)
    return torch.log(power @ mel_filterbank(rate, n_fft) + 1e-6)


def energy_vad(wave: Tensor, rate: int = TARGET_RATE, margin_db: float = 9.0) -> Tensor:
    """Speech/non-speech per 10 ms frame: energy over the 10th-percentile floor + margin,
    with a 200 ms hangover so word gaps do not split an utterance."""
    hop = round(HOP_S * rate)
    frames = wave[:, : wave.shape[-1] // hop * hop].reshape(wave.shape[0], -1, hop)
    energy_db = 10 * torch.log10(frames.pow(2).mean(-1) + 1e-10)
    floor = torch.quantile(energy_db, 0.1, dim=-1, keepdim=True)
    active = (energy_db > floor + margin_db).float()
    hangover = 20
    kernel = torch.ones(1, 1, hangover + 1)
    spread = nn.functional.conv1d(nn.functional.pad(active[:, None], (hangover, 0)), kernel)
    return spread[:, 0] > 0


class Preprocessor(nn.Module):
    """The whole preprocess stage: resample to 16 kHz, normalise, features, VAD."""

    def forward(self, wave: Tensor, rate: int = 8000) -> tuple[Tensor, Tensor]:
        wave = normalize_loudness(resample(wave, rate, TARGET_RATE))
        return log_mel(wave), energy_vad(wave)
