"""The telemetry tables built from a finished (or paused) run: requests with their quality
columns, batches, metrics and events. Only derived signals: never audio or transcripts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulator.engine.loop import Simulation
from simulator.spec.fleet import FAMILIES, ModelSpec, TenantSpec
from simulator.spec.quality import (
    asr_wer,
    churn_mean,
    confidence_from_wer,
    correction_probability,
    curve_fields,
    load_curve,
)
from simulator.telemetry.recorder import OK, REJECT_REASONS, STATUSES, TAGS


def _cat(codes: np.ndarray, labels: list[str] | tuple[str, ...]) -> pd.Categorical[str]:
    """Label codes to a categorical; a code of -1 becomes null (e.g. never reached a pool)."""
    return pd.Categorical.from_codes(codes.astype(np.int16), categories=pd.Index(labels or ["-"]))


def _curves(
    models: list[ModelSpec], pick: np.ndarray, snr_db: np.ndarray, robustness: np.ndarray
) -> dict[str, np.ndarray] | None:
    """Each request's model's quality curve for asr_wer; None when every model keeps the
    calibration (the quality model's own constants)."""
    if all(m.quality.curve is None for m in models):
        return None
    curves = [load_curve(m.quality.curve) for m in models]
    return curve_fields(curves, pick, snr_db, robustness)


def _from_batch(batch_id: np.ndarray, column: np.ndarray, missing: float) -> np.ndarray:
    """Spread a batch column onto its requests; `missing` where no batch ran them."""
    if not len(column):
        return np.full(len(batch_id), missing)
    values = column[np.clip(batch_id, 0, None)]
    return np.where(batch_id >= 0, values, missing)


def _tag_labels(bits: np.ndarray) -> pd.Categorical[str]:
    """Bitmask of TAGS → 'canary,shadow' style labels ('' for none)."""
    present = np.unique(bits)
    names = {int(v): ",".join(t for i, t in enumerate(TAGS) if int(v) >> i & 1) for v in present}
    labels = sorted(set(names.values()))
    lookup = np.zeros(max(int(present.max()) + 1, 1) if len(present) else 1, dtype=np.int16)
    for value, name in names.items():
        lookup[value] = labels.index(name)
    return _cat(lookup[bits.astype(np.int64)], labels)


def _row_sources(sim: Simulation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every row: the first-attempt row it descends from (itself for originals), the
    attempt number and the request it was cloned from (-1 for originals)."""
    n0, n = len(sim.requests), sim.rec.n
    origin = np.arange(n)
    parent = np.full(n, -1, dtype=np.int64)
    attempt = np.ones(n, dtype=np.int8)
    for i, source in enumerate(sim.clone_source):
        rid = n0 + i
        origin[rid] = origin[source]
        parent[rid] = source
        attempt[rid] = sim.attempt.get(rid, 1)
    return origin, attempt, parent


def _requests_table(sim: Simulation, b: dict[str, np.ndarray]) -> pd.DataFrame:
    r, rec, n = sim.requests, sim.rec, sim.rec.n
    origin, attempt, parent = _row_sources(sim)
    arrival = np.asarray(sim.arrival, dtype=np.float64)
    status = rec.trimmed("status")
    done = rec.trimmed("done_s")
    kind = r.kind[origin].copy()
    for rid, code in sim.kind_override.items():
        kind[rid] = code
    streaming = kind == FAMILIES.index("asr-streaming")
    audio = np.asarray(sim.audio_s, dtype=np.float64)
    # streaming latency is the final result's, counted from the end of the utterance
    latency = (done - arrival - np.where(streaming, audio, 0.0)) * 1000.0
    latency[status != OK] = np.nan
    bid = rec.trimmed("batch_id")
    share = b["cost_usd"] / np.maximum(b["size"], 1) if len(b["size"]) else np.zeros(0)
    nullable = lambda values, mask: pd.arrays.IntegerArray(values.astype(np.int32), mask=mask)  # noqa: E731
    return pd.DataFrame(
        {
            "request_id": np.arange(n, dtype=np.int32),
            "session_id": nullable(np.zeros(n), np.ones(n, dtype=bool)),
            "origin_request_id": nullable(parent.clip(0), parent < 0),
            "attempt": attempt,
            "kind": _cat(kind, FAMILIES),
            "tenant": _cat(r.tenant[origin], r.vocab["tenant"]),
            "cohort": _cat(r.cohort[origin], r.vocab["cohort"]),
            "language": _cat(r.language[origin], r.vocab["language"]),
            "slice": _cat(r.slice[origin], r.vocab["slice"]),
            "model_version": _cat(
                _from_batch(bid, b["model_version"], -1), sim.vocab["model_version"]
            ),
            "route": _cat(rec.trimmed("route"), sim.vocab["route"]),
            "pool": _cat(rec.trimmed("pool"), sim.pool_names),
            "device": _cat(_from_batch(bid, b["device"], -1), sim.vocab["device"]),
            "arrival_s": arrival,
            "ingress_done_s": rec.trimmed("ingress_done_s"),
            "preprocess_done_s": rec.trimmed("preprocess_done_s"),
            "enqueue_s": rec.trimmed("enqueue_s"),
            "infer_start_s": _from_batch(bid, b["start_s"], np.nan),
            "infer_end_s": _from_batch(bid, b["end_s"], np.nan),
            "done_s": done,
            "status": _cat(status, STATUSES),
            "reject_reason": _cat(rec.trimmed("reason"), REJECT_REASONS),
            "batch_id": bid,
            "audio_s": np.asarray(sim.audio_s, dtype=np.float32),
            "latency_ms": latency.astype(np.float32),
            "cost_usd": _from_batch(bid, share, 0.0),
            "tags": _tag_labels(rec.trimmed("tags")),
            "first_partial_ms": rec.trimmed("first_partial_ms"),
            "final_ms": rec.trimmed("final_ms"),
            "first_audio_byte_ms": rec.trimmed("first_audio_byte_ms"),
            "first_response_ms": rec.trimmed("first_response_ms"),
            **{name: values[origin] for name, values in sim.acoustics.items()},
            **quality_columns(sim, origin, _from_batch(bid, b["model"], -1).astype(np.int64)),
        }
    )


def quality_columns(sim: Simulation, origin: np.ndarray, snapshot: np.ndarray) -> dict[str, Any]:
    """WER proxy, confidence, entity error, user corrections and eval-sample flags for
    served requests, and partial churn for streaming sessions (NaN elsewhere)."""
    r = sim.requests
    served = snapshot >= 0
    models: list[ModelSpec] = sim.snapshots or [
        ModelSpec(family="classifier", version="-", profile="-")
    ]
    pick = np.clip(snapshot, 0, None)

    def model_field(get: Any) -> np.ndarray:
        return np.array([get(m) for m in models])[pick]

    acoustics = {k: v[origin] for k, v in sim.acoustics.items()}
    pre = [sim.preprocess_snapshots[i] for i in range(len(sim.preprocess_snapshots))]
    pre_code = sim.preprocess_code[origin]
    pre_features = np.array([p.feature_config for p in pre] or [""])[pre_code]
    normalized = np.array([p.normalize_loudness for p in pre] or [True])[pre_code]
    slices = [sim.fleet.slice(name) for name in r.vocab["slice"]]
    wer_factor = np.array([s.wer_factor for s in slices])[r.slice[origin]]
    entity_slice = np.array([s.entity_factor for s in slices])[r.slice[origin]]
    robustness = model_field(lambda m: m.quality.noise_robustness_db)
    wer = asr_wer(
        acoustics,
        sim.true_rate_hz[origin],
        model_field(lambda m: m.quality.clean_wer),
        robustness,
        model_field(lambda m: m.quality.code_switch_penalty),
        wer_factor,
        model_field(lambda m: m.quality.feature_config) == pre_features,
        normalized,
        _curves(models, pick, acoustics["snr_db"], robustness),
    )
    kind = r.kind[origin].copy()
    for rid, code in sim.kind_override.items():
        kind[rid] = code
    asr = served & np.isin(kind, [FAMILIES.index("asr-batch"), FAMILIES.index("asr-streaming")])
    scored = served & (kind != FAMILIES.index("tts"))
    u = r.u_quality[origin]
    z = sim.quality_normals(origin)
    confidence = confidence_from_wer(wer, z[:, 0])
    entity = np.clip(wer * model_field(lambda m: m.quality.entity_factor) * entity_slice, 0, 1)
    corrected = asr & (u < correction_probability(wer))
    opted_in = np.array(
        [sim.fleet.tenants.get(t, TenantSpec()).eval_opt_in for t in r.vocab["tenant"]]
    )[r.tenant[origin]]
    streaming = served & (kind == FAMILIES.index("asr-streaming"))
    churn = churn_mean(
        model_field(lambda m: m.decoder.chunk_ms),
        model_field(lambda m: m.decoder.stabilization == "hold_last_word"),
        model_field(lambda m: m.decoder.beam),
        model_field(lambda m: m.decoder.lm_rescoring_partials),
        model_field(lambda m: m.decoder.endpoint_silence_ms),
        acoustics["jitter_ms"],
        np.asarray(sim.audio_s),
    ) * np.exp(0.25 * z[:, 1] - 0.25**2 / 2)
    nan = np.float32(np.nan)
    return {
        "wer_proxy": np.where(asr, wer, nan).astype(np.float32),
        "confidence": np.where(scored, confidence, nan).astype(np.float32),
        "entity_error": np.where(asr, entity, nan).astype(np.float32),
        "corrected": corrected,
        "eval_sample": served & opted_in & (u > 0.99),
        "partial_churn": np.where(streaming, churn, nan).astype(np.float32),
    }


def _batches_table(sim: Simulation, b: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(b["size"])
    return pd.DataFrame(
        {
            "batch_id": np.arange(n, dtype=np.int32),
            "pool": _cat(b["pool"].astype(np.int16), sim.pool_names),
            "device": _cat(b["device"].astype(np.int16), sim.vocab["device"]),
            "model_version": _cat(b["model_version"].astype(np.int16), sim.vocab["model_version"]),
            "size": b["size"].astype(np.int32),
            "max_batch": b["max_batch"].astype(np.int32),
            "padded_audio_s": b["padded_audio_s"].astype(float),
            "useful_audio_s": b["useful_audio_s"].astype(float),
            "start_s": b["start_s"].astype(float),
            "end_s": b["end_s"].astype(float),
            "cost_usd": b["cost_usd"].astype(float),
        }
    )


def _metrics_table(
    sim: Simulation, requests: pd.DataFrame, batches: pd.DataFrame, horizon: float
) -> pd.DataFrame:
    interval = sim.fleet.metrics_interval_s
    frames = [_pool_samples(sim, interval), _kind_rates(requests, interval, horizon)]
    frames.append(_utilisation(sim, batches, interval, horizon))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({"t_s": [], "name": [], "labels": [], "value": []})
    out = pd.concat(frames, ignore_index=True)
    out["labels"] = out["labels"].astype("category")
    out["name"] = out["name"].astype("category")
    return out.sort_values(["t_s", "name", "labels"], kind="stable").reset_index(drop=True)


# metrics read at an instant; every other metric summarises the interval starting at t_s
SAMPLED_METRICS = ("queue_depth", "busy_slots", "replicas", "cost_usd_per_hour")
# per kind, by the interval of arrival: first attempts, client retries, shadow copies
ARRIVAL_METRICS = ("arrivals_per_s", "retries_per_s", "shadow_per_s")
# per kind, by the interval of completion, one per final status
OUTCOME_METRICS = {
    "ok": "completed_per_s",
    "rejected": "rejected_per_s",
    "timeout": "timeouts_per_s",
    "error": "errors_per_s",
}
LATENCY_METRICS = {0.5: "latency_p50_ms", 0.95: "latency_p95_ms", 0.99: "latency_p99_ms"}
UTILISATION = "utilisation"
# every name the metrics table can hold (schema.py beside it documents each; a test checks)
METRICS_WRITTEN = (
    *ARRIVAL_METRICS,
    *OUTCOME_METRICS.values(),
    *LATENCY_METRICS.values(),
    *SAMPLED_METRICS,
    UTILISATION,
)


def _pool_samples(sim: Simulation, interval: float) -> pd.DataFrame:
    if not sim.samples:
        return pd.DataFrame()
    t, pool_f, depth, busy, _slots = np.array(sim.samples).T
    pool = pool_f.astype(int)
    labels = np.array([f"pool={n}" for n in sim.pool_names])[pool]
    replicas = _replica_log_at(sim, t, pool, "replicas")
    price = _replica_log_at(sim, t, pool, "price_per_hour")
    frames = [
        (SAMPLED_METRICS[0], depth),
        (SAMPLED_METRICS[1], busy),
        (SAMPLED_METRICS[2], replicas),
        (SAMPLED_METRICS[3], replicas * price),
    ]
    return pd.concat(
        [
            pd.DataFrame({"t_s": t, "name": name, "labels": labels, "value": value})
            for name, value in frames
        ]
    )


def _replica_log_at(sim: Simulation, t: np.ndarray, pool: np.ndarray, field: str) -> np.ndarray:
    """A field of the replica log (a step function per pool) read at times t."""
    out = np.zeros(len(t))
    for i, name in enumerate(sim.pool_names):
        changes = sorted((c for c in sim.replica_log if c.pool == name), key=lambda c: c.t_s)
        times = np.array([c.t_s for c in changes])
        values = np.array([getattr(c, field) for c in changes], dtype=float)
        mask = pool == i
        idx = np.searchsorted(times, t[mask], side="right") - 1
        out[mask] = values[np.clip(idx, 0, len(values) - 1)]
    return out


def _kind_rates(requests: pd.DataFrame, interval: float, horizon: float) -> pd.DataFrame:
    """Per kind and interval: arrival, completion, rejection, timeout and error rates by
    the interval of arrival (arrivals) or of completion (the rest), and latency quantiles."""
    if not len(requests):
        return pd.DataFrame()
    kinds = requests["kind"].cat.categories
    kind = requests["kind"].cat.codes.to_numpy().astype(np.int64)
    status = requests["status"].cat.codes.to_numpy()
    n_bins = int(horizon // interval) + 1
    arrive_bin = np.minimum(requests["arrival_s"].to_numpy() // interval, n_bins - 1)
    done = requests["done_s"].to_numpy()
    done_bin = np.where(np.isfinite(done), np.minimum(done // interval, n_bins - 1), -1)
    attempt = requests["attempt"].to_numpy()
    mirrored = status == STATUSES.index("shadow")
    first = (attempt == 1) & ~mirrored
    parts = [
        _binned_counts(arrive_bin[mask], kind[mask], len(kinds), n_bins, name, interval)
        for mask, name in zip((first, attempt > 1, mirrored), ARRIVAL_METRICS, strict=True)
    ]
    for outcome, name in OUTCOME_METRICS.items():
        mask = (status == STATUSES.index(outcome)) & (done_bin >= 0)
        parts.append(_binned_counts(done_bin[mask], kind[mask], len(kinds), n_bins, name, interval))
    ok = (status == OK) & (done_bin >= 0)
    latency = pd.DataFrame(
        {"bin": done_bin[ok], "kind": kind[ok], "value": requests["latency_ms"].to_numpy()[ok]}
    )
    grouped = latency.groupby(["bin", "kind"])["value"]
    for q, name in LATENCY_METRICS.items():
        lat = grouped.quantile(q).reset_index()
        parts.append(
            pd.DataFrame(
                {
                    "t_s": lat["bin"] * interval,
                    "name": name,
                    "kind": lat["kind"],
                    "value": lat["value"],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    labels = np.array([f"kind={k}" for k in kinds])
    out["labels"] = labels[out.pop("kind").to_numpy().astype(int)]
    return out[["t_s", "name", "labels", "value"]]


def _binned_counts(
    bins: np.ndarray, kind: np.ndarray, n_kinds: int, n_bins: int, name: str, interval: float
) -> pd.DataFrame:
    counts = np.bincount(bins.astype(np.int64) * n_kinds + kind, minlength=n_bins * n_kinds)
    nonzero = np.flatnonzero(counts)
    return pd.DataFrame(
        {
            "t_s": (nonzero // n_kinds) * interval,
            "name": name,
            "kind": nonzero % n_kinds,
            "value": counts[nonzero] / interval,
        }
    )


def _utilisation(
    sim: Simulation, batches: pd.DataFrame, interval: float, horizon: float
) -> pd.DataFrame:
    """Busy slot-seconds per interval / available slot-seconds, from the batch log."""
    if not len(batches):
        return pd.DataFrame()
    n_bins = int(np.ceil(horizon / interval)) + 1
    edges = np.arange(n_bins + 1) * interval
    rows = []
    for i, name in enumerate(sim.pool_names):
        sub = batches[batches["pool"] == name]
        start = sub["start_s"].to_numpy()
        end = np.nan_to_num(sub["end_s"].to_numpy(), nan=horizon)
        busy = _overlap_per_bin(start, end, edges)
        spec = sim.fleet.pools.get(name)
        slots_per = spec.slots_per_replica if spec else 1
        replicas = _replica_log_at(sim, edges[:-1], np.full(n_bins, i), "replicas")
        capacity = replicas * slots_per * interval
        with np.errstate(divide="ignore", invalid="ignore"):
            util = np.where(capacity > 0, busy / capacity, 0.0)
        rows.append(
            pd.DataFrame(
                {"t_s": edges[:-1], "name": UTILISATION, "labels": f"pool={name}", "value": util}
            )
        )
    out = pd.concat(rows, ignore_index=True)
    return out[out["t_s"] <= horizon]


def _overlap_per_bin(start: np.ndarray, end: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total length of [start, end) intervals falling in each bin, exactly.

    Busy time up to x is Σ(x − s) over starts before x minus Σ(x − e) over ends before x;
    prefix sums over sorted starts and ends evaluate it at every edge in O(n log n).
    """

    def ramp(points: np.ndarray) -> np.ndarray:
        points = np.sort(points)
        prefix = np.concatenate([[0.0], np.cumsum(points)])
        k = np.searchsorted(points, edges, side="left")
        return k * edges - prefix[k]

    return np.clip(np.diff(ramp(start) - ramp(end)), 0.0, None)  # clip rounding noise


def _events_table(sim: Simulation) -> pd.DataFrame:
    return pd.DataFrame(sim.notices, columns=["t_s", "type", "target", "detail"])
