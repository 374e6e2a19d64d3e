"""Hypothesis stateful test of the autoscaler control loop's invariants.

Bursts of load arrive, time passes, and deploys change the target; the autoscaler must
stay within bounds and steps, honour its down-scale cooldown, bring replicas up exactly
one load time after it decided to, and bill every replica it has provisioned.
"""

from __future__ import annotations

import math
import re

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from simulator.engine.loop import Simulation
from simulator.spec.timeline import TimelineEvent
from tests.helpers import fleet, library, linear_ms, requests

CAPACITY = 400
LOAD_TIME = 15.0
SCALER = {
    "metric": "queue_depth",
    "target": 2.0,
    "interval_s": 10.0,
    "tolerance": 0.1,
    "scale_up_step": 2,
    "scale_down_step": 1,
    "down_cooldown_s": 30.0,
    "min_replicas": 1,
    "max_replicas": 5,
}
DECISION = re.compile(r"scale (up|down) (\d+) -> (\d+) replicas")


class AutoscalerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        f = fleet(replicas=1, queue_capacity=10_000, autoscaler=SCALER)
        f.models["m"].load_time_s = LOAD_TIME
        f.slos["asr-batch"].timeout_ms = 1e9
        self.sim = Simulation(f, requests([math.inf] * CAPACITY), [], 0, 1e9, library())
        self.env = self.sim.env
        self.pool = self.sim.pools["p"]
        self.arrived = 0

    @rule(count=st.integers(1, 60), audio=st.floats(1.0, 10.0))
    def burst(self, count: int, audio: float) -> None:
        now = self.env.now
        for _ in range(count):
            if self.arrived >= CAPACITY:
                return
            rid = self.arrived
            self.sim.arrival[rid] = now
            self.sim.audio_s[rid] = audio
            self.arrived += 1
            self.pool.enqueue(rid, now)

    @rule(dt=st.floats(1.0, 60.0))
    def advance(self, dt: float) -> None:
        pool = self.pool
        before = pool.spec.replicas + pool.loading
        target = pool.spec.autoscaler.target
        work = sum(linear_ms(1, self.sim.audio_s[r]) for r in pool.queue) / 1000
        lasting = work / max(pool.spec.replicas, 1) >= 3 * SCALER["interval_s"]
        backlog = lasting and len(pool.queue) >= 4 * target * max(before, 1)
        self.env.run(until=self.env.now + dt)
        if backlog and dt >= 2 * SCALER["interval_s"] and before < SCALER["max_replicas"]:
            # a backlog that outlasts two evaluations must have been answered
            assert pool.spec.replicas + pool.loading > before

    @rule(new_target=st.sampled_from([0.5, 1.0, 2.0, 8.0]))
    def deploy_changes_target(self, new_target: float) -> None:
        self.sim.apply(
            TimelineEvent(at_s=self.env.now, set={"pools.p.autoscaler.target": new_target})
        )

    def decisions(self) -> list[tuple[float, str, int, int]]:
        out = []
        for t, kind, _target, detail in self.sim.notices:
            match = DECISION.search(detail)
            if kind == "autoscaler" and match:
                out.append((t, match[1], int(match[2]), int(match[3])))
        return out

    @invariant()
    def within_bounds(self) -> None:
        provisioned = self.pool.spec.replicas + self.pool.loading
        assert self.pool.loading >= 0 and self.pool.spec.replicas >= 0
        assert SCALER["min_replicas"] <= provisioned <= SCALER["max_replicas"]

    @invariant()
    def steps_and_cooldown(self) -> None:
        last_change = -math.inf
        for t, direction, before, after in self.decisions():
            if direction == "up":
                assert 0 < after - before <= SCALER["scale_up_step"]
            else:
                assert 0 < before - after <= SCALER["scale_down_step"]
                assert t - last_change >= SCALER["down_cooldown_s"]
            last_change = t

    @invariant()
    def replicas_arrive_one_load_time_after_the_decision(self) -> None:
        now = self.env.now
        pending = sum(
            after - before
            for t, d, before, after in self.decisions()
            if d == "up" and t + LOAD_TIME > now
        )
        assert self.pool.loading == pending

    @invariant()
    def every_provisioned_replica_is_billed(self) -> None:
        latest = self.sim.replica_log[-1]
        assert latest.paid_replicas == self.pool.spec.replicas + self.pool.loading
        assert all(c.paid_replicas >= c.replicas for c in self.sim.replica_log)


AutoscalerMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
TestAutoscaler = AutoscalerMachine.TestCase
