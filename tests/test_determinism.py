"""The simulator is a pure function of (fleet, workload, timeline, seed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import simulator
from drills.library.paths import library_root
from simulator.spec.config import fleet_only, load_fleet_file
from simulator.spec.timeline import TimelineEvent

FLEET_FILE = load_fleet_file(library_root() / "fleets" / "example.yaml")
FLEET = fleet_only(FLEET_FILE)
WORKLOAD = FLEET_FILE.workload
assert WORKLOAD is not None


def run(seed: int = 7, timeline=None, duration: float = 120.0):
    return simulator.run(FLEET, WORKLOAD, timeline or [], seed=seed, duration_s=duration)


def test_same_inputs_give_identical_telemetry():
    assert run().digest() == run().digest()


def test_a_different_seed_gives_different_telemetry():
    assert run(seed=7).digest() != run(seed=8).digest()


def test_a_change_at_t_leaves_everything_before_t_untouched():
    t = 60.0
    change = TimelineEvent(
        at_s=t,
        set={
            "pools.asr-batch-gpu.batching.max_wait_ms": 400,
            "pools.asr-batch-gpu.batching.max_batch": 64,
            "pools.tts-cpu.replicas": 1,
        },
    )
    base, changed = run(), run(timeline=[change])
    assert base.digest() != changed.digest()
    # first attempts share request ids in both runs; retries and copies come after them
    first = int((base.requests["attempt"] == 1).sum() - (base.requests["status"] == "shadow").sum())
    base.requests = base.requests.iloc[:first]
    changed.requests = changed.requests.iloc[:first]
    before = base.requests["done_s"] < t
    cols = ["request_id", "arrival_s", "infer_start_s", "done_s", "status", "batch_id", "pool"]
    pd.testing.assert_frame_equal(
        base.requests.loc[before, cols], changed.requests.loc[before, cols]
    )
    k = int((base.batches["end_s"] < t).sum())
    pd.testing.assert_frame_equal(base.batches.iloc[:k], changed.batches.iloc[:k])
    after = (base.requests["arrival_s"] > t + 5) & (base.requests["kind"] == "asr-batch")

    def lat(tel):
        return tel.requests.loc[after, "latency_ms"].mean()

    assert lat(changed) > lat(base) + 50  # a 400 ms batching window shows up after t


def test_the_input_objects_are_not_mutated():
    before = FLEET.model_dump()
    run(timeline=[TimelineEvent(at_s=1.0, set={"pools.tts-cpu.replicas": 9})])
    assert FLEET.model_dump() == before


def test_requests_table_stays_under_200_bytes_per_request():
    tel = run(duration=300.0)
    per_request = tel.requests.memory_usage(deep=True).sum() / len(tel.requests)
    assert per_request <= 200, per_request
    assert np.isfinite(tel.requests["done_s"]).all()


def test_saved_telemetry_loads_back_identically(tmp_path):
    tel = run(duration=60.0)
    tel.save(tmp_path / "run")
    from simulator.telemetry.bundle import Telemetry

    again = Telemetry.load(tmp_path / "run")
    assert again.digest() == tel.digest()
    pd.testing.assert_frame_equal(again.ledger, tel.ledger)
    assert (again.duration_s, again.horizon_s) == (tel.duration_s, tel.horizon_s)
