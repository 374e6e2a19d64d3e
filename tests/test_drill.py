"""Drills: what a query reads, the SQL sandbox, replay scoring and the report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drills.judge.evidence import read
from drills.judge.scoring import references, replay, score
from drills.library.paths import library_root
from drills.library.scenario import Signal, load_key, load_scenario, scenario_dirs
from drills.play.asof import as_of
from drills.play.panels import PANELS
from drills.play.sql import QueryRefused, Sandbox
from drills.play.transcript import load_transcript
from reports.after_action import ReportInput, moves_of, report_data, to_html, to_markdown
from tests.helpers import RUNS

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = scenario_dirs()


def signal(**kw):
    base = {"id": "s", "table": "requests", "column": "confidence", "group_by": ["cohort"]}
    return Signal.model_validate({**base, **kw})


@pytest.fixture(scope="module")
def cohort_sandbox():
    """Two cohorts, one of them (fw-4.2) with low confidence after t = 600."""
    import numpy as np
    import pandas as pd

    from simulator.telemetry.bundle import TABLE_COLUMNS

    n = 400
    t = np.linspace(0, 1190, n)
    cohort = np.where(np.arange(n) % 2, "fw-4.2", "fw-4.1")
    requests = pd.DataFrame({c: [None] * n for c in TABLE_COLUMNS["requests"]})
    requests["arrival_s"] = t
    requests["cohort"] = cohort
    requests["kind"] = "asr-batch"
    requests["confidence"] = np.where((cohort == "fw-4.2") & (t > 600), 0.4, 0.8)
    empty = {
        name: pd.DataFrame({c: pd.Series(dtype=float) for c in TABLE_COLUMNS[name]})
        for name in ("batches", "metrics", "events")
    }
    sandbox = Sandbox({"requests": requests, **empty})
    yield sandbox
    sandbox.close()


def test_lineage_comes_from_the_plan_whatever_the_spelling(cohort_sandbox):
    plain = cohort_sandbox.run(
        "SELECT floor(arrival_s / 60) AS t, cohort, avg(confidence) FROM requests "
        "WHERE kind = 'asr-batch' AND arrival_s BETWEEN 500 AND 900 GROUP BY t, cohort",
        1200.0,
    )
    assert plain.lineage.tables == {"requests"}
    assert plain.lineage.read("requests") == {"arrival_s", "cohort", "confidence", "kind"}
    assert plain.lineage.aggregated
    assert plain.lineage.equals == {"kind": {"asr-batch"}}
    assert plain.lineage.time_bounds["arrival_s"] == (500.0, 900.0)
    for spelling in (
        "WITH x AS (SELECT cohort, confidence FROM requests) SELECT cohort, avg(confidence) "
        "FROM x GROUP BY ALL",
        "SELECT cohort, avg(confidence) FROM requests GROUP BY 1",
        "SELECT * FROM (SELECT cohort, avg(confidence) AS c FROM requests GROUP BY cohort)",
        "SELECT cohort, avg(confidence) FROM requests WHERE cohort = 'fw-4.1' GROUP BY cohort "
        "UNION ALL SELECT cohort, avg(confidence) FROM requests WHERE cohort = 'fw-4.2' "
        "GROUP BY cohort",
        "PIVOT requests ON cohort USING avg(confidence)",
        "SELECT DISTINCT cohort, avg(confidence) OVER (PARTITION BY cohort) FROM requests",
    ):
        result = cohort_sandbox.run(spelling, 1200.0)
        assert {"cohort", "confidence"} <= result.lineage.read("requests"), spelling
        assert result.lineage.aggregated, spelling
        assert read(result, signal(focus={"cohort": "fw-4.2"}), 1200.0), spelling


def test_a_signal_is_read_only_when_the_visible_result_shows_its_focus(cohort_sandbox):
    focused = signal(focus={"cohort": "fw-4.2"}, window_s=(600, 1200))

    def reading(sql, now=1200.0):
        return read(cohort_sandbox.run(sql, now), focused, now)

    by_cohort = "SELECT cohort, avg(confidence) FROM requests GROUP BY cohort"
    assert reading(by_cohort).weight == 1.0
    assert reading(by_cohort, now=500.0) is None  # the window had not begun
    assert reading("SELECT avg(confidence) FROM requests") is None  # one number
    assert reading("SELECT cohort, avg(latency_ms) FROM requests GROUP BY cohort") is None
    assert reading("SELECT cohort, confidence FROM requests") is None  # rows, no statistic
    early = by_cohort.replace("GROUP", "WHERE arrival_s < 400 GROUP")
    assert reading(early) is None  # looked before the fault
    only_41 = by_cohort.replace("GROUP", "WHERE cohort = 'fw-4.1' GROUP")
    assert reading(only_41) is None  # the focus never shown
    past_screen = (
        "SELECT cohort, floor(arrival_s) AS a, avg(confidence) FROM requests "
        "GROUP BY ALL ORDER BY cohort"
    )
    assert reading(past_screen) is None  # fw-4.2 sorts after the first 30 rows
    wide = (
        "SELECT cohort, kind, CAST(arrival_s > 600 AS VARCHAR) AS late, 'x' AS a, "
        "avg(confidence) FROM requests GROUP BY ALL ORDER BY cohort DESC"
    )
    assert reading(wide).weight < 0.5  # a sweep over four dimensions


def test_breadth_counts_what_was_grouped_numeric_or_not(cohort_sandbox):
    focused = signal(focus={"cohort": "fw-4.2"}, window_s=(600, 1200))

    def weight(sql):
        found = read(cohort_sandbox.run(sql, 1200.0), focused, 1200.0)
        return found.weight if found else None

    flags = "arrival_s > 600 AS late, confidence > 0.5 AS good"
    four = f"SELECT cohort, kind, {flags}, avg(confidence) FROM requests GROUP BY ALL"
    assert weight(four + " ORDER BY cohort DESC") < 0.5  # two of its four keys are not text
    three = f"SELECT cohort, {flags}, avg(confidence) FROM requests GROUP BY ALL"
    assert weight(three + " ORDER BY cohort DESC") == 1.0
    # a time series' time is its axis: time and three breakdowns is still a look
    series = (
        f"SELECT floor(arrival_s / 300) * 300 AS t, cohort, kind, {flags.split(',')[1]}, "
        "avg(confidence) FROM requests GROUP BY ALL ORDER BY t"
    )
    assert weight(series) == 1.0
    # ... but time among other keys of a table is one of them
    table = "SELECT cohort, kind, arrival_s > 600 AS late, floor(arrival_s / 300) AS t, "
    table += "avg(confidence) FROM requests GROUP BY ALL ORDER BY cohort DESC"
    assert weight(table) < 0.5


def test_one_focus_row_bounded_after_the_change_reads_as_a_time_comparison(cohort_sandbox):
    focused = signal(focus={"cohort": "fw-4.2"}, window_s=(600, 1200))
    since = "SELECT avg(confidence) FROM requests WHERE cohort = 'fw-4.2' AND arrival_s >= {}"

    def reading(sql):
        return read(cohort_sandbox.run(sql, 1200.0), focused, 1200.0)

    assert reading(since.format(600)).weight == 1.0
    assert reading(since.format(450)) is not None  # within the slack of the change
    assert reading(since.format(0)) is None  # before and after together: nothing compared
    assert reading(since.replace(" AND arrival_s >= {}", "")) is None  # all time: one number
    assert reading("SELECT avg(confidence) FROM requests WHERE arrival_s >= 600") is None
    assert reading(since.format(600).replace("fw-4.2", "fw-4.1")) is None  # not the focus
    # a signal that did not change at a time has nothing to be after
    always = signal(focus={"cohort": "fw-4.2"}, window_s=(0, 1200))
    assert read(cohort_sandbox.run(since.format(600), 1200.0), always, 1200.0) is None
    # a focus that refines (the kind) rather than names a group of the key's grouping: the
    # one row after the change is read without that grouping, the same row of all time not
    by_version = signal(
        group_by=["model_version"],
        filter={"kind": "asr-batch"},
        focus={"kind": "asr-batch"},
        contrast="group",
        window_s=(600, 1200),
    )
    kind = "SELECT avg(confidence) FROM requests WHERE kind = 'asr-batch'"
    assert read(cohort_sandbox.run(kind + " AND arrival_s >= 600", 1200.0), by_version, 1200.0)
    assert read(cohort_sandbox.run(kind, 1200.0), by_version, 1200.0) is None


def test_a_change_without_a_focus_group_needs_time(cohort_sandbox):
    change = signal(group_by=[], window_s=(600, 1200))
    all_time = cohort_sandbox.run(
        "SELECT cohort, avg(confidence) FROM requests GROUP BY cohort", 1200.0
    )
    assert read(all_time, change, 1200.0) is None
    over_time = cohort_sandbox.run(
        "SELECT floor(arrival_s / 300) * 300 AS t, avg(confidence) FROM requests GROUP BY t "
        "ORDER BY t",
        1200.0,
    )
    assert read(over_time, change, 1200.0) is not None
    since = cohort_sandbox.run("SELECT avg(confidence) FROM requests WHERE arrival_s > 620", 1200)
    assert read(since, change, 1200.0) is not None


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
        "EXPLAIN SELECT 1",
        "SELECT " + "(" * 5000 + "1" + ")" * 5000,
        "",
        "PRAGMA version",
        "CREATE TABLE x AS SELECT 1",
        "SELECT * FROM range(100000000) a, range(100000000) b ORDER BY a.range DESC",
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


@pytest.mark.parametrize(
    "sql",
    [
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) "
        "SELECT * FROM n",
        "SELECT t_s FROM requests WHERE t_s < 0",  # no rows
        "SELECT t_s FROM requests UNION ALL SELECT t_s FROM events",
        "PIVOT requests ON t_s USING count(*)",
        "SELECT " + "(" * 300 + "1" + ")" * 300,
        "SELECT sum(t_s) OVER (ORDER BY t_s) FROM requests",
    ],
)
def test_the_sandbox_answers_any_select(sql):
    import pandas as pd

    frame = pd.DataFrame({"t_s": [0.0, 1.0]})
    sandbox = Sandbox({"requests": frame, "batches": frame, "metrics": frame, "events": frame})
    try:
        result = sandbox.run(sql, 10.0)
        assert result.columns and len(result.rows) <= 200
    finally:
        sandbox.close()


def test_the_sandbox_cuts_cells_and_escapes_control_characters():
    import pandas as pd

    frame = pd.DataFrame({"t_s": [0.0]})
    sandbox = Sandbox({"requests": frame, "batches": frame, "metrics": frame, "events": frame})
    try:
        big = sandbox.run("SELECT repeat('x', 10000000) AS x", 1.0).rows[0][0]
        assert len(big) <= 120 and big.endswith("…")
        raw = sandbox.run("SELECT chr(27) || '[31mred' || chr(0) AS x", 1.0).rows[0][0]
        assert "\x1b" not in raw and "\x00" not in raw and "\\x1b" in raw
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


def test_a_sandbox_hands_its_connection_on_clean_and_once():
    """A closed sandbox's connection serves the next one, which sees its own tables only;
    one that ran past the time limit is not handed on; closing twice hands on once."""
    import pandas as pd

    from drills.play import sql

    idle = sql.Connections(kept=4)

    def tables(n: int) -> dict[str, pd.DataFrame]:
        frame = pd.DataFrame({"t_s": [float(i) for i in range(n)]})
        return dict.fromkeys(("requests", "batches", "metrics", "events"), frame)

    first = Sandbox(tables(3), idle)
    first.close()
    first.close()
    assert len(idle._idle) == 1
    second = Sandbox(tables(5), idle, time_limit_s=0.05)
    assert second.con is first.con and not idle._idle
    assert second.run("SELECT count(*) AS n FROM requests", 1.0).rows == [(5,)]
    with pytest.raises(QueryRefused, match="limit"):
        second.run("SELECT count(*) FROM range(100000000000) a", 1.0)
    second.close()
    assert not idle._idle  # interrupted once: a fresh connection for the next sandbox
    third = Sandbox(tables(2), idle)
    assert third.con is not second.con
    assert third.run("SELECT count(*) AS n FROM events", 1.0).rows == [(2,)]
    third.close()


@pytest.mark.slow
def test_transcripts_rank_as_an_examiner_would_and_the_report_matches_its_golden():
    directory = library_root() / "gpu-cost-no-traffic"
    loaded = load_scenario(directory / "scenario.yaml")
    key = load_key(directory / "key.yaml", loaded)
    refs = references(loaded, directory, RUNS)
    scores = {}
    for name in ("expert", "slow", "unsafe", "wrong-cause", "naive"):
        drill = replay(loaded, load_transcript(directory / "transcripts" / f"{name}.yaml"), RUNS)
        scores[name] = score(drill, key, refs)
    order = sorted(scores, key=lambda n: scores[n].score, reverse=True)
    assert order == ["expert", "slow", "unsafe", "wrong-cause", "naive"], {
        n: s.score for n, s in scores.items()
    }
    assert scores["unsafe"].penalties[0]["id"] == "log-raw-audio"
    assert scores["slow"].diagnosis_correct and scores["slow"].score < 85
    from drills.judge.debrief import report_parts

    curves, debrief = report_parts(refs.expert, key, refs, scores["expert"])
    expert = moves_of(refs.expert.moves)
    view = ReportInput(loaded, key, scores["expert"], expert, expert, curves, debrief)
    data = report_data(view)
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
            "--no-counterfactuals",  # the debrief's runs: tests/test_debrief.py
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


@pytest.mark.slow
def test_an_action_that_changes_nothing_leaves_the_same_trace_as_one_that_does():
    """Every action is announced in the events table: the trace does not tell whether a
    rollback had anything to roll back, and a no-op changes nothing else."""
    from drills.library.scenario import Move
    from drills.play.drill import Drill

    loaded = load_scenario(library_root() / "gpu-cost-no-traffic" / "scenario.yaml")

    def played(target: str) -> Drill:
        drill = Drill(loaded, RUNS)
        act = {"action": "rollback", "args": {"target": target}}
        drill.play(Move.model_validate({"at_min": 2, "act": act}))
        return drill

    noop, fix = played("pools.tts-cpu"), played("pools.embed-cpu")
    assert noop.moves[0].changes == {} and fix.moves[0].changes

    def announced(drill: Drill) -> list[tuple[float, str, str]]:
        events = drill.telemetry().events
        rows = events[events["type"] == "action"]
        return list(zip(rows["t_s"], rows["target"], rows["type"], strict=True))

    assert announced(noop) == announced(fix) == [(noop.moves[0].sim_time_s, "rollback", "action")]
    untouched = RUNS.get(loaded, loaded.timeline)
    assert len(noop.telemetry().events) == len(untouched.events) + 1
    assert noop.telemetry().requests.equals(untouched.requests)


@pytest.mark.parametrize(
    ("moves", "where", "expected"),
    [
        (  # a live session refuses every move after the conclusion
            "  - conclude: {cause: x}\n  - look: events\n",
            "moves[2]: no move after the conclusion (moves[1] concludes",
            ":6:",
        ),
        (  # a recording's minutes only go forward
            "  - at_min: 10\n    look: events\n  - at_min: 2\n    look: traffic\n",
            "moves[2].at_min: a clock minute at or after moves[1]'s (10), not 2",
            ":7:",
        ),
        (  # an infinite wait is a typo, and its run measures nothing
            "  - act: {action: set, args: {path: pools.tts-cpu.batching.max_wait_ms, "
            "value: .inf}}\n",
            "moves[1].act.args.value: pools.tts-cpu.batching.max_wait_ms: Input should be a "
            "finite number",
            ":5:",
        ),
    ],
    ids=["after-the-conclusion", "minutes-backwards", "infinite-value"],
)
def test_a_replay_refuses_what_a_live_session_refuses_naming_field_and_line(
    tmp_path, moves, where, expected
):
    path = tmp_path / "t.yaml"
    path.write_text(
        "scenario: tts-slow-after-config-push\ntrainee: t\nmoves:\n  - look: events\n" + moves
    )
    done = subprocess.run(
        [sys.executable, "-m", "drills", "drill", "replay", "tts-slow-after-config-push", path],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    assert where in done.stderr and f"t.yaml{expected}" in done.stderr
    assert "Traceback" not in done.stderr
