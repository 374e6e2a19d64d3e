"""A rhetorical demand asks for the measure, it does not weigh it: "How many more outages
before we gate releases on the slice metrics?".

The construction: "how many more <what goes wrong> before/until <the measure>?", a count of
harms still to come before the measure is taken: the writer demands it now. Not a question
that weighs ("Why gate on health checks?", "How many more voices will we canary this
year?"), and a verdict against the measure inside it still counts against it ("how many
more outages before someone admits a canary is overkill?").
"""

from __future__ import annotations

from collections.abc import Sequence

_UNTIL = frozenset({"before", "until", "till"})


def demands(words: Sequence[str]) -> bool:
    """The question's words make a rhetorical demand for what they name."""
    for k in range(len(words) - 2):
        if tuple(words[k : k + 3]) == ("how", "many", "more"):
            # "how many more outages before we ...": the harm counted, then the measure
            return any(w in _UNTIL for w in words[k + 3 : k + 8])
    return False


__all__ = ["demands"]
