"""The scenario library: every file validates, every fault shows ≥ 3σ in its key's
signals against the same scenario run without faults, and bad files exit 2 precisely."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import simulator
from drills.judge.signals import deviation_sigma, series
from drills.library.scenario import load_key, load_scenario, scenario_dirs
from drills.play.transcript import load_transcript
from simulator.telemetry.bundle import TABLE_COLUMNS
from tests.helpers import RUNS, library_params, speechdrill

SCENARIOS = scenario_dirs()
IDS = [p.name for p in SCENARIOS]


def test_the_library_is_not_empty_and_every_scenario_ships_its_files():
    assert SCENARIOS
    for directory in SCENARIOS:
        assert (directory / "key.yaml").is_file()
        assert (directory / "transcripts" / "expert.yaml").is_file()
        assert (directory / "transcripts" / "naive.yaml").is_file()


@pytest.mark.parametrize("directory", SCENARIOS, ids=IDS)
def test_scenario_key_and_transcripts_validate(directory):
    loaded = load_scenario(directory / "scenario.yaml")
    assert loaded.spec.id == directory.name
    key = load_key(directory / "key.yaml", loaded)
    assert any(s.focus for s in key.signals)
    for path in (directory / "transcripts").glob("*.yaml"):
        assert load_transcript(path).scenario == loaded.spec.id
    # the announced events never name the injected fault
    for item in loaded.spec.timeline:
        if item.fault and item.announce:
            assert item.fault not in item.announce.detail


@pytest.mark.slow
@pytest.mark.parametrize("directory", library_params(SCENARIOS))
def test_the_cause_shows_at_least_3_sigma_from_a_no_fault_run(directory):
    loaded = load_scenario(directory / "scenario.yaml")
    key = load_key(directory / "key.yaml", loaded)
    # the drill's own cached runs: the drill tests score against these same two
    faulty = RUNS.get(loaded, loaded.timeline)
    clean = RUNS.get(loaded, [])
    for signal in key.signals:
        if signal.focus:
            sigma = deviation_sigma(series(faulty, signal), series(clean, signal))
            assert sigma >= 3.0, f"{signal.id}: {sigma:.1f}σ"


def test_list_and_show_json():
    rows = json.loads(speechdrill("scenario", "list", "--json").stdout)
    assert {r["id"] for r in rows} == set(IDS)
    assert {"id", "title", "path"} <= set(rows[0])
    # the time box listed is the one a drill's clock stops at (`drill status` says it)
    mic = next(r for r in rows if r["id"] == "mic-firmware-drift")
    assert mic["time_box_min"] == load_scenario(Path(mic["path"]) / "scenario.yaml").time_box_min
    assert mic["time_box_min"] < mic["estimated_minutes"]  # the window ends first
    shown = speechdrill("scenario", "show", IDS[0])
    assert shown.returncode == 0 and "PAGE" in shown.stdout
    key_text = (SCENARIOS[0] / "key.yaml").read_text()
    assert "hidden_answer" not in shown.stdout and "cause" not in shown.stdout.lower()
    assert key_text  # the key exists, but show never reveals it


def test_schema_prints_json_schema_for_every_kind():
    for kind in ("scenario", "key", "transcript", "fleet"):
        out = speechdrill("scenario", "schema", "--kind", kind)
        schema = json.loads(out.stdout)
        assert schema["additionalProperties"] is False and "properties" in schema


def test_table_columns_match_what_the_simulator_writes():
    loaded = load_scenario(SCENARIOS[0] / "scenario.yaml")
    tel = simulator.run(loaded.fleet, loaded.workload, [], seed=1, duration_s=30)
    for table, columns in TABLE_COLUMNS.items():
        assert tuple(getattr(tel, table).columns) == columns


BASE = """\
id: broken
title: A broken scenario
difficulty: easy
source: tests
fleet: {ref: example}
duration_s: 600
timeline:
  - at_s: 100
    fault: fallback-misroute
    params: {pool: embed-cpu}
briefing: {page: something broke}
clock: {start_s: 300}
"""


@pytest.mark.parametrize(
    ("text", "path_fragment", "expected_fragment"),
    [
        ("", "(top level)", "empty"),
        (b"\x00\x01\x02binary", "(top level)", "binary"),
        (BASE.replace("title: A broken scenario", "title: [unclosed"), "", "YAML syntax"),
        (BASE.replace("duration_s: 600", "duration_s: ten"), "duration_s", "number"),
        (BASE.replace("difficulty: easy", "difficulty: easy\nowner: me"), "owner", "unknown"),
        (BASE.replace("duration_s: 600", "duration_s: -5"), "duration_s", "greater than 0"),
        (
            BASE.replace("{pool: embed-cpu}", "{pool: embed-cpuu}"),
            "timeline[0].params.pool",
            "no pool 'embed-cpuu'",
        ),
        (
            BASE.replace("fault: fallback-misroute", "fault: gremlins"),
            "timeline[0].fault",
            "unknown fault",
        ),
        (BASE.replace("difficulty: easy", "difficulty: extreme"), "difficulty", "easy"),
    ],
)
def test_scenario_check_rejects_bad_files_with_exit_2(
    tmp_path, text, path_fragment, expected_fragment
):
    path = tmp_path / "scenario.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    out = speechdrill("scenario", "check", str(path))
    assert out.returncode == 2, out.stdout + out.stderr
    assert str(path) in out.stderr
    assert path_fragment in out.stderr and expected_fragment in out.stderr
    assert "Traceback" not in out.stderr


def test_a_bad_fault_parameter_points_at_its_line(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(BASE.replace("{pool: embed-cpu}", "{pool: embed-cpuu}"))
    out = speechdrill("scenario", "check", str(path))
    line = BASE.splitlines().index("    params: {pool: embed-cpu}") + 1
    assert f"{path}:{line}:" in out.stderr


def test_transcript_with_an_unknown_panel_or_action_is_rejected(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    path = folder / "t.yaml"
    path.write_text("scenario: x\nmoves:\n  - look: everything\n")
    out = speechdrill("scenario", "check", str(path))
    assert out.returncode == 2 and "moves[0].look" in out.stderr
    path.write_text("scenario: x\nmoves:\n  - act: {action: reboot-the-world}\n")
    out = speechdrill("scenario", "check", str(path))
    assert out.returncode == 2 and "moves[0].act.action" in out.stderr


def test_library_check_passes_on_every_folder():
    out = speechdrill("scenario", "check", *[str(p) for p in SCENARIOS])
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("ok ") == sum(
        2 + len(list((p / "transcripts").glob("*.yaml"))) for p in SCENARIOS
    )


def test_fleets_folder_is_checkable():
    fleets = Path(SCENARIOS[0]).parent / "fleets"
    out = speechdrill("scenario", "check", *[str(p) for p in fleets.glob("*.yaml")])
    assert out.returncode == 0


def test_the_fault_catalog_lists_and_describes_every_fault():
    from simulator.spec.faults import FAULTS

    rows = json.loads(speechdrill("fault", "list", "--json").stdout)
    assert {r["name"] for r in rows} == set(FAULTS)
    shown = json.loads(speechdrill("fault", "describe", "firmware-drift", "--json").stdout)
    assert "cohorts[{cohort}].gain_db" in shown["changes"]
    assert {p["name"] for p in shown["params"]} >= {"cohort", "gain_db"}
    assert shown["doc"]
    unknown = speechdrill("fault", "describe", "no-such-fault")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr


def test_the_schema_types_a_fault_as_one_of_the_catalog():
    from simulator.spec.faults import FAULTS

    schema = json.loads(speechdrill("scenario", "schema").stdout)
    fault = schema["$defs"]["TimelineItem"]["properties"]["fault"]
    assert fault["enum"] == sorted(FAULTS)


@pytest.mark.slow
@pytest.mark.full
def test_verify_fails_a_scenario_whose_fault_changed_under_its_key(tmp_path):
    """A copy of the GPU-cost scenario whose fault no longer makes the key's signals move:
    `scenario check` passes (the files are valid), `--verify` does not."""
    import os
    import shutil

    root = tmp_path / "library"
    shutil.copytree(SCENARIOS[0].parent / "fleets", root / "fleets")
    copy = root / "gpu-cost-no-traffic"
    shutil.copytree(SCENARIOS[0].parent / "gpu-cost-no-traffic", copy)
    text = (copy / "scenario.yaml").read_text()
    text = text.replace("fault: fallback-misroute", "fault: cold-replicas")
    (copy / "scenario.yaml").write_text(text)
    env = {**os.environ, "SPEECHDRILL_SCENARIOS": str(root)}

    def check(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "drills", "scenario", "check", *flags, str(copy)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    assert check().returncode == 0
    verified = check("--verify", "--json")
    assert verified.returncode == 1, verified.stderr
    checks = json.loads(verified.stdout)["gpu-cost-no-traffic"]
    failed = {c["name"] for c in checks if not c["ok"]}
    assert {"spend-by-pool", "expert"} <= failed
    if shutil.which("promtool"):  # a fault no reference alert can see is a scenario bug
        assert {"fallback-rate-alarm", "cost-per-request-alert"} <= failed
