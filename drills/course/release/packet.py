"""The rollback packet (the course's Exercise 2): what lets an on-call engineer roll a model
back at 2 AM without its author, and checks that it would work:

- the schema: every field the course lists;
- the rollback command is a valid action against the named scenario's fleet;
- the verification query runs in the drill's SQL sandbox and gives a verdict: failing on
  the incident as it stands, passing once the packet's rollback has been re-simulated;
- each SLO threshold names a metric the telemetry has;
- nothing private anywhere: no transcript text, raw audio paths, e-mail addresses or phone
  numbers.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from drills.course.release import privacy
from drills.library.scenario import Act, LoadedScenario, Move, load_scenario, resolve_scenario
from drills.play.actions import ActionError
from drills.play.drill import Drill
from drills.play.sql import QueryRefused
from drills.runs.service import Runs
from simulator.errors import InputError
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import Fleet, Pos, Strict
from simulator.telemetry.schema import COLUMNS, METRIC_NAMES, UNIT_FACTORS, metric_unit


class OnCall(Strict):
    rotation: str = Field(min_length=1, description="the on-call rota or schedule, by name")
    pager: str | None = Field(None, description="the paging service or escalation policy")
    escalation: str | None = Field(None, description="the next rota up, by name")


class Owner(Strict):
    """Who owns the change: a team and its on-call rota (names of rotas, not of people)."""

    team: str = Field(min_length=1)
    on_call: OnCall | str = Field(description="the rota that answers the page")
    channel: str | None = Field(None, description="the team's chat channel")


class Dashboard(Strict):
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://\S+$", description="the dashboard's link")


# the statistic a threshold is on: a percentile, or an aggregate of the rows in the window
STATISTIC = r"^(p(50|75|90|95|99|99\.9)|mean|max|min|sum|count|rate)$"
SCOPES = ("kind", "pool", "tenant", "cohort", "slice", "route", "model_version", "language")


class SloThreshold(Strict):
    """An SLO threshold on one signal of the telemetry (docs/telemetry.md)."""

    metric: str = Field(min_length=1, description="a metrics-table name or a requests column")
    table: Literal["metrics", "requests"] | None = Field(
        None, description="which table holds it (default: whichever has the name)"
    )
    statistic: str | None = Field(
        None, pattern=STATISTIC, description="p50..p99.9, mean, max, min, sum, count or rate"
    )
    unit: str | None = Field(
        None, description="the threshold's unit, if not the schema's (ms or s, %, 1/min, ...)"
    )
    scope: dict[str, str] = Field(
        default_factory=dict,
        description="the labels it is about: " + ", ".join(SCOPES) + " (metrics: kind or pool)",
    )
    kind: str | None = Field(None, description="the request kind (same as scope.kind)")
    max: float | None = None
    min: float | None = None


class Rollback(Strict):
    """The exact rollback command (an action of the drill and its arguments) with notes for
    whoever runs it."""

    command: Act
    notes: str = Field("", description="what to do around it: order, waits, who to tell")


class Verification(Strict):
    query: str = Field(min_length=1, description="SQL whose first row's `ok` is the verdict")
    wait_min: Pos = Field(10.0, description="how long after the rollback to run it")


class RollbackPacket(Strict):
    """The course's rollback packet (Exercise 2): what lets the on-call roll a model back at
    2 AM without its author. Flat strings (the course's sketch) or the nested shapes teams
    write: owner with its on-call, dashboards with title and link, thresholds with table,
    statistic, unit and scope, a rollback command with notes."""

    model_version: str = Field(min_length=1)
    feature_flag: str = Field(min_length=1)
    owner: Owner | str = Field(description="a team and its rota, not a person's address")
    launch_cohort: str = Field(min_length=1)
    fleet: str = Field(min_length=1, description="the scenario (fleet and incident) it is for")
    dashboards: list[Dashboard | str] = Field(min_length=1)
    slo_thresholds: list[SloThreshold] = Field(min_length=1)
    known_risks: list[str] = Field(min_length=1)
    rollback: Rollback | Act = Field(
        description="the exact rollback command: an action and its args, with notes"
    )
    data_compatibility: str = Field(min_length=1)
    cache_behaviour: str = Field(min_length=1)
    verification: Verification
    support_message: str = Field(min_length=1)
    reenable_criteria: list[str] = Field(min_length=1)
    notes: str = ""

    def command(self) -> tuple[Act, str]:
        """The rollback's action, and the field path its errors are reported under."""
        if isinstance(self.rollback, Rollback):
            return self.rollback.command, "rollback.command"
        return self.rollback, "rollback"


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str


@dataclass
class PacketResult:
    problems: list[Problem]
    verdicts: dict[str, bool | None]  # the verification query before and after the rollback

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": [asdict(p) for p in self.problems],
            "verification": self.verdicts,
        }


def private_data(value: Any, where: str = "") -> list[Problem]:
    """Every string in the packet that holds personal data (drills/course/release/privacy.py), by
    field path, once per kind."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in private_data(v, f"{where}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in private_data(v, f"{where}[{i}]")]
    if not isinstance(value, str):
        return []
    kinds = dict.fromkeys(found.what for found in privacy.find(value))
    return [
        Problem(where, f"holds {what}: a packet carries metrics and versions, never user data")
        for what in kinds
    ]


def threshold_problems(packet: RollbackPacket, fleet: Fleet | None = None) -> list[Problem]:
    """Each threshold names a signal the telemetry has (simulator/telemetry/schema.py), in a unit
    that converts to the schema's, scoped by labels the signal carries, with a bound."""
    out = []
    for i, slo in enumerate(packet.slo_thresholds):
        out += _threshold_problems(slo, f"slo_thresholds[{i}]", fleet)
    return out


def _threshold_problems(slo: SloThreshold, where: str, fleet: Fleet | None) -> list[Problem]:
    tables = [slo.table] if slo.table else ["metrics", "requests"]
    table = next((t for t in tables if metric_unit(t, slo.metric) is not None), None)
    if table is None:
        names = [*METRIC_NAMES, *COLUMNS["requests"]] if not slo.table else _names(slo.table)
        close = difflib.get_close_matches(slo.metric, names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        place = f"the {slo.table} table" if slo.table else "the telemetry"
        return [Problem(f"{where}.metric", f"{place} has no {slo.metric!r}{hint}")]
    out = []
    unit = metric_unit(table, slo.metric) or ""
    if slo.unit is not None and slo.unit not in UNIT_FACTORS.get(unit, {unit: 1.0}):
        units = ", ".join(u or "a count" for u in UNIT_FACTORS.get(unit, {unit: 1.0}))
        shown = unit or "a count"
        out.append(Problem(f"{where}.unit", f"{slo.metric} is in {shown}: write it in {units}"))
    labels = _labels(table, slo.metric)
    scope = {**({"kind": slo.kind} if slo.kind else {}), **slo.scope}
    for label, value in scope.items():
        if label not in labels:
            out.append(
                Problem(f"{where}.scope.{label}", f"{slo.metric} is by {', '.join(labels)} only")
            )
        elif fleet is not None and (known := _label_values(fleet, label)) and value not in known:
            out.append(
                Problem(f"{where}.scope.{label}", f"the fleet has no {label} {value!r}: {known}")
            )
    if slo.max is None and slo.min is None:
        out.append(Problem(where, "a threshold: give max or min"))
    return out


def _names(table: str) -> list[str]:
    return list(METRIC_NAMES) if table == "metrics" else list(COLUMNS[table])


def _labels(table: str, metric: str) -> tuple[str, ...]:
    """The labels a signal can be scoped by: a metric's own label, any requests label."""
    if table == "metrics":
        return (METRIC_NAMES[metric][1],)
    return SCOPES


def _label_values(fleet: Fleet, label: str) -> list[str]:
    """The values a label takes on this fleet, where the fleet file says (else none)."""
    if label == "pool":
        return sorted(fleet.pools)
    if label == "kind":
        return sorted({fleet.models[p.model].family for p in fleet.pools.values()})
    if label == "tenant" and fleet.tenants:
        return sorted(fleet.tenants)
    return []


def _verdict(drill: Drill, query: str, at_s: float) -> bool:
    """The packet's query on the drill's run as of `at_s`, run as a trainee's query is
    (by the run service: in a sandbox process where it has them, as in the console)."""
    runs = drill.runs
    seen = (runs.key(drill.scenario, [e for e in drill.timeline if e.at_s <= at_s]), at_s)
    result = runs.query(drill.scenario, drill.timeline, seen, query)
    if "ok" not in result.columns or not result.rows:
        raise QueryRefused("the query must return a row with an `ok` column (the verdict)")
    return bool(result.rows[0][result.columns.index("ok")])


def verification(
    packet: RollbackPacket, scenario: LoadedScenario, runs: Runs | None = None
) -> tuple[list[Problem], dict[str, bool | None]]:
    """Roll back at the page, as the on-call would, and run the verification query on the
    run without and with the rollback: it must fail before and pass after."""
    verdicts: dict[str, bool | None] = {"incident": None, "after_rollback": None}
    runs = runs or Runs()
    rolled = Drill(scenario, runs)
    act, where = packet.command()
    try:
        rolled.play(Move(act=act))  # at the page, as the on-call would
    except ActionError as exc:
        return [Problem(f"{where}.{exc.path}", exc.expected)], verdicts
    at_s = rolled.now_s + packet.verification.wait_min * 60.0
    if at_s > scenario.spec.duration_s:
        return [Problem("verification.wait_min", "past the end of the scenario's run")], verdicts
    try:
        verdicts["incident"] = _verdict(Drill(scenario, runs), packet.verification.query, at_s)
        verdicts["after_rollback"] = _verdict(rolled, packet.verification.query, at_s)
    except QueryRefused as exc:
        return [Problem("verification.query", str(exc))], verdicts
    problems = []
    if verdicts["after_rollback"] is not True:
        problems.append(Problem("verification.query", "does not pass after the rollback"))
    if verdicts["incident"] is not False:
        problems.append(Problem("verification.query", "passes on the incident too: it cannot tell"))
    return problems, verdicts


def check(path: Path, runs: Runs | None = None) -> PacketResult:
    data, node = read_yaml(path)
    packet = validate_data(data, RollbackPacket, str(path), node)
    try:
        scenario = load_scenario(resolve_scenario(packet.fleet))
    except InputError as exc:
        raise InputError(str(path), "fleet", exc.expected) from None
    problems = private_data(data) + threshold_problems(packet, scenario.fleet)
    found, verdicts = verification(packet, scenario, runs)
    return PacketResult(problems + found, verdicts)
