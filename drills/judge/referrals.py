"""What the examiner should read: the verdicts on which the rules and the second reader
disagree (docs/scoring.md, "The second reader").

The score is the rules' and stays so. Each cause of the incident, and each prevention
statement against each of the key's items, is also read by the cross-encoder
(`second_reader.asserts`); where one says the answer asserts it and the other does not,
the verdict is referred. On four writers nobody had tuned either reader on, what both
accepted was wrong or dismissive for 5 of 408 cause answers, and what either accepted held
540 of 544 right ones: a referral is where an examiner's minute is worth most.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from drills.judge.causes import CATALOG, diagnosis_share
from drills.judge.lines import prevention_concepts
from drills.judge.matcher import judge
from drills.judge.second_reader import THRESHOLD, ReaderUnavailable, asserts
from drills.library.scenario import AnswerKey, Conclusion


@dataclass(frozen=True)
class Referral:
    component: str  # diagnosis or prevention
    subject: str  # the cause or the prevention item
    words: str  # the trainee's words read (the cause, or one prevention statement)
    rules: bool  # the rules read them as asserting the subject (what the score counts)
    reader: float  # the second reader's probability that they do

    def why(self) -> str:
        said = "credit" if self.rules else "no credit"
        reads = "asserts" if self.reader >= THRESHOLD else "does not assert"
        return (
            f"the score gives {said} for {self.subject}; the second reader reads the words as "
            f"one that {reads} it ({self.reader:.2f}): an examiner decides"
        )


def cause_prose(cause: str) -> str:
    """A cause as the examiner's catalogue says it (what the reader was trained against)."""
    found = CATALOG.get(cause)
    return found.text if found is not None else cause.replace("-", " ")


def item_prose(key: AnswerKey) -> dict[str, str]:
    """Each prevention item as the key describes it (what the reader was trained against)."""
    return {p.id: f"{p.id.replace('-', ' ')}: {p.description}" for p in key.prevention}


def _diagnosis(key: AnswerKey, text: str) -> list[Referral]:
    if not text.strip():
        return []
    wanted = [f.cause for f in key.faults()]
    share, named = diagnosis_share(text, wanted)
    out = []
    for cause in wanted:
        rules = share > 0 and cause in named
        reader = asserts(cause_prose(cause), text)
        if rules != (reader >= THRESHOLD):
            out.append(Referral("diagnosis", cause, text, rules, reader))
    return out


def _prevention(key: AnswerKey, statements: list[str]) -> list[Referral]:
    concepts, prose = prevention_concepts(key), item_prose(key)
    out = []
    for text in (s for s in statements if s.strip()):
        earned = judge([text], concepts).earned
        for item, words in prose.items():
            reader = asserts(words, text)
            if (item in earned) != (reader >= THRESHOLD):
                out.append(Referral("prevention", item, text, item in earned, reader))
    return out


def referrals(key: AnswerKey, conclusion: Conclusion | None) -> list[dict[str, Any]]:
    """The verdicts to refer, as plain data for the report (empty without a conclusion).
    Pass the conclusion as an examiner reads it (`lines.as_seen`)."""
    if conclusion is None:
        return []
    try:
        found = _diagnosis(key, conclusion.cause)
        found += _prevention(key, [p for p in conclusion.prevention if isinstance(p, str)])
    except ReaderUnavailable as e:
        return [{"component": "all", "subject": "", "words": "", "why": f"no second reading: {e}"}]
    return [{**asdict(r), "reader": round(r.reader, 3), "why": r.why()} for r in found]


__all__ = ["Referral", "cause_prose", "item_prose", "referrals"]
