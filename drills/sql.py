"""Investigation over telemetry: a read-only DuckDB sandbox, and what a query reads.

The sandbox sees the telemetry as it stood at the drill clock — rows that had not arrived
are absent, requests still in flight show no outcome — with file, extension and network
access off, a row limit and a time limit. A query's shape (tables, columns, grouping,
filters, time window) decides which answer-key signals it covers, so a hand-written query
and a named panel are judged alike.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from drills.scenario import Signal
from drills.signals import TIME_COLUMN
from simulator.telemetry import SAMPLED_METRICS, TABLES, Telemetry

ROW_LIMIT = 200
TIME_LIMIT_S = 5.0
OUTCOME_FLAGS = ("corrected", "eval_sample")
OUTCOME_COLUMNS = (
    "infer_start_s",
    "infer_end_s",
    "done_s",
    "latency_ms",
    "cost_usd",
    "first_partial_ms",
    "final_ms",
    "first_audio_byte_ms",
    "first_response_ms",
    "wer_proxy",
    "confidence",
    "entity_error",
    "partial_churn",
)


class QueryRefused(ValueError):
    """A query the sandbox will not run, with the reason in words."""


def as_of(tel: Telemetry, now: float) -> dict[str, pd.DataFrame]:
    """The telemetry tables as an operator could have seen them at time `now`: nothing
    decided at or after `now` shows, so a run paused at `now` and a finished run give the
    same view (tests/test_incremental.py)."""
    r = tel.requests[tel.requests["arrival_s"] < now].copy()
    pending = ~(r["done_s"] < now)
    for column in OUTCOME_COLUMNS:
        if column in r:
            r.loc[pending, column] = np.nan
    r.loc[pending, "status"] = "in_flight"
    r.loc[pending, list(OUTCOME_FLAGS)] = False  # flags of a served request: not yet
    for column in ("ingress_done_s", "preprocess_done_s", "enqueue_s"):
        r.loc[pending & ~(r[column] < now), column] = np.nan
    unrouted = pending & r["enqueue_s"].isna()
    r.loc[unrouted, ["route", "pool"]] = np.nan
    b = tel.batches[tel.batches["start_s"] < now].copy()
    b.loc[~(b["end_s"] < now), "end_s"] = np.nan
    unbatched = pending & (r["batch_id"] >= len(b))  # batch ids count batches in start order
    r.loc[unbatched, "batch_id"] = -1
    r.loc[unbatched, ["model_version", "device"]] = np.nan
    metrics = tel.metrics
    sampled = metrics["name"].isin(SAMPLED_METRICS)
    closed = metrics["t_s"] + tel.metrics_interval_s <= now  # a window's value shows at its end
    return {
        "requests": r,
        "batches": b,
        "metrics": metrics[(metrics["t_s"] < now) & (sampled | closed)],
        "events": tel.events[tel.events["t_s"] < now],
    }


@dataclass
class QueryShape:
    tables: set[str] = field(default_factory=set)
    columns: set[str] = field(default_factory=set)
    grouped: set[str] = field(default_factory=set)
    listed: set[str] = field(default_factory=set)  # plain columns of a query that lists rows
    equals: dict[str, set[str]] = field(default_factory=dict)
    time_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)


def parse(sql: str) -> dict[str, Any]:
    con = duckdb.connect()
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    finally:
        con.close()
    if tree.get("error"):
        raise QueryRefused(f"not valid SQL: {tree.get('error_message', 'parse error')}")
    return tree


def shape_of(sql: str) -> QueryShape:
    """Tables, columns, grouping, equality filters and time bounds a SELECT reads."""
    tree = parse(sql)
    shape = QueryShape()
    for statement in tree["statements"]:
        _walk_select(statement["node"], shape)
    return shape


def _walk_select(node: dict[str, Any], shape: QueryShape) -> None:
    aliases: dict[str, set[str]] = {}
    plain: set[str] = set()
    for item in node.get("select_list", []):
        refs = _column_refs(item)
        shape.columns |= refs
        if item.get("class") == "COLUMN_REF":
            plain |= refs
        if item.get("alias"):
            aliases[item["alias"]] = refs
    if not node.get("group_expressions") and not _aggregates(node.get("select_list", [])):
        shape.listed |= plain  # row by row: every listed column is seen per value
    _walk_from(node.get("from_table"), shape)
    for expr in node.get("group_expressions", []):
        refs = _column_refs(expr)
        for ref in refs:
            shape.grouped |= aliases.get(ref, {ref})
    where = node.get("where_clause")
    if where:
        shape.columns |= _column_refs(where)
        _constraints(where, shape)
    for value in node.get("cte_map", {}).get("map", []):
        _walk_select(value["value"]["query"]["node"], shape)


def _aggregates(items: list[Any]) -> bool:
    """Does a select list aggregate (count, sum, avg, quantiles ...)?"""
    text = json.dumps(items)
    return any(
        f'"function_name": "{name}' in text
        for name in (
            "count",
            "sum",
            "avg",
            "mean",
            "min",
            "max",
            "quantile",
            "median",
            "stddev",
            "first",
        )
    )


def _walk_from(table: dict[str, Any] | None, shape: QueryShape) -> None:
    if not table:
        return
    kind = table.get("type")
    if kind == "BASE_TABLE":
        shape.tables.add(table["table_name"])
    elif kind == "JOIN":
        _walk_from(table.get("left"), shape)
        _walk_from(table.get("right"), shape)
    elif kind == "SUBQUERY":
        _walk_select(table["subquery"]["node"], shape)


def _column_refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if node.get("class") == "COLUMN_REF":
            found.add(node["column_names"][-1])
        for value in node.values():
            found |= _column_refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _column_refs(value)
    return found


def _literal(node: dict[str, Any]) -> str | None:
    if node.get("class") == "CONSTANT":
        return str(node["literal"]["text"])
    if node.get("class") == "CAST":
        return _literal(node["child"])
    return None


def _constraints(node: Any, shape: QueryShape) -> None:
    if isinstance(node, list):
        for child in node:
            _constraints(child, shape)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type", "")
    if kind == "COMPARE_BETWEEN" and node["input"].get("class") == "COLUMN_REF":
        low, high = _literal(node["lower"]), _literal(node["upper"])
        if low is not None and high is not None:
            column = node["input"]["column_names"][-1]
            shape.time_bounds[column] = (float(low), float(high))
    elif kind.startswith("COMPARE_") and node.get("left", {}).get("class") == "COLUMN_REF":
        column = node["left"]["column_names"][-1]
        value = _literal(node["right"])
        if value is not None:
            _bound(shape, column, kind, value)
    elif kind == "COMPARE_IN" and node["children"][0].get("class") == "COLUMN_REF":
        column = node["children"][0]["column_names"][-1]
        values = {v for v in (_literal(c) for c in node["children"][1:]) if v is not None}
        shape.equals.setdefault(column, set()).update(values)
    for value in node.values():
        if isinstance(value, dict | list):
            _constraints(value, shape)


def _bound(shape: QueryShape, column: str, kind: str, value: str) -> None:
    if kind == "COMPARE_EQUAL":
        shape.equals.setdefault(column, set()).add(value)
        return
    try:
        number = float(value)
    except ValueError:
        return
    low, high = shape.time_bounds.get(column, (-np.inf, np.inf))
    if kind in ("COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO"):
        low = max(low, number)
    elif kind in ("COMPARE_LESSTHAN", "COMPARE_LESSTHANOREQUALTO"):
        high = min(high, number)
    shape.time_bounds[column] = (low, high)


def covers(shape: QueryShape, signal: Signal, now: float) -> bool:
    """Does a query of this shape read the signal (table, column, grouping, window)?"""
    if signal.table not in shape.tables or signal.column not in shape.columns | shape.grouped:
        return False

    def visible(column: str, value: str | list[str] | None = None) -> bool:
        if column in shape.grouped or column in shape.listed:
            return True
        wanted = {value} if isinstance(value, str) else set(value or [])
        return column in shape.equals and (not wanted or bool(wanted & shape.equals[column]))

    if not all(visible(g) for g in signal.group_by):
        return False
    # the focus (where the fault shows) is the trainee's to find: not required to cover
    if not all(visible(k, v) for k, v in signal.filter.items()):
        return False
    start, end = signal.window_s or (0.0, np.inf)
    if now <= start:
        return False  # the window had not begun when the query ran
    low, high = shape.time_bounds.get(TIME_COLUMN[signal.table], (-np.inf, np.inf))
    return low < min(end, now) and high > start


class Sandbox:
    """Read-only DuckDB over telemetry as of a clock time."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.con = duckdb.connect(
            config={
                "enable_external_access": False,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            }
        )
        for name in TABLES:
            self.con.register(name, tables[name])
        self.con.execute("SET lock_configuration = true")

    def query(self, sql: str, now: float) -> pd.DataFrame:
        text = sql.replace(":now", repr(float(now)))
        tree = parse(text)
        kinds = {s["node"]["type"] for s in tree["statements"]}
        if len(tree["statements"]) != 1 or kinds != {"SELECT_NODE"}:
            raise QueryRefused("only a single SELECT statement can run here")
        timer = threading.Timer(TIME_LIMIT_S, self.con.interrupt)
        timer.start()
        try:
            result = self.con.execute(text)
            rows = result.fetchmany(ROW_LIMIT)
            columns = [d[0] for d in result.description or []]
        except duckdb.InterruptException:
            raise QueryRefused(f"query ran past the {TIME_LIMIT_S:g} s limit") from None
        except duckdb.Error as exc:
            raise QueryRefused(str(exc).splitlines()[0]) from None
        finally:
            timer.cancel()
        return pd.DataFrame(rows, columns=columns)

    def close(self) -> None:
        self.con.close()
