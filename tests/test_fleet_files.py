"""Bad fleet files give exit 2 with the file, line, dotted field path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from drills.library.paths import library_root
from simulator.errors import InputError
from simulator.spec.config import load_fleet_file

EXAMPLE = library_root() / "fleets" / "example.yaml"


def load_error(tmp_path: Path, text: str | bytes) -> InputError:
    path = tmp_path / "fleet.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(InputError) as info:
        load_fleet_file(path)
    return info.value


def example_with(old: str, new: str) -> str:
    text = EXAMPLE.read_text()
    assert old in text
    return text.replace(old, new, 1)


def test_the_example_fleet_loads():
    fleet = load_fleet_file(EXAMPLE)
    assert set(fleet.pools) == {
        "asr-batch-gpu",
        "asr-batch-canary",
        "asr-stream-gpu",
        "tts-cpu",
        "embed-cpu",
        "embed-gpu",
        "cls-cpu",
    }
    assert fleet.workload is not None and len(fleet.workload.streams) == 5


def test_empty_file(tmp_path):
    err = load_error(tmp_path, "  \n")
    assert "empty" in err.expected and err.source.endswith("fleet.yaml")


def test_binary_file(tmp_path):
    err = load_error(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00")
    assert "binary" in err.expected


def test_yaml_syntax_error_has_a_line(tmp_path):
    err = load_error(tmp_path, "name: x\nmodels: {a: [1, 2}\n")
    assert err.line == 2 and "YAML syntax error" in err.expected


def test_not_a_mapping(tmp_path):
    err = load_error(tmp_path, "- just\n- a list\n")
    assert "mapping" in err.expected


def test_wrong_type_names_the_dotted_path_and_line(tmp_path):
    err = load_error(tmp_path, example_with("replicas: 6", "replicas: six"))
    assert err.field_path == "pools.tts-cpu.replicas"
    assert "integer" in err.expected
    assert err.line == EXAMPLE.read_text().splitlines().index("    replicas: 6") + 1


def test_unknown_key(tmp_path):
    err = load_error(tmp_path, example_with("    replicas: 6", "    replicas: 6\n    replica: 4"))
    assert err.field_path == "pools.tts-cpu.replica"
    assert "unknown field" in err.expected


def test_out_of_range_number(tmp_path):
    err = load_error(tmp_path, example_with("max_batch: 8", "max_batch: 0"))
    assert err.field_path == "pools.asr-batch-gpu.batching.max_batch"
    assert "greater than or equal to 1" in err.expected


def test_a_route_to_a_missing_pool(tmp_path):
    err = load_error(tmp_path, example_with("pool: tts-cpu", "pool: tts-cpus"))
    assert err.field_path == "routes[2].pool"
    assert "unknown pool 'tts-cpus'" in err.expected and "tts-cpu" in err.expected


def test_a_pool_with_a_missing_model_and_device(tmp_path):
    text = example_with("model: asr-batch-v3", "model: asr-batch-v9")
    text = text.replace("device: gpu-a100", "device: gpu-x1", 1)
    err = load_error(tmp_path, text)
    messages = str(err)
    assert "pools.asr-batch-gpu.model: unknown model 'asr-batch-v9'" in messages
    assert "pools.asr-batch-gpu.device: unknown device 'gpu-x1'" in messages


def test_missing_required_field(tmp_path):
    err = load_error(tmp_path, example_with("name: example-speech-fleet\n", ""))
    assert err.field_path == "name" and "missing" in err.expected


def test_workload_errors_point_into_the_stream(tmp_path):
    err = load_error(
        tmp_path,
        example_with("process: mmpp, rates_per_s: [8, 24]", "process: mmpp, rates_per_s: [8]"),
    )
    assert err.field_path.startswith("workload.streams[2].arrivals")


def test_a_host_drift_without_a_positive_correlation_time_names_its_field(tmp_path):
    drift = "    replicas: 6\n    host_drift: {cv: 0.04, correlation_s: 0}"
    err = load_error(tmp_path, example_with("    replicas: 6", drift))
    assert err.field_path == "pools.tts-cpu.host_drift.correlation_s"
    assert "greater than 0" in err.expected
