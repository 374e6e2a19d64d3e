"""Seeded random streams. Each consumer gets its own Generator keyed by stable names,
so the draws of one part of the model never shift when another part changes."""

from __future__ import annotations

import zlib

import numpy as np


def stream_rng(seed: int, *key: str | int) -> np.random.Generator:
    spawn_key = tuple(zlib.crc32(str(k).encode()) for k in key)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=spawn_key)))
