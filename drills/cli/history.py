"""`speechdrill history`: a trainee's drills and exams over time, and what is still weak."""

from __future__ import annotations

from pathlib import Path

import click

from drills.cli.output import emit_json, out_folder


def register(cli: click.Group) -> None:
    cli.add_command(history_command)


@click.command("history")
@click.argument("trainee", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@out_folder("Write history.md and history.json into this folder.")
def history_command(trainee: str | None, as_json: bool, out: Path | None) -> None:
    """A trainee's scored drills (`drill report`) and marked exams (`exam score`): the
    trend by component and what is still weak. Without TRAINEE: the trainees on record."""
    import json

    from drills.judge.history import History, summarise
    from reports.history import history_data, to_markdown
    from simulator.errors import InputError

    book = History()
    if trainee is None:
        names = book.trainees()
        emit_json(names) if as_json else click.echo("\n".join(names) or "no results yet")
        return
    results = book.of(trainee)
    if not results:
        raise InputError(trainee, "", f"a trainee with results; on record: {book.trainees()}")
    data = history_data(summarise(trainee, results))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "history.md").write_text(to_markdown(data))
        (out / "history.json").write_text(json.dumps(data, indent=2) + "\n")
    if as_json:
        emit_json(data)
    else:
        click.echo(to_markdown(data))
