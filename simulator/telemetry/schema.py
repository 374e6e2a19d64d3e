"""The telemetry schema, written once beside the code that builds the tables: every table,
every column and every metric with its unit and meaning. docs/telemetry.md is generated
from it (`python -m simulator.telemetry.schema > docs/telemetry.md`) and a test keeps the
two, and
the tables themselves, in step."""

from __future__ import annotations

from simulator.spec.quality import ACOUSTIC_COLUMNS
from simulator.telemetry.bundle import TABLE_COLUMNS
from simulator.telemetry.openmetrics import GAUGES, families
from simulator.telemetry.recorder import REJECT_REASONS, STATUSES, TAGS
from simulator.telemetry.tables import METRICS_WRITTEN

# (unit, meaning) per column; the unit "" is a label or a count
REQUESTS: dict[str, tuple[str, str]] = {
    "request_id": ("", "row number, in arrival order"),
    "session_id": ("", "streaming session (null otherwise); a voice-agent reply shares its turn's"),
    "origin_request_id": ("", "the first attempt's request_id (retries; null for a first attempt)"),
    "attempt": ("", "1 for the user's request, 2+ for client retries"),
    "kind": ("", "asr-batch, asr-streaming, tts, embedding or classifier"),
    "tenant": ("", "the calling product or customer"),
    "cohort": ("", "device / firmware cohort of the client"),
    "language": ("", "spoken language label (es-en: code-switched)"),
    "slice": ("", "evaluation slice label (e.g. noisy-far-field)"),
    "model_version": ("", "the model and version that served it (null until batched)"),
    "route": ("", "the routing rule that matched"),
    "pool": ("", "the pool it was sent to"),
    "device": ("", "the device kind that served it (cpu, gpu-a100, ...)"),
    "arrival_s": ("s", "arrival time since the start of the run"),
    "ingress_done_s": ("s", "when ingress (auth, validation) finished"),
    "preprocess_done_s": ("s", "when preprocessing (resample, VAD, features) finished"),
    "enqueue_s": ("s", "when it joined its pool's queue"),
    "infer_start_s": ("s", "when its batch started"),
    "infer_end_s": ("s", "when its batch finished"),
    "done_s": ("s", "when the response left (after postprocess and observe)"),
    "status": ("", "one of: " + ", ".join(s for s in STATUSES if s)),
    "reject_reason": ("", "why it was rejected: " + ", ".join(r for r in REJECT_REASONS if r)),
    "batch_id": ("", "the batch that served it (batches.batch_id; -1 if none)"),
    "audio_s": ("s", "seconds of audio in (ASR, embedding, classifier) or out (TTS)"),
    "latency_ms": ("ms", "done_s − arrival_s"),
    "cost_usd": ("USD", "its share of the serving bill (replica time × price ÷ batch)"),
    "tags": ("", "comma list of: " + ", ".join(t for t in TAGS if t)),
    "first_partial_ms": ("ms", "streaming: first partial hypothesis after the audio began"),
    "final_ms": ("ms", "streaming: final result after the user stopped speaking"),
    "first_audio_byte_ms": ("ms", "TTS: first audio byte after the request"),
    "first_response_ms": ("ms", "voice agent: end of the user's turn to the first reply audio"),
    "sample_rate_hz": ("Hz", "acoustic summary: the sample rate the audio claims"),
    "bandwidth_hz": ("Hz", "acoustic summary: effective bandwidth of the audio"),
    "clipping_ratio": ("0–1", "acoustic summary: share of clipped samples"),
    "silence_ratio": ("0–1", "acoustic summary: share of silence"),
    "loudness_lufs": ("LUFS", "acoustic summary: integrated loudness"),
    "snr_db": ("dB", "acoustic summary: signal-to-noise proxy"),
    "channels": ("", "acoustic summary: audio channels"),
    "vad_segments": ("", "acoustic summary: speech segments found by VAD"),
    "lang_top_prob": ("0–1", "language ID: probability of the top language"),
    "code_switch_ratio": ("0–1", "language ID: share of speech in a second language"),
    "jitter_ms": ("ms", "client network jitter on the audio path"),
    "wer_proxy": ("0–1", "word error rate proxy from the quality model (ASR)"),
    "confidence": ("0–1", "the recogniser's mean word confidence (ASR)"),
    "entity_error": ("0–1", "named-entity error rate proxy (ASR)"),
    "corrected": ("bool", "the user corrected the result (a quality signal with no text)"),
    "eval_sample": ("bool", "sampled for the privacy-approved evaluation set"),
    "partial_churn": ("words", "streaming: words retracted from partials per session"),
}
BATCHES: dict[str, tuple[str, str]] = {
    "batch_id": ("", "batch number, in start order"),
    "pool": ("", "the pool that ran it"),
    "device": ("", "its device kind"),
    "model_version": ("", "the model and version it ran"),
    "size": ("", "requests in the batch"),
    "max_batch": ("", "the pool's max batch size when it started"),
    "padded_audio_s": ("s", "size × the longest input: what the model computed"),
    "useful_audio_s": ("s", "the inputs' own audio: padded − useful is padding waste"),
    "start_s": ("s", "when it started"),
    "end_s": ("s", "when it finished"),
    "cost_usd": ("USD", "the replica time it took, at the device's price"),
}
METRICS: dict[str, tuple[str, str]] = {
    "t_s": ("s", "start of the interval (or the sample time)"),
    "name": ("", "the metric (see the metric list)"),
    "labels": ("", "`kind=...` or `pool=...`"),
    "value": ("", "the metric's value, in the metric's unit"),
}
EVENTS: dict[str, tuple[str, str]] = {
    "t_s": ("s", "when it happened"),
    "type": ("", "deploy, config, alert, autoscaler or action"),
    "target": ("", "the service, pool or action it concerns"),
    "detail": ("", "what an operator would read (never the name of an injected fault)"),
}
COLUMNS = {"requests": REQUESTS, "batches": BATCHES, "metrics": METRICS, "events": EVENTS}

# metric name: (unit, labels, meaning)
METRIC_NAMES: dict[str, tuple[str, str, str]] = {
    "arrivals_per_s": ("1/s", "kind", "requests arriving per second"),
    "completed_per_s": ("1/s", "kind", "requests served per second"),
    "rejected_per_s": ("1/s", "kind", "requests rejected per second"),
    "timeouts_per_s": ("1/s", "kind", "requests timed out per second"),
    "errors_per_s": ("1/s", "kind", "requests failed with an error per second"),
    "retries_per_s": ("1/s", "kind", "client retries arriving per second"),
    "shadow_per_s": ("1/s", "kind", "shadow copies arriving per second"),
    "latency_p50_ms": ("ms", "kind", "median latency of the requests done in the interval"),
    "latency_p95_ms": ("ms", "kind", "95th percentile latency in the interval"),
    "latency_p99_ms": ("ms", "kind", "99th percentile latency in the interval"),
    "queue_depth": ("", "pool", "requests waiting (sampled)"),
    "busy_slots": ("", "pool", "batch slots running (sampled)"),
    "replicas": ("", "pool", "replicas serving (sampled)"),
    "cost_usd_per_hour": ("USD/h", "pool", "the spend rate of paid replicas (sampled)"),
    "utilisation": ("0–1", "pool", "busy share of the pool's slots in the interval"),
}

# what an eval's metric map holds per slice (the release gate's input): (unit, meaning)
EVAL_METRICS: dict[str, tuple[str, str]] = {
    "wer": ("0–1", "word error rate of the slice"),
    "entity_error": ("0–1", "named-entity error rate of the slice"),
    "latency_ms": ("ms", "p95 decode latency per utterance"),
    "memory_mb": ("MB", "peak memory of the model"),
    "rtf": ("", "real-time factor of decoding (compute seconds per audio second)"),
    "n": ("", "utterances in the slice (weights the global WER)"),
    "words": ("", "reference words in the slice (the WER's sample)"),
    "wer_low": ("0–1", "lower end of the WER's 95% confidence interval"),
    "wer_high": ("0–1", "upper end of the WER's 95% confidence interval"),
    "per_utterance": (
        "",
        "word errors and reference words per utterance, by an id of its text (no text): "
        "pairs two maps' slices for a paired bootstrap",
    ),
}

# the units a threshold may be written in, per schema unit: factor to the schema's unit
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "ms": {"ms": 1.0, "s": 1000.0},
    "s": {"s": 1.0, "ms": 1e-3, "min": 60.0},
    "1/s": {"1/s": 1.0, "1/min": 1 / 60.0},
    "0–1": {"0–1": 1.0, "ratio": 1.0, "%": 0.01},
    "USD": {"USD": 1.0},
    "USD/h": {"USD/h": 1.0},
    "Hz": {"Hz": 1.0, "kHz": 1000.0},
    "dB": {"dB": 1.0},
    "LUFS": {"LUFS": 1.0},
    "": {"": 1.0, "count": 1.0},
    "words": {"words": 1.0},
    "bool": {"bool": 1.0},
}


def exported_metrics() -> dict[str, str]:
    """Every metric family `speechdrill export --openmetrics` writes (what an alert rule
    may read), with its meaning."""
    return families()


def metric_unit(table: str, name: str) -> str | None:
    """The unit of a metrics-table name or a column of a table; None if there is none."""
    if table == "metrics":
        found = METRIC_NAMES.get(name)
        return found[0] if found else None
    column = COLUMNS.get(table, {}).get(name)
    return column[0] if column else None


TABLE_PURPOSE = {
    "requests": "one row per request (and per retry, shadow copy and agent reply)",
    "batches": "one row per inference batch",
    "metrics": "long-format time series: one row per (interval, metric, label)",
    "events": "what an operator sees: deploys, config pushes, alerts, autoscaler decisions, "
    "actions",
}


# name endings that carry a unit, longest first: `req_per_s` is a rate, not seconds
SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
    ("usd_per_hour", "USD/h"),
    ("_per_hour", "1/h"),
    ("_per_s", "1/s"),
    ("_per_second", "1/s"),
    ("_ms", "ms"),
    ("_usd", "USD"),
    ("usd", "USD"),
    ("_hz", "Hz"),
    ("_db", "dB"),
    ("_lufs", "LUFS"),
    ("_ratio", "0–1"),
    ("_s", "s"),
)


def unit_of(column: str, metric: str | None = None) -> str:
    """The unit of a result column, by one rule for every front end: a telemetry column
    or a metric by its own name; a value read from `metrics` filtered on one metric
    (`metric`) in that metric's unit; else the unit its name ends with ('' if none)."""
    name = column.strip().lower()
    for columns in COLUMNS.values():
        if name in columns and name != "value":
            return columns[name][0]
    if name in METRIC_NAMES:
        return METRIC_NAMES[name][0]
    if metric in METRIC_NAMES:
        return METRIC_NAMES[metric][0]
    return next((unit for suffix, unit in SUFFIX_UNITS if name.endswith(suffix)), "")


def markdown() -> str:
    """docs/telemetry.md."""
    out = [
        "# Telemetry schema",
        "",
        "Generated from `simulator/telemetry/schema.py` (`python -m simulator.telemetry.schema > "
        "docs/telemetry.md`); a test keeps it in step with the tables. Telemetry holds "
        "derived signals only: durations, acoustic summaries, confidences, versions, slice "
        "labels and cost tags, never audio or transcript text. In a drill the tables are cut "
        "at the drill clock: rows not yet arrived are absent and requests still in flight "
        "show `status = in_flight` and no outcome.",
    ]
    for table, columns in COLUMNS.items():
        out += ["", f"## `{table}`: {TABLE_PURPOSE[table]}", "", "| column | unit | meaning |"]
        out.append("| --- | --- | --- |")
        out += [f"| `{c}` | {unit} | {meaning} |" for c, (unit, meaning) in columns.items()]
    out += ["", "## Metric names (`metrics.name`)", "", "| name | unit | labels | meaning |"]
    out.append("| --- | --- | --- | --- |")
    out += [
        f"| `{name}` | {unit} | `{labels}=` | {meaning} |"
        for name, (unit, labels, meaning) in METRIC_NAMES.items()
    ]
    return "\n".join(out) + "\n"


def undocumented() -> list[str]:
    """Columns the tables have that the schema does not document, and the reverse."""
    problems = []
    for table, columns in TABLE_COLUMNS.items():
        documented = set(COLUMNS[table])
        problems += [f"{table}.{c}: not documented" for c in columns if c not in documented]
        problems += [f"{table}.{c}: no such column" for c in documented - set(columns)]
    problems += [f"acoustic {c}: not documented" for c in ACOUSTIC_COLUMNS if c not in REQUESTS]
    problems += [f"metric {m}: not documented" for m in METRICS_WRITTEN if m not in METRIC_NAMES]
    problems += [f"metric {m}: never written" for m in METRIC_NAMES if m not in METRICS_WRITTEN]
    problems += [f"metric {m}: not exported" for m in METRIC_NAMES if m not in GAUGES]
    return problems


if __name__ == "__main__":
    print(markdown(), end="")
