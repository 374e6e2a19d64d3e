"""A JSON Schema for every file a user writes, generated from the model that validates
it: each shipped example validates against its kind's schema (as an editor would check
it), a defect the model refuses is refused by the schema too, and docs/schemas/ is the
generated set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from drills.library.file_kinds import KIND_NAMES, file_kinds
from drills.library.variant_spec import renderer_for
from simulator.spec.fileio import read_yaml
from tests.helpers import speechdrill

ROOT = Path(__file__).parents[1]
KINDS = file_kinds()
EXAMPLES = [
    pytest.param(kind, path, id=f"{kind.name}:{path.relative_to(ROOT)}")
    for kind in KINDS.values()
    for pattern in kind.examples
    for path in sorted(ROOT.glob(pattern))
]


def content(path: Path):
    """The file as its loader reads it (a templated scenario, key or transcript: its default
    variant; editors see the placeholders, docs/release-lab.md says so)."""
    if path.suffix == ".json":
        return json.loads(path.read_text())
    templated = path.name != "variants.yaml"
    data, _ = read_yaml(path, renderer_for(path) if templated else None)
    return data


def test_every_kind_is_listed_once_and_has_a_schema():
    assert tuple(KINDS) == KIND_NAMES and len(KIND_NAMES) >= 15
    for kind in KINDS.values():
        Draft202012Validator.check_schema(kind.schema())


@pytest.mark.parametrize(("kind", "path"), EXAMPLES)
def test_each_shipped_example_validates_against_its_kinds_schema(kind, path):
    data = content(path)
    errors = sorted(Draft202012Validator(kind.schema()).iter_errors(data), key=str)
    assert errors == [], [f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors]
    kind.model.model_validate(data)  # and the model agrees


def test_every_kind_with_shipped_examples_has_them():
    found = {kind.name for kind, _ in (p.values for p in EXAMPLES)}
    assert found == {k.name for k in KINDS.values() if k.examples}


@pytest.mark.parametrize(
    ("name", "path", "defect"),
    [
        ("packet", "scenarios/tts-first-audio-byte/rollback-packet.yaml", {"ownr": "x"}),
        ("budgets", "scenarios/release/asr-budgets.yaml", {"max_latency_ms": "fast"}),
        ("sweep", "scenarios/whatif/batching-window.yaml", {"sweeep": {}}),
        ("manifest", "scenarios/release/asr-manifest.yaml", {"items": {"lockfile": {}}}),
    ],
)
def test_a_defect_the_model_refuses_the_schema_refuses(name, path, defect):
    data = {**content(ROOT / path), **defect}
    assert list(Draft202012Validator(KINDS[name].schema()).iter_errors(data))


def test_the_schemas_in_docs_are_the_generated_ones(tmp_path):
    out = speechdrill("scenario", "schema", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    for kind in KIND_NAMES:
        shipped = ROOT / "docs" / "schemas" / f"{kind}.schema.json"
        assert shipped.read_text() == (tmp_path / f"{kind}.schema.json").read_text(), (
            "run: speechdrill scenario schema --out docs/schemas"
        )
    packet = json.loads(speechdrill("scenario", "schema", "--kind", "packet").stdout)
    assert {"Owner", "Dashboard", "Rollback", "SloThreshold"} <= set(packet["$defs"])
