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

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from drills.library.scenario import Act, LoadedScenario, Move, load_scenario, resolve_scenario
from drills.play.actions import ActionError
from drills.play.drill import Drill
from drills.play.sql import QueryRefused
from drills.runs.service import Runs
from simulator.errors import InputError
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import Pos, Strict
from simulator.telemetry.columns import REQUEST_COLUMNS
from simulator.telemetry.schema import METRIC_NAMES


class SloThreshold(Strict):
    metric: str = Field(min_length=1, description="a metrics-table name or a requests column")
    kind: str | None = Field(None, description="the request kind it is about")
    max: float | None = None
    min: float | None = None


class Verification(Strict):
    query: str = Field(min_length=1, description="SQL whose first row's `ok` is the verdict")
    wait_min: Pos = Field(10.0, description="how long after the rollback to run it")


class RollbackPacket(Strict):
    model_version: str = Field(min_length=1)
    feature_flag: str = Field(min_length=1)
    owner: str = Field(min_length=1, description="a team or rota, not a person's address")
    launch_cohort: str = Field(min_length=1)
    fleet: str = Field(min_length=1, description="the scenario (fleet and incident) it is for")
    dashboards: list[str] = Field(min_length=1)
    slo_thresholds: list[SloThreshold] = Field(min_length=1)
    known_risks: list[str] = Field(min_length=1)
    rollback: Act = Field(description="the exact rollback command: an action and its args")
    data_compatibility: str = Field(min_length=1)
    cache_behaviour: str = Field(min_length=1)
    verification: Verification
    support_message: str = Field(min_length=1)
    reenable_criteria: list[str] = Field(min_length=1)
    notes: str = ""


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


PRIVATE = {
    "an e-mail address": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "a phone number": re.compile(r"(?<![\w.])\+?\(?\d[\d ().-]{7,}\d(?![\w.])"),
    "a raw audio path": re.compile(r"\S+\.(wav|flac|mp3|ogg|opus|pcm|m4a)\b", re.I),
    "transcript text": re.compile(r"\b(transcript|utterance text|what the user said)\s*[:=]", re.I),
}


def private_data(value: Any, where: str = "") -> list[Problem]:
    """Every string in the packet that holds private data, by field path."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in private_data(v, f"{where}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in private_data(v, f"{where}[{i}]")]
    if not isinstance(value, str):
        return []
    return [
        Problem(where, f"holds {what}: a packet carries metrics and versions, never user data")
        for what, pattern in PRIVATE.items()
        if any(_private(what, m.group(0)) for m in pattern.finditer(value))
    ]


def _private(what: str, text: str) -> bool:
    """A phone number has nine digits or more (a date or a version has fewer)."""
    return what != "a phone number" or sum(c.isdigit() for c in text) >= 9


def threshold_problems(packet: RollbackPacket) -> list[Problem]:
    known = set(METRIC_NAMES) | set(REQUEST_COLUMNS)
    out = []
    for i, slo in enumerate(packet.slo_thresholds):
        where = f"slo_thresholds[{i}]"
        if slo.metric not in known:
            out.append(Problem(f"{where}.metric", f"the telemetry has no {slo.metric!r}"))
        if slo.max is None and slo.min is None:
            out.append(Problem(where, "a threshold: give max or min"))
    return out


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
    try:
        rolled.play(Move(act=packet.rollback))  # at the page, as the on-call would
    except ActionError as exc:
        return [Problem(f"rollback.{exc.path}", exc.expected)], verdicts
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
    problems = private_data(data) + threshold_problems(packet)
    found, verdicts = verification(packet, scenario, runs)
    return PacketResult(problems + found, verdicts)
