"""One catalogue of causes shared by every scenario, so the list itself gives nothing away.

A trainee may name a cause by its id or in their own words. `read_causes` reads an answer
as an examiner would: every catalogue cause its words fit (drills/judge/matcher.py), each in
the clause that asserts it, with a role:

- **ruled out**: every mention turned down ("X is not the problem", "it wasn't X", "X looked
  normal", "ruled out: X") or only supposed ("in case X", "whether X");
- **primary**: the cause asserted first, or the one marked as the cause ("the real cause
  is", "because", "due to");
- **mechanism**: a cause named after the primary as what it led to or what the data also
  showed ("so the pool scaled down and replicas came up cold"): part of the story, not a
  rival — unless it is asserted beside the primary (`_beside`: by its id, as a bare entry
  of its own, on a line of its own, opened with "also", or marked as the cause a second
  time), which makes it a co-cause: a second cause asserted, not the first one's story;
- **co-cause**: a cause added as another one ("plus", "separately", "a second fault");
- **rival**: causes offered as alternatives ("A or B", "could be A, B or C"): a hedge names
  none of them;
- **soup**: three or more causes side by side in one sentence ("jitter shadow beam noisy
  neighbour"): a list of guesses, not a diagnosis of any of them.

The catalogue (drills/judge/causes.yaml) is for authors and examiners: it is never printed
to a trainee during a drill, not even in an error; an after-action report may show which
causes an ambiguous answer fitted, with the trainee's words for each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from lemminflect import getAllLemmas

from drills.judge.culprit import committed_rivals
from drills.judge.matcher import SOUP_ITEMS, Concept, Match, Phrasing, match_in
from drills.judge.reading import (
    TURNS,
    Clause,
    Reading,
    bare_denial,
    has_finite,
    lexicon,
    plain_denial,
    pronoun_at,
    read,
    spans_of,
    stem,
    verb_form,
)
from simulator.spec.fileio import load_yaml

CATALOG_FILE = Path(__file__).with_name("causes.yaml")
REACH = 12  # the words of one claim lie within this many words of each other
ANAPHORIC = frozenset({"it", "it's", "its", "they", "they're", "this", "which", "that's"})


Groups = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Cause:
    text: str
    accept: Groups  # concept groups, all required (see drills/judge/matcher.py)
    or_accept: tuple[Groups, ...] = ()  # other ways to say it, each its own groups
    # the other catalogue causes whose words its own story uses: what it leads to (a wider
    # beam makes the autoscaler add replicas), told as its mechanism, not a rival
    leads_to: frozenset[str] = frozenset()


def _groups(raw: list[list[object]]) -> Groups:
    return tuple(tuple(str(w) for w in g) for g in raw)


def _load() -> MappingProxyType[str, Cause]:
    data = load_yaml(CATALOG_FILE.read_text())
    return MappingProxyType(
        {
            str(name): Cause(
                str(c["text"]),
                _groups(c["accept"]),
                tuple(_groups(alt) for alt in c.get("or_accept", [])),
                frozenset(str(n) for n in c.get("leads_to", [])),
            )
            for name, c in data.items()
        }
    )


CATALOG = _load()  # read-only: the catalogue is data, loaded once
CAUSES: MappingProxyType[str, str] = MappingProxyType(
    {name: cause.text for name, cause in CATALOG.items()}
)


@cache
def _concepts() -> tuple[Concept, ...]:
    return tuple(
        Concept.of(name, groups)
        for name, cause in CATALOG.items()
        for groups in (cause.accept, *cause.or_accept)
    )


def normalise_id(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower().replace("_", "-")))


Role = Literal["primary", "co-cause", "mechanism", "rival", "soup", "ruled out"]


@dataclass(frozen=True)
class Named:
    """A catalogue cause an answer's words fit, the words, and the role they give it."""

    cause: str
    words: tuple[str, ...]
    role: Role
    effect: bool = False  # named only as a consequence ("so ...", "causing ...")


@dataclass(frozen=True)
class CauseReading:
    found: tuple[Named, ...] = ()
    hedged: bool = False  # rivals offered as alternatives: none named
    by_id: bool = False

    def single(self) -> list[str]:
        """The causes named, read for an incident with one cause: the primary and any
        co-cause (a rival counts as named, so that a hedge cancels itself)."""
        return [n.cause for n in self.found if n.role in ("primary", "co-cause", "rival", "soup")]

    def compound(self) -> list[str]:
        """Read for an incident with several causes: every cause asserted (a mechanism of
        one fault may be the other fault); a soup of causes names none of them."""
        return [n.cause for n in self.found if n.role not in ("ruled out", "soup")]

    def explain(self) -> list[dict[str, object]]:
        return [{"cause": n.cause, "words": list(n.words), "role": n.role} for n in self.found]


def _id_mentions(reading: Reading) -> list[tuple[str, int]]:
    """Catalogue ids written as such ("cpu-to-gpu-fallback"), by the word where each starts."""
    out = []
    lowered = reading.text.lower().replace("_", "-")
    for name in CATALOG:
        for found in re.finditer(rf"(?<![a-z0-9-]){re.escape(name)}(?![a-z0-9-])", lowered):
            first = next((i for i, (a, _) in enumerate(reading.spans) if a >= found.start()), None)
            if first is not None:
                out.append((name, first))
    return out


def _claims(reading: Reading) -> list[tuple[int, int]]:
    """Where one claim can stand: a clause (a cause's words are not gathered from the
    clauses around it: "the preprocessing release just happened to land" names no
    mismatch for the "new model" of the clause before), with the clause before it when it
    opens with a pronoun for that clause's subject or has no verb of its own."""
    out = []
    for k, c in enumerate(reading.clauses):
        opening = reading.words[c.first : c.first + 2]
        follows = k > 0 and reading.clauses[k - 1].sentence == c.sentence
        # "We shipped the new vocoder at noon. It is much heavier": a sentence whose subject
        # is a pronoun goes on with the sentence before
        follows |= k > 0 and reading.words[c.first] in _SUBJECT_PRONOUNS
        # "the new voice ... but it's heavier"; a clause with no verb of its own goes on
        # with the one before ("the config does LM rescoring, also on the partials")
        verbless = not c.turned_down and not has_finite(reading, c.first, c.last)
        if follows and (ANAPHORIC.intersection(opening) or verbless):
            out.append((reading.clauses[k - 1].first, c.last))
        else:
            out.append((c.first, c.last))
    return out


_SUBJECT_PRONOUNS = frozenset({"it", "it's", "they", "they're", "this"})


def _matches(reading: Reading) -> list[Match]:
    """Every cause's matches, sentence by sentence; a match fitted within another cause's
    heavier match on the same words, or sharing a word with it, is that cause's, not a
    second one (one word names one cause: "process more requests at once" is batching)."""
    out: list[Match] = []
    for lo, hi in _claims(reading):
        here = [
            m
            for m in (match_in(c, reading, lo, hi, REACH, True) for c in _concepts())
            if m and _said_of(reading, m)
        ]
        for m in here:
            rivals = [
                o
                for o in here
                if o.item != m.item
                and not _across_alternatives(reading, o)
                and o.negated == m.negated
                and (
                    (
                        o.weight > m.weight
                        and ((o.first <= m.first and m.last <= o.last) or o.covered & m.covered)
                    )
                    # as heavy, on a shared word, and tighter: "unstable network timing" is
                    # the network's, not "investigation shows ... unstable" partials'
                    or (
                        o.weight == m.weight
                        and o.covered & m.covered
                        and o.last - o.first < m.last - m.first
                    )
                )
            ]
            if not rivals and not _negation_owned(reading, m, here):
                if m.negated and _borrowed_match(reading, m):
                    continue  # "X is slower; not the network": no slower network denied
                out.append(m)
    for name, first in _id_mentions(reading):
        clause = reading.clause(first)
        out.append(
            Match(
                name,
                [name],
                clause.negated(),
                first,
                first + 1,
                99,
                frozenset({reading.clause_of[first]}),
            )
        )
    return out


@cache
def _own_things() -> MappingProxyType[str, frozenset[tuple[str, ...]]]:
    """Each cause's own thing: the first group of its main way to say it."""
    return MappingProxyType(
        {
            name: frozenset(p.tokens for p in Concept.of(name, cause.accept).groups[0])
            for name, cause in CATALOG.items()
        }
    )


def _borrowed(name: str, p: Phrasing) -> bool:
    """A word of another way to say a cause that is another cause's own thing ("network":
    a heavier network, but first the network's own jitter)."""
    return _borrowed_tokens(name, p.tokens)


@cache  # the catalogue is fixed: asked hundreds of thousands of times over a few phrasings
def _borrowed_tokens(name: str, tokens: tuple[str, ...]) -> bool:
    things = _own_things()
    if any(set(tokens) <= set(t) for t in things[name]):
        return False  # "model": a word of its own thing too ("acoustic model")
    return any(
        tokens == t or (len(tokens) == 1 and tokens[0] in t)
        for other, own in things.items()
        if other != name
        for t in own
    )


def _borrowed_match(reading: Reading, m: Match) -> bool:
    """Every word of the match's own thing in a clause turned down is borrowed from another
    cause's own thing ("voice b-2.0 is slower; not the network")."""
    found = [
        p
        for concept in _concepts()
        if concept.id == m.item
        for p in concept.groups[0]
        for i in m.covered
        if p.at(reading, i) and reading.clause(i).negated()
    ]
    return bool(found) and all(_borrowed(m.item, p) for p in found)


def _across_alternatives(reading: Reading, m: Match) -> bool:
    """The match gathers its words from both sides of an "or" that offers alternatives
    (", or", "either ... or", "A or B or C"): "network jitter, or ... voice b-2.0 being
    slower" is no slower network. Such a match does not take the words it shares from
    the cause named on one side ("network jitter")."""
    words = reading.words
    lo, hi = min(m.covered), max(m.covered)
    ors = [k for k in range(lo + 1, hi) if words[k] in ("or", "nor")]
    if not ors:
        return False
    sentence = reading.clause(lo).sentence
    a, b = _sentence_span(reading, sentence)
    counted = sum(words[k] in ("or", "nor") for k in range(a, b))
    either = "either" in words[a:lo]
    for k in ors:
        gap = reading.text[reading.spans[k - 1][1] : reading.spans[k][0]]
        if "," in gap or ";" in gap or either or counted >= 2:
            return True
    return False


def _negation_owned(reading: Reading, m: Match, here: list[Match]) -> bool:
    """A negated match whose negation another reading of the same cause, on a word they
    share, takes as its own ("the mirror was not stopped": the cause said, not denied)."""
    if not m.negated:
        return False
    for o in here:
        if o.item != m.item or o.negated or not o.covered & m.covered:
            continue
        triggers = {
            i for c in o.clauses for a, b in reading.clauses[c].triggers for i in range(a, b)
        }
        if o.covered & triggers:
            return True
    return False


# verbs of a quantity changing on its own: their subject stands before them ("traffic
# jumped"); before a noun, only a participle next to it describes it ("rising traffic")
_RISES = frozenset(
    stem(w) for w in ("rise", "jump", "grow", "surge", "spike", "climb", "soar", "balloon", "swell")
)


def _said_of(reading: Reading, m: Match) -> bool:
    """The match's words say something of the cause's own thing (its first concept group):
    not a unit in a compound ("per-request embedding cost jumped" says nothing of the
    requests; "several requests per batch" is batching), and not
    a rise said of something before it ("jitter jumped ... after their traffic moved")."""
    own = _own_thing(reading, m)
    if not own:
        return True
    words = reading.words
    if all(reading.joined[first] and words[first - 1] == "per" for first, _ in own):
        return False
    start = min(first for first, _ in own)
    theirs = [i for i in m.covered if not any(a <= i < b for a, b in own)]
    for i in theirs:
        verb = bool({reading.stems[i], *reading.lemmas[i]} & _RISES) and _inflected(words[i])
        if verb and i < start - 2:
            return False
        if _rise_of_another(reading, i, own):
            return False
    return True


_RISE_NOUNS = frozenset({"increase", "surge", "spike", "jump", "growth", "bump", "rise", "peak"})


def _rise_of_another(reading: Reading, i: int, own: list[tuple[int, int]]) -> bool:
    """A rise named as the head of a compound whose other noun is not the cause's own thing
    ("the batch spend increase" is a rise of spend, not of the requests named beside it)."""
    if reading.words[i] not in _RISE_NOUNS or i == 0 or any(a <= i - 1 < b for a, b in own):
        return False
    before = reading.words[i - 1]
    if before in lexicon().determiners or reading.joined[i]:
        return False
    found = getAllLemmas(before)  # a noun or a verb's stem as a noun ("spend"), no adjective
    return bool(found) and "ADJ" not in found and "ADV" not in found and before.isalpha()


def _inflected(word: str) -> bool:
    """A past or -ing form of a verb ("jumped", "rose", "growing"), not its base or a noun."""
    form = verb_form(word)
    return word.endswith(("ed", "ing")) or (form is not None and form[1] == "VBD")


def _asserts(reading: Reading, m: Match) -> bool:
    """Not merely supposed: no clause of the match asks or supposes."""
    return not any(reading.clauses[c].hypothetical for c in m.clauses)


def _set_aside(reading: Reading, matches: list[Match]) -> dict[str, int]:
    """Causes a clause sets aside by name ("shadow mirroring isn't the problem", "the
    sample rate isn't it"), each at the word where that is said: a cause whose own thing
    (its first concept group) is the subject of the setting aside."""
    out: dict[str, int] = {}
    for clause in reading.clauses:
        if clause.hypothetical:
            continue
        for a, b in clause.triggers:
            for concept in _concepts():
                if concept.id in out or _own_negation(reading, concept, a):
                    continue
                for p in concept.groups[0]:
                    if _borrowed(concept.id, p):
                        continue  # "not the network": the network's, not a heavier network's
                    n = len(p.tokens)
                    before = range(b, min(b + 3, clause.last))  # "it's not the sample rate"
                    after = range(max(clause.first, a - n - 3), a - n + 1)  # "traffic flat"

                    def here(i: int, p: Phrasing = p, name: str = concept.id) -> bool:
                        # the words stand there, and are not another cause's named in full
                        # ("it wasn't device firmware mislabelling the rate": not clipping)
                        return p.at(reading, i) and not any(
                            m.item != name and m.first <= i < m.last for m in matches
                        )

                    said_of = _improbable_of(reading, a, clause.first)
                    if (
                        any(here(i) and _governed(reading, b, i) for i in before)
                        or (
                            _steady(reading, a, b)
                            and any(here(i) and _unbroken(reading, i + n, a) for i in after)
                        )
                        or (said_of is not None and any(here(i) for i in range(*said_of)))
                    ):
                        out[concept.id] = a
                        break
        for lo, hi in _unexplaining(reading, clause):
            for concept in _concepts():
                if concept.id not in out and any(
                    p.at(reading, i) for p in concept.groups[0] for i in range(lo, hi)
                ):
                    out[concept.id] = hi
        verdicts = [
            a for a, _ in spans_of(reading.words, lexicon().set_aside, clause.first, clause.last)
        ]
        for a in verdicts + _called_effect(reading, clause.first, clause.last):
            for concept in _concepts():
                if concept.id in out:
                    continue
                if any(
                    p.at(reading, i)
                    for p in concept.groups[0]
                    for i in range(clause.first, a - len(p.tokens) + 1)
                ):
                    out[concept.id] = a
    return out


_EXPLAINING = frozenset({"explain", "account"})
_BACK = frozenset({"it", "that", "this", "they", "which", "those", "these", "neither"})


def _unexplaining(reading: Reading, clause: Clause) -> list[tuple[int, int]]:
    """Where the things stand that a clause says cannot explain what was seen ("so it can't
    explain a doubled bill", "that mirror can't account for a bill this size"): the
    subject before the denial, or, where the subject points back ("it", "that mirror"),
    the clause just before in the sentence as well."""
    words = reading.words
    out = []
    for a, b in clause.triggers:
        if b - a != 1 or not (words[a].endswith("n't") or words[a] in ("cannot", "not")):
            continue
        verb = next((k for k in range(b, min(b + 3, clause.last)) if words[k] != "fully"), None)
        if verb is None or stem(words[verb]) not in _EXPLAINING:
            continue
        out.append((clause.first, a))
        n = reading.clauses.index(clause)
        if _BACK.intersection(words[clause.first : a]) and n > 0:
            before = reading.clauses[n - 1]
            if before.sentence == clause.sentence:
                out.append((before.first, before.last))
    return out


_IMPROBABLE = frozenset({"unlikely", "improbable", "implausible", "doubtful"})
_VERDICT_FILL = frozenset(
    {"is", "are", "was", "were", "seems", "seem", "looks", "look", "highly", "very", "quite"}
    | {"most", "fairly", "pretty", "rather", "also", "still", "now"}
)
_JUDGING = frozenset(stem(w) for w in ("consider", "think", "find", "deem", "judge", "believe"))


def _improbable_of(reading: Reading, a: int, first: int) -> tuple[int, int] | None:
    """Where the thing stands that a verdict of improbability at `a` is said of: the
    subject of its copula ("routing is highly unlikely to be at fault": the few words
    before the copula), or, through a pronoun a judgement points back with ("we reviewed
    the batching and consider it unlikely"), everything before it in its clause."""
    words = reading.words
    if words[a] not in _IMPROBABLE:
        return None
    k = a - 1
    while k > first and words[k] in _VERDICT_FILL - {"is", "are", "was", "were"}:
        k -= 1
    if k > first and words[k] in _VERDICT_FILL:
        return (max(first, k - 5), k)
    if k - 1 >= first and words[k] == "it" and stem(words[k - 1]) in _JUDGING:
        return (first, k - 1)
    return None


_PREDICATE = frozenset({"is", "are", "was", "were", "it's", "they're", "just", "only", "merely"})
_PREDICATE_FILL = frozenset({"a", "an", "the", "just", "only", "merely", "really", "clearly"})


def _called_effect(reading: Reading, lo: int, hi: int) -> list[int]:
    """Where a clause calls its subject an effect ("retries are a consequence", "the lag is
    just a symptom, not the cause"): a copula whose predicate is a word of consequence
    (drills/judge/language.yaml `consequences`) said of nothing after it ("a consequence of
    the missing backoff" names the cause it comes from)."""
    words = reading.words
    out = []
    for k in range(lo, hi):
        if words[k] not in _PREDICATE:
            continue
        j = k + 1
        while j < hi and words[j] in _PREDICATE_FILL:
            j += 1
        for p in lexicon().consequences:
            end = j + len(p)
            if words[j:end] == p and (end >= hi or words[end] not in ("of", "from", "to")):
                out.append(k)
    return out


def _own_negation(reading: Reading, concept: Concept, trigger: int) -> bool:
    """The negation at `trigger` is part of a phrasing of the cause's own thing that holds
    a negation ("partials don't hold back unstable words" is the cause, said)."""
    return any(
        p.negative and p.at(reading, i)
        for p in concept.groups[0]
        for i in range(max(0, trigger - len(p.tokens) + 1), trigger + 1)
    )


def _judged(reading: Reading, matches: list[Match]) -> list[tuple[str, int]]:
    """The causes a verdict sets aside, each at the verdict's clause: through a pronoun, the
    cause named last before it in its sentence or the one before; else the cause whose own
    thing (its first concept group) the verdict is said of."""
    out = []
    lex = lexicon()
    for v in _verdicts_back(reading):
        things = [  # the verdict's own words ("what's moving") name no thing
            i
            for i in range(v.lo, v.hi)
            if not {reading.stems[i], *reading.lemmas[i]} & lex.verdicts
        ]
        named = [
            concept.id
            for concept in _concepts()
            if any(p.at(reading, i) for p in concept.groups[0] for i in things)
        ]
        if not named:  # "I doubt it's the network": a word of one cause's thing
            named = _headed(reading, things)
        out += [(name, v.at) for name in named]
        if v.back and not named and not _conceded_elsewhere(reading, matches, v.at):
            sentence = reading.clause(v.at).sentence
            before = [
                m
                for m in matches
                if m.last <= v.at and reading.clause(m.first).sentence >= sentence - 1
            ]
            if before:
                out.append((max(before, key=lambda m: m.last).item, v.at))
    return out


def _conceded_elsewhere(reading: Reading, matches: list[Match], at: int) -> bool:
    """A verdict through a pronoun turned from the clause just before it ("The balancer
    change went out the same hour, but I wouldn't read much into that"; "Latency rose too,
    but I don't read much into it") is that clause's: where that clause names no cause, the
    pronoun points at it, not at a cause named further back."""
    if at == 0 or reading.words[at] not in TURNS:
        return False
    before = reading.clause(at - 1)
    if before.sentence != reading.clause(at).sentence:
        return False
    return not any(m.first < before.last and m.last > before.first for m in matches)


def _headed(reading: Reading, things: list[int]) -> list[str]:
    """The one cause whose own thing (its first concept group) is said with a word of the
    short noun phrase a verdict names ("the network": "flaky network", "network delay"),
    where only one cause's thing holds that word; else none."""
    lex = lexicon()
    nouns = {
        reading.stems[i]
        for i in things
        if reading.words[i] not in lex.determiners and reading.words[i] not in lex.anaphora
    }
    if not nouns or len(nouns) > 2 or len(things) > 4:
        return []  # a short noun phrase ("the network"), not a clause about something
    found = {
        concept.id
        for concept in _concepts()
        for p in concept.groups[0]
        if len(p.tokens) > 1 and nouns & set(p.tokens)
    }
    return sorted(found) if len(found) == 1 else []


_LEADS = frozenset({"but", "so", "and", "i", "i'd", "we", "i'm", "honestly", "frankly"})


@dataclass(frozen=True)
class Verdict:
    """A clause judging a cause not to be the cause: of a thing it names between `lo` and
    `hi` ("I doubt a few hundred ms of VAD matters", "this isn't a repeat of the gain
    issue"), else, said through a pronoun (`back`: "I doubt that's it"), of the cause named
    just before."""

    at: int  # the clause's first word
    back: bool
    lo: int = 0
    hi: int = 0


_OBJECTS = frozenset({"it", "them", "that", "this", "those", "these"})


def _verdicts_back(reading: Reading) -> list[Verdict]:
    """Where a clause passes a verdict on a cause: a negation whose object is a pronoun ("I
    doubt it", "I doubt that's it", "I don't think that explains the complaints"), or a
    pronoun subject a negation is said of ("that isn't the story"), with a verdict word or
    nothing but the pronoun; or a negation followed by a thing and a verdict word said of
    it ("I doubt a few hundred ms of VAD matters here"). drills/judge/language.yaml
    `verdicts` lists the words of a verdict."""
    lex = lexicon()
    words = reading.words
    out = []

    def verdict(j: int) -> bool:
        return bool({reading.stems[j], *reading.lemmas[j]} & lex.verdicts)

    for clause in reading.clauses:
        if clause.hypothetical:
            continue
        for a, b in clause.triggers:
            if any(words[j] in _OBJECTS for j in range(a + 1, b)):
                # "so I've set it aside", "I ruled them out": the dismissal holds its object
                out.append(Verdict(clause.first, True, b, b))
                break
            k = b
            while (
                k < clause.last
                and words[k] in lex.beliefs
                and not pronoun_at(reading, k, clause.last)
            ):
                k += 1
            # "I'm not treating it as the cause": one verb between the denial and its object
            treated = (
                k + 1 < clause.last
                and words[k + 1] in _OBJECTS
                and "VERB" in getAllLemmas(words[k])
            )
            lead = [j for j in range(clause.first, a) if words[j] not in _LEADS]
            if k < clause.last and pronoun_at(reading, k, clause.last):
                rest = range(k + 1, clause.last)
            elif treated and any(verdict(j) for j in range(k + 2, clause.last)):
                rest = range(k + 2, clause.last)
            elif lead == [a - 1] and pronoun_at(reading, a - 1, a + 1):
                rest = range(b, clause.last)  # "that isn't the story"
                if not bare_denial(words[a]):
                    # "that's a coincidence", "that's cosmetic": the dismissal is the verdict
                    out.append(Verdict(clause.first, True, rest.start, rest.stop))
                    break
            else:
                said = [j for j in range(b, clause.last) if verdict(j)]
                if said and not lead:  # "I doubt a few hundred ms of VAD matters"
                    out.append(Verdict(clause.first, False, b, said[0]))
                    break
                continue
            if any(verdict(j) for j in rest) or all(words[j] in lex.anaphora for j in rest):
                # "this isn't a repeat of the gain issue": said of the thing it names
                out.append(Verdict(clause.first, True, rest.start, rest.stop))
                break
            if k < clause.last and _headed(reading, list(rest)):
                # "I doubt it's the network": said of one cause's thing, by a word of it
                out.append(Verdict(clause.first, False, rest.start, rest.stop))
                break
    return out + _weighed_back(reading)


# verbs of weighing evidence ("read much into it", "put much stock in it", "trust it")
_WEIGHING = frozenset(stem(w) for w in ("read", "stock", "weight", "trust", "faith", "store"))
# a doubt said of what a judging verb points at ("I find that hard to believe")
_DOUBTS: tuple[tuple[str, ...], ...] = (
    *(("hard", "to", "believe"), ("difficult", "to", "believe"), ("hard", "to", "buy")),
    *(("unlikely",), ("implausible",), ("far-fetched",), ("a", "stretch")),
)


def _weighed_back(reading: Reading) -> list[Verdict]:
    """A verdict through a pronoun that says the evidence for a cause weighs nothing: a
    denied verb of weighing whose object, the clause's last word, points back ("so I'd not
    read much into it", "I wouldn't put much stock in that"), a judging verb with a doubt
    said of a pronoun ("so I find that hard to believe"), or a bare "no" after what was
    said ("..., but offline WER is better, so no."). Not an action denied ("we
    didn't roll it back": no verb of weighing), nor a doubt of something named ("I find a
    network fault hard to believe" is the named thing's verdict, read where it is named)."""
    words, out = reading.words, []
    for clause in reading.clauses:
        bare = [w for w in words[clause.first : clause.last] if w not in _LEADS]
        if bare in (["no"], ["nope"], ["nah"]) and clause.first > 0:
            # "... but offline WER is better, so no.": a bare "no" after what was said (not
            # the answer to a question: "Did anyone test it? No.")
            before = reading.text[: reading.spans[clause.first][0]].rstrip()
            if not before.endswith("?") and not _wondered(reading, clause.first):
                out.append(Verdict(clause.first, True, clause.last, clause.last))
            continue
        if clause.hypothetical or clause.last - clause.first < 2:
            continue
        last = clause.last - 1
        for _, b in clause.triggers:
            weighs = any(stem(w) in _WEIGHING for w in words[b : min(b + 3, last)])
            if weighs and last - b <= 4 and words[last] in _OBJECTS:
                out.append(Verdict(clause.first, True, b, b))
                break
        for k in range(clause.first, last):
            if stem(words[k]) not in _JUDGING or words[k + 1] not in _OBJECTS:
                continue
            judged = words[k + 2 : clause.last]
            doubt = next((d for d in _DOUBTS if judged[: len(d)] == d), None)
            # "I find it unlikely that anything else explains it": a placeholder "it" before
            # the clause it stands for points back at nothing
            then = judged[len(doubt) : len(doubt) + 1] if doubt else ()
            if doubt and words[k + 1] == "it" and then in (("that",), ("to",)):
                continue
            if doubt:
                out.append(Verdict(clause.first, True, k + 1, k + 1))
                break
    return out


# verbs of wondering: a clause of them is a question a bare "no" answers
_WONDERING = frozenset(stem(w) for w in ("wonder", "suspect", "ask", "guess", "thought"))


def _wondered(reading: Reading, at: int) -> bool:
    """The clause before a bare "no" wonders ("I wondered whether the balancer mattered
    too, but no"; "any other change could have explained it, I thought, but no"): the "no"
    answers that wondering, as it answers a question, and is no verdict on a cause."""
    if at == 0:
        return False
    before = reading.clause(at - 1)
    return any(stem(w) in _WONDERING for w in reading.words[before.first : before.last])


def _denied(reading: Reading, m: Match) -> bool:
    """The mention denies the cause's own thing (its first concept group): a negation just
    before it ("it isn't demand", "no jitter") or just after it in the same stretch
    ("demand itself didn't change", "user volume has not grown"), or a clause turned down
    as a whole; not a negation of a detail ("lots of attempts, hardly any backoff")."""
    if not m.negated:
        return False
    for c in m.clauses:
        clause = reading.clauses[c]
        if clause.turned_down:
            return True
        for first, last in _own_thing(reading, m):
            for a, b in clause.triggers:
                if first - 3 <= a and b <= first and _governed(reading, b, first):
                    return True
                gap = reading.text[reading.spans[last - 1][1] : reading.spans[a][0]]
                if last <= a <= last + 3 and "," not in gap:
                    return True
    return False


_BETWEEN = frozenset(
    {"the", "a", "an", "just", "really", "simply", "from", "about", "any", "due", "to", "of"}
    | {"caused", "by", "because", "that", "this", "its", "their", "our", "some", "much"}
)


def _governed(reading: Reading, end: int, first: int) -> bool:
    """A negation governs the words at `first` when nothing but a determiner stands between
    ("it isn't demand", "not the sample rate"), not a verb ("never covered code-switching")."""
    return all(w in _BETWEEN for w in reading.words[end:first])


_STEADY = frozenset({"flat", "unchanged", "normal", "fine", "steady", "stable", "unaffected"})
_CHANGE = frozenset(
    {"change", "move", "grow", "rise", "increase", "budge", "jump", "spike", "shift", "go"}
    # "hold-back wasn't touched": left as it was
    | {"touch", "modify", "alter", "edit"}
)


def _steady(reading: Reading, a: int, b: int) -> bool:
    """A negation that says a thing stayed as it was ("traffic flat", "demand didn't
    change", "volume has not grown"), not one that is part of a cause ("the mirror was
    never turned off")."""
    if reading.words[a] in _STEADY or "fine" in reading.words[a:b]:
        return True  # "traffic flat", and a verdict's phrase: "the sample rate is fine"
    after = reading.words[b] if b < len(reading.words) else ""
    return bool(after) and bool({reading.stems[b], *reading.lemmas[b]} & _CHANGE_STEMS)


_CHANGE_STEMS = frozenset(stem(w) for w in _CHANGE)


def _unbroken(reading: Reading, end: int, trigger: int) -> bool:
    """Nothing but a verb's few words, no comma, between a thing and the negation said of
    it ("user traffic flat", "demand itself didn't change")."""
    if end >= len(reading.spans) or trigger <= end:
        return trigger == end
    gap = reading.text[reading.spans[end - 1][1] : reading.spans[trigger][0]]
    return "," not in gap


def _own_thing(reading: Reading, m: Match) -> list[tuple[int, int]]:
    """Where the words of the cause's own thing (its first group) stand in a match."""
    spans = []
    for concept in _concepts():
        if concept.id != m.item:
            continue
        for phrasing in concept.groups[0]:
            n = len(phrasing.tokens)
            spans += [(i, i + n) for i in range(m.first, m.last - n + 1) if phrasing.at(reading, i)]
    return spans


_BELIEVING = frozenset(
    {("i", "think"), ("i", "believe"), ("i", "reckon"), ("must", "be"), ("probably",)}
    | {("prob",), ("most", "likely"), ("we", "think"), ("we", "believe"), ("we", "reckon")}
    | {("has", "to", "be"), ("have", "to", "be"), ("got", "to", "be")}
)
# an epistemic adverb turns away only after a concession ("X changed, but ... It's probably
# Y"), not after a qualified denial ("I would not conclude X overall — the gain is probably
# real — only that ...")
_EPISTEMIC = frozenset({("probably",), ("prob",), ("most", "likely")})
_CONCEDING = frozenset({"but", "though", "although", "while", "however", "yet", "even"})
_BACK_POINTING = frozenset({"that", "this", "those", "these", "them"})


# verbs of where an investigation looks ("look at the UI instead", "focus on the LLM instead")
_LOOKING = frozenset(
    stem(w) for w in ("look", "looking", "focus", "investigate", "examine")
)  # not "search": "a proper beam search instead of greedy" names the cause's own thing


# a fix that undoes the cause ("roll back", "revert"): what a looking verb holds as no turn
_UNDOING = frozenset(stem(w) for w in ("revert", "undo", "rollback", "restore"))
_BACKING = frozenset(stem(w) for w in ("roll", "switch", "go"))


def _undoing(words: tuple[str, ...], at: int) -> bool:
    """The looking verb's object, after its preposition, is a fix of the cause's own
    ("we'll focus on rolling back to voice a instead", "look into reverting the config")."""
    while at < len(words) and words[at] in ("on", "at", "into", "to"):
        at += 1
    if at >= len(words):
        return False
    said = stem(words[at])
    return said in _UNDOING or (said in _BACKING and words[at + 1 : at + 2] == ("back",))


def _elsewhere(reading: Reading) -> list[tuple[int, int]]:
    """The investigation turned elsewhere ("... so we will look at the UI instead", "we're
    keeping it and looking for savings in retrieval instead"): a verb of looking, up to ten
    words before an "instead" in its sentence, is a turn to a rival as "I'd look at" is. A
    fix done instead ("so we'll pre-warm instead") is no such turn: the cause stands."""
    words, out = reading.words, []
    for k, w in enumerate(words):
        if w != "instead" or words[k + 1 : k + 2] == ("of",):
            continue  # "looked at the logs instead of guessing": a manner, no turn
        sentence = reading.clause(k).sentence
        for j in range(max(0, k - 10), k):
            if stem(words[j]) in _LOOKING and reading.clause(j).sentence == sentence:
                if not _undoing(words, j + 1):
                    out.append((j, j + 1))
                break
    return out


def _switched(reading: Reading, matches: list[Match]) -> list[tuple[str, int]]:
    """Causes the writer turns away from to a rival of their own ("the es-en slice looks
    worse, but that slice is tiny and noisy; I'd rather attribute it to the tracking
    event"; "X is unlikely to explain it. I'd investigate thermal throttling"): a cause
    described before a turn (lexicon `switches`), with a concession, a negation or an
    effect made small ("a few percent at most") between,
    and not named again from the turn on. A turn that points back ("I'd blame that") or
    names the cause again takes it up instead."""
    words, out = reading.words, []
    for s, e in sorted(spans_of(words, lexicon().switches, 0, len(words)) + _elsewhere(reading)):
        nxt = words[e : e + 2]
        if nxt[:1] and (nxt[0] in _BACK_POINTING or (nxt[0] == "it" and nxt[1:] != ("to",))):
            continue
        turn = reading.clause(s)
        again = {m.item for m in matches if m.last > s}
        for m in matches:
            if m.last > s or m.item in again or m.negated:
                continue
            here = reading.clause(m.first)
            if turn.sentence - here.sentence > 2:
                continue
            start = _sentence_span(reading, here.sentence)[0]
            # a plain belief ("I think ...") turns away only from what a concession after
            # it weighed ("X changed, but ...; I think Y"), not from a cause the concession
            # introduced ("the server is not slow, but the jitter is bigger ... I think the
            # cause is the network path")
            lo = m.last if words[s:e] in _BELIEVING else start
            conceded = _CONCEDING.intersection(words[lo:s]) or spans_of(
                words, lexicon().minimisers, lo, s
            )
            denied = any(
                c.triggers or c.evaluations
                for c in reading.clauses
                if here.first <= c.first and c.last <= turn.first
            ) or bool(here.triggers)
            if conceded or (denied and words[s:e] not in _EPISTEMIC):
                out.append((m.item, s))
    return out


def _marked(reading: Reading, m: Match) -> bool:
    """The match stands in a clause marked as asserting a cause ("it's", "because", "the
    real cause is", "actually")."""
    return any(reading.clauses[c].assertion for c in m.clauses)


def _or_between(reading: Reading, a: Match, b: Match) -> bool:
    lo, hi = min(a.first, b.first), max(a.last, b.last)
    between = reading.words[lo:hi]
    same = reading.clause(a.first).sentence == reading.clause(b.first).sentence
    return same and ("or" in between or "either" in between or "nor" in between)


_ALTERNATIVE_GAP = frozenset({"a", "an", "the", "maybe", "perhaps", "possibly", "some"})


def _or_named(reading: Reading, m: Match) -> bool:
    """The match is offered beside another cause only named ("traffic surge or fallback or
    shadow"): an "or" right after or before it, and across it another cause's own thing
    (its first concept group) in a clause that is not turned down."""
    words = reading.words
    for k in (m.last, m.first - 1):
        if not 0 <= k < len(words) or words[k] not in ("or", "nor"):
            continue
        span = range(k + 1, min(len(words), k + 4)) if k == m.last else range(max(0, k - 3), k)
        for concept in _concepts():
            if concept.id == m.item:
                continue
            for p in concept.groups[0]:
                n = len(p.tokens)
                if p.tokens in _words_of(m.item):
                    continue  # "onto the GPUs or the A100s": an "or" in the cause's own words
                for i in span:
                    if not p.at(reading, i) or reading.clause(i).negated():
                        continue
                    between = words[k + 1 : i] if k == m.last else words[i + n : k]
                    if all(w in _ALTERNATIVE_GAP for w in between):
                        return True
    return False


@cache
def _words_of(name: str) -> frozenset[tuple[str, ...]]:
    """Every phrasing of every group of a cause's ways to say it."""
    return frozenset(p.tokens for c in _concepts() if c.id == name for g in c.groups for p in g)


_REASON_OPENERS = frozenset({"since", "because", "as", "given"})


@lru_cache(maxsize=256)  # a verdict, its report lines and its share read one answer each
def read_causes(text: str) -> CauseReading:
    """The causes an answer names, each with its role (see the module's doc)."""
    if normalise_id(text) in CATALOG:
        name = normalise_id(text)
        return CauseReading((Named(name, (text.strip(),), "primary"),), by_id=True)
    reading = read(text)
    matches = sorted(_matches(reading), key=lambda m: m.first)
    aside = _set_aside(reading, matches)
    for m in matches:  # a denial sets its cause aside too ("it's not the sample rate, ...")
        if _denied(reading, m):
            aside[m.item] = min(aside.get(m.item, m.first), m.first)
    # "..., but the DNS change is what actually broke it": a rival committed to
    for name, at in (
        _judged(reading, matches) + _switched(reading, matches) + committed_rivals(reading, matches)
    ):
        aside[name] = min(aside.get(name, at), at)  # "X ..., but I doubt that's it"
    live: dict[str, Match] = {}
    dead: dict[str, Match] = {}
    marked: set[str] = set()  # causes asserted as the cause in some live mention
    supposed: dict[str, Match] = {}  # causes first only supposed ("X crossed my mind")
    for m in matches:
        if not m.negated and not _asserts(reading, m):
            supposed.setdefault(m.item, m)
        if not m.negated and _asserts(reading, m):
            # a hypothesis supposed or reported, then talked about in the same sentence
            # ("X was my first guess, but X would hit everyone"; "X crossed my mind, since
            # ..."): the reasons weighed about it, not a claim, unless marked as the cause
            was = supposed.get(m.item)
            same = (
                was is not None
                and reading.clause(was.first).sentence == reading.clause(m.first).sentence
            )
            if same and not _marked(reading, m) and m.item not in live:
                continue
            # the reason given for ruling it out ("X crossed my mind and I ruled it out,
            # since the mirror was scoped to the window"): a clause opening on a reason, in
            # the sentence that ruled the cause out, weighs it and asserts nothing
            ruled = dead.get(m.item)
            if (
                ruled is not None
                and m.item not in live
                and reading.clause(ruled.first).sentence == reading.clause(m.first).sentence
                and reading.words[reading.clause(m.first).first] in _REASON_OPENERS
                and not _marked(reading, m)
            ):
                continue
            # a cause set aside stays set aside where it is only talked about again
            # ("shadow mirroring isn't the problem - those shadow requests are a rounding
            # error"; "it's not the sample rate, the header says 16 kHz"), unless it is
            # asserted as the cause
            if aside.get(m.item, len(reading.words)) < m.first and not _marked(reading, m):
                continue
            live.setdefault(m.item, m)
            if _marked(reading, m):
                marked.add(m.item)
        else:
            dead.setdefault(m.item, m)
    # the latest word on a cause is the writer's verdict: talked about, then denied ("...
    # its requests grew. So it isn't demand at all"), it is ruled out unless it was
    # marked as the cause
    # so is a denial after every mention ("its requests grew ... user traffic flat")
    last = {m.item: m for m in matches}
    for name, m in last.items():
        later = aside.get(name, -1) > live[name].first if name in live else False
        if name in live and (_denied(reading, m) or later) and name not in marked:
            dead.setdefault(name, m)
            del live[name]
    ruled_out = [
        Named(name, tuple(m.phrases), "ruled out") for name, m in dead.items() if name not in live
    ]
    ordered = sorted(live.values(), key=lambda m: m.first)
    roles = _roles(reading, ordered)
    listed = _candidates(reading)
    if listed is not None:  # "Possible reasons: - A - B - C": every cause in it a rival
        hi = listed[1]  # the heading too: it names what the guesses are about
        after = {m.item for m in matches if m.first >= hi}  # taken up again after the list
        roles |= {m.item: ("rival", False) for m in ordered if m.last <= hi and m.item not in after}
    hedged = any(r in ("rival", "soup") for r, _ in roles.values())
    named = [Named(m.item, tuple(m.phrases), *roles[m.item]) for m in ordered]
    return CauseReading((*named, *ruled_out), hedged)


# what a heading calls the entries of a list of guesses ("Possible reasons: ...",
# "candidates for the drop:", "Options the team is weighing: ...")
_CANDIDATE_LABELS = frozenset(
    {"possible", "candidates", "candidate", "options", "suspects", "hypotheses", "theories"}
    | {"possibilities", "guesses", "weighing", "contenders", "ideas", "shortlist"}
)
_LIST_ENTRY = re.compile(r"\n\s*(?:[-*•·]|\d+[.)])\s+|,")


def _candidates(reading: Reading) -> tuple[int, int] | None:
    """A list of guesses: a heading that calls its entries candidates, a colon, then three
    entries or more (lines or commas), with no word after the list naming one of them.
    Returns the list's word span. "Ruled out: A, B, C" is not one (no candidate label)."""
    text = reading.text
    colon = text.find(":")
    if colon < 0:
        return None
    head = [i for i, (a, _) in enumerate(reading.spans) if a < colon]
    if not head or len(head) > 10:
        return None
    # or a heading that is itself a hedge ("Could be any of:", "Maybe one of these:")
    hedged = bool(spans_of(reading.words, lexicon().hedges, 0, len(head)))
    if not (_CANDIDATE_LABELS & set(reading.words[: len(head)]) or hedged):
        return None
    rest = text[colon + 1 :]
    # the list runs to its last bullet line, or to the end of its sentence
    bullets = list(re.finditer(r"\n\s*(?:[-*•·]|\d+[.)])\s+[^\n]*", rest))
    if len(bullets) >= 3:
        end = colon + 1 + bullets[-1].end()
    else:
        stop = re.search(r"[.!?](?:\s|$)|\n", rest)
        end = colon + 1 + (stop.start() if stop else len(rest))
        if len(_LIST_ENTRY.findall(text[colon:end])) < 2:
            return None
    lo = len(head)
    hi = next((i for i, (a, _) in enumerate(reading.spans) if a >= end), len(reading.words))
    return lo, hi


def _roles(reading: Reading, ordered: list[Match]) -> dict[str, tuple[Role, bool]]:
    """Each live cause's role, and whether it stands only in clauses of consequence."""
    if not ordered:
        return {}

    def effect(m: Match) -> bool:
        return all(_effect_clause(reading, c) for c in m.clauses)

    def marked(m: Match) -> bool:
        return _marked(reading, m)

    def co(m: Match) -> bool:
        return any(reading.clauses[c].co_cause for c in m.clauses)

    def sentence(m: Match) -> int:
        return reading.clause(m.first).sentence

    causal = [m for m in ordered if not effect(m)] or ordered
    strong = [m for m in causal if marked(m)]
    primary = (strong or causal)[0]
    roles: dict[str, tuple[Role, bool]] = {}
    for m in ordered:
        role: Role = "primary" if m is primary else "co-cause" if co(m) else "mechanism"
        roles[m.item] = (role, effect(m))
    # alternatives: "A or B"; a hedged answer ("could be", "not sure") naming two or more,
    # or naming one in a sentence of alternatives; three or more side by side in a sentence
    asserted = [m for m in ordered if not effect(m)]
    by_sentence: dict[tuple[int, int], set[str]] = {}
    for m in asserted:
        by_sentence.setdefault(_independent(reading, m.first), set()).add(m.item)
    # a bracketed aside that names no cause of its own ("a larger acoustic model (or
    # vocoder, possibly both)") is unsure of a detail, not of the cause
    aside = _asides(reading, ordered)
    said = [c for n, c in enumerate(reading.clauses) if n not in aside]
    hedged = any(c.hedged for c in said)
    several = len({m.item for m in asserted}) >= 2
    for m in asserted:
        ordered_words = [
            w for c in said if c.sentence == sentence(m) for w in reading.words[c.first : c.last]
        ]
        words = set(ordered_words)
        either = (
            "either" in ordered_words and "or" in ordered_words[ordered_words.index("either") :]
        )
        offered = either or (hedged and (several or bool(words & {"or", "nor"})))
        offered |= _hedges_in(reading, sentence(m)) >= 2  # "perhaps A, perhaps B"
        soup = len(by_sentence[_independent(reading, m.first)]) >= SOUP_ITEMS
        paired = any(_or_between(reading, m, o) for o in asserted if o is not m)
        paired |= _or_named(reading, m)
        if soup and not paired:
            roles[m.item] = ("soup", False)
        elif offered or paired:
            roles[m.item] = ("rival", False)
    for m in asserted:
        if roles[m.item][0] == "mechanism" and _beside(reading, primary, m):
            roles[m.item] = ("co-cause", False)
    return roles


def _detail(reading: Reading, causes: set[str], lo: int, hi: int) -> bool:
    """Words from `lo` to `hi` name the own thing (first concept group) of one of `causes`."""
    return any(
        p.at(reading, i)
        for concept in _concepts()
        if concept.id in causes
        for p in concept.groups[0]
        for i in range(lo, hi)
    )


def _asides(reading: Reading, ordered: list[Match]) -> set[int]:
    """The clauses that stand wholly inside a bracket, name another thing of a cause named
    outside it ("a larger acoustic model (or vocoder, possibly both)": the voice's own
    thing) and no cause of their own: an aside about a detail of that cause. Not an
    alternative that names something else ("(or maybe the balancer change)")."""
    out: set[int] = set()
    for bracket in re.finditer(r"\(([^()]*)\)", reading.text):
        lo, hi = bracket.span()
        inside = {
            n
            for n, c in enumerate(reading.clauses)
            if c.last > c.first
            and reading.spans[c.first][0] >= lo
            and reading.spans[c.last - 1][1] <= hi
        }
        if not inside:
            continue
        within = {m.item for m in ordered if m.clauses <= inside}
        outside = {m.item for m in ordered if not m.clauses <= inside}
        first = min(reading.clauses[n].first for n in inside)
        last = max(reading.clauses[n].last for n in inside)
        # each alternative it offers ("or the vocoder settings, or the text normaliser") a
        # detail of the cause's own thing: else it offers something else and hedges
        ors = [i for i in range(first, last) if reading.words[i] == "or"]
        offered = all(_detail(reading, outside, a + 1, b) for a, b in pairwise([*ors, last]))
        if _detail(reading, outside, first, last) and offered and within <= outside:
            out |= inside
    return out


def _effect_clause(reading: Reading, c: int) -> bool:
    """A clause of consequence: it opens as one ("so the pool scaled up"), or it goes on
    with one in the same part of its sentence ("so the pool scaled up, new replicas
    started cold and clients timed out"), opening no cause of its own."""
    clause = reading.clauses[c]
    if clause.effect:
        return True
    if clause.co_cause or clause.assertion or clause.turned_down:
        return False
    part = _independent(reading, clause.first)
    for k in range(c - 1, -1, -1):
        before = reading.clauses[k]
        if before.sentence != clause.sentence or _independent(reading, before.first) != part:
            return False
        if before.co_cause or before.assertion:
            return False
        if before.effect:
            return reading.words[clause.first] not in _CONCEDING
    return False


_ADDITIVE = frozenset({"also", "additionally", "too"})
_BARE_ENTRY = 6  # a sentence of this many words or fewer naming one cause is an entry naming it


def _beside(reading: Reading, primary: Match, m: Match) -> bool:
    """A cause named after the primary is asserted beside it, as a cause of its own rather
    than as the primary's mechanism: named by its catalogue id (an id names a cause, never
    an effect); or, when it is not a consequence the catalogue knows the primary to lead to
    (`leads_to`), said on a line of its own ("- X\n- Y"), as a short entry naming only it
    ("X. Shadow mirror. Beam width."), in a clause opened by "also" ("I think X, and I also
    think Y"; "Also Y."), or marked as the cause again ("X is the cause ... Y is behind
    it"). What the primary's own sentence goes on to say is its story ("the push enabled
    batching, so requests waited for a batch")."""
    if any(name == m.item for name, _ in _id_mentions(reading)):
        return True  # a catalogue id, written as such
    if _rival_change(reading, m):
        return True  # "..., and the autoscaler target was changed as well"
    if _finding_of_its_own(reading, primary, m):
        return True  # "X is slower; the network got jittery; shadow traffic left on"
    if m.item in CATALOG[primary.item].leads_to:
        return False  # the primary's known consequence, however it is set out
    here, there = reading.clause(m.first), reading.clause(primary.first)
    clauses = [c for c in reading.clauses if c.sentence == here.sentence]
    lo, hi = clauses[0].first, clauses[-1].last
    said = not any(c.triggers for c in clauses) and not _STEADY.intersection(reading.words[lo:hi])
    rest = sum(not m.first <= i < m.last for i in range(lo, hi))
    if here.sentence != there.sentence and hi - lo <= _BARE_ENTRY and said and rest <= 3:
        # an entry of its own naming nothing else: "Shadow mirror.", "- a retry storm" (not a
        # verdict on it: "gain and clipping were unaffected")
        return True
    if _labelled_effect(reading, m):
        return False  # "Effects: more replicas, cold replicas after the scale-up"
    additive = _opens_additive(reading, m)
    if here.sentence == there.sentence and not additive:
        return False
    return (
        additive
        or _own_line(reading, primary, m)
        or (_marked(reading, m) and _marked(reading, primary))
    )


def _finding_of_its_own(reading: Reading, primary: Match, m: Match) -> bool:
    """A cause said after the primary in a part of its own of a list of findings (parts
    split by semicolons: "X is slower; the network got jittery; a client retry storm"),
    not said as the primary's consequence (its clause opens as an effect, "so", "which",
    "as a result", or its sentence is labelled "Effects:"): a finding of its own, so a
    second cause. A consequence the catalogue knows the primary leads to (`leads_to`) is
    its story when it is told as something that happened ("; the pool scaled up and the
    new replicas came up cold"), and a second cause when it is a change made ("; the
    autoscaler max was lowered") or a bare noun phrase ("; a client retry storm")."""
    part, other = _independent(reading, m.first), _independent(reading, primary.first)
    if part[0] != other[0] or part == other or part[1] < other[1]:
        return False  # only the parts after the primary's, in its sentence
    if any(reading.clauses[c].effect for c in m.clauses) or _labelled_effect(reading, m):
        return False
    lo, hi = _part_span(reading, m.first)
    if any(
        reading.clauses[c].effect
        for c in range(len(reading.clauses))
        if lo <= reading.clauses[c].first < hi and reading.clauses[c].first <= m.first
    ):
        return False  # "; as a result, the pool scaled up and replicas came up cold"
    if m.item not in CATALOG[primary.item].leads_to:
        return True
    # a change made ("was lowered", "got bumped"), not a consequence told with a participle
    # ("..., pushing features out of the training distribution")
    made = any(
        {reading.stems[k], *reading.lemmas[k]} & _MADE
        for k in range(lo, hi)
        if not m.first <= k < m.last
        and reading.words[k] not in ("change", "changes")
        and not reading.words[k].endswith("ing")
    )
    return made or not has_finite(reading, lo, hi)


def _part_span(reading: Reading, index: int) -> tuple[int, int]:
    """The words of the part of a sentence between semicolons that holds a word."""
    sentence, part = _independent(reading, index)
    lo, hi = _sentence_span(reading, sentence)
    words = [i for i in range(lo, hi) if _independent(reading, i) == (sentence, part)]
    return words[0], words[-1] + 1


# a second change made to the system, said with its own subject: "the target was changed
# as well", "another factor: the window was edited", "on top of that, the SDK was updated"
_MADE = frozenset(
    stem(w)
    for w in ("change", "modify", "alter", "edit", "update", "push", "tweak", "bump", "lower")
)
_MADE |= frozenset(stem(w) for w in ("raise", "deploy", "ship", "roll", "enable", "disable"))
_ANOTHER = frozenset({"factor", "cause", "contributor", "culprit", "change", "problem", "issue"})


def _rival_change(reading: Reading, m: Match) -> bool:
    """The match's clause adds a change of its own to the story: an additive word ("as well",
    "too", "also") or an opening that counts another ("another factor", "on top of that",
    "in addition") with a verb of a change made ("was changed", "got bumped", "was
    updated"), not what the data also showed ("the pool scaled down as well")."""
    words = reading.words
    said = set(m.clauses)
    last = max(said)
    if (
        last + 1 < len(reading.clauses)
        and reading.clauses[last + 1].sentence == reading.clauses[last].sentence
        and words[reading.clauses[last].last - 1] in _PASSIVE
    ):
        said.add(last + 1)  # "the target was | also changed": the predicate split off
    for c in sorted(said):
        clause = reading.clauses[c]
        own = words[clause.first : clause.last]
        start = _sentence_span(reading, clause.sentence)[0]
        opening = words[start : start + 4]
        counted = (
            (opening[:1] == ("another",) and _ANOTHER.intersection(opening))
            or opening[:3] in (("on", "top", "of"), ("in", "addition", "to"))
            or opening[:2] == ("in", "addition")
        )
        added = counted or bool(_ADDITIVE.intersection(own)) or ("as", "well") in set(pairwise(own))
        made = any(
            {reading.stems[k], *reading.lemmas[k]} & _MADE
            for k in range(clause.first, clause.last)
            if (not m.first <= k < m.last or _said_as_made(words, k, start))
            and words[k] not in ("change", "changes")
        )
        if added and made and not _set_aside_after(reading, clause):
            return True
    return False


# what the writer says of the other change after it: undone or beside the point
_SET_ASIDE = frozenset(
    {"reverted", "rolled", "unrelated", "harmless", "irrelevant", "cosmetic", "benign"}
    | {"innocuous", "innocent", "immaterial"}
)


def _set_aside_after(reading: Reading, clause: Clause) -> bool:
    """The other change's sentence goes on to set it aside, undenied: "the batch size was
    also changed, but that was reverted an hour earlier", "..., which is unrelated" (not
    "..., and it was never reverted")."""
    words = reading.words
    lo = clause.last
    hi = _sentence_span(reading, clause.sentence)[1]
    rest = words[lo:hi]
    for k, w in enumerate(rest):
        if w in _SET_ASIDE and (w != "rolled" or rest[k + 1 : k + 2] == ("back",)):
            before = rest[max(0, k - 3) : k]
            return not any(plain_denial(b) for b in before)
    return False


_PASSIVE = frozenset({"was", "were", "got", "been", "had", "has", "have", "is"})


def _said_as_made(words: tuple[str, ...], k: int, lo: int) -> bool:
    """The cause's own verb said as a change someone made, in the passive ("the target was
    also changed", "had been edited too"), not a noun ("the target change")."""
    return bool(_PASSIVE.intersection(words[max(lo, k - 3) : k])) and words[k].endswith("ed")


_EFFECT_LABELS = frozenset(
    {"effect", "effects", "consequence", "consequences", "result", "results", "impact"}
    | {"symptom", "symptoms", "fallout", "downstream"}
)


def _labelled_effect(reading: Reading, m: Match) -> bool:
    """The match stands in a sentence labelled as what followed ("Effects: ...", "Knock-on
    effect: ..."): an effect of the cause named, not a cause of its own."""
    start = _sentence_span(reading, reading.clause(m.first).sentence)[0]
    head = reading.words[start : start + 3]
    k = next((i for i, w in enumerate(head) if w in _EFFECT_LABELS), None)
    if k is None:
        return False
    after = reading.text[reading.spans[start + k][1] :].lstrip()
    return after.startswith(":") and start + k < m.first


def _own_line(reading: Reading, primary: Match, m: Match) -> bool:
    """The two causes stand on different lines of an answer written as lines (a list)."""
    text = reading.text
    start, other = reading.spans[m.first][0], reading.spans[primary.first][0]
    return "\n" in text[min(start, other) : max(start, other)]


def _opens_additive(reading: Reading, m: Match) -> bool:
    """A clause of the match adds a claim: its sentence opens with an additive word ("Also
    Y") or it says a second belief ("I also think Y", "I'd also suspect Y"). An "also"
    inside a statement of what happened ("the pool also scaled down") is what the data
    also showed: the story goes on."""
    beliefs = lexicon().beliefs | {"suspect", "blame", "say"}
    words = reading.words
    for c in m.clauses:
        clause = reading.clauses[c]
        start = _sentence_span(reading, clause.sentence)[0]
        if words[start] in _ADDITIVE:
            return True  # "Also the embedding fallback onto the GPUs."
        for k in range(clause.first, min(clause.last, m.first) - 1):
            if words[k] in _ADDITIVE and words[k + 1] in beliefs:
                return True
    return False


def _independent(reading: Reading, index: int) -> tuple[int, int]:
    """The sentence of a word and its part between semicolons: a semicolon joins two
    sentences ("first, jitter on one cohort ...; second, a shadow copy ..."), so causes on
    either side of one are not side by side."""
    sentence = reading.clause(index).sentence
    start = _sentence_span(reading, sentence)[0]
    gap = reading.text[reading.spans[start][0] : reading.spans[index][0]]
    return sentence, gap.count(";")


def _hedges_in(reading: Reading, number: int) -> int:
    """How many hedges a sentence holds ("perhaps A, perhaps B": two)."""
    lo, hi = _sentence_span(reading, number)
    return len(spans_of(reading.words, lexicon().hedges, lo, hi))


def _sentence_span(reading: Reading, number: int) -> tuple[int, int]:
    """The words of a sentence: its first clause's first word to its last clause's end."""
    clauses = [c for c in reading.clauses if c.sentence == number]
    return clauses[0].first, clauses[-1].last


def match_cause(text: str) -> tuple[str | None, str]:
    """The one catalogue cause a trainee's words name for a one-cause incident, and how it
    was read: by its id, in their words, or not at all (ambiguous or unrecognised). The
    catalogue itself is not quoted."""
    if not text.strip():
        return None, "no cause given"
    found = read_causes(text)
    named = found.single()
    if found.hedged:
        return None, f"ambiguous: alternatives offered ({len(named)} recognised)"
    if found.by_id:
        return named[0], "named by its id"
    if len(named) == 1:
        extra = sum(n.role == "mechanism" for n in found.found)
        how = "recognised in the trainee's words"
        if extra:
            how += f" (with {extra} mechanism{'s' if extra > 1 else ''} it led to)"
        return named[0], how
    if named:
        kind = "alternatives offered" if found.hedged else "several causes asserted"
        return None, f"ambiguous: the words fit {len(named)} different causes ({kind})"
    if any(n.role == "ruled out" for n in found.found):
        return None, "every cause the words name is ruled out or only supposed"
    return None, "not a cause the examiner recognises"


def match_causes(text: str) -> tuple[list[str], str]:
    """Every catalogue cause a trainee's answer names, for an incident with more than one
    fault: each asserted cause, whatever it is to the others; what is set aside (ruled
    out, turned down, supposed) is not named; alternatives offered are all named, so that
    a hedge cancels itself."""
    if not text.strip():
        return [], "no cause given"
    found = read_causes(text).compound()
    how = f"{len(found)} cause{'s' if len(found) != 1 else ''} recognised in the trainee's words"
    return found, how


def diagnosis_share(text: str, wanted: list[str]) -> tuple[float, list[str]]:
    """The share of an incident's causes an answer earns, and the causes it names: each
    right cause earns its share, each named cause that is not the incident's cancels one
    (a shotgun of hypotheses, or a hedge, earns nothing over the honest half-answer)."""
    found = read_causes(text)
    if found.hedged:  # alternatives offered: none of them is named
        return 0.0, found.single()
    if len(wanted) == 1:
        cause, _ = match_cause(text)
        named = [cause] if cause else found.single()
    else:
        named, _ = match_causes(text)
    right = [c for c in wanted if c in named]
    return max(0.0, len(right) - (len(named) - len(right))) / len(wanted), named
