"""The answer matcher: does a trainee's statement say what a key item says?

An item (a prevention item, a cause, a rubric line) accepts a statement when every one of its
concept groups is present in it: a group is a list of phrasings, and a phrasing matches as a
run of stemmed words (Snowball's English stemmer: "alerts", "alerting" and "alerted" are
one word). `@name` in a group stands for a shared synonym set (drills/judge/synonyms.yaml;
`@alert`: alert, page, alarm, notify, ...), so a key says "an alert on cost by device" once
and accepts "page when spend per request jumps" too.

Every answer is read once, by drills/judge/reading.py, into clauses with their polarity; the
matcher looks for each group's phrasings in asserted clauses first:

- **polarity**: a match that needs a word of a clause turned down ("X is not needed", "no
  need for X", "X is overkill", "rather than X") is negated; an item's own negative words
  ("never promote on offline MOS alone", "raw audio is not logged") are its point, and a
  second negation undoes them;
- **fragments**: a statement that names topics without making a point ("voice canary",
  "latency gates": no action, relation or verb) earns nothing, however well its nouns fit;
  lists are read as lists however written (bullets, numbers, one fragment a line, commas);
- **soup**: a statement that satisfies three or more different items at once is a list of
  buzzwords, not an answer, and earns nothing;
- **shotgun**: an answer with many more statements than the key has items earns in
  proportion to how many of its statements were on point.

Synonym sets, stems and lemmas (LemmInflect: "held" is "hold") were chosen over a
text-similarity model on purpose, and measured against one (docs/judge-rounds.md: a sentence
embedding inside the polarity layer added false accepts at the rate it added recall): the
phrasings an examiner accepts are written down in the key, so a scenario author can read and
extend them, and the result is explainable ("matched: alert + cost + per device"). A
similarity model says what a clause is about, so a clause explaining why a cause is not the
problem sits nearest that cause — exactly what the matcher must refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from itertools import pairwise
from pathlib import Path

from drills.judge.appraisal import answer_appraises, appraised_against, opens_appraisal
from drills.judge.concession import argued_by_concession, turned_from_next
from drills.judge.delegation import delegates
from drills.judge.reading import (
    SUFFICED,
    Clause,
    Reading,
    closes_argument,
    directs,
    favours_ease,
    has_finite,
    lexicon,
    makes_point,
    omission_at,
    opens_with_verdict,
    plain_denial,
    proposes,
    read,
    recommends,
    recommends_itself,
    rests_on_record,
    stem,
    stopped_gerund,
    verb_form,
)
from drills.judge.reading import statements as split_statements
from drills.judge.rhetoric import asks_for
from simulator.spec.fileio import load_yaml

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")
SOUP_ITEMS = 3  # a statement satisfying this many items at once is a buzzword list
_ARTICLES = frozenset({"a", "an", "the"})


@cache
def verdict_words() -> frozenset[str]:
    """The one-word verdicts of the lexicon (negations, evaluations, closing verdicts)."""
    lex = lexicon()
    phrases = (*lex.negation_phrases, *lex.evaluations, *lex.evaluative)
    return lex.negations | frozenset(p[0] for p in phrases if len(p) == 1)


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    data = load_yaml(SYNONYMS_FILE.read_text())
    return {str(k): tuple(str(w) for w in v) for k, v in data.items()}


def words(text: str) -> list[str]:
    """Lower-case words of a text (hyphenated words in parts)."""
    return list(read(text).words)


def stems(text: str) -> tuple[str, ...]:
    return read(text).stems


@dataclass(frozen=True)
class Phrasing:
    text: str
    tokens: tuple[str, ...]  # stems
    negative: bool  # holds a negation of its own ("not logged", "never")
    raw: tuple[str, ...] = ()  # the words as written: a truncation ("rescor") is a prefix

    def __hash__(self) -> int:  # a reading's memo is keyed by phrasings, millions of times
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.text, self.tokens, self.negative, self.raw))

    def at(self, reading: Reading, i: int) -> bool:
        """Does the phrasing stand at word i of the reading?"""
        n = len(self.tokens)
        if i + n > len(reading.stems) or any(reading.ident[i : i + n]):
            return False
        if reading.stems[i : i + n] == self.tokens:
            return True
        return all(self.word_at(reading, i + k, k) for k in range(n))

    def word_at(self, reading: Reading, i: int, k: int) -> bool:
        """Does word i of the reading stand for the phrasing's word k: the same stem, one
        of its lemmas, a plural, or (five letters or more) a truncation of it; "not" is any
        contraction of it ("wouldn't", "isn't")."""
        stem_, word, token, raw = reading.stems[i], reading.words[i], self.tokens[k], self.raw[k]
        return (
            stem_ == token
            or token in reading.lemmas[i]
            or (token == "not" and (word.endswith("n't") or word == "cannot"))
            or word in (raw + "s", raw + "es")
            # a verdict word is never a truncation of an item's word: "counterproductive"
            # judges a measure, it does not name a counter
            or (len(raw) >= 5 and word.startswith(raw) and word not in verdict_words())
            # an article inside a phrasing is any article ("close the turn": "close a turn")
            or (k > 0 and raw in _ARTICLES and word in _ARTICLES)
        )


@cache  # a key's items and the catalogue are built from the same few thousand phrasings
def _phrasing(text: str) -> Phrasing:
    lex = lexicon()
    found = read(text)
    negative = any(w in lex.negations or w.endswith("n't") for w in found.words)
    return Phrasing(text, found.stems, negative, found.words)


def expand(group: Sequence[str]) -> list[Phrasing]:
    """A group's phrasings, with `@set` references replaced by their synonym set."""
    out: list[Phrasing] = []
    sets = synonyms()
    for entry in group:
        if entry.startswith("@"):
            name = entry[1:]
            if name not in sets:
                raise ValueError(f"unknown synonym set {entry!r}; known: {sorted(sets)}")
            out.extend(_phrasing(w) for w in sets[name])
        else:
            out.append(_phrasing(entry))
            # a negated participle may carry its auxiliary: "not disabled" is said "had not
            # been disabled", "never stopped" "has never been stopped"
            head, _, rest = entry.partition(" ")
            participle = rest.split(" ")[0].endswith(("ed", "en", "wn", "ne", "ut"))
            if head in ("not", "never") and participle:
                out.append(_phrasing(f"{head} been {rest}"))
    return [p for p in out if p.tokens]


@dataclass(frozen=True)
class Concept:
    """A key item as the matcher sees it: concept groups that must all be present."""

    id: str
    groups: tuple[tuple[Phrasing, ...], ...]
    nevers: tuple[Phrasing, ...] = ()  # an item that is itself a "never ..." (`@never`)

    @classmethod
    def of(cls, item_id: str, groups: Sequence[Sequence[str]]) -> Concept:
        nevers = tuple(expand(["@never"])) if any("@never" in g for g in groups) else ()
        return cls(item_id, tuple(tuple(expand(g)) for g in groups), nevers)


@dataclass
class Match:
    item: str
    phrases: list[str]  # the trainee's words that answered each group
    negated: bool = False
    first: int = 0  # word index of the match's first word in the reading
    last: int = 0  # one past its last word
    weight: int = 0  # words matched (a more specific match weighs more)
    clauses: frozenset[int] = frozenset()
    covered: frozenset[int] = frozenset()  # the words matched


def _index(reading: Reading) -> None:
    """Where each stem, lemma, word and five-letter-or-longer prefix of a word stands in the
    reading, kept in its memo: a phrasing's first word is then looked up, not searched for
    word by word (a reading is read against some thousands of phrasings)."""
    index: dict[tuple[str, str], list[int]] = {}
    for i, (stem_, word, lemmas) in enumerate(
        zip(reading.stems, reading.words, reading.lemmas, strict=True)
    ):
        keys: set[tuple[str, str]] = {("s", stem_), ("w", word)}
        keys.update(("l", lemma) for lemma in lemmas)
        keys.update(("p", word[:n]) for n in range(5, len(word) + 1))
        if word.endswith("n't") or word == "cannot":
            keys.add(("n't", ""))
        for key in keys:
            index.setdefault(key, []).append(i)
    reading.memo.update((("index", *key), tuple(at)) for key, at in index.items())
    reading.memo[("index",)] = ()


def _starts(reading: Reading, phrasing: Phrasing) -> tuple[int, ...]:
    """Where the phrasing's first word stands in the reading (`Phrasing.word_at`, word 0):
    the same for every phrasing that opens with that word, so found once."""
    token, raw = phrasing.tokens[0], phrasing.raw[0]
    found = reading.memo.get(("starts", token, raw))
    if found is None:
        if ("index",) not in reading.memo:
            _index(reading)
        memo = reading.memo
        hits = {
            *memo.get(("index", "s", token), ()),
            *memo.get(("index", "l", token), ()),
            *memo.get(("index", "w", raw + "s"), ()),
            *memo.get(("index", "w", raw + "es"), ()),
            *(memo.get(("index", "n't", ""), ()) if token == "not" else ()),
        }
        if len(raw) >= 5:
            verdicts = verdict_words()
            prefixed = memo.get(("index", "p", raw), ())
            hits.update(i for i in prefixed if reading.words[i] not in verdicts)
        found = tuple(sorted(hits))
        memo[("starts", token, raw)] = found
    return found


def _occurrences(reading: Reading, phrasing: Phrasing, lo: int, hi: int) -> list[tuple[int, int]]:
    n = len(phrasing.tokens)
    found = reading.memo.get(phrasing)
    if found is None:  # where it stands does not depend on the window asked about
        found = tuple(i for i in _starts(reading, phrasing) if phrasing.at(reading, i))
        reading.memo[phrasing] = found
    return [(i, i + n) for i in found if lo <= i and i + n <= hi]


def match_in(
    concept: Concept,
    reading: Reading,
    lo: int = 0,
    hi: int | None = None,
    reach: int | None = None,
    forward: bool = False,
    context: int | None = None,
) -> Match | None:
    """The concept's match within words [lo, hi) of a reading: each group answered by a
    phrasing in an asserted clause where one exists (the earliest), else wherever it stands
    (and the match is negated); None if a group is absent. One word answers one group.
    `forward`: a negation such as "without" or "no" governs only what follows it (a cause
    is read so; a prevention item keeps the whole clause's polarity: "pushed directly
    without a canary" is not "canary config pushes"). `context`: the words from there on
    are the context a statement refers to (the question it answers, the statement its "it"
    points at): they may answer a group, and their polarity is not the statement's."""
    hi = len(reading.stems) if hi is None else hi
    if reach is not None:  # the words of one claim lie close together: try each window
        if match_in(concept, reading, lo, hi, None, forward, context) is None:
            return None  # not in the whole stretch: in no window of it
        found = [
            m
            for start in range(lo, hi)
            if (
                m := match_in(
                    concept, reading, start, min(hi, start + reach), None, forward, context
                )
            )
            is not None
        ]
        return min(found, key=lambda m: (m.negated, m.first), default=None)
    first = _match_once(concept, reading, lo, hi, forward, False, context)
    if first is not None and first.negated and concept.nevers:
        # "batching is for offline jobs, not for the conversational path": the item's own
        # "not" answers its never, and the clause it turns down is its point
        again = _match_once(concept, reading, lo, hi, forward, True, context)
        if again is not None and not again.negated:
            return again
    return first


def _match_once(
    concept: Concept,
    reading: Reading,
    lo: int,
    hi: int,
    forward: bool,
    own_first: bool,
    context: int | None = None,
    order: tuple[int, ...] | None = None,
) -> Match | None:
    said = len(reading.words) if context is None else context  # the statement's own words

    covered: set[int] = set()
    own: set[int] = set()  # the words of negative phrasings chosen: the item's own negation
    # a trigger that holds the item's own word is that word, not a verdict on it: "skip the
    # big model for trivial turns" is the item "skip"; "skip the canary" still turns down
    absorbed: set[int] = set()
    chosen: list[tuple[int, int, int, str]] = []
    for g in order or range(len(concept.groups)):
        group = concept.groups[g]
        options = [
            o
            for o in (_verdict_options(concept, group, reading, lo, hi) if not forward else [])
            if not covered.intersection(range(o[1], o[3]))
        ]
        for phrasing in group:
            for start, end in _occurrences(reading, phrasing, lo, hi):
                if covered.intersection(range(start, end)):
                    continue
                if phrasing.negative and _denies_omission(reading, end):
                    continue  # "don't leave transcripts out" is no "no transcripts"
                if phrasing not in concept.nevers and _stops_doing(reading, start, end):
                    continue  # "stop batching the first-audio path" halts no release
                mine = frozenset(range(start, end)) if phrasing.negative else frozenset()
                held = _triggers_held(reading, start, end)
                down = start < said and reading.clause(start).negated(
                    mine | held | frozenset(own) | frozenset(absorbed), start, forward
                )
                options.append((down, start, -(end - start), end, phrasing))
        if not options:
            if order is None and covered and _stands(group, reading, lo, hi):
                # an earlier group took the only word this one has ("slice metrics the
                # gate": "slice" is also a monitor's "sliced"): answer this one first
                rest = tuple(k for k in range(len(concept.groups)) if k != g)
                again = _match_once(
                    concept, reading, lo, hi, forward, own_first, context, (g, *rest)
                )
                # a word shared by two groups is read so only in one clause that directs
                # or recommends ("make slice metrics the gate"), not in a description
                if again is None or len(again.clauses) != 1:
                    return None
                return again if recommends(reading, reading.clauses[min(again.clauses)]) else None
            return None
        first = (lambda o: (not o[4].negative, *o[:3])) if own_first else (lambda o: o[:3])
        _, start, _, end, phrasing = min(options, key=first)
        covered.update(range(start, end))
        if phrasing.negative:
            own.update(range(start, end))
        absorbed.update(_triggers_held(reading, start, end))
        chosen.append((g, start, end, reading.surface(start, end)))
    chosen.sort()
    clauses = frozenset(reading.clause_of[i] for i in covered)
    if concept.nevers and own:
        # an item's own "never" governs its clause: "promote on MOS; don't block on FAB"
        # does not say "never promote on MOS alone"; a bare predicate after a "but" ("MOS is
        # necessary but not sufficient") belongs to the clause before it
        theirs = {reading.clause_of[i] for i in covered - own}
        if not any(_governs(reading, reading.clause_of[i], theirs) for i in own):
            # the other words were taken from another clause ("privacy: no transcripts"
            # took "privacy"): look again inside each clause that holds a never; then, as
            # in "Not on the aggregate: overall WER hides the slices", where the never taken
            # was another clause's, in the clause of the item's other words
            own_clauses = sorted({reading.clause_of[i] for i in own})
            for c in own_clauses + sorted(theirs - set(own_clauses)):
                clause = reading.clauses[c]
                if (clause.first, clause.last) != (lo, hi) and lo <= clause.first:
                    inner = _match_once(
                        concept,
                        reading,
                        clause.first,
                        min(hi, clause.last),
                        forward,
                        own_first,
                        context,
                    )
                    if inner is not None:
                        return inner
            return None
    negated = any(
        reading.clause(i).negated(frozenset(own | absorbed), i, forward)
        for i in covered
        if i < said
    )
    # a second word of an item's own never ("I would not look beyond global WER") undoes it
    for c in clauses if concept.nevers else ():
        clause = reading.clauses[c]
        if clause.first >= said:
            continue  # the context's own negations are not the statement's
        for phrasing in concept.nevers:
            for start, end in _occurrences(reading, phrasing, clause.first, clause.last):
                # "no transcripts, no audio, no user IDs": a never that opens the next entry
                # of a list is the item's own, repeated, not a second negation
                negated |= not covered.intersection(range(start, end)) and not _parallel(
                    reading, start
                )
    return Match(
        item=concept.id,
        phrases=[text for _, _, _, text in chosen],
        negated=negated,
        first=min(s for _, s, _, _ in chosen),
        last=max(e for _, _, e, _ in chosen),
        weight=len(covered),
        clauses=clauses,
        covered=frozenset(covered),
    )


_POINTING = frozenset({"it", "them", "this", "that", "these", "those", "both", "ones"})


def _denies_omission(reading: Reading, at: int) -> bool:
    """A denial followed by a verb of leaving out ("don't leave ... out", "never skip"):
    the two cancel (reading.py `_omission_denied`), so it is no never of an item's."""
    return omission_at(reading.words, at, len(reading.words)) is not None


def _stops_doing(reading: Reading, start: int, end: int) -> bool:
    """ "Stop batching the first-audio path", "stop rescoring partials": a "stop" before a
    gerund ends a practice; it is an item's never, not the halt of a gate ("a hard stop",
    "stop the rollout")."""
    return end - start == 1 and stopped_gerund(reading.words, end)


def _parallel(reading: Reading, at: int) -> bool:
    """The word at `at` opens an entry of a list: after a comma or a slash, or after "and",
    "or", "nor"."""
    if at == 0:
        return False
    gap = reading.text[reading.spans[at - 1][1] : reading.spans[at][0]]
    return "," in gap or "/" in gap or reading.words[at - 1] in ("and", "or", "nor")


def _stands(group: tuple[Phrasing, ...], reading: Reading, lo: int, hi: int) -> bool:
    """Some phrasing of the group stands in words [lo, hi), taken or not."""
    return any(_occurrences(reading, p, lo, hi) for p in group)


def _verdict_options(
    concept: Concept, group: tuple[Phrasing, ...], reading: Reading, lo: int, hi: int
) -> list[tuple[bool, int, int, int, Phrasing]]:
    """An item that is a "never" is said by a verdict on what it forbids ("deciding on the
    global WER alone would be a mistake" is "never decide on global WER alone"): each
    evaluation in words [lo, hi) answers its never group, as the item's own negation."""
    if not concept.nevers or not set(concept.nevers) <= set(group):
        return []
    out = []
    for c in sorted({reading.clause_of[i] for i in range(lo, hi)}):
        for a, b in reading.clauses[c].evaluations:
            if lo <= a and b <= hi:
                verdict = Phrasing(
                    reading.surface(a, b), reading.stems[a:b], True, reading.words[a:b]
                )
                down = reading.clauses[c].negated(frozenset(range(a, b)), a)
                out.append((down, a, -(b - a), b, verdict))
    return out


def _triggers_held(reading: Reading, start: int, end: int) -> frozenset[int]:
    """The words of the negation triggers whose every word but a determiner is a word of
    the phrasing at [start, end) ("skip the" in "skip the big model"; not "slow the team
    down" for "slow", nor "just delay" for "delay")."""
    determiners = lexicon().determiners
    clause = reading.clause(start)
    return frozenset(
        i
        for a, b in clause.triggers + clause.evaluations
        if a < end
        and start < b
        and all(start <= k < end or reading.words[k] in determiners for k in range(a, b))
        for i in range(a, b)
    )


def _governs(reading: Reading, clause: int, targets: set[int]) -> bool:
    if clause in targets:
        return True
    own = reading.clauses[clause]
    # "never promote on it alone", beside the clause that says what "it" is
    if _POINTING.intersection(reading.words[own.first : own.last]) and targets & {
        clause - 1,
        clause + 1,
    }:
        return True
    before = clause - 1
    return (
        before in targets
        and own.last - own.first <= 3
        and reading.clauses[before].sentence == own.sentence
    )


def match_concept(concept: Concept, text: str, context: int | None = None) -> Match | None:
    return match_in(concept, read(text), context=context)


@dataclass(frozen=True)
class Statement:
    text: str
    point: bool  # makes a point as a sentence would (see reading.makes_point)
    line: tuple[int, int, int] = (0, 0, 0)  # (answer, line, fragment): its list entry
    lesson: bool = False  # answers "why did it happen?": a practice it says was missing
    answers: int = 0  # answers the question just before it: its own words come first, this many
    affirms: bool = False  # says yes to it ("Yes, so add them": what "them" stands for)


_WHY_PAST = frozenset({"did", "was", "were", "didn't", "wasn't", "weren't", "had", "hadn't"})


def _answered(m: Match, part: Statement) -> bool:
    """A statement that answers a question earns an item by words of its own, or by a yes
    that recommends what the question described ("Yes, so add them")."""
    if not part.answers:
        return True
    reading = read(part.text)
    own = [c for c in reading.clauses if c.first < part.answers]
    if min(m.covered) < part.answers:
        # "Slice dashboards per language? We'd drown in charts.": the answer to a question
        # that only names a measure (no verb of its own) takes it up only by a yes or by
        # turning to it ("track it beside WER"); a remark about it, whatever its words,
        # weighs it and proposes nothing
        return (
            part.affirms
            or has_finite(reading, part.answers, len(reading.words))
            or any(recommends(reading, c) or proposes(reading, c) for c in own)
        )
    if not part.affirms:
        return False
    return any(
        recommends(reading, c)
        and _POINTING.intersection(reading.words[c.first : c.last])
        and not c.judged()  # "skip them" turns down what it points at
        for c in own
    )


def _asks_why_it_happened(text: str) -> bool:
    """A post-mortem question ("Why did a broken health check reach production?"), whose
    answer ("Nothing called it before rollout") names a practice that was missing."""
    found = words(text)
    return (
        text.rstrip().endswith("?")
        and found[:1] == ["why"]
        and found[1:2] != []
        and (found[1] in _WHY_PAST)
    )


def statements(answers: Sequence[str]) -> list[Statement]:
    """Answers split into statements, lists read as lists however they are written; each
    fragment of a comma list governed by a verb ("compare sample rate, clipping, loudness")
    makes the point its head makes."""
    out: list[Statement] = []
    for number, answer in enumerate(answers):
        asked = False
        question: tuple[tuple[int, int], str] | None = None
        before: tuple[tuple[int, int], str] | None = None
        for sentence in split_statements(answer, governed=True):
            point = sentence.point or makes_point(sentence.text)
            line = (number, sentence.line, sentence.fragment)
            text, own, yes = sentence.text, 0, False
            if question is not None and question[0] == line[:2]:
                # "Would a fixed-fixture eval have caught it? Yes — require it": the answer
                # is read with the question it answers, its own words first
                own, text, yes = _with_question(sentence.text, question[1])
            elif before is not None and before[0] == line[:2] and _points_back(sentence.text):
                # "Config pushes go straight to prod. Treat them as releases.": an
                # instruction about what the sentence before named, read with it
                own = len(read(sentence.text).words)
                text, yes = f"{sentence.text} — {before[1]}", True
            out.append(Statement(text, point, line, asked, own, yes))
            asked = _asks_why_it_happened(sentence.text)
            ends = sentence.text.rstrip().endswith("?")
            question = (line[:2], sentence.text.rstrip().rstrip("?")) if ends else None
            before = None if ends else (line[:2], sentence.text)
    # "First-audio alerts? The burn-rate page caught it late. Add one.": an instruction that
    # points back takes the question up for the answer before it
    for k in range(len(out) - 1):
        if out[k].answers and out[k + 1].line[:2] == out[k].line[:2]:
            nxt = read(out[k + 1].text)
            if any(
                recommends(nxt, c) and not c.judged() and _ONE.intersection(nxt.words)
                for c in nxt.clauses
            ):
                out[k] = replace(out[k], affirms=True)
    return out


_ONE = frozenset({"one", "ones", "it", "them", "those", "these", "that"})


_BACK = frozenset({"them", "those", "these", "ones"})


def _points_back(text: str) -> bool:
    """An instruction whose object points at what was said before ("treat them as
    releases", "never promote on those alone", "add slice-level ones")."""
    reading = read(text)
    return any(
        recommends(reading, c)
        and _BACK.intersection(reading.words[c.first : c.last])
        and not c.judged()
        # an instruction, not someone's choice ("I'd keep pushing them directly")
        and not _SPEAKING.intersection(reading.words[c.first : c.last])
        for c in reading.clauses
    )


_SPEAKING = frozenset({"i", "we", "i'd", "we'd", "i'll", "we'll", "i'm", "we're", "let's", "me"})


_YES = (
    ("almost", "certainly"),
    ("of", "course"),
    ("yes",),
    ("yep",),
    ("yeah",),
    ("definitely",),
    ("certainly",),
    ("absolutely",),
    ("sure",),
)
_NO = (("no",), ("nope",), ("nah",))


def _with_question(answer: str, question: str) -> tuple[int, str, bool]:
    """The answer, without a leading yes or no, then the question it answers: how many words
    are the answer's own, the text, and whether the answer said yes."""
    found = read(answer)
    lead = next((w for w in (*_YES, *_NO) if found.words[: len(w)] == w), ())
    start = len(lead)
    own = answer[found.spans[start][0] :] if start < len(found.words) else answer
    # "Why promote a change that hasn't been scored on a fixed set? Require both first.": a
    # why-question naming what was missing is answered by requiring it
    asked = read(question)
    missing = asked.words[:1] == ("why",) and any(
        w in ("not", "no", "without", "never") or w.endswith("n't") for w in asked.words
    )
    return len(found.words) - start, f"{own} — {question}", lead in _YES or (missing and not lead)


@dataclass
class Judgement:
    """Which items an answer earned, from which statement, and what was refused."""

    earned: dict[str, str] = field(default_factory=dict)  # item id -> the statement
    negated: list[str] = field(default_factory=list)
    soup: list[str] = field(default_factory=list)
    fragments: list[str] = field(default_factory=list)  # named a topic, made no point
    statements: int = 0
    on_point: int = 0
    factor: float = 1.0  # below 1 for a shotgun answer: on-point statements / statements
    weights: dict[str, float] = field(default_factory=dict)  # item id -> credit (0-1)
    points_made: int = 0  # statements that make a point as a sentence would
    parts: int = 0  # statements in all

    @property
    def credit(self) -> float:
        """Items earned, each at its weight (a fragment's item in a list earns in
        proportion to the statements that make a point), diluted by padding."""
        return sum(self.weights.values()) * self.factor


@dataclass(frozen=True)
class Rules:
    """How strictly answers are judged. Prevention lists (the default): a statement earns
    at most two items and three at once is soup (fewer than `soup_words` words per item,
    where set); more statements than the key's items
    plus two is a shotgun. Written exams (`ESSAY`): prose packs several points into one
    sentence, so a statement earns every item it makes unless it is a bare list (fewer
    than `soup_words` words per item), an answer longer than `slack_per_item` statements
    per rubric item earns in proportion (padding dilutes it), and a fragment of
    `detail_words` words or more counts as a point made."""

    per_statement: int | None = SOUP_ITEMS - 1
    soup_words: float | None = None
    slack_per_item: float | None = None
    detail_words: int | None = None  # a fragment this long is a terse point, not a topic
    questions: bool = False  # a question earns ("does confidence drop only on the new fw?")


# a prevention entry of six words or more says something ("a metric and an alert for
# misrouted hard audio"); the key's item names as fragments are two to four; three items
# in one statement are soup unless it spends a sentence's five words on each ("one alarm
# per device cohort on how late the first words and how jittery the network are")
PREVENTION = Rules(detail_words=6, soup_words=5.0)
# a bullet of six or more words in an essay says something ("unit tests: feature shape, SR
# handling, normalisation"); a buzzword bullet names a topic in one to four
# an essay's question is what the candidate would check ("does confidence drop only on the
# new firmware?"); in a prevention list it only asks
ESSAY = Rules(
    per_statement=None, soup_words=3.0, slack_per_item=5.0, detail_words=6, questions=True
)


def _is_soup(text: str, items: int, rules: Rules) -> bool:
    if items < SOUP_ITEMS:
        return False
    if rules.soup_words is None:
        return True
    return len(words(text)) / items < rules.soup_words


def _headings(parts: list[Statement]) -> list[Statement]:
    """A list of three or more entries, most of them topics ("fab alert", "config as
    release"), is a list of headings: there an entry makes its point only by an action or
    a relation, not by a policy word in front of a topic ("no batching first token")."""
    entries = {p.line for p in parts}
    topics = {p.line for p in parts if not p.point}
    if len(entries) < 3 or 2 * len(topics) <= len(entries):
        return parts
    return [
        p
        if not p.point or makes_point(p.text, policy=False)
        else Statement(p.text, False, p.line, p.lesson, p.answers, p.affirms)
        for p in parts
    ]


def _asks(text: str) -> bool:
    """A question asks, it makes no point ("Why gate on health checks?"), unless it is a
    suggestion ("Why not canary voices?", "How about a FAB gate?")."""
    if not text.rstrip().endswith("?"):
        return False
    # "why not ...?", "why is there still no alert on X?", "how many more outages before we
    # gate ...?": a question that asks for what it names (rhetoric.asks_for)
    return not asks_for(words(text))


# what a list's label calls its entries when they are topics, not measures
_TOPIC_LABELS = frozenset({"themes", "theme", "topics", "keywords", "buzzwords", "tags", "pillars"})


def _one_point_detailed(parts: list[Statement], found_in: list[list[Match]]) -> bool:
    """A short comma list where one fragment names an item and the others only detail it
    ("router canary, capped blast radius, one-click rollback") is one terse answer, not a
    list of topics: at most four fragments, one item named, the rest two words or more, or
    one that says what is done to it ("churn-of-partials metric, alarmed, next to final
    WER")."""
    named = {m.item for found in found_in for m in found}
    rest = [p for p, f in zip(parts, found_in, strict=True) if not f]
    label = parts[0].text.partition(":")[0] if ":" in parts[0].text else ""
    return (
        # a list its label calls topics ("Themes: ...", "Keywords: ...") names topics
        not _TOPIC_LABELS.intersection(words(label))
        and len(parts) <= 4
        and len(named) == 1
        and sum(bool(f) for f in found_in) == 1
        and all(len(words(p.text)) >= 2 or _participle(words(p.text)) for p in rest)
    )


def _participle(found: list[str]) -> bool:
    """One word, a verb's past form ("alarmed", "versioned")."""
    return len(found) == 1 and found[0].endswith("ed") and verb_form(found[0]) is not None


def _argued_against(
    m: Match, concept: Concept, text: str, down: set[str], whole: bool = False
) -> bool:
    """An asserted mention of an item that the entry has already turned down is one of the
    reasons against it ("Don't canary voices — switching voices for a subset of users is
    jarring"; "We shouldn't cap retries. Retrying is how clients ride out blips, and a
    budget would ..."), unless it recommends the item after all ("instead, cap them")."""
    if m.negated:
        return False
    reading = read(text)
    # once turned down in its entry, a measure is taken up again only by someone's choice
    if m.item in down and not any(
        directs(reading, reading.clauses[c]) and not favours_ease(reading, reading.clauses[c])
        for c in m.clauses
    ):
        return True
    before = match_in(concept, reading, 0, m.first) if m.first else None
    if (
        before is not None
        and before.negated
        and all(favours_ease(reading, reading.clauses[c]) for c in m.clauses)
    ):
        # "we considered X and rejected it, config changes must stay fast": within one
        # sentence too, ease asked for after the measure was turned down argues against it
        return True
    # after the measure was turned down in its sentence, a third party's need is a reason
    # against it ("... and rejected it: clients need to retry aggressively"), no choice
    if any(
        recommends(reading, reading.clauses[c])
        and (
            before is None
            or not before.negated
            or directs(reading, reading.clauses[c])
            or reading.clauses[c].sentence != reading.clause(before.first).sentence
        )
        for c in m.clauses
    ):
        return False
    # a measure turned down, then a statement that describes rather than recommends: the
    # reasons against it, whatever other item its words happen to fit ("We shouldn't cap
    # retries. ... a budget would turn hiccups into visible failures"); `whole`: the entry
    # is one argument (a prevention line), not an essay's paragraph
    if whole and down and not any(recommends(reading, c) for c in reading.clauses):
        return True
    return before is not None and before.negated


def _delegated(reading: Reading, m: Match) -> bool:
    """ "Canarying gateway moves I'd leave to the edge team's judgement": the measure handed
    to someone else in its own clause."""
    return any(
        delegates(reading.words[reading.clauses[c].first : reading.clauses[c].last])
        for c in m.clauses
    )


def _sufficed(part: Statement, after: Statement) -> bool:
    """ "X — the burn alert already fired. We're covered.": a statement that describes, then
    one that says what there is suffices; after an instruction it says the measure does."""
    if read(after.text).words not in SUFFICED:
        return False
    reading = read(part.text)
    return not any(directs(reading, c) for c in reading.clauses)


_THERE = frozenset({"existing", "current", "already", "our", "today's"})


def _what_there_is(reading: Reading, m: Match) -> bool:
    """ "..., and the existing quality alert handled it": the measure's words name what
    there is, in a clause that says it suffices, and nothing directs it."""
    own = [reading.clauses[c] for c in m.clauses]
    return any(
        _THERE.intersection(reading.words[c.first : c.last])
        and closes_argument(reading, c)
        and not directs(reading, c)
        and not recommends(reading, c)
        for c in own
    )


def _taken_up_after(parts: list[Statement], found_in: list[list[Match]], j: int) -> bool:
    """ "Love the idea of X. It adds a step, though it is the step we lacked; add it.": the
    statement after the turn, in its entry, names no measure of its own and directs one
    pointed back to (a concession, a cost, then the measure taken up after all)."""
    if j >= len(parts) or parts[j].line[:2] != parts[j - 2].line[:2] or found_in[j]:
        return False
    reading = read(parts[j].text)
    for c in reading.clauses:
        words = reading.words[c.first : c.last]
        if closes_argument(reading, c) or _PUT_OFF.intersection(words):
            continue
        if any(plain_denial(w) for w in words):
            continue
        if any(
            w in _TAKING_UP and words[k + 1 : k + 2] and words[k + 1] in _POINTER_WORDS
            for k, w in enumerate(words)
        ):
            return True  # "add it", "we need it", "let's build it"
    return False


# verbs that take a measure pointed back to up ("add it", "we need it"), and words that put
# it off ("do it next year")
_TAKING_UP = frozenset(
    {"add", "build", "do", "ship", "adopt", "implement", "fund", "prioritise", "prioritize"}
    | {"need", "want", "deploy", "schedule"}
)
_PUT_OFF = frozenset({"later", "next", "someday", "eventually", "maybe", "perhaps", "if"})


def _appraised_next(part: Statement, after: Statement) -> bool:
    """ "Cohort alerts, lovely. Another pager to mute.", "X. No thanks.": a statement that
    directs nothing, then one that piles on what it named or refuses it (appraisal.py)."""
    there = read(after.text)
    if not opens_appraisal(after.text, there):
        return False
    if not part.point:
        return True  # a topic named ("Cohort alerts, lovely."), whatever its first word
    reading = read(part.text)
    return not any(directs(reading, c) or recommends(reading, c) for c in reading.clauses)


def _closed_against(
    parts: list[Statement], found_in: list[list[Match]], by_id: dict[str, Concept]
) -> set[tuple[int, str]]:
    """(statement, item) pairs whose entry lands against the item: a measure described
    rather than recommended ("a retry budget would hurt callers during blips", "per-cohort
    alerting is too fine-grained"), in an entry that closes on another choice, on what there
    is, or on a refusal ("I'd rather keep retries generous", "server-side latency is enough",
    "I wouldn't add it", "Not now."), where that closing clause does not itself say the
    measure. A measure recommended in its own clause ("add a retry budget; I'd keep the
    attempts at three") stands."""
    out: set[tuple[int, str]] = set()
    readings = [read(p.text) for p in parts]
    closing = [
        [c for c, clause in enumerate(r.clauses) if closes_argument(r, clause)] for r in readings
    ]
    for k, (part, found) in enumerate(zip(parts, found_in, strict=True)):
        reading = readings[k]
        for m in found:
            # a fragment ("Retry ratio alert.") directs nothing, whatever its first word
            # the question an entry answers ("A FAB alert? ...") asks, it directs nothing
            own = [
                c for c in m.clauses if not part.answers or reading.clauses[c].first < part.answers
            ]
            if m.negated or (
                part.point
                and any(
                    (
                        recommends_itself(reading, reading.clauses[c])
                        and directs(reading, reading.clauses[c])
                    )
                    or proposes(reading, reading.clauses[c])
                    for c in own
                )
            ):
                continue
            for j, other in enumerate(parts):
                if other.line[:2] != part.line[:2]:
                    continue
                there = readings[j]
                for c in closing[j]:
                    if (j == k and c in m.clauses) or (other.answers and c == 0):
                        continue  # "Not much — that's the point of X": an answer's own no
                    clause = there.clauses[c]
                    said = match_in(by_id[m.item], there, clause.first, clause.last)
                    if (
                        said is not None
                        and not said.negated
                        and not delegates(there.words[clause.first : clause.last])
                    ):
                        continue
                    if said is None and j > k and _opening_refusal_of_its_own(other.text):
                        continue  # "Canary it. I wouldn't cap the autoscaler at one GPU."
                    if (
                        said is None
                        and j > k
                        and any(
                            (
                                other_said := match_in(
                                    by_id[o.item], there, clause.first, clause.last
                                )
                            )
                            is not None
                            and other_said.negated
                            for o in found_in[j]
                            if o.item != m.item
                        )
                    ):
                        # "Alerts per language. The release-note requirement I'd skip.":
                        # a refusal after the measure that names another lands on that one
                        continue
                    if j < k and rests_on_record(there, clause) and _record_turned(parts[j + 1]):
                        # "X has worked well for years. But this time it failed, so canary
                        # ...": a record the next statement turns from closes nothing after
                        continue
                    if said is None and j > k + 1 and _nearer_turned_down(found_in[j - 1], m):
                        # "Canary X. A metric for Y is overkill on top of that; drop it.":
                        # a refusal that points back lands on the nearer measure turned down
                        continue
                    out.add((k, m.item))
    return out


def _argued_in_place(parts: list[Statement], found_in: list[list[Match]]) -> set[tuple[int, str]]:
    """(statement, item) of each measure argued against in its own statement: conceded,
    then turned from ("X sounds sensible, but ..."), handed to someone else, appraised as
    a bare topic, said as what there is, or asked as a topic its answer appraises."""
    out = set()
    for k, (part, found) in enumerate(zip(parts, found_in, strict=True)):
        reading = read(part.text)
        out |= {
            (k, m.item)
            for m in found
            if not m.negated
            and (
                argued_by_concession(reading, m.clauses)
                or _delegated(reading, m)
                or appraised_against(reading, m.clauses)
                or _what_there_is(reading, m)
                or (
                    part.answers > 0
                    and not part.affirms
                    and answer_appraises(reading, part.answers)
                )
            )
        }
    return out


_RECORD_TURNS = frozenset({"but", "however", "yet", "until"})


def _record_turned(after: Statement) -> bool:
    """The statement after a record of what there is turns from it: it opens on a turn
    ("But this time it failed") or says when it failed ("This time it didn't")."""
    words = read(after.text).words[:3]
    return bool(_RECORD_TURNS.intersection(words[:1])) or ("this", "time") in set(pairwise(words))


def _nearer_turned_down(between: list[Match], m: Match) -> bool:
    """A statement after the measure's, before a refusal, turns down another measure."""
    return any(o.item != m.item and o.negated for o in between)


_DETERMINERS = frozenset({"a", "an", "the", "every", "any", "each", "another", "extra"})
_AUXILIARY = frozenset({"would", "will", "should", "do", "did", "does", "must", "could", "shall"})
_POINTER_WORDS = frozenset({"it", "that", "this", "those", "these", "them", "all"})


def _refuses_its_own(reading: Reading, clauses: list[Clause]) -> bool:
    """A refusal that names its own object ("I wouldn't add a mandatory approval board", "I
    wouldn't cap the autoscaler at one A100"): a denial, a noun phrase after it, and nothing
    that points back; it lands on what it names, not on a measure an earlier sentence
    proposed. "I wouldn't bother", "I'd skip it", "not all that" still close."""
    words = [w for c in clauses for w in reading.words[c.first : c.last]]
    first = clauses[0].first if clauses else 0
    denials = [a - first for c in clauses for a, b in c.triggers if b - a == 1]
    if not denials:
        return False
    d = denials[0]
    # a pointer before the refusal's own object points back ("isn't worth it, a ..."); one
    # after it is that object ("freeze all launches until FinOps reviews them")
    if _POINTER_WORDS.intersection(words[:d]) or _points_back_first(words[d:]):
        return False
    # a person's refusal with its verb ("I wouldn't cap ...", "we should not add ..."), not
    # a verdict with none ("Not an engineering priority.")
    if not (words[d].endswith("n't") or (d > 0 and words[d - 1] in _AUXILIARY)):
        return False
    det = next((k for k in range(d + 1, len(words)) if _determiner(words, k)), None)
    return det is not None and det > d + 1


def _determiner(words: Sequence[str], k: int) -> bool:
    """A determiner before its noun: "a", "every", or "all" before a word that points at
    nothing ("freeze all launches"; not "all of it", "them all")."""
    if words[k] in _DETERMINERS:
        return True
    nxt = words[k + 1] if k + 1 < len(words) else ""
    return words[k] == "all" and bool(nxt) and nxt not in _POINTER_WORDS | {"of"}


def _points_back_first(words: Sequence[str]) -> bool:
    """A word points back before any noun phrase of the words' own: "I wouldn't, that's
    noise"; not "I would not freeze all launches until FinOps reviews them", whose "them" is
    the launches it named."""
    for k, w in enumerate(words):
        if _determiner(words, k):
            return False
        if w in _POINTER_WORDS:
            return True
    return False


def _opening_refusal_of_its_own(text: str) -> bool:
    """The statement opens with a refusal naming its own object, up to the first clause that
    points back ("I would not, however, add an approval board; that slows launches")."""
    reading = read(text)
    head: list[Clause] = []
    for clause in reading.clauses:
        said = reading.words[clause.first : clause.last]
        if clause.sentence != reading.clauses[0].sentence or _points_back_first(said):
            break
        head.append(clause)
    return bool(head) and _refuses_its_own(reading, head)


def judge(
    answers: Sequence[str], concepts: Sequence[Concept], rules: Rules = PREVENTION
) -> Judgement:
    """Score a list of answers against key items: each item at most once; a statement earns
    at most two (a sentence can make two points; three at once is a buzzword list), or as
    `rules` say; a statement that makes no point earns nothing."""
    result = Judgement()
    parts = _headings(statements(answers))
    if rules.detail_words is not None:
        least = rules.detail_words
        parts = [
            p
            if p.point or len(words(p.text)) < least
            else Statement(p.text, True, p.line, p.lesson, p.answers, p.affirms)
            for p in parts
        ]
    result.parts = len(parts)
    result.points_made = sum(p.point for p in parts)
    # a lone entry of fragments is a terse answer ("token-bucket retry budget, capped
    # attempts"); in a list, fragments earn in proportion to the entries that make a point
    found_in = [
        [
            m
            # the question's words may answer a group; their polarity is not the answer's
            for m in (match_concept(c, part.text, part.answers or None) for c in concepts)
            if m is not None and _answered(m, part)
        ]
        if rules.questions or not _asks(part.text)
        else []
        for part in parts
    ]
    # entries that name an item: in proportion to those that make a point (filler that
    # names nothing neither helps nor hides a list of fragments)
    # an answer that is nothing but one comma list of fragments ("MOS, FAB, canary, SLO")
    # is a list, each fragment an entry; in prose a comma list is part of its line
    only_fragments = len({p.line[:2] for p in parts}) == 1 and all(p.line[2] for p in parts)

    def entry(part: Statement) -> tuple[int, ...]:
        return part.line if only_fragments else part.line[:2]

    lines = {entry(p) for p, f in zip(parts, found_in, strict=True) if f}
    made = {entry(p) for p, f in zip(parts, found_in, strict=True) if f and p.point}
    entries = {entry(p) for p in parts}
    fragment_weight = 1.0 if len(entries) <= 1 else len(made) / max(len(lines), 1)
    if only_fragments and _one_point_detailed(parts, found_in):
        fragment_weight = 1.0  # "router canary, capped blast radius, one-click rollback"
    counted = 0  # statements that make a point or name an item: what padding is measured in
    by_id = {c.id: c for c in concepts}
    down: dict[tuple[int, int], set[str]] = {}  # entry -> items turned down in it so far
    # a statement the next one in its entry opens by judging ("... rollback switches. Not
    # worth it — ..."): turned down
    overruled = {
        k
        for k in range(len(parts) - 1)
        if parts[k + 1].line[:2] == parts[k].line[:2]
        and (
            opens_with_verdict(parts[k + 1].text)
            or _sufficed(parts[k], parts[k + 1])
            # "X. Another must-have: Y" names a measure of its own: the list goes on
            or (not found_in[k + 1] and _appraised_next(parts[k], parts[k + 1]))
            or (
                turned_from_next(read(parts[k].text), read(parts[k + 1].text))
                and not _taken_up_after(parts, found_in, k + 2)
            )
        )
        and not _opening_refusal_of_its_own(parts[k + 1].text)
    }
    # a prevention entry is one argument: where it lands against a measure, the measure is
    # argued against; an essay's paragraph makes several points, so there it is not applied
    closed = (
        _closed_against(parts, found_in, by_id) | _argued_in_place(parts, found_in)
        if rules.slack_per_item is None
        else set()
    )
    for k, (part, found) in enumerate(zip(parts, found_in, strict=True)):
        counted += part.point or bool(found)
        down_here = [m for m in found if k in overruled or (k, m.item) in closed]
        found = [m for m in found if m not in down_here] + [
            Match(m.item, m.phrases, True, m.first, m.last, m.weight, m.clauses, m.covered)
            for m in down_here
        ]
        entry_down = down.setdefault(part.line[:2], set())
        argued = [
            m
            for m in found
            if _argued_against(
                m, by_id[m.item], part.text, entry_down, rules.slack_per_item is None
            )
        ]
        entry_down.update(m.item for m in found if m.negated and not part.lesson)
        found = [m for m in found if m not in argued] + [
            Match(m.item, m.phrases, True, m.first, m.last, m.weight, m.clauses, m.covered)
            for m in argued
        ]
        if not found:
            continue
        if not part.point:
            result.fragments.append(part.text)
        if _is_soup(part.text, len({m.item for m in found}), rules):
            result.soup.append(part.text)
            continue
        # the answer to "why did it happen?" names what was missing: "Because config
        # wasn't treated as a release" is the lesson "treat config as a release"
        live = [m for m in found if not m.negated or part.lesson]
        if not live:
            result.negated.append(part.text)
            continue
        result.on_point += 1
        weight = 1.0 if part.point else fragment_weight
        if weight <= 0.0:  # a fragment of a list where no entry makes a point: a topic named
            continue
        fresh = [m for m in live if result.weights.get(m.item, -1.0) < weight]
        fresh.sort(key=lambda m: -m.weight)
        for m in fresh[: rules.per_statement]:
            result.earned[m.item] = part.text
            result.weights[m.item] = weight
    result.statements = counted
    if rules.slack_per_item is not None:  # an essay: padding dilutes, smoothly
        slack = rules.slack_per_item * len(concepts)
        result.factor = min(1.0, slack / max(counted, 1))
    elif len(parts) > len(concepts) + 2:
        result.statements = len(parts)
        result.factor = result.on_point / len(parts)
    return result


__all__ = [
    "ESSAY",
    "PREVENTION",
    "SOUP_ITEMS",
    "Concept",
    "Judgement",
    "Match",
    "Phrasing",
    "Rules",
    "Statement",
    "expand",
    "judge",
    "match_concept",
    "match_in",
    "statements",
    "stem",
    "stems",
    "synonyms",
    "words",
]
