"""Replaying a transcript with a cold cache: what an examiner waits for a score.

Each replay runs in a fresh process with an empty run cache (nothing simulated before it),
so it pays for every run its score reads: fault-free, no action, the expert's, the
trainee's and, for a trainee with other moves than the fix, those moves on their own. The
same process times one simulation of the scenario, so the figure is also given as a
multiple of one run (the runs are simulated side by side on the machine's cores)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from typing import Any

TARGET_S = 10.0
CASES = (
    ("gpu-cost-no-traffic", "expert"),
    ("gpu-cost-no-traffic", "naive"),
    ("voice-agent-first-response", "naive"),
)


def one_run_s(scenario_id: str) -> float:
    from drills.library.scenario import load_scenario, resolve_scenario
    from drills.runs.service import new_simulation
    from simulator.telemetry.bundle import build

    scenario = load_scenario(resolve_scenario(scenario_id))
    start = time.perf_counter()
    sim = new_simulation(scenario, scenario.timeline)
    sim.run()
    build(sim)
    return time.perf_counter() - start


def cold_replay_s(scenario_id: str, transcript: str) -> float:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SPEECHDRILL_CACHE": cache, "SPEECHDRILL_HOME": cache}
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "drills", "drill", "replay", scenario_id, transcript, "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return elapsed


def replay_times() -> dict[str, Any]:
    out: dict[str, Any] = {"target_wall_s": TARGET_S, "cores": os.cpu_count() or 1}
    for scenario_id, transcript in CASES:
        run = one_run_s(scenario_id)
        replay = cold_replay_s(scenario_id, transcript)
        name = f"{scenario_id}:{transcript}"
        out[f"{name} cold_wall_s"] = replay
        out[f"{name} one_run_s"] = run
        out[f"{name} runs_worth"] = replay / run
    return out


DEBRIEF_CASES = (("gpu-cost-no-traffic", "naive"), ("gpu-cost-no-traffic", "slow"))


def debrief_times() -> dict[str, Any]:
    """What a report's debrief adds to a scored replay: its counterfactual and
    without-this-move runs (forked from the page, side by side), as wall seconds and as a
    multiple of one whole run of the scenario."""
    from drills.judge.debrief import debrief
    from drills.judge.scoring import references, replay, score
    from drills.library.paths import library_root
    from drills.library.scenario import load_key, load_scenario
    from drills.play.transcript import load_transcript
    from drills.runs.service import Runs

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as cache:
        os.environ["SPEECHDRILL_CACHE"] = cache
        try:
            for scenario_id, name in DEBRIEF_CASES:
                directory = library_root() / scenario_id
                scenario = load_scenario(directory / "scenario.yaml")
                key = load_key(directory / "key.yaml", scenario)
                runs = Runs()
                refs = references(scenario, directory, runs)
                drill = replay(
                    scenario, load_transcript(directory / "transcripts" / f"{name}.yaml"), runs
                )
                result = score(drill, key, refs)
                found = debrief(drill, key, refs, result)
                run = one_run_s(scenario_id)
                label = f"{scenario_id}:{name}"
                out[f"{label} debrief_wall_s"] = found.seconds
                out[f"{label} decisions"] = len(found.decisions)
                out[f"{label} moves_costed"] = len(found.move_costs)
                out[f"{label} runs_worth"] = found.seconds / run
        finally:
            os.environ.pop("SPEECHDRILL_CACHE", None)
    return out


def tree_share(scenario_id: str = "gpu-cost-no-traffic") -> dict[str, Any]:
    """The trainees' own runs of a ranking (the expert, the naive trainee and the cheats of
    tests/adversarial/; a score also reads some moves on their own) simulated as a tree of
    shared actions (drills/runs/tree.py): the simulated minutes it plans against forking
    every run from the page, and the wall seconds the batch took."""
    from pathlib import Path

    from drills.judge.scoring import replay
    from drills.library.paths import library_root
    from drills.library.scenario import load_scenario
    from drills.play.transcript import load_transcript
    from drills.runs.service import Runs
    from drills.runs.tree import Branch, simulated_s

    directory = library_root() / scenario_id
    scenario = load_scenario(directory / "scenario.yaml")
    paths = [directory / "transcripts" / f"{n}.yaml" for n in ("expert", "naive")]
    paths += sorted(
        (Path(__file__).parents[1] / "tests" / "adversarial" / scenario_id).glob("*.yaml")
    )
    with tempfile.TemporaryDirectory() as cache:
        runs = Runs(folder=Path(cache), keep_on_disk=len(paths) + 1)
        timelines = [replay(scenario, load_transcript(p, scenario), runs).timeline for p in paths]
        n, page = len(scenario.timeline), scenario.spec.clock.start_s
        batch = {runs.key(scenario, t): t for t in timelines if t[:n] == scenario.timeline}
        branches = [Branch(k, tuple(t[n:])) for k, t in batch.items() if len(t) > n]
        start = time.perf_counter()
        runs.prefetch(scenario, timelines)
        wall = time.perf_counter() - start
    tree = simulated_s(branches, page, scenario.spec.duration_s)
    each = len(branches) * (scenario.spec.duration_s - page)
    return {
        "scenario": scenario_id,
        "runs_with_actions": len(branches),
        "tree_simulated_min": tree / 60.0,
        "forked_each_simulated_min": each / 60.0,
        "tree_over_forked_each": tree / each,
        "batch_wall_s": wall,
    }
