"""The latency CDF plot of a fidelity run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from real_backend.fidelity.results import FidelityRow


def plot_cdfs(rows: Sequence[FidelityRow], path: Path) -> None:
    """Latency CDFs per family: one colour per load; the real server solid, the simulator
    dashed, the simulator at the real run's speed dotted. Rows without artefacts are left
    out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = [(r, r.artefacts) for r in rows if r.artefacts is not None]
    families = sorted({r.family for r, _ in drawn})
    fig, axes = plt.subplots(1, len(families), figsize=(5 * len(families), 4), squeeze=False)
    for ax, family in zip(axes[0], families, strict=True):
        for k, (r, artefacts) in enumerate((r, a) for r, a in drawn if r.family == family):
            lines = [
                (artefacts.real_latency_ms, "-", "real"),
                (artefacts.sim_latency_ms, "--", "sim"),
                (artefacts.given_latency_ms, ":", "sim at run speed"),
            ]
            for latency, style, name in lines:
                values = np.sort(latency)
                ax.plot(
                    values,
                    np.linspace(0, 1, len(values)),
                    style,
                    color=f"C{k}",
                    label=f"{name} load {r.load:g}",
                )
        ax.set_xscale("log")
        ax.set_title(family)
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_ylabel("fraction of requests")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
