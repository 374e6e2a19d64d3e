"""A rhetorical demand asks for the measure, it does not weigh it: "How many more outages
before we gate releases on the slice metrics?".

`asks_for` is the one reading of a question that asks for what it names, for the drill's
statements (matcher `_asks`) and the exam's sentences (essay `_demands`): a suggestion ("why
not ...?", "how about ...?"), a complaint of a lack ("why is there still no alert on X?",
`reading.complains`) or a rhetorical demand (`demands`). The exam reads a few more
rhetorical forms on top ("what if ...?", "how else ..., if not ...?").

The construction: "how many more <what goes wrong> before/until <the measure>?", a count of
harms still to come before the measure is taken: the writer demands it now. Not a question
that weighs ("Why gate on health checks?", "How many more voices will we canary this
year?"), and a verdict against the measure inside it still counts against it ("how many
more outages before someone admits a canary is overkill?").
"""

from __future__ import annotations

from collections.abc import Sequence

from drills.judge.reading import complains

# a suggestion said as a question, wherever its question opens ("..., so why not alarm on it?")
SUGGESTIONS = frozenset({("why", "not"), ("how", "about"), ("what", "about"), ("why", "don't")})
_UNTIL = frozenset({"before", "until", "till"})


def demands(words: Sequence[str]) -> bool:
    """The question's words make a rhetorical demand for what they name."""
    for k in range(len(words) - 2):
        if tuple(words[k : k + 3]) == ("how", "many", "more"):
            # "how many more outages before we ...": the harm counted, then the measure
            return any(w in _UNTIL for w in words[k + 3 : k + 8])
    return False


def asks_for(words: Sequence[str]) -> bool:
    """The question asks for what it names: a suggestion, a complaint of a lack or a
    rhetorical demand, not an open question that weighs ("Why gate on health checks?")."""
    found = list(words)
    if any(tuple(found[k : k + 2]) in SUGGESTIONS for k in range(len(found) - 1)):
        return True
    return complains(found) or demands(found)


__all__ = ["SUGGESTIONS", "asks_for", "demands"]
