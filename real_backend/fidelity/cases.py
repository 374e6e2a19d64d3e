"""What is compared: each family's serving setup (`Case`), its fresh profile, the requests
a load sends it and the simulated fleet that stands in for the real server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from real_backend.profiler import FAMILIES, measure_family, measure_idle_penalty
from real_backend.server import cpu_affinity
from simulator.spec.fleet import (
    BatchingSpec,
    Fleet,
    HostDrift,
    ModelSpec,
    PoolSpec,
    PreprocessSpec,
    RouteRule,
    StageSpec,
    StagesSpec,
    padded_length,
)
from simulator.spec.profiles import LatencyProfile, ProfileLibrary, ServiceTimeModel
from simulator.spec.workload import (
    DurationDist,
    PoissonArrivals,
    RequestArrays,
    Stream,
    Workload,
    generate,
)

LOADS = (0.3, 0.6, 0.9)  # the evaluated loads, fractions of the measured capacity
THREADS = 1  # one intra-op thread: the other core runs the load generator
# the replica on the last core the process may use; the load generator is not pinned, so
# the OS mostly runs it on another
REPLICA_CORE = tuple(sorted(cpu_affinity())[-1:])


@dataclass(frozen=True)
class Case:
    """One family's serving setup and request lengths (inside its profile grid)."""

    family: str
    max_batch: int
    max_wait_ms: float
    median_s: float
    sigma: float
    min_s: float
    max_s: float
    lengths: tuple[float, ...]  # the fresh profile's length grid
    bucket_s: float  # batches padded to multiples of this: few shapes, all warmed up

    def durations(self) -> DurationDist:
        return DurationDist(
            dist="lognormal",
            median_s=self.median_s,
            sigma=self.sigma,
            min_s=self.min_s,
            max_s=self.max_s,
        )


CASES = {
    "asr-batch": Case("asr-batch", 4, 20.0, 3.0, 0.4, 1.0, 6.0, (1.0, 2.0, 3.0, 4.5, 6.0), 0.5),
    "tts": Case("tts", 4, 10.0, 1.5, 0.5, 0.5, 4.0, (0.5, 1.0, 2.0, 3.0, 4.0), 0.25),
    "embedding": Case("embedding", 8, 10.0, 4.0, 0.5, 1.0, 10.0, (1.0, 2.5, 5.0, 7.5, 10.0), 0.5),
}


def fresh_profile(case: Case, quick: bool) -> LatencyProfile:
    """Measure the family on this machine at every batch size the server can form, and
    what a batch pays after the replica sat idle."""
    batches = list(range(1, case.max_batch + 1))
    lengths = [case.lengths[0], case.lengths[-1]] if quick else list(case.lengths)
    profile = measure_family(case.family, batches, lengths, repeats=3, threads=THREADS)
    penalty, tau = measure_idle_penalty(
        case.family, case.median_s, THREADS, rounds=6 if quick else 20
    )
    return profile.model_copy(update={"idle_penalty_ms": penalty, "idle_tau_ms": tau})


def model_times(model: ServiceTimeModel, sizes: list[int], longest: list[float]) -> np.ndarray:
    """The model's seconds for batches of these sizes and padded lengths."""
    return np.array([model.latency_s(b, n) for b, n in zip(sizes, longest, strict=True)])


def capacity(case: Case, profile: LatencyProfile, seed: int = 0) -> float:
    """Requests per second one replica sustains with full batches (padded to the longest
    item's length bucket, as the server and the simulator pad them)."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(
        case.median_s * np.exp(case.sigma * rng.standard_normal((2000, case.max_batch))),
        case.min_s,
        case.max_s,
    )
    model = ServiceTimeModel(profile)
    seconds = [
        model.latency_s(case.max_batch, padded_length(float(row.max()), case.bucket_s))
        for row in lengths
    ]
    return case.max_batch / float(np.mean(seconds))


def requests_for(case: Case, rate: float, duration_s: float, seed: int) -> RequestArrays:
    """One seeded Poisson workload of the case's lengths at `rate` requests per second."""
    stream = Stream(
        name="load",
        kind=FAMILIES[case.family].family,
        arrivals=PoissonArrivals(process="poisson", rate_per_s=rate),
        audio_s=case.durations(),
    )
    return generate(Workload(streams=[stream]), duration_s, seed, Path("."))


def fleet_for(
    case: Case, profile: LatencyProfile, slowdown: float = 1.0, drift: HostDrift | None = None
) -> tuple[Fleet, ProfileLibrary]:
    """One CPU replica with the server's batching, on a host `slowdown` times slower than
    the profile's (its speed drifting as `drift` says); every stage but inference costs
    nothing (the server has no ingress, preprocessing or network)."""
    zero = StageSpec()
    fleet = Fleet(
        name=f"fidelity-{case.family}",
        models={"m": ModelSpec(family=profile.family, version="1", profile=profile.name)},
        pools={
            "server": PoolSpec(
                device="cpu",
                model="m",
                replicas=1,
                batching=BatchingSpec(
                    max_batch=case.max_batch,
                    max_wait_ms=case.max_wait_ms,
                    length_bucket_s=case.bucket_s,
                ),
                queue_capacity=10**6,
                slowdown=slowdown,
                host_drift=drift,
            )
        },
        stages=StagesSpec(
            ingress=zero, preprocess=PreprocessSpec(), route=zero, postprocess=zero, observe=zero
        ),
        routes=[RouteRule(pool="server")],
        metrics_interval_s=1e9,
    )
    return fleet, ProfileLibrary([profile])
