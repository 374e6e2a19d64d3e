"""What-if sweep files: read one, resolve its base (a fleet or a scenario), and check every
point of its grid before anything runs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from drills.library.paths import library_root, resolve_target
from simulator.errors import InputError, InputErrors
from simulator.studies.sweep import Sweep, SweepSpec, apply_params, point_problems
from simulator.studies.sweep_run import PointResult, cheapest_meeting, pareto_frontier, tied_with


def load_sweep(path: Path) -> Sweep:
    """Read a sweep file, resolve its base, and check every point before anything runs."""
    from simulator.spec.fileio import line_of, read_yaml, validate_data

    data, node = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(str(path), "", f"expected a YAML mapping, found {type(data).__name__}")
    spec = validate_data(data, SweepSpec, str(path), node)
    sweep = _resolve_base(spec, path)
    problems = point_problems(sweep)
    if problems:
        raise InputErrors(
            [
                InputError(
                    str(path), _where(spec, field), message, line_of(node, _key(spec, field))
                )
                for field, message in problems
            ]
        )
    return sweep


def _where(spec: SweepSpec, field_path: str) -> str:
    return f"grid.{field_path}" if field_path in spec.grid else f"points[].{field_path}"


def _key(spec: SweepSpec, field_path: str) -> tuple[Any, ...]:
    return ("grid", field_path) if field_path in spec.grid else ("points",)


def _resolve_base(spec: SweepSpec, path: Path) -> Sweep:
    from simulator.spec.config import fleet_only, load_fleet_file

    if spec.base.fleet is not None:
        fleet_path = (path.parent / spec.base.fleet).resolve()
        if not fleet_path.is_file():
            fleet_path = library_root() / "fleets" / spec.base.fleet
        fleet_file = load_fleet_file(fleet_path)
        fleet, workload, timeline = fleet_only(fleet_file), fleet_file.workload, []
        base_dir = fleet_path.parent
    else:
        from drills.library.scenario import load_scenario

        scenario_path = resolve_target(str(spec.base.scenario))
        loaded = load_scenario(scenario_path)
        fleet, workload = loaded.fleet, loaded.workload
        timeline = loaded.timeline if spec.base.faults else []
        base_dir = scenario_path.parent
    workload = spec.workload or workload
    if workload is None:
        raise InputError(str(path), "workload", "neither the sweep nor its base has a workload")
    if spec.workload is not None:
        base_dir = path.parent
    return Sweep(spec, fleet, workload, timeline, base_dir, source=str(path))


def _judged(points: list[PointResult]) -> dict[str, Any]:
    """The frontier of cost against SLO headroom over the points meeting every SLO (a
    point that misses one is no option, however cheap: it is listed apart), the cheapest
    of them, and what binds where none meets."""
    meeting = [p for p in points if p.slo_met]
    costs = [p.mean.get("cost_usd_per_hour", math.inf) for p in meeting]
    frontier = [meeting[i] for i in pareto_frontier(costs, [p.slo_ratio for p in meeting])]
    best = cheapest_meeting(points)
    binding: dict[str, int] = {}
    for p in points:
        if not p.slo_met:
            binding[p.binding] = binding.get(p.binding, 0) + 1
    return {
        "frontier": [p.as_dict() for p in frontier],
        "failing": [p.index for p in points if not p.slo_met],
        "best": None if best is None else best.as_dict(),
        "ties": 0 if best is None else tied_with(best, points),
        "binding": None if best is not None else binding,
    }


def summarise(points: list[PointResult], conditions: list[str] | None = None) -> dict[str, Any]:
    """The frontier and the cheapest point meeting every SLO, per workload condition: a
    condition (traffic ×30) is what you will get, not a choice, so the cheapest point is
    found among the choices at each condition, never across them."""
    conditions = conditions or []
    groups: dict[tuple[Any, ...], list[PointResult]] = {}
    for p in points:
        groups.setdefault(tuple(p.params.get(c) for c in conditions), []).append(p)
    by_condition = [
        {"condition": dict(zip(conditions, key, strict=True)), **_judged(group)}
        for key, group in groups.items()
    ]
    out: dict[str, Any] = {"points": [p.as_dict() for p in points], "conditions": conditions}
    if conditions:
        out["by_condition"] = by_condition
        out |= {"frontier": [f for g in by_condition for f in g["frontier"]], "best": None}
        out["failing"] = [i for g in by_condition for i in g["failing"]]
        out["binding"] = None
    else:
        out |= by_condition[0] if by_condition else _judged([])
    return out


def chosen_point(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The point a report's latency plot shows: the best, or the best at the hardest
    condition (the last) when the sweep has conditions."""
    if summary.get("by_condition"):
        found = [g["best"] for g in summary["by_condition"] if g["best"] is not None]
        return found[-1] if found else None
    return summary.get("best")


def latency_samples(
    sweep: Sweep, chosen: dict[str, Any] | None
) -> dict[str, dict[str, np.ndarray]]:
    """Served latencies (ms, sorted) per SLO kind, of the base fleet and of the chosen
    point (first seed): what the report's latency CDF plots."""
    from simulator import run

    out: dict[str, dict[str, np.ndarray]] = {}
    variants = [("base", {})] + ([("chosen", chosen["params"])] if chosen else [])
    for label, params in variants:
        fleet, workload = apply_params(sweep.fleet, sweep.workload, params)
        tel = run(
            fleet,
            workload,
            sweep.timeline,
            seed=sweep.spec.base_seed,
            duration_s=sweep.spec.duration_s,
            base_dir=sweep.base_dir,
        )
        served = tel.requests[tel.requests["status"] == "ok"]
        out[label] = {
            kind: np.sort(served.loc[served["kind"] == kind, "latency_ms"].to_numpy(dtype=float))
            for kind in sweep.spec.objectives.slos
        }
    return out
