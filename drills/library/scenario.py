"""Scenario, answer-key and transcript files: their models, loading and validation.

    scenarios/<id>/scenario.yaml    fleet, workload, timeline of faults, briefing, clock
    scenarios/<id>/key.yaml         the answer key (kept apart so an examiner can withhold it)
    scenarios/<id>/transcripts/*.yaml   recorded drills: the expert's and a naive one at least

Faults are expanded into timeline events here; the simulator only ever sees fleet changes
and the announcements an operator would see.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import ConfigDict, Field, field_validator, model_validator

from drills.judge.causes import CAUSES
from drills.judge.matcher import expand
from drills.library.paths import library_root
from drills.library.variant_spec import renderer_for
from drills.play.actions import ActionError, parse_action
from simulator import check_timeline
from simulator.errors import InputError, InputErrors
from simulator.spec.config import FleetFile, fleet_only, load_fleet_file
from simulator.spec.faults import FAULTS, FaultError, fault_changes
from simulator.spec.fileio import dotted, line_of, read_yaml, validate_data
from simulator.spec.fleet import Fleet, NonNeg, Pos, Strict, reference_problems
from simulator.spec.timeline import Announcement, TimelineEvent
from simulator.spec.workload import Workload
from simulator.telemetry.bundle import TABLE_COLUMNS
from simulator.telemetry.openmetrics import read_by
from simulator.telemetry.schema import exported_metrics

TABLES = ("requests", "batches", "metrics", "events")

# What a trainee may write into one move. Every free-text field is bounded: the judge reads
# every statement clause by clause, so one unbounded conclusion could take a scorer's core
# for seconds, and the console's other candidates with it. Longer input is refused with
# the field and its limit (the console keeps what was typed in the form).
TEXT_CHARS = 2000  # a cause; an alert rule's expression
LINE_CHARS = 500  # one mitigation or prevention statement
LINES = 20  # mitigations, or prevention items
NOTES_CHARS = 5000
QUERY_CHARS = 4000
ARGS_CHARS = 2000  # an action's arguments, as JSON
Line = Annotated[str, Field(max_length=LINE_CHARS)]
Name = Annotated[str, Field(max_length=100)]


class FleetRef(Strict):
    ref: str = Field(min_length=1, description="a fleet in scenarios/fleets/")
    set: dict[str, Any] = Field(default_factory=dict, description="overrides before the run")


class TimelineItem(Strict):
    """A fault (from the fault library), a plain change, or a deploy that changes nothing
    the fleet model sees (an announcement alone), at a simulated time."""

    at_s: NonNeg
    fault: str | None = Field(
        None,
        description="a fault of the catalogue (`speechdrill fault list`)",
        json_schema_extra={"enum": list(sorted(FAULTS))},
    )
    params: dict[str, Any] = Field(default_factory=dict)
    set: dict[str, Any] = Field(default_factory=dict)
    announce: Announcement | None = None

    @model_validator(mode="after")
    def _fault_or_set(self) -> TimelineItem:
        if self.fault is not None and self.set:
            raise ValueError("give either `fault` (with `params`) or `set`")
        if self.fault is None and not self.set and self.announce is None:
            # an announcement alone is a deploy that changed nothing the fleet model sees
            # (a symptom family's innocent deploys): it must at least announce itself
            raise ValueError("give `fault` (with `params`), `set`, or an `announce` alone")
        return self


class Briefing(Strict):
    page: str = Field(min_length=1, description="the page that woke the on-call up")
    severity: Literal["sev1", "sev2", "sev3"] = "sev2"
    context: str = ""


class Clock(Strict):
    start_s: NonNeg = Field(description="simulated time at which the trainee is paged")
    slo_window_s: Pos = 3600.0
    look_cost_s: NonNeg = 60.0
    query_cost_s: NonNeg = 120.0
    act_cost_s: NonNeg = 300.0
    max_minutes: Pos = 60.0


class Scenario(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    difficulty: Literal["easy", "medium", "hard"]
    tags: list[str] = Field(default_factory=list)
    source: str = Field(min_length=1, description="the seed section this drill comes from")
    estimated_minutes: Pos = 30.0
    fleet: FleetRef | Fleet
    workload: Workload | None = Field(None, description="default: the fleet file's")
    duration_s: Pos = 3600.0
    seed: int = 0
    timeline: list[TimelineItem] = Field(default_factory=list)
    briefing: Briefing
    clock: Clock


Table = Literal["requests", "batches", "metrics", "events"]


class Signal(Strict):
    """A telemetry column, grouped by a dimension, over a window: what a good debug path
    reads. A move covers it when its query reads the column grouped by the dimension."""

    id: str = Field(min_length=1)
    table: Table
    column: str = Field(min_length=1)
    group_by: list[str] = Field(default_factory=list)
    filter: dict[str, str | list[str]] = Field(default_factory=dict)
    window_s: tuple[NonNeg, NonNeg] | None = None
    stat: Literal["mean", "p95", "sum", "count"] = "mean"
    focus: dict[str, str] = Field(
        default_factory=dict, description="the group where the fault shows (for the 3σ check)"
    )
    contrast: Literal["group", "time", "value"] | None = Field(
        None,
        description="what a result must show to read the signal: groups side by side, the "
        "change over time, or the value itself; default: group with a focus on the signal's "
        "column or grouping, time for a change with none, value for context",
    )
    description: str = ""


class MoveMatch(Strict):
    """Matches a trainee action by name and, optionally, arguments it must contain."""

    id: str = Field(min_length=1)
    action: str
    args: dict[str, Any] = Field(default_factory=dict)
    description: str = ""


PROM_DURATION = r"^(\d+(ms|s|m|h|d|w|y))+$"


class AlertRule(Strict):
    """A Prometheus alerting rule, as written in a rule file (`alert`, `expr`, `for`), over
    the series `speechdrill export --openmetrics` writes. As a prevention answer it is
    judged by whether it would have paged (drills/judge/alerts.py)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    alert: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=200, description="the alert's name"
    )
    expr: str = Field(
        min_length=1,
        max_length=TEXT_CHARS,
        description="a PromQL expression; it fires when non-empty",
    )
    for_: str = Field(
        "0s",
        alias="for",
        pattern=PROM_DURATION,
        description="how long the expression must hold before the alert fires (e.g. 2m)",
    )
    labels: dict[Name, Line] = Field(default_factory=dict, max_length=LINES)
    annotations: dict[Name, Line] = Field(default_factory=dict, max_length=LINES)

    @field_validator("expr")
    @classmethod
    def _exported(cls, expr: str) -> str:
        """A rule over a metric the export never writes would stay silent for ever: the
        names come from the telemetry schema (simulator/telemetry/schema.py)."""
        known = exported_metrics()
        for name in sorted(read_by(expr) - set(known)):
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"the export writes no metric {name}{hint}; see docs/prometheus.md")
        return expr


class Prevention(Strict):
    """A prevention item and the phrasings an examiner accepts for it (drills/judge/matcher.py):
    `accept` is a list of concept groups, all required in one statement; a group lists
    phrasings, `@name` a shared synonym set. `keywords` (older keys) is one group."""

    id: str = Field(min_length=1)
    accept: list[list[str]] = Field(default_factory=list, description="concept groups")
    keywords: list[str] = Field(default_factory=list, description="older keys: one group")
    rule: AlertRule | None = Field(
        None,
        description="a reference alerting rule: the item is an alert, and a trainee's rule "
        "that pages early on the incident and never on the no-fault run earns it",
    )
    description: str = ""

    @model_validator(mode="after")
    def _has_phrasings(self) -> Prevention:
        if not self.accept and not self.keywords:
            raise ValueError("give `accept` (concept groups of phrasings) or `keywords`")
        for group in self.groups():
            if not group:
                raise ValueError("an `accept` group is empty")
            expand(group)  # raises on an unknown @synonym set
        return self

    def groups(self) -> list[list[str]]:
        return self.accept or [self.keywords]


class AlsoCause(Strict):
    """A second, independent fault overlapping the first (incidents compound): its cause,
    the key signals that show it, and the moves that fix it. A trainee earns the diagnosis
    and the mitigation for each fault in turn."""

    cause: str
    onset_s: NonNeg | None = Field(
        None, description="when this fault starts (a variant's difficulty counts it a cause)"
    )
    signals: list[str] = Field(min_length=1, description="ids of the key's signals it shows in")
    mitigations: list[MoveMatch] = Field(min_length=1)


@dataclass(frozen=True)
class KeyFault:
    """One fault of the key as scoring sees it: a cause, its signals and its fixes."""

    cause: str
    signals: frozenset[str]
    mitigations: tuple[MoveMatch, ...]


class AnswerKey(Strict):
    scenario: str
    cause: str
    onset_s: NonNeg | None = Field(
        None,
        description="when the cause's fault starts (alert rules are timed from it); default: "
        "the timeline's first fault",
    )
    signals: list[Signal] = Field(min_length=1)
    mitigations: list[MoveMatch] = Field(min_length=1)
    harmful: list[MoveMatch] = Field(default_factory=list)
    prevention: list[Prevention] = Field(default_factory=list)
    hidden_answer: str = Field(min_length=1, description="the seed's hidden answer")
    also: list[AlsoCause] = Field(
        default_factory=list, description="second faults overlapping the first (compound)"
    )
    mitigate_first: str | None = Field(
        None, description="a compound incident's cause whose fix must come first"
    )
    first_because: str = Field("", description="why that order (shown in the score)")

    @model_validator(mode="after")
    def _known_causes(self) -> AnswerKey:
        causes = [self.cause, *(a.cause for a in self.also)]
        for cause in causes:
            if cause not in CAUSES:
                raise ValueError(
                    f"cause {cause!r} is not in the catalogue (`speechdrill fault list` "
                    "and drills/judge/causes.py list it)"
                )
        if len(set(causes)) < len(causes):
            raise ValueError("each cause of a compound key is a different cause")
        if self.mitigate_first is not None and self.mitigate_first not in causes:
            raise ValueError(f"mitigate_first: expected one of the key's causes {causes}")
        ids = [s.id for s in self.signals]
        claimed = [sid for a in self.also for sid in a.signals]
        unknown = [sid for sid in claimed if sid not in ids]
        if unknown:
            raise ValueError(f"also: signal {unknown[0]!r} is not one of the key's {ids}")
        if len(set(claimed)) < len(claimed):
            raise ValueError("also: each signal shows one fault")
        fixes = [(m.action, repr(sorted(m.args.items()))) for m in self.all_mitigations()]
        if len(set(fixes)) < len(fixes):
            raise ValueError("a fix listed twice: each fault's mitigations are its own")
        focused = {s.id for s in self.signals if s.focus}
        for i, fault in enumerate(self.faults()):
            if not fault.signals & focused:  # recovery is measured on focused signals
                raise ValueError(f"fault {i + 1} ({fault.cause}) needs a signal with a `focus`")
        return self

    def faults(self) -> list[KeyFault]:
        """The incident's faults, the first one first: a one-fault key has one, with every
        signal; a compound key's first fault keeps the signals no `also` claims."""
        claimed = {sid for a in self.also for sid in a.signals}
        first = frozenset(s.id for s in self.signals if s.id not in claimed)
        also = [KeyFault(a.cause, frozenset(a.signals), tuple(a.mitigations)) for a in self.also]
        return [KeyFault(self.cause, first, tuple(self.mitigations)), *also]

    def all_mitigations(self) -> list[MoveMatch]:
        return [m for fault in self.faults() for m in fault.mitigations]


class Act(Strict):
    action: str = Field(max_length=100)
    args: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounded(self) -> Act:
        if len(json.dumps(self.args, default=str)) > ARGS_CHARS:
            raise ValueError(f"args: at most {ARGS_CHARS} characters in all")
        return self


class Conclusion(Strict):
    cause: str = Field(
        max_length=TEXT_CHARS, description="the cause: a catalogue id or the trainee's own words"
    )
    mitigations: list[Line] = Field(default_factory=list, max_length=LINES)
    prevention: list[Line | AlertRule] = Field(
        default_factory=list,
        max_length=LINES,
        description="in words, or as Prometheus alerting rules",
    )
    notes: str = Field("", max_length=NOTES_CHARS)

    def statements(self) -> list[str]:
        return [p for p in self.prevention if isinstance(p, str)]

    def rules(self) -> list[AlertRule]:
        return [p for p in self.prevention if isinstance(p, AlertRule)]


class Move(Strict):
    at_min: float | None = Field(
        None,
        ge=0,
        allow_inf_nan=False,
        description="clock minute, finite and within the drill's time box; default: after the last",
    )
    look: str | None = Field(None, description="a named panel")
    query: str | None = Field(
        None, max_length=QUERY_CHARS, description="SQL over the telemetry tables"
    )
    act: Act | None = None
    conclude: Conclusion | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Move:
        kinds = [x is not None for x in (self.look, self.query, self.act, self.conclude)]
        if sum(kinds) != 1:
            raise ValueError("each move is exactly one of look, query, act, conclude")
        return self


class Transcript(Strict):
    scenario: str
    trainee: str = "anonymous"
    description: str = ""
    expect: tuple[float, float] | None = Field(
        None,
        description="the score band this transcript must land in (`scenario check --verify`"
        " replays it); default: expert.yaml 85-100, naive.yaml 0-40",
    )
    moves: Annotated[list[Move], Field(min_length=1)]


@dataclass
class LoadedScenario:
    """A validated scenario with its fleet resolved and faults expanded."""

    spec: Scenario
    path: Path
    fleet: Fleet
    workload: Workload
    timeline: list[TimelineEvent]

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def time_box_min(self) -> float:
        return time_box_min(self.spec.clock, self.spec.duration_s)


def time_box_min(clock: Clock, duration_s: float) -> float:
    """The longest a drill may run: the clock's limit, and never past the end of the
    simulated window (after it there is no telemetry to read)."""
    return min(clock.max_minutes, (duration_s - clock.start_s) / 60.0)


def load_model(path: Path, model: type[Any]) -> tuple[Any, yaml.Node | None]:
    """A scenario, key or transcript file (its default variant where the folder declares
    variants: drills/library/variants.py)."""
    data, node = read_yaml(path, renderer_for(path))
    if not isinstance(data, dict):
        raise InputError(str(path), "", f"expected a YAML mapping, found {type(data).__name__}")
    return validate_data(data, model, str(path), node), node


def load_scenario(path: Path) -> LoadedScenario:
    spec, node = load_model(path, Scenario)
    source = str(path)
    fleet_file: FleetFile | None = None
    if isinstance(spec.fleet, FleetRef):
        ref_path = library_root() / "fleets" / f"{spec.fleet.ref}.yaml"
        if not ref_path.is_file():
            raise InputError(
                source,
                "fleet.ref",
                f"no fleet {spec.fleet.ref!r} in {library_root() / 'fleets'}",
                line_of(node, ("fleet", "ref")),
            )
        fleet_file = load_fleet_file(ref_path)
        fleet = fleet_only(fleet_file)
        overrides = [TimelineEvent(at_s=0, set=spec.fleet.set)] if spec.fleet.set else []
        for _, message in check_timeline(fleet, overrides):
            raise InputError(source, "fleet.set", message, line_of(node, ("fleet", "set")))
        from simulator.spec.timeline import set_path

        for key, value in spec.fleet.set.items():
            set_path(fleet, key, value)
    else:
        fleet = spec.fleet
        problems = reference_problems(fleet)
        if problems:
            raise InputErrors(
                [
                    InputError(source, "fleet." + dotted(p), m, line_of(node, ("fleet", *p)))
                    for p, m in problems
                ]
            )
    workload = spec.workload or (fleet_file.workload if fleet_file else None)
    if workload is None:
        raise InputError(source, "workload", "no workload here and none in the fleet file")
    timeline = expand_timeline(spec, fleet, source, node)
    return LoadedScenario(spec, path, fleet, workload, timeline)


def expand_timeline(
    spec: Scenario, fleet: Fleet, source: str, node: yaml.Node | None
) -> list[TimelineEvent]:
    events = []
    for i, item in enumerate(spec.timeline):
        where = ("timeline", i)
        if item.fault is not None:
            try:
                changes = fault_changes(item.fault, item.params, fleet)
            except FaultError as exc:
                field = exc.path.split(".")
                raise InputError(
                    source, dotted((*where, *field)), exc.expected, line_of(node, (*where, *field))
                ) from None
        else:
            changes = item.set
        events.append(TimelineEvent(at_s=item.at_s, set=changes, announce=item.announce))
    for index, message in check_timeline(fleet, events):
        raise InputError(source, f"timeline[{index}]", message, line_of(node, ("timeline", index)))
    return events


def cause_onsets(scenario: LoadedScenario, key: AnswerKey) -> list[float]:
    """When each of the incident's faults starts, the key's first fault first: its
    `onset_s`, else the timeline's first fault; then each `also` fault's, where given."""
    first = key.onset_s
    if first is None:
        faults = [item.at_s for item in scenario.spec.timeline if item.fault is not None]
        first = min(faults) if faults else 0.0
    return [first, *(a.onset_s for a in key.also if a.onset_s is not None)]


def load_key(path: Path, scenario: LoadedScenario | None = None) -> AnswerKey:
    key, node = load_model(path, AnswerKey)
    for i, signal in enumerate(key.signals):
        known = TABLE_COLUMNS[signal.table]
        for field, columns in (
            ("column", [signal.column]),
            ("group_by", signal.group_by),
            ("filter", list(signal.filter)),
            ("focus", list(signal.focus)),
        ):
            unknown = [c for c in columns if c not in known]
            if unknown:
                where = ("signals", i, field)
                raise InputError(
                    str(path),
                    dotted(where),
                    f"no column {unknown[0]!r} in {signal.table}; it has {sorted(known)}",
                    line_of(node, where),
                )
    if scenario is not None and key.scenario != scenario.spec.id:
        raise InputError(
            str(path),
            "scenario",
            f"key is for {key.scenario!r}, not {scenario.spec.id!r}",
            line_of(node, ("scenario",)),
        )
    for i, move in enumerate([*key.all_mitigations(), *key.harmful]):
        try:
            parse_action(move.action, {})
        except ActionError as exc:
            if exc.path == "action":
                raise InputError(
                    str(path), f"mitigations/harmful[{i}].action", exc.expected
                ) from None
    return key


def scenario_dirs() -> list[Path]:
    root = library_root()
    return sorted(p.parent for p in root.glob("*/scenario.yaml"))


def resolve_scenario(target: str) -> Path:
    path = Path(target)
    if path.is_dir() and (path / "scenario.yaml").is_file():
        return path / "scenario.yaml"
    if path.is_file():
        return path
    candidate = library_root() / target / "scenario.yaml"
    if candidate.is_file():
        return candidate
    known = [p.name for p in scenario_dirs()]
    raise InputError(target, "", f"no such scenario; the library has {known}")
