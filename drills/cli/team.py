"""`speechdrill team`: recorded team drills (the console's team transcripts) scored headlessly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from drills.cli.drill import debrief_flag, report_formats
from drills.cli.output import emit_json, out_folder, quiet_simulator
from drills.runs.service import Runs
from drills.usecases import TeamAssessed, replay_team_transcripts, write_team_report
from reports.tables import render_table
from simulator.errors import InputError


def register(cli: click.Group) -> None:
    cli.add_command(team)


@click.group()
def team() -> None:
    """Team drills: several members on one fleet, scored as a team."""
    quiet_simulator()


@team.command("score")
@click.argument("transcripts", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@out_folder("Write each team's after-action report into a folder named after its transcript.")
@report_formats
@debrief_flag
def score_command(
    transcripts: tuple[Path, ...],
    as_json: bool,
    out: Path | None,
    formats: tuple[str, ...],
    counterfactuals: bool,
) -> None:
    """Score recorded team drills against their scenarios' keys, best first. Several are
    scored together: the runs of those on one incident are simulated as one batch."""
    if out is not None:
        _distinct_names(transcripts)
    scored = replay_team_transcripts(list(transcripts), Runs())
    rows = sorted(zip(transcripts, scored, strict=True), key=lambda r: -r[1].score.score)
    data = [_summary(path, assessed) for path, assessed in rows]
    if out is not None:
        for path, assessed in rows:
            written, _ = write_team_report(assessed, out / path.stem, formats, counterfactuals)
            next(d for d in data if d["transcript"] == str(path))["written"] = [
                str(p) for p in written
            ]
    if as_json:
        emit_json(data)
        return
    table = [
        [d["team"], d["scenario"], f"{d['score']:g}", "yes" if d["passed"] else "no", d["verdict"]]
        for d in data
    ]
    click.echo(render_table(["team", "scenario", "score", "passed", "verdict"], table))
    for d in data:
        for path in d.get("written", []):
            click.echo(f"wrote {path}")


def _distinct_names(transcripts: tuple[Path, ...]) -> None:
    """Each report goes to a folder named after its transcript: two of one name would
    overwrite each other."""
    seen: dict[str, Path] = {}
    for path in transcripts:
        if path.stem in seen:
            raise InputError(
                str(path), "", f"named like {seen[path.stem]}: their reports would share a folder"
            )
        seen[path.stem] = path


def _summary(path: Path, assessed: TeamAssessed) -> dict[str, Any]:
    score = assessed.score
    return {
        "transcript": str(path),
        "team": assessed.team.spec.team,
        "scenario": assessed.team.drill.scenario.spec.id,
        "score": score.score,
        "passed": score.passed,
        "verdict": score.verdict,
        "drill_score": score.drill_score,
        "components": {c.component: c.points for c in score.components},
        "penalties": score.penalties,
    }
