"""A trainee's history: the score trend by component and what is still weak (Markdown,
JSON)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any


def history_data(summary: Any) -> dict[str, Any]:
    return {
        "trainee": summary.trainee,
        "results": [asdict(r) for r in summary.results],
        "trend": {part: [list(p) for p in points] for part, points in summary.trend.items()},
        "weak": {
            "components": summary.weak_components,
            "scenarios": summary.weak_scenarios,
            "exam_items": summary.weak_items,
        },
    }


def to_markdown(data: dict[str, Any]) -> str:
    lines = [f"# {data['trainee']}: drills and exams over time", ""]
    lines += ["| when | kind | what | score |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {r['at']} | {r['kind']} | {r['subject']} | {r['score']:g} |" for r in data["results"]
    ]
    if data["trend"]:
        lines += ["", "## Drill components over time (share of each component's points)", ""]
        for part, points in data["trend"].items():
            shares = " → ".join(f"{100 * share:.0f}%" for _, share in points)
            lines.append(f"- {part}: {shares}")
    weak = data["weak"]
    lines += ["", "## Still weak", ""]
    lines += [
        f"- drill component {c}: {100 * s:.0f}% last time" for c, s in weak["components"].items()
    ]
    lines += [f"- scenario {s}: scored {v:g} last time" for s, v in weak["scenarios"].items()]
    lines += [f"- exam {e}: missed {', '.join(items)}" for e, items in weak["exam_items"].items()]
    if not any(weak.values()):
        lines.append("- nothing below the bar in the latest results")
    return "\n".join(lines) + "\n"
