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
