"""Run a sweep's tasks (serially, on a process pool, or on Dask), resume from a results
file, aggregate seeds into points with confidence intervals, and find the cost/SLO frontier.

Every task is a pure function of its inputs, so the executor never changes a number.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator.studies.sweep import SLO_METRICS, Objectives, Scalar, Sweep, Task, run_task

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Executor:
    """Where tasks run: `serial`, `processes` (N workers), `dask` (an address) or
    `dask-local` (N loopback-only workers, no dashboard)."""

    kind: str = "serial"
    workers: int = 1
    address: str | None = None


def execute(tasks: list[Task], executor: Executor) -> Iterator[tuple[Task, dict[str, float]]]:
    """Yield (task, metrics) as tasks finish, in any order."""
    if not tasks:
        return
    if executor.kind == "serial" or (executor.kind == "processes" and executor.workers == 1):
        for task in tasks:
            yield task, run_task(task)
    elif executor.kind == "processes":
        with ProcessPoolExecutor(max_workers=executor.workers) as pool:
            futures = {pool.submit(run_task, t): t for t in tasks}
            for future in as_completed(futures):
                yield futures[future], future.result()
    else:
        yield from _execute_dask(tasks, executor)


def _execute_dask(tasks: list[Task], executor: Executor) -> Iterator[tuple[Task, dict[str, float]]]:
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_completed

    cluster = None
    if executor.kind == "dask-local":
        cluster = LocalCluster(
            n_workers=executor.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    client = Client(cluster if cluster is not None else executor.address)
    try:
        futures = [client.submit(run_task, t, key=f"speechdrill-{t.key}") for t in tasks]
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        for future in dask_completed(futures):
            yield by_key[future.key], future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class ResultsLog:
    """Finished runs, one JSON line each, appended as they finish: an interrupted sweep
    resumes by skipping every task whose key is already here."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.done: dict[str, dict[str, Any]] = {}
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                try:
                    row = json.loads(line)
                    self.done[row["key"]] = row
                except (json.JSONDecodeError, KeyError):
                    continue  # a line cut off by the interruption

    def add(self, task: Task, metrics: dict[str, float]) -> None:
        row = {
            "key": task.key,
            "point": task.point,
            "seed": task.seed,
            "params": task.params,
            "metrics": metrics,
        }
        self.done[task.key] = row
        if self.path is not None:
            with self.path.open("a") as handle:
                handle.write(json.dumps(row, allow_nan=True) + "\n")


def run_sweep(
    sweep: Sweep,
    executor: Executor,
    log: ResultsLog | None = None,
    progress: Progress | None = None,
    tasks: list[Task] | None = None,
) -> list[dict[str, Any]]:
    """Run every task not already in the log; return all runs (resumed and new)."""
    log = log or ResultsLog(None)
    tasks = sweep.tasks() if tasks is None else tasks
    todo = [t for t in tasks if t.key not in log.done]
    finished = len(tasks) - len(todo)
    if progress:
        progress(finished, len(tasks))
    for task, metrics in execute(todo, executor):
        log.add(task, metrics)
        finished += 1
        if progress:
            progress(finished, len(tasks))
    return [log.done[t.key] for t in tasks]


@dataclass
class PointResult:
    index: int
    params: dict[str, Scalar]
    mean: dict[str, float]
    ci: dict[str, tuple[float, float]]
    seeds_meeting: float
    slo_met: bool
    slo_ratio: float  # worst metric / target over all SLOs (≤ 1: every SLO met)
    binding: str
    runs: list[dict[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        p95 = {k.rsplit(".", 1)[0]: v for k, v in self.mean.items() if k.endswith(".p95_ms")}
        return {
            "index": self.index,
            "params": self.params,
            "cost_usd_per_hour": self.mean.get("cost_usd_per_hour"),
            "cost_usd_per_audio_hour": self.mean.get("cost_usd_per_audio_hour"),
            "p95_ms": p95,
            "slo_met": self.slo_met,
            "slo_ratio": self.slo_ratio,
            "binding_slo": self.binding,
            "seeds_meeting_every_slo": self.seeds_meeting,
            "metrics": self.mean,
            "ci": {k: list(v) for k, v in self.ci.items()},
        }


def confidence_interval(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean across seeds (a point when only one seed ran)."""
    from scipy import stats  # imported on use: it costs the CLI 0.4 s to start

    data = np.array([v for v in values if math.isfinite(v)], dtype=float)
    if len(data) == 0:
        return (math.nan, math.nan)
    mean = float(data.mean())
    if len(data) == 1:
        return (mean, mean)
    half = float(
        stats.t.ppf(0.5 + level / 2, len(data) - 1) * data.std(ddof=1) / np.sqrt(len(data))
    )
    return (mean - half, mean + half)


def slo_ratios(metrics: dict[str, float], objectives: Objectives) -> dict[str, float]:
    """Each SLO's metric over its target (> 1 misses); failures count as an SLO too."""
    ratios = {}
    for kind, slo in objectives.slos.items():
        for name in SLO_METRICS:
            target = getattr(slo, name)
            if target is not None:
                value = metrics.get(f"{kind}.{name}", math.nan)
                ratios[f"{kind}.{name}"] = value / target if math.isfinite(value) else math.inf
    limit = objectives.max_failed_fraction
    failed = metrics.get("failed_fraction", 0.0)
    ratios["failed_fraction"] = failed / limit if limit > 0 else (math.inf if failed else 0.0)
    return ratios


def aggregate(
    runs: list[dict[str, Any]], points: list[dict[str, Scalar]], objectives: Objectives
) -> list[PointResult]:
    by_point: dict[int, list[dict[str, float]]] = {}
    for row in runs:
        by_point.setdefault(row["point"], []).append(row["metrics"])
    results = []
    for index, params in enumerate(points):
        seeds = by_point.get(index, [])
        names = sorted({k for m in seeds for k in m})
        mean = {k: _finite_mean([m.get(k, math.nan) for m in seeds]) for k in names}
        ratios = slo_ratios(mean, objectives)
        binding = max(ratios, key=lambda k: ratios[k])
        meeting = [max(slo_ratios(m, objectives).values()) <= 1.0 for m in seeds]
        results.append(
            PointResult(
                index=index,
                params=params,
                mean=mean,
                ci={k: confidence_interval([m.get(k, math.nan) for m in seeds]) for k in names},
                seeds_meeting=sum(meeting) / len(meeting) if meeting else 0.0,
                slo_met=ratios[binding] <= 1.0,
                slo_ratio=ratios[binding],
                binding=binding,
                runs=seeds,
            )
        )
    return results


def _finite_mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def pareto_frontier(costs: list[float], ratios: list[float]) -> list[int]:
    """Indices of the points no other point dominates on (cost, SLO ratio), both lower-is-
    better; sorted by cost. Ties (identical points) are all kept."""
    frontier = []
    for i, (c, r) in enumerate(zip(costs, ratios, strict=True)):
        dominated = any(
            c2 <= c and r2 <= r and (c2 < c or r2 < r)
            for j, (c2, r2) in enumerate(zip(costs, ratios, strict=True))
            if j != i
        )
        if not dominated:
            frontier.append(i)
    return sorted(frontier, key=lambda i: (costs[i], ratios[i]))


def _cents(p: PointResult) -> float:
    return round(p.mean.get("cost_usd_per_hour", math.inf), 2)


def cheapest_meeting(points: list[PointResult]) -> PointResult | None:
    """The cheapest point meeting every SLO; among points that cost the same to the cent,
    the one with the most SLO headroom (lowest worst-SLO ratio)."""
    meeting = [p for p in points if p.slo_met]
    return min(meeting, key=lambda p: (_cents(p), p.slo_ratio), default=None)


def tied_with(best: PointResult, points: list[PointResult]) -> int:
    """How many other points meeting every SLO cost the same as `best` to the cent."""
    return sum(1 for p in points if p.slo_met and p is not best and _cents(p) == _cents(best))


def find_min(
    sweep: Sweep,
    field_path: str,
    executor: Executor,
    log: ResultsLog | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The smallest grid value of one numeric field meeting every SLO, bisected over its
    sorted values (assuming more is never worse) for *each* combination of the other grid
    fields: a planner's answer depends on the device and the traffic, so none is held at
    its first value. Per workload condition, the cheapest of those answers."""
    values = sorted(sweep.spec.grid[field_path])
    others = [p for p in sweep.spec.grid if p != field_path]
    combos = [
        dict(zip(others, combo, strict=True))
        for combo in itertools.product(*(sweep.spec.grid[p] for p in others))
    ]
    searches = [
        _bisect(sweep, field_path, values, fixed, executor, log, progress) for fixed in combos
    ]
    conditions = [c for c in sweep.spec.condition_paths() if c != field_path]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for search in searches:
        groups.setdefault(tuple(search["fixed"][c] for c in conditions), []).append(search)
    by_condition = [
        {"condition": dict(zip(conditions, key, strict=True)), "best": _cheapest(group)}
        for key, group in groups.items()
    ]
    overall = by_condition[0]["best"] if len(by_condition) == 1 else None
    return {
        "field": field_path,
        "values": values,
        "searched": others,
        "conditions": conditions,
        "searches": searches,
        "by_condition": by_condition,
        # with one condition (or none), the answer itself
        "value": None if overall is None else overall["value"],
        "fixed": None if overall is None else overall["fixed"],
        "confidence": None if overall is None else overall["confidence"],
        "point": None if overall is None else overall["point"],
        "evaluated": [e for s in searches for e in s["evaluated"]],
        "grid_size": len(values),
    }


def _cheapest(searches: list[dict[str, Any]]) -> dict[str, Any] | None:
    found = [s for s in searches if s["value"] is not None]
    return min(
        found,
        key=lambda s: (round(s["cost_usd_per_hour"] or math.inf, 2), s["value"]),
        default=None,
    )


def _bisect(
    sweep: Sweep,
    field_path: str,
    values: list[Scalar],
    fixed: dict[str, Scalar],
    executor: Executor,
    log: ResultsLog | None,
    progress: Progress | None,
) -> dict[str, Any]:
    """Bisection over `values` with the other fields at `fixed`."""
    evaluated: dict[int, PointResult] = {}

    def evaluate(i: int) -> PointResult:
        if i not in evaluated:
            params = {**fixed, field_path: values[i]}
            tasks = [sweep.task(i, params, seed) for seed in sweep.seeds()]
            runs = run_sweep(sweep, executor, log, progress, tasks)
            evaluated[i] = aggregate(
                [{**r, "point": 0} for r in runs], [params], sweep.spec.objectives
            )[0]
            evaluated[i].index = i
        return evaluated[i]

    lo, hi = 0, len(values) - 1
    found: PointResult | None = None
    if evaluate(hi).slo_met:
        while lo < hi:
            mid = (lo + hi) // 2
            if evaluate(mid).slo_met:
                hi = mid
            else:
                lo = mid + 1
        found = evaluate(lo)
    return {
        "fixed": fixed,
        "value": None if found is None else values[found.index],
        "confidence": None if found is None else found.seeds_meeting,
        "cost_usd_per_hour": None if found is None else found.mean.get("cost_usd_per_hour"),
        "point": None if found is None else found.as_dict(),
        "evaluated": [
            {"fixed": fixed, "value": values[i], "slo_met": p.slo_met, "slo_ratio": p.slo_ratio}
            for i, p in sorted(evaluated.items())
        ],
    }
