"""An alert rule's verdict as a report shows it: its firing minute by minute on the
incident and on the no-fault run, beside the fault, the page and the key's reference rule."""

from __future__ import annotations

import math
from typing import Any


def timeline_row(minutes: tuple[int, ...] | list[int], end_min: int) -> str:
    on = set(minutes)
    return "".join("█" if m in on else "·" for m in range(1, end_min + 1))


def timeline_lines(entry: dict[str, Any]) -> list[str]:
    """A rule's firing, minute by minute, on the incident and the no-fault run, beside the
    fault, the page and the key's reference rule (for a report's fixed-width block)."""
    end = int(entry["end_min"])
    onset, page = float(entry["onset_min"]), float(entry["page_min"])
    scale = "".join(str(m // 10 % 10) if m % 10 == 0 else "·" for m in range(1, end + 1))
    fault = "".join("█" if m >= onset else "·" for m in range(1, end + 1))
    paged = "".join("▲" if m == math.ceil(page) else " " for m in range(1, end + 1))
    rows = [
        ("minute (tens)", scale),
        ("fault", fault),
        ("page", paged.rstrip()),
        (f"{entry['alert']}, incident", timeline_row(entry["incident"], end)),
        (f"{entry['alert']}, no fault", timeline_row(entry["clean"], end)),
    ]
    reference = entry.get("reference")
    if isinstance(reference, dict):
        rows.append((f"key: {reference['alert']}", timeline_row(reference["incident"], end)))
    width = max(len(label) for label, _ in rows)
    return [f"{label:<{width}}  {row}" for label, row in rows]
