"""A real in-process batching server for the reference models, and an open-loop load
generator: the ground truth the simulator's fidelity is checked against.

    server = BatchingServer("embedding", ServerConfig(max_batch=4, max_wait_ms=10))
    records = replay(server, arrivals_s, lengths_s)      # per-request timings

The server does exactly what the simulator models (simulator/engine/pool.py): a bounded FIFO
queue; a free replica starts a batch when `max_batch` requests wait or the oldest has waited
`max_wait_ms` (a request arriving at an idle replica with an empty queue starts alone when
batching cannot help: `max_batch == 1` or `max_wait_ms == 0`); items past their deadline are
dropped at dequeue; a batch is padded to its longest item. Replicas are worker threads that
share the model, each pinned to a core of `cores` when given; torch runs `threads` intra-op
threads (the profile's setting).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import torch

from real_backend.profiler import FAMILIES, Family
from simulator.spec.fleet import bucket_grid, padded_length


@dataclass(frozen=True)
class ServerConfig:
    max_batch: int = 1
    max_wait_ms: float = 0.0
    replicas: int = 1
    threads: int = 2
    queue_capacity: int = 10_000
    timeout_ms: float = float("inf")
    length_bucket_s: float = 0.0  # pad batches up to a multiple of this (0: to the longest)
    # replica i runs on `threads` cores from cores[i * threads] on, wrapping round (its
    # torch threads inherit them); empty: wherever the OS likes
    cores: tuple[int, ...] = ()

    def padded(self, longest: float) -> float:
        return padded_length(longest, self.length_bucket_s)


@dataclass
class Records:
    """Per request: the scheduled arrival, when its batch started and ended, its batch and
    status (ok, rejected, timeout); per batch: start, size, padded length, service time and
    how long its replica had been idle (infinite for a replica's first batch); per run: the
    pages the process faulted in and each replica's CPU affinity, by replica."""

    arrival_s: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    batch_id: np.ndarray
    status: np.ndarray
    batch_start_s: list[float] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    batch_longest_s: list[float] = field(default_factory=list)
    batch_service_s: list[float] = field(default_factory=list)
    batch_idle_s: list[float] = field(default_factory=list)  # the replica's idle time before
    minor_faults: int = 0  # pages the process faulted in during the run (see allocator)
    replica_cores: dict[int, set[int]] = field(default_factory=dict)  # replica: its cores
    # per request: when it left the queue, served or dropped past its deadline
    dequeued_s: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def latency_ms(self) -> np.ndarray:
        ok = self.status == "ok"
        return (self.end_s[ok] - self.arrival_s[ok]) * 1000.0


class InputBank:
    """One pre-generated maximal input, sliced per batch, so that making inputs costs
    nothing at serving time (random weights and inputs: timing does not depend on values)."""

    def __init__(self, spec: Family, max_batch: int, max_length: float) -> None:
        self.spec = spec
        self.full = spec.inputs(max_batch, max_length)

    def take(self, batch: int, length: float) -> tuple[torch.Tensor, ...]:
        size = self.spec.size(length)
        return tuple(t[:batch, :size].contiguous() for t in self.full)


class BatchingServer:
    def __init__(self, family: str, config: ServerConfig, max_length: float = 30.0) -> None:
        self.spec = FAMILIES[family]
        self.config = config
        allowed = cpu_affinity()
        if allowed and not set(config.cores) <= allowed:
            raise ValueError(
                f"ServerConfig.cores: {sorted(set(config.cores) - allowed)} not among the "
                f"cores this process may use, {sorted(allowed)}"
            )
        torch.manual_seed(0)
        torch.set_num_threads(config.threads)
        self.model = self.spec.build().eval()
        self.bank = InputBank(self.spec, config.max_batch, max_length)
        self.queue: deque[int] = deque()
        self.queued_at: deque[float] = deque()
        self.cond = threading.Condition()
        self.closed = False
        self.lock = threading.Lock()

    def warm_up(self, lengths: list[float]) -> None:
        """Run every batch size once at each length. A shape the process has never run
        pays for building its kernels (up to twice the batch's time for the TTS vocoder),
        so a server with length buckets warms every bucket, as production servers do."""
        with torch.inference_mode():
            for b in range(1, self.config.max_batch + 1):
                for length in lengths:
                    self.spec.call(self.model, self.bank.take(b, length))

    def bucket_lengths(self, longest: float) -> list[float]:
        """Every padded length up to `longest`'s (just `longest` without buckets)."""
        return bucket_grid(longest, self.config.length_bucket_s)

    def probe(self, length: float, calls: int = 15) -> float:
        """Median ms of back-to-back batches of one on the first replica's core: the
        machine's speed right now, which drifts by several percent over seconds on a
        shared VM."""
        _, durations = self.back_to_back(length, calls=calls)
        return float(np.median(durations)) * 1000.0

    def back_to_back(
        self, length: float, calls: int | None = None, seconds: float = math.inf, size: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Batches of `size` at `length`, back to back on the first replica's core, `calls`
        of them or for `seconds`: each one's start (s from the first) and duration (s).
        The caller's core affinity is restored after."""
        if calls is None and seconds == math.inf:
            raise ValueError("back_to_back: give calls or seconds")
        inputs = self.bank.take(size, self.config.padded(length))
        starts: list[float] = []
        durations: list[float] = []
        before = _pin(self._core(0))
        zero = time.perf_counter()
        try:
            with torch.inference_mode():
                while len(starts) != calls and time.perf_counter() - zero < seconds:
                    start = time.perf_counter()
                    self.spec.call(self.model, inputs)
                    durations.append(time.perf_counter() - start)
                    starts.append(start - zero)
        finally:
            _pin(before)
        return np.array(starts), np.array(durations)

    def _core(self, replica: int) -> set[int] | None:
        cores, n = self.config.cores, self.config.threads
        return {cores[(replica * n + k) % len(cores)] for k in range(n)} if cores else None

    def serve(self, lengths: np.ndarray, arrivals: np.ndarray, clock_zero: float) -> Records:
        n = len(lengths)
        self.records = Records(
            arrival_s=arrivals.copy(),
            start_s=np.full(n, np.nan),
            end_s=np.full(n, np.nan),
            batch_id=np.full(n, -1),
            status=np.full(n, "in_flight", dtype=object),
            dequeued_s=np.full(n, np.nan),
        )
        self.lengths, self.zero = lengths, clock_zero
        self.workers = [
            threading.Thread(target=self._worker, args=(i,), name=f"replica-{i}", daemon=True)
            for i in range(self.config.replicas)
        ]
        for w in self.workers:
            w.start()
        return self.records

    def now(self) -> float:
        return time.perf_counter() - self.zero

    def submit(self, rid: int) -> None:
        with self.cond:
            if len(self.queue) >= self.config.queue_capacity:
                self.records.status[rid] = "rejected"
                return
            self.queue.append(rid)
            self.queued_at.append(self.records.arrival_s[rid])
            self.cond.notify()

    def close(self, wait_s: float = 30.0) -> None:
        """Stop: what still waits is left unserved (status stays in_flight), replicas
        finish the batch in hand and exit, so no worker thread outlives the run."""
        with self.cond:
            self.closed = True
            self.queue.clear()
            self.queued_at.clear()
            self.cond.notify_all()
        for w in getattr(self, "workers", []):
            w.join(timeout=wait_s)

    def _due(self) -> float:
        """When the head of the queue may start (now if a full batch waits). With
        `max_batch == 1` or `max_wait_ms == 0` that is always now: a request starts alone."""
        if len(self.queue) >= self.config.max_batch:
            return -np.inf
        return self.queued_at[0] + self.config.max_wait_ms / 1000.0

    def _next_batch(self) -> list[int] | None:
        with self.cond:
            while True:
                if self.closed and not self.queue:
                    return None
                if self.queue:
                    wait = self._due() - self.now()
                    if wait <= 0 or self.closed:
                        batch = self._take()
                        if batch:
                            return batch
                        continue
                    self.cond.wait(timeout=wait)
                else:
                    self.cond.wait()

    def _take(self) -> list[int]:
        batch: list[int] = []
        now = self.now()
        deadline = self.config.timeout_ms / 1000.0
        while self.queue and len(batch) < self.config.max_batch:
            rid = self.queue.popleft()
            arrived = self.queued_at.popleft()
            self.records.dequeued_s[rid] = now
            if now - arrived > deadline:
                self.records.status[rid] = "timeout"
            else:
                batch.append(rid)
        return batch

    def _worker(self, replica: int) -> None:
        _pin(self._core(replica))
        with self.lock:
            self.records.replica_cores[replica] = cpu_affinity()
        free_since = -np.inf
        with torch.inference_mode():
            while (batch := self._next_batch()) is not None:
                start = self.now()  # collating the padded batch is part of serving it
                longest = self.config.padded(float(max(self.lengths[r] for r in batch)))
                inputs = self.bank.take(len(batch), longest)
                self.spec.call(self.model, inputs)
                end = self.now()
                with self.lock:
                    batch_id = len(self.records.batch_sizes)
                    self.records.batch_start_s.append(start)
                    self.records.batch_sizes.append(len(batch))
                    self.records.batch_longest_s.append(longest)
                    self.records.batch_service_s.append(end - start)
                    self.records.batch_idle_s.append(start - free_since)
                free_since = end
                for rid in batch:
                    self.records.start_s[rid], self.records.end_s[rid] = start, end
                    self.records.batch_id[rid] = batch_id
                    self.records.status[rid] = "ok"


def _minor_faults() -> int:
    """Pages the process has faulted in so far (0 where the OS does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def cpu_affinity() -> set[int]:
    """The cores the calling thread may run on (empty where the OS does not say)."""
    return set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else set()


def _pin(cores: set[int] | None) -> set[int] | None:
    """Run the calling thread (Linux: affinity is per thread) on `cores`; returns the
    affinity it had, to restore. A no-op where the OS has no affinity call."""
    if not cores or not hasattr(os, "sched_setaffinity"):
        return None
    before = cpu_affinity()
    os.sched_setaffinity(0, cores)
    return before


def replay(
    server: BatchingServer, arrivals_s: np.ndarray, lengths_s: np.ndarray, limit_s: float = 600.0
) -> Records:
    """Open-loop load: submit each request at its arrival time (in-process, no network),
    whatever the server's state; bounded by the count given and `limit_s` of wall time."""
    faults_before = _minor_faults()
    zero = time.perf_counter() + 0.05
    records = server.serve(lengths_s, arrivals_s, zero)
    for rid, at in enumerate(arrivals_s):
        delay = zero + at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        if time.perf_counter() - zero > limit_s:
            records.status[rid:] = "not_sent"
            break
        server.submit(rid)
    deadline = time.perf_counter() + limit_s
    while (records.status == "in_flight").any() and time.perf_counter() < deadline:
        time.sleep(0.005)
    server.close()
    records.minor_faults = _minor_faults() - faults_before
    return records
