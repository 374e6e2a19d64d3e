"""Charts, tables and units on the candidate's dashboard: any value a query returns draws
or says why not, and no past move can break a page (a property over random results, the
page rendered for real); table cells read as people write numbers; one function gives
every column its unit, from the telemetry schema."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills.console.charts import LARGEST, MAX_GROUPS, series_of, svg
from drills.console.dashboard import cell
from drills.play.sql import Lineage, QueryResult
from simulator.telemetry.schema import COLUMNS, METRIC_NAMES, unit_of
from tests.helpers import READS

NUMBERS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e4, max_value=1e4),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.booleans(),
    st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0, 10**309]),
)
GROUPS = st.one_of(st.none(), st.integers(), st.text(max_size=40), st.just("<b>&x</b>"))


@st.composite
def results(draw: Any) -> QueryResult:
    grouped = draw(st.booleans())
    columns = ["t_bin", "grp", "v"] if grouped else ["t_s", "value"]
    rows = draw(
        st.lists(
            st.tuples(NUMBERS, GROUPS, NUMBERS) if grouped else st.tuples(NUMBERS, NUMBERS),
            max_size=60,
        )
    )
    return QueryResult(columns, rows, False, Lineage())


COORDINATES = ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy")


@settings(max_examples=300, deadline=None)
@given(result=results(), moves=st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3))
def test_any_result_draws_or_says_why(result, moves):
    chart = svg(result, 1200.0, moves, "ms")
    drawn = series_of(result)
    if not chart:
        assert not drawn.lines and not drawn.off_scale and not drawn.cut_groups
        return
    root = ET.fromstring(chart)  # well-formed, whatever the group names held
    for element in root.iter():
        for name in COORDINATES:
            if name in element.attrib:
                assert math.isfinite(float(element.attrib[name])), (name, element.attrib)
        for pair in element.attrib.get("points", "").split():
            assert all(math.isfinite(float(v)) for v in pair.split(","))
    colours = {e.attrib["stroke"] for e in root.iter() if e.tag.endswith("polyline")}
    assert len(colours) <= MAX_GROUPS
    text = " ".join(e.text or "" for e in root.iter())
    assert ("groups not drawn" in text) == (drawn.cut_groups > 0)
    assert ("values off scale" in text) == (drawn.off_scale > 0)
    assert "nan" not in chart.lower().replace("nano", "") and "inf" not in chart


def test_gaps_are_drawn_as_gaps_and_cut_groups_are_said():
    rows = [(0.0, "a", 1.0), (300.0, "a", None), (600.0, "a", 3.0), (900.0, "a", 4.0)]
    rows += [(0.0, "b", 1.0), (300.0, "b", 2.0), (1500.0, "b", 2.0), (1800.0, "b", 2.5)]
    lines = series_of(QueryResult(["t_bin", "g", "v"], rows, False, Lineage())).lines
    assert [len(run) for run in lines["a"]] == [1, 2]  # NULL: a gap
    assert [len(run) for run in lines["b"]] == [2, 2]  # three bins missing: a gap
    many = [(0.0, f"g{i:02d}", float(i)) for i in range(MAX_GROUPS + 3)]
    many += [(60.0, "g00", math.inf), (60.0, "g01", 2 * LARGEST)]
    chart = svg(QueryResult(["t_bin", "g", "v"], many, False, Lineage()), 0.0, [])
    assert "+3 groups not drawn" in chart and "2 values off scale" in chart
    assert chart.count("<circle") == MAX_GROUPS  # one point each: still shown


@pytest.fixture(scope="module")
def console_drill(tmp_path_factory):
    from starlette.testclient import TestClient

    from drills.console.app import create_app
    from tests.test_console import new_cohort

    app = create_app(tmp_path_factory.mktemp("home"), reads=READS)
    with TestClient(app) as client:  # the lifespan: the app's processes reaped at the end
        c = app.state.console
        _, _, (ana, _) = new_cohort(client, c)
        yield client, c, ana


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(result=results())
def test_no_past_result_breaks_the_page(console_drill, result):
    """A result of any values, kept on a past move, renders on the real page."""
    from drills.play.drill import MoveRecord

    client, c, ana = console_drill
    drill = c.drills.get(ana.session)
    record = MoveRecord(len(drill.moves), "query", 0.0, drill.now_s, "SELECT …", "SELECT 1")
    record.result = result
    drill.moves.append(record)
    try:
        page = client.get(f"/c/{ana.token}")
    finally:
        drill.moves.remove(record)
    assert page.status_code == 200 and 'id="latest-query"' in page.text


@pytest.mark.parametrize(
    "value, shown",
    [
        (6.8000000000000025, "6.8"),
        (372996.0, "372996"),
        (1234567.891, "1,234,568"),
        (0.000123456, "0.000123"),
        (0.123456789, "0.1235"),
        (-42.5, "-42.5"),
        (1e300, "1e+300"),
        (math.nan, "NaN"),
        (math.inf, "∞"),
        (-math.inf, "−∞"),
        (None, ""),
        (True, "true"),
        (7, "7"),
        ("tts-cpu", "tts-cpu"),
    ],
)
def test_table_cells_read_as_people_write_numbers(value, shown):
    assert cell(value) == shown


# --- units -------------------------------------------------------------------------------

PANEL_UNITS = {  # every column every panel returns, with its unit ('' for labels, counts)
    "t_bin": "",
    "kind": "",
    "req_per_s": "1/s",
    "requests": "",
    "p50_ms": "ms",
    "p95_ms": "ms",
    "p99_ms": "ms",
    "ingress": "",
    "preprocess": "",
    "queue": "",
    "infer": "",
    "post_and_observe": "",
    "pool": "",
    "status": "",
    "reject_reason": "",
    "queue_depth": "",
    "batches": "",
    "mean_size": "",
    "fill": "",
    "padding_waste": "",
    "replicas": "",
    "usd_per_hour": "USD/h",
    "route": "",
    "device": "",
    "tags": "",
    "usd": "USD",
    "cohort": "",
    "model_version": "",
    "sessions": "",
    "first_partial_p95_ms": "ms",
    "churn_words": "",
    "wer": "",
    "fab_p50_ms": "ms",
    "fab_p95_ms": "ms",
    "slice": "",
    "language": "",
    "confidence": "0–1",
    "correction_rate": "",
    "entity_error": "0–1",
    "clipping": "",
    "snr_db": "dB",
    "loudness": "",
    "rate_hz": "Hz",
    "t_s": "s",
    "type": "",
    "target": "",
    "detail": "",
}


def test_every_schema_column_and_metric_has_its_own_unit():
    for table, columns in COLUMNS.items():
        for column, (unit, _) in columns.items():
            if column != "value":  # a metric's value is in the metric's unit
                assert unit_of(column) == unit, (table, column)
    for name, (unit, _, _) in METRIC_NAMES.items():
        assert unit_of(name) == unit, name
        assert unit_of("value", metric=name) == unit
        assert unit_of("avg_value", metric=name) == unit


def test_a_rate_is_not_seconds_and_spend_has_its_unit():
    assert unit_of("req_per_s") == "1/s" and unit_of("req_per_s", "arrivals_per_s") == "1/s"
    assert unit_of("usd_per_hour") == "USD/h"
    assert unit_of("usd_per_hour", metric="cost_usd_per_hour") == "USD/h"
    assert unit_of("wait_s") == "s" and unit_of("latency") == "" and unit_of("t_bin") == ""


def test_every_panel_column_gets_its_unit(run_for_units):
    """Every column of every panel, run for real, by the one function the charts use."""
    from drills.play.asof import tables_as_of
    from drills.play.panels import PANELS
    from drills.play.sql import Sandbox

    scenario, full = run_for_units
    now = scenario.spec.clock.start_s
    sandbox = Sandbox(tables_as_of(full, now))
    seen: set[str] = set()
    try:
        for name, panel in PANELS.items():
            result = sandbox.run(panel.sql, now)
            names = result.lineage.equals.get("name", set())
            metric = next(iter(names)) if len(names) == 1 else None
            for i, column in enumerate(result.columns):
                seen.add(column)
                wanted = PANEL_UNITS[column]
                got = unit_of(column, metric if i == len(result.columns) - 1 else None)
                assert got == wanted, (name, column, got)
    finally:
        sandbox.close()
    assert seen == set(PANEL_UNITS)


@pytest.fixture(scope="module")
def run_for_units():
    from drills.library.scenario import load_scenario, resolve_scenario
    from tests.helpers import RUNS

    scenario = load_scenario(resolve_scenario("tts-first-audio-byte"))
    return scenario, RUNS.get(scenario, scenario.timeline)


def test_chart_axis_names_the_unit():
    rows = [(0.0, "tts", 5.0), (300.0, "tts", 6.0)]
    chart = svg(QueryResult(["t_bin", "kind", "req_per_s"], rows, False, Lineage()), 0.0, [], "1/s")
    assert re.search(r"req_per_s \(1/s\)", chart)
