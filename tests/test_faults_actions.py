"""The fault library and the trainee actions act through fleet fields, validly."""

from __future__ import annotations

import copy

import pytest

from drills.library.paths import library_root
from drills.play.actions import ACTIONS, ActionError, action_changes, check_action
from simulator import check_timeline
from simulator.spec.config import fleet_only, load_fleet_file
from simulator.spec.faults import FAULTS, FaultError, fault_changes
from simulator.spec.fleet import RouteRule
from simulator.spec.timeline import PathError, TimelineEvent, get_path, set_path, with_changes
from tests.helpers import fleet as small_fleet
from tests.helpers import requests, simulate

EXAMPLE = fleet_only(load_fleet_file(library_root() / "fleets" / "example.yaml"))
SAMPLE_PARAMS = {
    "partial-stabilisation-off": {"model": "asr-stream-v2"},
    "chunk-size-change": {"model": "asr-stream-v2", "chunk_ms": 100},
    "beam-change": {"model": "asr-batch-v3", "beam": 8},
    "endpointing-change": {"model": "asr-stream-v2", "endpoint_silence_ms": 900},
    "lm-rescoring-on-partials": {"model": "asr-stream-v2"},
    "network-jitter": {"cohort": "fw-4.1", "jitter_ms": 80},
    "voice-update": {"pool": "tts-cpu", "model": "tts-voice-b"},
    "model-update": {"pool": "asr-batch-canary", "model": "asr-batch-v3"},
    "cold-replicas": {"pool": "tts-cpu"},
    "fallback-misroute": {"pool": "embed-cpu"},
    "shadow-left-on": {"route": 0, "pool": "asr-batch-canary"},
    "canary-started": {"route": 0, "pool": "asr-batch-canary", "percent": 10},
    "batching-change": {"pool": "asr-batch-gpu", "max_wait_ms": 300},
    "retry-storm": {"max_attempts": 6, "backoff_ms": 10, "budget_ratio": 5},
    "firmware-drift": {"cohort": "fw-4.2", "true_sample_rate_hz": 8000},
    "feature-mismatch": {"feature_config": "logmel128-16k"},
    "autoscaler-target-change": {"pool": "tts-cpu", "target": 0.95},
}


def test_every_fault_has_a_sample_and_a_mechanism():
    assert set(SAMPLE_PARAMS) | {"cascade-threshold-change"} == set(FAULTS)
    assert all(f.mechanism for f in FAULTS.values())


@pytest.mark.parametrize("name", sorted(SAMPLE_PARAMS))
def test_each_fault_is_a_valid_timeline_event_on_the_example_fleet(name):
    changes = fault_changes(name, SAMPLE_PARAMS[name], EXAMPLE)
    assert changes
    event = TimelineEvent(at_s=10, set=changes)
    assert check_timeline(EXAMPLE, [event]) == []
    scratch = copy.deepcopy(EXAMPLE)
    for path, value in changes.items():
        set_path(scratch, path, value)
    assert scratch.model_dump() != EXAMPLE.model_dump()


def test_a_change_copied_along_its_path_is_the_change_set_on_a_deep_copy():
    """`with_changes` (the judge's fleets: a few objects copied per change, not the whole
    fleet) makes the fleet `set_path` makes on a deep copy, and leaves the fleet it was
    given as it was, through every fault, the route actions and a chain of changes."""
    as_given = EXAMPLE.model_dump()
    now = with_changes(EXAMPLE, {"routes.0.canary": {"pool": "asr-batch-canary", "percent": 30}})
    samples = [fault_changes(name, params, EXAMPLE) for name, params in SAMPLE_PARAMS.items()]
    samples += [
        action_changes(name, args, now, EXAMPLE)
        for name, args in [
            ("pause-canary", {"route": 0}),
            ("set-split", {"route": 0, "split": {"asr-batch-gpu": 9, "asr-batch-canary": 1}}),
            ("restart", {"pool": "all"}),
            ("rollback", {"target": "routes"}),
        ]
    ]
    chained, deep = EXAMPLE, copy.deepcopy(EXAMPLE)
    for changes in samples:
        for path, value in changes.items():
            set_path(deep, path, value)
        chained = with_changes(chained, changes)
        assert chained.model_dump() == deep.model_dump()
        assert with_changes(now, changes).model_dump() != now.model_dump()
    assert EXAMPLE.model_dump() == as_given
    assert now.routes[0].canary is not None and EXAMPLE.routes[0].canary is None
    with pytest.raises(PathError):
        with_changes(EXAMPLE, {"pools.tts-cpu.replicas": 2, "pools.tts-cpu.slots_per_replica": 0})
    assert EXAMPLE.model_dump() == as_given


def test_fault_errors_name_the_parameter():
    with pytest.raises(FaultError) as info:
        fault_changes("voice-update", {"pool": "nope", "model": "tts-voice-b"}, EXAMPLE)
    assert info.value.path == "params.pool"
    with pytest.raises(FaultError) as info:
        fault_changes("chunk-size-change", {"model": "asr-stream-v2", "chunk_ms": -1}, EXAMPLE)
    assert info.value.path == "params.chunk_ms"
    with pytest.raises(FaultError) as info:
        fault_changes("beam-change", {"model": "asr-batch-v3", "beam": 2, "x": 1}, EXAMPLE)
    assert info.value.path == "params.x"


def test_rollback_restores_every_changed_field_under_its_prefix():
    now = copy.deepcopy(EXAMPLE)
    set_path(now, "cohorts.fw-4.2.gain_db", 20)
    set_path(now, "cohorts.fw-4.2.true_sample_rate_hz", 8000)
    set_path(now, "pools.tts-cpu.model", "tts-voice-b")
    changes = action_changes("rollback", {"target": "cohorts.fw-4.2"}, now, EXAMPLE)
    assert changes == {"cohorts.fw-4.2.gain_db": 0.0, "cohorts.fw-4.2.true_sample_rate_hz": None}
    for path, value in changes.items():
        set_path(now, path, value)
    assert get_path(now, "cohorts[fw-4.2]") == EXAMPLE.cohorts["fw-4.2"]
    assert now.pools["tts-cpu"].model == "tts-voice-b"  # outside the prefix: untouched


@pytest.mark.parametrize("target", [".", "pools", "cohorts", "models", "stages", "slices"])
def test_a_rollback_names_one_entry_never_every_entry_of_a_kind(target):
    """Rolling back every cohort restores the one the fault changed without knowing which
    (in every variant alike): refused, like a fleet-wide rollback."""
    with pytest.raises(ActionError, match="rollbacks of every entry of a kind are refused"):
        action_changes("rollback", {"target": target}, EXAMPLE, EXAMPLE)


def test_route_actions_produce_valid_fleets():
    now = copy.deepcopy(EXAMPLE)
    set_path(now, "routes.0.canary", {"pool": "asr-batch-canary", "percent": 30})
    for name, args in [
        ("pause-canary", {"route": 0}),
        ("disable-shadow", {"route": 0}),
        ("set-split", {"route": 0, "split": {"asr-batch-gpu": 9, "asr-batch-canary": 1}}),
        ("reroute", {"match": {"kind": "asr-batch", "language": "es-en"}, "pool": "asr-batch-gpu"}),
        ("restart", {"pool": "all"}),
        ("scale", {"pool": "tts-cpu", "replicas": 6}),
        ("normalize-input", {"on": False}),
    ]:
        changes = action_changes(name, args, now, EXAMPLE)
        assert check_timeline(now, [TimelineEvent(at_s=0, set=changes)]) == [], name


def test_unsafe_actions_are_marked_and_bad_arguments_named():
    assert ACTIONS["log-raw-audio"].unsafe and not ACTIONS["rollback"].unsafe
    with pytest.raises(ActionError) as info:
        action_changes("scale", {"pool": "nope", "replicas": 1}, EXAMPLE, EXAMPLE)
    assert info.value.path == "args.pool"
    with pytest.raises(ActionError) as info:
        action_changes("scale", {"pool": "tts-cpu"}, EXAMPLE, EXAMPLE)
    assert info.value.path == "args.replicas"
    for empty in ("", ".", "[]"):  # a path naming no field is refused, not a crash
        with pytest.raises(ActionError) as info:
            check_action("set", {"path": empty, "value": 0}, EXAMPLE, EXAMPLE)
        assert info.value.path == "args.path", str(info.value)


def test_cascade_escalates_hard_audio_to_the_large_pool():
    f = small_fleet()
    f.pools["large"] = f.pools["p"].model_copy(deep=True)
    f.routes = [
        RouteRule(
            cascade={
                "small": "p",
                "large": "large",
                "escalate_below_snr_db": 100,
                "escalate_above_audio_s": 5,
            }
        )
    ]
    _, tel = simulate(f, requests([0.0, 1.0], audio=[1.0, 1.0]))
    assert tel.requests["pool"].tolist() == ["large", "large"]  # SNR below 100 dB: hard
    f.routes[0].cascade.escalate_below_snr_db = -100
    _, tel = simulate(f, requests([0.0, 1.0], audio=[1.0, 9.0]))
    assert tel.requests["pool"].tolist() == ["p", "large"]  # only the long one escalates


def test_a_voice_agent_turn_reports_its_first_response():
    f = small_fleet(
        slots_per_replica=4,
        model={"family": "asr-streaming", "decoder": {"endpoint_silence_ms": 300}},
    )
    f.models["voice"] = f.models["m"].model_copy(update={"family": "tts"})
    f.pools["tts"] = f.pools["p"].model_copy(update={"model": "voice"})
    f.agent = {
        "tenant": "default",
        "reply_pool": "tts",
        "retrieval_ms": 100,
        "llm_first_token_ms": 200,
        "network_ms": 50,
        "reply_audio_s": 4.0,
    }
    _, tel = simulate(f, requests([0.0], audio=[2.0], kind="asr-streaming"))
    r = tel.requests
    assert r["kind"].tolist() == ["asr-streaming", "tts"]
    turn, reply = r.iloc[0], r.iloc[1]
    assert reply.origin_request_id == 0 and reply.audio_s == 4.0
    assert reply.arrival_s == pytest.approx(turn.done_s + 0.3)
    spoke_until = turn.arrival_s + turn.audio_s
    fab_at = reply.arrival_s + reply.first_audio_byte_ms / 1000
    assert reply.first_response_ms == pytest.approx((fab_at + 0.05 - spoke_until) * 1000, rel=1e-5)
