"""Replay of real arrival traces (CSV with a timestamp column).

The shipped trace is one hour of a production LLM service (see data/traces/NOTICE.md for
its licence and the citation every report must carry). It holds no audio: arrivals are
real, and durations are mapped from its columns by rank (see workload.DurationDist).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from simulator.spec.fleet import NonNeg, Pos, Strict

TRACE_DIR = Path(__file__).parents[1] / "data" / "traces"
TRACE_CREDIT = (
    "Arrivals replayed from the Azure LLM inference trace 2023 (CC-BY 4.0): Patel et al., "
    '"Splitwise: Efficient generative LLM inference using phase splitting", ISCA 2024. '
    "Audio durations are mapped from the trace's token counts; the trace holds no audio."
)


class TraceArrivals(Strict):
    """Replay a real arrival trace (CSV). Rate scaling keeps the trace's burst structure:
    ×s ≤ 1 thins rows at random; ×s > 1 superposes ceil(s) circularly shifted copies,
    each thinned to s / ceil(s)."""

    process: Literal["trace"]
    path: str = Field(min_length=1)
    timestamp_column: str = "TIMESTAMP"
    rate_scale: Pos = 1.0
    time_shift_s: NonNeg = Field(0.0, description="skip this much of the trace's start")
    loop: bool = Field(True, description="repeat the trace if the run is longer than it")


def resolve_trace(path: str, base_dir: Path) -> Path:
    """Absolute path, else relative to the file that names it, else a shipped trace."""
    candidates = [Path(path), base_dir / path, TRACE_DIR / Path(path).name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"trace {path!r} not found (looked in {base_dir} and {TRACE_DIR})")


def trace_digest(specs: list[TraceArrivals], base_dir: Path) -> str:
    """The bytes of the traces these arrivals replay from outside the shipped data (a
    user's own file, which `simulator.code_version` does not cover): a cached run of an
    edited trace must not be read back under its old name."""
    digest = hashlib.sha256()
    for spec in specs:
        path = resolve_trace(spec.path, base_dir)
        if TRACE_DIR.resolve() not in path.resolve().parents:
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=8)
def read_trace(path: Path, timestamp_column: str) -> pd.DataFrame:
    frame = pd.read_csv(path)
    if timestamp_column not in frame.columns:
        raise ValueError(
            f"{path}: no timestamp column {timestamp_column!r}; it has {list(frame.columns)}"
        )
    stamps = pd.to_datetime(frame[timestamp_column])
    frame = frame.assign(t_s=(stamps - stamps.min()).dt.total_seconds()).sort_values(
        "t_s", kind="stable"
    )
    return frame.reset_index(drop=True)


def trace_arrivals(
    spec: TraceArrivals, duration_s: float, rng: np.random.Generator, base_dir: Path
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Arrival times in [0, duration_s) and the trace's numeric columns row by row."""
    frame = read_trace(resolve_trace(spec.path, base_dir), spec.timestamp_column)
    t = frame["t_s"].to_numpy() - spec.time_shift_s
    keep = t >= 0
    frame, t = frame[keep], t[keep]
    span = float(t.max()) + 1e-9 if len(t) else 0.0
    if span <= 0:
        return np.empty(0), {}
    copies = int(np.ceil(spec.rate_scale))
    thin = spec.rate_scale / copies
    times, rows = [], []
    for c in range(copies):
        shifted = (t + c * span / copies) % span if c else t
        laps = int(np.ceil(duration_s / span)) if spec.loop else 1
        for lap in range(laps):
            chosen = rng.uniform(size=len(shifted)) < thin
            lap_t = shifted[chosen] + lap * span
            inside = lap_t < duration_s
            times.append(lap_t[inside])
            rows.append(np.flatnonzero(chosen)[inside])
    all_t = np.concatenate(times)
    all_rows = np.concatenate(rows)
    order = np.argsort(all_t, kind="stable")
    numeric = frame.select_dtypes("number").drop(columns=["t_s"])
    columns = {c: numeric[c].to_numpy()[all_rows[order]] for c in numeric.columns}
    return all_t[order], columns
