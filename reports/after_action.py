"""The after-action report of a drill: JSON (for golden tests and tools), Markdown and a
self-contained HTML page with the key signal plotted over the trainee's moves."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def report_data(
    scenario: Any, key: Any, drill: Any, result: Any, expert: Any, curves: dict[str, Any]
) -> dict[str, Any]:
    """Everything the report shows, as plain data (stable for golden tests)."""
    return {
        "scenario": {
            "id": scenario.spec.id,
            "title": scenario.spec.title,
            "source": scenario.spec.source,
        },
        "trainee": getattr(drill, "trainee", "trainee"),
        "score": result.score,
        "summary": {k: v for k, v in result.as_dict().items() if k not in ("breakdown",)},
        "breakdown": [
            {
                "component": line.component,
                "points": round(line.points, 1),
                "max_points": line.max_points,
                "why": line.why,
                "evidence": list(line.evidence),
                "missed": list(line.missed),
            }
            for line in result.breakdown
        ],
        "moves": [
            {"minute": round(m.clock_min, 1), "kind": m.kind, "what": m.text} for m in drill.moves
        ],
        "expert_moves": [
            {"minute": round(m.clock_min, 1), "kind": m.kind, "what": m.text} for m in expert.moves
        ],
        "answer_key": {
            "cause": key.cause,
            "signals": [
                {
                    "id": s.id,
                    "table": s.table,
                    "column": s.column,
                    "group_by": s.group_by,
                    "description": s.description,
                }
                for s in key.signals
            ],
            "mitigations": [m.id for m in key.mitigations],
            "harmful": [m.id for m in key.harmful],
            "prevention": [p.description or p.id for p in key.prevention],
        },
        "hidden_answer": key.hidden_answer,
        "curves": curves,
    }


def plot(data: dict[str, Any]) -> bytes:
    curves = data["curves"]
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    for name, style in (("no action", ":"), ("expert", "--"), ("trainee", "-")):
        if name in curves:
            ax.plot(
                np.array(curves["minutes"]), np.array(curves[name], dtype=float), style, label=name
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
        lines.append(f"| {b['component']} | {b['points']} / {b['max_points']:g} | {b['why']} |")
    for p in data["summary"]["penalties"]:
        lines.append(f"| penalty | -{p['points']:g} | {p['why']} |")
    lines += ["", "## Why: what earned each component, and what was missed", ""]
    for b in data["breakdown"]:
        details = [f"  - earned: {e}" for e in b.get("evidence", [])]
        details += [f"  - missed: {m}" for m in b.get("missed", [])]
        if details:
            lines += [f"- **{b['component']}**", *details]
    lines += ["", "## Moves", ""]
    lines += [f"- minute {m['minute']:g} — {m['kind']}: `{m['what'][:120]}`" for m in data["moves"]]
    lines += ["", "## The expert's path", ""]
    lines += [
        f"- minute {m['minute']:g} — {m['kind']}: `{m['what'][:120]}`" for m in data["expert_moves"]
    ]
    key = data["answer_key"]
    lines += ["", "## What the answer key expected", "", f"- cause: `{key['cause']}`"]
    lines += [
        f"- signal `{s['id']}`: {s['table']}.{s['column']} by {', '.join(s['group_by'])}"
        f" — {s['description']}"
        for s in key["signals"]
    ]
    lines += [f"- prevention: {p}" for p in key["prevention"]]
    lines += ["", "## The course's answer", "", data["hidden_answer"], ""]
    return "\n".join(lines)


def to_html(data: dict[str, Any]) -> str:
    image = base64.b64encode(plot(data)).decode()
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(b['component'])}</td><td>{b['points']} / {b['max_points']:g}</td>"
        f"<td>{esc(b['why'])}</td></tr>"
        for b in data["breakdown"]
    ) + "".join(
        f"<tr class='penalty'><td>penalty</td><td>-{p['points']:g}</td><td>{esc(p['why'])}</td>"
        "</tr>"
        for p in data["summary"]["penalties"]
    )

    why = "".join(
        f"<li><b>{esc(b['component'])}</b><ul>"
        + "".join(f"<li>earned: {esc(e)}</li>" for e in b.get("evidence", []))
        + "".join(f"<li class='missed'>missed: {esc(m)}</li>" for m in b.get("missed", []))
        + "</ul></li>"
        for b in data["breakdown"]
        if b.get("evidence") or b.get("missed")
    )

    def moves(items: list[dict[str, Any]]) -> str:
        return "".join(
            f"<li><b>{m['minute']:g} min</b> {esc(m['kind'])}: "
            f"<code>{esc(m['what'][:160])}</code></li>"
            for m in items
        )

    key = data["answer_key"]
    signals = "".join(
        f"<li><code>{esc(s['table'])}.{esc(s['column'])}</code> by "
        f"{esc(', '.join(s['group_by']))} — {esc(s['description'])}</li>"
        for s in key["signals"]
    )
    prevention = "".join(f"<li>{esc(p)}</li>" for p in key["prevention"])
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
<div class="columns">
<div><h2>Your moves</h2><ol>{moves(data["moves"])}</ol></div>
<div><h2>The expert's path</h2><ol>{moves(data["expert_moves"])}</ol></div>
</div>
<h2>What the answer key expected</h2>
<p>Cause: <code>{esc(key["cause"])}</code></p>
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
