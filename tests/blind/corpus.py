"""Recall and false accepts of the language judge on a corpus written blind
(tests/blind/README.md): what `tests/test_blind.py` asserts and `docs/scoring.md` reports
(round by round: `docs/judge-rounds.md`).

`python -m tests.blind.corpus tune` (A), `tune-b` (B), `tune-c` (C's tuning part), `tune-d`
(D), `tune-e` (E), `tune-f` (F), `tune-g` (G), `tune-h` (H), `tune-i` (I), `tune-j` (J),
`tune-k` (K, with its hard-polarity set), `tune-l` to `tune-q` and `tune-s` (L to Q and S, the same)
prints the figures and every miss and false accept (the tuning loop); `check` prints only
the aggregate figures of C's check part (`C_CHECK`: five scenarios and two exam items picked
at random before C was first read answer by answer, never printed text by text). A corpus
named `heldout-*` is only ever printed in aggregate.

Per label, causes are judged as the drill's diagnosis reads them (the share of the
incident's causes earned: a wrong cause named cancels a right one); prevention phrasings and
negatives as a one-statement prevention list; exam answers as the exam marks them, per
prose rubric item (practical items need the handed-in artifact and are left out).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from drills.course.exam import Attempt, ExamItem, exam_paths, load_exam, mark
from drills.judge.causes import diagnosis_share
from drills.judge.matcher import Concept, judge
from drills.judge.scoring import prevention_concepts
from drills.library.paths import library_root
from drills.library.scenario import AnswerKey, load_key, load_scenario

HERE = Path(__file__).parent
# A and B tune the judge (B was its first held-out set, measured once); C was held out for
# the second version (measured once), then tuned on, all but its check part; D was held out
# for the first two rounds (measured twice, in aggregate) and is tuned on from the third; E
# was held out from the third (measured twice, in aggregate) and is tuned on from the fourth.
# F was held out from the fourth round (written blind outside the repository while the
# round began, measured twice in aggregate by the lead: before and after it) and is tuned on
# from the fifth. G was held out from the fifth round (written blind outside the repository
# while the round began, measured twice in aggregate by the lead: before and after it) and is
# tuned on from the sixth. H was held out from the sixth round (written blind outside the
# repository while the round began, measured twice in aggregate by the lead) and is tuned on
# from the seventh. I was held out from the seventh round (written blind outside the
# repository before the round began, measured twice in aggregate by the lead) and is tuned
# on from the eighth. J was held out from the eighth round (written blind outside the
# repository while the round began, measured twice in aggregate by the lead) and is tuned on
# from the ninth. K was held out from the ninth round (written blind outside the repository
# before the round began; measured in aggregate by the lead; its misses were once printed by
# accident after the round) and is tuned on from the tenth. L was held out from the tenth
# round (written blind outside the repository while the round began, measured twice in
# aggregate by the lead: before the round and as merged after it) and is tuned on from the
# eleventh. M was held out from the eleventh round (written blind outside the repository
# while the round began, measured twice in aggregate by the lead) and is tuned on from the
# twelfth, whose held-out writer N stays outside the repository until it is measured. N was
# held out from the twelfth round (written blind outside the repository while the round
# began, measured twice in aggregate by the lead) and is tuned on from the thirteenth. O was
# held out from the thirteenth round (written blind outside the repository while it began,
# measured in aggregate by the lead at e6635cf, before the twelfth round, and before and
# after the thirteenth), then tuned on from the fourteenth. P was held out from the
# fourteenth round (written blind outside the repository while it began, measured in
# aggregate by the lead before it, after the audit's judge fixes and after it), then tuned on
# from the fifteenth, once Q, a seventeenth writer, had been measured. Q was written blind
# outside the repository at the end of the fourteenth round's stop and measured once in
# aggregate: held out from the fifteenth round, as R, an eighteenth writer, written blind
# outside the repository while that round began and measured before and after it. Neither is
# to be read answer by answer until a round has been measured on a nineteenth writer. Q is
# tuned on from the sixteenth round (R measured before and after the fifteenth); R stays held
# out from the sixteenth, while S, a nineteenth writer, is written blind outside the
# repository. S was measured in aggregate before and after the sixteenth round and came in
# as `heldout-s` after it (that round's tuner read R's aggregate figures once to find an
# over-reaching reading: S is the round's clean measure). Neither R nor S is to be read
# answer by answer until a round has been measured on a twentieth writer. S is tuned on from
# the seventeenth round (`tune-s`); R stays held out from it (a weaker measure, see above),
# while T and U, a twentieth and a twenty-first writer, are written blind outside the
# repository and measured before and after it. None of R, T and U is to be read answer by
# answer until a round has been measured on a twenty-second writer. V, a twenty-second
# writer, was written blind after the seventeenth round was merged and measured once with its
# judge, in aggregate.
CORPORA = {
    "tune": HERE / "A",
    "tune-b": HERE / "B",
    "tune-c": HERE / "C",
    "tune-d": HERE / "D",
    "tune-e": HERE / "E",
    "tune-f": HERE / "F",
    "tune-g": HERE / "G",
    "tune-h": HERE / "H",
    "tune-i": HERE / "I",
    "tune-j": HERE / "J",
    "tune-k": HERE / "K",
    "tune-l": HERE / "L",
    "tune-m": HERE / "M",
    "tune-n": HERE / "N",
    "tune-o": HERE / "O",
    "tune-p": HERE / "P",
    "tune-q": HERE / "Q",
    "tune-s": HERE / "S",
    # held out from the seventeenth round: aggregate figures only (`main` refuses to print more)
    "heldout-r": HERE / "R",
    "heldout-t": HERE / "T",
    "heldout-u": HERE / "U",
    "heldout-v": HERE / "V",
}
# C's check part: picked at random (random.Random(35).sample) before any answer of C was
# read; only ever reported in aggregate (`check`), the tuner's own guard against overfitting
C_CHECK = frozenset(
    {
        "batch-transcripts-slow-and-pricey",
        "far-field-transcripts-worse",
        "gpu-cost-no-traffic",
        "recognition-collapse-after-release",
        "streaming-partials-unstable",
        "exercise-4-code-switching-narrative",
        "prompt-1-speech-to-speech-rollout",
    }
)
# M's held-back third for the twelfth round: six of its seventeen scenarios, picked with
# random.Random(1212).sample(sorted(scenarios), 6) before any answer of M was read; tuned on
# only after their transfer was measured in aggregate (`check-m`; `tune-m-rest` prints the
# misses of the other two thirds)
M_HOLDBACK = frozenset(
    {
        "batch-transcripts-slow-and-pricey",
        "live-captions-lag-and-batch-spend-up",
        "mic-firmware-drift",
        "streaming-partials-unstable",
        "voice-agent-first-response",
        "voice-replies-slow-and-gpu-bill-up",
    }
)
# N's held-back third for the thirteenth round: random.Random(1313).sample(sorted(scenarios),
# 6), picked by the lead before N came into the repository (`check-n`; `tune-n-rest`)
N_HOLDBACK = frozenset(
    {
        "far-field-transcripts-worse",
        "gpu-cost-no-traffic",
        "live-captions-lag-and-batch-spend-up",
        "mic-firmware-drift",
        "recognition-collapse-after-release",
        "tts-first-audio-byte",
    }
)
# O's held-back third for the fourteenth round: random.Random(1414).sample(sorted(scenarios),
# 6), picked by the lead before O was first read answer by answer (`check-o`; `tune-o-rest`)
O_HOLDBACK = frozenset(
    {
        "audio-tagging-stuck-failing",
        "far-field-transcripts-worse",
        "live-captions-lag-and-batch-spend-up",
        "live-captions-lag-one-cohort",
        "streaming-partials-unstable",
        "tts-slow-after-config-push",
    }
)
# P's held-back third for the fifteenth round: random.Random(1515).sample(sorted(scenarios),
# 6), picked by the lead before P was first read answer by answer (`check-p`; `tune-p-rest`)
P_HOLDBACK = frozenset(
    {
        "batch-transcripts-slow-and-pricey",
        "live-captions-lag-one-cohort",
        "live-captions-slower-and-jumpier",
        "mic-firmware-drift",
        "recognition-collapse-after-release",
        "tts-first-audio-byte",
    }
)
# Q's held-back third for the sixteenth round: random.Random(1616).sample(sorted(scenarios),
# 6), picked by the lead before Q was first read answer by answer (`check-q`; `tune-q-rest`)
Q_HOLDBACK = frozenset(
    {
        "batch-transcripts-slow-and-pricey",
        "far-field-transcripts-worse",
        "mic-firmware-drift",
        "streaming-partials-unstable",
        "tts-slow-after-config-push",
        "voice-agent-first-response",
    }
)
# S's held-back third for the seventeenth round: random.Random(1717).sample(sorted(scenarios),
# 6), picked by the lead before S was first read answer by answer (`check-s`; `tune-s-rest`)
S_HOLDBACK = frozenset(
    {
        "asr-spend-jump-after-launch",
        "audio-tagging-stuck-failing",
        "code-switching-canary",
        "gpu-cost-no-traffic",
        "live-captions-lag-one-cohort",
        "live-captions-slower-and-jumpier",
    }
)
# a corpus's part kept out of its tuning, by folder
HOLDBACK = {
    "C": C_CHECK,
    "M": M_HOLDBACK,
    "N": N_HOLDBACK,
    "O": O_HOLDBACK,
    "P": P_HOLDBACK,
    "Q": Q_HOLDBACK,
    "S": S_HOLDBACK,
}
Part = Literal["all", "tuning", "check"]


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
    # hard polarity (K's second set): a measure proposed in negative words, argued against in
    # approving ones, and one proposed beside another waved away in the same paragraph
    polarity: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))


def _files(corpus: Path, kind: str, part: Part) -> list[Path]:
    paths = sorted((corpus / kind).glob("*.yaml"))
    if part == "all":
        return paths
    held = HOLDBACK[corpus.name]
    return [p for p in paths if (p.stem in held) == (part == "check")]


@cache  # each corpus file of a scenario reads the same key (loading it is 80 ms)
def _key(scenario: str) -> AnswerKey:
    folder = library_root() / scenario
    return load_key(folder / "key.yaml", load_scenario(folder / "scenario.yaml"))


@cache
def _prevention(scenario: str) -> list[Concept]:
    return prevention_concepts(_key(scenario))


# what each cause label must earn of the diagnosis (share of the incident's causes)
def _cause_ok(label: str, share: float, causes: list[str], named: list[str]) -> bool:
    if label == "right":
        return share == 1.0
    if label in ("first-only", "second-only"):
        want = causes[0] if label == "first-only" else causes[1]
        return share == 0.5 and want in named
    return share == 0.0  # wrong, hedge, dismissive-right


def causes(corpus: Path, figures: Figures, part: Part = "all") -> None:
    for path in _files(corpus, "causes", part):
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


def prevention(corpus: Path, figures: Figures, part: Part = "all") -> None:
    for path in _files(corpus, "prevention", part):
        concepts = _prevention(path.stem)
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


def polarity(corpus: Path, figures: Figures, part: Part = "all") -> None:
    """Each answer judged as a one-statement prevention list: `for` must earn its item,
    `against` must not; `mixed` must earn the measure it proposes and not the one it waves
    away (where that is one of the key's items)."""
    for path in _files(corpus, "polarity", part):
        concepts = _prevention(path.stem)
        doc = yaml.safe_load(path.read_text())
        for kind in ("for", "against", "mixed"):
            for entry in doc.get(kind, []):
                earned = judge([entry["text"]], concepts)
                got = sorted(earned.earned)
                what = f"{path.stem}: {entry['text']!r} got {got}"
                if kind == "for":
                    full = earned.weights.get(entry["item"], 0.0) * earned.factor == 1.0
                    figures.polarity["proposed in negative words"].add(full, what)
                elif kind == "against":
                    kept_out = earned.weights.get(entry["item"], 0.0) == 0.0
                    figures.polarity["argued against in approving words"].add(kept_out, what)
                else:
                    full = earned.weights.get(entry["for"], 0.0) * earned.factor == 1.0
                    figures.polarity["mixed: the measure proposed"].add(full, what)
                    if entry.get("against") in {c.id for c in concepts}:
                        kept_out = earned.weights.get(entry["against"], 0.0) == 0.0
                        figures.polarity["mixed: the item waved away"].add(kept_out, what)


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


def exams(corpus: Path, figures: Figures, part: Part = "all") -> None:
    library = {p.stem: load_exam(p) for p in exam_paths()}
    for path in _files(corpus, "exams", part):
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


def evaluate(name: str, part: Part = "all") -> Figures:
    corpus = CORPORA[name]
    figures = Figures()
    causes(corpus, figures, part)
    prevention(corpus, figures, part)
    exams(corpus, figures, part)
    polarity(corpus, figures, part)
    return figures


SECTIONS = ("causes", "prevention", "exam_items", "exam_bands", "polarity")


def table(figures: Figures) -> str:
    rows = []
    for section in SECTIONS:
        for label, tally in sorted(getattr(figures, section).items()):
            rows.append(
                f"{section:11} {label:28} {tally.good:4}/{tally.total:<4} {tally.rate:7.1%}"
            )
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    name = argv[0] if argv else "tune"
    # `check` is C's held-back part, `check-m` M's (to `check-s`, S's): aggregate figures only
    held = {"check": "tune-c", **{f"check-{k.lower()}": f"tune-{k.lower()}" for k in "MNOPQS"}}
    if name in held:
        print(table(evaluate(held[name], "check")))
        return
    if name.startswith("heldout-") and name in CORPORA:  # held out: aggregate figures only
        print(table(evaluate(name)))
        return
    rest = {f"tune-{k.lower()}-rest": f"tune-{k.lower()}" for k in "MNOPQS"}
    if name not in CORPORA and name not in rest:
        raise SystemExit(
            f"corpora to look at: {', '.join([*CORPORA, *rest])}; "
            f"{', '.join(held)} (and any `heldout-*`) print figures only"
        )
    if name in rest:  # the part of M to S tuned on
        figures = evaluate(rest[name], "tuning")
    else:
        figures = evaluate(name, "tuning" if name == "tune-c" else "all")
    for section in SECTIONS:
        for label, tally in sorted(getattr(figures, section).items()):
            for miss in tally.misses:
                print(f"MISS {section}/{label}: {miss}")
    print(table(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
