"""What-if sweep outputs: results.parquet (one row per run), frontier.json, and a
self-contained HTML report (cost vs p95 with the frontier, an SLO-attainment heat map over
two grid fields, latency CDFs of the chosen point against the base)."""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.figures import pyplot
from simulator.studies.sweep import Sweep
from simulator.studies.sweep_run import PointResult


def write_outputs(
    sweep: Sweep,
    runs: list[dict[str, Any]],
    points: list[PointResult],
    summary: dict[str, Any],
    samples: dict[str, dict[str, np.ndarray]],
    out: Path,
) -> list[str]:
    results = out / "results.parquet"
    runs_table(runs).to_parquet(results, index=False)
    frontier = out / "frontier.json"
    frontier.write_text(
        json.dumps({k: summary[k] for k in FRONTIER_KEYS if k in summary}, indent=1) + "\n"
    )
    report = out / "report.html"
    report.write_text(to_html(sweep, points, summary, samples))
    return [str(results), str(frontier), str(report)]


def runs_table(runs: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for run in runs:
        row: dict[str, Any] = {"point": run["point"], "seed": run["seed"]}
        row.update({f"param:{k}": v for k, v in run["params"].items()})
        row.update(run["metrics"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in frame.columns:  # mixed-type parameter columns become text
        if frame[column].dtype == object:
            frame[column] = frame[column].astype(str)
    return frame


def _png(fig: Any) -> str:
    plt = pyplot()
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


FRONTIER_KEYS = ("conditions", "by_condition", "frontier", "failing", "best", "binding")
DECADE = 10.0  # values spanning this ratio or more are drawn on a log axis


def cost_vs_p95(sweep: Sweep, points: list[PointResult], frontier: set[int]) -> str:
    """Cost against p95: points meeting every SLO (green) with their frontier, points
    missing one (red crosses) apart; each axis logarithmic where its values span a decade
    (a CPU point at seconds beside GPU points at tens of milliseconds)."""
    plt = pyplot()
    kind = next(iter(sweep.spec.objectives.slos))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    xs = [p.mean.get(f"{kind}.p95_ms", math.nan) for p in points]
    ys = [p.mean.get("cost_usd_per_hour", math.nan) for p in points]
    for met, style in ((True, {"c": "tab:green", "marker": "o"}), (False, {"c": "tab:red"})):
        chosen = [i for i, p in enumerate(points) if p.slo_met == met]
        label = "meets every SLO" if met else "misses an SLO"
        ax.scatter(
            [xs[i] for i in chosen],
            [ys[i] for i in chosen],
            s=28,
            zorder=3,
            label=f"{label} ({len(chosen)})",
            **({"marker": "x"} if not met else {}),
            **style,
        )
    on = sorted((xs[i], ys[i]) for i, p in enumerate(points) if p.index in frontier)
    if on:
        ax.step(*zip(*on, strict=True), where="post", color="black", lw=1, label="frontier")
    target = sweep.spec.objectives.slos[kind].p95_ms
    if target:
        ax.axvline(target, ls="--", color="grey", label=f"{kind} p95 SLO")
    log_x, log_y = _spans_decades(xs), _spans_decades(ys)
    from matplotlib.ticker import FormatStrFormatter

    for log, axis, setter in ((log_x, ax.xaxis, ax.set_xscale), (log_y, ax.yaxis, ax.set_yscale)):
        if log:
            setter("log")
            axis.set_major_formatter(FormatStrFormatter("%g"))  # 1000, not 10^3
    ax.set_xlabel(f"{kind} p95 latency (ms{', log' if log_x else ''})")
    ax.set_ylabel(f"cost ($/hour{', log' if log_y else ''})")
    ax.set_title("cost vs p95: the frontier over the points meeting every SLO")
    ax.legend(loc="best", fontsize=8)
    return _png(fig)


def _spans_decades(values: list[float]) -> bool:
    finite = [v for v in values if math.isfinite(v) and v > 0]
    return bool(finite) and max(finite) / min(finite) >= DECADE


def attainment_heatmap(sweep: Sweep, points: list[PointResult]) -> str | None:
    plt = pyplot()
    fields = [f for f, values in sweep.spec.grid.items() if len(values) > 1][:2]
    if len(fields) < 2:
        return None
    xs, ys = sweep.spec.grid[fields[0]], sweep.spec.grid[fields[1]]
    grid = np.full((len(ys), len(xs)), np.nan)
    counts = np.zeros_like(grid)
    for p in points:
        i, j = ys.index(p.params[fields[1]]), xs.index(p.params[fields[0]])
        value = p.mean.get("slo_attainment", math.nan)
        grid[i, j] = (
            value if counts[i, j] == 0 else (grid[i, j] * counts[i, j] + value) / (counts[i, j] + 1)
        )
        counts[i, j] += 1
    fig, ax = plt.subplots(figsize=(6, 4))
    image = ax.imshow(grid, vmin=0, vmax=1, cmap="RdYlGn", origin="lower", aspect="auto")
    ax.set_xticks(range(len(xs)), [str(x) for x in xs])
    ax.set_yticks(range(len(ys)), [str(y) for y in ys])
    ax.set_xlabel(fields[0])
    ax.set_ylabel(fields[1])
    for (i, j), value in np.ndenumerate(grid):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.0%}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, label="windows meeting SLOs")
    ax.set_title("SLO attainment (averaged over other fields)")
    return _png(fig)


def latency_cdfs(samples: dict[str, dict[str, np.ndarray]]) -> str:
    """The chosen point's latency CDF per SLO kind against the base fleet (first seed)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, kinds in samples.items():
        for kind, values in kinds.items():
            if len(values):
                ax.plot(
                    values, np.arange(1, len(values) + 1) / len(values), label=f"{label} {kind}"
                )
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log)")
    ax.set_ylabel("fraction of requests")
    ax.legend(fontsize=8)
    ax.set_title("latency CDF: chosen point vs base")
    return _png(fig)


MEETS = (
    "meets SLOs (run): every SLO's metric over the whole run (mean of the seeds) within its "
    "target; windows meeting SLOs: the share of SLO windows in which every target held"
)


def verdicts(summary: dict[str, Any]) -> str:
    """The cheapest point meeting every SLO, per condition where the sweep has conditions."""
    groups = summary.get("by_condition") or [{"condition": {}, **summary}]
    lines = []
    for group in groups:
        where = ", ".join(f"{k} = {v}" for k, v in group["condition"].items())
        prefix = f"at {where}: " if where else ""
        best = group["best"]
        if best is None:
            lines.append(
                f"{prefix}no point meets every SLO; binding SLOs (points failing each): "
                f"{group['binding']}"
            )
            continue
        choice = {k: v for k, v in best["params"].items() if k not in group["condition"]}
        line = (
            f"{prefix}cheapest point meeting every SLO: {json.dumps(choice)} "
            f"at ${best['cost_usd_per_hour']:.2f}/h"
        )
        if group.get("ties"):
            line += (
                f" ({group['ties']} more cost the same: chosen for the most SLO headroom, "
                f"worst SLO at {best['slo_ratio']:.0%} of its target)"
            )
        lines.append(line)
    return "\n".join(lines)


def to_html(
    sweep: Sweep,
    points: list[PointResult],
    summary: dict[str, Any],
    samples: dict[str, dict[str, np.ndarray]],
) -> str:
    frontier = {p["index"] for p in summary["frontier"]}
    images = [cost_vs_p95(sweep, points, frontier)]
    heat = attainment_heatmap(sweep, points)
    images += [heat] if heat else []
    images.append(latency_cdfs(samples))
    verdict = "<br>".join(html.escape(line) for line in verdicts(summary).splitlines())
    rows = "\n".join(_row(p, p.index in frontier) for p in points)
    imgs = "\n".join(
        f'<img alt="plot" src="data:image/png;base64,{i}" width="700">' for i in images
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>what-if: {html.escape(sweep.spec.name)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}
table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px}}</style>
</head><body>
<h1>What-if: {html.escape(sweep.spec.name)}</h1>
<p>{html.escape(sweep.spec.description)}</p>
<p>{len(points)} points × {sweep.spec.seeds} seeds, {sweep.spec.duration_s:g} s of traffic each.
Latency comes from the latency profiles; GPU rows are roofline estimates unless measured.</p>
<p><strong>{verdict}</strong></p>
{imgs}
<h2>Points</h2>
<table><tr>{"".join(f"<th>{html.escape(name)}</th>" for name in COLUMNS)}</tr>
{rows}
</table>
<h3>The columns</h3>
<dl>{"".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in COLUMNS.items())}
</dl>
<p>{html.escape(SEEDS_NOTE.format(seeds=sweep.spec.seeds))}</p></body></html>
"""


COLUMNS = {
    "params": "the grid values of this point (dotted fleet or workload paths)",
    "$/h": "the fleet's cost per hour: replica-hours × the device's price, idle included "
    "(mean of the seeds; 95% Student-t interval across seeds, or 'every seed' where all "
    "seeds cost the same)",
    "p95 ms": "each SLO kind's 95th percentile latency over the run (mean of the seeds, "
    "with its 95% interval across seeds)",
    "SLO ratio": "the worst SLO's measured value over its target (the failed fraction's "
    "over its limit counts too): at most 1 meets every SLO, 0.8 is 20% headroom",
    "batch fill": "requests per batch over the pool's max batch size, averaged over batches",
    "padding waste": "the share of computed audio that was padding (1 − useful / padded)",
    "windows meeting SLOs": "the share of SLO windows (objectives.window_s) in which every "
    "target held",
    "meets SLOs (run)": "every SLO met over the whole run, on the mean of the seeds; if not, "
    "the SLO that binds",
    "frontier": "on the cost/headroom frontier of the points meeting every SLO: no cheaper "
    "point meeting every SLO has more headroom",
}
SEEDS_NOTE = (
    "Each point ran {seeds} seeds: the seeds change the audio lengths, the service-time "
    "noise and (for generated arrivals) the arrival times, so latency differs between "
    "seeds; cost does not where the replica count is fixed (no autoscaler) and the traffic "
    "replays a trace: those points cost the same on every seed."
)


def interval(p: PointResult, name: str, digits: int) -> str:
    """The mean with its 95% interval across seeds, or 'every seed' where they agree."""
    mean = p.mean.get(name, math.nan)
    low, high = p.ci.get(name, (math.nan, math.nan))
    runs = {round(r.get(name, math.nan), digits) for r in p.runs}
    if len(p.runs) > 1 and len(runs) == 1:
        return f"{mean:.{digits}f} (every seed)"  # the same to the digits shown
    if len(p.runs) <= 1 or not (math.isfinite(low) and math.isfinite(high)):
        return f"{mean:.{digits}f}"
    low = max(low, 0.0)  # costs and latencies are never negative; few seeds, wide t
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _row(p: PointResult, on_frontier: bool) -> str:
    p95 = "; ".join(
        f"{k.rsplit('.', 1)[0]} {interval(p, k, 0)}" for k in p.mean if k.endswith(".p95_ms")
    )
    cells = [
        json.dumps(p.params),
        interval(p, "cost_usd_per_hour", 2),
        p95,
        f"{p.slo_ratio:.2f}",
        f"{p.mean.get('mean_batch_fill', math.nan):.0%}",
        f"{p.mean.get('padding_waste', math.nan):.0%}",
        f"{p.mean.get('slo_attainment', math.nan):.0%}",
        "yes" if p.slo_met else f"no: {p.binding}",
        "*" if on_frontier else "",
    ]
    return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
