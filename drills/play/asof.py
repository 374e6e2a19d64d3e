"""The telemetry as an operator could have seen it at a clock time.

Rows that had not arrived are absent; a row still in flight (a request not done, a batch
not ended) shows each column only once an operator would know it (SETTLED_BY): a request
shows the stages it had passed, its route once routed, its model once batched and no
outcome; a running batch shows no end and no cost; a windowed metric shows once its
window has closed. Nothing decided at or after the clock shows, so a run paused at `now`
and a finished run give the same view (tests/test_incremental.py), and no value known
only later shows (tests/test_candidate_view.py, docs/candidate-view.md).

Two forms of one view. `as_of` gives pandas frames (panels, exports). `tables_as_of` gives
Arrow tables for the SQL sandbox that share the finished run's memory: a block of rows
all seen and all settled at `now` is a slice of the run's own Arrow table, and only the
few blocks holding rows not yet settled (in flight, or partly arrived) are copied and
blanked, together in one pass. A look at a new clock then costs milliseconds, not a copy
of the run (373k requests × 48 columns) per look.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulator.spec.quality import ACOUSTIC_COLUMNS
from simulator.telemetry.bundle import SAMPLED_METRICS, TABLES, Telemetry

# When each column's value becomes known to an operator: the time column it waits for
# (None: it is known when the row shows). A row still in flight at the clock (a request not
# done, a batch not ended) shows each column only once that time is before the clock; a
# finished row shows everything. docs/candidate-view.md states the rule; every column of
# every table is listed here (tests/test_candidate_view.py holds the view to it).
_ARRIVAL: dict[str, str | None] = dict.fromkeys(
    [
        "request_id",
        "session_id",
        "origin_request_id",
        "attempt",
        "kind",
        "tenant",
        "cohort",
        "language",
        "slice",
        "arrival_s",
        "audio_s",
    ]
)
_PREPROCESSED = dict.fromkeys(ACOUSTIC_COLUMNS, "preprocess_done_s")  # its summaries
_ROUTED = dict.fromkeys(["route", "pool", "tags"], "enqueue_s")  # canary, fallback: at routing
_BATCHED = dict.fromkeys(["model_version", "device", "batch_id"], "infer_start_s")
_DONE = dict.fromkeys(
    [
        "infer_start_s",
        "infer_end_s",
        "done_s",
        "status",
        "reject_reason",
        "latency_ms",
        "cost_usd",
        "first_partial_ms",
        "final_ms",
        "first_audio_byte_ms",
        "first_response_ms",
        "wer_proxy",
        "confidence",
        "entity_error",
        "corrected",
        "eval_sample",
        "partial_churn",
    ],
    "done_s",
)
_STAGES: dict[str, str | None] = {
    c: c for c in ("ingress_done_s", "preprocess_done_s", "enqueue_s")
}
SETTLED_BY: dict[str, dict[str, str | None]] = {
    "requests": _ARRIVAL | _PREPROCESSED | _ROUTED | _BATCHED | _DONE | _STAGES,
    "batches": dict.fromkeys(
        [
            "batch_id",
            "pool",
            "device",
            "model_version",
            "size",
            "max_batch",
            "padded_audio_s",
            "useful_audio_s",
            "start_s",
        ]
    )
    | dict.fromkeys(("end_s", "cost_usd"), "end_s"),
    "metrics": dict.fromkeys(("t_s", "name", "labels", "value")),  # a row shows when closed
    "events": dict.fromkeys(("t_s", "type", "target", "detail")),
}
# what a column not known yet holds where it cannot be null (its table's own conventions)
NOT_YET: dict[str, Any] = {
    "status": "in_flight",
    "reject_reason": "",
    "corrected": False,
    "eval_sample": False,
    "batch_id": -1,
}
BLOCK_ROWS = 2048  # a block is shared whole or copied whole


@dataclass(frozen=True)
class _Cut:
    """One table as of `now`: which rows show, which of those show otherwise than they
    end (`changed`), and `show`, which turns any run of rows into what shows of them."""

    frame: pd.DataFrame
    keep: np.ndarray
    changed: np.ndarray
    show: Callable[[pd.DataFrame], pd.DataFrame]


def _cuts(tel: Telemetry, now: float) -> dict[str, _Cut]:
    batches, metrics, events = tel.batches, tel.metrics, tel.events
    started = batches["start_s"].to_numpy() < now
    requests = tel.requests
    arrived = requests["arrival_s"].to_numpy() < now
    return {
        "requests": _Cut(
            requests,
            arrived,
            arrived & ~(requests["done_s"].to_numpy() < now),
            lambda r: _in_flight(r[r["arrival_s"].to_numpy() < now], "requests", "done_s", now),
        ),
        "batches": _Cut(
            batches,
            started,
            started & ~(batches["end_s"].to_numpy() < now),
            lambda b: _in_flight(b[b["start_s"].to_numpy() < now], "batches", "end_s", now),
        ),
        "metrics": _Cut(
            metrics,
            _metrics_shown(metrics, now, tel.metrics_interval_s),
            np.zeros(len(metrics), dtype=bool),
            lambda m: m[_metrics_shown(m, now, tel.metrics_interval_s)],
        ),
        "events": _Cut(
            events,
            events["t_s"].to_numpy() < now,
            np.zeros(len(events), dtype=bool),
            lambda e: e[e["t_s"].to_numpy() < now],
        ),
    }


def as_of(tel: Telemetry, now: float) -> dict[str, pd.DataFrame]:
    """The four telemetry tables as pandas frames as of `now`."""
    return {name: cut.show(cut.frame) for name, cut in _cuts(tel, now).items()}


def tables_as_of(tel: Telemetry, now: float) -> dict[str, pa.Table]:
    """The same view as `as_of`, as Arrow tables sharing the run's memory where rows are
    settled (what the SQL sandbox reads)."""
    full = _arrow(tel)
    return {name: _shared(full[name], cut) for name, cut in _cuts(tel, now).items()}


def to_arrow(frame: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """A frame as the sandbox registers it (one thread: a pool costs more than it saves)."""
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False, nthreads=1)


def _in_flight(frame: pd.DataFrame, table: str, end: str, now: float) -> pd.DataFrame:
    """The rows seen at `now`; those not finished by then (`end` not before it) show each
    column only once the time it waits for (SETTLED_BY) is before `now`."""
    pending = ~(frame[end] < now).to_numpy()
    if not pending.any():
        return frame
    unknown = {
        column: pending & ~(frame[by] < now).to_numpy()
        for column, by in SETTLED_BY[table].items()
        if by is not None
    }  # all masks from the values as they end, before any is blanked
    for column, rows in unknown.items():
        frame = _blank(frame, rows, {column: NOT_YET.get(column, np.nan)})
    return frame


def _metrics_shown(metrics: pd.DataFrame, now: float, interval_s: float) -> np.ndarray:
    """Sampled metrics show at their time, windowed ones at their window's end."""
    t = metrics["t_s"].to_numpy()
    sampled = metrics["name"].isin(SAMPLED_METRICS).to_numpy()
    return np.asarray((t < now) & (sampled | (t + interval_s <= now)))


def _blank(frame: pd.DataFrame, rows: np.ndarray, values: dict[str, Any]) -> pd.DataFrame:
    """`frame` with `values` written into these rows, column by column: a masked write
    into a frame copies the whole block of like-typed columns each time, a replaced
    column copies only itself."""
    if not rows.any():
        return frame
    changed: dict[str, Any] = {}
    for column, value in values.items():
        if column in frame:
            changed[column] = _written(frame[column], rows, value)
    return frame.assign(**changed)


def _written(series: pd.Series, rows: np.ndarray, value: Any) -> Any:
    """A copy of the column with `value` in these rows: as a numpy array where the value
    keeps the column's type (about half the time of a masked Series write), else as
    pandas writes it (categories, nullable integers: a count not known yet is null, and
    its Arrow type stays the run's)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and np.can_cast(np.min_scalar_type(value), dtype, "same_kind"):
        values = series.to_numpy(copy=True)
        values[rows] = value
        return values
    if isinstance(dtype, np.dtype) and dtype.kind in "iu" and value is not None and np.isnan(value):
        nullable = pd.api.types.pandas_dtype(
            f"{'U' if dtype.kind == 'u' else ''}Int{dtype.itemsize * 8}"
        )
        series = series.astype(nullable)
        series[rows] = pd.NA
        return series
    series = series.copy()
    series[rows] = value
    return series


def _shared(full: pa.Table, cut: _Cut) -> pa.Table:
    """The rows `cut` shows, in order: runs of blocks whole and settled as slices of
    `full`, the other blocks with rows that show through `cut.show`, in one pass."""
    n = len(cut.frame)
    if n == 0:
        return full
    bounds = np.arange(0, n, BLOCK_ROWS)
    size = np.diff(np.append(bounds, n))
    kept = np.add.reduceat(cut.keep.astype(np.int64), bounds)
    changed = np.add.reduceat(cut.changed.astype(np.int64), bounds)
    state = np.where(kept == 0, 0, np.where((kept == size) & (changed == 0), 1, 2))
    edges = np.flatnonzero(np.diff(state)) + 1
    runs = [
        (int(bounds[s]), int(bounds[e]) if e < len(bounds) else n, int(state[s]))
        for s, e in zip(np.r_[0, edges], np.r_[edges, len(bounds)], strict=True)
    ]
    copied = [np.arange(lo, hi) for lo, hi, kind in runs if kind == 2]
    if copied:
        shown = cut.show(cut.frame.take(np.concatenate(copied)))
        fixed = to_arrow(shown, full.schema)
    pieces, offset = [], 0
    for lo, hi, kind in runs:
        if kind == 1:
            pieces.append(full.slice(lo, hi - lo))
        elif kind == 2:
            count = int(cut.keep[lo:hi].sum())
            pieces.append(fixed.slice(offset, count))
            offset += count
    return pa.concat_tables(pieces) if pieces else full.slice(0, 0)


def _arrow(tel: Telemetry) -> dict[str, pa.Table]:
    """A run's tables as Arrow, converted once per run (numeric columns share pandas'
    memory) and dropped with the run."""
    return tel.remembered("arrow", lambda: {name: to_arrow(getattr(tel, name)) for name in TABLES})


def share_arrow(tel: Telemetry, tables: dict[str, pa.Table]) -> None:
    """Use these Arrow tables as the run's own from now on: the same rows as `_arrow`'s,
    memory-mapped from the disk cache (drills/runs/cache.py), so that a view's settled rows
    are slices of a file another process (a SQL sandbox) maps too."""
    tel.derived["arrow"] = tables
