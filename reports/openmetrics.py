"""A run's telemetry as OpenMetrics text with timestamps, ready for
`promtool tsdb create-blocks-from openmetrics FILE DIR` and so for Prometheus and Grafana.

- every sampled metric of the `metrics` table as a gauge, named with its unit in base
  units as Prometheus asks (`_seconds`, `_per_second`, `_usd_per_hour`, `_ratio`), its
  label (`kind`, `pool`) as a label;
- from the `requests` table, per minute and cumulative: `speechdrill_requests_total` by
  kind, pool, device, status, tenant, cohort and tags (fallback, retry, canary, shadow);
  `speechdrill_request_cost_usd_total` by pool and device; and
  `speechdrill_request_latency_seconds` as a histogram by kind and route;
- each event of the `events` table as `speechdrill_event_info` (the annotations).

Simulated seconds become timestamps from EPOCH (one fixed day, so that every export of a
run is the same file). Derived signals only: no audio, no transcript text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

EPOCH_S = 1_767_225_600  # 2026-01-01T00:00:00Z: simulated t = 0
PREFIX = "speechdrill_"
STEP_S = 60.0  # the requests' counters and histograms are written once a minute
LATENCY_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
COUNTER_LABELS = ("kind", "pool", "device", "status", "tenant", "cohort", "tags")

# metrics-table name: (exported name, factor to base units, help)
GAUGES: dict[str, tuple[str, float, str]] = {
    "arrivals_per_s": ("arrivals_per_second", 1.0, "requests arriving per second"),
    "completed_per_s": ("completed_per_second", 1.0, "requests served per second"),
    "rejected_per_s": ("rejected_per_second", 1.0, "requests rejected per second"),
    "timeouts_per_s": ("timeouts_per_second", 1.0, "requests timed out per second"),
    "retries_per_s": ("retries_per_second", 1.0, "client retries per second"),
    "latency_p50_ms": ("latency_p50_seconds", 1e-3, "median latency in the interval"),
    "latency_p95_ms": ("latency_p95_seconds", 1e-3, "95th percentile latency in the interval"),
    "latency_p99_ms": ("latency_p99_seconds", 1e-3, "99th percentile latency in the interval"),
    "queue_depth": ("queue_depth", 1.0, "requests waiting (sampled)"),
    "busy_slots": ("busy_slots", 1.0, "batch slots running (sampled)"),
    "replicas": ("replicas", 1.0, "replicas serving (sampled)"),
    "cost_usd_per_hour": ("cost_usd_per_hour", 1.0, "spend rate of paid replicas (sampled)"),
    "utilisation": ("utilisation_ratio", 1.0, "busy share of the pool's slots"),
}


def _escape(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: dict[str, Any]) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs.items() if v is not None)
    return "{" + inner + "}" if inner else ""


def _parse_labels(text: str) -> dict[str, str]:
    out = {}
    for part in str(text).split(","):
        key, eq, value = part.partition("=")
        if eq:
            out[key.strip()] = value.strip()
    return out


def gauges(metrics: pd.DataFrame) -> Iterator[str]:
    for name, group in metrics.groupby("name", observed=True, sort=True):
        if name not in GAUGES:
            continue
        exported, factor, meaning = GAUGES[str(name)]
        yield f"# TYPE {PREFIX}{exported} gauge"
        yield f"# HELP {PREFIX}{exported} {meaning}"
        for labels, rows in group.groupby("labels", observed=True, sort=True):
            tags = _labels(_parse_labels(str(labels)))
            for t, value in zip(rows["t_s"].to_numpy(), rows["value"].to_numpy(), strict=True):
                if np.isfinite(value):
                    yield f"{PREFIX}{exported}{tags} {value * factor:.9g} {EPOCH_S + t:.3f}"


def _minutes(end_s: float) -> np.ndarray:
    return np.arange(STEP_S, end_s + STEP_S, STEP_S)


def counters(requests: pd.DataFrame, end_s: float) -> Iterator[str]:
    """Requests and their cost, cumulative at the end of each minute (by when they ended)."""
    done = requests[np.isfinite(requests["done_s"].to_numpy(dtype=float))]
    minutes = _minutes(end_s)
    columns = [c for c in COUNTER_LABELS if c in done]
    for metric, value_column, by in (
        ("requests_total", None, columns),
        ("request_cost_usd_total", "cost_usd", ["pool", "device"]),
    ):
        yield f"# TYPE {PREFIX}{metric.removesuffix('_total')} counter"
        frame = done[[*by, "done_s"] + ([value_column] if value_column else [])]
        for key, rows in frame.groupby(by, observed=True, dropna=False, sort=True):
            labels = _labels(dict(zip(by, _plain(key), strict=True)))
            ends = np.sort(rows["done_s"].to_numpy(dtype=float))
            if value_column is None:
                totals = np.searchsorted(ends, minutes, side="right").astype(float)
            else:
                order = np.argsort(rows["done_s"].to_numpy(dtype=float))
                costs = np.nancumsum(rows[value_column].to_numpy(dtype=float)[order])
                at = np.searchsorted(ends, minutes, side="right")
                totals = np.where(at > 0, costs[np.maximum(at - 1, 0)], 0.0)
            for t, total in zip(minutes, totals, strict=True):
                yield f"{PREFIX}{metric}{labels} {total:.9g} {EPOCH_S + t:.3f}"


def _plain(key: Any) -> list[Any]:
    values = key if isinstance(key, tuple) else (key,)
    return [None if (isinstance(v, float) and np.isnan(v)) or v is pd.NA else v for v in values]


def histograms(requests: pd.DataFrame, end_s: float) -> Iterator[str]:
    """Latency of the requests served, by kind and route, cumulative once a minute."""
    ok = requests[(requests["status"].astype(str) == "ok") & requests["latency_ms"].notna()]
    minutes = _minutes(end_s)
    name = f"{PREFIX}request_latency_seconds"
    yield f"# TYPE {name} histogram"
    yield f"# UNIT {name} seconds"
    for key, rows in ok.groupby(["kind", "route"], observed=True, sort=True):
        kind, route = _plain(key)
        ends = rows["done_s"].to_numpy(dtype=float)
        latency = rows["latency_ms"].to_numpy(dtype=float) / 1000.0
        order = np.argsort(ends)
        ends, latency = ends[order], latency[order]
        at = np.searchsorted(ends, minutes, side="right")
        sums = np.concatenate([[0.0], np.cumsum(latency)])[at]
        for le in (*LATENCY_BUCKETS_S, float("inf")):
            inside = np.concatenate([[0], np.cumsum(latency <= le)])[at]
            bound = "+Inf" if le == float("inf") else f"{le:g}"
            labels = _labels({"kind": kind, "route": route, "le": bound})
            for t, count in zip(minutes, inside, strict=True):
                yield f"{name}_bucket{labels} {count} {EPOCH_S + t:.3f}"
        labels = _labels({"kind": kind, "route": route})
        for t, count, total in zip(minutes, at, sums, strict=True):
            yield f"{name}_count{labels} {count} {EPOCH_S + t:.3f}"
            yield f"{name}_sum{labels} {total:.9g} {EPOCH_S + t:.3f}"


def events(table: pd.DataFrame) -> Iterator[str]:
    """What an operator saw (deploys, config pushes, alerts, actions), one sample each: the
    dashboard's annotations."""
    name = f"{PREFIX}event"
    yield f"# TYPE {name} info"
    for t, kind, target, detail in table[["t_s", "type", "target", "detail"]].itertuples(
        index=False
    ):
        labels = _labels({"type": kind, "target": target, "detail": detail})
        yield f"{name}_info{labels} 1 {EPOCH_S + float(t):.3f}"


def openmetrics(tables: dict[str, pd.DataFrame], end_s: float) -> str:
    """The OpenMetrics text of telemetry tables (a finished run's, or a view as of a clock)."""
    lines = [
        *gauges(tables["metrics"]),
        *events(tables["events"]),
        *counters(tables["requests"], end_s),
        *histograms(tables["requests"], end_s),
        "# EOF",
    ]
    return "\n".join(lines) + "\n"
