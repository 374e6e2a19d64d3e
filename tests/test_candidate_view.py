"""What a candidate can learn without spending clock (docs/candidate-view.md): an action's
preview, its refusal and its result read the same whether or not the incident changed a
setting under it; preview and confirm make one check; the argument syntax every front end
reads round-trips; the actions' vocabulary lists every action and argument."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills.library.scenario import LoadedScenario, load_key, load_scenario, scenario_dirs
from drills.play.actions import (
    ACTIONS,
    ActionError,
    format_args,
    parse_arg_text,
    parse_arg_words,
    usage,
    usage_text,
)
from drills.play.drill import Drill
from drills.usecases import MoveRefused, check_move, preview_move
from tests.helpers import RUNS


@cache
def library() -> dict[str, tuple[LoadedScenario, LoadedScenario, list[dict[str, Any]]]]:
    """Every scenario as played (its faults on the timeline), the same scenario without
    its faults, and the actions its key and transcripts name."""
    out = {}
    for folder in scenario_dirs():
        scenario = load_scenario(folder / "scenario.yaml")
        clean = dataclasses.replace(scenario, timeline=[e for e in scenario.timeline if not e.set])
        key = load_key(folder / "key.yaml", scenario)
        named = [
            {"action": m.action, "args": m.args} for m in [*key.all_mitigations(), *key.harmful]
        ]
        out[scenario.spec.id] = (scenario, clean, named)
    return out


def faulted_paths(scenario: LoadedScenario) -> list[str]:
    return sorted({path for event in scenario.timeline for path in event.set})


def leaf_paths(value: Any, prefix: str = "") -> list[str]:
    """Every settable path of a fleet (and its prefixes), as a candidate might type them."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            out += leaf_paths(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            out += leaf_paths(inner, f"{prefix}.{i}")
    return out


VALUES = st.sampled_from(
    [0, 1, -1, 4, 0.5, 10**12, 10**30, "lots", True, False, None, "tts-voice-b", {}, [1]]
)


def probes(scenario_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """An action a hostile candidate might preview: the key's own fixes and harms, and
    every action over the fleet's own paths, pools and routes, the faulted ones included,
    with values in range, out of range and of the wrong type."""
    scenario, _, named = library()[scenario_id]
    return probes_of(scenario, named, faulted_paths(scenario))


@st.composite
def probes_of(
    draw: Any, scenario: LoadedScenario, named: list[dict[str, Any]], faulted: list[str]
) -> dict[str, Any]:
    fleet = scenario.fleet
    paths = leaf_paths(fleet) + faulted + ["pools.nope.replicas", "nope", "."]
    pools = [*fleet.pools, "all", "nope"]
    route = st.integers(min_value=-1, max_value=len(fleet.routes) + 1)
    labels = st.dictionaries(
        st.sampled_from(["kind", "language", "cohort", "tenant", "slice", "colour"]),
        st.sampled_from(["asr-batch", "tts", "es-en", "fw-4.2", "nope"]),
        max_size=2,
    )
    by_action = {
        "rollback": st.fixed_dictionaries({"target": st.sampled_from(paths)}),
        "set": st.fixed_dictionaries({"path": st.sampled_from(paths), "value": VALUES}),
        "scale": st.fixed_dictionaries(
            {"pool": st.sampled_from(pools), "replicas": st.one_of(VALUES, st.integers())}
        ),
        "warm-pool": st.fixed_dictionaries({"pool": st.sampled_from(pools), "warm_pool": VALUES}),
        "pause-canary": st.fixed_dictionaries({"route": route}),
        "disable-shadow": st.fixed_dictionaries({"route": route}),
        "set-split": st.fixed_dictionaries(
            {
                "route": route,
                "split": st.dictionaries(
                    st.sampled_from(pools), st.sampled_from([0, 1, 9, -1]), max_size=3
                ),
            }
        ),
        "reroute": st.fixed_dictionaries({"match": labels, "pool": st.sampled_from(pools)}),
        "restart": st.fixed_dictionaries({"pool": st.sampled_from(pools)}),
        "normalize-input": st.fixed_dictionaries({"on": VALUES}),
        "log-raw-audio": st.just({}),
        "log-transcripts": st.just({}),
    }
    if named and draw(st.booleans()):
        return dict(draw(st.sampled_from(named)))
    action = draw(st.sampled_from(sorted(by_action)))
    return {"action": action, "args": draw(by_action[action])}


def answer(drill: Drill, act: dict[str, Any]) -> tuple[str, str]:
    """What a candidate reads of a preview, then of the move itself: its result, or the
    refusal (which costs no clock)."""
    try:
        seen = preview_move(drill, {"act": act}).says
    except MoveRefused as exc:
        seen = f"refused: {exc}"
    try:
        played = drill.play(check_move(drill, {"act": act}))
        return seen, played.outcome
    except ActionError as exc:
        return seen, f"refused: {exc}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_previews_refusals_and_results_never_depend_on_the_fault(data):
    scenario_id = data.draw(st.sampled_from(sorted(library())))
    scenario, clean, _ = library()[scenario_id]
    earlier = data.draw(st.lists(probes(scenario_id), max_size=2))
    probe = data.draw(probes(scenario_id))
    faulted, fault_free = Drill(scenario, RUNS), Drill(clean, RUNS)
    for act in [*earlier, probe]:  # the same moves before, in both worlds
        assert answer(faulted, act) == answer(fault_free, act), (scenario_id, act)


def test_the_free_oracles_of_issue_36_are_closed():
    """Previewing a rollback of the faulted pool, of another pool and of the routes reads
    alike; an unknown setting lists no settings; a rollback's result names the version
    the pool runs, never what it restored."""
    scenario, _, _ = library()["gpu-cost-no-traffic"]
    drill = Drill(scenario, RUNS)
    says = {
        target: preview_move(
            drill, {"act": {"action": "rollback", "args": {"target": target}}}
        ).says.replace(target, "X")
        for target in ("pools.embed-cpu.healthy", "pools.embed-cpu", "pools.tts-cpu", "routes")
    }
    assert len(set(says.values())) == 1, says
    assert not any(c.isdigit() for c in next(iter(says.values())))  # no count of settings
    with pytest.raises(MoveRefused) as unknown:
        preview_move(
            drill, {"act": {"action": "set", "args": {"path": "pools.embed-cpu.x", "value": 1}}}
        )
    assert "no such setting 'x'" in str(unknown.value)
    for field in ("healthy", "replicas", "slowdown", "autoscaler"):
        assert field not in str(unknown.value)
    played = drill.play(
        check_move(drill, {"act": {"action": "rollback", "args": {"target": "pools.embed-cpu"}}})
    )
    assert "runs spk-embed" in played.outcome and "healthy" not in played.outcome
    assert played.changes == {"pools.embed-cpu.healthy": True}  # the fleet itself was fixed


@pytest.mark.parametrize(
    "text, refused",
    [
        ("pool=tts-cpu replicas=1000000000000", "args: pools.tts-cpu.replicas: Input should be"),
        ("pool=tts-cpu replicas=" + "1" + "0" * 30, "Input should be"),
        ("pool=tts-cpu replicas=lots", "args.replicas: Input should be a valid integer"),
        ("pool=tts-cpu", "args.replicas: Field required"),
        ("pool=nope replicas=2", "no pool 'nope'"),
    ],
)
def test_preview_and_confirm_refuse_alike(text, refused):
    scenario, _, _ = library()["tts-first-audio-byte"]
    act = {"action": "scale", "args": parse_arg_text(text)}
    drill = Drill(scenario, RUNS)
    with pytest.raises(MoveRefused) as previewed:
        preview_move(drill, {"act": act})
    assert refused in str(previewed.value)
    with pytest.raises(ActionError) as played:
        drill.play(check_move(drill, {"act": act}))
    assert f"act.{played.value}" == str(previewed.value)
    assert drill.moves == []


def test_every_action_a_key_or_transcript_names_previews_and_plays():
    """The expert's own fixes included (a reroute with a `match` mapping): what previews
    fine plays, the arguments written as a candidate types them."""
    for scenario, _, named in library().values():
        for act in named:
            text = format_args(act["args"])
            typed = {"action": act["action"], "args": parse_arg_text(text)}
            assert typed["args"] == act["args"], text
            drill = Drill(scenario, RUNS)
            try:
                preview_move(drill, {"act": typed})
            except MoveRefused as exc:  # a key may name a move that is refused: alike
                with pytest.raises(ActionError):
                    drill.play(check_move(drill, {"act": typed}))
                assert "args" in str(exc)
                continue
            assert drill.play(check_move(drill, {"act": typed})).outcome


JSONISH = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text("abcdefgh-_", min_size=1, max_size=6), inner, max_size=3),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_-]{0,8}", fullmatch=True), JSONISH, max_size=4)
)
def test_the_argument_syntax_round_trips(args):
    assert parse_arg_text(format_args(args)) == args


def test_the_argument_syntax_reads_what_people_type():
    assert parse_arg_text("match={kind: asr-batch, language: es-en} pool=asr-batch-gpu") == {
        "match": {"kind": "asr-batch", "language": "es-en"},
        "pool": "asr-batch-gpu",
    }
    # the words a shell hands the script form, unquoted
    assert parse_arg_words(["match={kind:", "asr-batch,", "language:", "es-en}", "pool=p"]) == {
        "match": {"kind": "asr-batch", "language": "es-en"},
        "pool": "p",
    }
    assert parse_arg_text("value='a b' path=x") == {"value": "a b", "path": "x"}
    for bad, message in (
        ("replicas", "key=value pairs"),
        ("=4", "key=value pairs"),
        ("a=1 a=2", "given twice"),
        ("value='open", "key=value pairs"),
        ("value={a: [}", "YAML"),
    ):
        with pytest.raises(ActionError, match=message):
            parse_arg_text(bad)


def test_the_vocabulary_lists_every_action_and_argument():
    listed = {name: syntax for name, syntax, _ in usage()}
    assert set(listed) == set(ACTIONS)
    text = usage_text()
    for name, action in ACTIONS.items():
        assert f"act {name}" in text
        for field in action.args.model_fields:
            assert f"{field}=" in listed[name], (name, field)


# --- a symptom family: which member was drawn ------------------------------------------


@cache
def families() -> dict[str, list[tuple[str, LoadedScenario, list[dict[str, Any]]]]]:
    """Every member of every symptom family, rendered with the same drawn parameters (the
    deploys' times, the traffic seed: what a family's members share), as a candidate's
    folder holds it: (member, its scenario, the actions its key and transcripts name)."""
    import os
    import tempfile
    from pathlib import Path

    from drills.library.family import draw, family_dirs, load_family, write_member

    home = Path(os.environ["SPEECHDRILL_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="families-", dir=home))
    found = {}
    for folder in family_dirs():
        family = load_family(folder / "family.yaml")
        members = []
        for member in family.spec.members:
            where = out / family.spec.id / member.id
            write_member(family, member.id, draw(family, member.id, 41), where)
            scenario = load_scenario(where / "scenario.yaml")
            key = load_key(where / "key.yaml", scenario)
            named = [
                {"action": m.action, "args": m.args} for m in [*key.all_mitigations(), *key.harmful]
            ]
            members.append((member.id, scenario, named))
        found[family.spec.id] = members
    return found


def test_a_family_members_pages_read_alike():
    """Whatever member a candidate drew, everything they read before the first look is
    the same: the page, the clock, the fleet they act on, the deploy log's lines and times
    (telemetry, which costs clock, is where the causes differ)."""
    for family_id, members in families().items():
        seen = set()
        for _, scenario, _ in members:
            spec = scenario.spec.model_dump_json(exclude={"timeline"})
            log = [(e.at_s, e.announce) for e in scenario.timeline if e.announce is not None]
            seen.add((spec, scenario.fleet.model_dump_json(), repr(log)))
        assert len(seen) == 1, family_id
        # and yet the members are different incidents: their timelines' faults differ
        assert len({repr(s.timeline) for _, s, _ in members}) == len(members) >= 4


def test_a_rollback_shares_nothing_with_the_fleet_as_deployed():
    """Rolling back the routes, then pausing route 0's canary, leaves the fleet as
    deployed as it was: the rollback once carried the deployed fleet's own route objects
    into the drill's timeline, the fleet after both moves then rewrote them, and from
    then on the drill's fleet before the incident had no canary (the family property
    below found it, as data its strategy drew from changing between examples)."""
    members = dict((m, s) for m, s, _ in families()["recognition-worse-some-users"])
    scenario = load_scenario(members["far-field-transcripts-worse"].path)  # a copy of its own
    before = scenario.fleet.model_dump_json()
    assert scenario.fleet.routes[0].canary is not None
    drill = Drill(scenario, RUNS)
    for act in (
        {"action": "rollback", "args": {"target": "routes"}},
        {"action": "pause-canary", "args": {"route": 0}},
    ):
        drill.play(check_move(drill, {"act": act}))
    assert drill.fleet_at(drill.now_s).routes[0].canary is None  # both moves applied
    assert scenario.fleet.model_dump_json() == before
    assert drill.fleet_at(0.0).routes[0].canary is not None  # it ran until the pause


@pytest.mark.parametrize(
    "examples", [200, pytest.param(2000, marks=pytest.mark.full, id="2000-full")]
)
def test_a_family_members_previews_refusals_and_results_read_alike(examples):
    """A candidate probing their drill (any member's fixes and harms, every fleet path,
    every member's faulted settings) reads the same previews, refusals and results
    whichever member they drew: no free answer tells the members apart. (With previews
    checked against the fleet as it really stands, a refusal that quotes the routes tells
    the shadow member from the others: found in each of three tries at 2,000 examples and
    at 200, missed once at 150.)"""

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def probe(data: Any) -> None:
        members = families()[data.draw(st.sampled_from(sorted(families())))]
        named = [act for _, _, acts in members for act in acts]
        faulted = sorted({p for _, scenario, _ in members for p in faulted_paths(scenario)})
        first = members[0][1]
        acts = data.draw(st.lists(probes_of(first, named, faulted), min_size=1, max_size=3))
        drills = [Drill(scenario, RUNS) for _, scenario, _ in members]
        for act in acts:  # the same moves, in turn, in every member's drill
            answers = {answer(drill, act) for drill in drills}
            assert len(answers) == 1, (act, answers)

    probe()


# --- the telemetry as of the clock -----------------------------------------------------


@pytest.fixture(scope="module")
def run():
    from drills.library.scenario import resolve_scenario

    scenario = load_scenario(resolve_scenario("tts-first-audio-byte"))
    return scenario, RUNS.get(scenario, scenario.timeline)


def _nulls(series: Any) -> Any:
    return series.isna().to_numpy()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fraction=st.floats(min_value=0.0, max_value=1.0))
def test_rows_not_settled_at_the_clock_carry_no_value_known_later(run, fraction):
    """Over every table and column: a row still in flight at the clock shows a column only
    once the time it waits for (asof.SETTLED_BY) is before the clock, and shows it then as
    it ends (nothing hidden too long either); finished rows show as they end; the Arrow
    tables the SQL sandbox reads hold the same."""
    from drills.play.asof import NOT_YET, SETTLED_BY, as_of, tables_as_of, to_arrow
    from simulator.telemetry.bundle import TABLE_COLUMNS

    scenario, full = run
    now = fraction * scenario.spec.duration_s
    frames, arrow = as_of(full, now), tables_as_of(full, now)
    for table, settled in SETTLED_BY.items():
        assert set(settled) == set(TABLE_COLUMNS[table]), table  # every column decided
        shown = frames[table]
        ended = getattr(full, table).loc[shown.index]
        end = {"requests": "done_s", "batches": "end_s"}.get(table)
        pending = ~(ended[end] < now).to_numpy() if end else np.zeros(len(shown), bool)
        for column, by in settled.items():
            unknown = pending & ~(ended[by] < now).to_numpy() if by else pending & False
            mine, theirs = shown[column].to_numpy()[~unknown], ended[column].to_numpy()[~unknown]
            same = (mine == theirs) | (
                _nulls(shown[column])[~unknown] & _nulls(ended[column])[~unknown]
            )
            assert same.all(), (table, column, now)
            hidden = shown[column][unknown]
            if column in NOT_YET:
                assert (hidden == NOT_YET[column]).all(), (table, column, now)
            else:
                assert hidden.isna().all(), (table, column, now)
        assert arrow[table].equals(to_arrow(shown, arrow[table].schema)), table


def test_a_running_batch_shows_no_cost_and_no_end(run):
    """The query of issue 36: running batches at the page showed their cost (a constant
    rate per device, so their end) before it was known."""
    from drills.play.asof import tables_as_of
    from drills.play.sql import Sandbox

    scenario, full = run
    now = scenario.spec.clock.start_s
    sandbox = Sandbox(tables_as_of(full, now))
    try:
        rows = sandbox.run(
            "SELECT batch_id, start_s, end_s, cost_usd FROM batches WHERE end_s IS NULL", now
        ).rows
        done = sandbox.run("SELECT count(cost_usd) FROM batches WHERE end_s IS NOT NULL", now)
    finally:
        sandbox.close()
    assert rows and all(r[2] is None and r[3] is None for r in rows)
    assert done.rows[0][0] > 0  # finished batches keep their cost


def test_no_duckdb_function_shows_what_the_clock_has_not_reached(run):
    """Every table function DuckDB offers without arguments, run as a candidate would at a
    clock before the new voice's deploy, shows nothing of it (nor of the key)."""
    import duckdb

    from drills.play.asof import tables_as_of
    from drills.play.sql import QueryRefused, Sandbox

    scenario, full = run
    key = load_key(scenario.directory / "key.yaml", scenario)
    first = full.requests.loc[full.requests.model_version.astype(str) == "tts-voice-b"]
    now = float(first.arrival_s.min()) - 60.0
    names = (
        duckdb.connect()
        .execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'table' "
            "AND (parameters IS NULL OR len(parameters) = 0) ORDER BY 1"
        )
        .fetchall()
    )
    assert len(names) > 20
    sandbox = Sandbox(tables_as_of(full, now))
    seen = []
    try:
        for (name,) in names:
            try:
                seen.append(str(sandbox.run(f"SELECT * FROM {name}()", now).rows))
            except QueryRefused as refused:
                seen.append(str(refused))
    finally:
        sandbox.close()
    for secret in ("tts-voice-b", key.cause, *faulted_paths(scenario)):
        assert not any(secret in text for text in seen), secret


def test_every_column_the_simulator_decides_later_waits_in_the_view(run):
    """An independent check of asof.SETTLED_BY: a run paused at the clock has not yet
    written what it decides later. A column that differs there from the finished run, in
    a row seen at the clock, must be declared to wait for a time (operators know some
    values later still: a batch's cost, decided at its start, shows at its end)."""
    from drills.play.asof import SETTLED_BY
    from simulator.engine.loop import Simulation
    from simulator.spec.profiles import shipped_library
    from simulator.spec.workload import generate
    from simulator.telemetry.bundle import build

    scenario, full = run
    spec, now = scenario.spec, scenario.spec.clock.start_s
    requests = generate(scenario.workload, spec.duration_s, spec.seed, scenario.path.parent)
    paused = Simulation(
        scenario.fleet, requests, scenario.timeline, spec.seed, spec.duration_s, shipped_library()
    )
    paused.advance(now)
    early = build(paused)
    for table, start in (("requests", "arrival_s"), ("batches", "start_s")):
        then, later = getattr(early, table), getattr(full, table)
        seen = then[then[start] < now].index
        later = later.loc[seen]
        waiting = [c for c, by in SETTLED_BY[table].items() if by is not None]
        for column in set(SETTLED_BY[table]) - set(waiting):
            a, b = then.loc[seen, column], later[column]
            differs = (a.astype(object) != b.astype(object)) & ~(a.isna() & b.isna())
            assert not differs.any(), f"{table}.{column} is decided after the row shows"
        assert waiting  # and the rule is not empty
