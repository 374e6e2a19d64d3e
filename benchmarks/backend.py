"""Backend ratios on this CPU (needs the `backend` extra): KV-cache speed-up, int8 vs fp32
latency and weight bytes, and the per-item batching gain of every family. Each ratio is
timed in interleaved rounds in one run, so machine noise hits both sides alike."""

from __future__ import annotations

from functools import partial
from typing import Any

from benchmarks.run import best_of


def backend_ratios(repeats: int = 3) -> dict[str, Any]:
    import torch

    from real_backend import models
    from real_backend.profiler import int8_asr, parameter_bytes

    torch.manual_seed(0)
    torch.set_num_threads(2)
    asr = models.EncoderDecoderASR().eval()
    int8 = int8_asr()
    results: dict[str, Any] = {"threads": 2}
    with torch.inference_mode():
        for batch in (1, 8):
            mel = torch.randn(batch, models.mel_frames(10.0), models.MEL_BINS)
            cached, uncached, quantised = best_of(
                partial(asr, mel, kv_cache=True),
                partial(asr, mel, kv_cache=False),
                partial(int8, mel, kv_cache=True),
                repeats=repeats,
            )
            results[f"kv_cache_speedup_b{batch}_10s"] = uncached / cached
            results[f"int8_speedup_b{batch}_10s"] = cached / quantised
        results["int8_weight_bytes_ratio"] = parameter_bytes(int8) / parameter_bytes(asr)
        families = ("asr-batch", "asr-streaming", "tts", "embedding", "classifier")
        results["batching_gain_b8"] = {name: batching_gain(name, repeats) for name in families}
    return results


def batching_gain(name: str, repeats: int, batch: int = 8) -> float:
    """Items per second at batch 8 over items per second at batch 1, mid-grid length."""
    import torch

    from real_backend.profiler import FAMILIES

    spec = FAMILIES[name]
    torch.manual_seed(0)
    model = spec.build().eval()
    length = spec.lengths[len(spec.lengths) // 2]
    one, many = spec.inputs(1, length), spec.inputs(batch, length)
    t1, tb = best_of(
        partial(spec.call, model, one), partial(spec.call, model, many), repeats=repeats
    )
    return batch * t1 / tb
