"""Timeline events: changes to a running fleet at a simulated time.

Faults and trainee actions are both timeline events. An event sets fleet fields by dotted
path (`pools.gpu-a.batching.max_wait_ms`) and may announce what an operator would see (a
deploy, a config push, an alert) — the announcement is all that reaches the `events`
table, so telemetry never names an injected fault.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from simulator.spec.fleet import NonNeg, Strict

M = TypeVar("M", bound=BaseModel)

EventType = Literal["deploy", "config", "alert", "action", "autoscaler"]


class Announcement(Strict):
    type: EventType
    target: str = ""
    detail: str = ""


class TimelineEvent(Strict):
    at_s: NonNeg
    set: dict[str, Any] = Field(default_factory=dict, description="dotted fleet path → value")
    announce: Announcement | None = None


class PathError(ValueError):
    """A dotted path that does not name a settable fleet field, or a value of wrong type."""


def _step(obj: Any, part: str, path: str) -> Any:
    if isinstance(obj, dict):
        if part not in obj:
            raise PathError(f"{path}: no entry {part!r}; expected one of {sorted(obj)}")
        return obj[part]
    if obj is None:
        raise PathError(f"{path}: nothing at {part!r}")
    if isinstance(obj, list):
        if not part.isdigit() or int(part) >= len(obj):
            raise PathError(f"{path}: {part!r} is not an index below {len(obj)}")
        return obj[int(part)]
    if isinstance(obj, BaseModel):
        if part not in type(obj).model_fields:
            raise PathError(
                f"{path}: no field {part!r}; expected one of {sorted(type(obj).model_fields)}"
            )
        return getattr(obj, part)
    raise PathError(f"{path}: cannot descend into a {type(obj).__name__} at {part!r}")


def split_path(root: BaseModel, path: str) -> list[str]:
    """Split a dotted path into parts. Mapping keys may contain dots (`cohorts.fw-4.2.x`):
    at a mapping, the longest run of parts that names an existing key is taken as one key;
    `[key]` brackets say so explicitly (`cohorts[fw-4.2].gain_db`)."""
    raw: list[str] = []
    for piece in re.split(r"(\[[^\]]*\])", path):
        if piece.startswith("["):
            raw.append(piece[1:-1])
        else:
            raw.extend(p for p in piece.split(".") if p)
    if not raw:  # "", ".", "[]": a path must name a field
        raise PathError(f"{path!r}: a dotted path naming a field (e.g. pools.asr-gpu.replicas)")
    parts: list[str] = []
    obj: Any = root
    i = 0
    while i < len(raw):
        take = 1
        if isinstance(obj, dict):
            for j in range(len(raw), i, -1):
                if ".".join(raw[i:j]) in obj:
                    take = j - i
                    break
        part = ".".join(raw[i : i + take])
        parts.append(part)
        i += take
        try:
            obj = _step(obj, part, path)
        except PathError:
            obj = None  # the caller reports the failing step with the full path
    return parts


def get_path(root: BaseModel, path: str) -> Any:
    obj: Any = root
    for part in split_path(root, path):
        obj = _step(obj, part, path)
    return obj


def set_path(root: BaseModel, path: str, value: Any) -> None:
    """Validate and assign `value` at `path`; raise PathError naming the path on failure."""
    *parents, last = split_path(root, path)
    obj: Any = root
    for part in parents:
        obj = _step(obj, part, path)
    try:
        if isinstance(obj, BaseModel):
            _step(obj, last, path)
            setattr(obj, last, value)
        elif isinstance(obj, dict):
            _set_dict_entry(root, obj, parents, last, value, path)
        else:
            raise PathError(f"{path}: cannot set inside a {type(obj).__name__}")
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PathError(f"{path}: {first['msg']} (got {value!r})") from None


def _set_dict_entry(
    root: BaseModel, mapping: dict[str, Any], parents: list[str], key: str, value: Any, path: str
) -> None:
    """Dict entries (a pool, a split weight) are validated by re-assigning the whole dict."""
    owner_path = ".".join(parents)
    if not parents:
        raise PathError(f"{path}: not a field path")
    *grand, field = parents
    owner: Any = root
    for part in grand:
        owner = _step(owner, part, path)
    updated = dict(mapping)
    updated[key] = value
    if not isinstance(owner, BaseModel):
        raise PathError(f"{owner_path}: cannot set inside a {type(owner).__name__}")
    setattr(owner, field, updated)


def with_changes(root: M, changes: dict[str, Any]) -> M:
    """A copy of `root` with these changes set, in order, as `set_path` sets them (and
    refused as it refuses them), sharing with `root` every part they leave alone: only the
    objects on each changed path are copied, one level each. `root` is left as it was (a
    fleet's deep copy is tens of thousands of objects; this is a few per change). Change
    the copy again with this, never in place: what it shares would change in `root`."""
    out = root.model_copy()
    for path, value in changes.items():
        *parents, _ = split_path(out, path)
        obj: Any = out
        for part in parents:
            child = _step(obj, part, path)
            if isinstance(child, BaseModel):
                child = child.model_copy()
            elif isinstance(child, dict):
                child = dict(child)
            elif isinstance(child, list):
                child = list(child)
            else:
                break  # set_path refuses to set inside anything else
            if isinstance(obj, BaseModel):
                obj.__dict__[part] = child  # no validation: the same value, copied
            else:
                obj[int(part) if isinstance(obj, list) else part] = child
            obj = child
        set_path(out, path, value)
    return out
