"""What a trainee may read for free, the same at the command line and in the console: the
tables and columns the SQL sandbox holds (from the telemetry schema), the dashboard panels
and the actions with their argument syntax (drills/play/actions.py). Reading any of it
costs no clock and tells nothing about the incident: it is the product's documentation."""

from __future__ import annotations

from dataclasses import dataclass

from drills.play.actions import usage_text
from drills.play.panels import PANELS
from simulator.telemetry.schema import COLUMNS, METRIC_NAMES, TABLE_PURPOSE

METRIC_LIST = "metrics.name"


@dataclass(frozen=True)
class Table:
    name: str
    purpose: str
    columns: list[tuple[str, str, str]]  # (column, unit, meaning)


def tables() -> list[Table]:
    """Every table with its columns, and the metric names `metrics.name` takes."""
    out = [
        Table(name, TABLE_PURPOSE[name], [(c, u, m) for c, (u, m) in columns.items()])
        for name, columns in COLUMNS.items()
    ]
    out.append(
        Table(
            METRIC_LIST,
            "the metric names in `metrics` (unit, labels)",
            [(n, u, f"by {lab}: {m}") for n, (u, lab, m) in METRIC_NAMES.items()],
        )
    )
    return out


def tables_text() -> str:
    lines = ["Tables (free to read; `describe TABLE` for its columns):"]
    lines += [f"  {t.name:13s} {t.purpose}" for t in tables()]
    return "\n".join(lines)


def describe_text(name: str) -> str:
    """One table's columns, or a one-line refusal naming the tables."""
    found = {t.name: t for t in tables()}.get(name.strip())
    if found is None:
        return f"no table {name.strip()!r}; tables: {', '.join(t.name for t in tables())}"
    lines = [f"{found.name}: {found.purpose}"]
    lines += [f"  {c:22s} {u or '-':6s} {m}" for c, u, m in found.columns]
    return "\n".join(lines)


def panels_text() -> str:
    return "\n".join(f"  {name:22s} {panel.title}" for name, panel in PANELS.items())


__all__ = ["Table", "describe_text", "panels_text", "tables", "tables_text", "usage_text"]
