"""A run's telemetry as OpenMetrics text with timestamps, ready for
`promtool tsdb create-blocks-from openmetrics FILE DIR` and so for Prometheus and Grafana.

- every sampled metric of the `metrics` table as a gauge, named with its unit in base
  units as Prometheus asks (`_seconds`, `_per_second`, `_usd_per_hour`, `_ratio`), its
  label (`kind`, `pool`) as a label;
- from the `requests` table, per minute and cumulative: `speechdrill_requests_total` by
  kind, pool, device, status, tenant, cohort, slice and tags (fallback, retry, canary, shadow);
  `speechdrill_request_cost_usd_total` by kind, pool and device; and
  `speechdrill_request_latency_seconds` as a histogram by kind and route;
- each event of the `events` table as `speechdrill_event_info` (the annotations).

Simulated seconds become timestamps from EPOCH (one fixed day, so that every export of a
run is the same file). Derived signals only: no audio, no transcript text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

EPOCH_S = 1_767_225_600  # 2026-01-01T00:00:00Z: simulated t = 0
PREFIX = "speechdrill_"
STEP_S = 60.0  # the requests' counters and histograms are written once a minute
LATENCY_BUCKETS_S = (0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)
COUNTER_LABELS = ("kind", "pool", "device", "status", "tenant", "cohort", "slice", "tags")

# metrics-table name: (exported name, factor to base units, help)
GAUGES: dict[str, tuple[str, float, str]] = {
    "arrivals_per_s": ("arrivals_per_second", 1.0, "requests arriving per second"),
    "completed_per_s": ("completed_per_second", 1.0, "requests served per second"),
    "rejected_per_s": ("rejected_per_second", 1.0, "requests rejected per second"),
    "timeouts_per_s": ("timeouts_per_second", 1.0, "requests timed out per second"),
    "retries_per_s": ("retries_per_second", 1.0, "client retries per second"),
    "shadow_per_s": ("shadow_per_second", 1.0, "shadow copies arriving per second"),
    "errors_per_s": ("errors_per_second", 1.0, "requests failed with an error per second"),
    "latency_p50_ms": ("latency_p50_seconds", 1e-3, "median latency in the interval"),
    "latency_p95_ms": ("latency_p95_seconds", 1e-3, "95th percentile latency in the interval"),
    "latency_p99_ms": ("latency_p99_seconds", 1e-3, "99th percentile latency in the interval"),
    "queue_depth": ("queue_depth", 1.0, "requests waiting (sampled)"),
    "busy_slots": ("busy_slots", 1.0, "batch slots running (sampled)"),
    "replicas": ("replicas", 1.0, "replicas serving (sampled)"),
    "cost_usd_per_hour": ("cost_usd_per_hour", 1.0, "spend rate of paid replicas (sampled)"),
    "utilisation": ("utilisation_ratio", 1.0, "busy share of the pool's slots"),
}
# requests-table column in ms: (histogram name, its labels)
STAGES: dict[str, tuple[str, list[str]]] = {
    "latency_ms": ("request_latency_seconds", ["kind", "route"]),
    "first_partial_ms": ("first_partial_seconds", ["kind", "route", "model_version"]),
    "final_ms": ("final_result_seconds", ["kind", "route", "model_version"]),
    "first_audio_byte_ms": ("first_audio_byte_seconds", ["kind", "route", "model_version"]),
    "first_response_ms": ("first_response_seconds", ["kind", "route", "tenant"]),
}
QUALITY_LABELS = ("kind", "slice", "cohort", "language", "model_version")
# requests-table column: (summary name, help)
QUALITY: dict[str, tuple[str, str]] = {
    "wer_proxy": ("wer_proxy_ratio", "word error rate proxy from the quality model (ASR)"),
    "confidence": ("confidence_ratio", "the recogniser's mean word confidence (ASR)"),
    "entity_error": ("entity_error_ratio", "named-entity error rate proxy (ASR)"),
    "partial_churn": ("partial_churn_words", "words retracted from streaming partials"),
    "clipping_ratio": ("clipping_ratio", "acoustic summary: share of clipped samples"),
    "snr_db": ("snr_decibels", "acoustic summary: signal-to-noise proxy"),
    "bandwidth_hz": ("bandwidth_hertz", "acoustic summary: the audio's real bandwidth"),
    "loudness_lufs": ("loudness_lufs", "acoustic summary: integrated loudness"),
    "code_switch_ratio": ("code_switch_ratio", "share of speech in a second language"),
}
# batches-table column (None: count): (counter name, help)
BATCH_COUNTERS: tuple[tuple[str, str | None, str], ...] = (
    ("batches", None, "batches run"),
    ("batch_requests", "size", "requests carried by batches"),
    ("batch_slots", "max_batch", "slots the batches offered (the pool's max batch)"),
    ("batch_padded_audio_seconds", "padded_audio_s", "input seconds computed, padding included"),
    ("batch_useful_audio_seconds", "useful_audio_s", "the inputs' own seconds"),
)


def families() -> dict[str, str]:
    """Every metric family the export writes, as a PromQL expression reads it (counters
    with `_total`; histograms and summaries by family, their `_bucket`, `_count` and `_sum`
    series folded), with its meaning: the names an alert rule may read."""
    out = {f"{PREFIX}{name}": meaning for name, _, meaning in GAUGES.values()}
    out[f"{PREFIX}requests_total"] = "requests ended, by " + ", ".join(COUNTER_LABELS)
    out[f"{PREFIX}request_cost_usd_total"] = "serving cost of the requests ended"
    out |= {f"{PREFIX}{name}": f"histogram of {column}" for column, (name, _) in STAGES.items()}
    out |= {f"{PREFIX}{name}": meaning for name, meaning in QUALITY.values()}
    out[f"{PREFIX}corrections_total"] = "results the user corrected"
    out |= {f"{PREFIX}{name}_total": meaning for name, _, meaning in BATCH_COUNTERS}
    out[f"{PREFIX}event_info"] = "deploys, config pushes, alerts and actions"
    return out


def read_by(expr: str) -> set[str]:
    """The families a PromQL expression reads (histogram and summary suffixes folded)."""
    names = re.findall(rf"\b{PREFIX}[a-z0-9_]+", expr)
    return {re.sub(r"_(bucket|count|sum)$", "", n) for n in names}


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


def _plain(key: Any) -> list[Any]:
    values = key if isinstance(key, tuple) else (key,)
    return [None if (isinstance(v, float) and np.isnan(v)) or v is pd.NA else v for v in values]


def _cumulative(ends: np.ndarray, values: np.ndarray | None, minutes: np.ndarray) -> np.ndarray:
    """Running count (values None) or running sum of values, at the end of each minute, of
    the samples that ended at `ends`."""
    order = np.argsort(ends, kind="stable")
    at = np.searchsorted(ends[order], minutes, side="right")
    if values is None:
        return at.astype(float)
    return np.concatenate([[0.0], np.nancumsum(values[order])])[at]


def _counter_family(
    frame: pd.DataFrame,
    name: str,
    by: list[str],
    value_column: str | None,
    minutes: np.ndarray,
    suffix: str = "_total",
    time_column: str = "done_s",
) -> Iterator[str]:
    ends_all = frame[time_column].to_numpy(dtype=float)
    values_all = None if value_column is None else frame[value_column].to_numpy(dtype=float)
    for key, rows in _groups(frame, by):
        labels = _labels(dict(zip(by, _plain(key), strict=True)))
        values = None if values_all is None else values_all[rows]
        for t, total in zip(minutes, _cumulative(ends_all[rows], values, minutes), strict=True):
            yield f"{PREFIX}{name}{suffix}{labels} {total:.9g} {EPOCH_S + t:.3f}"


def _groups(frame: pd.DataFrame, by: list[str]) -> Iterator[tuple[Any, np.ndarray]]:
    """(key, row positions) of each group of `frame` by `by`, as iterating its groupby
    (observed, null keys kept, sorted) would give them, positions in row order: a pandas
    group is a copied frame, and with a group for every label combination of a quality
    summary the copies took a third of an export."""
    grouped = frame[by].groupby(by, observed=True, dropna=False, sort=True)
    for key, rows in grouped.indices.items():  # in the groups' sorted order
        yield key, np.asarray(rows)


def _finished(requests: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """The requests that ended, with only these of their columns: a filter copies every
    column it keeps, and the requests table is wide."""
    kept = [c for c in dict.fromkeys([*columns, "done_s"]) if c in requests]
    return requests.loc[np.isfinite(requests["done_s"].to_numpy(dtype=float)), kept]


def counters(requests: pd.DataFrame, end_s: float) -> Iterator[str]:
    """Requests and their cost, cumulative at the end of each minute (by when they ended)."""
    done = _finished(requests, [*COUNTER_LABELS, "cost_usd"])
    minutes = _minutes(end_s)
    yield f"# TYPE {PREFIX}requests counter"
    labels = [c for c in COUNTER_LABELS if c in done]
    yield from _counter_family(done, "requests", labels, None, minutes)
    yield f"# TYPE {PREFIX}request_cost_usd counter"
    by = ["kind", "pool", "device"]
    yield from _counter_family(done, "request_cost_usd", by, "cost_usd", minutes)


def quality(requests: pd.DataFrame, end_s: float) -> Iterator[str]:
    """Per-request derived signals as summaries (sum and count: rate(sum)/rate(count) is the
    mean in a window) by kind, slice, cohort, language and model version, and the users'
    corrections as a counter: quality by slice and cohort, with no text."""
    done = _finished(requests, [*QUALITY_LABELS, *QUALITY, "corrected"])
    minutes = _minutes(end_s)
    by = [c for c in QUALITY_LABELS if c in done]
    for column, (name, meaning) in QUALITY.items():
        rows = done[done[column].notna()] if column in done else done[:0]
        if rows.empty:
            continue
        yield f"# TYPE {PREFIX}{name} summary"
        yield f"# HELP {PREFIX}{name} {meaning}"
        yield from _counter_family(rows, name, by, column, minutes, "_sum")
        yield from _counter_family(rows, name, by, None, minutes, "_count")
    if "corrected" in done:
        fixed = done[done["corrected"].fillna(False).astype(bool)]
        yield f"# TYPE {PREFIX}corrections counter"
        yield f"# HELP {PREFIX}corrections results the user corrected"
        yield from _counter_family(fixed, "corrections", by, None, minutes)


def batches(table: pd.DataFrame, end_s: float) -> Iterator[str]:
    """Dynamic batching by pool: batches, the slots they offered and the requests they
    carried (fill = requests / slots), the audio computed and the audio that was the inputs'
    own (padding waste = 1 − useful / padded)."""
    frame = table[np.isfinite(table["end_s"].to_numpy(dtype=float))]
    minutes = _minutes(end_s)
    for name, column, meaning in BATCH_COUNTERS:
        yield f"# TYPE {PREFIX}{name} counter"
        yield f"# HELP {PREFIX}{name} {meaning}"
        yield from _counter_family(
            frame, name, ["pool", "device"], column, minutes, time_column="end_s"
        )


def _histogram(
    rows: pd.DataFrame, name: str, labels: dict[str, Any], column: str, minutes: np.ndarray
) -> Iterator[str]:
    ends = rows["done_s"].to_numpy(dtype=float)
    seconds = rows[column].to_numpy(dtype=float) / 1000.0
    order = np.argsort(ends, kind="stable")
    ends, seconds = ends[order], seconds[order]
    at = np.searchsorted(ends, minutes, side="right")
    sums = np.concatenate([[0.0], np.cumsum(seconds)])[at]
    for le in (*LATENCY_BUCKETS_S, float("inf")):
        inside = np.concatenate([[0], np.cumsum(seconds <= le)])[at]
        bound = "+Inf" if le == float("inf") else f"{le:g}"
        tags = _labels({**labels, "le": bound})
        for t, count in zip(minutes, inside, strict=True):
            yield f"{name}_bucket{tags} {count} {EPOCH_S + t:.3f}"
    tags = _labels(labels)
    for t, count, total in zip(minutes, at, sums, strict=True):
        yield f"{name}_count{tags} {count} {EPOCH_S + t:.3f}"
        yield f"{name}_sum{tags} {total:.9g} {EPOCH_S + t:.3f}"


def histograms(requests: pd.DataFrame, end_s: float) -> Iterator[str]:
    """Latency of the requests served by kind and route, and of each stage (first partial,
    final result, first audio byte, first response), cumulative once a minute."""
    wanted = ["status", "done_s", *STAGES, *(c for _, by in STAGES.values() for c in by)]
    narrow = requests[[c for c in dict.fromkeys(wanted) if c in requests]]
    ok = narrow[(narrow["status"].astype(str) == "ok") & narrow["latency_ms"].notna()]
    minutes = _minutes(end_s)
    for column, (metric, by) in STAGES.items():
        rows = ok[ok[column].notna()] if column in ok else ok[:0]
        if rows.empty:
            continue
        name = f"{PREFIX}{metric}"
        yield f"# TYPE {name} histogram"
        yield f"# UNIT {name} seconds"
        rows = rows[[*by, "done_s", column]]  # only the columns read (groups copy them)
        for key, group in rows.groupby(by, observed=True, dropna=False, sort=True):
            labels = dict(zip(by, _plain(key), strict=True))
            yield from _histogram(group, name, labels, column, minutes)


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
        *quality(tables["requests"], end_s),
        *histograms(tables["requests"], end_s),
        *batches(tables["batches"], end_s),
        "# EOF",
    ]
    return "\n".join(lines) + "\n"
