"""Commands over the simulator: simulate, validate analytic, profiles list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np

from drills.cli.output import emit_json, out_folder, progress_bar
from drills.library.paths import resolve_target
from reports.tables import render_table
from simulator.errors import CheckFailed, InputError

if TYPE_CHECKING:
    from real_backend.fidelity import FidelityRow


def register(cli: click.Group) -> None:
    cli.add_command(simulate)
    cli.add_command(validate)
    cli.add_command(profiles)


@click.command()
@click.argument("target")
@click.option(
    "--seed", type=int, default=None, help="Random seed [default: the scenario's, else 0]."
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds of arrivals to simulate [default: the file's, else 600].",
)
@click.option("--no-faults", is_flag=True, help="Ignore the timeline (faults and changes).")
@out_folder("Write the telemetry tables as Parquet into this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def simulate(
    target: str,
    seed: int | None,
    duration: float | None,
    no_faults: bool,
    out: Path | None,
    as_json: bool,
) -> None:
    """Simulate a fleet file or a scenario (a path or a library name); print a summary."""
    from simulator import check_timeline, run
    from simulator.spec.config import fleet_only, load_fleet_file

    path = resolve_target(target)
    if path.name == "scenario.yaml" or _is_scenario(path):
        from drills.library.scenario import load_scenario

        loaded = load_scenario(path)
        fleet, workload, timeline = loaded.fleet, loaded.workload, loaded.timeline
        seed = loaded.spec.seed if seed is None else seed
        duration = duration or loaded.spec.duration_s
    else:
        fleet_file = load_fleet_file(path)
        if fleet_file.workload is None:
            raise InputError(
                str(path),
                "workload",
                "this fleet file has no workload to "
                "simulate; add a `workload:` section with at least one stream",
            )
        fleet, workload, timeline = fleet_only(fleet_file), fleet_file.workload, fleet_file.timeline
        problems = check_timeline(fleet, timeline)
        if problems:
            index, message = problems[0]
            raise InputError(str(path), f"timeline[{index}].set", message)
    seed = 0 if seed is None else seed
    if no_faults:
        timeline = []
    with progress_bar("simulating") as report:
        telemetry = run(
            fleet,
            workload,
            timeline,
            seed=seed,
            duration_s=duration or 600.0,
            base_dir=path.parent,
            progress=report,
        )
    from simulator import summarize

    summary = summarize(telemetry)
    summary.update({"target": str(path), "seed": seed})
    if out is not None:
        summary["written"] = [str(p) for p in telemetry.write_parquet(out)]
    if as_json:
        emit_json(summary)
    else:
        click.echo(render_summary(summary))


def _is_scenario(path: Path) -> bool:
    """A YAML file whose top level names a scenario (an `id` and a `briefing`)."""
    import yaml

    try:
        head = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return False
    return isinstance(head, dict) and "briefing" in head and "id" in head


def render_summary(summary: dict[str, Any]) -> str:
    head = (
        f"{summary['target']}  seed {summary['seed']}  {summary['duration_s']:g} s of arrivals\n"
        f"requests {summary['requests']:,}  completed {summary['completed']:,}  "
        f"rejected {summary['rejected']:,}  timed out {summary['timed_out']:,}  "
        f"errors {summary['errors']:,}  ({summary['requests_per_s']:.1f} req/s)\n"
        f"cost ${summary['cost_usd']:.4f} (${summary['cost_usd_per_hour']:.2f}/h)  "
        f"GPU-h {summary['gpu_hours']:.3f}  CPU-h {summary['cpu_hours']:.3f}  "
        f"mean batch {summary['mean_batch_size']:.2f} (fill {summary['mean_batch_fill']:.0%})  "
        f"padding waste {summary['padding_waste']:.1%}"
    )
    rows = [[kind, q["p50"], q["p95"], q["p99"]] for kind, q in summary["latency_ms"].items()]
    stream, tts = summary.get("streaming") or {}, summary.get("tts") or {}
    if stream.get("first_partial_ms"):
        fp = stream["first_partial_ms"]
        rows.append(["  first partial", fp["p50"], fp["p95"], fp["p99"]])
    if tts.get("first_audio_byte_ms"):
        fab = tts["first_audio_byte_ms"]
        rows.append(["  first audio byte", fab["p50"], fab["p95"], fab["p99"]])
    table = render_table(["latency", "p50 ms", "p95 ms", "p99 ms"], rows)
    if stream:
        table += f"\nstreaming partial churn: {stream['partial_churn_mean']:.2f} words/session"
    by_tag: dict[str, float] = summary.get("cost_by_tag", {})
    ranked = sorted(by_tag.items(), key=lambda kv: kv[1], reverse=True)
    cost = render_table(["cost by tag", "USD"], ranked)
    quality = render_table(
        ["slice", "requests", "WER proxy", "confidence", "corrections"],
        [
            [name, q["requests"], q["wer_proxy"], q["confidence"], q["correction_rate"]]
            for name, q in summary.get("quality_by_slice", {}).items()
        ],
    )
    written = "\n".join(f"wrote {p}" for p in summary.get("written", []))
    return "\n\n".join(part for part in (head, table, cost, quality, written) if part)


@click.group()
def validate() -> None:
    """Check the simulator against queueing theory and real measurements."""


@validate.command("analytic")
@click.option(
    "--case",
    "cases",
    multiple=True,
    metavar="SPEC",
    help="e.g. mmc:lam=3.2,mu=1,c=4 (kinds mm1, mmc, md1, mg1 cs2=, mmck k=). "
    "Repeatable; default: a built-in set.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print results as a JSON list.")
def validate_analytic(cases: tuple[str, ...], seed: int, as_json: bool) -> None:
    """Simulate closed-form queueing cases and compare with the formulas."""
    from simulator.studies.analytic import DEFAULT_CASES, parse_case, validate_case

    parsed = [parse_case(spec) for spec in (cases or DEFAULT_CASES)]  # all bad specs exit 2 first
    results = []
    with progress_bar("validating") as report:
        for i, case in enumerate(parsed):
            results.extend(validate_case(case, seed=seed))
            if report:
                report((i + 1) / len(parsed))
    if as_json:
        emit_json(
            [
                {
                    k: r.as_dict()[k]
                    for k in (
                        "case",
                        "metric",
                        "analytic",
                        "simulated",
                        "ci_low",
                        "ci_high",
                        "ok",
                        "replications",
                        "customers",
                        "relative_half_width",
                    )
                }
                for r in results
            ]
        )
    else:
        rows = [
            [
                r.case,
                r.metric,
                r.analytic,
                r.simulated,
                f"[{r.ci_low:.4g}, {r.ci_high:.4g}]",
                f"{r.relative_half_width:.1%}",
                "ok" if r.ok else "MISS",
            ]
            for r in results
        ]
        click.echo(
            render_table(
                ["case", "metric", "analytic", "simulated", "99% CI", "half-width", "result"], rows
            )
        )
    missed = [r for r in results if not r.ok]
    if missed:
        raise CheckFailed(f"{len(missed)} of {len(results)} analytic checks missed")


FIDELITY_TARGET_MEDIAN, FIDELITY_TARGET_WORST = 0.03, 0.08


@validate.command("fidelity")
@click.option("--quick", is_flag=True, help="One family, one load, a short run (a smoke test).")
@click.option(
    "--family",
    "families",
    multiple=True,
    type=click.Choice(["asr-batch", "tts", "embedding"]),
    help="Families to compare (default: all three).",
)
@click.option("--duration", type=click.FloatRange(min=1), default=None, help="Seconds per load.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--repeats",
    type=click.IntRange(min=1, max=20),
    default=None,
    help="Real runs per load (default 2, 1 with --quick); more shrink the noise column.",
)
@click.option(
    "--diagnose",
    is_flag=True,
    help="Also say where each error comes from: the prediction on a drifting host, and how "
    "much of the error the host's speed explains (about 45 more simulations per cell).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per (family, load).")
@out_folder(
    "Write the latency CDF plot (fidelity.png), fidelity.json and each family's "
    "calibrated profile (profile-FAMILY.json) here."
)
def validate_fidelity(
    quick: bool,
    families: tuple[str, ...],
    duration: float | None,
    seed: int,
    repeats: int | None,
    diagnose: bool,
    as_json: bool,
    out: Path | None,
) -> None:
    """Run the real in-process batching server and the simulator on the same requests and
    compare latency quantiles (needs the `backend` extra: torch). Exit 1 if the median p95
    error exceeds 3% or the worst 8%.

    Beside the error: the sampling noise of the p95 comparison (what a perfect simulator
    would still show), the error when the simulator follows the speed the real batches ran
    at window by window (isolates queueing and batching from service-speed prediction), and
    the spread of the real server's p95 between its own repeated runs."""
    try:
        from real_backend.fidelity import LOADS, plot_cdfs, run_fidelity
    except ImportError as exc:
        raise InputError(
            "validate fidelity", "backend", f"needs torch ({exc}): pip install '.[backend]'"
        ) from None
    chosen = list(families) or (["embedding"] if quick else ["asr-batch", "tts", "embedding"])
    loads = (0.6,) if quick else LOADS
    duration_s = duration or (10.0 if quick else 40.0)
    failures: list[str] = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "fidelity-rows.jsonl").write_text("")

    def keep(row: FidelityRow) -> None:
        """Each finished cell, written as it completes: a late failure loses only its own."""
        if out is not None:
            with (out / "fidelity-rows.jsonl").open("a") as handle:
                handle.write(json.dumps(row.as_dict(), default=float) + "\n")

    rows = run_fidelity(
        chosen, loads, duration_s, quick, seed, repeats, keep, failures, diagnose=diagnose
    )
    if out is not None and rows:
        plot_cdfs(rows, out / "fidelity.png")
        write_fidelity(out, rows)
    if as_json:
        emit_json([r.as_dict() for r in rows])
    elif rows:
        click.echo(render_fidelity(rows))
    for failure in failures:
        click.echo(f"cell failed: {failure}", err=True)
    if failures:
        raise CheckFailed(f"{len(failures)} of {len(failures) + len(rows)} cells failed")
    errors = [abs(r.p95_error) for r in rows]
    median, worst = float(np.median(errors)), max(errors)
    if median > FIDELITY_TARGET_MEDIAN or worst > FIDELITY_TARGET_WORST:
        raise CheckFailed(
            f"p95 error median {median:.1%} (target ≤ 3%), worst {worst:.1%} (target ≤ 8%)"
        )


def write_fidelity(out: Path, rows: Sequence[FidelityRow]) -> None:
    """fidelity.json, and each family's calibrated in-serving profile: its spread_cv is all
    of the spread (a steady host); with host_drift, use calibration.noise_cv_beyond_drift."""
    public = [r.as_dict() for r in rows]
    (out / "fidelity.json").write_text(json.dumps(public, indent=1, default=float) + "\n")
    calibrated = {r.family: r.artefacts.profile for r in rows if r.artefacts is not None}
    for family, profile in calibrated.items():
        (out / f"profile-{family}.json").write_text(profile.model_dump_json(indent=1) + "\n")


def render_fidelity(rows: Sequence[FidelityRow]) -> str:
    """The comparison table; under it the host drift each family's calibration measured
    and, when every row was diagnosed, how closely the host's speed must be known."""
    table = [
        [
            r.family,
            r.load,
            r.requests,
            f"{r.real_p50_ms:.1f} / {r.sim_p50_ms:.1f}",
            f"{r.real_p95_ms:.1f} / {r.sim_p95_ms:.1f}",
            f"{r.p95_error:+.1%}",
            f"±{r.p95_noise:.1%}",
            f"{r.p95_error_given_speed:+.1%}",
            f"{r.real_p95_spread:.1%}" if r.real_runs > 1 else "n/a",
            f"{r.real_p99_ms:.1f} / {r.sim_p99_ms:.1f}",
            f"{r.real_throughput_per_s:.1f} / {r.sim_throughput_per_s:.1f}",
            f"{r.real_mean_batch:.2f} / {r.sim_mean_batch:.2f}",
            f"{r.real_busy:.0%} / {r.sim_busy:.0%}",
        ]
        + ([f"{r.diagnosis.speed_budget.p95_error_from_speed:+.1%}"] if r.diagnosis else [])
        for r in rows
    ]
    headers = ["family", "load", "requests", "p50 real/sim", "p95 real/sim", "p95 err"]
    headers += ["noise", "err at run speed", "real run-to-run"]
    headers += ["p99 real/sim", "req/s real/sim", "batch real/sim", "busy real/sim"]
    diagnosed = bool(rows) and all(r.diagnosis is not None for r in rows)
    headers += ["of it host speed"] if diagnosed else []
    calibrations = {r.family: r.calibration for r in rows}  # one calibration per family
    notes = [
        f"{family}: the host's speed drifted by {c.drift.cv:.1%} in spells of "
        f"{c.drift.correlation_s:.1f} s (batch noise beyond it {c.noise_cv_beyond_drift:.1%})"
        for family, c in calibrations.items()
    ]
    notes += [speed_note(rows)] if diagnosed else []
    return "\n".join([render_table(headers, table), *(["", *notes] if notes else [])])


def speed_note(rows: Sequence[FidelityRow]) -> str:
    """How closely the host's speed must be known for the p95 target, against how
    closely the speed probe knew it."""
    budgets = [(r, r.diagnosis.speed_budget) for r in rows if r.diagnosis is not None]
    hardest, budget = max(budgets, key=lambda pair: pair[1].p95_speed_elasticity)
    miss = float(np.sqrt(np.mean([b.probe_speed_miss**2 for _, b in budgets])))
    return (
        f"host speed: at {hardest.family} {hardest.load} the p95 moves "
        f"{budget.p95_speed_elasticity:.1f}% per 1% of host speed, so a p95 within 8% "
        f"needs the speed known within {budget.p95_speed_needed:.1%}; "
        f"the probe missed the runs' speed by {miss:.1%} RMS"
    )


@click.group()
def profiles() -> None:
    """Latency profiles the simulator reads service times from."""


@profiles.command("list")
@click.option("--json", "as_json", is_flag=True)
def profiles_list(as_json: bool) -> None:
    """List the available latency profiles."""
    from simulator.spec.profiles import shipped_library

    rows = [
        {
            "name": p.name,
            "family": p.family,
            "device": p.device,
            "source": p.source,
            "date": p.created,
            "model": p.model,
            "precision": p.precision,
        }
        for p in shipped_library().all()
    ]
    if as_json:
        emit_json(rows)
        return
    click.echo(
        render_table(
            ["name", "family", "device", "source", "date"],
            [[r["name"], r["family"], r["device"], r["source"], r["date"]] for r in rows],
        )
    )
    if any(r["source"] != "measured" for r in rows):
        click.echo(
            "\nNote: rows not marked `measured` are estimates (roofline) or placeholders, "
            "not measurements."
        )
