"""Fleet dynamics, mechanism by mechanism, against hand-computed outcomes."""

from __future__ import annotations

import math

import pytest

from simulator.spec.fleet import RouteRule
from simulator.spec.timeline import TimelineEvent
from tests.helpers import fleet, linear_ms, requests, simulate


def two_pools(**p):
    f = fleet(**p)
    f.pools["q"] = f.pools["p"].model_copy(deep=True)
    return f


def test_canary_takes_its_share_and_is_tagged():
    f = two_pools()
    f.routes = [RouteRule(pool="p", canary={"pool": "q", "percent": 25})]
    _, tel = simulate(f, requests([0.0, 1.0, 2.0, 3.0], u_route=[0.1, 0.3, 0.6, 0.24]))
    assert tel.requests["pool"].tolist() == ["q", "p", "p", "q"]
    assert tel.requests["tags"].tolist() == ["canary", "", "", "canary"]


def test_shadow_copies_cost_compute_but_never_reach_users():
    f = two_pools()
    f.routes = [RouteRule(pool="p", shadow={"pool": "q", "percent": 100})]
    _, tel = simulate(f, requests([0.0, 1.0]))
    r = tel.requests
    assert len(r) == 4
    copies = r[r["status"] == "shadow"]
    assert copies["pool"].tolist() == ["q", "q"]
    assert copies["origin_request_id"].tolist() == [0, 1]
    assert copies["latency_ms"].isna().all()
    assert (copies["tags"] == "shadow").all() and (copies["cost_usd"] > 0).all()
    ledger = tel.ledger.groupby("tag")["cost_usd"].sum()
    assert ledger["shadow"] == pytest.approx(copies["cost_usd"].sum())


def test_shadow_percent_mirrors_a_share():
    f = two_pools()
    f.routes = [RouteRule(pool="p", shadow={"pool": "q", "percent": 50})]
    _, tel = simulate(f, requests([float(i) for i in range(10)]))  # u_mirror = 0, .1, ... .9
    assert (tel.requests["status"] == "shadow").sum() == 5


def test_unhealthy_pool_falls_back_silently_or_rejects_without_a_fallback():
    f = two_pools(fallback={"pool": "q"})
    f.pools["p"].healthy = False
    _, tel = simulate(f, requests([0.0, 1.0]))
    assert tel.requests["pool"].tolist() == ["q", "q"]
    assert tel.requests["tags"].tolist() == ["fallback", "fallback"]
    assert (tel.requests["status"] == "ok").all()
    f = fleet()
    f.pools["p"].healthy = False
    _, tel = simulate(f, requests([0.0]))
    assert tel.requests["reject_reason"].tolist() == ["unhealthy"]


def test_backed_up_pool_spills_over_its_threshold():
    f = two_pools(fallback={"pool": "q", "when_queue_over": 1})
    _, tel = simulate(f, requests([0.0, 0.0, 0.0, 0.0]))
    # one runs, one waits; from then on the queue is at the threshold: spill to q
    assert tel.requests["pool"].tolist() == ["p", "p", "q", "q"]


def test_a_rejected_request_is_retried_after_backoff():
    f = fleet(queue_capacity=0)
    f.retries = f.retries.model_copy(update={"max_attempts": 2, "backoff_ms": 200})
    _, tel = simulate(f, requests([0.0, 0.0]))
    r = tel.requests
    assert r["status"].tolist() == ["ok", "rejected", "ok"]
    retry = r.iloc[2]
    assert retry.attempt == 2 and retry.origin_request_id == 1 and retry.tags == "retry"
    assert retry.arrival_s == pytest.approx(0.2)  # u_jitter = 0.5: no jitter
    assert retry.infer_start_s == pytest.approx(0.2)


def test_retries_stop_at_max_attempts_with_exponential_backoff():
    f = fleet(replicas=0, queue_capacity=0)
    f.retries = f.retries.model_copy(update={"max_attempts": 3, "backoff_ms": 100})
    _, tel = simulate(f, requests([0.0]))
    r = tel.requests
    assert r["attempt"].tolist() == [1, 2, 3]
    assert r["arrival_s"].tolist() == pytest.approx([0.0, 0.1, 0.3])
    assert (r["status"] == "rejected").all()


def test_the_retry_budget_bounds_a_retry_storm():
    f = fleet(replicas=0, queue_capacity=0)
    f.retries = f.retries.model_copy(
        update={"max_attempts": 5, "budget_ratio": 0.1, "min_per_window": 2, "budget_window_s": 10}
    )
    _, tel = simulate(f, requests([i * 0.05 for i in range(100)]), duration_s=5.0)
    retries = int((tel.requests["attempt"] > 1).sum())
    # 100 first attempts inside one 10 s window: at most 10% of them may be retried
    assert 0 < retries <= 10


def test_tts_first_audio_byte_waits_for_the_first_sentence():
    f = fleet(
        model={
            "family": "tts",
            "tts": {"release": "sentence", "sentence_s": 2.0, "text_norm_ms": 15},
        }
    )
    _, tel = simulate(f, requests([0.0], audio=[6.0], kind="tts"))
    assert tel.requests["first_audio_byte_ms"].iloc[0] == pytest.approx(15 + linear_ms(1, 2.0))
    f.models["m"].tts.release = "utterance"
    _, tel = simulate(f, requests([0.0], audio=[6.0], kind="tts"))
    assert tel.requests["first_audio_byte_ms"].iloc[0] == pytest.approx(15 + linear_ms(1, 6.0))


def test_a_deploy_makes_replicas_pay_their_warm_up_once():
    f = fleet(replicas=2, model={"warmup_ms": 500})
    f.models["m2"] = f.models["m"].model_copy(update={"version": "2"})
    deploy = TimelineEvent(at_s=1.0, set={"pools.p.model": "m2"})
    _, tel = simulate(f, requests([0.0, 2.0, 3.0, 4.0]), timeline=[deploy])
    runtime = (tel.batches["end_s"] - tel.batches["start_s"]).tolist()
    base = linear_ms(1, 1.0) / 1000
    assert runtime == pytest.approx([base, base + 0.5, base + 0.5, base])
    assert tel.requests["model_version"].tolist() == ["m:1", "m2:2", "m2:2", "m2:2"]


def test_a_slower_host_stretches_batches_started_after_the_change_and_the_tts_first_byte():
    f = fleet(slowdown=1.5, model={"family": "tts", "tts": {"release": "utterance"}})
    host = TimelineEvent(at_s=1.0, set={"pools.p.slowdown": 2.0})
    _, tel = simulate(f, requests([0.0, 0.5, 2.0], kind="tts"), timeline=[host])
    runtime = (tel.batches["end_s"] - tel.batches["start_s"]).tolist()
    base = linear_ms(1, 1.0) / 1000
    assert runtime == pytest.approx([1.5 * base, 1.5 * base, 2.0 * base])
    first_byte = tel.requests["first_audio_byte_ms"].tolist()
    assert first_byte[2] == pytest.approx(15 + 2.0 * linear_ms(1, 1.0))


def test_without_a_kv_cache_the_nokv_profile_is_used():
    f = fleet(model={"decoder": {"kv_cache": False}})
    _, tel = simulate(f, requests([0.0]))
    run = tel.batches["end_s"].iloc[0] - tel.batches["start_s"].iloc[0]
    assert run == pytest.approx(2 * linear_ms(1, 1.0) / 1000)


def test_streaming_session_first_partial_and_final_latency():
    f = fleet(
        slots_per_replica=4,
        model={"family": "asr-streaming", "decoder": {"chunk_ms": 320, "endpoint_silence_ms": 500}},
    )
    f.cohorts["c"] = f.cohort("c").model_copy(update={"network_jitter_ms": 0.0})
    sim, tel = simulate(f, requests([0.0], audio=[3.0], kind="asr-streaming"))
    round_s = linear_ms(1, 0.32) / 1000  # one session: a batch of one chunk per round
    r = tel.requests.iloc[0]
    jitter = sim.jitter_s(0)
    assert r.first_partial_ms == pytest.approx((0.32 + round_s + jitter) * 1000, rel=1e-5)
    # 10 rounds of 0.1564 s finish after the audio ends (3 s): decoding is the bottleneck
    decoded = math.ceil(3.0 / 0.32) * round_s
    final = max(3.0, decoded) + 0.5 + round_s + jitter
    assert r.final_ms == pytest.approx((final - 3.0) * 1000, rel=1e-5)
    assert r.latency_ms == pytest.approx(r.final_ms, rel=1e-4)
    assert r.partial_churn > 0 and r.wer_proxy > 0


def test_the_autoscaler_scales_up_with_a_cold_start_and_bills_loading_replicas():
    f = fleet(
        replicas=1,
        price_per_hour=3.6,
        autoscaler={
            "metric": "queue_depth",
            "target": 2,
            "interval_s": 10,
            "min_replicas": 1,
            "max_replicas": 4,
            "scale_up_step": 2,
            "down_cooldown_s": 1000,
        },
    )
    f.models["m"].load_time_s = 30
    f.slos["asr-batch"].timeout_ms = 600_000
    sim, tel = simulate(f, requests([0.0] * 40, audio=[10.0] * 40), duration_s=60)
    log = [(c.t_s, c.replicas, c.paid_replicas) for c in sim.replica_log]
    assert (10.0, 1, 3) in log  # at the first evaluation: two more, paid while loading
    assert (40.0, 3, 3) in log  # both ready one load time later
    up = tel.events[tel.events["type"] == "autoscaler"]
    assert up["t_s"].iloc[0] == 10.0 and "1 -> 3" in up["detail"].iloc[0]
    paid = tel.pool_cost["replica_seconds"].sum()
    assert tel.pool_cost["cost_usd"].sum() == pytest.approx(paid * 3.6 / 3600)


def test_the_autoscaler_waits_out_its_cooldown_before_scaling_down():
    f = fleet(
        replicas=4,
        autoscaler={
            "metric": "utilisation",
            "target": 0.5,
            "interval_s": 10,
            "min_replicas": 1,
            "down_cooldown_s": 25,
            "scale_down_step": 1,
        },
    )
    sim, tel = simulate(f, requests([0.0]), duration_s=100)
    downs = tel.events[tel.events["detail"].str.contains("scale down")]["t_s"].tolist()
    assert downs == [10.0, 40.0, 70.0]  # the evaluations at least 25 s after the last
    assert sim.pools["p"].spec.replicas == 1


def test_ledger_names_each_cost_by_its_first_tag():
    f = two_pools(queue_capacity=0)
    f.routes = [RouteRule(pool="p", canary={"pool": "q", "percent": 100})]
    f.retries = f.retries.model_copy(update={"max_attempts": 2, "backoff_ms": 500})
    _, tel = simulate(f, requests([0.0, 0.0, 0.0]))
    r = tel.requests
    assert sorted(set(r["tags"])) == ["canary", "canary,retry"]
    by_tag = tel.ledger.groupby("tag")["cost_usd"].sum()
    cost = r.groupby(r["tags"].astype(str))["cost_usd"].sum()
    assert by_tag["retry"] == pytest.approx(cost["canary,retry"])
    assert by_tag["canary"] == pytest.approx(cost["canary"])
