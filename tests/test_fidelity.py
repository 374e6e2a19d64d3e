"""The real batching server and the fidelity comparison (needs torch; skipped without)."""

from __future__ import annotations

import dataclasses
import json
import os
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")

from real_backend.fidelity import (
    BURSTS_PER_SIZE,
    CASES,
    Artefacts,
    Calibration,
    Case,
    Diagnosis,
    DriftFit,
    FidelityRow,
    LoadRuns,
    SpeedBudget,
    burst_load,
    capacity,
    diagnosis,
    fit_host_drift,
    fit_serving_idle_penalty,
    fleet_for,
    plot_cdfs,
    requests_for,
    run_fidelity,
    run_slowdown,
    serving,
    shape_grid,
    simulate,
    size_fits,
    speed_trace,
    summarise,
    within_window_cv,
)
from real_backend.profiler import fit_idle_penalty
from real_backend.server import BatchingServer, Records, ServerConfig, replay
from simulator.spec.fleet import bucket_grid
from simulator.spec.profiles import LatencyProfile, ServiceTimeModel, load_profile
from simulator.spec.timeline import TimelineEvent

EMBEDDING_PROFILE = LatencyProfile(
    name="e", family="embedding", device="cpu", source="measured",
    batch_sizes=[1, 8], lengths=[1.0, 10.0], latency_ms=[[10.0, 100.0], [20.0, 200.0]],
    idle_penalty_ms=3.0,
)  # fmt: skip


def serve(config: ServerConfig, arrivals: list[float], lengths: list[float]):
    server = BatchingServer("classifier", config, max_length=2.0)
    server.warm_up([2.0])
    return replay(server, np.array(arrivals), np.array(lengths), limit_s=20)


def test_a_burst_fills_batches_up_to_max_batch_and_a_lone_request_waits_max_wait():
    burst = [0.0] * 7 + [1.0]
    records = serve(ServerConfig(max_batch=3, max_wait_ms=100, threads=1), burst, [1.0] * 8)
    assert (records.status == "ok").all()
    assert records.batch_sizes[:3] == [3, 3, 1] and max(records.batch_sizes) == 3
    lone = records.start_s[7] - records.arrival_s[7]
    # the last request waited max_wait for company, then went alone (not for ever: how
    # much past max_wait depends on how busy the host is)
    assert 0.1 - 1e-9 <= lone < 1.0


def test_requests_past_their_deadline_are_dropped_at_dequeue():
    # six at once, one at a time, a 5 ms deadline: each batch takes about 10 ms (more on a
    # busy host), so at least the last four wait past it; whether the first makes it
    # depends on how soon the worker wakes, so the rule is checked, not the count of ok
    records = serve(
        ServerConfig(max_batch=1, max_wait_ms=0, threads=1, timeout_ms=5.0), [0.0] * 6, [2.0] * 6
    )
    waited = records.dequeued_s - records.arrival_s
    assert set(records.status) <= {"ok", "timeout"} and (records.status == "timeout").sum() >= 4
    assert ((records.status == "timeout") == (waited > 0.005)).all()
    assert (
        records.start_s[records.status == "ok"] >= records.dequeued_s[records.status == "ok"]
    ).all()


def test_the_fidelity_fleet_is_one_replica_with_the_servers_batching():
    case = CASES["embedding"]
    fleet, library = fleet_for(case, EMBEDDING_PROFILE)
    pool = fleet.pools["server"]
    assert pool.replicas == 1 and pool.batching.max_batch == case.max_batch
    assert fleet.stages.ingress.base_ms == 0 and library.has("e", "cpu")
    # full batches of 8 padded to the longest: capacity lies between 8/200 ms and 8/20 ms
    assert 40 < capacity(case, EMBEDDING_PROFILE) < 400


def finite_numbers(record: dict) -> list[str]:
    """The keys (dotted) of a row's JSON whose value is not a finite number."""
    bad = []
    for key, value in record.items():
        if isinstance(value, dict):
            bad += [f"{key}.{k}" for k in finite_numbers(value)]
        elif isinstance(value, list | tuple):
            bad += [key] if not all(np.isfinite(value)) else []
        elif not isinstance(value, str) and not np.isfinite(value):
            bad.append(key)
    return bad


@pytest.mark.slow
def test_a_quick_fidelity_run_completes_with_sane_rows(tmp_path, monkeypatch):
    """A smoke run on the real host, every stage end to end on a small embedding setup
    (batches of up to 2, lengths up to 2 s, 2 s per load, a 3 s host trace): it ran, its
    row is complete, its numbers are finite and ordered. How close the two sides came
    depends on how busy the host is, so that is measured in `make bench-fidelity`, never
    asserted here; the diagnosis has a test of its own on synthetic runs."""
    small = Case("embedding", 2, 10.0, 1.0, 0.4, 0.5, 2.0, (0.5, 2.0), 0.5)
    monkeypatch.setitem(CASES, "embedding", small)
    monkeypatch.setattr(serving, "_WARMED", {})  # the small case warms its short buckets only
    written = []
    (row,) = run_fidelity(
        ["embedding"], (0.5,), 2.0, quick=True, repeats=1, on_row=written.append,
        host_trace_s=3.0,
    )  # fmt: skip
    assert written == [row]  # handed on as soon as it was measured
    assert row.requests > 20 and row.real_runs == 1 and row.sim_runs == 5
    for side in ("real", "sim"):
        quantiles = [getattr(row, f"{side}_p{q}_ms") for q in (50, 95, 99)]
        assert 0 < quantiles[0] <= quantiles[1] <= quantiles[2]
        assert getattr(row, f"{side}_throughput_per_s") > 0
        assert getattr(row, f"{side}_mean_batch") >= 1 and getattr(row, f"{side}_busy") > 0
    public = row.as_dict()
    assert public["diagnosis"] is None and "artefacts" not in public
    public.pop("diagnosis")
    assert finite_numbers(public) == []
    json.dumps(public)  # plain data: no numpy arrays or integers
    assert 0.2 <= row.run_slowdown <= 5 and row.speed_windows_dropped >= 0
    calibration = row.calibration
    assert calibration.drift.cv >= 0 and calibration.drift.correlation_s > 0
    assert len(calibration.size_scale) == len(calibration.size_offset_ms) == small.max_batch
    assert row.artefacts is not None and len(row.artefacts.real_latency_ms) > 20
    profile = row.artefacts.profile
    assert profile.idle_penalty_ms == calibration.idle_penalty_ms >= 0
    path = tmp_path / "profile.json"
    path.write_text(profile.model_dump_json())
    assert load_profile(path).batch_sizes == list(range(1, small.max_batch + 1))


def records_from(telemetry) -> Records:
    """A simulated run's requests and batches as a real run's records (one replica: the
    idle time before a batch is the gap since the last one ended)."""
    requests, batches = telemetry.requests, telemetry.batches.sort_values("start_s")
    ends = batches["end_s"].to_numpy()
    starts = batches["start_s"].to_numpy()
    idle = np.concatenate([[np.inf], starts[1:] - ends[:-1]])
    return Records(
        requests["arrival_s"].to_numpy(), requests["infer_start_s"].to_numpy(),
        requests["done_s"].to_numpy(), requests["batch_id"].to_numpy(),
        requests["status"].to_numpy(), starts.tolist(), batches["size"].tolist(),
        (batches["padded_audio_s"] / batches["size"]).tolist(), (ends - starts).tolist(),
        idle.tolist(),
    )  # fmt: skip


CALIBRATION = Calibration(
    capacity_per_s=60.0, model_capacity_per_s=62.0, probe_ms=5.0, serving_cv=0.12,
    serving_cv_within_window=0.1, noise_cv_beyond_drift=0.16, idle_penalty_ms=3.0,
    idle_tau_ms=50.0, idle_penalty_ms_isolated=2.0, idle_tau_ms_isolated=60.0,
    size_scale=(1.0,) * 8, size_offset_ms=(0.0,) * 8,
    drift=DriftFit(cv=0.031, correlation_s=2.2, lags=7, host_cv=0.05),
)  # fmt: skip


def test_a_diagnosed_row_of_synthetic_runs_is_complete_and_its_speed_budget_sane():
    """The summary and the diagnosis on stand-in runs: two simulated runs on a host 10%
    slower than the profile play the real server's, so the prediction (at the profile's
    speed) comes out fast, and the host's speed explains it."""
    case = CASES["embedding"]
    requests = requests_for(case, 25.0, 4.0, seed=3)
    stand_ins = simulate(case, EMBEDDING_PROFILE, 1.1, requests, 4.0, 50)[:2]
    traced = EMBEDDING_PROFILE.model_copy(update={"spread_cv": 0.1})
    runs = LoadRuns(
        requests, rate=25.0, speed_now=1.0, probed=1.0,
        reals=[records_from(t) for t in stand_ins],
        predicted=simulate(case, EMBEDDING_PROFILE, 1.0, requests, 4.0, 0),
        followed=simulate(case, traced, 1.1, requests, 4.0, 0),
    )  # fmt: skip
    row = summarise("embedding", 0.4, runs, EMBEDDING_PROFILE, CALIBRATION, 4.0)
    assert row.real_runs == 2 and row.sim_runs == 5 and row.requests == len(requests.arrival_s)
    assert row.real_p95_spread >= 0 and row.p95_noise > 0 and row.real_minor_faults == 0
    assert 1.0 < row.run_slowdown < 1.25 and row.speed_windows_dropped == 0
    found = diagnosis(case, EMBEDDING_PROFILE, CALIBRATION, runs, row.run_slowdown, 4.0, 0)
    budget = found.speed_budget
    assert budget.probe_speed_miss == round(1.0 / row.run_slowdown - 1, 4) < 0
    assert budget.p95_error_from_speed < 0 and budget.p95_speed_elasticity > 0
    assert budget.p95_speed_needed == round(float(np.log(1.08) / budget.p95_speed_elasticity), 4)
    assert found.sim_p95_ms_host_drift > 0 and np.isfinite(found.p95_error_host_drift)
    public = dataclasses.replace(row, diagnosis=found).as_dict()
    assert finite_numbers(public) == [] and set(public["diagnosis"]["speed_budget"]) == {
        f.name for f in dataclasses.fields(SpeedBudget)
    }


def test_calibration_bursts_form_every_batch_size_on_an_idle_server():
    case = CASES["tts"]
    profile = LatencyProfile(
        name="t", family="tts", device="cpu", source="measured",
        batch_sizes=[1, 4], lengths=[0.5, 4.0], latency_ms=[[10.0, 80.0], [20.0, 160.0]],
    )  # fmt: skip
    arrivals, lengths = burst_load(case, profile, seed=1)
    starts, counts = np.unique(arrivals, return_counts=True)
    assert sorted(np.bincount(counts)[1:]) == [BURSTS_PER_SIZE] * case.max_batch
    assert case.min_s <= lengths.min() and lengths.max() <= case.max_s
    # the next burst comes after max_wait plus twice the predicted service of this one
    first_gap = starts[1] - starts[0]
    assert first_gap >= case.max_wait_ms / 1000 + 2 * 0.010


def test_size_fits_recover_each_sizes_line_and_interpolate_the_unseen():
    rng = np.random.default_rng(0)
    sizes = np.repeat([1, 2, 4], 40)
    predicted = rng.uniform(0.02, 0.2, len(sizes))
    truth = {1: (1.3, 0.004), 2: (1.1, 0.002), 4: (0.9, 0.0)}
    served = np.array(
        [truth[b][0] * x + truth[b][1] for b, x in zip(sizes, predicted, strict=True)]
    )
    served[::37] *= 5  # stalls: refitted away
    fits = size_fits(sizes, predicted, served, max_batch=5)
    for b, (scale, offset) in truth.items():
        assert fits[b - 1] == pytest.approx([scale, offset], abs=1e-6)
    assert fits[2] == pytest.approx([1.0, 0.001])  # size 3: halfway between 2 and 4
    assert fits[4] == pytest.approx(fits[3])  # past the last seen size: held flat


def test_the_shape_grid_keeps_a_common_shapes_mean_and_a_rare_one_near_the_fit():
    case = Case("embedding", 2, 10.0, 1.0, 0.5, 0.5, 1.5, (0.5, 1.5), 0.5)
    profile = LatencyProfile(
        name="e", family="embedding", device="cpu", source="measured",
        batch_sizes=[1, 2], lengths=[0.5, 1.5], latency_ms=[[10.0, 30.0], [20.0, 60.0]],
    )  # fmt: skip
    fits = np.array([[1.0, 0.0], [2.0, 0.0]])  # size 2 runs twice the isolated time
    sizes = np.array([1] * 40 + [2])
    longest = np.array([1.0] * 40 + [0.5])
    served = np.array([0.025] * 40 + [0.050])
    grid = shape_grid(case, profile, fits, sizes, longest, served)
    assert grid.lengths == [0.5, 1.0, 1.5] and grid.batch_sizes == [1, 2]
    (short, common, long_), (pair_short, pair, pair_long) = grid.latency_ms
    assert (short, long_) == (10.0, 30.0)  # never served: the fit
    assert common == pytest.approx((40 * 25.0 + 4 * 20.0) / 44, abs=1e-3)  # mostly its own
    assert pair_short == pytest.approx((50.0 + 4 * 40.0) / 5)  # one batch: mostly the fit
    assert (pair, pair_long) == (80.0, 120.0)
    assert bucket_grid(1.2, 0.5) == [0.5, 1.0, 1.5] and bucket_grid(1.2, 0.0) == [1.2]


def test_the_server_records_how_long_its_replica_sat_idle_before_each_batch():
    records = serve(ServerConfig(max_batch=1, threads=1), [0.0, 0.0, 0.5], [1.0] * 3)
    idle = records.batch_idle_s
    assert idle[0] == np.inf  # a replica's first batch
    starts, service = records.batch_start_s, records.batch_service_s
    for i in (1, 2):  # from the end of the replica's last batch to the start of this one
        assert idle[i] == pytest.approx(starts[i] - starts[i - 1] - service[i - 1], abs=1e-9)
    # the second waited in the queue (back to back, however busy the host); the third
    # arrived at 0.5 s, after the replica had gone idle
    assert idle[1] >= 0 and starts[2] >= 0.5


def test_closing_the_server_leaves_no_worker_thread_running():
    server = BatchingServer("classifier", ServerConfig(max_batch=2, threads=1), max_length=2.0)
    replay(server, np.array([0.0, 0.0]), np.array([1.0, 1.0]), limit_s=10)
    assert not any(w.is_alive() for w in server.workers)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux only")
def test_replicas_run_on_their_cores_and_the_probe_leaves_the_callers_affinity_alone():
    cores = sorted(os.sched_getaffinity(0))
    last = cores[-1]
    config = ServerConfig(max_batch=1, threads=1, replicas=2, cores=(last, cores[0]))
    server = BatchingServer("classifier", config, max_length=2.0)
    assert server.probe(1.0, calls=2) > 0 and os.sched_getaffinity(0) == set(cores)
    records = replay(server, np.array([0.0, 0.0, 0.0]), np.array([1.0] * 3), limit_s=10)
    assert records.replica_cores == {0: {last}, 1: {cores[0]}}
    free = serve(ServerConfig(max_batch=1, threads=1), [0.0], [1.0])
    assert free.replica_cores == {0: set(cores)}  # no cores given: wherever the OS likes
    # a replica with two torch threads gets two cores, which its threads inherit
    two = BatchingServer("classifier", ServerConfig(threads=2, cores=tuple(cores)), 2.0)
    assert two._core(0) == set(cores[:2])
    with pytest.raises(ValueError, match=r"ServerConfig.cores: \[100000\] not among"):
        BatchingServer("classifier", ServerConfig(cores=(100_000,)), max_length=2.0)


def test_back_to_back_batches_stop_at_their_count_or_time_and_need_one_of_them():
    server = BatchingServer("classifier", ServerConfig(threads=1), max_length=2.0)
    starts, durations = server.back_to_back(1.0, calls=4)
    assert len(starts) == 4 and (np.diff(starts) >= durations[:-1]).all()
    began = time.perf_counter()
    starts, durations = server.back_to_back(1.0, seconds=0.2)
    # it ran until its time was up, back to back (how many fit depends on the host)
    assert time.perf_counter() - began >= 0.2 and len(starts) >= 1
    assert (np.diff(starts) >= durations[:-1]).all()
    with pytest.raises(ValueError, match="give calls or seconds"):
        server.back_to_back(1.0)


def host_trace(
    cv: float, correlation_s: float, noise_cv: float, seconds: float, seed: int, batch_s=0.05
):
    """Back-to-back batches of `batch_s` on a host drifting as the simulator's
    `HostSpeed`, each with its own log-normal noise too."""
    from simulator.engine.pool import HostSpeed
    from simulator.spec.fleet import HostDrift

    rng = np.random.default_rng(seed)
    host = HostSpeed(rng)
    host.configure(HostDrift(cv=cv, correlation_s=correlation_s) if cv else None)
    sigma = np.sqrt(np.log1p(noise_cv**2))
    starts, durations, t = [], [], 0.0
    while t < seconds:
        d = batch_s * (host.factor(t) if cv else 1.0) * rng.lognormal(-(sigma**2) / 2, sigma)
        starts.append(t)
        durations.append(d)
        t += d
    return np.array(starts), np.array(durations)


def test_the_host_drift_fit_recovers_spread_and_correlation_time_apart_from_batch_noise():
    fit = fit_host_drift(*host_trace(0.04, 3.0, 0.03, seconds=900.0, seed=1))
    assert fit.cv == pytest.approx(0.04, rel=0.2)
    assert fit.correlation_s == pytest.approx(3.0, rel=0.5)
    assert fit.host_cv == pytest.approx(np.hypot(0.04, 0.03), rel=0.15)
    steady = fit_host_drift(*host_trace(0.0, 1.0, 0.05, seconds=300.0, seed=2))
    # sampling noise alone fits a spurious drift of about 0.005
    assert steady.lags == 7 and steady.cv < 0.015 and steady.host_cv == pytest.approx(0.05, rel=0.1)


def test_a_60_s_trace_of_100_ms_batches_gets_the_drift_roughly_and_its_time_loosely():
    # what calibration measures: its spread within about 40%, its spell time within ~4x
    fits = [fit_host_drift(*host_trace(0.04, 3.0, 0.03, 60.0, seed, 0.1)) for seed in range(8)]
    spreads = [f.cv for f in fits]
    assert np.median(spreads) == pytest.approx(0.04, rel=0.25)
    assert min(spreads) > 0.025 and max(spreads) < 0.06
    assert all(0.75 <= f.correlation_s <= 12.0 for f in fits)  # a fifth of 60 s
    # too short a trace to see any lag: no drift fitted, and it says so
    few = fit_host_drift(np.array([0.0, 0.1]), np.array([0.1, 0.1]))
    assert few.lags == 0 and few.cv == 0.0


def test_idle_penalty_fit_recovers_size_and_time_constant():
    def excess(gap: float) -> float:
        return 2.0 * -np.expm1(-gap / 0.050)

    medians = {g: 10.0 + excess(g) for g in (0.0, 0.01, 0.03, 0.1, 0.3)}
    penalty, tau = fit_idle_penalty(medians)
    assert penalty == pytest.approx(2.0, rel=0.01) and tau == pytest.approx(50.0, rel=0.03)
    assert fit_idle_penalty({0.0: 10.0, 0.1: 9.9, 0.3: 9.8}) == (0.0, 50.0)  # no penalty seen


def test_the_serving_idle_penalty_is_fitted_within_shapes_not_across_them():
    """Shapes of very different times, each served after idle gaps from back to back to a
    second (and a replica's first batch, idle forever), with 5% batch noise: the penalty
    (4 ms, τ 80 ms) comes back from how each shape's time moves with its idle time."""
    rng = np.random.default_rng(7)
    n = 3000
    sizes = rng.integers(1, 5, n)
    longest = rng.choice([1.0, 2.0, 4.0], n)
    idle = np.where(rng.random(n) < 0.2, 0.0, 10 ** rng.uniform(-3, 0, n))
    idle[:3] = np.inf
    base = 0.005 * sizes * longest
    served = base * (1 + 0.05 * rng.standard_normal(n)) + 0.004 * -np.expm1(-idle / 0.080)
    penalty, tau = fit_serving_idle_penalty(sizes, longest, idle, list(served))
    assert penalty == pytest.approx(4.0, rel=0.15) and tau == pytest.approx(80.0, rel=0.3)
    # no penalty in the data: none fitted, though long shapes are slow
    flat = base * (1 + 0.05 * rng.standard_normal(n))
    assert fit_serving_idle_penalty(sizes, longest, idle, list(flat))[0] < 0.5


def records_at_speed(starts: list[float], speeds: list[float]) -> Records:
    """Batches of 4 at 5 s padded length, each `speed` times the model's time plus the
    modelled idle penalty (the replica idle 20 ms before each)."""
    model = ServiceTimeModel(EMBEDDING_PROFILE)
    n = len(starts)
    served = [k * model.latency_s(4, 5.0) + model.idle_penalty_s(0.02) for k in speeds]
    return Records(
        np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.full(n, "ok"),
        starts, [4] * n, [5.0] * n, served, [0.02] * n,
    )  # fmt: skip


def test_the_speed_a_run_went_at_is_read_against_the_fitted_model_less_its_idle_penalty():
    records = records_at_speed([0.0, 0.5, 1.0], [1.1, 1.1, 1.1])
    assert run_slowdown(EMBEDDING_PROFILE, [records]) == pytest.approx(1.1)
    slow, fast = records_at_speed([0.0], [1.3]), records_at_speed([0.0], [0.9])
    assert run_slowdown(EMBEDDING_PROFILE, [slow, fast]) == pytest.approx(1.1)


def test_the_speed_trace_sets_each_windows_time_weighted_speed_and_skips_empty_windows():
    records = records_at_speed([0.1, 1.5, 2.2, 6.9], [1.0, 1.2, 0.8, 1.5])
    trace = speed_trace(EMBEDDING_PROFILE, records, window_s=2.0)
    assert [e.at_s for e in trace] == [0.0, 2.0, 6.0]  # nothing started in [4, 6)
    speeds = [e.set["pools.server.slowdown"] for e in trace]
    assert speeds == pytest.approx([1.1, 0.8, 1.5])


def test_a_simulated_run_following_a_speed_trace_serves_each_window_at_its_speed():
    from simulator import run_requests

    case = CASES["embedding"]
    exact = EMBEDDING_PROFILE.model_copy(update={"idle_penalty_ms": 0.0, "spread_cv": 0.0})
    fleet, library = fleet_for(case, exact, slowdown=1.5)
    trace = [TimelineEvent(at_s=10.0, set={"pools.server.slowdown": 2.0})]
    requests = requests_for(case, 2.0, 20.0, seed=3)
    batches = run_requests(fleet, requests, trace, seed=0, duration_s=20.0, profiles=library)
    batches = batches.batches
    model = ServiceTimeModel(exact)
    start = batches["start_s"].to_numpy()
    longest = (batches["padded_audio_s"] / batches["size"]).to_numpy()
    expected = [
        model.latency_s(int(size), float(n)) * (2.0 if t >= 10.0 else 1.5)
        for size, n, t in zip(batches["size"], longest, start, strict=True)
    ]
    assert (start < 10).any() and (start >= 10).any()
    assert (batches["end_s"] - start).to_numpy() == pytest.approx(expected, rel=1e-9)


def test_the_noise_left_within_a_window_takes_out_each_windows_own_speed():
    # two windows, the second 20% slower throughout: all of the spread is drift
    windows = np.array([0, 0, 1, 1])
    expected = np.array([1.0, 2.0, 1.0, 2.0])
    assert within_window_cv(windows, expected * [1, 1, 1.2, 1.2], expected) == pytest.approx(0)
    # within a window, ±10% around its time-weighted speed: that spread stays, over
    # 4 batches less 2 window speeds
    served = expected * np.array([0.9, 1.1, 1.2 * 0.9, 1.2 * 1.1])
    speed = (0.9 + 2.2) / 3
    residual = np.array([0.9, 1.1, 0.9, 1.1]) / speed - 1
    assert within_window_cv(windows, served, expected) == pytest.approx(
        np.sqrt(np.sum(residual**2) / 2)
    )
    # a window of one batch tells nothing; one whose speed is not positive is left out
    lone = within_window_cv(np.array([0, 1, 1]), np.array([5.0, 0.9, 2.2]), np.ones(3) * [1, 1, 2])
    assert lone == pytest.approx(np.sqrt(np.sum(residual[:2] ** 2) / 1))
    broken = within_window_cv(windows, served * [1, 1, -1, -1], expected)
    assert broken == pytest.approx(np.sqrt(np.sum(residual[:2] ** 2) / 1))


def test_server_length_buckets_pad_up_and_list_every_shape_to_warm():
    config = ServerConfig(max_batch=2, length_bucket_s=0.5, threads=1)
    assert [config.padded(x) for x in (0.2, 0.5, 0.51, 1.99)] == [0.5, 0.5, 1.0, 2.0]
    server = BatchingServer("classifier", config, max_length=2.0)
    assert server.bucket_lengths(2.0) == [0.5, 1.0, 1.5, 2.0]
    records = replay(server, np.array([0.0]), np.array([0.7]), limit_s=10)
    assert records.batch_longest_s == [1.0]


def fidelity_row(**figures) -> FidelityRow:
    """A row of one TTS load at 0.9 as a full run measured it, these figures replaced."""
    row = FidelityRow(
        family="tts", load=0.9, rate_per_s=19.2, requests=700, real_runs=2, sim_runs=5,
        real_p50_ms=1537.3, sim_p50_ms=1520.3, p50_error=-0.011,
        real_p95_ms=3554.1, sim_p95_ms=2262.9, p95_error=-0.363,
        real_p99_ms=3770.7, sim_p99_ms=2398.9, p99_error=-0.364,
        p50_error_given_speed=0.003, p95_error_given_speed=0.014, p99_error_given_speed=0.02,
        p95_noise=0.047, real_p95_spread=0.629,
        real_throughput_per_s=19.1, sim_throughput_per_s=19.1,
        real_mean_batch=3.58, sim_mean_batch=3.78, real_busy=1.031, sim_busy=0.9,
        real_minor_faults=20, machine_slowdown=0.98, slowdown_at_rate=0.97, run_slowdown=1.03,
        speed_windows_dropped=0, calibration=CALIBRATION,
        diagnosis=Diagnosis(
            sim_p95_ms_host_drift=2500.0, p95_error_host_drift=-0.297,
            speed_budget=SpeedBudget(
                p95_speed_elasticity=8.1, probe_speed_miss=-0.045,
                p95_error_from_speed=-0.312, p95_speed_needed=0.0095,
            ),
        ),
    )  # fmt: skip
    return dataclasses.replace(row, **figures)


def test_the_cdf_plot_has_one_panel_per_family(tmp_path):
    rng = np.random.default_rng(0)
    rows = [
        fidelity_row(
            family=f, load=load,
            artefacts=Artefacts(EMBEDDING_PROFILE, *(rng.gamma(2.0, 20.0, 50) for _ in range(3))),
        )
        for f in ("tts", "embedding")
        for load in (0.3, 0.9)
    ]  # fmt: skip
    path = tmp_path / "fidelity.png"
    plot_cdfs([*rows, fidelity_row(family="asr-batch")], path)  # no artefacts: left out
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert (width, height) == (2 * 5 * 90, 4 * 90)  # two 5-inch panels at 90 dpi


def test_the_fidelity_table_shows_each_sides_numbers_and_the_busy_fractions():
    from drills.cli.simulate import render_fidelity

    row = fidelity_row()
    header, _, line, _, drift, speed = render_fidelity([row]).splitlines()
    assert header.rstrip().endswith("of it host speed")  # --diagnose's column, last
    assert "3554.1 / 2262.9" in line and "-36.3%" in line and "±4.7%" in line
    assert "+1.4%" in line and "62.9%" in line
    assert line.rstrip().endswith("-31.2%") and "103% / 90%" in line
    # without --diagnose: no host-speed column and no note about it
    plain_header, _, plain_line, _, plain_drift = render_fidelity(
        [fidelity_row(diagnosis=None)]
    ).splitlines()
    assert plain_header.split()[-2:] == ["busy", "real/sim"]
    assert plain_line.rstrip().endswith("103% / 90%") and plain_drift == drift
    # the host's speed: how closely the hardest cell needs it, how closely the probe knew it
    assert row.diagnosis is not None
    calm_budget = dataclasses.replace(
        row.diagnosis.speed_budget, p95_speed_elasticity=1.1, probe_speed_miss=0.045
    )
    calm = fidelity_row(
        load=0.3, diagnosis=dataclasses.replace(row.diagnosis, speed_budget=calm_budget)
    )
    assert (
        render_fidelity([calm, row]).splitlines()[-1]
        == speed
        == (
            "host speed: at tts 0.9 the p95 moves 8.1% per 1% of host speed, so a p95 within 8% "
            "needs the speed known within 0.9%; the probe missed the runs' speed by 4.5% RMS"
        )
    )
    # the host drift calibration measured is said once per family, under the table
    lines = render_fidelity([row, fidelity_row(load=0.6)]).splitlines()
    assert (
        lines[-2]
        == drift
        == (
            "tts: the host's speed drifted by 3.1% in spells of 2.2 s (batch noise beyond it 16.0%)"
        )
    )
    assert lines[-3] == "" and len(lines) == 7


@st.composite
def odd_records(draw) -> Records:
    """Real-run records as a broken fit could meet them: batches faster than the model,
    instant batches, empty windows, and idle penalties larger than every batch."""
    n = draw(st.integers(1, 12))
    starts = sorted(draw(st.lists(st.floats(0, 30), min_size=n, max_size=n)))
    service = draw(st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 2.0)), min_size=n, max_size=n))
    idle = draw(
        st.lists(st.one_of(st.just(float("inf")), st.floats(0, 10)), min_size=n, max_size=n)
    )
    sizes = draw(st.lists(st.integers(1, 8), min_size=n, max_size=n))
    longest = draw(st.lists(st.floats(0.5, 20), min_size=n, max_size=n))
    return Records(
        np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.full(n, "ok"),
        starts, sizes, longest, service, idle,
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(odd_records(), st.floats(0.0, 2.0))
def test_a_speed_estimate_is_never_non_positive_or_absurd(records, penalty_s):
    """Whatever the records, the speed trace and the run's speed never raise and never
    give the simulator a speed outside the usable range (issue: a fitted idle penalty
    larger than a window's batches made its speed negative and crashed a 13-minute run)."""
    from real_backend.fidelity import USABLE_SPEED, unusable_windows

    profile = EMBEDDING_PROFILE.model_copy(
        update={"idle_penalty_ms": penalty_s * 1000, "idle_tau_ms": 50.0}
    )
    speeds = [e.set["pools.server.slowdown"] for e in speed_trace(profile, records)]
    speeds.append(run_slowdown(profile, [records]))
    assert all(USABLE_SPEED[0] <= v <= USABLE_SPEED[1] for v in speeds)
    assert unusable_windows(profile, records) >= 0
