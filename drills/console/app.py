"""The console's routes. Two roles, each by an unguessable token in the URL:

- the facilitator (/f/<token>/...; the token lives in $SPEECHDRILL_HOME/console.key and is
  printed by `speechdrill serve`): creates cohorts, sees each candidate's progress and the
  evidence read so far, gives hints, ends drills, reads the cohort report with the key;
- a candidate (/c/<token>): their own drill only. Nothing the app sends a candidate holds
  key material: no answer key, expert path, hidden answer, or other candidate.

Every form carries a CSRF token (an HMAC of the page's own token) and a POST whose Origin
is another site is refused. Bad input gets a message and changes nothing."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drills.console.dashboard import Dashboard, dashboard
from drills.console.exams import items as exam_items
from drills.console.exams import routes as exam_routes
from drills.console.forms import form_number, parse_move
from drills.console.incidents import Incident, library_families, members_drawn
from drills.console.live import LiveDrills, Scorer
from drills.console.prepare import Preparer
from drills.console.report import escape_attempts, reaches, standing
from drills.console.store import HINT_COST, Candidate, Cohort, Store, new_token
from drills.console.team import routes as team_routes
from drills.console.web import (
    BadInput,
    Console,
    ConsoleApp,
    guarded_by,
    names_of,
    now,
    page,
)
from drills.judge.scoring import gather_evidence
from drills.library.paths import library_root
from drills.library.scenario import (
    load_scenario,
    scenario_dirs,
)
from drills.play.actions import ActionError, usage
from drills.play.drill import Drill
from drills.play.journal import Journal
from drills.play.panels import PANELS
from drills.play.vocabulary import tables
from drills.runs.cache import DiskReads
from drills.runs.service import Runs, env_int
from drills.usecases import MoveRefused, preview_move

RUNS_IN_MEMORY = 48  # a cohort's runs (one per candidate who acted), ~80 MB each
RUNS_ON_DISK = 64  # each ~130 MB on disk: the compressed run and its mapped tables
MAX_BODY = 256 * 1024  # bytes of a form: every field has its own, smaller, limit


def runs_on_disk() -> int:
    """The console's own default unless the operator sized the cache
    ($SPEECHDRILL_CACHE_KEEP, as every other front end reads it): a console sharing a cache
    with other work must not prune that cache to its own size."""
    return env_int("SPEECHDRILL_CACHE_KEEP", RUNS_ON_DISK)


def create_app(root: Path, dask: str | None = None, reads: DiskReads | None = None) -> Starlette:
    """The app over a home folder; it keeps more runs than a one-trainee process does: a
    cohort's drills diverge once its candidates act, and its report reads every run.
    Runs are simulated in the simulation host, or on the Dask cluster at `dask`; trainee
    SQL runs in sandbox processes, one per core and one more (at least three: a candidate
    holds one at most, and a query at its time limit holds it for seconds). `reads`: the
    runs read from disk that a process making several apps shares between them (a test
    session's: each console test read the same runs back again)."""
    runs = Runs(
        memory=RUNS_IN_MEMORY,
        niceness=10,  # re-simulations yield the cores to the pages
        keep_on_disk=runs_on_disk(),
        isolated=True,
        dask=dask,
        sandboxes=max(3, (os.cpu_count() or 1) + 1),
        reads=reads,
    )
    journal = Journal(root)
    scenarios = {d.name: load_scenario(d / "scenario.yaml") for d in scenario_dirs()}
    store, live = Store(root), LiveDrills(journal, runs)
    # the draws' verifying runs go into this cache: the console reads them back to score
    cache = (runs.cache.root(), runs.cache.keep_on_disk)
    preparer = Preparer(
        store, journal, lambda s: live.warm_scenario(s, references=True), cache=cache
    )
    console = Console(store, journal, live, scenarios, preparer, library_families())
    console.scorer = Scorer(live, console.key, root)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if runs.views.pool is not None:
            runs.views.pool.prestart()
        yield
        console.scorer.close()
        runs.close()  # the simulation host and the SQL sandboxes, stopped and reaped

    app = ConsoleApp(routes=routes(console), lifespan=lifespan, max_body_size=MAX_BODY)
    app.state.console = console
    return app


def routes(c: Console) -> list[Route]:
    F, C = "facilitator", "candidate"
    return [
        *exam_routes(c),
        *team_routes(c),  # team drills: drills/console/team.py
        Route("/", lambda r: page("index.html"), methods=["GET"]),
        Route("/live.js", static_script, methods=["GET"]),
        Route("/team.js", static_script, methods=["GET"]),
        Route("/f/{ft}", guarded_by(c, facilitator_home, F), methods=["GET"]),
        Route("/f/{ft}/cohorts", guarded_by(c, create_cohort, F), methods=["POST"]),
        Route("/f/{ft}/cohort/{cid}", guarded_by(c, cohort_page, F), methods=["GET"]),
        Route("/f/{ft}/cohort/{cid}/live", guarded_by(c, cohort_live, F), methods=["GET"]),
        Route("/f/{ft}/cohort/{cid}/hint", guarded_by(c, give_hint, F), methods=["POST"]),
        Route("/f/{ft}/cohort/{cid}/end", guarded_by(c, end_drill, F), methods=["POST"]),
        # a reload of a form's answer (a refused hint) lands back on the cohort page
        Route("/f/{ft}/cohort/{cid}/hint", guarded_by(c, back_to_cohort, F), methods=["GET"]),
        Route("/f/{ft}/cohort/{cid}/end", guarded_by(c, back_to_cohort, F), methods=["GET"]),
        Route(
            "/f/{ft}/cohort/{cid}/report",
            guarded_by(c, cohort_report, F),
            methods=["GET"],
        ),
        Route("/c/{ct}", guarded_by(c, candidate_page, C), methods=["GET"]),
        Route("/c/{ct}/move", guarded_by(c, candidate_move, C), methods=["POST"]),
    ]


# --- facilitator -----------------------------------------------------------------------


STATIC = Path(__file__).parent / "static"


async def static_script(request: Request) -> Response:
    """The console's few lines of script (the cohort page's live update, a team page's
    channel), from its own origin: the CSP runs no other script."""
    name = request.url.path.lstrip("/")
    return Response((STATIC / name).read_text(), media_type="text/javascript")


async def facilitator_home(c: Console, request: Request, error: str = "") -> Response:
    ft = request.path_params["ft"]
    cohorts = [(k, c.store.candidates(k.id)) for k in c.store.cohorts()]
    return page(
        "facilitator.html",
        status=400 if error else 200,
        ft=ft,
        csrf=c.csrf(ft),
        cohorts=cohorts,
        incidents=c.incidents(),
        families=set(c.families),
        sittings=[(x, c.store.examinees(x.id)) for x in c.store.sittings()],
        exam_items=sorted(exam_items().values(), key=lambda e: e.id),
        error=error,
    )


async def create_cohort(c: Console, request: Request) -> Response:
    form = await request.form()
    try:
        incident = c.incident(str(form.get("scenario", "")))
        if incident is None:
            raise BadInput(f"scenario: one of {[i.id for i in c.incidents()]}")
        names = names_of(form)
        limit = incident.time_box_min
        box = form_number(form.get("time_box_min", ""), "time box (minutes)", 5, limit)
        each = _variants_wanted(incident, form)
    except BadInput as exc:
        return await facilitator_home(c, request, error=str(exc))
    cohort = Cohort(uuid.uuid4().hex[:10], incident.id, box, now(), each)
    c.store.add_cohort(cohort)
    for name in names:
        session = "" if each else c.journal.create(incident.id, name).id  # "": prepared below
        c.store.add_candidate(Candidate(new_token(), cohort.id, name, session, ""))
    if each:  # a variant, or a family's member, drawn for each (drills/console/prepare.py)
        c.preparer.start(cohort)
    elif incident.scenario is not None:
        c.drills.warm_scenario(incident.scenario)
    ft = request.path_params["ft"]
    return RedirectResponse(f"/f/{ft}/cohort/{cohort.id}", status_code=303)


def _variants_wanted(incident: Incident, form: Any) -> bool:
    """One incident for the whole cohort, or a fresh verified variant for each candidate.
    A symptom family has no incident of its own: each candidate always draws a member
    (whatever the choice says), so that no one's incident is a tip for another's."""
    choice = str(form.get("variants", "same"))
    if choice not in ("same", "each"):
        raise BadInput("incident: the same for everyone, or a fresh variant for each")
    if incident.family is not None:
        return True
    if choice == "each" and not incident.varies:
        raise BadInput(f"incident: {incident.id} declares no variants; give everyone the same")
    return choice == "each"


def _cohort(c: Console, request: Request) -> Cohort | None:
    return c.store.cohort(request.path_params["cid"])


async def cohort_page(
    c: Console, request: Request, error: str = "", refused: dict[str, str] | None = None
) -> Response:
    """The cohort's page: its live part (progress, readiness) is fetched again every few
    seconds by a few lines of script, which skip a turn while a form is being typed in."""
    cohort = _cohort(c, request)
    if cohort is None:
        return page("error.html", status=404, message="no such cohort")
    if c.incident(cohort.scenario) is None:
        return _gone(cohort)
    context = await _cohort_context(c, request, cohort)
    return page(
        "cohort.html", status=400 if error else 200, error=error, refused=refused, **context
    )


async def cohort_live(c: Console, request: Request) -> Response:
    """The live part of the cohort page alone (what the page's script fetches)."""
    cohort = _cohort(c, request)
    if cohort is None:
        return page("error.html", status=404, message="no such cohort")
    if c.incident(cohort.scenario) is None:
        return _gone(cohort)
    return page("cohort_live.html", refused=None, **await _cohort_context(c, request, cohort))


def _gone(cohort: Cohort) -> Response:
    """A cohort whose scenario or family has left the library since it was created."""
    why = f"this cohort's incident, {cohort.scenario}, is no longer in the scenario library"
    return page("error.html", status=404, message=why)


async def back_to_cohort(c: Console, request: Request) -> Response:
    ft, cid = request.path_params["ft"], request.path_params["cid"]
    return RedirectResponse(f"/f/{ft}/cohort/{cid}", status_code=303)


async def _cohort_context(c: Console, request: Request, cohort: Cohort) -> dict[str, Any]:
    incident = c.incident(cohort.scenario)
    assert incident is not None  # checked by the page
    key = c.key(incident.scenario) if incident.scenario is not None else None
    rows: list[dict[str, Any]] = []
    drills: list[Drill | None] = []
    candidates = c.store.candidates(cohort.id)
    for who, member in zip(candidates, members_drawn(incident, cohort, candidates), strict=True):
        drill = _drill(c, who, cohort)
        drills.append(drill)
        mine = c.key(drill.scenario) if drill is not None else key
        found = await run_in_threadpool(_evidence, c, drill, mine) if drill is not None else None
        rows.append(
            {
                "who": c.store.candidate(who.token) or who,
                "drill": drill,
                "member": member,
                "key": mine,
                "read": sorted(found.readings) if found else [],
                "hints": c.store.hints(who.token),
                "standing": standing(c.store.candidate(who.token) or who, drill),
            }
        )
    ft = request.path_params["ft"]
    return {
        "ft": ft,
        "csrf": c.csrf(ft),
        "cohort": cohort,
        "incident": incident,
        "key": key,
        "rows": rows,
        "base": str(request.base_url).rstrip("/"),
        "ready": _ready(c, cohort, drills),
        "preparing": len(c.preparer.pending(cohort)),
    }


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
        who = c.store.candidate(who.token) or who
    if drill.concluded or who.ended:
        c.scorer.request(who.session, who.name)
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
    except BadInput as exc:
        return await cohort_page(c, request, error=str(exc))
    text = str(form.get("text", "")).strip()
    try:
        if not 1 <= len(text) <= 500:
            raise BadInput("hint: 1 to 500 characters")
        if not who.session:
            raise BadInput(f"hint: {who.name}'s drill is still being prepared")
    except BadInput as exc:  # shown beside that candidate's hint, what was typed kept
        refused = {"token": who.token, "error": str(exc), "text": text[:2000]}
        return await cohort_page(c, request, error=str(exc), refused=refused)
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
    if who.session:
        c.scorer.request(who.session, who.name)
    return RedirectResponse(str(request.url).rsplit("/", 1)[0], status_code=303)


def _evidence(c: Console, drill: Drill, key: Any) -> Any:
    return gather_evidence(drill, key)


async def cohort_report(c: Console, request: Request) -> Response:
    cohort = _cohort(c, request)
    if cohort is None:
        return page("error.html", status=404, message="no such cohort")
    incident = c.incident(cohort.scenario)
    if incident is None:
        return _gone(cohort)
    key = c.key(incident.scenario) if incident.scenario is not None else None
    results = await run_in_threadpool(_scores, c, cohort, incident)
    return page(
        "report.html",
        ft=request.path_params["ft"],
        cohort=cohort,
        incident=incident,
        key=key,
        results=results,
        groups=_by_member(incident, results),
        components=next(
            ([x.component for x in r["score"].breakdown] for r in results if r["score"]), []
        ),
        expert=results[0]["expert"] if results else None,
        hint_cost=HINT_COST,
    )


def _by_member(incident: Incident, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A family cohort's results by the member each candidate drew, in the family's order
    (a member no one drew is left out): what it is, the key its candidates were scored
    against. One group of everyone for a scenario's cohort."""
    if incident.family is None:
        return [{"member": None, "key": None, "results": results}]
    groups = []
    for member in incident.members:
        mine = [r for r in results if r["member"] is not None and r["member"].id == member.id]
        if mine:
            groups.append({"member": member, "key": mine[0]["key"], "results": mine})
    return groups


def _scores(c: Console, cohort: Cohort, incident: Incident) -> list[dict[str, Any]]:
    """Every prepared candidate's standing, expert path and stored score
    (drills/console/live.py `Scorer`: a finished drill is scored once, in the background,
    against its own incident's key and expert path, and joins the trainee's history); None
    for a drill still being played or not scored yet. Nothing is scored here: reloading
    the report costs a read (and, the first time a finished drill is shown, its second
    reading: drills/judge/referrals.py)."""
    results = []
    candidates = c.store.candidates(cohort.id)
    for who, member in zip(candidates, members_drawn(incident, cohort, candidates), strict=True):
        if not who.session:
            continue
        drill = _drill(c, who, cohort)
        if drill is None:
            continue
        who = c.store.candidate(who.token) or who
        for move in drill.moves:  # the SQL that reached past the telemetry, answered
            if reaches(move) and move.result is None and not move.error:
                c.drills.show(drill, move)
        done = standing(who, drill)
        found = c.scorer.stored(who.session) if done.state != "still playing" else None
        hints = c.store.hints(who.token)
        key = c.key(drill.scenario)
        results.append(
            {
                "who": who,
                "drill": drill,
                "member": member,
                "key": key,
                "standing": done,
                "score": found,
                "finished": done.state != "still playing",
                "hints": hints,
                "final": max(0.0, found.score - sum(h.cost for h in hints)) if found else None,
                "expert": c.scorer.references(drill.scenario).expert,
                "escapes": escape_attempts(drill),
                "conclusion": drill.moves[-1].conclusion if drill.concluded else None,
                "referrals": (
                    c.scorer.second_reading(who.session, drill, key) if found is not None else []
                ),
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
    c: Console,
    request: Request,
    error: str = "",
    confirm: dict[str, Any] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The candidate's dashboard; `error` shows beside the form it came from (`typed`
    holds what was typed there, kept)."""
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
    dash = await run_in_threadpool(_dashboard, c, drill)
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
        dash=dash,
        panels=PANELS,
        actions=usage(),
        schema=tables(),
        hints=c.store.hints(who.token),
        error=error,
        typed=typed or {},
        confirm=confirm,
    )


def _dashboard(c: Console, drill: Drill) -> Dashboard:
    with c.drills.lock:
        moves = list(drill.moves)
    return dashboard(drill, moves, lambda move: c.drills.show(drill, move))


async def candidate_move(c: Console, request: Request) -> Response:
    who, cohort = _candidate(c, request)
    if not who.session:
        return await candidate_page(c, request)
    if who.ended:
        return await candidate_page(c, request, error=f"this drill has ended: {who.ended}")
    form = await request.form()
    typed = {k: str(v)[:20_000] for k, v in form.items() if k != "csrf"}
    try:
        move = parse_move(form)
        if "act" in move and form.get("confirm") != "yes":
            # the check the confirm makes (drills.usecases), nothing played
            said = preview_move(c.drills.get(who.session), move, cohort.time_box_min)
            confirm = {"preview": said, "args_text": typed.get("args", "")}
            return await candidate_page(c, request, confirm=confirm)
        await run_in_threadpool(_play, c, who, move, cohort.time_box_min)
    except (BadInput, ActionError, ValidationError, MoveRefused) as exc:
        return await candidate_page(c, request, error=_message(exc), typed=typed)
    _drill(c, who, cohort)  # the time box may have run out with this move: scored then
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


def default_root() -> Path:
    from drills.play.journal import home

    return home()


__all__ = ["create_app", "default_root", "library_root"]
