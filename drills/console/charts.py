"""A query result as a chart, drawn server-side as SVG (no script, no CDN): a long-format
time series (first column a time bin in seconds, a group column, a value column) becomes
one line per group, with axes, the value's unit, the page and the trainee's moves marked.

Any value a query returns draws or says why it does not: NULL and NaN break a line (a
gap, as does a missing bin), values off any scale (±inf, beyond ±1e300) are left out and
counted in a notice, groups past the palette are cut with a notice naming how many. A chart
never raises: a past move must never break a page (tests/test_charts.py)."""

from __future__ import annotations

import html
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drills.judge.evidence import is_time_series
from drills.play.sql import QueryResult

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 132, 22, 36
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f")
MAX_GROUPS = len(COLORS)
LARGEST = 1e300  # past this a value is off any scale a screen can draw (and spans overflow)
GAP_FACTOR = 1.5  # a step this many times the group's usual one is a missing bin


@dataclass
class Series:
    """What a result draws: per group, runs of points (a gap between runs), and what
    could not be drawn."""

    lines: dict[str, list[list[tuple[float, float]]]] = field(default_factory=dict)
    off_scale: int = 0  # values left out: ±inf or beyond ±LARGEST
    cut_groups: int = 0  # groups past MAX_GROUPS


def chartable(result: QueryResult) -> bool:
    return is_time_series(result) and len(result.columns) in (2, 3)


def _drawable(value: object) -> float | None:
    """A number the chart can place, or None (NULL, NaN, text, off the scale)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer past a float's range
        return None
    return number if math.isfinite(number) and abs(number) <= LARGEST else None


def series_of(result: QueryResult) -> Series:
    """Points per group (the middle column; one unnamed group for two columns), in time
    order, split into runs at NULLs, NaNs and missing bins."""
    points: dict[str, list[tuple[float, float | None]]] = {}
    out = Series()
    for row in result.rows:
        t, value = _drawable(row[0]), _drawable(row[-1])
        if t is None:
            continue
        if value is None and row[-1] is not None and not _is_nan(row[-1]):
            out.off_scale += 1
        group = ("NULL" if row[1] is None else str(row[1])) if len(row) == 3 else result.columns[-1]
        points.setdefault(group, []).append((t, value))
    names = sorted(points)
    out.cut_groups = max(0, len(names) - MAX_GROUPS)
    for name in names[:MAX_GROUPS]:
        runs = _runs(sorted(points[name], key=lambda p: p[0]))
        if runs:
            out.lines[name] = runs
    return out


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _runs(points: list[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Consecutive drawable points; a gap where a value is missing or a bin is skipped."""
    steps = sorted(b[0] - a[0] for a, b in itertools.pairwise(points) if b[0] > a[0])
    usual = steps[len(steps) // 2] if steps else 0.0
    runs: list[list[tuple[float, float]]] = [[]]
    last_t: float | None = None
    for t, v in points:
        skipped = usual > 0 and last_t is not None and t - last_t > GAP_FACTOR * usual
        if v is None or skipped:
            runs.append([])
        if v is not None:
            runs[-1].append((t, v))
            last_t = t
    return [run for run in runs if run]


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values across [low, high] (finite, |values| ≤ LARGEST)."""
    raw = (high - low) / count
    if not raw > 1e-300:  # flat, or a span no screen resolves
        return [low]
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if m * step >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(min(int((high - first) / step) + 1, 2 * count + 2))]


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    """Text as SVG may hold it: escaped, and characters XML forbids replaced."""
    return html.escape(_NOT_XML.sub("\ufffd", value))


def _label(value: float) -> str:
    return f"{value:.4g}" if value else "0"


def svg(
    result: QueryResult,
    page_s: float,
    moves_s: Sequence[float],
    unit: str = "",
    width: int = WIDTH,
) -> str:
    """The chart; x in minutes since the page (negative: before it). '' if nothing draws
    and nothing needs saying."""
    drawn = series_of(result)
    points = [p for runs in drawn.lines.values() for run in runs for p in run]
    notices = _notices(drawn)
    if not points:
        return _empty(notices, width) if notices else ""
    x0, x1 = min(p[0] for p in points), max(max(p[0] for p in points), page_s)
    y0, y1 = min(0.0, min(p[1] for p in points)), max(0.0, max(p[1] for p in points))
    # a flat series (or one whose span no float resolves) gets a span it can be drawn in
    y1 = y1 if y1 - y0 > 1e-300 * max(1.0, abs(y0)) else y0 + max(1.0, abs(y0) * 1e-6)
    x1 = x1 if x1 - x0 > 1e-9 * max(1.0, abs(x0)) else x0 + max(60.0, abs(x0) * 1e-6)
    plot_w = width - LEFT - RIGHT

    def sx(t: float) -> float:
        return LEFT + (t - x0) / (x1 - x0) * plot_w

    def sy(v: float) -> float:
        return TOP + (1 - (v - y0) / (y1 - y0)) * (HEIGHT - TOP - BOTTOM)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {HEIGHT}" '
        f'preserveAspectRatio="xMinYMin meet" role="img">'
    ]
    for v in _ticks(y0, y1):
        parts.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" '
            f'stroke="#eee"/><text x="{LEFT - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" '
            f'font-size="11">{_label(v)}</text>'
        )
    for t in _ticks((x0 - page_s) / 60.0, (x1 - page_s) / 60.0):
        x = sx(page_s + t * 60.0)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11">{_label(t)}</text>'
        )
    label = _text(result.columns[-1] + (f" ({unit})" if unit else ""))
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 4}" font-size="11">minutes since the page</text>'
        f'<text x="{LEFT}" y="{TOP - 8}" font-size="11" class="unit">{label}</text>'
    )
    parts += _marks(sx, page_s, moves_s, x0, x1)
    for i, (name, runs) in enumerate(drawn.lines.items()):
        color = COLORS[i]
        for run in runs:
            coords = " ".join(f"{sx(t):.1f},{sy(v):.1f}" for t, v in run)
            if len(run) == 1:  # a lone point between gaps still shows
                ((t, v),) = run
                parts.append(f'<circle cx="{sx(t):.1f}" cy="{sy(v):.1f}" r="2" fill="{color}"/>')
            else:
                parts.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{coords}"/>'
                )
        parts.append(
            f'<text x="{width - RIGHT + 8}" y="{TOP + 14 * (i + 1)}" font-size="11" '
            f'fill="{color}">{_text(name[:22])}</text>'
        )
    for i, notice in enumerate(notices):
        parts.append(
            f'<text class="notice" x="{width - RIGHT + 8}" '
            f'y="{TOP + 14 * (len(drawn.lines) + 2 + i)}" font-size="10" fill="#a00">'
            f"{_text(notice)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _marks(
    sx: Callable[[float], float], page_s: float, moves_s: Sequence[float], x0: float, x1: float
) -> list[str]:
    """The page (dashed) and each action (red) as vertical lines."""
    page_x = sx(page_s)
    out = [
        f'<line class="page" x1="{page_x:.1f}" x2="{page_x:.1f}" y1="{TOP}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#000" stroke-dasharray="4 3"/>'
        f'<text x="{page_x - 3:.1f}" y="{TOP + 10}" font-size="10" '
        f'text-anchor="end">page</text>'
    ]
    for t in moves_s:
        if x0 <= t <= x1:
            out.append(
                f'<line class="move" x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{TOP}" '
                f'y2="{HEIGHT - BOTTOM}" stroke="#c00" stroke-opacity="0.5"/>'
                f'<text x="{sx(t) - 3:.1f}" y="{TOP + 20}" font-size="10" fill="#c00" '
                f'text-anchor="end">act</text>'
            )
    return out


def _notices(drawn: Series) -> list[str]:
    out = []
    if drawn.cut_groups:
        out.append(f"+{drawn.cut_groups} groups not drawn")
    if drawn.off_scale:
        out.append(f"{drawn.off_scale} values off scale")
    return out


def _empty(notices: list[str], width: int) -> str:
    text = _text("; ".join(notices))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} 40" '
        f'role="img"><text class="notice" x="8" y="24" font-size="12" fill="#a00">'
        f"nothing to draw: {text}</text></svg>"
    )
