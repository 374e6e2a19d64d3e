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


FRONTIER_KEYS = ("conditions", "by_condition", "frontier", "best", "binding")


def cost_vs_p95(sweep: Sweep, points: list[PointResult], frontier: set[int]) -> str:
    plt = pyplot()
    kind = next(iter(sweep.spec.objectives.slos))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    xs = [p.mean.get(f"{kind}.p95_ms", math.nan) for p in points]
    ys = [p.mean.get("cost_usd_per_hour", math.nan) for p in points]
    colours = ["tab:green" if p.slo_met else "tab:red" for p in points]
    ax.scatter(xs, ys, c=colours, s=28, zorder=3)
    on = sorted((xs[i], ys[i]) for i in frontier)
    if on:
        ax.step(*zip(*on, strict=True), where="post", color="black", lw=1, label="frontier")
    target = sweep.spec.objectives.slos[kind].p95_ms
    if target:
        ax.axvline(target, ls="--", color="grey", label=f"{kind} p95 SLO")
    ax.set_xlabel(f"{kind} p95 latency (ms)")
    ax.set_ylabel("cost ($/hour)")
    ax.set_title("cost vs p95 (green: meets every SLO)")
    ax.legend(loc="best", fontsize=8)
    return _png(fig)


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
<p>{html.escape(MEETS)}.</p>
<table><tr><th>params</th><th>$/h (95% CI)</th><th>SLO ratio</th><th>batch fill</th>
<th>padding waste</th><th>windows meeting SLOs</th><th>meets SLOs (run)</th><th>frontier</th></tr>
{rows}
</table></body></html>
"""


def _row(p: PointResult, on_frontier: bool) -> str:
    low, high = p.ci.get("cost_usd_per_hour", (math.nan, math.nan))
    return (
        f"<tr><td>{html.escape(json.dumps(p.params))}</td>"
        f"<td>{p.mean.get('cost_usd_per_hour', math.nan):.2f} [{low:.2f}, {high:.2f}]</td>"
        f"<td>{p.slo_ratio:.2f}</td><td>{p.mean.get('mean_batch_fill', math.nan):.0%}</td>"
        f"<td>{p.mean.get('padding_waste', math.nan):.0%}</td>"
        f"<td>{p.mean.get('slo_attainment', math.nan):.0%}</td>"
        f"<td>{'yes' if p.slo_met else 'no: ' + html.escape(p.binding)}</td>"
        f"<td>{'*' if on_frontier else ''}</td></tr>"
    )
