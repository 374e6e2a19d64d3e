"""What a role's posts are read for, written as the answer key writes its items: concept
groups of phrasings (every group present in one statement), read by the answer matcher
(drills/judge/matcher.py, through drills/team/judging.py): stemmed words, negation, one word
answering one group. An examiner can read and extend these lists; each judgement names
the phrasing that earned it.

Why these elements: a stakeholder update is useful when it says what users see (impact),
who or what is affected (scope), what the team is doing (current action) and when the next
word comes (the next update's time); it does not guess a cause. A decision is logged with
its reason; a handover says where things stand and what is next."""

from __future__ import annotations

import re
from dataclasses import dataclass

from drills.team.judging import Phrases, named_cause, sentences

IMPACT = Phrases.of(
    "impact",
    [
        [
            "impact",
            "impacted",
            "affecting",
            "affected",
            "user-facing",
            "customer-facing",
            "error",
            "errors",
            "failing",
            "failure",
            "failures",
            "latency",
            "slow",
            "slower",
            "delay",
            "delayed",
            "lag",
            "timeout",
            "timeouts",
            "degraded",
            "degradation",
            "outage",
            "down",
            "unavailable",
            "cost",
            "spend",
            "spending",
            "bill",
            "billing",
            "overspend",
            "dropped",
        ]
    ],
)
SCOPE = Phrases.of(
    "scope",
    [
        [
            "tenant",
            "tenants",
            "customer",
            "customers",
            "user",
            "users",
            "region",
            "enterprise",
            "service",
            "services",
            "requests",
            "traffic",
            "pool",
            "fleet",
            "speaker verification",
            "embedding",
            "embeddings",
            "transcription",
            "captions",
            "asr",
            "tts",
            "voice",
            "percent",
            "cohort",
            "firmware",
            "device",
            "devices",
            "api",
            "login",
            "internal",
        ]
    ],
)
CURRENT_ACTION = Phrases.of(
    "current action",
    [
        [
            "investigating",
            "investigate",
            "investigation",
            "looking into",
            "looking at",
            "rolled back",
            "rolling back",
            "roll back",
            "rolling it back",
            "rolled it back",
            "rollback",
            "reverted",
            "reverting",
            "mitigating",
            "mitigated",
            "mitigation",
            "fixing",
            "fixed",
            "restoring",
            "restored",
            "scaling",
            "scaled",
            "paused",
            "pausing",
            "monitoring",
            "watching",
            "draining",
            "disabled",
            "disabling",
            "rerouting",
            "rerouted",
            "working on",
            "deploying",
            "recovering",
            "recovered",
            "identified",
        ]
    ],
)
NEXT_UPDATE = Phrases.of(
    "next update",
    [
        [
            "next update",
            "update again",
            "another update",
            "further update",
            "next status",
            "update in",
            "update by",
            "update at",
            "update within",
            "report back",
            "check back",
            "next report",
            "will update",
            "will post",
        ],
        ["minute", "minutes", "min", "mins", "hour", "hours", "utc", "pm", "am"],
    ],
)
FIX_WORDS = Phrases.of(
    "the fix",
    [
        [
            "rolled back",
            "roll back",
            "rollback",
            "reverted",
            "restored",
            "fixed",
            "disabled",
            "paused",
            "scaled",
            "rerouted",
            "drained",
            "mitigated",
            "redeployed",
            "turned off",
        ]
    ],
)
FOLLOW_UP = Phrases.of(
    "the follow-up",
    [
        [
            "follow-up",
            "follow up",
            "followup",
            "postmortem",
            "post-mortem",
            "post mortem",
            "incident review",
            "retrospective",
            "action item",
            "prevent",
            "prevention",
            "recurrence",
            "we will add",
            "add an alert",
            "@alert",
            "@gate",
        ]
    ],
)
CAUSAL = Phrases.of(
    "a stated cause",
    [
        [
            "cause",
            "caused by",
            "root cause",
            "due to",
            "because of",
            "triggered by",
            "result of",
            "traced to",
            "culprit",
            "responsible for",
            "to blame",
            "broke",
        ]
    ],
)
HEDGE = Phrases.of(
    "a hedge",
    [
        [
            "suspect",
            "suspected",
            "possibly",
            "possible",
            "may",
            "might",
            "could",
            "unconfirmed",
            "not confirmed",
            "not yet known",
            "unknown",
            "whether",
            "hypothesis",
            "theory",
            "not yet",
            "unclear",
            "not clear",
            "rule out",
            "ruling out",
        ]
    ],
)
FILLER = Phrases.of(
    "no reason",
    [
        [
            "no reason",
            "just because",
            "just in case",
            "why not",
            "idk",
            "dunno",
            "gut feeling",
            "hunch",
            "see what happens",
            "worth a try",
            "try it",
        ]
    ],
)
HANDOVER_STATE = Phrases.of(
    "where things stand",
    [
        [
            "mitigated",
            "rolled back",
            "fixed",
            "found",
            "cause",
            "status",
            "stable",
            "recovered",
            "still",
            "ongoing",
            "done",
            "so far",
            "known",
            "identified",
            "confirmed",
            "in progress",
            "current state",
        ]
    ],
)
HANDOVER_NEXT = Phrases.of(
    "what is next",
    [
        [
            "next",
            "todo",
            "to do",
            "remaining",
            "still need",
            "needs",
            "follow up",
            "follow-up",
            "pending",
            "open",
            "watch",
            "monitor",
            "continue",
            "hand over",
            "handing over",
            "take over",
        ]
    ],
)
# what an action's name says in words (a decision names the action or its target)
ACTION_WORDS: dict[str, list[str]] = {
    "rollback": ["roll back", "rollback", "rolling back", "revert", "undo"],
    "pause-canary": ["pause", "canary", "halt"],
    "disable-shadow": ["shadow", "mirror"],
    "set-split": ["split", "shift traffic", "traffic weight", "weights"],
    "set": ["set", "flip", "change", "restore", "enable", "disable"],
    "scale": ["scale", "replicas", "capacity"],
    "warm-pool": ["warm", "warm pool"],
    "reroute": ["reroute", "route", "move traffic"],
    "normalize-input": ["normalize", "normalise", "loudness", "gain"],
    "restart": ["restart", "bounce", "recycle"],
    "log-raw-audio": ["log", "audio"],
    "log-transcripts": ["log", "transcripts"],
}
GENERIC = {"pools", "routes", "stages", "cohorts", "path", "value", "true", "false", "none"}
REASON_WORDS = 3  # a reason shorter than this says nothing ("because", "needed")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_IN = re.compile(r"\b(?:in|within|by|after)\s+(\d+(?:\.\d+)?)\s*(?:minutes?|mins?|m)\b", re.I)
_AT_MINUTE = re.compile(r"\b(?:at|by)\s+minute\s+(\d+(?:\.\d+)?)\b", re.I)
_HOURS = re.compile(r"\b(?:in|within)\s+(an?|one|half an|\d+)\s+hours?\b", re.I)
_FRACTION = {"a": 60.0, "an": 60.0, "one": 60.0, "half an": 30.0}


def promised_at(text: str, posted_min: float) -> float | None:
    """When the update says the next one comes, on the drill's clock (minutes since the
    page): "in 10 minutes", "within 15 min", "at minute 30", "in an hour"; None if it names
    no time the drill's clock can hold (a wall-clock time like 10:30 names one, but not on
    this clock)."""
    relative = _IN.search(text)
    if relative:
        return posted_min + float(relative.group(1))
    absolute = _AT_MINUTE.search(text)
    if absolute:
        return float(absolute.group(1))
    hours = _HOURS.search(text)
    if hours:
        amount = hours.group(1).lower()
        return posted_min + (_FRACTION[amount] if amount in _FRACTION else 60.0 * float(amount))
    return None


@dataclass(frozen=True)
class Elements:
    """Which of an update's four elements it states, and the statement that stated each."""

    found: dict[str, str]
    wanted: tuple[str, ...]

    @property
    def share(self) -> float:
        return len([w for w in self.wanted if w in self.found]) / len(self.wanted)

    @property
    def missing(self) -> list[str]:
        return [w for w in self.wanted if w not in self.found]


UPDATE_ELEMENTS = ("impact", "scope", "current action", "next update time")


def elements(text: str, final: bool = False) -> Elements:
    """An update's elements; a resolution update (`final`) owes no next update."""
    wanted = UPDATE_ELEMENTS[:3] if final else UPDATE_ELEMENTS
    found: dict[str, str] = {}
    checks = (("impact", IMPACT.mentions), ("scope", SCOPE.mentions))
    for statement in sentences(text):
        for name, present in (*checks, ("current action", CURRENT_ACTION.says)):
            if name not in found and present(statement):
                found[name] = statement
        timed = _CLOCK.search(statement) or promised_at(statement, 0.0) is not None
        if "next update time" not in found and timed and NEXT_UPDATE.says(statement):
            found["next update time"] = statement
    return Elements(found, wanted)


def stated_cause(text: str) -> tuple[str, str | None] | None:
    """The first statement that states a cause as fact, and the catalogue cause it names
    (None where the words name none the catalogue knows); None if no statement does. A
    hedged statement ("we suspect", "not yet known") states no cause."""
    for statement in sentences(text):
        if HEDGE.mentions(statement):
            continue
        cause = named_cause(statement)
        if cause is not None or CAUSAL.says(statement):
            return statement, cause
    return None


def a_reason(text: str) -> bool:
    """A reason that says something: a few words, not a shrug ("just in case")."""
    return len(text.split()) >= REASON_WORDS and not FILLER.says(text)


def target_words(args: dict[str, object]) -> list[str]:
    """The words an action's arguments name: pool, route, path parts ('embed-cpu', 'embed',
    'cpu' for pools.embed-cpu)."""
    out: list[str] = []
    for value in args.values():
        if not isinstance(value, str):
            continue
        for part in re.split(r"[.\[\]]", value):
            if part and part.lower() not in GENERIC and not part.isdigit():
                out.append(part)
                out += [p for p in re.split(r"[-_]", part) if len(p) > 2 and p != part]
    return list(dict.fromkeys(out))


def names_action(text: str, action: str, args: dict[str, object]) -> bool:
    """Whether a text names an action: its verb or what it acts on."""
    groups = [ACTION_WORDS.get(action, [action]) + target_words(args)]
    return Phrases.of(action, groups).says(text)


def names_fix(text: str, action: str, args: dict[str, object]) -> bool:
    """A resolution update names the fix: a fixing verb and what it acted on."""
    targets = target_words(args) or ACTION_WORDS.get(action, [action])
    return any(
        FIX_WORDS.says(s) and Phrases.of("target", [targets]).says(s) for s in sentences(text)
    )


def answers(text: str, groups: list[list[str]]) -> bool:
    """An update answers a planned question when it states the concept groups the plan
    gives (either way: "not affecting the enterprise tenant" answers)."""
    concept = Phrases.of("answer", groups)
    return any(concept.mentions(s) for s in sentences(text))
