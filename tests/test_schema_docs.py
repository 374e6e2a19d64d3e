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
