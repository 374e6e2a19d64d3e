"""The voice agent's first-response budget (the course's Exercise 3): can a speech-to-speech
agent answer within 700 ms of the end of the user's turn?

On paper: the stages (capture/VAD, ASR final, retrieval, first LLM tokens, TTS first audio
byte, network, client playback) added serially, against the streaming-overlap total:
retrieval started on ASR partials hides behind the endpointing silence, and TTS starting on
the LLM's first clause waits for the first tokens instead of the whole answer.

In the simulator: the same agent as a fleet (the scenario's, without its faults, with the
overlap plan's stage times), its first-response distribution (p50/p95/p99) and, stage by
stage, where the slowest 5% of turns lose their time; then a what-if over the reply pool's
replicas for the cheapest one that meets the target at p95.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from drills.library.scenario import LoadedScenario, load_scenario, resolve_scenario
from drills.runs.service import Runs
from simulator.errors import InputError
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import NonNeg, Pos, Strict
from simulator.spec.timeline import PathError, set_path
from simulator.telemetry.bundle import Telemetry


class Stages(Strict):
    """Each stage's budget in ms (typical, at the median)."""

    capture_vad: NonNeg = Field(description="endpointing: silence before the turn is over")
    asr_final: NonNeg = Field(description="ASR final result after the endpoint")
    retrieval: NonNeg
    llm_first_tokens: NonNeg = Field(description="the LLM's first clause")
    llm_full_answer: NonNeg = Field(description="the whole answer (what serial TTS waits for)")
    tts_first_audio_byte: NonNeg
    network: NonNeg
    playback: NonNeg = Field(0.0, description="client jitter buffer before audio plays")
    small_model_first_tokens: NonNeg | None = Field(
        None, description="a small model's first clause, for low-risk turns that bypass"
    )


class Overlap(Strict):
    retrieval_on_partials: bool = True
    first_clause_to_tts: bool = True


class Sweep(Strict):
    pool: str = Field(min_length=1, description="the pool whose replicas the what-if varies")
    replicas: list[int] = Field(min_length=1)
    duration_s: Pos = 900.0


class AgentBudget(Strict):
    target_ms: Pos = 700.0
    scenario: str = Field(min_length=1, description="the agent's fleet (a scenario, no faults)")
    set: dict[str, Any] = Field(default_factory=dict, description="fleet overrides")
    endpoint_path: str = Field(
        description="the fleet field that holds the endpointing silence (capture_vad)"
    )
    stages: Stages
    overlap: Overlap = Overlap()
    sweep: Sweep | None = None


@dataclass
class PaperBudget:
    serial: dict[str, float]
    overlapped: dict[str, float]

    @property
    def serial_ms(self) -> float:
        return sum(self.serial.values())

    @property
    def overlapped_ms(self) -> float:
        return sum(self.overlapped.values())


def on_paper(agent: AgentBudget) -> PaperBudget:
    s = agent.stages
    serial = {
        "capture_vad": s.capture_vad,
        "asr_final": s.asr_final,
        "retrieval": s.retrieval,
        "llm": s.llm_full_answer,
        "tts_first_audio_byte": s.tts_first_audio_byte,
        "network": s.network,
        "playback": s.playback,
    }
    overlapped = dict(serial)
    if agent.overlap.retrieval_on_partials:  # runs while the endpointer waits out the silence
        overlapped["retrieval"] = max(0.0, s.retrieval - s.capture_vad)
    if agent.overlap.first_clause_to_tts:
        overlapped["llm"] = s.llm_first_tokens
    return PaperBudget(serial, overlapped)


@dataclass
class Simulated:
    replicas: int | None
    percentiles: dict[str, float]  # p50, p95, p99 of first response
    stages_p50: dict[str, float]
    stages_tail: dict[str, float]  # mean of each stage over the slowest 5% of turns
    cost_usd_per_hour: float  # the whole fleet's spend rate
    pool_usd_per_hour: float  # the swept pool's (the reply pool's without a sweep)
    turns: int

    def meets(self, target_ms: float) -> bool:
        return self.percentiles["p95"] <= target_ms


@dataclass
class BudgetResult:
    agent: AgentBudget
    paper: PaperBudget
    simulated: Simulated
    sweep: list[Simulated] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)

    @property
    def cheapest(self) -> Simulated | None:
        meeting = [s for s in self.sweep if s.meets(self.agent.target_ms)]
        return min(meeting, key=lambda s: s.cost_usd_per_hour) if meeting else None


def agent_scenario(agent: AgentBudget, source: str) -> LoadedScenario:
    """The agent's scenario with its fleet set to the overlap plan's stage times."""
    try:
        loaded = load_scenario(resolve_scenario(agent.scenario))
    except InputError as exc:
        raise InputError(source, "scenario", exc.expected) from None
    scenario = copy.deepcopy(loaded)
    if scenario.fleet.agent is None:
        raise InputError(source, "scenario", f"{agent.scenario!r} has no voice agent in its fleet")
    paper = on_paper(agent)
    values = {
        agent.endpoint_path: agent.stages.capture_vad,
        "agent.retrieval_ms": paper.overlapped["retrieval"],
        "agent.llm_first_token_ms": paper.overlapped["llm"],
        "agent.network_ms": agent.stages.network,
        "agent.first_response_target_ms": agent.target_ms,
        **agent.set,
    }
    for path, value in values.items():
        try:
            set_path(scenario.fleet, path, value)
        except (PathError, ValueError) as exc:
            where = "endpoint_path" if path == agent.endpoint_path else f"set.{path}"
            raise InputError(source, where, str(exc)) from None
    return scenario


def stage_frame(tel: Telemetry, scenario: LoadedScenario) -> pd.DataFrame:
    """Each agent turn's first response and its stages, from the telemetry alone."""
    agent = scenario.fleet.agent
    assert agent is not None
    r = tel.requests
    replies = r[r["first_response_ms"].notna()]
    turns = r.set_index("request_id").loc[replies["origin_request_id"].to_numpy()]
    return pd.DataFrame(
        {
            "first_response": replies["first_response_ms"].to_numpy(dtype=float),
            "endpoint_and_asr": turns["final_ms"].to_numpy(dtype=float),
            "retrieval": agent.retrieval_ms,
            "llm": agent.llm_first_token_ms,
            "tts_first_audio_byte": replies["first_audio_byte_ms"].to_numpy(dtype=float),
            "network": agent.network_ms,
        }
    )


def simulate(
    scenario: LoadedScenario,
    playback_ms: float,
    pool: str,
    replicas: int | None = None,
    runs: Runs | None = None,
) -> Simulated:
    tel = (runs or Runs()).get(scenario, [])
    frame = stage_frame(tel, scenario)
    if frame.empty:
        raise InputError(scenario.spec.id, "fleet.agent", "agent turns in the run (none completed)")
    total = frame["first_response"] + playback_ms
    tail = frame[total >= np.percentile(total, 95)]
    stages = [c for c in frame.columns if c != "first_response"]
    hours = tel.horizon_s / 3600.0  # the cost frame integrates replica time to the horizon
    costs = tel.pool_cost.groupby("pool", observed=True)["cost_usd"].sum()
    return Simulated(
        replicas,
        {f"p{q}": float(np.percentile(total, q)) for q in (50, 95, 99)},
        {s: float(frame[s].median()) for s in stages},
        {s: float(tail[s].mean()) for s in stages},
        float(costs.sum() / hours),
        float(costs.get(pool, 0.0) / hours),
        len(frame),
    )


def sweep(agent: AgentBudget, scenario: LoadedScenario, source: str) -> list[Simulated]:
    assert agent.sweep is not None
    spec = agent.sweep
    if spec.pool not in scenario.fleet.pools:
        raise InputError(source, "sweep.pool", f"one of {sorted(scenario.fleet.pools)}")
    out = []
    for n in spec.replicas:
        trial = copy.deepcopy(scenario)
        trial.spec = trial.spec.model_copy(update={"duration_s": spec.duration_s})
        pool = trial.fleet.pools[spec.pool]
        set_path(trial.fleet, f"pools.{spec.pool}.replicas", n)
        if pool.autoscaler is not None:
            set_path(trial.fleet, f"pools.{spec.pool}.autoscaler.enabled", False)
        out.append(simulate(trial, agent.stages.playback, spec.pool, n))
    return out


def advice(agent: AgentBudget, paper: PaperBudget, scenario: LoadedScenario) -> list[str]:
    """Which stages need warm pools, which may batch, which low-risk turns can bypass."""
    s, out = agent.stages, []
    agent_spec = scenario.fleet.agent
    assert agent_spec is not None
    reply = scenario.fleet.pools[agent_spec.reply_pool]
    out.append(
        "warm pools: ASR streaming, the LLM and the reply TTS pool sit on every turn's path; "
        "a cold start there is paid by the user, so keep replicas warm (min replicas, warm pool)"
    )
    if reply.batching.max_wait_ms > 0:
        out.append(
            f"batching: the reply pool waits up to {reply.batching.max_wait_ms:g} ms to fill a "
            "batch: that wait lands on first audio byte; batch only off the turn's path"
        )
    else:
        out.append(
            "batching: keep first-audio stages unbatched (no batch window); retrieval "
            "embeddings, logging and evaluation can batch off the turn's path"
        )
    if s.small_model_first_tokens is not None:
        saving = s.retrieval + s.llm_first_tokens - s.small_model_first_tokens
        out.append(
            f"bypass: low-risk turns (confirmations, small talk) can skip retrieval and the "
            f"large LLM: {saving:.0f} ms saved on those turns"
        )
    if paper.serial_ms > agent.target_ms >= paper.overlapped_ms:
        out.append(
            f"overlap: serial stages ({paper.serial_ms:.0f} ms) miss the target; streaming "
            f"overlap ({paper.overlapped_ms:.0f} ms) meets it"
        )
    return out


def load_agent(path: Path) -> AgentBudget:
    data, node = read_yaml(path)
    return validate_data(data, AgentBudget, str(path), node)


def evaluate(path: Path, with_sweep: bool = True) -> BudgetResult:
    agent = load_agent(path)
    scenario = agent_scenario(agent, str(path))
    paper = on_paper(agent)
    reply_pool = scenario.fleet.agent.reply_pool if scenario.fleet.agent else ""
    result = BudgetResult(agent, paper, simulate(scenario, agent.stages.playback, reply_pool))
    if with_sweep and agent.sweep is not None:
        result.sweep = sweep(agent, scenario, str(path))
    result.advice = advice(agent, paper, scenario)
    return result
