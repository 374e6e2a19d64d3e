"""Hypothesis stateful test of the inference queue and dynamic batcher.

Requests arrive, time advances, batching and replica settings change mid-run; after every
step the pool must conserve requests, respect max_batch, never run a wait backwards and
serve in FIFO order.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from simulator.engine.loop import Simulation
from simulator.spec.timeline import TimelineEvent
from simulator.telemetry.recorder import ERROR, IN_FLIGHT, OK, REJECTED, TIMEOUT
from tests.helpers import fleet, library, requests

CAPACITY = 80
TIMEOUT_S = 0.8


class PoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        f = fleet(replicas=2, queue_capacity=6, batching={"max_batch": 3, "max_wait_ms": 30})
        f.slos["asr-batch"].timeout_ms = TIMEOUT_S * 1000
        self.sim = Simulation(f, requests([math.inf] * CAPACITY), [], 0, 1e9, library())
        self.env = self.sim.env
        self.pool = self.sim.pools["p"]
        self.arrived = 0
        self.max_slots_seen = self.pool.slots_total

    @rule(lengths=st.lists(st.floats(0.5, 9.0), min_size=1, max_size=4))
    def arrive(self, lengths: list[float]) -> None:
        now = self.env.now
        for length in lengths:
            if self.arrived >= CAPACITY:
                return
            rid = self.arrived
            self.sim.arrival[rid] = now
            self.sim.requests.arrival_s[rid] = now
            self.sim.audio_s[rid] = length
            self.sim.deadline[rid] = now + TIMEOUT_S
            self.arrived += 1
            self.pool.enqueue(rid, now)

    @rule(dt=st.floats(0.001, 0.6))
    def advance(self, dt: float) -> None:
        self.env.run(until=self.env.now + dt)

    @rule(max_batch=st.integers(1, 5), max_wait_ms=st.sampled_from([0.0, 10.0, 30.0, 200.0]))
    def change_batching(self, max_batch: int, max_wait_ms: float) -> None:
        self.sim.apply(
            TimelineEvent(
                at_s=self.env.now,
                set={
                    "pools.p.batching.max_batch": max_batch,
                    "pools.p.batching.max_wait_ms": max_wait_ms,
                },
            )
        )

    @rule(replicas=st.integers(0, 3))
    def scale(self, replicas: int) -> None:
        self.sim.apply(TimelineEvent(at_s=self.env.now, set={"pools.p.replicas": replicas}))
        self.max_slots_seen = max(self.max_slots_seen, self.pool.slots_total)

    def _status(self) -> np.ndarray:
        return self.sim.rec.status[: self.arrived]

    @invariant()
    def conservation(self) -> None:
        status = self._status()
        in_service = int(
            ((status == IN_FLIGHT) & (self.sim.rec.batch_id[: self.arrived] >= 0)).sum()
        )
        finished = int(np.isin(status, [OK, REJECTED, TIMEOUT, ERROR]).sum())
        assert self.arrived == finished + len(self.pool.queue) + in_service
        assert self.sim.finished == finished

    @invariant()
    def batches_respect_max_batch(self) -> None:
        columns = self.sim.batches.columns()
        assert (columns["size"] >= 1).all()
        assert (columns["size"] <= columns["max_batch"]).all()

    @invariant()
    def no_negative_waits_and_fifo(self) -> None:
        rec = self.sim.rec
        bid = rec.batch_id[: self.arrived]
        served = np.flatnonzero(bid >= 0)
        starts = self.sim.batches.columns()["start_s"][bid[served]]
        assert (starts >= rec.enqueue_s[served] - 1e-12).all()
        # arrivals are enqueued in request-id order, so starts must not decrease with it
        assert (np.diff(starts) >= -1e-12).all()

    @invariant()
    def slots_are_not_overcommitted(self) -> None:
        assert 0 <= self.pool.busy_slots <= self.max_slots_seen

    @invariant()
    def nothing_waits_while_a_due_batch_could_run(self) -> None:
        pool = self.pool
        if pool.queue and pool.busy_slots < pool.slots_total:
            full = len(pool.queue) >= pool.max_batch
            due = pool.queued_at[0] + pool.max_wait_s < self.env.now - 1e-9
            assert not (full or due), "a due batch is waiting with a free slot"


PoolMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestPool = PoolMachine.TestCase
