"""speechdrill's simulator: a discrete-event model of a speech serving fleet.

    telemetry = simulator.run(fleet, workload, timeline, seed=7, duration_s=600)

is a pure function of its arguments: the same inputs give identical telemetry.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from simulator.engine.loop import Simulation
from simulator.spec.fleet import Fleet
from simulator.spec.profiles import ProfileLibrary, shipped_library
from simulator.spec.timeline import PathError, TimelineEvent, set_path
from simulator.spec.workload import RequestArrays, Workload, generate
from simulator.telemetry.bundle import Telemetry, build
from simulator.telemetry.summary import summarize

# numpy asks the kernel for transparent huge pages for arrays of 4 MB and more; a run makes
# and frees hundreds of them, and zeroing 2 MB pages made a scenario's run and its tables
# about 30% slower on the 2-core VM (docs/layout.md). NUMPY_MADVISE_HUGEPAGE=1 asks again.
if "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
    np._core.multiarray._set_madvise_hugepage(False)  # type: ignore[attr-defined]

__all__ = [
    "Fleet",
    "Telemetry",
    "TimelineEvent",
    "Workload",
    "check_timeline",
    "code_version",
    "run",
    "run_requests",
    "start",
    "summarize",
]


def run(
    fleet: Fleet,
    workload: Workload,
    timeline: list[TimelineEvent] | None = None,
    *,
    seed: int = 0,
    duration_s: float = 600.0,
    profiles: ProfileLibrary | None = None,
    base_dir: Path | None = None,
    progress: Callable[[float], None] | None = None,
) -> Telemetry:
    """Simulate `duration_s` of arrivals (work in flight then drains) and build telemetry."""
    sim = start(
        fleet, workload, timeline, seed=seed, duration_s=duration_s, profiles=profiles,
        base_dir=base_dir, progress=progress,
    )  # fmt: skip
    sim.run()
    return build(sim)


def run_requests(
    fleet: Fleet,
    requests: RequestArrays,
    timeline: list[TimelineEvent],
    *,
    seed: int,
    duration_s: float,
    profiles: ProfileLibrary | None = None,
    progress: Callable[[float], None] | None = None,
) -> Telemetry:
    sim = Simulation(
        fleet,
        requests,
        timeline,
        seed,
        duration_s,
        profiles or shipped_library(),
        progress=progress,
    )
    sim.run()
    return build(sim)


def start(
    fleet: Fleet,
    workload: Workload,
    timeline: list[TimelineEvent] | None = None,
    *,
    seed: int = 0,
    duration_s: float = 600.0,
    profiles: ProfileLibrary | None = None,
    base_dir: Path | None = None,
    progress: Callable[[float], None] | None = None,
) -> Simulation:
    """The same run as `run`, not yet started: `advance(t)` it, `add_event` at its pause
    point, `build` its telemetry so far; it ends as `run` would with the same events."""
    requests = generate(workload, duration_s, seed, base_dir or Path.cwd())
    library = profiles or shipped_library()
    return Simulation(fleet, requests, timeline or [], seed, duration_s, library, progress=progress)


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the simulator's code and profiles: cached runs (a drill's, a sweep's)
    expire when either changes."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *root.glob("data/profiles/*.json")]):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def check_timeline(fleet: Fleet, timeline: list[TimelineEvent]) -> list[tuple[int, str]]:
    """Apply every event to a copy of the fleet in time order; (event index, problem)."""
    scratch = copy.deepcopy(fleet)
    problems = []
    order = sorted(range(len(timeline)), key=lambda i: timeline[i].at_s)
    for i in order:
        for path, value in timeline[i].set.items():
            try:
                set_path(scratch, path, value)
            except PathError as exc:
                problems.append((i, str(exc)))
    return problems
