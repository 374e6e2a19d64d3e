"""The voice agent's 700 ms first-response budget: the overlap arithmetic, and its
agreement with the simulated agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from drills.course.release.budget import AgentBudget, evaluate, on_paper
from tests.helpers import speechdrill

SHIPPED = Path(__file__).parents[1] / "scenarios" / "release" / "voice-agent.yaml"


def agent(**overlap) -> AgentBudget:
    data = yaml.safe_load(SHIPPED.read_text())
    data["overlap"] = overlap
    return AgentBudget.model_validate(data)


def test_serial_and_streaming_overlap_totals():
    serial = on_paper(agent(retrieval_on_partials=False, first_clause_to_tts=False))
    assert serial.serial_ms == serial.overlapped_ms == 250 + 30 + 80 + 900 + 70 + 40 + 30
    overlapped = on_paper(agent(retrieval_on_partials=True, first_clause_to_tts=True))
    # retrieval (80 ms) hides behind the 250 ms endpointing silence; TTS starts on the
    # first clause (150 ms), not the full answer (900 ms)
    assert overlapped.overlapped["retrieval"] == 0.0
    assert overlapped.overlapped["llm"] == 150.0
    assert overlapped.overlapped_ms == 250 + 30 + 0 + 150 + 70 + 40 + 30
    slow_retrieval = agent(retrieval_on_partials=True)
    slow_retrieval.stages.retrieval = 400.0
    assert on_paper(slow_retrieval).overlapped["retrieval"] == 150.0  # only the excess shows


@pytest.mark.slow
def test_the_simulated_agent_agrees_with_the_paper_and_the_sweep_finds_the_cheapest():
    result = evaluate(SHIPPED)
    paper, sim = result.paper, result.simulated
    endpoint_and_asr = paper.overlapped["capture_vad"] + paper.overlapped["asr_final"]
    assert sim.stages_p50["endpoint_and_asr"] == pytest.approx(endpoint_and_asr, rel=0.10)
    assert sim.stages_p50["llm"] == paper.overlapped["llm"]
    assert sim.percentiles["p50"] == pytest.approx(paper.overlapped_ms, rel=0.10)
    assert sim.percentiles["p50"] <= sim.percentiles["p95"] <= sim.percentiles["p99"]
    assert sim.meets(700.0)
    # the slowest turns lose their time queueing for the reply pool, not in fixed stages
    tail_excess = {k: sim.stages_tail[k] - sim.stages_p50[k] for k in sim.stages_tail}
    assert max(tail_excess, key=tail_excess.__getitem__) == "tts_first_audio_byte"
    p95 = [s.percentiles["p95"] for s in result.sweep]
    assert p95 == sorted(p95, reverse=True)  # more replicas never slower
    cheapest = result.cheapest
    assert cheapest is not None and cheapest.replicas == 4
    assert all(not s.meets(700.0) for s in result.sweep if s.replicas < 4)


def test_the_command_reports_and_rejects_bad_input(tmp_path):
    bad = yaml.safe_load(SHIPPED.read_text())
    bad["endpoint_path"] = "models.no-such-model.decoder.endpoint_silence_ms"
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(bad))
    out = speechdrill("budget", str(path), "--no-sweep")
    assert out.returncode == 2 and "endpoint_path" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow
def test_a_budget_the_fleet_cannot_meet_exits_1(tmp_path):
    tight = yaml.safe_load(SHIPPED.read_text())
    tight["target_ms"] = 500
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(tight))
    out = speechdrill("budget", str(path), "--no-sweep", "--json")
    assert out.returncode == 1
    assert json.loads(out.stdout)["simulated"]["percentiles"]["p95"] > 500
