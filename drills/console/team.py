"""Team drills in the console (drills/team/): the facilitator creates a team drill and
gets one join link per member; the members share one incident, one fleet and a channel
that updates live in every member's page (server-sent events from this app: no other
service, no script bundle; a few lines of inline script append what arrives).

- the facilitator (/f/<token>/teams...): creates team drills on a scenario or a symptom
  family (each team of a session draws a member, balanced, through the cohorts' own
  preparer: drills/console/prepare.py, incidents.py), watches a team's channel and moves,
  injects stakeholder questions and second alerts (from the team plan or typed), ends a
  drill, reads a team's report and several teams side by side;
- a member (/t/<token>): their team's channel and the forms of their roles, their own
  looks and queries (shared into the channel when they choose). A member's token reaches
  their own team only: nothing of another team, nothing of the key or the team plan
  beyond the injects already injected, and nothing that names a family team's member.

Every POST carries the CSRF token of its page and a cross-site Origin is refused. Bad
input gets a message naming the field and changes nothing."""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from drills.console.charts import chartable, svg
from drills.console.forms import form_number, parse_move
from drills.console.incidents import member_drawn
from drills.console.web import NAME, TEMPLATES, BadInput, Console, guarded_by, page
from drills.judge.evidence import visible_rows
from drills.library.family import Member
from drills.library.scenario import load_scenario, resolve_scenario
from drills.play.actions import ACTIONS, ActionError
from drills.play.drill import MoveRecord
from drills.play.panels import PANELS
from drills.team.drill import Posted, TeamDrill
from drills.team.model import FACILITATOR, ROLE_TITLES, Inject, TeamSpec
from drills.team.store import DrawRow, MemberRow, TeamRow, TeamStore
from drills.usecases import (
    TeamAssessed,
    TeamMoveRefused,
    new_team,
    open_team,
    play_team,
    score_team,
    team_target,
    write_team_report,
)
from reports.team import board, describe_post
from simulator.errors import InputError

KEEP_ALIVE_S = 5.0  # a comment line on an idle event stream (proxies close silent ones)
SHOWN_ROWS = 12  # rows of a shared result shown in the channel
ROLE_WORDS = {
    "commander": "commander",
    "ic": "commander",
    "incident commander": "commander",
    "investigator": "investigator",
    "comms": "comms",
    "communications": "comms",
}


DRAWING = "the team's incident is still being drawn: reload in a moment"


class Drawing(Exception):
    """A family team whose member is still being drawn: no drill to show or play yet."""


class Teams:
    """The team drills held in memory (resumed from their logs), their scores kept until
    the next entry, and one 'changed' event per team for the live pages."""

    def __init__(self, c: Console) -> None:
        self.c = c
        self.store = TeamStore(c.store.root, c.journal.secret)
        self.lock = threading.RLock()
        self._teams: dict[str, TeamDrill] = {}
        self._scored: dict[str, tuple[int, TeamAssessed, dict[str, Any]]] = {}
        self._changed: dict[str, asyncio.Event] = {}

    def get(self, team_id: str) -> TeamDrill:
        with self.lock:
            if team_id not in self._teams:
                self._teams[team_id] = open_team(self.store, team_id, self.c.drills.runs)
            return self._teams[team_id]

    def drawing(self, team_id: str) -> bool:
        """Whether a family team's member is still being drawn; if so, the draw is under
        way (started here when a restarted server has not begun it)."""
        if team_target(self.store, team_id) is not None:
            return False
        draw = self.store.draw(team_id)
        assert draw is not None
        self.c.preparer.start_member(
            f"team-{team_id}",
            draw.family,
            draw.seed,
            draw.place,
            lambda folder, note: self._drawn(team_id, folder, note),
        )
        return True

    def _drawn(self, team_id: str, folder: Path, note: str) -> None:
        """The member drawn: stored once (as a candidate's variant is), its runs warmed."""
        if self.store.drawn(team_id, str(folder), note):
            self.c.preparer.on_ready(load_scenario(resolve_scenario(str(folder))))

    def member(self, row: TeamRow) -> tuple[Member | None, DrawRow | None]:
        """A family team's member (the one drawn, or the one its place will draw) and its
        draw; (None, None) for a team on a scenario. The facilitator's pages only."""
        draw = self.store.draw(row.id)
        incident = self.c.incident(row.spec.scenario)
        if draw is None or incident is None:
            return None, draw
        return member_drawn(incident, draw.folder, draw.seed, draw.place), draw

    def label(self, row: TeamRow) -> str:
        """A team as the facilitator's board heads its column: the team, its incident and,
        on a family, the member it drew."""
        member, _ = self.member(row)
        played = f"{row.spec.scenario}: member {member.id}" if member else row.spec.scenario
        return f"{row.spec.team} ({played})"

    def play(self, team_id: str, entry: dict[str, Any]) -> MoveRecord | Posted | None:
        """Validate, play, journal; an action's new run is simulated in the background and
        a look or query's result computed before the page shows it."""
        with self.lock:
            team = self.get(team_id)
            result = play_team(team, self.store, team_id, entry)
        drills = self.c.drills
        if isinstance(result, MoveRecord) and result.kind == "act":
            timeline = list(team.drill.timeline)
            threading.Thread(target=lambda: drills.warm(team.drill, timeline), daemon=True).start()
        if isinstance(result, MoveRecord) and result.kind in ("look", "query"):
            drills.show(team.drill, result)
        return result

    def changed(self, team_id: str) -> asyncio.Event:
        return self._changed.setdefault(team_id, asyncio.Event())

    def notify(self, team_id: str) -> None:
        """Wake every live page of this team (called on the event loop)."""
        event = self._changed.pop(team_id, None)
        if event is not None:
            event.set()

    def scored(self, team_id: str) -> tuple[TeamAssessed, dict[str, Any]]:
        """The team's score and report (written under $SPEECHDRILL_HOME/team-reports/),
        kept until the team's next entry."""
        team = self.get(team_id)
        size = len(team.drill.moves) + len(team.channel) + int(bool(team.ended))
        kept = self._scored.get(team_id)
        if kept is not None and kept[0] == size:
            return kept[1], kept[2]
        with self.lock:
            scored = score_team(team)
            out = self.store.root / "team-reports" / team_id
            _, data = write_team_report(scored, out, ("html", "json", "md"))
        self._scored[team_id] = (size, scored, data)
        return scored, data


def routes(c: Console) -> list[Route]:
    teams = Teams(c)
    F = "facilitator"

    def f(handler: Callable[[Teams, Request], Awaitable[Response]]) -> Any:
        async def resumed(_c: Console, request: Request) -> Response:
            try:
                return await handler(teams, request)
            except Drawing:
                return page("error.html", status=409, message=DRAWING)
            except TeamMoveRefused as exc:  # a log that fails its check: never guessed at
                return page("error.html", status=409, message=f"cannot be resumed: {exc.why}")

        return guarded_by(c, resumed, F)

    def m(handler: Callable[[Teams, Request, MemberRow], Awaitable[Response]]) -> Any:
        return member_guard(teams, handler)

    return [
        Route("/f/{ft}/teams", f(teams_home), methods=["GET"]),
        Route("/f/{ft}/teams", f(create_team), methods=["POST"]),
        Route("/f/{ft}/teams/board", f(teams_board), methods=["GET"]),
        Route("/f/{ft}/team/{tid}", f(team_page), methods=["GET"]),
        Route("/f/{ft}/team/{tid}/inject", f(inject), methods=["POST"]),
        Route("/f/{ft}/team/{tid}/end", f(end_team), methods=["POST"]),
        Route("/f/{ft}/team/{tid}/report", f(team_report), methods=["GET"]),
        Route("/f/{ft}/team/{tid}/events", f(facilitator_events), methods=["GET"]),
        Route("/t/{mt}", m(member_page), methods=["GET"]),
        Route("/t/{mt}/move", m(member_move), methods=["POST"]),
        Route("/t/{mt}/post", m(member_post), methods=["POST"]),
        Route("/t/{mt}/events", m(member_events), methods=["GET"]),
    ]


def member_guard(
    teams: Teams, handler: Callable[[Teams, Request, MemberRow], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    """A member's token (404 if unknown: a token is never confirmed to exist); on a POST,
    the page's CSRF token and a same-site Origin."""

    async def endpoint(request: Request) -> Response:
        who = teams.store.member(request.path_params["mt"])
        if who is None:
            return page("error.html", status=404, message="not found")
        if request.method == "POST":
            origin = request.headers.get("origin")
            if origin and urlsplit(origin).netloc != request.url.netloc:
                return page("error.html", status=403, message="cross-site request refused")
            form = await request.form()
            if not hmac.compare_digest(str(form.get("csrf", "")), teams.c.csrf(who.token)):
                return page("error.html", status=403, message="the form has expired: reload")
        try:
            return await handler(teams, request, who)
        except TeamMoveRefused as exc:  # a log that fails its check: never guessed at
            return page("error.html", status=409, message=f"cannot be resumed: {exc.why}")

    return endpoint


# --- the facilitator -------------------------------------------------------------------


async def teams_home(teams: Teams, request: Request, error: str = "") -> Response:
    ft = request.path_params["ft"]
    rows = [(row, teams.store.members(row.id), teams.member(row)[0]) for row in teams.store.teams()]
    return page(
        "team_home.html",
        status=400 if error else 200,
        ft=ft,
        csrf=teams.c.csrf(ft),
        teams=rows,
        incidents=teams.c.incidents(),
        session=teams.store.last_session(),
        error=error,
    )


def parse_members(text: str) -> list[dict[str, Any]]:
    """Members as the facilitator types them: one per line, `Name: role, role`."""
    out = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise BadInput(
            "members: one per line, as 'Name: role' (roles: commander, investigator, comms)"
        )
    for number, line in enumerate(lines, 1):
        name, colon, roles = line.partition(":")
        if not colon or not name.strip():
            raise BadInput(f"members: line {number}: 'Name: role[, role]' (not {line!r})")
        if not NAME.match(name.strip()):
            raise BadInput(
                f"members: line {number}: a name of letters, digits, spaces, . ' - "
                f"(not {name.strip()!r})"
            )
        words = [r.strip().lower() for r in roles.replace(" and ", ",").split(",") if r.strip()]
        unknown = [w for w in words if w not in ROLE_WORDS]
        if not words or unknown:
            raise BadInput(
                f"members: line {number}: roles are commander (ic), investigator, comms "
                f"(communications){f'; not {unknown[0]!r}' if unknown else ''}"
            )
        if len(words) > 2:
            raise BadInput(f"members: line {number}: two roles at most (a person may hold two)")
        out.append({"name": name.strip(), "roles": [ROLE_WORDS[w] for w in words]})
    return out


def _spec_message(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where or 'team'}: {first['msg'].removeprefix('Value error, ')}"
    return str(exc)


async def create_team(teams: Teams, request: Request) -> Response:
    from pydantic import ValidationError

    form = await request.form()
    c = teams.c
    try:
        scenario = str(form.get("scenario", ""))
        incident = c.incident(scenario)
        if incident is None:
            raise BadInput(f"scenario: one of {[i.id for i in c.incidents()]}")
        limit = incident.time_box_min
        box = form_number(form.get("time_box_min", ""), "time box (minutes)", 5, limit)
        name = str(form.get("team", "")).strip()
        if not NAME.match(name):
            raise BadInput("team: a name of letters, digits, spaces, . ' - (1 to 60)")
        # a family team takes the next place of its session: its member is drawn below
        session = _session(form) if incident.family is not None else None
        members = parse_members(str(form.get("members", "")))
        spec = TeamSpec(
            team=name,
            scenario=scenario,
            time_box_min=box,
            members=members,
        )
        row, _ = new_team(teams.store, spec, session)
    except BadInput as exc:
        return await teams_home(teams, request, error=str(exc))
    except ValidationError as exc:
        return await teams_home(teams, request, error=_spec_message(exc))
    except InputError as exc:  # the scenario's team plan is broken: the author's to fix
        return await teams_home(teams, request, error=f"team plan: {exc}")
    if incident.scenario is not None:
        c.drills.warm_scenario(incident.scenario)
    else:
        teams.drawing(row.id)  # starts the draw
    ft = request.path_params["ft"]
    return RedirectResponse(f"/f/{ft}/team/{row.id}", status_code=303)


def _session(form: Any) -> str:
    """The team session a family team is drawn in: its teams draw balanced members (blank:
    a session of its own)."""
    session = str(form.get("session", "")).strip()
    if session and not NAME.match(session):
        raise BadInput("session: a name of letters, digits, spaces, . ' - (up to 60), or blank")
    return session


def _team(teams: Teams, request: Request) -> tuple[str, TeamDrill] | None:
    tid = request.path_params["tid"]
    if teams.store.team(tid) is None:
        return None
    if teams.drawing(tid):
        raise Drawing()
    return tid, teams.get(tid)


async def team_page(teams: Teams, request: Request, error: str = "") -> Response:
    tid = request.path_params["tid"]
    row = teams.store.team(tid)
    if row is None:
        return page("error.html", status=404, message="no such team drill")
    ft = request.path_params["ft"]
    member, draw = teams.member(row)
    if teams.drawing(tid):
        return page(
            "team_drawing.html",
            ft=ft,
            row=row,
            members=teams.store.members(tid),
            titles=ROLE_TITLES,
            base=str(request.base_url).rstrip("/"),
            incident=teams.c.incident(row.spec.scenario),
            member=member,
            draw=draw,
        )
    team = teams.get(tid)
    feed = await run_in_threadpool(_feed_items, teams, team)
    with teams.lock:
        moves = [(m, team.mover(m)) for m in reversed(team.drill.moves)]
    ready = teams.c.drills.ready(team.scenario)
    if not ready:  # a restarted server: prepare the incident again (once, in the background)
        teams.c.drills.warm_scenario(team.scenario)
    injected = {p.post.inject for p in team.channel if isinstance(p.post, Inject) and p.post.inject}
    return page(
        "team_facilitator.html",
        status=400 if error else 200,
        ft=ft,
        csrf=teams.c.csrf(ft),
        tid=tid,
        team=team,
        members=teams.store.members(tid),
        base=str(request.base_url).rstrip("/"),
        feed=feed,
        moves=moves,
        injects=team.plan.injects,
        injected=injected,
        titles=ROLE_TITLES,
        ready=ready,
        member=member,
        draw=draw,
        key=teams.c.key(team.scenario) if member is not None else None,
        error=error,
    )


async def inject(teams: Teams, request: Request) -> Response:
    found = _team(teams, request)
    if found is None:
        return page("error.html", status=404, message="no such team drill")
    tid, team = found
    form = await request.form()
    try:
        post = _inject_post(team, form)
        await run_in_threadpool(teams.play, tid, {"by": FACILITATOR, "post": post})
    except BadInput as exc:
        return await team_page(teams, request, error=str(exc))
    except TeamMoveRefused as exc:
        return await team_page(teams, request, error=str(exc))
    teams.notify(tid)
    return RedirectResponse(f"/f/{request.path_params['ft']}/team/{tid}", status_code=303)


def _inject_post(team: TeamDrill, form: Any) -> dict[str, Any]:
    """A planned inject by its id, or one typed by hand (a question or a second alert)."""
    planned = str(form.get("inject", "")).strip()
    if planned:
        found = team.plan.inject(planned)
        if found is None:
            ids = [i.id for i in team.plan.injects]
            raise BadInput(f"inject: one of this scenario's injects {ids}")
        return {"kind": found.kind, "text": found.text, "source": found.source, "inject": found.id}
    kind = str(form.get("kind", ""))
    if kind not in ("question", "alert"):
        raise BadInput("kind: a stakeholder question or a second alert")
    text = str(form.get("text", "")).strip()
    if not 1 <= len(text) <= 1000:
        raise BadInput("inject text: 1 to 1000 characters")
    source = str(form.get("source", "")).strip()[:120]
    return {"kind": kind, "text": text, "source": source}


async def end_team(teams: Teams, request: Request) -> Response:
    found = _team(teams, request)
    if found is None:
        return page("error.html", status=404, message="no such team drill")
    tid, _ = found
    try:
        await run_in_threadpool(
            teams.play, tid, {"by": FACILITATOR, "end": "ended by the facilitator"}
        )
    except TeamMoveRefused as exc:
        return await team_page(teams, request, error=str(exc))
    teams.notify(tid)
    return RedirectResponse(f"/f/{request.path_params['ft']}/team/{tid}", status_code=303)


async def team_report(teams: Teams, request: Request) -> Response:
    found = _team(teams, request)
    if found is None:
        return page("error.html", status=404, message="no such team drill")
    tid, _ = found
    await run_in_threadpool(teams.scored, tid)
    path = teams.store.root / "team-reports" / tid / "team-report.html"
    return HTMLResponse(path.read_text())


async def teams_board(teams: Teams, request: Request) -> Response:
    chosen = request.query_params.getlist("team") or [row.id for row in teams.store.teams()]
    # a family team whose member is still being drawn has nothing to compare yet
    rows = [row for row in teams.store.teams() if row.id in chosen and not teams.drawing(row.id)]

    def scores() -> list[tuple[str, Any]]:
        return [(teams.label(row), teams.scored(row.id)[0].score) for row in rows]

    found = await run_in_threadpool(scores)
    ft = request.path_params["ft"]
    return page("team_board.html", ft=ft, board=board(found), teams=rows)


# --- a member --------------------------------------------------------------------------


async def member_page(teams: Teams, request: Request, who: MemberRow, error: str = "") -> Response:
    if teams.drawing(who.team):  # the same page for every member of every family team
        return page("preparing.html", who=who)
    team = teams.get(who.team)
    mt = request.path_params["mt"]
    feed = await run_in_threadpool(_feed_items, teams, team)
    mine = await run_in_threadpool(_my_moves, teams, team, who.name)
    roles = team.spec.roles_of(who.name)
    return page(
        "team_member.html",
        status=400 if error else 200,
        mt=mt,
        csrf=teams.c.csrf(who.token),
        who=who,
        roles=roles,
        titles=ROLE_TITLES,
        team=team,
        scenario=team.scenario,
        feed=feed,
        mine=mine,
        my_clock=team.clocks[who.name],
        members=[m.name for m in team.spec.members],
        alerts=team.alerts(),
        panels=PANELS,
        actions=sorted(ACTIONS),
        error=error,
    )


async def member_move(teams: Teams, request: Request, who: MemberRow) -> Response:
    return await _member_entry(teams, request, who, "move", parse_move)


async def member_post(teams: Teams, request: Request, who: MemberRow) -> Response:
    return await _member_entry(teams, request, who, "post", parse_post)


async def _member_entry(
    teams: Teams,
    request: Request,
    who: MemberRow,
    key: str,
    parse: Callable[[Any], dict[str, Any]],
) -> Response:
    """A member's move or channel post: parsed from its form, played on the team's drill,
    announced to every member's page; a refusal shows beside the form."""
    if teams.drawing(who.team):
        return page("preparing.html", status=409, who=who)
    form = await request.form()
    try:
        entry = parse(form)
        await run_in_threadpool(teams.play, who.team, {"by": who.name, key: entry})
    except (BadInput, ActionError, TeamMoveRefused) as exc:
        return await member_page(teams, request, who, error=str(exc))
    teams.notify(who.team)
    return RedirectResponse(f"/t/{request.path_params['mt']}", status_code=303)


def _text(form: Any, name: str, label: str, longest: int = 2000, required: bool = True) -> str:
    text = str(form.get(name, "")).strip()
    if (required and not text) or len(text) > longest:
        raise BadInput(f"{label}: {'1' if required else '0'} to {longest} characters")
    return text


def parse_post(form: Any) -> dict[str, Any]:
    """A channel post from its form (the domain checks the role and the references)."""
    kind = str(form.get("kind", ""))
    if kind == "message":
        return {"kind": kind, "text": _text(form, "text", "message")}
    if kind == "finding":
        try:
            move = int(str(form.get("move", "")))
        except ValueError:
            raise BadInput("finding: the number of one of your looks or queries") from None
        return {"kind": kind, "move": move, "text": _text(form, "text", "note", 500, False)}
    if kind == "severity":
        level = str(form.get("level", ""))
        if level not in ("sev1", "sev2", "sev3"):
            raise BadInput("severity: sev1, sev2 or sev3")
        return {"kind": kind, "level": level, "text": _text(form, "text", "why", required=False)}
    if kind == "assign":
        workstream = _text(form, "workstream", "workstream", 120)
        out: dict[str, Any] = {"kind": kind, "workstream": workstream}
        out["owner"] = str(form.get("owner", ""))
        alert = str(form.get("alert", "")).strip()
        if alert:  # the second alert this workstream answers (its owner acknowledges it)
            if not alert.isdigit() or int(alert) < 1:
                raise BadInput("alert: the number of an injected alert (1 for the first)")
            out["alert"] = int(alert)
        return out
    if kind == "decision":
        text = _text(form, "text", "decision")
        return {
            "kind": kind,
            "text": text,
            "reason": _text(form, "reason", "reason", required=False),
        }
    if kind == "handover":
        text = _text(form, "text", "handover")
        return {"kind": kind, "text": text, "to": _text(form, "to", "to", 120, False)}
    if kind == "update":
        status = str(form.get("status", ""))
        if status not in ("investigating", "identified", "monitoring", "resolved"):
            raise BadInput("status: investigating, identified, monitoring or resolved")
        return {"kind": kind, "status": status, "text": _text(form, "text", "update")}
    raise BadInput("kind: message, finding, severity, assign, decision, handover or update")


# --- what the pages show ---------------------------------------------------------------


def _result(teams: Teams, team: TeamDrill, move: MoveRecord, rows: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"chart": "", "columns": [], "rows": [], "more": 0, "error": ""}
    result = teams.c.drills.show(team.drill, move)
    if result is None:
        out["error"] = move.error
        return out
    if chartable(result):
        page_s = team.scenario.spec.clock.start_s
        acts = [m.sim_time_s for m in team.drill.moves if m.kind == "act"]
        out["chart"] = svg(result, page_s, acts, "")
    shown = visible_rows(result)
    out["columns"], out["rows"] = result.columns, shown[: rows or len(shown)]
    out["more"] = len(result.rows) - len(out["rows"])
    return out


def feed(team: TeamDrill) -> list[Posted | MoveRecord]:
    """What every member sees, in the order it happened: the channel's posts and the
    moves that changed the fleet or closed the incident (looks and queries are their
    member's own until shared). Append-only, so a page's count of items is its place."""
    keyed: list[tuple[float, Posted | MoveRecord]] = [
        (p.after_moves - 0.5, p) for p in team.channel
    ]
    keyed += [(m.index, m) for m in team.drill.moves if m.kind in ("act", "conclude")]
    return [item for _, item in sorted(keyed, key=lambda pair: pair[0])]


def _feed_items(teams: Teams, team: TeamDrill) -> list[dict[str, Any]]:
    with teams.lock:
        items = feed(team)
    return [_item(teams, team, item) for item in items]


def _item(teams: Teams, team: TeamDrill, item: Posted | MoveRecord) -> dict[str, Any]:
    if isinstance(item, MoveRecord):
        by = team.mover(item)
        out = {"minute": item.clock_min, "by": by, "kind": item.kind, "text": item.text}
        if item.action is not None:
            out["text"] = item.outcome or item.text  # what an operator reads of it
        elif item.conclusion is not None:
            out["text"] = f"closed the incident: {item.conclusion.cause}"
        return {**out, "roles": _titles(team, by), "result": None}
    out = {
        "minute": item.clock_min,
        "by": item.by,
        "kind": item.post.kind,
        "text": describe_post(item.post),
        "roles": _titles(team, item.by),
        "result": None,
    }
    move = getattr(item.post, "move", None)
    if move is not None:
        out["result"] = _result(teams, team, team.drill.moves[move - 1], SHOWN_ROWS)
    return out


def _titles(team: TeamDrill, name: str) -> list[str]:
    return [ROLE_TITLES[r] for r in team.spec.roles_of(name)]


def _my_moves(teams: Teams, team: TeamDrill, name: str) -> list[dict[str, Any]]:
    with teams.lock:
        mine = list(reversed(team.moves_of(name)))
    out = []
    for move in mine:
        item: dict[str, Any] = {"move": move, "result": None}
        if move.kind in ("look", "query"):
            item["result"] = _result(teams, team, move, None)
        out.append(item)
    return out


def render_item(item: dict[str, Any]) -> str:
    return TEMPLATES.get_template("team_item.html").render(item=item)


# --- live pages ------------------------------------------------------------------------


def _after(request: Request) -> int:
    raw = request.headers.get("last-event-id") or request.query_params.get("after", "0")
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


async def member_events(teams: Teams, request: Request, who: MemberRow) -> Response:
    if teams.drawing(who.team):
        return page("preparing.html", status=409, who=who)
    return _stream(teams, who.team, request)


async def facilitator_events(teams: Teams, request: Request) -> Response:
    tid = request.path_params["tid"]
    if teams.store.team(tid) is None:
        return page("error.html", status=404, message="no such team drill")
    if teams.drawing(tid):
        return page("error.html", status=409, message=DRAWING)
    return _stream(teams, tid, request)


def _stream(teams: Teams, tid: str, request: Request) -> StreamingResponse:
    """Server-sent events: each new feed item (its id is its place in the feed), the
    team's clock, and the end; a comment line keeps an idle stream open. The stream ends
    when its page goes away."""

    async def events() -> AsyncIterator[str]:
        seen, clock = _after(request), None
        while not await request.is_disconnected():
            changed = teams.changed(tid)  # taken before reading: no change slips between
            team = teams.get(tid)
            items = await run_in_threadpool(_feed_items, teams, team)
            for place, item in enumerate(items[seen:], seen + 1):
                data = json.dumps({"html": render_item(item)})
                yield f"id: {place}\nevent: item\ndata: {data}\n\n"
            seen = max(seen, len(items))
            state = {"clock": round(team.clock_min, 1), "closed": team.closed or team.concluded}
            if state != clock:
                clock = state
                yield f"event: state\ndata: {json.dumps(state)}\n\n"
            try:
                await asyncio.wait_for(changed.wait(), KEEP_ALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


__all__ = ["Teams", "parse_members", "parse_move", "parse_post", "routes"]
