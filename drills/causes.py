"""One catalogue of causes shared by every scenario, so picking from it gives nothing away."""

from __future__ import annotations

CAUSES: dict[str, str] = {
    "partial-stabilisation-disabled": "streaming partials no longer hold back unstable words",
    "chunk-size-reduced": "streaming chunk / partial interval made smaller",
    "beam-width-changed": "decoder beam width changed",
    "lm-rescoring-on-partials": "language-model rescoring applied to partial hypotheses",
    "endpointing-too-aggressive": "VAD endpoint silence threshold too short",
    "network-jitter": "client network jitter on the audio path",
    "heavier-voice-model": "a larger acoustic model or vocoder in a voice update",
    "cold-replicas-after-deploy": "replicas restarted cold after a rollout",
    "cpu-to-gpu-fallback": "a fallback silently moved CPU work onto GPU replicas",
    "shadow-mirroring-left-on": "shadow traffic mirrored at full rate alongside a canary",
    "batching-misconfigured": "dynamic batching window or size changed",
    "retry-storm": "client retries amplifying load",
    "mic-firmware-clipping": "device firmware raised input gain: clipped audio",
    "mic-firmware-sample-rate": "device firmware mislabels its sample rate",
    "code-switching-regression": "new model worse on mixed-language (code-switched) speech",
    "cascade-router-misrouting": "cascade router sends hard audio to the small model",
    "feature-extraction-mismatch": "preprocessing features differ from what the weights expect",
    "autoscaler-target-changed": "autoscaler target changed by a deploy",
    "traffic-surge": "a genuine increase in traffic",
    "upstream-dependency-outage": "an upstream dependency failing",
    "gpu-hardware-degradation": "a degraded accelerator",
    "noisy-neighbour": "resource contention from a co-located workload",
}
