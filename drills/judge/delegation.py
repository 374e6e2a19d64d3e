"""A measure handed to someone else: "I'd leave that to the edge team's judgement", "that's
the platform team's job", "up to the owners", "not our call".

The construction, whatever the measure: what to do is left to another's judgement or named as
another's work, so the writer proposes nothing — a verdict against the measure, as "not now"
is a verdict on its time. It needs a person or a team as the one it is left to ("leave
promotion to an automatic gate" hands the decision to a measure, and proposes it), and it is
no delegation when the writer makes it someone's job ("make it the release manager's job to
check slices" directs).
"""

from __future__ import annotations

from collections.abc import Sequence

_LEAVING = frozenset({"leave", "leaves", "left", "leaving", "defer", "defers", "deferring"})
# a comparison that hands the measure over ("the data team is better placed for it")
_PLACED = frozenset({"placed", "suited", "positioned", "equipped"})
# who a measure can be left to: people, and the judgement they exercise
_DELEGATES = frozenset(
    {"team", "teams", "judgement", "judgment", "discretion", "call", "owners", "owner", "folks"}
    | {"people", "engineers", "squad", "org", "department", "whoever", "individuals", "them"}
    | {"devs", "developers", "oncall", "on-call", "leads", "managers", "sres"}
)
# work named as someone's: "the edge team's job", "not our problem"
_REMITS = frozenset({"job", "problem", "call", "responsibility", "concern", "remit", "area"})
_HOLDERS = frozenset({"our", "my", "their", "his", "her"})
_MAKING = frozenset({"make", "makes", "making", "made", "put", "assign", "give"})
# "let / have / ask the release team own it": made so, as "make" does
_MAKING |= frozenset({"let", "lets", "letting", "have", "has", "get", "ask", "asks", "tell"})


def _names_holder(words: Sequence[str]) -> bool:
    """The words name someone a measure can be left to: a delegate ("the platform team",
    "whoever") or a possessive ("the SRE org's", not "it's")."""
    return any(w in _DELEGATES or (w.endswith("'s") and w != "it's") for w in words)


def _left_to(words: Sequence[str], k: int) -> bool:
    """ "leave (it / X) to the edge team's judgement": a verb of leaving, "to", and a delegate
    within a few words after it."""
    to = next((j for j in range(k + 1, min(len(words), k + 7)) if words[j] == "to"), None)
    if to is None:
        return False
    after = words[to + 1 : to + 6]
    return _names_holder(after) and not any(
        w in ("automatic", "automated", "gate", "alert", "canary") for w in after
    )


def _remit(words: Sequence[str], k: int) -> bool:
    """ "that's the platform team's job", "not our call": a remit named as another's (or
    denied as ours), not made so ("make it the on-call's job")."""
    before = words[max(0, k - 5) : k]
    if _MAKING.intersection(words[:k]):
        return False
    holder = words[k - 1] if k else ""
    if holder in _HOLDERS:
        return (holder != "my" and holder != "our") or "not" in before or "isn't" in before
    return holder.endswith("'s") and holder not in ("it's", "that's", "what's", "here's")


# owning what was pointed back to: "the platform team is better placed to own that"
_OWNING = frozenset({"own", "owns", "owning", "handle", "handles", "drive", "drives"})
_POINTED = frozenset({"that", "it", "this", "those", "them"})
_SELF = frozenset({"we", "i", "our", "my", "us", "we'd", "i'd", "we'll", "i'll", "let's"})


def _owned_by(words: Sequence[str], k: int) -> bool:
    """ "the platform team is better placed to own that", "the SRE org should own it": what
    was pointed back to, given to another team or person to own (not the writer's own team:
    "our team will own it"; not made so: "make the platform team own it")."""
    if k + 2 != len(words) or words[k + 1] not in _POINTED:
        return False  # the pointer ends it: "own it on every deploy" sets it a duty
    before = words[max(0, k - 8) : k]
    return (
        _names_holder(before)
        and not _SELF.intersection(before)
        and not _MAKING.intersection(before)
    )


def _better_placed(words: Sequence[str], k: int) -> bool:
    """ "the data team is better placed for it", "platform folks are better suited to own
    that": another team said to be the better holder (not "we are better placed")."""
    if k == 0 or words[k - 1] != "better":
        return False
    before = words[max(0, k - 6) : k - 1]
    return _names_holder(before) and not _SELF.intersection(before)


def delegates(words: Sequence[str]) -> bool:
    """The words hand what to do to someone else."""
    return any(
        (w in _LEAVING and _left_to(words, k))
        or (w in _REMITS and k and _remit(words, k))
        or (w in _OWNING and _owned_by(words, k))
        or (w in _PLACED and _better_placed(words, k))
        for k, w in enumerate(words)
    )


__all__ = ["delegates"]
