"""`speechdrill exam`: the written exam — list, show, take, score, override, check."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from drills.cli.drill import report_formats
from drills.cli.output import emit_json, out_folder
from reports.tables import render_table


def register(cli: click.Group) -> None:
    cli.add_command(exam)


@click.group()
def exam() -> None:
    """The written exam: the course's prompts, marked per rubric item, with overrides."""


@exam.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")
def list_command(as_json: bool) -> None:
    """The exam items in the library."""
    from drills.course.exam import exam_paths, load_exam

    items = [load_exam(p) for p in exam_paths()]
    rows = [
        {"id": e.id, "title": e.title, "minutes": e.minutes, "rubric_items": len(e.rubric)}
        for e in items
    ]
    if as_json:
        emit_json(rows)
        return
    click.echo(
        render_table(["id", "title", "minutes", "rubric items"], [list(r.values()) for r in rows])
    )


@exam.command("show")
@click.argument("item")
@click.option("--rubric", is_flag=True, help="Examiners: show the rubric and the course's answer.")
def show_command(item: str, rubric: bool) -> None:
    """Print an exam item's question (and, for an examiner, its rubric)."""
    from drills.course.exam import load_exam, resolve_exam

    found = load_exam(resolve_exam(item))
    click.echo(f"{found.title} ({found.minutes} minutes)\n\n{found.question.strip()}")
    if rubric:
        click.echo("\nRubric:")
        for r in found.rubric:
            click.echo(f"  [{r.points:g}] {r.id}: {r.description}")
        click.echo(f"\nThe course's answer:\n{found.hidden_answer}")


@exam.command("take")
@click.argument("item")
@click.option("--candidate", required=True, help="The candidate's name.")
@click.option(
    "--answer",
    "answer_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A text file holding the answer ('-' reads stdin) [default: open an editor].",
)
@click.option(
    "--artifact",
    "artifact_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A practical exercise's handed-in file (budgets, a packet, an agent budget).",
)
@click.option(
    "--decision",
    type=click.Choice(["merge", "pause", "block"]),
    help="The gate decision (the slice-gate exercise).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the attempt [default: $SPEECHDRILL_HOME/exams/...].",
)
def take_command(
    item: str,
    candidate: str,
    answer_file: Path | None,
    artifact_file: Path | None,
    decision: str | None,
    out: Path | None,
) -> None:
    """Record a candidate's answer to an exam item as an attempt file (with the artifact a
    practical exercise hands in: its text is kept in the attempt)."""
    from drills.course.exam import Attempt, load_exam, now_iso, resolve_exam, save_attempt
    from drills.play.journal import home
    from simulator.errors import InputError

    found = load_exam(resolve_exam(item))
    if answer_file is None:
        answer = click.edit(f"# {found.title}\n# {found.question.strip()}\n# Answer below.\n")
        answer = re.sub(r"(?m)^#.*\n?", "", answer or "")
    elif str(answer_file) == "-":
        answer = sys.stdin.read()
    else:
        try:
            answer = answer_file.read_text()
        except OSError as exc:
            raise InputError(str(answer_file), "", f"a readable text file ({exc})") from None
    if not answer.strip():
        raise InputError(str(answer_file or "the editor"), "answer", "a non-empty answer")
    if found.exercise is not None and artifact_file is None:
        raise InputError(
            "--artifact", "artifact", f"the file this {found.exercise} exercise hands in"
        )
    attempt = Attempt(
        exam=found.id,
        candidate=candidate,
        answer=answer,
        artifact=artifact_file.read_text() if artifact_file else None,
        decision=decision,
        submitted_at=now_iso(),
    )
    stamp = attempt.submitted_at.replace(":", "").replace("+0000", "Z")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", candidate)
    path = out or home() / "exams" / f"{safe}-{found.id}-{stamp}.yaml"
    save_attempt(attempt, path)
    click.echo(f"recorded {candidate}'s answer to {found.id}: {path}")


@exam.command("score")
@click.argument("attempt_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the marking as JSON.")
@out_folder("Write the marking report into this folder.")
@report_formats
def score_command(
    attempt_file: Path, as_json: bool, out: Path | None, formats: tuple[str, ...]
) -> None:
    """Mark an attempt per rubric item (overrides included) and write its report."""
    from drills.course.exam import check_attempt, load_attempt, load_exam, mark, resolve_exam
    from drills.judge.history import record_exam
    from reports.exam import exam_data, write

    attempt = load_attempt(attempt_file)
    found = load_exam(resolve_exam(attempt.exam))
    check_attempt(attempt, found, attempt_file)
    marking = mark(found, attempt)
    data = exam_data(found, attempt, marking)
    record_exam(attempt, marking)
    if out is not None:
        data["written"] = [str(p) for p in write(data, out, formats)]
    if as_json:
        emit_json(data)
        return
    click.echo(f"{found.title}: {attempt.candidate} scored {data['score']:g} / 100")
    if data["answers_elsewhere"]:
        click.echo(
            f"the answer answers {len(data['answers_elsewhere'])} other questions as fully: "
            f"scaled by its share of statements on this one (×{data['padding_factor']:g})"
        )
    if data["unsigned_overrides"]:
        click.echo(
            f"{len(data['unsigned_overrides'])} override(s) in the file not signed by this "
            "examiner's key for this answer: not applied (`exam override` signs them)"
        )
    rows = [
        [i["id"], f"{i['points']:g}", "met" if i["met"] else "missed", i["statement"][:70]]
        for i in data["items"]
    ]
    click.echo(render_table(["item", "points", "mark", "statement"], rows))
    for path in data.get("written", []):
        click.echo(f"wrote {path}")


@exam.command("override")
@click.argument("attempt_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("item_id")
@click.option("--met/--missed", required=True, help="The examiner's mark for the item.")
@click.option("--by", "examiner", required=True, help="Who overrides.")
@click.option("--reason", required=True, help="Why (kept in the report).")
def override_command(
    attempt_file: Path, item_id: str, met: bool, examiner: str, reason: str
) -> None:
    """Record an examiner's mark for one rubric item in the attempt file."""
    from drills.course.exam import (
        load_attempt,
        load_exam,
        resolve_exam,
        save_attempt,
        with_override,
    )

    attempt = load_attempt(attempt_file)
    found = load_exam(resolve_exam(attempt.exam))
    save_attempt(with_override(attempt, found, item_id, met, examiner, reason), attempt_file)
    click.echo(f"{item_id}: {'met' if met else 'missed'} by {examiner}, recorded in {attempt_file}")


@exam.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def check_command(files: tuple[Path, ...]) -> None:
    """Validate exam item files (default: the library's); each item's own answer must earn
    its whole rubric."""
    from drills.course.exam import exam_paths, load_exam, self_check
    from simulator.errors import CheckFailed

    failed = []
    for path in files or tuple(exam_paths()):
        item = load_exam(path)
        missed = self_check(item)
        if missed:
            failed.append(f"{path}: its own hidden answer does not earn {missed}")
        else:
            click.echo(f"ok {path}")
    if failed:
        raise CheckFailed("; ".join(failed))
