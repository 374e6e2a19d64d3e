"""A sealed pack holds what a candidate may hold, never what names the answer."""

from __future__ import annotations

import re

import pytest

from drills.library.scenario import load_key, load_scenario, scenario_dirs
from drills.library.seal import seal

SCENARIOS = scenario_dirs()


@pytest.mark.parametrize("directory", SCENARIOS, ids=[d.name for d in SCENARIOS])
def test_a_sealed_pack_holds_no_key_material(directory, tmp_path):
    loaded = load_scenario(directory / "scenario.yaml")
    key = load_key(directory / "key.yaml", loaded)
    paths = seal(loaded, tmp_path)
    assert {p.name for p in paths} == {"briefing.md", "fleet.yaml", "telemetry.md"}
    text = "\n".join(p.read_text() for p in paths)
    assert loaded.spec.briefing.page.strip()[:60] in text
    timeline = loaded.spec.timeline  # as the scenario's (default variant's) files say
    faults = [e.fault for e in timeline if e.fault is not None]
    secrets = [key.cause, key.hidden_answer[:50], *faults, *(m.id for m in key.mitigations)]
    secrets += [e.announce.detail for e in timeline if e.announce is not None]
    for secret in secrets:
        assert not re.search(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", text), secret
