"""The telemetry schema in docs/ is generated from the code and cannot go stale."""

from __future__ import annotations

from pathlib import Path

from simulator.telemetry.schema import METRIC_NAMES, markdown, undocumented

DOC = Path(__file__).parents[1] / "docs" / "telemetry.md"


def test_every_column_is_documented_and_every_documented_column_exists():
    assert undocumented() == []


def test_the_generated_doc_is_the_one_in_docs():
    assert DOC.read_text() == markdown(), (
        "run: python -m simulator.telemetry.schema > docs/telemetry.md"
    )


def test_every_metric_a_run_writes_is_documented():
    import simulator
    from drills.library.scenario import load_scenario, resolve_scenario

    loaded = load_scenario(resolve_scenario("voice-agent-first-response"))
    tel = simulator.run(loaded.fleet, loaded.workload, loaded.timeline, seed=1, duration_s=120)
    assert set(tel.metrics["name"].unique()) <= set(METRIC_NAMES)


def test_a_run_with_timeouts_retries_and_rejections_writes_only_documented_metrics():
    """The names are the schema's: a busy fleet that rejects, times out and retries
    writes each of those rates, and every name it writes is documented and exported."""
    from simulator.telemetry.openmetrics import GAUGES
    from tests.helpers import fleet, requests, simulate

    busy = fleet(replicas=1, queue_capacity=12, batching={"max_batch": 2, "max_wait_ms": 10})
    busy.slos["asr-batch"].timeout_ms = 600
    busy.retries.max_attempts = 3
    busy.retries.min_per_window = 100.0
    arrivals = [i * 0.02 for i in range(200)]
    _, tel = simulate(busy, requests(arrivals, audio=[4.0] * 200), duration_s=10.0)
    written = set(tel.metrics["name"].unique())
    assert {"timeouts_per_s", "retries_per_s", "rejected_per_s", "completed_per_s"} <= written
    assert written <= set(METRIC_NAMES) and written <= set(GAUGES)
