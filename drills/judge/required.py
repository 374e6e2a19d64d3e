"""A rule that requires a measure by refusing passage without it: "Nothing reaches the router
without a slice gate", "From now on nothing mirrors traffic without an expiry date", "I refuse
to approve another decoder change without a trace diff".

The construction, whatever its words: what is refused is a change let through (the verbs of
letting through, `PASSING`: approve, ship, merge, promote, sign ...), or everything at once
("nothing" as the clause's subject), and the "without" names what it must have. The two
negatives cancel, as "no voice ships without a canary" does (`reading._never_without`):
- "nothing", "nobody", "no one" or "no <thing>" as the subject, among the clause's first
  words ("from now on nothing ...", "the fix is that nobody can start a mirror without an
  end date", "no cohort moves to a new path without a staged rollout"), with a "without"
  after it: nothing passes but with the thing, whoever speaks;
- an opening "never" or "no more" with a "with no" ("never again should a cohort degrade
  with no alert"), read as "without" is;
- a speaker's refusal ("I refuse to", "we won't", "I wouldn't") of a verb of letting through,
  with a "without" after its object.
Not a measure refused ("I wouldn't add a budget without evidence": adding is no passage),
nor a "nothing" that is no subject ("we changed nothing without a review" reports), nor a
subject whose verb is a past report ("nobody noticed it shipped without a gate"), nor a
comparison ("nothing ships faster than a change without a gate").
"""

from __future__ import annotations

from collections.abc import Sequence

import snowballstemmer

# the verbs of letting a change through, in their plain forms (reading.py stems them)
PASSING = (
    *("promote", "ship", "approve", "merge", "deploy", "release", "roll", "push"),
    *("accept", "allow", "let", "sign", "launch", "greenlight", "enable", "publish"),
)
_STEMMER = snowballstemmer.stemmer("english")  # reading.py's stemmer (this module is a leaf)
_STEMS = frozenset(str(_STEMMER.stemWord(w)) for w in PASSING)
_REFUSALS = frozenset({"refuse", "won't", "wouldn't", "cannot", "can't", "shan't"})
_OPENERS = frozenset({"from", "now", "on", "and", "so", "then", "after", "this", "today"})


def passing(word: str) -> bool:
    """A verb of letting through, in any of its inflections ("ships", "approved",
    "shipping", "merging", "letting"): by its stem, as reading.py reads `PASSING`."""
    return str(_STEMMER.stemWord(word)) in _STEMS


_NO_ONE = frozenset({"nothing", "nobody", "noone"})


def _opening_nothing(words: Sequence[str], lo: int, hi: int) -> int | None:
    """Where "nothing" / "nobody" / "no one" / "no <thing>" stands as the clause's subject:
    after nothing but an opener, or right after a "that" ("the fix is that nobody can
    ...")."""
    start = lo
    if "that" in words[lo:hi]:
        that = words.index("that", lo, hi)
        if that + 1 < hi and (words[that + 1] in _NO_ONE or words[that + 1] == "no"):
            start = that + 1
    for k in range(start, min(hi, start + 5)):
        if words[k] in _NO_ONE or (words[k] == "no" and k + 1 < hi and words[k + 1] != "more"):
            verb = words[k + 1 : min(hi, k + 5)]
            if _reported(verb) or _WANTING.intersection(verb) or _present(words, lo, hi):
                return None
            return k
        if words[k] not in _OPENERS:
            return None
    return None


_PAST = frozenset({"was", "were", "got", "went", "did", "had", "saw", "ran"})
_MODALS = frozenset({"can", "could", "should", "will", "would", "must", "may", "shall"})


def _reported(after: Sequence[str]) -> bool:
    """The subject's verb is past, with no modal before it: what happened is told ("no model
    passed without a gate last year", "nobody noticed ..."), no rule set."""
    for w in after:
        if w in _MODALS:
            return False
        if w in _PAST or (w.endswith("ed") and w != "need"):
            return True
    return False


# what a "without" names that is no measure: a reason, or what it would take ("without
# evidence it helps", "without a cost estimate", "without help from platform")
_REASONS = frozenset(
    {"evidence", "proof", "data", "reason", "estimate", "sign", "signoff", "help", "hire"}
)
# a subject's verb of liking or wanting ("nobody likes waiting ... without a reason"): a
# feeling told, no passage refused
_WANTING = frozenset(
    {"like", "likes", "want", "wants", "enjoy", "enjoys", "love", "loves", "hate", "hates"}
    | {"mind", "minds", "care", "cares", "wish", "wishes", "prefer", "prefers"}
)


def reason_after(words: Sequence[str], at: int, hi: int) -> bool:
    """What a "without" ending at `at` names is a reason or what it would take, no measure
    ("without evidence it would have caught this", "without help from platform")."""
    return bool(_REASONS.intersection(words[at : min(hi, at + 4)]))


def _present(words: Sequence[str], lo: int, hi: int) -> bool:
    """The clause reports what is done now ("nothing ships without a canary today already",
    "no mirror today runs without an expiry"), no rule set ("from today ..." sets one)."""
    for k in range(lo, hi):
        if words[k] in ("already", "currently"):
            return True
        if words[k] == "today" and (k == lo or words[k - 1] not in ("from", "of", "starting")):
            return True
    return False


def _opening_prohibition(words: Sequence[str], lo: int, hi: int) -> int | None:
    """An opening "never" or "no more" ("never again should a cohort degrade with no
    alert"): for a "with no", which `reading._never_without` does not read as "without"."""
    k = lo
    while k < hi and words[k] in _OPENERS:
        k += 1
    if k < hi and (words[k] == "never" or tuple(words[k : k + 2]) == ("no", "more")):
        return k
    return None


def _refused_passage(words: Sequence[str], lo: int, hi: int) -> int | None:
    """Where a refusal of letting something through stands ("I refuse to approve", "we
    won't ship"): a refusal word, then within three words a verb of letting through."""
    for k in range(lo, hi):
        refusal = words[k] in _REFUSALS or words[k] == "refuses"
        if refusal and any(passing(w) for w in words[k + 1 : k + 4]):
            return k
    return None


def required(
    words: Sequence[str], triggers: list[tuple[int, int]], lo: int, hi: int
) -> list[tuple[int, int]]:
    """The clause's triggers, less the refusal and the "without" of a rule that requires
    what follows the "without"."""
    # "with no alert" is a "without" ("nothing should reach users with no canary first")
    with_no = [
        t for t in triggers if words[t[0]] == "no" and t[0] > lo and words[t[0] - 1] == "with"
    ]
    withouts = [t for t in triggers if words[t[0]] == "without"] + with_no
    at = _opening_nothing(words, lo, hi)
    if at is None:
        at = _refused_passage(words, lo, hi)
    if at is None and with_no:
        at = _opening_prohibition(words, lo, hi)
    if at is None:
        return triggers
    after = sorted(t for t in withouts if t[0] > at)
    if not after or "than" in words[at : after[0][0]]:
        return triggers  # "nothing ships faster than a change with no gate": a comparison
    if reason_after(words, after[0][1], hi):
        return triggers  # "I refuse to merge a gate without evidence it helps": a reason
    dropped = {after[0], *(t for t in triggers if t[0] == at)}
    return [t for t in triggers if t not in dropped]


__all__ = ["PASSING", "passing", "reason_after", "required"]
