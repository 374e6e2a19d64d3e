"""What the parts of a run need of it: small protocols, so that they depend on them and
not on the engine (`Simulation` satisfies them; a test double can too).

The engine owns the event loop and the run's state (the fleet, the request records);
the lifecycle (lifecycle.py) owns what happens to each request. A pool reads the fleet
and the records, and hands requests back to the lifecycle when they finish or fail
(`RequestHooks`, which the engine exposes as its own, bound once); an autoscaler reads
the fleet and tells the run what it did."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import simpy

from simulator.spec.fleet import Fleet, ModelSpec
from simulator.spec.profiles import ServiceTimeModel
from simulator.spec.workload import RequestArrays
from simulator.telemetry.recorder import BatchRecorder, ReplicaChange, RequestRecorder


class RequestHooks(Protocol):
    """Where a pool hands a request back: the request lifecycle's entry points."""

    def after_infer(self, batch: list[int], t: float) -> None: ...

    def agent_replies(self, batch: list[int]) -> None: ...

    def record_first_response(self, reply: int, first_audio: float) -> None: ...

    def finish_rejected(self, rid: int, reason: int, t: float) -> None: ...

    def finish_timeout(self, rid: int, t: float, served: bool = False) -> None: ...


class PoolHost(RequestHooks, Protocol):
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


class LifecycleHost(Protocol):
    """The run as the request lifecycle sees it: the event loop, the fleet, the requests
    and the per-row lists it grows when it clones a row (shared, never rebound)."""

    env: simpy.Environment
    fleet: Fleet
    requests: RequestArrays
    duration_s: float
    rec: RequestRecorder
    arrival: list[float]
    audio_s: list[float]
    deadline: list[float]
    acoustics: dict[str, np.ndarray]

    def code(self, vocabulary: str, label: str) -> int: ...


class ScalerHost(Protocol):
    """The run as an autoscaler sees it."""

    env: simpy.Environment
    fleet: Fleet

    def notice(self, type_: str, target: str, detail: str) -> None: ...

    def drained(self) -> bool: ...
