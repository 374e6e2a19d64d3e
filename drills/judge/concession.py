"""A measure's merit conceded, then a turn: "X sounds sensible, but ...".

The construction, whatever its words: a clause grants the measure its merit (praise said of
it through a copula or a verb of seeming, "makes sense", "in principle", "in theory", "on
paper", "best practice", or an opening "I agree" / "granted" / "sure"), and the sentence
turns on "but" / "though" / "however" / "yet" to something that does not take the measure
up. What follows the turn is the writer's verdict, whatever it says: a reason against ("the
data doesn't justify it", "our deploys are already well tested"), what there is said to
suffice, or a preference for the status quo. The measure is argued against.

The turn takes the measure up — and the concession is only the first half of a proposal —
when it directs something without closing the argument ("..., but it must halt on its own",
"..., but we should pair it with an alert"), adds to it ("also", "too", "plus"), sets it a
requirement ("needs", "only", "make sure", "as long as", "unless", "if") or says the
measure is not enough alone ("but not enough on its own": a measure kept and bettered).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from drills.judge.need_refused import refuses_need
from drills.judge.reading import Clause, Reading, closes_argument, directs, plain_denial

# praise a concession grants ("sounds sensible", "is a nice metric", "would be ideal")
_MERIT = frozenset(
    {"great", "nice", "lovely", "ideal", "useful", "helpful", "perfect", "sensible", "valuable"}
    | {"good", "reasonable", "neat", "smart", "solid", "thorough", "appealing", "tempting"}
    | {"elegant", "clever", "attractive", "laudable", "admirable", "principled", "rigorous"}
    | {"tidy", "clean", "cool", "fine", "wise", "prudent", "desirable", "worthwhile"}
)
# what says the merit of its subject: a copula or a verb of seeming
_SAYING = frozenset(
    {"is", "are", "was", "were", "be", "it's", "that's", "they're", "'s", "'re", "sounds"}
    | {"sound", "seems", "seem", "looks", "look", "feels", "feel"}
)
_GRANTING = frozenset(
    {("makes", "sense"), ("make", "sense"), ("in", "principle"), ("in", "theory")}
    | {("on", "paper"), ("best", "practice"), ("nice", "to"), ("good", "practice")}
)
_GRANTING_OPENERS = frozenset({"agreed", "granted", "sure", "admittedly"})
_GRANTING_PAIRS = frozenset({("i", "agree"), ("we", "agree"), ("i", "get"), ("i", "like")})
# liking the idea, said as an opening ("Love the idea of X", "I love X")
_GRANTING_PAIRS |= frozenset({("love", "the"), ("i", "love"), ("we", "love"), ("like", "the")})
_TURNS = frozenset({"but", "though", "however", "yet", "although"})
_SOFTENERS = frozenset({"honestly", "frankly", "sure", "ok", "okay", "yes", "well", "look"})
# a turn that keeps the measure: it adds to it, or sets it a requirement
_KEEPING = frozenset(
    {"also", "too", "plus", "needs", "need", "require", "requires", "only", "unless", "if"}
    | {"alone", "itself", "ensure", "sure", "provided", "long", "must", "should", "make"}
)


def _concedes(reading: Reading, clause: Clause) -> bool:
    """The clause grants its subject merit, and denies nothing."""
    words = reading.words[clause.first : clause.last]
    if not words or clause.triggers or any(plain_denial(w) for w in words):
        return False
    pairs = set(pairwise(words))
    if pairs & _GRANTING:
        return True
    lead = [w for w in words[:3] if w not in _SOFTENERS]
    if words[0] in _GRANTING_OPENERS or (lead and tuple(lead[:2]) in _GRANTING_PAIRS):
        return True
    return any(
        w in _MERIT and _SAYING.intersection(words[max(0, k - 4) : k]) for k, w in enumerate(words)
    )


def _opens_turn(reading: Reading, clause: Clause) -> bool:
    words = [w for w in reading.words[clause.first : clause.last] if w not in _SOFTENERS]
    return bool(words) and words[0] in _TURNS


def _keeps(reading: Reading, turn: list[Clause]) -> bool:
    """The turn takes the measure up: it directs something without closing the argument,
    or adds to the measure or sets it a requirement (a "must" kept for the measure, not the
    denied "must not")."""
    for clause in turn:
        words = reading.words[clause.first : clause.last]
        if refuses_need(words):
            return False  # "..., though we don't need it": the turn refuses the measure
        if directs(reading, clause) and not closes_argument(reading, clause):
            return True
        for k, w in enumerate(words):
            if w in _KEEPING and not any(plain_denial(d) for d in words[max(0, k - 2) : k]):
                return True
            if w == "enough" and any(plain_denial(d) for d in words[max(0, k - 3) : k]):
                return True  # "but not enough on its own"
    return False


def _until_inside(reading: Reading, clause: Clause) -> bool:
    """The concession runs on into "until ..." in its own clause: the merit holds only until
    the cost shows ("sounds clever until you debug it")."""
    words = reading.words[clause.first : clause.last]
    if "until" not in words[2:] or _KEEPING.intersection(words[words.index("until") :]):
        return False
    # the sentence ends there ("... until you debug it at 3 AM."), nothing after it to take
    # the measure up ("... until you forget it; so alert on it too")
    after = reading.text[reading.spans[clause.last - 1][1] :].lstrip("\"')] ")
    return not after or after[0] in ".!\n"


def _turned(reading: Reading) -> tuple[frozenset[int], frozenset[int]]:
    """(every clause of a concession turned against, the clauses that grant the merit: the
    conceding clause and the opening before it)."""
    out: set[int] = set()
    granting: set[int] = set()
    clauses = reading.clauses
    for n, clause in enumerate(clauses):
        if not _concedes(reading, clause):
            continue
        same = [m for m in range(n + 1, len(clauses)) if clauses[m].sentence == clause.sentence]
        turn_at = next(
            (m for m in same if _opens_turn(reading, clauses[m]) or _need_refused(reading, m)),
            None,
        )
        if turn_at is None and _until_inside(reading, clause):
            out.add(n)  # "X sounds clever until you debug it at 3 AM"
            granting.add(n)
            continue
        if turn_at is None:
            continue
        turn = [clauses[m] for m in same if m >= turn_at]
        if _keeps(reading, turn):
            continue
        out.update(m for m in range(n, same[-1] + 1))
        opening = {m for m in range(n) if clauses[m].sentence == clause.sentence}
        out.update(opening)  # "Honestly, it's a nice metric, but ...": its opening too
        granting.update(opening | {n})
    return frozenset(out), frozenset(granting)


def turned_from_next(before: Reading, after: Reading) -> bool:
    """A sentence that only grants a measure its merit ("Cohort alerts are appealing.",
    "Love the idea of X."), then a sentence that turns from it — a turn word anywhere in it
    ("It's weeks of work, though, ...") or a clause where the argument lands against it
    ("..., so I'm comfortable staying as we are", "the existing alert handled it") — and
    does not take it up ("Cohort alerts are valuable. However, they need thresholds per
    device." keeps it)."""
    if not before.clauses or not after.clauses:
        return False
    if not any(_concedes(before, c) for c in before.clauses):
        return False
    if any(
        directs(before, c) and not closes_argument(before, c) and not _concedes(before, c)
        for c in before.clauses
    ):  # "Love the idea of X." grants, whatever its first word
        return False
    turns = any(w in _TURNS for c in after.clauses for w in after.words[c.first : c.last]) or any(
        closes_argument(after, c) and not directs(after, c) for c in after.clauses
    )
    return turns and not _keeps(after, list(after.clauses)) and not _worth_after_turn(after)


_WORTH = frozenset({"worth", "worthwhile", "needed", "necessary", "essential", "required"})


def _worth_after_turn(reading: Reading) -> bool:
    """The sentence's last clause says the measure is worth it after its last turn word,
    undenied: "Though it slows releases, a halt on latency is worth it" (the cost conceded,
    then the measure kept), not "It is worth it in theory, though it's weeks of work"."""
    last = reading.clauses[-1]
    words = reading.words[last.first : last.last]
    turn = max((k for k, w in enumerate(words) if w in _TURNS), default=-1)
    return bool(_WORTH.intersection(words[turn + 1 :])) and not (
        any(plain_denial(w) for w in words)
    )


def _need_refused(reading: Reading, m: int) -> bool:
    clause = reading.clauses[m]
    return refuses_need(reading.words[clause.first : clause.last])


def argued_by_concession(reading: Reading, clauses: Iterable[int]) -> bool:
    """A measure said in `clauses` (none of which directs it) stands in a concession that
    turns against it."""
    held, granting = _turned(reading)
    own = list(clauses)
    if not own or not held.intersection(own):
        return False
    # the merit granted to something else, the measure said in the turn: "Our rollback is
    # clean, but a canary would have stopped it earlier" proposes the canary
    if not granting.intersection(own):
        return False
    # "Halt on it: good practice, though we don't need it": the need denied after the
    # concession refuses the measure, whatever its own clause directed
    if any(
        _need_refused(reading, m)
        and reading.clauses[m].sentence == reading.clauses[c].sentence
        and m > c
        for m in held
        for c in own
    ):
        return True
    return not any(
        directs(reading, reading.clauses[c])
        and not closes_argument(reading, reading.clauses[c])
        and not _concedes(reading, reading.clauses[c])  # "Slice gates are thorough, but"
        for c in own
    )


__all__ = ["argued_by_concession", "turned_from_next"]
