"""The rollback packet: every check with an example that fails it, and the shipped
packet's rollback used as a mitigation in its scenario."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from drills.course.release.packet import RollbackPacket, check, private_data, threshold_problems
from drills.judge.scoring import first_mitigation
from drills.library.scenario import Act, Move, load_key, load_scenario, resolve_scenario
from drills.play.drill import Drill
from simulator.errors import InputError
from tests.helpers import RUNS, speechdrill

SHIPPED = Path(__file__).parents[1] / "scenarios" / "tts-first-audio-byte" / "rollback-packet.yaml"
FLAT = Path(__file__).parent / "packets" / "flat-rollback-packet.yaml"
PACKET = yaml.safe_load(SHIPPED.read_text())


def variant(tmp_path: Path, **changes) -> Path:
    data = copy.deepcopy(PACKET)
    for dotted, value in changes.items():
        target = data
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(last)
        else:
            target[last] = value
    path = tmp_path / "packet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.slow
def test_the_shipped_packet_is_usable_and_its_query_tells_broken_from_fixed(tmp_path):
    out = speechdrill("packet", "check", str(SHIPPED), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout)
    assert result["ok"] and result["verification"] == {"incident": False, "after_rollback": True}
    # the course's flat shape (one string per field) is still a usable packet
    flat = check(FLAT)
    assert flat.ok and flat.verdicts == {"incident": False, "after_rollback": True}
    # a query that passes whatever happened cannot verify anything
    always = variant(tmp_path, verification__query="SELECT true AS ok")
    problems = check(always).problems
    assert [(p.field, p.reason) for p in problems] == [
        ("verification.query", "passes on the incident too: it cannot tell")
    ]


def test_schema_problems_are_bad_input_naming_the_field(tmp_path):
    out = speechdrill("packet", "check", str(variant(tmp_path, support_message=None)))
    assert out.returncode == 2 and "support_message" in out.stderr and "Traceback" not in out.stderr
    with pytest.raises(InputError) as caught:
        check(variant(tmp_path, fleet="no-such-scenario"))
    assert caught.value.field_path == "fleet"


@pytest.mark.slow
def test_each_check_fails_on_its_own_example(tmp_path):
    def problems(**changes) -> set[tuple[str, str]]:
        return {
            (p.field, p.reason.split(":")[0]) for p in check(variant(tmp_path, **changes)).problems
        }

    bad_pool = problems(rollback={"action": "rollback", "args": {"target": "pools.tts-gpu"}})
    assert any(field.startswith("rollback") for field, _ in bad_pool)
    nested = problems(rollback={"command": {"action": "reboot-the-voice"}, "notes": "n"})
    assert {f for f, _ in nested} == {"rollback.command.action"}
    unknown = problems(rollback={"action": "reboot-the-voice", "args": {}})
    assert {f for f, _ in unknown} == {"rollback.action"}
    assert ("slo_thresholds[0].metric", "the telemetry has no 'time_to_happiness'") in problems(
        slo_thresholds=[{"metric": "time_to_happiness", "max": 1}]
    )
    broken_sql = problems(verification__query="SELECT ok FROM nowhere")
    assert {f for f, _ in broken_sql} == {"verification.query"}
    no_verdict = problems(verification__query="SELECT count(*) AS n FROM requests")
    assert {f for f, _ in no_verdict} == {"verification.query"}


def test_private_data_is_found_wherever_it_hides():
    found = private_data(
        {
            "owner": "jane.doe@example.com",
            "notes": "call +1 (415) 555-0134 if stuck",
            "known_risks": ["see s3://bucket/calls/2026-11-30/user42.wav"],
            "support_message": "transcript: my card number is ...",
            "dashboards": ["latency-by-kind"],
            "model_version": "tts-voice-b 2.0.1",
        }
    )
    assert {(p.field, p.reason.split(":")[0]) for p in found} == {
        ("owner", "holds an e-mail address"),
        ("notes", "holds a phone number"),
        ("known_risks[0]", "holds a raw audio path"),
        ("support_message", "holds a person's words (transcript text)"),
    }


@pytest.mark.slow
def test_running_the_packets_rollback_is_a_valid_mitigation_in_its_scenario():
    scenario = load_scenario(resolve_scenario(PACKET["fleet"]))
    key = load_key(scenario.directory / "key.yaml", scenario)
    drill = Drill(scenario, RUNS)
    drill.play(Move(act=Act(**PACKET["rollback"]["command"])))
    found = first_mitigation(drill, key)
    assert found is not None and found[1].id == "rollback-voice"


def test_each_shape_of_each_field_validates_and_mixes():
    """Owner as a string or a team with its on-call, dashboards as names or title + URL,
    the rollback as an action or a command with notes: any mix is one packet."""
    flat = RollbackPacket.model_validate(yaml.safe_load(FLAT.read_text()))
    nested = RollbackPacket.model_validate(PACKET)
    assert isinstance(flat.owner, str) and not isinstance(nested.owner, str)
    assert nested.owner.on_call.rotation == "voice-platform primary"
    assert nested.dashboards[0].title == "Latency by kind"
    assert flat.command()[0] == nested.command()[0] and nested.command()[1] == "rollback.command"
    mixed = {
        **PACKET,
        "owner": "voice-platform rota",
        "dashboards": ["slo-burn", PACKET["dashboards"][0]],
    }
    assert RollbackPacket.model_validate(mixed).dashboards[0] == "slo-burn"
    shape = RollbackPacket.model_json_schema()
    assert {"Owner", "OnCall", "Dashboard", "Rollback", "SloThreshold"} <= set(shape["$defs"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"dashboards": [{"title": "SLO burn", "url": "grafana slo-burn"}]}, "dashboards[0]"),
        ({"owner": {"team": "voice", "oncall": "x"}}, "owner"),
        ({"rollback": {"command": {"action": "rollback"}, "note": "typo"}}, "rollback"),
        ({"slo_thresholds": [{"metric": "latency_ms", "statistic": "p97", "max": 1}]}, "statistic"),
    ],
)
def test_a_defective_nested_field_is_bad_input_naming_its_path(tmp_path, change, field):
    path = tmp_path / "packet.yaml"
    path.write_text(yaml.safe_dump({**PACKET, **change}, sort_keys=False))
    with pytest.raises(InputError) as caught:
        check(path)
    assert field in caught.value.field_path or field in str(caught.value)


def test_thresholds_name_the_schemas_signals_in_its_units_and_labels():
    scenario = load_scenario(resolve_scenario(PACKET["fleet"]))

    def problems(*thresholds: dict) -> dict[str, str]:
        packet = RollbackPacket.model_validate({**PACKET, "slo_thresholds": list(thresholds)})
        return {p.field: p.reason for p in threshold_problems(packet, scenario.fleet)}

    # every rate the telemetry writes is a threshold's metric (the timeouts_per_s)
    for metric in ("timeouts_per_s", "errors_per_s", "retries_per_s", "rejected_per_s"):
        assert problems({"metric": metric, "table": "metrics", "max": 1}) == {}
    assert problems({"metric": "first_audio_byte_ms", "unit": "s", "max": 0.25}) == {}
    typo = problems({"metric": "timeout_per_s", "max": 1})
    assert "did you mean 'timeouts_per_s'" in typo["slo_thresholds[0].metric"]
    wrong_table = problems({"metric": "latency_p95_ms", "table": "requests", "max": 1})
    assert wrong_table["slo_thresholds[0].metric"].startswith("the requests table has no")
    unit = problems({"metric": "latency_p95_ms", "unit": "MB", "max": 1})
    assert unit == {"slo_thresholds[0].unit": "latency_p95_ms is in ms: write it in ms, s"}
    label = problems({"metric": "latency_p95_ms", "scope": {"pool": "tts-cpu"}, "max": 1})
    assert label == {"slo_thresholds[0].scope.pool": "latency_p95_ms is by kind only"}
    pool = problems({"metric": "latency_ms", "scope": {"pool": "tts-gpu"}, "max": 1})
    assert "the fleet has no pool 'tts-gpu'" in pool["slo_thresholds[0].scope.pool"]
    assert problems({"metric": "latency_ms", "statistic": "p99"}) == {
        "slo_thresholds[0]": "a threshold: give max or min"
    }
