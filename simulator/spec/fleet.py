"""The fleet file: what a speech serving fleet is made of.

A fleet is models (what runs), pools of replicas (where it runs, at what price, with which
queue and batching settings), the per-stage costs of the reference serving system, routes,
SLOs and tenants. Every model here is mutable with validation, because timeline events
(faults, trainee actions) change a running fleet through dotted field paths.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Family = Literal["asr-streaming", "asr-batch", "tts", "embedding", "classifier"]
FAMILIES: tuple[str, ...] = ("asr-streaming", "asr-batch", "tts", "embedding", "classifier")

NonNeg = Annotated[float, Field(ge=0)]
Pos = Annotated[float, Field(gt=0)]


class Strict(BaseModel):
    """Base for every user-written model: unknown keys are errors; assignments validate;
    numbers are finite (an infinite wait or rate, typed in a file or set by an action, is a
    typo, and the run it would make measures nothing)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class DeviceSpec(Strict):
    kind: Literal["cpu", "gpu"]
    price_per_hour: NonNeg = Field(description="USD per replica-hour")
    description: str = ""


# Approximate public on-demand list prices (USD per replica-hour, one accelerator or one
# small CPU instance). They are defaults only; a fleet overrides them under `devices:`.
DEFAULT_DEVICES: dict[str, DeviceSpec] = {
    "cpu": DeviceSpec(kind="cpu", price_per_hour=0.17, description="2-vCPU x86 instance"),
    "gpu-t4": DeviceSpec(kind="gpu", price_per_hour=0.53, description="NVIDIA T4 16 GB"),
    "gpu-l4": DeviceSpec(kind="gpu", price_per_hour=0.80, description="NVIDIA L4 24 GB"),
    "gpu-a100": DeviceSpec(kind="gpu", price_per_hour=3.40, description="NVIDIA A100 40 GB"),
    "gpu-h100": DeviceSpec(kind="gpu", price_per_hour=6.90, description="NVIDIA H100 80 GB"),
}


class DecoderSpec(Strict):
    """ASR decoding settings shipped with a model deployment."""

    chunk_ms: float = Field(320.0, ge=10, le=5000, description="streaming chunk = partial interval")
    stabilization: Literal["none", "hold_last_word"] = "hold_last_word"
    beam: int = Field(1, ge=1, le=64, description="profile `<name>-beam<N>` is used if shipped")
    lm_rescoring_partials: bool = False
    lm_rescoring_ms: NonNeg = Field(
        8.0,
        description="one LM rescoring pass over a session's partial hypotheses (assumed, not "
        "measured); with lm_rescoring_partials every round pays it once per session on the "
        "replica, in turn",
    )
    endpoint_silence_ms: NonNeg = Field(500.0, description="VAD silence that ends an utterance")
    kv_cache: bool = Field(True, description="without it, profile `<name>-nokv` is used")


class TTSSpec(Strict):
    """How a voice releases audio: the first audio byte waits for the first release unit."""

    text_norm_ms: NonNeg = 15.0
    release: Literal["chunk", "sentence", "utterance"] = "sentence"
    chunk_s: Pos = Field(0.5, description="audio seconds per streamed chunk")
    sentence_s: Pos = Field(2.0, description="audio seconds in a typical first sentence")


class QualitySpec(Strict):
    """How well a model copes: the quality model turns these and the acoustic conditions
    into a WER proxy, confidence, entity error and user corrections per request."""

    clean_wer: float = Field(0.054, ge=0, lt=1, description="WER on clean in-domain speech")
    offline_wer: float | None = Field(None, ge=0, lt=1, description="from the eval report")
    noise_robustness_db: float = Field(0.0, description="shifts the noise curve (dB)")
    code_switch_penalty: float = Field(0.1, ge=0, le=1, description="extra loss when mixed")
    entity_factor: float = Field(1.5, ge=0, description="entity error per unit of WER")
    feature_config: str = Field("logmel80-16k", description="features the weights expect")
    curve: str | None = Field(
        None,
        description="a quality curve fitted to a real eval (simulator/data/quality/NAME.json) "
        "instead of the calibration; clean_wer still sets the model's own clean WER",
    )
    mos: float | None = Field(None, ge=1, le=5, description="TTS: offline MOS")


class ModelSpec(Strict):
    family: Family
    version: str = Field(min_length=1)
    profile: str = Field(
        min_length=1,
        description="latency profile name; the pool's device picks the profile row",
    )
    load_time_s: NonNeg = Field(30.0, description="cold start: time to load onto a replica")
    warmup_ms: NonNeg = Field(
        0.0, description="extra time of the first batch on a fresh replica (autotune, caches)"
    )
    decoder: DecoderSpec = DecoderSpec()
    tts: TTSSpec = TTSSpec()
    quality: QualitySpec = QualitySpec()


def padded_length(longest: float, bucket_s: float) -> float:
    """`longest` padded up to the next multiple of `bucket_s` (as it is when 0)."""
    return bucket_s * math.ceil(longest / bucket_s - 1e-9) if bucket_s else longest


def bucket_grid(longest: float, bucket_s: float) -> list[float]:
    """Every padded length up to `longest`'s (just `longest` without buckets)."""
    if not bucket_s:
        return [longest]
    return [bucket_s * k for k in range(1, round(padded_length(longest, bucket_s) / bucket_s) + 1)]


class BatchingSpec(Strict):
    max_batch: int = Field(1, ge=1, le=1024)
    max_wait_ms: NonNeg = 0.0
    length_bucket_s: NonNeg = Field(
        0.0,
        description="pad each batch up to a multiple of this many seconds, so the server "
        "sees few shapes (0: pad to the longest item only)",
    )


class ServiceNoise(Strict):
    """How a batch's service time varies around the profile's median.

    `profile` uses the spread the profiler measured (log-normal with that CV); the others
    exist mostly for validation against queueing formulas.
    """

    dist: Literal["profile", "none", "exponential", "gamma", "lognormal"] = "profile"
    cs2: NonNeg | None = Field(None, description="squared coefficient of variation")


class HostDrift(Strict):
    """The host's speed wandering over time, shared by the pool's replicas: a log-normal
    Ornstein-Uhlenbeck factor on every service time, mean 1. A shared VM's speed moves
    by a few percent over seconds (noisy neighbours, cache and memory-bandwidth
    contention); at high load such slow spells queue work that independent per-batch
    noise of the same size would not, so the tail is heavier. A streaming session keeps
    the factor it started with, as it keeps its service-noise draw."""

    cv: NonNeg = Field(description="the speed factor's coefficient of variation")
    correlation_s: Pos = Field(description="how long a spell lasts: the OU correlation time")


class FallbackSpec(Strict):
    """Where a pool's requests go when it cannot take them (one hop, never chained)."""

    pool: str = Field(min_length=1)
    when_queue_over: int | None = Field(
        None, ge=0, description="fall back once this many wait; null: only when full"
    )
    when_unhealthy: bool = True


class AutoscalerSpec(Strict):
    """A horizontal autoscaler: every `interval_s` it reads `metric` per replica and moves
    toward ceil(replicas × metric / target), within steps, cooldowns and bounds. New
    replicas take the model's load time (cold start), or `warm_start_s` from a warm pool."""

    enabled: bool = True
    metric: Literal["utilisation", "queue_depth", "in_flight"] = "utilisation"
    target: Pos = Field(0.6, description="utilisation fraction, or requests per replica")
    interval_s: Pos = 15.0
    tolerance: float = Field(0.1, ge=0, le=1)
    scale_up_step: int = Field(4, ge=1)
    scale_down_step: int = Field(1, ge=1)
    up_cooldown_s: NonNeg = 0.0
    down_cooldown_s: NonNeg = 300.0
    min_replicas: int = Field(1, ge=0)
    max_replicas: int = Field(100, ge=1)
    warm_pool: int = Field(0, ge=0, description="paid standby replicas, already loaded")
    warm_start_s: NonNeg = 5.0

    @model_validator(mode="after")
    def _bounds(self) -> AutoscalerSpec:
        if self.min_replicas > self.max_replicas:
            raise ValueError("min_replicas must not exceed max_replicas")
        return self


class PoolSpec(Strict):
    device: str = Field(min_length=1)
    model: str = Field(min_length=1)
    replicas: int = Field(ge=0, le=10_000)
    slots_per_replica: int = Field(1, ge=1, le=64, description="concurrent batches per replica")
    batching: BatchingSpec = BatchingSpec()
    queue_capacity: int = Field(1000, ge=0, description="waiting requests before rejection")
    drop_expired: bool = Field(
        True,
        description="the server drops a request that reaches the head of its queue past the "
        "client's deadline; false (no deadline propagation): it serves it anyway, work the "
        "client, which has timed out and may retry, no longer waits for",
    )
    price_per_hour: NonNeg | None = Field(None, description="override the device's price")
    service_noise: ServiceNoise = ServiceNoise()
    host_drift: HostDrift | None = Field(
        None, description="the host's speed drifting over time; null: a steady host"
    )
    healthy: bool = Field(True, description="health checks pass; unhealthy pools fall back")
    fallback: FallbackSpec | None = None
    autoscaler: AutoscalerSpec | None = None
    generation: int = Field(
        0, ge=0, description="rollout generation; a new one restarts every replica cold"
    )
    slowdown: float = Field(
        1.0,
        gt=0,
        description="service times × this: 1 as profiled, 1.3 a host 30% slower (contention,"
        " throttling, a noisy neighbour)",
    )


class StageSpec(Strict):
    """Service time of a non-inference stage: base + per audio second."""

    base_ms: NonNeg = 0.0
    per_audio_s_ms: NonNeg = 0.0
    workers: int | None = Field(
        None, ge=1, description="FIFO workers; null means the stage scales freely (pure delay)"
    )


class PreprocessSpec(StageSpec):
    """Preprocess does work that matters for quality, not only time."""

    resample_to_hz: int = Field(16000, ge=8000, description="declared rate is resampled to")
    normalize_loudness: bool = True
    feature_config: str = Field("logmel80-16k", description="features computed for the model")


class StagesSpec(Strict):
    ingress: StageSpec = StageSpec(base_ms=1.0)
    # measured: real_backend.preprocess (resample 8→16 kHz, loudness, log-mel, VAD) at
    # batch 1 on 2 CPU threads — profile measured-preprocess@cpu.json, a linear fit
    preprocess: PreprocessSpec = PreprocessSpec(base_ms=1.0, per_audio_s_ms=0.35)
    route: StageSpec = StageSpec(base_ms=0.2)
    postprocess: StageSpec = StageSpec(base_ms=2.0, per_audio_s_ms=0.2)
    observe: StageSpec = StageSpec(base_ms=0.3)
    reject_invalid: bool = Field(
        True, description="ingress validation rejects malformed payloads before any compute"
    )


class Match(Strict):
    kind: Family | None = None
    tenant: str | None = None
    language: str | None = None
    cohort: str | None = None
    slice: str | None = None


class CanarySpec(Strict):
    pool: str = Field(min_length=1)
    percent: float = Field(ge=0, le=100)


class ShadowSpec(Strict):
    """Mirror a share of traffic to another pool: it costs compute, never reaches the user."""

    pool: str = Field(min_length=1)
    percent: float = Field(100.0, ge=0, le=100)


class CascadeSpec(Strict):
    """Small model first; escalate to the large one when the audio looks hard: an SNR
    proxy below a threshold, or a long utterance (both measured at preprocess)."""

    small: str = Field(min_length=1)
    large: str = Field(min_length=1)
    escalate_below_snr_db: float = 15.0
    escalate_above_audio_s: Pos = 20.0


class RouteRule(Strict):
    """First matching rule wins; `pool` sends everything, `split` weights several pools;
    `canary` diverts a percentage first; `shadow` mirrors a percentage."""

    name: str | None = Field(None, description="label in the `route` column")
    match: Match = Match()
    pool: str | None = None
    split: dict[str, NonNeg] | None = None
    canary: CanarySpec | None = None
    shadow: ShadowSpec | None = None
    cascade: CascadeSpec | None = None

    @model_validator(mode="after")
    def _one_target(self) -> RouteRule:
        targets = [x is not None for x in (self.pool, self.split, self.cascade)]
        if sum(targets) != 1:
            raise ValueError("give exactly one of `pool`, `split` or `cascade`")
        if self.split is not None and sum(self.split.values()) <= 0:
            raise ValueError("`split` weights must add up to more than 0")
        return self

    def targets(self) -> dict[str, float]:
        if self.cascade is not None:
            return {self.cascade.small: 1.0, self.cascade.large: 0.0}
        return {self.pool: 1.0} if self.pool is not None else dict(self.split or {})


class SLOSpec(Strict):
    p50_ms: Pos | None = None
    p95_ms: Pos | None = None
    p99_ms: Pos | None = None
    timeout_ms: Pos | None = Field(
        None, description="deadline: a request still queued past it is cancelled"
    )
    first_partial_ms: Pos | None = None
    first_audio_byte_ms: Pos | None = None


RetryableStatus = Literal["rejected", "timeout", "error"]


class RetrySpec(Strict):
    """Client retries with exponential backoff and jitter, bounded by a retry budget: over
    any `budget_window_s`, retries may not exceed `budget_ratio` × first attempts (or
    `min_per_window`, whichever is larger)."""

    max_attempts: int = Field(1, ge=1, le=10, description="1 means no retries")
    backoff_ms: NonNeg = 200.0
    multiplier: float = Field(2.0, ge=1)
    jitter: float = Field(0.5, ge=0, le=1, description="± fraction of the backoff")
    budget_ratio: float = Field(0.1, ge=0, description="retries allowed per first attempt")
    budget_window_s: Pos = 10.0
    min_per_window: NonNeg = 10.0
    retry_on: list[RetryableStatus] = Field(
        default_factory=lambda: list[RetryableStatus](["rejected", "timeout"])
    )


class CohortSpec(Strict):
    """A client device/firmware population: what its audio looks like on arrival."""

    sample_rate_hz: int = Field(16000, ge=8000, description="rate declared in the payload")
    true_sample_rate_hz: int | None = Field(
        None, ge=8000, description="the rate really captured, if the firmware mislabels it"
    )
    gain_db: float = Field(0.0, ge=-40, le=40, description="input gain vs nominal; hot clips")
    snr_db: float = Field(25.0, ge=-10, le=60)
    snr_spread_db: NonNeg = 4.0
    silence_ratio: float = Field(0.2, ge=0, le=0.95)
    channels: int = Field(1, ge=1, le=8)
    network_jitter_ms: NonNeg = 10.0

    def comparable(self) -> dict[str, Any]:
        """The cohort as it behaves: no true rate means the declared one, so a fix that
        writes the declared rate back is the same fleet as one that clears the label."""
        out = self.model_dump()
        out["true_sample_rate_hz"] = self.true_sample_rate_hz or self.sample_rate_hz
        return out


DEFAULT_COHORT = CohortSpec()


class SliceSpec(Strict):
    """What a data slice does to audio and to recognition (unlisted slices: neutral)."""

    snr_offset_db: float = 0.0
    wer_factor: Pos = 1.0
    entity_factor: Pos = 1.0


NEUTRAL_SLICE = SliceSpec()


class AgentSpec(Strict):
    """A speech-to-speech voice agent: when one of `tenant`'s streaming sessions reaches
    its final result, the agent retrieves, waits for the LLM's first clause and sends it
    to `reply_pool` for synthesis. First response = end of the user's speech to the first
    reply audio at the client (endpointing, ASR final, retrieval, first LLM tokens, TTS
    first audio byte, network)."""

    tenant: str = Field(min_length=1)
    reply_pool: str = Field(min_length=1, description="the TTS pool that speaks the reply")
    retrieval_ms: NonNeg = 120.0
    llm_first_token_ms: NonNeg = 180.0
    network_ms: NonNeg = 60.0
    reply_audio_s: Pos = 4.0
    first_response_target_ms: Pos = 700.0


class TenantSpec(Strict):
    eval_opt_in: bool = Field(False, description="tenant allows opted-in eval samples")
    description: str = ""


class Fleet(Strict):
    name: str = Field(min_length=1)
    description: str = ""
    devices: dict[str, DeviceSpec] = Field(
        default_factory=dict, description="extra devices or price overrides"
    )
    models: dict[str, ModelSpec] = Field(min_length=1)
    pools: dict[str, PoolSpec] = Field(min_length=1)
    stages: StagesSpec = StagesSpec()
    routes: list[RouteRule] = Field(min_length=1)
    slos: dict[Family, SLOSpec] = Field(default_factory=dict)
    tenants: dict[str, TenantSpec] = Field(default_factory=dict)
    retries: RetrySpec = RetrySpec()
    cohorts: dict[str, CohortSpec] = Field(
        default_factory=dict, description="device cohorts; unlisted ones use the defaults"
    )
    slices: dict[str, SliceSpec] = Field(default_factory=dict)
    agent: AgentSpec | None = None
    metrics_interval_s: Pos = 10.0

    def cohort(self, name: str) -> CohortSpec:
        return self.cohorts.get(name) or DEFAULT_COHORT

    def slice(self, name: str) -> SliceSpec:
        return self.slices.get(name) or NEUTRAL_SLICE

    def device(self, name: str) -> DeviceSpec:
        return self.devices.get(name) or DEFAULT_DEVICES[name]

    def pool_price(self, pool: str) -> float:
        spec = self.pools[pool]
        if spec.price_per_hour is not None:
            return spec.price_per_hour
        return self.device(spec.device).price_per_hour


def reference_problems(fleet: Fleet) -> list[tuple[tuple[Any, ...], str]]:
    """Cross-references pydantic cannot see: (field path, what was expected)."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    devices = sorted(set(DEFAULT_DEVICES) | set(fleet.devices))
    for name, pool in fleet.pools.items():
        if pool.model not in fleet.models:
            problems.append(
                (
                    ("pools", name, "model"),
                    f"unknown model {pool.model!r}; expected one of {sorted(fleet.models)}",
                )
            )
        if pool.device not in devices:
            problems.append(
                (
                    ("pools", name, "device"),
                    f"unknown device {pool.device!r}; "
                    f"expected one of {devices} or a device declared under `devices:`",
                )
            )
    for name, pool in fleet.pools.items():
        if pool.fallback is not None and pool.fallback.pool not in fleet.pools:
            problems.append(
                (
                    ("pools", name, "fallback", "pool"),
                    f"unknown pool {pool.fallback.pool!r}; expected one of {sorted(fleet.pools)}",
                )
            )
    if fleet.agent is not None and fleet.agent.reply_pool not in fleet.pools:
        problems.append(
            (
                ("agent", "reply_pool"),
                f"unknown pool {fleet.agent.reply_pool!r}; expected one of {sorted(fleet.pools)}",
            )
        )
    for i, rule in enumerate(fleet.routes):
        for field in ("canary", "shadow"):
            extra = getattr(rule, field)
            if extra is not None and extra.pool not in fleet.pools:
                problems.append(
                    (
                        ("routes", i, field, "pool"),
                        f"unknown pool {extra.pool!r}; expected one of {sorted(fleet.pools)}",
                    )
                )
        for target in rule.targets():
            if target not in fleet.pools:
                field = "pool" if rule.pool is not None else "split"
                field = "cascade" if rule.cascade is not None else field
                problems.append(
                    (
                        ("routes", i, field),
                        f"unknown pool {target!r}; expected one of {sorted(fleet.pools)}",
                    )
                )
        if rule.match.tenant and fleet.tenants and rule.match.tenant not in fleet.tenants:
            problems.append(
                (
                    ("routes", i, "match", "tenant"),
                    f"unknown tenant {rule.match.tenant!r}; "
                    f"expected one of {sorted(fleet.tenants)}",
                )
            )
    return problems
