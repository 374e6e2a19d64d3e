"""What a cohort or a team drill is created for, and what each candidate or team plays:
one scenario (its own incident for everyone, or a fresh variant of it each), or a symptom
family (one page; each candidate, or each team, plays the member drawn for them,
drills/library/family.py `assign`: balanced across the cohort or the team session, a
pure function of the session's seed and the place in it).

Every page that names a cohort's or a team's incident asks here (`Console.incident`), and
every page that names a candidate's or a team's member asks `member_drawn` (through
`members_drawn` for a cohort), so that a family id works wherever a scenario id does. A
member is stored where a variant is: the folder the drill plays (`Candidate.scenario`, a
team's draw), whose `variant.json` names it; only the facilitator's pages read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drills.console.prepare import first_seed
from drills.console.store import Candidate, Cohort
from drills.library.family import (
    FAMILY_FILE,
    FamilyFile,
    Member,
    assign,
    drawn_member,
    family_dirs,
    load_family,
)
from drills.library.scenario import LoadedScenario
from drills.library.variant_spec import variants_of


@dataclass(frozen=True)
class Incident:
    """A scenario or a symptom family, as the facilitator's forms and pages name it."""

    id: str
    title: str
    difficulty: str
    time_box_min: float
    scenario: LoadedScenario | None = None  # one incident (or variants of it)
    family: FamilyFile | None = None  # one page, a member drawn for each candidate

    @property
    def members(self) -> list[Member]:
        return list(self.family.spec.members) if self.family is not None else []

    @property
    def varies(self) -> bool:
        """Whether each candidate can get an incident of their own: a family always
        does, a scenario where it declares variants."""
        if self.family is not None:
            return True
        return self.scenario is not None and variants_of(self.scenario.directory) is not None


def of_scenario(scenario: LoadedScenario) -> Incident:
    spec = scenario.spec
    return Incident(spec.id, spec.title, spec.difficulty, scenario.time_box_min, scenario=scenario)


def of_family(family: FamilyFile) -> Incident:
    spec = family.spec
    return Incident(spec.id, spec.title, spec.difficulty, family.time_box_min, family=family)


def library_families() -> dict[str, FamilyFile]:
    """Every symptom family of the library, by id (read once, when the console starts)."""
    return {d.name: load_family(d / FAMILY_FILE) for d in family_dirs()}


def members_drawn(
    incident: Incident, cohort: Cohort, candidates: list[Candidate]
) -> list[Member | None]:
    """The member each candidate (in the store's order, the order the preparer draws in)
    plays: the one rendered into their folder once drawn, and before that the one
    `assign` gives their place in the cohort, which the preparer will draw. None for
    each candidate of a scenario's cohort."""
    seed = first_seed(cohort)
    return [
        member_drawn(incident, who.scenario, seed, place) for place, who in enumerate(candidates)
    ]


def member_drawn(incident: Incident, folder: str, seed: int, place: int) -> Member | None:
    """The member place `place` of a session seeded `seed` plays (a cohort's candidate, a
    team session's team): the one rendered into `folder` once drawn, and before that the
    one `assign` gives, which the preparer will draw. None for a scenario."""
    if incident.family is None:
        return None
    spec = incident.family.spec
    stored = drawn_member(Path(folder)) if folder else None
    return spec.member(stored or assign(spec, seed, place))
