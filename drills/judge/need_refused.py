"""A measure's need denied after its merit is granted: "Halt on first-byte latency: good
practice, though we don't need it", "a canary on every voice is sensible; not needed".

The construction: a clause denies a need ("we don't need it", "not needed", "no need",
"isn't necessary") and what it denies points back — a pronoun ("it", "them", "one") or
nothing — with at most a qualifier of time, place or degree after it ("here", "now",
"for us", "really"). Said after a concession, it is the writer's verdict on the measure,
whatever the clause before directed. Not a need denied of something else ("we don't need
it to be perfect", "we don't need a big one", "no need to page anyone"), nor one turned
again in the clause ("we don't need it yet, but ...").
"""

from __future__ import annotations

from collections.abc import Sequence

from drills.judge.reading import plain_denial

_NEEDS = frozenset({"need", "needed", "necessary", "required", "essential", "needful"})
_POINTING = frozenset({"it", "them", "that", "this", "one", "those", "these"})
# what may follow the denied need without giving it an object of its own
_QUALIFIERS = frozenset(
    {"here", "now", "today", "though", "really", "honestly", "for", "us", "at", "all"}
    | {"anyway", "frankly", "either", "right", "imo", "personally", "in", "practice"}
)


def refuses_need(words: Sequence[str]) -> bool:
    """The clause's words deny a need that points back at what was said before."""
    for k, w in enumerate(words):
        if w not in _NEEDS:
            continue
        before = words[max(0, k - 3) : k]
        if not any(plain_denial(b) or b == "nor" for b in before):
            continue
        rest = list(words[k + 1 :])
        if rest and rest[0] in _POINTING:
            rest = rest[1:]
        if all(r in _QUALIFIERS for r in rest):
            return True
    return False


__all__ = ["refuses_need"]
