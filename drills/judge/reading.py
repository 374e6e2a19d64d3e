"""Reading a free-text answer: its words, stemmed, each placed in its sentence and clause,
and each clause's polarity, read the way NegEx reads clinical notes.

A negation's scope is its clause: "X is not the problem here; it is Y" turns X down and
leaves Y asserted, whether the trigger stands before the words it governs ("not X",
"definitely not X", "no need for X") or after them ("X isn't the problem", "X is overkill",
"X was ruled out", "X stayed flat"). A clause ends at a stop, a semicolon, a colon, a
bracket or a dash, at a contrast ("but", "however", "so", "which", ...), and at a comma that
opens a new clause (what follows holds a verb or a subject). "Rather than X", "instead of
X", "as opposed to X" open a clause that is turned down. A clause that is nothing but a
negation ("it doesn't", "so not that", "neither panned out") turns down the clause before
it; "ruled out:" turns down what follows the colon. Words that look like a negation and are
not one ("not only", "no longer", "not sure") are left alone.

The lexicon is data (drills/judge/language.yaml) so that an examiner can read and extend
it; the matcher (drills/judge/matcher.py) and the cause reader (drills/judge/causes.py)
read every answer through this one module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import snowballstemmer
from lemminflect import getAllInflections, getAllLemmas

from drills.judge.delegation import delegates
from drills.judge.lacks import lacked, practice_lacking
from drills.judge.noun_verb import noun_opens_instruction
from drills.judge.relative import subjects_of_predicates
from drills.judge.required import PASSING, required
from simulator.spec.fileio import load_yaml

LEXICON_FILE = Path(__file__).with_name("language.yaml")
_WORD = re.compile(r"[a-z0-9$%]+(?:[-'][a-z0-9]+|\.[0-9]+)*")
_PHRASE_WORD = re.compile(r"\*|" + _WORD.pattern)  # a lexicon phrase may hold "*" gaps
_OPERATOR = re.compile(r"->|=>|>=|<=|[<>≥≤→=]")
_SENTENCE_BREAK = re.compile(r"[.!?](?:\s|$)|\n")
_CLAUSE_BREAK = re.compile(r"[;:()\[\]—–→]|\s-\s|->|=>|[.!?](?:\s|$)|\n")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)]|\(\d+\)|[a-z][.)])\s+", re.MULTILINE)
_stemmer = snowballstemmer.stemmer("english")


# a line of prose hard-wrapped by an editor or a mail client: long, and the block it is in
# breaks at least once inside a sentence (a list, a chat log or a table does not: short
# lines, a speaker's tag, aligned columns or arrows)
_WRAPPED_LINE = 50
_SPEAKER = re.compile(r"^\s*[\w.'-]+(?: [\w.'-]+)?:\s")
_TABULAR = re.compile(r"\s{3,}\S|[→|]|->|=>")
_ENDS_SENTENCE = re.compile(r"[.!?:;]['\")]*\s*$")


def _prose_block(lines: list[str]) -> bool:
    if len(lines) < 2 or any(_BULLET.match(x) for x in lines):
        return False
    if sum(bool(_SPEAKER.match(x)) for x in lines) >= 2:
        return False  # a chat log, a speaker's tag a line ("lee: ...")
    if any(_TABULAR.search(x.strip()) for x in lines):
        return False
    if any(len(x.strip()) < _WRAPPED_LINE for x in lines[:-1]):
        return False
    return any(not _ENDS_SENTENCE.search(x) for x in lines[:-1])


@lru_cache(maxsize=8192)
def unwrap(text: str) -> str:
    """A paragraph hard-wrapped at a fixed width read as the one paragraph it is: its line
    breaks become spaces (the text keeps its length, so every span still points into it).
    A break inside a sentence ("I'd keep mirrors manual and put / 'turn off shadow' on the
    checklist") is no new line of a list, and the verdict a wrapped argument ends on ("I'm
    against it.") is said in the same entry as the measure it argues against. Blank lines,
    bullets, short lines, a speaker's tag and aligned columns keep their breaks."""
    if "\n" not in text:
        return text
    out = []
    for block in re.split(r"(\n\s*\n)", text):
        lines = block.split("\n")
        out.append(" ".join(lines) if _prose_block(lines) else _continued(lines))
    return "".join(out)


_CONTINUATION = re.compile(r"^\s{2,}[a-z(]")
_KEY = re.compile(r"^\s*[\w.-]+:")


def _continued(lines: list[str]) -> str:
    """A bullet wrapped onto indented lines ("- leading theory: GPU throttling, which would
    make every / ··request slower") is one bullet; an indented key of a config is not."""
    out = lines[:1]
    bulleted = bool(lines) and bool(_BULLET.match(lines[0]))
    for line in lines[1:]:
        if bulleted and _CONTINUATION.match(line) and not _KEY.match(line):
            out[-1] = f"{out[-1]} {line}"
            continue
        bulleted = bool(_BULLET.match(line))
        out.append(line)
    return "\n".join(out)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


@lru_cache(maxsize=65536)
def lemma_stems(word: str) -> frozenset[str]:
    """The stems of a word's lemmas as a verb or a noun (LemmInflect's dictionary): "held"
    is "hold", "broke" is "break", "fell" is "fall", "mice" is "mouse" — the irregular forms
    a stemmer leaves alone. Adjectives are left out: "worse" is not "wrong"."""
    found = getAllLemmas(word)
    return frozenset(
        stem(lemma.lower()) for pos in ("VERB", "NOUN") for lemma in found.get(pos, ())
    ) - {stem(word)}


Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """language.yaml, each entry as a run of lower-case words."""

    negations: frozenset[str]
    negation_phrases: tuple[Phrase, ...]  # closing verdicts included
    closing_verdicts: frozenset[Phrase]  # "X is noise", "not ours": an argument landed
    pseudo_negations: tuple[Phrase, ...]
    anaphora: frozenset[str]
    dismissals: tuple[Phrase, ...]
    clause_openers: frozenset[str]
    contrast_negations: tuple[Phrase, ...]
    finite: frozenset[str]
    subjects: frozenset[str]
    hedges: tuple[Phrase, ...]
    hypotheticals: tuple[Phrase, ...]
    effects: tuple[Phrase, ...]
    assertions: tuple[Phrase, ...]
    co_causes: tuple[Phrase, ...]
    auxiliaries: frozenset[str]
    relations: frozenset[str]
    policies: tuple[Phrase, ...]
    determiners: frozenset[str]
    verbs: frozenset[str]  # stems
    noun_verbs: frozenset[str]  # stems of words as often nouns ("gate", "alert")
    attributive: frozenset[str]  # triggers that, before a noun, only describe it
    durations: frozenset[str]  # "too long to": a measure, not a dismissal
    set_aside: tuple[Phrase, ...]  # "X isn't the problem": X set aside
    switches: tuple[Phrase, ...]  # "..., but ... I'd rather blame Y": a turn to a rival
    minimisers: tuple[Phrase, ...]  # "a few percent at most": an effect too small to matter
    harms: frozenset[str]  # stems: "X would block most releases": a harm foretold
    remedied: frozenset[str]  # "X would block a bad voice": the harm stopped is itself bad
    bad_outcomes: frozenset[str]  # "X turns resilience into toil": a bad thing made
    conditions: tuple[Phrase, ...]  # "check X doesn't regress": the negation is checked
    list_labels: frozenset[str]  # "Prevention: A, B, C": a label, not a head the list specifies
    verdicts: frozenset[str]  # stems: what a verdict on a cause says of it ("explains", "matters")
    beliefs: frozenset[str]  # "I don't think that's it": verbs between a verdict and its object
    evaluations: tuple[Phrase, ...]  # "X would be a mistake": a verdict on a course of action
    evaluative: tuple[Phrase, ...]  # "X would backfire": the same verdict said with a verb
    consequences: tuple[Phrase, ...]  # "retries are a symptom": an effect, not the cause


def _phrases(entries: list[str]) -> tuple[Phrase, ...]:
    out = {tuple(_PHRASE_WORD.findall(str(e).lower()) or [str(e)]) for e in entries}
    return tuple(sorted(out, key=lambda p: (-len(p), p)))


@cache
def lexicon() -> Lexicon:
    data = load_yaml(LEXICON_FILE.read_text())
    for name, entries in data.items():  # YAML reads a bare no/on/off as a boolean
        bad = [e for e in entries if not isinstance(e, str)]
        if bad:
            raise ValueError(f"{LEXICON_FILE}: {name}: entries must be quoted strings, not {bad}")

    def words(name: str) -> frozenset[str]:
        return frozenset(str(w).lower() for w in data[name])

    return Lexicon(
        negations=words("negations"),
        negation_phrases=_phrases(data["negation_phrases"] + data["closing_verdicts"]),
        closing_verdicts=frozenset(_phrases(data["closing_verdicts"])),
        pseudo_negations=_phrases(
            data["pseudo_negations"]
            + [f"{a} {b}" for a in data["unstopped_said"] for b in data["unstopped"]]
        ),
        anaphora=words("anaphora"),
        dismissals=_phrases(data["dismissals"]),
        clause_openers=words("clause_openers"),
        contrast_negations=_phrases(data["contrast_negations"]),
        finite=words("finite"),
        subjects=words("subjects"),
        hedges=_phrases(data["hedges"]),
        hypotheticals=_phrases(data["hypotheticals"]),
        effects=_phrases(data["effects"]),
        assertions=_phrases(data["assertions"]),
        co_causes=_phrases(data["co_causes"]),
        auxiliaries=words("auxiliaries"),
        relations=words("relations"),
        policies=_phrases(data["policies"]),
        determiners=words("determiners"),
        verbs=frozenset(stem(str(w).lower()) for w in data["verbs"]),
        noun_verbs=frozenset(stem(str(w).lower()) for w in data["noun_verbs"]),
        attributive=words("attributive"),
        durations=words("durations"),
        set_aside=_phrases(data["set_aside"]),
        switches=_phrases(data["switches"]),
        minimisers=_phrases(data["minimisers"]),
        harms=frozenset(stem(str(w).lower().split()[0]) for w in data["harms"]),
        remedied=words("remedied"),
        bad_outcomes=words("bad_outcomes"),
        conditions=_phrases(data["conditions"]),
        list_labels=words("list_labels"),
        verdicts=frozenset(stem(str(w).lower()) for w in data["verdicts"]),
        beliefs=words("beliefs"),
        evaluations=_phrases(data["evaluations"]),
        evaluative=_phrases(data["evaluative"]),
        consequences=_phrases(data["consequences"]),
    )


@dataclass(frozen=True)
class Clause:
    """A clause of a reading: its words (indices), what turns it down, and its role."""

    sentence: int
    first: int  # index of its first word
    last: int  # index one past its last word
    triggers: tuple[tuple[int, int], ...]  # negation triggers as word spans
    turned_down: bool  # by a contrast ("rather than"), an anaphoric "not that", "ruled out:"
    hedged: bool
    hypothetical: bool
    effect: bool  # opens as a consequence ("so ...", "causing ...")
    assertion: bool  # holds a marker of the cause asserted ("the cause is", "because")
    co_cause: bool  # opens as another cause ("plus ...", "separately ...")
    forward: frozenset[int] = frozenset()  # triggers (by start) that govern only what follows
    appended: frozenset[int] = frozenset()  # of those, the ones after a comma (", no raw audio")
    segments: tuple[tuple[int, int, int], ...] = ()  # (trigger, lo, hi): a verdict's own stretch
    # a verdict on a course of action ("X would be a mistake"): a negation of a measure, not
    # of a cause ("leaving the mirror on was a mistake" says it happened); with a negation of
    # its own in the clause ("shipping without a canary is a mistake") the two cancel
    evaluations: tuple[tuple[int, int], ...] = ()
    cancels: tuple[tuple[int, int], ...] = ()  # the bare negations an evaluation cancels

    def negated(
        self, own: frozenset[int] = frozenset(), at: int | None = None, forward: bool = False
    ) -> bool:
        """Turned down, by a trigger other than the words of `own` (an item's own "never",
        "not logged"). For the word at `at`, a "no" or "without" appended after a comma
        ("only approved samples to inspect, no raw audio") governs only what follows it;
        with `forward` (a cause is read so) any "no" or "without" does ("doubling
        inference without any growth in demand")."""
        if self.turned_down:
            return True
        after = self.forward if forward else self.appended
        outside = {a for a, lo, hi in self.segments if at is not None and not lo <= at < hi}
        triggers = self.triggers if forward else self.judged()
        return any(
            not own.issuperset(range(a, b))
            and (at is None or a not in after or a < at)
            and a not in outside
            for a, b in triggers
        )

    def judged(self) -> tuple[tuple[int, int], ...]:
        """The triggers read for a measure: a verdict on a course of action counts as a
        negation, and cancels a bare negation it is said of ("skipping the canary would be
        a mistake", "it's no mistake to canary"): two negatives make an endorsement."""
        if not self.evaluations:
            return self.triggers
        bare = [t for t in self.triggers if t in self.cancels]
        if bare:
            return tuple(t for t in self.triggers if t not in self.cancels)
        return tuple(sorted(self.triggers + self.evaluations))


@dataclass(frozen=True)
class Reading:
    text: str
    words: tuple[str, ...]  # lower-case surface words (hyphenated words split in parts)
    stems: tuple[str, ...]
    lemmas: tuple[frozenset[str], ...]  # other stems a word stands for (its lemmas)
    spans: tuple[tuple[int, int], ...]  # character offsets of each word in `text`
    joined: tuple[bool, ...]  # a later part of a hyphenated word
    ident: tuple[bool, ...]  # part of a pool or model name
    clause_of: tuple[int, ...]
    clauses: tuple[Clause, ...]
    operators: int  # comparison or arrow operators ("> 3%", "-> page")
    # where each phrasing stands in this reading, found once (a reading is cached and read
    # against every phrasing of every cause, window by window); not part of its value
    memo: dict[Any, tuple[int, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def clause(self, index: int) -> Clause:
        return self.clauses[self.clause_of[index]]

    def surface(self, first: int, last: int) -> str:
        return self.text[self.spans[first][0] : self.spans[last - 1][1]]

    def hedged(self) -> bool:
        return any(c.hedged for c in self.clauses)


GAP = 3  # "*" in a phrase of the lexicon stands for one to three words ("slow * down")


def _find(words: tuple[str, ...], phrase: Phrase, lo: int = 0, hi: int | None = None) -> list[int]:
    return [a for a, _ in _occurs(words, phrase, lo, hi)]


def _occurs(
    words: tuple[str, ...], phrase: Phrase, lo: int = 0, hi: int | None = None
) -> list[tuple[int, int]]:
    """Where a phrase stands in words[lo:hi], as (first, one past last) word."""
    hi = len(words) if hi is None else hi
    if "*" not in phrase:
        n = len(phrase)
        return [(i, i + n) for i in range(lo, hi - n + 1) if words[i : i + n] == phrase]
    out = []
    for i in range(lo, hi):
        end = _gapped(words, phrase, i, hi)
        if end is not None:
            out.append((i, end))
    return out


def _gapped(words: tuple[str, ...], phrase: Phrase, i: int, hi: int) -> int | None:
    """Where a phrase with gaps ends when it starts at word i, or None: the shortest gap."""
    if not phrase:
        return i
    head, rest = phrase[0], phrase[1:]
    if head == "*":
        for skip in range(1, GAP + 1):
            if i + skip > hi:
                break
            end = _gapped(words, rest, i + skip, hi)
            if end is not None:
                return end
        return None
    if i < hi and words[i] == head:
        return _gapped(words, rest, i + 1, hi)
    return None


def spans_of(
    words: tuple[str, ...], phrases: tuple[Phrase, ...], lo: int, hi: int
) -> list[tuple[int, int]]:
    """Non-overlapping occurrences of the phrases in words[lo:hi], longest first."""
    taken: set[int] = set()
    out = []
    present = set(words[lo:hi])
    for phrase in phrases:
        if phrase[0] not in present:  # its first word is not there: it cannot stand there
            continue
        for i, end in _occurs(words, phrase, lo, hi):
            span = range(i, end)
            if not taken.intersection(span):
                taken.update(span)
                out.append((i, end))
    return sorted(out)


def _has(words: tuple[str, ...], phrases: tuple[Phrase, ...], lo: int, hi: int) -> bool:
    present = set(words[lo:hi])
    return any(p[0] in present and _find(words, p, lo, hi) for p in phrases)


def _opens(words: tuple[str, ...], phrases: tuple[Phrase, ...], lo: int, hi: int) -> bool:
    """One of the phrases among the clause's first three words."""
    return any(_find(words, p, lo, min(hi, lo + 2 + len(p))) for p in phrases)


_IDENT_HEADS = {"asr", "tts", "spk", "embed", "cls"}
_IDENT_TAILS = {"gpu", "cpu", "canary", "rc", "v1", "v2", "v3", "v4", "v5"}
_LINKS = {"to", "on", "of", "and", "from", "over", "in", "by", "per", "the", "a"}


def is_identifier(parts: list[str]) -> bool:
    """A pool or model name ("asr-batch-gpu", "asr-stream-v2"): a name, not the words in it
    (the batching cause is not named by "asr-batch-canary"); "cpu-to-gpu" is words."""
    if len(parts) < 3 or _LINKS.intersection(parts):
        return False
    return parts[0] in _IDENT_HEADS or parts[-1] in _IDENT_TAILS


def _tokenise(text: str) -> tuple[list[str], list[tuple[int, int]], list[bool], list[bool], int]:
    lowered = text.lower().replace("’", "'").replace("‘", "'")
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    joined: list[bool] = []
    ident: list[bool] = []
    for found in _WORD.finditer(lowered):
        start = found.start()
        parts = found.group().split("-")
        name = is_identifier(parts)
        for k, part in enumerate(parts):
            if part:
                words.append(part)
                spans.append((start, start + len(part)))
                joined.append(k > 0)
                ident.append(name)
            start += len(part) + 1
    operators = len(_OPERATOR.findall(re.sub(r"[a-z0-9]-[a-z0-9]", "", lowered)))
    return words, spans, joined, ident, operators


def _boundaries(
    text: str, words: list[str], spans: list[tuple[int, int]], lex: Lexicon
) -> tuple[list[int], list[int], set[int]]:
    """For each word, its sentence and clause numbers; and the clauses a contrast opened."""
    sentence_of, clause_of = [], []
    contrasts: set[int] = set()
    sentence = clause = clause_start = 0
    subordinate = False
    tup = tuple(words)
    for i, word in enumerate(words):
        gap = text[spans[i - 1][1] : spans[i][0]] if i else ""
        new_sentence = i > 0 and bool(_SENTENCE_BREAK.search(gap))
        new_clause = new_sentence or (i > 0 and bool(_CLAUSE_BREAK.search(gap)))
        contrast = any(tup[i : i + len(p)] == p for p in lex.contrast_negations)
        if i > 0 and not new_clause:
            # "not yet", "wasn't yet sure": an adverb of the negation, not "but"
            adverb = word == "yet" and _ends_negated(tup, i) and "," not in gap
            # "amplify it so much that peaks clip": a degree, not a consequence
            adverb = adverb or (word == "so" and tup[i + 1 : i + 2] in _DEGREE)
            if contrast or (word in lex.clause_openers and not adverb):
                new_clause = True
            elif "," in gap and (word in ("not", "never") or _ends_negated(tup, i)):
                new_clause = True  # "A, not B"; "traffic did not, B": the negation ends
            elif "," in gap and word == "and" and _negative_order(tup, i + 1):
                # "keep a rollback, and don't log raw audio": the last of a series of
                # instructions denies only itself
                new_clause = True
            elif "," in gap and (subordinate or _finite_ahead(text, tup, spans, i, lex)):
                # "A, B or C are not needed": an enumeration awaiting its verb is one clause
                new_clause = subordinate or (
                    _has_finite(tup, clause_start, i, lex)
                    and not _enumerates(text, tup, spans, clause_start, i, lex)
                    and not _list_goes_on(text, tup, spans, clause_start, i, lex)
                )
        if new_sentence:
            sentence += 1
        if new_clause:
            clause += 1
            subordinate = False
            clause_start = i
        if new_clause or i == 0:
            subordinate = word in (
                "since",
                "because",
                "as",
                "if",
                "when",
                "while",
                "given",
                "unless",
                "though",
                "although",
                "whereas",
                "once",
            )
            if contrast:
                contrasts.add(clause)
        sentence_of.append(sentence)
        clause_of.append(clause)
    return sentence_of, clause_of, contrasts


def _negative_order(words: tuple[str, ...], i: int) -> bool:
    """Words from i open an instruction not to ("don't", "do not", "never")."""
    return words[i : i + 1] in (("don't",), ("never",)) or words[i : i + 2] == ("do", "not")


# "so" before one of these measures a degree ("so much that", "so loud the peaks clip")
_DEGREE = frozenset(
    (w,)
    for w in (
        *("much", "many", "far", "high", "low", "loud", "hot", "badly", "hard", "long"),
        *("short", "often", "little", "few"),
    )
)
_ANAPHORS = frozenset({"it", "that", "this", "those", "these", "they", "them", "either"})
_SAID = frozenset({"it's", "that's", "they're"})  # a pronoun with its verb


def pronoun_at(reading: Reading, k: int, last: int) -> bool:
    """The word at k is a pronoun standing for something said before ("try it first", "I
    doubt that explains it"), not a determiner ("that pool") or a conjunction ("that the
    network ...")."""
    word = reading.words[k]
    if word in _SAID:
        return True
    if word not in _ANAPHORS:
        return False
    if k + 1 >= last:
        return True
    after = reading.words[k + 1]
    lex = lexicon()
    return after in lex.finite or after.endswith("n't") or verb_form(after) is not None


def has_finite(reading: Reading, lo: int, hi: int) -> bool:
    """Words [lo, hi) of a reading hold a finite verb or a subject pronoun: they can stand
    as a clause of their own ("also on the partials" cannot)."""
    return _has_finite(reading.words, lo, hi, lexicon())


_OPENING = frozenset(
    {"and", "but", "so", "then", "also", "just", "instead", "rather", "first", "always"}
    | {"please", "simply", "now", "or", "next", "finally", "ideally", "still", "yes", "no"}
)
# words that make a clause a recommendation: a modal of what ought to be, a turn to it
_RECOMMENDING = frozenset(
    {"should", "must", "need", "needs", "let's", "i'd", "we'd", "i'll", "we'll", "instead"}
    | {"rather", "ought", "require", "requires", "ensure"}
)
_OBLIGING = frozenset({("have", "to"), ("has", "to"), ("make", "sure")})


def recommends(reading: Reading, clause: Clause) -> bool:
    """The clause directs or recommends ("gate it like a release", "we should alert on
    ...", "instead, alert on ..."), rather than describing ("retrying is how clients ride
    out blips", "switching voices mid-conversation is jarring"): an imperative opening, or
    a modal of what ought to be done."""
    if _opens_instruction(reading, clause):
        return True
    words = reading.words[clause.first : clause.last]
    cues = {w for k, w in enumerate(words) if w in _RECOMMENDING and not _predicts(words, k)}
    return bool(cues) or bool(set(pairwise(words)) & _OBLIGING)


_PREDICTING = frozenset({"end", "wind", "spend", "lose", "get", "drown", "sink", "burn", "waste"})


def _suffered(word: str) -> bool:
    """A past participle said of what befalls someone ("paged", "buried", "flooded")."""
    return len(word) > 4 and word.endswith(("ed", "en")) and "VERB" in getAllLemmas(word)


def _predicts(words: tuple[str, ...], k: int) -> bool:
    """ "we'd be chasing noise", "we'd end up paging nightly", "we'd have shipped it": a
    first person's "would" that foretells what a measure brings, not a choice ("we'd need
    a budget", "I'd add a canary", "I'd be in favour of it")."""
    if words[k] not in ("i'd", "we'd", "you'd", "i'll", "we'll", "you'll") or k + 1 >= len(words):
        return False
    nxt = words[k + 1 : k + 3]
    if nxt[0] in _PREDICTING and words[k].endswith("'d"):
        return True
    if nxt[0] == "be" and len(nxt) > 1:
        # "we'd be chasing noise"; "we'll be paged every time ...", "we'd be buried in
        # charts": what befalls the speaker, not a choice ("we'll be adding a gate")
        return nxt[1].endswith("ing") if words[k].endswith("'d") else _suffered(nxt[1])
    if not words[k].endswith("'d"):
        return False
    return nxt[0] == "have" and len(nxt) > 1 and nxt[1] != "to" and nxt[1].endswith(("ed", "en"))


def _opens_instruction(reading: Reading, clause: Clause) -> bool:
    """The clause's first word past its openers is a verb's base form opening an
    instruction, not a noun phrase it modifies ("pool-level spend is what finance looks
    at"; "pool" is a verb too)."""
    at = next(
        (k for k in range(clause.first, clause.last) if reading.words[k] not in _OPENING), None
    )
    return (
        at is not None
        and (_imperative(reading.words[at]) or _noun_as_verb(reading, at, clause))
        and not _modifies(reading, at, clause)
        and not _subject_compound(reading, at, clause)
        and not _topic(reading, at, clause)
    )


_EVERY = frozenset({"every", "each", "all"})


def _noun_as_verb(reading: Reading, at: int, clause: Clause) -> bool:
    """ "canary every voice", "dashboard each cohort": a measure's own noun, which no verb
    table lists, used as the instruction's verb before a quantifier over what it applies to."""
    word = reading.words[at]
    nxt = reading.words[at + 1] if at + 1 < clause.last else ""
    if nxt in _EVERY and word.isalpha() and "NOUN" in getAllLemmas(word):
        return True
    # "Canary new voices on 5% first": the noun opening its statement before an object
    lex = lexicon()
    return noun_opens_instruction(
        reading.text,
        reading.words,
        reading.spans,
        at,
        clause.last,
        lambda k: _finite_not_noun(reading.words[k], lex),
    )


def _finite_not_noun(word: str, lex: Lexicon) -> bool:
    """A finite verb that is not also a plural noun ("failed", "is"; not "voices")."""
    form = verb_form(word)
    return word in lex.finite or word.endswith("n't") or (form is not None and not form[0])


def _topic(reading: Reading, at: int, clause: Clause) -> bool:
    """ "Cohort alerts — we have too many cohorts": a clause of two or three words whose
    first is a verb only by the dictionary (no verb of the lexicon: "cohort", "device") is
    the topic an entry goes on to weigh, not an instruction ("cap retries", "gate
    voices")."""
    lex = lexicon()
    return clause.last - clause.first <= 3 and stem(reading.words[at]) not in (
        lex.verbs | lex.noun_verbs
    )


# a first person deciding ("I'd keep ...", "we'd rather ...", "I wouldn't add it")
_DECIDERS = frozenset({"i'd", "we'd", "i'll", "we'll", "let's", "i'm", "we're", "i", "we"})
_CONDITIONAL_FIRST = frozenset({"i'd", "we'd", "i'll", "we'll", "let's"})
_PREFERRING = frozenset({"rather", "prefer", "prefers", "preferred", "preferable"})
_BETTER = frozenset({"better", "simpler", "safer", "enough"})
# what there is already does the job ("server-side latency is enough", "X already covers it")
_SUFFICING = frozenset({"enough", "sufficient", "suffices", "suffice", "plenty", "adequate"})
_WILL_DO = frozenset({("will", "do"), ("would", "do"), ("should", "do"), ("'ll", "do")})
_SUFFICING_PAIRS = frozenset(
    {("is", "fine"), ("are", "fine"), ("already", "covers"), ("already", "cover")}
    | {("already", "covered"), ("already", "catches"), ("already", "catch")}
    # what there is, said to do the work ("the rollback button does the job", "the current
    # flow has served us well", "the existing alert covers it")
    | {("served", "us"), ("serves", "us"), ("covers", "it"), ("covers", "that")}
    | {("handles", "it"), ("handles", "that"), ("covers", "this"), ("cover", "this")}
    # what there is already signals what the measure would ("the quality alarm already
    # tells us", "the burn alert already flags it")
    | {("already", v) for v in ("tells", "tell", "shows", "show", "flags", "flag", "warns")}
    | {("already", v) for v in ("warn", "pages", "page", "alerts", "signals")}
)
# its record, said of what there is ("has worked well for us", "has been dependable", "a
# rollback already solved"), unless limited or turned ("only handled it after users
# noticed", "worked well for years, but not this time")
_RECORD = frozenset(
    {("worked", "well"), ("worked", "fine"), ("been", "dependable"), ("been", "reliable")}
    | {("already", "solved"), ("already", "solves")}
    | {("handled", "it"), ("handled", "that")}
)
_RECORD_LIMITS = frozenset({"only", "until", "after", "but", "though", "yet", "except", "not"})
# the status quo kept: "staying as we are", "leave the config as it is", "keep things as
# they are"
_AS_IS = frozenset(
    ("as", who, be)
    for who in ("we", "it", "they", "things", "is", "are")
    for be in ("are", "is", "stand", "stands", "were", "was")
)
_KEEPING_AS = frozenset({"stay", "staying", "stays", "keep", "keeping", "leave", "leaving"})
_DOES_THE_JOB = frozenset(
    (verb, "the", what) for verb in ("does", "do", "did") for what in ("job", "trick")
)
_WAVING = frozenset({"anyway", "anyways", "whatever"})  # it happens without the measure
# a choice made in addition ("I'd also keep the fleet alert"), or a past counterfactual that
# praises the measure ("we'd have found it in a minute"), is no alternative
_ADDING = frozenset({"also", "too", "additionally", "plus", "both", "have", "'ve", "like", "add"})
# volition refused: "I wouldn't add it", "we won't prioritise it" (not a purpose: "so we
# don't forget it")
_REFUSING = frozenset({"wouldn't", "won't", "shouldn't", "not"})
_PURPOSE = frozenset({"so", "to", "that"})
_LEAVING = frozenset(stem(w) for w in ("skip", "leave", "revisit", "drop", "defer", "postpone"))
_REASONS = frozenset({"because", "since", "as", "which", "when", "while", "otherwise", "without"})
_REASONS |= frozenset({"or", "else", "where", "whereas", "unlike", "before", "until", "so"})
_POINTERS = frozenset({"it", "it's", "that", "that's", "this", "those", "these", "them"})
# what a measure is judged on when it is turned down ("not a priority", "not now")
# (or whose it is to do: "X is FinOps's problem, not ours")
_WORTH = frozenset({"priority", "now", "yet", "today", "worth", "needed", "necessary", "ours"}) | (
    frozenset({"required", "urgent", "important", "essential", "justified", "warranted"})
)


_LINKING = frozenset({"is", "was", "are", "would", "will", "does", "do", "really", "just"})


def _pointed(words: tuple[str, ...], triggers: list[int]) -> bool:
    """A pronoun as the subject of a denial ("it isn't justified", "that is not worth
    it"), not a relative "that" ("a change that hasn't been scored") nor an object
    ("not the average of them")."""
    for t in triggers:
        w = words[t]
        if not _denial(w):
            continue
        for p in (t - 1, t - 2):
            if p < 0 or words[p] not in _POINTERS:
                continue
            if p == t - 2 and words[t - 1] not in _LINKING:
                continue
            if words[p] == "that" and p > 0:
                continue
            return True
    return False


# what may stand between a denial and its word of worth ("isn't really worth it", "doesn't
# seem worth it", "doesn't look necessary": through a verb of seeming)
_BEFORE_WORTH = frozenset(
    {"a", "an", "the", "really", "seem", "seems", "look", "looks", "sound", "sounds"}
    | {"feel", "feels"}
)


def _on_worth(words: tuple[str, ...], after: int) -> bool:
    """A negation said of worth or need, in any form ("isn't worth it", "aren't needed",
    "wasn't a priority"): a verdict on the measure, as "not worth it" is."""
    head = next((w for w in words[after : after + 3] if w not in _BEFORE_WORTH), "")
    return head in _WORTH and head not in ("now", "yet", "today", "ours")


def _concessive(words: tuple[str, ...], k: int) -> bool:
    """ "whatever the aggregate WER says": a concession to what follows it (regardless of
    it), not a wave of the hand ("sure, whatever")."""
    return words[k] == "whatever" and k + 1 < len(words) and words[k + 1] not in ("and", "but")


# what a lack keeps from view: "we won't see", "nobody will know", "we can't tell"
_PERCEIVING = frozenset(stem(w) for w in ("see", "know", "notice", "spot", "tell", "catch"))


def _unperceived(said: Sequence[str]) -> bool:
    """Words that deny seeing or knowing ("we won't see what we pay for", "we'd never know
    it regressed"): the harm a lack brings, said without a word of harm."""
    return any(
        _denial(w) and any(stem(v) in _PERCEIVING for v in said[k + 1 : k + 3])
        for k, w in enumerate(said)
    )


def favours_ease(reading: Reading, clause: Clause) -> bool:
    """The clause asks for speed or ease and denies nothing ("config should stay fast to
    change", "keep pushes light and quick"): after a measure was turned down in its entry,
    a reason against it, not the measure taken up again."""
    said = reading.words[clause.first : clause.last]
    return bool(_GAINS.intersection(said)) and not any(_denial(w) for w in said)


def _after_lack(reading: Reading, clause: Clause) -> bool:
    """The clause is the consequent of a lack set as its condition just before it in its
    sentence ("if nobody is paged on it, we'll chase it again", "if it isn't gated, the
    next tweak will break it"), and foretells a harm: what the lack brings (not a gain or an
    acceptance: "if we don't gate it, we'll ship faster", "..., I'll live with that")."""
    n = reading.clauses.index(clause)
    if n == 0:
        return False
    before = reading.clauses[n - 1]
    own = reading.words[before.first : before.last]
    said = reading.words[clause.first : clause.last]
    then = set(said)
    harm = bool((_HARMED | _NOBODY | _RECURRING) & then) or _unperceived(said)
    harm = harm and not _GAINS & then
    return (
        harm
        and before.sentence == clause.sentence
        and own[0] in _CONDITIONAL
        and any(_denial(w) or w in _NOBODY for w in own[1:])
    )


# a time still to come, said alone as a measure's verdict ("Maybe next year.", "Later.",
# "Someday, when we have spare time."): deferral, as "Not now." is
_LATER = frozenset({"later", "someday", "eventually", "afterwards", "sometime"})
_SOME_POINT = frozenset({("at", "some", "point"), ("not", "this", "quarter"), ("not", "yet")})
_PERIODS = frozenset(
    {"year", "quarter", "month", "sprint", "half", "release", "cycle", "week", "season", "h2"}
    | {"q1", "q2", "q3", "q4", "planning", "roadmap", "time", "day", "future", "road"}
)
_MAYBE = frozenset({"maybe", "perhaps", "possibly", "probably", "but", "though", "just", "so"})
_MAYBE |= frozenset({"in", "practice", "realistically", "honestly", "still"})
_THEN = frozenset({"when", "once", "after", "if", "until", "whenever"})


def _defers(reading: Reading, clause: Clause) -> bool:
    """The clause is only a time still to come, standing alone: after a sentence break or a
    semicolon, no verb of its own, and nothing after it in its sentence but the condition
    it waits on ("Maybe next year, when we have spare time."; "A canary is a good idea in
    principle; later."). Not a time inside a plan ("next quarter, extend it to ASR" has its
    own verb and clause; "by next year every voice is canaried" has a verb)."""
    words = reading.words[clause.first : clause.last]
    # the condition it waits on may stay in its clause ("Later, once the pool is stable.")
    cut = next((k for k, w in enumerate(words) if k and w in _THEN), len(words))
    words = words[:cut]
    head = tuple(w for w in words if w not in _MAYBE)
    if not head or len(head) > 4:
        return False
    timed = (head[0] in _LATER and head[1:] in ((), ("on",))) or tuple(head) in _SOME_POINT
    timed = timed or (
        head[0] in ("next", "in", "some", "one", "another", "down")
        and len(head) <= 3
        and head[-1] in _PERIODS
        and (head[0] != "in" or head[-1] in ("future", "time"))
    )
    if not timed or _has_finite(words, 0, len(words), lexicon()):
        return False
    before = reading.text[: reading.spans[clause.first][0]].rstrip()
    if before and before[-1] not in ".;!?\n":
        return False
    n = reading.clauses.index(clause)
    rest = [c for c in reading.clauses[n + 1 :] if c.sentence == clause.sentence]
    return all(reading.words[c.first] in _THEN for c in rest[:1]) and len(rest) <= 1


# what there is said to work as it stands ("our eval set works well as it is", "..., and it
# works"): the status quo praised as a reason to add nothing
_WORKS = frozenset({"works", "work"})
_WORKS_TAILS = frozenset(
    {(), ("well",), ("fine",), ("just", "fine"), ("for", "us"), ("well", "enough"), ("out",)}
    | {("as", "it", "is"), ("as", "is"), ("as", "they", "are"), ("today",), ("now",)}
    | {("well", "as", "it", "is"), ("fine", "as", "it", "is"), ("well", "as", "is")}
    | {("fine", "as", "is"), ("well", "today"), ("fine", "today"), ("perfectly", "well")}
)
# a check of whether something works is no claim that it does ("make sure the rollback
# works", "so we know the fix works")
_CHECKING = frozenset(
    {"sure", "know", "check", "checks", "verify", "confirm", "test", "prove", "see", "ensure"}
    | {"whether", "if", "until", "unless", "once", "when", "that", "so", "to", "how", "what"}
)


def _kept_as_is(reading: Reading, clause: Clause) -> bool:
    """The status quo kept ("staying as we are", "leave the config as it is"), its record
    ("has worked well for us"), or the argument put down ("so let's note it and move on")."""
    words = reading.words[clause.first : clause.last]
    if words[-2:] in (("move", "on"), ("moving", "on")):
        return True
    # the rest of its sentence: "..., but not this time" limits the record
    rest = [
        w
        for c in reading.clauses
        if c.sentence == clause.sentence and c.first >= clause.last
        for w in reading.words[c.first : c.last]
    ]
    if rests_on_record(reading, clause, rest):
        return True
    return any(
        words[k : k + 3] in _AS_IS
        and _KEEPING_AS.intersection(words[max(0, k - 5) : k])
        and words[k + 3 : k + 5] not in _AS_IS_BLAMED
        for k in range(len(words) - 2)
    )


# the status quo named as what went wrong ("staying as we are is how this happened")
_AS_IS_BLAMED = frozenset(
    {("is", "how"), ("is", "why"), ("is", "what"), ("got", "us"), ("caused", "this")}
    | {("led", "to"), ("was", "how"), ("was", "why"), ("was", "what")}
)


# the conjunctions a clause turns on ("..., but I wouldn't read much into that")
TURNS = frozenset({"but", "though", "yet"})


def rests_on_record(reading: Reading, clause: Clause, rest: Sequence[str] = ()) -> bool:
    """The clause says what there is by its record ("has worked well for us", "a rollback
    already solved"), unlimited in its own words or the first two of `rest`, the rest of
    its sentence ("only handled it after users noticed", "worked well, but not this time")."""
    words = reading.words[clause.first : clause.last]
    # (a "but" that opens the clause is the turn it stands in, not a limit on the record)
    own = words[1:] if words[0] in TURNS else words
    return bool(set(pairwise(words)) & _RECORD) and not _RECORD_LIMITS.intersection(
        [*own, *rest[:2]]
    )


def _works_as_is(words: tuple[str, ...]) -> bool:
    """The clause says what there is works, and no more ("final WER has always been trusted
    and it works", "the curated set works well as it is"), not that something is checked
    to ("make sure the rollback works") nor works only under a condition."""
    for k, w in enumerate(words):
        if w not in _WORKS or k == 0:
            continue
        tail = words[k + 1 :]
        if tuple(t for t in tail if t != "already") not in _WORKS_TAILS:
            continue
        if _CHECKING.intersection(words[:k]) or words[k - 1] in _MODAL_WORDS:
            continue
        if _ALONE.intersection(words[:k]):
            continue  # "the rollback alone works, but too slowly": no claim it suffices
        # the verb, not the noun ("a detector for ghost work", "batch offline work"): "works"
        # after its subject, "work" after a plural one ("the dashboards work fine")
        before = words[k - 1]
        if w == "work" and not (before in ("they", "these", "those") or _plural_subject(before)):
            continue
        if before in _NOT_SUBJECTS:
            continue
        return True
    return False


_NOT_SUBJECTS = frozenset(
    {"a", "an", "the", "for", "of", "on", "in", "with", "from", "by", "per", "our", "their"}
    | {"its", "more", "less", "no", "any", "some", "extra", "much", "real", "hard"}
)
_MODAL_WORDS = frozenset({"would", "will", "could", "might", "should", "must", "to", "can"})


_NOT_COMPARATIVE = frozenset({"never", "ever", "over", "under", "other", "after", "either"})


def _comparative(word: str) -> bool:
    """An adjective's comparative ("easier", "cleaner", "cheaper"), not a noun or "other"."""
    if not word.endswith("er") or word in _NOT_COMPARATIVE or len(word) < 5:
        return False
    found = getAllLemmas(word)
    adjectives = found.get("ADJ", ())
    return word not in found.get("NOUN", ()) and any(lemma != word for lemma in adjectives)


def closes_argument(reading: Reading, clause: Clause) -> bool:
    """The clause is where an argument about a measure lands, against it: a preference for
    something else or for the status quo ("I'd keep serving everything", "better to tune
    the window", "I'd rather not alert on that"), a claim that what there is suffices ("the
    fleet-wide one is fine", "a quick rollback is enough"), a wave of the hand ("tickets
    found it anyway"), or a first person refusing ("I wouldn't add it", "we won't
    prioritise it", "Not now."). Read by structure, not by the measure's words: the caller
    checks that the clause does not itself recommend the measure."""
    words = reading.words[clause.first : clause.last]
    if not words:
        return False
    if _defers(reading, clause) or delegates(words):
        return True  # "Maybe next year.", "that's the edge team's call": put off, handed off
    pairs = set(pairwise(words))
    conditional = words[0] in _CONDITIONAL or bool(set(words) & {"if", "when", "until", "unless"})
    after = reading.text[reading.spans[clause.last - 1][1] :]
    asked = re.match(r"[^.!?\n]*\?", after) is not None  # a question weighs, it lands nowhere
    if pairs & {("rather", "than"), ("instead", "of")} or conditional or asked:
        return False  # a contrast is read where it stands; a condition checks
    if words[0] in ("or", "otherwise", "else"):
        return False  # "..., or it doesn't ship": the threat is the reason for the measure
    if _after_lack(reading, clause):
        return False  # "if clients don't report it, we'll blame the servers": the lack's harm
    if len(words) <= 2 and stem(words[0]) in _LEAVING and words[1:] in ((), ("it",), ("that",)):
        # "Skip.", "Skip it.": a refusal standing alone, as "Not now." is (not the
        # instruction after a condition: "if its deadline has passed, skip it")
        before = reading.text[: reading.spans[clause.first][0]].rstrip()
        return not before or before[-1] in ".;!?\n"
    deciders = bool(set(words) & _DECIDERS)
    negations = [words[a - clause.first] for a, _ in clause.judged()]
    denied = any(_denial(w) for w in negations)
    # "global WER is fine": what there is, said to do ("fine-grained" is no verdict)
    # (in the present: "final WER said all was fine", "transcripts look fine" report)
    fine = (
        words[-1] == "fine"
        and len(words) > 2
        and words[-2] in ("is", "are", "that's", "it's")
        and not set(words) & (_REASONS | {"said", "says", "say"})
    )
    fine = fine or _works_as_is(words) or _kept_as_is(reading, clause)
    fine = fine or any(words[k : k + 3] in _DOES_THE_JOB for k in range(len(words) - 2))
    if (set(words) & _SUFFICING or pairs & _SUFFICING_PAIRS or fine) and not denied:
        return True  # "a quick rollback is enough" (not "the fleet alert is not enough")
    if words[-2:] in _WILL_DO and len(words) > 2 and not denied:
        return True  # "A reminder in the launch channel will do." (not "... will do it")
    if clause.triggers or clause.evaluations:
        if clause.evaluations and clause.judged():
            return True  # "that coupling is more trouble than it's worth"
        volition = deciders and bool(set(words) & _REFUSING)
        # "I'd still skip it", "so I'd leave the cohort alerts out", "I'd happily revisit once
        # ...": a first person leaving the measure out or putting it off
        volition |= deciders and any(
            stem(reading.words[k]) in _LEAVING for a, b in clause.judged() for k in range(a, b)
        )
        # "so we don't miss it" is a purpose; "so I don't see them paying off" a judgement
        judging = any(
            words[t - clause.first + 1 : t - clause.first + 2] in (("see",), ("think",))
            for t, _ in clause.judged()
        )
        # "so I'd not add it" refuses, as "so I wouldn't" does
        refusal = {"wouldn't", "rather", "i'd", "we'd"}
        purpose = words[0] in _PURPOSE and not set(words) & refusal and not judging
        # "it isn't justified": a verdict through a pronoun on what was just described
        pointed = _pointed(words, [a - clause.first for a, _ in clause.judged()])
        # "Not now.", "...; not a priority": a verdict standing alone, or one on worth or
        # time after a comma, not the ", not a mystery" that contrasts within its sentence
        before = reading.text[: reading.spans[clause.first][0]].rstrip()
        alone = not before or before[-1] in ".;:!?—–-\n"
        head = next((w for w in words[1:] if w not in ("a", "an", "the", "really")), "")
        bare = (
            words[0] == "not"
            and (alone or head in _WORTH)
            and not _has_finite(words, 0, len(words), lexicon())
        )
        # "..., just not for us", "but not for this team": the measure denied the writer's
        # own setting, as "not now" denies it the time
        lead = next((k for k, w in enumerate(words) if w not in _MAYBE), len(words))
        bare = bare or (
            words[lead : lead + 2] == ("not", "for")
            and bool(_OWN_SETTING.intersection(words[lead + 2 : lead + 4]))
            and not _has_finite(words, 0, len(words), lexicon())
            and not _contrast_follows(reading, clause)  # "not for us but for the users"
        )
        # "Another alert on top is noise.", "the platform team will get to it eventually":
        # a verdict phrase that is its own clause's point, not a reason given for the
        # measure ("because retries forever are a waste")
        verdict = (words[0] not in _REASONS or judging) and any(
            reading.words[a:b] in lexicon().closing_verdicts or _on_worth(reading.words, b)
            for a, b in clause.judged()
        )
        return ((volition or pointed or verdict) and not purpose) or bare
    if set(words) & _ADDING:
        return False
    preferring = set(words) & _PREFERRING or (deciders and "instead" in words)
    # "one end-to-end number is better": what is kept, said to be the better choice
    preferring = preferring or (
        len(words) > 2 and words[-1] in _BETTER and words[-2] in ("is", "are", "'s", "seems")
    )
    # "serial is easier to debug", "one dashboard is cheaper to run": a judgement of ease
    # or cost of what is kept, whatever the adjective (a comparative, then what to do)
    preferring = preferring or any(
        w in ("is", "are", "stays", "remains")
        and _comparative(words[k + 1])
        and words[k + 2 : k + 3] == ("to",)
        for k, w in enumerate(words[1:-2], 1)
    )
    if preferring or ("better", "to") in pairs or ("better", "off") in pairs:
        return True
    if any(w in _WAVING and not _concessive(words, k) for k, w in enumerate(words)):
        return True
    return (
        bool(set(words) & _CONDITIONAL_FIRST)
        or ("i", "would") in pairs
        or (
            "we",
            "would",
        )
        in pairs
    )


_PERSONS = frozenset({"i", "we", "you", "i'd", "we'd", "you'd", "let's", "i'll", "we'll"})


def directs(reading: Reading, clause: Clause) -> bool:
    """The clause turns to a measure as someone's choice: an instruction, a turn ("instead,
    cap them"), or a person's modal ("we should", "I'd add"), not a third party's need
    that a reason against describes ("the edge team needs to shift traffic quickly")."""
    opens = _opens_instruction(reading, clause)
    if opens or not recommends(reading, clause):
        return opens
    said = reading.words[clause.first : clause.last]
    words = set(said)
    if ({"nobody", "noone"} & words or ("no", "one") in set(pairwise(said))) and not (
        words & _PERSONS
    ):
        return False  # "so nobody has to be paged": a need denied, no one's choice
    if words & (_PERSONS | {"instead", "rather"}):
        return True
    # "the canary should not be promotable unless ...": a norm is a choice; a need is
    # only someone's circumstance ("callers need their results"); the pairs are of words
    # side by side in the clause, not of a set's members in whatever order it iterates
    return bool(words & (_RECOMMENDING - _NEEDING)) or bool(set(pairwise(said)) & _OBLIGING)


_NEEDING = frozenset({"need", "needs", "require", "requires"})
# a proposal named as such: "my main ask is ...", "the change that would have stopped this
# is ..."
_PROPOSALS = frozenset(
    {"ask", "recommendation", "proposal", "suggestion", "fix", "change", "lesson", "takeaway"}
)


def proposes(reading: Reading, clause: Clause) -> bool:
    """The clause puts a measure forward as the writer's proposal, in a copula's predicate:
    "my main ask is dashboards split by language", "the change that would have stopped this
    is moving devices gradually" (not "the other suggestion is ...", someone else's)."""
    words = reading.words[clause.first : clause.last]
    copula = next(
        (k for k, w in enumerate(words) if w == "is" or words[k : k + 2] == ("would", "be")),
        None,
    )
    if copula is None or copula > 8 or not _PROPOSALS & set(words[:copula]):
        return False
    subject = words[:copula]
    return bool({"my", "our"} & set(subject)) or ("would", "have") in set(pairwise(subject))


def recommends_itself(reading: Reading, clause: Clause) -> bool:
    """The clause recommends what it names, not a consequence said of it: "a budget would
    need us in their release cycle" describes what the measure would bring ("would" with
    no one deciding and no instruction), "we'd need a budget" and "add a budget" direct; a
    modal inside a clause whose verb came first is a relative's ("forbidding it gives up
    throughput we'll need"), not the clause's."""
    if not recommends(reading, clause):
        return False
    if _opens_instruction(reading, clause):
        return True
    words = reading.words[clause.first : clause.last]
    if {"would", "could", "might"} & set(words) and not _PERSONS & set(words):
        return False
    lex = lexicon()
    cues = [
        k
        for k in range(clause.first, clause.last)
        if reading.words[k] in _RECOMMENDING or tuple(reading.words[k : k + 2]) in _OBLIGING
    ]
    return not cues or any(not _verb_before(reading.words, clause.first, k, lex) for k in cues)


_LINKING = frozenset({"when", "if", "so", "that", "because", "unless", "until", "before", "after"})
_LINKING |= frozenset({"while", "once", "which", "who", "where", "and", "or", ",", "to", "as"})


def _subject_compound(reading: Reading, at: int, clause: Clause) -> bool:
    """ "Cohort latency alerts are someone else's problem": a word that may be a verb
    ("cohort", "retry") heading a noun compound that its clause's verb then speaks of, not
    an instruction ("retry with backoff when it fails", "gate releases on it")."""
    lex = lexicon()
    nxt = at + 1
    if nxt >= clause.last or reading.words[nxt] in lex.determiners | _LINKING:
        return False
    for k in range(nxt, clause.last):
        word = reading.words[k]
        if word in _LINKING or word in lex.determiners:
            return False
        if word in lex.auxiliaries or word in lex.finite:
            return True
        # "request sizes vary wildly": a plural noun, then its verb in the present
        if k > nxt and _plural_subject(reading.words[k - 1]) and _imperative(word):
            return True
    return False


def _plural_subject(word: str) -> bool:
    """A plural noun ("sizes", "requests"), not a verb's third person alone ("goes")."""
    return word.endswith("s") and "NOUN" in getAllLemmas(word) and not word.endswith("ss")


def _verb_before(words: tuple[str, ...], lo: int, hi: int, lex: Lexicon) -> bool:
    """A finite verb in words [lo, hi), not counting a subject pronoun ("we should")."""
    return any(
        _finite(words, k, lex, hi) and words[k] not in lex.subjects and words[k] not in _DECIDERS
        for k in range(lo, hi)
    )


def _modifies(reading: Reading, at: int, clause: Clause) -> bool:
    """The word at `at` is the first part of a hyphenated compound ("pool-level") or the
    head of a subject whose verb follows at once ("rollback switches are ...")."""
    nxt = at + 1
    if nxt >= clause.last:
        return False
    return (
        reading.joined[nxt]
        or (nxt + 1 < clause.last and reading.words[nxt + 1] in ("is", "are", "was", "were"))
        # "overlap sounds clever", "canary looks heavy": a subject whose verb of seeming
        # follows at once, a verdict on it, not an instruction
        or reading.words[nxt] in _SEEMING
    )


_SEEMING = frozenset(
    {"sounds", "seems", "looks", "feels", "appears", "sounded", "seemed", "looked", "felt"}
)


@lru_cache(maxsize=65536)
def _imperative(word: str) -> bool:
    """A verb's base form ("gate", "alert", "require"), not a past, a gerund or a third
    person ("gated", "gating", "gates") nor a word that is never a verb."""
    lemmas = getAllLemmas(word)
    return word in lemmas.get("VERB", ()) and not word.endswith(("ing", "ed"))


def _enumerates(
    text: str, words: tuple[str, ...], spans: list[tuple[int, int]], lo: int, i: int, lex: Lexicon
) -> bool:
    """ "Unit tests on feature shapes, deterministic evals and privacy reviews are overkill":
    the stretch after the comma goes on a list ("and", "or" inside it, before its verb)
    whose first entry holds no verb but a word that may be a plural noun ("tests")."""
    if any(w in lex.finite or w.endswith("n't") for w in words[lo:i]):
        return False
    if any((form := verb_form(w)) is not None and not form[0] for w in words[lo:i]):
        return False
    end = _stretch_end(text, words, spans, i)
    verb = next((k for k in range(i, end) if _finite(words, k, lex, end)), end)
    return any(w in ("and", "or") for w in words[i + 1 : verb])


def _list_goes_on(
    text: str, words: tuple[str, ...], spans: list[tuple[int, int]], lo: int, i: int, lex: Lexicon
) -> bool:
    """ "I wouldn't bother with shadow traffic, canaries or privacy reviews": after a negated
    stretch, what follows the comma goes on with its list (an "or", "nor" or "and" before any
    verb of its own, and no subject opening it), not a clause of its own, so the negation
    governs every entry."""
    if words[i] in lex.subjects or words[i] in lex.finite:
        return False
    lead = words[i + 1] if words[i] in ("and", "or") and i + 1 < len(words) else words[i]
    if _imperative(lead):
        return False  # "don't log raw audio, and watch queue time": an instruction of its own
    end = _stretch_end(text, words, spans, i)
    joint = next((k for k in range(i + 1, end) if words[k] in ("or", "nor", "and")), None)
    if joint is None:
        return False
    if any(words[k] in lex.finite or words[k].endswith("n't") for k in range(i, end)):
        return False  # "..., canaries and reviews catch it later": a clause of its own
    if any(verb_form(words[k]) == (False, "VBD") for k in range(i, joint)):
        return False
    bare = any(_denial(w) for w in words[lo:i])
    return bare or bool(spans_of(words, lex.negation_phrases, lo, i))


def _ends_negated(words: tuple[str, ...], i: int) -> bool:
    """The stretch before word i ends on a negation of its verb ("traffic did not,")."""
    return i > 0 and (words[i - 1] == "not" or words[i - 1].endswith("n't"))


def _has_finite(words: tuple[str, ...], lo: int, hi: int, lex: Lexicon) -> bool:
    return any(_finite(words, k, lex, hi) for k in range(lo, hi))


def _finite(words: tuple[str, ...], k: int, lex: Lexicon, hi: int) -> bool:
    """A finite verb: an auxiliary or pronoun of the lexicon, or a past or third-person form
    (LemmInflect: "moved", "handles"); one that is also a noun ("requests", "gates") only
    between words, after one that is not a determiner ("the model handles code-switching",
    not "the requests", not "FAB gates,")."""
    w = words[k]
    if w in lex.finite or w.endswith("n't"):
        return True
    form = verb_form(w)
    if form is None:
        return False
    noun, tag = form
    before = words[k - 1] if k > 0 else ""
    if tag == "VBD" and (before.endswith("ing") or before in lex.determiners):
        return False  # a participle describing what follows: "building dedicated slices"
    if not noun:
        return True
    after = k + 1 < hi
    return after and k > 0 and words[k - 1] not in lex.determiners and words[k - 1] not in _LINKS


@lru_cache(maxsize=65536)
def verb_form(word: str) -> tuple[bool, str] | None:
    """(also a noun, tag) when the word is a third-person or a past verb form that is not
    also a participle, else None: "handles", "went", "grew" are finite; "moved", "left"
    may be participles ("shadow mirroring left on") and are not counted."""
    found = getAllLemmas(word)
    for lemma in found.get("VERB", ()):
        inflections = getAllInflections(lemma, upos="VERB")
        for tag, forms in inflections.items():
            participle = tag == "VBD" and word in inflections.get("VBN", ())
            if tag in ("VBD", "VBZ") and word in forms and not participle:
                return "NOUN" in found, tag
    return None


def _stretch_end(text: str, words: tuple[str, ...], spans: list[tuple[int, int]], j: int) -> int:
    """Where the stretch holding word j ends: the next comma or clause break."""
    k = j + 1
    while k < len(words):
        gap = text[spans[k - 1][1] : spans[k][0]]
        if "," in gap or _CLAUSE_BREAK.search(gap):
            break
        k += 1
    return k


def _finite_ahead(
    text: str, words: tuple[str, ...], spans: list[tuple[int, int]], i: int, lex: Lexicon
) -> bool:
    """Does the stretch after a comma, up to the next comma or break, read as a clause?"""
    j = i
    while j < len(words):
        if j > i:
            gap = text[spans[j - 1][1] : spans[j][0]]
            if "," in gap or _CLAUSE_BREAK.search(gap):
                break
        if _finite(words, j, lex, _stretch_end(text, words, spans, j)):
            return True
        j += 1
    return False


@lru_cache(maxsize=8192)
def read(text: str) -> Reading:
    """The reading of a text: every word in its clause, every clause's polarity."""
    lex = lexicon()
    source = unwrap(text).replace("’", "'").replace("‘", "'")
    words, spans, joined, ident, operators = _tokenise(source)
    tup = tuple(words)
    people = _people(source, tup, spans)
    sentence_of, clause_of, contrasts = _boundaries(source.lower(), words, spans, lex)
    bounds: dict[int, list[int]] = {}
    for i, c in enumerate(clause_of):
        bounds.setdefault(c, [i, i + 1])[1] = i + 1
    clauses: list[Clause] = []
    for c in range(len(bounds)):
        lo, hi = bounds[c]
        pseudo = {k for a, b in spans_of(tup, lex.pseudo_negations, lo, hi) for k in range(a, b)}
        triggers = [
            s
            for s in spans_of(tup, lex.negation_phrases, lo, hi)
            if not pseudo.intersection(range(*s))
        ]
        for k in range(lo, hi - 2):  # "too niche to build", "too complex to be worth it"
            if (
                words[k] == "too"
                and words[k + 2] == "to"
                and words[k + 1] not in lex.durations  # "waits too long to be sure"
                and not pseudo.intersection({k})
            ):
                triggers.append((k, k + 3))
        taken = {k for a, b in triggers for k in range(a, b)}
        for k in range(lo, hi):
            w = words[k]
            if k in taken or k in pseudo:
                continue
            if w in lex.negations or w.endswith("n't"):
                triggers.append((k, k + 1))
        triggers = [t for t in triggers if not _attributive(tup, t, lo, lex)]
        # "slow the rollout down with a canary": a verdict with a gap said as an instruction
        opening = next((k for k in range(lo, hi) if words[k] not in _OPENING), hi)
        triggers = [
            t
            for t in triggers
            if t[1] - t[0] == 1
            or t[0] != opening
            or tup[t[0] : t[1]] in lex.negation_phrases
            or not _imperative(words[t[0]])
        ]
        # ("at once", "all at once": no condition)
        cond = next(
            (
                k
                for k in range(lo, hi)
                if words[k] in _CONDITIONAL
                and not (words[k] == "once" and k > lo and words[k - 1] == "at")
            ),
            hi,
        )
        # "refuse it if it doesn't fit in 250 ms": a one-word negation after "if" is the
        # condition, not a denial (one before it still governs: "I haven't thought about
        # what happens if a slice is missing")
        triggers = [t for t in triggers if t[0] < cond or t[1] - t[0] > 1]
        triggers = [t for t in triggers if not _rule(tup, t, lo, cond, hi)]
        triggers = [t for t in triggers if not _bound(tup, t, lo, hi)]
        triggers = _never_without(tup, required(tup, triggers, lo, hi), lo, hi)
        triggers = _required(tup, triggers, lo, hi)
        triggers = _omission_denied(tup, triggers, lo, hi)
        evaluations = [
            e for e in _evaluations(tup, lo, hi, lex) if e[0] < cond and not _to_omit(tup, e, hi)
        ]
        # a harm foretold is no verdict word: it cancels no negation ("would slow releases for
        # no real benefit" argues against twice over)
        # after a condition ("if we gated on the small slices, every change would be
        # blocked") the harm is what the condition brings, unless the condition is itself
        # a harm the measure meets ("if a merge regresses a slice, the gate would block
        # it": the condition, in its own clause just before, says what "it" is)
        before = clauses[-1] if clauses else None
        setting = (
            before.first
            if before is not None
            and before.sentence == sentence_of[lo]
            and words[before.first] in _CONDITIONAL
            else lo
        )
        harms = [
            e
            for e in _harms(tup, lo, hi, lex, setting)
            if e[0] < cond or not lex.remedied.intersection(tup[cond : e[0]])
        ]
        # "if clients don't report their metrics, we'll blame our servers": a harm that a
        # lack set as the condition brings is the lack's, no verdict against the measure
        if setting < lo and any(_denial(w) or w in _NOBODY for w in words[setting + 1 : lo]):
            harms = []
        cancels = [
            t
            for t in triggers
            if evaluations
            and t[1] - t[0] == 1
            and _denial(words[t[0]])
            # a verdict's own "not" ("not keen on it") is no second negative
            and not any(a <= t[0] < b for a, b in evaluations)
        ] + [t for t in triggers if evaluations and words[t[0]] == "skip"]
        checked = [a for a, _ in spans_of(tup, lex.conditions, lo, hi) if _directs(tup, a, lo)]
        if checked:  # "check slice WER doesn't regress": what is checked, not denied
            triggers = [
                t
                for t in triggers
                if not any(c < t[0] for c in checked) or _judges(tup, t[1], hi, lex)
            ]
        clauses.append(
            Clause(
                sentence=sentence_of[lo],
                first=lo,
                last=hi,
                triggers=tuple(sorted(triggers)),
                turned_down=c in contrasts,
                hedged=_has(tup, lex.hedges, lo, hi),
                hypothetical=_has(tup, lex.hypotheticals, lo, hi) or _reported(tup, lo, hi, people),
                effect=_opens(tup, lex.effects, lo, hi) and not _has(tup, lex.assertions, lo, hi),
                assertion=_has(tup, lex.assertions, lo, hi),
                co_cause=_opens(tup, lex.co_causes, lo, hi),
                forward=frozenset(
                    a
                    for a, b in triggers
                    if b - a == 1
                    and (words[a] in _FORWARD or _contrasts(source, tup, spans, a, lo))
                ),
                segments=_segments(source, tup, spans, lo, hi, triggers),
                evaluations=tuple(sorted(evaluations + harms)),
                cancels=tuple(c for c in cancels if c in triggers),
                appended=frozenset(
                    a
                    for a, b in triggers
                    if b - a == 1
                    and (
                        (
                            words[a] in _FORWARD
                            and a > lo
                            and re.search(r"[,—–]", source[spans[a - 1][1] : spans[a][0]])
                        )
                        or _contrasts(source, tup, spans, a, lo)
                    )
                ),
            )
        )
    clauses = _discourse(source, tup, spans, clauses, lex)
    clauses = _counterfactuals(tup, clauses)
    clauses = _done_without(tup, clauses)
    clauses = _hedged_back(tup, clauses)
    lemmas = [lemma_stems(w) for w in words]
    clauses = _harm_denied(source, tup, spans, clauses, lemmas)
    clauses = lacked(tup, _complaints(source, tup, spans, clauses), lemmas)
    clauses = _weighed_and_rejected(tup, clauses)
    clauses = _all_at_once_forbidden(tup, clauses, lemmas)
    return Reading(
        text=source,
        words=tup,
        stems=tuple(stem(w) for w in words),
        lemmas=tuple(lemmas),
        spans=tuple(spans),
        joined=tuple(joined),
        ident=tuple(ident),
        clause_of=tuple(clause_of),
        clauses=tuple(clauses),
        operators=operators,
    )


_CONDITIONAL = frozenset({"if", "unless", "whenever", "when", "once", "until"})
_PAST_DENIED = (("hadn't",), ("had", "not"), ("had", "never"))


# a denial that a release goes ahead, on a condition: a rule ("no model gets promoted
# unless it holds its slice WER", "a voice can't go live if it's over budget")
_RULE_DENIALS = frozenset(
    {"no", "not", "can't", "cannot", "won't", "doesn't", "mustn't", "never", "shouldn't"}
)
# what may stand between a rule's "never" and its verb ("should never be / ever / again ship")
_BEFORE_VERB = frozenset({"be", "been", "get", "ever", "again"})
_RULE_CONDITIONS = frozenset({"unless", "until", "if"})
_SPEAKERS = frozenset({"i", "we", "i'd", "we'd", "i'm", "we're", "i'll", "we'll", "you", "let's"})


def _rule(words: tuple[str, ...], trigger: tuple[int, int], lo: int, cond: int, hi: int) -> bool:
    """The one-word negation at `trigger` states a rule, not a denial: a condition follows
    it in its clause, no one speaks for themselves ("I wouldn't add a gate unless ..."
    refuses), and it is no instruction not to ("don't canary it if ...")."""
    a, b = trigger
    if b - a != 1 or cond >= hi or words[cond] not in _RULE_CONDITIONS or a > cond:
        return False
    if words[a] == "nothing":
        # "nothing ships unless the slice holds", "nothing from that channel gets promoted
        # until ...": no thing passes but on the condition, whoever speaks
        return any(stem(w) in _PASSING for w in words[a + 1 : cond])
    if (
        words[a] not in _RULE_DENIALS
        or (a == lo and words[a] != "no")
        or set(words[lo:hi]) & _SPEAKERS
    ):
        return False
    if words[a] in ("never", "shouldn't"):
        # "a release should never ship if the slice regresses": a rule only on a verb of
        # letting through ("should never be blocked if ..." refuses the block)
        verb = next((k for k in range(a + 1, cond) if words[k] not in _BEFORE_VERB), cond)
        if verb == cond or stem(words[verb]) not in _PASSING:
            return False
    return words[lo] not in ("don't", "do", "never")


_IMPOSSIBLE = frozenset({"impossible", "unable"})


def _impossible(words: tuple[str, ...], lo: int, k: int, after: tuple[str, ...]) -> bool:
    """ "It must be impossible to ...": an "impossible" at `k`, said of "it" earlier in its
    clause, before one of `after` ("to", "for")."""
    return (
        words[k] in _IMPOSSIBLE
        and "it" in words[lo:k]
        and k + 1 < len(words)
        and words[k + 1] in after
    )


_REGRETS = (
    ("should", "never", "have"),
    ("shouldn't", "have"),
    ("should", "not", "have"),
    ("must", "never", "have"),
)


def _regrets(words: tuple[str, ...], lo: int, hi: int) -> bool:
    """ "We should never have shipped X without Y": a speaker's regret over what was done,
    a rule for next time, not someone refusing ("I wouldn't add X without Y")."""
    return any(
        words[k : k + len(r)] == r and words[k + len(r) : k + len(r) + 1] != ("to",)
        for r in _REGRETS
        for k in range(lo, hi)
    )  # "shouldn't have to add X without Y" is an obligation refused, not a regret


_VERIFYING = frozenset(
    stem(w)
    for w in (
        *("check", "test", "verify", "review", "validate", "vet", "canary", "gate"),
        *("replay", "evaluate", "benchmark", "approve", "measure", "try", "stage", "soak"),
    )
)


def _never_without(
    words: tuple[str, ...], triggers: list[tuple[int, int]], lo: int, hi: int
) -> list[tuple[int, int]]:
    """ "Clients must never retry without a limit", "no voice ships without a canary": a
    prohibition of doing a thing without another requires the other; the two negatives
    cancel. Not when someone speaks for themselves ("I wouldn't add a budget without
    evidence" refuses the budget)."""
    if set(words[lo:hi]) & _SPEAKERS and not _regrets(words, lo, hi):
        return triggers
    withouts = [t for t in triggers if words[t[0]] == "without"]
    # "no more config pushes that nobody checks": a relative that denies the check is the
    # "without" of the prohibition ("no push without a check")
    # (a verb of verifying: "canaries that nobody reads" denies no check, it is a complaint
    # about the canaries)
    withouts += [
        (k, k + 1)
        for k in range(lo + 1, hi)
        if words[k] in ("nobody", "noone")
        and words[k - 1] in _RELATIVES
        and any(stem(w) in _VERIFYING for w in words[k + 1 : k + 4])
    ]
    # "it must be impossible to open a route without an end date": what cannot be done
    # without the thing requires it ("impossible" is no negation of its own)
    impossible = [k for k in range(lo + 1, hi - 1) if _impossible(words, lo, k, ("to", "for"))]
    if impossible and any(impossible[0] < w[0] for w in withouts):
        return [t for t in triggers if t != next(w for w in withouts if w[0] > impossible[0])]
    denials = [
        t
        for t in triggers
        if t[1] - t[0] == 1 and (words[t[0]] in _RULE_DENIALS or words[t[0]].endswith("n't"))
    ]
    pairs = [
        (d, w)
        for w in withouts
        for d in denials
        if d[0] < w[0]
        and (
            w[0] - d[1] <= 6
            # an opening "never" or "no more" governs its whole clause ("never again should a
            # route run on its fallback for hours without a page")
            or (
                d[0] <= lo + 1
                and (words[d[0]] == "never" or words[d[0] : d[0] + 2] == ("no", "more"))
            )
        )
    ]
    if not pairs:
        return triggers
    dropped = {t for pair in pairs[:1] for t in pair}
    return [t for t in triggers if t not in dropped]


# a verb that keeps back what it is said of ("block any merge that ...", "refuse a release
# without ..."), and a verb of letting through that a denial makes a prohibition ("never
# promote a model that ...", "don't let a release out without ...")
_PROHIBITING = frozenset(
    stem(w)
    for w in ("block", "refuse", "reject", "halt", "veto", "forbid", "disallow", "bar", "fail")
)
_PASSING = frozenset(stem(w) for w in PASSING)
_RELATIVES = frozenset({"that", "which", "who", "whose"})
_DENIALS = frozenset({"never", "don't", "no", "shouldn't", "mustn't", "can't", "cannot", "won't"})


def _required(
    words: tuple[str, ...], triggers: list[tuple[int, int]], lo: int, hi: int
) -> list[tuple[int, int]]:
    """ "Block any decoder push that hasn't been through a canary", "refuse to sign off a
    change without a language-mix section", "never promote a model that hasn't passed the
    slice eval": a prohibition of what lacks a thing requires the thing. A one-word negation
    in a relative clause ("that hasn't", "whose health check hasn't") or a "without" that
    restricts the object of a verb of keeping back is the prohibition's condition, not a
    denial; restricting the object of a denied verb of letting through ("never promote"), the
    two negatives cancel. The verb's own denial still governs ("I wouldn't block merges that
    lack tests" refuses the gate)."""
    dropped: set[tuple[int, int]] = set()
    for t in triggers:
        a, b = t
        w = words[a]
        if w == "no" and b - a == 1 and _before_rule(words, a, lo, hi):
            dropped.add(t)
            continue
        if b - a != 1 or not _denial(w) or w in ("no", "nor"):
            continue
        if w == "without":
            start = a
        else:
            near = range(a - 1, max(lo, a - 5) - 1, -1)
            rel = next((k for k in near if words[k] in _RELATIVES), None)
            if rel is None or rel == lo or words[rel - 1] in ("so", "such", "now", "is", "was"):
                continue
            start = rel
        for k in range(start - 1, max(lo, start - 12) - 1, -1):
            head = stem(words[k])
            if head in _PROHIBITING and _imposed(words, k, lo, hi):
                denied = next((d for d in triggers if d[0] < k and k - d[1] <= 2), None)
                if denied is None:
                    dropped.add(t)
                break
            if head in _PASSING:
                denial = next(
                    (d for d in triggers if d[1] - d[0] == 1 and d[0] < k and k - d[1] <= 2),
                    None,
                )
                if denial is not None and words[denial[0]] in _DENIALS:
                    dropped.update({t, denial})
                    break  # else a noun ("any preprocessing merge that ..."): read on
                if _stopped(words, k, lo):  # "stop shipping builds that haven't ..."
                    dropped.add(t)
                    break
    return [t for t in triggers if t not in dropped]


def stopped_gerund(words: Sequence[str], k: int) -> bool:
    """The word at `k` is a gerund after "stop" ("stop shipping ...", "stop batching ...")."""
    return 0 < k < len(words) and words[k - 1] == "stop" and words[k].endswith("ing")


def _stopped(words: tuple[str, ...], k: int, lo: int) -> bool:
    """The gerund at `k` is what an instruction to stop forbids ("stop shipping ...", "we
    must stop releasing ..."): "stop" is no negation of its own, but forbids as "never"
    does."""
    return (
        k > lo
        and stopped_gerund(words, k)
        and not set(words[lo : k - 1]) & (_SPEAKERS - {"we", "let's"})
    )


_MODALS = frozenset({"should", "must", "can", "may", "will", "shall", "gets", "goes", "ships"})


def _before_rule(words: tuple[str, ...], a: int, lo: int, hi: int) -> bool:
    """ "No firmware release should go out before its device-path fixtures pass": a "no"
    opening its clause, a modal of going ahead, then what must come "before" — a rule that
    requires it, as "no X unless Y" is. Not when someone speaks for themselves."""
    opening = next((k for k in range(lo, hi) if words[k] not in _OPENING - {"no"}), hi)
    if a != opening or set(words[lo:hi]) & _SPEAKERS:
        return False
    modal = next((k for k in range(a + 1, min(hi, a + 8)) if words[k] in _MODALS), None)
    return modal is not None and "before" in words[modal + 1 : min(hi, modal + 6)]


_IMPOSING = frozenset({"should", "must", "will", "would", "to", "always", "automatically"})
_IMPOSING |= frozenset({"i'd", "we'd", "i'll", "we'll", "let's", "can", "shall", "and", "or"})


def _imposed(words: tuple[str, ...], k: int, lo: int, hi: int) -> bool:
    """The verb of keeping back at `k` is imposed, not reported: an instruction ("Block any
    ..."), after a modal or "to" ("CI should fail any change ...", "refuse to sign off"), or
    a rule in the present ("the gate blocks any merge that ..."); not "canaries fail without
    traffic", which says what happens."""
    opening = next((j for j in range(lo, hi) if words[j] not in _OPENING), hi)
    if k == opening or (k > lo and words[k - 1] in _IMPOSING):
        return True
    if stem(words[k]) == stem("fail"):
        return False  # "fails" and "fail" say what happens unless imposed
    # "stop conditions that halt the ramp without waiting for a human": a rule's own verb
    return words[k].endswith("s") or (k > lo and words[k - 1] in ("that", "which"))


# verbs of leaving a thing out: a denial of one is an endorsement ("don't skip the canary")
OMITTING = frozenset(
    stem(w)
    for w in (
        *("skip", "drop", "remove", "ignore", "forget", "neglect", "omit", "abandon"),
        *("disable", "lose", "bypass", "leave", "cut", "sacrifice"),
    )
)


def omission_at(words: tuple[str, ...], k: int, hi: int) -> int | None:
    """Where the verb of leaving out stands that a denial ending before `k` denies ("don't
    skip", "never ever drop"), or None: at `k`, or after an "ever"."""
    if k < hi and words[k] == "ever":
        k += 1
    return k if k < hi and stem(words[k]) in OMITTING else None


def _omission_denied(
    words: tuple[str, ...], triggers: list[tuple[int, int]], lo: int, hi: int
) -> list[tuple[int, int]]:
    """ "Don't skip cost attribution by tag", "never drop the slice eval": an instruction
    not to leave a thing out recommends it; the denial and any trigger the verb of omission
    opens cancel. Only an instruction (the clause opens on the denial): "we didn't skip the
    eval" is read as it was."""
    at = next((k for k in range(lo, hi) if words[k] not in _OPENING), hi)
    if at + 1 >= hi or words[at] not in ("don't", "never", "do"):
        return triggers
    verb = at + 1
    if words[at] == "do":
        if words[verb] != "not":
            return triggers
        verb += 1
    omitted = omission_at(words, verb, hi)
    if omitted is None:
        return triggers
    return [t for t in triggers if not (t[0] <= omitted < t[1] or at <= t[0] < omitted)]


_ANY_OF = frozenset({"any", "one", "either", "of", "them", "these", "those", "could", "be"})
_ANY_OF |= frozenset({"might", "maybe", "probably", "honestly", "really", "it", "it's", "the"})


_QUANTIFIERS = frozenset({"any", "either", "each", "all"})
_QUANTIFIED = frozenset({"one", "of", "them", "these", "those", "the", "two", "three", "four"})
_POSSIBLE = frozenset({"could", "might", "may", "can"})


def _any_could(own: tuple[str, ...]) -> bool:
    """ "Any could do it", "either of them might explain it", "any one of these could be
    it": a quantifier over what came before, then a modal of possibility."""
    if not own or own[0] not in _QUANTIFIERS:
        return False
    k = 1
    while k < len(own) and own[k] in _QUANTIFIED:
        k += 1
    return k < len(own) and own[k] in _POSSIBLE


def _hedged_back(words: tuple[str, ...], clauses: list[Clause]) -> list[Clause]:
    """ "bigger voice model, cold starts, peak load or network — any of them": a clause that
    is nothing but "any of them" (or "could be any of these") makes what the clause before
    it lists candidates, supposed, not asserted."""
    out = list(clauses)
    for n in range(1, len(clauses)):
        own = words[clauses[n].first : clauses[n].last]
        if _any_could(own):
            # "A, B, C or D. Any could do it.": a sentence of its own whose subject is any
            # of what came before, with a modal of possibility, supposes the sentence before
            here = {clauses[n].sentence, clauses[n - 1].sentence}
            for m in range(n):
                if out[m].sentence in here:
                    out[m] = replace(out[m], hypothetical=True)
            continue
        if not own or "of" not in own or not set(own) <= _ANY_OF:
            continue
        if not {"any", "one", "either"} & set(own) or not {"them", "these", "those"} & set(own):
            continue
        before = out[n - 1]
        if before.sentence == clauses[n].sentence:
            out[n - 1] = replace(before, hypothetical=True)
    return out


def _to_omit(words: tuple[str, ...], verdict: tuple[int, int], hi: int) -> bool:
    """ "It would be careless to skip a check that cheap": a verdict on leaving a thing out
    recommends the thing; the verdict and the omission cancel."""
    k = verdict[1]
    if k < hi and words[k] == "to":
        k += 1
        if k < hi and words[k] in ("just", "simply", "quietly", "ever"):
            k += 1
        return k < hi and stem(words[k]) in OMITTING
    return False


def _done_without(words: tuple[str, ...], clauses: list[Clause]) -> list[Clause]:
    """ "It would be reckless to promote anything in the ASR path (weights or preprocessing)
    without a deterministic eval": a verdict on doing a thing, and the "without" that says
    what it is done without, cut apart by a bracket or a dash, still cancel, as they do in
    one clause."""
    out = list(clauses)
    for n, clause in enumerate(clauses):
        # the verdict comes first and the course of action after it ("it would be reckless
        # to ..."): not "a canary would be a mistake (without traffic it tells us nothing)"
        if not clause.evaluations or clause.triggers:
            continue
        if not any(b < clause.last and words[b] == "to" for _, b in clause.evaluations):
            continue
        for m in range(n + 1, len(clauses)):
            later = out[m]
            if later.sentence != clause.sentence:
                break
            opening = [t for t in later.triggers if t[0] == later.first]
            if opening and words[later.first] == "without":
                out[n] = replace(clause, evaluations=())
                kept = tuple(t for t in later.triggers if t not in opening)
                out[m] = replace(later, triggers=kept)
                break
            if later.triggers or later.evaluations:
                break
    return out


_BOUNDS = frozenset({"beyond", "above", "exceed", "exceeds", "exceeding"})
_LIMITS = frozenset(
    {"budget", "threshold", "limit", "limits", "tolerance", "margin", "x", "n", "agreed", "allowed"}
)
_POSSESSIVES = frozenset({"the", "a", "its", "their", "our", "an", "agreed", "set"})


def _bound(words: tuple[str, ...], trigger: tuple[int, int], lo: int, hi: int) -> bool:
    """ "No slice regressions beyond budget", "must not get worse by more than X": a
    one-word negation bounded by a limit in its clause states a limit, not a denial ("no
    regression beyond noise" still denies: noise is no limit). Not when someone speaks for
    themselves ("I wouldn't allow regressions beyond budget" refuses)."""
    a, b = trigger
    if b - a != 1 or words[a] not in _RULE_DENIALS | {"never"} or set(words[lo:hi]) & _SPEAKERS:
        return False
    for k in range(b, hi - 1):
        limit = words[k + 1]
        bounded = words[k] in _BOUNDS or words[k : k + 2] == ("more", "than")
        after = words[k + 2] if words[k] == "more" and k + 2 < hi else limit
        at = k + (3 if words[k] == "more" else 2)
        if after in _POSSESSIVES and at < hi:  # "beyond the agreed budget"
            after = words[at + 1] if words[at] in _POSSESSIVES and at + 1 < hi else words[at]
        if bounded and (after in _LIMITS or after[:1].isdigit()):
            return True
    return False


def _counterfactuals(words: tuple[str, ...], clauses: list[Clause]) -> list[Clause]:
    """ "If the push hadn't widened the beam, each request would still cost what it did": a
    condition contrary to past fact, whose consequent says what would have been. Its
    denial asserts what happened (the push widened the beam), so the clause is neither
    hypothetical nor negated by that "hadn't"; so is the inverted form ("Had the new voice
    not brought a heavier vocoder, ..."). Its consequent says what the world without it
    would be ("the fallback GPUs would be idle", "embeddings wouldn't have failed over"):
    contrary to fact, so it asserts what is (its denials deny only the world that was not),
    and is no supposition."""
    out = list(clauses)
    for n, clause in enumerate(clauses):
        own = words[clause.first : clause.last]
        at: int | None = None
        span = 1
        if "if" in own[:3]:
            at = next(
                (
                    clause.first + k
                    for k in range(len(own))
                    if any(own[k : k + len(p)] == p for p in _PAST_DENIED)
                ),
                None,
            )
            if at is not None and words[at] != "hadn't":
                span = 2
        elif "had" in own[:2] and own[0] in ("had", "and", "but", "so") and len(own) > 3:
            # "Had the voice not changed, ...", "And had the release not broken ..."
            lead = own.index("had")
            at = next(
                (clause.first + k for k in range(lead + 2, len(own)) if own[k] in ("not", "never")),
                None,
            )
        later = [
            m
            for m in range(n + 1, len(clauses))
            if clauses[m].sentence == clause.sentence
            and _WOULD & set(words[clauses[m].first : clauses[m].last])
        ]
        if at is None or not later:
            continue
        triggers = tuple(t for t in clause.triggers if not (at <= t[0] < at + span))
        out[n] = replace(clause, hypothetical=False, triggers=triggers)
        for m in later:
            then = out[m]
            denials = tuple(
                t for t in then.triggers if t[1] - t[0] == 1 and plain_denial(words[t[0]])
            )
            kept = tuple(t for t in then.triggers if t not in denials)
            out[m] = replace(then, hypothetical=False, triggers=kept)
    return out


_WOULD = frozenset({"would", "wouldn't", "i'd", "we'd", "it'd", "they'd"})


# what goes unseen or does its harm unchecked: a prohibition of it, or a lack blamed for it,
# says the measure that would catch it ("never let a regression go unnoticed")
_UNSEEN = frozenset(
    {
        "hide", "hides", "hiding", "hidden", "hid", "invisible", "unnoticed", "unseen",
        "undetected", "unwatched", "unpaged", "unmonitored", "unalerted", "unbudgeted",
        "silent", "silently", "blind", "blinded", "unchecked", "untested", "unflagged",
    }
)  # fmt: skip
# a harm that a lack brought ("without an alarm, a doubling stays hidden"; "without tests, a
# change can break every model")
_HARMED = _UNSEEN | frozenset(
    {
        "break", "breaks", "broke", "hit", "paid", "pay", "slip", "slips", "slipped",
        "collapse", "collapsed", "guess", "guessing", "blame", "waste", "wasted",
        "suffer", "suffered", "hurt", "miss", "missed", "misses", "mistake", "mistaking",
        "mistaken", "late", "blamed", "blaming",
    }
)  # fmt: skip
_OUTCOME_OPENERS = frozenset(
    {"we", "you", "they", "nobody", "nothing", "everyone", "anyone", "stays", "goes", "remains"}
    | {"we'll", "you'll", "they'll", "it'll", "we'd", "this", "it"}
)
_NOBODY = frozenset({"nobody", "nothing", "never", "noone"})  # "nobody notices"
# an outcome that goes on or comes back ("we'll keep finding out from tickets", "it will
# happen again"): the harm the lack brought, said without a word of harm; not a gain that
# goes on ("we keep shipping fast")
_RECURRING = frozenset({"keep", "keeps", "again", "next"})  # "the next tweak will ..."
_GAINS = frozenset(
    {"faster", "fast", "quick", "quicker", "quickly", "cheaper", "simpler", "easier", "less"}
    | {"fewer", "light", "lightweight"}
    | {"save", "saves", "saving", "lean", "nimble", "sooner", "earlier"}
)
# a prohibition: what it forbids is the harm ("don't let X hide Y", "never again should ...")
_FORBIDDING = frozenset({"never", "don't", "mustn't", "shouldn't", "no"})


def _forbids(words: tuple[str, ...], trigger: tuple[int, int]) -> bool:
    """The trigger is a prohibition: "never", "don't", ..., or "no" only as "no more"
    ("no more fleet-wide rollouts"; a bare "no" names what is absent)."""
    a, b = trigger
    return words[a] in _FORBIDDING and (words[a] != "no" or words[b : b + 1] == ("more",))


# a lack blamed for what followed ("not paging on it is what made this invisible")
_BLAMED = frozenset(
    {"let", "lets", "kept", "made", "hid", "caused", "allowed", "slowed", "cost", "blinded"}
)
_BLAMING = (("is", "what"), ("is", "why"), ("is", "how"), ("was", "what"), ("was", "why"))


def _blames(words: tuple[str, ...], lo: int, hi: int) -> bool:
    """Words [lo, hi) blame their subject for what followed: "is what let ...", "is why
    ...", "let it slip"."""
    return any(words[k] in _BLAMED or words[k : k + 2] in _BLAMING for k in range(lo, hi))


_WEIGHING = frozenset(
    {"considered", "discussed", "evaluated", "weighed", "proposed", "debated", "explored"}
)
_WEIGHING |= frozenset({"looked", "reviewed", "assessed", "investigated", "trialled", "tried"})
_REJECTING = frozenset({"rejected", "dropped", "shelved", "vetoed", "discarded", "abandoned"})
_OUTRIGHT = frozenset({"rejected", "vetoed", "shelved", "discarded", "nixed"})
# a rejection's own adjunct, not another object ("rejected in favour of ...", "dropped as
# too noisy")
_ADJUNCTS = frozenset({"in", "as", "for", "because", "since", "after", "on", "outright"})


def _weighed_and_rejected(words: tuple[str, ...], clauses: list[Clause]) -> list[Clause]:
    """ "We considered a retry budget but rejected it", "slice gates were discussed and
    dropped": a rejection after "but" or "and" of what was weighed before it in its
    sentence (the rejection says no object of its own, or points back) turns the weighing
    down, and the clause of the rejection with it."""
    out = list(clauses)
    for n, clause in enumerate(clauses):
        # "We rejected a latency gate for voices, ...": a first person opening on a past
        # rejection turns its object down, weighed or not ("we dropped the canary" may be
        # what went wrong, and stands)
        opener = words[clause.first : clause.first + 2]
        if opener[:1] in (("we",), ("i",)) and opener[1:] and opener[1] in _OUTRIGHT:
            out[n] = _down(out[n])
            continue
        for k in range(clause.first + 1, clause.last):
            if words[k - 1] not in ("but", "and", "we"):
                continue
            if words[k] == "decided":
                # "... and decided against it", "... and decided the bill alert suffices"
                rest = words[k + 1 : clause.last + 8]
                if rest[:1] != ("against",) and not _SUFFICING.intersection(rest):
                    continue
            elif words[k] not in _REJECTING:
                continue
            elif k + 1 < clause.last and words[k + 1] not in _POINTERS | _ADJUNCTS:
                continue  # "... and rejected the fleet page": another thing rejected
            weighed = [
                m
                for m in range(n, -1, -1)
                if clauses[m].sentence == clause.sentence
                and _WEIGHING.intersection(
                    words[clauses[m].first : k if m == n else clauses[m].last]
                )
            ]
            if weighed:
                for m in range(min(weighed), n + 1):
                    out[m] = _down(out[m])
            break
    return out


# a move made to everything at once: what a staged rollout prevents
_AT_ONCE = (
    ("at", "once"),
    ("in", "one", "go"),
    ("in", "one", "step"),
    ("in", "a", "single", "step"),
    ("in", "one", "shot"),
    ("fleet", "wide"),
    ("to", "all", "traffic"),
    ("straight", "to", "the", "whole"),
    ("big", "bang"),
)
_STAGING = frozenset(stem(w) for w in ("staged", "canary", "gradual", "ramp", "phased"))


def _all_at_once_forbidden(
    words: tuple[str, ...], clauses: list[Clause], lemmas: list[frozenset[str]]
) -> list[Clause]:
    """ "Never move a whole cohort to a new gateway in one step again", "no more fleet-wide
    rollouts": a prohibition of a move made to everything at once proposes the staged
    rollout that prevents it, whatever the move's words. The move's mark ("in one step")
    stands for the staging, and the prohibition and the harm cancel. Not where the clause
    names a staging of its own ("don't canary it, ship it all at once" refuses the canary).
    `lemmas` is updated in place."""
    out = list(clauses)
    for n, clause in enumerate(clauses):
        lo, hi = clause.first, clause.last
        if any(stem(w) in _STAGING for w in words[lo:hi]):
            continue
        mark = next(
            (
                (k, k + len(m))
                for k in range(lo, hi)
                for m in _AT_ONCE
                if words[k : k + len(m)] == m and k + len(m) <= hi
            ),
            None,
        )
        if mark is None:
            continue
        bans = [
            t for t in clause.triggers if t[0] < mark[0] and t[1] - t[0] == 1 and _forbids(words, t)
        ]
        # "stop pushing it to everyone in one go"; "it must be impossible to change it
        # fleet-wide in one push": no negation of its own, the same prohibition
        impossible = any(_impossible(words, lo, k, ("to",)) for k in range(lo + 1, mark[0]))
        if (
            not bans
            and not impossible
            and not any(_stopped(words, k, lo) for k in range(lo + 1, mark[0]))
        ):
            continue
        for k in range(*mark):
            lemmas[k] = lemmas[k] | _STAGING
        out[n] = replace(clause, triggers=tuple(t for t in clause.triggers if t not in bans))
    return out


# what a measure does, left undone ("unpaged", "unmonitored")
_DONE = frozenset(
    {"paged", "budgeted", "monitored", "alerted", "watched", "tested", "canaried", "checked"}
)


_LETTING = frozenset({"let", "letting", "leave", "leaving", "allow", "go", "stay", "remain"})


def _undone(word: str) -> bool:
    """A participle of a thing left undone: "unpaged", "unbudgeted", "unmonitored"."""
    return word.startswith("un") and word.endswith("ed") and len(word) > 6 and word[2:] in _DONE


_THERE = frozenset({"there", "we", "you", "they", "still", "yet", "anyone", "anybody"})


def complains(words: Sequence[str]) -> bool:
    """A why-question that denies a thing is there ("why is there still no alert on X",
    "why don't we have a churn metric", "why do we still not page on it"): the denial
    comes within its first words, said of what there is, not inside what the question
    names ("why promote a build that was never shadowed?" asks why do the harm)."""
    if practice_lacking(words):
        return True  # "why on earth do we ... without X?", "how on earth did ... without X?"
    if list(words[:1]) != ["why"]:
        return False
    head = list(words[1:6])
    k = next((i for i, w in enumerate(head) if _denial(w)), None)
    return (
        k is not None
        and not _RELATIVES.intersection(head[:k])
        and (head[k].endswith("n't") or bool(_THERE.intersection(head[:k])))
    )


def _complaints(
    text: str, words: tuple[str, ...], spans: list[tuple[int, int]], clauses: list[Clause]
) -> list[Clause]:
    """ "Why is there still no alert on cost per request?", "why don't we have a churn
    metric yet?": a why-question that denies a thing complains of its absence, and so asks
    for it, as "why not ...?" does; its negation is the complaint, not a denial."""
    sentences: dict[int, list[Clause]] = {}
    for clause in clauses:
        sentences.setdefault(clause.sentence, []).append(clause)
    asking = {
        s
        for s, own in sentences.items()
        if complains(words[own[0].first : own[-1].last])
        and "?" in text[spans[own[-1].last - 1][1] :][:3]
    }
    out = list(clauses)
    for n, clause in enumerate(clauses):
        if clause.sentence not in asking:
            continue
        kept = tuple(t for t in clause.triggers if t[1] - t[0] > 1 or not _denial(words[t[0]]))
        if kept != clause.triggers:
            out[n] = replace(clause, triggers=kept)
    return out


# what an incident did, that "never again" forbids: a harm, or a thing let through
_INCIDENT = frozenset(stem(w) for w in ("pass", "reach", "slip", "hit", "double")) | _PASSING


def _recurrence_forbidden(
    words: tuple[str, ...], trigger: tuple[int, int], lo: int, hi: int
) -> bool:
    """ "Never again should a voice that breaks its budget get promoted", "never again should
    one cohort suffer while the dashboards stay green": "never again" forbids the incident
    coming back, and the incident is a harm or a thing let through, not the measure; what
    the clause says is the practice that stops it, so the two cancel. Not where someone
    speaks for themselves ("never again will we add a gate")."""
    a = trigger[0]
    if words[a : a + 2] != ("never", "again") or a > lo + 1 or set(words[lo:hi]) & _SPEAKERS:
        return False
    rest = words[a + 2 : hi]
    return bool(_HARMED.intersection(rest)) or any(stem(w) in _INCIDENT for w in rest)


def _harm_denied(
    text: str,
    words: tuple[str, ...],
    spans: list[tuple[int, int]],
    clauses: list[Clause],
    lemmas: list[frozenset[str]],
) -> list[Clause]:
    """A measure said by the harm of its absence, whatever the measure's words.

    - A lack set before what it brought: "without an alarm on the share, nobody notices";
      "without per-cohort alerts, a regression stays invisible": the "without" and the
      outcome's own negations govern only their own stretch, and the measure stands.
    - A prohibition of a harm of concealment: "never let the aggregate hide a slice",
      "don't let latency go unwatched": the denial and the concealment cancel.
    - A lack blamed for the harm: "not paging on the share is what made this invisible",
      "not having a budget let it slip": the lack is the fault, its cure the measure.
    """
    out = list(clauses)
    for n, clause in enumerate(clauses):
        lo, hi = clause.first, clause.last
        triggers = list(out[n].triggers)
        segments = list(out[n].segments)
        changed = False
        for a, b in list(triggers):
            if (a, b) not in triggers:
                continue
            # "we were flying blind without X", "regressions stay invisible without X": a
            # concealment said first, then the lack that brought it
            if b - a == 1 and words[a] == "without" and _UNSEEN.intersection(words[lo:a]):
                triggers.remove((a, b))
                segments = [s for s in segments if s[0] != a]
                changed = True
                continue
            if _cannot_go_on(words, (a, b), hi):
                triggers.remove((a, b))
                changed = True
                continue
            # ("even without X, Y" concedes that Y comes anyway: X is not needed)
            if b - a == 1 and words[a] == "without" and a <= lo + 1 and words[lo] != "even":
                comma = next(
                    (k for k in range(a + 1, hi) if "," in text[spans[k - 1][1] : spans[k][0]]),
                    hi,
                )
                if comma < hi:
                    rest, later = (comma, hi), [t for t in triggers if t[0] >= comma]
                elif (
                    n + 1 < len(clauses)
                    and clauses[n + 1].sentence == clause.sentence
                    and "," in text[spans[hi - 1][1] : spans[hi][0]]
                ):
                    nxt = clauses[n + 1]
                    rest, later = (nxt.first, nxt.last), list(nxt.triggers)
                else:
                    # no comma ("without a churn metric flicker stays invisible"): the
                    # outcome opens at its subject pronoun or at its linking verb
                    comma = next((k for k in range(a + 2, hi) if words[k] in _OUTCOME_OPENERS), hi)
                    if comma == hi:
                        continue
                    rest, later = (comma, hi), [t for t in triggers if t[0] >= comma]
                outcome = set(words[rest[0] : rest[1]])
                recurs = _RECURRING & outcome and not _GAINS & outcome
                if later or (_HARMED | _NOBODY) & outcome or recurs:
                    triggers.remove((a, b))
                    segments = [s for s in segments if s[0] != a]
                    segments += [(t[0], comma, hi) for t in later if comma < hi]
                    changed = True
                continue
            if _recurrence_forbidden(words, (a, b), lo, hi):
                triggers.remove((a, b))
                changed = True
                continue
            if _forbids(words, (a, b)):
                letting = _LETTING.intersection(words[b:hi])
                undone = [k for k in range(b, hi) if _undone(words[k])] if letting else []
                if _UNSEEN.intersection(words[b:hi]) or undone:
                    triggers.remove((a, b))
                    changed = True
                    # "never let latency go unbudgeted": what is left undone is now done
                    for k in undone:
                        done = words[k][2:]
                        lemmas[k] = lemmas[k] | lemma_stems(done) | {stem(done)}
                continue
            if (
                words[a] in ("not", "never")
                and a <= lo + 1
                and a + 1 < hi
                and words[a + 1].endswith("ing")
                and _blames(words, a + 2, hi)
            ):
                triggers.remove((a, b))
                changed = True
        if changed:
            out[n] = replace(out[n], triggers=tuple(triggers), segments=tuple(segments))
    return out


# what goes on that cannot: finding out late, missing, guessing ("we can't keep learning
# about it from tickets", "we can't keep missing a cohort's collapse")
_FINDING_LATE = frozenset(
    stem(w) for w in ("learn", "find", "discover", "hear", "miss", "guess", "rely", "depend")
)


def _cannot_go_on(words: tuple[str, ...], trigger: tuple[int, int], hi: int) -> bool:
    """ "We can't keep learning about a cohort's lag from support tickets", "we can't go on
    missing regressions in the averages": what cannot go on is a harm (finding out late,
    missing, guessing, or a harm word after it), so the denial forbids the harm and the
    measure stands. Not a practice that costs ("we can't keep paying for a canary on every
    push" argues against the canary)."""
    a, b = trigger
    if b - a != 1 or words[a] not in ("can't", "cannot") or b + 1 >= hi:
        return False
    if words[b] in ("keep", "continue"):
        k = b + 1
    elif words[b : b + 2] == ("go", "on"):
        k = b + 2
    else:
        return False
    if k >= hi or not words[k].endswith("ing"):
        return False
    return stem(words[k]) in _FINDING_LATE or bool(_HARMED.intersection(words[k + 1 : hi]))


# a copula that passes a verdict on its subject ("X would be a mistake", "X seems unwise")
_COPULAS = frozenset(
    {"is", "are", "was", "were", "be", "been", "being", "it's", "that's", "seems", "seem"}
    | {"seemed", "sounds", "sound", "looks", "look", "feels", "feel", "becomes", "become"}
    | {"proves", "prove", "strikes", "remains"}
)
# what may stand between the copula and its verdict ("would be a really costly mistake")
_PREDICATE_FILLERS = frozenset(
    {"a", "an", "the", "really", "very", "big", "huge", "real", "serious", "clear", "clearly"}
    | {"total", "complete", "such", "quite", "pretty", "just", "simply", "probably", "me"}
    | {"definitely", "likely", "like", "as", "another", "costly", "expensive", "grave", "not"}
    | {"major", "fundamental", "honestly", "frankly", "always", "usually", "actually", "no"}
    | {"bit", "of", "kind", "sort", "rather", "somewhat", "more", "most", "too", "to"}
    | {"extra", "pure", "needless", "unnecessary", "added"}
)


_ALONE = frozenset({"alone", "itself", "themselves"})


def _evaluations(words: tuple[str, ...], lo: int, hi: int, lex: Lexicon) -> list[tuple[int, int]]:
    """Verdicts on a course of action in words [lo, hi): an evaluation in the predicate of a
    copula ("X would be a mistake", "it seems unwise to X", "X is not a good idea") or a verb
    of one ("X would backfire", "X does more harm than good"), as word spans."""
    out = spans_of(words, lex.evaluative, lo, hi)
    out.extend(_costs_more(words, lo, hi))
    for k in range(lo, hi):
        if words[k] not in _COPULAS:
            continue

        j = k + 1
        while j < min(hi, k + 5) and words[j] in _PREDICATE_FILLERS:
            j += 1
        found = next((p for p in lex.evaluations if words[j : j + len(p)] == p), None)
        if found is not None and j + len(found) <= hi:
            out.append((j, j + len(found)))
        if not _ALONE & set(words[lo:k]):
            # "the total bill alone is too coarse": excess said of what there is alone
            # argues for the measure ("MOS alone would be a mistake" is still a verdict)
            out.extend(_excess(words, k, hi))
        out.extend(_praised_elsewhere(words, k, hi))
    return sorted(set(out))


# a cost weighed against what the measure brings back, whatever the verbs ("would cost more
# than it gives back", "takes more than it returns", "eats more time than it saves")
_COSTING = frozenset(
    {"cost", "costs", "costing", "take", "takes", "eat", "eats", "burn", "burns", "consume"}
    | {"consumes", "add", "adds", "demand", "demands"}
)
_RETURNING = frozenset({"it", "they", "it'd", "it'll", "they'd", "that"})


def _costs_more(words: tuple[str, ...], lo: int, hi: int) -> list[tuple[int, int]]:
    """ "X would cost more than it gives back": a verb of cost, "more" (with what is spent
    between: "eats more time than"), "than" and the measure as the subject of what it
    returns; not "costs more than the old pool" (a comparison of two things)."""
    out = []
    for k in range(lo, hi):
        if words[k] not in _COSTING:
            continue
        more = next((j for j in range(k + 1, min(k + 4, hi)) if words[j] == "more"), None)
        if more is None or words[more + 1 : more + 2] != ("than",):
            continue
        if more + 3 < hi + 1 and words[more + 2 : more + 3] and words[more + 2] in _RETURNING:
            out.append((k, more + 2))
    return out


_PRAISE = frozenset(
    {"great", "nice", "lovely", "ideal", "useful", "helpful", "perfect", "sensible", "valuable"}
    | {"good", "fine", "reasonable", "neat", "smart", "solid"}
)
_PRAISED = frozenset({"metric", "idea", "fit", "addition", "tool", "thing", "practice", "option"})
# another setting than the writer's: its size or maturity ("for a bigger team", "with a
# smaller fleet", "for a mature FinOps setup", "for a system with deep call chains")
_SETTINGS = frozenset(
    {"team", "teams", "fleet", "setup", "product", "org", "company", "system", "platform"}
    | {"shop", "scale", "organisation", "organization", "stack", "orgs", "companies"}
)
_SIZES = frozenset(
    {"bigger", "larger", "smaller", "large", "big", "huge", "mature", "different", "fewer"}
    | {"few", "deep", "deeper", "many", "more", "massive", "tiny", "simpler", "richer"}
)


def _praised_elsewhere(words: tuple[str, ...], copula: int, hi: int) -> list[tuple[int, int]]:
    """Praise kept for another setting than the writer's ("per-stage budgets would be great
    for a large platform team", "cost per request is a great metric for a mature FinOps
    setup", "... would be great with a smaller fleet"): a concession that argues against the
    measure here, as "makes sense elsewhere" does. The setting needs its size or maturity:
    "great for a release like this one" and "great for us" are praise."""
    j = copula + 1
    while j < min(hi, copula + 5) and words[j] in _PREDICATE_FILLERS:
        j += 1
    if j >= hi or words[j] not in _PRAISE:
        return []
    k = j + 1 + (j + 1 < hi and words[j + 1] in _PRAISED)
    if k < hi and _later_on(words, k, hi):
        return [(j, k + 1)]  # "a fine idea for later", "great, once we have a bigger team"
    if k >= hi or words[k] not in ("for", "with", "in", "at"):
        return []
    setting = set(words[k + 1 : min(hi, k + 8)])
    if setting & {"ours", "us", "our", "this", "here", "we"}:
        return []  # "great for a fleet like ours": the writer's own setting
    return [(j, k + 1)] if setting & _SETTINGS and setting & _SIZES else []


def _contrast_follows(reading: Reading, clause: Clause) -> bool:
    """The next clause of the sentence opens on "but" or "rather" ("not for us, but for the
    users"): the "not" is one side of a contrast, no verdict."""
    n = reading.clauses.index(clause)
    nxt = reading.clauses[n + 1] if n + 1 < len(reading.clauses) else None
    return (
        nxt is not None
        and nxt.sentence == clause.sentence
        and reading.words[nxt.first] in ("but", "rather", "instead")
    )


_OWN_SETTING = frozenset({"us", "ours", "our", "this", "here", "now", "me"})
_HAVING = frozenset({"have", "get", "grow", "hire", "scale", "staff", "find", "are", "'re"})


def _later_on(words: tuple[str, ...], k: int, hi: int) -> bool:
    """Praise kept for another time: "for later", "later", "eventually", "someday", "down the
    road", "next year", or a time the writer's team waits on ("once we have a bigger team",
    "when we get headcount"); not a condition of the measure ("great when a voice ships")."""
    w = words[k]
    if w in _LATER or (w == "for" and words[k + 1 : k + 2] == ("later",)):
        return True
    if w in ("next", "one", "some", "down") and any(p in _PERIODS for p in words[k + 1 : k + 3]):
        return True
    return (
        w in ("once", "when", "after")
        and words[k + 1 : k + 2] in (("we",), ("we're",))
        and k + 2 < hi
        and words[k + 2] in _HAVING
    )


# a modal that foretells, said of a thing (a speaker's "we'll block it" is a choice)
_FORETELLING = frozenset({"would", "will", "could", "might", "it'd", "it'll", "that'd", "that'll"})
_FORETELLING |= frozenset({"they'd", "they'll", "which'd", "you'll"})
_ON_THE_WAY = frozenset({"just", "only", "also", "probably", "likely", "basically", "simply"})
_ON_THE_WAY |= frozenset({"end", "up", "then", "soon", "quickly", "really", "definitely"})
_ON_THE_WAY |= frozenset({"eventually", "constantly", "always", "inevitably", "mostly", "have"})
# "would have us shipping", "would push us toward", "would train people to ignore pages":
# a verb that puts its object (the team, the users) somewhere it should not be
_STEERING = frozenset(stem(w) for w in ("have", "push", "train", "force", "leave", "keep"))
_STEERED = frozenset({"us", "people", "them", "everyone", "teams", "engineers", "users", "you"})
_STEERED |= frozenset({"on-call", "oncall", "on", "responders", "operators", "folks", "devs"})
_THIS = frozenset({"the", "this", "that", "it", "these", "those"})
_KEPT = frozenset({"stuck", "from", "waiting", "guessing", "behind", "hostage"})
# what ends a verb's object ("would block them during outages": not "outages")
_OBJECT_ENDS = frozenset({"during", "in", "on", "at", "when", "for", "because", "since"})
_OBJECT_ENDS |= frozenset({"while", "until", "every", "whenever", "if", "and", "or", "so"})


def _harms(
    words: tuple[str, ...], lo: int, hi: int, lex: Lexicon, setting: int | None = None
) -> list[tuple[int, int]]:
    """A bad outcome foretold for what the clause is about ("a hard gate would block most
    releases", "it would have us shipping worse voices forever", "teams would stop trusting
    it"): the modal to the verb, as a span. A harm verb whose object is itself a harm ("would
    block a bad voice", "would slow a runaway retry storm") and every good outcome ("would
    catch", "would stop the storm") are no verdict against it. `setting`: where a condition
    said just before the clause begins, for what a pronoun or the subject stands for."""
    out = []
    setting = lo if setting is None else setting
    for k in range(lo, hi - 1):
        if words[k] not in _FORETELLING or (k > lo and words[k - 1] in ("what", "which")):
            continue  # "what would have blocked the rollout?" asks for the measure
        if k > lo and words[k - 1] in _PERSONS:
            continue  # the speaker's own plan ("I would break quality down by slice"), as "I'd" is
        j = k + 1
        while (
            j < hi and words[j] in _ON_THE_WAY and not _STEERED.intersection(words[j + 1 : j + 2])
        ):
            j += 1  # but in "would have us shipping" "have" is the verb
        if j >= hi:
            continue
        verb = {stem(words[j])} | lemma_stems(words[j])
        rest = words[j + 1 : hi]
        obj = []
        for w in rest[:6]:
            if w in _OBJECT_ENDS:
                break
            obj.append(w)
        if "have" in words[k + 1 : j] and obj[:1] and obj[0] in _THIS:
            harmful = False  # "would have blocked the rollout": this incident's change
        elif words[j] in _PASSIVE and j + 1 < hi:
            # "nearly every change would be blocked": the harm falls on the subject, and a
            # bad subject ("a faulty voice would be blocked") makes it a remedy
            done = {stem(words[j + 1])} | lemma_stems(words[j + 1])
            harmful = bool(done & lex.harms) and not lex.remedied.intersection(words[setting:k])
        elif verb & _STEERING:
            harmful = bool(rest) and rest[0] in _STEERED
            if harmful and stem(words[j]) == stem("keep"):
                harmful = len(rest) > 1 and rest[1] in _KEPT
        elif stem(words[j]) == "stop":  # "would stop trusting it", not "would stop the storm"
            harmful = bool(rest) and rest[0].endswith("ing")
        else:
            # "would block it" after "if a merge regresses a slice": what "it" is was said
            said = obj + list(words[setting:lo]) if obj[:1] and obj[0] in _POINTERS else obj
            harmful = bool(verb & lex.harms) and not lex.remedied.intersection(said)
        if harmful:
            out.append((k, j + 1))
    return (
        out
        + _turned_into(words, lo, hi, lex)
        + _taught_to_neglect(words, lo, hi)
        + _expected_noise(words, lo, hi)
    )


_TEACHING = frozenset({"trains", "teaches", "conditions", "pushes", "forces", "gets"})
_NEGLECT = frozenset({"ignore", "mute", "distrust", "skip", "dread", "snooze", "silence", "bypass"})


_LEARNING = frozenset({"learn", "learns", "learned", "learnt", "learning"})


_EXPECTING = frozenset({"expect", "fear", "anticipate", "foresee", "worry", "worried"})
_NOISE = frozenset({"noise", "noisy", "fatigue", "flapping", "toil", "spam", "spammy", "false"})
_LESS = frozenset({"fewer", "less", "no", "without", "reduce", "reduces", "cut", "avoid", "catch"})
_LESS |= frozenset({"lower", "instead", "not", "stop", "stops", "end", "ends", "than"})


def _expected_noise(words: tuple[str, ...], lo: int, hi: int) -> list[tuple[int, int]]:
    """ "With this many cohorts I'd expect a lot of noisy pages", "I worry about alert
    fatigue from that many combinations": a first person expecting noise from the measure
    argues against it; not "I'd expect fewer false alarms", nor noise the measure cuts."""
    out = []
    for k in range(lo, hi):
        if words[k] not in _EXPECTING or k == lo or words[k - 1] not in _DECIDERS | {"would"}:
            continue
        for j in range(k + 1, min(hi, k + 9)):
            if words[j] in _LESS:
                break
            if words[j] in _NOISE:
                out.append((k, j + 1))
                break
    return out


def _taught_to_neglect(words: tuple[str, ...], lo: int, hi: int) -> list[tuple[int, int]]:
    """ "Alerting on it trains on-call to ignore pages": a measure said, in the present, to
    teach the team to neglect what it is for (as "would train people to ignore pages" is
    foretold); "trains on-call to check the fallback share" is no harm."""
    out = []
    for k in range(lo, hi - 2):
        if words[k] in _LEARNING and words[k + 1] == "to" and words[k + 2] in _NEGLECT:
            out.append((k, k + 3))  # "people would learn to ignore it": taught, by the measure
            continue
        if words[k] not in _TEACHING or k + 3 >= hi or words[k + 1] not in _STEERED:
            continue
        j = k + 2 + (words[k + 1] == "on" and words[k + 2 : k + 3] == ("call",))
        if j + 1 < hi and words[j] == "to" and words[j + 1] in _NEGLECT:
            out.append((k, j + 2))
    return out


_PASSIVE = frozenset({"be", "get"})
_TURNING = frozenset({"turn", "turns", "turned", "turning"})
_WITHOUT = frozenset({"without", "no", "not", "never"})


def _turned_into(words: tuple[str, ...], lo: int, hi: int, lex: Lexicon) -> list[tuple[int, int]]:
    """ "Paging on it turns resilience into toil", "a budget would turn each blip into lost
    results": what the clause is about said to make something bad, in any tense. A good
    result ("turns a storm into a trickle") is none, nor the harm of going without the
    measure ("without a budget, retries turn a blip into an outage": its reason)."""
    out = []
    for k in range(lo, hi):
        if words[k] not in _TURNING:
            continue
        into = next((i for i in range(k + 1, min(hi, k + 9)) if words[i] == "into"), None)
        if into is None or _WITHOUT.intersection(words[lo:k]):
            continue
        made = words[into + 1 : min(hi, into + 5)]
        if lex.bad_outcomes.intersection(made):
            out.append((k, k + 1))
    return out


def _excess(words: tuple[str, ...], copula: int, hi: int) -> list[tuple[int, int]]:
    """ "X is too heavy", "X is far too fine-grained to maintain": a measure said to be more
    than it should be, in the predicate of its copula, is judged against ("not too costly"
    cancels, as two negatives do). A condition ("page when it gets too slow") is read as
    what it checks, before this is asked."""
    for j in range(copula + 1, min(hi - 1, copula + 4)):
        if words[j] == "too":
            nxt = words[j + 1]
            pos = getAllLemmas(nxt)
            return [(j, j + 2)] if "ADJ" in pos or "ADV" in pos or nxt == "much" else []
        if words[j] not in _PREDICATE_FILLERS:
            return []
    return []


def _contrasts(
    text: str, words: tuple[str, ...], spans: list[tuple[int, int]], a: int, lo: int
) -> bool:
    """A "not" that sets what follows against what came before ("sent to the small model
    and not to the large one", "…, but not the finals"): it governs only what follows."""
    if words[a] != "not" or a <= lo:
        return False
    return words[a - 1] in ("and", "but") and a - 1 > lo


_PREPOSITIONS = frozenset({"with", "on", "against", "across", "using", "over", "through", "into"})
_FORWARD = frozenset({"without", "no"})  # determiners of negation: they govern what follows


# verbs of putting a hypothesis forward (as stems): said by someone else, or in the
# passive, what they put forward is reported, not asserted by the writer
_REPORTING = frozenset(
    stem(w)
    for w in (
        *("say", "said", "suggest", "float", "propose", "claim", "argue", "speculate"),
        *("theorise", "theorize", "mention", "blame", "point", "raise", "bring", "come", "think"),
        *("suspect", "reckon", "insist", "believe", "wonder"),
    )
)
# who else may put it forward ("some say", "people will point at", "somebody floated")
_OTHERS = frozenset(
    {"some", "someone", "somebody", "people", "others", "folks", "colleague", "colleagues"}
    | {"everyone", "everybody", "many", "several", "teammates", "anyone", "channel", "they"}
)
_BE = frozenset({"is", "are", "was", "were", "been", "being", "be", "got", "get"})
# "raised", "came up", "brought up" are also a change or a start ("the beam width was
# raised", "replicas came up cold"): reported only before "as", "in", "earlier", ...
_AMBIGUOUS_REPORTS = frozenset(stem(w) for w in ("raise", "come", "bring"))
_REPORT_TAILS = frozenset({"as", "earlier", "again", "twice", "during", "in", "both"})


_NOT_NAMES = frozenset({"i", "i'd", "i'm", "i'll", "i've", "tl", "dr", "ok", "okay"})


def _people(source: str, words: tuple[str, ...], spans: list[tuple[int, int]]) -> frozenset[int]:
    """Where a person is named: a capitalised word that no dictionary knows ("Sam", "Rina"),
    not a product's name in capitals or digits ("ASR", "A100")."""
    out = set()
    for k, w in enumerate(words):
        surface = source[spans[k][0] : spans[k][1]]
        if (
            w.isalpha()
            and surface[:1].isupper()
            and surface[1:].islower()
            and w not in _NOT_NAMES
            and not getAllLemmas(w)
        ):
            out.add(k)
    return frozenset(out)


def _reported(
    words: tuple[str, ...], lo: int, hi: int, people: frozenset[int] = frozenset()
) -> bool:
    """The clause reports a hypothesis someone put forward, not the writer's claim: a verb
    of putting forward said by others ("some say X", "people will point at X", "somebody
    floated X"), or in the passive ("X was floated", "X was raised as a possibility"),
    or a topic that came up ("X came up in the channel")."""
    for k in range(lo, hi):
        w = words[k]
        if not ({stem(w)} | lemma_stems(w)) & _REPORTING:
            continue
        ambiguous = bool(({stem(w)} | lemma_stems(w)) & _AMBIGUOUS_REPORTS)
        tail = words[k + 1 : k + 3]
        if ambiguous:
            raised = w.startswith("rais")
            if not raised and tail[:1] != ("up",):
                continue  # "brought in a bigger model" is a change, "brought up" a topic
            if tail[:1] == ("up",):
                tail = tail[1:]
            before = words[max(lo, k - 2) : k]
            if not (set(tail[:1]) & _REPORT_TAILS or "both" in before):
                continue
            if tail[:1] == ("in",) and raised:
                continue  # "raised in the config push" is the change itself
        subject = words[max(lo, k - 4) : k]
        if _OTHERS.intersection(subject) and "i" not in subject and "we" not in subject:
            return True
        if k - 1 >= lo and k - 1 in people and not ambiguous:
            return True  # a colleague named as the one who says it ("Sam blames the retries")
        passive = [x for x in subject[-2:] if x not in ("both", "also", "all", "often")]
        if passive and passive[-1] in _BE and w.endswith(("ed", "ought")):
            return True
        if ambiguous and stem(w) != stem("raise"):
            return True  # "X came up in the channel", "X was brought up earlier"
    return False


def _segments(
    text: str,
    words: tuple[str, ...],
    spans: list[tuple[int, int]],
    lo: int,
    hi: int,
    triggers: list[tuple[int, int]],
) -> tuple[tuple[int, int, int], ...]:
    """A verdict said of its own subject after a comma ("FAB gate on promote, MOS
    irrelevant") governs that stretch only, when what came before the comma is a point of
    its own; after a bare topic ("latency gates, canaries are overkill") it governs both."""
    out = []
    for a, _ in triggers:
        opening = a == lo or (a == lo + 1 and words[lo] in _OPENING)
        if opening and words[a] == "without":
            # "Without raw audio, I'd compare the aggregates": a constraint set before the
            # main clause governs its own phrase, up to the comma
            comma = next(
                (k for k in range(a + 1, hi) if "," in text[spans[k - 1][1] : spans[k][0]]), hi
            )
            if comma < hi and _has_finite(words, comma, hi, lexicon()):
                out.append((a, lo, comma))
                continue
        start = next(
            (k for k in range(a, lo, -1) if "," in text[spans[k - 1][1] : spans[k][0]]), lo
        )
        if start in (lo, a) or {"and", "or", "nor"} & set(words[start:a]):
            continue  # "A, B or C are not needed": an enumeration awaiting its verb
        before = text[spans[lo][0] : spans[start - 1][1]]
        if "," in before:
            continue
        if makes_point(before, policy=False):
            out.append((a, start, hi))
    return tuple(out)


def _directs(words: tuple[str, ...], at: int, lo: int) -> bool:
    """A checking verb said as an instruction ("check ...", "we should verify ..."), not
    as the subject of a verdict ("checking X isn't needed")."""
    before = words[at - 1] if at > lo else ""
    return at == lo or before in _DIRECTING


_DIRECTING = frozenset(
    {"to", "and", "then", "also", "first", "should", "must", "would", "will", "i'd", "we'd"}
    | {"we", "i", "always", "please", "can", "could", "we'll", "i'll"}
)


def _judges(words: tuple[str, ...], after: int, hi: int, lex: Lexicon) -> bool:
    """A negation that passes a verdict ("isn't worth it", "isn't needed")."""
    if after >= hi:
        return True
    return words[after] in lex.anaphora or words[after] in _VERDICTS


_VERDICTS = frozenset(
    {"worth", "needed", "necessary", "required", "useful", "helpful", "important", "a"}
    | {"the", "an", "really", "that", "very", "much", "enough", "needed", "relevant"}
)


def _attributive(words: tuple[str, ...], trigger: tuple[int, int], lo: int, lex: Lexicon) -> bool:
    """A one-word trigger that only describes the noun after it ("the unchanged ASR
    weights", "with flat RPM"), not one said of the subject ("it's an unlikely cause")."""
    a, b = trigger
    if b - a != 1 or words[a] not in lex.attributive or a == lo:
        return False
    before = words[a - 1]
    if before not in lex.determiners and before not in _PREPOSITIONS:  # "on identical fixtures"
        return False
    if before in ("it", "them"):  # "we consider it unlikely": a pronoun's complement
        return False
    return not (a - 2 >= lo and words[a - 2] in lex.finite)


def _anaphora(
    text: str,
    words: tuple[str, ...],
    spans: list[tuple[int, int]],
    clauses: list[Clause],
    lex: Lexicon,
) -> list[Clause]:
    """A clause that is only a negation turns down the one before it; "ruled out:" turns
    down the rest of its sentence."""
    out = list(clauses)
    for c, clause in enumerate(clauses):
        own = words[clause.first : clause.last]
        before = text[spans[clause.first - 1][1] : spans[clause.first][0]] if clause.first else ""
        # (the plain polarity, forward: an evaluation is a verdict on a measure only)
        if c > 0 and "(" in before and not clause.triggers and out[c - 1].negated(forward=True):
            out[c] = _down(out[c])  # a parenthesis shares its host's polarity
        if (
            c > 0
            and "," in before
            and own[0] in ("not", "never")
            and out[c - 1].negated(forward=True)
        ):
            out[c] = _down(out[c])  # "we don't need A, not B": the list goes on turned down
        bare = all(w in lex.anaphora or w in lex.negations for w in own)
        # "No more." / "Never again." after a harm says the harm must not recur: it turns
        # down what happened, not the measure said beside it
        bare = bare and not {"more", "again"} & set(own)
        if c > 0 and clause.triggers and bare:  # "it doesn't, so not that"; "(unlikely)"
            if _runs_on(text, spans, clause, clauses, c):  # "A, not because B": B is denied
                out[c + 1] = _down(clauses[c + 1])
            else:
                out[c - 1] = _down(out[c - 1])
        after = (
            text[spans[clause.last - 1][1] : spans[clause.last][0]]
            if clause.last < len(words)
            else ""
        )
        if c > 0 and _sets_aside(words, clause, lex):
            # "X: Y is not the problem", "X (Y) Z isn't the cause": the verdict's subject
            # runs back over a colon or a bracket to where the sentence or a ";" began
            d = c
            while d > 0 and clauses[d - 1].sentence == clause.sentence:
                gap = text[spans[clauses[d].first - 1][1] : spans[clauses[d].first][0]]
                if ";" in gap or not any(mark in gap for mark in ":()[]"):
                    break
                d -= 1
                out[d] = _down(out[d])
        if _asks(text, words, spans, clauses, c):  # "Is it the checkpoint? The routing?"
            out[c] = _with(out[c], hypothetical=True)
        elif _answers_why(text, words, spans, clauses, c):
            out[c] = _with(out[c], assertion=True)  # "Why? The VAD needs a longer silence."
        if c > 0 and own[0] in _CONTRASTS and _conceded_opening(text, words, spans, clauses, c):
            # "Yes, the beam setting changed, but ...": what the opening grants is not the
            # writer's claim
            for d in range(c - 1, -1, -1):
                if clauses[d].sentence != clause.sentence:
                    break
                out[d] = _with(out[d], hypothetical=True)
        if _cleft(own):  # "that's the VAD threshold being too short"
            out[c] = _with(out[c], assertion=True)
        same = c > 0 and clauses[c - 1].sentence == clause.sentence
        if same and _shares_subject(words, clause, lex) and _verdict(words, clause):
            out[c - 1] = _down(out[c - 1])  # "X sounds responsible but mostly slows ..."
        if c > 0 and own[0] == "but" and _concedes(text, words, spans, clause):
            # "late chunks make partials rewrite, yes, but ...": granted, not the cause
            out[c - 1] = _with(out[c - 1], hypothetical=True)
        if c > 0 and out[c - 1].assertion and ":" in before and not _points_back(out[c - 1], words):
            out[c] = _with(out[c], assertion=True)  # "so it's the clients: the SDK's retries"
        if c > 0 and out[c - 1].negated(forward=True) and _opens_correction(own):
            # "X is not the problem here; it is Y": the correction asserts Y
            out[c] = _with(out[c], assertion=True)
        header = all(w in lex.anaphora or w in _HEADER_WORDS for w in own)
        if ":" in after and header and _has(words, lex.dismissals, clause.first, clause.last):
            for d in range(c + 1, len(clauses)):
                if clauses[d].sentence != clause.sentence:
                    break
                out[d] = _down(out[d])
    return out


_MANNER = frozenset({"mostly", "really", "just", "only", "largely", "mainly", "usually", "often"})
_BARE_NEGATIONS = frozenset({"not", "no", "never", "nor", "neither", "none", "without", "cannot"})


def _denial(word: str) -> bool:
    """One word that denies: a bare negation or a negated auxiliary ("isn't", "won't")."""
    return word in _BARE_NEGATIONS or word.endswith("n't")


def bare_denial(word: str) -> bool:
    """A denial of any kind ("not", "no", "never", "nor", "neither", "none", "without",
    "cannot" or an n't): the negation that can govern a cause or a measure."""
    return _denial(word)


def plain_denial(word: str) -> bool:
    """ "not", "no", "never" or a negated auxiliary ("isn't", "won't"): the denial of a
    verdict said of something, narrower than `_denial` ("without", "none", "nor")."""
    return word in ("not", "no", "never") or word.endswith("n't")


def _shares_subject(words: tuple[str, ...], clause: Clause, lex: Lexicon) -> bool:
    """A "but" clause with no subject of its own ("... but mostly slows the team down"):
    its verb is said of the subject of the clause before."""
    own = [w for w in words[clause.first : clause.last] if w not in _MANNER]
    if len(own) < 2 or own[0] not in ("but", "yet"):
        return False
    lead = own[1]
    if lead in lex.subjects or lead in lex.determiners or lead in ("in", "on", "at"):
        return False
    if lead in ("not", "never") and own[2:3] and own[2] not in _PREPOSITIONS | {"for", "to"}:
        return True  # "... is a fine idea but not worth the effort": a verdict, no subject
    return lead in lex.finite or verb_form(lead) is not None or _imperative(lead)


def _verdict(words: tuple[str, ...], clause: Clause) -> bool:
    """The clause holds a verdict ("overkill", "slows the team down", "a waste of time"),
    not only a plain negation ("but didn't change the pool")."""
    return any(b - a > 1 or not _denial(words[a]) for a, b in clause.triggers)


def _runs_on(
    text: str, spans: list[tuple[int, int]], clause: Clause, clauses: list[Clause], c: int
) -> bool:
    """A bare "not" that runs on, with no stop, into the clause after it ("..., not because
    the servers slowed"): it negates what follows, not what came before."""
    if c + 1 >= len(clauses) or clauses[c + 1].sentence != clause.sentence:
        return False
    gap = text[spans[clause.last - 1][1] : spans[clause.last][0]]
    return not gap.strip()


def _with(clause: Clause, **changes: bool) -> Clause:
    return Clause(**{**clause.__dict__, **changes})


def _asks(
    text: str, words: tuple[str, ...], spans: list[tuple[int, int]], clauses: list[Clause], c: int
) -> bool:
    """The clause stands in a question: what is asked is not asserted."""
    sentence = clauses[c].sentence
    last = max(k.last for k in clauses if k.sentence == sentence)
    end = spans[last][0] if last < len(words) else len(text)
    return "?" in text[spans[last - 1][1] : end]


def _points_back(clause: Clause, words: tuple[str, ...]) -> bool:
    """A clause such as "because of that:" points back at a cause already said: what
    follows is its effect."""
    own = words[clause.first : clause.last]
    return own[:2] in (("because", "of"), ("due", "to"), ("as", "a")) and own[-1] in (
        "that",
        "this",
        "it",
        "result",
    )


_WHY = (
    ("why",),
    ("what", "caused"),
    ("what", "introduced"),
    ("what", "changed"),
    ("what's", "the"),
)


def _answers_why(
    text: str, words: tuple[str, ...], spans: list[tuple[int, int]], clauses: list[Clause], c: int
) -> bool:
    """The clause answers a "why" question just asked ("Why? The VAD requires ..."): the
    sentence after a question that opens with "why" or "what caused"."""
    sentence = clauses[c].sentence
    asked = [k for k, cl in enumerate(clauses) if cl.sentence == sentence - 1]
    if not asked or not _asks(text, words, spans, clauses, asked[0]):
        return False
    opening = words[clauses[asked[0]].first : clauses[asked[0]].first + 2]
    return any(opening[: len(w)] == w for w in _WHY)


_CLEFTS = (("it's",), ("it", "is"), ("it", "was"), ("that's",), ("that", "is"), ("this", "is"))
_NOT_CLEFT = frozenset(
    {"why", "how", "what", "because", "not", "possible", "likely", "probably", "also", "still"}
    | {"just", "only", "worth", "clear", "hard", "unclear", "fine", "normal", "true", "a", "an"}
)


def _cleft(own: tuple[str, ...]) -> bool:
    """A clause that opens by naming what it is ("it's the clients", "that's the VAD
    threshold"), not one that describes ("it's slower", "that's why")."""
    for lead in _CLEFTS:
        n = len(lead)
        if own[:n] == lead and len(own) > n + 1:
            after = own[n]
            return after not in _NOT_CLEFT and "ADJ" not in _pos(after)
    return False


def _pos(word: str) -> frozenset[str]:
    return frozenset(getAllLemmas(word))


_CONCESSIONS = frozenset({"yes", "sure", "true", "granted", "agreed", "fine", "ok", "okay"})


def _concedes(text: str, words: tuple[str, ...], spans: list[tuple[int, int]], but: Clause) -> bool:
    """A "but" clause after a concession ("X, yes, but Y"; "sure, but"): X is granted."""
    k = but.first - 1
    return k >= 0 and words[k] in _CONCESSIONS and "," in text[spans[k - 1][1] : spans[k][0]]


_CONTRASTS = frozenset({"but", "though", "however", "yet"})
_GRANTING = frozenset({"yes", "sure", "granted", "admittedly", "true", "agreed", "yeah", "ok"})


def _conceded_opening(
    text: str, words: tuple[str, ...], spans: list[tuple[int, int]], clauses: list[Clause], c: int
) -> bool:
    """A sentence that opens by granting ("Yes, X, but Y"; "Sure, X; but Y"): its first
    word a concession followed by a comma, and the first contrast of the sentence at c."""
    sentence = clauses[c].sentence
    first = next(k for k, cl in enumerate(clauses) if cl.sentence == sentence)
    start = clauses[first].first
    if words[start] not in _GRANTING or start + 1 >= len(words):
        return False
    if "," not in text[spans[start][1] : spans[start + 1][0]]:
        return False
    return not any(words[clauses[d].first] in _CONTRASTS for d in range(first + 1, c))


def _sets_aside(words: tuple[str, ...], clause: Clause, lex: Lexicon) -> bool:
    """The clause is a verdict setting its subject aside ("... is not the problem here")."""
    return bool(spans_of(words, lex.set_aside, clause.first, clause.last))


_CORRECTIONS = (("it's",), ("it", "is"), ("it", "was"), ("that's",), ("instead",), ("rather",))


def _opens_correction(own: tuple[str, ...]) -> bool:
    """A clause that opens as the correction of a turned-down one ("...; it's Y")."""
    lead = tuple(w for w in own[:3] if w not in ("but", "and", "actually", "really"))
    return any(lead[: len(c)] == c for c in _CORRECTIONS)


_HEADER_WORDS = frozenset(
    {
        "ruled",
        "out",
        "hypotheses",
        "hypothesis",
        "theories",
        "theory",
        "ideas",
        "suspects",
        "i",
        "we",
        "could",
        "couldn't",
        "confirm",
        "confirmed",
        "find",
        "found",
        "evidence",
        "for",
        "excluded",
        "causes",
        "candidates",
        "dismissed",
        "eliminated",
        "unlikely",
        "red",
        "herrings",
        "not",
        "none",
        "of",
        "these",
        "the",
        "it",
        "cause",
        "also",
        "already",
    }
)


def _discourse(
    text: str,
    words: tuple[str, ...],
    spans: list[tuple[int, int]],
    clauses: list[Clause],
    lex: Lexicon,
) -> list[Clause]:
    """What one clause says of another: verdicts on what came before (`_anaphora`), then a
    predicate after a relative clause said of its subject."""
    clauses = _anaphora(text.lower(), words, spans, clauses, lex)
    return _predicate_after_relative(text, words, spans, clauses, lex)


def _predicate_after_relative(
    text: str,
    words: tuple[str, ...],
    spans: list[tuple[int, int]],
    clauses: list[Clause],
    lex: Lexicon,
) -> list[Clause]:
    """ "A canary on each voice, which the team suggested, is not needed": a verdict in a
    predicate after a relative clause turns down the subject before it (relative.py)."""
    out = list(clauses)
    bounds = [(c.sentence, c.first, c.last) for c in clauses]
    verbs = lex.finite | lex.auxiliaries
    for pred, subject in subjects_of_predicates(text, words, spans, bounds, verbs):
        noun_phrase = not _has_finite(words, clauses[subject].first, clauses[subject].last, lex)
        if noun_phrase and _no_value(words, out[pred]):
            out[subject] = _down(out[subject])
    return out


_VALUE = frozenset({"worth", "needed", "necessary", "required", "useful", "helpful", "wanted"})
_VALUE |= frozenset({"important", "warranted", "justified", "essential", "valuable"})


def _no_value(words: tuple[str, ...], clause: Clause) -> bool:
    """A predicate that is a verdict of no need or value ("is not needed", "isn't worth it",
    "would be a mistake", "is overkill"), not any denial ("is not expensive", "would not
    have let this ship")."""
    if clause.evaluations:
        return True
    starts = {a for a, _ in clause.triggers}
    if any(_denial(words[a]) and ({b, b + 1} & starts) for a, b in clause.triggers):
        return False  # "is not overkill", "isn't a waste": the verdict denied
    for a, b in clause.triggers:
        if b - a > 1 or not _denial(words[a]):
            return True  # a verdict of its own: "overkill", "pointless", "not worth"
        if _VALUE.intersection(words[b : min(b + 3, clause.last)]):
            return True
    return False


def _down(clause: Clause) -> Clause:
    return Clause(**{**clause.__dict__, "turned_down": True})


# --- statements -------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A statement of an answer; `point` when the list it stands in gives it its point (a
    fragment of "compare sample rate, clipping, loudness")."""

    text: str
    point: bool = False
    line: int = 0  # the line (bullet, entry) it stands on
    fragment: int = 0  # its place in a comma list of fragments (each is an entry), else 0


def dismissal_only(text: str) -> bool:
    """A statement that is only a verdict on the one before it ("Not worth it.", "I'd rule
    that out.", "I don't buy it."): a negation with nothing of its own to negate."""
    lex = lexicon()
    found = read(text)
    return bool(found.words) and all(
        c.triggers and all(w in lex.anaphora for w in found.words[c.first : c.last])
        for c in found.clauses
    )


def opens_with_verdict(text: str) -> bool:
    """A statement whose first clause is only a verdict on what came before ("Not worth it —
    just keep the large model"): the statement before it is turned down."""
    lex = lexicon()
    found = read(text)
    if not found.clauses:
        return False
    if found.words in _REFUSALS:  # "... a lot of alerts for a problem tickets surface. Skip."
        return True
    first = found.clauses[0]
    return bool(first.triggers) and all(
        w in lex.anaphora for w in found.words[first.first : first.last]
    )


# a sentence of one refusal, on what the one before it described
_REFUSALS = frozenset(
    {("skip",), ("skip", "it"), ("pass",), ("hard", "pass"), ("nope",), ("no",), ("nah",)}
    | {("meh",), ("low", "priority"), ("very", "low", "priority"), ("not", "a", "priority")}
    # not worth the effort at all ("Don't bother.")
    | {("don't", "bother"), ("do", "not", "bother"), ("not", "worth", "bothering")}
)
# a sentence that says what there is suffices: a refusal only after a statement that
# describes ("X — the burn alert already fired. We're covered."), not after an instruction
# ("Alert on first-audio p95. We're covered.")
SUFFICED = frozenset(
    {("we're", "covered"), ("we", "are", "covered"), ("we're", "fine"), ("we're", "good")}
    | {("nothing", "more", "needed"), ("nothing", "needed"), ("nothing", "more", "to", "do")}
    | {("nothing", "to", "do"), ("nothing", "to", "add"), ("no", "action", "needed")}
    | {("move", "on"), ("moving", "on"), ("lesson", "learned", "move", "on")}
)


def statements(text: str, governed: bool = False) -> list[Part]:
    """A text split into statements however its list is written: lines (bullets, numbered
    items, one fragment a line), sentences, semicolons, and a comma list of short fragments
    (three or more, none over four words; each fragment its own entry). `governed`: a comma
    list whose first fragment makes a point ("compare sample rate, clipping, loudness")
    gives it to every fragment; a list under a negation ("no need for A, B or C") is kept
    whole, its negation governing. A statement that only dismisses the one before it ("A
    FAB gate would slow us down; not worth it.") is read with it."""
    out: list[Part] = []
    for number, line in enumerate(re.split(r"\n+", unwrap(text))):
        line = _BULLET.sub("", line).strip().strip("*#").strip()
        for sentence in _points(line):
            fragments = [f.strip() for f in re.split(r",|;|\|", sentence) if f.strip()]
            short = all(len(_WORD.findall(f.lower())) <= 4 for f in fragments)
            if out and sentence.strip() and dismissal_only(sentence):
                last = out[-1]
                out[-1] = Part(f"{last.text} {sentence.strip()}", last.point, last.line)
            elif len(fragments) >= 3 and _verb_with_list(fragments):
                # "monitor clipping, loudness, SNR and sample-rate aggregates": one verb and
                # the list of its objects, one point
                out.append(Part(sentence.strip(), True, number))
            elif len(fragments) >= 3 and _specifies(fragments[0]):
                # "unit tests: feature shape, SR, normalisation": what the head is made of,
                # one point (a list of three items or more in it is still soup)
                out.append(Part(sentence.strip(), True, number))
            elif (
                len(fragments) >= 3
                and short
                and not any(c.triggers for c in read(fragments[0]).clauses)
            ):
                named = _WORD.findall(fragments[0].lower())  # "<|0|0": a head of no words
                head = governed and bool(named) and makes_point(fragments[0])
                lead = named[0] + " " if head else ""
                out.append(Part(fragments[0], head, number, 1))
                out.extend(Part(lead + f, head, number, k) for k, f in enumerate(fragments[1:], 2))
            elif sentence.strip():
                out.append(Part(sentence.strip(), line=number))
    return [p for p in out if _WORD.search(p.text.lower())]


_POINTS_BACK = frozenset({"instead", "otherwise", "rather"})


def split_sentences(
    line: str, stops: str = ".!?", closers: bool = True, abbreviations: tuple[str, ...] = ()
) -> list[str]:
    """A line's sentences, each with the whitespace after it (joined, they are the line):
    the one splitter of the judge. A sentence ends at a run of `stops` followed by
    whitespace or the line's end (with `closers`, after any closing quote or bracket: 'as
    "planned." Then'); not after one of `abbreviations` ("e.g. the router")."""
    closing = "[\"')\\]]*" if closers else ""
    out: list[str] = []
    start = 0
    for m in re.finditer(rf"[{re.escape(stops)}]+{closing}(\s+|$)", line):
        end = m.end()
        before = line[start : m.start() + 1].lower()
        if (abbreviations and before.endswith(abbreviations)) or (
            not m.group(1) and end < len(line)
        ):
            continue
        out.append(line[start:end])
        start = end
    if start < len(line):
        out.append(line[start:])
    return out


def _points(line: str) -> list[str]:
    """A line's sentences, split at stops and semicolons; a part after a semicolon that
    points back to the one before ("keep first-token paths unbatched; batch offline work
    instead") completes it rather than starting a point of its own."""
    out: list[str] = []
    for part in _split_points(line):
        words = _WORD.findall(part.lower())
        if out and out[-1].endswith(";") and words and _POINTS_BACK & {words[0], words[-1]}:
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def _split_points(line: str) -> list[str]:
    """Split at stops and semicolons followed by whitespace, the whitespace dropped (a line
    that ends in a stop and whitespace leaves an empty last part)."""
    out: list[str] = []
    for part in split_sentences(line, ".;!?", closers=False):
        spaced = re.search(r"(?<=[.;!?])\s+$", part)
        out.append(part[: spaced.start()] if spaced else part)
    if out and re.search(r"[.;!?]\s+$", line):
        out.append("")
    return out or [line]


def _verb_with_list(fragments: list[str]) -> bool:
    """A comma list that is one verb and its objects: the first fragment an instruction
    (a verb of the lexicon in its base form, then its first object), the last closing the
    enumeration with "and" or "or"."""
    lex = lexicon()
    first = _WORD.findall(fragments[0].lower())
    last = _WORD.findall(fragments[-1].lower())
    if len(first) < 2 or not {"and", "or"} & set(last[1:]):
        return False
    head = first[0]
    return _imperative(head) and stem(head) in lex.verbs | lex.noun_verbs


def _specifies(first: str) -> bool:
    """The first fragment of a comma list is a head and a colon ("SDK: cap attempts, ..."),
    the head a thing (one to four words, a verb or none) rather than a label for a list
    ("Prevention:", "Ideas:")."""
    if ":" not in first:
        return False
    head, _, rest = first.partition(":")
    words = _WORD.findall(head.lower())
    return 0 < len(words) <= 4 and bool(rest.strip()) and not set(words) & lexicon().list_labels


def makes_point(text: str, policy: bool = True) -> bool:
    """Does a statement make a point as a sentence would (something and what is done with
    it), or only name a topic ("voice canary", "latency gates")? A point holds an auxiliary
    or a modal, a relation between things ("on", "when", "before", "> 3%"), a policy word
    ("never", "only", "every"; not with `policy=False`: in a list of headings "no batching
    first token" is one more heading), or opens with an action that has an object."""
    lex = lexicon()
    found = read(text)
    words = [w for w, j in zip(found.words, found.joined, strict=True) if not j]
    if found.operators or not words:
        return bool(found.operators)
    if any(w in lex.auxiliaries or w.endswith("n't") for w in words):
        return True
    if any(w in lex.relations for w in words[1:]):
        return True
    tup = tuple(words)
    if policy and any(tup[: len(p)] == p for p in lex.policies) and len(words) >= 2:
        return True
    for k, w in enumerate(words):
        opener = k == 0 or words[k - 1] in lex.subjects or words[k - 1] == "to"
        rest = words[k + 1 :]
        object_follows = len(rest) >= 2 or (bool(rest) and rest[0] in lex.determiners)
        if opener and stem(w) in lex.verbs and object_follows:
            return True
        if opener and stem(w) in lex.noun_verbs and rest and rest[0] in lex.determiners:
            return True
    return False
