"""The command line as scripts and CI jobs use it: output contracts and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.helpers import speechdrill


def test_version_and_help():
    out = speechdrill("--version")
    assert out.returncode == 0 and "speechdrill, version" in out.stdout
    for group in ([], ["simulate"], ["validate", "analytic"], ["profiles", "list"]):
        assert speechdrill(*group, "--help").returncode == 0


def test_simulate_json_summary_and_parquet_tables(tmp_path):
    out = speechdrill(
        "simulate", "example", "--duration", "60", "--seed", "3", "--json", "--out", str(tmp_path)
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    for key in (
        "requests",
        "completed",
        "rejected",
        "timed_out",
        "cost_usd",
        "gpu_hours",
        "cpu_hours",
        "requests_per_s",
        "latency_ms",
        "mean_batch_fill",
        "padding_waste",
    ):
        assert key in summary
    assert set(summary["latency_ms"]["asr-batch"]) == {"p50", "p95", "p99"}
    assert summary["attempts"] == (
        summary["completed"]
        + summary["rejected"]
        + summary["timed_out"]
        + summary["errors"]
        + summary["in_flight"]
    )
    con = duckdb.connect()
    n = con.execute(f"select count(*) from '{tmp_path}/requests.parquet'").fetchall()
    assert n[0][0] == summary["attempts"] + summary["shadow"]
    kinds = con.execute(f"select distinct name from '{tmp_path}/metrics.parquet'").fetchall()
    assert {"queue_depth", "utilisation", "replicas", "latency_p95_ms"} <= {k[0] for k in kinds}
    again = json.loads(
        speechdrill("simulate", "example", "--duration", "60", "--seed", "3", "--json").stdout
    )
    assert again["latency_ms"] == summary["latency_ms"]


def test_simulate_table_output():
    out = speechdrill("simulate", "example", "--duration", "30")
    assert out.returncode == 0
    assert "p95 ms" in out.stdout and "asr-batch" in out.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["simulate", "no-such-fleet"], "no such file"),
        (["simulate", "example", "--duration", "-5"], "--duration"),
        (["validate", "analytic", "--case", "mm1:lam=2,mu=1"], "mm1.lam"),
        (["validate", "fidelity", "--repeats", "0"], "--repeats"),
    ],
)
def test_bad_input_exits_2_without_a_traceback(args, fragment):
    out = speechdrill(*args)
    assert out.returncode == 2
    assert fragment in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_a_fleet_without_workload_is_bad_input(tmp_path):
    text = (Path(__file__).parents[1] / "scenarios/fleets/example.yaml").read_text()
    fleet = tmp_path / "f.yaml"
    fleet.write_text(text.split("\nworkload:")[0])
    out = speechdrill("simulate", str(fleet))
    assert out.returncode == 2 and "workload" in out.stderr


def test_a_bad_timeline_path_is_bad_input(tmp_path):
    text = (Path(__file__).parents[1] / "scenarios/fleets/example.yaml").read_text()
    fleet = tmp_path / "f.yaml"
    fleet.write_text(text + "\ntimeline:\n  - at_s: 10\n    set: {pools.nope.replicas: 2}\n")
    out = speechdrill("simulate", str(fleet), "--duration", "20")
    assert out.returncode == 2
    assert "timeline[0].set" in out.stderr and "nope" in out.stderr


def test_validate_analytic_json_and_a_missed_bound_exits_1():
    out = speechdrill("validate", "analytic", "--case", "mmck:lam=3,mu=1,c=2,k=3", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {r["metric"] for r in rows} == {"blocking_probability", "mean_wait_s"}
    for r in rows:
        assert {"case", "metric", "analytic", "simulated", "ci_low", "ci_high", "ok"} <= set(r)
        assert r["ok"] is True


def test_profiles_list_json():
    rows = json.loads(speechdrill("profiles", "list", "--json").stdout)
    assert {"name", "family", "device", "source"} <= set(rows[0])
    assert {r["family"] for r in rows} == {
        "asr-streaming",
        "asr-batch",
        "tts",
        "embedding",
        "classifier",
        "preprocess",
    }
    assert {r["source"] for r in rows} == {"measured", "roofline-estimate"}


@pytest.mark.slow
def test_simulate_runs_a_library_scenario_with_and_without_its_faults():
    faulty = json.loads(
        speechdrill("simulate", "tts-first-audio-byte", "--duration", "900", "--json").stdout
    )
    clean = json.loads(
        speechdrill(
            "simulate", "tts-first-audio-byte", "--duration", "900", "--no-faults", "--json"
        ).stdout
    )
    assert faulty["seed"] == clean["seed"] == 5  # the scenario's seed
    fab = lambda s: s["tts"]["first_audio_byte_ms"]["p95"]  # noqa: E731
    assert fab(faulty) > 1.5 * fab(clean)


def test_the_command_line_imports_a_command_only_when_it_runs():
    """`speechdrill --version` imports no command module, hence no simulator engine; every
    command listed resolves to the module that registers it, and no module registers a
    command the list lacks."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from drills.cli.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('simulator.engine', 'drills.cli.'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "['drills.cli.main']"

    import click

    from drills.cli.main import COMMANDS, LazyGroup

    registered: dict[str, str] = {}
    for module in set(COMMANDS.values()):
        group = click.Group()
        __import__(f"drills.cli.{module}", fromlist=["register"]).register(group)
        registered |= dict.fromkeys(group.commands, module)
    assert registered == COMMANDS
    lazy = LazyGroup()
    assert all(lazy.get_command(click.Context(lazy), name) is not None for name in COMMANDS)
