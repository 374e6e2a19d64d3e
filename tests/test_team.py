"""Team drills without simulating: the clocks, who may play what, the signed log, the
team transcript's bad input, the rubric the role posts are read by (near misses both
ways), and each role component on hand-made team drills. (The ranking on re-simulated
runs is tests/test_team_ranking.py; the console, tests/test_team_console.py.)"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from drills.judge.scoring import fixes
from drills.library.scenario import load_key, load_scenario, resolve_scenario
from drills.runs.service import Runs
from drills.team.drill import TeamDrill, TeamRefused, replay
from drills.team.model import Entry, TeamSpec, load_plan
from drills.team.rubric import (
    a_reason,
    elements,
    names_action,
    names_fix,
    promised_at,
    stated_cause,
)
from drills.team.scoring import (
    _cadence,
    _questions,
    _resolution,
    commander_component,
    coordination_component,
)
from drills.team.store import TeamStore
from drills.usecases import replay_team_transcript
from simulator.errors import InputError

SCENARIO = load_scenario(resolve_scenario("gpu-cost-no-traffic"))
KEY = load_key(SCENARIO.directory / "key.yaml", SCENARIO)
PLAN = load_plan(SCENARIO)
NO_RUNS = Runs(workers=0)  # moves are played, never shown: nothing is simulated here
SPEC = TeamSpec.model_validate(
    {
        "team": "Blue",
        "scenario": "gpu-cost-no-traffic",
        "members": [
            {"name": "Ana", "roles": ["commander"]},
            {"name": "Bo", "roles": ["investigator"]},
            {"name": "Cy", "roles": ["investigator", "comms"]},
        ],
    }
)
ROLLBACK = {"move": {"act": {"action": "rollback", "args": {"target": "pools.embed-cpu"}}}}
GOOD_UPDATE = (
    "Impact: spend 40% above normal; no user-facing errors. Scope: the fleet's bill, all "
    "tenants served. We are investigating. Next update in 10 minutes."
)


def played(*entries: dict) -> TeamDrill:
    team = TeamDrill.new(SPEC, SCENARIO, PLAN, NO_RUNS)
    for entry in entries:
        team.apply(Entry.model_validate(entry))
    return team


def look(by: str, panel: str = "traffic") -> dict:
    return {"by": by, "move": {"look": panel}}


def post(by: str, **fields) -> dict:
    return {"by": by, "post": fields}


def update(text: str = GOOD_UPDATE, status: str = "investigating") -> dict:
    return post("Cy", kind="update", status=status, text=text)


def decide(text: str, reason: str) -> dict:
    return post("Ana", kind="decision", text=text, reason=reason)


# --- the clocks ------------------------------------------------------------------------


def test_looks_cost_their_member_and_the_team_clock_is_the_latest():
    team = played(look("Bo"), look("Bo"), {"by": "Bo", "move": {"query": "SELECT 1"}}, look("Cy"))
    assert team.clocks == {"Ana": 0.0, "Bo": 4.0, "Cy": 1.0}
    assert team.clock_min == 4.0
    assert [m.clock_min for m in team.drill.moves] == [0.0, 1.0, 2.0, 0.0]  # each at its own


def test_an_action_is_taken_at_the_team_clock_and_brings_everyone_to_it():
    team = played(look("Bo"), look("Bo"), look("Bo"), {"by": "Cy", **ROLLBACK}, look("Ana"))
    act = team.drill.moves[3]
    assert act.clock_min == 3.0 and act.sim_time_s == SCENARIO.spec.clock.start_s + 180.0
    assert act.event is not None and act.event.at_s == act.sim_time_s
    assert team.clocks == {"Ana": 4.0, "Bo": 3.0, "Cy": 8.0}  # Ana looked after, from 3
    assert team.drill.moves[4].clock_min == 3.0


def test_posts_are_stamped_with_the_team_clock_and_an_update_costs_its_writer():
    team = played(look("Bo"), look("Bo"), post("Bo", kind="message", text="spend is up"), update())
    assert [p.clock_min for p in team.channel] == [2.0, 2.0]
    assert team.clocks["Cy"] == 3.0 and team.clocks["Bo"] == 2.0  # a message is free
    assert [p.after_moves for p in team.channel] == [2, 2]


MOVES = st.sampled_from(
    [
        lambda who: look(who),
        lambda who: {"by": who, "move": {"query": "SELECT 1"}},
        lambda who: {
            "by": who,
            "move": {"act": {"action": "scale", "args": {"pool": "embed-gpu", "replicas": 1}}},
        },
        lambda who: post(who, kind="message", text="hi"),
        lambda who: update(),
    ]
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(MOVES, st.sampled_from(["Ana", "Bo", "Cy"])), max_size=14))
def test_no_look_ever_sees_an_action_out_of_order(script):
    """Whatever order the members play in: a look played before an action is at or before
    it, a look played after it at or after it, so the run with every action answers every
    look as it was shown; the channel's clock never goes back."""
    team = TeamDrill.new(SPEC, SCENARIO, PLAN, NO_RUNS)
    for make, who in script:
        entry = Entry.model_validate(make(who))
        with contextlib.suppress(TeamRefused):  # a non-comms update, a move past the box
            team.apply(entry)
    moves = team.drill.moves
    for act in (m for m in moves if m.kind == "act"):
        for other in moves:
            if other.kind in ("look", "query"):
                if other.index < act.index:
                    assert other.sim_time_s <= act.sim_time_s
                else:
                    assert other.sim_time_s >= act.sim_time_s
    stamps = [p.clock_min for p in team.channel]
    assert stamps == sorted(stamps)
    assert team.clock_min == max(team.clocks.values())


# --- who may play what -----------------------------------------------------------------


@pytest.mark.parametrize(
    "entry, where, why",
    [
        (
            post("Bo", kind="severity", level="sev2"),
            "",
            "only the incident commander posts a severity",
        ),
        (post("Ana", kind="update", status="resolved", text="x"), "", "communications role"),
        (
            {"by": "Bo", "move": {"conclude": {"cause": "x"}}},
            "",
            "only the incident commander closes",
        ),
        (
            {"by": "facilitator", "move": {"look": "traffic"}},
            "by",
            "the facilitator injects and ends",
        ),
        (post("Bo", kind="question", text="ETA?"), "post.kind", "the facilitator's injects"),
        ({"by": "Zed", "move": {"look": "traffic"}}, "by", "not a member of Blue"),
        ({"by": "Bo", "end": "bored"}, "end", "only the facilitator ends"),
        ({"by": "Bo", "move": {"look": "nope"}}, "look", "unknown panel 'nope'"),
        ({"by": "Bo", "move": {"at_min": 9, "look": "traffic"}}, "at_min", "their own clock"),
        (
            post("Ana", kind="assign", workstream="cost", owner="Zed"),
            "post.owner",
            "a member of the team",
        ),
        (post("Bo", kind="finding", move=1), "post.move", "one of your own looks or queries"),
        (
            {
                "by": "Bo",
                "move": {"act": {"action": "scale", "args": {"pool": "nope", "replicas": 1}}},
            },
            "act.args.pool",
            "no pool 'nope'",
        ),
    ],
)
def test_an_entry_a_member_may_not_play_is_refused_and_changes_nothing(entry, where, why):
    team = played()
    with pytest.raises(TeamRefused) as refused:
        team.apply(Entry.model_validate(entry))
    assert refused.value.where == where and why in refused.value.why
    assert team.drill.moves == [] and team.channel == [] and team.clock_min == 0.0


def test_after_the_time_box_only_posts_and_the_conclusion_are_taken():
    team = played(*[look("Bo")] * 25)
    assert team.boxed
    with pytest.raises(TeamRefused, match="time box \\(25 minutes\\) is over"):
        team.apply(Entry.model_validate(look("Cy")))
    team.apply(Entry.model_validate(post("Ana", kind="handover", text="still open", to="night")))
    team.apply(Entry.model_validate({"by": "Ana", "move": {"conclude": {"cause": "unknown"}}}))
    assert team.concluded and team.boxed_before_conclusion
    with pytest.raises(TeamRefused, match="the commander concluded"):
        team.apply(Entry.model_validate(look("Bo")))
    team.apply(Entry.model_validate(update("Resolved: no change.", "resolved")))  # still posts
    team.apply(Entry.model_validate({"by": "facilitator", "end": "time"}))
    with pytest.raises(TeamRefused, match="has ended: time") as ended:
        team.apply(Entry.model_validate(post("Bo", kind="message", text="hello")))
    assert ended.value.closed


@pytest.mark.parametrize(
    "members, message",
    [
        ([["commander"], ["investigator"]], "exactly one communications (found 0)"),
        (
            [["commander", "comms"], ["commander", "investigator"]],
            "exactly one incident commander (found 2)",
        ),
        ([["commander"], ["comms"]], "one investigator at least"),
        ([["commander", "commander"], ["investigator", "comms"]], "a role listed twice"),
        ([["commander", "comms", "investigator"], ["investigator"]], "at most 2 items"),
    ],
)
def test_a_team_needs_one_commander_one_comms_and_an_investigator(members, message):
    spec = {
        "team": "T",
        "scenario": "gpu-cost-no-traffic",
        "members": [{"name": f"M{i}", "roles": roles} for i, roles in enumerate(members)],
    }
    with pytest.raises(ValidationError, match=message.replace("(", "\\(").replace(")", "\\)")):
        TeamSpec.model_validate(spec)


# --- the log ---------------------------------------------------------------------------


def test_the_signed_log_replays_and_catches_an_edit_or_a_gap(tmp_path):
    store = TeamStore(tmp_path, b"k" * 32)
    row, members = store.create(SPEC)
    assert [m.name for m in members] == ["Ana", "Bo", "Cy"] and len({m.token for m in members}) == 3
    script = [look("Bo"), post("Bo", kind="finding", move=1, text="flat"), update()]
    for entry in script:
        store.append(row.id, Entry.model_validate(entry).model_dump(mode="json", exclude_none=True))
    kept, problems = store.entries(row.id)
    assert problems == []
    team, refused = replay(row.spec, SCENARIO, PLAN, kept, NO_RUNS)
    assert refused == [] and [p.post.kind for p in team.channel] == ["finding", "update"]
    with sqlite3.connect(tmp_path / "teams.sqlite") as db:
        edited = {"by": "Bo", "post": {"kind": "finding", "move": 1, "text": "steep"}}
        db.execute("UPDATE entries SET payload = ? WHERE seq = 1", (json.dumps(edited),))
    assert store.entries(row.id)[1] == ["entry 1 does not match its signature (edited?)"]
    with sqlite3.connect(tmp_path / "teams.sqlite") as db:
        db.execute("DELETE FROM entries WHERE seq = 1")
    assert "entry 1 is missing (found 2)" in store.entries(row.id)[1]
    assert TeamStore(tmp_path, b"x" * 32).entries(row.id)[1]  # another key: nothing verifies


def test_a_newer_team_store_is_refused_not_misread(tmp_path):
    TeamStore(tmp_path, b"k")
    with sqlite3.connect(tmp_path / "teams.sqlite") as db:
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(InputError, match="user_version: a team store of version 7"):
        TeamStore(tmp_path, b"k")


def test_a_family_team_takes_the_next_place_of_its_session(tmp_path):
    """Places count per (session, family); a session's teams share the seed of its first
    team's id; a blank session is a session of its own; a member is stored once."""
    from drills.library.family import session_seed

    store = TeamStore(tmp_path, b"k")
    on = SPEC.model_copy(update={"scenario": "gpu-bill-up"})
    other = SPEC.model_copy(update={"scenario": "voice-replies-late"})
    made = [
        store.create(on, "Tue")[0],
        store.create(other, "Tue")[0],
        store.create(on, "Wed")[0],
        store.create(on, "Tue")[0],
        store.create(on, "")[0],
        store.create(SPEC)[0],  # a scenario: no draw
    ]
    draws = [store.draw(row.id) for row in made]
    first = session_seed(made[0].id)
    assert [(d.session, d.place, d.seed) for d in draws[:5]] == [
        ("Tue", 0, first),
        ("Tue", 0, first),
        ("Wed", 0, session_seed(made[2].id)),
        ("Tue", 1, first),
        ("", 0, session_seed(made[4].id)),
    ]
    assert draws[5] is None and store.last_session() == "Tue"
    assert store.drawn(made[0].id, "/tmp/a", "note") and not store.drawn(made[0].id, "/b", "x")
    assert store.draw(made[0].id).folder == "/tmp/a"


def test_a_version_1_team_store_gains_the_draws_and_plays_on(tmp_path):
    store = TeamStore(tmp_path, b"k")
    row, _ = store.create(SPEC)
    with sqlite3.connect(tmp_path / "teams.sqlite") as db:
        db.execute("DROP TABLE draws")
        db.execute("PRAGMA user_version = 1")
    again = TeamStore(tmp_path, b"k")
    assert again.draw(row.id) is None and again.team(row.id).spec == SPEC
    with sqlite3.connect(tmp_path / "teams.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_team_transcript_that_cannot_be_played_names_the_entry(tmp_path):
    source = Path(__file__).parent / "team" / "gpu-cost-no-traffic" / "well-run.yaml"
    text = source.read_text().replace(
        "post: {kind: severity, level: sev3,", "post: {kind: severity, level: sev4,"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(InputError) as found:
        replay_team_transcript(bad, NO_RUNS)
    assert found.value.source == str(bad) and found.value.field_path.startswith("entries[0].post")
    role = tmp_path / "role.yaml"
    role.write_text(
        source.read_text().replace(
            "- by: Ana\n    post: {kind: severity", "- by: Bo\n    post: {kind: severity"
        )
    )
    with pytest.raises(InputError) as refused:
        replay_team_transcript(role, NO_RUNS)
    assert refused.value.field_path == "entries[0]"
    assert "only the incident commander posts a severity" in refused.value.expected


def test_team_score_refuses_bad_input_before_simulating_anything(tmp_path, capsys):
    """`speechdrill team score`: a missing file, a file that is not a team transcript, one
    entry that cannot be played, and two transcripts whose reports would share a folder
    are bad input (exit 2, the file and the field named, no traceback)."""
    from drills.cli.main import main

    source = Path(__file__).parent / "team" / "gpu-cost-no-traffic" / "silent.yaml"
    twin = tmp_path / "twin" / "silent.yaml"
    twin.parent.mkdir()
    twin.write_text(source.read_text())
    broken = tmp_path / "broken.yaml"
    broken.write_text("team: {team: X}\nentries: []\n")
    for args, says in (
        ((str(tmp_path / "none.yaml"),), "file not found"),
        ((str(broken),), "team.scenario: required field is missing"),
        ((str(source), str(twin), "--out", str(tmp_path / "r")), "would share a folder"),
    ):
        with pytest.raises(SystemExit) as exited:
            main(["team", "score", *args])
        err = capsys.readouterr().err
        assert exited.value.code == 2 and says in err, (args, err)
        assert "Traceback" not in err


# --- the rubric: near misses both ways -------------------------------------------------


@pytest.mark.parametrize(
    "text, missing",
    [
        (GOOD_UPDATE, []),
        (
            "No user-facing impact; spend only. Scope: the embedding pool. Rolling back. "
            "Next update in 15 min.",
            [],
        ),
        ("We are looking into it.", ["impact", "scope", "next update time"]),
        ("Spend is up on the GPU pool; investigating. Next update soon.", ["next update time"]),
        ("Spend is up on the GPU pool; investigating. Next update at 10:30 UTC.", []),
        (
            "Spend is up for all users. I will update you when we know more.",
            ["current action", "next update time"],
        ),
        (
            "We have not rolled back anything; costs are up for tenants. Next update in 5 minutes.",
            ["current action"],
        ),
    ],
)
def test_an_update_states_impact_scope_action_and_the_next_update_time(text, missing):
    assert elements(text).missing == missing


def test_a_resolution_update_owes_no_next_update():
    final = "Resolved: rolled back embed-cpu; spend normal for all tenants, no users affected."
    assert elements(final, final=True).missing == [] and elements(final).missing == [
        "next update time"
    ]


@pytest.mark.parametrize(
    "text, stated, cause",
    [
        ("The cause is not yet known; we are investigating.", False, None),
        ("We suspect the ASR canary but have not confirmed it.", False, None),
        ("No cause identified yet.", False, None),
        ("Spend is 40% up since this morning's deploys.", False, None),
        ("The ASR canary caused the cost increase.", True, None),
        ("Embedding requests are running on the GPU pool.", True, "cpu-to-gpu-fallback"),
        ("This is due to the new embedding release.", True, None),
    ],
)
def test_a_stated_cause_is_told_from_a_hedge_or_a_symptom(text, stated, cause):
    found = stated_cause(text)
    assert (found is not None) == stated
    if found is not None:
        assert found[1] == cause


@pytest.mark.parametrize(
    "reason, says",
    [
        ("spend by pool shows embed-gpu taking embeddings", True),
        ("the fallback tag is on every embedding request", True),
        ("because", False),
        ("just in case", False),
        ("no reason, really", False),
        ("let's see what happens", False),
    ],
)
def test_a_reason_says_something(reason, says):
    assert a_reason(reason) is says


def test_a_decision_names_its_action_and_a_resolution_its_fix():
    target = {"target": "pools.embed-cpu"}
    assert names_action("Roll back the embedding release", "rollback", target)
    assert names_action("revert embed-cpu to 1.0.3", "rollback", target)
    assert not names_action("restart everything", "rollback", target)
    assert names_fix("We rolled back embed-cpu; spend is normal.", "rollback", target)
    assert not names_fix("We have not rolled back embed-cpu yet.", "rollback", target)
    assert not names_fix("Things are better now.", "rollback", target)


@pytest.mark.parametrize(
    "text, at",
    [
        ("Next update in 10 minutes.", 13.0),
        ("next update within 15 min", 18.0),
        ("Next update at minute 30.", 30.0),
        ("We will update again in an hour.", 63.0),
        ("Next update in half an hour.", 33.0),
        ("Next update soon.", None),
    ],
)
def test_when_an_update_promises_the_next(text, at):
    assert promised_at(text, 3.0) == at


# --- the roles, on hand-made drills ----------------------------------------------------


def commander(team: TeamDrill):
    done = [(fix[0].index, fix[1].id) for fix in fixes(team.drill, KEY) if fix is not None]
    return {p.name: p for p in commander_component(team, done).parts}


def test_the_severity_right_for_the_page_earns_it_one_level_off_half():
    assert commander(played(post("Ana", kind="severity", level="sev3")))["severity"].points == 4.0
    assert commander(played(post("Ana", kind="severity", level="sev2")))["severity"].points == 2.0
    assert commander(played(post("Ana", kind="severity", level="sev1")))["severity"].points == 0.0
    late = played(look("Bo"), {"by": "Bo", **ROLLBACK}, post("Ana", kind="severity", level="sev3"))
    assert commander(late)["severity"].points == 2.0  # declared after the team acted
    fixed = played(
        post("Ana", kind="severity", level="sev1"), post("Ana", kind="severity", level="sev3")
    )
    assert commander(fixed)["severity"].points == 2.0  # corrected


def test_workstreams_count_before_the_first_fix():
    assign = post("Ana", kind="assign", workstream="spend", owner="Bo")
    both = post("Ana", kind="assign", workstream="deploys", owner="Cy")
    early = played(assign, both, {"by": "Bo", **ROLLBACK})
    assert commander(early)["workstreams"].points == 4.0
    half = played(assign, {"by": "Bo", **ROLLBACK}, both)
    assert commander(half)["workstreams"].points == pytest.approx(2.0 + 1.0)
    assert "only after the first fix" in " ".join(commander(half)["workstreams"].earned)
    comms_only = played(post("Ana", kind="assign", workstream="updates", owner="Ana"))
    assert commander(comms_only)["workstreams"].points == 0.0  # the investigators got none


def test_each_action_wants_a_decision_logged_with_a_reason():
    reasoned = decide("Roll back embed-cpu", "embeddings moved to the GPU after its deploy")
    covered = played(reasoned, {"by": "Bo", **ROLLBACK})
    assert commander(covered)["decisions"].points == 5.0
    after = played({"by": "Bo", **ROLLBACK}, reasoned)  # logged right after: still covers
    assert commander(after)["decisions"].points == 5.0
    bare = played(decide("Roll back embed-cpu", "just in case"), {"by": "Bo", **ROLLBACK})
    assert commander(bare)["decisions"].points == 0.0
    assert "without a reason that says something" in commander(bare)["decisions"].missed[0]
    elsewhere = played(
        decide("Restart the ASR pool", "the canary looks slow"), {"by": "Bo", **ROLLBACK}
    )
    assert commander(elsewhere)["decisions"].points == 0.0  # a decision about something else
    stale = played(
        reasoned, look("Bo"), {"by": "Bo", **ROLLBACK}, look("Bo"), {"by": "Bo", **ROLLBACK}
    )
    assert commander(stale)["decisions"].points == 2.5  # one decision covers one action


def test_a_handover_is_owed_only_when_the_time_box_runs_out():
    closed = played(
        post("Ana", kind="severity", level="sev3"),
        {"by": "Ana", "move": {"conclude": {"cause": "x"}}},
    )
    assert commander(closed)["handover"].points == 3.0
    boxed = played(post("Ana", kind="severity", level="sev3"), *[look("Bo")] * 25)
    assert commander(boxed)["handover"].points == 0.0
    handed = played(
        post("Ana", kind="severity", level="sev3"),
        *[look("Bo")] * 25,
        post(
            "Ana",
            kind="handover",
            to="the night on-call",
            text="Rolled back embed-cpu; next: watch spend by pool",
        ),
    )
    assert commander(handed)["handover"].points == 3.0
    thin = played(
        post("Ana", kind="severity", level="sev3"),
        *[look("Bo")] * 25,
        post("Ana", kind="handover", text="over to you"),
    )
    assert commander(thin)["handover"].points == 0.75


ALERT = {"by": "facilitator", "post": {"kind": "alert", "text": "canary p95", "source": "PD"}}


def owner(alert: int | None = 1, who: str = "Bo") -> dict:
    return post("Ana", kind="assign", workstream="the canary latency page", owner=who, alert=alert)


def test_a_second_alert_wants_an_owner_within_the_plans_minutes():
    """Acknowledged with an owner (the commander's assignment naming it) within
    alert_owner_min (5) of it: full; within twice that: half; never, or later: nothing.
    An assignment that does not name the alert, or names it before it came, is no answer."""
    severity = post("Ana", kind="severity", level="sev3")
    assert PLAN.alert_owner_min == 5.0
    none = commander(played(severity))["second alert"]
    assert none.points == 4.0 and none.why == "no second alert was injected"
    at_once = commander(played(severity, ALERT, owner()))["second alert"]
    assert at_once.points == 4.0 and "→ Bo 0 minutes after it" in at_once.earned[0]
    # an action by a team-mate moves the team's clock 5 minutes: owned then, still in time
    after_act = commander(played(severity, ALERT, {"by": "Cy", **ROLLBACK}, owner()))
    assert after_act["second alert"].points == 4.0
    late = commander(played(severity, ALERT, *[look("Bo")] * 8, owner()))["second alert"]
    assert late.points == 2.0 and "late: half" in late.earned[0]
    too_late = played(severity, ALERT, *[look("Bo")] * 11, owner())
    assert commander(too_late)["second alert"].points == 0.0
    ignored = commander(played(severity, ALERT, *[look("Bo")] * 6))["second alert"]
    assert ignored.points == 0.0 and "ignored, no owner given" in ignored.missed[0]
    # near misses: a workstream that does not name the alert is not its owner
    unnamed = played(severity, ALERT, owner(alert=None), *[look("Bo")] * 6)
    assert commander(unnamed)["second alert"].points == 0.0
    # not owed yet: the drill stands within the alert's minutes
    fresh = commander(played(severity, *[look("Bo")] * 3, ALERT, look("Bo")))["second alert"]
    assert fresh.points == 4.0 and "within their 5 minutes" in fresh.why
    # two alerts, one owned in time and one ignored: half the part
    two = played(severity, ALERT, owner(), ALERT, *[look("Bo")] * 6)
    assert commander(two)["second alert"].points == 2.0


def test_an_owner_names_an_alert_that_was_injected():
    with pytest.raises(TeamRefused, match=r"post\.alert: the number of an alert injected so far"):
        played(post("Ana", kind="severity", level="sev3"), owner(alert=1))
    with pytest.raises(TeamRefused, match="1 so far"):
        played(ALERT, owner(alert=2))
    with pytest.raises(ValidationError):
        Entry.model_validate(owner(alert=0))
    assert played(ALERT, owner(alert=1)).channel[-1].post.alert == 1


def test_a_commander_who_declared_nothing_earns_nothing():
    component = commander_component(played({"by": "Ana", "move": {"conclude": {"cause": "x"}}}), [])
    assert component.points == 0.0 and "declared nothing" in component.why


def test_the_cadence_holds_each_update_to_its_promise():
    kept = played(update(), *[look("Bo")] * 9, update())  # promised by 10, posted at 10
    assert _cadence(kept, kept.posts("update")).points == 3.0
    late = played(update(), *[look("Bo")] * 16, update())  # posted at 16
    assert _cadence(late, late.posts("update")).points == 0.0
    open_promise = played(update(), *[look("Bo")] * 20)  # nothing since minute 0
    assert _cadence(open_promise, open_promise.posts("update")).points == 0.0
    not_due = played(update(), *[look("Bo")] * 8)
    assert _cadence(not_due, not_due.posts("update")).why == "one update, nothing owed since"


def test_a_planned_question_is_answered_by_an_update_that_takes_it_up():
    ask = {
        "by": "facilitator",
        "post": {
            "kind": "question",
            "inject": "enterprise-tenant",
            "text": "enterprise?",
            "source": "AM",
        },
    }
    answered = played(
        ask, update("The enterprise tenant is not affected: logins work. " + GOOD_UPDATE)
    )
    assert _questions(answered, answered.posts("update")).points == 2.0
    no_tenant = GOOD_UPDATE.replace(", all tenants served", "")
    ignored = played(ask, update(no_tenant))
    assert _questions(ignored, ignored.posts("update")).points == 0.0
    before = played(update("The enterprise tenant is fine. " + GOOD_UPDATE), ask)
    assert _questions(before, before.posts("update")).points == 0.0  # answered before asked?
    typed = {"by": "facilitator", "post": {"kind": "question", "text": "Who is on call?"}}
    by_hand = played(typed, update())
    assert _questions(by_hand, by_hand.posts("update")).points == 2.0


def test_a_resolution_update_names_the_fix_and_the_follow_up():
    def resolution(text: str) -> float:
        team = played({"by": "Bo", **ROLLBACK}, update(text, "resolved"))
        done = [(fix[0].index, fix[1].id) for fix in fixes(team.drill, KEY) if fix is not None]
        return _resolution(team, team.posts("update"), done).points

    assert (
        resolution("Resolved: we rolled back embed-cpu. Follow-up: an alert on cost per request.")
        == 2.0
    )
    assert resolution("Resolved: we rolled back embed-cpu.") == 1.0
    assert resolution("All good now, thanks for your patience.") == 0.0
    before = played(
        update("Resolved: rolled back embed-cpu; follow-up: alert.", "resolved"),
        {"by": "Bo", **ROLLBACK},
    )
    done = [(fix[0].index, fix[1].id) for fix in fixes(before.drill, KEY) if fix is not None]
    assert _resolution(before, before.posts("update"), done).points == 0.0  # before the fix


def test_the_same_look_back_to_back_by_two_members_is_waste_and_only_that():
    waste = played(look("Bo", "cost-by-pool"), look("Cy", "cost-by-pool"))
    assert coordination_component(waste)[0].points == 8.0
    same_member = played(look("Bo", "cost-by-pool"), look("Bo", "cost-by-pool"))
    apart = played(look("Bo", "cost-by-pool"), look("Cy", "traffic"), look("Cy", "cost-by-pool"))
    assert coordination_component(same_member)[0].points == 10.0
    assert coordination_component(apart)[0].points == 10.0


def test_contradicting_actions_without_a_decision_are_harm():
    path = "pools.embed-gpu.autoscaler.max_replicas"
    cap = {"move": {"act": {"action": "set", "args": {"path": path, "value": 1}}}}
    uncap = {"move": {"act": {"action": "set", "args": {"path": path, "value": 8}}}}
    fought = played({"by": "Bo", **cap}, {"by": "Cy", **uncap})
    component, harm = coordination_component(fought)
    assert component.points == 0.0 and len(harm) == 1 and harm[0]["by"] == "Cy"
    own = played({"by": "Bo", **cap}, {"by": "Bo", **uncap})  # one member changing their mind
    assert coordination_component(own)[1] == []
    decided = played(
        {"by": "Bo", **cap},
        decide("Lift the embed-gpu cap again", "embeddings queue behind one replica"),
        {"by": "Cy", **uncap},
    )
    assert coordination_component(decided)[1] == []
    healthy = "pools.embed-cpu.healthy"
    agreeing = played(
        {"by": "Bo", **ROLLBACK},
        {"by": "Cy", "move": {"act": {"action": "set", "args": {"path": healthy, "value": True}}}},
    )
    assert coordination_component(agreeing)[1] == []
