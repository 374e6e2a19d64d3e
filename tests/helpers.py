"""Small fleets and hand-made request arrays for exact, hand-checkable tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from drills.runs.cache import DiskReads
from drills.runs.service import Runs
from simulator.engine.loop import Simulation
from simulator.spec.fleet import FAMILIES, Fleet
from simulator.spec.profiles import LatencyProfile, ProfileLibrary
from simulator.spec.timeline import TimelineEvent
from simulator.spec.workload import RequestArrays
from simulator.telemetry.bundle import Telemetry, build

# The scenarios each simulated per-scenario matrix (the adversarial ranking, the reference
# alert rules, the 3σ signals) checks in `make test`: embedding cost, streaming ASR and
# TTS, the three kinds of fault the course opens with (test_compound ranks the two-fault
# scenarios' own cheats). The rest of the library carries the `full` marker and runs in
# `make test-full` (CI runs both); what needs no simulation checks every scenario.
# one run service for the tests of a process (as one front end holds one): a run one test
# simulates is read back by the next
RUNS = Runs(memory=5)  # a score reads up to five runs; each holds hundreds of MB
# the runs a process's consoles read from disk: each console test makes an app of its own
# (its own memory cache), and most of what they read back the test before had read
READS = DiskReads(4)

SAMPLE = ("gpu-cost-no-traffic", "streaming-partials-unstable", "tts-first-audio-byte")
# the heaviest matrices (the cheat ranking, every expert path through the page: ~20 trainees'
# runs a scenario) sample one scenario in `make test`, the other sixteen in `make test-full`
QUICK = ("gpu-cost-no-traffic",)


def library_params(folders: list[Path], sample: tuple[str, ...] = SAMPLE) -> list[Any]:
    """One pytest param per scenario folder, the ones outside `sample` marked `full`."""
    return [
        pytest.param(f, id=f.name, marks=() if f.name in sample else pytest.mark.full)
        for f in folders
    ]


# latency(b, L) = 100 ms + 10 ms per item + 20 ms per audio second of the longest item
LINEAR = LatencyProfile(
    name="linear",
    family="asr-batch",
    device="cpu",
    source="synthetic",
    batch_sizes=[1, 2, 4, 8],
    lengths=[1.0, 5.0, 10.0],
    latency_ms=[[100 + 10 * b + 20 * length for length in (1.0, 5.0, 10.0)] for b in (1, 2, 4, 8)],
    spread_cv=0.0,
)


DOUBLE = [[2 * v for v in row] for row in LINEAR.latency_ms]


def linear_ms(batch: int, longest: float) -> float:
    return 100 + 10 * batch + 20 * longest


def library() -> ProfileLibrary:
    return ProfileLibrary(
        [
            LINEAR,
            LINEAR.model_copy(update={"device": "gpu-l4"}),
            LINEAR.model_copy(update={"name": "linear-nokv", "latency_ms": DOUBLE}),
        ]
    )


def fleet(model: dict[str, Any] | None = None, **pool: Any) -> Fleet:
    """One pool `p` of the linear model on cpu; zero-cost side stages unless overridden."""
    stages = pool.pop("stages", None)
    model_spec = {"family": "asr-batch", "version": "1", "profile": "linear"}
    model_spec.update(model or {})
    spec = {"device": "cpu", "model": "m", "replicas": 1, "service_noise": {"dist": "none"}}
    spec.update(pool)
    zero = {"base_ms": 0.0, "per_audio_s_ms": 0.0}
    return Fleet.model_validate(
        {
            "name": "test",
            "models": {"m": model_spec},
            "pools": {"p": spec},
            "stages": stages
            or {
                "ingress": zero,
                "preprocess": zero,
                "route": zero,
                "postprocess": zero,
                "observe": zero,
            },
            "routes": [{"pool": "p"}],
            "slos": {kind: {"p95_ms": 1000, "timeout_ms": 5000} for kind in FAMILIES},
        }
    )


def requests(
    arrivals: list[float],
    audio: list[float] | None = None,
    kind: str = "asr-batch",
    invalid: list[bool] | None = None,
    u_route: list[float] | None = None,
    tenants: list[str] | None = None,
) -> RequestArrays:
    n = len(arrivals)
    tenant_names = tenants or ["default"] * n
    vocab_tenants = list(dict.fromkeys(tenant_names))
    return RequestArrays(
        arrival_s=np.array(arrivals, dtype=float),
        stream=np.zeros(n, dtype=np.int16),
        kind=np.full(n, FAMILIES.index(kind), dtype=np.int8),
        tenant=np.array([vocab_tenants.index(t) for t in tenant_names], dtype=np.int16),
        language=np.zeros(n, dtype=np.int16),
        cohort=np.zeros(n, dtype=np.int16),
        slice=np.zeros(n, dtype=np.int16),
        audio_s=np.array(audio or [1.0] * n, dtype=float),
        invalid=np.array(invalid or [False] * n),
        u_route=np.array(u_route or [0.5] * n, dtype=float),
        u_mirror=np.linspace(0.0, 1.0, n, endpoint=False),
        u_jitter=np.full(n, 0.5),
        u_quality=np.full(n, 0.5),
        vocab={"tenant": vocab_tenants, "language": ["en"], "cohort": ["c"], "slice": ["s"]},
    )


def simulate(
    fleet_: Fleet,
    reqs: RequestArrays,
    timeline: list[TimelineEvent] | None = None,
    duration_s: float = 10.0,
    seed: int = 0,
) -> tuple[Simulation, Telemetry]:
    sim = Simulation(fleet_, reqs, timeline or [], seed, duration_s, library())
    sim.run()
    return sim, build(sim)


def speechdrill(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command line, as a user runs it (`python -m drills`)."""
    return subprocess.run(
        [sys.executable, "-m", "drills", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def expect(locator: Any) -> Any:
    """Playwright's retrying assertion, with the pages' own patience: after a click that
    posts a form, a count or a visibility is read once the new page has it, and on a busy
    host 5 s (the default) is not a verdict on the console."""
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=120_000)  # the same for every test: set, not changed
    return sync_api.expect(locator)


class DrawnMember:
    """A family member drawn for a candidate or a team: its rendered folder, and what only
    the examiner knows of it (the console's and the team console's leak checks read it)."""

    def __init__(self, folder: Path) -> None:
        from drills.library.family import drawn_member
        from drills.library.scenario import load_key, load_scenario
        from drills.play.transcript import load_transcript

        self.folder = folder
        self.member = drawn_member(folder)
        self.scenario = load_scenario(folder / "scenario.yaml")
        self.key = load_key(folder / "key.yaml", self.scenario)
        self.expert = load_transcript(folder / "transcripts" / "expert.yaml", self.scenario)

    def secrets(self, *also: str) -> list[str]:
        """What would tell a player their member: its id (also as words), its folder, its
        mechanism, its key's answer, signals, mitigations and harmful moves; and `also`."""
        key = self.key
        out = [self.member, self.member.replace("-", " "), key.cause, key.hidden_answer[:40]]
        out += [str(self.folder), self.folder.name, *also]
        out += [f.cause for f in key.faults()]
        out += [s.description[:30] for s in key.signals if s.description]
        out += [m.id for m in [*key.all_mitigations(), *key.harmful]]
        return [s for s in out if s]
