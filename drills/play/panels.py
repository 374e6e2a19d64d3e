"""Named dashboard panels. Each is SQL over the telemetry tables, so a panel and a
hand-written query are judged alike: by the table, columns and grouping they read.
`:now` is the drill clock (telemetry after it does not exist yet)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    title: str
    sql: str


PANELS: dict[str, Panel] = {
    "traffic": Panel(
        "Request rate by kind (5-minute bins)",
        "SELECT floor(t_s / 300) * 300 AS t_bin, labels AS kind, avg(value) AS req_per_s "
        "FROM metrics WHERE name = 'arrivals_per_s' AND t_s < :now "
        "GROUP BY t_bin, labels ORDER BY t_bin, kind",
    ),
    "latency-by-kind": Panel(
        "Latency percentiles by kind",
        "SELECT kind, count(*) AS requests, quantile_cont(latency_ms, 0.5) AS p50_ms, "
        "quantile_cont(latency_ms, 0.95) AS p95_ms, quantile_cont(latency_ms, 0.99) AS p99_ms "
        "FROM requests WHERE status = 'ok' AND done_s < :now GROUP BY kind ORDER BY kind",
    ),
    "latency-by-stage": Panel(
        "Mean time in each stage by kind (ms)",
        "SELECT kind, avg(ingress_done_s - arrival_s) * 1000 AS ingress, "
        "avg(preprocess_done_s - ingress_done_s) * 1000 AS preprocess, "
        "avg(infer_start_s - enqueue_s) * 1000 AS queue, "
        "avg(infer_end_s - infer_start_s) * 1000 AS infer, "
        "avg(done_s - infer_end_s) * 1000 AS post_and_observe "
        "FROM requests WHERE status = 'ok' AND done_s < :now GROUP BY kind ORDER BY kind",
    ),
    "errors": Panel(
        "Outcomes by pool",
        "SELECT pool, status, reject_reason, count(*) AS requests FROM requests "
        "WHERE done_s < :now GROUP BY pool, status, reject_reason ORDER BY pool, status",
    ),
    "queue-depth": Panel(
        "Queue depth by pool (5-minute bins, max)",
        "SELECT floor(t_s / 300) * 300 AS t_bin, labels AS pool, max(value) AS queue_depth "
        "FROM metrics WHERE name = 'queue_depth' AND t_s < :now "
        "GROUP BY t_bin, labels ORDER BY t_bin, pool",
    ),
    "batch-fill": Panel(
        "Batch fill and padding waste by pool",
        "SELECT pool, count(*) AS batches, avg(size) AS mean_size, "
        "avg(size / max_batch) AS fill, 1 - sum(useful_audio_s) / sum(padded_audio_s) "
        "AS padding_waste FROM batches WHERE end_s < :now GROUP BY pool ORDER BY pool",
    ),
    "replicas": Panel(
        "Replicas by pool (5-minute bins) and autoscaler decisions",
        "SELECT floor(t_s / 300) * 300 AS t_bin, labels AS pool, max(value) AS replicas "
        "FROM metrics WHERE name = 'replicas' AND t_s < :now "
        "GROUP BY t_bin, labels ORDER BY t_bin, pool",
    ),
    "cost-by-pool": Panel(
        "Spend rate by pool (USD/hour, 5-minute bins)",
        "SELECT floor(t_s / 300) * 300 AS t_bin, labels AS pool, avg(value) AS usd_per_hour "
        "FROM metrics WHERE name = 'cost_usd_per_hour' AND t_s < :now "
        "GROUP BY t_bin, labels ORDER BY t_bin, pool",
    ),
    "cost-by-tag": Panel(
        "Attributed cost by route, device and tag",
        "SELECT route, device, tags, count(*) AS requests, sum(cost_usd) AS usd "
        "FROM requests WHERE done_s < :now GROUP BY route, device, tags ORDER BY usd DESC",
    ),
    "streaming-partials": Panel(
        "Streaming first partial and churn by cohort",
        "SELECT cohort, model_version, count(*) AS sessions, "
        "quantile_cont(first_partial_ms, 0.95) AS first_partial_p95_ms, "
        "avg(partial_churn) AS churn_words, avg(wer_proxy) AS wer "
        "FROM requests WHERE kind = 'asr-streaming' AND status = 'ok' AND done_s < :now "
        "GROUP BY cohort, model_version ORDER BY cohort",
    ),
    "tts-first-audio-byte": Panel(
        "TTS first audio byte by voice version",
        "SELECT model_version, count(*) AS requests, "
        "quantile_cont(first_audio_byte_ms, 0.5) AS fab_p50_ms, "
        "quantile_cont(first_audio_byte_ms, 0.95) AS fab_p95_ms "
        "FROM requests WHERE kind = 'tts' AND status = 'ok' AND done_s < :now "
        "GROUP BY model_version ORDER BY model_version",
    ),
    "quality-by-slice": Panel(
        "Recognition quality by slice and language",
        "SELECT slice, language, model_version, count(*) AS requests, "
        "avg(wer_proxy) AS wer, avg(confidence) AS confidence, avg(corrected::INT) AS "
        "correction_rate, avg(entity_error) AS entity_error FROM requests "
        "WHERE wer_proxy IS NOT NULL AND done_s < :now "
        "GROUP BY slice, language, model_version ORDER BY slice, language",
    ),
    "quality-by-cohort": Panel(
        "Confidence, corrections and acoustics by device cohort",
        "SELECT cohort, count(*) AS requests, avg(confidence) AS confidence, "
        "avg(corrected::INT) AS correction_rate, avg(clipping_ratio) AS clipping, "
        "avg(snr_db) AS snr_db, avg(loudness_lufs) AS loudness, avg(sample_rate_hz) AS rate_hz "
        "FROM requests WHERE wer_proxy IS NOT NULL AND done_s < :now "
        "GROUP BY cohort ORDER BY cohort",
    ),
    "events": Panel(
        "Deploys, config pushes, alerts and autoscaler decisions",
        "SELECT t_s, type, target, detail FROM events WHERE t_s < :now ORDER BY t_s",
    ),
}
