"""Where the scenario library lives and how a TARGET name resolves to a file."""

from __future__ import annotations

import os
from pathlib import Path

from simulator.errors import InputError


def library_root() -> Path:
    """The scenarios/ folder: $SPEECHDRILL_SCENARIOS, else the one beside the packages."""
    override = os.environ.get("SPEECHDRILL_SCENARIOS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "scenarios"


def resolve_target(target: str) -> Path:
    """A file path, or a name in the library: a scenario id or a shared fleet name."""
    path = Path(target)
    if path.is_file():
        return path
    root = library_root()
    candidates = [
        root / target / "scenario.yaml",
        root / "fleets" / f"{target}.yaml",
        root / "fleets" / target,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    fleets = sorted(p.stem for p in (root / "fleets").glob("*.yaml"))
    raise InputError(target, "", f"no such file, scenario or fleet; library fleets: {fleets}")
