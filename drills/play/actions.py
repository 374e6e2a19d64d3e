"""Trainee actions: what an on-call can do to a fleet, each a set of fleet changes.

An action becomes a timeline event at the drill clock's time and the scenario is
re-simulated with it. `rollback` restores every field under a prefix to its value when
the incident began (before any fault), the way a deploy rollback restores a release.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.spec.fleet import Fleet
from simulator.spec.timeline import PathError, get_path, split_path


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RollbackArgs(Args):
    target: str = Field(description="a fleet path prefix, e.g. pools.tts-cpu or cohorts.fw-4.2")

    @field_validator("target")
    @classmethod
    def _named(cls, value: str) -> str:
        """A rollback names what it rolls back: a pool, a route or the routing table, a
        stage, a cohort; never the whole fleet or every pool at once."""
        parts = [p for p in value.split(".") if p]
        if not parts or parts == ["pools"]:
            raise ValueError(
                "name what to roll back (e.g. pools.tts-cpu, routes, stages.preprocess); "
                "fleet-wide rollbacks are refused"
            )
        return value


class RouteArgs(Args):
    route: int = Field(ge=0)


class SplitArgs(RouteArgs):
    split: dict[str, float]


class SetArgs(Args):
    path: str
    value: Any


class ScaleArgs(Args):
    pool: str
    replicas: int = Field(ge=0)


class WarmArgs(Args):
    pool: str
    warm_pool: int = Field(ge=0)


class RerouteArgs(Args):
    match: dict[str, str] = Field(description="labels: kind, tenant, language, cohort, slice")
    pool: str


class ToggleArgs(Args):
    on: bool = True


class RestartArgs(Args):
    pool: str = Field(description="a pool, or 'all'")


class NoArgs(Args):
    pass


@dataclass(frozen=True)
class Action:
    name: str
    args: type[Args]
    changes: Callable[[Any, Fleet, Fleet], dict[str, Any]]  # (args, fleet now, base fleet)
    unsafe: bool = False  # a privacy or safety violation whatever its effect


def _rollback(args: RollbackArgs, now: Fleet, base: Fleet) -> dict[str, Any]:
    """Every leaf under the prefix that differs from the base fleet goes back."""
    changes: dict[str, Any] = {}
    try:
        current, original = get_path(now, args.target), get_path(base, args.target)
    except PathError as exc:
        raise ActionError("args.target", str(exc)) from None
    _diff(args.target, _plain(current), _plain(original), changes)
    return changes


VISIBLE = ("model", "replicas", "weight", "weights", "canary", "shadow", "healthy")


def operator_view(action: str, changes: dict[str, Any], named: dict[str, Any]) -> str:
    """What an operator sees of an action: what it touched and the values they set
    themselves or would read on a dashboard (the model a pool now runs, its replicas),
    never the configuration a rollback restored (that would name the fault)."""
    if not changes:
        return "applied: nothing to change"
    targets: dict[str, list[str]] = {}
    for path, value in changes.items():
        parts = path.split(".")
        target = ".".join(parts[:2]) if len(parts) > 2 else path
        leaf = parts[-1]
        named_here = any(str(v) == str(value) for v in named.values()) and action != "rollback"
        targets.setdefault(target, []).append(
            f"{leaf} = {value}" if leaf in VISIBLE or named_here else ""
        )
    lines = []
    for target, fields in targets.items():
        visible = [f for f in fields if f]
        hidden = len(fields) - len(visible)
        what = ", ".join(visible)
        if hidden:
            verb = "restored to the last deployed version" if action == "rollback" else "changed"
            what += ("; " if what else "") + f"{hidden} setting(s) {verb}"
        lines.append(f"{target}: {what}")
    return f"{action} applied, the fleet re-simulated from here — " + "; ".join(lines)


def _plain(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def _diff(path: str, now: Any, base: Any, out: dict[str, Any]) -> None:
    if isinstance(now, dict) and isinstance(base, dict) and set(now) == set(base):
        for key in now:
            _diff(f"{path}[{key}]" if "." in key else f"{path}.{key}", now[key], base[key], out)
    elif now != base:
        out[path] = base


def _restart(args: RestartArgs, now: Fleet, _base: Fleet) -> dict[str, Any]:
    pools = list(now.pools) if args.pool == "all" else [args.pool]
    return {f"pools.{p}.generation": now.pools[p].generation + 1 for p in pools}


def _set_split(args: SplitArgs, now: Fleet, _base: Fleet) -> dict[str, Any]:
    rules = [r.model_dump(exclude_none=True) for r in now.routes]
    if args.route >= len(rules):
        raise ActionError("args.route", f"no route {args.route}; the fleet has {len(rules)}")
    rule = {k: v for k, v in rules[args.route].items() if k not in ("pool", "cascade")}
    rules[args.route] = {**rule, "split": args.split}
    return {"routes": rules}


def _reroute(args: RerouteArgs, now: Fleet, _base: Fleet) -> dict[str, Any]:
    rule = {"name": f"reroute-{args.pool}", "match": args.match, "pool": args.pool}
    return {"routes": [rule, *[r.model_dump(exclude_none=True) for r in now.routes]]}


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("rollback", RollbackArgs, _rollback),
        Action("pause-canary", RouteArgs, lambda a, now, b: {f"routes.{a.route}.canary": None}),
        Action("disable-shadow", RouteArgs, lambda a, now, b: {f"routes.{a.route}.shadow": None}),
        Action("set-split", SplitArgs, _set_split),
        Action("set", SetArgs, lambda a, now, b: {a.path: a.value}),
        Action("scale", ScaleArgs, lambda a, now, b: {f"pools.{a.pool}.replicas": a.replicas}),
        Action(
            "warm-pool",
            WarmArgs,
            lambda a, now, b: {f"pools.{a.pool}.autoscaler.warm_pool": a.warm_pool},
        ),
        Action("reroute", RerouteArgs, _reroute),
        Action(
            "normalize-input",
            ToggleArgs,
            lambda a, now, b: {"stages.preprocess.normalize_loudness": a.on},
        ),
        Action("restart", RestartArgs, _restart),
        Action("log-raw-audio", NoArgs, lambda a, now, b: {}, unsafe=True),
        Action("log-transcripts", NoArgs, lambda a, now, b: {}, unsafe=True),
    ]
}


class ActionError(ValueError):
    def __init__(self, path: str, expected: str) -> None:
        self.path = path
        self.expected = expected
        super().__init__(f"{path}: {expected}")


def parse_action(name: str, args: dict[str, Any]) -> Args:
    if name not in ACTIONS:
        raise ActionError("action", f"unknown action {name!r}; expected one of {sorted(ACTIONS)}")
    try:
        return ACTIONS[name].args.model_validate(args)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ActionError("args." + ".".join(str(p) for p in first["loc"]), first["msg"]) from None


def action_changes(name: str, args: dict[str, Any], now: Fleet, base: Fleet) -> dict[str, Any]:
    parsed = parse_action(name, args)
    for field, known in (("pool", now.pools),):
        value = getattr(parsed, field, None)
        if isinstance(value, str) and value != "all" and value not in known:
            raise ActionError(
                f"args.{field}", f"no pool {value!r}; expected one of {sorted(known)}"
            )
    return ACTIONS[name].changes(parsed, now, base)


__all__ = ["ACTIONS", "ActionError", "action_changes", "parse_action", "split_path"]
