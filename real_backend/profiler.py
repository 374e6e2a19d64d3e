"""Measure the reference models into latency profiles; estimate absent GPUs by roofline.

    profile = measure_family("asr-batch", batches=[1, 2, 4], lengths=[1, 2, 5])

Every grid point is warmed up, then timed `repeats` times; the median is the profile value
and the spread (CV) is kept. GPU rows for devices not present count the FLOPs of the same
forward pass (torch.utils.flop_counter) and the bytes of weights and activations, divided by
published peaks with stated efficiency factors: `source: roofline-estimate`.
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn

from real_backend import models
from simulator.profiles import LatencyProfile

CHARS_PER_AUDIO_S = 14.3  # phoneme tokens per second of synthesised speech (6 frames each)


@dataclass(frozen=True)
class Family:
    family: str
    mirrors: str
    build: Callable[[], nn.Module]
    inputs: Callable[[int, float], tuple[torch.Tensor, ...]]
    call: Callable[[nn.Module, tuple[torch.Tensor, ...]], object]
    batches: tuple[int, ...]
    lengths: tuple[float, ...]


def _mel(batch: int, seconds: float) -> tuple[torch.Tensor, ...]:
    return (torch.randn(batch, models.mel_frames(seconds), models.MEL_BINS),)


def _tokens(batch: int, seconds: float) -> tuple[torch.Tensor, ...]:
    return (torch.randint(0, 128, (batch, max(2, round(seconds * CHARS_PER_AUDIO_S)))),)


def _chunk(model: nn.Module, args: tuple[torch.Tensor, ...]) -> object:
    assert isinstance(model, models.StreamingConformer)
    mel = args[0]
    _, state = model.forward_chunk(mel)  # the first chunk builds the carried context
    return model.forward_chunk(mel, state)


FAMILIES: dict[str, Family] = {
    "asr-streaming": Family(
        "asr-streaming",
        "Conformer-CTC (streaming, chunked attention)",
        models.StreamingConformer,
        _mel,
        _chunk,
        (1, 2, 4, 8, 16, 32),
        (0.1, 0.32, 0.64, 1.0),
    ),
    "asr-batch": Family(
        "asr-batch",
        "Whisper-tiny-like encoder-decoder, greedy, KV cache",
        models.EncoderDecoderASR,
        _mel,
        lambda m, a: m(*a, kv_cache=True),
        (1, 2, 4, 8),
        (1.0, 2.0, 5.0, 10.0),
    ),
    "asr-batch-nokv": Family(
        "asr-batch",
        "the same decoder without its KV cache",
        models.EncoderDecoderASR,
        _mel,
        lambda m, a: m(*a, kv_cache=False),
        (1, 2, 4, 8),
        (1.0, 2.0, 5.0, 10.0),
    ),
    "tts": Family(
        "tts",
        "FastSpeech-style acoustic model + HiFi-GAN-style vocoder (small)",
        lambda: models.TTS("small"),
        _tokens,
        lambda m, a: m(*a),
        (1, 2, 4),
        (0.5, 1.0, 2.0, 4.0),
    ),
    "tts-large": Family(
        "tts",
        "the same, large voice (HiFi-GAN V1 width)",
        lambda: models.TTS("large"),
        _tokens,
        lambda m, a: m(*a),
        (1, 2, 4),
        (0.5, 1.0, 2.0, 4.0),
    ),
    "embedding": Family(
        "embedding",
        "ECAPA-like speaker embedding",
        models.SpeakerEmbedder,
        _mel,
        lambda m, a: m(*a),
        (1, 2, 4, 8),
        (1.0, 2.0, 5.0, 10.0),
    ),
    "classifier": Family(
        "classifier",
        "PANNs-like audio tagging CNN",
        models.AudioClassifier,
        _mel,
        lambda m, a: m(*a),
        (1, 2, 4, 8, 16),
        (1.0, 2.0, 5.0, 10.0),
    ),
}

# published dense fp16 tensor peaks (TFLOP/s) and memory bandwidth (GB/s)
GPUS = {
    "gpu-t4": (65.0, 320.0),
    "gpu-l4": (121.0, 300.0),
    "gpu-a100": (312.0, 1555.0),
    "gpu-h100": (989.0, 3350.0),
}
COMPUTE_EFFICIENCY, MEMORY_EFFICIENCY, LAUNCH_MS = 0.35, 0.6, 2.0


def hardware() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        model = next(
            line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model}, torch threads {torch.get_num_threads()}"


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except OSError:
        return ""


def time_call(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    fn()  # warm-up: allocator, kernels, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    spread = statistics.pstdev(times) / median if median > 0 else 0.0
    return median * 1000.0, spread


def measure_family(
    name: str,
    batches: list[int] | None = None,
    lengths: list[float] | None = None,
    repeats: int = 3,
    threads: int = 2,
) -> LatencyProfile:
    spec = FAMILIES[name]
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = spec.build().eval()
    batches = batches or list(spec.batches)
    lengths = lengths or list(spec.lengths)
    grid, spreads = [], []
    with torch.inference_mode():
        for b in batches:
            row = []
            for length in lengths:
                args = spec.inputs(b, length)
                ms, cv = time_call(partial(spec.call, model, args), repeats)
                row.append(round(ms, 3))
                spreads.append(cv)
            grid.append(row)
    profile = LatencyProfile(
        name=name,
        family=spec.family,
        device="cpu",
        source="measured",
        model=spec.mirrors,
        version="1",
        precision="fp32",
        parameters=models.parameters(model),
        hardware=hardware(),
        libraries={"torch": torch.__version__},
        commit=commit(),
        created=date.today().isoformat(),
        note="measured by speechdrill profile",
        batch_sizes=batches,
        lengths=lengths,
        latency_ms=grid,
        spread_cv=round(float(np.median(spreads)), 4),
    )
    return profile.model_copy(update={"fit_error": fit_error(profile)})


def fit_error(profile: LatencyProfile) -> dict[str, float]:
    """Leave-one-out: predict each interior grid point from its neighbours by interpolation."""
    errors = []
    g = np.array(profile.latency_ms)
    b, length = np.array(profile.batch_sizes, float), np.array(profile.lengths, float)
    for i in range(1, len(b) - 1):
        for j in range(len(length)):
            predicted = np.interp(b[i], [b[i - 1], b[i + 1]], [g[i - 1, j], g[i + 1, j]])
            errors.append(abs(predicted - g[i, j]) / g[i, j])
    for i in range(len(b)):
        for j in range(1, len(length) - 1):
            predicted = np.interp(
                length[j], [length[j - 1], length[j + 1]], [g[i, j - 1], g[i, j + 1]]
            )
            errors.append(abs(predicted - g[i, j]) / g[i, j])
    if not errors:
        return {}
    return {
        "median_rel": round(float(np.median(errors)), 4),
        "worst_rel": round(float(np.max(errors)), 4),
    }


def roofline(
    name: str, device: str, batches: list[int] | None = None, lengths: list[float] | None = None
) -> LatencyProfile:
    """Estimated GPU profile: max(FLOPs / compute, bytes / bandwidth) + launch overhead."""
    from torch.utils.flop_counter import FlopCounterMode

    spec = FAMILIES[name]
    peak_tflops, bandwidth_gbs = GPUS[device]
    torch.manual_seed(0)
    model = spec.build().eval()
    weight_bytes = 2 * models.parameters(model)  # fp16 weights
    batches = batches or list(spec.batches)
    lengths = lengths or list(spec.lengths)
    grid = []
    with torch.inference_mode():
        for b in batches:
            row = []
            for length in lengths:
                args = spec.inputs(b, length)
                counter = FlopCounterMode(display=False)
                with counter:
                    out = spec.call(model, args)
                flops = counter.get_total_flops()
                moved = weight_bytes + 2 * sum(a.numel() for a in args) + _bytes(out)
                compute_ms = flops / (peak_tflops * 1e12 * COMPUTE_EFFICIENCY) * 1000
                memory_ms = moved / (bandwidth_gbs * 1e9 * MEMORY_EFFICIENCY) * 1000
                row.append(round(max(compute_ms, memory_ms) + LAUNCH_MS, 4))
            grid.append(row)
    return LatencyProfile(
        name=name,
        family=spec.family,
        device=device,
        source="roofline-estimate",
        model=spec.mirrors,
        version="1",
        precision="fp16",
        parameters=models.parameters(model),
        hardware=f"{device}: {peak_tflops:g} TFLOP/s, {bandwidth_gbs:g} GB/s (published peaks)",
        libraries={"torch": torch.__version__},
        commit=commit(),
        created=date.today().isoformat(),
        note=(
            f"ROOFLINE ESTIMATE, not a measurement: compute efficiency {COMPUTE_EFFICIENCY}, "
            f"memory efficiency {MEMORY_EFFICIENCY}, {LAUNCH_MS} ms launch overhead"
        ),
        batch_sizes=batches,
        lengths=lengths,
        latency_ms=grid,
        spread_cv=0.05,
    )


def _bytes(out: object) -> int:
    if isinstance(out, torch.Tensor):
        return 2 * out.numel()
    if isinstance(out, tuple | list):
        return sum(_bytes(o) for o in out)
    return 0
