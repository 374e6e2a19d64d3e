"""`make bench` section `judge`: what the language judge costs per answer.

Every cause statement, prevention phrasing and exam answer of the blind corpus of writer C
(tests/blind/C) judged as the drill and the exam judge them, with the reading caches emptied
first (cold: every answer read for the first time, lemmas and stems looked up afresh, the keys
loaded) and then again (warm: the readings and cause readings cached, as a console
re-scoring a session finds them). The
count is of cause statements, prevention phrasings and negatives, and the prompt answers
scored into bands; the exercise answers are judged too and not counted, so the time per
answer is a little high."""

from __future__ import annotations

import time
from typing import Any

from drills.judge.causes import read_causes
from drills.judge.matcher import _phrasing
from drills.judge.reading import lemma_stems, read, stem
from tests.blind.corpus import CORPORA, Figures, _key, _prevention, causes, exams, prevention


def _judge_all() -> Figures:
    figures = Figures()
    corpus = CORPORA["tune-c"]
    causes(corpus, figures)
    prevention(corpus, figures)
    exams(corpus, figures)
    return figures


def judge_times() -> dict[str, Any]:
    for cached in (read, stem, lemma_stems, read_causes, _phrasing, _key, _prevention):
        cached.cache_clear()
    start = time.perf_counter()
    figures = _judge_all()
    cold = time.perf_counter() - start
    start = time.perf_counter()
    _judge_all()
    warm = time.perf_counter() - start
    answers = sum(
        t.total
        for section in (figures.causes, figures.prevention, figures.exam_bands)
        for t in section.values()
    )
    return {
        "answers": answers,
        "cold_s": cold,
        "cold_ms_per_answer": 1000 * cold / answers,
        "warm_ms_per_answer": 1000 * warm / answers,
        "warm_over_cold": warm / cold,
    }


def second_reader_times(pairs: int = 120) -> dict[str, Any]:
    """What the second reader costs: the cause answers of writer C read against their
    scenarios' causes (one forward pass each; a report reads one per cause and one per
    prevention statement and item), after the weights are loaded."""
    import yaml

    from drills.judge.referrals import cause_prose
    from drills.judge.second_reader import _model, asserts

    asked = []
    for path in sorted((CORPORA["tune-c"] / "causes").glob("*.yaml")):
        cause = _key(path.stem).cause
        asked += [(cause_prose(cause), e["text"]) for e in yaml.safe_load(path.read_text())]
    asked = asked[:pairs]
    start = time.perf_counter()
    _model()
    loaded = time.perf_counter() - start
    asserts.cache_clear()
    start = time.perf_counter()
    for prose, text in asked:
        asserts(prose, text)
    took = time.perf_counter() - start
    return {"pairs": len(asked), "load_s": loaded, "ms_per_pair": 1000 * took / len(asked)}
