"""Evidence: did a move's visible result show an answer-key signal to the trainee?

A fair examiner looking over the trainee's shoulder credits a signal when the screen showed
it: the query read the signal's column (with its grouping) from the right table over a time
that includes the fault, and the rows the trainee was shown hold the signal's focus (the
group where the fault shows: `embed-gpu`, `fw-4.2`, `es-en` on the canary) beside
something to compare it with. How the SQL was spelt does not matter, what it showed does:

- a query that failed, or whose focus row lies past what was shown, read nothing;
- a raw listing of requests or batches reads no statistic (a rate or a mean needs an
  aggregate);
- a broad sweep (many grouping columns, more rows than fit on the screen) or a dump (every
  column) reads the signal at a discount, so that a focused look is worth clearly more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from drills.judge.signals import TIME_COLUMN
from drills.library.scenario import Signal
from drills.play.sql import QueryResult

SHOW_ROWS = 30  # rows of a table result a trainee is shown (CLI and console alike)
TIME_NAMES = ("t", "t_s", "t_bin", "time", "minute", "bin", "bucket", "window", "ts")
FOCUSED, BROAD, DUMP = 1.0, 0.4, 0.2
BROAD_DIMENSIONS = 4  # grouping columns side by side: a sweep, not a look
DUMP_COLUMNS = 16
RAW_TABLES = ("requests", "batches")  # one row per request or batch: reading needs a statistic
CHANGE_SLACK_S = 300.0  # a query bounded to start this close to a change sees the change


def is_time_series(result: QueryResult) -> bool:
    """A long-format time series (first column a numeric time bin): the trainee sees one
    sparkline per group over all its rows, not a truncated table."""
    if not result.columns or not result.rows:
        return False
    first = result.columns[0].lower()

    def numeric(i: int) -> bool:
        return all(isinstance(r[i], int | float) or r[i] is None for r in result.rows)

    timed = first in TIME_NAMES or first.startswith("t_")
    return len(result.columns) >= 2 and timed and numeric(0) and numeric(-1)


def visible_rows(result: QueryResult) -> list[tuple[object, ...]]:
    return list(result.rows if is_time_series(result) else result.rows[:SHOW_ROWS])


TIME_KEY = re.compile(
    r"\b(t|t_s|t_bin|arrival_s|start_s|end_s|done_s|enqueue_s|infer_start_s|infer_end_s|"
    r"ingress_done_s|preprocess_done_s)\b"
)


def is_time_key(name: str) -> bool:
    """A grouping key that is a time (a column of seconds, or a bin of one)."""
    low = name.lower()
    return low in TIME_NAMES or low.startswith("t_") or TIME_KEY.search(low) is not None


def dimensions(result: QueryResult) -> int:
    """How many things the result breaks its rows down by, numeric or not: the keys the
    query grouped by (a time series' time is its axis, not a breakdown), or for a result
    that groups nothing, its text columns."""
    series = is_time_series(result)
    grouped = [k for k in result.lineage.groups if not (series and is_time_key(k))]
    rows = visible_rows(result)
    text = sum(
        1
        for i, name in enumerate(result.columns)
        if any(isinstance(r[i], str) for r in rows) and not is_time_key(name)
    )
    return max(len(grouped), text)


def breadth(result: QueryResult) -> tuple[float, str]:
    """How focused a result is: 1 for a look, less for a sweep or a dump (and why)."""
    if len(result.columns) >= DUMP_COLUMNS or result.truncated:
        return DUMP, "a dump of every column or row"
    wide = dimensions(result)
    if wide >= BROAD_DIMENSIONS:
        return BROAD, f"a sweep over {wide} dimensions at once"
    if not is_time_series(result) and len(result.rows) > SHOW_ROWS:
        return BROAD, f"{len(result.rows)} rows, {SHOW_ROWS} shown"
    return FOCUSED, "a focused look"


def _cell_shows(cell: object, column: str, value: str) -> bool:
    if cell is None:
        return False
    text = str(cell)
    if text == value:
        return True
    if column == "tags" and value in text.split(","):
        return True
    return "=" in value and text == value.split("=", 1)[1]  # labels 'pool=embed-gpu'


def core_focus(signal: Signal) -> dict[str, str]:
    """The focus on the signal's own column or grouping: what must be seen. Other focus
    keys refine it (confidence by cohort, `kind: asr-batch`) and need not be broken out."""
    return {k: v for k, v in signal.focus.items() if k == signal.column or k in signal.group_by}


def _wanted(signal: Signal) -> list[tuple[str, set[str]]]:
    pairs: list[tuple[str, set[str]]] = []
    for column, value in [*signal.filter.items(), *core_focus(signal).items()]:
        pairs.append((column, {value} if isinstance(value, str) else set(value)))
    return pairs


def _row_shows(row: Iterable[object], columns: list[str], column: str, values: set[str]) -> bool:
    return any(_cell_shows(c, column, v) for c in row for v in values)


def focus_shown(result: QueryResult, signal: Signal) -> bool:
    """Does one visible row show every focus and filter value the query did not pin? A
    PIVOT shows a value as a column name, which counts too."""
    pinned = result.lineage.equals
    open_pairs = [
        (col, vals) for col, vals in _wanted(signal) if not (vals & pinned.get(col, set()))
    ]
    if not open_pairs:
        return True
    header = set(result.columns)
    open_pairs = [(col, vals) for col, vals in open_pairs if not (vals & header)]
    return any(
        all(_row_shows(row, result.columns, col, vals) for col, vals in open_pairs)
        for row in visible_rows(result)
    )


@dataclass(frozen=True)
class Reading:
    """A signal read by a move: how much it is worth, and why."""

    signal: str
    weight: float
    why: str


def read(result: QueryResult | None, signal: Signal, now: float) -> Reading | None:
    """The reading a result gives of a signal, or None if it showed nothing of it."""
    if result is None:
        return None
    lineage = result.lineage
    read_columns = lineage.read(signal.table)
    if signal.table not in lineage.tables or not read_columns:
        return None
    # the key's grouping is one way to see the focus; any result that shows the focus will
    # do (cost by tag shows `fallback` as well as cost by pool); a change over time is seen
    # in time (a time column, or a look bounded to after the change), whatever it is
    # grouped by; otherwise, without a focus, the grouping is the signal (traffic by kind)
    core = core_focus(signal)
    in_time = contrast_of(signal) == "time" or (changed(signal) and bounded_after(result, signal))
    needed = {signal.column} if core or in_time else {signal.column, *signal.group_by}
    if not needed <= read_columns:
        return None
    if signal.table in RAW_TABLES and not lineage.aggregated:
        return None
    start, end = signal.window_s or (0.0, np.inf)
    low, high = lineage.time_bounds.get(TIME_COLUMN[signal.table], (-np.inf, np.inf))
    if now <= start or not (low < min(end, now) and high > start):
        return None  # the window had not begun, or the query looked at another time
    if not shows_contrast(result, signal, core):
        return None
    weight, why = breadth(result)
    return Reading(signal.id, weight, why)


def contrast_of(signal: Signal) -> str:
    if signal.contrast is not None:
        return signal.contrast
    if core_focus(signal):
        return "group"
    return "time" if signal.window_s and signal.window_s[0] > 0 else "value"


def shows_contrast(result: QueryResult, signal: Signal, core: dict[str, str]) -> bool:
    """Can a person see the signal in this result? A group contrast needs (the focus row
    and) another group beside it, or, for a signal that changed, a query bounded to after
    the change began; a change over time needs time (a time column, or a query bounded to
    after the change began); a context value, one readable row."""
    rows = visible_rows(result)
    if not focus_shown(result, signal):
        return False
    contrast = contrast_of(signal)
    if contrast == "group":
        pivoted = any(v in result.columns for _, vals in _wanted(signal) for v in vals)
        return (
            len(rows) >= 2
            or (pivoted and bool(rows))
            or (changed(signal) and bounded_after(result, signal))
        )
    if contrast == "value":
        return bool(rows)
    timed = any(c.lower() in TIME_NAMES or c.lower().startswith("t_") for c in result.columns)
    return (timed and len(rows) >= 2) or (bool(rows) and bounded_after(result, signal))


def changed(signal: Signal) -> bool:
    """The signal changed at a time (its window starts after the run did)."""
    return signal.window_s is not None and signal.window_s[0] > 0


def bounded_after(result: QueryResult, signal: Signal) -> bool:
    """The query looked only at the time after the signal's change began (and showed a
    row): its result is a comparison with the time before, which the trainee has seen or
    knows as normal (a one-row look at the focus after a change reads as a change)."""
    start = signal.window_s[0] if signal.window_s else 0.0
    low, _ = result.lineage.time_bounds.get(TIME_COLUMN[signal.table], (-np.inf, np.inf))
    return bool(result.rows) and low >= start - CHANGE_SLACK_S
