"""Each mechanism of the engine, checked against hand-computed timings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.engine.loop import Simulation
from simulator.spec.fleet import RouteRule
from simulator.spec.profiles import ProfileLibrary
from simulator.spec.timeline import Announcement, TimelineEvent
from simulator.telemetry.bundle import build
from tests.helpers import LINEAR, fleet, linear_ms, requests, simulate


def row(tel, rid):
    return tel.requests.iloc[rid]


def test_single_request_walks_all_six_stages_with_exact_times():
    stages = {
        "ingress": {"base_ms": 1.0},
        "preprocess": {"base_ms": 2.0, "per_audio_s_ms": 1.0},
        "route": {"base_ms": 0.5},
        "postprocess": {"base_ms": 3.0, "per_audio_s_ms": 0.5},
        "observe": {"base_ms": 0.25},
    }
    _, tel = simulate(fleet(stages=stages), requests([1.0], audio=[4.0]))
    r = row(tel, 0)
    assert r.ingress_done_s == pytest.approx(1.001)
    assert r.preprocess_done_s == pytest.approx(1.001 + 0.006)
    assert r.enqueue_s == pytest.approx(1.0075)
    assert r.infer_start_s == pytest.approx(1.0075)
    infer = linear_ms(1, 4.0) / 1000
    assert r.infer_end_s == pytest.approx(1.0075 + infer)
    assert r.done_s == pytest.approx(1.0075 + infer + 0.005 + 0.00025)
    assert r.latency_ms == pytest.approx((r.done_s - 1.0) * 1000, rel=1e-6)
    assert r.status == "ok" and r.pool == "p" and r.model_version == "m:1"


def test_full_batch_dispatches_at_once_and_runs_at_its_longest_item():
    f = fleet(batching={"max_batch": 3, "max_wait_ms": 500})
    _, tel = simulate(f, requests([0.0, 0.0, 0.0], audio=[1.0, 5.0, 2.0]))
    assert tel.requests["batch_id"].tolist() == [0, 0, 0]
    batch = tel.batches.iloc[0]
    assert batch.start_s == 0.0
    assert batch.end_s == pytest.approx(linear_ms(3, 5.0) / 1000)
    assert batch.padded_audio_s == pytest.approx(15.0)
    assert batch.useful_audio_s == pytest.approx(8.0)


def test_partial_batch_waits_max_wait_from_the_oldest_request():
    f = fleet(batching={"max_batch": 4, "max_wait_ms": 50})
    _, tel = simulate(f, requests([0.0, 0.02, 0.04]))
    assert tel.batches["size"].tolist() == [3]
    assert tel.batches["start_s"].iloc[0] == pytest.approx(0.05)
    waits = tel.requests["infer_start_s"] - tel.requests["enqueue_s"]
    assert waits.tolist() == pytest.approx([0.05, 0.03, 0.01])


def test_busy_replica_batches_what_queued_meanwhile():
    f = fleet(batching={"max_batch": 8, "max_wait_ms": 0})
    arrivals = [0.0, 0.01, 0.02, 0.03]
    _, tel = simulate(f, requests(arrivals))
    # the first runs alone; the other three queue behind it and then go as one batch
    assert tel.batches["size"].tolist() == [1, 3]
    assert tel.batches["start_s"].iloc[1] == pytest.approx(linear_ms(1, 1.0) / 1000)


def test_bounded_queue_rejects_when_full():
    f = fleet(queue_capacity=2)
    _, tel = simulate(f, requests([0.0] * 5))
    status = tel.requests["status"].tolist()
    assert status == ["ok", "ok", "ok", "rejected", "rejected"]
    assert set(tel.requests["reject_reason"][3:]) == {"queue_full"}


def test_requests_past_deadline_are_cancelled_before_taking_a_slot():
    f = fleet()
    f.slos["asr-batch"].timeout_ms = 250  # each request takes 130 ms
    _, tel = simulate(f, requests([0.0, 0.0, 0.0, 0.0]))
    # served at 0, 0.13; the third would start at 0.26 > 0.25: cancelled, as is the fourth
    assert tel.requests["status"].tolist() == ["ok", "ok", "timeout", "timeout"]
    assert tel.requests["batch_id"].tolist()[2:] == [-1, -1]
    assert tel.requests["done_s"].iloc[2] == pytest.approx(0.26)
    assert len(tel.batches) == 2


def test_invalid_payloads_are_rejected_at_ingress_or_cost_compute_when_not():
    reqs = requests([0.0, 1.0], invalid=[True, False])
    _, tel = simulate(fleet(), reqs)
    assert tel.requests["status"].tolist() == ["rejected", "ok"]
    assert tel.requests["reject_reason"].iloc[0] == "invalid_payload"
    assert len(tel.batches) == 1
    f = fleet()
    f.stages.reject_invalid = False
    _, tel = simulate(f, requests([0.0, 1.0], invalid=[True, False]))
    assert tel.requests["status"].tolist() == ["error", "ok"]
    assert len(tel.batches) == 2 and tel.requests["cost_usd"].iloc[0] > 0


def test_split_route_follows_the_request_uniform_draw():
    f = fleet()
    f.pools["q"] = f.pools["p"].model_copy()
    f.routes = [RouteRule(split={"p": 3, "q": 1})]
    _, tel = simulate(f, requests([0.0, 1.0, 2.0], u_route=[0.1, 0.74, 0.76]))
    assert tel.requests["pool"].tolist() == ["p", "p", "q"]


def test_unrouted_requests_are_rejected():
    f = fleet()
    f.routes[0].match.tenant = "acme"
    _, tel = simulate(f, requests([0.0, 1.0], tenants=["acme", "other"]))
    assert tel.requests["status"].tolist() == ["ok", "rejected"]
    assert tel.requests["reject_reason"].iloc[1] == "no_route"


def test_timeline_scales_replicas_from_its_time_on_and_announces_only_what_it_says():
    f = fleet()
    event = TimelineEvent(
        at_s=1.0,
        set={"pools.p.replicas": 4},
        announce=Announcement(type="action", target="p", detail="scale to 4"),
    )
    arrivals = [0.0] * 4 + [1.0] * 4
    _, tel = simulate(f, requests(arrivals), timeline=[event])
    starts = tel.requests["infer_start_s"].to_numpy()
    # before: one replica serves the first four one after another
    assert starts[:4] == pytest.approx([0.0, 0.13, 0.26, 0.39])
    # after: four replicas take the next four at once
    assert starts[4:] == pytest.approx([1.0] * 4)
    assert tel.events.to_dict("records") == [
        {"t_s": 1.0, "type": "action", "target": "p", "detail": "scale to 4"}
    ]
    replicas = tel.metrics[(tel.metrics["name"] == "replicas")]
    assert set(replicas["value"]) == {1.0, 4.0}


def test_finite_front_stage_workers_queue_fifo():
    stages = {
        "preprocess": {"base_ms": 100.0, "workers": 1},
        "ingress": {},
        "route": {},
        "postprocess": {},
        "observe": {},
    }
    f = fleet(stages=stages, replicas=4)
    _, tel = simulate(f, requests([0.0, 0.0, 0.0]))
    assert tel.requests["preprocess_done_s"].tolist() == pytest.approx([0.1, 0.2, 0.3])
    assert tel.requests["enqueue_s"].tolist() == pytest.approx([0.1, 0.2, 0.3])


def test_cost_ledger_reconciles_with_replica_seconds():
    f = fleet(replicas=2, price_per_hour=36.0)  # 1 cent per replica-second
    _, tel = simulate(f, requests([0.0, 0.5, 1.0]), duration_s=10.0)
    assert tel.pool_cost["replica_seconds"].sum() == pytest.approx(20.0)
    assert tel.pool_cost["cost_usd"].sum() == pytest.approx(0.20)
    busy = (tel.batches["end_s"] - tel.batches["start_s"]).sum()
    assert tel.batches["cost_usd"].sum() == pytest.approx(busy * 0.01)
    assert tel.requests["cost_usd"].sum() == pytest.approx(tel.batches["cost_usd"].sum())


def test_utilisation_metric_matches_busy_time():
    f = fleet(replicas=1)
    f.metrics_interval_s = 1.0
    _, tel = simulate(f, requests([0.0, 0.2]), duration_s=3.0)
    util = tel.metrics[tel.metrics["name"] == "utilisation"].set_index("t_s")["value"]
    assert util.loc[0.0] == pytest.approx(0.26)
    assert util.loc[1.0] == 0.0


def test_zero_replicas_queue_until_scaled_up():
    f = fleet(replicas=0)
    event = TimelineEvent(at_s=2.0, set={"pools.p.replicas": 1})
    _, tel = simulate(f, requests([0.5]), timeline=[event])
    assert tel.requests["infer_start_s"].iloc[0] == 2.0


def test_in_flight_work_drains_after_the_arrival_window():
    _, tel = simulate(fleet(), requests([9.99]), duration_s=10.0)
    assert tel.requests["status"].iloc[0] == "ok"
    assert tel.horizon_s == pytest.approx(9.99 + 0.13)
    assert not math.isnan(tel.requests["done_s"].iloc[0])


def test_conservation_on_a_busy_fleet():
    f = fleet(replicas=2, queue_capacity=20, batching={"max_batch": 4, "max_wait_ms": 20})
    f.slos["asr-batch"].timeout_ms = 600
    rng = np.random.default_rng(3)
    arrivals = np.sort(rng.uniform(0, 5, 200)).tolist()
    _, tel = simulate(f, requests(arrivals, audio=rng.uniform(0.5, 9, 200).tolist()))
    counts = tel.requests["status"].value_counts()
    assert counts.sum() == 200
    assert counts.get("in_flight", 0) == 0
    assert counts["rejected"] > 0 and counts["timeout"] > 0 and counts["ok"] > 0
    assert (tel.batches["size"] <= 4).all()


def test_arrivals_straddling_a_timeline_event_are_admitted_in_time_order():
    # routed at 1.005 (planned before the event) and 1.003 (planned after it): the later
    # epoch's request must not wait for the earlier one's, nor be admitted in the past
    stages = {
        "ingress": {"base_ms": 10.0},
        "preprocess": {},
        "route": {},
        "postprocess": {},
        "observe": {},
    }
    f = fleet(stages=stages, replicas=2)
    event = TimelineEvent(at_s=1.0, set={"pools.p.batching.max_wait_ms": 0.0})
    _, tel = simulate(f, requests([0.995, 0.9999, 1.001]), timeline=[event])
    assert tel.requests["enqueue_s"].tolist() == pytest.approx([1.005, 1.0099, 1.011])
    assert tel.requests["infer_start_s"].tolist() == pytest.approx([1.005, 1.0099, 1.135])


def test_a_replica_idle_for_a_while_pays_the_profiles_idle_penalty():
    cold = LINEAR.model_copy(update={"idle_penalty_ms": 20.0, "idle_tau_ms": 100.0})
    sim = Simulation(fleet(), requests([0.0, 0.2, 0.2]), [], 0, 10.0, ProfileLibrary([cold]))
    sim.run()
    r = build(sim).requests.sort_values("request_id")
    service = linear_ms(1, 1.0) / 1000
    first_end = service + 0.020  # a slot never used counts as long idle
    second_penalty = 0.020 * (1 - math.exp(-(0.2 - first_end) / 0.100))
    assert r["infer_end_s"].tolist() == pytest.approx(
        [first_end, 0.2 + service + second_penalty, 0.2 + 2 * service + second_penalty],
        abs=1e-9,
    )  # the third starts back to back: no penalty


def test_length_buckets_pad_a_batch_up_to_the_next_multiple():
    f = fleet(batching={"max_batch": 2, "max_wait_ms": 0, "length_bucket_s": 2.0})
    _, tel = simulate(f, requests([0.0, 1.0], audio=[2.5, 4.0]))
    assert tel.batches["padded_audio_s"].tolist() == pytest.approx([4.0, 4.0])  # 4.0 stays
    ends = (tel.batches["end_s"] - tel.batches["start_s"]).tolist()
    assert ends == pytest.approx([linear_ms(1, 4.0) / 1000] * 2)


def test_a_drifting_host_scales_each_batch_by_its_own_speed_path_at_the_batch_start():
    from simulator.engine.pool import HostSpeed
    from simulator.rng import stream_rng

    drift = {"cv": 0.2, "correlation_s": 0.5}
    arrivals = [0.0, 0.05, 0.4, 0.45, 1.3, 3.0]
    _, tel = simulate(fleet(host_drift=drift), requests(arrivals), seed=7)
    b = tel.batches.sort_values("start_s")
    # the same draws, replayed: an exact OU step from one batch start to the next
    host = HostSpeed(stream_rng(7, "pool-host-drift", "p"))
    host.configure(fleet(host_drift=drift).pools["p"].host_drift)
    expected = [linear_ms(1, 1.0) / 1000 * host.factor(t) for t in b["start_s"]]
    assert (b["end_s"] - b["start_s"]).tolist() == pytest.approx(expected, rel=1e-12)
    assert len(set(np.round(expected, 9))) == len(expected)  # every batch its own speed
    # no drift, or a drift of zero spread, is a steady host: the profile's time exactly
    for steady in (fleet(), fleet(host_drift={"cv": 0.0, "correlation_s": 1.0})):
        _, tel = simulate(steady, requests(arrivals), seed=7)
        times = (tel.batches["end_s"] - tel.batches["start_s"]).tolist()
        assert times == pytest.approx([linear_ms(1, 1.0) / 1000] * len(arrivals), rel=1e-12)


def test_the_host_speed_path_has_mean_one_its_spread_and_its_correlation_time():
    from simulator.engine.pool import HostSpeed
    from simulator.spec.fleet import HostDrift

    host = HostSpeed(np.random.default_rng(3))
    host.configure(HostDrift(cv=0.3, correlation_s=2.0))
    path = np.array([host.factor(t) for t in np.arange(0.0, 40_000.0, 1.0)])
    assert host.factor(39_999.0) == path[-1]  # read twice at one time: no step
    # without the log-normal's -σ²/2 the mean would be 1.044
    assert path.mean() == pytest.approx(1.0, abs=0.012)
    assert path.std() == pytest.approx(0.3, rel=0.1)
    log = np.log(path) - np.log(path).mean()
    lag_1s = np.mean(log[:-1] * log[1:]) / np.mean(log**2)
    assert lag_1s == pytest.approx(math.exp(-1.0 / 2.0), abs=0.03)
    # drift off and on again keeps the host where it was in its law, in units of spread
    before = host.standard
    host.configure(None)
    host.configure(HostDrift(cv=0.1, correlation_s=2.0))
    assert host.standard == before


def test_a_drifting_host_queues_more_than_a_steady_one_at_the_same_mean_service_time():
    # M/D/1 at 70% load: waiting is convex in the load, so the slow spells of a host
    # whose speed averages 1 cost more than its fast spells give back
    service = linear_ms(1, 1.0) / 1000
    rng = np.random.default_rng(11)
    arrivals = np.cumsum(rng.exponential(service / 0.7, 30_000)).tolist()

    def mean_wait(drift: dict[str, float] | None, seed: int) -> float:
        f = fleet(host_drift=drift)
        _, tel = simulate(f, requests(arrivals), duration_s=arrivals[-1], seed=seed)
        return float((tel.requests["infer_start_s"] - tel.requests["enqueue_s"]).mean())

    md1 = 0.7 * service / (2 * (1 - 0.7))  # Pollaczek-Khinchine, deterministic service
    assert mean_wait(None, 0) == pytest.approx(md1, rel=0.03)
    # four paths of a 15% drift with 10 s spells: 17-44% more waiting, each of them
    ratios = [mean_wait({"cv": 0.15, "correlation_s": 10.0}, seed) / md1 for seed in range(4)]
    assert min(ratios) > 1.1 and np.mean(ratios) > 1.2


def test_a_drifting_pool_of_several_replicas_is_deterministic_and_keeps_its_mean_speed():
    rng = np.random.default_rng(5)
    arrivals = np.cumsum(rng.exponential(0.05, 4000)).tolist()
    drift = {"cv": 0.1, "correlation_s": 2.0}
    f = fleet(replicas=3, host_drift=drift, batching={"max_batch": 4, "max_wait_ms": 20})
    runs = [simulate(f, requests(arrivals), duration_s=arrivals[-1], seed=9)[1] for _ in range(2)]
    assert runs[0].batches.equals(runs[1].batches)  # the same seed, the same batches
    b = runs[0].batches
    lengths = (b["padded_audio_s"] / b["size"]).to_numpy()
    base = np.array([linear_ms(int(k), n) / 1000 for k, n in zip(b["size"], lengths, strict=True)])
    ratio = (b["end_s"] - b["start_s"]).to_numpy() / base
    assert ratio.mean() == pytest.approx(1.0, abs=0.03)
    assert ratio.std() == pytest.approx(0.1, rel=0.3)


def test_the_engine_refuses_a_simpy_it_was_not_checked_on():
    """The engine schedules calls on SimPy's private event heap: the installed version is
    one it was checked on, and any other minor version fails loudly, naming itself."""
    from simulator.engine.calls import TESTED_SIMPY, SimpyMismatch, check_simpy

    check_simpy()  # the installed one (requirements.lock pins it)
    for version in ("4.2.0", "5.0.1", "3.0.13"):
        with pytest.raises(SimpyMismatch, match=version):
            check_simpy(version)
    assert all(v.count(".") == 1 for v in TESTED_SIMPY)
