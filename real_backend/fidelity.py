"""Fidelity: the real batching server against the simulator, on the same requests.

For each family: profile the model on this machine, estimate its capacity, then at each
load (a fraction of capacity) replay one seeded Poisson workload through the real server
and through the simulator (same arrival times and audio lengths, same batching policy, the
fresh profile as service times) and compare latency quantiles, throughput and batch size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from real_backend.profiler import FAMILIES, measure_family, measure_idle_penalty
from real_backend.server import BatchingServer, Records, ServerConfig, cpu_affinity, replay
from simulator.fleet import (
    BatchingSpec,
    Fleet,
    HostDrift,
    ModelSpec,
    PoolSpec,
    PreprocessSpec,
    RouteRule,
    StageSpec,
    StagesSpec,
    bucket_grid,
    padded_length,
)
from simulator.profiles import LatencyProfile, ProfileLibrary, ServiceTimeModel
from simulator.telemetry import Telemetry
from simulator.timeline import TimelineEvent
from simulator.workload import DurationDist, PoissonArrivals, Stream, Workload, generate

LOADS = (0.3, 0.6, 0.9)
SPEED_WINDOW_S = 2.0  # the host's speed, read off real batches, is held per window this long
THREADS = 1  # one intra-op thread: the other core runs the load generator
# the replica on the last core the process may use; the load generator is not pinned, so
# the OS mostly runs it on another
REPLICA_CORE = tuple(sorted(cpu_affinity())[-1:])


@dataclass(frozen=True)
class Case:
    """One family's serving setup and request lengths (inside its profile grid)."""

    family: str
    max_batch: int
    max_wait_ms: float
    median_s: float
    sigma: float
    min_s: float
    max_s: float
    lengths: tuple[float, ...]  # the fresh profile's length grid
    bucket_s: float  # batches padded to multiples of this: few shapes, all warmed up

    def durations(self) -> DurationDist:
        return DurationDist(
            dist="lognormal",
            median_s=self.median_s,
            sigma=self.sigma,
            min_s=self.min_s,
            max_s=self.max_s,
        )


CASES = {
    "asr-batch": Case("asr-batch", 4, 20.0, 3.0, 0.4, 1.0, 6.0, (1.0, 2.0, 3.0, 4.5, 6.0), 0.5),
    "tts": Case("tts", 4, 10.0, 1.5, 0.5, 0.5, 4.0, (0.5, 1.0, 2.0, 3.0, 4.0), 0.25),
    "embedding": Case("embedding", 8, 10.0, 4.0, 0.5, 1.0, 10.0, (1.0, 2.5, 5.0, 7.5, 10.0), 0.5),
}


def fresh_profile(case: Case, quick: bool) -> LatencyProfile:
    """Measure the family on this machine at every batch size the server can form, and
    what a batch pays after the replica sat idle."""
    batches = list(range(1, case.max_batch + 1))
    lengths = [case.lengths[0], case.lengths[-1]] if quick else list(case.lengths)
    profile = measure_family(case.family, batches, lengths, repeats=3, threads=THREADS)
    penalty, tau = measure_idle_penalty(
        case.family, case.median_s, THREADS, rounds=6 if quick else 20
    )
    return profile.model_copy(update={"idle_penalty_ms": penalty, "idle_tau_ms": tau})


HOST_TRACE_S = 60.0  # of back-to-back batches, to see the host's speed wander
CALIBRATION_LOAD = 0.5  # of the isolated profile's capacity
BURSTS_PER_SIZE = 12
SATURATION_BATCHES = 40
MIN_BATCHES_PER_SIZE = 8


def calibrate(
    case: Case,
    profile: LatencyProfile,
    duration_s: float,
    seed: int,
    bursts: bool = True,
    host_trace_s: float = HOST_TRACE_S,
) -> tuple[LatencyProfile, dict[str, float]]:
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
    sizes: list[int] = []
    longest: list[float] = []
    idle: list[float] = []
    served: list[float] = []
    windows: list[tuple[int, int]] = []  # (run, SPEED_WINDOW_S window) of each batch
    requests = requests_for(case, CALIBRATION_LOAD * capacity(case, profile), duration_s, seed)
    loads = [
        (np.asarray(requests.arrival_s), np.asarray(requests.audio_s)),
        saturation_load(case, seed),
    ]
    if bursts:  # the quick run skips them: its fit is for a smoke test only
        loads.append(burst_load(case, profile, seed))
    runs = [probed_replay(case, arrivals, lengths) for arrivals, lengths in loads]
    reference_ms = float(np.mean([probe for _, probe in runs]))
    for k, (real, probe) in enumerate(runs):
        windows += [(k, int(t // SPEED_WINDOW_S)) for t in real.batch_start_s]
        sizes += real.batch_sizes
        longest += real.batch_longest_s
        idle += real.batch_idle_s
        # times are brought to the machine's mean speed over the calibration runs
        served += [s * reference_ms / probe for s in real.batch_service_s]
    size_arr, longest_arr, idle_arr = np.array(sizes), np.array(longest), np.array(idle)
    # what the replica pays for sitting idle, as serving shows it (the isolated
    # measurement's cold start is not serving's), is the simulator's to add, not the fit's
    penalty_ms, tau_ms = fit_serving_idle_penalty(size_arr, longest_arr, idle_arr, served)
    isolated = (profile.idle_penalty_ms, profile.idle_tau_ms)
    profile = profile.model_copy(update={"idle_penalty_ms": penalty_ms, "idle_tau_ms": tau_ms})
    model = ServiceTimeModel(profile)
    served_arr = np.array(served) - [model.idle_penalty_s(gap) for gap in idle]
    predicted = model_times(model, sizes, longest)
    fits = size_fits(size_arr, predicted, served_arr, case.max_batch)
    fitted = shape_grid(case, profile, fits, size_arr, longest_arr, served_arr)
    expected = model_times(ServiceTimeModel(fitted), sizes, longest)
    spread = float(np.std(served_arr / expected))
    fitted = fitted.model_copy(update={"spread_cv": round(spread, 4)})
    keys = np.unique(np.array(windows), axis=0, return_inverse=True)[1].ravel()
    within = within_window_cv(keys, served_arr, expected)
    fit = host_drift(case, host_trace_s)
    # the host's drift is part of the spread serving showed; the rest is batch noise
    beyond = np.log1p(spread**2) - np.log1p(fit["drift_cv"] ** 2)
    fit["noise_cv_beyond_drift"] = round(float(np.sqrt(np.expm1(max(beyond, 0.0)))), 4)
    for b, (scale, offset) in enumerate(fits, start=1):
        fit[f"scale_b{b}"], fit[f"offset_ms_b{b}"] = (
            round(float(scale), 4),
            round(float(offset) * 1000, 3),
        )
    saturated, saturated_probe = runs[1]  # the backlog load, at the mean calibration speed
    fit["serving_cv"] = round(spread, 4)
    fit["serving_cv_within_window"] = round(within, 4)
    fit["saturation_per_s"] = round(throughput(saturated) * saturated_probe / reference_ms, 3)
    fit["probe_ms"] = round(reference_ms, 3)
    fit["idle_penalty_ms"], fit["idle_tau_ms"] = penalty_ms, tau_ms
    fit["idle_penalty_ms_isolated"], fit["idle_tau_ms_isolated"] = isolated
    return fitted, fit


IDLE_TIMES_S = np.geomspace(0.002, 2.0, 48)  # penalty time constants tried


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


DRIFT_LAGS_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # faster than the first: batch noise
DRIFT_TIMES_S = np.geomspace(0.25, 60.0, 64)  # correlation times tried (up to trace/5)


def host_drift(case: Case, seconds: float) -> dict[str, float]:
    """Measure stage of the host's drift: full batches of the family's median length
    (where a queue forms, batches are full), back to back on the replica's core for
    `seconds`, fitted by `fit_host_drift`."""
    server = _server(case)
    return fit_host_drift(*server.back_to_back(case.median_s, seconds=seconds, size=case.max_batch))


def fit_host_drift(starts: np.ndarray, durations: np.ndarray) -> dict[str, float]:
    """The host's speed as a drifting factor (`HostDrift`), from one shape run back to
    back: the covariance of log batch times `h` seconds apart is s²·exp(−h/τ) plus an
    offset ≤ 0 (the trace's own mean, taken out, pulls every lag down alike). Lags under
    DRIFT_LAGS_S[0] are left to batch noise. For each τ up to a fifth of the trace (a
    longer one the trace cannot tell from its offset) the lags are fitted by weighted
    least squares and the best τ wins. s is returned as a log-normal CV; `drift_lags`
    says how many lags were fitted (under 3: no drift is fitted)."""
    y = np.log(durations)
    y = y - y.mean()
    step = float(np.mean(np.diff(starts))) if len(starts) > 1 else np.inf
    gaps = sorted({int(np.ceil(h / step)) for h in DRIFT_LAGS_S if np.isfinite(step)})
    gaps = [k for k in gaps if 1 <= k < len(y) // 2]  # batches apart, each lag once
    lag = np.array([k * step for k in gaps])
    cov = np.array([float(np.mean(y[:-k] * y[k:])) for k in gaps])
    weight = np.sqrt([len(y) - k for k in gaps])
    span = float(starts[-1] - starts[0] + durations[-1]) if len(starts) else 0.0
    best = (np.inf, 0.0, float(DRIFT_TIMES_S[0]))
    for tau in DRIFT_TIMES_S[span / 5 >= DRIFT_TIMES_S] if len(gaps) >= 3 else []:
        slow, sse = _drift_at(lag, cov, weight, float(tau))
        if sse < best[0]:
            best = (sse, slow, float(tau))
    _, slow, tau = best
    slow = min(slow, float(np.mean(y**2)))  # the drift is part of the spread, never more
    return {
        "drift_cv": round(float(np.sqrt(np.expm1(slow))), 4),
        "drift_correlation_s": round(tau, 3),
        "drift_lags": len(gaps),
        "host_cv": round(float(np.std(durations) / np.mean(durations)), 4),
    }


def _drift_at(
    lag: np.ndarray, cov: np.ndarray, weight: np.ndarray, tau: float
) -> tuple[float, float]:
    """(s², weighted squared error) of offset + s²·exp(−lag/τ) at this τ, with s² ≥ 0
    and offset ≤ 0: the best of the fits with both terms, either or neither that keep
    to those signs."""
    decay = np.exp(-lag / tau)
    fits = []
    for with_offset, with_drift in ((True, True), (False, True), (True, False), (False, False)):
        columns = [np.ones_like(lag)] * with_offset + [decay] * with_drift
        design = np.column_stack(columns) if columns else np.zeros((len(lag), 0))
        coef = np.linalg.lstsq(design * weight[:, None], cov * weight, rcond=None)[0]
        offset = float(coef[0]) if with_offset else 0.0
        slow = float(coef[-1]) if with_drift else 0.0
        if offset <= 0 <= slow:
            fits.append((float(np.sum((weight * (design @ coef - cov)) ** 2)), slow))
    sse, slow = min(fits)
    return slow, sse


def window_speeds(windows: np.ndarray, served: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per batch, its window's speed: the summed served over the summed expected time of
    all batches in the same window (a time-weighted mean ratio)."""
    factor = np.empty(len(served))
    for w in np.unique(windows):
        inside = windows == w
        factor[inside] = served[inside].sum() / expected[inside].sum()
    return factor


def within_window_cv(windows: np.ndarray, served: np.ndarray, expected: np.ndarray) -> float:
    """The spread of batch times around their window's own speed: what is left for
    service noise once the host's drift is given, as a speed trace gives it. Each
    window's speed comes from its own batches, so the squares are summed over N − W
    degrees of freedom (a window of one batch tells nothing); windows whose speed is not
    positive (idle penalty over-subtracted) are left out."""
    factor = window_speeds(windows, served, expected)
    keep = factor > 0
    residual = served[keep] / expected[keep] / factor[keep] - 1.0
    dof = int(keep.sum()) - len(np.unique(windows[keep]))
    return float(np.sqrt(np.sum(residual**2) / dof)) if dof > 0 else 0.0


PRIOR_BATCHES = 4  # how many served batches the affine fit counts for in a shape's time


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


def probed_replay(
    case: Case, arrivals: np.ndarray, lengths: np.ndarray, limit_s: float = 600.0
) -> tuple[Records, float]:
    """Replay on a fresh server with a speed probe just before and after: the machine's
    speed during the run (ms of the probe batch) as well as the records."""
    server = _server(case)
    before = server.probe(case.median_s)
    records = replay(server, arrivals, lengths, limit_s)
    return records, (before + server.probe(case.median_s)) / 2


def saturation_load(case: Case, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A backlog at time zero: the server runs full batches back to back, and its
    throughput is the capacity the evaluated loads are fractions of."""
    rng = np.random.default_rng(seed)
    n = case.max_batch * SATURATION_BATCHES
    drawn = case.median_s * np.exp(case.sigma * rng.standard_normal(n))
    return np.zeros(n), np.clip(drawn, case.min_s, case.max_s)


def throughput(records: Records) -> float:
    """Completed requests per second of the span from the first batch start to the last end."""
    ok = records.status == "ok"
    span = float(records.end_s[ok].max() - records.start_s[ok].min()) if ok.any() else 0.0
    return float(ok.sum()) / span if span > 0 else 0.0


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


def _server(case: Case) -> BatchingServer:
    config = ServerConfig(
        case.max_batch,
        case.max_wait_ms,
        threads=THREADS,
        length_bucket_s=case.bucket_s,
        cores=REPLICA_CORE,
    )
    server = BatchingServer(case.family, config, max_length=case.max_s)
    if not _WARMED.get(case.family):  # kernels are built once per process and shape
        server.warm_up(server.bucket_lengths(case.max_s))
        _WARMED[case.family] = True
    else:
        server.warm_up([case.max_s])
    return server


_WARMED: dict[str, bool] = {}


def capacity(case: Case, profile: LatencyProfile, seed: int = 0) -> float:
    """Requests per second one replica sustains with full batches (padded to the longest
    item's length bucket, as the server and the simulator pad them)."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(
        case.median_s * np.exp(case.sigma * rng.standard_normal((2000, case.max_batch))),
        case.min_s,
        case.max_s,
    )
    model = ServiceTimeModel(profile)
    seconds = [
        model.latency_s(case.max_batch, padded_length(float(row.max()), case.bucket_s))
        for row in lengths
    ]
    return case.max_batch / float(np.mean(seconds))


def requests_for(case: Case, rate: float, duration_s: float, seed: int) -> Any:
    stream = Stream(
        name="load",
        kind=FAMILIES[case.family].family,
        arrivals=PoissonArrivals(process="poisson", rate_per_s=rate),
        audio_s=case.durations(),
    )
    return generate(Workload(streams=[stream]), duration_s, seed, Path("."))


def fleet_for(
    case: Case, profile: LatencyProfile, slowdown: float = 1.0, drift: HostDrift | None = None
) -> tuple[Fleet, ProfileLibrary]:
    """One CPU replica with the server's batching, on a host `slowdown` times slower than
    the profile's (its speed drifting as `drift` says); every stage but inference costs
    nothing (the server has no ingress, preprocessing or network)."""
    zero = StageSpec()
    fleet = Fleet(
        name=f"fidelity-{case.family}",
        models={"m": ModelSpec(family=profile.family, version="1", profile=profile.name)},
        pools={
            "server": PoolSpec(
                device="cpu",
                model="m",
                replicas=1,
                batching=BatchingSpec(
                    max_batch=case.max_batch,
                    max_wait_ms=case.max_wait_ms,
                    length_bucket_s=case.bucket_s,
                ),
                queue_capacity=10**6,
                slowdown=slowdown,
                host_drift=drift,
            )
        },
        stages=StagesSpec(
            ingress=zero, preprocess=PreprocessSpec(), route=zero, postprocess=zero, observe=zero
        ),
        routes=[RouteRule(pool="server")],
        metrics_interval_s=1e9,
    )
    return fleet, ProfileLibrary([profile])


REAL_REPEATS = 2  # the real server's own run-to-run spread is the noise floor
SIM_SEEDS = 5  # simulated service noise averaged over seeds, arrivals held fixed


def compare_one(
    case: Case,
    profile: LatencyProfile,
    fit: dict[str, float],
    load: float,
    duration_s: float,
    seed: int,
    repeats: int = REAL_REPEATS,
    diagnose: bool = False,
) -> dict[str, Any]:
    """One load (a fraction of the fit's `capacity_per_s`, rescaled to the host's speed
    probed just before): the same requests through the real server `repeats` times and
    through the simulator with SIM_SEEDS service-noise seeds, its profile scaled by the
    machine's speed during the real runs against calibration (the speed probe's ratio to
    the fit's `probe_ms`: a shared VM drifts by several percent over tens of seconds), all
    of calibration's spread drawn as per-batch noise. The same prediction with the host
    drifting as calibration measured (`HostDrift`, the rest of the spread as batch noise)
    is reported beside it: on this VM it did not predict better, since the miss in the
    host's mean speed dominates and drift, raising the tail, amplifies an over-prediction.
    `speed_budget` says how much of the error that miss explains.

    A second simulation follows the speed the real batches actually ran at, window by
    window (`speed_trace`), with the service noise left around each window's speed
    (`serving_cv_within_window`): its error isolates the queueing and batching mechanics
    from the prediction of the host's speed."""
    # capacity as the host is now: a host a tenth slower than at calibration would turn
    # load 0.9 into 0.99, where the p95 is the run's length more than the server's
    speed_now = _server(case).probe(case.median_s) / fit["probe_ms"]
    rate = load * fit["capacity_per_s"] / speed_now
    requests = requests_for(case, rate, duration_s, seed)
    arrivals, lengths = np.asarray(requests.arrival_s), np.asarray(requests.audio_s)
    runs = [
        probed_replay(case, arrivals, lengths, limit_s=duration_s * 4 + 30) for _ in range(repeats)
    ]
    reals = [real for real, _ in runs]
    probed = float(np.mean([probe for _, probe in runs])) / fit["probe_ms"]
    predicted = simulate(case, profile, probed, requests, duration_s, seed)
    traced = profile.model_copy(update={"spread_cv": fit["serving_cv_within_window"]})
    followed = [
        telemetry
        for real in reals
        for telemetry in simulate(
            case,
            traced,
            run_slowdown(profile, [real]),
            requests,
            duration_s,
            seed,
            speed_trace(profile, real),
        )
    ]
    out = row(case.family, load, rate, reals, predicted, duration_s)
    given = row(case.family, load, rate, reals, followed, duration_s)
    out["machine_slowdown"] = round(probed, 4)
    out["slowdown_at_rate"] = round(speed_now, 4)
    out["run_slowdown"] = round(run_slowdown(profile, reals), 4)
    out["speed_windows_dropped"] = sum(unusable_windows(profile, real) for real in reals)
    if diagnose:
        out.update(diagnosis(case, profile, fit, probed, out, reals, requests, duration_s, seed))
    for q in (50, 95, 99):
        out[f"p{q}_error_given_speed"] = given[f"p{q}_error"]
    out["_given_latency"] = given["_sim_latency"]
    return out


def diagnosis(
    case: Case,
    profile: LatencyProfile,
    fit: dict[str, float],
    probed: float,
    predicted: dict[str, Any],
    reals: list[Records],
    requests: Any,
    duration_s: float,
    seed: int,
) -> dict[str, Any]:
    """`--diagnose`: where a prediction's error comes from. The same prediction on a
    drifting host (calibration's drift, the rest of the spread as batch noise), and how
    much of the error the host's speed alone explains (`speed_budget`)."""
    drift = HostDrift(cv=fit["drift_cv"], correlation_s=fit["drift_correlation_s"])
    beyond_drift = profile.model_copy(update={"spread_cv": fit["noise_cv_beyond_drift"]})
    drifting = simulate(case, beyond_drift, probed, requests, duration_s, seed, drift=drift)
    drifted = row(
        case.family, predicted["load"], predicted["rate_per_s"], reals, drifting, duration_s
    )
    predicted_p95 = float(np.percentile(predicted["_sim_latency"], 95))
    ran = predicted["run_slowdown"]
    return {
        "sim_p95_ms_host_drift": drifted["sim_p95_ms"],
        "p95_error_host_drift": drifted["p95_error"],
        **speed_budget(case, profile, probed, predicted_p95, ran, requests, duration_s, seed),
    }


# the host this much slower and faster: how the p95 moves with its speed, as the slope of
# log p95 on log speed over these and the prediction itself (one ±2% pair swung from 0.4
# to 7 at half load in an 8 s run: a p95 of few requests moves in steps)
SPEED_STEPS = (-0.05, -0.025, 0.025, 0.05)


def speed_budget(
    case: Case,
    profile: LatencyProfile,
    probed: float,
    predicted_p95: float,
    ran: float,
    requests: Any,
    duration_s: float,
    seed: int,
) -> dict[str, float]:
    """How much of the prediction's error the host's speed alone explains: the simulated
    p95 at the probed speed (`predicted_p95`, the prediction's own) over the same
    simulation at the speed the run really went at (the same seeds: common random
    numbers). Beside it, the p95's elasticity to the host's speed (a least-squares slope
    over SPEED_STEPS around probed) and, from it, how closely the host's speed must be
    known for the p95 to be predicted within 8% (`p95_speed_needed`)."""

    def p95(slowdown: float) -> float:
        runs = simulate(case, profile, slowdown, requests, duration_s, seed)
        return float(np.percentile(np.concatenate(served_latency_ms(runs)), 95))

    speeds = np.log1p([0.0, *SPEED_STEPS])
    p95s = np.log([predicted_p95, *(p95(probed * (1 + step)) for step in SPEED_STEPS)])
    elasticity = float(np.polyfit(speeds, p95s, 1)[0])
    return {
        "p95_speed_elasticity": round(elasticity, 3),
        "probe_speed_miss": round(probed / ran - 1, 4),
        "p95_error_from_speed": round(predicted_p95 / p95(ran) - 1, 4),
        "p95_speed_needed": round(float(np.log(1.08) / elasticity), 4) if elasticity > 0 else 1.0,
    }


def simulate(
    case: Case,
    profile: LatencyProfile,
    slowdown: float,
    requests: Any,
    duration_s: float,
    seed: int,
    timeline: list[TimelineEvent] | None = None,
    drift: HostDrift | None = None,
) -> list[Telemetry]:
    """SIM_SEEDS runs of the requests on the fitted profile, the host `slowdown` times
    slower than calibration (and then as the timeline sets it, or drifting as `drift`
    says)."""
    from simulator import run_requests

    fleet, library = fleet_for(case, profile, slowdown, drift)
    timeline = timeline or []
    return [
        run_requests(
            fleet, requests, timeline, seed=seed + k, duration_s=duration_s, profiles=library
        )
        for k in range(SIM_SEEDS)
    ]


def model_times(model: ServiceTimeModel, sizes: list[int], longest: list[float]) -> np.ndarray:
    """The model's seconds for batches of these sizes and padded lengths."""
    return np.array([model.latency_s(b, n) for b, n in zip(sizes, longest, strict=True)])


# a host speed outside this range (relative to calibration) is a broken estimate, not a
# host: a window or run that gives one is left out, counted, and never passed on
USABLE_SPEED = (0.2, 5.0)


def usable_speed(speed: float) -> bool:
    return bool(np.isfinite(speed)) and USABLE_SPEED[0] <= speed <= USABLE_SPEED[1]


def batch_times(profile: LatencyProfile, real: Records) -> tuple[np.ndarray, ...]:
    """Per real batch: its start, its service time less the modelled idle penalty (which
    never takes more than the batch's own measured time), and the fitted model's time for
    its size and padded length."""
    model = ServiceTimeModel(profile)
    measured = np.asarray(real.batch_service_s, dtype=float)
    penalty = np.array([model.idle_penalty_s(idle) for idle in real.batch_idle_s], dtype=float)
    served = measured - np.minimum(penalty, measured)
    base = model_times(model, real.batch_sizes, real.batch_longest_s)
    return np.asarray(real.batch_start_s, dtype=float), served, base


def run_slowdown(profile: LatencyProfile, reals: list[Records]) -> float:
    """How much slower than the fitted model the real batches ran, over whole runs: their
    summed service time (idle penalty taken out) over the summed model time; 1 (the
    calibration's speed) when that is not a usable speed."""
    times = [batch_times(profile, real) for real in reals]
    base = sum(float(model_s.sum()) for _, _, model_s in times)
    speed = sum(float(served.sum()) for _, served, _ in times) / base if base > 0 else 1.0
    return speed if usable_speed(speed) else 1.0


def speed_trace(
    profile: LatencyProfile, real: Records, window_s: float = SPEED_WINDOW_S
) -> list[TimelineEvent]:
    """The host's speed as the real run saw it: for each window, the real batches' summed
    service time over the model's (a time-weighted mean ratio), set on the simulated
    pool as its `slowdown` from the window's start. A window without batches, or whose
    speed is not usable (`unusable_windows` counts them), keeps the speed before it (the
    whole run's, for the first)."""
    window, speeds = _window_speeds(profile, real, window_s)
    first = np.unique(window, return_index=True)[1]
    return [
        TimelineEvent(
            at_s=float(window[i] * window_s),
            set={"pools.server.slowdown": round(float(speeds[i]), 4)},
        )
        for i in first
        if usable_speed(float(speeds[i]))
    ]


def unusable_windows(
    profile: LatencyProfile, real: Records, window_s: float = SPEED_WINDOW_S
) -> int:
    """How many windows of the speed trace gave no usable speed (left out of it)."""
    window, speeds = _window_speeds(profile, real, window_s)
    first = np.unique(window, return_index=True)[1]
    return sum(1 for i in first if not usable_speed(float(speeds[i])))


def _window_speeds(
    profile: LatencyProfile, real: Records, window_s: float
) -> tuple[np.ndarray, np.ndarray]:
    starts, served, model_s = batch_times(profile, real)
    window = (starts // window_s).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        return window, window_speeds(window, served, model_s)


def served_latency_ms(sims: list[Telemetry]) -> list[np.ndarray]:
    """Each simulated run's latencies of the requests it served."""
    return [
        s.requests.loc[s.requests["status"] == "ok", "latency_ms"].to_numpy(dtype=float)
        for s in sims
    ]


def row(
    family: str,
    load: float,
    rate: float,
    reals: list[Records],
    sims: list[Telemetry],
    duration_s: float,
) -> dict[str, Any]:
    """Quantiles of the pooled runs on each side, relative errors, the spread of the real
    server's p95 between its own runs, and the sampling noise of the p95 comparison."""
    each_sim_latency = served_latency_ms(sims)
    sim_latency = np.concatenate(each_sim_latency)
    real_latency = np.concatenate([r.latency_ms for r in reals])
    out: dict[str, Any] = {"family": family, "load": load, "rate_per_s": round(rate, 3)}
    for q in (50, 95, 99):
        r, s = float(np.percentile(real_latency, q)), float(np.percentile(sim_latency, q))
        out[f"real_p{q}_ms"], out[f"sim_p{q}_ms"] = round(r, 2), round(s, 2)
        out[f"p{q}_error"] = round((s - r) / r, 4)
    each_p95 = [float(np.percentile(r.latency_ms, 95)) for r in reals]
    out["real_p95_spread"] = round((max(each_p95) - min(each_p95)) / float(np.mean(each_p95)), 4)
    # one run's p95 varies with its service noise alone (same arrivals): the simulated
    # runs' CV, scaled to the pooled runs on both sides, is the error a perfect model shows
    each_sim = np.array([np.percentile(latency, 95) for latency in each_sim_latency])
    cv = float(each_sim.std(ddof=1) / each_sim.mean()) if len(each_sim) > 1 else 0.0
    out["p95_noise"] = round(cv * float(np.sqrt(1 / len(reals) + 1 / len(sims))), 4)
    out["real_runs"], out["sim_runs"] = len(reals), len(sims)
    out["real_throughput_per_s"] = round(len(real_latency) / len(reals) / duration_s, 3)
    out["sim_throughput_per_s"] = round(len(sim_latency) / len(sims) / duration_s, 3)
    real_sizes = np.concatenate([r.batch_sizes for r in reals])
    out["real_mean_batch"] = round(float(real_sizes.mean()), 3)
    sim_sizes = np.concatenate([s.batches["size"].to_numpy() for s in sims])
    out["sim_mean_batch"] = round(float(sim_sizes.mean()), 3)
    out["requests"] = len(reals[0].arrival_s)
    out["real_minor_faults"] = int(np.mean([r.minor_faults for r in reals]))
    # the replica's busy seconds per second of arrivals: the load each side really carried
    real_busy = [float(np.sum(r.batch_service_s)) for r in reals]
    sim_busy = [float((s.batches["end_s"] - s.batches["start_s"]).sum()) for s in sims]
    out["real_busy"] = round(float(np.mean(real_busy)) / duration_s, 4)
    out["sim_busy"] = round(float(np.mean(sim_busy)) / duration_s, 4)
    out["_real_latency"], out["_sim_latency"] = real_latency, sim_latency
    return out


def run_fidelity(
    families: list[str],
    loads: tuple[float, ...],
    duration_s: float,
    quick: bool,
    seed: int = 0,
    repeats: int | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    failures: list[str] | None = None,
    diagnose: bool = False,
) -> list[dict[str, Any]]:
    """Per family: profile, fit (calibration loads of their own), then compare each load.
    Loads are fractions of the measured capacity: the real server's throughput on a
    backlog of full batches (the fitted model's capacity is reported beside it).

    Each finished row goes to `on_row` as it completes, so a long run keeps what it
    measured; a cell that fails on a bad value (ValueError, such as a speed the simulator
    refuses) is recorded in `failures` as one line and the run goes on."""
    rows = []
    for family in families:
        case = CASES[family]
        profile, fit = calibrate(
            case,
            fresh_profile(case, quick),
            duration_s / 2,
            seed + 1000,
            bursts=not quick,
            host_trace_s=HOST_TRACE_S / 6 if quick else HOST_TRACE_S,
        )
        fit["capacity_per_s"] = fit["saturation_per_s"]
        fit["model_capacity_per_s"] = round(capacity(case, profile), 3)
        runs = repeats or (1 if quick else REAL_REPEATS)
        for load in loads:
            try:
                compared = compare_one(case, profile, fit, load, duration_s, seed, runs, diagnose)
            except ValueError as exc:
                if failures is None:
                    raise
                failures.append(f"{family} at load {load:g}: {str(exc).splitlines()[0]}")
                continue
            rows.append({**compared, **fit, "_profile": profile})
            if on_row is not None:
                on_row(rows[-1])
    return rows


def plot_cdfs(rows: list[dict[str, Any]], path: Path) -> None:
    """Latency CDFs per family: one colour per load; the real server solid, the simulator
    dashed, the simulator at the real run's speed dotted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = sorted({r["family"] for r in rows})
    fig, axes = plt.subplots(1, len(families), figsize=(5 * len(families), 4), squeeze=False)
    lines = [
        ("_real_latency", "-", "real"),
        ("_sim_latency", "--", "sim"),
        ("_given_latency", ":", "sim at run speed"),
    ]
    for ax, family in zip(axes[0], families, strict=True):
        for k, r in enumerate(r for r in rows if r["family"] == family):
            for key, style, name in lines:
                if key in r:
                    values = np.sort(r[key])
                    ax.plot(
                        values,
                        np.linspace(0, 1, len(values)),
                        style,
                        color=f"C{k}",
                        label=f"{name} load {r['load']:g}",
                    )
        ax.set_xscale("log")
        ax.set_title(family)
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_ylabel("fraction of requests")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
