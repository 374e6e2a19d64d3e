"""What a team drill is made of, as files and forms write it: the team and its roles, the
channel's posts, the entries of a team's log, and a scenario's team plan.

A team's log is a list of entries, each one member's move or post, or the facilitator's
inject or end, in the order they happened. The same list is the journal a restarted
console resumes from and the transcript a test replays: the clocks and the channel's
timestamps are derived from it, never stored beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from drills.library.family import TEAM_PLAN, FamilyFile
from drills.library.scenario import LoadedScenario, Move, load_model
from drills.library.variant_spec import substituter
from drills.team.judging import check_groups
from simulator.errors import InputError
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import NonNeg, Pos, Strict

NAME = r"^[\w .'-]{1,60}$"
FACILITATOR = "facilitator"  # who an inject or an end is by (no member may take the name)
Role = Literal["commander", "investigator", "comms"]
ROLE_TITLES: dict[str, str] = {
    "commander": "incident commander",
    "investigator": "investigator",
    "comms": "communications",
}
Severity = Literal["sev1", "sev2", "sev3"]
Status = Literal["investigating", "identified", "monitoring", "resolved"]
TEXT = 2000  # the longest post a form takes


class Member(Strict):
    name: str = Field(pattern=NAME, description="letters, digits, spaces, . ' -")
    roles: list[Role] = Field(
        min_length=1, max_length=2, description="one role, or two (a person may hold two)"
    )

    @model_validator(mode="after")
    def _distinct(self) -> Member:
        if len(set(self.roles)) != len(self.roles):
            raise ValueError("a role listed twice")
        if self.name.strip().lower() == FACILITATOR:
            raise ValueError(f"{FACILITATOR!r} is the facilitator's name in the log")
        return self


class TeamSpec(Strict):
    """A team drill as the facilitator creates it."""

    team: str = Field(pattern=NAME, description="the team's name")
    scenario: str = Field(min_length=1)
    time_box_min: Pos | None = Field(None, description="default: the scenario's time box")
    members: list[Member] = Field(min_length=2, max_length=8)

    @model_validator(mode="after")
    def _roles(self) -> TeamSpec:
        names = [m.name for m in self.members]
        if len(set(names)) != len(names):
            raise ValueError("each member's name once")
        for role, wanted in (("commander", "exactly one"), ("comms", "exactly one")):
            holders = [m.name for m in self.members if role in m.roles]
            if len(holders) != 1:
                raise ValueError(f"{wanted} {ROLE_TITLES[role]} (found {len(holders)})")
        if not any("investigator" in m.roles for m in self.members):
            raise ValueError("one investigator at least")
        return self

    def holder(self, role: str) -> str:
        return next(m.name for m in self.members if role in m.roles)

    def holders(self, role: str) -> list[str]:
        return [m.name for m in self.members if role in m.roles]

    def roles_of(self, name: str) -> list[str]:
        return next((list(m.roles) for m in self.members if m.name == name), [])


# --- the channel's posts ---------------------------------------------------------------


class Message(Strict):
    kind: Literal["message"]
    text: str = Field(min_length=1, max_length=TEXT)


class Finding(Strict):
    """A look or query result of the poster's own, shared into the channel."""

    kind: Literal["finding"]
    move: int = Field(ge=1, description="the team's move number (as the console shows it)")
    text: str = Field("", max_length=500, description="what it shows, in the poster's words")


class SeverityPost(Strict):
    kind: Literal["severity"]
    level: Severity
    text: str = Field("", max_length=TEXT, description="why this severity")


class Assign(Strict):
    kind: Literal["assign"]
    workstream: str = Field(min_length=1, max_length=120)
    owner: str = Field(min_length=1, description="a member of the team")
    alert: int | None = Field(
        None,
        ge=1,
        description="the injected alert this workstream answers (1: the first injected); "
        "an owner given to a second alert acknowledges it",
    )


class Decision(Strict):
    kind: Literal["decision"]
    text: str = Field(min_length=1, max_length=TEXT, description="what was decided")
    reason: str = Field("", max_length=TEXT, description="why")


class Handover(Strict):
    kind: Literal["handover"]
    text: str = Field(min_length=1, max_length=TEXT, description="the state, what is next")
    to: str = Field("", max_length=120, description="who takes over")


class Update(Strict):
    """A stakeholder status update (the communications role)."""

    kind: Literal["update"]
    status: Status
    text: str = Field(min_length=1, max_length=TEXT)


class Inject(Strict):
    """The facilitator's stakeholder question or second alert."""

    kind: Literal["question", "alert"]
    text: str = Field(min_length=1, max_length=1000)
    source: str = Field("", max_length=120, description="who asks, or what paged")
    inject: str = Field("", max_length=60, description="the team plan's inject, if from it")


Post = Annotated[
    Message | Finding | SeverityPost | Assign | Decision | Handover | Update | Inject,
    Field(discriminator="kind"),
]
DECLARATIONS = ("severity", "assign", "decision", "handover")  # the commander's posts


class Entry(Strict):
    """One entry of a team's log: a member's move or post, the facilitator's inject or
    end (`by: facilitator`)."""

    by: str = Field(min_length=1)
    move: Move | None = None
    post: Post | None = None
    end: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one(self) -> Entry:
        if sum(x is not None for x in (self.move, self.post, self.end)) != 1:
            raise ValueError("each entry is exactly one of move, post, end")
        return self


class TeamTranscript(Strict):
    """A recorded team drill: the team and its log (tests, demos, replays)."""

    team: TeamSpec
    description: str = ""
    entries: Annotated[list[Entry], Field(min_length=1)]


# --- a scenario's team plan (scenarios/<id>/team.yaml) ---------------------------------


class PlannedInject(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: Literal["question", "alert"]
    source: str = Field(min_length=1, description="who asks, or what paged")
    text: str = Field(min_length=1)
    at_min: NonNeg | None = Field(None, description="when to inject it (a suggestion)")
    answer: list[list[str]] = Field(
        default_factory=list,
        description="concept groups (the answer matcher's) an update answering it states",
    )

    @model_validator(mode="after")
    def _groups(self) -> PlannedInject:
        check_groups(self.answer)
        return self


class CommsPlan(Strict):
    first_update_min: Pos = Field(10.0, description="first update due this long after the page")
    cadence_min: Pos = Field(15.0, description="the longest gap between updates")
    grace_min: NonNeg = Field(3.0, description="lateness forgiven (the clock moves in steps)")
    update_cost_s: NonNeg = Field(60.0, description="what writing an update costs its writer")


class TeamPlan(Strict):
    """What a facilitator judges a team by, beyond the answer key: the severity right for
    the page and why, the update cadence, how soon a second alert wants an owner, and the
    injects. Key material: never shown to a member (an inject's text is shown once
    injected)."""

    scenario: str
    severity: Severity
    severity_why: str = ""
    comms: CommsPlan = Field(default_factory=CommsPlan)
    alert_owner_min: Pos = Field(
        5.0,
        description="a second alert is acknowledged and given an owner within this many "
        "minutes of it (within twice as long: half)",
    )
    injects: list[PlannedInject] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct(self) -> TeamPlan:
        ids = [i.id for i in self.injects]
        if len(set(ids)) != len(ids):
            raise ValueError("each inject's id once")
        return self

    def inject(self, inject_id: str) -> PlannedInject | None:
        return next((i for i in self.injects if i.id == inject_id), None)


def load_plan(scenario: LoadedScenario) -> TeamPlan:
    """The scenario's team.yaml, or a plan from its briefing (the page's severity, the
    default cadence, no injects) where it has none. A symptom family's member has its
    family's (drills/library/family.py `write_member` renders it into the folder)."""
    path = scenario.directory / TEAM_PLAN
    if not path.is_file():
        return TeamPlan(scenario=scenario.spec.id, severity=scenario.spec.briefing.severity)
    plan: TeamPlan = load_model(path, TeamPlan)[0]
    return _checked(plan, path, scenario.spec.id)


def load_family_plan(family: FamilyFile) -> TeamPlan:
    """A symptom family's team plan (its team.yaml at the family's default parameters, or
    one from its briefing), as every member's team drill will play it: read when a team
    drill is created, before its member is drawn."""
    path = family.directory / TEAM_PLAN
    spec = family.spec
    if not path.is_file():
        return TeamPlan(scenario=spec.id, severity=spec.briefing.severity)
    data, node = read_yaml(path, substituter(family.defaults(), str(path)))
    if not isinstance(data, dict):
        raise InputError(str(path), "", f"expected a YAML mapping, found {type(data).__name__}")
    return _checked(validate_data(data, TeamPlan, str(path), node), path, spec.id)


def _checked(plan: TeamPlan, path: Path, scenario_id: str) -> TeamPlan:
    if plan.scenario != scenario_id:
        raise InputError(str(path), "scenario", f"expected {scenario_id!r}")
    return plan


def load_team_transcript(path: Path) -> TeamTranscript:
    transcript: TeamTranscript = load_model(path, TeamTranscript)[0]
    return transcript
