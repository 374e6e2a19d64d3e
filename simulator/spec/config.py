"""Fleet files on disk: a fleet plus, optionally, the workload it usually serves."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from simulator.errors import InputError, InputErrors
from simulator.spec.fileio import dotted, line_of, read_yaml, validate_data
from simulator.spec.fleet import Fleet, reference_problems
from simulator.spec.timeline import TimelineEvent
from simulator.spec.workload import Workload


class FleetFile(Fleet):
    workload: Workload | None = Field(None, description="default traffic for `simulate`")
    timeline: list[TimelineEvent] = Field(default_factory=list)


def load_fleet_file(path: Path) -> FleetFile:
    data, node = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(str(path), "", f"expected a YAML mapping, found {type(data).__name__}")
    fleet = validate_data(data, FleetFile, str(path), node)
    problems = reference_problems(fleet)
    if problems:
        raise InputErrors(
            [InputError(str(path), dotted(p), msg, line_of(node, p)) for p, msg in problems]
        )
    return fleet


def fleet_only(fleet_file: FleetFile) -> Fleet:
    data = fleet_file.model_dump(exclude={"workload", "timeline"})
    return Fleet.model_validate(data)
