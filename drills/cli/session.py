"""Interactive and scripted drill sessions: start, look, query, act, conclude, status, report,
and the free schema browser (tables, describe).

Each move is journaled (drills/play/journal.py) before its result is shown; the session's drill
state is rebuilt from the journal every time, so a trainer can script a drill move by move,
and a crashed prompt resumes where it stopped.
"""

from __future__ import annotations

import cmd
import shlex
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from drills.judge.evidence import is_time_series, visible_rows
from drills.library.scenario import resolve_scenario
from drills.play.actions import ActionError, parse_arg_words, usage_text
from drills.play.drill import Drill, MoveRecord, load_drill
from drills.play.journal import Journal
from drills.play.panels import PANELS
from drills.play.sql import QueryResult
from drills.play.vocabulary import describe_text, panels_text, tables_text
from drills.runs.service import Runs
from drills.usecases import MoveRefused, open_session, play_move
from reports.tables import render_table, sparkline_rows
from simulator.errors import InputError


def perform(
    journal: Journal, session_id: str, move: dict[str, Any], runs: Runs, live: bool = False
) -> str:
    """Validate, play, journal a move (drills.usecases.play_move); return what the trainee
    sees. `live`: keep the run paused at the clock in this process for the next move (the
    interactive prompt)."""
    return render_record(*_played(journal, session_id, move, runs, live))


def _played(
    journal: Journal, session_id: str, move: dict[str, Any], runs: Runs, live: bool = False
) -> tuple[Drill, MoveRecord]:
    try:
        drill = open_session(journal, session_id, runs, live)
        return drill, play_move(drill, journal, session_id, move)
    except MoveRefused as exc:
        if exc.closed:
            raise InputError(session_id, "", f"{exc.why}; see `drill report`") from None
        raise InputError("move", exc.where, exc.why) from None


def perform_scripted(journal: Journal, session_id: str, move: dict[str, Any]) -> None:
    """The script form: print what the move showed; a query the sandbox refused (played
    and journaled: its clock is spent) exits 2 after it, like any refused move."""
    drill, record = _played(journal, session_id, move, Runs())
    click.echo(render_record(drill, record))
    if record.error:
        raise InputError("query", "sql", f"refused: {record.error}")


def render_record(drill: Drill, record: MoveRecord) -> str:
    head = f"[minute {record.clock_min:.0f} of the incident, t = {record.sim_time_s:.0f} s]"
    if record.kind in ("look", "query"):
        title = PANELS[record.text].title if record.kind == "look" else "query"
        result = drill.show(record)
        if result is None:
            return f"{head}\nquery refused: {record.error}\n(the move read nothing)"
        return f"{head} {title}\n{render_result(result)}"
    if record.kind == "act":
        return f"{head} {describe_action(record)}"
    return f"{head} concluded: {record.text}. Run `speechdrill drill report` for the score."


def render_result(result: QueryResult) -> str:
    """A result as the trainee sees it: a time series as one sparkline per group and its
    latest rows; a table as its first SHOW_ROWS rows (what drills/judge/evidence.py credits)."""
    rows = [list(r) for r in result.rows]
    columns = result.columns
    if not rows:
        return render_table(columns, []) + "\n(no rows)"
    if is_time_series(result) and len(columns) >= 3:
        lines = sparkline_rows(rows, 0, 1, len(columns) - 1)
        spark = render_table(
            [columns[1], f"{columns[-1]} over time", "latest"],
            [[g, line, last] for g, line, last in lines],
        )
        latest = max(r[0] for r in rows if r[0] is not None)
        recent = [r for r in rows if r[0] == latest]
        return f"{spark}\n\n" + render_table(columns, recent)
    shown = visible_rows(result)
    more = len(result.rows) - len(shown)
    tail = f"\n… {more}{'+' if result.truncated else ''} more rows not shown" if more else ""
    return render_table(columns, [list(r) for r in shown]) + tail


def describe_action(record: MoveRecord) -> str:
    """What an operator sees of an action (drills.play.actions.outcome)."""
    return record.outcome or record.text


def status_text(drill: Drill) -> str:
    spec = drill.scenario.spec
    lines = [
        f"{spec.title} — minute {drill.clock_min:.0f} of at most {drill.scenario.time_box_min:g}",
        f"moves so far: {len(drill.moves)}",
    ]
    lines += [f"  {m.clock_min:5.0f}  {m.kind:8s} {m.text[:90]}" for m in drill.moves]
    if drill.concluded:
        lines.append("concluded")
    return "\n".join(lines)


def parse_args(pairs: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """key=value words, read as the prompt and the console read them (drills.play.actions)."""
    try:
        return parse_arg_words(list(pairs))
    except ActionError as exc:
        raise InputError("act", exc.path, exc.expected) from None


def register(group: click.Group) -> None:
    for command in (start, look, query, act, conclude, status, tables_command, describe):
        group.add_command(command)


@click.command()
@click.argument("scenario_id", required=False)
@click.option("--trainee", default="anonymous", show_default=True)
@click.option("--resume", "resume_id", default=None, help="Continue a session by its id.")
@click.option("--no-prompt", is_flag=True, help="Only create the session; script the moves.")
def start(scenario_id: str | None, trainee: str, resume_id: str | None, no_prompt: bool) -> None:
    """Start (or resume) a drill: print the briefing and open a prompt."""
    journal = Journal()
    if resume_id:
        session = journal.session(resume_id)
    elif scenario_id:
        resolve_scenario(scenario_id)
        session = journal.create(scenario_id, trainee)
    else:
        raise InputError("drill start", "SCENARIO", "name a scenario, or --resume ID")
    drill, problems = load_drill(journal, session.id, Runs())
    spec = drill.scenario.spec
    click.echo(f"{spec.title}\nsession {session.id} (trainee {session.trainee})\n")
    click.echo(
        f"{spec.briefing.severity.upper()} PAGE\n"
        + textwrap.indent(textwrap.fill(spec.briefing.page, 86), "  ")
    )
    if problems:
        click.echo("warning: this session's journal fails its integrity check", err=True)
    if no_prompt or not sys.stdin.isatty():
        click.echo(
            f"\nScript it: speechdrill drill look {session.id} PANEL | query | act | "
            "conclude | status | report"
        )
        return
    DrillPrompt(journal, session.id).cmdloop()


@click.command()
@click.argument("session_id")
@click.argument("panel", type=click.Choice(sorted(PANELS)))
def look(session_id: str, panel: str) -> None:
    """Look at a named dashboard panel (costs clock time)."""
    perform_scripted(Journal(), session_id, {"look": panel})


@click.command()
@click.argument("session_id")
@click.argument("sql")
def query(session_id: str, sql: str) -> None:
    """Run read-only SQL over the telemetry tables as of the drill clock (a refused query
    spends its clock and exits 2)."""
    perform_scripted(Journal(), session_id, {"query": sql})


@click.command(epilog="\b\n" + usage_text())
@click.argument("session_id")
@click.argument("action", required=False)
@click.argument("words", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--arg", "pairs", multiple=True, metavar="KEY=VALUE", help="The same, as options.")
def act(
    session_id: str, action: str | None, words: tuple[str, ...], pairs: tuple[str, ...]
) -> None:
    """Act on the fleet: ACTION key=value ... as at the prompt (the actions are below)."""
    if action is None:
        click.echo(usage_text())
        return
    move = {"act": {"action": action, "args": parse_args([*words, *pairs])}}
    perform_scripted(Journal(), session_id, move)


@click.command("tables")
def tables_command() -> None:
    """The telemetry tables a query reads (free: no clock)."""
    click.echo(tables_text())


@click.command()
@click.argument("table")
def describe(table: str) -> None:
    """One table's columns with units and meaning (free: no clock)."""
    text = describe_text(table)
    if text.startswith("no table"):
        raise InputError("describe", "TABLE", text)
    click.echo(text)


@click.command()
@click.argument("session_id")
@click.option("--cause", required=True, help="The cause, in your own words.")
@click.option("--mitigation", "mitigations", multiple=True)
@click.option("--prevention", "prevention", multiple=True)
@click.option(
    "--alert-rules",
    "rule_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Prometheus rule file: each alerting rule is a prevention item, scored by "
    "whether it would have paged.",
)
@click.option("--notes", default="")
def conclude(
    session_id: str,
    cause: str,
    mitigations: tuple[str, ...],
    prevention: tuple[str, ...],
    rule_file: Path | None,
    notes: str,
) -> None:
    """Conclude: the cause, the mitigations, prevention items (in words, or alert rules)
    and notes for the examiner."""
    if not cause.strip():
        raise InputError("--cause", "cause", "the cause, in your own words")
    from drills.judge.alerts import load_rule_file

    rules = load_rule_file(rule_file) if rule_file else []
    move = {
        "conclude": {
            "cause": cause,
            "mitigations": list(mitigations),
            "prevention": [*prevention, *(r.model_dump(by_alias=True) for r in rules)],
            "notes": notes,
        }
    }
    click.echo(perform(Journal(), session_id, move, Runs()))


@click.command()
@click.argument("session_id")
def status(session_id: str) -> None:
    """The drill clock and the moves so far."""
    drill, problems = load_drill(Journal(), session_id, Runs())
    click.echo(status_text(drill))
    for problem in problems:
        click.echo(f"integrity: {problem}", err=True)


class DrillPrompt(cmd.Cmd):
    intro = (
        "\nCommands: look PANEL · query SQL · act ACTION key=value ... · conclude · status\n"
        "Free (no clock): panels · tables · describe TABLE · act (lists the actions) · help · quit"
    )
    prompt = "drill> "

    def __init__(self, journal: Journal, session_id: str) -> None:
        super().__init__()
        self.journal, self.session_id = journal, session_id
        self.runs = Runs()  # the prompt's runs: one paused at the clock, kept between moves

    def _run(self, move: dict[str, Any]) -> None:
        try:
            click.echo(perform(self.journal, self.session_id, move, self.runs, live=True))
        except (InputError, ValueError) as exc:
            click.echo(f"error: {exc}")

    def do_look(self, arg: str) -> None:
        """look PANEL — a named dashboard panel"""
        self._run({"look": arg.strip()})

    def complete_look(self, text: str, *_: Any) -> list[str]:
        return [p for p in PANELS if p.startswith(text)]

    def do_query(self, arg: str) -> None:
        """query SQL — read-only SQL over requests, batches, metrics, events"""
        self._run({"query": arg})

    def do_act(self, arg: str) -> None:
        """act ACTION key=value ... — e.g. act rollback target=pools.tts-cpu; alone: the list"""
        try:
            words = shlex.split(arg)
        except ValueError as exc:
            click.echo(f"error: act: key=value pairs ({exc})")
            return
        if not words:
            click.echo(usage_text())
            return
        try:
            args = parse_args(words[1:])
        except InputError as exc:
            click.echo(f"error: {exc}")
            return
        self._run({"act": {"action": words[0], "args": args}})

    def do_tables(self, _arg: str) -> None:
        """tables — the telemetry tables (free)"""
        click.echo(tables_text())

    def do_describe(self, arg: str) -> None:
        """describe TABLE — a table's columns, units and meaning (free)"""
        click.echo(describe_text(arg))

    def complete_describe(self, text: str, *_: Any) -> list[str]:
        return [
            t
            for t in ("requests", "batches", "metrics", "events", "metrics.name")
            if t.startswith(text)
        ]

    def do_conclude(self, _arg: str) -> None:
        """conclude — asks for the cause, mitigations, prevention and notes"""
        cause = input("cause: ").strip()
        mitigations = [m for m in input("mitigations (comma separated): ").split(",") if m]
        prevention = [p for p in input("prevention items (; separated): ").split(";") if p]
        notes = input("notes: ")
        self._run(
            {
                "conclude": {
                    "cause": cause,
                    "mitigations": mitigations,
                    "prevention": prevention,
                    "notes": notes,
                }
            }
        )

    def do_status(self, _arg: str) -> None:
        """status — the clock and the moves so far"""
        drill, _ = load_drill(self.journal, self.session_id, self.runs)
        click.echo(status_text(drill))

    def do_panels(self, _arg: str) -> None:
        """panels — list the dashboard panels (free)"""
        click.echo(panels_text())

    def do_quit(self, _arg: str) -> bool:
        """quit — leave; resume later with drill start --resume"""
        click.echo(f"session {self.session_id} saved")
        return True

    do_EOF = do_quit
