"""A measure named as a topic, then appraised without a verb: "Canary gates — yet another
step to babysit", "Slice budgets: one more number to argue about", "Cohort alerts, lovely.
Another pager to mute.", "Per-device fixtures: a lab on every desk. No.", "Fixtures for
every build? Toil on tap."

The construction, whatever its words: the measure stands as a bare topic (its clause is a
noun phrase: no verb is said of it, nothing directs or recommends it), and what follows it
— the rest of its sentence after a colon, a dash or a comma, the next sentence when that
has no verb of its own, or the answer when the topic was asked as a question — is the
predicate a copula would have carried. The measure is argued against where that appraisal
counts it as one more of a pile ("another ...", "one more ...", "yet another ...") together
with the work it adds or what already does its job ("to argue about", "to babysit", "when
the graph already does"); where the appraisal's head is a verdict of the lexicon's
`evaluations` ("— a trap", "— overkill", as a copula's predicate is read); or where a
sentence of bare refusal follows ("No.", "No thanks.").

Not when the topic's own clause says something of the measure ("Canary gates catch bad
voices"), nor when the appraisal directs or recommends ("Canary gates: one more check
before release; add it"), turns back ("one more step, but worth it"), only piles on
("one more safety net") or names a gain ("less toil than the fleet page"); not a means
("By counting misroutes — noisy clips ... —") and not the answer to a question with a verb
of its own ("Who remembers to stop it? Nobody — so make it expire").
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from drills.judge.reading import (
    Clause,
    Reading,
    directs,
    lexicon,
    plain_denial,
    recommends,
    stem,
    verb_form,
)

# an addition to a pile: the measure counted as one more burden
_PILING = (("another",), ("one", "more"), ("yet", "another"))
_SOFTENERS = frozenset({"just", "simply", "only", "basically", "so", "oh", "great", "lovely"})
# a refusal said as a sentence of its own (with its courtesy: "No thanks.")
REFUSED = frozenset(
    {("no",), ("nope",), ("nah",), ("pass",), ("hard", "pass"), ("no", "thanks")}
    | {("no", "thank", "you"), ("thanks", "but", "no"), ("no", "way"), ("not", "a", "chance")}
)
_MEANS = frozenset({"by", "with", "through", "via", "using"})
_LEADING = frozenset({"a", "an", "just", "pure", "simply", "basically", "utter", "frankly"})
_TURNING = frozenset({"but", "though", "although", "however", "yet", "worth"})
# the work a thing piled on adds ("another SLO to argue about", "one more alert to mute"),
# and what there is doing its job already ("another dashboard ... the graph already does")
_BURDENS = frozenset(
    {"argue", "fight", "ignore", "mute", "silence", "snooze", "babysit", "maintain", "triage"}
    | {"chase", "debate", "already", "nobody", "noone", "flaky", "noisy", "toil", "fatigue"}
)


def _verbless(reading: Reading, lo: int, hi: int) -> bool:
    """Words [lo, hi) hold no verb said of anything: no copula or auxiliary, no denied verb,
    no verb form that cannot be a noun ("alerts per cohort" is a noun phrase)."""
    lex = lexicon()
    for w in reading.words[lo:hi]:
        if w in lex.finite or w in lex.auxiliaries or w.endswith("n't"):
            return False
        form = verb_form(w)
        if form is not None and not form[0]:
            return False
    return True


def _turns(words: tuple[str, ...]) -> bool:
    """A turn back in the words ("but worth it"); "yet another" piles on, it turns nothing."""
    return any(
        w in _TURNING and not (w == "yet" and words[k + 1 : k + 2] == ("another",))
        for k, w in enumerate(words)
    )


_KEPT_WORDS = frozenset({"worth", "worthwhile", "needed", "necessary", "essential"})
_KEPT_PAIRS = frozenset({("right", "call"), ("right", "move"), ("right", "thing")})


def _kept(words: tuple[str, ...]) -> bool:
    """A verdict for the measure in the appraisal's sentence ("another thing to maintain,
    and still the right call", "one more step, and a necessary one"), undenied."""
    if any(plain_denial(w) for w in words):
        return False
    pairs = set(pairwise(words))
    return bool(_KEPT_WORDS.intersection(words) or _KEPT_PAIRS & pairs)


def _own_words(reading: Reading, clause: Clause) -> tuple[str, ...]:
    return reading.words[clause.first : clause.last]


def piles_on(words: tuple[str, ...]) -> bool:
    """The words open by counting what they name as one more of a pile ("another SLO to
    argue about", "one more flaky step"), with no turn back in them ("but worth it")."""
    lead = list(words)
    while lead and lead[0] in _SOFTENERS:
        lead.pop(0)
    if _turns(words):
        return False
    pile = next((p for p in _PILING if tuple(lead[: len(p)]) == p), None)
    rest = lead[len(pile) :] if pile is not None else []
    return bool(rest) and any(w in _BURDENS or stem(w) in _BURDEN_STEMS for w in rest)


_BURDEN_STEMS = frozenset(stem(w) for w in _BURDENS)
_EASED = frozenset({"less", "fewer", "no", "without", "reduce", "reduces", "cut", "cuts", "end"})


def _judged(reading: Reading, clause: Clause) -> bool:
    """A verbless appraisal that piles on or holds a verdict of the lexicon's evaluations."""
    words = _own_words(reading, clause)
    if not words or _turns(words):
        return False
    if piles_on(words):
        return True
    lex = lexicon()
    if not _verbless(reading, clause.first, clause.last):
        return False
    # the appraisal's head is the verdict ("— a trap", "— overkill, frankly"), not a word
    # describing something else in it ("— noisy clips that stayed on ...")
    k = 0
    while k < len(words) and words[k] in _LEADING:
        k += 1
    # or one of the lexicon's dismissals said as a noun phrase ("— theatre", "— a solution
    # looking for a problem"): the verbless appraisal already holds no verb
    verdicts = (*lex.evaluations, *lex.negation_phrases)
    found = next((p for p in verdicts if words[k : k + len(p)] == p), None)
    # "— a flaky step", "— overkill": an article before it, or nothing after it
    return found is not None and (
        k + len(found) == len(words) or bool({"a", "an"} & set(words[:k]))
    )


def _topic(reading: Reading, own: list[Clause]) -> bool:
    """The measure's clauses are a bare topic: one sentence, no verb said, nothing directed."""
    if not own or len({c.sentence for c in own}) != 1:
        return False
    if reading.words[own[0].first] in _MEANS:
        return False  # "By counting misroutes — ...": a means, the answer to a question
    return not any(
        not _verbless(reading, c.first, c.last) or recommends(reading, c) or directs(reading, c)
        for c in own
    )


def appraised_against(reading: Reading, clauses: Iterable[int]) -> bool:
    """A measure said in `clauses` as a bare topic, and appraised against after it in its
    sentence or in the verbless sentence that follows."""
    own = sorted(set(clauses))
    if not _topic(reading, [reading.clauses[c] for c in own]):
        return False
    sentence = reading.clauses[own[0]].sentence
    after = [c for c in reading.clauses[own[-1] + 1 :] if c.sentence in (sentence, sentence + 1)]
    if any(directs(reading, c) or recommends(reading, c) for c in after):
        return False
    here = [c for c in after if c.sentence == sentence]
    if any(_turns(_own_words(reading, c)) or _kept(_own_words(reading, c)) for c in here):
        return False  # "one more step, but worth it", "..., and still the right call"
    nxt = [c for c in after if c.sentence == sentence + 1]
    if any(_judged(reading, c) for c in here):
        return True
    # the next sentence: a verbless appraisal ("Another dashboard to mute."), or a refusal
    said = tuple(w for c in nxt for w in _own_words(reading, c))
    if said in REFUSED:
        return True
    return bool(nxt) and piles_on(_own_words(reading, nxt[0]))


def answer_appraises(reading: Reading, answers: int) -> bool:
    """The answer to a measure asked as a topic ("Cohort alerts for every build? Pager
    fatigue on tap."), its own first `answers` words: a refusal, a pile, or a verbless
    appraisal naming the work the measure adds."""
    own = reading.words[:answers]
    # the question is a bare topic ("Cohort alerts for every build?"), not a question with a
    # verb of its own ("How would we have known ...?", "Who remembers to ...?")
    if not own or not _verbless(reading, answers, len(reading.words)):
        return False
    if _foretells_harm(own):
        return True  # "We'll drown in panels." (its "we'll" foretells, it chooses nothing)
    if any(
        (directs(reading, c) or recommends(reading, c)) and c.first < answers
        for c in reading.clauses
    ):
        return False
    if own in REFUSED or piles_on(own):
        return True
    return (
        _verbless(reading, 0, answers)
        and not _turns(own)
        and not _EASED.intersection(own)  # "less pager fatigue than ...": a gain
        and any(w in _BURDENS or stem(w) in _BURDEN_STEMS for w in own)
    )


_FORETELLING = frozenset({"we'll", "we'd", "you'll", "you'd", "they'll", "they'd"})


def _foretells_harm(words: tuple[str, ...]) -> bool:
    """ "We'll drown in panels", "you'd be buried in pages": the answer foretells what the
    measure would do to people, a harm of the lexicon's."""
    if not words or words[0] not in _FORETELLING:
        return False
    return any(stem(w) in lexicon().harms for w in words[1:4])


def opens_appraisal(text: str, reading: Reading) -> bool:
    """A statement that opens by piling on what the one before it named ("Another
    dashboard to tell us ..."), or is a bare refusal ("No thanks.")."""
    if reading.words in REFUSED:
        return True
    if not reading.clauses:
        return False
    first = reading.clauses[0]
    return piles_on(_own_words(reading, first)) and not any(
        directs(reading, c) or recommends(reading, c) for c in reading.clauses
    )


__all__ = ["REFUSED", "answer_appraises", "appraised_against", "opens_appraisal", "piles_on"]
