"""The real batching server and the fidelity comparison (needs torch; skipped without)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from real_backend.fidelity import CASES, capacity, fleet_for, run_fidelity
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
