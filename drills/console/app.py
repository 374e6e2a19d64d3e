"""The console's routes. Two roles, each by an unguessable token in the URL:

- the facilitator (/f/<token>/...; the token lives in $SPEECHDRILL_HOME/console.key and is
  printed by `speechdrill serve`): creates cohorts, sees each candidate's progress and the
  evidence read so far, gives hints, ends drills, reads the cohort report with the key;
- a candidate (/c/<token>): their own drill only. Nothing the app sends a candidate holds
  key material: no answer key, expert path, hidden answer, or other candidate.

Every form carries a CSRF token (an HMAC of the page's own token) and a POST whose Origin
is another site is refused. Bad input gets a message and changes nothing."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drills.console.charts import chartable, svg
from drills.console.exams import items as exam_items
from drills.console.exams import routes as exam_routes
from drills.console.live import LiveDrills
from drills.console.prepare import Preparer
from drills.console.store import HINT_COST, Candidate, Cohort, Store, new_token
from drills.console.team import routes as team_routes
from drills.console.web import BadInput, Console, guarded_by, names_of, now, page
from drills.judge.alerts import rules_in
from drills.judge.evidence import visible_rows
from drills.judge.scoring import References, assess, gather_evidence, references
from drills.library.paths import library_root
from drills.library.scenario import (
    load_scenario,
    scenario_dirs,
)
from drills.library.variant_spec import variants_of
from drills.play.actions import ACTIONS, ActionError, action_changes, operator_view
from drills.play.drill import Drill, MoveRecord
from drills.play.journal import Journal
from drills.play.panels import PANELS
from drills.runs.service import Runs
from drills.usecases import MoveRefused, record
from simulator.errors import InputError
from simulator.telemetry.schema import COLUMNS, METRIC_NAMES, TABLE_PURPOSE

RUNS_IN_MEMORY = 48  # a cohort's runs (one per candidate who acted), ~80 MB each
RUNS_ON_DISK = 96


def create_app(root: Path) -> Starlette:
    """The app over a home folder; it keeps more runs than a one-trainee process does: a
    cohort's drills diverge once its candidates act, and its report reads every run."""
    # re-simulations yield the cores to the pages (niceness)
    runs = Runs(memory=RUNS_IN_MEMORY, niceness=10, keep_on_disk=RUNS_ON_DISK)
    journal = Journal(root)
    scenarios = {d.name: load_scenario(d / "scenario.yaml") for d in scenario_dirs()}
    store, live = Store(root), LiveDrills(journal, runs)
    preparer = Preparer(store, journal, lambda s: live.warm_scenario(s, references=True))
    console = Console(store, journal, live, scenarios, preparer)
    app = Starlette(routes=routes(console))
    app.state.console = console
    return app


def routes(c: Console) -> list[Route]:
    F, C = "facilitator", "candidate"
    return [
        *exam_routes(c),
        *team_routes(c),  # team drills: drills/console/team.py
        Route("/", lambda r: page("index.html"), methods=["GET"]),
        Route("/f/{ft}", guarded_by(c, facilitator_home, F), methods=["GET"]),
        Route("/f/{ft}/cohorts", guarded_by(c, create_cohort, F), methods=["POST"]),
        Route("/f/{ft}/cohort/{cid}", guarded_by(c, cohort_page, F), methods=["GET"]),
        Route("/f/{ft}/cohort/{cid}/hint", guarded_by(c, give_hint, F), methods=["POST"]),
        Route("/f/{ft}/cohort/{cid}/end", guarded_by(c, end_drill, F), methods=["POST"]),
        Route(
            "/f/{ft}/cohort/{cid}/report",
            guarded_by(c, cohort_report, F),
            methods=["GET"],
        ),
        Route("/c/{ct}", guarded_by(c, candidate_page, C), methods=["GET"]),
        Route("/c/{ct}/move", guarded_by(c, candidate_move, C), methods=["POST"]),
    ]


# --- facilitator -----------------------------------------------------------------------


async def facilitator_home(c: Console, request: Request, error: str = "") -> Response:
    ft = request.path_params["ft"]
    cohorts = [(k, c.store.candidates(k.id)) for k in c.store.cohorts()]
    return page(
        "facilitator.html",
        status=400 if error else 200,
        ft=ft,
        csrf=c.csrf(ft),
        cohorts=cohorts,
        scenarios=sorted(c.scenarios.values(), key=lambda s: s.spec.id),
        sittings=[(x, c.store.examinees(x.id)) for x in c.store.sittings()],
        exam_items=sorted(exam_items().values(), key=lambda e: e.id),
        error=error,
    )


async def create_cohort(c: Console, request: Request) -> Response:
    form = await request.form()
    try:
        scenario = str(form.get("scenario", ""))
        if scenario not in c.scenarios:
            raise BadInput(f"scenario: one of {sorted(c.scenarios)}")
        names = names_of(form)
        limit = c.scenarios[scenario].time_box_min
        box = _number(form.get("time_box_min", ""), "time box (minutes)", 5, limit)
        each = _variants_wanted(c, scenario, form)
    except BadInput as exc:
        return await facilitator_home(c, request, error=str(exc))
    cohort = Cohort(uuid.uuid4().hex[:10], scenario, box, now(), each)
    c.store.add_cohort(cohort)
    for name in names:
        session = "" if each else c.journal.create(scenario, name).id  # "": prepared below
        c.store.add_candidate(Candidate(new_token(), cohort.id, name, session, ""))
    if each:
        c.preparer.start(cohort)
    else:
        c.drills.warm_scenario(c.scenarios[scenario])
    ft = request.path_params["ft"]
    return RedirectResponse(f"/f/{ft}/cohort/{cohort.id}", status_code=303)


def _variants_wanted(c: Console, scenario: str, form: Any) -> bool:
    """One incident for the whole cohort, or a fresh verified variant for each candidate."""
    choice = str(form.get("variants", "same"))
    if choice not in ("same", "each"):
        raise BadInput("incident: the same for everyone, or a fresh variant for each")
    if choice == "each" and variants_of(c.scenarios[scenario].directory) is None:
        raise BadInput(f"incident: {scenario} declares no variants; give everyone the same")
    return choice == "each"


def _number(raw: object, label: str, low: float, high: float) -> float:
    try:
        value = float(str(raw))
    except ValueError:
        raise BadInput(f"{label}: a number from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise BadInput(f"{label}: a number from {low:g} to {high:g}")
    return value


def _cohort(c: Console, request: Request) -> Cohort | None:
    return c.store.cohort(request.path_params["cid"])


async def cohort_page(c: Console, request: Request, error: str = "") -> Response:
    cohort = _cohort(c, request)
    if cohort is None:
        return page("error.html", status=404, message="no such cohort")
    scenario = c.scenarios[cohort.scenario]
    key = c.key(scenario)
    rows: list[dict[str, Any]] = []
    drills: list[Drill | None] = []
    for who in c.store.candidates(cohort.id):
        drill = _drill(c, who, cohort)
        drills.append(drill)
        mine = c.key(drill.scenario) if drill is not None else key
        found = await run_in_threadpool(_evidence, c, drill, mine) if drill is not None else None
        rows.append(
            {
                "who": who,
                "drill": drill,
                "read": sorted(found.readings) if found else [],
                "hints": c.store.hints(who.token),
            }
        )
    ft = request.path_params["ft"]
    return page(
        "cohort.html",
        status=400 if error else 200,
        ft=ft,
        csrf=c.csrf(ft),
        cohort=cohort,
        scenario=scenario,
        key=key,
        rows=rows,
        base=str(request.base_url).rstrip("/"),
        ready=_ready(c, cohort, drills),
        preparing=len(c.preparer.pending(cohort)),
        error=error,
    )


def _ready(c: Console, cohort: Cohort, drills: list[Drill | None]) -> bool:
    """Whether the cohort's links can go out: every candidate's incident drawn and
    verified, its run simulated and its dashboard at the page run. If not, the work is
    under way (started here when a restarted server has not begun it)."""
    if c.preparer.pending(cohort):
        c.preparer.start(cohort)
        return False
    scenarios = {d.scenario.directory: d.scenario for d in drills if d is not None}
    waiting = [s for s in scenarios.values() if not c.drills.ready(s)]
    for scenario in waiting:
        c.drills.warm_scenario(scenario)
    return not waiting


def _drill(c: Console, who: Candidate, cohort: Cohort) -> Drill | None:
    if not who.session:  # the candidate's variant is still being prepared
        return None
    try:
        drill = c.drills.get(who.session)
    except MoveRefused:
        return None
    if not who.ended and drill.clock_min >= cohort.time_box_min and not drill.concluded:
        c.store.end(who.token, "the time box ran out")
    return drill


def _member(c: Console, cohort: Cohort, form: Any) -> Candidate:
    """The candidate a facilitator's form names, if they are in this cohort."""
    who = c.store.candidate(str(form.get("candidate", "")))
    if who is None or who.cohort != cohort.id:
        raise BadInput("candidate: one of this cohort's")
    return who


async def give_hint(c: Console, request: Request) -> Response:
    cohort = _cohort(c, request)
    if cohort is None:
        return page("error.html", status=404, message="no such cohort")
    form = await request.form()
    try:
        who = _member(c, cohort, form)
        text = str(form.get("text", "")).strip()
        if not 1 <= len(text) <= 500:
            raise BadInput("hint: 1 to 500 characters")
        if not who.session:
            raise BadInput(f"hint: {who.name}'s drill is still being prepared")
    except BadInput as exc:
        return await cohort_page(c, request, error=str(exc))
    drill = c.drills.get(who.session)
    c.store.add_hint(who.token, drill.clock_min, text)
    return RedirectResponse(str(request.url).rsplit("/", 1)[0], status_code=303)


async def end_drill(c: Console, request: Request) -> Response:
    cohort = _cohort(c, request)
    if cohort is None:
        return page("error.html", status=404, message="no such cohort")
    try:
        who = _member(c, cohort, await request.form())
    except BadInput as exc:
        return await cohort_page(c, request, error=str(exc))
    c.store.end(who.token, "ended by the facilitator")
    return RedirectResponse(str(request.url).rsplit("/", 1)[0], status_code=303)


def _evidence(c: Console, drill: Drill, key: Any) -> Any:
    with c.drills.runs_lock:
        return gather_evidence(drill, key)


async def cohort_report(c: Console, request: Request) -> Response:
    cohort = _cohort(c, request)
    if cohort is None:
        return page("error.html", status=404, message="no such cohort")
    scenario = c.scenarios[cohort.scenario]
    key = c.key(scenario)
    results = await run_in_threadpool(_scores, c, cohort)
    return page(
        "report.html",
        cohort=cohort,
        scenario=scenario,
        key=key,
        results=results,
        expert=results[0]["expert"] if results else None,
        hint_cost=HINT_COST,
    )


def _scores(c: Console, cohort: Cohort) -> list[dict[str, Any]]:
    """Every prepared candidate's score against their own incident's key and expert path
    (finished drills join their history)."""
    refs: dict[Path, References] = {}  # a variant's references, shared by its candidates
    results = []
    with c.drills.lock, c.drills.runs_lock:
        for who in c.store.candidates(cohort.id):
            if not who.session:
                continue
            drill = c.drills.get(who.session)
            scenario = drill.scenario
            if scenario.directory not in refs:
                refs[scenario.directory] = references(scenario, scenario.directory, drill.runs)
            mine = refs[scenario.directory]
            assessed = assess(drill, mine, c.key(scenario))
            result = assessed.score
            if drill.concluded or who.ended:  # a finished drill joins the trainee's history
                record(assessed, who.session, who.name, c.store.root)
            hints = c.store.hints(who.token)
            final = max(0.0, result.score - sum(h.cost for h in hints))
            results.append(
                {
                    "who": who,
                    "drill": drill,
                    "score": result,
                    "hints": hints,
                    "final": final,
                    "expert": mine.expert,
                }
            )
    return results


# --- candidate -------------------------------------------------------------------------


def _candidate(c: Console, request: Request) -> tuple[Candidate, Cohort]:
    who = c.store.candidate(request.path_params["ct"])
    assert who is not None  # guarded
    cohort = c.store.cohort(who.cohort)
    assert cohort is not None
    return who, cohort


async def candidate_page(
    c: Console, request: Request, error: str = "", confirm: dict[str, Any] | None = None
) -> Response:
    who, cohort = _candidate(c, request)
    if not who.session:
        return page("preparing.html", who=who)
    drill = _drill(c, who, cohort)
    if drill is None:
        return page("error.html", status=409, message="this drill cannot be resumed")
    who = c.store.candidate(who.token) or who
    scenario = drill.scenario
    ct = request.path_params["ct"]
    # off the event loop: a query that has not run yet takes its time, other pages go on
    shown = await run_in_threadpool(_all_shown, c, drill)
    return page(
        "candidate.html",
        status=400 if error else 200,
        ct=ct,
        csrf=c.csrf(ct),
        who=who,
        cohort=cohort,
        scenario=scenario,
        drill=drill,
        closed=bool(who.ended) or drill.concluded,
        shown=shown,
        panels=PANELS,
        actions=sorted(ACTIONS),
        schema=_schema(),
        hints=c.store.hints(who.token),
        error=error,
        confirm=confirm,
    )


def _all_shown(c: Console, drill: Drill) -> list[dict[str, Any]]:
    with c.drills.lock:
        moves = list(reversed(drill.moves))
    return [_shown(c, drill, m) for m in moves]


def _shown(c: Console, drill: Drill, move: MoveRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"move": move, "chart": "", "columns": [], "rows": [], "more": 0}
    if move.kind == "act" and move.action is not None:
        out["view"] = operator_view(move.action.action, move.changes, move.action.args)
    if move.kind not in ("look", "query"):
        return out
    result = c.drills.show(drill, move)
    if result is None:
        out["error"] = move.error
        return out
    if chartable(result):
        page_s = drill.scenario.spec.clock.start_s
        moves_s = [m.sim_time_s for m in drill.moves if m.kind == "act"]
        out["chart"] = svg(result, page_s, moves_s, _unit(result.columns[-1]))
    rows = visible_rows(result)
    out["columns"], out["rows"] = result.columns, rows[-30:] if out["chart"] else rows
    out["more"] = len(result.rows) - len(out["rows"])
    return out


def _unit(column: str) -> str:
    for table in COLUMNS.values():
        if column in table:
            return table[column][0]
    suffixes = {"_ms": "ms", "_s": "s", "_per_s": "1/s", "_usd": "USD", "usd": "USD"}
    return next((u for s, u in suffixes.items() if column.endswith(s)), "")


def _schema() -> list[dict[str, Any]]:
    tables = [
        {"name": name, "purpose": TABLE_PURPOSE[name], "columns": columns.items()}
        for name, columns in COLUMNS.items()
    ]
    tables.append(
        {
            "name": "metrics.name",
            "purpose": "the metric names in `metrics` (unit, labels)",
            "columns": [(n, (u, f"by {lab}: {m}")) for n, (u, lab, m) in METRIC_NAMES.items()],
        }
    )
    return tables


async def candidate_move(c: Console, request: Request) -> Response:
    who, cohort = _candidate(c, request)
    if not who.session:
        return await candidate_page(c, request)
    if who.ended:
        return await candidate_page(c, request, error=f"this drill has ended: {who.ended}")
    form = await request.form()
    try:
        move = _parse_move(form)
        if "act" in move and form.get("confirm") != "yes":
            preview = _blast_radius(c, who, move["act"])
            return await candidate_page(c, request, confirm={"act": move["act"], **preview})
        await run_in_threadpool(_play, c, who, move, cohort.time_box_min)
    except (BadInput, ActionError, ValidationError, MoveRefused) as exc:
        return await candidate_page(c, request, error=_message(exc))
    _drill(c, who, cohort)  # the time box may have run out with this move
    return RedirectResponse(f"/c/{request.path_params['ct']}", status_code=303)


def _play(c: Console, who: Candidate, move: dict[str, Any], time_box_min: float) -> None:
    """Play, journal, and compute what a look or query shows (off the event loop)."""
    record = c.drills.play(who.session, move, time_box_min)
    if record.kind in ("look", "query"):
        c.drills.show(c.drills.get(who.session), record)


def _message(exc: Exception) -> str:
    if isinstance(exc, ActionError):
        return f"{exc.path}: {exc.expected}"
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


def _parse_move(form: Any) -> dict[str, Any]:
    kind = str(form.get("kind", ""))
    if kind == "look":
        panel = str(form.get("panel", ""))
        if panel not in PANELS:
            raise BadInput(f"panel: one of {sorted(PANELS)}")
        return {"look": panel}
    if kind == "query":
        sql = str(form.get("sql", "")).strip()
        if not 1 <= len(sql) <= 4000:
            raise BadInput("query: SQL of 1 to 4000 characters")
        return {"query": sql}
    if kind == "act":
        action = str(form.get("action", ""))
        if action not in ACTIONS:
            raise BadInput(f"action: one of {sorted(ACTIONS)}")
        return {"act": {"action": action, "args": _args(str(form.get("args", "")))}}
    if kind == "conclude":
        cause = str(form.get("cause", "")).strip()
        if not cause:
            raise BadInput("cause: the cause, in your own words")
        lines = lambda name: [x.strip() for x in str(form.get(name, "")).splitlines() if x.strip()]  # noqa: E731
        return {
            "conclude": {
                "cause": cause,
                "mitigations": lines("mitigations"),
                "prevention": [*lines("prevention"), *_alert_rules(str(form.get("rules", "")))],
                "notes": str(form.get("notes", "")),
            }
        }
    raise BadInput("kind: look, query, act or conclude")


def _alert_rules(text: str) -> list[dict[str, Any]]:
    """Alert rules pasted as a Prometheus rule file (or a list of rules), each checked by
    promtool: a prevention item scored by whether it would have paged."""
    if not text.strip():
        return []
    if len(text) > 20_000:
        raise BadInput("alert rules: at most 20,000 characters")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise BadInput("alert rules: not readable as YAML") from None
    if isinstance(data, list):
        data = {"groups": [{"name": "mine", "rules": data}]}
    try:
        rules = rules_in(data, "alert rules")
    except InputError as exc:
        raise BadInput(f"alert rules: {exc.field_path}: {exc.expected}") from None
    return [rule.model_dump(by_alias=True) for rule in rules]


def _args(text: str) -> dict[str, Any]:
    """key=value, one per line or separated by spaces; values read as YAML."""
    out: dict[str, Any] = {}
    for pair in text.split():
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise BadInput(f"arguments: key=value pairs (not {pair!r})")
        try:
            out[key] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise BadInput(f"arguments: {key}'s value is not readable") from None
    return out


def _blast_radius(c: Console, who: Candidate, act: dict[str, Any]) -> dict[str, Any]:
    """What the action would change, shown before it is confirmed (nothing played)."""
    drill = c.drills.get(who.session)
    fleet = drill.fleet_at(drill.now_s)
    changes = action_changes(act["action"], act["args"], fleet, drill.scenario.fleet)
    pools = sorted({p.split(".")[1] for p in changes if p.startswith("pools.")})
    routes = sorted({p.split(".")[1] for p in changes if p.startswith("routes.")})
    return {
        "changes": len(changes),
        "pools": pools,
        "routes": routes,
        "unsafe": ACTIONS[act["action"]].unsafe,
        "args_text": " ".join(f"{k}={v}" for k, v in act["args"].items()),
    }


def default_root() -> Path:
    from drills.play.journal import home

    return home()


__all__ = ["create_app", "default_root", "library_root"]
