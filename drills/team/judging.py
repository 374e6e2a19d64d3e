"""The one adapter between team drills and drills/judge: the language judge (the answer
matcher and the cause catalogue) and the drill score, as the team package uses them.
Everything else in drills/team goes through these few functions, so a change to the
judge's modules is a change here only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from drills.judge.causes import match_cause
from drills.judge.debrief import report_parts
from drills.judge.matcher import Concept, expand, match_concept, statements
from drills.judge.scoring import (
    FULL_EVIDENCE,
    Assessed,
    Evidence,
    References,
    assess,
    fixes,
    gather_evidence,
    references,
)
from drills.library.scenario import AnswerKey, LoadedScenario
from drills.play.drill import Drill
from drills.runs.service import Runs

# the share of the key's evidence that earns a diagnosis in full: a cause may be announced
# to stakeholders once the team has read that much
EVIDENCE_FOR_A_CAUSE = FULL_EVIDENCE

__all__ = [
    "EVIDENCE_FOR_A_CAUSE",
    "Assessed",
    "Phrases",
    "References",
    "TeamEvidence",
    "check_groups",
    "debrief_parts",
    "drill_score",
    "fixing_moves",
    "named_cause",
    "reference_runs",
    "sentences",
    "team_evidence",
]


def check_groups(groups: Sequence[Sequence[str]]) -> None:
    """Concept groups as a key writes them (phrasings, `@synonym` sets): ValueError if a
    group is empty or names an unknown set."""
    for group in groups:
        if not group:
            raise ValueError("a concept group is empty")
        expand(group)


@dataclass(frozen=True)
class Phrases:
    """A concept (all of its groups in one statement), read by the answer matcher. Read
    into a concept on first use, not when the module is imported: reading every phrase
    costs seconds that a process starting for anything else should not pay."""

    name: str
    groups: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, name: str, groups: Sequence[Sequence[str]]) -> Phrases:
        return cls(name, tuple(tuple(group) for group in groups))

    @property
    def concept(self) -> Concept:
        return _concept(self.name, self.groups)

    def says(self, text: str) -> bool:
        """Stated, and not negated ("we have not rolled back" does not say a rollback)."""
        found = match_concept(self.concept, text)
        return found is not None and not found.negated

    def mentions(self, text: str) -> bool:
        """Stated either way: "no user-facing impact" states the impact."""
        return match_concept(self.concept, text) is not None


@cache
def _concept(name: str, groups: tuple[tuple[str, ...], ...]) -> Concept:
    return Concept.of(name, groups)


def sentences(text: str) -> list[str]:
    """A post split into statements the way the judge splits answers."""
    return [statement.text for statement in statements([text])]


def named_cause(text: str) -> str | None:
    """The catalogue cause a statement names (None: none, or several)."""
    return match_cause(text)[0]


@dataclass(frozen=True)
class TeamEvidence:
    """The key's evidence the team read: by signal, the move that first read it."""

    found: Evidence
    key: AnswerKey

    def first_read(self) -> dict[str, int]:
        return {signal: index for signal, (_, index) in self.found.readings.items()}

    def share_before(self, move_index: int) -> float:
        """The share of the key's evidence read in the moves before this one."""
        return self.found.share(self.key, before=move_index)


def team_evidence(drill: Drill, key: AnswerKey) -> TeamEvidence:
    return TeamEvidence(gather_evidence(drill, key), key)


def fixing_moves(drill: Drill, key: AnswerKey) -> list[tuple[int, str]]:
    """Each fault's fix as (the move's index, the key mitigation it did the work of)."""
    return [(fix[0].index, fix[1].id) for fix in fixes(drill, key) if fix is not None]


def reference_runs(scenario: LoadedScenario, runs: Runs) -> References:
    return references(scenario, scenario.directory, runs)


def drill_score(drill: Drill, refs: References | None, key: AnswerKey | None) -> Assessed:
    """The individual score of the team's combined drill (every member's moves, in the
    order they were played, on the one fleet)."""
    return assess(drill, refs, key)


def debrief_parts(assessed: Assessed, counterfactuals: bool = True) -> tuple[Any, Any]:
    """The key curves and the debrief of the combined drill, as an individual's report has."""
    return report_parts(
        assessed.drill, assessed.key, assessed.refs, assessed.score, counterfactuals
    )
