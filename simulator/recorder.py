"""Columnar, preallocated storage for what the simulator observes.

Hot-path writes go into numpy arrays indexed by request id; labels are small integer
codes into vocabularies. The arrays become the telemetry tables after the run.
"""

from __future__ import annotations

import numpy as np

STATUSES: tuple[str, ...] = ("in_flight", "ok", "rejected", "timeout", "error", "shadow")
IN_FLIGHT, OK, REJECTED, TIMEOUT, ERROR, SHADOW = range(len(STATUSES))
REJECT_REASONS: tuple[str, ...] = ("", "invalid_payload", "queue_full", "no_route")
NO_REASON, INVALID_PAYLOAD, QUEUE_FULL, NO_ROUTE = range(len(REJECT_REASONS))

BATCH_COLUMNS = (
    "pool",
    "device",
    "model_version",
    "size",
    "max_batch",
    "padded_audio_s",
    "useful_audio_s",
    "start_s",
    "end_s",
    "cost_usd",
)


class RequestRecorder:
    """Per-request outcome columns, NaN/-1 until the request reaches that point.

    Inference start/end, cost, model version and device are not stored per request:
    they are the request's batch's, joined in when the tables are built.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.ingress_done_s = np.full(n, np.nan)
        self.preprocess_done_s = np.full(n, np.nan)
        self.enqueue_s = np.full(n, np.nan)
        self.done_s = np.full(n, np.nan)
        self.status = np.zeros(n, dtype=np.int8)
        self.reason = np.zeros(n, dtype=np.int8)
        self.pool = np.full(n, -1, dtype=np.int16)
        self.route = np.full(n, -1, dtype=np.int16)
        self.batch_id = np.full(n, -1, dtype=np.int32)


class BatchRecorder:
    """Append-only batch log, one tuple per batch in BATCH_COLUMNS order."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int, int, int, float, float, float, float, float]] = []

    def add(self, row: tuple[int, int, int, int, int, float, float, float, float, float]) -> int:
        self.rows.append(row)
        return len(self.rows) - 1

    def columns(self) -> dict[str, np.ndarray]:
        table = np.array(self.rows, dtype=np.float64).reshape(-1, len(BATCH_COLUMNS))
        return {name: table[:, i] for i, name in enumerate(BATCH_COLUMNS)}
