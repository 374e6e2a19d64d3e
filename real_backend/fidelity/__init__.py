"""Fidelity: the real batching server against the simulator, on the same requests.

For each family: profile the model on this machine, estimate its capacity, then at each
load (a fraction of capacity) replay one seeded Poisson workload through the real server
and through the simulator (same arrival times and audio lengths, same batching policy, the
fresh profile as service times) and compare latency quantiles, throughput and batch size.

The stages, one module each, data flowing one way:

    cases        what is compared: each family's setup, its requests, the simulated fleet
    serving      the real server: a warmed server per case, replays bracketed by probes
    host_speed   the host's drift, and the speed a real run's batches went at
    calibration  calibration loads and what is fitted from them (`Calibration`)
    results      what a comparison reports (`FidelityRow`, `Diagnosis`, `Artefacts`)
    compare      each load through both sides, and `run_fidelity` over every stage
    plots        the latency CDF plot
"""

from real_backend.fidelity.calibration import (
    BURSTS_PER_SIZE,
    Calibration,
    burst_load,
    calibrate,
    fit_serving_idle_penalty,
    shape_grid,
    size_fits,
)
from real_backend.fidelity.cases import (
    CASES,
    LOADS,
    Case,
    capacity,
    fleet_for,
    fresh_profile,
    requests_for,
)
from real_backend.fidelity.compare import (
    LoadRuns,
    compare_one,
    diagnosis,
    run_fidelity,
    simulate,
    summarise,
)
from real_backend.fidelity.host_speed import (
    USABLE_SPEED,
    DriftFit,
    fit_host_drift,
    run_slowdown,
    speed_trace,
    unusable_windows,
    within_window_cv,
)
from real_backend.fidelity.plots import plot_cdfs
from real_backend.fidelity.results import Artefacts, Diagnosis, FidelityRow, SpeedBudget

__all__ = [
    "BURSTS_PER_SIZE",
    "CASES",
    "LOADS",
    "USABLE_SPEED",
    "Artefacts",
    "Calibration",
    "Case",
    "Diagnosis",
    "DriftFit",
    "FidelityRow",
    "LoadRuns",
    "SpeedBudget",
    "burst_load",
    "calibrate",
    "capacity",
    "compare_one",
    "diagnosis",
    "fit_host_drift",
    "fit_serving_idle_penalty",
    "fleet_for",
    "fresh_profile",
    "plot_cdfs",
    "requests_for",
    "run_fidelity",
    "run_slowdown",
    "shape_grid",
    "simulate",
    "size_fits",
    "speed_trace",
    "summarise",
    "unusable_windows",
    "within_window_cv",
]
