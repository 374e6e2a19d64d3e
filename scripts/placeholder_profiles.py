"""Write the placeholder latency profiles shipped until the real backend measures them.

Placeholder numbers follow the torch CPU reference points in
shared/calibration/real-asr-measurements.md (2 threads, random weights): a 12-layer encoder
takes 56 ms on 10 s of audio at batch 1 with no per-item batching gain on CPU; a conformer
stack about 88 ms per item; a HiFi-GAN V1 vocoder about 190 ms per second of audio. GPU rows
scale the CPU cost by an assumed speed-up with sublinear batching. Every file says
`source: placeholder`; `speechdrill profile` replaces them with measured ones.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "simulator" / "data" / "profiles"
BATCHES = [1, 2, 4, 8, 16, 32]
LENGTHS = [1.0, 2.0, 5.0, 10.0, 20.0, 30.0]

# profile name: (family, per-item fixed ms, ms per audio second) on 2 CPU threads
CPU_COST = {
    # encoder 5.6 ms/s + ~3 tokens/s × 8 ms autoregressive decoding with a KV cache
    "asr-batch": ("asr-batch", 20.0, 5.6 + 24.0),
    # without the KV cache decoding is 2.0× slower at batch 1 (3.6× at batch 8, see GPU rows)
    "asr-batch-nokv": ("asr-batch", 20.0, 5.6 + 48.0),
    # beam search: decoder work grows with the beam (placeholder: +35% per doubling)
    "asr-batch-beam4": ("asr-batch", 20.0, 5.6 + 24.0 * 1.7),
    "asr-batch-beam8": ("asr-batch", 20.0, 5.6 + 24.0 * 2.3),
    "asr-streaming": ("asr-streaming", 5.0, 8.8),  # conformer stack ≈ 88 ms per 10 s item
    "tts": ("tts", 30.0, 190.0),  # acoustic model + HiFi-GAN V1 ≈ 190 ms per output second
    "tts-large": ("tts", 60.0, 600.0),  # a larger acoustic model and vocoder (new voice)
    "embedding": ("embedding", 5.0, 4.0),
    "classifier": ("classifier", 3.0, 2.0),
}
GPU_SPEEDUP = {"gpu-t4": 6.0, "gpu-l4": 10.0, "gpu-a100": 25.0, "gpu-h100": 40.0}
GPU_LAUNCH_MS = 4.0
BATCH_EXPONENT = 0.3  # GPU batch of b costs b**0.3 × a single item (placeholder guess)


def grid(name: str, device: str) -> list[list[float]]:
    _, fixed, per_s = CPU_COST[name]
    rows = []
    for b in BATCHES:
        row = []
        for length in LENGTHS:
            item = fixed + per_s * length
            if device == "cpu":
                row.append(round(b * item, 3))
            else:
                row.append(round(GPU_LAUNCH_MS + item / GPU_SPEEDUP[device] * b**BATCH_EXPONENT, 3))
        rows.append(row)
    return rows


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (family, _, _) in CPU_COST.items():
        for device in ["cpu", *GPU_SPEEDUP]:
            profile = {
                "name": name,
                "family": family,
                "device": device,
                "source": "placeholder",
                "model": f"placeholder {name} cost model",
                "version": "0",
                "hardware": "not measured",
                "created": "2026-11-25",
                "note": "PLACEHOLDER until real_backend measures this family; derived from "
                "shared/calibration/real-asr-measurements.md (see scripts/placeholder_profiles.py)",
                "length_unit": "audio_s",
                "batch_sizes": BATCHES,
                "lengths": LENGTHS,
                "latency_ms": grid(name, device),
                "spread_cv": 0.05,
            }
            path = OUT / f"placeholder-{name}@{device}.json"
            path.write_text(json.dumps(profile, indent=1) + "\n")


if __name__ == "__main__":
    main()
