"""A trainee's history across drills and exams."""

from __future__ import annotations

import json

from click.testing import CliRunner

from drills.cli.main import cli
from drills.judge.history import History, Result, summarise
from simulator.errors import InputError


def drill(at: str, scenario: str, score: float, evidence: float) -> Result:
    parts = {"diagnosis": 1.0, "evidence": evidence, "mitigation": 0.9}
    return Result("drill", "ana", scenario, at, score, parts)


def test_the_trend_and_what_is_still_weak(tmp_path):
    book = History(tmp_path)
    book.record("drill:1", drill("2026-11-01T10:00:00+00:00", "mic-firmware-drift", 41.0, 0.2))
    book.record("drill:2", drill("2026-11-08T10:00:00+00:00", "gpu-cost-no-traffic", 72.0, 0.5))
    book.record("drill:2", drill("2026-11-08T10:00:00+00:00", "gpu-cost-no-traffic", 74.0, 0.5))
    book.record(
        "exam:ana:p3:t",
        Result("exam", "ana", "prompt-3", "2026-11-09T10:00:00+00:00", 75.0, {"a": 1.0, "b": 0.0}),
    )
    book.record("drill:3", Result("drill", "bo", "x", "2026-11-02T00:00:00+00:00", 90.0, {}))
    results = book.of("ana")
    assert [r.score for r in results] == [41.0, 74.0, 75.0]  # scored again: replaced
    summary = summarise("ana", results)
    assert summary.trend["evidence"] == [
        ("2026-11-01T10:00:00+00:00", 0.2),
        ("2026-11-08T10:00:00+00:00", 0.5),
    ]
    assert summary.weak_components == {"evidence": 0.5}
    assert summary.weak_scenarios == {"mic-firmware-drift": 41.0}
    assert summary.weak_items == {"prompt-3": ["b"]}
    assert book.trainees() == ["ana", "bo"]


def test_exam_marking_lands_in_the_history_and_overrides_replace_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEECHDRILL_HOME", str(tmp_path))
    runner = CliRunner()
    answer = tmp_path / "a.txt"
    answer.write_text("I would not choose on the overall WER number.")
    attempt = tmp_path / "attempt.yaml"
    item = "prompt-3-smaller-or-larger-asr"
    args = [
        "exam",
        "take",
        item,
        "--candidate",
        "cy",
        "--answer",
        str(answer),
        "--out",
        str(attempt),
    ]
    assert runner.invoke(cli, args).exit_code == 0
    assert runner.invoke(cli, ["exam", "score", str(attempt)]).exit_code == 0
    override = ["exam", "override", str(attempt), "cascade", "--met", "--by", "e", "--reason", "r"]
    assert runner.invoke(cli, override).exit_code == 0
    assert runner.invoke(cli, ["exam", "score", str(attempt)]).exit_code == 0
    shown = json.loads(runner.invoke(cli, ["history", "cy", "--json"]).output)
    assert [r["score"] for r in shown["results"]] == [25.0]  # one attempt, marked twice
    assert "not-global-wer" not in shown["weak"]["exam_items"][item]
    assert "slice-metrics" in shown["weak"]["exam_items"][item]
    missing = runner.invoke(cli, ["history", "nobody"])
    assert isinstance(missing.exception, InputError) and "on record" in str(missing.exception)
