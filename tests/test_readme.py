"""The README's examples do what it says and no harm in their own scenario: each action
Journey 1 plays is valid there, not one of the key's harmful moves, and leaves the users
no worse off than doing nothing (SLO burn), for little more spend."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from drills.judge.scoring import evaluation_window, slo_burn, spend
from drills.library.scenario import Act, Move, load_key, load_scenario, resolve_scenario
from drills.play.actions import parse_arg_words
from drills.play.drill import Drill
from drills.play.panels import PANELS
from tests.helpers import RUNS

README = Path(__file__).parents[1] / "README.md"


def journey_one() -> tuple[str, list[str]]:
    text = README.read_text()
    block = text[text.index("## Journey 1") :]
    block = block[: block.index("```", block.index("```") + 3)]
    scenario = re.search(r"drill start (\S+)", block).group(1)
    return scenario, re.findall(r"^drill> (.+?)(?:\s+#.*)?$", block, re.MULTILINE)


@pytest.mark.slow
def test_the_readme_drill_does_no_harm_in_its_scenario():
    scenario_id, lines = journey_one()
    scenario = load_scenario(resolve_scenario(scenario_id))
    key = load_key(scenario.directory / "key.yaml", scenario)
    acts = []
    played, untouched = Drill(scenario, RUNS), Drill(scenario, RUNS)
    for line in lines:
        command, _, rest = line.partition(" ")
        if command == "look":
            assert rest in PANELS
            for drill in (played, untouched):
                drill.play(Move(look=rest))
        elif command == "query":
            for drill in (played, untouched):
                drill.play(Move(query=rest))
        elif command == "act" and rest:
            words = shlex.split(rest)
            act = Act(action=words[0], args=parse_arg_words(words[1:]))
            harmful = [m for m in key.harmful if m.action == act.action]
            assert not any(all(act.args.get(k) == v for k, v in m.args.items()) for m in harmful)
            played.play(Move(act=act))
            acts.append(act)
    assert acts, "Journey 1 shows an action"
    window = evaluation_window(scenario)
    mine, none = played.telemetry(), untouched.telemetry()
    assert slo_burn(scenario, mine, window) <= slo_burn(scenario, none, window)
    assert spend(mine, window) <= 1.10 * spend(none, window)
