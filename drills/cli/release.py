"""`speechdrill gate` (and the release lab's other commands): exit codes a CI job can
branch on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from drills.cli.output import emit_json
from reports.tables import render_table

if TYPE_CHECKING:
    from drills.course.release.budget import BudgetResult

# merge 0 · block 1 (a check ran and failed) · bad input 2 · pause 4 (a human decides)
GATE_EXIT = {"merge": 0, "block": 1, "pause": 4}

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def register(cli: click.Group) -> None:
    cli.add_command(gate)
    cli.add_command(eval_group)
    cli.add_command(packet)
    cli.add_command(budget)


@click.command()
@click.argument("baseline", type=FILE)
@click.argument("candidate", type=FILE)
@click.option("--budgets", "budgets_path", required=True, type=FILE, help="Slice budgets (YAML).")
@click.option("--manifest", "manifest_path", type=FILE, help="A release manifest (Prompt 4).")
@click.option("--json", "as_json", is_flag=True)
def gate(
    baseline: Path, candidate: Path, budgets_path: Path, manifest_path: Path | None, as_json: bool
) -> int:
    """The ASR slice gate: judge a candidate's metrics by slice against the baseline's.

    BASELINE and CANDIDATE are metric maps (JSON, YAML or CSV: WER, entity error, latency,
    memory per slice). Exit 0 merge, 4 pause (a human decides: a slice is missing or an
    unprotected one regressed), 1 block (a protected slice, latency or memory over budget),
    2 bad input."""
    from drills.course.release.gate import (
        judge,
        load_budgets,
        load_manifest,
        load_metric_map,
    )

    manifest = load_manifest(manifest_path) if manifest_path else None
    result = judge(
        load_metric_map(baseline), load_metric_map(candidate), load_budgets(budgets_path), manifest
    )
    if as_json:
        emit_json(result.as_dict())
    else:
        old, new = result.global_wer
        click.echo(f"global WER {old:.3f} → {new:.3f} ({new - old:+.3f})")
        if any(r.delta_interval for r in result.slices):
            click.echo(_slice_table(result.slices) + "\n")
        rows = [[f.verdict, f.what, f.why] for f in result.findings]
        if rows:
            click.echo(render_table(["finding", "what", "why"], rows))
        click.echo(f"verdict: {result.verdict}")
    return GATE_EXIT[result.verdict]


def _slice_table(rows: list[Any]) -> str:
    """Each slice's WER on both sides with its 95% interval, and the change with its own."""

    def span(interval: tuple[float, float] | None, signed: bool = False) -> str:
        if interval is None:
            return "unknown"
        form = "+.3f" if signed else ".3f"
        return f"{interval[0]:{form}}…{interval[1]:{form}}"

    table = [
        [
            r.slice,
            f"{r.baseline:.3f} [{span(r.baseline_interval)}]",
            f"{r.candidate:.3f} [{span(r.candidate_interval)}]",
            f"{r.candidate - r.baseline:+.3f} [{span(r.delta_interval, True)}]",
            "" if r.budget is None else f"+{r.budget:g}",
        ]
        for r in rows
    ]
    header = ["slice", "WER baseline [95% CI]", "WER candidate [95% CI]", "change [95% CI]"]
    return render_table([*header, "budget"], table)


@click.group("eval")
def eval_group() -> None:
    """Real evals for the release lab."""


@eval_group.command("asr")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Write the maps here."
)
@click.option(
    "--fit-out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each model's fitted quality curve into this folder as NAME.json (a fleet "
    "model's quality.curve names it once it is in simulator/data/quality/).",
)
@click.option("--refresh", is_flag=True, help="Decode again even if the eval is cached.")
@click.option(
    "--record",
    is_flag=True,
    help="Write the maps beside the fixture as its recorded eval (what the tests spot-check "
    "and the shipped curves were fitted to).",
)
@click.option("--json", "as_json", is_flag=True)
def eval_asr(
    out: Path | None, fit_out: Path | None, refresh: bool, record: bool, as_json: bool
) -> None:
    """The real ASR eval: flite speech in slices (noise, clipping, far field, narrowband,
    fast speech, domain terms, and held-out combinations) decoded by pocketsphinx in the
    fixture's two decoder configurations; the WER and entity error by slice; and the
    simulator's quality model beside the baseline's, as calibrated and as fitted to this
    eval (checked on the held-out slices). `--out` writes baseline.json and candidate.json
    for `gate`."""
    from drills.course.release import asr_eval
    from real_backend import speech_eval
    from simulator.errors import InputError

    if not speech_eval.available():
        raise InputError(
            "eval asr", "", "flite (apt-get install flite) and pocketsphinx (pip) installed"
        )
    fixture = asr_eval.load_fixture()
    maps = asr_eval.cached(fixture, refresh)
    written = [asr_eval.record(fixture, maps)] if record else []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, found in maps.items():
            path = out / f"{name}.json"
            path.write_text(found.model_dump_json(indent=1, exclude_none=True))
            written.append(path)
    curves = asr_eval.fit_all(fixture, maps)
    if fit_out is not None:
        fit_out.mkdir(parents=True, exist_ok=True)
        for curve in curves.values():
            path = fit_out / f"{curve.name}.json"
            path.write_text(curve.model_dump_json(indent=1) + "\n")
            written.append(path)
    comparisons = {
        name: asr_eval.compare(fixture, maps[name], curve) for name, curve in curves.items()
    }
    if as_json:
        emit_json(
            {
                "maps": {k: v.model_dump(exclude_none=True) for k, v in maps.items()},
                "quality_model": {
                    name: [
                        c.__dict__
                        | {"relative_error": c.relative_error, "fitted_error": c.fitted_error}
                        for c in found
                    ]
                    for name, found in comparisons.items()
                },
                "fitted_curves": {k: v.model_dump() for k, v in curves.items()},
                "written": [str(p) for p in written],
            }
        )
        return
    click.echo(_eval_table(maps, comparisons))
    for name, compared in comparisons.items():
        click.echo(asr_eval.summary(compared, f" ({name})"))
    click.echo(f"intervals: {next(iter(maps.values())).interval or 'none'}")
    for path in written:
        click.echo(f"wrote {path}")


def _eval_table(maps: dict[str, Any], comparisons: dict[str, list[Any]]) -> str:
    """Per slice: each model's WER with its 95% interval, the calibrated model, and each
    model's fitted curve with its error (held-out slices: within 20% or not)."""
    names = list(maps)
    first = comparisons[names[0]]
    rows = []
    for i, c in enumerate(first):
        measured = []
        for n in names:
            m = maps[n].slices[c.slice]
            ci = "" if m.wer_low is None else f" [{m.wer_low:.3f}–{m.wer_high:.3f}]"
            measured.append(f"{m.wer:.3f}{ci}")
        calibrated = f"{c.model_wer:.3f} ({c.relative_error:+.0%})" + (
            "" if c.modelled else " no term"
        )
        fitted = []
        for n in names:
            f = comparisons[n][i]
            verdict = "" if f.role == "fit" else (" ✓" if abs(f.fitted_error) <= 0.2 else " ✗")
            fitted.append(f"{f.fitted_wer:.3f} ({f.fitted_error:+.0%}){verdict}")
        rows.append([c.slice, c.role, *measured, calibrated, *fitted])
    header = ["slice", "role", *(f"WER {n} [95% CI]" for n in names), "calibrated model"]
    header += [f"fitted {n} (✓ held out within 20%)" for n in names]
    return render_table(header, rows)


@click.group()
def packet() -> None:
    """Rollback packets (the course's Exercise 2)."""


@packet.command("check")
@click.argument("path", type=FILE)
@click.option("--json", "as_json", is_flag=True)
def packet_check(path: Path, as_json: bool) -> None:
    """Check a rollback packet: its schema, that its rollback command is valid on the named
    scenario's fleet, that its verification query fails on the incident and passes after
    the rollback (re-simulated), that its SLO thresholds name real metrics, and that it
    holds no private data. Exit 0 usable, 1 a check failed, 2 bad input."""
    from drills.course.release.packet import check
    from simulator.errors import CheckFailed

    result = check(path)
    if as_json:
        emit_json(result.as_dict())
    else:
        verdicts = result.verdicts
        click.echo(
            f"verification query: incident {_verdict(verdicts['incident'])}, "
            f"after the rollback {_verdict(verdicts['after_rollback'])}"
        )
        if result.problems:
            click.echo(
                render_table(["field", "problem"], [[p.field, p.reason] for p in result.problems])
            )
        else:
            click.echo("usable: every check passed")
    if not result.ok:
        raise CheckFailed(f"{len(result.problems)} problem(s) in {path}")


def _verdict(value: bool | None) -> str:
    return {True: "passes", False: "fails", None: "not run"}[value]


PAPER_TO_SIMULATED = {  # the paper's stages as the simulator's telemetry splits a turn
    "capture/VAD + ASR final": (("capture_vad", "asr_final"), "endpoint_and_asr"),
    "retrieval": (("retrieval",), "retrieval"),
    "LLM (first clause / full)": (("llm",), "llm"),
    "TTS first audio byte": (("tts_first_audio_byte",), "tts_first_audio_byte"),
    "network": (("network",), "network"),
    "client playback": (("playback",), None),
}


@click.command()
@click.argument("agent_file", metavar="AGENT", type=FILE)
@click.option("--no-sweep", is_flag=True, help="Skip the what-if over the reply pool.")
@click.option("--json", "as_json", is_flag=True)
def budget(agent_file: Path, no_sweep: bool, as_json: bool) -> None:
    """The voice agent's first-response budget: serial stages against streaming overlap,
    then the agent simulated (p50/p95/p99 and where the slowest 5% lose their time) and a
    what-if for the cheapest reply pool meeting the target at p95. Exit 1 if the simulated
    p95 misses the target."""
    from drills.course.release.budget import evaluate
    from simulator.errors import CheckFailed

    result = evaluate(agent_file, with_sweep=not no_sweep)
    sim, target = result.simulated, result.agent.target_ms
    if as_json:
        emit_json(_budget_data(result))
    else:
        _print_budget(result)
    if not sim.meets(target):
        raise CheckFailed(f"simulated p95 {sim.percentiles['p95']:.0f} ms over {target:g} ms")


def _budget_data(result: BudgetResult) -> dict[str, Any]:
    from dataclasses import asdict

    agent, paper, cheapest = result.agent, result.paper, result.cheapest
    return {
        "target_ms": agent.target_ms,
        "serial_ms": paper.serial_ms,
        "overlapped_ms": paper.overlapped_ms,
        "stages": {"serial": paper.serial, "overlapped": paper.overlapped},
        "simulated": asdict(result.simulated),
        "sweep": [asdict(s) for s in result.sweep],
        "cheapest_meeting_target": cheapest.replicas if cheapest else None,
        "advice": result.advice,
    }


def _print_budget(result: BudgetResult) -> None:
    """The paper budget beside the simulation, stage by stage, then where the p95 is lost,
    the what-if over the reply pool and the advice."""
    agent, paper, sim = result.agent, result.paper, result.simulated
    playback = agent.stages.playback
    rows = []
    for label, (names, simulated) in PAPER_TO_SIMULATED.items():
        serial = sum(paper.serial[n] for n in names if n in paper.serial)
        overlap = sum(paper.overlapped[n] for n in names if n in paper.overlapped)
        p50 = sim.stages_p50[simulated] if simulated else playback
        tail = sim.stages_tail[simulated] if simulated else playback
        rows.append([label, f"{serial:.0f}", f"{overlap:.0f}", f"{p50:.0f}", f"{tail:.0f}"])
    p = sim.percentiles
    rows.append(
        [
            "total",
            f"{paper.serial_ms:.0f}",
            f"{paper.overlapped_ms:.0f}",
            f"{p['p50']:.0f}",
            f"{p['p95']:.0f} (p95)",
        ]
    )
    header = ["stage (ms)", "serial", "overlap", "simulated p50", "slowest 5%"]
    click.echo(f"first response target: {agent.target_ms:g} ms at p95\n")
    click.echo(render_table(header, rows))
    lost = {
        label: sim.stages_tail[simulated] - sum(paper.overlapped[n] for n in names)
        for label, (names, simulated) in PAPER_TO_SIMULATED.items()
        if simulated
    }
    worst = max(lost, key=lost.__getitem__)
    if lost[worst] > 0:
        click.echo(
            f"\nwhere the p95 is lost: {worst}, {lost[worst]:+.0f} ms over its budget "
            "on the slowest 5% of turns"
        )
    click.echo(
        f"\nsimulated first response over {sim.turns} turns: p50 {p['p50']:.0f} ms, "
        f"p95 {p['p95']:.0f} ms, p99 {p['p99']:.0f} ms: "
        + ("meets" if sim.meets(agent.target_ms) else "misses")
        + f" the target; fleet ${sim.cost_usd_per_hour:.2f}/h"
    )
    if result.sweep:
        _print_sweep(result)
    click.echo("")
    for line in result.advice:
        click.echo(f"- {line}")


def _print_sweep(result: BudgetResult) -> None:
    target = result.agent.target_ms
    pool = result.agent.sweep.pool if result.agent.sweep else ""
    click.echo(f"\nwhat-if: {pool} replicas")
    rows = [
        [
            s.replicas,
            f"{s.percentiles['p95']:.0f}",
            "yes" if s.meets(target) else "no",
            f"{s.pool_usd_per_hour:.2f}",
            f"{s.cost_usd_per_hour:.2f}",
        ]
        for s in result.sweep
    ]
    click.echo(render_table(["replicas", "p95 ms", "meets", "pool $/h", "fleet $/h"], rows))
    cheapest = result.cheapest
    click.echo(
        f"cheapest meeting {target:g} ms at p95: {cheapest.replicas} replicas "
        f"(fleet ${cheapest.cost_usd_per_hour:.2f}/h)"
        if cheapest
        else f"no swept size meets {target:g} ms at p95"
    )
