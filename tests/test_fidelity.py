"""The real batching server and the fidelity comparison (needs torch; skipped without)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from real_backend.fidelity import (
    BURSTS_PER_SIZE,
    CASES,
    burst_load,
    capacity,
    fleet_for,
    run_fidelity,
    size_fits,
)
from real_backend.server import BatchingServer, ServerConfig, replay
from simulator.profiles import LatencyProfile


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
    assert 0.09 < lone < 0.2  # the last request waited for company, then went alone


def test_requests_past_their_deadline_are_dropped_at_dequeue():
    records = serve(
        ServerConfig(max_batch=1, max_wait_ms=0, threads=1, timeout_ms=1.0), [0.0] * 6, [2.0] * 6
    )
    assert records.status[0] == "ok" and (records.status == "timeout").sum() >= 4


def test_the_fidelity_fleet_is_one_replica_with_the_servers_batching():
    case = CASES["embedding"]
    profile = LatencyProfile(
        name="e", family="embedding", device="cpu", source="measured",
        batch_sizes=[1, 8], lengths=[1.0, 10.0], latency_ms=[[10.0, 100.0], [20.0, 200.0]],
    )  # fmt: skip
    fleet, library = fleet_for(case, profile)
    pool = fleet.pools["server"]
    assert pool.replicas == 1 and pool.batching.max_batch == case.max_batch
    assert fleet.stages.ingress.base_ms == 0 and library.has("e", "cpu")
    # full batches of 8 padded to the longest: capacity lies between 8/200 ms and 8/20 ms
    assert 40 < capacity(case, profile) < 400


def test_quick_fidelity_run_agrees_loosely_with_the_simulator():
    (row,) = run_fidelity(["embedding"], (0.5,), duration_s=8.0, quick=True)
    assert row["requests"] > 50
    assert row["sim_throughput_per_s"] == pytest.approx(row["real_throughput_per_s"], rel=0.05)
    assert abs(row["p50_error"]) < 0.5 and abs(row["real_mean_batch"] - row["sim_mean_batch"]) < 0.5


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
