"""Calibration: serve loads of their own (never an evaluated run) and fit what serving
shows: every served shape's time (`shape_grid`), the idle penalty serving pays, the spread
around the fit, the capacity the evaluated loads are fractions of, and the host's drift."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from real_backend.fidelity.cases import Case, capacity, model_times, requests_for
from real_backend.fidelity.host_speed import (
    SPEED_WINDOW_S,
    DriftFit,
    host_drift,
    within_window_cv,
)
from real_backend.fidelity.serving import probed_replay, throughput
from real_backend.server import Records
from simulator.spec.fleet import bucket_grid, padded_length
from simulator.spec.profiles import LatencyProfile, ServiceTimeModel

HOST_TRACE_S = 60.0  # of back-to-back batches, to see the host's speed wander
CALIBRATION_LOAD = 0.5  # of the isolated profile's capacity
BURSTS_PER_SIZE = 12
SATURATION_BATCHES = 40
MIN_BATCHES_PER_SIZE = 8
IDLE_TIMES_S = np.geomspace(0.002, 2.0, 48)  # penalty time constants tried
PRIOR_BATCHES = 4  # how many served batches the affine fit counts for in a shape's time


@dataclass(frozen=True)
class Calibration:
    """What calibration measured for one family: shared by every load's row."""

    capacity_per_s: float  # the real server's throughput on a backlog of full batches
    model_capacity_per_s: float  # the fitted model's capacity, beside it
    probe_ms: float  # the speed probe at the calibration runs' mean speed
    serving_cv: float  # served batch times around their shape's fitted time
    serving_cv_within_window: float  # the same around each SPEED_WINDOW_S window's speed
    noise_cv_beyond_drift: float  # serving_cv less the host's drift: per-batch noise
    idle_penalty_ms: float  # what serving pays after idling (fitted to served batches)
    idle_tau_ms: float
    idle_penalty_ms_isolated: float  # the profiler's, on an isolated replica
    idle_tau_ms_isolated: float
    size_scale: tuple[float, ...]  # per batch size 1..max_batch: served ≈ scale × isolated
    size_offset_ms: tuple[float, ...]  # ... + offset
    drift: DriftFit  # the host's drift, from a back-to-back trace


@dataclass(frozen=True)
class ServedBatches:
    """Every batch the calibration runs served, pooled over the runs."""

    sizes: list[int]
    longest: list[float]  # padded length
    idle: list[float]  # the replica's idle time before it
    served: list[float]  # service time, brought to the runs' mean speed by their probes
    windows: list[tuple[int, int]]  # (run, SPEED_WINDOW_S window)
    reference_ms: float  # the runs' mean probe

    @classmethod
    def pool(cls, runs: list[tuple[Records, float]]) -> ServedBatches:
        reference_ms = float(np.mean([probe for _, probe in runs]))
        sizes: list[int] = []
        longest: list[float] = []
        idle: list[float] = []
        served: list[float] = []
        windows: list[tuple[int, int]] = []
        for k, (real, probe) in enumerate(runs):
            windows += [(k, int(t // SPEED_WINDOW_S)) for t in real.batch_start_s]
            sizes += real.batch_sizes
            longest += real.batch_longest_s
            idle += real.batch_idle_s
            # times are brought to the machine's mean speed over the calibration runs
            served += [s * reference_ms / probe for s in real.batch_service_s]
        return cls(sizes, longest, idle, served, windows, reference_ms)

    def window_keys(self) -> np.ndarray:
        """Per batch, one integer per (run, window)."""
        return np.unique(np.array(self.windows), axis=0, return_inverse=True)[1].ravel()


def calibrate(
    case: Case,
    profile: LatencyProfile,
    duration_s: float,
    seed: int,
    bursts: bool = True,
    host_trace_s: float = HOST_TRACE_S,
) -> tuple[LatencyProfile, Calibration]:
    """Fit stage: serve calibration loads (their own seeds, never an evaluated run) and
    give every shape the server runs (batch size × padded length) the mean time serving
    showed there, shrunk towards an affine map of the isolated profile (`shape_grid`).

    Isolated timing repeats one warm shape on a quiet process; serving changes shapes every
    batch and shares the machine with the load generator. What that costs depends on the
    batch size and the length, and not in a way an interpolated isolated profile follows
    to a few percent: its shape error read as service noise made the simulated tail too
    heavy. The spread kept is that around each shape's own time.

    The host's own drift is measured apart (`host_drift`): the spread less that drift is
    the per-batch noise of a simulation that draws the drift as a slow speed factor."""
    runs = calibration_runs(case, profile, duration_s, seed, bursts)
    batches = ServedBatches.pool(runs)
    sizes, longest = np.array(batches.sizes), np.array(batches.longest)
    # what the replica pays for sitting idle, as serving shows it (the isolated
    # measurement's cold start is not serving's), is the simulator's to add, not the fit's
    penalty_ms, tau_ms = fit_serving_idle_penalty(
        sizes, longest, np.array(batches.idle), batches.served
    )
    isolated = profile
    profile = profile.model_copy(update={"idle_penalty_ms": penalty_ms, "idle_tau_ms": tau_ms})
    model = ServiceTimeModel(profile)
    served = np.array(batches.served) - [model.idle_penalty_s(gap) for gap in batches.idle]
    predicted = model_times(model, batches.sizes, batches.longest)
    fits = size_fits(sizes, predicted, served, case.max_batch)
    fitted = shape_grid(case, profile, fits, sizes, longest, served)
    expected = model_times(ServiceTimeModel(fitted), batches.sizes, batches.longest)
    spread = float(np.std(served / expected))
    fitted = fitted.model_copy(update={"spread_cv": round(spread, 4)})
    within = within_window_cv(batches.window_keys(), served, expected)
    drift = host_drift(case, host_trace_s)
    # the host's drift is part of the spread serving showed; the rest is batch noise
    beyond = np.log1p(spread**2) - np.log1p(drift.cv**2)
    saturated, saturated_probe = runs[1]  # the backlog load, at the mean calibration speed
    return fitted, Calibration(
        capacity_per_s=round(throughput(saturated) * saturated_probe / batches.reference_ms, 3),
        model_capacity_per_s=round(capacity(case, fitted), 3),
        probe_ms=round(batches.reference_ms, 3),
        serving_cv=round(spread, 4),
        serving_cv_within_window=round(within, 4),
        noise_cv_beyond_drift=round(float(np.sqrt(np.expm1(max(beyond, 0.0)))), 4),
        idle_penalty_ms=penalty_ms,
        idle_tau_ms=tau_ms,
        idle_penalty_ms_isolated=isolated.idle_penalty_ms,
        idle_tau_ms_isolated=isolated.idle_tau_ms,
        size_scale=tuple(round(float(scale), 4) for scale, _ in fits),
        size_offset_ms=tuple(round(float(offset) * 1000, 3) for _, offset in fits),
        drift=drift,
    )


def calibration_runs(
    case: Case, profile: LatencyProfile, duration_s: float, seed: int, bursts: bool
) -> list[tuple[Records, float]]:
    """The calibration loads, each replayed with its speed probe: a Poisson load at
    CALIBRATION_LOAD of the isolated profile's capacity, a backlog (`saturation_load`,
    always second) and, unless `bursts` is off, bursts of every batch size."""
    requests = requests_for(case, CALIBRATION_LOAD * capacity(case, profile), duration_s, seed)
    loads = [
        (np.asarray(requests.arrival_s), np.asarray(requests.audio_s)),
        saturation_load(case, seed),
    ]
    if bursts:  # the quick run skips them: its fit is for a smoke test only
        loads.append(burst_load(case, profile, seed))
    return [probed_replay(case, arrivals, lengths) for arrivals, lengths in loads]


def saturation_load(case: Case, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A backlog at time zero: the server runs full batches back to back, and its
    throughput is the capacity the evaluated loads are fractions of."""
    rng = np.random.default_rng(seed)
    n = case.max_batch * SATURATION_BATCHES
    drawn = case.median_s * np.exp(case.sigma * rng.standard_normal(n))
    return np.zeros(n), np.clip(drawn, case.min_s, case.max_s)


def burst_load(case: Case, profile: LatencyProfile, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bursts of b simultaneous requests for every batch size b (sizes interleaved, so
    drift touches all alike), each once the server has gone idle: in-serving times for
    every size, which a Poisson load forms too rarely to fit the large ones."""
    rng = np.random.default_rng(seed)
    model = ServiceTimeModel(profile)
    arrivals: list[float] = []
    lengths: list[float] = []
    t = 0.0
    for _ in range(BURSTS_PER_SIZE):
        for b in range(1, case.max_batch + 1):
            drawn = case.median_s * np.exp(case.sigma * rng.standard_normal(b))
            sample = np.clip(drawn, case.min_s, case.max_s)
            arrivals += [t] * b
            lengths += sample.tolist()
            t += case.max_wait_ms / 1000.0 + 2.0 * model.latency_s(b, float(sample.max())) + 0.02
    return np.array(arrivals), np.array(lengths)


def fit_serving_idle_penalty(
    sizes: np.ndarray, longest: np.ndarray, idle: np.ndarray, served: list[float]
) -> tuple[float, float]:
    """(penalty ms, time constant ms) of `ServiceTimeModel.idle_penalty_s` from served
    batches: each batch's time is its shape's own (batch size × padded length) plus
    penalty × (1 − exp(−idle/τ)). Shapes are fixed effects, so only how one shape's time
    moves with the idle time before it tells the penalty; for each τ the penalty (≥ 0) is
    least squares and the best τ wins.

    Serving, not an isolated replica, is what the simulator replays: on this VM a
    replica serving back to back already paid 3–4 ms over isolated timing, and the
    extra after idling kept growing past 300 ms (serving's τ 0.1–2 s, isolated's 0.06–0.2 s)."""
    shape = np.unique(np.column_stack([sizes, longest]), axis=0, return_inverse=True)[1].ravel()
    count = np.bincount(shape).astype(float)

    def within_shape(x: np.ndarray) -> np.ndarray:  # less its shape's mean
        return x - (np.bincount(shape, x) / count)[shape]

    y_within = within_shape(np.asarray(served, dtype=float))
    best = (float(np.sum(y_within**2)), 0.0, float(IDLE_TIMES_S[0]))
    for tau in IDLE_TIMES_S:
        g = -np.expm1(-idle / tau)  # idle is inf before a replica's first batch: g = 1
        g_within = within_shape(g)
        spread = float(g_within @ g_within)
        penalty = max(float(g_within @ y_within) / spread, 0.0) if spread > 0 else 0.0
        sse = float(np.sum((y_within - penalty * g_within) ** 2))
        if sse < best[0]:
            best = (sse, penalty, float(tau))
    _, penalty, tau = best
    return round(penalty * 1000.0, 3), round(tau * 1000.0, 1)


def size_fits(
    sizes: np.ndarray, predicted: np.ndarray, served: np.ndarray, max_batch: int
) -> np.ndarray:
    """(scale, offset in s) per batch size 1..max_batch: least squares of served on
    predicted, refitted without the worst 5% of residuals (a stall is noise, not shape).
    Sizes seen fewer than MIN_BATCHES_PER_SIZE times are interpolated from their
    neighbours (held flat past the ends); too little spread in length fits a scale only."""
    seen: list[tuple[int, float, float]] = []
    for b in range(1, max_batch + 1):
        x, y = predicted[sizes == b], served[sizes == b]
        if len(x) < MIN_BATCHES_PER_SIZE:
            continue
        keep = np.ones(len(x), dtype=bool)
        for _ in range(2):
            scale, offset = _line(x[keep], y[keep])
            residual = np.abs(y - (scale * x + offset))
            keep = residual <= np.quantile(residual, 0.95)
        seen.append((b, scale, offset))
    if not seen:
        ratio = float(np.median(served / predicted)) if len(served) else 1.0
        return np.tile([ratio, 0.0], (max_batch, 1))
    at = [s[0] for s in seen]
    grid = np.arange(1, max_batch + 1)
    return np.column_stack(
        [np.interp(grid, at, [s[1] for s in seen]), np.interp(grid, at, [s[2] for s in seen])]
    )


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if np.ptp(x) < 0.2 * float(np.mean(x)):
        return float(np.median(y / x)), 0.0
    scale, offset = np.polyfit(x, y, 1)
    return float(scale), float(offset)


def shape_grid(
    case: Case,
    profile: LatencyProfile,
    fits: np.ndarray,
    sizes: np.ndarray,
    longest: np.ndarray,
    served: np.ndarray,
) -> LatencyProfile:
    """The profile on the grid of shapes the server runs: every batch size and padded
    length. Each shape's time is the mean of the batches served at it, shrunk towards the
    per-size affine fit of the isolated profile as if that were PRIOR_BATCHES more batches
    (a shape served rarely keeps mostly the fit, a common one its own mean)."""
    isolated = ServiceTimeModel(profile)
    lengths = [
        n
        for n in bucket_grid(case.max_s, case.bucket_s)
        if n >= padded_length(case.min_s, case.bucket_s)
    ]
    rows = []
    for b in range(1, case.max_batch + 1):
        scale, offset = fits[b - 1]
        row = []
        for n in lengths:
            prior = scale * isolated.latency_s(b, n) + offset
            here = served[(sizes == b) & np.isclose(longest, n)]
            mean = (here.sum() + PRIOR_BATCHES * prior) / (len(here) + PRIOR_BATCHES)
            row.append(round(max(mean * 1000.0, 0.01), 3))
        rows.append(row)
    return profile.model_copy(
        update={
            "batch_sizes": list(range(1, case.max_batch + 1)),
            "lengths": lengths,
            "latency_ms": rows,
            "note": f"{profile.note}; in-serving batch times per served shape",
        }
    )
