"""A symptom family's check as terminal tables: the members and their own checks, which
pairs the evidence tells apart, and the tip matrix (an expert's path replayed on every
other member). Renders the dict of `FamilyReport.as_dict()`."""

from __future__ import annotations

from typing import Any

from reports.tables import render_table


def _short(member: str, members: list[str]) -> str:
    return f"m{members.index(member) + 1}"


def family_lines(report: dict[str, Any]) -> list[str]:
    members = list(report["causes"])
    out = [f"{report['family']}  ({'ok' if report['ok'] else 'FAILED'})", ""]
    out.append(
        render_table(
            ["", "member", "cause"],
            [[_short(m, members), m, ", ".join(report["causes"][m])] for m in members],
        )
    )
    out += [f"  names a cause: {problem}" for problem in report["naming"]]
    for member, checks in report["members"].items():
        rows = [
            [c["what"], c["name"], c["value"], c["expected"], "ok" if c["ok"] else "FAILED"]
            for c in checks
        ]
        out += ["", render_table(["check", "name", "value", "expected", ""], rows, member)]
    if report["pairs"]:
        out += ["", _pairs_table(report["pairs"], members)]
    if report["tips"]:
        out += ["", _tips_table(report["tips"], members, report["tipped_mean"])]
    rows = [
        [c["what"], c["name"], c["value"], c["expected"], "ok" if c["ok"] else "FAILED"]
        for c in report["summary"]
    ]
    out += ["", render_table(["check", "name", "value", "expected", ""], rows, "summary")]
    return out


def _pairs_table(pairs: list[dict[str, Any]], members: list[str]) -> str:
    """Row A, column B: how many of A's locating signals tell A from B ('-' on the
    diagonal; 0 is a failure)."""
    count = {(p["a"], p["b"]): len(p["telling"]) for p in pairs}
    rows = [
        [_short(a, members), *("-" if a == b else count[a, b] for b in members)] for a in members
    ]
    title = "signals of the row's key that tell it from the column's incident"
    return render_table(["", *(_short(b, members) for b in members)], rows, title)


def _tips_table(tips: dict[str, dict[str, float]], members: list[str], mean: float) -> str:
    rows = [[_short(a, members), *(tips[a][b] for b in members)] for a in members]
    title = f"row's expert path scored on the column's incident (tipped mean {mean:g})"
    return render_table(["", *(_short(b, members) for b in members)], rows, title)
