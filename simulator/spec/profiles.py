"""Latency profiles: measured (or estimated) service time by batch size × input length.

The simulator never invents a service time: it interpolates a profile that the real
backend measured, or that was estimated for an absent device. Each profile says which
(`source`), on what hardware and with which library versions.
"""

from __future__ import annotations

import json
import math
import warnings
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.errors import InputError
from simulator.spec.fleet import Family

PROFILE_DIR = Path(__file__).parents[1] / "data" / "profiles"
# How far past the measured grid (as a multiple of its largest value) we extrapolate
# before warning the user that the numbers are guesses.
EXTRAPOLATION_WARN_FACTOR = 1.5


class ProfileExtrapolationWarning(UserWarning):
    pass


class LatencyProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    family: Family | Literal["preprocess"]
    device: str
    source: Literal["measured", "roofline-estimate", "placeholder", "synthetic"]
    model: str = ""
    version: str = "1"
    precision: str = "fp32"
    parameters: int | None = None
    hardware: str = ""
    libraries: dict[str, str] = Field(default_factory=dict)
    commit: str = ""
    created: str = ""
    note: str = ""
    length_unit: Literal["audio_s", "tokens"] = "audio_s"
    batch_sizes: list[int] = Field(min_length=1)
    lengths: list[float] = Field(min_length=1)
    latency_ms: list[list[float]] = Field(description="[batch index][length index], median")
    spread_cv: float = Field(0.05, ge=0, description="measured CV of latency around median")
    idle_penalty_ms: float = Field(
        0.0,
        ge=0,
        description="extra time of a batch started on a replica long idle (caches and "
        "clocks gone cold): penalty × (1 − exp(−idle / idle_tau_ms))",
    )
    idle_tau_ms: float = Field(50.0, gt=0, description="idle time constant of the penalty")
    first_chunk_ms: float | None = None
    memory_mb: dict[str, float] = Field(default_factory=dict)
    fit_error: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _grid_shape(self) -> LatencyProfile:
        if sorted(self.batch_sizes) != self.batch_sizes or sorted(self.lengths) != self.lengths:
            raise ValueError("batch_sizes and lengths must be ascending")
        if len(self.latency_ms) != len(self.batch_sizes) or any(
            len(row) != len(self.lengths) for row in self.latency_ms
        ):
            raise ValueError("latency_ms must be a batch_sizes × lengths grid")
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.device)


def _bracket(grid: list[float], x: float) -> tuple[int, float]:
    """Index of the left grid point and the fraction toward the right one (may be <0, >1)."""
    if len(grid) == 1:
        return 0, 0.0
    i = min(max(bisect_right(grid, x) - 1, 0), len(grid) - 2)
    return i, (x - grid[i]) / (grid[i + 1] - grid[i])


class ServiceTimeModel:
    """Bilinear interpolation of one profile, linear extrapolation past its edges."""

    def __init__(self, profile: LatencyProfile) -> None:
        self.profile = profile
        self._batches = [float(b) for b in profile.batch_sizes]
        self._lengths = list(profile.lengths)
        self._grid = profile.latency_ms
        self._warned = False
        # past these a service time is a guess worth a warning (a dimension with one grid
        # point is declared constant, not extrapolated)
        far = EXTRAPOLATION_WARN_FACTOR
        self._far_batch = self._batches[-1] * far if len(self._batches) > 1 else math.inf
        self._far_length = self._lengths[-1] * far if len(self._lengths) > 1 else math.inf

    def latency_s(self, batch: int, length: float) -> float:
        return self.latency_ms(float(batch), float(length)) / 1000.0

    def idle_penalty_s(self, idle_s: float) -> float:
        """What a batch pays for starting on a replica that sat idle `idle_s` seconds."""
        p = self.profile
        return p.idle_penalty_ms / 1000.0 * -math.expm1(-idle_s * 1000.0 / p.idle_tau_ms)

    def latency_ms(self, batch: float, length: float) -> float:
        if (batch > self._far_batch or length > self._far_length) and not self._warned:
            self._warn(batch, length)
        bi, bf = _bracket(self._batches, batch)
        li, lf = _bracket(self._lengths, length)
        g = self._grid
        b1 = min(bi + 1, len(self._batches) - 1)
        l1 = min(li + 1, len(self._lengths) - 1)
        top = g[bi][li] + (g[bi][l1] - g[bi][li]) * lf
        bottom = g[b1][li] + (g[b1][l1] - g[b1][li]) * lf
        return max(top + (bottom - top) * bf, 1e-6)

    def _warn(self, batch: float, length: float) -> None:
        self._warned = True
        warnings.warn(
            f"profile {self.profile.name}@{self.profile.device}: extrapolating to "
            f"batch {batch:g}, length {length:g} {self.profile.length_unit}, far outside "
            f"the measured grid (batch ≤ {self._batches[-1]:g}, length ≤ "
            f"{self._lengths[-1]:g}); service times there are guesses",
            ProfileExtrapolationWarning,
            stacklevel=3,
        )


SOURCE_RANK = {"placeholder": 0, "roofline-estimate": 1, "synthetic": 2, "measured": 3}


class ProfileLibrary:
    """Profiles by (name, device), loaded from the shipped folder plus extra folders. For one
    (name, device), a measurement beats an estimate, which beats a placeholder; between
    equals, the later one (a user's folder) wins."""

    def __init__(self, profiles: list[LatencyProfile]) -> None:
        self._by_key: dict[tuple[str, str], LatencyProfile] = {}
        for p in profiles:
            self.add(p)

    @classmethod
    def load(cls, extra_dirs: list[Path] | None = None) -> ProfileLibrary:
        files = sorted(PROFILE_DIR.glob("*.json"))
        for d in extra_dirs or []:
            files += sorted(Path(d).glob("*.json"))
        return cls([load_profile(f) for f in files])

    def add(self, profile: LatencyProfile) -> None:
        held = self._by_key.get(profile.key)
        if held is None or SOURCE_RANK[profile.source] >= SOURCE_RANK[held.source]:
            self._by_key[profile.key] = profile

    def all(self) -> list[LatencyProfile]:
        return sorted(self._by_key.values(), key=lambda p: (p.family, p.name, p.device))

    def has(self, name: str, device: str) -> bool:
        return (name, device) in self._by_key

    def get(self, name: str, device: str) -> LatencyProfile:
        try:
            return self._by_key[(name, device)]
        except KeyError:
            have = sorted(f"{n}@{d}" for n, d in self._by_key if n == name) or sorted(
                {n for n, _ in self._by_key}
            )
            raise KeyError(
                f"no latency profile {name!r} for device {device!r}; available: {have}"
            ) from None


def load_profile(path: Path) -> LatencyProfile:
    try:
        data = json.loads(path.read_text())
        return LatencyProfile.model_validate(data)
    except (json.JSONDecodeError, ValueError) as exc:
        raise InputError(str(path), "", f"not a valid latency profile: {exc}") from None


@lru_cache(maxsize=1)
def shipped_library() -> ProfileLibrary:
    return ProfileLibrary.load()
