"""Plain terminal tables and sparklines (no colour codes, so they paste anywhere)."""

from __future__ import annotations

from collections.abc import Sequence

SPARK = "▁▂▃▄▅▆▇█"


def fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:,.{max(digits - 2, 1)}f}"
    return str(value)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    cells = [[fmt(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    numeric = [all(_is_number(r[i]) for r in rows) and bool(rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [title] if title else []
    out.append(line(list(headers)))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def sparkline(values: Sequence[float]) -> str:
    finite = [v for v in values if v == v]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    span = high - low or 1.0
    return "".join(
        " " if v != v else SPARK[min(int((v - low) / span * (len(SPARK) - 1) + 0.5), 7)]
        for v in values
    )


def sparkline_rows(
    rows: Sequence[Sequence[object]], time_index: int, group_index: int, value_index: int
) -> list[tuple[str, str, float]]:
    """(group, sparkline over time, last value) for a long-format time series."""
    series: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        t, group, value = row[time_index], row[group_index], row[value_index]
        if isinstance(t, int | float) and isinstance(value, int | float):
            series.setdefault(str(group), []).append((float(t), float(value)))
    out = []
    for group, points in series.items():
        points.sort()
        values = [v for _, v in points]
        out.append((group, sparkline(values), values[-1]))
    return out
