"""`speechdrill drill ...`: replay a recorded drill headlessly and write its report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from drills.cli.output import emit_json, out_folder
from drills.debrief import report_parts
from drills.scenario import (
    AnswerKey,
    LoadedScenario,
    load_key,
    load_scenario,
    resolve_scenario,
)
from drills.scoring import References, Score, references, replay, score
from drills.session import Drill
from drills.transcript import load_transcript
from reports.tables import render_table


def register(cli: click.Group) -> None:
    from drills.cli import session

    session.register(drill)
    drill.add_command(report_command)
    cli.add_command(drill)


report_formats = click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["html", "json", "md"]),
    default=("html", "json", "md"),
    show_default=True,
    help="Report formats to write.",
)


debrief_flag = click.option(
    "--counterfactuals/--no-counterfactuals",
    default=True,
    show_default=True,
    help="Re-simulate each decision and action for the report's debrief (seconds per run).",
)


@click.group()
def drill() -> None:
    """Run, replay and report incident drills."""


def summary_json(result: Score) -> dict[str, Any]:
    data = result.as_dict()
    data["breakdown"] = [
        {
            "component": b["component"],
            "points": round(b["points"], 1),
            "max_points": b["max_points"],
            "why": b["why"],
            "evidence": b["evidence"],
            "missed": b["missed"],
        }
        for b in data["breakdown"]
    ]
    return data


def write_report(
    scenario: LoadedScenario,
    key: AnswerKey,
    played: Drill,
    refs: References,
    result: Score,
    trainee: str,
    out: Path,
    formats: tuple[str, ...],
    integrity: list[str],
    counterfactuals: bool = True,
) -> list[Path]:
    from reports.after_action import report_data, write

    curves, debrief = report_parts(played, key, refs, result, counterfactuals)
    data = report_data(scenario, key, played, result, refs.expert, curves, debrief)
    data["trainee"] = trainee
    if integrity:
        data["integrity"] = integrity
    return write(data, out, formats)


@click.command("report")
@click.argument("session_id")
@out_folder("Folder for the report [default: .speechdrill/reports/SESSION].")
@report_formats
@debrief_flag
@click.option(
    "--allow-tampered",
    is_flag=True,
    help="Report a session whose journal fails its check (flagged in the report).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the score as JSON.")
def report_command(
    session_id: str,
    out: Path | None,
    formats: tuple[str, ...],
    counterfactuals: bool,
    allow_tampered: bool,
    as_json: bool,
) -> None:
    """Score a session and write its after-action report."""
    from drills.journal import Journal
    from drills.session import load_drill
    from simulator.errors import CheckFailed

    journal = Journal()
    played, problems = load_drill(journal, session_id)
    if problems and not allow_tampered:
        raise CheckFailed(
            "the session journal fails its integrity check ("
            + "; ".join(problems)
            + "); refusing to report it (use --allow-tampered to flag instead)"
        )
    directory = played.scenario.directory
    key = load_key(directory / "key.yaml", played.scenario)
    refs = references(played.scenario, directory)
    result = score(played, key, refs)
    row = journal.session(session_id)
    from drills.history import record_drill

    record_drill(session_id, row.trainee, played.scenario.spec.id, result)
    target = out or journal.root / "reports" / session_id
    written = write_report(
        played.scenario,
        key,
        played,
        refs,
        result,
        row.trainee,
        target,
        formats,
        problems,
        counterfactuals,
    )
    data = summary_json(result) | {
        "session": session_id,
        "integrity": problems,
        "written": [str(p) for p in written],
    }
    if as_json:
        emit_json(data)
        return
    click.echo(f"{played.scenario.spec.title}: {row.trainee} scored {result.score:g} / 100")
    click.echo(
        render_table(
            ["component", "points", "why"],
            [[b.component, f"{b.points:.1f} / {b.max_points:g}", b.why] for b in result.breakdown],
        )
    )
    for path in written:
        click.echo(f"wrote {path}")


@drill.command("replay")
@click.argument("scenario_id")
@click.argument("transcript", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the score as JSON.")
@out_folder("Write the after-action report into this folder.")
@report_formats
@debrief_flag
def replay_command(
    scenario_id: str,
    transcript: Path,
    as_json: bool,
    out: Path | None,
    formats: tuple[str, ...],
    counterfactuals: bool,
) -> None:
    """Score a recorded transcript against the scenario's answer key, headlessly."""
    scenario_path = resolve_scenario(scenario_id)
    scenario = load_scenario(scenario_path)
    key = load_key(scenario_path.parent / "key.yaml", scenario)
    if not transcript.is_file():
        candidate = scenario_path.parent / "transcripts" / f"{transcript}.yaml"
        transcript = candidate if candidate.is_file() else transcript
    recorded = load_transcript(transcript, scenario)
    refs = references(scenario, scenario_path.parent)
    played = replay(scenario, recorded)
    result = score(played, key, refs)
    data = summary_json(result)
    data.update(
        {"scenario": scenario.spec.id, "transcript": str(transcript), "trainee": recorded.trainee}
    )
    if out is not None:
        written = write_report(
            scenario, key, played, refs, result, recorded.trainee, out, formats, [], counterfactuals
        )
        data["written"] = [str(p) for p in written]
    if as_json:
        emit_json(data)
        return
    click.echo(f"{scenario.spec.title}: {recorded.trainee} scored {result.score:g} / 100\n")
    rows = [
        [line.component, f"{line.points:.1f} / {line.max_points:g}", line.why]
        for line in result.breakdown
    ]
    rows += [["penalty", f"-{p['points']:g}", p["why"]] for p in result.penalties]
    click.echo(render_table(["component", "points", "why"], rows))
    for line in result.breakdown:
        for item in line.missed:
            click.echo(f"  missed ({line.component}): {item}")
    if not result.concluded:
        click.echo("\nThe transcript has no conclusion: scored as 'did not conclude'.")
    click.echo(
        f"\nSLO burn {result.slo_burn:.2%} (no action {result.reference['slo_burn_no_action']:.2%}"
        f", expert {result.reference['slo_burn_expert']:.2%}); excess spend "
        f"${result.cost_burn:.2f} (no action ${result.reference['cost_burn_no_action']:.2f}"
        f", expert ${result.reference['cost_burn_expert']:.2f})"
    )
    for path in data.get("written", []):
        click.echo(f"wrote {path}")
