"""Validation against queueing theory: closed-form cases simulated by the real engine.

Each case becomes a one-pool fleet (batch size 1, zero-cost side stages, a constant
service-time profile with the case's noise) fed by Poisson arrivals. The mean wait in
queue (and, for M/M/c/K, the blocking probability) is estimated from independent
replications, with a 99% Student-t confidence interval; runs lengthen until the
half-width is within 5% of the estimate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from simulator.errors import InputError
from simulator.spec.fleet import (
    BatchingSpec,
    Fleet,
    ModelSpec,
    PoolSpec,
    PreprocessSpec,
    RouteRule,
    ServiceNoise,
    StageSpec,
    StagesSpec,
)
from simulator.spec.profiles import LatencyProfile, ProfileLibrary
from simulator.spec.workload import DurationDist, PoissonArrivals, Stream, Workload

CONFIDENCE = 0.99
MAX_RELATIVE_HALF_WIDTH = 0.05
KINDS = {
    "mm1": ("lam", "mu"),
    "mmc": ("lam", "mu", "c"),
    "md1": ("lam", "mu"),
    "mg1": ("lam", "mu", "cs2"),
    "mmck": ("lam", "mu", "c", "k"),
}
DEFAULT_CASES = (
    "mm1:lam=0.7,mu=1",
    "mmc:lam=3.2,mu=1,c=4",
    "md1:lam=0.7,mu=1",
    "mg1:lam=0.7,mu=1,cs2=2.5",
    "mmck:lam=5,mu=1,c=4,k=8",
)


@dataclass(frozen=True)
class Case:
    spec: str
    kind: str
    lam: float
    mu: float
    c: int = 1
    cs2: float = 1.0
    k: int | None = None


@dataclass
class CaseResult:
    case: str
    metric: str
    analytic: float
    simulated: float
    ci_low: float
    ci_high: float
    ok: bool
    replications: int
    customers: int
    relative_half_width: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def parse_case(spec: str) -> Case:
    source = "--case"
    kind, _, rest = spec.partition(":")
    if kind not in KINDS:
        raise InputError(source, spec, f"unknown case kind {kind!r}; expected one of {list(KINDS)}")
    params: dict[str, float] = {}
    for item in filter(None, rest.split(",")):
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or name not in KINDS[kind]:
            raise InputError(
                source, f"{kind}.{name}", f"unknown parameter; {kind} takes {list(KINDS[kind])}"
            )
        try:
            params[name] = float(value)
        except ValueError:
            raise InputError(
                source, f"{kind}.{name}", f"expected a number, got {value!r}"
            ) from None
    missing = [p for p in KINDS[kind] if p not in params]
    if missing:
        raise InputError(source, f"{kind}.{missing[0]}", f"required parameter missing ({spec})")
    for name in ("lam", "mu"):
        if params[name] <= 0:
            raise InputError(source, f"{kind}.{name}", f"expected > 0, got {params[name]:g}")
    case = Case(
        spec=spec,
        kind=kind,
        lam=params["lam"],
        mu=params["mu"],
        c=_int_param(params, "c", kind, 1),
        cs2={"md1": 0.0, "mg1": params.get("cs2", 1.0)}.get(kind, 1.0),
        k=_int_param(params, "k", kind, 0) or None,
    )
    if case.cs2 < 0:
        raise InputError(source, f"{kind}.cs2", f"expected ≥ 0, got {case.cs2:g}")
    if case.k is not None and case.k < case.c:
        raise InputError(source, f"{kind}.k", f"expected k ≥ c ({case.c}), got {case.k}")
    if case.k is None and case.lam >= case.c * case.mu:
        raise InputError(
            source, f"{kind}.lam", f"unstable queue: need lam < c·mu = {case.c * case.mu:g}"
        )
    return case


def _int_param(params: dict[str, float], name: str, kind: str, default: int) -> int:
    if name not in params:
        return default
    value = params[name]
    if value != int(value) or value < 1:
        raise InputError("--case", f"{kind}.{name}", f"expected a positive integer, got {value:g}")
    return int(value)


# --- formulas --------------------------------------------------------------------------


def erlang_c(c: int, a: float) -> float:
    """Probability an arrival waits in M/M/c with offered load a = λ/μ (a < c)."""
    term = 1.0
    total = 1.0
    for n in range(1, c):
        term *= a / n
        total += term
    last = term * a / c / (1 - a / c)
    return last / (total + last)


def mmck_probabilities(c: int, k: int, a: float) -> np.ndarray:
    """Stationary distribution of M/M/c/K (K in system) for offered load a."""
    p = np.empty(k + 1)
    p[0] = 1.0
    for n in range(1, k + 1):
        p[n] = p[n - 1] * a / min(n, c)
    return p / p.sum()


def analytic_values(case: Case) -> dict[str, float]:
    lam, mu, c = case.lam, case.mu, case.c
    rho = lam / (c * mu)
    if case.kind == "mmck":
        assert case.k is not None
        p = mmck_probabilities(c, case.k, lam / mu)
        lq = sum((n - c) * p[n] for n in range(c, case.k + 1))
        return {"blocking_probability": float(p[-1]), "mean_wait_s": lq / (lam * (1 - p[-1]))}
    if case.kind == "mmc":
        return {"mean_wait_s": erlang_c(c, lam / mu) / (c * mu - lam)}
    # M/M/1, M/D/1, M/G/1: Pollaczek–Khinchine with service SCV
    return {"mean_wait_s": rho * (1 + case.cs2) / (2 * mu * (1 - rho))}


# --- simulation ------------------------------------------------------------------------


def case_fleet(case: Case) -> tuple[Fleet, ProfileLibrary]:
    profile = LatencyProfile(
        name="analytic",
        family="classifier",
        device="cpu",
        source="synthetic",
        note="constant service time for queueing-theory validation",
        batch_sizes=[1],
        lengths=[1.0],
        latency_ms=[[1000.0 / case.mu]],
        spread_cv=0.0,
    )
    noise = {
        "mm1": "exponential",
        "mmc": "exponential",
        "mmck": "exponential",
        "md1": "none",
        "mg1": "gamma",
    }[case.kind]
    zero = StageSpec()
    fleet = Fleet(
        name=f"analytic-{case.kind}",
        models={"m": ModelSpec(family="classifier", version="1", profile="analytic")},
        pools={
            "servers": PoolSpec(
                device="cpu",
                model="m",
                replicas=case.c,
                batching=BatchingSpec(max_batch=1),
                queue_capacity=(case.k - case.c) if case.k is not None else 10**9,
                service_noise=ServiceNoise(dist=noise, cs2=case.cs2),
            )
        },
        stages=StagesSpec(
            ingress=zero, preprocess=PreprocessSpec(), route=zero, postprocess=zero, observe=zero
        ),
        routes=[RouteRule(pool="servers")],
        metrics_interval_s=1e9,
    )
    return fleet, ProfileLibrary([profile])


def simulate_replication(case: Case, customers: int, seed: int) -> dict[str, float]:
    from simulator import run

    fleet, library = case_fleet(case)
    duration = customers / case.lam
    workload = Workload(
        streams=[
            Stream(
                name="poisson",
                kind="classifier",
                arrivals=PoissonArrivals(process="poisson", rate_per_s=case.lam),
                audio_s=DurationDist(dist="fixed", median_s=1.0, min_s=1.0, max_s=1.0),
            )
        ]
    )
    tel = run(fleet, workload, seed=seed, duration_s=duration, profiles=library)
    req = tel.requests
    warm = req["arrival_s"].to_numpy() >= 0.1 * duration  # discard the empty-start transient
    status = req["status"].to_numpy()[warm]
    served = status == "ok"
    wait = (req["infer_start_s"].to_numpy() - req["enqueue_s"].to_numpy())[warm][served]
    return {
        "mean_wait_s": float(wait.mean()),
        "blocking_probability": float((status == "rejected").mean()),
        "customers": float(warm.sum()),
    }


def validate_case(
    case: Case,
    seed: int = 0,
    replications: int = 10,
    customers: int = 20_000,
    max_customers: int = 640_000,
) -> list[CaseResult]:
    """Replicate until every metric's 99% CI half-width is ≤ 5% (or the budget runs out)."""
    expected = analytic_values(case)
    while True:
        runs = [simulate_replication(case, customers, seed * 1000 + r) for r in range(replications)]
        results = [_summarise(case, metric, value, runs) for metric, value in expected.items()]
        if all(r.relative_half_width <= MAX_RELATIVE_HALF_WIDTH for r in results):
            return results
        if customers * 2 > max_customers:
            return results
        customers *= 2


def _summarise(
    case: Case, metric: str, analytic: float, runs: list[dict[str, float]]
) -> CaseResult:
    from scipy import stats  # imported on use: it costs the CLI 0.4 s to start

    values = np.array([r[metric] for r in runs])
    mean = float(values.mean())
    half = float(
        stats.t.ppf(0.5 + CONFIDENCE / 2, len(values) - 1)
        * values.std(ddof=1)
        / math.sqrt(len(values))
    )
    relative = half / abs(mean) if mean else math.inf
    low, high = mean - half, mean + half
    return CaseResult(
        case=case.spec,
        metric=metric,
        analytic=analytic,
        simulated=mean,
        ci_low=low,
        ci_high=high,
        ok=bool(low <= analytic <= high and relative <= MAX_RELATIVE_HALF_WIDTH),
        replications=len(values),
        customers=int(sum(r["customers"] for r in runs)),
        relative_half_width=relative,
    )
