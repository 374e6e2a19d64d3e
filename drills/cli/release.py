"""`speechdrill gate` (and the release lab's other commands): exit codes a CI job can
branch on."""

from __future__ import annotations

from pathlib import Path

import click

from drills.cli.output import emit_json
from reports.tables import render_table

# merge 0 · block 1 (a check ran and failed) · bad input 2 · pause 4 (a human decides)
GATE_EXIT = {"merge": 0, "block": 1, "pause": 4}

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def register(cli: click.Group) -> None:
    cli.add_command(gate)
    cli.add_command(eval_group)
    cli.add_command(packet)


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
    from drills.release.gate import (
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
        rows = [[f.verdict, f.what, f.why] for f in result.findings]
        if rows:
            click.echo(render_table(["finding", "what", "why"], rows))
        click.echo(f"verdict: {result.verdict}")
    return GATE_EXIT[result.verdict]


@click.group("eval")
def eval_group() -> None:
    """Real evals for the release lab."""


@eval_group.command("asr")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Write the maps here."
)
@click.option("--refresh", is_flag=True, help="Decode again even if the eval is cached.")
@click.option("--json", "as_json", is_flag=True)
def eval_asr(out: Path | None, refresh: bool, as_json: bool) -> None:
    """The real ASR eval: flite speech in slices (noise, clipping, far field, narrowband,
    fast speech, domain terms) decoded by pocketsphinx in the fixture's two decoder
    configurations; the WER and entity error by slice, and the simulator's quality model
    beside the baseline's. `--out` writes baseline.json and candidate.json for `gate`."""
    from drills.release import asr_eval
    from real_backend import speech_eval
    from simulator.errors import InputError

    if not speech_eval.available():
        raise InputError(
            "eval asr", "", "flite (apt-get install flite) and pocketsphinx (pip) installed"
        )
    fixture = asr_eval.load_fixture()
    maps = asr_eval.cached(fixture, refresh)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, found in maps.items():
            (out / f"{name}.json").write_text(found.model_dump_json(indent=1, exclude_none=True))
    baseline = maps[next(iter(maps))]
    comparison = asr_eval.compare(fixture, baseline)
    if as_json:
        emit_json(
            {
                "maps": {k: v.model_dump(exclude_none=True) for k, v in maps.items()},
                "quality_model": [
                    c.__dict__ | {"relative_error": c.relative_error} for c in comparison
                ],
            }
        )
        return
    names = list(maps)
    rows = []
    for c in comparison:
        measured = [f"{maps[n].slices[c.slice].wer:.3f}" for n in names]
        model = f"{c.model_wer:.3f}" + ("" if c.modelled else " (no term)")
        rows.append([c.slice, *measured, model, f"{c.relative_error:+.0%}"])
    header = ["slice", *(f"WER {n}" for n in names), "quality model", "model vs real"]
    click.echo(render_table(header, rows))
    modelled = [c for c in comparison if c.modelled]
    rho = asr_eval.spearman([c.real_wer for c in modelled], [c.model_wer for c in modelled])
    click.echo(f"rank correlation over the modelled slices: {rho:.2f}")


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
    from drills.release.packet import check
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
