"""`speechdrill whatif SWEEP.yaml`: what-if capacity replay over a grid of fleet changes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from drills.cli.output import emit_json, out_folder, progress_bar
from drills.library.paths import resolve_target
from drills.library.whatif import chosen_point, latency_samples, load_sweep, summarise
from reports.tables import render_table
from reports.whatif import COLUMNS, MEETS, SEEDS_NOTE, interval, verdicts
from simulator.errors import InputError
from simulator.studies.sweep import Sweep
from simulator.studies.sweep_run import (
    Executor,
    PointResult,
    ResultsLog,
    aggregate,
    find_min,
    run_sweep,
)


def register(cli: click.Group) -> None:
    cli.add_command(whatif)


def _executor(workers: int | None, dask: str | None, dask_local: int | None) -> Executor:
    chosen = [
        o for o, v in (("--workers", workers), ("--dask", dask), ("--dask-local", dask_local)) if v
    ]
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {', '.join(chosen)}")
    if dask or dask_local:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise InputError(
                "--dask" if dask else "--dask-local",
                "dist",
                "needs Dask: pip install 'speechdrill[dist]' (or run with --workers N)",
            ) from None
        if dask:
            return Executor("dask", address=dask)
        return Executor("dask-local", workers=int(dask_local or 1))
    return Executor("processes" if (workers or 1) > 1 else "serial", workers=workers or 1)


@click.command()
@click.argument("sweep_file", type=click.Path(path_type=Path))
@click.option("--workers", type=click.IntRange(1, 512), default=None, help="Local processes.")
@click.option("--dask", metavar="ADDRESS", default=None, help="Join a Dask scheduler.")
@click.option(
    "--dask-local",
    type=click.IntRange(1, 512),
    default=None,
    help="Start a loopback-only Dask cluster of N workers (no dashboard).",
)
@click.option(
    "--find-min",
    "find_field",
    metavar="FIELD",
    default=None,
    help="Bisect one numeric grid field for its smallest value meeting every SLO, for each "
    "combination of the other grid fields.",
)
@out_folder("Write runs.jsonl (resume), results.parquet, frontier.json and report.html here.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def whatif(
    sweep_file: Path,
    workers: int | None,
    dask: str | None,
    dask_local: int | None,
    find_field: str | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """What-if capacity replay: every grid point × seed simulated, the cost/SLO frontier,
    and the cheapest point meeting every SLO (or what binds)."""
    sweep = load_sweep(resolve_target(str(sweep_file)))
    executor = _executor(workers, dask, dask_local)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    log = ResultsLog(out / "runs.jsonl" if out is not None else None)
    with progress_bar("what-if") as report:
        progress = None if report is None else (lambda done, total: report(done / total))
        if find_field is not None:
            if find_field not in sweep.spec.grid:
                raise InputError(
                    "--find-min", find_field, f"not a grid field; grid: {sorted(sweep.spec.grid)}"
                )
            result = find_min(sweep, find_field, executor, log, progress)
            _show_find_min(result, as_json)
            return
        runs = run_sweep(sweep, executor, log, progress)
    points = aggregate(runs, sweep.points(), sweep.spec.objectives)
    summary = summarise(points, sweep.spec.condition_paths())
    if out is not None:
        from reports.whatif import write_outputs

        samples = latency_samples(sweep, chosen_point(summary))
        summary["written"] = write_outputs(sweep, runs, points, summary, samples, out)
    if as_json:
        emit_json(summary)
    else:
        click.echo(render(sweep, points, summary))


def render(sweep: Sweep, points: list[PointResult], summary: dict[str, Any]) -> str:
    kinds = list(sweep.spec.objectives.slos)
    params = list(points[0].params) if points else []
    frontier = {p["index"] for p in summary["frontier"]}
    rows = []
    for p in points:
        rows.append(
            [
                *(p.params[k] for k in params),
                interval(p, "cost_usd_per_hour", 2),
                *(interval(p, f"{k}.p95_ms", 0) for k in kinds),
                f"{p.slo_ratio:.2f}",
                f"{p.mean.get('mean_batch_fill', math.nan):.0%}",
                f"{p.mean.get('padding_waste', math.nan):.0%}",
                f"{p.mean.get('slo_attainment', math.nan):.0%}",
                f"{p.mean.get('failed_fraction', 0):.1%}",
                "yes" if p.slo_met else f"no ({p.binding})",
                "*" if p.index in frontier else "",
            ]
        )
    headers = [*params, "$/h [95% CI]", *(f"{k} p95 ms [95% CI]" for k in kinds), "SLO ratio"]
    headers += ["batch fill", "padding"]
    headers += ["windows meeting SLOs", "failed", "meets SLOs (run)", "frontier"]
    table = render_table(headers, rows)
    written = "\n".join(f"wrote {p}" for p in summary.get("written", []))
    spec = sweep.spec
    head = f"{spec.name}: {len(points)} points × {spec.seeds} seeds, {spec.duration_s:g} s each"
    notes = "\n".join(
        [MEETS, f"SLO ratio: {COLUMNS['SLO ratio']}", SEEDS_NOTE.format(seeds=spec.seeds)]
    )
    return "\n\n".join(part for part in (head, table, notes, verdicts(summary), written) if part)


def _show_find_min(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    field = result["field"]
    click.echo(find_min_table(result))
    for group in result["by_condition"]:
        where = ", ".join(f"{k} = {v}" for k, v in group["condition"].items())
        prefix = f"at {where}: " if where else ""
        best = group["best"]
        if best is None:
            click.echo(
                f"{prefix}no combination meets every SLO with {field} up to the grid's largest"
            )
            continue
        choice = ", ".join(
            f"{k} = {v}" for k, v in best["fixed"].items() if k not in group["condition"]
        )
        click.echo(
            f"{prefix}cheapest: {field} = {best['value']}"
            + (f" with {choice}" if choice else "")
            + f" at ${best['cost_usd_per_hour']:.2f}/h ({best['confidence']:.0%} of seeds meet "
            "every SLO)"
        )


def find_min_table(result: dict[str, Any]) -> str:
    """One row per combination of the other grid fields: the smallest value meeting every
    SLO there, its cost, and the values bisection tried."""
    field, searched = result["field"], result["searched"]
    rows = []
    for search in result["searches"]:
        tried = ", ".join(f"{e['value']}{'' if e['slo_met'] else '✗'}" for e in search["evaluated"])
        found = search["value"]
        rows.append(
            [
                *(search["fixed"][k] for k in searched),
                "none in the grid" if found is None else found,
                "" if found is None else f"{search['cost_usd_per_hour']:.2f}",
                tried,
            ]
        )
    headers = [*searched, f"smallest {field} meeting every SLO", "$/h", "tried (✗ misses)"]
    return render_table(headers, rows)
