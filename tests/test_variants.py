"""Scenario variants: the same seed gives the same incident, different seeds different
ones, every variant names only what its fleet has, and a verified one is in its band."""

from __future__ import annotations

import filecmp
import json

import pytest
import yaml

from drills.library.scenario import load_key, load_scenario, scenario_dirs
from drills.library.variant_spec import Param, substitute, variants_of
from drills.library.variants import Difficulty, instantiate
from drills.play.transcript import load_transcript
from simulator.errors import InputError
from tests.helpers import speechdrill

VARIED = [d for d in scenario_dirs() if variants_of(d) is not None]


def test_the_library_declares_variants():
    assert {d.name for d in VARIED} >= {
        "mic-firmware-drift",
        "gpu-cost-no-traffic",
        "tts-first-audio-byte",
    }


def test_parameters_go_in_and_unknown_ones_are_bad_input():
    text = "gain: ${gain_db}\ncohort: ${cohort}\n"
    data = substitute(
        yaml.safe_load(text), yaml.compose(text), {"gain_db": 20, "cohort": "fw-4.1"}, "f"
    )
    assert data == {"gain": 20, "cohort": "fw-4.1"}
    with pytest.raises(InputError) as caught:
        bad = "a: 1\nb: ${nope}\n"
        substitute(yaml.safe_load(bad), yaml.compose(bad), {"gain_db": 1}, "key.yaml")
    assert caught.value.line == 2 and caught.value.field_path == "${nope}"
    assert Param(range=(420, 720), step=60, default=540).values() == [420, 480, 540, 600, 660, 720]
    assert Param(range=(0.5, 1.0), step=0.25, default=0.5).values() == [0.5, 0.75, 1.0]
    with pytest.raises(ValueError):
        Param(choices=["a"], range=(1, 2), step=1, default="a")


@pytest.mark.parametrize("folder", VARIED, ids=lambda p: p.name)
def test_twenty_seeds_give_valid_distinct_variants_naming_only_what_they_have(folder, tmp_path):
    """Rendered without simulating: each variant loads (the key's and transcripts' moves
    are valid on the variant's own fleet), names only cohorts and pools it has, and seeds
    give different incidents while one seed gives the same files bit for bit."""
    seen = set()
    for seed in range(20):
        variant = instantiate(folder, seed, tmp_path / str(seed), verify=False)
        scenario = load_scenario(variant.folder / "scenario.yaml")
        key = load_key(variant.folder / "key.yaml", scenario)
        for path in (variant.folder / "transcripts").glob("*.yaml"):
            load_transcript(path, scenario)  # plays every move on the variant's fleet
        for move in [*key.all_mitigations(), *key.harmful]:
            target = move.args.get("target")
            if isinstance(target, str) and target.split(".")[0] in ("pools", "cohorts"):
                kind, name = target.split(".", 1)
                assert name in getattr(scenario.fleet, kind), (seed, target)
        for signal in key.signals:
            if "cohort" in signal.focus:
                assert signal.focus["cohort"] in scenario.fleet.cohorts
        seen.add(json.dumps(variant.params, sort_keys=True))
    assert len(seen) >= 10  # twenty seeds, mostly different incidents
    instantiate(folder, 7, tmp_path / "again", verify=False)
    same = filecmp.dircmp(tmp_path / "7", tmp_path / "again")
    assert not same.diff_files and not same.left_only and not same.right_only


def test_difficulty_is_measured_from_the_evidence():
    assert Difficulty.measure([300.0, 1000.0], 0, 1, 5, 1).band == "easy"
    faint = Difficulty.measure([6.0, 40.0], 1, 1, 5, 1)
    assert faint.points == 3 and faint.band == "medium"
    compound = Difficulty.measure([6.0], 2, 2, 8, 2)
    assert compound.band == "hard" and compound.weakest_sigma == 6.0


@pytest.mark.slow
def test_a_variant_is_verified_and_the_command_reports_it(tmp_path):
    out = speechdrill(
        "scenario", "variant", "mic-firmware-drift", "--seed", "3", "--out", str(tmp_path), "--json"
    )
    assert out.returncode == 0, out.stderr
    (variant,) = json.loads(out.stdout)
    assert variant["ok"] and variant["difficulty"]["band"] in ("easy", "medium")
    scores = {c["name"]: c["value"] for c in variant["checks"] if c["what"] == "transcript"}
    assert scores["expert"] >= 85 and scores["naive"] <= 40  # the templated expert recovers it
    assert all(c["ok"] for c in variant["checks"] if c["what"] in ("signal", "rule"))
    folder = tmp_path / "mic-firmware-drift-3"
    params = json.loads((folder / "variant.json").read_text())["params"]
    assert params == variant["params"]
    text = (folder / "key.yaml").read_text()
    assert "${" not in text and f"cohorts.{params['cohort']}" in text


def test_every_scenario_file_is_valid_yaml_before_its_parameters_are_in():
    """Parameters go in after parsing: every file of the library parses as it stands (so
    editors and linters read it), placeholders in flow context quoted."""
    from drills.library.paths import library_root

    files = [p for p in library_root().rglob("*.yaml") if "${" in p.read_text()]
    assert len(files) > 30
    for path in files:
        yaml.safe_load(path.read_text())  # raises on an invalid file


def test_a_placeholder_takes_its_value_as_typed():
    """A scalar that is exactly a placeholder takes the parameter as typed ("no" and "1:30"
    stay strings, 600 an int); text around a placeholder gets it interpolated."""
    text = 'a: ${n}\nb: "${word}"\nc: ["${t}", 2]\nd: at ${t} after ${n}\ne: {f: "x.${word}"}\n'
    params = {"n": 600, "word": "no", "t": "1:30"}
    data = substitute(yaml.safe_load(text), yaml.compose(text), params, "f.yaml")
    assert data == {
        "a": 600,
        "b": "no",
        "c": ["1:30", 2],
        "d": "at 1:30 after 600",
        "e": {"f": "x.no"},
    }
