"""What-if sweeps: grid expansion, bad files, the frontier, executors, resume, find-min."""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from drills.cli import main
from drills.cli import whatif as whatif_cli
from drills.library.paths import library_root
from drills.library.whatif import load_sweep, summarise
from reports.whatif import _spans_decades, interval
from simulator.errors import InputError
from simulator.studies import sweep_run
from simulator.studies.sweep_run import (
    Executor,
    ResultsLog,
    aggregate,
    find_min,
    pareto_frontier,
    run_sweep,
)

FLEET = library_root() / "fleets" / "batch-asr.yaml"


def speechdrill(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def write_sweep(tmp_path: Path, **overrides: object) -> Path:
    spec: dict[str, object] = {
        "name": "tiny",
        "base": {"fleet": str(FLEET)},
        "duration_s": 120,
        "grid": {"pools.asr.replicas": [1, 2], "pools.asr.device": ["cpu", "gpu-l4"]},
        "seeds": 2,
        "objectives": {"slos": {"asr-batch": {"p95_ms": 1500}}},
    }
    spec.update(overrides)
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_the_grid_is_the_product_of_its_fields_in_order(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path))
    assert sweep.points() == [
        {"pools.asr.replicas": 1, "pools.asr.device": "cpu"},
        {"pools.asr.replicas": 1, "pools.asr.device": "gpu-l4"},
        {"pools.asr.replicas": 2, "pools.asr.device": "cpu"},
        {"pools.asr.replicas": 2, "pools.asr.device": "gpu-l4"},
    ]
    assert len(sweep.tasks()) == 8 and len({t.key for t in sweep.tasks()}) == 8
    listed = load_sweep(write_sweep(tmp_path, grid={}, points=[{"pools.asr.replicas": 3}]))
    assert listed.points() == [{"pools.asr.replicas": 3}]


@pytest.mark.parametrize(
    ("grid", "field", "expected"),
    [
        ({"pools.asr.nope": [1]}, "grid.pools.asr.nope", "nope"),
        ({"pools.asr.replicas": ["two"]}, "grid.pools.asr.replicas", "integer"),
        ({"pools.asr.device": ["gpu-x9"]}, "grid.pools.asr.device", "no latency profile"),
        ({"workload.streams[0].arrivals.rate_scale": [-1]}, "grid.workload", "greater than 0"),
    ],
)
def test_bad_grid_values_are_exit_2_naming_file_and_field(tmp_path, capsys, grid, field, expected):
    path = write_sweep(tmp_path, grid=grid)
    code, _, err = speechdrill(capsys, "whatif", str(path))
    assert code == 2, err
    assert f"{path}:7: {field}" in err and expected in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"grid": {}}, "the sweep is empty"),
        ({"seeds": "many"}, "seeds"),
        ({"grid": {"pools.asr.replicas": []}}, "empty list"),
        ({"base": {"fleet": "nowhere.yaml"}}, "nowhere.yaml"),
        ({"base": {}}, "exactly one of `fleet` or `scenario`"),
    ],
)
def test_bad_sweep_files_are_exit_2(tmp_path, capsys, overrides, expected):
    code, _, err = speechdrill(capsys, "whatif", str(write_sweep(tmp_path, **overrides)))
    assert code == 2 and expected in err, err


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6)).map(lambda t: (float(t[0]), float(t[1]))),
        min_size=1,
        max_size=25,
    )
)
def test_the_frontier_is_exactly_the_non_dominated_points(pairs):
    costs, ratios = [c for c, _ in pairs], [r for _, r in pairs]
    frontier = set(pareto_frontier(costs, ratios))

    def dominates(j: int, i: int) -> bool:
        return (
            costs[j] <= costs[i]
            and ratios[j] <= ratios[i]
            and (costs[j] < costs[i] or ratios[j] < ratios[i])
        )

    for i in range(len(pairs)):
        dominated = any(dominates(j, i) for j in range(len(pairs)) if j != i)
        assert (i in frontier) == (not dominated)


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    return load_sweep(write_sweep(tmp_path_factory.mktemp("sweep")))


@pytest.fixture(scope="module")
def serial_runs(small_sweep):
    return run_sweep(small_sweep, Executor("serial"))


def _by_key(runs):
    return {(r["point"], r["seed"]): r["metrics"] for r in runs}


def test_numbers_follow_the_fleet_cost_is_replicas_times_price(small_sweep, serial_runs):
    points = aggregate(serial_runs, small_sweep.points(), small_sweep.spec.objectives)
    price = {"cpu": 0.17, "gpu-l4": 0.80}
    for p in points:
        expected = p.params["pools.asr.replicas"] * price[p.params["pools.asr.device"]]
        assert p.mean["cost_usd_per_hour"] == pytest.approx(expected, rel=1e-6)
        low, high = p.ci["cost_usd_per_hour"]
        assert low <= p.mean["cost_usd_per_hour"] <= high
    cpu1, l41, cpu2, l42 = points
    # more replicas never hurt latency; the GPU is faster than the CPU per item
    assert cpu2.mean["asr-batch.p95_ms"] <= cpu1.mean["asr-batch.p95_ms"]
    assert l42.mean["asr-batch.p95_ms"] <= l41.mean["asr-batch.p95_ms"] * 1.05
    assert l41.mean["asr-batch.p95_ms"] < cpu1.mean["asr-batch.p95_ms"]
    assert l41.slo_met and not cpu1.slo_met


def test_a_process_pool_gives_the_same_numbers_as_serial(small_sweep, serial_runs):
    pooled = run_sweep(small_sweep, Executor("processes", workers=2))
    assert _by_key(pooled) == _by_key(serial_runs)


def test_dask_local_gives_the_same_numbers_as_serial(small_sweep, serial_runs):
    pytest.importorskip("distributed")
    on_dask = run_sweep(small_sweep, Executor("dask-local", workers=2))
    assert _by_key(on_dask) == _by_key(serial_runs)


def test_an_interrupted_sweep_resumes_without_recomputing(
    small_sweep, serial_runs, tmp_path, monkeypatch
):
    log_path = tmp_path / "runs.jsonl"
    calls = []
    real = sweep_run.run_task

    class Killed(Exception):
        pass

    def dies_on_the_third_run(task):
        calls.append(task.key)
        if len(calls) == 3:
            raise Killed  # the machine dies during the third run
        return real(task)

    monkeypatch.setattr(sweep_run, "run_task", dies_on_the_third_run)
    with pytest.raises(Killed):
        run_sweep(small_sweep, Executor("serial"), ResultsLog(log_path))
    assert len(log_path.read_text().splitlines()) == 2
    calls.clear()
    monkeypatch.setattr(sweep_run, "run_task", lambda task: calls.append(task.key) or real(task))
    resumed = run_sweep(small_sweep, Executor("serial"), ResultsLog(log_path))
    assert len(calls) == len(serial_runs) - 2  # the two finished runs were not redone
    assert _by_key(resumed) == _by_key(serial_runs)


def test_find_min_bisects_to_the_full_grids_answer(tmp_path):
    grid = {"pools.asr.replicas": [1, 2, 3, 4, 6], "pools.asr.device": ["cpu"]}
    sweep = load_sweep(write_sweep(tmp_path, grid=grid, seeds=1, duration_s=90))
    log = ResultsLog(tmp_path / "runs.jsonl")
    full = aggregate(
        run_sweep(sweep, Executor("serial"), log), sweep.points(), sweep.spec.objectives
    )
    meeting = [p.params["pools.asr.replicas"] for p in full if p.slo_met]
    values = grid["pools.asr.replicas"]
    assert meeting and meeting == [v for v in values if v >= min(meeting)]  # monotone
    assert min(meeting) > 1  # the search has something to find
    found = find_min(sweep, "pools.asr.replicas", Executor("serial"))
    assert found["value"] == min(meeting)
    assert len(found["evaluated"]) < len(grid["pools.asr.replicas"])
    assert found["confidence"] == 1.0


def test_whatif_json_and_outputs(tmp_path, capsys):
    path = write_sweep(tmp_path, seeds=1, duration_s=60)
    out = tmp_path / "out"
    code, stdout, err = speechdrill(capsys, "whatif", str(path), "--json", "--out", str(out))
    assert code == 0, err
    data = json.loads(stdout)
    assert set(data) >= {"points", "frontier", "best"}
    point = data["points"][0]
    assert set(point) >= {"params", "cost_usd_per_hour", "p95_ms", "slo_met", "ci"}
    assert set(point["p95_ms"]) == {"asr-batch"}
    assert data["best"]["slo_met"] and math.isfinite(data["best"]["cost_usd_per_hour"])
    cheapest = min(
        (p for p in data["points"] if p["slo_met"]), key=lambda p: p["cost_usd_per_hour"]
    )
    assert data["best"]["params"] == cheapest["params"]
    assert {p.name for p in out.iterdir()} == {
        "runs.jsonl",
        "results.parquet",
        "frontier.json",
        "report.html",
    }
    assert "data:image/png;base64" in (out / "report.html").read_text()
    lines = (out / "runs.jsonl").read_text()
    _, again, _ = speechdrill(capsys, "whatif", str(path), "--json", "--out", str(out))
    assert json.loads(again)["points"] == data["points"]
    assert (out / "runs.jsonl").read_text() == lines  # resumed: nothing ran again


def test_every_shipped_sweep_loads():
    files = sorted((library_root() / "whatif").glob("*.yaml"))
    assert len(files) >= 3
    for path in files:
        try:
            sweep = load_sweep(path)
        except InputError as exc:  # pragma: no cover - the message is the failure
            pytest.fail(exc.render())
        assert sweep.points()


def test_a_workload_axis_is_a_condition_not_a_choice(tmp_path, capsys):
    """At ×1 and ×8 traffic the cheapest fleet is found per condition: 'the cheapest point'
    is never the one at the lighter traffic, and ties on cost go to the most headroom."""
    path = write_sweep(
        tmp_path,
        seeds=1,
        duration_s=120,
        grid={
            "pools.asr.replicas": [1, 2, 4],
            "pools.asr.device": ["gpu-l4"],
            "workload.streams[0].arrivals.rate_scale": [1.0, 8.0],
        },
    )
    code, stdout, err = speechdrill(capsys, "whatif", str(path), "--json")
    assert code == 0, err
    data = json.loads(stdout)
    condition = "workload.streams[0].arrivals.rate_scale"
    assert data["conditions"] == [condition] and data["best"] is None
    groups = {g["condition"][condition]: g for g in data["by_condition"]}
    assert set(groups) == {1.0, 8.0}
    for rate, group in groups.items():
        best = group["best"]
        assert best is not None and best["params"][condition] == rate
        meeting = [p for p in data["points"] if p["params"][condition] == rate and p["slo_met"]]
        assert best["cost_usd_per_hour"] == min(p["cost_usd_per_hour"] for p in meeting)
    heavier = groups[8.0]["best"]["params"]["pools.asr.replicas"]
    assert heavier >= groups[1.0]["best"]["params"]["pools.asr.replicas"]
    code, text, _ = speechdrill(capsys, "whatif", str(path))
    assert f"at {condition} = 8.0: cheapest point meeting every SLO" in text
    assert "meets SLOs (run): every SLO's metric over the whole run" in text


def test_a_tie_on_cost_goes_to_the_most_headroom():
    from simulator.studies.sweep_run import PointResult, cheapest_meeting, tied_with

    def point(i: int, cost: float, ratio: float) -> PointResult:
        return PointResult(
            i, {"x": i}, {"cost_usd_per_hour": cost}, {}, 1.0, ratio <= 1, ratio, "p95"
        )

    points = [point(0, 1.60, 0.9), point(1, 1.601, 0.2), point(2, 1.60, 0.5), point(3, 0.8, 1.4)]
    best = cheapest_meeting(points)
    assert best is not None and best.index == 1  # same cost to the cent, most headroom
    assert tied_with(best, points) == 2


def test_find_min_searches_every_combination_of_the_other_fields(tmp_path):
    """The issue's planner: with the device left at the grid's first (cpu), find-min said
    4 replicas; an L4 meets the SLO with one. Each device is searched, each answer is the
    full grid's, and the cheapest of them is the answer."""
    grid = {"pools.asr.device": ["cpu", "gpu-l4"], "pools.asr.replicas": [1, 2, 4, 8]}
    sweep = load_sweep(write_sweep(tmp_path, grid=grid, seeds=1, duration_s=120))
    log = ResultsLog(tmp_path / "runs.jsonl")
    full = aggregate(
        run_sweep(sweep, Executor("serial"), log), sweep.points(), sweep.spec.objectives
    )
    found = find_min(sweep, "pools.asr.replicas", Executor("serial"), log)
    assert found["searched"] == ["pools.asr.device"]
    per_device = {s["fixed"]["pools.asr.device"]: s["value"] for s in found["searches"]}
    for device, value in per_device.items():
        meeting = [
            p.params["pools.asr.replicas"]
            for p in full
            if p.slo_met and p.params["pools.asr.device"] == device
        ]
        assert value == (min(meeting) if meeting else None)
    assert per_device["gpu-l4"] == 1 and per_device["cpu"] > 1
    cheapest = min((p for p in full if p.slo_met), key=lambda p: p.mean["cost_usd_per_hour"])
    assert found["fixed"] | {"pools.asr.replicas": found["value"]} == cheapest.params
    table = whatif_cli.find_min_table(found)
    assert "gpu-l4" in table and "cpu" in table


def point(index: int, cost: float, ratio: float) -> sweep_run.PointResult:
    return sweep_run.PointResult(
        index=index,
        params={"i": index},
        mean={"cost_usd_per_hour": cost},
        ci={},
        seeds_meeting=1.0 if ratio <= 1 else 0.0,
        slo_met=ratio <= 1,
        slo_ratio=ratio,
        binding="x.p95_ms",
    )


@given(st.lists(st.tuples(st.floats(0.1, 10), st.floats(0.1, 3)), min_size=1, max_size=12))
def test_the_frontier_holds_only_points_meeting_every_slo_and_lists_the_rest_apart(pairs):
    points = [point(i, c, r) for i, (c, r) in enumerate(pairs)]
    summary = summarise(points)
    on = {p["index"] for p in summary["frontier"]}
    assert all(points[i].slo_met for i in on)
    assert set(summary["failing"]) == {p.index for p in points if not p.slo_met}
    meeting = [p for p in points if p.slo_met]
    for i in on:  # nothing meeting every SLO is cheaper with more headroom
        assert not any(
            q.mean["cost_usd_per_hour"] < points[i].mean["cost_usd_per_hour"]
            and q.slo_ratio < points[i].slo_ratio
            for q in meeting
        )
    assert bool(on) == bool(meeting)


def test_the_interval_is_across_seeds_or_says_every_seed_agrees():
    same = point(0, 1.6, 0.5)
    same.runs = [{"cost_usd_per_hour": 1.6}, {"cost_usd_per_hour": 1.6000001}]
    same.ci = {"cost_usd_per_hour": (1.5999, 1.6001)}
    assert interval(same, "cost_usd_per_hour", 2) == "1.60 (every seed)"
    spread = point(1, 1.6, 0.5)
    spread.mean["x.p95_ms"] = 120.0
    spread.runs = [{"x.p95_ms": 100.0}, {"x.p95_ms": 140.0}]
    spread.ci = {"x.p95_ms": (-134.1, 374.1)}
    assert interval(spread, "x.p95_ms", 0) == "120 [0, 374]"  # never below zero
    assert not _spans_decades([60.0, 110.0, 400.0]) and _spans_decades([60.0, 15000.0])


def test_every_column_of_the_html_report_is_explained(tmp_path, capsys):
    path = write_sweep(tmp_path, seeds=2, duration_s=60)
    out = tmp_path / "out"
    code, _, err = speechdrill(capsys, "whatif", str(path), "--out", str(out))
    assert code == 0, err
    report = (out / "report.html").read_text()
    headers = re.findall(r"<th>([^<]+)</th>", report)
    explained = re.findall(r"<dt>([^<]+)</dt>", report)
    assert headers and [html.unescape(h) for h in headers] == [html.unescape(e) for e in explained]
    assert "every seed" in report and "2 seeds" in report
