"""The written exam in the console: the facilitator gives an exam item to a group, each
candidate answers by their own link (the question only, never the rubric), and the
facilitator marks each answer beside the rubric, with an override per item that is kept
with who made it and why. Marking goes into the trainee's history."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from drills.console.store import Sitting
from drills.console.web import BadInput, Console, guarded_by, names_of, now, page
from drills.course.exam import (
    Attempt,
    ExamItem,
    Marking,
    exam_paths,
    load_attempt,
    load_exam,
    mark,
    now_iso,
    resolve_exam,
    save_attempt,
    with_override,
)
from drills.judge.history import record_exam
from reports.exam import exam_data
from simulator.errors import InputError

MAX_ANSWER = 20_000  # characters


def items() -> dict[str, Any]:
    return {p.stem: load_exam(p) for p in exam_paths()}


async def create_sitting(c: Console, request: Request) -> Response:
    form = await request.form()
    try:
        item = str(form.get("item", ""))
        if item not in items():
            raise BadInput(f"exam item: one of {sorted(items())}")
        names = names_of(form)
    except BadInput as exc:
        return page("error.html", status=400, message=str(exc), error=str(exc))
    sitting = Sitting(uuid.uuid4().hex[:10], item, now())
    c.store.add_sitting(sitting, names)
    ft = request.path_params["ft"]
    return RedirectResponse(f"/f/{ft}/exam/{sitting.id}", status_code=303)


async def _marked(c: Console, exam: ExamItem, attempt: Attempt, token: str) -> Marking:
    """An attempt's marking, computed once per attempt as it stands (an override makes a
    new one), off the event loop, any SQL it holds run in the console's sandboxes under
    the examinee's name: loading a sitting's page marks nothing twice."""
    key = hashlib.sha256(f"{exam.id}|{attempt.model_dump_json()}".encode()).hexdigest()
    found: Marking | None = c.markings.get(key)
    if found is None:
        runs = c.drills.runs.owned_by(f"exam:{token}")
        found = await run_in_threadpool(mark, exam, attempt, runs)
        c.markings[key] = found
    return found


def _attempt(c: Console, token: str) -> Attempt | None:
    path = c.store.attempt_path(token)
    return load_attempt(path) if path.is_file() else None


async def sitting_page(c: Console, request: Request) -> Response:
    sitting = c.store.sitting(request.path_params["sid"])
    if sitting is None:
        return page("error.html", status=404, message="no such exam")
    exam = load_exam(resolve_exam(sitting.item))
    rows = []
    for who in c.store.examinees(sitting.id):
        attempt = _attempt(c, who.token)
        marking = await _marked(c, exam, attempt, who.token) if attempt else None
        rows.append({"who": who, "marking": marking})
    ft = request.path_params["ft"]
    base = str(request.base_url).rstrip("/")
    return page("sitting.html", ft=ft, sitting=sitting, exam=exam, rows=rows, base=base)


async def marking_page(c: Console, request: Request, error: str = "") -> Response:
    sitting = c.store.sitting(request.path_params["sid"])
    who = c.store.examinee(request.path_params["et"])
    if sitting is None or who is None or who.sitting != sitting.id:
        return page("error.html", status=404, message="no such answer")
    attempt = _attempt(c, who.token)
    if attempt is None:
        return page("error.html", status=404, message="no answer yet")
    exam = load_exam(resolve_exam(sitting.item))
    marking = await _marked(c, exam, attempt, who.token)
    record_exam(attempt, marking, c.store.root)
    ft = request.path_params["ft"]
    data = exam_data(exam, attempt, marking)
    return page(
        "marking.html",
        status=400 if error else 200,
        ft=ft,
        csrf=c.csrf(ft),
        sitting=sitting,
        who=who,
        data=data,
        error=error,
    )


async def override(c: Console, request: Request) -> Response:
    sitting = c.store.sitting(request.path_params["sid"])
    who = c.store.examinee(request.path_params["et"])
    attempt = _attempt(c, who.token) if who else None
    if sitting is None or who is None or attempt is None or who.sitting != sitting.id:
        return page("error.html", status=404, message="no such answer")
    exam = load_exam(resolve_exam(sitting.item))
    form = await request.form()
    try:
        met = {"met": True, "missed": False}.get(str(form.get("mark", "")))
        if met is None:
            raise BadInput("mark: met or missed")
        by, reason = str(form.get("by", "")).strip(), str(form.get("reason", "")).strip()
        if not 1 <= len(by) <= 100 or not 1 <= len(reason) <= 1000:
            raise BadInput("override: who you are (up to 100 characters) and why (up to 1000)")
        try:
            changed = with_override(attempt, exam, str(form.get("item", "")), met, by, reason)
        except InputError as exc:
            raise BadInput(exc.expected) from None
    except BadInput as exc:
        return await marking_page(c, request, error=str(exc))
    save_attempt(changed, c.store.attempt_path(who.token))
    return RedirectResponse(str(request.url).rsplit("/", 1)[0], status_code=303)


# --- the candidate ---------------------------------------------------------------------


async def answer_page(c: Console, request: Request, error: str = "") -> Response:
    who = c.store.examinee(request.path_params["et"])
    assert who is not None  # guarded
    sitting = c.store.sitting(who.sitting)
    assert sitting is not None
    exam = load_exam(resolve_exam(sitting.item))
    et = request.path_params["et"]
    return page(
        "answer.html",
        status=400 if error else 200,
        et=et,
        csrf=c.csrf(et),
        exam=exam,
        who=who,
        submitted=_attempt(c, et),
        error=error,
    )


async def submit_answer(c: Console, request: Request) -> Response:
    who = c.store.examinee(request.path_params["et"])
    assert who is not None  # guarded
    if _attempt(c, who.token) is not None:
        return await answer_page(c, request, error="your answer is already in")
    sitting = c.store.sitting(who.sitting)
    assert sitting is not None
    form = await request.form()
    answer = str(form.get("answer", ""))
    if not answer.strip() or len(answer) > MAX_ANSWER:
        return await answer_page(c, request, error=f"answer: 1 to {MAX_ANSWER} characters")
    exam = load_exam(resolve_exam(sitting.item))
    artifact = str(form.get("artifact", "")).strip() or None
    decision = str(form.get("decision", "")) or None
    if exam.exercise is not None and (artifact is None or len(artifact) > MAX_ANSWER):
        return await answer_page(c, request, error=f"the file: 1 to {MAX_ANSWER} characters")
    if decision not in (None, "merge", "pause", "block"):
        return await answer_page(c, request, error="decision: merge, pause or block")
    attempt = Attempt(
        exam=sitting.item,
        candidate=who.name,
        answer=answer,
        artifact=artifact,
        decision=decision,
        submitted_at=now_iso(),
    )
    save_attempt(attempt, c.store.attempt_path(who.token))
    return RedirectResponse(f"/e/{who.token}", status_code=303)


def routes(c: Console) -> list[Any]:
    from starlette.routing import Route

    f, e = "facilitator", "examinee"
    return [
        Route("/f/{ft}/exams", guarded_by(c, create_sitting, f), methods=["POST"]),
        Route("/f/{ft}/exam/{sid}", guarded_by(c, sitting_page, f), methods=["GET"]),
        Route("/f/{ft}/exam/{sid}/{et}", guarded_by(c, marking_page, f), methods=["GET"]),
        Route("/f/{ft}/exam/{sid}/{et}/override", guarded_by(c, override, f), methods=["POST"]),
        Route("/e/{et}", guarded_by(c, answer_page, e), methods=["GET"]),
        Route("/e/{et}/answer", guarded_by(c, submit_answer, e), methods=["POST"]),
    ]
