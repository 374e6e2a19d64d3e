"""What a comparison reports: one `FidelityRow` per (family, load), with the calibration
it ran on, an optional `Diagnosis` (`diagnose=True`) and the `Artefacts` behind it (the
profile, the latencies for the CDF plot), which stay out of its JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from real_backend.fidelity.calibration import Calibration
from simulator.spec.profiles import LatencyProfile


@dataclass(frozen=True)
class SpeedBudget:
    """How much of the prediction's error the host's speed alone explains."""

    p95_speed_elasticity: float  # % the simulated p95 moves per 1% of host speed
    probe_speed_miss: float  # the probed speed over the speed the runs went at, less 1
    p95_error_from_speed: float  # the p95 at the probed speed over that at the runs' speed
    p95_speed_needed: float  # how closely the speed must be known for a p95 within 8%


@dataclass(frozen=True)
class Diagnosis:
    """Where a prediction's error comes from (`diagnose=True`)."""

    sim_p95_ms_host_drift: float  # the prediction on a host drifting as calibration measured
    p95_error_host_drift: float
    speed_budget: SpeedBudget


@dataclass(frozen=True)
class Artefacts:
    """What a row was computed from and the plot draws: kept out of the row's JSON."""

    profile: LatencyProfile  # the calibrated in-serving profile the simulator ran
    real_latency_ms: np.ndarray  # ok requests, pooled over the real runs
    sim_latency_ms: np.ndarray  # ... over the predicted simulations
    given_latency_ms: np.ndarray  # ... over the simulations at the real runs' speed


@dataclass(frozen=True)
class FidelityRow:
    """One load of one family: the real server against the simulator's prediction (the
    host's speed probed before and after each real run), and the error when the simulator
    follows the speed the real batches ran at (`_given_speed`). Errors are relative:
    (sim − real) / real."""

    family: str
    load: float  # a fraction of calibration's capacity_per_s
    rate_per_s: float  # the arrival rate: load × capacity, rescaled to the host's speed now
    requests: int
    real_runs: int
    sim_runs: int
    real_p50_ms: float
    sim_p50_ms: float
    p50_error: float
    real_p95_ms: float
    sim_p95_ms: float
    p95_error: float
    real_p99_ms: float
    sim_p99_ms: float
    p99_error: float
    p50_error_given_speed: float
    p95_error_given_speed: float
    p99_error_given_speed: float
    p95_noise: float  # the p95 error a perfect simulator would still show (sampling)
    real_p95_spread: float  # (max − min) / mean of the real runs' own p95s
    real_throughput_per_s: float
    sim_throughput_per_s: float
    real_mean_batch: float
    sim_mean_batch: float
    real_busy: float  # the replica's busy seconds per second of arrivals
    sim_busy: float
    real_minor_faults: int  # pages faulted in per real run (see the allocator settings)
    machine_slowdown: float  # the probes' speed during the real runs, against calibration
    slowdown_at_rate: float  # the probe's just before, which rescaled the arrival rate
    run_slowdown: float  # the speed the real batches ran at, against the fitted model
    speed_windows_dropped: int  # speed-trace windows whose speed was unusable
    calibration: Calibration
    diagnosis: Diagnosis | None = None
    artefacts: Artefacts | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Every figure as plain data (records nested as dicts), without the artefacts."""
        out = asdict(replace(self, artefacts=None))
        del out["artefacts"]
        return out
