"""One candidate cannot slow, break or rewrite another's drill (issue 37): work queued fairly
by owner; trainee SQL in sandbox processes under OS limits, killed at its limit with the
server unharmed, naming no server path; no lock shared across a query; security headers
on every response; a refused move keeps what was typed; a finished drill scored once and
the report reading the stored score; a restart right after an action resumes every drill;
re-simulations on a local Dask cluster identical to local runs."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from drills.library.paths import library_root
from drills.library.scenario import Move, load_scenario
from drills.play.drill import Drill
from drills.play.sql_child import Limits
from drills.runs.fair import FairQueue
from drills.runs.service import Runs
from tests.helpers import READS, RUNS

SCENARIO = "gpu-cost-no-traffic"
WAIT_S = 300  # a generous bound that only a hang reaches (never a timing assertion)


def scenario():
    return load_scenario(library_root() / SCENARIO / "scenario.yaml")


# --- the fair queue --------------------------------------------------------------------


def test_a_burst_from_one_owner_waits_behind_the_others():
    """One worker; while it is busy, `ana` queues five jobs and then `bo` and `cy` one
    each: the next jobs served are ana's first, then bo's and cy's, then ana's others."""
    queue: FairQueue[str] = FairQueue(1)
    gate, started, order = threading.Event(), threading.Event(), []

    def block() -> str:
        started.set()
        gate.wait(WAIT_S)
        return "zed"

    def job(name: str):
        def work() -> str:
            order.append(name)
            return name

        return work

    blocker = queue.submit("zed", "blocker", block)
    assert started.wait(WAIT_S)  # the one worker is busy from here on
    futures = [queue.submit("ana", f"ana{i}", job(f"ana{i}")) for i in range(5)]
    futures += [queue.submit("bo", "bo0", job("bo0")), queue.submit("cy", "cy0", job("cy0"))]
    assert queue.waiting() == {"ana": 5, "bo": 1, "cy": 1}
    gate.set()
    for future in [blocker, *futures]:
        future.result(WAIT_S)
    assert order == ["ana0", "bo0", "cy0", "ana1", "ana2", "ana3", "ana4"]
    queue.close()


def test_one_owner_holds_at_most_its_share_of_the_workers():
    """Two workers, one job each at most per owner: while `ana` holds one worker, her
    second job waits and `bo`'s runs on the other (a second tab gains nothing)."""
    queue: FairQueue[str] = FairQueue(2, per_owner=1)
    gate, started = threading.Event(), threading.Event()

    def held() -> str:
        started.set()
        gate.wait(WAIT_S)
        return "ana0"

    first = queue.submit("ana", "ana0", held)
    assert started.wait(WAIT_S)
    second = queue.submit("ana", "ana1", lambda: "ana1")
    other = queue.submit("bo", "bo0", lambda: "bo0")
    assert other.result(WAIT_S) == "bo0" and not second.done()
    gate.set()
    assert first.result(WAIT_S) == "ana0" and second.result(WAIT_S) == "ana1"
    queue.close()


def test_a_job_asked_for_twice_runs_once_and_a_failure_reaches_its_callers():
    queue: FairQueue[int] = FairQueue(2)
    gate, runs = threading.Event(), []

    def slow() -> int:
        runs.append(1)
        gate.wait(WAIT_S)
        return 7

    first = queue.submit("ana", "same", slow)
    second = queue.submit("bo", "same", slow)  # another owner, the same work
    gate.set()
    assert first is second and first.result(WAIT_S) == 7 and runs == [1]

    def broken() -> int:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError, match="no"):
        queue.submit("ana", "broken", broken).result(WAIT_S)
    queue.close()


# --- SQL in sandbox processes ----------------------------------------------------------


@pytest.fixture(scope="module")
def pooled():
    """A run service with two sandbox processes (and the test run cache)."""
    runs = Runs(workers=0, sandboxes=2)
    yield runs
    runs.close()


def query(drill: Drill, sql: str):
    record = drill.play(Move(query=sql))
    return drill.show(record), record.error


def test_sandbox_answers_match_the_in_process_sandbox(pooled):
    mine, local = Drill(scenario(), pooled.owned_by("ana")), Drill(scenario(), RUNS)
    for sql in (
        "SELECT kind, count(*) AS n, avg(latency_ms) AS ms FROM requests GROUP BY ALL ORDER BY 1",
        "SELECT pool, max(end_s) AS last FROM batches GROUP BY ALL ORDER BY 1",
        "SELECT name, count(*) AS n FROM metrics GROUP BY ALL ORDER BY 1",
        "SELECT type, target FROM events ORDER BY t_s",
        "SELECT count(*) AS in_flight FROM requests WHERE status = 'in_flight'",
    ):
        shown, error = query(mine, sql)
        expected, _ = query(local, sql)
        assert error == "" and shown.rows == expected.rows and shown.columns == expected.columns


def test_a_query_past_the_memory_limit_is_refused_and_the_server_is_unharmed(pooled):
    """`repeat()` allocates past DuckDB's own memory limit: in a sandbox the allocation
    fails at the address-space cap and the query is refused; the next query is answered."""
    drill = Drill(scenario(), pooled.owned_by("ana"))
    shown, error = query(drill, "SELECT length(repeat('x', 2500000000)) AS n")
    assert shown is None and "memory" in error
    shown, error = query(drill, "SELECT count(*) AS n FROM events")
    assert error == "" and shown.rows[0][0] > 0


ENDLESS = "SELECT count(*) AS n FROM requests a, requests b WHERE a.latency_ms < b.latency_ms"


@pytest.mark.parametrize(
    "limits",
    [
        # the server's wall clock: no answer 1 s after sending (DuckDB's interrupt far off)
        Limits(time_s=600, cpu_s=600, kill_after_s=1.0),
        # the kernel's CPU clock: SIGXCPU after 1 CPU-second (nothing else near)
        Limits(time_s=600, cpu_s=1.0, kill_after_s=600),
    ],
    ids=["wall", "cpu"],
)
def test_a_query_past_its_limit_is_killed_and_the_server_goes_on(limits):
    """A query the interrupt does not stop (here: the interrupt is set far off) is killed
    with its sandbox process, which is reaped and replaced; the next query is answered."""
    runs = Runs(workers=0, sandboxes=1, sandbox_limits=limits)
    try:
        drill = Drill(scenario(), runs.owned_by("ana"))
        query(drill, "SELECT count(*) AS n FROM events")
        (before,) = runs.views.pool.pids()
        shown, error = query(drill, ENDLESS)
        assert shown is None and "stopped" in error, error
        shown, error = query(drill, "SELECT count(*) AS n FROM batches")
        assert error == "" and shown.rows[0][0] > 0
        (after,) = runs.views.pool.pids()
        assert after != before
        with pytest.raises(ChildProcessError):
            os.waitpid(before, os.WNOHANG)  # reaped: not a zombie of ours
    finally:
        runs.close()


INTROSPECTION = [
    "SELECT * FROM duckdb_settings()",
    "SELECT current_setting('temp_directory') AS t, current_setting('home_directory') AS h",
    "SELECT * FROM duckdb_extensions()",
    "SELECT * FROM duckdb_databases()",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_parquet('runs/*/requests.arrow')",
    "SELECT * FROM duckdb_temporary_files()",
    "SELECT * FROM pragma_database_list",
    "SELECT * FROM duckdb_functions() WHERE function_name = 'getenv'",
]


@pytest.mark.parametrize("sql", INTROSPECTION)
def test_no_answer_names_a_server_path(pooled, sql):
    from drills.runs.views import server_paths

    drill = Drill(scenario(), pooled.owned_by("cy"))
    shown, error = query(drill, sql)
    text = error + (repr(shown.rows) + repr(shown.columns) if shown is not None else "")
    for path in [*server_paths(), os.environ["SPEECHDRILL_HOME"], "/tmp", "/root", "/work"]:
        assert path not in text, (path, text[:300])


def test_a_query_at_its_limit_stalls_nobody_else(pooled):
    """While one candidate's work holds a sandbox, another's query is answered: no lock
    is shared across a query (the held job is released only after the other answered)."""
    from drills.runs.views import SharedViews

    views: SharedViews = pooled.views
    gate = threading.Event()

    def hold() -> tuple[str, object]:
        gate.wait(WAIT_S)
        return "ok", None

    held = views.pool._queue.submit("ana", "held", hold)
    answered = []

    def other() -> None:
        drill = Drill(scenario(), pooled.owned_by("bo"))
        answered.append(query(drill, "SELECT count(*) AS n FROM requests")[0])

    worker = threading.Thread(target=other)
    worker.start()
    worker.join(WAIT_S)
    assert answered and answered[0].rows[0][0] > 0 and not held.done()
    gate.set()
    held.result(WAIT_S)


@pytest.mark.slow
def test_an_examinees_packet_query_runs_in_a_sandbox_like_a_trainees(pooled):
    """The rollback-packet exercise runs the packet's verification query: in the console
    it goes to the sandboxes, so a packet's memory bomb is refused there and fails its
    check, while the reference packet passes as it does in-process."""
    from drills.course.exam import Attempt, load_exam, mark, resolve_exam

    exam = load_exam(resolve_exam("exercise-2-rollback-packet"))
    reference = (library_root() / "tts-first-audio-byte" / "rollback-packet.yaml").read_text()
    bomb = reference.replace(
        "SELECT quantile_cont",
        "SELECT length(repeat('x', 2500000000)) > 0 AS boom, quantile_cont",
        1,
    )

    def met(artifact: str) -> dict[str, bool]:
        attempt = Attempt(exam=exam.id, candidate="c", answer="x", artifact=artifact)
        return {i.id: i.met for i in mark(exam, attempt, pooled.owned_by("exam:c")).items}

    assert met(reference)["verification-discriminates"]
    assert not met(bomb)["verification-discriminates"]
    drill = Drill(scenario(), pooled.owned_by("ana"))
    assert query(drill, "SELECT count(*) AS n FROM events")[1] == ""


# --- the console -----------------------------------------------------------------------


@pytest.fixture()
def console(tmp_path):
    from starlette.testclient import TestClient

    from drills.console.app import create_app

    app = create_app(tmp_path, reads=READS)
    with TestClient(app) as client:  # the lifespan: its processes stopped at the end
        yield app, client, app.state.console


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def cohort_of(client, c, names="Ana Lima\nBo Chen"):
    ft = c.store.facilitator_token
    form = {"csrf": csrf_of(client.get(f"/f/{ft}").text), "scenario": SCENARIO}
    client.post(f"/f/{ft}/cohorts", data={**form, "candidates": names, "time_box_min": "20"})
    cohort = c.store.cohorts()[0]
    return ft, cohort, c.store.candidates(cohort.id)


def move(client, token, **fields):
    page = client.get(f"/c/{token}")
    return client.post(f"/c/{token}/move", data={"csrf": csrf_of(page.text), **fields})


HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


def test_every_response_carries_the_security_headers(console):
    _app, client, c = console
    ft, _cohort, (ana, _) = cohort_of(client, c)
    answers = [
        client.get("/"),
        client.get(f"/f/{ft}"),
        client.get(f"/c/{ana.token}"),
        client.get("/c/not-a-token"),  # 404
        client.post(f"/c/{ana.token}/move", data={"csrf": "stale", "kind": "look"}),  # 403
        client.post(f"/c/{ana.token}/move", content=b"x" * 300_000),  # past the body limit
        client.get("/nowhere"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 403, 413, 404]
    for answer in answers:
        for name, value in HEADERS.items():
            assert value in answer.headers.get(name, ""), (answer.status_code, name)
    policy = answers[0].headers["content-security-policy"]
    assert "default-src 'none'" in policy
    # the one script is the console's own (the facilitator's live update): nothing inline,
    # nothing from elsewhere
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0]


def test_a_conclusion_past_its_limit_is_refused_and_what_was_typed_is_kept(console):
    _app, client, c = console
    _ft, _cohort, (ana, _) = cohort_of(client, c)
    cause = "the embeddings went to the GPU pool " * 60  # 2,160 characters
    refused = move(client, ana.token, kind="conclude", cause=cause, notes="my notes")
    assert refused.status_code == 400
    assert "conclude.cause" in refused.text and "at most 2000 characters" in refused.text
    assert cause.strip() in refused.text and "my notes" in refused.text  # in the form again
    assert c.journal.moves(ana.session) == ([], [])
    assert not c.drills.get(ana.session).concluded


@pytest.mark.slow
def test_a_finished_drill_is_scored_once_and_the_report_reads_it(console, monkeypatch):
    _app, client, c = console
    ft, cohort, (ana, _bo) = cohort_of(client, c)
    move(client, ana.token, kind="look", panel="cost-by-pool")
    conclusion = {"cause": "embeddings fell back to the GPU pool", "prevention": "cost alert"}
    assert move(client, ana.token, kind="conclude", **conclusion).status_code in (200, 303)
    score = c.scorer.wait(ana.session, ana.name)  # queued when the drill concluded
    assert c.scorer.stored(ana.session) == score
    import drills.usecases

    def never(*_args, **_kwargs):
        raise AssertionError("the report scored a drill again")

    monkeypatch.setattr(drills.usecases, "assess", never)
    for _ in range(2):
        report = client.get(f"/f/{ft}/cohort/{cohort.id}/report")
        assert report.status_code == 200
        row = re.search(r'<tr data-candidate="Ana Lima">(.*?)</tr>', report.text, re.S).group(1)
        assert f'<td class="score">{score.score}</td>' in row
        bo_row = re.search(r'<tr data-candidate="Bo Chen">(.*?)</tr>', report.text, re.S)
        assert "still playing" in bo_row.group(1)
    from drills.judge.history import History

    (kept,) = History(c.store.root).of("Ana Lima")
    assert kept.score == score.score  # recorded in the history once, with the score


# --- a restart ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(home: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "SPEECHDRILL_HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "drills", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    line = server.stdout.readline()
    token = re.search(r"/f/(\S+)", line)
    assert token, line + server.stdout.read()
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server, token.group(1)
        assert server.poll() is None, server.stdout.read()
        time.sleep(0.1)
    raise AssertionError("the console never listened")


@pytest.mark.slow
def test_a_restart_right_after_an_action_comes_up_and_resumes_every_drill(tmp_path):
    """The console is killed (SIGKILL) while an action's re-simulation runs; a new console
    on the same port comes up at once (no helper of the old one holds its socket), resumes
    every drill from the journal, and nothing in either log is a traceback."""
    import httpx

    port = free_port()
    first, ft = serve(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=WAIT_S, follow_redirects=True) as client:
        ft_page = client.get(f"/f/{ft}").text
        form = {"csrf": csrf_of(ft_page), "scenario": SCENARIO, "time_box_min": "20"}
        page = client.post(f"/f/{ft}/cohorts", data={**form, "candidates": "Ana Lima\nBo Chen"})
        tokens = re.findall(r"/c/([\w-]+)\" class=\"join\"", page.text)
        assert len(tokens) == 2
        act = {"kind": "act", "action": "rollback", "args": "target=pools.embed-cpu"}
        for token in tokens:
            csrf = csrf_of(client.get(f"/c/{token}").text)
            client.post(f"/c/{token}/move", data={"csrf": csrf, "kind": "look", "panel": "events"})
        csrf = csrf_of(client.get(f"/c/{tokens[0]}").text)
        acted = client.post(f"/c/{tokens[0]}/move", data={"csrf": csrf, **act, "confirm": "yes"})
        assert acted.status_code == 200
    first.send_signal(signal.SIGKILL)
    first.wait()
    second, ft_again = serve(tmp_path, port)  # the same port: it must bind
    try:
        assert ft_again == ft
        with httpx.Client(base_url=base, timeout=WAIT_S, follow_redirects=True) as client:
            ana = client.get(f"/c/{tokens[0]}")
            assert ana.status_code == 200 and "rollback" in ana.text and "events" in ana.text
            bo = client.get(f"/c/{tokens[1]}")
            assert bo.status_code == 200 and "events" in bo.text
            csrf = csrf_of(ana.text)
            look = {"csrf": csrf, "kind": "look", "panel": "cost-by-pool"}
            after = client.post(f"/c/{tokens[0]}/move", data=look)
            assert after.status_code == 200 and "query refused" not in after.text
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(WAIT_S)
    logs = first.stdout.read() + second.stdout.read()
    assert "Traceback" not in logs and "BrokenPipe" not in logs, logs[-2000:]


# --- Dask ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.full
def test_runs_on_a_local_dask_cluster_match_local_runs_and_score_alike(tmp_path):
    """A local multi-process cluster (loopback only, no dashboard): a trainee's run and the
    expert transcript's score through `Runs(dask=...)` equal the local ones."""
    distributed = pytest.importorskip("distributed")
    from drills.usecases import replay_transcript

    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    remote = Runs(dask=cluster.scheduler_address, folder=tmp_path / "runs", workers=2)
    try:
        loaded = scenario()
        drill = Drill(loaded, remote.owned_by("ana"))
        drill.play(Move(look="traffic"))
        drill.play(Move(act={"action": "rollback", "args": {"target": "pools.embed-cpu"}}))
        theirs = drill.telemetry()
        assert remote.cache.on_disk(remote.key(loaded, drill.timeline))
        assert theirs.digest() == RUNS.get(loaded, drill.timeline).digest()
        expert = Path("expert")
        there = replay_transcript(SCENARIO, expert, remote).assessed.score
        here = replay_transcript(SCENARIO, expert, RUNS).assessed.score
        assert there.as_dict() == here.as_dict()
    finally:
        remote.close()
        cluster.close()


def test_serve_refuses_a_dask_address_where_no_scheduler_answers(capsys):
    pytest.importorskip("distributed")
    from drills.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", str(free_port()), "--dask", f"tcp://127.0.0.1:{free_port()}"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "--dask" in err and "no Dask scheduler answers" in err
