"""A measure's own noun used as the verb of an instruction that opens a statement:
"Canary new voices on 5% first", "Canary the next voice before it ships".

The construction: the statement's first word is a noun that no verb table lists (LemmInflect
knows "canary" only as a noun), and the word after it opens its object: a determiner or a
quantifier ("the", "every", "our", "these") or "new". The rest of the clause has no finite
verb of its own, so the noun is not the head of a subject ("Canary releases are slow", "The
canary the team built failed"). Read so, the statement directs, as "Gate new voices on ..."
does, and an earlier "the manual listen is enough" does not turn it down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lemminflect import getAllLemmas

# what opens the object of an instruction's verb
_OBJECT_OPENERS = frozenset(
    {"the", "every", "each", "all", "any", "our", "its", "their", "these", "those", "new"}
)
_STATEMENT_ENDS = ".;:!?\n—–"
# a subordinate clause's own verb is not the statement's ("... before it ships")
_SUBORDINATORS = frozenset(
    {"before", "after", "when", "once", "until", "if", "unless", "so", "because", "while"}
)


def noun_opens_instruction(
    text: str,
    words: Sequence[str],
    spans: Sequence[tuple[int, int]],
    at: int,
    last: int,
    finite: Callable[[int], bool],
) -> bool:
    """The word at `at` (the clause's first past its openers, the clause ending at `last`)
    opens its statement and is a noun used as an instruction's verb before its object, with
    no finite verb after it in the clause (`finite(k)` tells whether words[k] is one)."""
    word = words[at]
    if not word.isalpha() or at + 1 >= last or words[at + 1] not in _OBJECT_OPENERS:
        return False
    if "NOUN" not in getAllLemmas(word):
        return False
    before = text[: spans[at][0]].rstrip()
    if before and before[-1] not in _STATEMENT_ENDS:
        return False  # "we'll canary new voices": read where a subject governs it
    end = next((k for k in range(at + 2, last) if words[k] in _SUBORDINATORS), last)
    return not any(finite(k) for k in range(at + 2, end))
