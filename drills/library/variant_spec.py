"""The variants file of a scenario folder (`variants.yaml`): what varies between
candidates, and rendering `${name}` in the scenario's files (drills/library/variants.py draws and
verifies instances)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import Field, model_validator

from simulator.errors import InputError
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import Strict

VARIANTS_FILE = "variants.yaml"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
Band = Literal["easy", "medium", "hard"]
BANDS: tuple[Band, ...] = ("easy", "medium", "hard")


class Param(Strict):
    """One varying parameter: `choices`, or a numeric `range` on a `step` grid."""

    choices: list[str | int | float] | None = None
    range: tuple[float, float] | None = None
    step: float | None = Field(None, gt=0)
    default: str | int | float

    @model_validator(mode="after")
    def _one_kind(self) -> Param:
        if (self.choices is None) == (self.range is None):
            raise ValueError("give `choices` or `range` (with `step`)")
        if self.range is not None and (self.step is None or self.range[1] < self.range[0]):
            raise ValueError("a `range` needs low ≤ high and a `step`")
        return self

    def values(self) -> list[str | int | float]:
        if self.choices is not None:
            return list(self.choices)
        assert self.range is not None and self.step is not None
        low, high = self.range
        n = round((high - low) / self.step) + 1
        grid = [low + i * self.step for i in range(n)]
        whole = all(float(v).is_integer() for v in (low, self.step))
        return [int(v) if whole else round(v, 6) for v in grid]


class VariantSpec(Strict):
    band: list[Band] = Field(min_length=1, description="the difficulty bands a variant may fall in")
    params: dict[str, Param] = Field(min_length=1)

    def defaults(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.params.items()}

    def draw(self, seed: int) -> dict[str, Any]:
        rng = np.random.default_rng(seed)
        return {name: _pick(p.values(), rng) for name, p in self.params.items()}


def _pick(values: list[Any], rng: np.random.Generator) -> Any:
    return values[int(rng.integers(len(values)))]


def variants_of(folder: Path) -> VariantSpec | None:
    """The folder's variants file, read once per version of it: every scenario, key and
    transcript load of the folder asks for it."""
    path = folder / VARIANTS_FILE
    if not path.is_file():
        return None
    return _read_variants(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _read_variants(source: str, stamp: int) -> VariantSpec:
    data, node = read_yaml(Path(source))
    return validate_data(data, VariantSpec, source, node)


def substitute(data: Any, node: yaml.Node | None, params: dict[str, Any], source: str) -> Any:
    """The parsed file with its parameters in: a scalar that is exactly `${name}` takes the
    parameter's value as it is typed in the variants file (600, 0.05, "no", "1:30" stay what
    they are), a string that holds `${name}` among other text gets it interpolated. An
    unknown name is bad input naming its line."""
    if isinstance(data, dict):
        pairs = node.value if isinstance(node, yaml.MappingNode) else []
        nodes = [(k, v) for k, v in pairs] + [(None, None)] * (len(data) - len(pairs))
        return {
            substitute(k, kn, params, source): substitute(v, vn, params, source)
            for (k, v), (kn, vn) in zip(data.items(), nodes, strict=False)
        }
    if isinstance(data, list):
        items = node.value if isinstance(node, yaml.SequenceNode) else []
        items = [*items, *([None] * (len(data) - len(items)))]
        return [substitute(v, n, params, source) for v, n in zip(data, items, strict=False)]
    if not isinstance(data, str) or "${" not in data:
        return data
    line = node.start_mark.line + 1 if node is not None else None

    def value(name: str) -> Any:
        if name not in params:
            raise InputError(source, f"${{{name}}}", f"a parameter of {VARIANTS_FILE}", line)
        return params[name]

    whole = PLACEHOLDER.fullmatch(data)
    if whole:
        return value(whole.group(1))
    return PLACEHOLDER.sub(lambda m: str(value(m.group(1))), data)


def substituter(params: dict[str, Any], source: str) -> Any:
    """`read_yaml`'s transform that puts these parameters into a file."""
    return lambda data, node: substitute(data, node, params, source)


def renderer_for(path: Path) -> Any:
    """For a scenario, key or transcript file in a folder with variants: the transform that
    puts its default variant's parameters in (None where nothing varies)."""
    for folder in (path.parent, path.parent.parent):
        spec = variants_of(folder) if (folder / "scenario.yaml").is_file() else None
        if spec is not None:
            return substituter(spec.defaults(), str(path))
    return None
