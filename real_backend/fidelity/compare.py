"""Compare stage: at each load, the same requests through the real server and through the
simulator on the calibrated profile, summed up as a `FidelityRow` (and, with `diagnose`,
where its error comes from); `run_fidelity` runs every stage for each family."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from real_backend.fidelity.calibration import HOST_TRACE_S, Calibration, calibrate
from real_backend.fidelity.cases import CASES, Case, fleet_for, fresh_profile, requests_for
from real_backend.fidelity.host_speed import run_slowdown, speed_trace, unusable_windows
from real_backend.fidelity.results import Artefacts, Diagnosis, FidelityRow, SpeedBudget
from real_backend.fidelity.serving import probed_replay, server_for
from real_backend.server import Records
from simulator.spec.fleet import HostDrift
from simulator.spec.profiles import LatencyProfile
from simulator.spec.timeline import TimelineEvent
from simulator.spec.workload import RequestArrays
from simulator.telemetry.bundle import Telemetry

REAL_REPEATS = 2  # the real server's own run-to-run spread is the noise floor
SIM_SEEDS = 5  # simulated service noise averaged over seeds, arrivals held fixed
# the host this much slower and faster: how the p95 moves with its speed, as the slope of
# log p95 on log speed over these and the prediction itself (one ±2% pair swung from 0.4
# to 7 at half load in an 8 s run: a p95 of few requests moves in steps)
SPEED_STEPS = (-0.05, -0.025, 0.025, 0.05)


@dataclass(frozen=True)
class LoadRuns:
    """One load's runs: the real server's and the simulator's, on the same requests."""

    requests: RequestArrays
    rate: float  # arrivals per second
    speed_now: float  # the host's speed just before, against calibration's probe
    probed: float  # its speed during the real runs, by their probes
    reals: list[Records]
    predicted: list[Telemetry]  # at the probed speed
    followed: list[Telemetry]  # at each real run's speed, window by window


def run_fidelity(
    families: list[str],
    loads: tuple[float, ...],
    duration_s: float,
    quick: bool,
    seed: int = 0,
    repeats: int | None = None,
    on_row: Callable[[FidelityRow], None] | None = None,
    failures: list[str] | None = None,
    diagnose: bool = False,
    host_trace_s: float | None = None,
) -> list[FidelityRow]:
    """Per family: profile, fit (calibration loads of their own), then compare each load.
    Loads are fractions of the measured capacity: the real server's throughput on a
    backlog of full batches (the fitted model's capacity is reported beside it). The
    host's drift is fitted on `host_trace_s` of back-to-back batches (HOST_TRACE_S, a
    sixth of it with `quick`).

    Each finished row goes to `on_row` as it completes, so a long run keeps what it
    measured; a cell that fails on a bad value (ValueError, such as a speed the simulator
    refuses) is recorded in `failures` as one line and the run goes on."""
    rows = []
    for family in families:
        case = CASES[family]
        profile, calibration = calibrate(
            case,
            fresh_profile(case, quick),
            duration_s / 2,
            seed + 1000,
            bursts=not quick,
            host_trace_s=host_trace_s or (HOST_TRACE_S / 6 if quick else HOST_TRACE_S),
        )
        runs = repeats or (1 if quick else REAL_REPEATS)
        for load in loads:
            try:
                row = compare_one(
                    case, profile, calibration, load, duration_s, seed, runs, diagnose
                )
            except ValueError as exc:
                if failures is None:
                    raise
                failures.append(f"{family} at load {load:g}: {str(exc).splitlines()[0]}")
                continue
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return rows


def compare_one(
    case: Case,
    profile: LatencyProfile,
    calibration: Calibration,
    load: float,
    duration_s: float,
    seed: int,
    repeats: int = REAL_REPEATS,
    diagnose: bool = False,
) -> FidelityRow:
    """One load (a fraction of calibration's `capacity_per_s`, rescaled to the host's speed
    probed just before): the same requests through the real server `repeats` times and
    through the simulator with SIM_SEEDS service-noise seeds, its profile scaled by the
    machine's speed during the real runs against calibration (the speed probe's ratio to
    calibration's `probe_ms`: a shared VM drifts by several percent over tens of seconds),
    all of calibration's spread drawn as per-batch noise (`run_load`, `summarise`).

    With `diagnose`, the same prediction with the host drifting as calibration measured
    (`HostDrift`, the rest of the spread as batch noise) is reported beside it: on this VM
    it did not predict better, since the miss in the host's mean speed dominates and
    drift, raising the tail, amplifies an over-prediction. `speed_budget` says how much of
    the error that miss explains."""
    runs = run_load(case, profile, calibration, load, duration_s, seed, repeats)
    row = summarise(case.family, load, runs, profile, calibration, duration_s)
    if not diagnose:
        return row
    found = diagnosis(case, profile, calibration, runs, row.run_slowdown, duration_s, seed)
    return replace(row, diagnosis=found)


def run_load(
    case: Case,
    profile: LatencyProfile,
    calibration: Calibration,
    load: float,
    duration_s: float,
    seed: int,
    repeats: int,
) -> LoadRuns:
    """The real runs of one load's requests, the prediction at the probed speed and a
    second simulation that follows the speed the real batches actually ran at, window by
    window (`speed_trace`), with the service noise left around each window's speed
    (`serving_cv_within_window`): its error isolates the queueing and batching mechanics
    from the prediction of the host's speed."""
    # capacity as the host is now: a host a tenth slower than at calibration would turn
    # load 0.9 into 0.99, where the p95 is the run's length more than the server's
    speed_now = server_for(case).probe(case.median_s) / calibration.probe_ms
    rate = load * calibration.capacity_per_s / speed_now
    requests = requests_for(case, rate, duration_s, seed)
    arrivals, lengths = np.asarray(requests.arrival_s), np.asarray(requests.audio_s)
    runs = [
        probed_replay(case, arrivals, lengths, limit_s=duration_s * 4 + 30) for _ in range(repeats)
    ]
    reals = [real for real, _ in runs]
    probed = float(np.mean([probe for _, probe in runs])) / calibration.probe_ms
    predicted = simulate(case, profile, probed, requests, duration_s, seed)
    traced = profile.model_copy(update={"spread_cv": calibration.serving_cv_within_window})
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
    return LoadRuns(requests, rate, speed_now, probed, reals, predicted, followed)


def summarise(
    family: str,
    load: float,
    runs: LoadRuns,
    profile: LatencyProfile,
    calibration: Calibration,
    duration_s: float,
) -> FidelityRow:
    """Quantiles of the pooled runs on each side, relative errors (of the prediction and
    at the run's speed), the spread of the real server's p95 between its own runs, the
    sampling noise of the p95 comparison, throughput, batch size, busy fraction, and the
    host's speed as the probes and the batches saw it."""
    reals, sims = runs.reals, runs.predicted
    each_sim_latency = served_latency_ms(sims)
    real_latency = np.concatenate([r.latency_ms for r in reals])
    sim_latency = np.concatenate(each_sim_latency)
    given_latency = np.concatenate(served_latency_ms(runs.followed))
    real, sim, given = (quantiles_ms(x) for x in (real_latency, sim_latency, given_latency))
    real_sizes = np.concatenate([r.batch_sizes for r in reals])
    sim_sizes = np.concatenate([s.batches["size"].to_numpy() for s in sims])
    # the replica's busy seconds per second of arrivals: the load each side really carried
    real_busy = [float(np.sum(r.batch_service_s)) for r in reals]
    sim_busy = [float((s.batches["end_s"] - s.batches["start_s"]).sum()) for s in sims]
    return FidelityRow(
        family=family,
        load=load,
        rate_per_s=round(runs.rate, 3),
        requests=len(reals[0].arrival_s),
        real_runs=len(reals),
        sim_runs=len(sims),
        real_p50_ms=round(real[0], 2),
        sim_p50_ms=round(sim[0], 2),
        p50_error=relative_error(sim[0], real[0]),
        real_p95_ms=round(real[1], 2),
        sim_p95_ms=round(sim[1], 2),
        p95_error=relative_error(sim[1], real[1]),
        real_p99_ms=round(real[2], 2),
        sim_p99_ms=round(sim[2], 2),
        p99_error=relative_error(sim[2], real[2]),
        p50_error_given_speed=relative_error(given[0], real[0]),
        p95_error_given_speed=relative_error(given[1], real[1]),
        p99_error_given_speed=relative_error(given[2], real[2]),
        p95_noise=p95_noise(len(reals), each_sim_latency),
        real_p95_spread=real_p95_spread(reals),
        real_throughput_per_s=round(len(real_latency) / len(reals) / duration_s, 3),
        sim_throughput_per_s=round(len(sim_latency) / len(sims) / duration_s, 3),
        real_mean_batch=round(float(real_sizes.mean()), 3),
        sim_mean_batch=round(float(sim_sizes.mean()), 3),
        real_busy=round(float(np.mean(real_busy)) / duration_s, 4),
        sim_busy=round(float(np.mean(sim_busy)) / duration_s, 4),
        real_minor_faults=int(np.mean([r.minor_faults for r in reals])),
        machine_slowdown=round(runs.probed, 4),
        slowdown_at_rate=round(runs.speed_now, 4),
        run_slowdown=round(run_slowdown(profile, reals), 4),
        speed_windows_dropped=sum(unusable_windows(profile, real) for real in reals),
        calibration=calibration,
        artefacts=Artefacts(profile, real_latency, sim_latency, given_latency),
    )


def quantiles_ms(latency_ms: np.ndarray) -> tuple[float, float, float]:
    """p50, p95 and p99."""
    p50, p95, p99 = (float(np.percentile(latency_ms, q)) for q in (50, 95, 99))
    return p50, p95, p99


def relative_error(sim: float, real: float) -> float:
    return round((sim - real) / real, 4)


def real_p95_spread(reals: list[Records]) -> float:
    """(max − min) / mean of the real runs' own p95s."""
    each_p95 = [float(np.percentile(r.latency_ms, 95)) for r in reals]
    return round((max(each_p95) - min(each_p95)) / float(np.mean(each_p95)), 4)


def p95_noise(real_runs: int, each_sim_latency: list[np.ndarray]) -> float:
    """The sampling noise of the p95 comparison. One run's p95 varies with its service
    noise alone (same arrivals): the simulated runs' CV, scaled to the pooled runs on both
    sides, is the error a perfect model shows."""
    each_sim = np.array([np.percentile(latency, 95) for latency in each_sim_latency])
    cv = float(each_sim.std(ddof=1) / each_sim.mean()) if len(each_sim) > 1 else 0.0
    return round(cv * float(np.sqrt(1 / real_runs + 1 / len(each_sim_latency))), 4)


def diagnosis(
    case: Case,
    profile: LatencyProfile,
    calibration: Calibration,
    runs: LoadRuns,
    ran: float,
    duration_s: float,
    seed: int,
) -> Diagnosis:
    """`--diagnose`: where a prediction's error comes from. The same prediction on a
    drifting host (calibration's drift, the rest of the spread as batch noise), and how
    much of the error the host's speed alone explains (`speed_budget`; `ran` is the speed
    the real runs went at, as the row gives it)."""
    drift = calibration.drift.host_drift()
    beyond_drift = profile.model_copy(update={"spread_cv": calibration.noise_cv_beyond_drift})
    drifting = simulate(
        case, beyond_drift, runs.probed, runs.requests, duration_s, seed, drift=drift
    )
    real_p95 = float(np.percentile(np.concatenate([r.latency_ms for r in runs.reals]), 95))
    drifted_p95 = pooled_p95(drifting)
    predicted_p95 = pooled_p95(runs.predicted)
    return Diagnosis(
        sim_p95_ms_host_drift=round(drifted_p95, 2),
        p95_error_host_drift=relative_error(drifted_p95, real_p95),
        speed_budget=speed_budget(
            case, profile, runs.probed, predicted_p95, ran, runs.requests, duration_s, seed
        ),
    )


def speed_budget(
    case: Case,
    profile: LatencyProfile,
    probed: float,
    predicted_p95: float,
    ran: float,
    requests: RequestArrays,
    duration_s: float,
    seed: int,
) -> SpeedBudget:
    """How much of the prediction's error the host's speed alone explains: the simulated
    p95 at the probed speed (`predicted_p95`, the prediction's own) over the same
    simulation at the speed the run really went at (the same seeds: common random
    numbers). Beside it, the p95's elasticity to the host's speed (a least-squares slope
    over SPEED_STEPS around probed) and, from it, how closely the host's speed must be
    known for the p95 to be predicted within 8% (`p95_speed_needed`)."""

    def p95(slowdown: float) -> float:
        return pooled_p95(simulate(case, profile, slowdown, requests, duration_s, seed))

    speeds = np.log1p([0.0, *SPEED_STEPS])
    p95s = np.log([predicted_p95, *(p95(probed * (1 + step)) for step in SPEED_STEPS)])
    elasticity = float(np.polyfit(speeds, p95s, 1)[0])
    return SpeedBudget(
        p95_speed_elasticity=round(elasticity, 3),
        probe_speed_miss=round(probed / ran - 1, 4),
        p95_error_from_speed=round(predicted_p95 / p95(ran) - 1, 4),
        p95_speed_needed=round(float(np.log(1.08) / elasticity), 4) if elasticity > 0 else 1.0,
    )


def simulate(
    case: Case,
    profile: LatencyProfile,
    slowdown: float,
    requests: RequestArrays,
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


def served_latency_ms(sims: list[Telemetry]) -> list[np.ndarray]:
    """Each simulated run's latencies of the requests it served."""
    return [
        s.requests.loc[s.requests["status"] == "ok", "latency_ms"].to_numpy(dtype=float)
        for s in sims
    ]


def pooled_p95(sims: list[Telemetry]) -> float:
    """The p95 of the simulated runs' served latencies, pooled."""
    return float(np.percentile(np.concatenate(served_latency_ms(sims)), 95))
