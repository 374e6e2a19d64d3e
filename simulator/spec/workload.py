"""Workloads: who sends what, when — turned into arrays of requests before the run.

Arrival processes: Poisson, diurnal (sinusoid), piecewise-linear rate, a bursty
Markov-modulated Poisson process (MMPP), and replay of a real arrival trace. Every request
carries its kind, tenant, audio duration, language, device/firmware cohort and slice. All
randomness flows from numpy Generators keyed by the stream's position, so adding a stream
never changes the requests of another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from simulator.rng import stream_rng
from simulator.spec.fleet import FAMILIES, Family, NonNeg, Pos, Strict
from simulator.spec.traces import TraceArrivals, trace_arrivals


class PoissonArrivals(Strict):
    process: Literal["poisson"]
    rate_per_s: Pos


class DiurnalArrivals(Strict):
    """rate(t) = mean · (1 + amplitude · sin(2π (t + phase) / period))."""

    process: Literal["diurnal"]
    mean_rate_per_s: Pos
    amplitude: float = Field(0.5, ge=0, le=1)
    period_s: Pos = 86_400.0
    phase_s: float = 0.0


class PiecewiseArrivals(Strict):
    """Rate interpolated linearly between (t_s, rate_per_s) points, flat past the ends."""

    process: Literal["piecewise"]
    points: list[tuple[NonNeg, NonNeg]] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> PiecewiseArrivals:
        times = [t for t, _ in self.points]
        if times != sorted(times):
            raise ValueError("points must be in ascending time order")
        return self


class MMPPArrivals(Strict):
    """Markov-modulated Poisson: state i emits at rates_per_s[i] for an exponential dwell
    with mean mean_dwell_s[i], then jumps to a uniformly chosen other state."""

    process: Literal["mmpp"]
    rates_per_s: list[NonNeg] = Field(min_length=2)
    mean_dwell_s: list[Pos] = Field(min_length=2)

    @model_validator(mode="after")
    def _same_length(self) -> MMPPArrivals:
        if len(self.rates_per_s) != len(self.mean_dwell_s):
            raise ValueError("rates_per_s and mean_dwell_s need one entry per state")
        return self


Arrivals = Annotated[
    PoissonArrivals | DiurnalArrivals | PiecewiseArrivals | MMPPArrivals | TraceArrivals,
    Field(discriminator="process"),
]


class DurationDist(Strict):
    """Audio seconds per request (for TTS: seconds of audio to synthesise)."""

    dist: Literal["lognormal", "uniform", "fixed"] = "lognormal"
    median_s: Pos = 6.0
    sigma: NonNeg = Field(0.6, description="log-normal shape")
    min_s: Pos = 0.5
    max_s: Pos = 30.0
    from_trace_column: str | None = Field(
        None,
        description="rank-map this trace column onto the distribution (trace arrivals only)",
    )

    @model_validator(mode="after")
    def _bounds(self) -> DurationDist:
        if self.min_s > self.max_s:
            raise ValueError("min_s must not exceed max_s")
        return self


Weights = dict[str, NonNeg]


class Stream(Strict):
    name: str = Field(min_length=1)
    kind: Family
    arrivals: Arrivals
    audio_s: DurationDist = DurationDist()
    tenants: Weights = Field(default_factory=lambda: {"default": 1.0})
    languages: Weights = Field(default_factory=lambda: {"en": 1.0})
    cohorts: Weights = Field(default_factory=lambda: {"default": 1.0})
    slices: Weights = Field(default_factory=lambda: {"general": 1.0})
    invalid_fraction: float = Field(0.0, ge=0, le=1, description="malformed payloads")

    @model_validator(mode="after")
    def _weights(self) -> Stream:
        for field in ("tenants", "languages", "cohorts", "slices"):
            weights: Weights = getattr(self, field)
            if not weights or sum(weights.values()) <= 0:
                raise ValueError(f"{field}: needs at least one label with a positive weight")
        if self.audio_s.from_trace_column and not isinstance(self.arrivals, TraceArrivals):
            raise ValueError("audio_s.from_trace_column needs trace arrivals")
        return self


class Workload(Strict):
    streams: list[Stream] = Field(min_length=1)


@dataclass
class RequestArrays:
    """Every request of a run, sorted by arrival. Labels are codes into the vocabularies."""

    arrival_s: np.ndarray  # float64
    stream: np.ndarray  # int16
    kind: np.ndarray  # int8, into FAMILIES
    tenant: np.ndarray  # int16, into vocab["tenant"]
    language: np.ndarray
    cohort: np.ndarray
    slice: np.ndarray
    audio_s: np.ndarray  # float64
    invalid: np.ndarray  # bool
    # per-request uniforms drawn up front (common random numbers across what-if runs)
    u_route: np.ndarray  # routing splits and canaries
    u_mirror: np.ndarray  # shadow mirroring
    u_jitter: np.ndarray  # retry backoff jitter
    u_quality: np.ndarray  # user corrections, quality noise
    vocab: dict[str, list[str]]

    def __len__(self) -> int:
        return len(self.arrival_s)


# --- arrival processes -----------------------------------------------------------------


def poisson_times(rate: float, duration_s: float, rng: np.random.Generator) -> np.ndarray:
    n = rng.poisson(rate * duration_s)
    return np.sort(rng.uniform(0.0, duration_s, size=n))


def thinned_times(
    rate_fn: object, rate_max: float, duration_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Non-homogeneous Poisson by thinning (Lewis & Shedler)."""
    candidates = poisson_times(rate_max, duration_s, rng)
    keep = rng.uniform(0.0, rate_max, size=len(candidates)) < rate_fn(candidates)  # type: ignore[operator]
    return candidates[keep]


def diurnal_times(spec: DiurnalArrivals, duration_s: float, rng: np.random.Generator) -> np.ndarray:
    def rate(t: np.ndarray) -> np.ndarray:
        angle = 2 * np.pi * (t + spec.phase_s) / spec.period_s
        return spec.mean_rate_per_s * (1 + spec.amplitude * np.sin(angle))

    return thinned_times(rate, spec.mean_rate_per_s * (1 + spec.amplitude), duration_s, rng)


def piecewise_times(
    spec: PiecewiseArrivals, duration_s: float, rng: np.random.Generator
) -> np.ndarray:
    ts = np.array([p[0] for p in spec.points])
    rs = np.array([p[1] for p in spec.points])
    rate_max = float(rs.max())
    if rate_max <= 0:
        return np.empty(0)
    return thinned_times(lambda t: np.interp(t, ts, rs), rate_max, duration_s, rng)


def mmpp_times(spec: MMPPArrivals, duration_s: float, rng: np.random.Generator) -> np.ndarray:
    n_states = len(spec.rates_per_s)
    state = int(rng.integers(n_states))
    t = 0.0
    chunks = []
    while t < duration_s:
        dwell = min(rng.exponential(spec.mean_dwell_s[state]), duration_s - t)
        chunks.append(t + poisson_times(spec.rates_per_s[state], dwell, rng))
        t += dwell
        state = (state + 1 + int(rng.integers(n_states - 1))) % n_states
    return np.concatenate(chunks) if chunks else np.empty(0)


# --- labels and durations --------------------------------------------------------------


def draw_labels(weights: Weights, n: int, rng: np.random.Generator, vocab: list[str]) -> np.ndarray:
    names = list(weights)
    for name in names:
        if name not in vocab:
            vocab.append(name)
    p = np.array([weights[k] for k in names], dtype=float)
    picks = rng.choice(len(names), size=n, p=p / p.sum())
    lookup = np.array([vocab.index(k) for k in names], dtype=np.int16)
    return lookup[picks]


def draw_durations(
    spec: DurationDist, n: int, rng: np.random.Generator, ranks: np.ndarray | None = None
) -> np.ndarray:
    """Draw n durations; with `ranks` (uniform scores in (0,1)), map them by quantile."""
    from scipy.special import ndtri  # inverse standard normal CDF

    u = ranks if ranks is not None else rng.uniform(size=n)
    if spec.dist == "fixed":
        out = np.full(n, spec.median_s)
    elif spec.dist == "uniform":
        out = spec.min_s + u * (spec.max_s - spec.min_s)
    else:
        out = spec.median_s * np.exp(spec.sigma * ndtri(np.clip(u, 1e-9, 1 - 1e-9)))
    return np.clip(out, spec.min_s, spec.max_s)


def generate(workload: Workload, duration_s: float, seed: int, base_dir: Path) -> RequestArrays:
    """All requests of a run, merged over streams and sorted by arrival time."""

    vocab: dict[str, list[str]] = {"tenant": [], "language": [], "cohort": [], "slice": []}
    parts: list[dict[str, np.ndarray]] = []
    for index, stream in enumerate(workload.streams):
        rng = stream_rng(seed, "workload", index)
        spec = stream.arrivals
        ranks = None
        if isinstance(spec, TraceArrivals):
            times, columns = trace_arrivals(spec, duration_s, rng, base_dir)
            col = stream.audio_s.from_trace_column
            if col is not None:
                if col not in columns:
                    raise ValueError(f"trace has no column {col!r}; it has {sorted(columns)}")
                ranks = rank_scores(columns[col])
        elif isinstance(spec, PoissonArrivals):
            times = poisson_times(spec.rate_per_s, duration_s, rng)
        elif isinstance(spec, DiurnalArrivals):
            times = diurnal_times(spec, duration_s, rng)
        elif isinstance(spec, PiecewiseArrivals):
            times = piecewise_times(spec, duration_s, rng)
        else:
            times = mmpp_times(spec, duration_s, rng)
        n = len(times)
        parts.append(
            {
                "arrival_s": times.astype(np.float64),
                "stream": np.full(n, index, dtype=np.int16),
                "kind": np.full(n, FAMILIES.index(stream.kind), dtype=np.int8),
                "tenant": draw_labels(stream.tenants, n, rng, vocab["tenant"]),
                "language": draw_labels(stream.languages, n, rng, vocab["language"]),
                "cohort": draw_labels(stream.cohorts, n, rng, vocab["cohort"]),
                "slice": draw_labels(stream.slices, n, rng, vocab["slice"]),
                "audio_s": draw_durations(stream.audio_s, n, rng, ranks),
                "invalid": rng.uniform(size=n) < stream.invalid_fraction,
                "u_route": rng.uniform(size=n),
                "u_mirror": rng.uniform(size=n),
                "u_jitter": rng.uniform(size=n),
                "u_quality": rng.uniform(size=n),
            }
        )
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(merged["arrival_s"], kind="stable")
    return RequestArrays(**{k: v[order] for k, v in merged.items()}, vocab=vocab)


def rank_scores(values: np.ndarray) -> np.ndarray:
    """Map values to (0,1) by rank (ties broken by order) — the trace→duration mapping."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = (np.arange(len(values)) + 0.5) / max(len(values), 1)
    return ranks
