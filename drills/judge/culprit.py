"""A rival the writer commits to after the right cause: "The new voice is heavier. But the
load balancer config is what actually broke it", "..., the real culprit was the DNS change".

The construction: a clause calls something other than the causes named before it "what
actually broke/caused it" or "the real/actual culprit/cause/problem", undenied ("is not the
real culprit" keeps the cause) and not pointing back ("that is what actually broke it",
"which was the real culprit" take the cause before up). The causes named before it and not
named again in that clause are set aside, from that clause on: the writer committed to the
rival.
"""

from __future__ import annotations

from collections.abc import Sequence

from drills.judge.matcher import Match
from drills.judge.reading import Reading, plain_denial

_REAL = frozenset({"real", "actual", "true"})
_CULPRITS = frozenset({"culprit", "cause", "problem", "issue", "trigger", "reason"})
_BREAKING = frozenset({"broke", "caused", "triggered", "killed", "started"})
_BACK = frozenset({"that", "this", "it", "which", "those", "these", "they", "and"})


def _spans(words: Sequence[str]) -> list[int]:
    """Where the clause's commitment words start."""
    out = []
    for k in range(len(words) - 2):
        a, b, c = words[k : k + 3]
        culprit = a == "the" and b in _REAL and c in _CULPRITS
        if culprit or (a == "what" and b == "actually" and c in _BREAKING):
            out.append(k)
    return out


def committed_rivals(reading: Reading, matches: list[Match]) -> list[tuple[str, int]]:
    """(cause, word index) for each cause set aside by a rival committed to after it."""
    words, out = reading.words, []
    for s in _spans(words):
        clause = reading.clause(s)
        before = words[clause.first : s]
        lead = [w for w in before if w not in ("but", "though", "however", "so", "yet")]
        if any(plain_denial(w) or w == "hardly" for w in words[clause.first : s + 3]):
            continue  # "the DNS change is not the real culprit"
        if lead[:1] and lead[0] in _BACK and len(lead) <= 3:
            continue  # "that is what actually broke it": the cause before taken up
        if not lead and s + 3 < clause.last and words[s + 3] in ("is", "was"):
            rest = words[s + 4 : clause.last]
            if rest[:1] and rest[0] in _BACK:
                continue  # "the real culprit was that": pointing back
        again = {m.item for m in matches if m.last > clause.first}
        for m in matches:
            if m.last <= clause.first and not m.negated and m.item not in again:
                out.append((m.item, s))
    return out


__all__ = ["committed_rivals"]
