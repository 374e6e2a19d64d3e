"""Every kind of file a user writes, with the pydantic model that validates it: the JSON
Schemas editors use (`speechdrill scenario schema`, docs/schemas/) are generated from these
models, and tests/test_file_kinds.py validates each shipped example against its schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"
# the kinds' names, for a command line's choices without importing every model
KIND_NAMES = (
    "scenario", "key", "transcript", "variants", "fleet", "alert-rules", "exam-item",
    "exam-attempt", "sweep", "metric-map", "budgets", "manifest", "packet", "voice-agent",
    "eval-fixture", "quality-curve", "profile",
)  # fmt: skip


@dataclass(frozen=True)
class FileKind:
    name: str
    model: type[BaseModel]
    what: str
    examples: tuple[str, ...]  # globs under the repository root: the shipped examples

    def schema(self) -> dict[str, Any]:
        """The model's JSON Schema (validation mode: aliases such as an alert's `for`)."""
        found = self.model.model_json_schema(mode="validation")
        described = {"title": f"speechdrill {self.name}", "description": self.what}
        return {"$schema": SCHEMA_DRAFT, **found, **described}


def file_kinds() -> dict[str, FileKind]:
    """The kinds by name (imported here, not at the top: each pulls in its own domain)."""
    from drills.course.exam import Attempt, ExamItem
    from drills.course.release.asr_eval import EvalFixture
    from drills.course.release.budget import AgentBudget
    from drills.course.release.gate import Budgets, Manifest, MetricMap
    from drills.course.release.packet import RollbackPacket
    from drills.judge.alerts import RuleFile
    from drills.library.scenario import AnswerKey, Scenario, Transcript
    from drills.library.variant_spec import VariantSpec
    from simulator.spec.config import FleetFile
    from simulator.spec.profiles import LatencyProfile
    from simulator.spec.quality import QualityCurve
    from simulator.studies.sweep import SweepSpec

    kinds = [
        FileKind("scenario", Scenario, "a drill: fleet, workload, faults, briefing", (
            "scenarios/*/scenario.yaml",)),
        FileKind("key", AnswerKey, "a scenario's answer key (examiners only)", (
            "scenarios/*/key.yaml",)),
        FileKind("transcript", Transcript, "a trainee's moves and conclusion, replayable", (
            "scenarios/*/transcripts/*.yaml", "tests/alerts/rules-only.yaml")),
        FileKind("variants", VariantSpec, "a scenario folder's parameters (variants.yaml)", (
            "scenarios/*/variants.yaml",)),
        FileKind("fleet", FleetFile, "a serving fleet (pools, models, routes, SLOs)", (
            "scenarios/fleets/*.yaml",)),
        FileKind("alert-rules", RuleFile, "a Prometheus rule file of alerting rules", ()),
        FileKind("exam-item", ExamItem, "an item of the written exam", (
            "scenarios/exams/*.yaml",)),
        FileKind("exam-attempt", Attempt, "a candidate's answer to an exam item", ()),
        FileKind("sweep", SweepSpec, "a what-if capacity sweep", ("scenarios/whatif/*.yaml",)),
        FileKind("metric-map", MetricMap, "one model's eval by slice (the gate's input)", (
            "scenarios/release/asr-baseline.json", "scenarios/release/asr-candidate.json")),
        FileKind("budgets", Budgets, "the gate's slice budgets", (
            "scenarios/release/*budgets.yaml",)),
        FileKind("manifest", Manifest, "a release manifest (Prompt 4's gate list)", (
            "scenarios/release/asr-manifest.yaml",)),
        FileKind("packet", RollbackPacket, "a rollback packet (Exercise 2)", (
            "scenarios/*/rollback-packet.yaml", "tests/packets/*.yaml")),
        FileKind("voice-agent", AgentBudget, "a voice agent's stage budgets (Exercise 3)", (
            "scenarios/release/voice-agent.yaml",)),
        FileKind("eval-fixture", EvalFixture, "the real ASR eval's sentences and slices", (
            "scenarios/release/asr-eval.yaml",)),
        FileKind("quality-curve", QualityCurve, "a quality curve fitted to a real eval", (
            "simulator/data/quality/*.json",)),
        FileKind("profile", LatencyProfile, "a latency profile measured from kernels", (
            "simulator/data/profiles/*.json",)),
    ]  # fmt: skip
    return {kind.name: kind for kind in kinds}
