"""speechdrill's simulator: a discrete-event model of a speech serving fleet.

    telemetry = simulator.run(fleet, workload, timeline, seed=7, duration_s=600)

is a pure function of its arguments: the same inputs give identical telemetry.

The engine is imported on first use, not with the package: `import simulator.errors` (every
command line start) costs nothing of it.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from functools import lru_cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.engine.loop import Simulation
    from simulator.spec.fleet import Fleet
    from simulator.spec.profiles import ProfileLibrary
    from simulator.spec.timeline import TimelineEvent
    from simulator.spec.workload import RequestArrays, Workload
    from simulator.telemetry.bundle import Telemetry
    from simulator.telemetry.summary import summarize

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

_REEXPORTED = {
    "Fleet": "simulator.spec.fleet",
    "Telemetry": "simulator.telemetry.bundle",
    "TimelineEvent": "simulator.spec.timeline",
    "Workload": "simulator.spec.workload",
    "summarize": "simulator.telemetry.summary",
}


def __getattr__(name: str) -> Any:
    if name in _REEXPORTED:
        return getattr(import_module(_REEXPORTED[name]), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


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
    from simulator.telemetry.bundle import build

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
    from simulator.engine.loop import Simulation
    from simulator.spec.profiles import shipped_library
    from simulator.telemetry.bundle import build

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
    from simulator.engine.loop import Simulation
    from simulator.spec.profiles import shipped_library
    from simulator.spec.workload import generate

    requests = generate(workload, duration_s, seed, base_dir or Path.cwd())
    library = profiles or shipped_library()
    return Simulation(fleet, requests, timeline or [], seed, duration_s, library, progress=progress)


# the libraries whose arithmetic a run's numbers pass through (the random streams, the
# tables, the event loop, the parsed specs): a run simulated under other versions may differ
RUNTIME = ("numpy", "pandas", "scipy", "simpy", "pydantic", "pyarrow")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the simulator's code, the data it ships and reads (profiles, quality
    curves, traces), the Python it runs on and the versions of `RUNTIME`: cached runs (a
    drill's, a sweep's; a CI cache kept from one run of the suite to the next) expire when
    any of them changes."""
    import sys
    from importlib.metadata import version

    root = Path(__file__).parent
    digest = hashlib.sha256()
    data = [p for p in (root / "data").rglob("*") if p.is_file() and p.suffix != ".md"]
    for path in sorted([*root.rglob("*.py"), *data]):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    for name in RUNTIME:
        digest.update(f"{name}=={version(name)}".encode())
    return digest.hexdigest()[:16]


def check_timeline(fleet: Fleet, timeline: list[TimelineEvent]) -> list[tuple[int, str]]:
    """Apply every event to a copy of the fleet in time order; (event index, problem)."""
    from simulator.spec.timeline import PathError, set_path

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
