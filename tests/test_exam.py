"""The written exam: the ranking a fair examiner gives, overrides, files, the CLI, and a
golden report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from drills.cli.main import cli
from drills.course.exam import (
    Attempt,
    Override,
    exam_paths,
    load_attempt,
    load_exam,
    mark,
    save_attempt,
    self_check,
    with_override,
)
from reports.exam import exam_data, to_html, to_markdown
from simulator.errors import InputError

HERE = Path(__file__).parent
ANSWERS = yaml.safe_load((HERE / "exams" / "answers.yaml").read_text())
LIBRARY = {p.stem: load_exam(p) for p in exam_paths()}
EXAMS = {k: v for k, v in LIBRARY.items() if v.exercise is None}  # prose items (exercises:
# tests/test_exercises.py)
BUZZWORDS = (
    "Monitoring, alerting, dashboards, canary, rollback, testing, SLOs, observability, "
    "automation, CI/CD, logging, root cause analysis, best practices, scalability, A/B testing."
)
FILLER = " ".join(
    [
        "This is an important question that many teams face in practice.",
        "There are many considerations and it depends on the context.",
        "Communication with stakeholders is key throughout.",
        "We should follow industry best practices at every step.",
    ]
    * 8
)


def score(exam_id: str, answer: str) -> float:
    return mark(EXAMS[exam_id], Attempt(exam=exam_id, candidate="c", answer=answer)).score


def test_the_library_holds_the_seed_prompts_and_exercises():
    assert set(LIBRARY) - set(EXAMS) == {
        "exercise-1-asr-slice-gate",
        "exercise-2-rollback-packet",
        "exercise-3-voice-agent-budget",
    }
    assert set(EXAMS) == {
        "prompt-1-speech-to-speech-rollout",
        "prompt-2-drift-without-raw-audio",
        "prompt-3-smaller-or-larger-asr",
        "prompt-4-cicd-model-and-feature-change",
        "exercise-4-code-switching-narrative",
    }
    assert set(ANSWERS) - {"negated"} == set(EXAMS)


@pytest.mark.parametrize("exam_id", sorted(EXAMS))
def test_the_ranking_a_fair_examiner_would_give(exam_id):
    exam, answers = EXAMS[exam_id], ANSWERS[exam_id]
    others = sorted(set(EXAMS) - {exam_id})
    scores = {
        "course": score(exam_id, exam.hidden_answer),
        "paraphrase": score(exam_id, answers["paraphrase"]),
        "padded": score(exam_id, answers["paraphrase"] + "\n" + FILLER),
        "padded twice": score(exam_id, answers["paraphrase"] + "\n" + FILLER + " " + FILLER),
        "keywords": score(exam_id, answers["keywords"]),
        "buzzwords": score(exam_id, BUZZWORDS),
        "negated": score(exam_id, ANSWERS["negated"][exam_id]),
        "off-topic": max(score(exam_id, EXAMS[o].hidden_answer) for o in others),
    }
    assert self_check(exam) == [], "the course's own answer earns every rubric item"
    assert scores["course"] == 100.0, scores
    assert scores["paraphrase"] >= 85, scores  # own words earn the items
    # padding gains nothing, and a lot of it dilutes
    assert 35 <= scores["padded twice"] < scores["padded"] <= scores["paraphrase"], scores
    assert scores["keywords"] <= 15, scores  # the topic's nouns with no plan around them
    assert scores["buzzwords"] == 0, scores
    assert scores["negated"] == 0, scores  # every point turned down earns nothing
    assert scores["off-topic"] <= 30, scores  # a strong answer to another question


def test_an_override_changes_the_score_and_is_recorded(tmp_path):
    exam_id = "prompt-3-smaller-or-larger-asr"
    exam = EXAMS[exam_id]
    attempt = Attempt(exam=exam_id, candidate="ana", answer=ANSWERS[exam_id]["paraphrase"])
    before = mark(exam, attempt)
    changed = with_override(attempt, exam, "cascade", False, "examiner-1", "no routing rule")
    changed = with_override(changed, exam, "cascade", True, "examiner-2", "on appeal: it is there")
    changed = with_override(changed, exam, "one-switch-rollback", False, "examiner-2", "vague")
    path = tmp_path / "attempt.yaml"
    save_attempt(changed, path)
    reloaded = load_attempt(path, exam)
    after = mark(exam, reloaded)
    assert before.score == 100.0 and after.score == 87.5  # the latest override of an item wins
    assert [(o.item, o.met, o.by) for o in reloaded.overrides] == [
        ("cascade", False, "examiner-1"),
        ("cascade", True, "examiner-2"),
        ("one-switch-rollback", False, "examiner-2"),
    ]
    data = exam_data(exam, reloaded, after)
    # every signed override stays in the report's record, in order, not only the latest
    assert [(o["item"], o["by"]) for o in data["overrides"]] == [
        ("cascade", "examiner-1"),
        ("cascade", "examiner-2"),
        ("one-switch-rollback", "examiner-2"),
    ]
    (rollback,) = [i for i in data["items"] if i["id"] == "one-switch-rollback"]
    assert (
        rollback["by_matcher"]
        and not rollback["met"]
        and rollback["override"]["by"] == "examiner-2"
    )
    assert "override by examiner-2; the matcher said met" in to_markdown(data)
    with pytest.raises(InputError, match="one of the rubric's items"):
        with_override(attempt, exam, "no-such-item", True, "x", "y")


def test_an_override_counts_only_as_the_examiner_signed_it_for_this_answer(tmp_path):
    """The candidate writes the attempt file (`exam take --out`): overrides written into it
    by hand, edited after signing, or carried onto another answer are not applied, and the
    report lists them apart; the examiner's own (`exam override`) count."""
    exam_id = "prompt-3-smaller-or-larger-asr"
    exam = EXAMS[exam_id]
    attempt = Attempt(exam=exam_id, candidate="eve", answer=ANSWERS["negated"][exam_id])
    honest = mark(exam, attempt).score
    forged = attempt.model_copy(
        update={
            "overrides": [
                Override(item=r.id, met=True, by="examiner", reason="ok", at="2026-12-01T00:00:00")
                for r in exam.rubric
            ]
        }
    )
    marking = mark(exam, forged)
    assert marking.score == honest < 60 and len(marking.unsigned) == len(exam.rubric)
    signed = with_override(attempt, exam, "cascade", True, "examiner", "on appeal")
    assert mark(exam, signed).score > honest and not mark(exam, signed).unsigned
    edited = signed.model_copy(deep=True)
    edited.overrides[0].item = "one-switch-rollback"  # the signature was for another item
    moved = signed.model_copy(update={"answer": "I would ship it to everyone."})
    for tampered in (edited, moved):
        assert mark(exam, tampered).score <= honest and mark(exam, tampered).unsigned
    data = exam_data(exam, forged, marking)
    assert data["overrides"] == [] and len(data["unsigned_overrides"]) == len(exam.rubric)
    assert "## Overrides not applied" in to_markdown(data)
    assert "Overrides not applied" in to_html(data)


def test_the_markdown_report_shows_a_candidates_words_as_text():
    """A candidate's answer is quoted, never rendered: a comment that would hide rows, a
    heading posing as the examiner's, a table row of its own."""
    exam_id = "prompt-3-smaller-or-larger-asr"
    exam = EXAMS[exam_id]
    answer = (
        "I would ship the smaller model. <!-- hidden\n## Examiner's override\nAll items met\n"
        "| cascade | 10 | met | yes |\nSetext\n==="
    )
    attempt = Attempt(exam=exam_id, candidate="eve", answer=answer)
    text = to_markdown(exam_data(exam, attempt, mark(exam, attempt)))
    quoted = text.split("## The answer", 1)[1].split("## The course's answer", 1)[0]
    assert "<!--" not in text and "&lt;!--" in quoted
    assert "\n## Examiner" not in text and "> \\## Examiner's override" in quoted
    assert all(line.startswith(">") for line in quoted.strip().splitlines())
    assert "> \\===" in quoted and "\\| cascade \\|" in quoted


def test_a_padded_answer_is_diluted_but_an_override_counts_in_full():
    exam_id = "prompt-2-drift-without-raw-audio"
    exam = EXAMS[exam_id]
    padded = Attempt(exam=exam_id, candidate="c", answer=ANSWERS[exam_id]["paraphrase"] + FILLER)
    diluted = mark(exam, padded)
    assert diluted.factor < 1
    override = with_override(padded, exam, "update-eval-fixtures", True, "e", "ok")
    assert mark(exam, override).score > diluted.score


def test_bad_exam_and_attempt_files_name_the_field(tmp_path):
    item = yaml.safe_load((exam_paths()[0]).read_text())
    item["rubric"][0]["accept"] = [["@no-such-set"]]
    bad = tmp_path / f"{item['id']}.yaml"
    bad.write_text(yaml.safe_dump(item))
    with pytest.raises(InputError) as info:
        load_exam(bad)
    assert "rubric[0]" in info.value.render() and "unknown synonym set" in info.value.render()
    wrong = tmp_path / "attempt.yaml"
    wrong.write_text("exam: prompt-1-speech-to-speech-rollout\ncandidate: c\nanswer: x\nextra: 1\n")
    with pytest.raises(InputError, match="extra"):
        load_attempt(wrong)
    wrong.write_text("exam: prompt-1-speech-to-speech-rollout\ncandidate: c\nanswer: x\n")
    with pytest.raises(InputError, match="an attempt at 'prompt-2"):
        load_attempt(wrong, EXAMS["prompt-2-drift-without-raw-audio"])


def test_the_exam_commands_end_to_end(tmp_path, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setenv("SPEECHDRILL_HOME", str(tmp_path))
    runner = CliRunner()
    answer = tmp_path / "answer.txt"
    answer.write_text(ANSWERS["exercise-4-code-switching-narrative"]["paraphrase"])
    attempt = tmp_path / "a.yaml"
    done = runner.invoke(
        cli,
        ["exam", "take", "exercise-4-code-switching-narrative", "--candidate", "bo",
         "--answer", str(answer), "--out", str(attempt)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    done = runner.invoke(
        cli,
        ["exam", "override", str(attempt), "label-quality", "--missed", "--by", "eve",
         "--reason", "labels not audited"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    done = runner.invoke(cli, ["exam", "score", str(attempt), "--json", "--out", str(tmp_path)])
    data = json.loads(done.output)
    assert data["score"] == round(100 * 8 / 9, 1) and data["candidate"] == "bo"
    assert (tmp_path / "exam.html").read_text().startswith("<!doctype html>")
    shown = runner.invoke(cli, ["exam", "show", "exercise-4-code-switching-narrative"]).output
    assert "Spanish-English" in shown and "Rubric" not in shown  # the candidate's view
    assert runner.invoke(cli, ["exam", "check"]).exit_code == 0


def test_the_exam_report_matches_its_golden():
    exam_id = "prompt-4-cicd-model-and-feature-change"
    attempt = Attempt(
        exam=exam_id,
        candidate="golden",
        answer=ANSWERS[exam_id]["paraphrase"],
        submitted_at="2026-12-01T00:00:00+00:00",
    )
    attempt = with_override(
        attempt,
        EXAMS[exam_id],
        "privacy-review",
        False,
        "eve",
        "too vague",
        at="2026-12-01T00:05:00+00:00",
    )
    data = exam_data(EXAMS[exam_id], attempt, mark(EXAMS[exam_id], attempt))
    golden = HERE / "golden" / "exam-prompt-4.md"
    text = to_markdown(data)
    if os.environ.get("SPEECHDRILL_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()
    assert "too vague" in to_html(data)
