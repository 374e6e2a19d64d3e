"""Harm and fixes by what users got: which requests a run served wrongly or worse than
another run of the same scenario served them, and which moves may fix a fault by their
outcome (the ranking that uses them: tests/test_scoring_adversarial.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from drills.judge.fixes import fixes, in_scope, trials
from drills.judge.harm import Effect
from drills.judge.measures import UserRows, quality_worse, wrong_model_share
from drills.library.paths import library_root
from drills.library.scenario import Move, load_key, load_scenario
from drills.play.drill import Drill
from simulator.spec.timeline import TimelineEvent
from tests.helpers import RUNS, fleet, requests, simulate


def test_a_request_served_by_a_model_of_another_family_is_served_wrongly():
    loaded = load_scenario(library_root() / "tts-first-audio-byte" / "scenario.yaml")
    kinds = pd.Series(["tts", "tts", "asr-batch", "asr-batch", "embedding"], dtype="category")
    pools = pd.Series(
        ["tts-cpu", "asr-batch-gpu", "asr-batch-canary", None, "embed-cpu"], dtype="category"
    )
    users = UserRows.of(np.arange(5), kinds, pools)
    # a canary of the same family serves; a request never served is judged by its status
    assert users.served_wrongly(loaded.fleet).tolist() == [False, True, False, False, False]


def test_requests_that_came_back_worse_than_in_the_other_run_are_found():
    """The same requests, a model swapped for a worse one at t = 5 s: only the requests
    after it come back worse; the run against itself has none."""
    arrivals = [0.5 * i for i in range(20)]
    base_fleet = fleet()
    worse = TimelineEvent(at_s=5.0, set={"models.m.quality.clean_wer": 0.3})
    _, base = simulate(base_fleet, requests(arrivals), duration_s=12.0)
    _, after = simulate(base_fleet, requests(arrivals), [worse], duration_s=12.0)
    window = (0.0, 12.0)
    flagged = quality_worse(after, base, window)
    late = np.array(arrivals) >= 5.0
    assert flagged.tolist() == late.tolist()
    assert not quality_worse(base, base, window).any()
    # a slightly worse model is within the margin: not harm
    nudge = TimelineEvent(at_s=5.0, set={"models.m.quality.clean_wer": 0.056})
    _, nudged = simulate(base_fleet, requests(arrivals), [nudge], duration_s=12.0)
    assert not quality_worse(nudged, base, window).any()
    # every request was served by its own kind's model here
    assert wrong_model_share(after, window, base_fleet) == {"asr-batch": 0.0}


def test_moves_tried_as_fixes_by_outcome_are_the_ones_in_the_key_fixs_scope():
    """A retry cap changes the part of the fleet the key's fix restores (the retry
    policy): it is tried as a fix, by re-simulation; scaling the pool up, or rerouting,
    is not, whatever it does to the signal."""
    directory = library_root() / "audio-tagging-stuck-failing"
    loaded = load_scenario(directory / "scenario.yaml")
    key = load_key(directory / "key.yaml", loaded)
    drill = Drill(loaded, RUNS)
    for minute, act in (
        (4, {"action": "scale", "args": {"pool": "cls-cpu", "replicas": 6}}),
        (6, {"action": "reroute", "args": {"match": {"kind": "classifier"}, "pool": "tts-cpu"}}),
        (8, {"action": "set", "args": {"path": "retries.max_attempts", "value": 1}}),
    ):
        drill.play(Move.model_validate({"at_min": minute, "act": act}))
    done = fixes(drill, key)
    assert done == [None]  # no move is the key's fix by the fleet
    tried = trials(drill, key, done)
    assert {t.move.index for t in tried} == {2}
    assert {t.wanted.id for t in tried} == {m.id for m in key.mitigations}
    trial = tried[0]
    # theirs: the same moves before it, the key's fix in its place, as an action
    assert trial.mine[:-1] == trial.theirs[:-1] and trial.mine[-1] == drill.moves[2].event
    assert trial.theirs[-1].at_s == drill.moves[2].sim_time_s
    assert trial.theirs[-1].announce is not None
    assert in_scope("retries.max_attempts", {"retries"})
    assert not in_scope("retries_extra", {"retries"}) and in_scope("routes.0", {"routes"})


def test_a_harm_says_what_it_was_charged_for():
    """Spend alone charged says no more requests failed (was "+0.0% more of asr-batch
    requests fail their users"); failures say how many, of which kind, and how."""
    spend = Effect({"asr-batch": 0.0, "tts": 0.01}, {}, {}, 0.32, "the no-action run")
    assert spend.said() == (
        "made no more requests fail their users and changed spend by +32%, against the "
        "no-action run"
    )
    failed = Effect({"asr-batch": 4.2, "tts": 0.0}, {"asr-batch": 0.3}, {}, 0.0, "your run")
    assert failed.said().startswith(
        "made +4.2% more of asr-batch requests fail their users (30% served by a model that "
        "cannot serve them) and changed spend by +0%"
    )
