"""A candidate's page as a dashboard, not a log: the latest look at each panel in a grid
(its chart at a readable size, its table folded and rounded, how long ago it was read),
the latest query in full and the earlier ones folded, and every move as one line of a
compact timeline. Built from the moves the drill has played; nothing here plays a move,
and nothing a result holds (inf, NaN, NULL, huge, markup) can break the page."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drills.console.charts import chartable, svg
from drills.judge.evidence import visible_rows
from drills.play.drill import Drill, MoveRecord
from drills.play.panels import PANELS
from drills.play.sql import QueryResult
from simulator.telemetry.schema import unit_of

CARD_WIDTH = 540  # a chart's own width: drawn near the size a card shows it, text stays legible
Show = Callable[[MoveRecord], QueryResult | None]  # a move's result, computed once


@dataclass
class Shown:
    """One look or query as the page shows it."""

    move: MoveRecord
    title: str
    ago_min: float  # minutes of clock since it was read
    chart: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    more: int = 0  # rows the result had past those shown
    error: str = ""


@dataclass
class Step:
    """One move on the timeline."""

    clock_min: float
    kind: str
    text: str
    detail: str = ""
    refused: bool = False


@dataclass
class Dashboard:
    panels: list[Shown]
    queries: list[Shown]  # the latest first
    timeline: list[Step]


def dashboard(drill: Drill, moves: list[MoveRecord], show: Show) -> Dashboard:
    latest: dict[str, MoveRecord] = {}
    for move in moves:
        if move.kind == "look":
            latest[move.text] = move
    acts = [m.sim_time_s for m in moves if m.kind == "act"]
    page_s = drill.scenario.spec.clock.start_s
    panels = [
        shown(drill, latest[name], show(latest[name]), page_s, acts)
        for name in PANELS
        if name in latest
    ]
    queries = [shown(drill, m, show(m), page_s, acts) for m in reversed(moves) if m.kind == "query"]
    return Dashboard(panels, queries, [step(m) for m in moves])


def shown(
    drill: Drill, move: MoveRecord, result: QueryResult | None, page_s: float, acts: list[float]
) -> Shown:
    title = PANELS[move.text].title if move.kind == "look" else "query"
    out = Shown(move, title, max(0.0, drill.clock_min - move.clock_min))
    if result is None:
        out.error = move.error or "no result"
        return out
    if chartable(result):
        metric = _one_metric(result)
        out.chart = svg(result, page_s, acts, unit_of(result.columns[-1], metric), CARD_WIDTH)
    rows = visible_rows(result)
    out.columns = list(result.columns)
    out.rows = [[cell(v) for v in row] for row in rows]
    out.more = len(result.rows) - len(rows)
    return out


def _one_metric(result: QueryResult) -> str | None:
    """The metric a result reads, when it reads `metrics` filtered on one name."""
    names = result.lineage.equals.get("name", set())
    return next(iter(names)) if len(names) == 1 else None


def step(move: MoveRecord) -> Step:
    if move.kind == "act":
        return Step(move.clock_min, "act", move.text, move.outcome)
    if move.kind == "conclude" and move.conclusion is not None:
        return Step(move.clock_min, "conclude", move.conclusion.cause)
    refused = bool(move.error)
    detail = f"refused: {move.error}" if refused else ""
    return Step(move.clock_min, move.kind, move.text, detail, refused)


def cell(value: Any) -> str:
    """A table cell for people: NULL blank, floats rounded (6.8, not 6.8000000000000025),
    large ones without exponent noise, the non-finite ones named."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        if 1e-3 <= abs(value) < 1e4:
            return f"{value:.4g}"
        if 1e4 <= abs(value) < 1e15:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return str(value)


__all__ = ["Dashboard", "Shown", "Step", "cell", "dashboard"]
