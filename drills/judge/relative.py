"""A predicate after a relative clause speaks of the subject before it: "A canary on each
voice, which the platform team suggested, is not needed", "Slice gates, as the review asked
for, would be overkill".

The construction: a clause that opens with its verb (a copula or an auxiliary: it has no
subject of its own) follows a relative or comparative clause set off by commas ("which
...", "who ...", "that ...", "as ..."); its subject is the clause before the relative. A
negation or a verdict in that predicate ("is not needed", "isn't worth it", "would be a
mistake") turns the subject down, as it would in "A canary on each voice is not needed".
Not when the predicate has a subject of its own ("..., which the team suggested, and we
should add it"), nor when the clause before is not set off by commas.
"""

from __future__ import annotations

from collections.abc import Sequence

_RELATIVES = frozenset({"which", "who", "whom", "whose", "that", "as"})


def subjects_of_predicates(
    text: str,
    words: Sequence[str],
    spans: Sequence[tuple[int, int]],
    bounds: Sequence[tuple[int, int, int]],
    verbs: frozenset[str],
) -> list[tuple[int, int]]:
    """(predicate clause, subject clause) pairs, by index into `bounds` ((sentence, first,
    last) of each clause): a predicate opening with one of `verbs` after a relative clause
    set off by commas, and the subject clause before that relative (the caller checks that
    the subject is only a noun phrase: "X does worse, and the eval, which ..., didn't" says
    nothing of X)."""
    out = []
    for c in range(2, len(bounds)):
        sentence, first, _ = bounds[c]
        rel_sentence, rel_first, _ = bounds[c - 1]
        subj_sentence, _, _ = bounds[c - 2]
        if not first or words[first] not in verbs or words[rel_first] not in _RELATIVES:
            continue
        if not sentence == rel_sentence == subj_sentence:
            continue
        before_rel = text[spans[rel_first - 1][1] : spans[rel_first][0]]
        before_pred = text[spans[first - 1][1] : spans[first][0]]
        if "," in before_rel and "," in before_pred:
            out.append((c, c - 2))
    return out


__all__ = ["subjects_of_predicates"]
