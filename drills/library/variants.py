"""Scenario variants: every candidate a fresh incident of known difficulty.

A scenario folder may hold `variants.yaml`: the parameters that vary between instances
(which cohort or pool the fault hits, its magnitude, its onset, the simulation seed, ...) as
choices or ranges, each with a default. Its scenario, key and transcripts then write
`${name}` wherever a parameter belongs: in the fault's params, the key's signal focus and
windows, the mitigations' targets, the expert's moves. Loaded as they are, the files are
the default variant; `instantiate` draws a variant from a seed (the same seed, the same
variant), renders the three kinds of file into a folder of their own, and `verify` checks
it as an author's scenario is checked: every key signal ≥ 3σ off its no-fault run, the
reference alert rules, the expert path ≥ 85 and the naive ≤ 40 (templated with the
variant's parameters), and a difficulty measured from the evidence inside the declared band.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drills.library.scenario import cause_onsets, load_key, load_scenario
from drills.library.variant_spec import VARIANTS_FILE, Band, substituter, variants_of
from drills.library.verify import verify
from drills.play.transcript import load_transcript
from drills.runs.service import Runs
from simulator.errors import InputError
from simulator.spec.fileio import read_yaml

MAX_DRAWS = 6  # a rejected variant is redrawn at most this many times


# --- instances ---------------------------------------------------------------------------


@dataclass
class Difficulty:
    weakest_sigma: float
    red_herrings: int
    expert_actions: int
    expert_moves: int
    faults: int
    points: int
    band: Band

    @classmethod
    def measure(
        cls, sigmas: list[float], herrings: int, actions: int, moves: int, faults: int
    ) -> Difficulty:
        """Points from the evidence: faint signals, red herrings, a fix needing several
        actions, a long path and compound faults each make an incident harder."""
        weakest = min(sigmas) if sigmas else 0.0
        points = int(weakest < 20) + int(weakest < 8) + herrings + max(0, actions - 1)
        points += int(moves > 6) + 2 * max(0, faults - 1)
        band: Band = "easy" if points <= 1 else "medium" if points <= 3 else "hard"
        return cls(round(weakest, 1), herrings, actions, moves, faults, points, band)


@dataclass
class Variant:
    scenario: str
    seed: int
    draw_seed: int  # the seed actually drawn from (after redraws)
    params: dict[str, Any]
    folder: Path
    checks: list[dict[str, Any]] = field(default_factory=list)
    difficulty: Difficulty | None = None
    rejected: list[dict[str, Any]] = field(default_factory=list)  # earlier draws and why
    member: str | None = None  # a symptom family's draw: the member incident (examiner only)
    candidate: int | None = None  # a family's draw: the candidate's index in the cohort

    @property
    def ok(self) -> bool:
        return self.difficulty is not None and all(c["ok"] for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["folder"] = str(self.folder)
        out["ok"] = self.ok
        return out


def _draw_seed(seed: int, attempt: int) -> int:
    if attempt == 0:
        return seed
    digest = hashlib.sha256(f"{seed}/{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def write_variant(source: Path, params: dict[str, Any], out: Path) -> None:
    """The scenario folder rendered with these parameters (no variants file: a plain
    scenario any command can load)."""
    if out.exists():
        shutil.rmtree(out)
    (out / "transcripts").mkdir(parents=True)
    files = [source / "scenario.yaml", source / "key.yaml"]
    files += sorted((source / "transcripts").glob("*.yaml"))
    for path in files:
        target = out / path.relative_to(source)
        data, _ = read_yaml(path, substituter(params, str(path)))
        target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    (out / "variant.json").write_text(json.dumps({"from": source.name, "params": params}) + "\n")


def instantiate(
    source: Path, seed: int, out: Path, verify: bool = True, runs: Runs | None = None
) -> Variant:
    """Draw a variant of the scenario in `source` from `seed`, render it into `out`, and
    (by default) verify it with `runs` (its own, by default), redrawing a rejected one up
    to MAX_DRAWS times."""
    spec = variants_of(source)
    if spec is None:
        raise InputError(str(source), VARIANTS_FILE, "a scenario with declared variants")
    rejected: list[dict[str, Any]] = []
    for attempt in range(MAX_DRAWS):
        draw_seed = _draw_seed(seed, attempt)
        params = spec.draw(draw_seed)
        write_variant(source, params, out)
        variant = Variant(source.name, seed, draw_seed, params, out, rejected=list(rejected))
        if not verify:
            return variant
        check(variant, spec.band, runs or Runs())
        if variant.ok:
            return variant
        failed = [c["name"] for c in variant.checks if not c["ok"]]
        rejected.append({"draw_seed": draw_seed, "params": params, "failed": failed})
    variant.rejected = rejected
    return variant


def check(variant: Variant, band: list[Band], runs: Runs) -> None:
    """The author's checks on the rendered variant, and its difficulty in the band."""
    scenario = load_scenario(variant.folder / "scenario.yaml")
    checks = verify(scenario, runs)
    variant.checks = [asdict(c) for c in checks]
    key = load_key(variant.folder / "key.yaml", scenario)
    expert = load_transcript(variant.folder / "transcripts" / "expert.yaml", scenario)
    faults = [t for t in scenario.spec.timeline if t.fault is not None]
    # a compound incident's second faults are causes too, not red herrings
    causes_at = set(cause_onsets(scenario, key))
    herrings = sum(1 for t in scenario.spec.timeline if t.at_s not in causes_at)
    variant.difficulty = Difficulty.measure(
        [c.value for c in checks if c.what == "signal"],
        herrings,
        sum(1 for m in expert.moves if m.act is not None),
        len(expert.moves),
        sum(1 for t in faults if t.at_s in causes_at),
    )
    variant.checks.append(
        {
            "what": "difficulty",
            "name": "band",
            "value": variant.difficulty.points,
            "expected": " or ".join(band),
            "ok": variant.difficulty.band in band,
        }
    )
