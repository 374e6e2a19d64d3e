"""Evaluate an answer key's signal on telemetry: per-minute values of its statistic in
the focus group, and how far a faulty run's values sit from a clean run's in σ."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from drills.library.scenario import Signal
from simulator.telemetry.bundle import Telemetry

TIME_COLUMN = {"requests": "arrival_s", "batches": "start_s", "metrics": "t_s", "events": "t_s"}


def _matches(frame: pd.DataFrame, column: str, wanted: str | list[str]) -> np.ndarray:
    """Rows whose value is wanted (one of a list; for tags, a tag of the row's list). A
    categorical column is matched on its categories, not row by row."""
    values = frame[column]
    options = {wanted} if isinstance(wanted, str) else set(wanted)

    def hit(value: object) -> bool:
        if column == "tags" and isinstance(wanted, str):
            return wanted in str(value).split(",")
        return str(value) in options

    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = [i for i, c in enumerate(values.cat.categories) if hit(c)]
        return np.isin(values.cat.codes.to_numpy(), codes)
    return np.fromiter((hit(v) for v in values.to_numpy()), bool, len(values))


def select(frame: pd.DataFrame, conditions: Mapping[str, str | list[str]]) -> pd.DataFrame:
    for column, wanted in conditions.items():
        frame = frame[_matches(frame, column, wanted)]
    return frame


def series(tel: Telemetry, signal: Signal, bin_s: float = 60.0) -> np.ndarray:
    """The signal's statistic per time bin of its window, in its focus group."""
    frame: pd.DataFrame = getattr(tel, signal.table)
    time = TIME_COLUMN[signal.table]
    start, end = signal.window_s or (0.0, tel.duration_s)
    # the columns it reads, before any rows are taken (a table's other columns, copied at
    # each step, were most of the time a family's tip matrix spent here)
    frame = frame[list(dict.fromkeys([time, *signal.filter, *signal.focus, signal.column]))]
    frame = frame[(frame[time] >= start) & (frame[time] < end)]
    frame = select(select(frame, signal.filter), signal.focus)
    bins = np.arange(start, end + bin_s, bin_s)
    index = np.digitize(frame[time].to_numpy(), bins) - 1
    n = len(bins) - 1
    if signal.stat == "count":
        return np.bincount(index[(index >= 0) & (index < n)], minlength=n)[:n].astype(float)
    values = pd.to_numeric(frame[signal.column], errors="coerce").to_numpy(dtype=float)
    grouped = pd.Series(values).groupby(index)
    if signal.stat == "sum":
        stats = grouped.sum()  # NaN-skipping, like nansum
    elif signal.stat == "p95":
        stats = grouped.quantile(0.95)
    else:
        stats = grouped.mean()
    out = np.full(n, np.nan)
    inside = (stats.index >= 0) & (stats.index < n)
    out[stats.index[inside].to_numpy(dtype=int)] = stats.to_numpy(dtype=float)[inside]
    if signal.stat == "sum":  # an empty bin sums to 0
        out[np.isnan(out)] = 0.0
    return out


def deviation_sigma(faulty: np.ndarray, clean: np.ndarray) -> float:
    """|mean(faulty) − mean(clean)| in units of the clean run's bin-to-bin spread."""
    f, c = faulty[np.isfinite(faulty)], clean[np.isfinite(clean)]
    if not len(f):
        return 0.0
    base = float(c.mean()) if len(c) else 0.0
    spread = float(c.std(ddof=1)) if len(c) > 1 else 0.0
    floor = 1e-9 + 1e-3 * max(abs(base), abs(float(f.mean())))
    return abs(float(f.mean()) - base) / max(spread, floor)
