"""The discrete-event model of a speech serving fleet (SimPy).

A request walks the six stages of the reference serving system:

    ingress → preprocess → route → infer (queue + dynamic batching) → postprocess → observe

Non-inference stages cost base + per-audio-second time; with `workers` set they are FIFO
servers, otherwise pure delays that need no event of their own. Inference pools live in
pool.py, the route stage in routing.py.

Speed matters (whole what-if grids are simulated), so the hot paths are callbacks on
SimPy events and long-lived processes serve only the timeline and metric sampling.
Arrivals are known before the run, so they are not heap events: the run loop admits
every arrival that falls before the next heap event (nothing can change the fleet in
between), and each admission acts at the arrival's own time. This is the classic
merge of a presorted arrival stream with the event list; it halves the events per
request without changing a single outcome. Retries join through a second, small heap.
"""

from __future__ import annotations

import gc
import heapq
import math
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import simpy
from simpy.events import URGENT

from simulator.autoscaler import Autoscaler
from simulator.fleet import (
    FAMILIES,
    CascadeSpec,
    CohortSpec,
    Fleet,
    ModelSpec,
    PreprocessSpec,
    StageSpec,
)
from simulator.pool import FifoStage, Pool
from simulator.profiles import ProfileLibrary, ServiceTimeModel
from simulator.quality import acoustic_summaries
from simulator.recorder import (
    CANARY,
    ERROR,
    INVALID_PAYLOAD,
    NO_ROUTE,
    OK,
    REJECTED,
    RETRY,
    SHADOW,
    SHADOW_TAG,
    STATUSES,
    TIMEOUT,
    BatchRecorder,
    ReplicaChange,
    RequestRecorder,
)
from simulator.rng import stream_rng
from simulator.routing import RouteChoice, label_combinations, match_rule, resolve
from simulator.timeline import TimelineEvent, set_path
from simulator.workload import RequestArrays


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
        self.snapshots: list[ModelSpec] = []
        self._snapshot_index: dict[str, int] = {}
        self.preprocess_snapshots: list[PreprocessSpec] = []
        self.env = simpy.Environment()
        n = len(requests)
        self.rec = RequestRecorder(n)
        self.batches = BatchRecorder()
        self.replica_log: list[ReplicaChange] = []
        self.samples: list[tuple[float, int, int, int, int]] = []
        self.applied_events: list[tuple[float, TimelineEvent]] = []
        self.notices: list[tuple[float, str, str, str]] = []  # the `events` table
        # hot-path inputs as Python lists: indexing numpy scalars is several times slower
        self.arrival = requests.arrival_s.tolist()
        self.audio_s = requests.audio_s.tolist()
        self.invalid = requests.invalid.tolist()
        self.u_route = requests.u_route.tolist()
        self.u_mirror = requests.u_mirror.tolist()
        self.deadline = [math.inf] * n
        self.finished = 0
        # shadow copies and retries become extra request rows, cloned from a source row
        self.clone_source: list[int] = []
        self.attempt: dict[int, int] = {}
        self._late: list[tuple[float, int]] = []  # (router time, request id) of retries
        self.n0 = n  # ids from n on are clones
        self.shadows: set[int] = set()
        self.kind_override: dict[int, int] = {}  # clones of another kind (agent replies)
        self.agent_turn: dict[int, int] = {}  # agent reply row -> the user's session row
        self._recent_retries: deque[float] = deque()
        self._streams: list[ArrivalStream] = []
        # a run can pause at any instant and take new timeline events there (see advance)
        self._started = False
        self._epochs_scheduled: set[float] = set()
        self._epoch_start: float | None = None  # the latest epoch begun
        self._planned_to = 0.0  # arrivals before this time are planned
        self._limit = math.inf  # the pause point: no arrival at or after it is planned
        self.frontier = 0.0  # everything before this time has happened
        # acoustic conditions of each first attempt, set when its epoch is planned
        self._z_acoustic = stream_rng(seed, "acoustics").standard_normal((n, 4))
        self.acoustics: dict[str, np.ndarray] = {}
        self.true_rate_hz = np.zeros(n)
        self.preprocess_code = np.zeros(n, dtype=np.int16)
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
        """Create runtimes for new pools; re-read every pool's spec; link fallbacks."""
        for name in self.fleet.pools:
            if name in self.pools:
                self.pools[name].reconfigure()
            else:
                self.pool_names.append(name)
                self.pools[name] = Pool(self, name, len(self.pool_names) - 1)
                self.env.process(Autoscaler(self, self.pools[name]).run())
        for pool in self.pools.values():
            pool.link_fallback(self.pools)

    def service_model(self, model: ModelSpec, device: str) -> ServiceTimeModel:
        """The model's profile on this device; decoder settings pick a measured variant
        (`<profile>-nokv` without a KV cache, `<profile>-beam<N>` for beam search)."""
        names = [model.profile]
        if model.decoder.beam > 1:
            names.insert(0, f"{model.profile}-beam{model.decoder.beam}")
        if not model.decoder.kv_cache:
            names.insert(0, f"{model.profile}-nokv")
        name = next((n for n in names if self.profiles.has(n, device)), model.profile)
        key = (name, device)
        if key not in self._service_models:
            self._service_models[key] = ServiceTimeModel(self.profiles.get(name, device))
        return self._service_models[key]

    def snapshot(self, model: ModelSpec) -> int:
        """Index of a frozen copy of the model's settings (quality and decoder) as of now."""
        frozen = model.model_dump_json()
        if frozen not in self._snapshot_index:
            self._snapshot_index[frozen] = len(self.snapshots)
            self.snapshots.append(model.model_copy(deep=True))
        return self._snapshot_index[frozen]

    def quality_normals(self, origin: np.ndarray) -> np.ndarray:
        """Two standard normals per first attempt for the quality model (seeded apart)."""
        return stream_rng(self.seed, "quality").standard_normal((len(self.requests), 2))[origin]

    def jitter_s(self, rid: int) -> float:
        return float(self.acoustics["jitter_ms"][self.original(rid)]) / 1000.0

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
        self._routes: list[RouteChoice | None] = [None] * len(self._combos)

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

    def _schedule_epoch(self, start: float) -> None:
        """Timeline events act before anything else at their instant (URGENT priority), so
        an event added to a paused run lands exactly where it would in a fresh one."""
        if start in self._epochs_scheduled:
            return
        self._epochs_scheduled.add(start)
        event = simpy.Event(self.env)
        event._ok, event._value = True, None
        event.callbacks.append(partial(self._begin_epoch, start))
        self.env.schedule(event, URGENT, start - self.env.now)

    def _begin_epoch(self, start: float, _event: simpy.Event | None = None) -> None:
        """Apply the timeline events at `start`, then plan arrivals up to the next one.

        Front-stage settings change only at timeline events, so within an epoch every
        arrival's ingress/preprocess/route times are computed at once, vectorised.
        """
        for event in self.timeline:
            if event.at_s == start:
                self.apply(event)
        self._epoch_start = start
        later = [e.at_s for e in self.timeline if e.at_s > start]
        if later:
            self._schedule_epoch(min(later))
        self._plan()

    def _plan(self) -> None:
        """Plan the current epoch's arrivals up to its end or the pause point, whichever
        comes first: an arrival is planned only once the run may reach it unchanged."""
        if self._epoch_start is None:
            return  # epoch 0 applies its events first
        later = [e.at_s for e in self.timeline if e.at_s > self._epoch_start]
        end = min(min(later, default=math.inf), self._limit)
        if end <= self._planned_to:
            return
        n0 = len(self.requests)  # clones are appended out of order after the originals
        lo = bisect_left(self.arrival, self._planned_to, 0, n0)
        hi = bisect_left(self.arrival, end, 0, n0)
        self._planned_to = end
        if hi > lo:
            self._plan_epoch(lo, hi)

    def _plan_epoch(self, lo: int, hi: int) -> None:
        self._observe_audio(lo, hi)
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

    def _observe_audio(self, lo: int, hi: int) -> None:
        """Acoustic summaries of the epoch's arrivals under the cohorts' current conditions."""
        r, fleet = self.requests, self.fleet
        cohorts = [fleet.cohort(name) for name in r.vocab["cohort"]]
        picks = r.cohort[lo:hi]
        cohort = {
            field: np.array([getattr(c, field) for c in cohorts], dtype=float)[picks]
            for field in CohortSpec.model_fields
            if field != "true_sample_rate_hz"
        }
        declared = cohort["sample_rate_hz"]
        true_rates = np.array(
            [c.true_sample_rate_hz or c.sample_rate_hz for c in cohorts], dtype=float
        )[picks]
        cohort["true_sample_rate_hz"] = true_rates
        offsets = np.array([fleet.slice(s).snr_offset_db for s in r.vocab["slice"]])
        mixed = np.array(["-" in lang for lang in r.vocab["language"]])
        summary = acoustic_summaries(
            r.audio_s[lo:hi],
            cohort,
            offsets[r.slice[lo:hi]],
            mixed[r.language[lo:hi]],
            self._z_acoustic[lo:hi],
        )
        n = len(r)
        for name, values in summary.items():
            if name not in self.acoustics:
                self.acoustics[name] = np.zeros(n, dtype=values.dtype)
            self.acoustics[name][lo:hi] = values
        self.true_rate_hz[lo:hi] = np.where(true_rates != declared, true_rates, declared)
        spec = fleet.stages.preprocess
        if not self.preprocess_snapshots or self.preprocess_snapshots[-1] != spec:
            self.preprocess_snapshots.append(spec.model_copy(deep=True))
        self.preprocess_code[lo:hi] = len(self.preprocess_snapshots) - 1

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
        combo = self.combo[rid]
        choice = self._routes[combo]
        if choice is None:
            choice = self._resolve_route(combo)
        if choice.code < 0:
            self.finish_rejected(rid, NO_ROUTE, t)
            return
        self.rec.route[rid] = choice.code
        if choice.simple:
            choice.pools[0].enqueue(rid, t)
            return
        if choice.shadow is not None and self.u_mirror[rid] < choice.shadow_share:
            copy = self.clone(rid, SHADOW_TAG, t)
            self.rec.route[copy] = choice.code
            self.rec.ingress_done_s[copy] = self.rec.ingress_done_s[rid]
            self.rec.preprocess_done_s[copy] = self.rec.preprocess_done_s[rid]
            choice.shadow.enqueue(copy, t)
        u = self.u_route[rid]
        if choice.canary is not None and u < choice.canary_share:
            self.rec.tags[rid] |= CANARY
            choice.canary.enqueue(rid, t)
            return
        if (
            choice.cascade is not None
            and choice.large is not None
            and self._is_hard(rid, choice.cascade)
        ):
            choice.large.enqueue(rid, t)
            return
        if choice.canary_share:
            u = (u - choice.canary_share) / (1.0 - choice.canary_share)
        choice.primary(u).enqueue(rid, t)

    def agent_replies(self, batch: list[int]) -> None:
        """Sessions of the agent's tenant that ended well trigger a spoken reply: after
        retrieval and the LLM's first clause, a TTS request enters the reply pool."""
        agent = self.fleet.agent
        if agent is None or agent.tenant not in self.requests.vocab["tenant"]:
            return
        tenant = self.requests.vocab["tenant"].index(agent.tenant)
        for rid in batch:
            origin = self.original(rid)
            if self.rec.status[rid] != OK or self.requests.tenant[origin] != tenant:
                continue
            final = float(self.rec.done_s[rid])
            at = final + (agent.retrieval_ms + agent.llm_first_token_ms) / 1000.0
            reply = self.clone(rid, 0, at)
            self.audio_s[reply] = agent.reply_audio_s
            self.kind_override[reply] = FAMILIES.index("tts")
            self.deadline[reply] = at + self.timeout_s[FAMILIES.index("tts")]
            self.agent_turn[reply] = rid
            self._at(at, partial(self.pools[agent.reply_pool].enqueue, reply, at))

    def record_first_response(self, reply: int, first_audio: float) -> None:
        """End of the user's speech to the reply's first audio at the client."""
        turn = self.agent_turn[reply]
        spoke_until = self.arrival[turn] + self.audio_s[turn]
        network = self.fleet.agent.network_ms / 1000.0 if self.fleet.agent else 0.0
        self.rec.first_response_ms[reply] = (first_audio + network - spoke_until) * 1000.0

    def _is_hard(self, rid: int, cascade: CascadeSpec) -> bool:
        """Cascade escalation rule, on signals measured at preprocess."""
        origin = self.original(rid)
        return bool(
            self.acoustics["snr_db"][origin] < cascade.escalate_below_snr_db
            or self.audio_s[rid] > cascade.escalate_above_audio_s
        )

    def _resolve_route(self, combo: int) -> RouteChoice:
        found = match_rule(self.fleet.routes, self._combos[combo], self.requests.vocab)
        if found is None:
            choice = RouteChoice(code=-1, pools=[], cumulative=[])
        else:
            rule, index = found
            choice = resolve(rule, self.route_codes[index], self.pools)
        self._routes[combo] = choice
        return choice

    def clone(self, source: int, tag: int, t: float) -> int:
        """A new request row copying `source`'s labels and audio, arriving at t."""
        rid = self.rec.add_row()
        self.clone_source.append(source)
        self.arrival.append(t)
        self.audio_s.append(self.audio_s[source])
        self.invalid.append(self.invalid[source])
        self.u_route.append(self.u_route[source])
        self.u_mirror.append(1.0)  # copies are never mirrored again
        self.combo.append(self.combo[source])
        kind = int(self.requests.kind[self.original(source)])
        self.deadline.append(t + self.timeout_s[kind])
        self.rec.tags[rid] = (self.rec.tags[source] & ~SHADOW_TAG) | tag
        if tag == SHADOW_TAG:
            self.shadows.add(rid)
        return rid

    def original(self, rid: int) -> int:
        """The first-attempt row a clone descends from."""
        n0 = len(self.requests)
        while rid >= n0:
            rid = self.clone_source[rid - n0]
        return rid

    def after_infer(self, batch: list[int], t: float) -> None:
        if not self.back_is_delay:
            for rid in batch:
                self._walk_back(rid, 0, t)
            return
        base, per, audio, invalid = self.back_base_s, self.back_per_s, self.audio_s, self.invalid
        done, status, n0, shadows = self.rec.done_s, self.rec.status, self.n0, self.shadows
        for rid in batch:
            done[rid] = t + base + per * audio[rid]
            if rid >= n0 and rid in shadows:
                status[rid] = SHADOW
            elif invalid[rid]:
                status[rid] = ERROR
                self._maybe_retry(rid, done[rid])
            else:
                status[rid] = OK
        self.finished += len(batch)

    def _complete(self, rid: int, t: float) -> None:
        self.rec.done_s[rid] = t
        if rid in self.shadows:
            self.rec.status[rid] = SHADOW
        elif self.invalid[rid]:
            self.rec.status[rid] = ERROR
            self._maybe_retry(rid, t)
        else:
            self.rec.status[rid] = OK
        self.finished += 1

    def finish_rejected(self, rid: int, reason: int, t: float) -> None:
        self.rec.status[rid] = REJECTED
        self.rec.reason[rid] = reason
        self.rec.done_s[rid] = t
        self.finished += 1
        self._maybe_retry(rid, t)

    def finish_timeout(self, rid: int, t: float) -> None:
        self.rec.status[rid] = TIMEOUT
        self.rec.done_s[rid] = t
        self.finished += 1
        self._maybe_retry(rid, t)

    def _maybe_retry(self, rid: int, t: float) -> None:
        """The client retries a failed attempt after exponential backoff with jitter, while
        the retry budget (retries per first attempt over a sliding window) allows."""
        policy = self.fleet.retries
        if policy.max_attempts <= 1 or rid in self.shadows:
            return
        attempt = self.attempt.get(rid, 1)
        if attempt >= policy.max_attempts or t > self.duration_s:
            return
        if STATUSES[self.rec.status[rid]] not in policy.retry_on:
            return
        window = policy.budget_window_s
        recent = self._recent_retries
        while recent and recent[0] <= t - window:
            recent.popleft()
        first_attempts = bisect_left(self.arrival, t, 0, len(self.requests)) - bisect_left(
            self.arrival, t - window, 0, len(self.requests)
        )
        if len(recent) >= max(policy.budget_ratio * first_attempts, policy.min_per_window):
            return
        recent.append(t)
        original = self.original(rid)
        jitter = 1.0 + policy.jitter * (2.0 * float(self.requests.u_jitter[original]) - 1.0)
        backoff = policy.backoff_ms / 1000.0 * policy.multiplier ** (attempt - 1) * jitter
        arrive = t + backoff
        retry = self.clone(rid, RETRY, arrive)
        self.attempt[retry] = attempt + 1
        if any(s is not None for s in self.front_servers):
            self._at(arrive, lambda: self._walk_front(retry, 0, arrive))
        else:
            heapq.heappush(self._late, (self._front_times(retry, arrive), retry))

    def _front_times(self, rid: int, t: float) -> float:
        """Pure-delay front stages for one request arriving at t; returns its router time."""
        for i, spec in enumerate(self.front):
            t += self._stage_s(spec, rid)
            self._stage_done(True, i, rid, t)
        return t

    # --- timeline and sampling --------------------------------------------------------

    def notice(self, type_: str, target: str, detail: str) -> None:
        """Something an operator would see (a deploy, an alert, an autoscaler decision)."""
        self.notices.append((self.env.now, type_, target, detail))

    def drained(self) -> bool:
        return self.env.now > self.duration_s and self.finished >= self.rec.n

    def apply(self, event: TimelineEvent) -> None:
        for path, value in event.set.items():
            set_path(self.fleet, path, value)
        self.applied_events.append((self.env.now, event))
        if event.announce is not None:
            a = event.announce
            self.notice(a.type, a.target, a.detail)
        self._configure_stages()
        self._sync_pools()

    def _sampler(self) -> simpy.events.ProcessGenerator:
        interval = self.fleet.metrics_interval_s
        while self.env.now <= self.duration_s or self.finished < self.rec.n:
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

    @property
    def end_s(self) -> float:
        return self.duration_s + self.drain_limit_s

    def run(self) -> None:
        """Run to the end: every arrival, then the drain (up to the drain limit)."""
        self.advance(self.end_s)

    def advance(self, until: float) -> None:
        """Run everything that happens before `until` and pause there; `until` at or past
        the end runs to the end. A paused run can take timeline events at or after its
        pause point (add_event) and go on: the result is exactly that of a fresh run with
        those events in its timeline, which is how a drill acts without re-simulating the
        past, and simulates its future only as far as the incident clock has gone.

        The cyclic garbage collector is paused meanwhile: the run allocates millions of
        short-lived, acyclic objects (events, batch rows) that reference counting frees,
        and full collections over them would cost more than the simulation itself."""
        if until < self.frontier:
            raise ValueError(f"cannot run back to {until:g} s: the run is at {self.frontier:g} s")
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            if not self._started:
                self._start()
            self._limit = until if until < self.end_s else math.inf
            self._plan()
            # `x <= end` is `x < nextafter(end)`: the end instant itself still happens
            stop = until if until < self.end_s else math.nextafter(self.end_s, math.inf)
            self._loop(stop)
            self.frontier = min(until, self.end_s)
        finally:
            if was_enabled:
                gc.enable()

    def add_event(self, event: TimelineEvent) -> None:
        """A timeline event for a paused run, at or after its pause point."""
        if event.at_s < self.frontier:
            raise ValueError(
                f"an event at {event.at_s:g} s is in this run's past (it is at {self.frontier:g} s)"
            )
        self.timeline = sorted([*self.timeline, event], key=lambda e: e.at_s)
        if self._epoch_start is not None and event.at_s > self._epoch_start:
            self._schedule_epoch(event.at_s)

    def _start(self) -> None:
        self._started = True
        self._schedule_epoch(0.0)
        self.env.process(self._sampler())
        if self.progress is not None:
            self.env.process(self._report_progress(self.progress))

    def _loop(self, stop: float) -> None:
        """Step SimPy's event list, admitting presorted arrivals that come before the next
        event, until nothing is left before `stop`."""
        heap = self.env._queue  # SimPy's event heap of (time, priority, id, event)
        streams, late = self._streams, self._late
        step, route = self.env.step, self._route
        while True:
            t_event = heap[0][0] if heap else math.inf
            if (
                late
                and late[0][0] < t_event
                and late[0][0] < stop
                and (not streams or late[0][0] <= min(s.head() for s in streams))
            ):
                t_late, rid = heapq.heappop(late)
                route(rid, t_late)
                continue
            if streams:
                stream = streams[0] if len(streams) == 1 else min(streams, key=ArrivalStream.head)
                times, rids, i, n = stream.times, stream.rids, stream.next, len(stream.times)
                if times[i] < t_event and times[i] < stop:
                    # admit this stream's arrivals up to the next event (which may move
                    # earlier as admissions schedule work), then look again
                    alone = len(streams) == 1
                    while i < n and times[i] < t_event and times[i] < stop:
                        route(rids[i], times[i])
                        i += 1
                        if heap and heap[0][0] < t_event:
                            t_event = heap[0][0]
                        if late or not alone:
                            break  # other arrivals may interleave: pick again
                    stream.next = i
                    if i == n:
                        streams.remove(stream)
                    continue
            if t_event >= stop:
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
