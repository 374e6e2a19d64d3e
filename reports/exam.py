"""The written exam's marking report: JSON (golden tests, tools), Markdown and HTML, each
rubric item met or missed, the statement that earned it, and every override with who made
it and why."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from reports.after_action import md, md_block


def exam_data(exam: Any, attempt: Any, marking: Any) -> dict[str, Any]:
    """Everything the report shows, as plain data."""
    return {
        "exam": {"id": exam.id, "title": exam.title, "source": exam.source},
        "candidate": attempt.candidate,
        "submitted_at": attempt.submitted_at,
        "question": exam.question.strip(),
        "answer": attempt.answer.strip(),
        "score": marking.score,
        "passed": marking.passed,
        "padding_factor": round(marking.factor, 3),
        # other questions answered as fully: a checklist for any question (drills/course/exam.py)
        "answers_elsewhere": list(marking.elsewhere),
        "items": [
            {
                "id": i.id,
                "description": i.description,
                "points": i.points,
                "met": i.met,
                "by_matcher": i.met_by_matcher,
                "statement": i.statement,
                "override": i.override.model_dump() if i.override else None,
            }
            for i in marking.items
        ],
        "refused": {"negated": marking.negated, "bare_lists": marking.soup},
        # signed by this examiner's key for this answer, in order (drills/course/exam.py)
        "overrides": [o.model_dump() for o in marking.signed],
        "unsigned_overrides": [o.model_dump() for o in marking.unsigned],
        "hidden_answer": exam.hidden_answer,
    }


_UNSIGNED = (
    "In the attempt file but not signed by this examiner's key for this answer (written by "
    "hand, or carried over from another answer): the matcher's mark stands."
)


def _override(o: dict[str, Any]) -> str:
    return f"{o['at']} {o['by']}: {o['item']} {'met' if o['met'] else 'missed'} — {o['reason']}"


def _mark(item: dict[str, Any]) -> str:
    mark = "met" if item["met"] else "missed"
    override = item["override"]
    if override is not None:
        machine = "met" if item["by_matcher"] else "missed"
        mark += f" (override by {override['by']}; the matcher said {machine})"
    return mark


def to_markdown(data: dict[str, Any]) -> str:
    passed = "pass" if data["passed"] else "below the pass mark"
    lines = [
        f"# Written exam: {data['exam']['title']}",
        "",
        f"Candidate: {data['candidate']} · {data['exam']['source']}",
        "",
        f"Score: **{data['score']} / 100** ({passed})",
        "",
        "## The question",
        "",
        data["question"],
        "",
        "## Rubric",
        "",
        "| item | points | mark | the statement that made it |",
        "| --- | --- | --- | --- |",
    ]
    for item in data["items"]:
        lines.append(
            f"| {item['description']} | {item['points']:g} | {md(_mark(item))} "
            f"| {md(item['statement'])} |"
        )
    if data["padding_factor"] < 1:
        lines += ["", f"Padding: the answer's length dilutes it (×{data['padding_factor']:g})."]
    refused = data["refused"]
    for label, key in (("negated, not counted", "negated"), ("a bare list", "bare_lists")):
        lines += [f"- {label}: “{md(s)}”" for s in refused[key]]
    if data["overrides"]:
        lines += ["", "## Overrides", ""]
        lines += [f"- {md(_override(o))}" for o in data["overrides"]]
    if data["unsigned_overrides"]:
        lines += ["", "## Overrides not applied", "", _UNSIGNED, ""]
        lines += [f"- {md(_override(o))}" for o in data["unsigned_overrides"]]
    lines += ["", "## The answer", "", *md_block(data["answer"]), "", "## The course's answer", ""]
    lines += [data["hidden_answer"], ""]
    return "\n".join(lines)


def to_html(data: dict[str, Any]) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr class='{'met' if i['met'] else 'missed'}'><td>{esc(i['description'])}</td>"
        f"<td>{i['points']:g}</td><td>{esc(_mark(i))}</td><td>{esc(i['statement'])}</td></tr>"
        for i in data["items"]
    )
    overrides = "".join(f"<li>{esc(_override(o))}</li>" for o in data["overrides"])
    unsigned = "".join(f"<li>{esc(_override(o))}</li>" for o in data["unsigned_overrides"])
    if unsigned:
        unsigned = f"<h2>Overrides not applied</h2><p>{esc(_UNSIGNED)}</p><ul>{unsigned}</ul>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Written exam: {esc(data["exam"]["title"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 960px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }}
.missed td:nth-child(3) {{ color: #a00; }} .score {{ font-size: 2.4em; font-weight: bold; }}
</style></head><body>
<h1>{esc(data["exam"]["title"])}</h1>
<p>Candidate {esc(data["candidate"])} · {esc(data["exam"]["source"])}</p>
<p class="score">{data["score"]} / 100</p>
<h2>The question</h2><p>{esc(data["question"])}</p>
<h2>Rubric</h2>
<table><tr><th>item</th><th>points</th><th>mark</th><th>the statement that made it</th></tr>
{rows}</table>
<h2>Overrides</h2><ul>{overrides or "<li>none</li>"}</ul>
{unsigned}
<h2>The answer</h2><p>{esc(data["answer"])}</p>
<h2>The course's answer</h2><p>{esc(data["hidden_answer"])}</p>
</body></html>
"""


def write(data: dict[str, Any], out: Path, formats: tuple[str, ...]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    render = {
        "json": lambda d: json.dumps(d, indent=2) + "\n",
        "md": to_markdown,
        "html": to_html,
    }
    written = []
    for fmt in formats:
        path = out / f"exam.{fmt}"
        path.write_text(render[fmt](data))
        written.append(path)
    return written
