"""The request lifecycle: what happens to one request between the run loop and the pools.

A request walks the six stages of the reference serving system:

    ingress → preprocess → route → infer (queue + dynamic batching) → postprocess → observe

Non-inference stages cost base + per-audio-second time; with `workers` set they are FIFO
servers, otherwise pure delays that need no event of their own. This module admits
arrivals through the front stages (rejecting invalid payloads), takes the routing decision
(canary, shadow copy, cascade), walks finished batches through the back stages, and keeps
the books: completion, rejection and timeout, client retries, and the agent's spoken
replies. Inference itself is the pools' (pool.py); the event loop and the run's state
are the engine's (engine.py), seen through the `LifecycleHost` protocol.

Shadow copies, retries and agent replies become extra request rows, cloned from a source
row. The hot path (route → pool → after_infer) reads plain lists, and the engine binds
this class's entry points once, so a request pays no extra indirection for the split.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from functools import partial

import numpy as np
import simpy

from simulator.engine.host import LifecycleHost
from simulator.engine.pool import FifoStage, Pool
from simulator.engine.routing import RouteChoice, label_combinations, match_rule, resolve
from simulator.spec.fleet import FAMILIES, CascadeSpec, StageSpec
from simulator.telemetry.recorder import (
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
)


class Lifecycle:
    """Admission, routing, completion and retries of every request row of one run.

    It satisfies `RequestHooks` (host.py): pools hand requests back through
    `after_infer`, `finish_rejected`, `finish_timeout`, `agent_replies` and
    `record_first_response`. `pools` is the run's own dict, filled as pools appear.
    """

    def __init__(self, run: LifecycleHost, pools: dict[str, Pool]) -> None:
        self.env = run.env
        self.fleet = run.fleet
        self.requests = requests = run.requests
        self.duration_s = run.duration_s
        self.rec = run.rec
        self.code = run.code
        self.pools = pools
        # the run's per-row lists and acoustics, shared (never rebound, only grown)
        self.arrival, self.audio_s, self.deadline = run.arrival, run.audio_s, run.deadline
        self.acoustics = run.acoustics
        # routing inputs per row, as lists: indexing numpy scalars is several times slower
        self.invalid = requests.invalid.tolist()
        self.u_route = requests.u_route.tolist()
        self.u_mirror = requests.u_mirror.tolist()
        self._combos, combo_index = label_combinations(requests)
        self.combo = combo_index.tolist()
        self.finished = 0
        self.abandoned: set[int] = set()  # timed out, yet served by their pool
        # shadow copies and retries become extra request rows, cloned from a source row
        self.n0 = len(requests)  # ids from n0 on are clones
        self.clone_source: list[int] = []
        self.attempt: dict[int, int] = {}
        # retries on their way to the router, (router time, request id): a heap that the
        # run loop merges with the planned arrivals
        self.late: list[tuple[float, int]] = []
        self.shadows: set[int] = set()
        self.kind_override: dict[int, int] = {}  # clones of another kind (agent replies)
        self.agent_turn: dict[int, int] = {}  # agent reply row -> the user's session row
        self._recent_retries: deque[float] = deque()
        self.configure()

    # --- stages: configured at the start and after every timeline event --------------

    def configure(self) -> None:
        """Re-read stages, timeouts and routes from the fleet (after a timeline event)."""
        fleet = self.fleet
        stages = fleet.stages
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
            if (slo := fleet.slos.get(kind)) is not None  # type: ignore[call-overload]
            else math.inf
            for kind in FAMILIES
        ]
        self.route_codes = [
            self.code("route", rule.name or f"route-{i}") for i, rule in enumerate(fleet.routes)
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

    # --- admission: an epoch's first attempts through the front stages ----------------

    def admit(self, lo: int, hi: int) -> tuple[list[float], list[int]] | None:
        """Admit first attempts lo..hi-1 (an epoch's, whose settings hold throughout):
        set their deadlines and walk them through the front stages. Pure-delay stages are
        computed at once, vectorised: the router times, sorted, and their request ids come
        back for the run loop to merge. With FIFO front stages a process admits them one
        by one and nothing comes back."""
        kind = self.requests.kind[lo:hi]
        timeouts = np.array(self.timeout_s)[kind]
        self.deadline[lo:hi] = (self.requests.arrival_s[lo:hi] + timeouts).tolist()
        if any(s is not None for s in self.front_servers):
            self.env.process(self._admit_one_by_one(lo, hi))
            return None
        route_at = self._plan_front(lo, hi)
        order = np.argsort(route_at, kind="stable")
        order = order[np.isfinite(route_at[order])]
        if not len(order):
            return None
        return route_at[order].tolist(), (order + lo).tolist()

    def _plan_front(self, lo: int, hi: int) -> np.ndarray:
        """Vectorised pure-delay front stages; rejects invalid payloads at ingress.
        Rejected rows get an infinite routing time: they never reach the router."""
        audio = self.requests.audio_s[lo:hi]
        t = self.requests.arrival_s[lo:hi].copy()
        rec = self.rec
        for i, spec in enumerate(self.front):
            t = t + (spec.base_ms + spec.per_audio_s_ms * audio) / 1000.0
            if i == 0:
                rec.ingress_done_s[lo:hi] = t
                if self.fleet.stages.reject_invalid:
                    invalid = np.flatnonzero(self.requests.invalid[lo:hi]) + lo
                    rec.status[invalid] = REJECTED
                    rec.reason[invalid] = INVALID_PAYLOAD
                    rec.done_s[invalid] = rec.ingress_done_s[invalid]
                    self.finished += len(invalid)
                    t[invalid - lo] = math.inf
            elif i == 1:
                rec.preprocess_done_s[lo:hi] = t
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
        self._at(t, lambda: self.route(rid, self.env.now))

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

    def _front_times(self, rid: int, t: float) -> float:
        """Pure-delay front stages for one request arriving at t; returns its router time."""
        for i, spec in enumerate(self.front):
            t += self._stage_s(spec, rid)
            self._stage_done(True, i, rid, t)
        return t

    def _at(self, t: float, fn: Callable[[], None]) -> None:
        delay = t - self.env.now
        if delay <= 0:
            fn()
        else:
            self.env.timeout(delay).callbacks.append(lambda _e: fn())

    # --- the routing decision ---------------------------------------------------------

    def route(self, rid: int, t: float) -> None:
        """The router at time t (≥ now): reject, or enqueue at the chosen pool (and
        mirror a shadow copy)."""
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

    # --- clones: shadow copies, retries, agent replies ---------------------------------

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

    # --- completion, rejection, timeout, retries --------------------------------------

    def after_infer(self, batch: list[int], t: float) -> None:
        """A batch left its pool at t: through the back stages to its outcome. A request
        that had already timed out (served anyway by a pool that does not drop expired
        work) has its outcome: no one waits for this result."""
        if self.abandoned and not self.abandoned.isdisjoint(batch):
            gone = self.abandoned.intersection(batch)
            self.abandoned -= gone
            batch = [rid for rid in batch if rid not in gone]
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

    def finish_timeout(self, rid: int, t: float, served: bool = False) -> None:
        """The client gave up on a request (it reached the head of its queue past the
        deadline); `served`: the pool runs it anyway, and its result goes nowhere."""
        if served:
            self.abandoned.add(rid)
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
            heapq.heappush(self.late, (self._front_times(retry, arrive), retry))
