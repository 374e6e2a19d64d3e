"""A measure said by the lack that let the incident through: "There was no alarm to catch X",
"We had no gate that checked Y", "The gap was that nothing compared A with B".

The construction, whatever the measure's words: a past lack, said as what there was not,
with the job it would have done (a purpose "to catch ...", a relative "that / which
checks ..."), or a gap named as the incident's fault ("the gap / the problem / what was
missing was that nothing / nobody ..."). The writer reports what was missing to say it is
needed: the lack's negation is the lesson, not a verdict against the measure, as the answer
to "why did it happen?" is. Not a need denied ("there was no need for an alert", "no reason
to page"), not the present ("there is no alert" describes), and not where the lack is
welcomed ("there was no gate to slow us down": a gate's cost said as its job).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from typing import Any

from drills.judge.required import passing

# a clause of `drills.judge.reading` (its `first`, `last` and `triggers`), not imported: the
# reading imports this module
Clause = Any

_PAST_THERE = frozenset({("there", "was"), ("there", "were"), ("we", "had"), ("they", "had")})
_PAST_THERE |= frozenset({("there", "wasn't"), ("we", "didn't"), ("there", "weren't")})
_LACKING = frozenset({"no", "zero", "wasn't", "weren't", "didn't", "nothing", "nobody"})
# what a lack can be of that is no measure: a need, a reason, a point
_NO_MEASURE = frozenset(
    {"need", "reason", "point", "call", "value", "benefit", "use", "way", "time", "one"}
    | {"chance", "harm", "problem", "issue", "impact", "sign", "evidence", "change", "traffic"}
)
# the job a measure does ("to catch", "that flagged", "which would have told")
_JOBS = frozenset(
    {"catch", "caught", "catches", "flag", "flagged", "flags", "tell", "told", "tells", "stop"}
    | {"stopped", "stops", "spot", "spotted", "notice", "noticed", "warn", "warned", "detect"}
    | {"detected", "show", "showed", "shows", "alert", "alerted", "page", "paged", "compare"}
    | {"compared", "compares", "check", "checked", "checks", "block", "blocked", "halt"}
    | {"halted", "surface", "surfaced", "split", "broke", "looked", "watched", "measured"}
    | {"gated", "gate", "tracked", "track", "monitored", "monitor", "caught", "looks", "watch"}
)
_VIEWS = frozenset({"visibility", "insight", "view", "signal"})
_AUXILIARIES = frozenset({"would", "could", "have", "has", "had", "might", "will", "just", "ever"})
# a lack welcomed: its job said as a cost ("no gate to slow us down")
_COSTS = frozenset({"slow", "slowed", "delay", "delayed", "hold", "held", "burden", "overhead"})
_GAPS = frozenset({"gap", "problem", "issue", "miss", "hole", "failure", "flaw", "fault"})
_GAP_OPENERS = frozenset({"the", "our", "real", "big", "main", "one", "only", "what"})


def _past_lack(words: Sequence[str], a: int, lo: int, hi: int) -> bool:
    """ "there was no alarm to catch X", "we had zero visibility into Y": a denial right after
    a past "there was" / "we had", of something that is not a need, with its job after."""
    own = tuple(words[max(lo, a - 1) : a + 1])  # "there wasn't", "we didn't"
    if tuple(words[max(lo, a - 2) : a]) not in _PAST_THERE and own not in _PAST_THERE:
        return False
    said = words[a + 1 : hi]
    if _NO_MEASURE.intersection(said[:3]):
        return False
    if _VIEWS.intersection(said[:4]):
        return True  # "we had zero visibility into the shadow share"
    # its job: the verb after "to", or after a relative ("that / which (would have) ...")
    k = next((i for i, w in enumerate(said) if w in ("to", "that", "which")), None)
    if k is None:
        return False
    job = next((w for w in said[k + 1 : k + 4] if w not in _AUXILIARIES), "")
    return job in _JOBS and job not in _COSTS


def _gap_was(words: Sequence[str], a: int, lo: int) -> bool:
    """ "The gap was that nothing compared A with B", "the problem was nobody looked at the
    partials": the fault named as a lack, its negation the lesson."""
    if words[a] not in ("nothing", "nobody", "no"):
        return False
    before = words[lo:a]
    if not before or before[-1] not in ("that", "was", "is"):
        return False
    k = next((i for i, w in enumerate(before) if w in _GAPS), None)
    return (
        k is not None
        and k <= 3
        and all(w in _GAP_OPENERS for w in before[:k])
        and bool({"was", "is"}.intersection(before[k + 1 :]))
    )


_ANYONE = frozenset({"anyone", "anybody", "everyone", "everybody"})
_ANY = frozenset({"team", "engineer", "dev", "developer", "service", "one", "person"})


def _unchecked_leave(words: Sequence[str], a: int, lo: int) -> bool:
    """ "Right now anyone can push a config to the whole pool without a canary": a leave
    anyone has to act without the measure, the status quo complained of; its "without" is
    the lack, not a verdict on the measure."""
    if words[a] != "without":
        return False
    before = words[lo:a]
    k = next((i for i, w in enumerate(before) if w == "can"), None)
    if k is None or k == 0:
        return False
    subject = before[max(0, k - 2) : k]
    return bool(_ANYONE.intersection(subject)) or (
        subject[:1] == ("any",) and bool(_ANY.intersection(subject))
    )


# what happens unseen ("silent fallbacks", "unmonitored pools"): forbidden, it asks for
# the alarm that would have been raised
_SILENT = frozenset(
    {"silent", "silently", "unseen", "unnoticed", "unwatched", "unmonitored", "unalerted"}
    | {"unflagged", "undetected", "invisible"}
)
_RAISED = ("alert", "alarm", "monitor")


def _silence_forbidden(
    words: Sequence[str], clauses: list[Clause], lemmas: list[frozenset[str]]
) -> None:
    """ "No more silent fallbacks", "never again an unmonitored pool": a prohibition of what
    goes unseen is the alarm required; the word of silence stands for it too (the
    prohibition itself is read by `reading._harm_denied`)."""
    for clause in clauses:
        opening = tuple(words[clause.first : clause.first + 2])
        if opening not in (("no", "more"), ("never", "again")):
            continue
        for k in range(clause.first + 2, min(clause.last, clause.first + 5)):
            if words[k] in _SILENT:
                lemmas[k] = lemmas[k] | frozenset(_RAISED)


def _blind_to(words: Sequence[str], clauses: list[Clause], lemmas: list[frozenset[str]]) -> None:
    """ "We flew blind on per-request cost", "we were blind to the cohort's latency": what
    nobody could see is the watch that was missing, as a word of silence is under a
    prohibition; "blind" stands for the alarm on what it is blind to. Not where the
    blindness itself is denied ("we were never blind to it", "we aren't blind to it")."""
    for k in range(len(words) - 1):
        if words[k] != "blind" or words[k + 1] not in ("on", "to"):
            continue
        before = words[max(0, k - 2) : k]
        # "we should never be blind to it again": a prohibition, which asks for the alarm
        prohibited = any(
            words[j] in ("never", "not") and words[j - 1] in _PROHIBITING
            for j in range(max(1, k - 2), k)
        ) or any(w in ("shouldn't", "mustn't") for w in before)
        denied = any(w in _NOT_BLIND or w.endswith("n't") for w in before) and not prohibited
        # "nobody was blind to it", "none of us were blind to it": the blindness denied
        said = words[max(0, k - 5) : k]
        denied = denied or bool(_NOBODY.intersection(said)) or ("no", "one") in pairwise(said)
        # "being blind to it for a day is acceptable": the blindness approved of
        clause = next((c for c in clauses if c.first <= k < c.last), None)
        rest = words[k + 2 : clause.last] if clause is not None else ()
        if not denied and not _APPROVED.intersection(rest):
            lemmas[k] = lemmas[k] | frozenset(_RAISED)


_NOT_BLIND = frozenset({"never", "not", "hardly", "no", "nor"})
_NOBODY = frozenset({"nobody", "noone", "none", "neither"})
_PROHIBITING = frozenset({"should", "must", "shall"})
_APPROVED = frozenset({"acceptable", "fine", "ok", "okay", "tolerable", "harmless"})


# a why-question of what is done now ("why do we ...", "why on earth does the pool ...")
_PRESENT_WHY = frozenset({"do", "does"})
# a why-question of a choice to put a change out ("why would we ship X without Y?"): the
# release is the practice, what it goes without the lack
# ("how on earth could we staff X without a hire?" asks whether it can be done: no lack)
_HOW_DID = frozenset({"did", "does", "do", "is", "was"})
_CHOOSING_WHY = frozenset({"would", "should", "did", "do", "does"})
_WHO = frozenset({"we", "you", "they", "anyone", "anybody", "i", "someone", "people"})


# what a measure is called when it is what a why-question ships ("why would we deploy a
# latency gate without ...?")
_MEASURE_KINDS = frozenset(
    {"gate", "gates", "canary", "canaries", "alert", "alerts", "alarm", "alarms", "tripwire"}
    | {"tripwires", "guardrail", "guardrails", "monitor", "monitors", "dashboard", "rollback"}
)


def practice_lacking(words: Sequence[str]) -> bool:
    """ "Why on earth do we only alert on the total bill, without a unit-cost alarm?", "why
    does the pool keep working on requests nobody waits for, without a deadline?": a
    why-question of the present practice, with what it goes without: the lack complained of;
    so is a release chosen without it ("why would we ship a new voice without a canary?"),
    but not "why would we add X without evidence": a measure chosen, weighed); and so is
    "how on earth did X get through without Y?"."""
    k = 1
    exclaimed = tuple(words[1:3]) in (("on", "earth"), ("the", "hell"))
    if exclaimed:
        k = 3
    if len(words) <= k + 2 or words[k + 1].endswith("n't") or "without" not in words[k + 2 :]:
        return False
    if words[0] == "how":
        # "how on earth did a broken release get through without the gate?": the lack,
        # exclaimed over (a plain "how did ...?" asks)
        return exclaimed and words[k] in _HOW_DID
    if words[0] != "why":
        return False
    if words[k] in _PRESENT_WHY:
        return True
    # "why would we ship a voice without a canary?": a release chosen without the measure
    # (not "why would we add X without evidence it helps?", a measure chosen)
    verb = next((w for w in words[k + 2 : k + 4] if w not in ("ever", "still", "just")), "")
    lacking = list(words).index("without", k + 2)
    said = [w for w in words[lacking + 1 : lacking + 4] if w not in ("a", "an", "any", "the")]
    return (
        words[k] in _CHOOSING_WHY
        and words[k + 1] in _WHO
        and passing(verb)
        # "why would we merge a canary config without sign-off?": what is shipped is the
        # measure itself, weighed, not a release that lacks it
        and not _MEASURE_KINDS.intersection(words[k + 2 : lacking])
        # "why would we ship X without evidence it helps?": what it lacks is a reason
        and not _NO_MEASURE.intersection(said[:1])
        and said[:1] != ["proof"]
    )


def lacked(
    words: Sequence[str], clauses: list[Clause], lemmas: list[frozenset[str]]
) -> list[Clause]:
    """Clauses whose denial reports the lack that let the incident through: the denial
    governs nothing (the measure stands)."""
    _silence_forbidden(words, clauses, lemmas)
    _blind_to(words, clauses, lemmas)
    out = list(clauses)
    for n, clause in enumerate(clauses):
        lo, hi = clause.first, clause.last
        kept = tuple(
            (a, b)
            for a, b in clause.triggers
            if not (
                b - a == 1
                and words[a] in _LACKING
                and (_past_lack(words, a, lo, hi) or _gap_was(words, a, lo))
            )
            and not (b - a == 1 and _unchecked_leave(words, a, lo))
        )
        if kept != clause.triggers:
            out[n] = replace(clause, triggers=kept)
    return out


__all__ = ["lacked", "practice_lacking"]
