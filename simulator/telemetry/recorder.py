"""Columnar, preallocated storage for what the simulator observes.

Hot-path writes go into numpy arrays indexed by request id; labels are small integer
codes into vocabularies. The arrays become the telemetry tables after the run.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

TAGS: tuple[str, ...] = ("canary", "shadow", "retry", "fallback")
CANARY, SHADOW_TAG, RETRY, FALLBACK = (1 << i for i in range(len(TAGS)))
STATUSES: tuple[str, ...] = ("in_flight", "ok", "rejected", "timeout", "error", "shadow")
IN_FLIGHT, OK, REJECTED, TIMEOUT, ERROR, SHADOW = range(len(STATUSES))
REJECT_REASONS: tuple[str, ...] = ("", "invalid_payload", "queue_full", "no_route", "unhealthy")
NO_REASON, INVALID_PAYLOAD, QUEUE_FULL, NO_ROUTE, UNHEALTHY = range(len(REJECT_REASONS))


class RequestRecorder:
    """Per-request outcome columns, NaN/-1 until the request reaches that point.

    Inference start/end, cost, model version and device are not stored per request:
    they are the request's batch's, joined in when the tables are built.
    """

    FILL: ClassVar[dict[str, float]] = {
        "ingress_done_s": np.nan,
        "preprocess_done_s": np.nan,
        "enqueue_s": np.nan,
        "done_s": np.nan,
        "status": 0,
        "reason": 0,
        "pool": -1,
        "route": -1,
        "batch_id": -1,
        "tags": 0,
        "first_partial_ms": np.nan,
        "final_ms": np.nan,
        "first_audio_byte_ms": np.nan,
        "first_response_ms": np.nan,
    }
    DTYPES: ClassVar[dict[str, type]] = {
        "first_partial_ms": np.float32,
        "final_ms": np.float32,
        "first_audio_byte_ms": np.float32,
        "first_response_ms": np.float32,
        "status": np.int8,
        "reason": np.int8,
        "pool": np.int16,
        "route": np.int16,
        "batch_id": np.int32,
        "tags": np.int8,
    }

    def __init__(self, n: int) -> None:
        self.n = n
        self.capacity = n
        for name, fill in self.FILL.items():
            setattr(self, name, np.full(n, fill, dtype=self.DTYPES.get(name, np.float64)))

    def add_row(self) -> int:
        """Room for one more request (a shadow copy or a retry); returns its id."""
        if self.n == self.capacity:
            self.capacity = max(2 * self.capacity, 1024)
            for name, fill in self.FILL.items():
                old = getattr(self, name)
                new = np.full(self.capacity, fill, dtype=old.dtype)
                new[: self.n] = old
                setattr(self, name, new)
        self.n += 1
        return self.n - 1

    def trimmed(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.n]

    ingress_done_s: np.ndarray
    preprocess_done_s: np.ndarray
    enqueue_s: np.ndarray
    done_s: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    pool: np.ndarray
    route: np.ndarray
    batch_id: np.ndarray
    tags: np.ndarray
    first_partial_ms: np.ndarray
    final_ms: np.ndarray
    first_audio_byte_ms: np.ndarray
    first_response_ms: np.ndarray


@dataclass(frozen=True)
class BatchConfig:
    """Pool settings shared by every batch started under them."""

    pool: int
    device: int
    model_version: int
    model: int  # index of the model snapshot (settings at the time) in Simulation.snapshots
    max_batch: int
    cost_per_s: float


class BatchRecorder:
    """Append-only batch log: (config, size, longest, useful audio s, start, end) per batch;
    cost, padding and labels are expanded from the config when tables are built."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, float, float, float, float]] = []
        self.configs: list[BatchConfig] = []
        self._config_codes: dict[BatchConfig, int] = {}

    def config(self, config: BatchConfig) -> int:
        if config not in self._config_codes:
            self._config_codes[config] = len(self.configs)
            self.configs.append(config)
        return self._config_codes[config]

    def columns(self) -> dict[str, np.ndarray]:
        # flattened through an iterator: np.array over a list of tuples inspects each tuple
        # (a third of the time on a run's 258k batches); the values are the same floats
        flat = itertools.chain.from_iterable(self.rows)
        table = np.fromiter(flat, dtype=np.float64, count=6 * len(self.rows)).reshape(-1, 6)
        config = table[:, 0].astype(np.int64)
        size = table[:, 1]
        start, end = table[:, 4], table[:, 5]

        def expand(field: str) -> np.ndarray:
            values = np.array([getattr(c, field) for c in self.configs] or [0.0])
            return values[config]

        return {
            "pool": expand("pool"),
            "device": expand("device"),
            "model_version": expand("model_version"),
            "model": expand("model"),
            "size": size,
            "max_batch": expand("max_batch"),
            "padded_audio_s": table[:, 2] * size,
            "useful_audio_s": table[:, 3],
            "start_s": start,
            "end_s": end,
            "cost_usd": (end - start) * expand("cost_per_s"),
        }


@dataclass
class ReplicaChange:
    """A step of a pool's replica count: `replicas` serve; `paid_replicas` also counts
    replicas still loading and warm standbys — the bill follows paid replicas."""

    t_s: float
    pool: str
    replicas: int
    paid_replicas: int
    price_per_hour: float
    device: str
    device_kind: str
