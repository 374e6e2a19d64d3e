"""The OpenMetrics export: it loads into a real Prometheus TSDB with promtool, and what
the TSDB holds is what the Parquet telemetry says."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from drills.library.scenario import load_scenario, resolve_scenario
from simulator.telemetry.openmetrics import EPOCH_S, openmetrics
from tests.helpers import RUNS

PROMTOOL = shutil.which("promtool")


@pytest.fixture(scope="module")
def exported():
    scenario = load_scenario(resolve_scenario("gpu-cost-no-traffic"))
    tel = RUNS.get(scenario, scenario.timeline)
    tables = tel.tables()
    return tel, openmetrics(tables, scenario.spec.duration_s)


def test_the_text_is_openmetrics_with_units_in_names(exported):
    _, text = exported
    assert text.endswith("# EOF\n")
    families = set(re.findall(r"^# TYPE (\S+) (\w+)$", text, re.M))
    assert ("speechdrill_request_latency_seconds", "histogram") in families
    assert ("speechdrill_requests", "counter") in families
    assert ("speechdrill_cost_usd_per_hour", "gauge") in families
    assert "latency_p95_ms" not in text  # base units: seconds
    # derived signals only: no transcript text, no audio files or paths
    assert not re.search(r"transcript|text=|\.wav|\.flac|audio_path|/audio/", text)


def dump_text(directory, selector: str) -> str:
    (directory / "wal").mkdir(exist_ok=True)
    return subprocess.run(
        [PROMTOOL, "tsdb", "dump", f"--match={selector}", str(directory)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def dump(directory, selector: str) -> list[tuple[float, float]]:
    out = dump_text(directory, selector)
    return [
        (float(v), int(t) / 1000.0 - EPOCH_S) for v, t in re.findall(r"\} (\S+) (\d+)$", out, re.M)
    ]


@pytest.mark.slow
@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (apt-get install prometheus)")
def test_promtool_builds_blocks_whose_samples_are_the_parquet_figures(exported, tmp_path):
    tel, text = exported
    source = tmp_path / "run.om"
    source.write_text(text)
    blocks = tmp_path / "tsdb"
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(blocks)],
        capture_output=True,
        check=True,
    )
    # the spend rate of the GPU embedding pool, sample by sample
    spend = dump(blocks, '{__name__="speechdrill_cost_usd_per_hour",pool="embed-gpu"}')
    m = tel.metrics
    rows = m[(m["name"] == "cost_usd_per_hour") & (m["labels"] == "pool=embed-gpu")]
    assert [v for v, _ in spend] == pytest.approx(rows["value"].to_list(), rel=1e-6)
    # the requests served on it by the end, as the requests table counts them
    served = dump(blocks, '{__name__="speechdrill_requests_total",pool="embed-gpu",status="ok"}')
    last = max(t for _, t in served)
    r = tel.requests
    mine = (r["pool"] == "embed-gpu") & (r["status"] == "ok") & (r["done_s"] <= last)
    assert sum(v for v, t in served if t == last) == int(mine.sum())
    # an hour's spend from the gauge: the mean rate over the window, as the ledger computes
    window = [v for v, t in spend if 1200 <= t < 2700]
    inside = rows[(rows["t_s"] >= 1200) & (rows["t_s"] < 2700)]
    assert np.mean(window) == pytest.approx(inside["value"].mean())
    # quality by slice: the summary's sum / count at the end is the table's mean WER proxy
    asr = (
        '{__name__=~"speechdrill_wer_proxy_ratio_(sum|count)",kind="asr-streaming",slice="general"}'
    )
    sums = {name: 0.0 for name in ("sum", "count")}
    for name, value, t in re.findall(
        r"wer_proxy_ratio_(sum|count)\"[^}]*\} (\S+) (\d+)$", dump_text(blocks, asr), re.M
    ):
        if int(t) / 1000.0 - EPOCH_S == last:
            sums[name] += float(value)
    rows = r[(r["kind"] == "asr-streaming") & (r["slice"] == "general") & (r["done_s"] <= last)]
    assert sums["count"] == rows["wer_proxy"].notna().sum()
    assert sums["sum"] / sums["count"] == pytest.approx(rows["wer_proxy"].mean(), rel=1e-6)


def test_every_dashboard_query_names_a_metric_the_export_writes(exported):
    import json
    from pathlib import Path

    _, text = exported
    board = json.loads(
        (Path(__file__).parents[1] / "reports" / "grafana" / "speechdrill-fleet.json").read_text()
    )
    agent = load_scenario(resolve_scenario("voice-agent-first-response"))  # has first response
    agent_text = openmetrics(RUNS.get(agent, agent.timeline).tables(), agent.spec.duration_s)
    written = set(re.findall(r"^(speechdrill_\w+)", text + agent_text, re.M))
    queries = [t["expr"] for p in board["panels"] for t in p["targets"]]
    queries += [a["expr"] for a in board["annotations"]["list"]]
    assert len(board["panels"]) >= 16 and len({p["id"] for p in board["panels"]}) == len(
        board["panels"]
    )
    for query in queries:
        named = set(re.findall(r"speechdrill_\w+", query))
        assert named and named <= written, (query, named - written)


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (apt-get install prometheus)")
def test_a_promql_query_returns_the_parquet_figure(exported):
    """Prometheus's own engine over the exported series: the embedding GPU pool's mean
    spend rate over minutes 20-45 is the metrics table's mean over the same samples."""
    from drills.judge.alerts import query

    tel, _ = exported
    ((labels, value),) = query(
        tel, 'avg_over_time(speechdrill_cost_usd_per_hour{pool="embed-gpu"}[25m])', 45
    )
    m = tel.metrics
    rows = m[(m["name"] == "cost_usd_per_hour") & (m["labels"] == "pool=embed-gpu")]
    inside = rows[(rows["t_s"] >= 1200) & (rows["t_s"] <= 2700)]  # Prometheus 2: both ends
    assert 'pool="embed-gpu"' in labels
    assert value == pytest.approx(inside["value"].mean(), rel=1e-6)
