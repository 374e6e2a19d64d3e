"""The team's after-action report: the score with what earned each part and who, the
channel as a timeline beside the fleet's key signal, the decision log replayed against
what each action did, and the debrief of the team's combined drill. JSON (for tools and
tests), Markdown, and a self-contained HTML page; and the facilitator's board of several
teams side by side."""

from __future__ import annotations

import base64
import bisect
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from drills.library.family import drawn_member
from reports.after_action import (
    COST_HEADER,
    DECISION_HEADER,
    NO_DELAY,
    cost_rows,
    decision_rows,
    line_data,
)
from reports.figures import pyplot

ROLE_TITLES = {"commander": "incident commander", "investigator": "investigator", "comms": "comms"}


def describe_post(post: Any) -> str:
    """A post in one line, as the channel and the report show it."""
    kind = post.kind
    if kind == "severity":
        return f"declared {post.level}" + (f": {post.text}" if post.text else "")
    if kind == "assign":
        owns = f" (owns alert {post.alert})" if post.alert else ""
        return f"workstream “{post.workstream}” → {post.owner}{owns}"
    if kind == "decision":
        return f"decision: {post.text}" + (f" — because {post.reason}" if post.reason else "")
    if kind == "handover":
        return f"handover{f' to {post.to}' if post.to else ''}: {post.text}"
    if kind == "update":
        return f"stakeholder update [{post.status}]: {post.text}"
    if kind in ("question", "alert"):
        return f"{kind} from {post.source or 'the facilitator'}: {post.text}"
    if kind == "finding":
        return f"shared move {post.move}" + (f": {post.text}" if post.text else "")
    return str(post.text)


def _value_at(curves: dict[str, Any], minute: float) -> float | None:
    minutes = curves.get("minutes") or []
    series = curves.get("trainee") or []
    at = bisect.bisect_right(minutes, minute + 1e-9) - 1
    if at < 0 or at >= len(series):
        return None
    value = series[at]
    return None if value is None else float(value)


def _timeline(team: Any, curves: dict[str, Any]) -> list[dict[str, Any]]:
    """Moves and posts in one list, by minute, then in the order they were played."""
    rows = []
    for move in team.drill.moves:
        rows.append(
            {
                "minute": round(move.clock_min, 1),
                "order": move.index,
                "by": team.movers[move.index],
                "channel": "",
                "kind": move.kind,
                "fleet": move.text[:200],
            }
        )
    for p in team.channel:
        rows.append(
            {
                "minute": round(p.clock_min, 1),
                "order": p.after_moves - 0.5,
                "by": p.by,
                "channel": describe_post(p.post),
                "kind": p.post.kind,
                "fleet": "",
            }
        )
    rows.sort(key=lambda r: (r["minute"], r["order"]))
    for row in rows:
        value = _value_at(curves, row["minute"])
        row["signal"] = None if value is None else round(value, 4)
        del row["order"]
    return rows


def _decision_log(team: Any, debrief: dict[str, Any]) -> list[dict[str, Any]]:
    """Each logged decision with the actions taken under it and what each did on its own
    (the debrief's run without it) where the debrief costed it."""
    costs = {(c["minute"], c["move"]): c for c in debrief.get("move_costs", [])}
    acts = [m for m in team.drill.moves if m.kind == "act"]
    log = []
    decisions = [p for p in team.channel if p.post.kind == "decision"]
    for i, p in enumerate(decisions):
        until = decisions[i + 1].after_moves if i + 1 < len(decisions) else len(team.drill.moves)
        under = [m for m in acts if p.after_moves - 1 <= m.index < until]
        log.append(
            {
                "minute": round(p.clock_min, 1),
                "by": p.by,
                "decision": p.post.text,
                "reason": p.post.reason,
                "actions": [
                    {
                        "move": m.index + 1,
                        "by": team.movers[m.index],
                        "what": m.text,
                        "cost": costs.get((round(m.clock_min, 1), m.text)),
                    }
                    for m in under
                ],
            }
        )
    return log


def team_report_data(
    team: Any, score: Any, assessed: Any, curves: dict[str, Any], debrief: dict[str, Any]
) -> dict[str, Any]:
    """Everything the report shows, as plain data (stable for tests and tools)."""
    scenario, key, spec = team.scenario, assessed.key, team.spec
    movers = {m.index: team.movers[m.index] for m in team.drill.moves}
    decisions = [
        {
            **d,
            "by": next(
                (
                    movers[m.index]
                    for m in team.drill.moves
                    if m.text == d["your_move"] and round(m.clock_min, 1) == d["minute"]
                ),
                "",
            ),
        }
        for d in debrief.get("decisions", [])
    ]
    return {
        "team": {
            "name": spec.team,
            "members": [{"name": m.name, "roles": list(m.roles)} for m in spec.members],
            "time_box_min": team.time_box_min,
            "ended": team.ended,
        },
        "scenario": {
            "id": scenario.spec.id,
            "title": scenario.spec.title,
            "source": scenario.spec.source,
            "page": scenario.spec.briefing.page,
            # a symptom family's team: the member it drew, scored against its own key
            "member": drawn_member(scenario.directory),
        },
        "plan": {
            "severity": team.plan.severity,
            "severity_why": team.plan.severity_why,
            "first_update_min": team.plan.comms.first_update_min,
            "cadence_min": team.plan.comms.cadence_min,
        },
        "score": score.score,
        "passed": score.passed,
        "verdict": score.verdict,
        "drill_score": score.drill_score,
        "first_update_min": score.first_update_min,
        "time_to_mitigate_min": score.time_to_mitigate_min,
        "components": [_component(c) for c in score.components],
        "penalties": score.penalties,
        "credit": score.credit,
        "timeline": _timeline(team, curves),
        "decision_log": _decision_log(team, debrief),
        "curves": curves,
        "debrief": {**debrief, "decisions": decisions},
        "expert_moves": [
            {"minute": round(m.clock_min, 1), "kind": m.kind, "what": m.text}
            for m in assessed.refs.expert.moves
        ],
        "answer_key": {
            "cause": key.cause,
            "also": [a.cause for a in key.also],
            "mitigations": [m.description or m.id for m in key.all_mitigations()],
            "prevention": [p.description or p.id for p in key.prevention],
        },
        "hidden_answer": key.hidden_answer,
    }


def _component(c: Any) -> dict[str, Any]:
    """A score line as the drill's report writes it, with who earned it and its parts."""
    return {
        **line_data(c),
        "by": list(c.by),
        "parts": [
            {"name": p.name, "points": round(p.points, 2), "max_points": p.max_points, "why": p.why}
            for p in c.parts
        ],
    }


# --- rendering -------------------------------------------------------------------------


MARKS = {"act": ("tab:red", "-"), "update": ("tab:blue", "--"), "question": ("tab:orange", ":")}


def plot(data: dict[str, Any]) -> bytes:
    """The key signal in the team's run against the expert's and no action, with the
    team's actions (red), stakeholder updates (blue) and injects (orange) marked."""
    plt = pyplot()
    curves = data["curves"]
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    styles = {"no action": ":", "expert": "--", "trainee": "-"}
    for name in [n for n in curves if n not in ("label", "minutes")]:
        label = "the team" if name == "trainee" else name
        values = np.array(curves[name], dtype=float)
        ax.plot(np.array(curves["minutes"]), values, styles.get(name, "-."), label=label)
    for row in data["timeline"]:
        kind = "question" if row["kind"] == "alert" else row["kind"]
        if kind in MARKS:
            color, style = MARKS[kind]
            ax.axvline(row["minute"], color=color, linestyle=style, alpha=0.6, linewidth=1)
    ax.set_xlabel("minutes since the page")
    ax.set_ylabel(curves.get("label", "key signal"))
    ax.set_title("key signal; red: actions, blue: updates, orange: injects")
    ax.legend(loc="best")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _signal(value: Any) -> str:
    return "" if value is None else f"{value:g}"


def to_markdown(data: dict[str, Any]) -> str:
    team, verdict = data["team"], data["verdict"]
    lines = [
        f"# Team after-action report: {team['name']} — {data['scenario']['title']}",
        "",
        *_drew(data),
        f"Score: **{data['score']} / 100** — {verdict}",
        "",
        "| member | roles | earned |",
        "| --- | --- | --- |",
    ]
    for m in team["members"]:
        earned = "; ".join(data["credit"].get(m["name"], [])) or "-"
        roles = ", ".join(ROLE_TITLES[r] for r in m["roles"])
        lines.append(f"| {m['name']} | {roles} | {earned} |")
    lines += ["", "| component | points | who | why |", "| --- | --- | --- | --- |"]
    for c in data["components"]:
        who = ", ".join(c["by"]) or "-"
        lines.append(
            f"| {c['component']} | {c['points']} / {c['max_points']:g} | {who} | {c['why']} |"
        )
    for p in data["penalties"]:
        lines.append(f"| penalty | -{p['points']:g} | {p.get('by') or '-'} | {p['why']} |")
    lines += ["", "## What earned each component, and what was missed", ""]
    for c in data["components"]:
        details = [f"  - earned: {e}" for e in c["evidence"]]
        details += [f"  - missed: {m}" for m in c["missed"]]
        if details:
            lines += [f"- **{c['component']}**", *details]
    lines += ["", "## The channel beside the fleet", ""]
    lines += [f"| minute | who | channel | fleet | {data['curves'].get('label', 'key signal')} |"]
    lines += ["| --- | --- | --- | --- | --- |"]
    for r in data["timeline"]:
        cells = [f"{r['minute']:g}", r["by"], r["channel"], r["fleet"], _signal(r["signal"])]
        lines.append(
            "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
        )
    lines += ["", "## The decision log, replayed", ""]
    for d in data["decision_log"]:
        lines.append(
            f"- minute {d['minute']:g}: {d['decision']} — because: {d['reason'] or '(none given)'}"
        )
        for a in d["actions"]:
            cost = a["cost"]
            effect = (
                f" (on its own: {cost['slo_burn_added_pp']:+g} pp SLO burn, "
                f"${cost['usd_added']:+.2f})"
                if cost
                else ""
            )
            lines.append(f"  - move {a['move']} by {a['by']}: `{a['what']}`{effect}")
    if not data["decision_log"]:
        lines.append("- no decision was logged")
    debrief = data["debrief"]
    lines += ["", "## What each decision cost", ""]
    if debrief["decisions"]:
        header = [*DECISION_HEADER[:1], "who", *DECISION_HEADER[1:]]
        rows = [
            [r[0], d["by"], *r[1:]]
            for r, d in zip(decision_rows(debrief), debrief["decisions"], strict=True)
        ]
        lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    else:
        lines.append(NO_DELAY)
    lines += ["", "## What to practise", ""]
    lines += [f"- {p}" for p in debrief["practise"]] or ["- nothing missed"]
    lines += ["", "## The expert's path", ""]
    lines += [
        f"- minute {m['minute']:g} — {m['kind']}: `{m['what'][:120]}`" for m in data["expert_moves"]
    ]
    lines += ["", "## The course's answer", "", data["hidden_answer"], ""]
    return "\n".join(lines)


def _drew(data: dict[str, Any]) -> list[str]:
    """A family team's member, as the report's heading names it (nothing for a scenario)."""
    member = data["scenario"]["member"]
    if member is None:
        return []
    return [
        f"Symptom family `{data['scenario']['id']}`: this team drew the member `{member}` "
        f"(key cause `{data['answer_key']['cause']}`) and is scored against its own key.",
        "",
    ]


def _drew_html(data: dict[str, Any]) -> str:
    member, esc = data["scenario"]["member"], html.escape
    if member is None:
        return ""
    return (
        f"<p id='member'>Symptom family <code>{esc(data['scenario']['id'])}</code>: this team "
        f"drew the member <code data-member='{esc(member)}'>{esc(member)}</code> (key cause "
        f"<code>{esc(data['answer_key']['cause'])}</code>) and is scored against its own key.</p>"
    )


def _rows(header: list[str], body: list[list[str]], attrs: str = "") -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    cells = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in body)
    return f"<table{attrs}><tr>{head}</tr>{cells}</table>"


def _components_html(data: dict[str, Any]) -> str:
    body = [
        [
            c["component"],
            f"{c['points']} / {c['max_points']:g}",
            ", ".join(c["by"]) or "-",
            c["why"],
        ]
        for c in data["components"]
    ]
    body += [
        ["penalty", f"-{p['points']:g}", p.get("by") or "-", p["why"]] for p in data["penalties"]
    ]
    return _rows(["component", "points", "who", "why"], body, " id='team-score'")


def _why_html(data: dict[str, Any]) -> str:
    esc = html.escape
    return "".join(
        f"<li><b>{esc(c['component'])}</b><ul>"
        + "".join(f"<li>earned: {esc(e)}</li>" for e in c["evidence"])
        + "".join(f"<li class='missed'>missed: {esc(m)}</li>" for m in c["missed"])
        + "</ul></li>"
        for c in data["components"]
        if c["evidence"] or c["missed"]
    )


def _timeline_html(data: dict[str, Any]) -> str:
    label = data["curves"].get("label", "key signal")
    body = [
        [f"{r['minute']:g}", r["by"], r["channel"], r["fleet"], _signal(r["signal"])]
        for r in data["timeline"]
    ]
    return _rows(["minute", "who", "channel", "fleet", label], body, " id='timeline'")


def _decision_log_html(data: dict[str, Any]) -> str:
    esc = html.escape
    if not data["decision_log"]:
        return "<p>No decision was logged.</p>"
    items = []
    for d in data["decision_log"]:
        acts = "".join(
            f"<li>move {a['move']} by {esc(a['by'])}: <code>{esc(a['what'])}</code>"
            + (
                f" — on its own {a['cost']['slo_burn_added_pp']:+g} pp SLO burn, "
                f"${a['cost']['usd_added']:+.2f}"
                if a["cost"]
                else ""
            )
            + "</li>"
            for a in d["actions"]
        )
        items.append(
            f"<li><b>minute {d['minute']:g}</b> {esc(d['decision'])} — because: "
            f"{esc(d['reason'] or '(none given)')}<ul>{acts}</ul></li>"
        )
    return f"<ol id='decision-log'>{''.join(items)}</ol>"


def _debrief_html(debrief: dict[str, Any]) -> str:
    if debrief["decisions"]:
        header = [DECISION_HEADER[0], "who", *DECISION_HEADER[1:]]
        body = [
            [r[0], d["by"], *r[1:]]
            for r, d in zip(decision_rows(debrief), debrief["decisions"], strict=True)
        ]
        out = _rows(header, body)
    else:
        out = f"<p>{NO_DELAY}</p>"
    if debrief["move_costs"]:
        out += "<h3>Each action's own effect (the team's run against the run without it)</h3>"
        out += _rows(COST_HEADER, cost_rows(debrief))
    return out


def to_html(data: dict[str, Any]) -> str:
    esc = html.escape
    image = base64.b64encode(plot(data)).decode()
    members = _rows(
        ["member", "roles", "earned"],
        [
            [
                m["name"],
                ", ".join(ROLE_TITLES[r] for r in m["roles"]),
                "; ".join(data["credit"].get(m["name"], [])) or "-",
            ]
            for m in data["team"]["members"]
        ],
        " id='members'",
    )
    practise = (
        "".join(f"<li>{esc(p)}</li>" for p in data["debrief"]["practise"])
        or "<li>nothing missed</li>"
    )
    expert = "".join(
        f"<li><b>{m['minute']:g} min</b> {esc(m['kind'])}: <code>{esc(m['what'][:160])}</code></li>"
        for m in data["expert_moves"]
    )
    verdict_class = "pass" if data["passed"] else "fail"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Team report: {esc(data["team"]["name"])} — {esc(data["scenario"]["title"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
.score {{ font-size: 2.4em; font-weight: bold; }} .missed {{ color: #a00; }}
.pass {{ color: #060; }} .fail {{ color: #a00; }}
#timeline td:nth-child(5) {{ white-space: nowrap; font-family: monospace; }}
</style></head><body>
<h1>Team {esc(data["team"]["name"])}: {esc(data["scenario"]["title"])}</h1>
<p>Scenario <code>{esc(data["scenario"]["id"])}</code> ·
time box {data["team"]["time_box_min"]:g} minutes</p>
{_drew_html(data)}
<p class="score">{data["score"]} / 100</p>
<p class="{verdict_class}" id="verdict">{esc(data["verdict"])}</p>
{members}
<img alt="key signal over the drill, with the team's actions and updates"
src="data:image/png;base64,{image}" width="900">
<h2>Score</h2>{_components_html(data)}
<h2>What earned each component, and what was missed</h2><ul>{_why_html(data)}</ul>
<h2>The channel beside the fleet</h2>{_timeline_html(data)}
<h2>The decision log, replayed</h2>{_decision_log_html(data)}
<h2>What each decision cost</h2>{_debrief_html(data["debrief"])}
<h2>What to practise</h2><ul>{practise}</ul>
<h2>The expert's path</h2><ol>{expert}</ol>
<h2>The course's answer</h2><p>{esc(data["hidden_answer"])}</p>
</body></html>
"""


def write(data: dict[str, Any], out: Path, formats: tuple[str, ...]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in (
        ("json", lambda d: json.dumps(d, indent=2, default=float) + "\n"),
        ("md", to_markdown),
        ("html", to_html),
    ):
        if name in formats:
            path = out / f"team-report.{name}"
            path.write_text(render(data))
            written.append(path)
    return written


# --- the facilitator's board -----------------------------------------------------------


def board(teams: list[tuple[str, Any]]) -> dict[str, Any]:
    """Several teams side by side: one column per team, one row per component, and the
    figures a facilitator compares (first update, time to mitigate, verdict)."""
    names = [name for name, _ in teams]
    components = [c.component for c in teams[0][1].components] if teams else []
    rows = [["score", *(f"{s.score:g}" for _, s in teams)]]
    rows.append(["verdict", *(("passed" if s.passed else "not passed") for _, s in teams)])
    for comp in components:
        rows.append(
            [
                comp,
                *(
                    f"{s.component(comp).points:.1f} / {s.component(comp).max_points:g}"
                    for _, s in teams
                ),
            ]
        )
    rows.append(["penalties", *(f"-{sum(p['points'] for p in s.penalties):g}" for _, s in teams)])
    rows.append(
        [
            "first update (min)",
            *("-" if s.first_update_min is None else f"{s.first_update_min:g}" for _, s in teams),
        ]
    )
    rows.append(
        [
            "mitigated at (min)",
            *(
                "-" if s.time_to_mitigate_min is None else f"{s.time_to_mitigate_min:g}"
                for _, s in teams
            ),
        ]
    )
    return {"teams": names, "rows": rows}
