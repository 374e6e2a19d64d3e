"""A rule that requires a measure by refusing passage without it: "Nothing reaches the router
without a slice gate", "From now on nothing mirrors traffic without an expiry date", "I refuse
to approve another decoder change without a trace diff".

The construction, whatever its words: what is refused is a change let through (the verbs of
letting through, `PASSING`: approve, ship, merge, promote, sign ...), or everything at once
("nothing" as the clause's subject), and the "without" names what it must have. The two
negatives cancel, as "no voice ships without a canary" does (`reading._never_without`):
- "nothing" as the subject, among the clause's first words ("from now on nothing ..."), with a
  "without" after it: nothing passes but with the thing, whoever speaks;
- a speaker's refusal ("I refuse to", "we won't", "I wouldn't") of a verb of letting through,
  with a "without" after its object.
Not a measure refused ("I wouldn't add a budget without evidence": adding is no passage),
nor a "nothing" that is no subject ("we changed nothing without a review" reports).
"""

from __future__ import annotations

from collections.abc import Sequence

# the verbs of letting a change through, in their plain forms (reading.py stems them)
PASSING = (
    *("promote", "ship", "approve", "merge", "deploy", "release", "roll", "push"),
    *("accept", "allow", "let", "sign", "launch", "greenlight", "enable", "publish"),
)
_PLAIN = frozenset(PASSING)
_REFUSALS = frozenset({"refuse", "won't", "wouldn't", "cannot", "can't", "shan't"})
_OPENERS = frozenset({"from", "now", "on", "and", "so", "then", "after", "this", "today"})


def passing(word: str) -> bool:
    """A verb of letting through, in any of its plain inflections ("ships", "approved")."""
    if word in _PLAIN:
        return True
    for end in ("ing", "ped", "ged", "ed", "es", "s", "d"):
        if word.endswith(end) and word[: -len(end)] in _PLAIN:
            return True
    return False


def _opening_nothing(words: Sequence[str], lo: int, hi: int) -> int | None:
    """Where "nothing" stands as the clause's subject: after nothing but an opener."""
    for k in range(lo, min(hi, lo + 5)):
        if words[k] == "nothing":
            return k
        if words[k] not in _OPENERS:
            return None
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
    withouts = [t for t in triggers if words[t[0]] == "without"]
    if not withouts:
        return triggers
    at = _opening_nothing(words, lo, hi)
    if at is None:
        at = _refused_passage(words, lo, hi)
    if at is None:
        return triggers
    after = [t for t in withouts if t[0] > at]
    if not after:
        return triggers
    dropped = {after[0], *(t for t in triggers if t[0] == at)}
    return [t for t in triggers if t not in dropped]


__all__ = ["PASSING", "passing", "required"]
