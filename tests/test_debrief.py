"""The counterfactual debrief: what each decision cost, re-simulated."""

from __future__ import annotations

from pathlib import Path

import pytest

from drills.judge.debrief import as_data, debrief
from drills.judge.scoring import references, replay, score
from drills.library.paths import library_root
from drills.library.scenario import load_key, load_scenario
from drills.play.transcript import load_transcript
from reports.after_action import to_markdown
from tests.helpers import RUNS

DIRECTORY = library_root() / "gpu-cost-no-traffic"
ADVERSARIAL = Path(__file__).parent / "adversarial" / "gpu-cost-no-traffic"


@pytest.fixture(scope="module")
def setting():
    scenario = load_scenario(DIRECTORY / "scenario.yaml")
    key = load_key(DIRECTORY / "key.yaml", scenario)
    return scenario, key, references(scenario, DIRECTORY, RUNS)


def debriefed(setting, path):
    scenario, key, refs = setting
    drill = replay(scenario, load_transcript(path, scenario), RUNS)
    return drill, debrief(drill, key, refs, score(drill, key, refs))


@pytest.mark.slow
def test_the_expert_path_changes_nothing_and_costs_nothing(setting):
    _, found = debriefed(setting, DIRECTORY / "transcripts" / "expert.yaml")
    # the expert's fix is its only decision point: taking the expert's move instead of itself
    assert [d.instead for d in found.decisions] == [(found.decisions[0].your_move,)]
    assert all(d.then == d.yours for d in found.decisions)  # re-simulated, bit for bit
    assert found.move_costs == [] and found.practise == []


@pytest.mark.slow
def test_the_naive_path_would_have_recovered_most_of_the_experts_benefit(setting):
    scenario, key, refs = setting
    drill, found = debriefed(setting, DIRECTORY / "transcripts" / "naive.yaml")
    assert found.decisions, "the naive trainee was behind the expert from minute 7"
    expert_left = found.decisions[0].yours.incident_left  # the naive run: the incident, whole
    best = min(found.decisions, key=lambda d: d.then.incident_left)
    expert_benefit = 1.0 - refs.expert_impact(key, (scenario.spec.clock.start_s, 1e9))
    assert expert_left > 0.95
    assert expert_left - best.then.incident_left >= 0.6 * expert_benefit
    assert best.usd_saved > 0 and best.instead == ('rollback {"target": "pools.embed-cpu"}',)
    # later decisions save less: delay costs
    saved = [d.usd_saved for d in found.decisions]
    assert saved == sorted(saved, reverse=True)
    # every key signal the naive trainee missed comes with the expert's way of reading it
    assert sum("the expert read it" in p for p in found.practise) == len(key.signals)
    assert any(p.startswith("avoid: ") for p in found.practise)
    text = to_markdown_of(setting, drill, found)
    assert "## What each decision cost" in text and "pools.embed-cpu" in text


@pytest.mark.slow
def test_a_harmful_moves_own_cost_is_positive(setting):
    _, found = debriefed(setting, ADVERSARIAL / "unlisted-harm.yaml")
    (cost,) = [c for c in found.move_costs if "asr-batch-gpu" in c.move]
    assert cost.slo_burn_added_pp > 1.0  # scaling a serving pool to zero is an outage


def to_markdown_of(setting, drill, found):
    from drills.judge.debrief import key_curves
    from reports.after_action import report_data

    scenario, key, refs = setting
    result = score(drill, key, refs)
    curves = key_curves(scenario, key, drill, refs, found)
    assert any(name.startswith("had you acted at minute") for name in curves)
    return to_markdown(
        report_data(scenario, key, drill, result, refs.expert, curves, as_data(found))
    )
