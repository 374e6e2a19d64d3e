"""A query result as a chart, drawn server-side as SVG (no script, no CDN): a long-format
time series (first column a time bin in seconds, a group column, a value column) becomes
one line per group, with axes, the value's unit, the page and the trainee's moves marked."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from drills.judge.evidence import is_time_series
from drills.play.sql import QueryResult

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 16, 36
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f")
MAX_GROUPS = len(COLORS)


def chartable(result: QueryResult) -> bool:
    return is_time_series(result) and len(result.columns) in (2, 3)


def series_of(result: QueryResult) -> dict[str, list[tuple[float, float]]]:
    """Points per group (the middle column; one unnamed group for two columns)."""
    out: dict[str, list[tuple[float, float]]] = {}
    for row in result.rows:
        t, value = row[0], row[-1]
        if t is None or value is None or not isinstance(value, int | float):
            continue
        group = str(row[1]) if len(row) == 3 else result.columns[-1]
        out.setdefault(group, []).append((float(t), float(value)))
    return dict(sorted(out.items())[:MAX_GROUPS])


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if m * step >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def svg(result: QueryResult, page_s: float, moves_s: Sequence[float], unit: str = "") -> str:
    """The chart; x in minutes since the page (negative: before it)."""
    groups = series_of(result)
    points = [p for line in groups.values() for p in line]
    if not points:
        return ""
    x0, x1 = min(p[0] for p in points), max(max(p[0] for p in points), page_s)
    y0, y1 = min(0.0, min(p[1] for p in points)), max(p[1] for p in points)
    y1 = y1 if y1 > y0 else y0 + 1.0
    x1 = x1 if x1 > x0 else x0 + 60.0

    def sx(t: float) -> float:
        return LEFT + (t - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT)

    def sy(v: float) -> float:
        return TOP + (1 - (v - y0) / (y1 - y0)) * (HEIGHT - TOP - BOTTOM)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">'
    ]
    for v in _ticks(y0, y1):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" '
            f'stroke="#eee"/><text x="{LEFT - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" '
            f'font-size="11">{v:g}</text>'
        )
    for t in _ticks((x0 - page_s) / 60.0, (x1 - page_s) / 60.0):
        x = sx(page_s + t * 60.0)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11">{t:g}</text>'
        )
    label = html.escape(result.columns[-1] + (f" ({unit})" if unit else ""))
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 4}" font-size="11">minutes since the page</text>'
        f'<text x="4" y="{TOP + 4}" font-size="11" transform="rotate(90 4 {TOP + 4})">{label}'
        "</text>"
    )
    page_x = sx(page_s)
    parts.append(
        f'<line class="page" x1="{page_x:.1f}" x2="{page_x:.1f}" y1="{TOP}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#000" stroke-dasharray="4 3"/>'
        f'<text x="{page_x + 3:.1f}" y="{TOP + 10}" font-size="10">page</text>'
    )
    for t in moves_s:
        if x0 <= t <= x1:
            parts.append(
                f'<line class="move" x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{TOP}" '
                f'y2="{HEIGHT - BOTTOM}" stroke="#c00" stroke-opacity="0.35"/>'
            )
    for i, (name, line) in enumerate(groups.items()):
        coords = " ".join(f"{sx(t):.1f},{sy(v):.1f}" for t, v in sorted(line))
        color = COLORS[i]
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{coords}"/>'
            f'<text x="{WIDTH - RIGHT + 8}" y="{TOP + 14 * (i + 1)}" font-size="11" '
            f'fill="{color}">{html.escape(name[:22])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
