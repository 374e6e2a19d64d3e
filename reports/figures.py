"""matplotlib, imported on the first figure: a command that draws nothing (most of them)
starts without it, about a third of a second sooner."""

from __future__ import annotations

from typing import Any


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
