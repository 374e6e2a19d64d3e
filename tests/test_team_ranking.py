"""The ranking a fair facilitator gives six teams on one incident (tests/team/): the same
investigation, each team failing at one part of the first hour the way teams do, against
a well-run team. Every figure is the team scorer's own, on re-simulated runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from drills.team.scoring import PASS_MARK, ROLE_FLOOR
from drills.usecases import (
    TeamAssessed,
    replay_team_transcript,
    replay_team_transcripts,
    write_team_report,
)
from tests.helpers import RUNS, speechdrill

TEAMS = Path(__file__).parent / "team" / "gpu-cost-no-traffic"
NAMES = ("well-run", "bad-updates", "guessed-cause", "silent", "undo")
IGNORED = "ignored-alert"  # well-run.yaml but for the second alert, left without an owner
UNDIAGNOSED = "undiagnosed"  # well-run.yaml but for its conclusion: no cause named


@pytest.fixture(scope="module")
def scored() -> dict[str, TeamAssessed]:
    names = (*NAMES, IGNORED, UNDIAGNOSED)  # scored together: their runs simulated as one batch
    scored = replay_team_transcripts([TEAMS / f"{n}.yaml" for n in names], RUNS)
    return dict(zip(names, scored, strict=True))


def part(scored: TeamAssessed, component: str, name: str) -> float:
    return next(p.points for p in scored.score.component(component).parts if p.name == name)


@pytest.mark.slow
def test_a_team_scored_in_a_batch_scores_as_one_scored_alone(scored):
    """Scoring several teams together only simulates their runs together: each team's
    score, line for line, is the one its transcript gets alone (its runs are cached now)."""
    for name in ("well-run", "undo"):
        alone = replay_team_transcript(TEAMS / f"{name}.yaml", RUNS).score
        assert alone == scored[name].score, name


@pytest.mark.slow
def test_a_fair_facilitator_ranks_the_well_run_team_first(scored):
    points = {name: s.score.score for name, s in scored.items()}
    ranked = sorted(points, key=lambda n: -points[n])
    assert ranked[0] == "well-run" and ranked[1] == IGNORED, points
    assert all(points["well-run"] > points[n] for n in ranked[1:]), points
    assert all(points["well-run"] - points[n] >= 8 for n in NAMES[1:]), points
    # communicating badly is better than not communicating; fighting over the fleet is
    # worse than either comms failure; the silent team is last
    assert points["bad-updates"] > points["undo"] > points["silent"], points
    assert points["guessed-cause"] > points["undo"], points
    assert ranked[-1] == "silent"
    # the same investigation: the drill's own score does not tell the teams apart (the
    # undo team's extra moves cost it the side effects they had on the fleet)
    drills = {n: s.score.drill_score for n, s in scored.items()}
    assert drills["well-run"] == drills["bad-updates"] == drills["guessed-cause"] == drills[IGNORED]
    assert drills["silent"] == drills["well-run"] and drills["undo"] < drills["well-run"]


@pytest.mark.slow
def test_the_well_run_team_earns_every_part_and_each_is_credited(scored):
    team = scored["well-run"].score
    assert team.passed and team.score == 100.0
    assert team.component("evidence").by == ["Bo"]  # Bo read all four signals first
    assert team.component("mitigation").by == ["Bo"]
    assert team.component("diagnosis").by == ["Ana"] == team.component("prevention").by
    assert team.component("communications").by == ["Cy"]
    assert any("Bo made the fix" in e for e in team.component("mitigation").evidence)
    # the identified update names the cause once the team had read its evidence: earned
    comms = team.component("communications")
    guessing = next(p for p in comms.parts if p.name == "no cause before evidence")
    assert guessing.points == guessing.max_points and guessing.earned
    assert set(team.credit) == {"Ana", "Bo", "Cy"} and all(team.credit.values())


@pytest.mark.slow
def test_updates_without_impact_or_a_next_update_time_lose_their_elements(scored):
    vague = scored["bad-updates"].score
    assert part(scored["bad-updates"], "communications", "update elements") < 2.0
    assert part(scored["bad-updates"], "communications", "questions answered") == 0.0
    assert part(scored["bad-updates"], "communications", "resolution update") == 0.0
    missed = vague.component("communications").missed
    assert any("lacks impact, scope, next update time" in m for m in missed)
    # on time and at a cadence: those parts are not taken away as well
    assert part(scored["bad-updates"], "communications", "first update") == 3.0


@pytest.mark.slow
def test_a_cause_announced_at_minute_two_is_a_guess_and_costs_the_team(scored):
    guessed = scored["guessed-cause"].score
    assert part(scored["guessed-cause"], "communications", "no cause before evidence") == 0.0
    (penalty,) = [p for p in guessed.penalties if p["id"] == "unsupported-cause"]
    assert penalty["by"] == "Cy" and "minute 2" in penalty["why"]
    assert "ASR canary" in penalty["why"]
    # the same team's later, evidenced correction is not counted against it
    assert scored["well-run"].score.score - guessed.score == pytest.approx(13.0, abs=0.05)


@pytest.mark.slow
def test_a_team_that_never_communicates_cannot_pass(scored):
    silent = scored["silent"]
    assert not silent.score.passed
    commander, comms = silent.score.component("commander"), silent.score.component("communications")
    assert commander.points == 0.0 and comms.points == 0.0
    assert "no stakeholder update was posted" in comms.why
    # however good the investigation: it fails on the role floor, not only on points
    assert "each role earns a third" in silent.score.verdict
    best_possible = 50.0 + silent.score.component("coordination").max_points
    assert best_possible >= PASS_MARK and comms.points < ROLE_FLOOR * comms.max_points
    missed = silent.score.component("coordination").missed
    assert any("Ana and Cy both ran look “cost-by-pool” back to back" in m for m in missed)


@pytest.mark.slow
def test_a_team_that_fixes_what_it_never_diagnosed_does_not_pass(scored):
    """The well-run team's first hour but for the conclusion ("We did not determine the
    cause."): the fix, the recovery and every role's part stay, and the points still clear
    the pass mark; it does not pass, and the verdict says why."""
    well, undiagnosed = scored["well-run"].score, scored[UNDIAGNOSED].score
    assert undiagnosed.component("diagnosis").points == 0.0
    assert undiagnosed.score >= PASS_MARK and not undiagnosed.passed and well.passed
    assert "no diagnosis earned" in undiagnosed.verdict
    assert "each role earns a third" not in undiagnosed.verdict
    for component in ("mitigation", "recovery", "commander", "communications"):
        assert undiagnosed.component(component).points == well.component(component).points


@pytest.mark.slow
def test_a_team_that_ignores_the_second_alert_ranks_below_the_same_team_handling_it(scored):
    """The same investigation, updates and decisions; the ASR canary's latency page at
    minute 6 given an owner at once by one commander and left alone by the other."""
    handled, ignored = scored["well-run"], scored[IGNORED]
    assert part(handled, "commander", "second alert") == 4.0
    earned = handled.score.component("commander").evidence
    assert any(
        e.startswith("second alert: alert 1 at minute 6 “asr-batch-canary: p95 latency")
        and "→ Cy 0 minutes after it (due within 5)" in e
        for e in earned
    ), earned
    assert part(ignored, "commander", "second alert") == 0.0
    missed = ignored.score.component("commander").missed
    assert any("ignored, no owner given (due within 5 minutes)" in m for m in missed), missed
    # it costs the part, and only the part: every other component is the well-run team's
    assert handled.score.score - ignored.score.score == pytest.approx(4.0)
    others = [c for c in handled.score.components if c.component != "commander"]
    assert all(ignored.score.component(c.component).points == c.points for c in others)
    assert ignored.score.passed  # one missed page is a lesson, not a failed first hour


@pytest.mark.slow
def test_two_members_undoing_each_other_is_harm(scored):
    undo = scored["undo"].score
    (harm,) = [p for p in undo.penalties if p["id"] == "contradicting-actions"]
    assert harm["by"] == "Cy" and "undid move 3 (Bo" in harm["why"]
    assert undo.component("coordination").points == 0.0
    assert part(scored["undo"], "commander", "decisions") == pytest.approx(5 / 3)  # 1 of 3


@pytest.mark.slow
def test_the_team_report_lays_the_channel_beside_the_signal(scored, tmp_path):
    paths, data = write_team_report(scored["well-run"], tmp_path, counterfactuals=False)
    assert sorted(p.name for p in paths) == [
        "team-report.html",
        "team-report.json",
        "team-report.md",
    ]
    timeline = data["timeline"]
    assert [r["minute"] for r in timeline] == sorted(r["minute"] for r in timeline)
    updates = [r for r in timeline if r["kind"] == "update"]
    assert len(updates) == 3 and all(r["by"] == "Cy" for r in updates)
    assert all(r["signal"] is not None for r in timeline)  # the key signal at that minute
    rollback = next(r for r in timeline if r["kind"] == "act")
    assert rollback["by"] == "Bo" and "rollback" in rollback["fleet"]
    (decision,) = data["decision_log"]
    assert decision["actions"][0]["by"] == "Bo" and "embed-cpu" in decision["decision"]
    html = (tmp_path / "team-report.html").read_text()
    assert "id='timeline'" in html and "Well run" in html and "passed" in html


@pytest.mark.full
def test_the_command_line_ranks_team_transcripts_and_writes_their_reports(scored, tmp_path):
    """`speechdrill team score`: the teams best first, each with the score the use case
    gives it (the runs are in the session's cache by now), a report folder per transcript;
    its bad input is tests/test_team.py's."""
    import json

    names = ("silent", "well-run", "undo")
    paths = [str(TEAMS / f"{n}.yaml") for n in names]
    out = speechdrill("team", "score", *paths, "--json", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    ranked = json.loads(out.stdout)
    assert [r["team"] for r in ranked] == ["Well run", "Undo each other", "Silent"]
    for row, name in zip(ranked, ("well-run", "undo", "silent"), strict=True):
        assert row["score"] == scored[name].score.score
        assert row["passed"] == scored[name].score.passed
        assert (tmp_path / name / "team-report.html").is_file()
    shown = speechdrill("team", "score", paths[0], "--no-counterfactuals")
    assert shown.returncode == 0 and "Silent" in shown.stdout and "not passed" in shown.stdout
