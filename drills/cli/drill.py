"""`speechdrill drill ...`: replay a recorded drill headlessly and write its report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from drills.cli.output import emit_json, out_folder, quiet_simulator
from drills.judge.scoring import Score
from drills.runs.service import Runs
from drills.usecases import record, replay_transcript, score_session, write_report
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
    quiet_simulator()


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
@click.option(
    "--end",
    is_flag=True,
    help="End a drill still being played as it stands (an examiner closing an abandoned "
    "session): it is scored and takes no more moves.",
)
def report_command(
    session_id: str,
    out: Path | None,
    formats: tuple[str, ...],
    counterfactuals: bool,
    allow_tampered: bool,
    as_json: bool,
    end: bool,
) -> None:
    """Score a session whose drill is over and write its after-action report."""
    from drills.play.journal import Journal
    from simulator.errors import CheckFailed

    journal = Journal()
    assessed, problems = score_session(journal, session_id, Runs(), end=end)
    if problems and not allow_tampered:
        raise CheckFailed(
            "the session journal fails its integrity check ("
            + "; ".join(problems)
            + "); refusing to report it (use --allow-tampered to flag instead)"
        )
    played, result = assessed.drill, assessed.score
    row = journal.session(session_id)
    record(assessed, session_id, row.trainee)
    target = out or journal.root / "reports" / session_id
    written, _ = write_report(assessed, row.trainee, target, formats, problems, counterfactuals)
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
    done = replay_transcript(scenario_id, transcript, Runs())
    scenario, recorded, result = done.scenario, done.transcript, done.assessed.score
    data = summary_json(result)
    data.update(
        {"scenario": scenario.spec.id, "transcript": str(done.path), "trainee": recorded.trainee}
    )
    if out is not None:
        written, _ = write_report(
            done.assessed, recorded.trainee, out, formats, counterfactuals=counterfactuals
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
