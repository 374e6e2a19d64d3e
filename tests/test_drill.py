"""Drills: what a query reads, the SQL sandbox, replay scoring and the report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drills.library import library_root
from drills.panels import PANELS
from drills.scenario import Signal, load_key, load_scenario, load_transcript, scenario_dirs
from drills.scoring import references, replay, score
from drills.sql import QueryRefused, Sandbox, as_of, covers, shape_of
from reports.after_action import report_data, to_html, to_markdown

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = scenario_dirs()


def signal(**kw):
    base = {"id": "s", "table": "requests", "column": "confidence", "group_by": ["cohort"]}
    return Signal.model_validate({**base, **kw})


def test_query_shape_reads_tables_columns_grouping_and_bounds():
    shape = shape_of(
        "SELECT floor(arrival_s / 60) AS t, cohort, avg(confidence) FROM requests "
        "WHERE kind = 'asr-batch' AND arrival_s BETWEEN 500 AND 900 GROUP BY t, cohort"
    )
    assert shape.tables == {"requests"}
    assert {"confidence", "cohort", "kind", "arrival_s"} <= shape.columns
    assert shape.grouped == {"arrival_s", "cohort"}
    assert shape.equals == {"kind": {"asr-batch"}}
    assert shape.time_bounds["arrival_s"] == (500.0, 900.0)


def test_coverage_needs_the_column_the_grouping_the_focus_and_the_window():
    q = "SELECT cohort, avg(confidence) FROM requests GROUP BY cohort"
    assert covers(shape_of(q), signal(), now=1000)
    assert not covers(shape_of("SELECT avg(confidence) FROM requests"), signal(), now=1000)
    assert not covers(
        shape_of("SELECT cohort, avg(latency_ms) FROM requests GROUP BY cohort"), signal(), now=1000
    )
    filtered = signal(filter={"kind": "asr-batch"})
    assert not covers(shape_of(q), filtered, now=1000)
    assert covers(shape_of(q.replace("GROUP", "WHERE kind = 'asr-batch' GROUP")), filtered, 1000)
    assert covers(shape_of(q), signal(focus={"cohort": "fw-4.2"}), now=1000)
    windowed = signal(window_s=(600, 900))
    assert not covers(shape_of(q), windowed, now=500)  # asked before the window began
    early = q.replace("GROUP", "WHERE arrival_s < 400 GROUP")
    assert not covers(shape_of(early), windowed, now=1000)


def test_every_panel_parses_and_runs_on_telemetry_as_of_the_clock():
    import simulator

    loaded = load_scenario(SCENARIOS[0] / "scenario.yaml")
    tel = simulator.run(loaded.fleet, loaded.workload, loaded.timeline, seed=1, duration_s=240)
    tables = as_of(tel, 180.0)
    assert tables["requests"]["arrival_s"].max() < 180.0
    pending = tables["requests"]["status"] == "in_flight"
    assert tables["requests"].loc[pending, "latency_ms"].isna().all()
    assert (tables["metrics"]["t_s"] < 180.0).all()
    sandbox = Sandbox(tables)
    try:
        for name, panel in PANELS.items():
            result = sandbox.query(panel.sql, 180.0)
            assert len(result.columns) >= 2, name
    finally:
        sandbox.close()


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE requests",
        "COPY requests TO '/tmp/x.csv'",
        "INSTALL httpfs",
        "ATTACH '/tmp/x.db'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT 1; SELECT 2",
        "SELECT * FROM nowhere",
        "SELEC oops",
        "SET enable_external_access = true",
    ],
)
def test_the_sandbox_refuses_with_a_message_never_a_crash(sql):
    import pandas as pd

    empty = pd.DataFrame({"t_s": [0.0]})
    sandbox = Sandbox({"requests": empty, "batches": empty, "metrics": empty, "events": empty})
    try:
        with pytest.raises(QueryRefused):
            sandbox.query(sql, 10.0)
    finally:
        sandbox.close()


def test_the_sandbox_limits_rows():
    import pandas as pd

    frame = pd.DataFrame({"t_s": range(5000)})
    sandbox = Sandbox({"requests": frame, "batches": frame, "metrics": frame, "events": frame})
    try:
        assert len(sandbox.query("SELECT * FROM metrics", 1.0)) == 200
    finally:
        sandbox.close()


@pytest.mark.slow
@pytest.mark.parametrize("directory", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_expert_scores_high_and_naive_low_on_every_scenario(directory):
    loaded = load_scenario(directory / "scenario.yaml")
    key = load_key(directory / "key.yaml", loaded)
    refs = references(loaded, directory)
    expert = score(refs.expert, key, refs)
    naive = score(
        replay(loaded, load_transcript(directory / "transcripts" / "naive.yaml")), key, refs
    )
    assert expert.score >= 85, expert.breakdown
    assert naive.score <= 40, naive.breakdown
    assert expert.diagnosis_correct and not naive.diagnosis_correct


@pytest.mark.slow
def test_transcripts_rank_as_an_examiner_would_and_the_report_matches_its_golden():
    directory = library_root() / "gpu-cost-no-traffic"
    loaded = load_scenario(directory / "scenario.yaml")
    key = load_key(directory / "key.yaml", loaded)
    refs = references(loaded, directory)
    scores = {}
    for name in ("expert", "slow", "unsafe", "wrong-cause", "naive"):
        drill = replay(loaded, load_transcript(directory / "transcripts" / f"{name}.yaml"))
        scores[name] = score(drill, key, refs)
    order = sorted(scores, key=lambda n: scores[n].score, reverse=True)
    assert order == ["expert", "slow", "unsafe", "wrong-cause", "naive"], {
        n: s.score for n, s in scores.items()
    }
    assert scores["unsafe"].penalties[0]["id"] == "log-raw-audio"
    assert scores["slow"].diagnosis_correct and scores["slow"].score < 85
    from drills.commands_drill import key_curves

    data = report_data(
        loaded,
        key,
        refs.expert,
        scores["expert"],
        refs.expert,
        key_curves(loaded, key, refs.expert, refs),
    )
    data = json.loads(json.dumps(data, default=float))
    golden = GOLDEN / "gpu-cost-no-traffic-expert.json"
    if os.environ.get("SPEECHDRILL_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(data, indent=2) + "\n")
    assert data == json.loads(golden.read_text())
    page = to_html(data)
    assert page.startswith("<!doctype html>") and "data:image/png;base64," in page
    assert "The course's answer" in page and key.hidden_answer[:40] in page
    assert "| diagnosis | 30.0 / 30 |" in to_markdown(data)


@pytest.mark.slow
def test_drill_replay_json_contract(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "drills",
            "drill",
            "replay",
            "tts-first-audio-byte",
            "naive",
            "--json",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in (
        "score",
        "diagnosis_correct",
        "signals_covered",
        "signals_total",
        "time_to_mitigate_min",
        "slo_burn",
        "cost_burn",
        "penalties",
    ):
        assert key in data
    assert 0 <= data["score"] <= 40
    assert {Path(p).name for p in data["written"]} == {"report.html", "report.json", "report.md"}


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")
def test_the_html_report_renders_in_headless_chromium(tmp_path):
    data = json.loads((GOLDEN / "gpu-cost-no-traffic-expert.json").read_text())
    page = tmp_path / "report.html"
    page.write_text(to_html(data))
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1000,2400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    assert shot.stat().st_size > 50_000  # a real page with the plot, not a blank one
