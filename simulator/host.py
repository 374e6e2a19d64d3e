"""What pools and autoscalers need of the run they live in: a small protocol, so that they
depend on it and not on the engine (`Simulation` satisfies it; a test double can too).

The engine owns the event loop, the request records and the request lifecycle; a pool
reads the fleet and the records, and hands requests back when they finish or fail."""

from __future__ import annotations

from typing import Protocol

import simpy

from simulator.fleet import Fleet, ModelSpec
from simulator.profiles import ServiceTimeModel
from simulator.recorder import BatchRecorder, ReplicaChange, RequestRecorder


class PoolHost(Protocol):
    """The run as a pool sees it."""

    env: simpy.Environment
    fleet: Fleet
    seed: int
    rec: RequestRecorder
    batches: BatchRecorder
    replica_log: list[ReplicaChange]
    deadline: list[float]
    arrival: list[float]
    audio_s: list[float]
    agent_turn: dict[int, int]

    def code(self, vocabulary: str, label: str) -> int: ...

    def service_model(self, model: ModelSpec, device: str) -> ServiceTimeModel: ...

    def snapshot(self, model: ModelSpec) -> int: ...

    def jitter_s(self, rid: int) -> float: ...

    def after_infer(self, batch: list[int], t: float) -> None: ...

    def agent_replies(self, batch: list[int]) -> None: ...

    def record_first_response(self, reply: int, first_audio: float) -> None: ...

    def finish_rejected(self, rid: int, reason: int, t: float) -> None: ...

    def finish_timeout(self, rid: int, t: float) -> None: ...


class ScalerHost(Protocol):
    """The run as an autoscaler sees it."""

    env: simpy.Environment
    fleet: Fleet

    def notice(self, type_: str, target: str, detail: str) -> None: ...

    def drained(self) -> bool: ...
