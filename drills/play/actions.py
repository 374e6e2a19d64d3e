"""Trainee actions: what an on-call can do to a fleet, each a set of fleet changes.

An action becomes a timeline event at the drill clock's time and the scenario is
re-simulated with it. `rollback` restores every field under a prefix to its value when
the incident began (before any fault), the way a deploy rollback restores a release.

What a candidate reads of an action never depends on the fault (docs/candidate-view.md).
An action is checked, previewed and reported against the fleet the operator knows: the
fleet as deployed before the incident with their own actions on it, never the faults.
Only then is it applied to the fleet as it really stands. A refusal, a preview or a result
therefore reads the same whether or not a faulted setting sits under the move; what the
move did shows in the telemetry that follows, which costs clock to read.

The actions' vocabulary (`usage`) and their argument syntax (`parse_arg_text`) are written
here once for every front end: the command line's prompt and script form, and the console.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.spec.fleet import Fleet
from simulator.spec.timeline import PathError, get_path, set_path, split_path


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


# the fleet's parts that hold one entry per name (a rollback names the entry): its mappings
# (pools, cohorts, models, ...) and its stages, one field per stage
WHOLE_KINDS = frozenset(
    {n for n, f in Fleet.model_fields.items() if get_origin(f.annotation) is dict} | {"stages"}
)


class RollbackArgs(Args):
    target: str = Field(description="a fleet path prefix, e.g. pools.tts-cpu or cohorts.fw-4.2")

    @field_validator("target")
    @classmethod
    def _named(cls, value: str) -> str:
        """A rollback names what it rolls back: a pool, a route or the routing table, a
        stage, a cohort, a model; never the whole fleet, nor every entry of a kind at once
        (every pool, cohort, model or stage): a rollback of all cohorts restores the one the
        fault changed without the trainee knowing which, in every variant alike."""
        parts = [p for p in value.split(".") if p]
        if not parts or (len(parts) == 1 and parts[0] in WHOLE_KINDS):
            raise ValueError(
                "name what to roll back (e.g. pools.tts-cpu, routes, stages.preprocess); "
                "fleet-wide rollbacks and rollbacks of every entry of a kind are refused"
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
    syntax: str  # its arguments as typed: key=VALUE ...
    does: str  # what it does, in an operator's words
    unsafe: bool = False  # a privacy or safety violation whatever its effect


class ActionError(ValueError):
    def __init__(self, path: str, expected: str) -> None:
        self.path = path
        self.expected = expected
        super().__init__(f"{path}: {expected}")


def _rollback(args: RollbackArgs, now: Fleet, base: Fleet) -> dict[str, Any]:
    """Every leaf under the prefix that differs from the base fleet goes back."""
    changes: dict[str, Any] = {}
    try:
        current, original = get_path(now, args.target), get_path(base, args.target)
    except PathError as exc:
        raise ActionError("args.target", _operator_words(str(exc))) from None
    _diff(args.target, _plain(current), _plain(original), changes)
    return changes


def _plain(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def _diff(path: str, now: Any, base: Any, out: dict[str, Any]) -> None:
    if isinstance(now, dict) and isinstance(base, dict) and set(now) == set(base):
        for key in now:
            _diff(f"{path}[{key}]" if "." in key else f"{path}.{key}", now[key], base[key], out)
    elif now != base:
        # a copy: the base fleet's own object set into a drill's fleet would be changed by
        # the next move that sets a field under it (a rollback of the routes, then a
        # pause-canary), rewriting the fleet as deployed for the rest of the drill
        out[path] = copy.deepcopy(base)


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
        Action(
            "rollback",
            RollbackArgs,
            _rollback,
            "target=PATH",
            "roll a pool, the routes, a model, a stage or a cohort back to its release at the "
            "incident's start (target=pools.tts-cpu, routes, models.asr-batch-v3, "
            "stages.preprocess, cohorts.fw-4.2, retries)",
        ),
        Action(
            "pause-canary",
            RouteArgs,
            lambda a, now, b: {f"routes.{a.route}.canary": None},
            "route=N",
            "stop route N's canary: its share goes back to the route's own pool (routes count "
            "from 0)",
        ),
        Action(
            "disable-shadow",
            RouteArgs,
            lambda a, now, b: {f"routes.{a.route}.shadow": None},
            "route=N",
            "stop route N mirroring traffic to a shadow pool",
        ),
        Action(
            "set-split",
            SplitArgs,
            _set_split,
            "route=N split={POOL: WEIGHT, ...}",
            "weight route N's traffic across pools",
        ),
        Action(
            "set",
            SetArgs,
            lambda a, now, b: {a.path: a.value},
            "path=PATH value=VALUE",
            "set one fleet setting (docs/fleets-and-profiles.md), e.g. "
            "path=pools.tts-cpu.batching.max_batch value=8",
        ),
        Action(
            "scale",
            ScaleArgs,
            lambda a, now, b: {f"pools.{a.pool}.replicas": a.replicas},
            "pool=POOL replicas=N",
            "run N replicas in a pool (its autoscaler, if it has one, may move it again)",
        ),
        Action(
            "warm-pool",
            WarmArgs,
            lambda a, now, b: {f"pools.{a.pool}.autoscaler.warm_pool": a.warm_pool},
            "pool=POOL warm_pool=N",
            "keep N loaded standby replicas for a pool's autoscaler",
        ),
        Action(
            "reroute",
            RerouteArgs,
            _reroute,
            "match={LABEL: VALUE, ...} pool=POOL",
            "send the requests whose labels match (kind, tenant, language, cohort, slice) to "
            "a pool, ahead of every other route",
        ),
        Action(
            "normalize-input",
            ToggleArgs,
            lambda a, now, b: {"stages.preprocess.normalize_loudness": a.on},
            "on=true|false",
            "turn loudness normalisation in preprocessing on or off",
        ),
        Action(
            "restart",
            RestartArgs,
            _restart,
            "pool=POOL|all",
            "restart a pool's replicas, or every pool's: each comes back cold",
        ),
        Action(
            "log-raw-audio",
            NoArgs,
            lambda a, now, b: {},
            "",
            "log the raw audio of requests (against the privacy policy)",
            unsafe=True,
        ),
        Action(
            "log-transcripts",
            NoArgs,
            lambda a, now, b: {},
            "",
            "log the text of transcripts (against the privacy policy)",
            unsafe=True,
        ),
    ]
}


# --- the vocabulary and the argument syntax, for every front end -----------------------


def usage() -> list[tuple[str, str, str]]:
    """Every action as (name, argument syntax, what it does)."""
    return [(a.name, a.syntax, a.does) for a in ACTIONS.values()]


def usage_text() -> str:
    """The actions as the command line lists them (`act` alone, `drill act --help`)."""
    lines = ["Actions (each costs clock; the fleet is re-simulated from then on):"]
    for name, syntax, does in usage():
        lines.append(f"  act {name} {syntax}".rstrip())
        lines.append(f"      {does}")
    lines.append("Values read as YAML: numbers, true/false, {key: value} mappings; quote a value")
    lines.append("with spaces, e.g. act reroute match='{kind: asr-batch, language: es-en}' pool=P")
    return "\n".join(lines)


_OPEN, _CLOSE = "{[", "}]"
_NEEDS_QUOTES = re.compile(r"[\s'\"\\#;&|<>()$`*?!~]")


def parse_arg_words(words: list[str]) -> dict[str, Any]:
    """key=value words; a value may be a YAML flow mapping or list written across several
    words (`match={kind: asr-batch, language: es-en}` unquoted at a shell): words join the
    value while it opens more brackets than it closes and does not read yet."""
    out: dict[str, Any] = {}
    rest = list(words)
    while rest:
        pair = rest.pop(0)
        key, eq, value = pair.partition("=")
        if not eq or not key or not re.fullmatch(r"[A-Za-z_][\w-]*", key):
            raise ActionError("args", f"key=value pairs, e.g. pool=tts-cpu (not {pair!r})")
        if key in out:
            raise ActionError(f"args.{key}", "given twice")
        read = _yaml(value)
        while read is None and rest and _unclosed(value):
            value += " " + rest.pop(0)
            read = _yaml(value)
        if read is None:
            raise ActionError(f"args.{key}", "a value YAML can read (quote text)")
        out[key] = read[0]
    return out


def _yaml(text: str) -> tuple[Any] | None:
    """The value YAML reads (in a 1-tuple), or None where it cannot."""
    try:
        return (yaml.safe_load(text) if text.strip() else "",)
    except yaml.YAMLError:
        return None


def _unclosed(text: str) -> bool:
    return sum(text.count(c) for c in _OPEN) > sum(text.count(c) for c in _CLOSE)


def parse_arg_text(text: str) -> dict[str, Any]:
    """The arguments as typed on one line (the prompt, the console's form): words split
    the way a shell splits them, then read as `parse_arg_words` reads them."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ActionError("args", f"key=value pairs ({exc})") from None
    return parse_arg_words(words)


def format_args(args: dict[str, Any]) -> str:
    """Arguments written back in the syntax `parse_arg_text` reads (the same dict back)."""
    out = []
    for key, value in args.items():
        text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
        text = text.removesuffix("\n...").strip()
        quoted = shlex.quote(text) if _NEEDS_QUOTES.search(text) else text
        out.append(f"{key}={quoted}")
    return " ".join(out)


# --- checking, applying and describing a move ------------------------------------------


def parse_action(name: str, args: dict[str, Any]) -> Args:
    if name not in ACTIONS:
        raise ActionError("action", f"unknown action {name!r}; expected one of {sorted(ACTIONS)}")
    try:
        return ACTIONS[name].args.model_validate(args)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ActionError("args." + ".".join(str(p) for p in first["loc"]), first["msg"]) from None


def _check_pools(parsed: Args, known: Fleet) -> None:
    """Pools an action names exist (every pool shows on the replicas panel: naming them
    tells nothing)."""
    named: list[tuple[str, str]] = []
    pool = getattr(parsed, "pool", None)
    if isinstance(pool, str) and not (pool == "all" and isinstance(parsed, RestartArgs)):
        named.append(("args.pool", pool))
    if isinstance(parsed, SplitArgs):
        named += [(f"args.split.{p}", p) for p in parsed.split]
    for where, value in named:
        if value not in known.pools:
            raise ActionError(where, f"no pool {value!r}; expected one of {sorted(known.pools)}")


def action_changes(name: str, args: dict[str, Any], now: Fleet, base: Fleet) -> dict[str, Any]:
    """The changes an action makes to `now` (parsed and its pools checked; not applied)."""
    parsed = parse_action(name, args)
    _check_pools(parsed, now)
    return ACTIONS[name].changes(parsed, now, base)


def check_action(
    name: str, args: dict[str, Any], known: Fleet, base: Fleet
) -> tuple[Args, dict[str, Any]]:
    """The one check a move gets before it is previewed or played, against the fleet the
    operator knows (`known`: as deployed, with their own actions on it). Returns the parsed
    arguments and the changes as the operator knows them; an ActionError says in an
    operator's words what is wrong and lists no setting and no configured value.

    The check is that the changes apply to `known`, and they are applied to it: `known` is
    the caller's own copy (a drill makes a fresh one for each move), and on return it is
    the fleet as the operator knows it after the move (after an ActionError, discard it).
    A copy of its own here cost a deep copy of the fleet per move checked."""
    parsed = parse_action(name, args)
    _check_pools(parsed, known)
    changes = ACTIONS[name].changes(parsed, known, base)
    for path, value in changes.items():
        try:
            set_path(known, path, value)
        except PathError as exc:
            raise ActionError(_where(name, str(exc)), _operator_words(str(exc))) from None
    return parsed, changes


def _where(name: str, message: str) -> str:
    if name != "set":
        return "args"
    unknown = any(
        w in message
        for w in ("no field", "no entry", "not a field", "nothing at", "naming a field")
    )
    return "args.path" if unknown else "args.value"


def _operator_words(message: str) -> str:
    """A path error without the list of settings or entries it would otherwise offer:
    the fleet's fields are documented (docs/fleets-and-profiles.md), its values are not
    the candidate's to read off an error."""
    message = re.sub(
        r"no (?:field|entry) ('[^']*')[^;]*; expected one of \[.*\]", r"no such setting \1", message
    )
    return message + (" (docs/fleets-and-profiles.md)" if "no such setting" in message else "")


def apply_action(name: str, parsed: Args, now: Fleet, base: Fleet) -> dict[str, Any]:
    """The changes a checked action makes to the fleet as it really stands. A change the
    real fleet cannot take (the operator's picture of it is out of date) is dropped: the
    push did not take, and nothing refuses the move. Those taken are applied to `now`, the
    caller's own copy (as `check_action` applies its changes to `known`): a change that
    fails to apply leaves the fleet as it was, so `now` ends as the fleet after the move."""
    try:
        changes = ACTIONS[name].changes(parsed, now, base)
    except (ActionError, PathError):
        return {}
    taken: dict[str, Any] = {}
    for path, value in changes.items():
        try:
            set_path(now, path, value)
        except PathError:
            continue
        taken[path] = value
    return taken


def preview(name: str, parsed: Args, known: Fleet) -> str:
    """What the move will do, in the operator's words: what they typed and the fleet as
    they know it, never whether it would change a setting the incident changed."""
    a: Any = parsed
    if name == "rollback":
        return (
            f"roll {a.target} back to its release at the incident's start: every setting "
            "under it returns to that release, whatever it is now"
        )
    if name == "pause-canary":
        return f"stop route {a.route}'s canary, if it runs one: its share goes back to the route"
    if name == "disable-shadow":
        return f"stop route {a.route} mirroring traffic to a shadow pool, if it does"
    if name == "set-split":
        total = sum(a.split.values()) or 1.0
        shares = ", ".join(f"{p} {w / total:.0%}" for p, w in a.split.items())
        return f"route {a.route} splits its traffic: {shares}"
    if name == "set":
        return f"set {a.path} to {format_args({'v': a.value})[2:]}"
    if name == "scale":
        return f"run {a.replicas} replica(s) in pool {a.pool}"
    if name == "warm-pool":
        return f"keep {a.warm_pool} warm standby replica(s) for pool {a.pool}"
    if name == "reroute":
        labels = ", ".join(f"{k}={v}" for k, v in a.match.items())
        return f"send requests with {labels} to pool {a.pool}, ahead of every other route"
    if name == "normalize-input":
        return f"turn loudness normalisation in preprocessing {'on' if a.on else 'off'}"
    if name == "restart":
        if a.pool == "all":
            return f"restart every pool ({', '.join(known.pools)}): each replica comes back cold"
        return f"restart every replica of pool {a.pool}: each comes back cold"
    return ACTIONS[name].does


def outcome(name: str, parsed: Args, known_after: Fleet) -> str:
    """What an operator sees of an action once applied: what they did and, for a pool
    rolled back, the version it now runs and its replicas (read off the fleet as they
    know it, which a rollback returns to the release; never what the rollback restored)."""
    said = preview(name, parsed, known_after)
    if name == "rollback":
        target = getattr(parsed, "target", "")
        said = f"{target} rolled back to its release at the incident's start"
        parts = split_path(known_after, target)
        if len(parts) == 2 and parts[0] == "pools" and parts[1] in known_after.pools:
            pool = known_after.pools[parts[1]]
            said += f"; pool {parts[1]} runs {pool.model}"
    return f"{name} applied, the fleet re-simulated from here: {said}"


__all__ = [
    "ACTIONS",
    "ActionError",
    "action_changes",
    "apply_action",
    "check_action",
    "format_args",
    "outcome",
    "parse_action",
    "parse_arg_text",
    "parse_arg_words",
    "preview",
    "split_path",
    "usage",
    "usage_text",
]
