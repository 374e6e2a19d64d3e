"""Investigation over telemetry: a read-only DuckDB sandbox, and what a query read.

The sandbox sees the telemetry as it stood at the drill clock (drills/play/asof.py: rows that
had not arrived are absent, requests still in flight show no outcome), with file, extension
and network access off and bounds on time, memory, threads, rows, columns and cell size. Any
query gets an answer or a one-line refusal; nothing a trainee types can break a session.

What a query read (its lineage) comes from DuckDB itself: the base columns its plan scans
(EXPLAIN), the tables it names and the time bounds and equality filters of its WHERE
clauses, wherever they sit (CTEs, subqueries, set operations, PIVOT). Equivalent SQL reads
the same. Whether that reading earned a key signal is judged on the result the trainee was
shown (drills/judge/evidence.py).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from drills.play.asof import to_arrow
from simulator.telemetry.bundle import TABLE_COLUMNS, TABLES

ROW_LIMIT = 200  # rows fetched of any result
COLUMN_LIMIT = 64
CELL_CHARS = 120  # a longer text cell is cut (a 10 MB string is not evidence)
TIME_LIMIT_S = 5.0
MEMORY_LIMIT = "1GB"
THREADS = 1
# DuckDB's directories point nowhere (nothing can be read or written there anyway), so no
# setting a query can list (`duckdb_settings()`) or error it can raise names a server path;
# there is no spill directory: a query that needs more memory than MEMORY_LIMIT is refused
NOWHERE = "/"


class QueryRefused(ValueError):
    """A query the sandbox will not run, with the reason in words."""


@dataclass
class Lineage:
    """What a query read: tables, the base columns scanned of each, whether it aggregates,
    and the time bounds and equality filters its WHERE clauses put on columns."""

    tables: set[str] = field(default_factory=set)
    columns: dict[str, set[str]] = field(default_factory=dict)
    aggregated: bool = False
    time_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    equals: dict[str, set[str]] = field(default_factory=dict)
    groups: tuple[str, ...] = ()  # the widest grouping's keys, as the plan names them

    def read(self, table: str) -> set[str]:
        return self.columns.get(table, set())


@dataclass
class QueryResult:
    """A query's answer as fetched (at most ROW_LIMIT rows), cells made safe to print."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # the query had more rows than were fetched
    lineage: Lineage

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_cell(value: Any) -> Any:
    """Cells as a terminal may print them: control characters escaped, long text cut."""
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value)[:CELL_CHARS].hex()
    if isinstance(value, str):
        if len(value) > CELL_CHARS:
            value = value[: CELL_CHARS - 1] + "…"
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    if isinstance(value, list | dict | tuple):
        return safe_cell(str(value))
    return value


def parse(sql: str, con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """DuckDB's own parse tree of a SELECT (None for statements it cannot serialise, such
    as PIVOT), read on the sandbox's own connection (opening one per parse costs more than
    the parse); raises QueryRefused for SQL that does not parse."""
    try:
        text = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0]
        tree: dict[str, Any] = json.loads(text)
    except RecursionError:
        raise QueryRefused("the query nests too deeply to read") from None
    except duckdb.Error as exc:
        raise QueryRefused(_first_line(exc)) from None
    if tree.get("error"):
        message = str(tree.get("error_message", "parse error"))
        if "Only SELECT" in message:
            return None
        raise QueryRefused(f"not valid SQL: {_first_line(message)}")
    return tree


def _first_line(error: Any) -> str:
    return safe_cell(str(error).strip().splitlines()[0] if str(error).strip() else "error")


def hiding(paths: list[str]) -> Callable[[Any], Any]:
    """A cell filter that blanks these paths (the server's folders) wherever they show in
    text: a backstop behind DuckDB's directories pointing nowhere."""
    known = sorted({p.rstrip("/") for p in paths if p and p.rstrip("/")}, key=len, reverse=True)

    def hide(value: Any) -> Any:
        if isinstance(value, str) and "/" in value:
            for path in known:
                value = value.replace(path, "…")
        return value

    return hide


def _nodes(tree: Any) -> list[dict[str, Any]]:
    """Every mapping in a parse or plan tree, iteratively (no recursion limit to hit)."""
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            out.append(node)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return out


def _literal(node: Any) -> str | None:
    while isinstance(node, dict) and node.get("class") == "CAST":
        node = node.get("child")
    if isinstance(node, dict) and node.get("class") == "CONSTANT":
        return str(node["literal"].get("text", node["literal"].get("value")))
    return None


def _column(node: Any) -> str | None:
    if isinstance(node, dict) and node.get("class") == "COLUMN_REF":
        return str(node["column_names"][-1])
    return None


def _constraints(where: Any, lineage: Lineage) -> None:
    """Time bounds and equality filters of one WHERE clause (and what it nests)."""
    for node in _nodes(where):
        kind = node.get("type", "")
        if kind == "COMPARE_BETWEEN" and _column(node.get("input")):
            low, high = _literal(node.get("lower")), _literal(node.get("upper"))
            if low is not None and high is not None:
                _bound(lineage, str(_column(node["input"])), ">=", low)
                _bound(lineage, str(_column(node["input"])), "<=", high)
        elif kind == "COMPARE_IN" and _column((node.get("children") or [None])[0]):
            column = str(_column(node["children"][0]))
            values = {v for v in map(_literal, node["children"][1:]) if v is not None}
            lineage.equals.setdefault(column, set()).update(values)
        elif kind.startswith("COMPARE_") and "left" in node:
            left, right = node.get("left"), node.get("right")
            if _column(left) and _literal(right) is not None:
                _bound(lineage, str(_column(left)), kind, str(_literal(right)))
            elif _column(right) and _literal(left) is not None:
                flipped = {"COMPARE_GREATERTHAN": "COMPARE_LESSTHAN"}
                flipped |= {v: k for k, v in flipped.items()}
                flipped |= {
                    "COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO",
                    "COMPARE_LESSTHANOREQUALTO": "COMPARE_GREATERTHANOREQUALTO",
                }
                _bound(lineage, str(_column(right)), flipped.get(kind, kind), str(_literal(left)))


def _bound(lineage: Lineage, column: str, kind: str, value: str) -> None:
    if kind == "COMPARE_EQUAL":
        lineage.equals.setdefault(column, set()).add(value)
        return
    try:
        number = float(value)
    except ValueError:
        return
    low, high = lineage.time_bounds.get(column, (-np.inf, np.inf))
    if kind in (">=", "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO"):
        low = max(low, number)
    elif kind in ("<=", "COMPARE_LESSTHAN", "COMPARE_LESSTHANOREQUALTO"):
        high = min(high, number)
    lineage.time_bounds[column] = (low, high)


_IDENTIFIER = re.compile(r"'(?:[^']|'')*'|\"((?:[^\"]|\"\")*)\"|([A-Za-z_][A-Za-z0-9_]*)")
AGGREGATING_OPERATORS = ("GROUP_BY", "AGGREGATE", "WINDOW", "DISTINCT", "PIVOT")


def _named_tables(sql: str, tree: dict[str, Any] | None) -> set[str]:
    """Telemetry tables the query names: from the parse tree, or (PIVOT, which DuckDB does
    not serialise) from its identifiers outside string literals."""
    if tree is not None:
        names = {n["table_name"] for n in _nodes(tree) if n.get("type") == "BASE_TABLE"}
    else:
        names = {m.group(1) or m.group(2) for m in _IDENTIFIER.finditer(sql)}
    return {n for n in names if n in TABLES}


def _scanned(plan: Any, tables: set[str]) -> tuple[dict[str, set[str]], bool]:
    """Base columns each table's scans project, and whether the plan aggregates."""
    columns: dict[str, set[str]] = {}
    aggregated = False
    for node in _nodes(plan):
        name = str(node.get("name", ""))
        aggregated |= any(op in name for op in AGGREGATING_OPERATORS)
        if not name.endswith("_SCAN"):
            continue
        projected = node.get("extra_info", {}).get("Projections", [])
        projected = {projected} if isinstance(projected, str) else set(projected)
        for table in tables:
            known = set(TABLE_COLUMNS[table])
            if projected & known == projected and projected:
                columns.setdefault(table, set()).update(projected)
    return columns, aggregated


class Connections:
    """Connections of closed sandboxes, kept for the next (opening one costs more than a
    look): every one is opened with the same locked configuration, and a trainee can run
    only single SELECTs, so none carries state from one sandbox to the next."""

    def __init__(self, kept: int = 4) -> None:
        self.kept = kept
        self._idle: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()

    def take(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _connection()

    def give(self, con: duckdb.DuckDBPyConnection, reusable: bool) -> None:
        with self._lock:
            if reusable and len(self._idle) < self.kept:
                self._idle.append(con)
                return
        con.close()


def _groupings(plan: Any) -> tuple[str, ...]:
    """The keys of the plan's widest grouping (GROUP BY, DISTINCT, a PIVOT's rows), each
    named by the projection below it where the plan refers to one by position (`#2`)."""
    widest: tuple[str, ...] = ()
    for node in _nodes(plan):
        if "GROUP_BY" not in str(node.get("name", "")):
            continue
        keys = node.get("extra_info", {}).get("Groups", [])
        keys = [keys] if isinstance(keys, str) else list(keys)
        below = (node.get("children") or [{}])[0]
        named = below.get("extra_info", {}).get("Projections", []) if below else []
        named = [named] if isinstance(named, str) else list(named)
        resolved = []
        for k in keys:
            position = re.fullmatch(r"#(\d+)", str(k))
            index = int(position.group(1)) if position else -1
            resolved.append(str(named[index]) if 0 <= index < len(named) else str(k))
        if len(resolved) > len(widest):
            widest = tuple(resolved)
    return widest


class Sandbox:
    """Read-only DuckDB over telemetry as of a clock time, bounded in every direction."""

    def __init__(
        self,
        tables: dict[str, pa.Table] | dict[str, pd.DataFrame],
        connections: Connections | None = None,
        hide: Callable[[Any], Any] | None = None,
        time_limit_s: float | None = None,
    ) -> None:
        """`connections`: where the connection comes from and goes back to (None: a new
        one, closed with the sandbox); `hide`: a filter over every text cell and message;
        `time_limit_s`: when a query is interrupted (default TIME_LIMIT_S)."""
        self.connections = connections
        self.time_limit_s = TIME_LIMIT_S if time_limit_s is None else time_limit_s
        self.con = connections.take() if connections is not None else _connection()
        self._hide = hide or (lambda value: value)
        self._overran = False  # the time limit fired: the connection is not handed on
        self._closed = False
        for name in TABLES:
            table = tables[name]
            # registered as Arrow always, so every sandbox types a column alike (pandas
            # categories would read as ENUMs, ordered by category, not as text)
            self.con.register(name, to_arrow(table) if isinstance(table, pd.DataFrame) else table)

    def run(self, sql: str, now: float) -> QueryResult:
        """Run one read-only query; every failure is a QueryRefused with one line."""
        text = sql.replace(":now", repr(float(now)))
        if not text.strip():
            raise QueryRefused("an empty query")
        try:
            return self._run(text)
        except RecursionError:
            raise QueryRefused("the query nests too deeply to run") from None
        except MemoryError:
            raise QueryRefused(f"the query needs more than {MEMORY_LIMIT} of memory") from None
        except QueryRefused as exc:
            raise QueryRefused(self._hide(str(exc))) from None

    def _run(self, text: str) -> QueryResult:
        self._check_statement(text)
        tree = parse(text, self.con)
        lineage = Lineage(tables=_named_tables(text, tree))
        timer = threading.Timer(self.time_limit_s, self._interrupt)
        timer.start()
        try:
            plan = json.loads(self.con.execute("EXPLAIN (FORMAT json) " + text).fetchall()[0][1])
            lineage.columns, lineage.aggregated = _scanned(plan, lineage.tables)
            lineage.groups = _groupings(plan)
            result = self.con.execute(text)
            rows = result.fetchmany(ROW_LIMIT + 1)
            columns = [safe_cell(str(d[0])) for d in result.description or []]
            result.abort()  # the rows past the limit are not computed
        except duckdb.InterruptException:
            raise QueryRefused(f"query ran past the {self.time_limit_s:g} s limit") from None
        except duckdb.OutOfMemoryException:
            raise QueryRefused(f"the query needs more than {MEMORY_LIMIT} of memory") from None
        except duckdb.Error as exc:
            raise QueryRefused(_first_line(exc)) from None
        finally:
            timer.cancel()
        if tree is not None:
            for node in _nodes(tree):
                for clause in ("where_clause", "having"):
                    if node.get(clause):
                        _constraints(node[clause], lineage)
        hide = self._hide
        return QueryResult(
            [hide(c) for c in columns[:COLUMN_LIMIT]],
            [tuple(hide(safe_cell(v)) for v in row[:COLUMN_LIMIT]) for row in rows[:ROW_LIMIT]],
            len(rows) > ROW_LIMIT,
            lineage,
        )

    def _interrupt(self) -> None:
        self._overran = True  # an interrupt landing after the query ended would hit the next
        self.con.interrupt()

    def _check_statement(self, text: str) -> None:
        try:
            statements = self.con.extract_statements(text)
        except RecursionError:
            raise QueryRefused("the query nests too deeply to read") from None
        except duckdb.Error as exc:
            raise QueryRefused(f"not valid SQL: {_first_line(exc)}") from None
        if len(statements) != 1:
            raise QueryRefused("one query at a time: send a single SELECT")
        kind = str(statements[0].type).rsplit(".", 1)[-1]
        if kind == "EXPLAIN":
            raise QueryRefused("EXPLAIN shows a plan, not telemetry: run the SELECT itself")
        is_pivot = re.match(r"\s*(\(\s*)*(un)?pivot\b", text, re.IGNORECASE) is not None
        if kind != "SELECT" and not (kind == "MULTI" and is_pivot):
            raise QueryRefused(
                f"this sandbox is read-only: {kind.replace('_', ' ').lower()} statements "
                "cannot run; send a SELECT (WITH, UNION, PIVOT and window functions are fine)"
            )

    def query(self, sql: str, now: float) -> pd.DataFrame:
        return self.run(sql, now).frame()

    def close(self) -> None:
        """Hand the connection back (it keeps nothing of these tables), or close it.
        Closing twice is closing once (a connection handed on twice would serve two
        sandboxes at once)."""
        if self._closed:
            return
        self._closed = True
        for name in TABLES:
            self.con.unregister(name)
        if self.connections is not None:
            self.connections.give(self.con, reusable=not self._overran)
        else:
            self.con.close()


def _connection() -> duckdb.DuckDBPyConnection:
    """A new connection: no file, extension or network access, its directories pointing
    nowhere, one thread, bounded memory, no spill, and the configuration locked against
    the queries it runs."""
    con = duckdb.connect(
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": THREADS,
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": "",
            "home_directory": NOWHERE,
            "extension_directory": NOWHERE,
            "secret_directory": NOWHERE,
        }
    )
    con.execute("SET lock_configuration = true")
    return con
