"""Symptom families: one page, several member incidents, each a different cause.

    scenarios/families/<id>/family.yaml   the page every member shows (title, briefing,
                                          severity, clock), the fleet and workload every
                                          member runs, the paging symptom and its band, the
                                          deploy log every member lists, what varies, and
                                          the members: which deploy carries each one's
                                          cause and the faults it injects
    scenarios/families/<id>/team.yaml     optional: the team plan every member's team
                                          drill plays (drills/team/model.py: TeamPlan)
    scenarios/families/<id>/<member>/     a new member's key.yaml and transcripts/
    scenarios/<member>/                   an existing scenario that is a member lends its
                                          key and transcripts (its own scenario.yaml plays
                                          on unchanged, under its own id)

A member drawn for a candidate is rendered into a folder of its own as a plain scenario
(`write_member`): the family's id, title and page, the family's deploy log with the
member's faults riding on one of its deploys (the others change nothing the fleet model
sees), and the member's key and transcripts with the drawn parameters. Nothing a
candidate can see names the member: only the telemetry tells the causes apart.

Which member a candidate draws is a pure function of (family, cohort seed, candidate
index) (`assign`): every round of as many candidates as there are members draws each
member once, in an order shuffled from the cohort seed, so a cohort is balanced and no
two neighbours can count on the same cause.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from drills.judge.causes import CATALOG
from drills.judge.matcher import Concept, match_concept
from drills.library.paths import library_root
from drills.library.scenario import Briefing, Clock, FleetRef, time_box_min
from drills.library.variant_spec import PLACEHOLDER, Band, Param, substituter
from simulator.errors import InputError
from simulator.spec.faults import FAULTS
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import Fleet, NonNeg, Pos, Strict
from simulator.spec.timeline import Announcement
from simulator.spec.workload import Workload

FAMILY_FILE = "family.yaml"
FAMILIES_DIR = "families"
# a family's team plan (drills/team/model.py: TeamPlan), rendered into every member's
# folder: the same severity, cadence and injects whichever member a team drew (an inject
# that differed by member would tell the team its member)
TEAM_PLAN = "team.yaml"
# what a member's scenario takes from its family as written: everything a candidate sees
# before the first look, and the fleet they act on
SHARED = (
    "title",
    "difficulty",
    "tags",
    "source",
    "estimated_minutes",
    "fleet",
    "workload",
    "duration_s",
    "seed",
    "briefing",
    "clock",
)


class Deploy(Strict):
    """A line of the deploy log every member lists; in one member it carries the cause."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    at_s: NonNeg
    announce: Announcement = Field(
        description="what the events table shows: what was deployed, never what it does"
    )
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="what this deploy changes in every member (default: nothing the fleet "
        "model sees; the member whose cause it carries adds its faults)",
    )


class MemberFault(Strict):
    fault: str = Field(json_schema_extra={"enum": list(sorted(FAULTS))})
    params: dict[str, Any] = Field(default_factory=dict)


class Member(Strict):
    """One cause of the family's page: the deploy that carries it and the faults it
    injects there; its key and transcripts live in its folder."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    deploy: str = Field(description="the id of the deploy that carries this cause")
    faults: list[MemberFault] = Field(min_length=1)
    vary: dict[str, Param] = Field(
        default_factory=dict, description="this member's own parameters (magnitudes)"
    )
    description: str = Field("", description="for authors: the mechanism")


class PageSymptom(Strict):
    """A paging symptom measured at the page, against the no-fault run: a metric (per
    interval, summed over its labels) or user requests (first attempts, no shadows): a
    column's mean or p95 (or that of its worst segment), the share of requests with any
    column over its limit, or the worst of several columns' ratios to the no-fault run (an
    experience index whose page says it is off, not which of its parts moved)."""

    id: str = Field(min_length=1)
    description: str = ""
    metric: str | None = Field(None, description="a `metrics` name")
    labels: list[str] = Field(default_factory=list, description="only these label values")
    requests: dict[str, str | list[str]] | None = Field(
        None, description="which user requests (a filter on requests columns)"
    )
    column: str | None = None
    stat: Literal["mean", "p95"] = "mean"
    over: dict[str, float] = Field(
        default_factory=dict, description="the share of requests with any column over this"
    )
    worst_of: dict[str, Literal["mean", "p95"]] = Field(
        default_factory=dict,
        description="columns and their statistic: the largest ratio to the no-fault run",
    )
    by: list[str] = Field(
        default_factory=list,
        description="with `column`: the worst group of these dimensions (the segment whose "
        "ratio to the no-fault run is largest), as a dashboard of segments would page",
    )
    ratio: tuple[float, float] | None = Field(None, description="band: incident / no-fault")
    value: tuple[float, float] | None = Field(None, description="band: the incident's value")

    @model_validator(mode="after")
    def _one_kind(self) -> PageSymptom:
        if (self.metric is None) == (self.requests is None):
            raise ValueError("give `metric` or `requests`")
        kinds = [self.column is not None, bool(self.over), bool(self.worst_of)]
        if self.requests is not None and sum(kinds) != 1:
            raise ValueError("with `requests`, give a `column` (and `stat`), `over` or `worst_of`")
        if (self.worst_of or self.by) and (self.ratio is None or self.value is not None):
            raise ValueError("`worst_of` and `by` are ratios to the no-fault run: give `ratio`")
        if self.by and self.column is None:
            raise ValueError("`by` needs a `column`")
        if self.ratio is None and self.value is None:
            raise ValueError("give a band: `ratio` (against the no-fault run) or `value`")
        for band in (self.ratio, self.value):
            if band is not None and band[0] > band[1]:
                raise ValueError("a band is [low, high] with low ≤ high")
        return self


class Page(Strict):
    window_s: tuple[NonNeg, NonNeg] = Field(description="where the symptom is measured")
    symptoms: list[PageSymptom] = Field(min_length=1)


class Family(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1, description="the family's symptom, never a cause")
    difficulty: Band = "hard"
    band: list[Band] = Field(
        min_length=1, description="the measured difficulty every drawn member must fall in"
    )
    tags: list[str] = Field(default_factory=list)
    source: str = Field(min_length=1)
    estimated_minutes: Pos = 30.0
    fleet: FleetRef | Fleet
    workload: Workload | None = None
    duration_s: Pos = 3600.0
    seed: int = 0
    briefing: Briefing
    clock: Clock
    page: Page
    deploys: list[Deploy] = Field(min_length=2)
    params: dict[str, Param] = Field(default_factory=dict)
    members: list[Member] = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> Family:
        deploys = [d.id for d in self.deploys]
        members = [m.id for m in self.members]
        for name, ids in (("deploy", deploys), ("member", members)):
            if len(set(ids)) < len(ids):
                raise ValueError(f"each {name} id once")
        for member in self.members:
            if member.deploy not in deploys:
                raise ValueError(f"member {member.id}: no deploy {member.deploy!r} in {deploys}")
            for fault in member.faults:
                if fault.fault not in FAULTS:
                    raise ValueError(f"member {member.id}: unknown fault {fault.fault!r}")
        return self

    def member(self, member_id: str) -> Member:
        for member in self.members:
            if member.id == member_id:
                return member
        raise InputError(self.id, "members", f"one of {[m.id for m in self.members]}")

    def deploy(self, deploy_id: str) -> Deploy:
        return next(d for d in self.deploys if d.id == deploy_id)


class _Declared(BaseModel):
    """What a family file declares before its placeholders are rendered."""

    model_config = ConfigDict(extra="ignore")

    class _Vary(BaseModel):
        model_config = ConfigDict(extra="ignore")
        id: str = ""
        vary: dict[str, Param] = Field(default_factory=dict)

    params: dict[str, Param] = Field(default_factory=dict)
    members: list[_Vary] = Field(default_factory=list)


@dataclass
class FamilyFile:
    """A family file (written with `${name}` placeholders): what varies, for the family
    and for each member, and the family as its defaults render it."""

    path: Path
    params: dict[str, Param]
    vary: dict[str, dict[str, Param]]  # by member
    spec: Family
    deploy_params: tuple[str, ...] = ()  # the parameters that place a deploy in time

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def time_box_min(self) -> float:
        """Every member's time box (they share the family's clock and duration)."""
        return time_box_min(self.spec.clock, self.spec.duration_s)

    def defaults(self, member: str | None = None) -> dict[str, Any]:
        return _defaults(self.params, self.vary, member)

    def rendered(self, params: dict[str, Any]) -> tuple[Family, dict[str, Any]]:
        """The family with these parameters: the model and its data as written."""
        return _render_family(self.path, params)

    def member_params(self, member: str, drawn: dict[str, Any]) -> dict[str, Any]:
        """The parameters a member's files render with: the drawn ones, and `onset_s`,
        when the deploy that carries its cause lands."""
        params = self.defaults(member) | drawn
        family, _ = self.rendered(params)
        return params | {"onset_s": _number(family.deploy(family.member(member).deploy).at_s)}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def family_dirs() -> list[Path]:
    root = library_root() / FAMILIES_DIR
    return sorted(p.parent for p in root.glob(f"*/{FAMILY_FILE}"))


def find_family(target: str) -> Path | None:
    """The family file a target names (a family id, its folder or its file), or None."""
    path = Path(target)
    if path.is_file() and path.name == FAMILY_FILE:
        return path
    if path.is_dir() and (path / FAMILY_FILE).is_file():
        return path / FAMILY_FILE
    candidate = library_root() / FAMILIES_DIR / target / FAMILY_FILE
    return candidate if candidate.is_file() else None


def resolve_family(target: str) -> Path:
    found = find_family(target)
    if found is None:
        known = [p.name for p in family_dirs()]
        raise InputError(target, "", f"no such symptom family; the library has {known}")
    return found


def load_family(path: Path) -> FamilyFile:
    source = str(path)
    data, node = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(source, "", f"expected a YAML mapping, found {type(data).__name__}")
    declared = validate_data(data, _Declared, source, node)
    params, vary = dict(declared.params), {m.id: dict(m.vary) for m in declared.members}
    spec, _ = _render_family(path, _defaults(params, vary, None))
    timing = [PLACEHOLDER.fullmatch(str(d.get("at_s", ""))) for d in data.get("deploys", [])]
    deploy_params = tuple(m.group(1) for m in timing if m is not None)
    return FamilyFile(path, params, vary, spec, deploy_params)


def _defaults(
    params: dict[str, Param], vary: dict[str, dict[str, Param]], member: str | None
) -> dict[str, Any]:
    """Every member's magnitudes at their defaults (so any member's placeholders render),
    the family's parameters, and this member's own."""
    out: dict[str, Any] = {}
    for declared in vary.values():
        out |= {name: p.default for name, p in declared.items()}
    out |= {name: p.default for name, p in params.items()}
    if member is not None:
        out |= {name: p.default for name, p in vary[member].items()}
    return out


def _render_family(path: Path, params: dict[str, Any]) -> tuple[Family, dict[str, Any]]:
    source = str(path)
    data, node = read_yaml(path, substituter(params, source))
    return validate_data(data, Family, source, node), data


# --- members: their folders and their rendered scenarios ---------------------------------


def member_dir(family: FamilyFile, member: str) -> Path:
    """Where a member's key and transcripts live: the family's folder, or the library's
    scenario of that id (an existing scenario that became a member)."""
    for folder in (family.directory / member, library_root() / member):
        if (folder / "key.yaml").is_file():
            return folder
    raise InputError(
        str(family.path),
        f"members[{member}]",
        f"a folder with key.yaml and transcripts/ at {family.directory / member} or "
        f"{library_root() / member}",
    )


def member_scenario(family: Family, data: dict[str, Any], member_id: str) -> dict[str, Any]:
    """The member as a plain scenario: the family's page and fleet, the deploy log with the
    member's faults at the deploy that carries them (its announcement on the first)."""
    member = family.member(member_id)
    timeline: list[dict[str, Any]] = []
    for deploy in family.deploys:
        announce = deploy.announce.model_dump(exclude_defaults=False)
        items: list[dict[str, Any]] = []
        if deploy.id == member.deploy:
            items += [{"fault": f.fault, "params": f.params} for f in member.faults]
        if deploy.set:
            items.append({"set": deploy.set})
        if not items:
            items.append({})
        items[0]["announce"] = announce
        timeline += [{"at_s": _number(deploy.at_s), **item} for item in items]
    timeline.sort(key=lambda item: float(item["at_s"]))  # stable: a deploy's items together
    scenario: dict[str, Any] = {"id": family.id}
    scenario |= {name: data[name] for name in SHARED if name in data}
    scenario["timeline"] = timeline
    return scenario


def write_member(
    family: FamilyFile, member_id: str, params: dict[str, Any], out: Path, **meta: Any
) -> dict[str, Any]:
    """A member rendered into `out` as a plain scenario folder (scenario.yaml, key.yaml,
    transcripts/, the family's team.yaml if it has one, variant.json): every file under
    the family's id. Returns its own parameters (the family's, its magnitudes, its
    onset)."""
    params = family.member_params(member_id, params)
    spec, data = family.rendered(params)
    own = set(family.params) | set(family.vary[member_id]) | {"onset_s"}
    source = member_dir(family, member_id)
    if out.exists():
        shutil.rmtree(out)
    (out / "transcripts").mkdir(parents=True)
    scenario = member_scenario(spec, data, member_id)
    header = f"# a member of the symptom family {spec.id}, rendered: examiner's copy\n"
    (out / "scenario.yaml").write_text(header + yaml.safe_dump(scenario, sort_keys=False))
    files = [(source, source / "key.yaml")]
    files += [(source, path) for path in sorted((source / "transcripts").glob("*.yaml"))]
    if (family.directory / TEAM_PLAN).is_file():  # the family's, never a member's own
        files.append((family.directory, family.directory / TEAM_PLAN))
    for folder, path in files:
        data, _ = read_yaml(path, substituter(params, str(path)))
        data["scenario"] = spec.id
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        (out / path.relative_to(folder)).write_text(text)
    params = {name: value for name, value in params.items() if name in own}
    drawn = {"from": spec.id, "family": spec.id, "member": member_id, "params": params} | meta
    (out / "variant.json").write_text(json.dumps(drawn, sort_keys=True) + "\n")
    return params


def drawn_member(folder: Path) -> str | None:
    """The member a rendered folder holds (None for anything but a family's draw): what a
    cohort report groups candidates by."""
    path = folder / "variant.json"
    if not path.is_file():
        return None
    member = json.loads(path.read_text()).get("member")
    return str(member) if member is not None else None


# --- drawing: which member, which magnitudes -------------------------------------------


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def session_seed(session_id: str) -> int:
    """The seed a session's draws use (a cohort's, a team session's), from the session's
    random hex id: seeds differ between sessions, and a session's draws are consecutive
    places under one seed."""
    return int(session_id[:6], 16) % 100_000


def assign(family: Family, cohort_seed: int, candidate: int) -> str:
    """The member candidate `candidate` (0, 1, ...) of a cohort seeded `cohort_seed` plays:
    each round of len(members) candidates draws every member once, in an order shuffled
    from (family, cohort seed, round). A pure function: the same cohort gives the same
    members, and any cohort's counts per member differ by at most one."""
    if candidate < 0:
        raise InputError(family.id, "candidate", "a candidate index ≥ 0")
    ids = [m.id for m in family.members]
    turn, place = divmod(candidate, len(ids))
    rng = np.random.default_rng(_seed(family.id, cohort_seed, "round", turn))
    order = rng.permutation(len(ids))
    return ids[int(order[place])]


def draw_seed(family: Family, cohort_seed: int, candidate: int, attempt: int) -> int:
    return _seed(family.id, cohort_seed, "params", candidate, attempt) % 2**32


def draw(family: FamilyFile, member: str, seed: int) -> dict[str, Any]:
    """The family's parameters (deploy times, the traffic seed, ...) and the member's own
    magnitudes, drawn from one seed. Deploys land at distinct times where their ranges
    allow: two deploys in the same minute would hide which one the symptom followed."""
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    taken: set[Any] = set()
    for name, param in (family.params | family.vary[member]).items():
        values = param.values()
        if name in family.deploy_params:
            values = [v for v in values if v not in taken] or values
        out[name] = values[int(rng.integers(len(values)))]
        if name in family.deploy_params:
            taken.add(out[name])
    return out


# --- what a candidate sees names no member's cause -------------------------------------


def visible_texts(family: Family) -> list[tuple[str, str]]:
    """Everything of the family a candidate reads: (where, text)."""
    texts = [("id", family.id.replace("-", " ")), ("title", family.title)]
    texts.append(("briefing.page", family.briefing.page))
    if family.briefing.context:
        texts.append(("briefing.context", family.briefing.context))
    texts += [(f"deploys[{d.id}]", d.announce.detail) for d in family.deploys]
    return texts


def naming_problems(
    family: Family, causes: dict[str, list[str]], also: list[tuple[str, str]] | None = None
) -> list[str]:
    """Where a text a candidate sees names a member's cause, read by the examiner's own
    cause matcher (drills/judge/causes.py): each statement of it, as a conclusion would
    be read. `causes`: each member's causes; `also`: more (where, text) a candidate may
    read (a team plan's injects, once injected)."""
    concepts = {
        cause: Concept.of(cause, CATALOG[cause].accept)
        for member_causes in causes.values()
        for cause in member_causes
    }
    problems = []
    for where, text in visible_texts(family) + (also or []):
        for statement in re.split(r"[.!?;\n]+", text):
            for cause, concept in concepts.items():
                found = match_concept(concept, statement)
                if found is not None and not found.negated:
                    who = [m for m, cs in causes.items() if cause in cs]
                    problems.append(f"{where}: “{statement.strip()}” names {cause} ({who[0]})")
    return problems
