"""The discrete-event model of a speech serving fleet (SimPy).

A request walks the six stages of the reference serving system:

    ingress → preprocess → route → infer (queue + dynamic batching) → postprocess → observe

Non-inference stages cost base + per-audio-second time; with `workers` set they are FIFO
servers, otherwise pure delays that need no event of their own. Inference is a pool of
replicas sharing one bounded queue: a free batch slot takes up to `max_batch` requests
once the queue holds that many or the oldest has waited `max_wait_ms`; the batch runs at
its longest item (padding) for a time interpolated from the pool's latency profile.
Requests past their deadline are cancelled when they reach the head, before taking a slot.

Speed matters (whole what-if grids are simulated), so the hot paths are callbacks on
SimPy events and long-lived processes serve only the timeline and metric sampling.
Arrivals are known before the run, so they are not heap events: the run loop admits
every arrival that falls before the next heap event (nothing can change the fleet in
between), and each admission acts at the arrival's own time. This is the classic
merge of a presorted arrival stream with the event list; it halves the events per
request without changing a single outcome.
"""

from __future__ import annotations

import gc
import math
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import accumulate

import numpy as np
import simpy

from simulator.fleet import FAMILIES, Fleet, PoolSpec, RouteRule, StageSpec
from simulator.profiles import ProfileLibrary, ServiceTimeModel
from simulator.recorder import (
    ERROR,
    INVALID_PAYLOAD,
    NO_ROUTE,
    OK,
    QUEUE_FULL,
    REJECTED,
    TIMEOUT,
    BatchConfig,
    BatchRecorder,
    RequestRecorder,
)
from simulator.rng import stream_rng
from simulator.timeline import TimelineEvent, set_path
from simulator.workload import RequestArrays

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
        self.env.timeout(self.service_s(rid)).callbacks.append(partial(self._finish, rid))

    def _finish(self, rid: int, _event: simpy.Event) -> None:
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


@dataclass
class ReplicaChange:
    t_s: float
    pool: str
    replicas: int
    price_per_hour: float
    device: str
    device_kind: str


class Pool:
    """Replicas of one model on one device kind, one bounded queue, dynamic batching.

    Methods that act on an arrival take its time `t` explicitly (t ≥ env.now): an
    arrival is admitted before the clock reaches it, when no event lies in between.
    """

    def __init__(self, sim: Simulation, name: str, index: int) -> None:
        self.sim = sim
        self.env = sim.env
        self.name = name
        self.index = index
        self.queue: deque[int] = deque()
        self.queued_at: deque[float] = deque()
        self.busy_slots = 0
        self.timer_at = math.inf
        self.noise = NoiseSource(stream_rng(sim.seed, "pool-noise", name))
        self.spec: PoolSpec
        self.service: ServiceTimeModel
        self._service_cache: dict[tuple[int, float], float] = {}
        self.reconfigure()

    def reconfigure(self) -> None:
        """Re-read the spec after a timeline change; log replica count and price."""
        fleet = self.sim.fleet
        self.spec = fleet.pools[self.name]
        model = fleet.models[self.spec.model]
        self.model_version = f"{self.spec.model}:{model.version}"
        self.service = self.sim.service_model(model.profile, self.spec.device)
        self._service_cache = {}
        self.max_batch = self.spec.batching.max_batch
        self.max_wait_s = self.spec.batching.max_wait_ms / 1000.0
        self.starts_alone = self.max_batch == 1 or self.max_wait_s == 0
        self.slots_total = self.spec.replicas * self.spec.slots_per_replica
        self.price_per_hour = fleet.pool_price(self.name)
        self.cost_per_s = self.price_per_hour / 3600.0 / self.spec.slots_per_replica
        noise = self.spec.service_noise
        if noise.dist == "profile":
            self.noise.configure("lognormal", self.service.profile.spread_cv**2)
        else:
            default_cs2 = 1.0 if noise.dist == "exponential" else 0.0
            self.noise.configure(noise.dist, noise.cs2 if noise.cs2 is not None else default_cs2)
        # what every batch started from now on shares: one code in the batch row
        self.config_code = self.sim.batches.config(
            BatchConfig(
                pool=self.index,
                device=self.sim.code("device", self.spec.device),
                model_version=self.sim.code("model_version", self.model_version),
                max_batch=self.max_batch,
                cost_per_s=self.cost_per_s,
            )
        )
        now = self.env.now
        self.sim.replica_log.append(
            ReplicaChange(
                now,
                self.name,
                self.spec.replicas,
                self.price_per_hour,
                self.spec.device,
                fleet.device(self.spec.device).kind,
            )
        )
        self.dispatch(now)

    def enqueue(self, rid: int, t: float) -> None:
        if len(self.queue) >= self.spec.queue_capacity:
            self.sim.finish_rejected(rid, QUEUE_FULL, t)
            return
        rec = self.sim.rec
        rec.enqueue_s[rid] = t
        rec.pool[rid] = self.index
        if self.busy_slots < self.slots_total and not self.queue and self.starts_alone:
            # idle slot, empty queue, nothing to wait for: the request is its own batch
            self._start([rid], t)
            return
        self.queue.append(rid)
        self.queued_at.append(t)
        if self.busy_slots < self.slots_total:
            self.dispatch(t)

    def dispatch(self, t: float) -> None:
        """Start batches while slots are free and a batch is due at time t."""
        queue = self.queue
        max_batch = self.max_batch
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
            if deadline[rid] < t:
                self.sim.finish_timeout(rid, t)
            else:
                batch.append(rid)
        return batch

    def _arm_timer(self, due: float) -> None:
        if due < self.timer_at:
            self.timer_at = due
            self.env.timeout(due - self.env.now).callbacks.append(self._on_timer)

    def _on_timer(self, _event: simpy.Event) -> None:
        now = self.env.now
        if now + EPS >= self.timer_at:
            self.timer_at = math.inf
        self.dispatch(now)

    def _start(self, batch: list[int], t: float) -> None:
        """Run a batch at its longest item; request-level infer times, cost, version and
        device are derived from the batch row when the tables are built."""
        sim = self.sim
        audio = sim.audio_s
        size = len(batch)
        if size == 1:
            longest = useful = audio[batch[0]]
        else:
            lengths = [audio[r] for r in batch]
            longest, useful = max(lengths), sum(lengths)
        key = (size, longest)
        base = self._service_cache.get(key)
        if base is None:
            base = self.service.latency_s(size, longest)
            if len(self._service_cache) < 4096:  # lengths are continuous: bound the memo
                self._service_cache[key] = base
        noise = self.noise.block
        end = t + base * (noise.pop() if noise else self.noise.next())
        rows = sim.batches.rows
        batch_id = len(rows)
        rows.append((self.config_code, size, longest, useful, t, end))
        batch_ids = sim.rec.batch_id
        for rid in batch:
            batch_ids[rid] = batch_id
        self.busy_slots += 1
        self.env.timeout(end - self.env.now).callbacks.append(partial(self._finish, batch))

    def _finish(self, batch: list[int], _event: simpy.Event) -> None:
        self.busy_slots -= 1
        now = self.env.now
        self.sim.after_infer(batch, now)
        if self.queue:
            self.dispatch(now)


class Simulation:
    """One run: a pure function of (fleet, requests, timeline, seed)."""

    def __init__(
        self,
        fleet: Fleet,
        requests: RequestArrays,
        timeline: list[TimelineEvent],
        seed: int,
        duration_s: float,
        profiles: ProfileLibrary,
        drain_limit_s: float = 600.0,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.fleet = fleet.model_copy(deep=True)
        self.progress = progress
        self.requests = requests
        self.timeline = sorted(timeline, key=lambda e: e.at_s)
        self.seed = seed
        self.duration_s = duration_s
        self.drain_limit_s = drain_limit_s
        self.profiles = profiles
        self._service_models: dict[tuple[str, str], ServiceTimeModel] = {}
        self.env = simpy.Environment()
        n = len(requests)
        self.rec = RequestRecorder(n)
        self.batches = BatchRecorder()
        self.replica_log: list[ReplicaChange] = []
        self.samples: list[tuple[float, int, int, int, int]] = []
        self.applied_events: list[tuple[float, TimelineEvent]] = []
        # hot-path inputs as Python lists: indexing numpy scalars is several times slower
        self.arrival = requests.arrival_s.tolist()
        self.audio_s = requests.audio_s.tolist()
        self.invalid = requests.invalid.tolist()
        self.u_route = requests.u_route.tolist()
        self.deadline = [math.inf] * n
        self.finished = 0
        self._streams: list[ArrivalStream] = []
        self._combos, combo_index = label_combinations(requests)
        self.combo = combo_index.tolist()
        self.vocab: dict[str, list[str]] = {"model_version": [], "device": [], "route": []}
        self.pool_names: list[str] = []
        self.pools: dict[str, Pool] = {}
        self._configure_stages()
        self._sync_pools()

    # --- configuration ----------------------------------------------------------------

    def code(self, vocabulary: str, label: str) -> int:
        words = self.vocab[vocabulary]
        if label not in words:
            words.append(label)
        return words.index(label)

    def _sync_pools(self) -> None:
        """Create runtimes for new pools; re-read every pool's spec."""
        for name in self.fleet.pools:
            if name in self.pools:
                self.pools[name].reconfigure()
            else:
                self.pool_names.append(name)
                self.pools[name] = Pool(self, name, len(self.pool_names) - 1)

    def service_model(self, profile: str, device: str) -> ServiceTimeModel:
        key = (profile, device)
        if key not in self._service_models:
            self._service_models[key] = ServiceTimeModel(self.profiles.get(profile, device))
        return self._service_models[key]

    def _configure_stages(self) -> None:
        stages = self.fleet.stages
        self.front = [stages.ingress, stages.preprocess, stages.route]
        self.back = [stages.postprocess, stages.observe]
        self.front_servers = [self._server(s, True, i) for i, s in enumerate(self.front)]
        self.back_servers = [self._server(s, False, i) for i, s in enumerate(self.back)]
        # pure-delay back stages collapse to one affine cost of the audio length
        self.back_is_delay = all(s is None for s in self.back_servers)
        self.back_base_s = sum(s.base_ms for s in self.back) / 1000.0
        self.back_per_s = sum(s.per_audio_s_ms for s in self.back) / 1000.0
        self.timeout_s = [
            (slo.timeout_ms / 1000.0 if slo.timeout_ms else math.inf)
            if (slo := self.fleet.slos.get(kind)) is not None  # type: ignore[call-overload]
            else math.inf
            for kind in FAMILIES
        ]
        self.route_codes = [
            self.code("route", rule.name or f"route-{i}")
            for i, rule in enumerate(self.fleet.routes)
        ]
        self._routes: list[tuple[list[Pool], list[float], int] | None] = [None] * len(self._combos)

    def _server(self, spec: StageSpec, front: bool, index: int) -> FifoStage | None:
        if spec.workers is None:
            return None
        walk = self._walk_front if front else self._walk_back

        def done(rid: int) -> None:
            self._stage_done(front, index, rid, self.env.now)
            walk(rid, index + 1, self.env.now)

        return FifoStage(self.env, spec.workers, partial(self._stage_s, spec), done)

    def _stage_s(self, spec: StageSpec, rid: int) -> float:
        return (spec.base_ms + spec.per_audio_s_ms * self.audio_s[rid]) / 1000.0

    # --- arrivals: planned per epoch (the span between two timeline events) ----------

    def _epochs(self) -> simpy.events.ProcessGenerator:
        """Apply timeline events in order; after each, plan the arrivals up to the next.

        Front-stage settings change only at timeline events, so within an epoch every
        arrival's ingress/preprocess/route times are computed at once, vectorised.
        """
        starts = sorted({0.0, *(e.at_s for e in self.timeline)})
        for k, start in enumerate(starts):
            if start > self.env.now:
                yield self.env.timeout(start - self.env.now)
            for event in self.timeline:
                if event.at_s == start:
                    self.apply(event)
            end = starts[k + 1] if k + 1 < len(starts) else math.inf
            lo = bisect_left(self.arrival, start)
            hi = bisect_left(self.arrival, end)
            if hi > lo:
                self._plan_epoch(lo, hi)

    def _plan_epoch(self, lo: int, hi: int) -> None:
        kind = self.requests.kind[lo:hi]
        timeouts = np.array(self.timeout_s)[kind]
        self.deadline[lo:hi] = (self.requests.arrival_s[lo:hi] + timeouts).tolist()
        if any(s is not None for s in self.front_servers):
            self.env.process(self._admit_one_by_one(lo, hi))
            return
        route_at = self._plan_front(lo, hi)
        order = np.argsort(route_at, kind="stable")
        order = order[np.isfinite(route_at[order])]
        if len(order):
            self._streams.append(ArrivalStream(route_at[order].tolist(), (order + lo).tolist()))

    def _plan_front(self, lo: int, hi: int) -> np.ndarray:
        """Vectorised pure-delay front stages; rejects invalid payloads at ingress.
        Rejected rows get an infinite routing time: they never reach the router."""
        audio = self.requests.audio_s[lo:hi]
        t = self.requests.arrival_s[lo:hi].copy()
        for i, spec in enumerate(self.front):
            t = t + (spec.base_ms + spec.per_audio_s_ms * audio) / 1000.0
            if i == 0:
                self.rec.ingress_done_s[lo:hi] = t
                if self.fleet.stages.reject_invalid:
                    invalid = np.flatnonzero(self.requests.invalid[lo:hi]) + lo
                    self.rec.status[invalid] = REJECTED
                    self.rec.reason[invalid] = INVALID_PAYLOAD
                    self.rec.done_s[invalid] = self.rec.ingress_done_s[invalid]
                    self.finished += len(invalid)
                    t[invalid - lo] = math.inf
            elif i == 1:
                self.rec.preprocess_done_s[lo:hi] = t
        return t

    def _admit_one_by_one(self, lo: int, hi: int) -> simpy.events.ProcessGenerator:
        env = self.env
        for rid in range(lo, hi):
            t = self.arrival[rid]
            if t > env.now:
                yield env.timeout(t - env.now)
            if self.invalid[rid] and self.fleet.stages.reject_invalid:
                done = t + self._stage_s(self.front[0], rid)
                self.rec.ingress_done_s[rid] = done
                self.finish_rejected(rid, INVALID_PAYLOAD, done)
                continue
            self._walk_front(rid, 0, t)

    def _walk_front(self, rid: int, start: int, t: float) -> None:
        """Advance through pure-delay stages arithmetically; hand off to FIFO stages."""
        for i in range(start, len(self.front)):
            server = self.front_servers[i]
            if server is not None:
                self._at(t, partial(server.arrive, rid))
                return
            t += self._stage_s(self.front[i], rid)
            self._stage_done(True, i, rid, t)
        self._at(t, lambda: self._route(rid, self.env.now))

    def _walk_back(self, rid: int, start: int, t: float) -> None:
        for i in range(start, len(self.back)):
            server = self.back_servers[i]
            if server is not None:
                self._at(t, partial(server.arrive, rid))
                return
            t += self._stage_s(self.back[i], rid)
        self._complete(rid, t)

    def _stage_done(self, front: bool, index: int, rid: int, t: float) -> None:
        if front and index == 0:
            self.rec.ingress_done_s[rid] = t
        elif front and index == 1:
            self.rec.preprocess_done_s[rid] = t

    def _at(self, t: float, fn: Callable[[], None]) -> None:
        delay = t - self.env.now
        if delay <= 0:
            fn()
        else:
            self.env.timeout(delay).callbacks.append(lambda _e: fn())

    # --- route, infer, complete -------------------------------------------------------

    def _route(self, rid: int, t: float) -> None:
        entry = self._routes[self.combo[rid]]
        if entry is None:
            entry = self._resolve_route(self.combo[rid])
        pools, cumulative, code = entry
        if not pools:
            self.finish_rejected(rid, NO_ROUTE, t)
            return
        self.rec.route[rid] = code
        if len(pools) == 1:
            pools[0].enqueue(rid, t)
        else:
            u = self.u_route[rid]
            pools[min(bisect_right(cumulative, u), len(pools) - 1)].enqueue(rid, t)

    def _resolve_route(self, combo: int) -> tuple[list[Pool], list[float], int]:
        found = match_rule(self.fleet.routes, self._combos[combo], self.requests.vocab)
        if found is None:
            entry: tuple[list[Pool], list[float], int] = ([], [], -1)
        else:
            rule, index = found
            targets = {k: v for k, v in rule.targets().items() if v > 0}
            total = sum(targets.values())
            cumulative = list(accumulate(w / total for w in targets.values()))
            entry = ([self.pools[p] for p in targets], cumulative, self.route_codes[index])
        self._routes[combo] = entry
        return entry

    def after_infer(self, batch: list[int], t: float) -> None:
        if not self.back_is_delay:
            for rid in batch:
                self._walk_back(rid, 0, t)
            return
        base, per, audio, invalid = self.back_base_s, self.back_per_s, self.audio_s, self.invalid
        done, status = self.rec.done_s, self.rec.status
        for rid in batch:
            done[rid] = t + base + per * audio[rid]
            status[rid] = ERROR if invalid[rid] else OK
        self.finished += len(batch)

    def _complete(self, rid: int, t: float) -> None:
        self.rec.done_s[rid] = t
        self.rec.status[rid] = ERROR if self.invalid[rid] else OK
        self.finished += 1

    def finish_rejected(self, rid: int, reason: int, t: float) -> None:
        self.rec.status[rid] = REJECTED
        self.rec.reason[rid] = reason
        self.rec.done_s[rid] = t
        self.finished += 1

    def finish_timeout(self, rid: int, t: float) -> None:
        self.rec.status[rid] = TIMEOUT
        self.rec.done_s[rid] = t
        self.finished += 1

    # --- timeline and sampling --------------------------------------------------------

    def apply(self, event: TimelineEvent) -> None:
        for path, value in event.set.items():
            set_path(self.fleet, path, value)
        self.applied_events.append((self.env.now, event))
        self._configure_stages()
        self._sync_pools()

    def _sampler(self) -> simpy.events.ProcessGenerator:
        interval = self.fleet.metrics_interval_s
        n = len(self.arrival)
        while self.env.now <= self.duration_s or self.finished < n:
            for pool in self.pools.values():
                self.samples.append(
                    (self.env.now, pool.index, len(pool.queue), pool.busy_slots, pool.slots_total)
                )
            yield self.env.timeout(interval)

    def _report_progress(self, report: Callable[[float], None]) -> simpy.events.ProcessGenerator:
        """Tell `report` the fraction of simulated time done, 100 times over the run."""
        step = max(self.duration_s / 100.0, 1e-9)
        while self.env.now < self.duration_s:
            yield self.env.timeout(step)
            report(min(self.env.now / self.duration_s, 1.0))

    def run(self) -> None:
        """Run with the cyclic garbage collector paused: the run allocates millions of
        short-lived, acyclic objects (events, batch rows) that reference counting frees,
        and full collections over them would cost more than the simulation itself."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._run()
        finally:
            if was_enabled:
                gc.enable()

    def _run(self) -> None:
        """Step SimPy's event list, admitting presorted arrivals that come before the next
        event. Stops when nothing is left or at duration + drain limit."""
        env = self.env
        env.process(self._epochs())
        env.process(self._sampler())
        if self.progress is not None:
            env.process(self._report_progress(self.progress))
        until = self.duration_s + self.drain_limit_s
        heap = env._queue  # SimPy's event heap of (time, priority, id, event)
        streams = self._streams
        step, route = env.step, self._route
        while True:
            t_event = heap[0][0] if heap else math.inf
            if streams:
                stream = streams[0] if len(streams) == 1 else min(streams, key=ArrivalStream.head)
                # admit this stream's arrivals up to the next event (which may move earlier)
                times, rids, i, n = stream.times, stream.rids, stream.next, len(stream.times)
                while i < n and times[i] < t_event and times[i] <= until:
                    route(rids[i], times[i])
                    i += 1
                    if heap and heap[0][0] < t_event:
                        t_event = heap[0][0]
                    if len(streams) > 1:
                        break  # another epoch's arrivals may interleave: re-pick the stream
                stream.next = i
                if i == n:
                    streams.remove(stream)
                if i < n and times[i] < t_event and times[i] <= until:
                    continue
            if t_event > until:
                break
            step()

    @property
    def horizon_s(self) -> float:
        done = self.rec.done_s
        last = float(np.nanmax(done)) if np.isfinite(done).any() else 0.0
        return max(self.duration_s, last)


@dataclass
class ArrivalStream:
    """Planned arrivals at the router of one epoch, sorted by time; consumed in order."""

    times: list[float]
    rids: list[int]
    next: int = 0

    def head(self) -> float:
        return self.times[self.next]


def label_combinations(requests: RequestArrays) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """Distinct (kind, tenant, language, cohort, slice) tuples and each request's index."""
    columns = [requests.kind, requests.tenant, requests.language, requests.cohort, requests.slice]
    key = np.zeros(len(requests), dtype=np.int64)
    for column in columns:  # codes are < 2**12: pack five into one integer
        key = key * 4096 + column.astype(np.int64)
    unique, inverse = np.unique(key, return_inverse=True)
    combos = []
    for packed in unique.tolist():
        parts = []
        for _ in columns:
            packed, code = divmod(packed, 4096)
            parts.append(code)
        combos.append(tuple(reversed(parts)))
    return combos, inverse.reshape(-1)


def match_rule(
    rules: list[RouteRule], key: tuple[int, ...], vocab: dict[str, list[str]]
) -> tuple[RouteRule, int] | None:
    kind, tenant, language, cohort, slice_ = key
    labels = {
        "kind": FAMILIES[kind],
        "tenant": vocab["tenant"][tenant],
        "language": vocab["language"][language],
        "cohort": vocab["cohort"][cohort],
        "slice": vocab["slice"][slice_],
    }
    for index, rule in enumerate(rules):
        wanted = rule.match.model_dump(exclude_none=True)
        if all(labels[k] == v for k, v in wanted.items()):
            return rule, index
    return None
