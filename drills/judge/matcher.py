"""The answer matcher: does a trainee's sentence say what a key item says?

An item (a prevention item, a cause, a rubric line) accepts a statement when every one of its
concept groups is present in it: a group is a list of phrasings, and a phrasing matches as a
run of stemmed words (Snowball's English stemmer: "alerts", "alerting" and "alerted" are
one word). `@name` in a group stands for a shared synonym set (`@alert`: alert, page, alarm,
notify, ...), so a key says "an alert on cost by device" once and accepts "page when spend
per request jumps" too.

Synonym sets and stems were chosen over a text-similarity model on purpose: the phrasings an
examiner accepts are written down in the key, so a scenario author can read and extend them,
the result is explainable ("matched: alert + cost + per device"), and it runs in
microseconds with no model file. A similarity model scores buzzword soup and negated
sentences high, which is exactly what the matcher must refuse:

- **negation**: a match preceded (within four words, or inside the matched span) by "not",
  "no", "never", "n't", "without" ..., or in a statement that opens with one ("we do not
  need to ..."), does not count; an item that is itself a negative ("never promote on
  offline MOS alone") is matched with its own "never";
- **soup**: a statement that satisfies three or more different items at once is a list of
  buzzwords, not an answer, and earns nothing; a comma list of short fragments is split and
  each fragment judged alone;
- **shotgun**: an answer with many more statements than the key has items earns in
  proportion to how many of its statements were on point.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

SYNONYMS: dict[str, list[str]] = {
    "alert": [
        "alert",
        "alarm",
        "page",
        "pager",
        "paging",
        "notify",
        "notification",
        "warn",
        "warning",
        "slo",
        "slos",
        "threshold",
        "trigger",
        "watch",
    ],
    "monitor": [
        "monitor",
        "dashboard",
        "graph",
        "chart",
        "panel",
        "metric",
        "track",
        "plot",
        "visualise",
        "visualize",
        "breakdown",
        "break down",
        "break out",
        "observe",
        "telemetry",
        "report",
        "measure",
    ],
    "gate": [
        "gate",
        "gating",
        "block",
        "blocking",
        "check",
        "test",
        "review",
        "approval",
        "guard",
        "guardrail",
        "require",
        "requirement",
        "must pass",
        "criteria",
        "criterion",
        "policy",
        "promotion",
        "halt",
    ],
    "canary": [
        "canary",
        "staged rollout",
        "gradual rollout",
        "phased rollout",
        "progressive rollout",
        "progressive delivery",
        "percent rollout",
        "small percentage",
        "ramp",
        "rollout in stages",
        "incremental rollout",
        "partial rollout",
        "stage the rollout",
        "stage rollout",
    ],
    "release": ["release", "deploy", "deployment", "rollout", "launch", "ship", "push", "change"],
    "cost": ["cost", "spend", "spending", "bill", "billing", "dollar", "usd", "price", "finops"],
    "unit": [
        "per request",
        "each request",
        "per call",
        "per inference",
        "unit cost",
        "per unit",
        "by device",
        "per device",
        "by pool",
        "per pool",
        "by hardware",
        "per hardware",
        "by accelerator",
        "by gpu",
        "per gpu",
        "by instance type",
        "per route",
        "by route",
    ],
    "cohort": [
        "cohort",
        "firmware",
        "device build",
        "device model",
        "device type",
        "hardware model",
        "device version",
        "device family",
        "handset",
        "microphone model",
        "client build",
        "app build",
        "build",
        "device",
    ],
    "slice": ["slice", "segment", "subgroup", "subpopulation", "breakdown", "sliced"],
    "split": [
        "by",
        "per",
        "each",
        "broken down",
        "break down",
        "split",
        "sliced",
        "grouped",
        "group by",
        "across",
    ],
    "fixture": [
        "fixture",
        "golden set",
        "eval set",
        "evaluation set",
        "test set",
        "test audio",
        "reference audio",
        "recorded sample",
        "regression set",
        "held-out audio",
        "test clip",
        "sample recording",
        "same audio",
        "benchmark set",
        "eval data",
        "evaluation data",
    ],
    "eval": ["eval", "evaluation", "evaluate", "benchmark", "offline test", "regression test"],
    "language": [
        "language",
        "code-switch",
        "code switch",
        "code-switched",
        "mixed-language",
        "mixed language",
        "bilingual",
        "multilingual",
        "locale",
        "es-en",
        "spanglish",
    ],
    "latency": ["latency", "delay", "response time", "p95", "p99", "time to", "lag", "slow"],
    "budget": ["budget", "allowance", "allocation", "breakdown", "break down", "slo per stage"],
    "stage": [
        "stage",
        "step",
        "component",
        "hop",
        "per-stage",
        "each stage",
        "vad",
        "asr",
        "retrieval",
        "llm",
        "tts",
        "network",
    ],
    "never": ["never", "not", "no", "don't", "do not", "stop", "avoid", "instead of", "beyond"],
    "version": [
        "version",
        "versioned",
        "pin",
        "pinned",
        "bundle",
        "bundled",
        "package",
        "same artifact",
    ],
}

NEGATIONS = {
    "not",
    "no",
    "never",
    "without",
    "nor",
    "neither",
    "none",
    "nothing",
    "don't",
    "dont",
    "doesn't",
    "didn't",
    "won't",
    "isn't",
    "aren't",
    "wasn't",
    "shouldn't",
    "cannot",
    "can't",
    "needn't",
    "unnecessary",
    "needless",
}
NEGATION_REACH = 4  # words before a match that a negation still governs
OPENING_WORDS = 5  # a negation among a statement's first words governs the whole statement
SOUP_ITEMS = 3  # a statement satisfying this many items at once is a buzzword list

_stemmer = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9$%]+(?:[-'][a-z0-9]+)*")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def words(text: str) -> list[str]:
    """Lower-case words of a text, hyphens and apostrophes kept inside a word."""
    return _WORD.findall(text.lower().replace("’", "'"))


CONTRASTS = ("but", "however", "although", "instead")
# an opening negation governs its sentence up to a strong break or a contrast, through the
# commas of an enumeration ("we would not compare X, Y and Z")
_CLAUSE_BREAK = re.compile(r"[;:.!?()—–]")
# ... but a clause opened by one of these ends at its comma ("since we cannot keep audio,
# we work from summaries": the negation is the reason's, not the plan's)
SUBORDINATORS = ("since", "because", "as", "if", "when", "while", "given", "unless", "though")


def _tokens(text: str) -> tuple[tuple[str, ...], tuple[bool, ...], tuple[int, ...]]:
    """Stemmed words; for each, whether it is (part of) a negation, and the index of the
    first word of its clause. A hyphenated word also matches its parts ("per-stage" ~
    "per stage")."""
    out: list[str] = []
    negations: list[bool] = []
    clauses: list[int] = []
    clause, end = 0, 0
    lowered = text.lower().replace("’", "'")
    opener = ""
    for found in _WORD.finditer(lowered):
        gap = lowered[end : found.start()]
        if (
            _CLAUSE_BREAK.search(gap)
            or found.group() in CONTRASTS
            or ("," in gap and opener in SUBORDINATORS)
        ):
            clause = len(out)
        if clause == len(out):
            opener = found.group()
        end = found.end()
        word = found.group()
        negated = word in NEGATIONS or word.endswith("n't")
        for part in re.split(r"[-']", word):
            if part:
                out.append(_stem(part))
                negations.append(negated)
                clauses.append(clause)
    return tuple(out), tuple(negations), tuple(clauses)


def stems(text: str) -> tuple[str, ...]:
    return _tokens(text)[0]


@dataclass(frozen=True)
class Phrasing:
    text: str
    tokens: tuple[str, ...]


def expand(group: Sequence[str]) -> list[Phrasing]:
    """A group's phrasings, with `@set` references replaced by their synonym set."""
    out: list[Phrasing] = []
    for entry in group:
        if entry.startswith("@"):
            name = entry[1:]
            if name not in SYNONYMS:
                raise ValueError(f"unknown synonym set {entry!r}; known: {sorted(SYNONYMS)}")
            out.extend(Phrasing(w, stems(w)) for w in SYNONYMS[name])
        else:
            out.append(Phrasing(entry, stems(entry)))
    return [p for p in out if p.tokens]


@dataclass(frozen=True)
class Concept:
    """A key item as the matcher sees it: concept groups that must all be present."""

    id: str
    groups: tuple[tuple[Phrasing, ...], ...]
    negative: bool  # the item itself is a "never ..." statement

    @classmethod
    def of(cls, item_id: str, groups: Sequence[Sequence[str]]) -> Concept:
        expanded = tuple(tuple(expand(g)) for g in groups)
        negative = any("@never" in g for g in groups)
        return cls(item_id, expanded, negative)


def _find(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(tokens) - n + 1) if tokens[i : i + n] == phrase]


@dataclass
class Match:
    item: str
    phrases: list[str]
    negated: bool = False


def match_concept(concept: Concept, text: str) -> Match | None:
    """The phrasings of each group found in the text, or None if a group is absent. A
    negation governs the match when it sits inside the matched span or up to four words
    before it, and is not itself part of a matched phrasing ("don't match")."""
    tokens, negations, clauses = _tokens(text)
    covered: set[int] = set()
    spans: list[int] = []
    used: list[str] = []
    for group in concept.groups:
        best: tuple[int, int, str] | None = None
        for phrasing in group:
            for start in _find(tokens, phrasing.tokens):
                span = range(start, start + len(phrasing.tokens))
                if covered.intersection(span):
                    continue  # one word answers one group only
                if best is None or start < best[0]:
                    best = (start, start + len(phrasing.tokens), phrasing.text)
        if best is None:
            return None
        covered.update(range(best[0], best[1]))
        spans += [best[0], best[1]]
        used.append(best[2])
    match = Match(concept.id, used)
    # a negation opening the match's clause ("we do not need to ...", "no need for ...")
    # governs all of it; one just before or inside the match governs the match; an item's own
    # "never" ("never promote on offline MOS alone") is the point, not a negation of it
    first = min(spans)
    opening = range(clauses[first], min(clauses[first] + OPENING_WORDS, first))
    local = range(max(clauses[first], first - NEGATION_REACH), max(spans))
    reach = set(opening) | set(local)  # a second negation undoes an item's own "never"
    match.negated = (
        any(negations[i] for i in reach if i not in covered)
        or _coordinated_negation(tokens, negations, clauses, first)
        or _trailing_negation(tokens, negations, clauses, max(spans))
        or (concept.negative and _double_never(concept, tokens, clauses, first, covered))
    )
    return match


NEEDS = {_stem(w) for w in ("need", "needed", "required", "necessary", "worth", "useful")}
COORDINATORS = {"or", "nor"}


def _coordinated_negation(
    tokens: tuple[str, ...], negations: tuple[bool, ...], clauses: tuple[int, ...], first: int
) -> bool:
    """ "I would not review examples or audit the labels": a negation governs the verbs
    coordinated with its own by "or"/"nor", within the clause."""
    for i in range(first - 1, clauses[first] - 1, -1):
        if negations[i]:
            return any(t in COORDINATORS for t in tokens[i + 1 : first])
        if tokens[i] == "and":
            return False
    return False


def _trailing_negation(
    tokens: tuple[str, ...], negations: tuple[bool, ...], clauses: tuple[int, ...], end: int
) -> bool:
    """ "A rollback plan or a privacy review are not needed": a negation after the match, in
    its clause, that turns down a need."""
    clause = clauses[end - 1]
    for i in range(end, len(tokens)):
        if clauses[i] != clause:
            break
        if negations[i] and (tokens[i] in NEEDS or any(t in NEEDS for t in tokens[i + 1 : i + 3])):
            return True
    return False


def _double_never(
    concept: Concept,
    tokens: tuple[str, ...],
    clauses: tuple[int, ...],
    first: int,
    covered: set[int],
) -> bool:
    """An item that is itself a "never" (don't decide on global WER alone) undone by a second
    word of its own never-group ("I would not look beyond global WER")."""
    nevers = {p.tokens for group in concept.groups for p in group if p.text in SYNONYMS["never"]}
    start = clauses[first]
    return any(
        tokens[i : i + len(n)] == n
        for n in nevers
        for i in range(start, max(covered) + 1)
        if i not in covered
    )


def statements(answers: Sequence[str], governed: bool = False) -> list[str]:
    """Answers split into statements: lines and sentences; a comma list of short fragments
    (three or more, none over three words) is a list of separate statements. `governed`
    (prose): a list that opens with a verb phrase ("Compare slice metrics, entity error,
    latency, ...") keeps its opening word on each fragment ("Compare entity error"); a bare
    list of keywords opens with one word and has nothing to carry."""
    out: list[str] = []
    for answer in answers:
        for sentence in re.split(r"(?<=[.;!?])\s+|\n+", answer):
            fragments = [f.strip() for f in re.split(r",|/|\|", sentence) if f.strip()]
            if len(fragments) >= 3 and all(len(words(f)) <= 3 for f in fragments):
                head = words(fragments[0])
                lead = f"{head[0]} " if governed and len(head) >= 2 else ""
                out.extend([fragments[0], *(lead + f for f in fragments[1:])])
            elif sentence.strip():
                out.append(sentence.strip())
    return [s for s in out if words(s)]


@dataclass
class Judgement:
    """Which items an answer earned, from which statement, and what was refused."""

    earned: dict[str, str] = field(default_factory=dict)  # item id -> the statement
    negated: list[str] = field(default_factory=list)
    soup: list[str] = field(default_factory=list)
    statements: int = 0
    on_point: int = 0
    factor: float = 1.0  # below 1 for a shotgun answer: on-point statements / statements


@dataclass(frozen=True)
class Rules:
    """How strictly answers are judged. Prevention lists (the default): a statement earns
    at most two items and three at once is soup; more statements than the key's items
    plus two is a shotgun. Written exams (`ESSAY`): prose packs several points into one
    sentence, so a statement earns every item it makes unless it is a bare list (fewer
    than `soup_words` words per item), and an answer longer than `slack_per_item`
    statements per rubric item earns in proportion (padding dilutes it)."""

    per_statement: int | None = SOUP_ITEMS - 1
    soup_words: float | None = None
    slack_per_item: float | None = None
    governed_lists: bool = False  # see `statements`


PREVENTION = Rules()
ESSAY = Rules(per_statement=None, soup_words=3.0, slack_per_item=3.0, governed_lists=True)


def _is_soup(text: str, items: int, rules: Rules) -> bool:
    if items < SOUP_ITEMS:
        return False
    if rules.soup_words is None:
        return True
    return len(words(text)) / items < rules.soup_words


def judge(
    answers: Sequence[str], concepts: Sequence[Concept], rules: Rules = PREVENTION
) -> Judgement:
    """Score a list of answers against key items: each item at most once; a statement earns
    at most two (a sentence can make two points; three at once is a buzzword list), or as
    `rules` say."""
    result = Judgement()
    parts = statements(answers, rules.governed_lists)
    result.statements = len(parts)
    for text in parts:
        found = [m for m in (match_concept(c, text) for c in concepts) if m is not None]
        if not found:
            continue
        if _is_soup(text, len({m.item for m in found}), rules):
            result.soup.append(text)
            continue
        live = [m for m in found if not m.negated]
        if not live:
            result.negated.append(text)
            continue
        result.on_point += 1
        fresh = [m for m in live if m.item not in result.earned]
        for m in fresh[: rules.per_statement]:
            result.earned[m.item] = text
    if rules.slack_per_item is not None:  # an essay: padding dilutes, smoothly
        slack = rules.slack_per_item * len(concepts)
        result.factor = min(1.0, slack / max(result.statements, 1))
    elif result.statements > len(concepts) + 2:
        result.factor = result.on_point / result.statements
    return result


def best_concept(text: str, concepts: Sequence[Concept]) -> tuple[str | None, list[str]]:
    """The one concept a free-text answer names (None if none, or several tie), and the
    candidates that matched (for the explanation, never shown to a trainee as a list)."""
    found = [m for m in (match_concept(c, text) for c in concepts) if m is not None]
    live = [m for m in found if not m.negated]
    if not live:
        return None, []
    if len(live) == 1:
        return live[0].item, [live[0].item]
    # more specific (more words matched) wins; a tie is ambiguous
    weight = {m.item: sum(len(stems(p)) for p in m.phrases) for m in live}
    ranked = sorted(weight.items(), key=lambda kv: -kv[1])
    if len(live) >= SOUP_ITEMS or ranked[0][1] == ranked[1][1]:
        return None, [m.item for m in live]
    return ranked[0][0], [m.item for m in live]
