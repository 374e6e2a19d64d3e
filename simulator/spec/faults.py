"""The fault library: named faults that act through fleet mechanisms.

A fault is a timeline event whose effect is a set of fleet field changes — a decoder
setting, a pool's health check, a cohort's audio, a route's mirror. The simulator never
knows a fault by name: telemetry shows only the consequences, and whatever the scenario
chose to announce (a deploy, a config push), exactly as an operator would see them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.spec.fleet import Fleet


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelParams(Params):
    model: str = Field(description="a model in the fleet")


class StabilisationOff(ModelParams):
    pass


class ChunkChange(ModelParams):
    chunk_ms: float = Field(gt=0)


class BeamChange(ModelParams):
    beam: int = Field(ge=1)


class EndpointChange(ModelParams):
    endpoint_silence_ms: float = Field(ge=0)


class LmRescoringOnPartials(ModelParams):
    pass


class NetworkJitter(Params):
    cohort: str
    jitter_ms: float = Field(ge=0)


class VoiceUpdate(Params):
    pool: str
    model: str = Field(description="the new voice (a heavier model)")


class ColdReplicas(Params):
    pool: str = Field(description="its replicas restart: each pays its model's warm-up")


class FallbackMisroute(Params):
    pool: str = Field(description="the pool whose health check now fails")


class ShadowLeftOn(Params):
    route: int = Field(ge=0, description="index of the route rule")
    pool: str
    percent: float = Field(100.0, ge=0, le=100)


class CanaryStarted(Params):
    route: int = Field(ge=0)
    pool: str
    percent: float = Field(ge=0, le=100)


class BatchingChange(Params):
    pool: str
    max_batch: int | None = Field(None, ge=1)
    max_wait_ms: float | None = Field(None, ge=0)


class RetryStorm(Params):
    max_attempts: int = Field(ge=1)
    backoff_ms: float = Field(ge=0)
    budget_ratio: float = Field(ge=0)


class FirmwareDrift(Params):
    cohort: str
    gain_db: float | None = None
    true_sample_rate_hz: int | None = Field(None, ge=8000)
    snr_db: float | None = None


class FeatureMismatch(Params):
    feature_config: str = Field(description="what preprocessing now computes")


class AutoscalerTarget(Params):
    pool: str
    target: float = Field(gt=0)


class CascadeThreshold(Params):
    route: int = Field(ge=0)
    escalate_below_snr_db: float


@dataclass(frozen=True)
class Fault:
    name: str
    mechanism: str
    params: type[Params]
    changes: Callable[[Any], dict[str, Any]]


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in [
        Fault(
            "partial-stabilisation-off",
            "infer: streaming decoder",
            StabilisationOff,
            lambda p: {f"models.{p.model}.decoder.stabilization": "none"},
        ),
        Fault(
            "chunk-size-change",
            "infer: streaming decoder",
            ChunkChange,
            lambda p: {f"models.{p.model}.decoder.chunk_ms": p.chunk_ms},
        ),
        Fault(
            "beam-change",
            "infer: decoder",
            BeamChange,
            lambda p: {f"models.{p.model}.decoder.beam": p.beam},
        ),
        Fault(
            "endpointing-change",
            "preprocess: VAD endpointing",
            EndpointChange,
            lambda p: {f"models.{p.model}.decoder.endpoint_silence_ms": p.endpoint_silence_ms},
        ),
        Fault(
            "lm-rescoring-on-partials",
            "infer: streaming decoder",
            LmRescoringOnPartials,
            lambda p: {f"models.{p.model}.decoder.lm_rescoring_partials": True},
        ),
        Fault(
            "network-jitter",
            "ingress: client network",
            NetworkJitter,
            lambda p: {f"cohorts[{p.cohort}].network_jitter_ms": p.jitter_ms},
        ),
        Fault(
            "voice-update",
            "infer: TTS acoustic model and vocoder",
            VoiceUpdate,
            lambda p: {f"pools.{p.pool}.model": p.model},
        ),
        Fault(
            "model-update",
            "infer: a new model version rolled out to a pool",
            VoiceUpdate,
            lambda p: {f"pools.{p.pool}.model": p.model},
        ),
        Fault(
            "cold-replicas",
            "infer: replica warm-up after a rollout",
            ColdReplicas,
            lambda p: {f"pools.{p.pool}.generation": "+1"},
        ),
        Fault(
            "fallback-misroute",
            "route: fallback on failed health checks",
            FallbackMisroute,
            lambda p: {f"pools.{p.pool}.healthy": False},
        ),
        Fault(
            "shadow-left-on",
            "route: shadow mirroring",
            ShadowLeftOn,
            lambda p: {f"routes.{p.route}.shadow": {"pool": p.pool, "percent": p.percent}},
        ),
        Fault(
            "canary-started",
            "route: canary split",
            CanaryStarted,
            lambda p: {f"routes.{p.route}.canary": {"pool": p.pool, "percent": p.percent}},
        ),
        Fault(
            "batching-change",
            "infer: dynamic batching",
            BatchingChange,
            lambda p: _drop_none(
                {
                    f"pools.{p.pool}.batching.max_batch": p.max_batch,
                    f"pools.{p.pool}.batching.max_wait_ms": p.max_wait_ms,
                }
            ),
        ),
        Fault(
            "retry-storm",
            "ingress: client retry policy",
            RetryStorm,
            lambda p: {
                "retries.max_attempts": p.max_attempts,
                "retries.backoff_ms": p.backoff_ms,
                "retries.budget_ratio": p.budget_ratio,
            },
        ),
        Fault(
            "firmware-drift",
            "ingress: device audio path",
            FirmwareDrift,
            lambda p: _drop_none(
                {
                    f"cohorts[{p.cohort}].gain_db": p.gain_db,
                    f"cohorts[{p.cohort}].true_sample_rate_hz": p.true_sample_rate_hz,
                    f"cohorts[{p.cohort}].snr_db": p.snr_db,
                }
            ),
        ),
        Fault(
            "feature-mismatch",
            "preprocess: feature extraction",
            FeatureMismatch,
            lambda p: {"stages.preprocess.feature_config": p.feature_config},
        ),
        Fault(
            "autoscaler-target-change",
            "infer: autoscaler",
            AutoscalerTarget,
            lambda p: {f"pools.{p.pool}.autoscaler.target": p.target},
        ),
        Fault(
            "cascade-threshold-change",
            "route: small/large cascade",
            CascadeThreshold,
            lambda p: {f"routes.{p.route}.cascade.escalate_below_snr_db": p.escalate_below_snr_db},
        ),
    ]
}


class FaultError(ValueError):
    """Bad fault parameters: (field path inside params, what was expected)."""

    def __init__(self, path: str, expected: str) -> None:
        self.path = path
        self.expected = expected
        super().__init__(f"{path}: {expected}")


def fault_changes(name: str, params: dict[str, Any], fleet: Fleet) -> dict[str, Any]:
    """The fleet changes a fault makes; raises FaultError naming the bad parameter."""
    if name not in FAULTS:
        raise FaultError("fault", f"unknown fault {name!r}; expected one of {sorted(FAULTS)}")
    fault = FAULTS[name]
    try:
        parsed = fault.params.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FaultError(f"params.{where}", str(first["msg"])) from None
    for field, kind in (("pool", fleet.pools), ("model", fleet.models), ("cohort", fleet.cohorts)):
        value = getattr(parsed, field, None)
        if isinstance(value, str) and value not in kind:
            raise FaultError(
                f"params.{field}",
                f"no {field} {value!r} in the fleet; expected one of {sorted(kind)}",
            )
    route = getattr(parsed, "route", None)
    if route is not None and route >= len(fleet.routes):
        raise FaultError("params.route", f"no route {route}; the fleet has {len(fleet.routes)}")
    changes = fault.changes(parsed)
    return {path: _relative(fleet, path, value) for path, value in changes.items()}


def _relative(fleet: Fleet, path: str, value: Any) -> Any:
    """'+1' means one more than now (a rollout generation)."""
    if value == "+1":
        from simulator.spec.timeline import get_path

        return int(get_path(fleet, path)) + 1
    return value


SUMMARIES = {
    "partial-stabilisation-off": "Streaming partials stop holding back the last, unstable "
    "word: interim text flickers and words are retracted; final WER does not move.",
    "chunk-size-change": "The streaming decoder emits partials every chunk_ms: smaller "
    "chunks make first partials faster and churn higher.",
    "beam-change": "The decoder's beam width: wider beams cost compute per request "
    "(latency, cost) for little accuracy.",
    "endpointing-change": "The VAD endpoint silence before a turn ends: longer waits delay "
    "the final result and everything after it (voice-agent first response).",
    "lm-rescoring-on-partials": "Language-model rescoring runs on every partial: partial "
    "latency and compute rise.",
    "network-jitter": "Client network jitter on one cohort's audio path: ingress and "
    "streaming timings spread.",
    "voice-update": "A pool switches to another TTS voice model (heavier acoustic model or "
    "vocoder): first audio byte and latency move with the model's profile.",
    "model-update": "A pool switches to another model version (its profile and quality).",
    "cold-replicas": "A pool's replicas restart: each pays its model's warm-up.",
    "fallback-misroute": "A pool's health check fails: its traffic goes to the route's "
    "fallback pool (tagged `fallback`), e.g. CPU work on GPUs.",
    "shadow-left-on": "A route mirrors a share of traffic to a shadow pool: inference and "
    "cost rise with flat user traffic.",
    "canary-started": "A route sends a share of traffic to a canary pool.",
    "batching-change": "A pool's dynamic batching (max batch, max wait) changes: fill, "
    "padding, queueing and latency move.",
    "retry-storm": "The client retry policy (attempts, backoff, budget) changes: retries "
    "amplify load under errors.",
    "firmware-drift": "A device cohort's audio path changes (gain, true sample rate, SNR): "
    "acoustic summaries and recognition quality move for that cohort only.",
    "feature-mismatch": "Preprocessing emits a feature config the weights were not trained "
    "on: quality drops everywhere at once, model versions unchanged.",
    "autoscaler-target-change": "A pool's autoscaler target utilisation changes: replicas "
    "and queueing follow.",
    "cascade-threshold-change": "The small/large cascade's SNR escalation threshold: lower "
    "sends hard (noisy) audio to the small model.",
}


def describe(name: str) -> dict[str, Any]:
    """A fault for authors: its mechanism, parameters, and the fleet fields it sets (the
    paths with each parameter in braces)."""
    fault = FAULTS[name]
    fields = fault.params.model_fields
    values: dict[str, Any] = {f: "{" + f + "}" for f in fields}
    placeholder = fault.params.model_construct(**values)
    params = [
        {
            "name": field,
            "type": getattr(info.annotation, "__name__", str(info.annotation)),
            "required": info.is_required(),
            "description": info.description or "",
        }
        for field, info in fields.items()
    ]
    doc = SUMMARIES.get(name, "")
    return {
        "name": name,
        "mechanism": fault.mechanism,
        "doc": doc,
        "params": params,
        "changes": sorted(fault.changes(placeholder)),
    }
