"""`speechdrill export`: a run's telemetry for the tools SREs already use."""

from __future__ import annotations

from pathlib import Path

import click


def register(cli: click.Group) -> None:
    cli.add_command(export)


@click.command("export")
@click.argument("run_or_session")
@click.option(
    "--openmetrics",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write OpenMetrics text here (for `promtool tsdb create-blocks-from openmetrics`).",
)
def export(run_or_session: str, target: Path) -> None:
    """Export a scenario's run (a library id or scenario file) or a drill session's once the
    drill is over, as of its clock (no future data)."""
    from drills.library.scenario import load_scenario, resolve_scenario
    from drills.play.asof import as_of
    from drills.play.journal import Journal
    from drills.runs.service import Runs
    from drills.usecases import finished_session
    from simulator.errors import InputError
    from simulator.telemetry.openmetrics import openmetrics

    runs = Runs()
    try:
        scenario = load_scenario(resolve_scenario(run_or_session))
    except InputError:
        journal = Journal()
        try:
            journal.session(run_or_session)
        except InputError:
            raise InputError(
                run_or_session, "", "a scenario id or file, or a drill session id"
            ) from None
        drill, _ = finished_session(journal, run_or_session, runs)
        tables = as_of(drill.telemetry(), drill.now_s)
        end = drill.now_s
    else:
        tel = runs.get(scenario, scenario.timeline)
        tables = tel.tables()
        end = scenario.spec.duration_s
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(openmetrics(tables, end))
    click.echo(f"wrote {target} (simulated t = 0 is 2026-01-01T00:00:00Z)")
