"""The run summary (`speechdrill simulate --json`): counts, cost, device hours and
latency quantiles by kind, with streaming, TTS and quality figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulator.telemetry.bundle import Telemetry


def summarize(tel: Telemetry) -> dict[str, Any]:
    """The `simulate --json` summary (the command-line contract's keys, with batching and cost).

    `requests` counts first attempts (what users sent); outcome counts are over attempts
    (first attempts and retries); shadow copies are counted apart and never in latency.
    """
    req = tel.requests
    status = req["status"].to_numpy().astype(str)
    attempts = status != "shadow"
    first = req["attempt"].to_numpy() == 1
    cost = tel.pool_cost
    by_kind: dict[str, dict[str, float]] = {}
    for kind, group in req[status == "ok"].groupby("kind", observed=True):
        lat = group["latency_ms"].to_numpy(dtype=float)
        by_kind[str(kind)] = {f"p{q}": round(float(np.percentile(lat, q)), 3) for q in (50, 95, 99)}
    b = tel.batches
    padded = float(b["padded_audio_s"].sum()) if len(b) else 0.0
    useful = float(b["useful_audio_s"].sum()) if len(b) else 0.0

    def device_hours(kind: str) -> float:
        return float(cost.loc[cost["device_kind"] == kind, "replica_seconds"].sum()) / 3600.0

    total_cost = float(cost["cost_usd"].sum()) if len(cost) else 0.0
    users = int((first & attempts).sum())
    return {
        "requests": users,
        "attempts": int(attempts.sum()),
        "retries": int((attempts & ~first).sum()),
        "shadow": int((~attempts).sum()),
        "completed": int((status == "ok").sum()),
        "rejected": int((status == "rejected").sum()),
        "timed_out": int((status == "timeout").sum()),
        "errors": int((status == "error").sum()),
        "in_flight": int((attempts & (status == "in_flight")).sum()),
        "cost_usd": round(total_cost, 6),
        "cost_usd_per_hour": round(total_cost / tel.horizon_s * 3600.0, 6) if tel.horizon_s else 0,
        "gpu_hours": round(device_hours("gpu"), 6),
        "cpu_hours": round(device_hours("cpu"), 6),
        "requests_per_s": round(users / tel.duration_s, 4) if tel.duration_s else 0.0,
        "latency_ms": by_kind,
        "streaming": _streaming_summary(req),
        "tts": _tts_summary(req),
        "quality_by_slice": _quality_by(req, "slice"),
        "quality_by_cohort": _quality_by(req, "cohort"),
        "cost_by_tag": {
            str(k): round(float(v), 6)
            for k, v in tel.ledger.groupby("tag")["cost_usd"].sum().items()
        },
        "mean_batch_size": round(float(b["size"].mean()), 4) if len(b) else 0.0,
        "mean_batch_fill": round(float((b["size"] / b["max_batch"]).mean()), 4) if len(b) else 0.0,
        "padding_waste": round(1.0 - useful / padded, 4) if padded else 0.0,
        "duration_s": tel.duration_s,
    }


def _quantiles(values: np.ndarray) -> dict[str, float]:
    values = values[np.isfinite(values)]
    if not len(values):
        return {}
    return {f"p{q}": round(float(np.percentile(values, q)), 3) for q in (50, 95, 99)}


def _streaming_summary(req: pd.DataFrame) -> dict[str, Any]:
    sessions = req[(req["kind"] == "asr-streaming") & (req["status"] == "ok")]
    if not len(sessions):
        return {}
    return {
        "sessions": len(sessions),
        "first_partial_ms": _quantiles(sessions["first_partial_ms"].to_numpy(dtype=float)),
        "final_ms": _quantiles(sessions["final_ms"].to_numpy(dtype=float)),
        "partial_churn_mean": round(float(sessions["partial_churn"].mean()), 3),
    }


def _tts_summary(req: pd.DataFrame) -> dict[str, Any]:
    tts = req[(req["kind"] == "tts") & (req["status"] == "ok")]
    if not len(tts):
        return {}
    return {"first_audio_byte_ms": _quantiles(tts["first_audio_byte_ms"].to_numpy(dtype=float))}


def _quality_by(req: pd.DataFrame, column: str) -> dict[str, dict[str, float]]:
    asr = req[req["wer_proxy"].notna()]
    out: dict[str, dict[str, float]] = {}
    for label, group in asr.groupby(column, observed=True):
        out[str(label)] = {
            "requests": len(group),
            "wer_proxy": round(float(group["wer_proxy"].mean()), 4),
            "confidence": round(float(group["confidence"].mean()), 4),
            "correction_rate": round(float(group["corrected"].mean()), 4),
            "entity_error": round(float(group["entity_error"].mean()), 4),
        }
    return out
