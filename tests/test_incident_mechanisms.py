"""The seed's incidents happen in the example fleet for mechanical reasons.

Each test changes one fleet setting at t = 300 s (as a fault would) and compares the
window before the change with a window after the fleet settled: the symptom must show
in telemetry while request rates stay flat.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd
import pytest

import simulator
from drills.library.paths import library_root
from simulator.spec.config import fleet_only, load_fleet_file
from simulator.spec.timeline import TimelineEvent

FLEET_FILE = load_fleet_file(library_root() / "fleets" / "example.yaml")
CHANGE_AT, SETTLED, END = 300.0, 600.0, 900.0


def run(*change: tuple[str, object]) -> simulator.Telemetry:
    return _run(json.dumps(dict(change), sort_keys=True))


@functools.lru_cache(maxsize=8)
def _run(change: str) -> simulator.Telemetry:
    sets = json.loads(change)
    timeline = [TimelineEvent(at_s=CHANGE_AT, set=sets)] if sets else []
    assert FLEET_FILE.workload is not None
    return simulator.run(
        fleet_only(FLEET_FILE), FLEET_FILE.workload, timeline, seed=11, duration_s=END
    )


def before(tel: simulator.Telemetry) -> pd.DataFrame:
    r = tel.requests
    return r[r["arrival_s"] < CHANGE_AT]


def after(tel: simulator.Telemetry) -> pd.DataFrame:
    r = tel.requests
    return r[r["arrival_s"] >= SETTLED]


def user_rate(frame: pd.DataFrame, seconds: float) -> float:
    return float(((frame["attempt"] == 1) & (frame["status"] != "shadow")).sum()) / seconds


def cost_per_hour(tel: simulator.Telemetry, start: float, end: float, pools=None) -> float:
    m = tel.metrics
    m = m[(m["name"] == "cost_usd_per_hour") & (m["t_s"] >= start) & (m["t_s"] < end)]
    if pools:
        m = m[m["labels"].isin([f"pool={p}" for p in pools])]
    return float(m.groupby("t_s")["value"].sum().mean())


def assert_flat_traffic(tel: simulator.Telemetry) -> None:
    assert user_rate(after(tel), END - SETTLED) == pytest.approx(
        user_rate(before(tel), CHANGE_AT), rel=0.05
    )


SHADOW_AND_CANARY = (
    ("routes.0.shadow", {"pool": "asr-batch-canary", "percent": 100}),
    ("routes.0.canary", {"pool": "asr-batch-canary", "percent": 50}),
)
# The canary pool idles before the change; a target its canary share would need makes it
# scale with the work it is given (on its own, the target changes nothing: no traffic).
SIZED_CANARY = ("pools.asr-batch-canary.autoscaler.target", 0.4)


def gpu_busy_s(frame_batches: pd.DataFrame, pools: list[str], start: float, end: float) -> float:
    b = frame_batches[frame_batches["pool"].isin(pools)]
    b = b[(b["start_s"] >= start) & (b["start_s"] < end)]
    return float((b["end_s"] - b["start_s"]).sum()) / (end - start)


def test_a_shadow_at_100_percent_with_a_canary_raises_cost_with_flat_traffic():
    asr = ["asr-batch-gpu", "asr-batch-canary"]
    tel = run(*SHADOW_AND_CANARY)
    assert_flat_traffic(tel)
    assert (after(tel)["status"] == "shadow").sum() > 0
    # the mirrored copies are real work on the GPUs ...
    work_before = gpu_busy_s(tel.batches, asr, 0, CHANGE_AT)
    assert gpu_busy_s(tel.batches, asr, SETTLED, END) >= 1.3 * work_before
    # ... which costs money as soon as the canary pool has to scale for it
    sized = run(*SHADOW_AND_CANARY, SIZED_CANARY)
    assert_flat_traffic(sized)
    assert cost_per_hour(sized, SETTLED, END, asr) >= 1.3 * cost_per_hour(sized, 0, CHANGE_AT, asr)
    alone = run(SIZED_CANARY)
    assert cost_per_hour(alone, SETTLED, END, asr) == cost_per_hour(alone, 0, CHANGE_AT, asr)


def test_b_a_silent_cpu_to_gpu_fallback_raises_gpu_hours_with_flat_traffic():
    tel, base = run(("pools.embed-cpu.healthy", False)), run()
    assert_flat_traffic(tel)
    embeddings = after(tel)[after(tel)["kind"] == "embedding"]
    assert (embeddings["device"] == "gpu-l4").mean() > 0.99
    assert (embeddings["status"] == "ok").mean() > 0.99  # silent: users see nothing wrong
    gpu = lambda t: t.pool_cost.query("device_kind == 'gpu'")["replica_seconds"].sum()  # noqa: E731
    assert gpu(tel) > gpu(base) + 3600 * 0.1  # at least 0.1 GPU-hours more in 15 minutes
    assert tel.ledger.query("pool == 'embed-gpu'")["cost_usd"].sum() > 0


def test_c_smaller_chunks_without_stabilisation_raise_churn_not_wer():
    tel = run(
        ("models.asr-stream-v2.decoder.chunk_ms", 100),
        ("models.asr-stream-v2.decoder.stabilization", "none"),
    )
    assert_flat_traffic(tel)
    stream = lambda f: f[f["kind"] == "asr-streaming"]  # noqa: E731
    pre, post = stream(before(tel)), stream(after(tel))
    assert post["partial_churn"].mean() > 3 * pre["partial_churn"].mean()
    assert post["wer_proxy"].mean() == pytest.approx(pre["wer_proxy"].mean(), abs=0.01)


def test_d_a_heavier_voice_doubles_first_audio_byte_while_offline_mos_improves():
    tel = run(("pools.tts-cpu.model", "tts-voice-b"))
    assert_flat_traffic(tel)
    fab = lambda f: f.loc[f["kind"] == "tts", "first_audio_byte_ms"].median()  # noqa: E731
    assert fab(after(tel)) >= 1.9 * fab(before(tel))
    models = FLEET_FILE.models
    assert models["tts-voice-b"].quality.mos > models["tts-voice-a"].quality.mos


def cohort_quality(frame: pd.DataFrame) -> pd.DataFrame:
    asr = frame[frame["kind"].isin(["asr-batch", "asr-streaming"])]
    columns = ["confidence", "corrected", "clipping_ratio"]
    return asr.groupby("cohort", observed=True)[columns].mean()


def test_e_a_clipping_firmware_cohort_loses_confidence_only_in_that_cohort():
    tel = run(("cohorts.fw-4.2.gain_db", 20))
    assert_flat_traffic(tel)
    pre, post = cohort_quality(before(tel)), cohort_quality(after(tel))
    assert post.loc["fw-4.2", "confidence"] < pre.loc["fw-4.2", "confidence"] - 0.3
    assert post.loc["fw-4.2", "corrected"] > 2 * pre.loc["fw-4.2", "corrected"]
    assert post.loc["fw-4.2", "clipping_ratio"] > 0.2
    assert post.loc["fw-4.1", "confidence"] == pytest.approx(
        pre.loc["fw-4.1", "confidence"], abs=0.02
    )


def test_the_cost_ledger_reconciles_with_replica_seconds_times_price():
    tel = run(
        ("routes.0.shadow", {"pool": "asr-batch-canary", "percent": 100}),
        ("routes.0.canary", {"pool": "asr-batch-canary", "percent": 50}),
    )
    paid = tel.pool_cost["cost_usd"].sum()
    assert tel.ledger["cost_usd"].sum() == pytest.approx(paid, rel=1e-3)
    idle = tel.ledger.query("tag == 'idle'").groupby("pool")["cost_usd"].sum()
    assert (idle > -1e-3 * paid).all()  # batches never bill more than the replicas cost
    served = tel.ledger.query("tag != 'idle'")["cost_usd"].sum()
    assert served == pytest.approx(tel.batches["cost_usd"].sum(), rel=1e-9)
    tags = set(tel.ledger["tag"])
    assert {"serving", "canary", "shadow", "padding_waste", "idle"} <= tags


def test_telemetry_holds_no_audio_or_text():
    r = run().requests
    assert not any(dtype is np.dtype(object) for dtype in r.dtypes)
    forbidden = ("transcript", "text", "waveform", "pcm", "samples", "audio_bytes")
    assert not [c for c in r.columns if any(word in c for word in forbidden)]
    assert "fault" not in " ".join(run().events["detail"].astype(str)).lower()


def _storm(drop_expired: bool) -> simulator.Telemetry:
    """Aggressive client retries (no budget, short timeout) on a classifier pool of one
    replica; its host slows eightfold for a minute at CHANGE_AT."""
    policy = {
        "pools.cls-cpu.replicas": 1,
        "pools.cls-cpu.drop_expired": drop_expired,
        "retries.max_attempts": 8,
        "retries.backoff_ms": 20,
        "retries.budget_ratio": 10,
        "slos.classifier.timeout_ms": 250,
    }
    timeline = [
        TimelineEvent(at_s=0.0, set=policy),
        TimelineEvent(at_s=CHANGE_AT, set={"pools.cls-cpu.slowdown": 8}),
        TimelineEvent(at_s=CHANGE_AT + 60, set={"pools.cls-cpu.slowdown": 1}),
    ]
    assert FLEET_FILE.workload is not None
    return simulator.run(
        fleet_only(FLEET_FILE), FLEET_FILE.workload, timeline, seed=11, duration_s=END
    )


def test_f_a_retry_storm_outlives_its_trigger_where_servers_serve_abandoned_work():
    """A metastable failure: after the slowdown ends, a pool that serves requests whose
    clients already timed out stays pegged (each user request costs every attempt), while
    one that drops expired work drains and recovers."""
    outcomes = {}
    for drop in (True, False):
        r = after(_storm(drop))
        cls = r[r["kind"] == "classifier"]
        users = cls[cls["attempt"] == 1]
        outcomes[drop] = (
            float((users["status"] == "ok").mean()),
            float((cls["attempt"] > 1).sum()) / len(users),  # retries per user request
        )
    assert outcomes[True][0] > 0.99 and outcomes[True][1] < 0.01, outcomes
    assert outcomes[False][0] < 0.05 and outcomes[False][1] > 5, outcomes
