"""The rules and the second reader side by side on a blind corpus (docs/judge-rounds.md, "The
second reader"): `python -m tests.blind.second NAME...` prints, per label, how many answers
each way of deciding judges as a fair examiner would. It never prints an answer's text, so it
may be run on any corpus, held-out ones included.

- `rules`: the score as it is (what `corpus.py` measures);
- `reader`: the second reader alone (a cause or an item asserted when p >= THRESHOLD);
- `both`: what both accept: the verdicts a report does not refer;
- `either`: what either accepts: what an examiner who settles every referral can reach.

Labels read as in `corpus.py`; exams are left out (the reader was not trained on them).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from drills.judge.causes import diagnosis_share
from drills.judge.matcher import judge
from drills.judge.referrals import cause_prose, item_prose
from drills.judge.second_reader import THRESHOLD, asserts
from tests.blind.corpus import CORPORA, _cause_ok, _files, _key, _prevention

MODES = ("rules", "reader", "both", "either")
Ok = dict[str, bool]
Counts = dict[tuple[str, str], dict[str, list[int]]]


def _cause(label: str, text: str, wanted: list[str]) -> Ok:
    share, named = diagnosis_share(text, wanted)
    said = [c for c in wanted if asserts(cause_prose(c), text) >= THRESHOLD]
    right = [c for c in wanted if c in named]
    wrong = [c for c in named if c not in wanted]
    both = [c for c in right if c in said]
    both_share = 0.0 if share == 0 else max(0, len(both) - len(wrong)) / len(wanted)
    either = [c for c in wanted if (c in right and share > 0) or c in said]
    return {
        "rules": _cause_ok(label, share, wanted, named),
        "reader": _cause_ok(label, len(said) / len(wanted), wanted, said),
        "both": _cause_ok(label, both_share, wanted, both + wrong),
        "either": _cause_ok(label, len(either) / len(wanted), wanted, either),
    }


class _Read:
    """One prevention answer read both ways against its scenario's items."""

    def __init__(self, scenario: str, text: str) -> None:
        earned = judge([text], _prevention(scenario))
        self.weights, self.factor = dict(earned.weights), earned.factor
        self.p = {i: asserts(prose, text) for i, prose in item_prose(_key(scenario)).items()}

    def full(self, item: str) -> Ok:
        rules = self.weights.get(item, 0.0) * self.factor == 1.0
        reader = self.p[item] >= THRESHOLD
        return {"rules": rules, "reader": reader, "both": rules & reader, "either": rules | reader}

    def kept_out(self, item: str) -> Ok:
        rules = self.weights.get(item, 0.0) == 0.0
        reader = self.p[item] < THRESHOLD
        return {"rules": rules, "reader": reader, "both": rules | reader, "either": rules & reader}

    def nothing(self) -> Ok:
        rules = sum(self.weights.values()) * self.factor == 0.0
        reader = all(v < THRESHOLD for v in self.p.values())
        agreed = [i for i, w in self.weights.items() if self.p.get(i, 0.0) >= THRESHOLD]
        both = sum(self.weights[i] for i in agreed) * self.factor == 0.0
        return {"rules": rules, "reader": reader, "both": both, "either": rules and reader}


def _outcomes(corpus: Path, causes_only: bool = False) -> list[tuple[str, str, Ok]]:
    out: list[tuple[str, str, Ok]] = []
    for path in _files(corpus, "causes", "all"):
        wanted = [f.cause for f in _key(path.stem).faults()]
        for e in yaml.safe_load(path.read_text()):
            out.append(("causes", e["label"], _cause(e["label"], e["text"], wanted)))
    if causes_only:
        return out
    for path in _files(corpus, "prevention", "all"):
        doc = yaml.safe_load(path.read_text())
        for item in doc["items"]:
            for text in item["answers"]:
                out.append(("prevention", "right", _Read(path.stem, text).full(item["item"])))
        for neg in doc.get("negatives", []):
            out.append(("prevention", neg["label"], _Read(path.stem, neg["text"]).nothing()))
    for path in _files(corpus, "polarity", "all"):
        out += _polarity(path)
    return out


def _polarity(path: Path) -> list[tuple[str, str, Ok]]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    items = set(item_prose(_key(path.stem)))
    out = []
    for e in doc.get("for", []):
        read = _Read(path.stem, e["text"])
        out.append(("polarity", "proposed in negative words", read.full(e["item"])))
    for e in doc.get("against", []):
        read = _Read(path.stem, e["text"])
        out.append(("polarity", "argued against in approving words", read.kept_out(e["item"])))
    for e in doc.get("mixed", []):
        read = _Read(path.stem, e["text"])
        out.append(("polarity", "mixed: the measure proposed", read.full(e["for"])))
        if e.get("against") in items:
            out.append(("polarity", "mixed: the item waved away", read.kept_out(e["against"])))
    return out


def counts(name: str, causes_only: bool = False) -> Counts:
    """{(section, label): {mode: [judged as an examiner would, total]}}."""
    found: Counts = defaultdict(lambda: {m: [0, 0] for m in MODES})
    for section, label, ok in _outcomes(CORPORA[name], causes_only):
        for mode in MODES:
            found[(section, label)][mode][0] += int(ok[mode])
            found[(section, label)][mode][1] += 1
    return found


def table(found: Counts, cell: Callable[[int, int], str] = lambda g, n: f"{g:4}/{n:<4}") -> str:
    rows = [f"{'section':10} {'label':34} " + " ".join(f"{m:>10}" for m in MODES)]
    for (section, label), modes in sorted(found.items()):
        cells = " ".join(f"{cell(*modes[m]):>10}" for m in MODES)
        rows.append(f"{section:10} {label:34} {cells}")
    return "\n".join(rows)


if __name__ == "__main__":
    for corpus_name in sys.argv[1:]:
        print(f"== {corpus_name} (threshold {THRESHOLD})")
        print(table(counts(corpus_name)))
