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
@pytest.mark.full
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
    from reports.after_action import ReportInput, moves_of, report_data

    scenario, key, refs = setting
    result = score(drill, key, refs)
    curves = key_curves(scenario, key, drill, refs, found)
    assert any(name.startswith("had you acted at minute") for name in curves)
    mine, expert = moves_of(drill.moves), moves_of(refs.expert.moves)
    view = ReportInput(scenario, key, result, mine, expert, curves, as_data(found))
    return to_markdown(report_data(view))


@pytest.mark.slow
def test_what_to_practise_never_contradicts_the_components(setting, tmp_path):
    """Every signal read, the fix right, the cause ambiguous: the diagnosis earns nothing,
    and the report says why there, names the causes the words fitted with the trainee's
    words for each, and never says "nothing missed"."""
    import yaml

    from reports.after_action import ReportInput, moves_of, report_data, to_html

    scenario, key, refs = setting
    expert = yaml.safe_load((DIRECTORY / "transcripts" / "expert.yaml").read_text())
    from drills.judge.causes import CAUSES

    hedge = f"either {CAUSES['cpu-to-gpu-fallback']} or {CAUSES['shadow-mirroring-left-on']}"
    expert["moves"][-1]["conclude"]["cause"] = hedge
    path = tmp_path / "hedge.yaml"
    path.write_text(yaml.safe_dump(expert))
    drill = replay(scenario, load_transcript(path, scenario), RUNS)
    result = score(drill, key, refs)
    diagnosis = result.breakdown[0]
    assert diagnosis.points == 0 and result.breakdown[1].points == 25.0
    found = debrief(drill, key, refs, result, counterfactuals=False)
    assert any(p.startswith("diagnosis (0 of 30): ") for p in found.practise), found.practise
    assert {c["cause"] for c in result.causes} >= {"cpu-to-gpu-fallback"}
    assert any(c["role"] == "rival" for c in result.causes), result.causes
    from drills.judge.debrief import key_curves

    mine, theirs = moves_of(drill.moves), moves_of(refs.expert.moves)
    curves = key_curves(scenario, key, drill, refs, found)
    data = report_data(ReportInput(scenario, key, result, mine, theirs, curves, as_data(found)))
    text = to_markdown(data)
    assert "nothing missed" not in text and "## How your cause was read" in text
    assert "`cpu-to-gpu-fallback` — an alternative you offered: “" in text
    page = to_html(data)
    assert "nothing missed" not in page and "How your cause was read" in page
