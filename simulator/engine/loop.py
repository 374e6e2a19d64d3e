"""The discrete-event model of a speech serving fleet (SimPy): the event loop and the
run's state.

`Simulation` holds what a run is — the fleet as it evolves, the requests and their
records, the pools and their autoscalers, the timeline — and steps time. What happens
to each request (admission through the front stages, routing, clones, retries, agent
turns, outcomes) is the lifecycle's (lifecycle.py); inference is the pools' (pool.py).

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
import os
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import simpy
from simpy.events import URGENT

from simulator.engine.autoscaler import Autoscaler
from simulator.engine.calls import Call, event_heap, fire_calls
from simulator.engine.lifecycle import Lifecycle
from simulator.engine.pool import Pool
from simulator.rng import stream_rng
from simulator.spec.fleet import CohortSpec, Fleet, ModelSpec, PreprocessSpec
from simulator.spec.profiles import ProfileLibrary, ServiceTimeModel
from simulator.spec.quality import acoustic_summaries
from simulator.spec.timeline import TimelineEvent, set_path
from simulator.spec.workload import RequestArrays
from simulator.telemetry.recorder import BatchRecorder, ReplicaChange, RequestRecorder

# numpy asks the kernel for transparent huge pages for arrays of 4 MB and more; a run makes
# and frees hundreds of them, and zeroing 2 MB pages made a scenario's run and its tables
# about 30% slower on the 2-core VM (docs/layout.md). NUMPY_MADVISE_HUGEPAGE=1 asks again.
if "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
    np._core.multiarray._set_madvise_hugepage(False)  # type: ignore[attr-defined]


class Simulation:
    """One run: a pure function of (fleet, requests, timeline, seed).

    It is the event loop and the run's state; its `lifecycle` handles each request. It
    satisfies the pools' and autoscalers' protocols (host.py): the lifecycle's entry
    points that pools call per request are bound onto it once, not looked up per call.
    """

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
        self.deadline = [math.inf] * n
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
        self.vocab: dict[str, list[str]] = {"model_version": [], "device": [], "route": []}
        self.pool_names: list[str] = []
        self.pools: dict[str, Pool] = {}
        self.lifecycle = Lifecycle(self, self.pools)
        self._bind_lifecycle(self.lifecycle)
        self._sync_pools()

    def _bind_lifecycle(self, lifecycle: Lifecycle) -> None:
        """Expose the lifecycle's entry points and records as this run's own: pools call
        the hooks per request (`PoolHost`), and the telemetry tables read the records."""
        self.after_infer = lifecycle.after_infer
        self.agent_replies = lifecycle.agent_replies
        self.record_first_response = lifecycle.record_first_response
        self.finish_rejected = lifecycle.finish_rejected
        self.finish_timeout = lifecycle.finish_timeout
        self.original = lifecycle.original
        self.clone_source = lifecycle.clone_source
        self.attempt = lifecycle.attempt
        self.kind_override = lifecycle.kind_override
        self.agent_turn = lifecycle.agent_turn

    @property
    def finished(self) -> int:
        """Requests with an outcome (ok, rejected, timeout, error, shadow) so far."""
        return self.lifecycle.finished

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

    # --- arrivals: planned per epoch (the span between two timeline events) -----------

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
        """Observe the arrivals' audio, then let the lifecycle admit them: router times
        come back as a stream for the run loop (unless FIFO front stages admit them)."""
        self._observe_audio(lo, hi)
        planned = self.lifecycle.admit(lo, hi)
        if planned is not None:
            self._streams.append(ArrivalStream(*planned))

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
        self.lifecycle.configure()
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
        env = self.env
        heap = event_heap(env)  # SimPy's event heap of (time, priority, id, event)
        streams, late = self._streams, self.lifecycle.late
        step, route = env.step, self.lifecycle.route
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
            t_next = math.inf
            if streams:
                stream = streams[0] if len(streams) == 1 else min(streams, key=ArrivalStream.head)
                t_next = stream.times[stream.next]
                if t_next < t_event and t_next < stop:
                    times, rids, i, n = stream.times, stream.rids, stream.next, len(stream.times)
                    # admit this stream's arrivals up to the next event (which may move
                    # earlier as admissions schedule work), then look again
                    alone = len(streams) == 1
                    limit = t_event if t_event < stop else stop
                    while i < n:
                        t_arrival = times[i]
                        if t_arrival >= limit:
                            break
                        route(rids[i], t_arrival)
                        i += 1
                        if heap and heap[0][0] < limit:
                            limit = heap[0][0]
                        if late or not alone:
                            break  # other arrivals may interleave: pick again
                    stream.next = i
                    if i == n:
                        streams.remove(stream)
                    continue
            if t_event >= stop:
                break
            event = heap[0][3]
            if event.__class__ is not Call:
                step()
                continue
            # calls up to the next arrival: a call adds no arrival before it but a late
            # one (then look again); the timeline's epochs, which plan arrivals, are not calls
            fire_calls(env, t_event, event, t_next, stop, late)

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
