"""Measure the reference models into latency profiles; estimate absent GPUs by roofline.

    profile = measure_family("asr-batch", batches=[1, 2, 4], lengths=[1, 2, 5])

Every grid point is warmed up, then timed `repeats` times; the median is the profile value
and the spread (CV) is kept. GPU rows for devices not present count the FLOPs of the same
forward pass (torch.utils.flop_counter) and the bytes of weights and activations, divided by
published peaks with stated efficiency factors: `source: roofline-estimate`.
"""

from __future__ import annotations

import io
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from real_backend import models, preprocess
from simulator.spec.profiles import LatencyProfile

ASR_LENGTHS = (1.0, 5.0, 10.0, 30.0)  # seconds of audio: up to Whisper's 30 s window
TTS_LENGTHS = (0.5, 1.0, 2.0, 4.0, 12.0)  # seconds of synthesised audio
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
    precision: str = "fp32"
    on_gpu: bool = True  # False: runs on the host only (preprocess, dynamic int8)
    size: Callable[[float], int] = models.mel_frames  # input positions for a length

    def inputs_size(self, length: float) -> int:
        return self.size(length)


def _mel(batch: int, seconds: float) -> tuple[torch.Tensor, ...]:
    return (torch.randn(batch, models.mel_frames(seconds), models.MEL_BINS),)


def _token_count(seconds: float) -> int:
    return max(2, round(seconds * CHARS_PER_AUDIO_S))


def _tokens(batch: int, seconds: float) -> tuple[torch.Tensor, ...]:
    return (torch.randint(0, 128, (batch, _token_count(seconds))),)


def _samples_8k(seconds: float) -> int:
    return round(seconds * 8000)


def _wave_8k(batch: int, seconds: float) -> tuple[torch.Tensor, ...]:
    return (0.1 * torch.randn(batch, _samples_8k(seconds)),)


def int8_asr() -> nn.Module:
    from torch.ao.quantization import quantize_dynamic

    model = quantize_dynamic(models.EncoderDecoderASR().eval(), {nn.Linear}, dtype=torch.qint8)
    # torch's fused encoder fast path cannot take packed int8 weights; any attached hook
    # makes the layer take its regular (quantised-aware) path instead
    for layer in model.encoder.layers:
        layer.register_forward_pre_hook(lambda *_: None)
    return model


def _chunk(model: nn.Module, args: tuple[torch.Tensor, ...]) -> object:
    assert isinstance(model, models.StreamingConformer)
    mel = args[0]
    _, state = model.forward_chunk(mel)  # the first chunk builds the carried context
    return model.forward_chunk(mel, state)


def _beam_search(beam: int) -> Family:
    return Family(
        "asr-batch",
        f"the same model, beam search of {beam} with the KV cache",
        models.EncoderDecoderASR,
        _mel,
        lambda m, a: m(*a, beam=beam),
        (1, 2, 4, 8),
        ASR_LENGTHS,
    )


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
        ASR_LENGTHS,
    ),
    "asr-batch-nokv": Family(
        "asr-batch",
        "the same decoder without its KV cache",
        models.EncoderDecoderASR,
        _mel,
        lambda m, a: m(*a, kv_cache=False),
        (1, 2, 4, 8),
        ASR_LENGTHS,
    ),
    "asr-batch-beam4": _beam_search(4),
    "asr-batch-beam8": _beam_search(8),
    "asr-batch-int8": Family(
        "asr-batch",
        "the same model, int8 dynamic quantisation of every Linear layer",
        int8_asr,
        _mel,
        lambda m, a: m(*a, kv_cache=True),
        (1, 2, 4, 8),
        ASR_LENGTHS,
        precision="int8",
        on_gpu=False,
    ),
    "tts": Family(
        "tts",
        "FastSpeech-style acoustic model + HiFi-GAN-style vocoder (small)",
        lambda: models.TTS("small"),
        _tokens,
        lambda m, a: m(*a),
        (1, 2, 4),
        TTS_LENGTHS,
        size=_token_count,
    ),
    "tts-large": Family(
        "tts",
        "the same, large voice (HiFi-GAN V1 width)",
        lambda: models.TTS("large"),
        _tokens,
        lambda m, a: m(*a),
        (1, 2, 4),
        TTS_LENGTHS,
        size=_token_count,
    ),
    "embedding": Family(
        "embedding",
        "ECAPA-like speaker embedding",
        models.SpeakerEmbedder,
        _mel,
        lambda m, a: m(*a),
        (1, 2, 4, 8, 16),
        ASR_LENGTHS,
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
    "preprocess": Family(
        "preprocess",
        "8 kHz → 16 kHz sinc resampling, loudness normalisation, log-mel, energy VAD",
        preprocess.Preprocessor,
        _wave_8k,
        lambda m, a: m(*a, rate=8000),
        (1, 4, 16),
        (1.0, 5.0, 10.0, 30.0),
        on_gpu=False,
        size=_samples_8k,
    ),
}

# published dense fp16 tensor peaks (TFLOP/s) and memory bandwidth (GB/s)
GPUS = {
    "gpu-t4": (65.0, 320.0),
    "gpu-l4": (121.0, 300.0),
    "gpu-a100": (312.0, 1555.0),
    "gpu-h100": (989.0, 3350.0),
}
# Stated assumptions of the estimate: the fraction of peak an eager PyTorch forward reaches,
# the host cost of dispatching and launching one op (eager mode, no CUDA graphs), and a
# fixed request overhead (host↔device copies, synchronisation).
COMPUTE_EFFICIENCY, MEMORY_EFFICIENCY = 0.35, 0.6
LAUNCH_US, FIXED_MS = 8.0, 0.5


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


IDLE_GAPS_S = (0.0, 0.01, 0.03, 0.1, 0.3)  # idle before a call; the last counts as cold


def measure_idle_penalty(
    name: str, length: float, threads: int = 1, rounds: int = 20, seed: int = 0
) -> tuple[float, float]:
    """(penalty ms, time constant ms) of a batch of one started after the process sat idle.

    A core left idle loses its caches and clock speed; the next call pays for it (on a
    2-core VM about 2 ms after 100 ms idle: 20% of a short batch). Gaps are interleaved in
    a seeded order so drift touches every gap alike; a gap of 0 is a call back to back."""
    spec = FAMILIES[name]
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = spec.build().eval()
    args = spec.inputs(1, length)
    rng = np.random.default_rng(seed)
    times: dict[float, list[float]] = {g: [] for g in IDLE_GAPS_S}
    with torch.inference_mode():
        spec.call(model, args)
        for _ in range(rounds):
            for gap in rng.permutation(IDLE_GAPS_S):
                time.sleep(float(gap))
                start = time.perf_counter()
                spec.call(model, args)
                times[float(gap)].append((time.perf_counter() - start) * 1000.0)
    return fit_idle_penalty({g: float(np.median(v)) for g, v in times.items()})


def fit_idle_penalty(median_ms: dict[float, float]) -> tuple[float, float]:
    """Penalty = the longest gap's median over the back-to-back one; the time constant from
    the gaps in between, each solving penalty × (1 − exp(−gap/τ)) = its own excess."""
    gaps = sorted(median_ms)
    base, longest = median_ms[gaps[0]], gaps[-1]
    penalty = median_ms[longest] - base
    if penalty <= 0:
        return 0.0, 50.0
    taus = []
    for gap in gaps[1:-1]:
        share = (median_ms[gap] - base) / penalty
        if 0.05 < share < 0.95:
            taus.append(-gap * 1000.0 / float(np.log1p(-share)))
    return round(penalty, 3), round(float(np.median(taus)) if taus else 50.0, 1)


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
        largest = spec.inputs(batches[-1], lengths[-1])
        memory = {
            "parameters": round(parameter_bytes(model) / 1e6, 3),
            "activations_peak": round(peak_activation_bytes(spec, model, largest) / 1e6, 3),
            **kv_cache_memory(model, lengths[-1]),
        }
        first_chunk = first_chunk_ms(spec, model, lengths[0], repeats)
    profile = LatencyProfile(
        name=name,
        family=spec.family,
        device="cpu",
        source="measured",
        model=spec.mirrors,
        version="1",
        precision=spec.precision,
        parameters=count_parameters(model),
        hardware=hardware(),
        libraries={"torch": torch.__version__},
        commit=commit(),
        created=date.today().isoformat(),
        note="measured by speechdrill profile; memory_mb: parameters, peak activations at the "
        "largest grid point, KV cache per session at the longest length",
        batch_sizes=batches,
        lengths=lengths,
        latency_ms=grid,
        spread_cv=round(float(np.median(spreads)), 4),
        first_chunk_ms=first_chunk,
        memory_mb=memory,
    )
    return profile.model_copy(update={"fit_error": fit_error(profile)})


def parameter_bytes(model: nn.Module) -> int:
    """Bytes of the weights as stored (packed int8 weights count one byte each)."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def peak_activation_bytes(spec: Family, model: nn.Module, args: tuple[torch.Tensor, ...]) -> int:
    """Peak bytes held by tensors allocated during one call (torch's memory profiler:
    each op's own allocations and the frees, summed in time order)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        spec.call(model, args)
    changes = sorted(
        (
            e.time_range.start,
            e.cpu_memory_usage if e.name == "[memory]" else e.self_cpu_memory_usage,
        )
        for e in prof.events()
    )
    held = peak = 0
    for _, change in changes:
        held += change
        peak = max(peak, held)
    return peak


def kv_cache_memory(model: nn.Module, audio_s: float) -> dict[str, float]:
    """The decoder's cache for one session: each layer keeps one d-wide row per token."""
    if not isinstance(model, models.EncoderDecoderASR):
        return {}
    tokens = max(1, round(audio_s * models.TOKENS_PER_AUDIO_S))
    width = model.embed.embedding_dim
    return {"kv_cache_per_session": round(len(model.layers) * tokens * width * 4 / 1e6, 4)}


def first_chunk_ms(spec: Family, model: nn.Module, length: float, repeats: int) -> float | None:
    """Time to the first output a user hears or sees, at batch 1: a streaming model's first
    chunk (no carried context yet), or a TTS model's first release unit."""
    if isinstance(model, models.StreamingConformer):
        mel = spec.inputs(1, length)[0]
        ms, _ = time_call(lambda: model.forward_chunk(mel), repeats)
        return round(ms, 3)
    if isinstance(model, models.TTS):
        args = spec.inputs(1, length)
        ms, _ = time_call(lambda: spec.call(model, args), repeats)
        return round(ms, 3)
    return None


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


@dataclass
class Traffic:
    """What one forward pass does to the device: kernel launches and bytes moved."""

    launches: int = 0
    bytes_moved: int = 0


class _TrafficCounter(TorchDispatchMode):
    """Counts every aten op a forward pass dispatches (each one is a kernel launch on a GPU,
    in eager mode) and the bytes it reads and writes at fp16: weights are charged at every
    use, so an autoregressive decoder pays them once per step. Views move nothing."""

    def __init__(self, traffic: Traffic) -> None:
        super().__init__()
        self.traffic = traffic

    def __torch_dispatch__(
        self,
        func: torch._ops.OpOverload,
        types: object,
        args: tuple[object, ...] = (),
        kwargs: dict[str, object] | None = None,
    ) -> object:
        out = func(*args, **(kwargs or {}))
        if not func.is_view:
            tensors = tree_flatten((args, kwargs, out))[0]
            self.traffic.launches += 1
            self.traffic.bytes_moved += sum(
                2 * t.numel() for t in tensors if isinstance(t, torch.Tensor)
            )
        return out


def count_work(
    spec: Family, batches: list[int], lengths: list[float]
) -> tuple[list[list[tuple[float, Traffic]]], int]:
    """FLOPs and traffic of one forward per grid point, traced on the meta device (shapes
    only, no arithmetic), and the parameter count."""
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    with torch.device("meta"), torch.inference_mode():
        model = spec.build().eval()
        work = []
        for b in batches:
            row = []
            for length in lengths:
                args = spec.inputs(b, length)
                traffic, counter = Traffic(), FlopCounterMode(display=False)
                with counter, _TrafficCounter(traffic):
                    spec.call(model, args)
                row.append((float(counter.get_total_flops()), traffic))
            work.append(row)
        return work, count_parameters(model)


def roofline(
    name: str,
    devices: list[str] | None = None,
    batches: list[int] | None = None,
    lengths: list[float] | None = None,
) -> list[LatencyProfile]:
    """Estimated GPU profiles, one per device: per grid point max(FLOPs / compute, bytes /
    bandwidth) + launches × launch cost + a fixed request overhead."""
    spec = FAMILIES[name]
    batches = batches or list(spec.batches)
    lengths = lengths or list(spec.lengths)
    work, parameters = count_work(spec, batches, lengths)
    profiles = []
    for device in devices or list(GPUS):
        peak_tflops, bandwidth_gbs = GPUS[device]
        profiles.append(
            LatencyProfile(
                name=name,
                family=spec.family,
                device=device,
                source="roofline-estimate",
                model=spec.mirrors,
                version="1",
                precision="fp16",
                parameters=parameters,
                hardware=f"{device}: {peak_tflops:g} TFLOP/s, {bandwidth_gbs:g} GB/s "
                "(published peaks)",
                libraries={"torch": torch.__version__},
                commit=commit(),
                created=date.today().isoformat(),
                note=(
                    f"ROOFLINE ESTIMATE, not a measurement: compute efficiency "
                    f"{COMPUTE_EFFICIENCY}, memory efficiency {MEMORY_EFFICIENCY}, "
                    f"{LAUNCH_US:g} µs per kernel launch, {FIXED_MS:g} ms per request"
                ),
                batch_sizes=batches,
                lengths=lengths,
                latency_ms=[[estimate_ms(*point, device) for point in row] for row in work],
                spread_cv=0.05,
            )
        )
    return profiles


def estimate_ms(flops: float, traffic: Traffic, device: str) -> float:
    peak_tflops, bandwidth_gbs = GPUS[device]
    compute_ms = flops / (peak_tflops * 1e9 * COMPUTE_EFFICIENCY)
    memory_ms = traffic.bytes_moved / (bandwidth_gbs * 1e6 * MEMORY_EFFICIENCY)
    launch_ms = traffic.launches * LAUNCH_US / 1000
    return round(max(compute_ms, memory_ms) + launch_ms + FIXED_MS, 4)


def count_parameters(model: nn.Module) -> int:
    """Parameters, including the packed weights of dynamically quantised Linear layers."""
    total = models.parameters(model)
    for module in model.modules():
        weight: Any = getattr(module, "weight", None)
        if callable(weight) and not isinstance(weight, torch.Tensor):
            total += weight().numel()
            packed_bias: Any = module.bias  # a method on quantised layers
            bias = packed_bias()
            total += 0 if bias is None else bias.numel()
    return total
