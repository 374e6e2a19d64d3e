"""A paused run that takes new timeline events is a fresh run with those events, bit for bit:
a drill acts without re-simulating the past and simulates only as far as its clock."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from drills.judge.scoring import replay
from drills.library.scenario import load_scenario, resolve_scenario
from drills.play.asof import as_of
from drills.play.transcript import load_transcript
from simulator.engine.loop import Simulation
from simulator.spec.profiles import shipped_library
from simulator.spec.timeline import TimelineEvent
from simulator.spec.workload import generate
from simulator.telemetry.bundle import build
from tests.helpers import RUNS
from tests.test_determinism import FLEET, WORKLOAD

# finished runs come from the drills' run cache, which the scoring tests share
SCENARIOS = ["gpu-cost-no-traffic", "code-switching-canary"]


def _requests(duration: float, seed: int = 3):
    from pathlib import Path

    return generate(WORKLOAD, duration, seed, Path("."))


def test_pausing_anywhere_changes_nothing():
    requests = _requests(240.0)
    fresh = Simulation(FLEET, requests, [], 3, 240.0, shipped_library())
    fresh.run()
    paused = Simulation(FLEET, requests, [], 3, 240.0, shipped_library())
    for until in (0.0, 0.0, 13.37, 60.0, 60.0, 119.999, 200.5):
        paused.advance(until)
        assert paused.frontier == until
    paused.run()
    assert build(paused).digest() == build(fresh).digest()


@settings(max_examples=6, deadline=None)
@given(
    at=st.floats(min_value=0.0, max_value=170.0),
    pause=st.floats(min_value=0.0, max_value=1.0),
    replicas=st.integers(min_value=1, max_value=6),
)
def test_an_event_added_to_a_paused_run_equals_a_fresh_run_with_it(at, pause, replicas):
    requests = _requests(180.0, seed=5)
    event = TimelineEvent(
        at_s=at,
        set={"pools.tts-cpu.replicas": replicas, "pools.asr-batch-gpu.batching.max_wait_ms": 90},
    )
    fresh = Simulation(FLEET, requests, [event], 5, 180.0, shipped_library())
    fresh.run()
    paused = Simulation(FLEET, requests, [], 5, 180.0, shipped_library())
    paused.advance(at * pause)
    paused.advance(at)
    paused.add_event(event)
    paused.run()
    assert build(paused).digest() == build(fresh).digest()


def test_an_event_in_the_past_is_refused():
    sim = Simulation(FLEET, _requests(30.0), [], 1, 30.0, shipped_library())
    sim.advance(10.0)
    with pytest.raises(ValueError, match="past"):
        sim.add_event(TimelineEvent(at_s=9.0, set={"pools.tts-cpu.replicas": 2}))
    with pytest.raises(ValueError, match="back"):
        sim.advance(5.0)


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_the_expert_drill_acted_step_by_step_equals_one_run_with_every_action(name):
    path = resolve_scenario(name)
    scenario = load_scenario(path)
    drill = replay(scenario, load_transcript(path.parent / "transcripts" / "expert.yaml"), RUNS)
    assert drill.actions, "the expert acts"
    spec = scenario.spec
    requests = generate(scenario.workload, spec.duration_s, spec.seed, path.parent)

    def simulation(timeline):
        return Simulation(
            scenario.fleet, requests, timeline, spec.seed, spec.duration_s, shipped_library()
        )

    stepwise = simulation(scenario.timeline)
    for action in drill.actions:
        stepwise.advance(action.at_s)
        stepwise.add_event(action)
    stepwise.run()
    assert build(stepwise).digest() == RUNS.get(scenario, drill.timeline).digest()


def _same_view(left: dict, right: dict) -> None:
    for name in left:
        a, b = left[name].reset_index(drop=True), right[name].reset_index(drop=True)
        assert list(a.columns) == list(b.columns), name
        for column in a.columns:  # values, not category lists: a later run knows more labels
            x, y = a[column], b[column]
            if isinstance(x.dtype, pd.CategoricalDtype):
                x, y = x.astype(object), y.astype(object)
            pd.testing.assert_series_equal(x, y, check_dtype=False, obj=f"{name}.{column}")


@pytest.fixture(scope="module")
def scenario_runs():
    path = resolve_scenario("tts-first-audio-byte")
    scenario = load_scenario(path)
    spec = scenario.spec
    requests = generate(scenario.workload, spec.duration_s, spec.seed, path.parent)

    def simulation():
        return Simulation(
            scenario.fleet,
            requests,
            scenario.timeline,
            spec.seed,
            spec.duration_s,
            shipped_library(),
        )

    return simulation, RUNS.get(scenario, scenario.timeline)


@settings(max_examples=2, deadline=None)
@given(nows=st.lists(st.floats(min_value=900.0, max_value=2600.0), min_size=2, max_size=3))
@example(nows=[2261.0])  # an eval-sampled request in flight: its flag must not show yet
def test_a_run_paused_at_the_clock_shows_what_the_finished_run_shows_then(scenario_runs, nows):
    """Paused at each clock time in turn (a drill looks again and again), the run shows
    what the finished run shows as of then."""
    simulation, full = scenario_runs
    paused = simulation()
    for now in sorted(nows):
        paused.advance(now)
        _same_view(as_of(build(paused), now), as_of(full, now))


@pytest.mark.slow
def test_runs_forked_from_a_shared_prefix_are_the_runs_simulated_whole(tmp_path, monkeypatch):
    """Runs.prefetch simulates the scenario up to the first action once and forks each
    branch from it: each branch is bit for bit the run simulated from the start."""
    from drills.runs.service import Runs, new_simulation

    scenario = _short_gpu_scenario()
    fix = TimelineEvent(at_s=700.0, set={"pools.embed-cpu.healthy": True})
    acted = [*scenario.timeline, fix]
    runs = Runs(workers=2, folder=tmp_path)
    runs.prefetch(scenario, [scenario.timeline, acted])  # two branches, side by side
    forked = runs.known(scenario, acted)
    assert forked is not None  # simulated by the workers, handed back
    sim = new_simulation(scenario, acted)
    sim.run()
    assert forked.digest() == build(sim).digest()


def _short_gpu_scenario():
    """gpu-cost-no-traffic cut to 800 s with the page at 650 s: a few seconds a run."""
    import dataclasses

    full = load_scenario(resolve_scenario("gpu-cost-no-traffic"))
    spec = full.spec.model_copy(update={"duration_s": 800.0})
    spec.clock = spec.clock.model_copy(update={"start_s": 650.0})
    return dataclasses.replace(full, spec=spec)


def test_runs_sharing_their_first_actions_are_each_the_run_forked_alone(tmp_path):
    """A batch whose runs share their first actions is simulated as a tree
    (drills/runs/tree.py), here split over two: every run, whether it parts from the others
    at its first action, at a later one, at the same instant as another's or by doing
    nothing more, is bit for bit the run forked alone from the page (which is the run
    simulated whole: the test above)."""
    from drills.runs.service import Runs

    scenario = _short_gpu_scenario()
    fix = TimelineEvent(at_s=700.0, set={"pools.embed-cpu.healthy": True})
    more = TimelineEvent(at_s=740.0, set={"pools.embed-cpu.replicas": 1})
    other = TimelineEvent(at_s=700.0, set={"pools.embed-cpu.replicas": 1})
    late = TimelineEvent(at_s=760.0, set={"pools.embed-cpu.healthy": True})
    base = scenario.timeline
    timelines = [
        [*base, fix],  # ends where the next two go on
        [*base, fix, more],
        [*base, fix, late],  # parts from the one above at its second action
        [*base, other],  # the same instant as `fix`, another action
        [*base, other, fix],  # two actions at one instant, in this order
        [*base, late],
        [*base, late, more],  # added out of time order: a run takes them in time order
    ]
    tree = Runs(workers=2, folder=tmp_path / "tree", keep_on_disk=1)  # a batch keeps its own
    tree.prefetch(scenario, timelines)
    alone = Runs(workers=1, folder=tmp_path / "alone")
    for timeline in timelines:
        alone.prefetch(scenario, [timeline])  # a batch of one: forked alone from the page
        got = tree.known(scenario, timeline)
        assert got is not None, timeline[len(base) :]  # the tree's, not simulated by `known`
        want = alone.known(scenario, timeline)
        assert want is not None and got.digest() == want.digest()


def test_the_disk_cache_removes_only_a_dead_writers_half_written_run(tmp_path):
    """A run is written to `KEY.PID.tmp` and renamed into place; a writer killed meanwhile
    (a console's simulation host, stopped mid-run) leaves its folder, which the next prune
    removes, while a live writer's folder and the finished runs beyond those kept stay."""
    import os
    import subprocess
    import sys

    from drills.runs.cache import RunCache

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = tmp_path / f"run-a.{int(gone.stdout)}.tmp"
    writing = tmp_path / f"run-b.{os.getpid()}.tmp"
    finished = tmp_path / "run-c"
    for folder in (dead, writing, finished):
        folder.mkdir()
    RunCache(folder=tmp_path, keep_on_disk=1)._prune(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([writing.name, finished.name])


def test_the_disk_cache_keeps_the_runs_last_read_as_well_as_those_last_written(tmp_path):
    """A cache kept from one run of the suite to the next (.ci/run) must keep what each run
    of it reads: a run read back outlives runs written after it; one never read again is
    the first to go."""
    import os

    from drills.runs.cache import RunCache
    from tests.test_determinism import run

    tel = run(duration=20.0)
    cache = RunCache(folder=tmp_path, keep_on_disk=2)
    for age, key in enumerate(("read", "unread")):
        cache.store(key, tel)
        os.utime(tmp_path / key, (1_000_000 + age, 1_000_000 + age))  # both long ago
    assert RunCache(folder=tmp_path).known("read") is not None  # read back: in use
    cache.store("new", tel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "read"]


def test_run_caches_handed_one_disk_reads_read_each_run_from_disk_once(tmp_path):
    """Run caches of one process handed the same DiskReads (a test session's consoles) read
    a run from disk once and share it; a cache without one reads the disk again; the reads
    kept are bounded (the oldest read again from disk) and keyed by the disk cache's folder
    as well as the run's key (another folder's run of that key is not this one)."""
    from drills.runs.cache import DiskReads, RunCache
    from tests.test_determinism import run

    tel = run(duration=30.0)
    for key in ("a", "b", "c"):
        RunCache(folder=tmp_path / "runs").store(key, tel)
    reads = DiskReads(2)
    first = RunCache(folder=tmp_path / "runs", reads=reads)
    got = first.known("a")
    assert got is not None and got.digest() == tel.digest()
    assert RunCache(folder=tmp_path / "runs", reads=reads).known("a") is got  # not read again
    assert RunCache(folder=tmp_path / "runs").known("a") is not got  # read from disk
    for key in ("b", "c"):  # two more reads push the first out
        assert first.known(key) is not None
    assert RunCache(folder=tmp_path / "runs", reads=reads).known("a") is not got
    assert RunCache(folder=tmp_path / "other", reads=reads).known("c") is None
    assert not RunCache(folder=tmp_path / "other", reads=reads).has("c")
    assert RunCache(folder=tmp_path / "runs", reads=reads).has("c")


def test_scenarios_that_differ_only_in_their_faults_share_their_fault_free_run(tmp_path):
    """A run is named by what the simulation reads: a family's members (the same fleet,
    workload, seed and length, each with its own faults and words) share the fault-free
    run, never their incidents; a member run with another seed or length, or on another
    fleet, is another run (the near misses), whatever its words."""
    import dataclasses

    from drills.library.family import load_family, resolve_family
    from drills.library.family_verify import render_members
    from drills.runs.cache import run_key

    members = render_members(load_family(resolve_family("gpu-bill-up")), tmp_path)
    a, b = members[0].scenario, members[1].scenario
    assert a.spec != b.spec and a.timeline != b.timeline
    assert run_key(a, []) == run_key(b, [])
    assert run_key(a, a.timeline) != run_key(b, b.timeline)
    reworded = a.spec.model_copy(update={"title": "another title"})
    assert run_key(dataclasses.replace(a, spec=reworded), []) == run_key(a, [])
    for change in ({"seed": a.spec.seed + 1}, {"duration_s": a.spec.duration_s + 60}):
        other = dataclasses.replace(a, spec=a.spec.model_copy(update=change))
        assert run_key(other, []) != run_key(a, []), change
    fleet = a.fleet.model_copy(update={"metrics_interval_s": a.fleet.metrics_interval_s * 2})
    assert run_key(dataclasses.replace(a, fleet=fleet), []) != run_key(a, [])


def test_a_tree_simulates_each_shared_stretch_once():
    """The tree's simulated seconds, worked by hand: A and B share their first action at
    10 s and part at 20 s, C acts at 15 s; from a run paused at 0 s to the end at 100 s the
    tree simulates 0→10 once, A 20→100, B 20→100, the stretch 10→20 once, and 10→15 plus
    C's 15→100 from the paused run: 270 s against 300 s forking each from 0 s."""
    from drills.runs.tree import Branch, groups, simulated_s, split

    e1 = TimelineEvent(at_s=10.0, set={"pools.a.replicas": 2})
    e2 = TimelineEvent(at_s=20.0, set={"pools.a.replicas": 3})
    e3 = TimelineEvent(at_s=15.0, set={"pools.a.replicas": 2})
    a, b, c = Branch("a", (e1,)), Branch("b", (e1, e2)), Branch("c", (e3,))
    assert simulated_s([a, b, c], 0.0, 100.0) == 10 + (10 + 80 + 80) + 5 + 85
    assert simulated_s([a], 0.0, 100.0) == 100.0
    assert simulated_s([Branch("d", ())], 40.0, 100.0) == 60.0
    # e1 and e3 are equal but for their time: two groups, in time order
    assert [[x.key for x in m] for _, m in groups([c, b, a], 0)] == [["b", "a"], ["c"]]
    assert [[x.key for x in m] for _, m in groups([a, b], 1)] == [["b"], ["a"]]  # a ends
    assert [[x.key for x in t] for t in split([a, b, c], 2)] == [["a", "b"], ["c"]]
    assert [[x.key for x in t] for t in split([a, b, c], 1)] == [["a", "b", "c"]]


def test_a_look_kept_from_another_drill_is_the_look_this_drill_would_see():
    """Looks are kept by the events before them: a drill that parts from the expert's only
    after its looks gets the expert's results, each equal to a fresh sandbox over its own
    run as of that time; after it acts, its looks are its own."""
    from drills.library.scenario import Act, Move
    from drills.play.drill import Drill
    from drills.play.sql import Sandbox

    scenario = load_scenario(resolve_scenario("gpu-cost-no-traffic"))
    path = resolve_scenario("gpu-cost-no-traffic").parent / "transcripts" / "expert.yaml"
    expert = replay(scenario, load_transcript(path, scenario), RUNS)
    looks = [m for m in expert.moves if m.sql is not None][:2]
    shown = [expert.show(record) for record in looks]
    other = Drill(scenario, RUNS)
    for record in looks:
        other.play(Move(look=record.text) if record.kind == "look" else Move(query=record.sql))
    other.play(Move(act=Act(action="scale", args={"pool": "tts-cpu", "replicas": 9})))
    other.play(Move(look="cost-by-pool"))
    assert other.timeline != expert.timeline
    for mine, theirs in zip(other.moves[: len(looks)], shown, strict=True):
        kept = other.show(mine)
        assert kept is not None and kept is theirs  # the expert's, kept
        own = Sandbox(as_of(other.telemetry(), mine.sim_time_s))
        try:
            assert own.run(mine.sql, mine.sim_time_s).rows == kept.rows
        finally:
            own.close()
    late = other.moves[-1]
    seen = RUNS.key(scenario, [e for e in other.timeline if e.at_s <= late.sim_time_s])
    assert seen != RUNS.key(scenario, scenario.timeline)  # its action is in the memo key
    assert other.show(late) is RUNS.views.look((seen, late.sim_time_s), late.sql)


@settings(max_examples=5, deadline=None)
@given(
    now=st.floats(min_value=0.0, max_value=2800.0),
    block=st.sampled_from([1, 5, 64, 2048, 10**7]),
    shuffled=st.booleans(),
)
@example(now=2261.0, block=2048, shuffled=False)  # an eval-sampled request in flight
@example(now=0.0, block=64, shuffled=False)  # nothing seen yet
def test_the_sandbox_tables_share_the_run_and_show_what_as_of_shows(
    scenario_runs, now, block, shuffled
):
    """The Arrow tables the sandbox reads (settled blocks shared with the run, the others
    copied and blanked) hold exactly the rows and values of `as_of`, in its order, with
    blocks of any size and rows in any order."""
    import dataclasses
    from unittest import mock

    from drills.play import asof

    _, full = scenario_runs
    if shuffled:  # many blocks mixed: seen and unseen, settled and in flight
        full = dataclasses.replace(full, requests=full.requests.sample(frac=1.0, random_state=7))
    with mock.patch.object(asof, "BLOCK_ROWS", block):
        shared = asof.tables_as_of(full, now)
    for name, frame in as_of(full, now).items():
        expected = asof.to_arrow(frame, shared[name].schema)
        assert shared[name].equals(expected), name


def test_a_look_copies_only_the_blocks_of_rows_not_settled(scenario_runs):
    """Requests seen and settled at the clock are the run's own memory; only the blocks
    holding requests in flight (or not yet arrived) are copied."""
    from drills.play import asof

    _, full = scenario_runs
    now = 1500.0
    shown = asof.tables_as_of(full, now)["requests"].column("arrival_s")
    run = asof._arrow(full)["requests"].column("arrival_s")  # the run's own table
    start = run.chunk(0).buffers()[1].address
    end = start + run.chunk(0).buffers()[1].size
    copied = sum(len(c) for c in shown.chunks if not start <= c.buffers()[1].address < end)
    in_flight = int(((full.requests.arrival_s < now) & ~(full.requests.done_s < now)).sum())
    assert 0 < in_flight <= copied <= 3 * asof.BLOCK_ROWS
    assert len(shown) - copied > 0.9 * int((full.requests.arrival_s < now).sum())


def test_no_query_reads_a_label_the_run_only_uses_later(scenario_runs):
    """A run's category lists hold every label it ever uses: the voice deployed at minute
    10 is among them from the start. The sandbox reads them as text, so before the deploy
    no query (the column's type, an enum's range, its values) shows the new voice."""
    from drills.play.asof import tables_as_of
    from drills.play.sql import QueryRefused, Sandbox

    _, full = scenario_runs
    voice = "tts-voice-b"
    first = full.requests.loc[full.requests.model_version.astype(str).str.startswith(voice)]
    now = float(first.arrival_s.min()) - 60.0
    assert now > 0 and voice in str(list(full.requests.model_version.cat.categories))
    sandbox = Sandbox(tables_as_of(full, now))
    shown = []
    for sql in (
        "SELECT typeof(model_version) FROM requests LIMIT 1",
        "SELECT enum_range(model_version) FROM requests LIMIT 1",
        "SELECT DISTINCT model_version FROM requests",
        "SELECT model_version::VARCHAR || '' FROM requests GROUP BY 1",
    ):
        try:
            shown.append(str(sandbox.run(sql, now).rows))
        except QueryRefused as refused:
            shown.append(str(refused))
    sandbox.close()
    assert not any(voice in text for text in shown), shown


def test_a_run_of_a_users_own_trace_is_named_by_the_traces_bytes(tmp_path, monkeypatch):
    """A cached run must not be read back after the trace it replayed was edited in place
    (the path alone named it): a trace from outside the shipped data is keyed by its bytes;
    the shipped trace by the simulator's code version, wherever the command runs."""
    import dataclasses

    from drills.library.paths import library_root
    from drills.library.scenario import load_scenario
    from drills.runs.cache import run_key
    from simulator.spec.traces import TRACE_DIR, TraceArrivals

    base = load_scenario(library_root() / "gpu-cost-no-traffic" / "scenario.yaml")

    def replaying(path: str):
        first = base.workload.streams[0]
        first = first.model_copy(update={"arrivals": TraceArrivals(process="trace", path=path)})
        streams = [first, *base.workload.streams[1:]]
        return dataclasses.replace(
            base, workload=base.workload.model_copy(update={"streams": streams})
        )

    mine = tmp_path / "mine.csv"
    mine.write_bytes((TRACE_DIR / "azure_llm_2023_conv.csv").read_bytes())
    monkeypatch.chdir(tmp_path)
    own, shipped = replaying("mine.csv"), replaying("azure_llm_2023_conv.csv")
    before, shipped_key = run_key(own, []), run_key(shipped, [])
    assert before != shipped_key
    mine.write_bytes(mine.read_bytes())  # written again, the same bytes: the same run
    assert run_key(own, []) == before
    lines = mine.read_text().splitlines(keepends=True)
    mine.write_text("".join(lines[:-1]))  # one arrival fewer: another run
    assert run_key(own, []) != before
    monkeypatch.chdir(library_root())
    assert run_key(shipped, []) == shipped_key
