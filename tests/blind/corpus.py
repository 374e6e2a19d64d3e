"""Recall and false accepts of the language judge on a corpus written blind
(tests/blind/README.md): what `tests/test_blind.py` asserts and `docs/scoring.md` reports.

`python -m tests.blind.corpus tune` prints the figures and every miss and false accept (the
tuning loop). The held-out corpus is only ever read by the test, once the judge is frozen.

Per label, causes are judged as the drill's diagnosis reads them (the share of the
incident's causes earned: a wrong cause named cancels a right one); prevention phrasings and
negatives as a one-statement prevention list; exam answers as the exam marks them, per
prose rubric item (practical items need the handed-in artifact and are left out).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drills.course.exam import Attempt, ExamItem, exam_paths, load_exam, mark
from drills.judge.causes import diagnosis_share
from drills.judge.matcher import judge
from drills.judge.scoring import prevention_concepts
from drills.library.paths import library_root
from drills.library.scenario import AnswerKey, load_key, load_scenario

HERE = Path(__file__).parent
# A and B tune the judge (B was its first held-out set, measured once); C is held out
CORPORA = {"tune": HERE / "A", "tune-b": HERE / "B", "heldout": HERE / "C"}


@dataclass
class Tally:
    """One label's outcomes: `good` are the answers judged as a fair examiner would."""

    total: int = 0
    good: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.total += 1
        self.good += ok
        if not ok:
            self.misses.append(what)

    @property
    def rate(self) -> float:
        return self.good / self.total if self.total else 1.0


@dataclass
class Figures:
    causes: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    prevention: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    exam_items: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    exam_bands: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    exam_scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def _key(scenario: str) -> AnswerKey:
    folder = library_root() / scenario
    return load_key(folder / "key.yaml", load_scenario(folder / "scenario.yaml"))


# what each cause label must earn of the diagnosis (share of the incident's causes)
def _cause_ok(label: str, share: float, causes: list[str], named: list[str]) -> bool:
    if label == "right":
        return share == 1.0
    if label in ("first-only", "second-only"):
        want = causes[0] if label == "first-only" else causes[1]
        return share == 0.5 and want in named
    return share == 0.0  # wrong, hedge, dismissive-right


def causes(corpus: Path, figures: Figures) -> None:
    for path in sorted((corpus / "causes").glob("*.yaml")):
        key = _key(path.stem)
        wanted = [f.cause for f in key.faults()]
        for entry in yaml.safe_load(path.read_text()):
            share, named = diagnosis_share(entry["text"], wanted)
            ok = _cause_ok(entry["label"], share, wanted, named)
            figures.causes[entry["label"]].add(
                ok,
                f"{path.stem} [{entry.get('style')}] share={share:g} named={named}: "
                f"{entry['text']!r}",
            )


def prevention(corpus: Path, figures: Figures) -> None:
    for path in sorted((corpus / "prevention").glob("*.yaml")):
        concepts = prevention_concepts(_key(path.stem))
        doc = yaml.safe_load(path.read_text())
        for item in doc["items"]:
            for text in item["answers"]:
                earned = judge([text], concepts)
                ok = earned.weights.get(item["item"], 0.0) * earned.factor == 1.0
                figures.prevention["right"].add(
                    ok, f"{path.stem} {item['item']}: {text!r} got {sorted(earned.earned)}"
                )
        for negative in doc.get("negatives", []):
            earned = judge([negative["text"]], concepts)
            figures.prevention[negative["label"]].add(
                earned.credit == 0.0,
                f"{path.stem}: {negative['text']!r} got {sorted(earned.earned)}",
            )


def _exam_answers(doc: Any) -> list[dict[str, Any]]:
    """Writer A's files are a mapping with `answers:`, writer B's a top-level list."""
    return list(doc["answers"] if isinstance(doc, dict) else doc)


BANDS = {
    "strong": (80.0, 100.0),
    "partial": (30.0, 70.0),
    "buzzword-bullets": (0.0, 30.0),
    "dismissive": (0.0, 30.0),
    "negated": (0.0, 30.0),
    "off-topic": (0.0, 15.0),
}


def prose_items(exam: ExamItem) -> set[str]:
    return {r.id for r in exam.rubric if r.accept}


def exams(corpus: Path, figures: Figures) -> None:
    library = {p.stem: load_exam(p) for p in exam_paths()}
    for path in sorted((corpus / "exams").glob("*.yaml")):
        exam = library[path.stem]
        prose = prose_items(exam)
        for entry in _exam_answers(yaml.safe_load(path.read_text())):
            marking = mark(exam, Attempt(exam=exam.id, candidate="blind", answer=entry["text"]))
            met = {i.id for i in marking.items if i.met and not i.by_check}
            covers = set(entry.get("covers") or []) & prose
            label = entry["label"]
            short = entry["text"][:70].replace("\n", " ")
            for item in sorted(prose):
                if item in covers:
                    figures.exam_items["recall"].add(item in met, f"{exam.id} {item}: {short!r}")
                else:
                    figures.exam_items[f"not covered ({label})"].add(
                        item not in met, f"{exam.id} {item} [{label}]: {short!r}"
                    )
            if exam.exercise is None and label in BANDS:
                low, high = BANDS[label]
                figures.exam_scores[label].append(marking.score)
                figures.exam_bands[label].add(
                    low <= marking.score <= high,
                    f"{exam.id} [{label}] {marking.score} (earned {sorted(met)}): {short!r}",
                )


def evaluate(name: str) -> Figures:
    corpus = CORPORA[name]
    figures = Figures()
    causes(corpus, figures)
    prevention(corpus, figures)
    exams(corpus, figures)
    return figures


def table(figures: Figures) -> str:
    rows = []
    for section in ("causes", "prevention", "exam_items", "exam_bands"):
        for label, tally in sorted(getattr(figures, section).items()):
            rows.append(
                f"{section:11} {label:28} {tally.good:4}/{tally.total:<4} {tally.rate:7.1%}"
            )
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    name = argv[0] if argv else "tune"
    if name not in ("tune", "tune-b"):
        raise SystemExit(
            "only the tuning corpora (tune, tune-b) are for looking at; "
            "tests/test_blind.py reads heldout"
        )
    figures = evaluate(name)
    for section in ("causes", "prevention", "exam_items", "exam_bands"):
        for label, tally in sorted(getattr(figures, section).items()):
            for miss in tally.misses:
                print(f"MISS {section}/{label}: {miss}")
    print(table(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
