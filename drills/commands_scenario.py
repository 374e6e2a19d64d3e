"""`speechdrill scenario list / show / check / schema`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click
from pydantic import BaseModel

from drills.output import emit_json
from drills.scenario import (
    AnswerKey,
    Scenario,
    Transcript,
    load_key,
    load_scenario,
    load_transcript,
    resolve_scenario,
    scenario_dirs,
)
from reports.tables import render_table
from simulator.config import FleetFile
from simulator.errors import InputError


def register(cli: click.Group) -> None:
    cli.add_command(scenario)


@click.group()
def scenario() -> None:
    """The scenario library: list, show a briefing, check files, print the schema."""


@scenario.command("list")
@click.option("--json", "as_json", is_flag=True)
def scenario_list(as_json: bool) -> None:
    """List the scenarios in the library."""
    rows = []
    for directory in scenario_dirs():
        loaded = load_scenario(directory / "scenario.yaml")
        spec = loaded.spec
        rows.append(
            {
                "id": spec.id,
                "title": spec.title,
                "difficulty": spec.difficulty,
                "tags": spec.tags,
                "estimated_minutes": spec.estimated_minutes,
                "source": spec.source,
                "path": str(directory),
            }
        )
    if as_json:
        emit_json(rows)
    else:
        click.echo(
            render_table(
                ["id", "difficulty", "minutes", "title"],
                [[r["id"], r["difficulty"], r["estimated_minutes"], r["title"]] for r in rows],
            )
        )


@scenario.command("show")
@click.argument("scenario_id")
@click.option("--json", "as_json", is_flag=True)
def scenario_show(scenario_id: str, as_json: bool) -> None:
    """Show a scenario's briefing (never its answer key or faults)."""
    spec = load_scenario(resolve_scenario(scenario_id)).spec
    clock = spec.clock
    if as_json:
        emit_json(
            {
                "id": spec.id,
                "title": spec.title,
                "difficulty": spec.difficulty,
                "briefing": spec.briefing.model_dump(),
                "clock": clock.model_dump(),
            }
        )
        return
    click.echo(f"{spec.title}  [{spec.id}, {spec.difficulty}, ~{spec.estimated_minutes:g} min]")
    click.echo(f"\n{spec.briefing.severity.upper()} PAGE\n")
    click.echo(textwrap.indent(textwrap.fill(spec.briefing.page, 88), "  "))
    if spec.briefing.context:
        click.echo("\n" + textwrap.fill(spec.briefing.context, 90))
    click.echo(
        f"\nYou are paged at t = {clock.start_s / 60:g} min of telemetry; a panel costs "
        f"{clock.look_cost_s / 60:g} min, a query {clock.query_cost_s / 60:g}, an action "
        f"{clock.act_cost_s / 60:g}."
    )


def _check_one(path: Path) -> str:
    """Validate one file by what it is; returns its kind."""
    name = path.name
    if name == "key.yaml":
        scenario_file = path.parent / "scenario.yaml"
        loaded = load_scenario(scenario_file) if scenario_file.is_file() else None
        load_key(path, loaded)
        return "answer key"
    if path.parent.name == "transcripts":
        load_transcript(path)
        return "transcript"
    if path.parent.name == "fleets":
        from simulator.config import load_fleet_file

        load_fleet_file(path)
        return "fleet"
    load_scenario(path)
    return "scenario"


@scenario.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=True))
def scenario_check(files: tuple[Path, ...]) -> None:
    """Validate scenario, key, transcript or fleet files (exit 2 on the first invalid one).

    A folder is checked whole: its scenario, key and transcripts."""
    targets: list[Path] = []
    for f in files:
        if f.is_dir():
            targets += [f / "scenario.yaml", f / "key.yaml", *sorted(f.glob("transcripts/*.yaml"))]
        else:
            targets.append(f)
    errors: list[InputError] = []
    for path in targets:
        try:
            kind = _check_one(path)
            click.echo(f"ok  {path}  ({kind})")
        except InputError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else _combined(errors)


def _combined(errors: list[InputError]) -> InputError:
    from simulator.errors import InputErrors

    flat: list[InputError] = []
    for e in errors:
        flat.extend(getattr(e, "errors", [e]))
    return InputErrors(flat)


@scenario.command("schema")
@click.option(
    "--kind",
    type=click.Choice(["scenario", "key", "transcript", "fleet"]),
    default="scenario",
    show_default=True,
)
def scenario_schema(kind: str) -> None:
    """Print the JSON Schema of a file kind (for editor completion and validation)."""
    models: dict[str, type[BaseModel]] = {
        "scenario": Scenario,
        "key": AnswerKey,
        "transcript": Transcript,
        "fleet": FleetFile,
    }
    model = models[kind]
    click.echo(json.dumps(model.model_json_schema(), indent=2))
