"""The ranking a fair examiner would give, on every scenario: trainees who try to earn the
score without doing the work (tests/adversarial/, made by tests/adversarial/build.py)
against the shipped expert."""

from __future__ import annotations

from pathlib import Path

import pytest

from drills.judge.causes import match_cause, match_causes
from drills.judge.matcher import judge
from drills.judge.scoring import (
    WEIGHTS,
    Score,
    prefetch_scores,
    prevention_concepts,
    references,
    replay,
    score,
)
from drills.library.scenario import Conclusion, load_key, load_scenario, scenario_dirs
from drills.play.transcript import load_transcript
from tests.helpers import QUICK, RUNS, library_params

ADVERSARIAL = Path(__file__).parent / "adversarial"
SCENARIOS = [d for d in scenario_dirs() if (ADVERSARIAL / d.name).is_dir()]


def points(result: Score, component: str) -> float:
    return next(line.points for line in result.breakdown if line.component == component)


def penalty(result: Score, ident: str | None = None) -> float:
    return sum(p["points"] for p in result.penalties if ident is None or p["id"] == ident)


def scores(directory: Path) -> dict[str, Score]:
    loaded = load_scenario(directory / "scenario.yaml")
    key = load_key(directory / "key.yaml", loaded)
    refs = references(loaded, directory, RUNS)
    drills = {"expert": refs.expert}
    naive = load_transcript(directory / "transcripts" / "naive.yaml", loaded)
    drills["naive"] = replay(loaded, naive, RUNS)
    for path in sorted((ADVERSARIAL / directory.name).glob("*.yaml")):
        drills[path.stem] = replay(loaded, load_transcript(path, loaded), RUNS)
    prefetch_scores(list(drills.values()), key, refs)  # every trainee's runs side by side
    return {name: score(drill, key, refs) for name, drill in drills.items()}


def conclusion(directory: Path, name: str) -> Conclusion:
    folder = (
        directory / "transcripts" if name in ("expert", "naive") else ADVERSARIAL / directory.name
    )
    moves = load_transcript(folder / f"{name}.yaml").moves
    return next(m.conclude for m in moves if m.conclude is not None)


# What needs no simulation, on every scenario of the library (the simulated ranking below
# covers the sample in `make test`, the rest in `make test-full`): which causes each
# trainee's words name, and what buzzwords and negations earn of the prevention items.
@pytest.mark.parametrize("directory", SCENARIOS, ids=[d.name for d in SCENARIOS])
def test_the_words_of_every_answer_are_read_as_a_fair_examiner_would(directory):
    key = load_key(directory / "key.yaml", load_scenario(directory / "scenario.yaml"))
    causes = {fault.cause for fault in key.faults()}

    def named(name: str) -> set[str]:
        text = conclusion(directory, name).cause
        if len(causes) > 1:
            return set(match_causes(text)[0])
        found = match_cause(text)[0]
        return {found} if found else set()

    assert named("expert") == causes and named("paraphrase") == causes
    assert not named("naive") & causes and named("wrong-cause") != causes
    # a wrong cause ruled out does not hide the right one
    assert named("right-after-ruled-out") == causes, named("right-after-ruled-out")
    concepts, top = prevention_concepts(key), WEIGHTS["prevention"]

    def prevention_points(name: str) -> float:
        result = judge(conclusion(directory, name).statements(), concepts)
        return top * result.credit / max(len(key.prevention), 1)

    assert prevention_points("negated") <= 1 and prevention_points("buzzwords") <= 3
    assert prevention_points("expert") >= top / 2
    # a right cause ruled out is not named; the key's own item names, as fragments, earn
    # next to nothing
    assert not named("ruled-out-right") & causes, named("ruled-out-right")
    assert prevention_points("fragments") <= 3, prevention_points("fragments")


# One test per scenario (its runs are simulated once, on one worker), every ranking
# checked and every miss reported together.
@pytest.mark.slow
@pytest.mark.parametrize("directory", library_params(SCENARIOS, QUICK))
def test_the_ranking_a_fair_examiner_would_give(directory):
    scored = scores(directory)
    faults = len(load_key(directory / "key.yaml").faults())
    misses = []
    for check in CHECKS:
        try:
            check(scored, faults, directory.name)
        except AssertionError as exc:
            misses.append((check.__name__, f"{check.__name__}: {exc}"))
    table = {name: s.score for name, s in scored.items()}
    assert not misses, "\n".join([*(why for _, why in misses), f"scores: {table}"])


def the_shipped_expert_and_naive_lie_far_apart(scored, faults=1, scenario=""):
    expert, naive = scored["expert"], scored["naive"]
    assert expert.score >= 85 and expert.diagnosis_correct, expert.score
    assert naive.score <= 40 and not naive.diagnosis_correct, naive.score


def investigating_experts_score_as_experts(scored, faults=1, scenario=""):
    expert = scored["expert"].score
    # only CTEs, other words: an expert all the same (CTE queries cost more clock than the
    # panels they replace, so the fix comes a little later)
    paraphrase = scored["paraphrase"]
    assert paraphrase.score >= 85 and paraphrase.diagnosis_correct, paraphrase.score
    assert paraphrase.score >= expert - 6, paraphrase.score


def a_blind_guess_scores_like_one(scored, faults=1, scenario=""):
    blind = scored["blind"]
    assert blind.score <= 50, blind.score
    assert points(blind, "diagnosis") == 0 and points(blind, "evidence") == 0


def a_generic_sweep_is_worth_clearly_less_than_a_focused_investigation(
    scored, faults=1, scenario=""
):
    assert scored["sweep"].score <= 75, scored["sweep"].score
    assert scored["sweep"].score <= scored["expert"].score - 10, scored["sweep"].score


def buzzwords_and_negations_earn_no_prevention(scored, faults=1, scenario=""):
    assert points(scored["buzzwords"], "prevention") <= 3
    assert points(scored["negated"], "prevention") <= 1
    assert points(scored["paraphrase"], "prevention") >= points(scored["expert"], "prevention") - 4


def the_right_fix_with_the_wrong_cause_lands_in_the_middle(scored, faults=1, scenario=""):
    wrong = scored["wrong-cause"]
    assert not wrong.diagnosis_correct
    assert 40 <= wrong.score <= 70, wrong.score


def harm_costs_points_listed_or_not_and_however_split(scored, faults=1, scenario=""):
    expert = scored["expert"].score
    listed = scored["listed-harm"]
    assert penalty(listed) >= 8 and listed.score <= expert - 8, listed.penalties
    unlisted = scored["unlisted-harm"]
    assert penalty(unlisted, "harm-by-effect") >= 8, unlisted.penalties
    assert unlisted.score <= expert - 8, unlisted.score
    # restarting every pool one at a time is restarting everything
    assert penalty(listed, "restart-everything") >= 8, listed.penalties


def a_slow_but_right_path_ranks_between(scored, faults=1, scenario=""):
    slow = scored["slow"]
    assert slow.diagnosis_correct
    assert 60 < slow.score < scored["expert"].score, slow.score


def an_equivalent_fix_earns_the_mitigation(scored, faults=1, scenario=""):
    same = scored["equivalent-fix"]
    assert points(same, "mitigation") >= 0.9 * points(scored["expert"], "mitigation")
    assert same.time_to_mitigate_min == scored["expert"].time_to_mitigate_min


def sweeps_over_narrow_tables_are_sweeps_too(scored, faults=1, scenario=""):
    narrow = scored["narrow-sweep"]
    assert narrow.score <= 75, narrow.score
    assert narrow.score <= scored["expert"].score - 10, narrow.score


def one_focus_row_after_the_change_is_evidence(scored, faults=1, scenario=""):
    # each one-row look at the focus, bounded to after the change, reads its signal: the
    # cause is backed by evidence (not a guess), far above the blind guess
    one = scored["one-row"]
    assert points(one, "evidence") > 0 and points(one, "diagnosis") > 0, one.breakdown[:2]
    assert one.score >= scored["blind"].score + 20, one.score


def tailored_fragments_earn_no_prevention(scored, faults=1, scenario=""):
    assert points(scored["fragments"], "prevention") <= 3


def a_ruled_out_cause_earns_nothing(scored, faults=1, scenario=""):
    out = scored["ruled-out-right"]
    assert points(out, "diagnosis") == 0 and not out.diagnosis_correct, out.breakdown[0]
    assert out.score <= scored["expert"].score - 25, out.score


def a_wrong_cause_ruled_out_does_not_hide_the_right_one(scored, faults=1, scenario=""):
    after = scored["right-after-ruled-out"]
    assert after.diagnosis_correct, after.breakdown[0]
    assert points(after, "diagnosis") == pytest.approx(points(scored["expert"], "diagnosis"))


def a_nonsense_reroute_is_harm_not_recovery(scored, faults=1, scenario=""):
    # the reroute stands where the (first) fault's fix stood: that fault's share of the
    # mitigation and recovery is lost (a compound incident's other fault is still fixed)
    nonsense, expert = scored["nonsense-reroute"], scored["expert"]
    share = 1.0 / faults
    mitigation = points(nonsense, "mitigation")
    assert mitigation <= points(expert, "mitigation") - share * WEIGHTS["mitigation"] + 1e-6
    recovery = points(nonsense, "recovery")
    assert recovery <= points(expert, "recovery") - 0.8 * share * WEIGHTS["recovery"], recovery
    assert penalty(nonsense, "harm-by-effect") >= 8, nonsense.penalties
    assert nonsense.score < scored["wrong-cause"].score, nonsense.score


def draining_a_kind_onto_a_one_replica_canary_is_harm(scored, faults=1, scenario=""):
    # after the fix: queueing on one replica, or a canary worse on a slice, costs users,
    # even where the incident hides it in the no-action run (recognition collapse)
    drained = scored["canary-drain"]
    assert penalty(drained, "harm-by-effect") >= 8, drained.penalties
    assert drained.score <= scored["expert"].score - 8, drained.score


def a_retry_cap_that_ends_the_storm_is_the_fix(scored, faults=1, scenario=""):
    if "retry-cap" not in scored:  # only where a retry storm is the cause
        return
    cap = scored["retry-cap"]
    assert points(cap, "mitigation") >= 0.9 * points(scored["expert"], "mitigation")
    assert cap.score >= scored["expert"].score - 6, cap.score


CHECKS = [
    the_shipped_expert_and_naive_lie_far_apart,
    investigating_experts_score_as_experts,
    a_blind_guess_scores_like_one,
    a_generic_sweep_is_worth_clearly_less_than_a_focused_investigation,
    buzzwords_and_negations_earn_no_prevention,
    the_right_fix_with_the_wrong_cause_lands_in_the_middle,
    harm_costs_points_listed_or_not_and_however_split,
    a_slow_but_right_path_ranks_between,
    an_equivalent_fix_earns_the_mitigation,
    sweeps_over_narrow_tables_are_sweeps_too,
    one_focus_row_after_the_change_is_evidence,
    tailored_fragments_earn_no_prevention,
    a_ruled_out_cause_earns_nothing,
    a_wrong_cause_ruled_out_does_not_hide_the_right_one,
    a_nonsense_reroute_is_harm_not_recovery,
    draining_a_kind_onto_a_one_replica_canary_is_harm,
    a_retry_cap_that_ends_the_storm_is_the_fix,
]
