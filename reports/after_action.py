"""The after-action report of a drill: JSON (for golden tests and tools), Markdown and a
self-contained HTML page with the key signal plotted over the trainee's moves."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drills.judge.lines import Line
from drills.judge.scoring import Score
from drills.library.scenario import AnswerKey, LoadedScenario, Signal
from drills.play.drill import MoveRecord
from reports.alerts import timeline_lines
from reports.figures import pyplot


@dataclass(frozen=True)
class MoveView:
    """One move as the report lists it."""

    minute: float
    kind: str
    what: str

    @classmethod
    def of(cls, move: MoveRecord) -> MoveView:
        return cls(round(move.clock_min, 1), move.kind, move.text)


def moves_of(moves: Sequence[MoveRecord]) -> list[MoveView]:
    return [MoveView.of(m) for m in moves]


@dataclass(frozen=True)
class ReportInput:
    """What an after-action report is made from: the scenario and its key, the trainee's
    score and moves, the expert's moves, the plotted curves and the debrief
    (drills.judge.debrief.report_parts)."""

    scenario: LoadedScenario
    key: AnswerKey
    result: Score
    moves: Sequence[MoveView]
    expert_moves: Sequence[MoveView]
    curves: dict[str, Any]
    debrief: dict[str, Any] | None = None
    trainee: str = "trainee"


def _signal(s: Signal) -> dict[str, Any]:
    return {
        "id": s.id,
        "table": s.table,
        "column": s.column,
        "group_by": s.group_by,
        "description": s.description,
    }


def line_data(line: Line) -> dict[str, Any]:
    """One score line as plain data (the drill's report and the team report)."""
    return {
        "component": line.component,
        "points": round(line.points, 1),
        "max_points": line.max_points,
        "why": line.why,
        "evidence": list(line.evidence),
        "missed": list(line.missed),
    }


def report_data(view: ReportInput) -> dict[str, Any]:
    """Everything the report shows, as plain data (stable for golden tests); `debrief` is
    drills.judge.debrief.as_data's: the counterfactuals, each action's cost, what to practise."""
    scenario, key, result = view.scenario, view.key, view.result
    return {
        "scenario": {
            "id": scenario.spec.id,
            "title": scenario.spec.title,
            "source": scenario.spec.source,
        },
        "trainee": view.trainee,
        "score": result.score,
        "summary": {k: v for k, v in result.as_dict().items() if k not in ("breakdown",)},
        "breakdown": [line_data(line) for line in result.breakdown],
        "moves": [asdict(m) for m in view.moves],
        "expert_moves": [asdict(m) for m in view.expert_moves],
        "answer_key": {
            "cause": key.cause,
            "signals": [_signal(s) for s in key.signals],
            "mitigations": [m.id for m in key.all_mitigations()],
            **(
                {"also": [a.cause for a in key.also], "mitigate_first": key.mitigate_first}
                if key.also
                else {}
            ),
            "harmful": [m.id for m in key.harmful],
            "prevention": [p.description or p.id for p in key.prevention],
        },
        "hidden_answer": key.hidden_answer,
        "curves": view.curves,
        "debrief": view.debrief or {"decisions": [], "move_costs": [], "practise": []},
    }


def plot(data: dict[str, Any]) -> bytes:
    plt = pyplot()
    curves = data["curves"]
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    styles = {"no action": ":", "expert": "--", "trainee": "-"}
    for name in [n for n in curves if n not in ("label", "minutes")]:
        ax.plot(
            np.array(curves["minutes"]),
            np.array(curves[name], dtype=float),
            styles.get(name, "-."),  # a counterfactual
            label=name,
        )
    for move in data["moves"]:
        color = {"act": "tab:red", "conclude": "black"}.get(move["kind"], "tab:gray")
        ax.axvline(move["minute"], color=color, alpha=0.5, linewidth=1)
    ax.set_xlabel("minutes since the page")
    ax.set_ylabel(curves.get("label", "key signal"))
    ax.set_title(f"{data['scenario']['title']} — key signal and moves (red: actions)")
    ax.legend(loc="best")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def decision_rows(debrief: dict[str, Any]) -> list[list[str]]:
    """The counterfactual table: each decision point, yours against the expert's move."""
    return [
        [
            f"{d['minute']:g}",
            d["your_move"][:80],
            "; ".join(d["instead"])[:80],
            f"{d['yours']['slo_burn_pct']:g}% → {d['then']['slo_burn_pct']:g}%",
            f"${d['yours']['cost_burn_usd']:.2f} → ${d['then']['cost_burn_usd']:.2f}",
            f"{d['yours']['incident_left_pct']:g}% → {d['then']['incident_left_pct']:g}%",
        ]
        for d in debrief["decisions"]
    ]


DECISION_HEADER = [
    "minute",
    "your move",
    "had you done what the expert had done by then",
    "SLO burn",
    "excess spend",
    "incident left",
]
NO_DELAY = "No move came after the expert had acted and before you had: no delay to cost."
COST_HEADER = ["minute", "action", "SLO burn added", "spend added", "incident left added"]


def cost_rows(debrief: dict[str, Any]) -> list[list[str]]:
    return [
        [
            f"{c['minute']:g}",
            c["move"][:80],
            f"{c['slo_burn_added_pp']:+g} pp",
            f"{'+' if c['usd_added'] >= 0 else '−'}${abs(c['usd_added']):.2f}",
            f"{c['incident_left_added_pct']:+g} pp",
        ]
        for c in debrief["move_costs"]
    ]


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: object) -> str:
    """Text as Markdown shows it, never as Markdown or HTML it might hold (trainee words,
    move text, SQL): every special character escaped, tags and line breaks neutralised."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat).replace("<", "&lt;").replace(">", "&gt;")


def md_block(text: object) -> list[str]:
    """Several lines of someone's words as a quotation, each escaped as `md` escapes (a line
    that would open a heading, a comment or a table shows as text), paragraphs and lists
    kept."""
    lines = (_HEADING.sub(r"\\\1", md(line)) for line in str(text).splitlines())
    return [f"> {line}".rstrip() for line in lines]


# a line that opens a heading (#) or underlines the line above into one (=== or ---)
_HEADING = re.compile(r"^(#|(?=[=-]+\s*$)[=-])")


def code(text: object) -> str:
    """A code span that no backtick inside the text can close early."""
    flat = " ".join(str(text).split())
    fence = "`" * (max((len(r) for r in re.findall(r"`+", flat)), default=0) + 1)
    return f"{fence} {flat} {fence}" if "`" in flat else f"`{flat}`"


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    cells = [[md(c) for c in row] for row in rows]
    return [
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
        *("| " + " | ".join(row) + " |" for row in cells),
    ]


def debrief_markdown(debrief: dict[str, Any]) -> list[str]:
    lines = ["", "## What each decision cost", ""]
    if debrief["decisions"]:
        lines += _markdown_table(DECISION_HEADER, decision_rows(debrief))
    else:
        lines.append(NO_DELAY)
    if debrief["move_costs"]:
        lines += ["", "### Each action's own effect (your run against the run without it)", ""]
        lines += _markdown_table(COST_HEADER, cost_rows(debrief))
    lines += ["", "## What to practise", ""]
    lines += [f"- {md(p)}" for p in debrief["practise"]] or ["- nothing missed: keep it up"]
    return lines


CAUSES_TITLE = "How your cause was read"
ROLES = {
    "primary": "the cause you gave",
    "co-cause": "a second cause you gave",
    "mechanism": "what it led to",
    "rival": "an alternative you offered",
    "ruled out": "ruled out or only supposed",
}


def cause_rows(causes: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(cause, how it was read, your words for it) for each cause the words fitted."""
    return [
        (str(c["cause"]), ROLES.get(str(c["role"]), str(c["role"])), ", ".join(c["words"]))
        for c in causes
    ]


def _md_list(title: str, items: list[str]) -> list[str]:
    """A titled section of a Markdown report, each item already escaped; none if empty."""
    return ["", f"## {title}", "", *(f"- {item}" for item in items)] if items else []


def _html_list(title: str, items: list[str]) -> str:
    """The same section in HTML, each item already escaped."""
    return f"<h2>{title}</h2><ul>{''.join(f'<li>{i}</li>' for i in items)}</ul>" if items else ""


def causes_markdown(causes: list[dict[str, Any]]) -> list[str]:
    rows = cause_rows(causes)
    return _md_list(CAUSES_TITLE, [f"{code(c)} — {md(r)}: “{md(w)}”" for c, r, w in rows])


def causes_html(causes: list[dict[str, Any]]) -> str:
    esc = html.escape
    rows = cause_rows(causes)
    return _html_list(
        CAUSES_TITLE, [f"<code>{esc(c)}</code> — {esc(r)}: “{esc(w)}”" for c, r, w in rows]
    )


REFERRALS_TITLE = "For the examiner: where a second reader disagrees with the score"


def _referral_words(r: dict[str, Any]) -> str:
    words = str(r["words"]).replace("\n", " ")
    return words if len(words) <= 200 else words[:199] + "…"


def referrals_markdown(referrals: list[dict[str, Any]]) -> list[str]:
    """The verdicts the rules and the second reader read differently (drills/judge/
    referrals.py): the score stands as the rules gave it until an examiner decides."""
    items = [
        f"{md(r['component'])} {code(r['subject'])}: {md(r['why'])}"
        + (f" — “{md(_referral_words(r))}”" if r["words"] else "")
        for r in referrals
    ]
    return _md_list(REFERRALS_TITLE, items)


def referrals_html(referrals: list[dict[str, Any]]) -> str:
    esc = html.escape
    items = [
        f"{esc(str(r['component']))} <code>{esc(str(r['subject']))}</code>: {esc(str(r['why']))}"
        + (f" — “{esc(_referral_words(r))}”" if r["words"] else "")
        for r in referrals
    ]
    return _html_list(REFERRALS_TITLE, items)


ALERTS_TITLE = "Your alert rules: would they have paged?"


def alerts_markdown(alerts: list[dict[str, Any]]) -> list[str]:
    if not alerts:
        return []
    lines = ["", f"## {ALERTS_TITLE}", ""]
    for entry in alerts:
        lines += [
            f"- **{md(entry['alert'])}** ({md(entry['grade'])}): {md(entry['why'])}",
            f"  {code(entry['expr'])} for {md(entry['for'])}",
            "",
            "```text",
            *timeline_lines(entry),
            "```",
            "",
        ]
    return lines[:-1]


def alerts_html(alerts: list[dict[str, Any]]) -> str:
    esc = html.escape
    return "".join(
        f"<h3>{esc(e['alert'])} ({esc(e['grade'])})</h3><p>{esc(e['why'])}</p>"
        f"<p><code>{esc(e['expr'])}</code> for {esc(e['for'])}</p>"
        f"<pre>{esc(chr(10).join(timeline_lines(e)))}</pre>"
        for e in alerts
    )


def to_markdown(data: dict[str, Any]) -> str:
    lines = [
        f"# After-action report: {data['scenario']['title']}",
        "",
        f"Score: **{data['score']} / 100**",
        "",
        "| component | points | why |",
        "| --- | --- | --- |",
    ]
    for b in data["breakdown"]:
        lines.append(f"| {b['component']} | {b['points']} / {b['max_points']:g} | {md(b['why'])} |")
    for p in data["summary"]["penalties"]:
        lines.append(f"| penalty | -{p['points']:g} | {md(p['why'])} |")
    lines += ["", "## Why: what earned each component, and what was missed", ""]
    for b in data["breakdown"]:
        details = [f"  - earned: {md(e)}" for e in b.get("evidence", [])]
        details += [f"  - missed: {md(m)}" for m in b.get("missed", [])]
        if details:
            lines += [f"- **{b['component']}**", *details]
    lines += causes_markdown(data["summary"].get("causes", []))
    lines += referrals_markdown(data.get("referrals", []))
    lines += alerts_markdown(data["summary"].get("alerts", []))
    lines += debrief_markdown(data["debrief"])
    lines += ["", "## Moves", ""]
    lines += [
        f"- minute {m['minute']:g} — {m['kind']}: {code(m['what'][:120])}" for m in data["moves"]
    ]
    lines += ["", "## The expert's path", ""]
    lines += [
        f"- minute {m['minute']:g} — {m['kind']}: {code(m['what'][:120])}"
        for m in data["expert_moves"]
    ]
    key = data["answer_key"]
    lines += ["", "## What the answer key expected", "", f"- cause: `{key['cause']}`"]
    lines += [f"- and a second fault: `{cause}`" for cause in key.get("also", [])]
    if key.get("mitigate_first"):
        lines += [f"- fix first: `{key['mitigate_first']}`"]
    lines += [
        f"- signal `{s['id']}`: {s['table']}.{s['column']} by {', '.join(s['group_by'])}"
        f" — {s['description']}"
        for s in key["signals"]
    ]
    lines += [f"- prevention: {p}" for p in key["prevention"]]
    lines += ["", "## The course's answer", "", data["hidden_answer"], ""]
    return "\n".join(lines)


def _score_rows(data: dict[str, Any]) -> str:
    esc = html.escape
    return "".join(
        f"<tr><td>{esc(b['component'])}</td><td>{b['points']} / {b['max_points']:g}</td>"
        f"<td>{esc(b['why'])}</td></tr>"
        for b in data["breakdown"]
    ) + "".join(
        f"<tr class='penalty'><td>penalty</td><td>-{p['points']:g}</td><td>{esc(p['why'])}</td>"
        "</tr>"
        for p in data["summary"]["penalties"]
    )


def _earned_and_missed(data: dict[str, Any]) -> str:
    esc = html.escape
    return "".join(
        f"<li><b>{esc(b['component'])}</b><ul>"
        + "".join(f"<li>earned: {esc(e)}</li>" for e in b.get("evidence", []))
        + "".join(f"<li class='missed'>missed: {esc(m)}</li>" for m in b.get("missed", []))
        + "</ul></li>"
        for b in data["breakdown"]
        if b.get("evidence") or b.get("missed")
    )


def _moves_html(items: list[dict[str, Any]]) -> str:
    esc = html.escape
    return "".join(
        f"<li><b>{m['minute']:g} min</b> {esc(m['kind'])}: <code>{esc(m['what'][:160])}</code></li>"
        for m in items
    )


def _table_html(header: list[str], body: list[list[str]]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    cells = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in body)
    return f"<table><tr>{head}</tr>{cells}</table>"


def _decisions_html(debrief: dict[str, Any]) -> str:
    decisions = (
        _table_html(DECISION_HEADER, decision_rows(debrief))
        if debrief["decisions"]
        else f"<p>{NO_DELAY}</p>"
    )
    if debrief["move_costs"]:
        decisions += "<h3>Each action's own effect (your run against the run without it)</h3>"
        decisions += _table_html(COST_HEADER, cost_rows(debrief))
    return decisions


def _key_signals_html(key: dict[str, Any]) -> str:
    esc = html.escape
    return "".join(
        f"<li><code>{esc(s['table'])}.{esc(s['column'])}</code> by "
        f"{esc(', '.join(s['group_by']))} — {esc(s['description'])}</li>"
        for s in key["signals"]
    )


def to_html(data: dict[str, Any]) -> str:
    image = base64.b64encode(plot(data)).decode()
    esc = html.escape
    rows, why = _score_rows(data), _earned_and_missed(data)
    debrief = data["debrief"]
    decisions = _decisions_html(debrief)
    practise = "".join(f"<li>{esc(p)}</li>" for p in debrief["practise"])
    practise = practise or "<li>nothing missed</li>"
    key = data["answer_key"]
    signals = _key_signals_html(key)
    prevention = "".join(f"<li>{esc(p)}</li>" for p in key["prevention"])
    alerts = data["summary"].get("alerts", [])
    alerts = f"<h2>{ALERTS_TITLE}</h2>{alerts_html(alerts)}" if alerts else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>After-action report: {esc(data["scenario"]["title"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 960px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }}
.score {{ font-size: 2.4em; font-weight: bold; }}
.penalty td, .missed {{ color: #a00; }}
td:nth-child(2) {{ white-space: nowrap; }}
.columns {{ display: flex; gap: 2em; }} .columns > div {{ flex: 1; }}
</style></head><body>
<h1>{esc(data["scenario"]["title"])}</h1>
<p>Scenario <code>{esc(data["scenario"]["id"])}</code> · {esc(data["scenario"]["source"])}</p>
<p class="score">{data["score"]} / 100</p>
<img alt="key signal over the drill" src="data:image/png;base64,{image}" width="900">
<h2>Score breakdown</h2>
<table><tr><th>component</th><th>points</th><th>why</th></tr>{rows}</table>
<h2>What earned each component, and what was missed</h2><ul>{why}</ul>
{causes_html(data["summary"].get("causes", []))}
{referrals_html(data.get("referrals", []))}
{alerts}
<h2>What each decision cost</h2>{decisions}
<h2>What to practise</h2><ul>{practise}</ul>
<div class="columns">
<div><h2>Your moves</h2><ol>{_moves_html(data["moves"])}</ol></div>
<div><h2>The expert's path</h2><ol>{_moves_html(data["expert_moves"])}</ol></div>
</div>
<h2>What the answer key expected</h2>
<p>Cause: <code>{esc(" + ".join([key["cause"], *key.get("also", [])]))}</code></p>
<ul>{signals}</ul>
<h3>Prevention</h3><ul>{prevention}</ul>
<h2>The course's answer</h2><p>{esc(data["hidden_answer"])}</p>
</body></html>
"""


def write(data: dict[str, Any], out: Path, formats: tuple[str, ...]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if "json" in formats:
        path = out / "report.json"
        path.write_text(json.dumps(data, indent=2, default=float) + "\n")
        written.append(path)
    if "md" in formats:
        path = out / "report.md"
        path.write_text(to_markdown(data))
        written.append(path)
    if "html" in formats:
        path = out / "report.html"
        path.write_text(to_html(data))
        written.append(path)
    return written
