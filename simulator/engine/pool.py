"""Inference pools: replicas of one model on one device kind behind one bounded queue.

A free batch slot takes up to `max_batch` requests once the queue holds that many or the
oldest has waited `max_wait_ms`; the batch runs at its longest item (padding) for a time
interpolated from the pool's latency profile, times measured noise. Requests past their
deadline time out when they reach the head: dropped before taking a slot, or (a pool with
`drop_expired: false`, no deadline propagation) served anyway as wasted work. A pool that is
unhealthy or backed up hands requests to its fallback pool (one hop).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np
import simpy

from simulator.engine.calls import call_at, call_until
from simulator.engine.host import PoolHost
from simulator.rng import stream_rng
from simulator.spec.fleet import HostDrift, PoolSpec, padded_length
from simulator.spec.profiles import ServiceTimeModel
from simulator.telemetry.recorder import FALLBACK, QUEUE_FULL, UNHEALTHY, BatchConfig, ReplicaChange

NOISE_BLOCK = 4096
EPS = 1e-12


class FifoStage:
    """A stage with `workers` identical FIFO servers and an unbounded queue."""

    def __init__(
        self,
        env: simpy.Environment,
        workers: int,
        service_s: Callable[[int], float],
        on_done: Callable[[int], None],
    ) -> None:
        self.env = env
        self.workers = workers
        self.busy = 0
        self.queue: deque[int] = deque()
        self.service_s = service_s
        self.on_done = on_done

    def arrive(self, rid: int) -> None:
        if self.busy < self.workers:
            self._start(rid)
        else:
            self.queue.append(rid)

    def _start(self, rid: int) -> None:
        self.busy += 1
        call_at(self.env, self.service_s(rid), self._finish, rid)

    def _finish(self, rid: int) -> None:
        self.busy -= 1
        self.on_done(rid)
        if self.queue and self.busy < self.workers:
            self._start(self.queue.popleft())


class NoiseSource:
    """Multiplicative service-time noise with mean 1, drawn in blocks for speed."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.block: list[float] = []
        self.setting: tuple[str, float] = ("none", 0.0)

    def configure(self, dist: str, cs2: float) -> None:
        if (dist, cs2) != self.setting:
            self.setting = (dist, cs2)
            self.block = []

    def next(self) -> float:
        if not self.block:
            self.block = self._draw().tolist()
            self.block.reverse()
        return self.block.pop()

    def _draw(self) -> np.ndarray:
        dist, cs2 = self.setting
        if dist == "none" or cs2 <= 0:
            return np.ones(NOISE_BLOCK)
        if dist == "exponential":
            return self.rng.exponential(1.0, NOISE_BLOCK)
        if dist == "gamma":
            shape = 1.0 / cs2
            return self.rng.gamma(shape, 1.0 / shape, NOISE_BLOCK)
        sigma2 = math.log1p(cs2)  # log-normal with mean 1 and this SCV
        return self.rng.lognormal(-sigma2 / 2, math.sqrt(sigma2), NOISE_BLOCK)


class HostSpeed:
    """The pool's host speed factor over time (`HostDrift`): log-speed is an
    Ornstein-Uhlenbeck process, stepped exactly from the last batch to this one, so it
    costs one normal draw per batch and nothing in between. Its own random stream: turning
    drift on leaves every other draw of the run unchanged. The state is kept in units of
    its own spread, so a new spread (a timeline change, drift off and on again) keeps
    the host where it is in its law."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.sigma = 0.0  # stationary spread of log-speed
        self.correlation_s = 1.0
        self.standard = 0.0  # log-speed deviation over sigma: stationary N(0, 1)
        self.read_at = -math.inf  # the first read draws from the stationary law

    def configure(self, drift: HostDrift | None) -> None:
        self.sigma = math.sqrt(math.log1p(drift.cv**2)) if drift is not None else 0.0
        self.correlation_s = drift.correlation_s if drift is not None else 1.0

    def factor(self, t: float) -> float:
        """The factor at time t, mean 1 over the stationary law. Batches admitted ahead
        of the clock may start out of time order across slots: the step then spans the
        gap backwards (exact for the gap, not one path through time; such gaps are
        milliseconds)."""
        keep = math.exp(-abs(t - self.read_at) / self.correlation_s)
        shock = math.sqrt(1.0 - keep * keep) * float(self.rng.standard_normal())
        self.standard = keep * self.standard + shock
        self.read_at = t
        return math.exp(self.sigma * self.standard - self.sigma**2 / 2)


class Pool:
    """Replicas of one model on one device kind, one bounded queue, dynamic batching.

    Methods that act on an arrival take its time `t` explicitly (t ≥ env.now): an
    arrival is admitted before the clock reaches it, when no event lies in between.
    """

    def __init__(self, sim: PoolHost, name: str, index: int) -> None:
        self.sim = sim
        self.env = sim.env
        self.name = name
        self.index = index
        self.queue: deque[int] = deque()
        self.queued_at: deque[float] = deque()
        self.busy_slots = 0
        self.busy_seconds = 0.0  # slot-seconds of batches started, for the autoscaler
        self.in_service = 0  # requests in running batches
        self.arrivals = 0  # requests offered, for the autoscaler's activity check
        self.loading = 0  # replicas provisioned by the autoscaler, not ready yet
        self.cold_batches = 0  # fresh replicas whose first batch pays the model's warm-up
        self.timer_at = math.inf
        self.noise = NoiseSource(stream_rng(sim.seed, "pool-noise", name))
        self.host = HostSpeed(stream_rng(sim.seed, "pool-host-drift", name))
        self.spec: PoolSpec
        self.service: ServiceTimeModel
        self._service_cache: dict[tuple[int, float], float] = {}
        self._done = self._finish  # bound once: every batch schedules it
        self._audio_s, self._batch_rows = sim.audio_s, sim.batches.rows  # lists kept whole
        self.free_since: deque[float] = deque()  # when each free slot went idle, in order
        self.reconfigure()

    def reconfigure(self) -> None:
        """Re-read the spec after a timeline change; log replica count and price."""
        fleet = self.sim.fleet
        self.spec = fleet.pools[self.name]
        model = fleet.models[self.spec.model]
        version = f"{self.spec.model}:{model.version}"
        rollout = (version, self.spec.generation)
        if rollout != getattr(self, "rollout", rollout):
            self.cold_batches = self.spec.replicas  # a deploy: every replica starts cold
        self.rollout = rollout
        self.model_version = version
        self.model = model
        self.streaming = model.family == "asr-streaming"
        self.is_tts = model.family == "tts"
        self.service = self.sim.service_model(model, self.spec.device)
        self._service_cache = {}
        self.idle_penalty = self.service.profile.idle_penalty_ms > 0
        # a streaming session is admitted alone into a decoder slot; its chunks are batched
        # with the other sessions on the replica (see _session)
        self.max_batch = 1 if self.streaming else self.spec.batching.max_batch
        self.max_wait_s = 0.0 if self.streaming else self.spec.batching.max_wait_ms / 1000.0
        self.starts_alone = self.max_batch == 1 or self.max_wait_s == 0
        self.bucket_s = 0.0 if self.streaming else self.spec.batching.length_bucket_s
        self.slots_total = self.spec.replicas * self.spec.slots_per_replica
        self.healthy = self.spec.healthy
        self.queue_capacity = self.spec.queue_capacity
        self.drop_expired = self.spec.drop_expired
        self.fallback: Pool | None = None  # resolved by link_fallback once all pools exist
        self.falls_back_unhealthy = False
        self.fallback_threshold = math.inf
        self.price_per_hour = fleet.pool_price(self.name)
        self.cost_per_s = self.price_per_hour / 3600.0 / self.spec.slots_per_replica
        noise = self.spec.service_noise
        if noise.dist == "profile":
            self.noise.configure("lognormal", self.service.profile.spread_cv**2)
        else:
            default_cs2 = 1.0 if noise.dist == "exponential" else 0.0
            self.noise.configure(noise.dist, noise.cs2 if noise.cs2 is not None else default_cs2)
        self.host.configure(self.spec.host_drift)
        self.drifts = self.host.sigma > 0
        # nothing but the profile and its noise sets a batch's time (see _start)
        self.plain = not (self.idle_penalty or self.drifts or self.streaming or self.is_tts)
        # what every batch started from now on shares: one code in the batch row
        self.config_code = self.sim.batches.config(
            BatchConfig(
                pool=self.index,
                device=self.sim.code("device", self.spec.device),
                model_version=self.sim.code("model_version", self.model_version),
                model=self.sim.snapshot(model),
                max_batch=self.max_batch,
                cost_per_s=self.cost_per_s,
            )
        )
        self.log_replicas()
        self.dispatch(self.env.now)

    def log_replicas(self) -> None:
        scaler = self.spec.autoscaler
        standby = scaler.warm_pool if scaler is not None and scaler.enabled else 0
        self.sim.replica_log.append(
            ReplicaChange(
                self.env.now,
                self.name,
                self.spec.replicas,
                self.spec.replicas + self.loading + standby,
                self.price_per_hour,
                self.spec.device,
                self.sim.fleet.device(self.spec.device).kind,
            )
        )

    def link_fallback(self, pools: dict[str, Pool]) -> None:
        spec = self.spec.fallback
        self.fallback = pools[spec.pool] if spec is not None else None
        if spec is None:
            return
        self.falls_back_unhealthy = spec.when_unhealthy and not self.spec.healthy
        over = spec.when_queue_over
        self.fallback_threshold = over if over is not None else self.spec.queue_capacity

    def enqueue(self, rid: int, t: float, hop: int = 0) -> None:
        self.arrivals += 1
        queue = self.queue
        if (
            self.fallback is not None
            and hop == 0
            and (self.falls_back_unhealthy or len(queue) >= self.fallback_threshold)
        ):
            self.sim.rec.tags[rid] |= FALLBACK
            self.fallback.enqueue(rid, t, hop=1)
            return
        if not self.healthy:
            self.sim.finish_rejected(rid, UNHEALTHY, t)
            return
        idle = self.busy_slots < self.slots_total and not queue and self.starts_alone
        if not idle and len(queue) >= self.queue_capacity:
            self.sim.finish_rejected(rid, QUEUE_FULL, t)
            return
        rec = self.sim.rec
        rec.enqueue_s[rid] = t
        rec.pool[rid] = self.index
        if idle:
            # idle slot, empty queue, nothing to wait for: the request is its own batch
            self._start([rid], t)
            return
        queue.append(rid)
        self.queued_at.append(t)
        if self.busy_slots < self.slots_total:
            self.dispatch(t)

    def dispatch(self, t: float) -> None:
        """Start batches while slots are free and a batch is due at time t."""
        queue = self.queue
        max_batch = self.max_batch
        if max_batch == 1:  # nothing waits for company
            deadline, queued_at = self.sim.deadline, self.queued_at
            while queue and self.busy_slots < self.slots_total:
                rid = queue.popleft()
                queued_at.popleft()
                if deadline[rid] < t and self._time_out(rid, t):
                    continue
                self._start([rid], t)
            return
        while queue and self.busy_slots < self.slots_total:
            if len(queue) < max_batch:
                due = self.queued_at[0] + self.max_wait_s
                if t + EPS < due:
                    self._arm_timer(due)
                    return
            batch = self._take(max_batch, t)
            if batch:
                self._start(batch, t)

    def _take(self, max_batch: int, t: float) -> list[int]:
        deadline = self.sim.deadline
        queue, queued_at = self.queue, self.queued_at
        batch: list[int] = []
        while queue and len(batch) < max_batch:
            rid = queue.popleft()
            queued_at.popleft()
            if deadline[rid] < t and self._time_out(rid, t):
                continue
            batch.append(rid)
        return batch

    def _time_out(self, rid: int, t: float) -> bool:
        """A request at the head past its deadline times out; True if the pool drops it,
        False if it serves it anyway (no deadline propagation: wasted work)."""
        self.sim.finish_timeout(rid, t, served=not self.drop_expired)
        return self.drop_expired

    def _arm_timer(self, due: float) -> None:
        if due < self.timer_at:
            self.timer_at = due
            call_at(self.env, due - self.env.now, self._on_timer, None)

    def _on_timer(self, _arg: None) -> None:
        now = self.env.now
        if now + EPS >= self.timer_at:
            self.timer_at = math.inf
        self.dispatch(now)

    def _start(self, batch: list[int], t: float) -> None:
        """Run a batch at its longest item; request-level infer times, cost, version and
        device are derived from the batch row when the tables are built."""
        audio = self._audio_s
        size = len(batch)
        if size == 1:
            longest = useful = audio[batch[0]]
        else:
            lengths = [audio[r] for r in batch]
            longest, useful = max(lengths), sum(lengths)
        if self.bucket_s:
            longest = padded_length(longest, self.bucket_s)
        block = self.noise.block
        factor = block.pop() if block else self.noise.next()
        if self.plain and not self.cold_batches:
            base = self._service_cache.get((size, longest))
            if base is None:
                base = self._service_s(size, longest)
            end = t + base * factor
        else:
            end = self._special_end(batch, t, size, longest, factor)
        rows = self._batch_rows
        batch_id = len(rows)
        rows.append((self.config_code, size, longest, useful, t, end))
        batch_ids = self.sim.rec.batch_id
        for rid in batch:
            batch_ids[rid] = batch_id
        self.busy_slots += 1
        self.busy_seconds += end - t
        self.in_service += size
        call_until(self.env, end, self._done, batch)

    def _special_end(
        self, batch: list[int], t: float, size: int, longest: float, factor: float
    ) -> float:
        """When a batch started at t ends on a pool that is not plain: a cold replica's
        warm-up, an idle replica's penalty, host drift, streaming sessions, TTS."""
        warmup = 0.0
        if self.cold_batches > 0:
            self.cold_batches -= 1
            warmup = self.model.warmup_ms / 1000.0
        if self.idle_penalty:
            warmup += self._idle_penalty_s(t)
        if self.drifts:
            factor *= self.host.factor(t)
        if self.streaming:
            return self._session(batch[0], t, factor, warmup)
        base = self._service_cache.get((size, longest))
        if base is None:
            base = self._service_s(size, longest)
        end = t + base * factor + warmup
        if self.is_tts:
            self._first_audio_byte(batch, t, longest, factor, warmup)
        return end

    def _idle_penalty_s(self, t: float) -> float:
        """The slot freed last takes the batch (as a waiting worker thread would); a slot
        never used yet counts as long idle."""
        idle = t - self.free_since.pop() if self.free_since else math.inf
        return self.service.idle_penalty_s(idle)

    def _service_s(self, size: int, length: float) -> float:
        key = (size, length)
        base = self._service_cache.get(key)
        if base is None:
            base = self.service.latency_s(size, length) * self.spec.slowdown
            if len(self._service_cache) < 4096:  # lengths are continuous: bound the memo
                self._service_cache[key] = base
        return base

    def _first_audio_byte(
        self, batch: list[int], t: float, longest: float, factor: float, warmup: float
    ) -> None:
        """TTS: the first audio leaves after text normalisation and the synthesis of the
        first release unit (a chunk, the first sentence, or the whole utterance)."""
        tts = self.model.tts
        unit = {
            "chunk": tts.chunk_s,
            "sentence": min(longest, tts.sentence_s),
            "utterance": longest,
        }[tts.release]
        ready = t + tts.text_norm_ms / 1000.0 + warmup
        ready += self._service_s(len(batch), unit) * factor
        sim = self.sim
        for rid in batch:
            sim.rec.first_audio_byte_ms[rid] = (ready - sim.arrival[rid]) * 1000.0
            if rid in sim.agent_turn:
                sim.record_first_response(rid, ready)

    def _session(self, rid: int, t: float, factor: float, warmup: float) -> float:
        """A streaming session holds a decoder slot from admission until its final result.

        Chunks of all sessions on a replica are decoded together, one round per chunk
        interval, each round taking the profile's time for that batch of chunks (plus, with
        LM rescoring of partials, a rescoring pass per session); a round slower than the
        chunk interval makes the session fall behind real time.
        Returns the time the final result is ready (the slot is freed then).
        """
        sim = self.sim
        arrival, audio = sim.arrival[rid], sim.audio_s[rid]
        chunk = self.model.decoder.chunk_ms / 1000.0
        per_replica = math.ceil((self.busy_slots + 1) / max(self.spec.replicas, 1))
        round_s = self._service_s(per_replica, chunk) * factor
        decoder = self.model.decoder
        if decoder.lm_rescoring_partials:  # a second pass per session's partial, each round
            round_s += per_replica * decoder.lm_rescoring_ms / 1000.0 * factor
        jitter = sim.jitter_s(rid)
        first = max(arrival + chunk, t) + warmup + round_s + jitter
        decoded = t + warmup + math.ceil(audio / chunk) * round_s
        final = max(arrival + audio, decoded) + self.model.decoder.endpoint_silence_ms / 1000.0
        final += round_s + jitter
        sim.rec.first_partial_ms[rid] = (first - arrival) * 1000.0
        sim.rec.final_ms[rid] = (final - arrival - audio) * 1000.0
        return final

    def _finish(self, batch: list[int]) -> None:
        self.busy_slots -= 1
        self.in_service -= len(batch)
        now = self.env.now
        if self.idle_penalty:
            self.free_since.append(now)
            if len(self.free_since) > self.slots_total:
                self.free_since.popleft()
        self.sim.after_infer(batch, now)
        if self.streaming and self.sim.fleet.agent is not None:
            self.sim.agent_replies(batch)
        if self.queue:
            self.dispatch(now)
