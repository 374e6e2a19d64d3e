"""What-if sweeps: a grid of fleet (and workload) changes × seeds, each run simulated
independently and measured against SLO and cost objectives.

    sweep = Sweep(fleet=..., workload=..., spec=SweepSpec(...))
    for task in sweep.tasks():              # one per (point, seed); picklable
        metrics = run_task(task)            # a pure function: same task, same numbers

The parallel executors, resume, aggregation and the frontier live in `simulator.studies.sweep_run`.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from simulator.spec.fleet import Family, Fleet, Pos, Strict
from simulator.spec.profiles import shipped_library
from simulator.spec.timeline import PathError, TimelineEvent, set_path
from simulator.spec.workload import Workload
from simulator.telemetry.bundle import Telemetry

Scalar = bool | int | float | str
WORKLOAD_PREFIX = "workload."
SLO_METRICS = ("p50_ms", "p95_ms", "p99_ms", "first_partial_p95_ms", "first_audio_byte_p95_ms")


class SweepBase(Strict):
    """Exactly one of a fleet file or a scenario (a library name or a path)."""

    fleet: str | None = Field(None, description="fleet YAML, relative to the sweep file")
    scenario: str | None = Field(None, description="scenario name or path")
    faults: bool = Field(True, description="keep the scenario's faults (timeline)")

    @model_validator(mode="after")
    def _exactly_one(self) -> SweepBase:
        if (self.fleet is None) == (self.scenario is None):
            raise ValueError("give exactly one of `fleet` or `scenario`")
        return self


class KindSLO(Strict):
    p50_ms: Pos | None = None
    p95_ms: Pos | None = None
    p99_ms: Pos | None = None
    first_partial_p95_ms: Pos | None = None
    first_audio_byte_p95_ms: Pos | None = None


class Objectives(Strict):
    slos: dict[Family, KindSLO] = Field(min_length=1, description="latency targets per kind")
    max_failed_fraction: float = Field(
        0.01, ge=0, le=1, description="rejected + timed out + errors over attempts"
    )
    window_s: Pos = Field(60.0, description="SLO attainment is counted per window")


class SweepSpec(Strict):
    """The sweep file (`scenarios/whatif/*.yaml`)."""

    name: str = Field(min_length=1)
    description: str = ""
    base: SweepBase
    workload: Workload | None = Field(None, description="default: the base's workload")
    duration_s: Pos = 900.0
    grid: dict[str, list[Scalar]] = Field(
        default_factory=dict, description="dotted field path → values; the sweep is the product"
    )
    points: list[dict[str, Scalar]] = Field(
        default_factory=list, description="or listed points (field path → value)"
    )
    conditions: list[str] | None = Field(
        None,
        description="grid paths that are conditions (traffic you will get), not choices: "
        "best points and frontiers are found per condition; default: the workload.* paths",
    )
    seeds: int = Field(3, ge=1, le=100, description="replications per point")
    base_seed: int = Field(0, ge=0)
    objectives: Objectives

    @model_validator(mode="after")
    def _has_points(self) -> SweepSpec:
        if not self.grid and not self.points:
            raise ValueError("the sweep is empty: give a `grid` or `points`")
        for path, values in self.grid.items():
            if not values:
                raise ValueError(f"grid.{path}: empty list of values")
        for path in self.conditions or []:
            if path not in self.grid:
                raise ValueError(f"conditions: {path!r} is not a grid path")
        return self

    def condition_paths(self) -> list[str]:
        if self.conditions is not None:
            return list(self.conditions)
        return [p for p in self.grid if p.startswith(WORKLOAD_PREFIX)]


@dataclass(frozen=True)
class Task:
    """One simulation of the sweep: picklable, so any executor can run it."""

    point: int
    seed: int
    params: dict[str, Scalar]
    fleet_json: str
    workload_json: str
    timeline: tuple[TimelineEvent, ...]
    duration_s: float
    objectives: Objectives
    base_dir: str
    key: str


@dataclass
class Sweep:
    """A sweep file resolved against its base: the fleet, workload and timeline to vary."""

    spec: SweepSpec
    fleet: Fleet
    workload: Workload
    timeline: list[TimelineEvent] = field(default_factory=list)
    base_dir: Path = Path(".")
    source: str = "sweep"

    def points(self) -> list[dict[str, Scalar]]:
        if self.spec.points:
            return [dict(p) for p in self.spec.points]
        paths = list(self.spec.grid)
        combos = itertools.product(*(self.spec.grid[p] for p in paths))
        return [dict(zip(paths, combo, strict=True)) for combo in combos]

    @cached_property
    def digest(self) -> str:
        """Changes whenever anything that decides the numbers changes."""
        from simulator import code_version

        blob = json.dumps(
            [
                code_version(),
                self.spec.model_dump(mode="json"),
                self.fleet.model_dump(mode="json"),
                self.workload.model_dump(mode="json"),
                [e.model_dump(mode="json") for e in self.timeline],
            ],
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def task(self, point: int, params: dict[str, Scalar], seed: int) -> Task:
        fleet, workload = apply_params(self.fleet, self.workload, params)
        key = f"{self.digest}:{json.dumps(params, sort_keys=True)}:{seed}"
        return Task(
            point=point,
            seed=seed,
            params=params,
            fleet_json=fleet.model_dump_json(),
            workload_json=workload.model_dump_json(),
            timeline=tuple(self.timeline),
            duration_s=self.spec.duration_s,
            objectives=self.spec.objectives,
            base_dir=str(self.base_dir),
            key=key,
        )

    def seeds(self) -> list[int]:
        return [self.spec.base_seed + i for i in range(self.spec.seeds)]

    def tasks(self) -> list[Task]:
        return [
            self.task(i, params, seed)
            for i, params in enumerate(self.points())
            for seed in self.seeds()
        ]


def apply_params(
    fleet: Fleet, workload: Workload, params: dict[str, Scalar]
) -> tuple[Fleet, Workload]:
    """Copies of the fleet and workload with each `path: value` set (validated)."""
    fleet, workload = copy.deepcopy(fleet), copy.deepcopy(workload)
    for path, value in params.items():
        if path.startswith(WORKLOAD_PREFIX):
            set_path(workload, path[len(WORKLOAD_PREFIX) :], value)
        else:
            set_path(fleet, path, value)
    return fleet, workload


def point_problems(sweep: Sweep) -> list[tuple[str, str]]:
    """(field path, problem) for every grid value that cannot be applied or leaves a pool
    without a latency profile for its device: found before anything runs."""
    problems: list[tuple[str, str]] = []
    library = shipped_library()
    for params in sweep.points():
        bad = False
        for path, value in params.items():
            try:
                apply_params(sweep.fleet, sweep.workload, {path: value})
            except PathError as exc:
                problems.append((path, str(exc)))
                bad = True
        if bad:
            continue
        fleet, _ = apply_params(sweep.fleet, sweep.workload, params)
        for name, pool in fleet.pools.items():
            profile = fleet.models[pool.model].profile
            if not library.has(profile, pool.device):
                blame = next((p for p in params if p.startswith(f"pools.{name}.")), "pools")
                problems.append(
                    (
                        blame,
                        f"no latency profile {profile!r} for device {pool.device!r} "
                        f"(pool {name}); see `speechdrill profiles list`",
                    )
                )
    return list(dict.fromkeys(problems))


def run_task(task: Task) -> dict[str, float]:
    """Simulate one (point, seed) and measure it. Imports inside: runs in worker processes."""
    from simulator import run

    fleet = Fleet.model_validate_json(task.fleet_json)
    workload = Workload.model_validate_json(task.workload_json)
    telemetry = run(
        fleet,
        workload,
        list(task.timeline),
        seed=task.seed,
        duration_s=task.duration_s,
        base_dir=Path(task.base_dir),
    )
    return measure(telemetry, task.objectives)


def measure(tel: Telemetry, objectives: Objectives) -> dict[str, float]:
    """One run's objectives: latency per kind, SLO attainment, failures, cost, batching."""
    req = tel.requests
    status = req["status"].to_numpy().astype(str)
    users = req[status != "shadow"]
    user_status = users["status"].to_numpy().astype(str)
    ok = users[user_status == "ok"]
    failed = np.isin(user_status, ("rejected", "timeout", "error"))
    metrics: dict[str, float] = {
        "requests": float(len(users)),
        "failed_fraction": float(failed.mean()) if len(users) else 0.0,
        "rejected": float((user_status == "rejected").sum()),
        "timed_out": float((user_status == "timeout").sum()),
    }
    for kind, slo in objectives.slos.items():
        group = ok[ok["kind"] == kind]
        for name in SLO_METRICS:
            if getattr(slo, name) is not None or name in ("p50_ms", "p95_ms", "p99_ms"):
                metrics[f"{kind}.{name}"] = _kind_quantile(group, name)
    metrics["slo_attainment"] = slo_attainment(ok, objectives)
    metrics.update(_cost_and_batching(tel, ok))
    churn = ok.loc[ok["kind"] == "asr-streaming", "partial_churn"]
    if len(churn):
        metrics["partial_churn"] = float(churn.mean())
    return metrics


def _kind_quantile(group: pd.DataFrame, name: str) -> float:
    column, q = {
        "p50_ms": ("latency_ms", 50),
        "p95_ms": ("latency_ms", 95),
        "p99_ms": ("latency_ms", 99),
        "first_partial_p95_ms": ("first_partial_ms", 95),
        "first_audio_byte_p95_ms": ("first_audio_byte_ms", 95),
    }[name]
    values = group[column].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(np.percentile(values, q)) if len(values) else float("nan")


def slo_attainment(ok: pd.DataFrame, objectives: Objectives) -> float:
    """Fraction of (window, SLO) pairs with traffic in which the window met the target."""
    window = (ok["arrival_s"].to_numpy(dtype=float) // objectives.window_s).astype(np.int64)
    met, total = 0, 0
    for kind, slo in objectives.slos.items():
        mask = (ok["kind"] == kind).to_numpy()
        for name in SLO_METRICS:
            target = getattr(slo, name)
            if target is None or not mask.any():
                continue
            frame = ok[mask].assign(window=window[mask])
            values = np.array([_kind_quantile(g, name) for _, g in frame.groupby("window")])
            values = values[np.isfinite(values)]
            met += int((values <= target).sum())
            total += len(values)
    return met / total if total else 1.0


def _cost_and_batching(tel: Telemetry, ok: pd.DataFrame) -> dict[str, float]:
    cost = tel.pool_cost
    total = float(cost["cost_usd"].sum()) if len(cost) else 0.0
    gpu_s = float(cost.loc[cost["device_kind"] == "gpu", "replica_seconds"].sum())
    audio_h = float(ok["audio_s"].sum()) / 3600.0
    b = tel.batches
    padded = float(b["padded_audio_s"].sum()) if len(b) else 0.0
    useful = float(b["useful_audio_s"].sum()) if len(b) else 0.0
    return {
        "cost_usd_per_hour": total / tel.horizon_s * 3600.0 if tel.horizon_s else 0.0,
        "cost_usd_per_audio_hour": total / audio_h if audio_h else float("nan"),
        "gpu_hours": gpu_s / 3600.0,
        "mean_batch_fill": float((b["size"] / b["max_batch"]).mean()) if len(b) else 0.0,
        "padding_waste": 1.0 - useful / padded if padded else 0.0,
    }
