"""Evaluate an answer key's signal on telemetry: per-minute values of its statistic in
the focus group, and how far a faulty run's values sit from a clean run's in σ."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from drills.scenario import Signal
from simulator.telemetry import Telemetry

TIME_COLUMN = {"requests": "arrival_s", "batches": "start_s", "metrics": "t_s", "events": "t_s"}


def select(frame: pd.DataFrame, conditions: Mapping[str, str | list[str]]) -> pd.DataFrame:
    for column, wanted in conditions.items():
        values = frame[column].astype(str)
        if isinstance(wanted, list):
            frame = frame[values.isin(wanted).to_numpy()]
        elif column == "tags":
            frame = frame[values.str.split(",").apply(lambda tags, w=wanted: w in tags).to_numpy()]
        else:
            frame = frame[(values == wanted).to_numpy()]
    return frame


def series(tel: Telemetry, signal: Signal, bin_s: float = 60.0) -> np.ndarray:
    """The signal's statistic per time bin of its window, in its focus group."""
    frame: pd.DataFrame = getattr(tel, signal.table)
    time = TIME_COLUMN[signal.table]
    start, end = signal.window_s or (0.0, tel.duration_s)
    frame = frame[(frame[time] >= start) & (frame[time] < end)]
    frame = select(select(frame, signal.filter), signal.focus)
    bins = np.arange(start, end + bin_s, bin_s)
    index = np.digitize(frame[time].to_numpy(), bins) - 1
    out = np.zeros(len(bins) - 1)
    for i in range(len(out)):
        chunk = frame[index == i]
        if signal.stat == "count":
            out[i] = len(chunk)
        elif not len(chunk):
            out[i] = np.nan
        else:
            values = pd.to_numeric(chunk[signal.column], errors="coerce").to_numpy(dtype=float)
            if signal.stat == "sum":
                out[i] = np.nansum(values)
            elif signal.stat == "p95":
                out[i] = np.nanpercentile(values, 95)
            else:
                out[i] = np.nanmean(values) if np.isfinite(values).any() else np.nan
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
