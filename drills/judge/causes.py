"""One catalogue of causes shared by every scenario, so the list itself gives nothing away.

A trainee may name a cause by its id or in their own words; `match_cause` finds the one
cause the words name with the answer matcher (drills/judge/matcher.py), or none. The catalogue is
for authors and examiners: it is never printed to a trainee, not even in an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from drills.judge.matcher import (
    NEGATIONS,
    OPENING_WORDS,
    SOUP_ITEMS,
    Concept,
    best_concept,
    match_concept,
    words,
)


@dataclass(frozen=True)
class Cause:
    text: str
    accept: tuple[tuple[str, ...], ...]  # concept groups, all required (see drills/matcher)


def _cause(text: str, *groups: list[str]) -> Cause:
    return Cause(text, tuple(tuple(g) for g in groups))


STREAMING = ["stream", "partial", "interim", "live caption"]
DECODER = ["decoder", "decoding", "asr config", "recogniser config", "recognizer config"]

CATALOG: dict[str, Cause] = {
    "partial-stabilisation-disabled": _cause(
        "streaming partials no longer hold back unstable words",
        [
            "stabilisation",
            "stabilization",
            "stabilise",
            "stabilize",
            "hold back",
            "holdback",
            "hold the last word",
            "hold_last_word",
            "unstable",
            "flicker",
            "churn",
            "retract",
            "rewrit",
        ],
        STREAMING + DECODER,
    ),
    "chunk-size-reduced": _cause(
        "streaming chunk / partial interval made smaller",
        ["chunk", "partial interval", "emit interval", "frame size", "window size"],
        ["smaller", "reduc", "shorter", "shrunk", "lower", "decreas", "cut", "halved"],
    ),
    "beam-width-changed": _cause(
        "decoder beam width changed",
        ["beam"],
    ),
    "lm-rescoring-on-partials": _cause(
        "language-model rescoring applied to partial hypotheses",
        ["rescor", "language model", "lm"],
        STREAMING,
    ),
    "endpointing-too-aggressive": _cause(
        "VAD endpoint silence threshold too short: turns cut off early",
        ["endpoint", "vad", "voice activity", "end of turn", "end-of-turn", "silence threshold"],
        [
            "too short",
            "too aggressive",
            "aggressive",
            "cut off",
            "cuts off",
            "truncat",
            "too early",
            "prematur",
            "shorter",
            "reduc",
            "lower",
        ],
    ),
    "endpointing-too-conservative": _cause(
        "VAD endpoint silence threshold too long: turns end late",
        [
            "endpoint",
            "vad",
            "voice activity",
            "end of turn",
            "end-of-turn",
            "end of speech",
            "silence threshold",
            "silence timeout",
            "turn detection",
        ],
        [
            "too long",
            "too conservative",
            "conservative",
            "patient",
            "waits longer",
            "wait longer",
            "wait too long",
            "waits too long",
            "late",
            "longer",
            "increas",
            "raised",
            "800",
            "slow to",
            "delay",
        ],
    ),
    "network-jitter": _cause(
        "client network jitter on the audio path",
        [
            "jitter",
            "jittery",
            "packet loss",
            "network delay",
            "network latency",
            "network congestion",
            "flaky network",
            "unstable network",
        ],
    ),
    "heavier-voice-model": _cause(
        "a larger acoustic model or vocoder in a voice update",
        ["voice", "vocoder", "acoustic model", "tts model", "speech synthesis model"],
        [
            "heavier",
            "larger",
            "bigger",
            "slower",
            "more expensive",
            "new voice",
            "voice update",
            "voice b",
            "voice release",
            "voice rollout",
            "updated voice",
            "more compute",
        ],
    ),
    "cold-replicas-after-deploy": _cause(
        "replicas restarted cold after a rollout",
        ["cold", "warm-up", "warmup", "warm up", "not warm", "unwarmed"],
        ["replica", "pod", "instance", "node", "container", "start", "restart"],
    ),
    "cpu-to-gpu-fallback": _cause(
        "a fallback silently moved CPU work onto GPU replicas",
        [
            "fallback",
            "fall back",
            "fell back",
            "failover",
            "fail over",
            "spill",
            "overflow",
            "rerout",
            "moved",
            "shifted",
            "landing on",
            "running on",
            "served by",
            "ran on",
        ],
        ["gpu", "a100", "accelerator"],
    ),
    "shadow-mirroring-left-on": _cause(
        "shadow traffic mirrored at full rate alongside a canary",
        ["shadow", "mirror", "duplicat", "doubl"],
        ["traffic", "request", "inference", "left on", "canary"],
    ),
    "batching-misconfigured": _cause(
        "dynamic batching window or size changed",
        ["batch"],
        [
            "window",
            "size",
            "max wait",
            "waiting time",
            "config",
            "misconfig",
            "changed",
            "max_batch",
        ],
    ),
    "retry-storm": _cause(
        "client retries amplifying load",
        ["retry", "retries", "resend", "re-send"],
        ["storm", "amplif", "flood", "loop", "too many", "multiply", "aggressive", "load"],
    ),
    "mic-firmware-clipping": _cause(
        "device firmware raised input gain: clipped audio",
        ["firmware", "device", "microphone", "mic", "gain", "ota", "fw-4"],
        ["clip", "saturat", "gain", "too loud", "loudness", "distort", "overdriv"],
    ),
    "mic-firmware-sample-rate": _cause(
        "device firmware mislabels its sample rate",
        ["firmware", "device", "microphone", "mic"],
        ["sample rate", "sampling rate", "sample-rate", "8 khz", "8khz", "resampl"],
    ),
    "code-switching-regression": _cause(
        "new model worse on mixed-language (code-switched) speech",
        [
            "code-switch",
            "code switch",
            "mixed-language",
            "mixed language",
            "es-en",
            "spanglish",
            "bilingual",
            "language mix",
            "language-mix",
        ],
    ),
    "cascade-router-misrouting": _cause(
        "cascade router sends hard audio to the small model",
        ["router", "routing", "cascade", "misrout", "escalat", "routed"],
        [
            "small model",
            "smaller model",
            "small",
            "noisy",
            "far-field",
            "far field",
            "hard audio",
            "threshold",
            "snr",
        ],
    ),
    "feature-extraction-mismatch": _cause(
        "preprocessing features differ from what the weights expect",
        [
            "feature",
            "preprocess",
            "front-end",
            "frontend",
            "front end",
            "mel",
            "filterbank",
            "fbank",
            "spectrogram",
        ],
        [
            "mismatch",
            "differ",
            "wrong",
            "changed",
            "don't match",
            "not match",
            "incompatib",
            "expect",
            "trained",
            "config",
            "version",
            "80",
            "64",
        ],
    ),
    "autoscaler-target-changed": _cause(
        "autoscaler target changed by a deploy",
        ["autoscal", "auto-scal", "auto scal", "hpa", "scaling target", "scaling policy"],
    ),
    "traffic-surge": _cause(
        "a genuine increase in traffic",
        ["traffic", "load", "request", "demand", "volume", "usage"],
        ["surge", "spike", "increase", "more", "growth", "higher", "rose", "jump"],
    ),
    "upstream-dependency-outage": _cause(
        "an upstream dependency failing",
        ["upstream", "dependency", "downstream", "third-party", "external service"],
        ["outage", "fail", "down", "error", "unavailable", "broken"],
    ),
    "gpu-hardware-degradation": _cause(
        "a degraded accelerator",
        ["gpu", "accelerator", "hardware", "a100", "l4", "t4", "card"],
        ["degrad", "fault", "broken", "throttl", "ecc", "overheat", "failing", "bad"],
    ),
    "noisy-neighbour": _cause(
        "resource contention from a co-located workload",
        [
            "noisy neighbour",
            "noisy neighbor",
            "contention",
            "co-located",
            "colocated",
            "shared host",
            "neighbour",
            "neighbor",
        ],
    ),
}

# --- causes added for the symptom families (issue 39) ----------------------------------
# a block of its own, so that edits to the catalogue above merge without touching it
FAMILY_CAUSES: dict[str, Cause] = {
    "chunk-size-increased": _cause(
        "streaming chunk / partial interval made larger: partials come later",
        ["chunk", "partial interval", "emit interval", "frame size", "window size"],
        ["larger", "bigger", "longer", "increas", "raised", "doubled", "grew", "coarser"],
        # what the chunk is: a TTS "first chunk" that got slower is another cause
        [*STREAMING, *DECODER, "size", "interval", "caption", "asr"],
    ),
}
CATALOG.update(FAMILY_CAUSES)
# --- end of the symptom families' causes --------------------------------------------

CAUSES: dict[str, str] = {name: cause.text for name, cause in CATALOG.items()}


@cache
def _concepts() -> tuple[Concept, ...]:
    return tuple(Concept.of(name, cause.accept) for name, cause in CATALOG.items())


def normalise_id(text: str) -> str:
    return "-".join(words(text.replace("_", "-").replace(" ", "-")))


def match_cause(text: str) -> tuple[str | None, str]:
    """The catalogue cause a trainee's words name, and how it was read: by its id, in their
    words, or not at all (ambiguous or unrecognised). The catalogue itself is not quoted."""
    if not text.strip():
        return None, "no cause given"
    if normalise_id(text) in CATALOG:
        return normalise_id(text), "named by its id"
    found, candidates = best_concept(text, _concepts())
    if found is not None:
        return found, "recognised in the trainee's words"
    if candidates:
        return None, f"ambiguous: the words fit {len(candidates)} different causes"
    return None, "not a cause the examiner recognises"


# "A and B", "A; also B", "A, B", "A / B": where a trainee's answer moves to another cause
_PARTS = re.compile(
    r"[;,/&+]|\b(?:and also|as well as|on top of that|in addition|plus|and separately|"
    r"separately|and a second|second(?:ly)?|also|and|or)\b",
    re.IGNORECASE,
)
# statements: sentences, and the two sides of a "but" ("not a surge, but jitter and ...")
_STATEMENTS = re.compile(r"[.!?\n]+|\bbut\b", re.IGNORECASE)
# words that set a cause aside rather than name it: a part holding one names nothing, and
# before a colon they set aside the whole list after it ("ruled out: A, B")
_DISMISSALS = re.compile(
    r"\b(?:ruled? out|exclud\w*|unlikely|could ?n[o']t confirm|not confirmed|no evidence|"
    r"none of|red herring|unrelated|not the cause|not it)\b",
    re.IGNORECASE,
)
# "A rather than B": what follows the marker, up to the next comma, is set aside
_SET_ASIDE = re.compile(r"\b(?:rather than|instead of|as opposed to)\b[^,;]*", re.IGNORECASE)


def match_causes(text: str) -> tuple[list[str], str]:
    """Every catalogue cause a trainee's answer names, for an incident with more than one
    fault. Each statement is read in parts where it moves to another cause ("A, and
    separately B"), each part as `match_cause` reads a whole answer; a clause naming two
    causes names both (three at once is a list of buzzwords, and names none). Nothing set
    aside is named: a statement opening with a negation ("it wasn't A, B or C"), a list
    after "ruled out:", a part that dismisses its cause ("B (unlikely)"), what follows
    "rather than"."""
    if not text.strip():
        return [], "no cause given"
    found: list[str] = []
    for statement in _STATEMENTS.split(text):
        for cause in _named_in(_kept(statement)):
            if cause not in found:
                found.append(cause)
    how = f"{len(found)} cause{'s' if len(found) != 1 else ''} recognised in the trainee's words"
    return found, how


def _kept(statement: str) -> str:
    """The statement without what it sets aside ('' if it sets aside all of it)."""
    head, colon, tail = statement.partition(":")
    if colon and _DISMISSALS.search(head):
        return ""
    statement = tail if colon and _opens_negated(head) else statement
    if _PARTS.search(statement) and _opens_negated(_PARTS.split(statement)[0]):
        return ""  # "it wasn't A, B or C": the negation governs the whole list
    statement = _SET_ASIDE.sub(" ", statement)
    return ", ".join(p for p in re.split(r"[;,]", statement) if not _DISMISSALS.search(p))


def _opens_negated(text: str) -> bool:
    """A negation among the first words, with something after it to govern ("it wasn't
    A", not "traffic did not")."""
    found = words(text)
    negations = [
        i for i, w in enumerate(found[:OPENING_WORDS]) if w in NEGATIONS or w.endswith("n't")
    ]
    return bool(negations) and negations[0] < len(found) - 1


def _named_in(statement: str) -> list[str]:
    if not statement.strip():
        return []
    named: list[str] = []
    ids = [normalise_id(t) for t in statement.split()]
    named += [i for i in ids if i in CATALOG]  # ids side by side: "network-jitter shadow-..."
    for part in [statement, *_PARTS.split(statement)]:
        cause, _ = match_cause(part) if part and part.strip() else (None, "")
        if cause is not None:
            named.append(cause)
    live = [m for m in (match_concept(c, statement) for c in _concepts()) if m and not m.negated]
    if 2 <= len(live) < SOUP_ITEMS:  # "jitter from the new gateway with shadow traffic on"
        named += [m.item for m in live]
    return named
