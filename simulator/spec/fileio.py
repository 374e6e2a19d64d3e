"""Load user-written YAML files into pydantic models with precise error locations.

Every failure becomes an `InputError` naming the file, the dotted field path, the line
(where the YAML parser can tell) and what was expected — for empty files, binary files,
YAML syntax errors, wrong types, unknown keys and out-of-range values alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simulator.errors import InputError, InputErrors

M = TypeVar("M", bound=BaseModel)
FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """YAML text as data, parsed by libyaml where PyYAML has it (the judge's word lists
    are read by every process that starts)."""
    return yaml.load(text, Loader=FastLoader)


def read_yaml(
    path: Path, transform: Callable[[Any, yaml.Node | None], Any] | None = None
) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file; returns the data and its node tree (for line numbers). `transform`
    rewrites the parsed data (a scenario variant's parameters), given the node tree: the
    file itself is always valid YAML, and its line numbers are the file's."""
    source = str(path)
    if not path.exists():
        raise InputError(source, "", "file not found")
    if path.is_dir():
        raise InputError(source, "", "expected a YAML file, found a directory")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputError(source, "", "expected a UTF-8 YAML text file, found binary data")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            source, "", f"expected UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    if not text.strip():
        raise InputError(source, "", "file is empty; expected a YAML mapping")
    try:
        # parsed once, by libyaml where PyYAML was built with it (several times faster: a
        # console loads every scenario at start), and the data built from the same nodes
        loader = FastLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(source, "", f"YAML syntax error: {problem}", line=line) from None
    if transform is not None:
        data = transform(data, node)
    return data, node


def line_of(node: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """Walk a composed YAML node tree along a field path; return the 1-based line."""
    current = node
    line = current.start_mark.line + 1 if current is not None else None
    for key in path:
        if isinstance(current, yaml.MappingNode):
            found = next((v for k, v in current.value if k.value == str(key)), None)
            if found is None:
                # unknown keys: point at the key itself
                found_key = next((k for k, _ in current.value if k.value == str(key)), None)
                return found_key.start_mark.line + 1 if found_key is not None else line
            current = found
        elif isinstance(current, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(current.value):
                return line
            current = current.value[key]
        else:
            return line
        line = current.start_mark.line + 1
    return line


def dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_errors(
    exc: ValidationError, source: str, node: yaml.Node | None, prefix: tuple[Any, ...] = ()
) -> InputErrors:
    errors = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
        full = prefix + loc
        expected = _expected(err)
        errors.append(InputError(source, dotted(full), expected, line_of(node, full)))
    return InputErrors(errors)


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the tag of a discriminated-union member into locations
    return isinstance(part, str) and (part.startswith("function-") or "[" in part)


def _expected(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown field (not allowed here; check the spelling)"
    if kind == "missing":
        return "required field is missing"
    msg = str(err["msg"]).removeprefix("Value error, ")  # our validators' own words
    if "input" in err and kind not in ("model_type", "dict_type"):
        return f"{msg} (got {err['input']!r})"[:300]
    return msg


def load_model(path: Path, model: type[M]) -> M:
    """Read `path` and validate it as `model`; raise InputError(s) on any problem."""
    data, node = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(str(path), "", f"expected a YAML mapping, found {type(data).__name__}")
    return validate_data(data, model, str(path), node)


def validate_data(
    data: Any, model: type[M], source: str, node: yaml.Node | None = None, context: Any = None
) -> M:
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise validation_errors(exc, source, node) from None
