"""Two faults at once: the ranking a fair examiner would give on each compound scenario.
Trainees are built from the shipped expert: one who finds and fixes one fault only, one
who names both but fixes one, one who fixes both in the wrong order, one who names every
cause they can think of, one who negates the second, and a blind guess."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from drills.judge.causes import CAUSES, match_causes
from drills.judge.scoring import Score, references, replay, score
from drills.library.scenario import AnswerKey, Transcript, load_key, load_scenario, scenario_dirs
from tests.adversarial.build import default_variant
from tests.helpers import RUNS

COMPOUND = [d for d in scenario_dirs() if load_key(d / "key.yaml").also]


def points(result: Score, component: str) -> float:
    return next(line.points for line in result.breakdown if line.component == component)


def trainees(expert: dict[str, Any], key: AnswerKey) -> dict[str, list[dict[str, Any]]]:
    """The expert's moves reworked into the cheats and half-answers above. The expert's
    path is: investigate fault 1, fix it, investigate fault 2, fix it, look, conclude."""
    moves = expert["moves"]
    acts = [i for i, m in enumerate(moves) if "act" in m]
    assert len(acts) == 2, "a compound expert fixes two faults"
    first, second = acts
    conclusion = moves[-1]["conclude"]
    found = key.faults()

    def ending(**override: Any) -> dict[str, Any]:
        return {"conclude": {**conclusion, **override}}

    one_cause = CAUSES[found[0].cause]  # the catalogue's own words for fault 1
    other_cause = CAUSES[found[1].cause]
    shotgun = ", ".join(
        [one_cause, other_cause, "a traffic surge", "a degraded GPU", "a noisy neighbour"]
    )
    swapped = [*moves[:first], *moves[first + 1 : second], moves[second], moves[first]]
    return {
        # finds fault 1, fixes it, stops there
        "first-fault-only": [*moves[: first + 1], ending(cause=one_cause)],
        # reads everything, names both, fixes only fault 1
        "both-named-one-fixed": [*moves[:second], *moves[second + 1 :]],
        # the same investigation, fixes in the order the key says is wrong
        "wrong-order": [*swapped, *moves[second + 1 :]],
        "shotgun": [*moves[:-1], ending(cause=shotgun)],
        "catalogue-dump": [*moves[:-1], ending(cause=", ".join(sorted(CAUSES)))],
        "second-negated": [*moves[:-1], ending(cause=f"{one_cause}, not {other_cause}")],
        "blind": [
            {**moves[first], "at_min": 0},
            moves[second],
            ending(),
        ],
    }


def scores(directory: Path) -> dict[str, Score]:
    loaded = load_scenario(directory / "scenario.yaml")
    key = load_key(directory / "key.yaml", loaded)
    refs = references(loaded, directory, RUNS)
    expert = default_variant(directory / "transcripts" / "expert.yaml")
    out = {"expert": score(refs.expert, key, refs)}
    for name, moves in trainees(copy.deepcopy(expert), key).items():
        transcript = Transcript.model_validate(
            {"scenario": loaded.spec.id, "trainee": name, "moves": moves}
        )
        out[name] = score(replay(loaded, transcript, RUNS), key, refs)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    "directory",
    [  # one two-fault scenario in make test, the other in make test-full
        pytest.param(d, id=d.name, marks=() if i == 0 else pytest.mark.full)
        for i, d in enumerate(COMPOUND)
    ],
)
def test_a_fair_examiner_credits_finding_both_faults(directory):
    s = scores(directory)
    table = {name: result.score for name, result in s.items()}
    expert = s["expert"]
    assert expert.score >= 95 and expert.diagnosis_correct, table
    # one fault found and fixed is half an answer: credited, far below the expert
    one = s["first-fault-only"]
    assert 25 <= one.score <= 65 and not one.diagnosis_correct, table
    assert points(one, "diagnosis") == pytest.approx(15.0), table
    # naming both but leaving one burning: the diagnosis in full, half the mitigation
    named = s["both-named-one-fixed"]
    assert named.diagnosis_correct and points(named, "diagnosis") == pytest.approx(30.0)
    assert points(named, "mitigation") <= 10.0 + 1e-9, table
    assert one.score < named.score <= expert.score - 10, table
    # the wrong order: every fault fixed, the mitigation ×0.7
    order = s["wrong-order"]
    assert points(order, "mitigation") <= 0.7 * points(expert, "mitigation") + 1e-9, table
    assert named.score < order.score < expert.score, table
    # naming many causes to catch both: each wrong one cancels a right one — nothing left,
    # and not a right diagnosis (nor is the whole catalogue)
    for shotgun in (s["shotgun"], s["catalogue-dump"]):
        assert points(shotgun, "diagnosis") == 0 and not shotgun.diagnosis_correct, table
        assert shotgun.score <= expert.score - 30, table
    # "A, not B" names A only
    assert points(s["second-negated"], "diagnosis") == pytest.approx(15.0), table
    # both fixes and both causes with nothing read: a guess
    blind = s["blind"]
    assert points(blind, "diagnosis") == 0 and points(blind, "mitigation") == 0, table
    assert blind.score <= 40, table


BOTH = ["network-jitter", "shadow-mirroring-left-on"]
READINGS = [
    # honest two-cause answers, however phrased
    ("network jitter on fw-4.1's new gateway, and separately a shadow mirror left on", BOTH),
    ("jitter; also the shadow traffic was left on", BOTH),
    ("network jitter from the new gateway with shadow mirroring left on in the canary", BOTH),
    ("the new gateway added network jitter while shadow mirroring was left on", BOTH),
    ("jitter / shadow traffic left on", BOTH),
    ("network-jitter shadow-mirroring-left-on", BOTH),
    ("Not a surge, but network jitter and a shadow mirror left on", BOTH),
    # ruling a cause out does not name it
    ("network jitter; shadow mirroring left on; a traffic surge was ruled out", BOTH),
    ("network jitter and shadow mirroring left on rather than a traffic surge", BOTH),
    ("network jitter; costs rose but traffic did not, shadow mirroring left on", BOTH),
    ("network jitter, not shadow traffic left on", ["network-jitter"]),
    # a list set aside names nothing in it
    ("It wasn't network jitter, shadow mirroring left on, or a traffic surge", []),
    ("We did not find network jitter, shadow mirroring left on or a traffic surge", []),
    ("Neither network jitter, shadow mirroring left on nor a traffic surge", []),
    ("ruled out: network jitter, shadow mirroring left on", []),
    ("none of these: network jitter; shadow mirroring left on", []),
    ("Hypotheses I could not confirm: network jitter, shadow mirroring left on", []),
    ("network jitter (unlikely), shadow mirroring left on (unlikely)", []),
    # one phrase naming many causes at once names none of them
    ("jitter shadow beam noisy neighbour traffic surge", []),
    ("   ", []),
]


@pytest.mark.parametrize(("answer", "causes"), READINGS, ids=[r[0][:40] for r in READINGS])
def test_a_compound_answer_is_read_cause_by_cause(answer, causes):
    assert sorted(match_causes(answer)[0]) == causes


def test_a_compound_key_is_checked_when_loaded(tmp_path):
    directory = COMPOUND[0]
    base = default_variant(directory / "key.yaml")
    cases = {
        "the same cause twice": {"also": [{**base["also"][0], "cause": base["cause"]}]},
        "an unknown signal": {"also": [{**base["also"][0], "signals": ["no-such-signal"]}]},
        "a signal claimed twice": {"also": [base["also"][0], {**base["also"][0]}]},
        "first is not a cause": {"mitigate_first": "beam-width-changed"},
        "one fix for both faults": {
            "also": [{**base["also"][0], "mitigations": base["mitigations"][:1]}]
        },
    }
    for what, change in cases.items():
        with pytest.raises(ValueError):
            AnswerKey.model_validate({**base, **change}), what
    key = AnswerKey.model_validate(base)
    faults = key.faults()
    assert [f.cause for f in faults] == [base["cause"], base["also"][0]["cause"]]
    assert faults[0].signals.isdisjoint(faults[1].signals)
    assert faults[0].signals | faults[1].signals == {s.id for s in key.signals}
