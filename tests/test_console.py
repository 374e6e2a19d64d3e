"""The drill console: roles, no key material for candidates, CSRF, bad input, the time box,
resuming from the journal (Starlette's test client), and a cohort of two end to end in a
real headless Chromium (Playwright driving the system's browser)."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from drills.console.app import create_app
from drills.library.paths import library_root
from drills.library.scenario import load_key, load_scenario
from tests.helpers import READS

starlette = pytest.importorskip("starlette.testclient")
SCENARIO = "gpu-cost-no-traffic"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def submit(page, selector: str) -> None:
    """Click a form's button and wait for the page it posts to: Playwright's click does not
    wait for the navigation, so a count or a fill right after it may land on the page being
    left (a loaded machine showed it: #closed counted 0 on the page before the conclusion)."""
    with page.expect_navigation():
        page.click(selector)


@pytest.fixture()
def console(tmp_path, opened):
    app = create_app(tmp_path, reads=READS)
    return app, opened(app), app.state.console


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def new_cohort(client, c, names="Ana Lima\nZelda Quint", box="20"):
    ft = c.store.facilitator_token
    home = client.get(f"/f/{ft}")
    form = {"csrf": csrf_of(home.text), "scenario": SCENARIO, "candidates": names}
    done = client.post(f"/f/{ft}/cohorts", data={**form, "time_box_min": box})
    assert done.status_code == 200, done.text
    cohort = c.store.cohorts()[0]
    return ft, cohort, c.store.candidates(cohort.id)


def move(client, token, **fields):
    page = client.get(f"/c/{token}")
    return client.post(f"/c/{token}/move", data={"csrf": csrf_of(page.text), **fields})


def key_strings():
    directory = library_root() / SCENARIO
    key = load_key(directory / "key.yaml", load_scenario(directory / "scenario.yaml"))
    strings = [key.cause, key.hidden_answer[:40], "expert"]
    strings += [s.description[:30] for s in key.signals if s.description]
    strings += [m.id for m in key.mitigations + key.harmful]
    return strings


@pytest.mark.slow
def test_the_report_shows_the_examiner_where_the_second_reader_disagrees(console):
    _, client, c = console
    ft, cohort, (ana, _) = new_cohort(client, c)
    proposal = "No fallback onto GPU pools without a cost alert on the fallback share."
    cause = "embeddings fell back onto the GPU pool"
    done = move(client, ana.token, kind="conclude", cause=cause, prevention=proposal)
    assert done.status_code in (200, 303), done.text
    assert "second reader" not in client.get(f"/c/{ana.token}").text  # not the candidate's
    c.scorer.wait(ana.session, ana.name)
    report = client.get(f"/f/{ft}/cohort/{cohort.id}/report").text
    assert "1 for the examiner" in report
    # the rules gave the proposal no credit; the second reader reads it as asking for the alert
    assert "prevention <code>cost-per-request-alert</code>: the score gives no credit" in report
    assert proposal in report
    drill = c.drills.get(ana.session)
    first = c.scorer.second_reading(ana.session, drill, c.key(drill.scenario))
    assert c.scorer.second_reading(ana.session, drill, c.key(drill.scenario)) is first  # kept


@pytest.mark.slow
def test_a_candidate_sees_their_drill_only_and_never_the_key(console):
    _, client, c = console
    ft, cohort, (ana, zelda) = new_cohort(client, c)
    seen = []
    for fields in (
        {"kind": "look", "panel": "cost-by-pool"},
        {"kind": "query", "sql": "SELECT kind, device, count(*) AS n FROM requests GROUP BY ALL"},
        {"kind": "act", "action": "rollback", "args": "target=pools.embed-cpu"},
        {"kind": "act", "action": "rollback", "args": "target=pools.embed-cpu", "confirm": "yes"},
        {"kind": "look", "panel": "traffic"},
        {"kind": "conclude", "cause": "embeddings fell back onto the GPU pool", "prevention": "x"},
    ):
        answer = move(client, ana.token, **fields)
        assert answer.status_code in (200, 303), answer.text
        seen.append(answer.text)
    seen.append(client.get(f"/c/{ana.token}").text)
    everything = "\n".join(seen)
    for secret in [*key_strings(), zelda.name, zelda.token, ft]:
        assert secret not in everything, f"a candidate saw {secret!r}"
    assert "<svg" in everything and "minutes since the page" in everything  # charts
    assert "This drill has ended" in seen[-1]
    # the facilitator's pages and other sessions are not there for a candidate's token
    for url in (f"/f/{ana.token}", f"/f/{ana.token}/cohort/{cohort.id}", f"/c/{ft}", "/c/x"):
        assert client.get(url).status_code == 404
    c.scorer.wait(ana.session, ana.name)  # scored once, in the background, when concluded
    report = client.get(f"/f/{ft}/cohort/{cohort.id}/report")
    assert report.status_code == 200 and "Ana Lima" in report.text and "Zelda Quint" in report.text
    # the facilitator sees how the conclusion's words were read, and which words
    assert "cause read as: <code>cpu-to-gpu-fallback</code> (primary: “" in report.text


def test_forms_refuse_cross_site_and_stale_posts(console):
    _, client, c = console
    ft, _, (ana, _) = new_cohort(client, c)
    look = {"kind": "look", "panel": "traffic"}
    assert client.post(f"/c/{ana.token}/move", data={"csrf": "x", **look}).status_code == 403
    csrf = csrf_of(client.get(f"/c/{ana.token}").text)
    other = client.post(
        f"/c/{ana.token}/move",
        data={"csrf": csrf, **look},
        headers={"origin": "http://evil.example"},
    )
    assert other.status_code == 403
    facilitator_csrf = csrf_of(client.get(f"/f/{ft}").text)
    assert facilitator_csrf != csrf  # a candidate's form token is not the facilitator's
    assert c.drills.get(ana.session).moves == []


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "look", "panel": "nope"}, "panel: one of"),
        ({"kind": "dance"}, "kind: look, query, act or conclude"),
        ({"kind": "query", "sql": ""}, "query: SQL of 1 to 4000"),
        ({"kind": "act", "action": "explode"}, "action: one of"),
        ({"kind": "act", "action": "scale", "args": "replicas"}, "args: key=value pairs"),
        ({"kind": "act", "action": "scale", "args": "pool=nope replicas=2"}, "no pool"),
        ({"kind": "conclude", "cause": " "}, "cause: the cause"),
        ({"kind": "act", "action": "rollback", "args": "target=."}, "fleet-wide rollbacks"),
        ({"kind": "act", "action": "rollback", "args": "target=pools"}, "fleet-wide rollbacks"),
        ({"kind": "conclude", "cause": "x", "rules": "- alert: A\n"}, "rules[0].expr: "),
        pytest.param(
            {"kind": "conclude", "cause": "x", "rules": "- {alert: A, expr: 'rate(x[5m) > 1'}"},
            "is not valid PromQL",
            marks=pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool"),
        ),
    ],
)
def test_bad_moves_get_a_message_and_change_nothing(console, fields, message):
    _, client, c = console
    _, _, (ana, _) = new_cohort(client, c)
    answer = move(client, ana.token, **fields)
    assert answer.status_code == 400 and message in answer.text.replace("&#39;", "'")
    assert c.drills.get(ana.session).moves == []
    assert c.journal.moves(ana.session)[0] == []


def test_bad_cohort_forms_get_a_message_and_create_nothing(console, tmp_path):
    _, client, c = console
    ft = c.store.facilitator_token
    csrf = csrf_of(client.get(f"/f/{ft}").text)
    # a scenario without declared variants (a rendered variant is a plain scenario)
    from drills.library.variants import instantiate

    plain = instantiate(library_root() / SCENARIO, 3, tmp_path / "plain", verify=False).folder
    fixed = "a-plain-incident"
    c.scenarios[fixed] = load_scenario(plain / "scenario.yaml")
    for form, message in (
        (
            {"scenario": fixed, "candidates": "a", "time_box_min": "20", "variants": "each"},
            "declares no variants",
        ),
        (
            {"scenario": SCENARIO, "candidates": "a", "time_box_min": "20", "variants": "some"},
            "incident",
        ),
        ({"scenario": "nope", "candidates": "a", "time_box_min": "30"}, "scenario: one of"),
        ({"scenario": SCENARIO, "candidates": "", "time_box_min": "30"}, "one name per line"),
        ({"scenario": SCENARIO, "candidates": "a\na", "time_box_min": "30"}, "distinct names"),
        ({"scenario": SCENARIO, "candidates": "a", "time_box_min": "600"}, "time box"),
        ({"scenario": SCENARIO, "candidates": "<b>", "time_box_min": "30"}, "distinct names"),
    ):
        answer = client.post(f"/f/{ft}/cohorts", data={"csrf": csrf, **form})
        assert answer.status_code == 400 and message in answer.text, form
    assert c.store.cohorts() == []


@pytest.mark.slow
def test_the_time_box_ends_the_drill_and_a_restart_resumes_it(console, tmp_path):
    _, client, c = console
    _, _, (ana, _) = new_cohort(client, c, box="5")
    csrf = csrf_of(client.get(f"/c/{ana.token}").text)  # the form token of this session
    for panel in ("traffic", "cost-by-pool", "replicas", "errors", "events"):
        assert move(client, ana.token, kind="look", panel=panel).status_code in (200, 303)
    look = {"csrf": csrf, "kind": "look", "panel": "batch-fill"}
    late = client.post(f"/c/{ana.token}/move", data=look)
    assert late.status_code == 400 and "ended" in late.text
    assert c.store.candidate(ana.token).ended == "the time box ran out"
    restarted = create_app(tmp_path).state.console  # the same home, a new process's view
    drill = restarted.drills.get(ana.session)
    assert [m.text for m in drill.moves] == [
        "traffic",
        "cost-by-pool",
        "replicas",
        "errors",
        "events",
    ]


# --- a real browser --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    uvicorn = pytest.importorskip("uvicorn")
    app = create_app(tmp_path, reads=READS)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app.state.console
    running.should_exit = True
    thread.join(timeout=10)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")
def test_a_cohort_of_two_in_a_real_browser(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, c = server
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        facilitator = browser.new_page()
        facilitator.set_default_timeout(120_000)  # a loaded 2-core machine is slow, not wrong
        facilitator.goto(f"{base}/f/{c.store.facilitator_token}")
        facilitator.select_option("select[name=scenario]", SCENARIO)
        facilitator.fill("textarea[name=candidates]", "Ana Lima\nBo Chen")
        facilitator.fill("input[name=time_box_min]", "10")
        submit(facilitator, "#new-cohort button")
        links = facilitator.locator("input.join")
        ana_url, bo_url = links.nth(0).input_value(), links.nth(1).input_value()

        ana = browser.new_page()
        ana.set_default_timeout(120_000)
        ana.goto(ana_url)
        submit(ana, "button[data-panel=cost-by-pool]")
        assert ana.locator("svg.chart").count() >= 1
        ana.fill("#query textarea", "SELECT pool, tags, count(*) AS n FROM requests GROUP BY ALL")
        submit(ana, "#query button")
        ana.select_option("#act select", "rollback")
        ana.fill("#act input[name=args]", "target=pools.embed-cpu")
        submit(ana, "#act button")
        assert "Confirm rollback" in ana.inner_text("#confirm")
        submit(ana, "#confirm-act")
        ana.fill("#conclude textarea[name=cause]", "embeddings fell back to the GPU pool")
        ana.fill("#conclude textarea[name=prevention]", "alert on cost per request by device")
        submit(ana, "#conclude button")
        assert ana.locator("#closed").count() == 1

        bo = browser.new_page()
        bo.set_default_timeout(120_000)
        bo.goto(bo_url)
        submit(bo, "button[data-panel=traffic]")  # it must land before the facilitator counts
        facilitator.reload()
        row = facilitator.locator("tr[data-candidate='Bo Chen']")
        assert row.locator(".moves").inner_text() == "1"
        assert (
            facilitator.locator("tr[data-candidate='Ana Lima'] .status").inner_text() == "concluded"
        )
        row.locator("form.hint input[name=text]").fill("look at spend by pool")
        with facilitator.expect_navigation():
            row.locator("form.hint button").click()
        bo.reload()
        assert "look at spend by pool" in bo.inner_text(".hint")
        for panel in ["replicas", "errors", "events", "batch-fill", "queue-depth", "traffic"] * 2:
            if bo.locator("#closed").count():
                break
            submit(bo, f"button[data-panel={panel}]")
        assert "time box ran out" in bo.inner_text("#closed")

        facilitator.click("#report-link")
        scores = facilitator.locator("#scores")
        assert "Ana Lima" in scores.inner_text() and "Bo Chen" in scores.inner_text()
        browser.close()


def test_facilitator_forms_refuse_bad_input_and_end_a_drill(console):
    _, client, c = console
    ft, cohort, (ana, zelda) = new_cohort(client, c)
    csrf = csrf_of(client.get(f"/f/{ft}").text)
    url = f"/f/{ft}/cohort/{cohort.id}"
    empty = client.post(f"{url}/hint", data={"csrf": csrf, "candidate": ana.token, "text": " "})
    assert empty.status_code == 400 and "hint: 1 to 500 characters" in empty.text
    stranger = client.post(f"{url}/hint", data={"csrf": csrf, "candidate": "x", "text": "hi"})
    assert stranger.status_code == 400 and c.store.hints(ana.token) == []
    zelda_csrf = csrf_of(client.get(f"/c/{zelda.token}").text)
    assert (
        client.post(f"{url}/end", data={"csrf": csrf, "candidate": zelda.token}).status_code == 200
    )
    assert c.store.candidate(zelda.token).ended == "ended by the facilitator"
    look = {"csrf": zelda_csrf, "kind": "look", "panel": "traffic"}
    refused = client.post(f"/c/{zelda.token}/move", data=look)
    assert refused.status_code == 400 and "ended by the facilitator" in refused.text
    assert c.store.candidate(ana.token).ended == ""


def test_a_written_exam_in_the_console_marked_beside_the_rubric(console, tmp_path):
    import yaml

    from drills.judge.history import History

    _, client, c = console
    ft = c.store.facilitator_token
    csrf = csrf_of(client.get(f"/f/{ft}").text)
    item = "prompt-3-smaller-or-larger-asr"
    made = client.post(
        f"/f/{ft}/exams", data={"csrf": csrf, "item": item, "candidates": "Ana Lima\nBo Chen"}
    )
    assert made.status_code == 200
    sitting = c.store.sittings()[0]
    ana, bo = c.store.examinees(sitting.id)
    page = client.get(f"/e/{ana.token}").text
    assert "45 percent cheaper" in page  # the question
    rubric = yaml.safe_load((library_root() / "exams" / f"{item}.yaml").read_text())["rubric"]
    for secret in [r["description"] for r in rubric] + [bo.name, bo.token, ft]:
        assert secret not in page
    answers = yaml.safe_load((Path(__file__).parent / "exams" / "answers.yaml").read_text())
    answer = {"csrf": csrf_of(page), "answer": answers[item]["paraphrase"]}
    assert client.post(f"/e/{ana.token}/answer", data=answer).status_code == 200
    again = client.post(f"/e/{ana.token}/answer", data=answer)
    assert again.status_code == 400 and "already in" in again.text
    # Ana's form token does not work for Bo; Bo's empty answer is refused with a message
    assert client.post(f"/e/{bo.token}/answer", data=answer).status_code == 403
    bo_csrf = csrf_of(client.get(f"/e/{bo.token}").text)
    empty = client.post(f"/e/{bo.token}/answer", data={"csrf": bo_csrf, "answer": " "})
    assert empty.status_code == 400 and "answer: 1 to" in empty.text
    marking = client.get(f"/f/{ft}/exam/{sitting.id}/{ana.token}")
    assert marking.status_code == 200 and "100.0 / 100" in marking.text
    # the facilitator's pages are not a candidate's
    assert client.get(f"/f/{ana.token}/exam/{sitting.id}/{ana.token}").status_code == 404
    form = {"csrf": csrf, "item": "cascade", "mark": "missed", "by": "eve", "reason": "vague"}
    url = f"/f/{ft}/exam/{sitting.id}/{ana.token}/override"
    assert client.post(url, data={**form, "reason": ""}).status_code == 400
    assert client.post(url, data={**form, "item": "nope"}).status_code == 400
    after = client.post(url, data=form)
    assert (
        after.status_code == 200 and "87.5 / 100" in after.text and "override by eve" in after.text
    )
    (kept,) = History(tmp_path).of("Ana Lima")  # the console's own home
    assert kept.score == 87.5 and kept.kind == "exam"


def test_the_cohort_page_says_when_the_links_can_go_out(console, tmp_path, opened):
    """Preparing until the scenario's run is simulated and its panels at the page are run
    (a candidate's first looks are then answered from them), ready after."""
    _app, client, c = console
    ft, cohort, members = new_cohort(client, c)
    drill = c.drills.get(members[0].session)
    c.drills.warm(drill, drill.scenario.timeline, prime=True)  # waits for the cohort's own
    assert c.drills.ready(drill.scenario)
    assert "ready</strong>: send each" in client.get(f"/f/{ft}/cohort/{cohort.id}").text
    first = move(client, members[1].token, kind="look", panel="traffic")
    assert first.status_code == 200
    record = c.drills.get(members[1].session).moves[0]
    runs = c.drills.runs
    seen = (runs.key(drill.scenario, drill.scenario.timeline), record.sim_time_s)
    kept = runs.views.look(seen, record.sql)
    assert record.result is kept  # answered from the panels run while preparing
    # a restarted server warms a cohort that is not ready when its page is asked for
    again = opened(create_app(tmp_path))  # the same home: a restart
    assert not again.app.state.console.drills.ready(drill.scenario)
    deadline = time.monotonic() + 120
    while "ready</strong>" not in again.get(f"/f/{ft}/cohort/{cohort.id}").text:
        assert time.monotonic() < deadline, "the restarted cohort never became ready"
        time.sleep(0.2)


def _prepared(c, cohort_id, seconds=180):
    deadline = time.monotonic() + seconds
    while any(not who.session for who in c.store.candidates(cohort_id)):
        assert time.monotonic() < deadline, "the variants were never prepared"
        time.sleep(0.2)
    return c.store.candidates(cohort_id)


@pytest.mark.slow
@pytest.mark.full
def test_a_cohort_may_give_each_candidate_a_fresh_variant(console, tmp_path, pinned_seed):
    """Each candidate plays their own variant of the incident (drawn in a child process;
    verification, the slow part, is tests/test_variants.py's subject and off here), sees
    'being prepared' until it is drawn, and is scored against their own variant's key."""
    _app, client, c = console
    c.preparer.verify = False
    ft = c.store.facilitator_token
    csrf = csrf_of(client.get(f"/f/{ft}").text)
    form = {"csrf": csrf, "scenario": SCENARIO, "candidates": "Ana Lima\nZelda Quint"}
    done = client.post(f"/f/{ft}/cohorts", data={**form, "time_box_min": "20", "variants": "each"})
    assert done.status_code == 200, done.text
    cohort = c.store.cohorts()[0]
    assert cohort.variants
    ana, zelda = _prepared(c, cohort.id)
    assert ana.scenario != zelda.scenario and ana.variant != zelda.variant
    for who in (ana, zelda):
        assert Path(who.scenario).parents[1] == tmp_path / "variants" / cohort.id
        assert c.journal.session(who.session).scenario == who.scenario
        assert who.variant.startswith("seed ") and "onset_s=" in who.variant
        assert c.drills.get(who.session).scenario.directory == Path(who.scenario)
    page = client.get(f"/f/{ft}/cohort/{cohort.id}").text
    assert ana.variant in page and zelda.variant in page
    # a candidate's pages hold nothing of their own variant's key
    assert move(client, ana.token, kind="look", panel="cost-by-pool").status_code == 200
    scenario = load_scenario(Path(ana.scenario) / "scenario.yaml")
    key = load_key(Path(ana.scenario) / "key.yaml", scenario)
    seen = client.get(f"/c/{ana.token}").text
    for secret in [key.cause, *(m.id for m in key.all_mitigations()), ana.variant]:
        assert secret not in seen, secret
    report = client.get(f"/f/{ft}/cohort/{cohort.id}/report")
    assert report.status_code == 200 and report.text.count("the expert path on this variant") == 2


def test_a_draw_simulates_into_the_consoles_own_run_cache(tmp_path, monkeypatch):
    """The child that draws and verifies a candidate's variant writes its runs where the
    console keeps its own, pruned to the console's size: the console then reads back the
    faulty, no-fault and expert runs it scores against instead of simulating them again.
    Without a cache named, a draw simulates into a temporary folder of its own."""
    import os

    from drills.console import prepare

    app = create_app(tmp_path / "home", reads=READS)
    cache = (Path(os.environ["SPEECHDRILL_CACHE"]), int(os.environ["SPEECHDRILL_CACHE_KEEP"]))
    assert app.state.console.preparer.cache == cache
    seen: list[dict[str, str]] = []

    class Child:  # what the draw hands its child, without running one
        pid, returncode = 0, 0

        def __init__(self, command: list[str], env: dict[str, str], **_: object) -> None:
            seen.append(env)

        def communicate(self, timeout: float | None = None) -> tuple[str, str]:
            return "[]", ""

    monkeypatch.setattr(prepare.subprocess, "Popen", Child)
    prepare.draw("gpu-bill-up", 7, tmp_path / "out", True, 0, (tmp_path / "runs", 321))
    prepare.draw("gpu-bill-up", 7, tmp_path / "out", True, 0)
    assert (seen[0]["SPEECHDRILL_CACHE"], seen[0]["SPEECHDRILL_CACHE_KEEP"]) == (
        str(tmp_path / "runs"),
        "321",
    )
    assert Path(seen[1]["SPEECHDRILL_CACHE"]).name.startswith("speechdrill-variant-")


def test_a_candidate_waits_for_their_variant_and_a_restart_resumes_it(console, tmp_path, opened):
    from drills.console.store import Candidate, Cohort

    _app, client, c = console
    c.preparer.start = lambda cohort: None  # this console stops before it prepares anyone
    cohort = Cohort("abc123def0", SCENARIO, 20.0, "2026-12-02T00:00:00+00:00", True)
    c.store.add_cohort(cohort)
    c.store.add_candidate(Candidate("t" * 24, cohort.id, "Ana Lima", "", ""))
    waiting = client.get(f"/c/{'t' * 24}")
    assert waiting.status_code == 200 and "being prepared" in waiting.text
    csrf = csrf_of(client.get(f"/f/{c.store.facilitator_token}").text)
    hint = client.post(
        f"/f/{c.store.facilitator_token}/cohort/{cohort.id}/hint",
        data={"csrf": csrf, "candidate": "t" * 24, "text": "look at cost"},
    )
    assert hint.status_code == 400 and "still being prepared" in hint.text
    # a restarted console (nothing was preparing this cohort) starts on its page
    app = create_app(tmp_path, reads=READS)
    again = app.state.console
    again.preparer.verify = False
    page = opened(app).get(f"/f/{again.store.facilitator_token}/cohort/{cohort.id}")
    assert "preparing</strong> a fresh variant" in page.text
    (ana,) = _prepared(again, cohort.id)
    assert ana.session and Path(ana.scenario).is_dir()
    # a second preparation of a prepared candidate changes nothing (theirs stands)
    assert not c.store.prepared(ana.token, "another", "elsewhere", "seed 1")
    assert c.store.candidate(ana.token) == ana


def test_the_console_keeps_as_many_runs_on_disk_as_the_operator_sized_the_cache(monkeypatch):
    # a console sharing a cache with other work (the suite keeps 200) must not prune it to
    # its own 64; unset, the console's own size holds
    from drills.console.app import RUNS_ON_DISK, runs_on_disk

    monkeypatch.setenv("SPEECHDRILL_CACHE_KEEP", "200")
    assert runs_on_disk() == 200
    monkeypatch.delenv("SPEECHDRILL_CACHE_KEEP")
    assert runs_on_disk() == RUNS_ON_DISK == 64
