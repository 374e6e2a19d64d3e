"""The autoscaler control loop of one pool.

Every `interval_s` it reads its metric per ready replica — utilisation of batch slots over
the last interval, queue depth, or requests in flight — and aims for
ceil(replicas × value / target) (the Kubernetes HPA rule), ignoring deviations within
`tolerance`, moving at most one step, honouring cooldowns and min/max. Scale-ups take
the model's load time to serve (cold start) unless a warm standby takes `warm_start_s`.
Its mistakes are all reachable from the spec: a long interval or load time scales too
late, no tolerance and short cooldowns flap, utilisation under heavy batching reads low,
and a deploy can change the target.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy

from simulator.engine.host import ScalerHost
from simulator.spec.fleet import AutoscalerSpec

if TYPE_CHECKING:
    from simulator.engine.pool import Pool

IDLE_POLL_S = 30.0  # how often a pool without an enabled autoscaler checks again


class Autoscaler:
    def __init__(self, sim: ScalerHost, pool: Pool) -> None:
        self.sim = sim
        self.pool = pool
        self.env = sim.env
        self.last_up = -math.inf
        self.last_change = -math.inf
        self.last_busy = 0.0
        self.last_t = 0.0
        self.last_arrivals = 0

    def run(self) -> simpy.events.ProcessGenerator:
        while not self.sim.drained():
            spec = self.pool.spec.autoscaler
            if spec is None or not spec.enabled:
                yield self.env.timeout(IDLE_POLL_S)
                self.last_busy, self.last_t = self.pool.busy_seconds, self.env.now
                continue
            yield self.env.timeout(spec.interval_s)
            self.evaluate(spec)

    def observe(self, spec: AutoscalerSpec) -> float:
        pool = self.pool
        ready = max(pool.spec.replicas, 1)
        if spec.metric == "queue_depth":
            return len(pool.queue) / ready
        if spec.metric == "in_flight":
            return (len(pool.queue) + pool.in_service) / ready
        elapsed = self.env.now - self.last_t
        busy = pool.busy_seconds - self.last_busy
        self.last_busy, self.last_t = pool.busy_seconds, self.env.now
        capacity = ready * pool.spec.slots_per_replica * elapsed
        return busy / capacity if capacity > 0 else 0.0

    def desired(self, spec: AutoscalerSpec, current: int, value: float, active: bool) -> int:
        """HPA rule on the per-replica value (a pool at zero counts as one replica); a
        pool that saw traffic during the interval never scales to zero."""
        ratio = value / spec.target
        if current > 0 and abs(ratio - 1.0) <= spec.tolerance:
            wanted = current
        else:
            wanted = math.ceil(max(current, 1) * ratio - 1e-9)
        if active:
            wanted = max(wanted, 1)
        return min(max(wanted, spec.min_replicas), spec.max_replicas)

    def evaluate(self, spec: AutoscalerSpec) -> None:
        pool, now = self.pool, self.env.now
        value = self.observe(spec)
        active = pool.arrivals > self.last_arrivals or bool(pool.queue) or pool.in_service > 0
        self.last_arrivals = pool.arrivals
        current = pool.spec.replicas + pool.loading
        wanted = self.desired(spec, current, value, active)
        if wanted > current and now - self.last_up >= spec.up_cooldown_s:
            self.scale_up(spec, min(wanted - current, spec.scale_up_step), value)
        elif wanted < current and now - self.last_change >= spec.down_cooldown_s:
            self.scale_down(
                spec, min(current - wanted, spec.scale_down_step, pool.spec.replicas), value
            )

    def scale_up(self, spec: AutoscalerSpec, count: int, value: float) -> None:
        pool, now = self.pool, self.env.now
        model = self.sim.fleet.models[pool.spec.model]
        warm = min(count, spec.warm_pool)
        before = pool.spec.replicas + pool.loading
        pool.loading += count
        pool.log_replicas()
        for i in range(count):
            delay = spec.warm_start_s if i < warm else model.load_time_s
            self.env.timeout(delay).callbacks.append(lambda _e: self._ready())
        self.last_up = self.last_change = now
        self.sim.notice(
            "autoscaler",
            pool.name,
            f"scale up {before} -> {before + count} replicas "
            f"({spec.metric} {value:.2f} per replica, target {spec.target:g}; "
            f"{warm} warm, {count - warm} cold starting)",
        )

    def _ready(self) -> None:
        pool = self.pool
        pool.loading -= 1
        pool.spec.replicas += 1
        pool.cold_batches += 1
        pool.reconfigure()

    def scale_down(self, spec: AutoscalerSpec, count: int, value: float) -> None:
        if count <= 0:
            return
        pool = self.pool
        before = pool.spec.replicas + pool.loading
        pool.spec.replicas -= count
        pool.reconfigure()
        self.last_change = self.env.now
        self.sim.notice(
            "autoscaler",
            pool.name,
            f"scale down {before} -> {before - count} replicas "
            f"({spec.metric} {value:.2f} per replica, target {spec.target:g})",
        )
