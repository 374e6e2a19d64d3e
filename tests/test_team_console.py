"""Team drills in the console: bad input to every new form, the roles, a team's channel
out of reach of another team's members (pages and the live stream), a restart that
resumes a team drill with its channel (and refuses an edited log), and three members in a
real headless Chromium (Playwright driving the system's browser) from the join links to
the team's report."""

from __future__ import annotations

import json
import re
import shutil
import socket
import sqlite3
import threading
import time

import pytest

from drills.console.app import create_app
from drills.team.store import TeamStore
from tests.helpers import READS
from tests.test_console import submit

starlette = pytest.importorskip("starlette.testclient")
SCENARIO = "gpu-cost-no-traffic"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MEMBERS = "Ana Lima: commander\nBo Chen: investigator\nCy Park: investigator, comms"
QUERY = "SELECT kind, device, count(*) AS n FROM requests WHERE arrival_s < :now GROUP BY ALL"


@pytest.fixture()
def console(tmp_path, opened):
    app = create_app(tmp_path, reads=READS)
    return app, opened(app), app.state.console


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def new_team(client, c, name="Blue", members=MEMBERS, box="25"):
    """A team drill made through the facilitator's form: its id and its members' tokens."""
    ft = c.store.facilitator_token
    csrf = csrf_of(client.get(f"/f/{ft}/teams").text)
    form = {"csrf": csrf, "team": name, "scenario": SCENARIO, "members": members}
    made = client.post(f"/f/{ft}/teams", data={**form, "time_box_min": box})
    assert made.status_code == 200, made.text
    tid = str(made.url).rstrip("/").rsplit("/", 1)[1]
    links = re.findall(r'data-member="([^"]+)">.*?/t/([\w-]+)"', made.text, re.S)
    return ft, tid, dict(links)


def entries(c, tid):
    return TeamStore(c.store.root, c.journal.secret).entries(tid)[0]


def send(client, token, path, **fields):
    page = client.get(f"/t/{token}")
    return client.post(f"/t/{token}/{path}", data={"csrf": csrf_of(page.text), **fields})


def text_of(answer) -> str:
    return answer.text.replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"')


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form, message",
    [
        ({"scenario": "nope"}, "scenario: one of"),
        # a symptom family's team: its session is a name, its time box the family's
        ({"scenario": "gpu-bill-up", "session": "<b>"}, "session: a name of letters"),
        ({"scenario": "gpu-bill-up", "time_box_min": "26"}, "a number from 5 to 25"),
        ({"team": ""}, "team: a name of letters"),
        ({"team": "<b>"}, "team: a name of letters"),
        ({"time_box_min": "600"}, "time box (minutes): a number from 5 to"),
        ({"time_box_min": "soon"}, "time box (minutes): a number"),
        ({"members": ""}, "members: one per line"),
        ({"members": "Ana Lima"}, "members: line 1: 'Name: role[, role]'"),
        ({"members": "Ana: commander\nBo: pilot"}, "members: line 2: roles are commander"),
        ({"members": "<b>: commander"}, "members: line 1: a name of letters"),
        ({"members": "Ana: commander, comms, investigator"}, "two roles at most"),
        (
            {"members": "Ana: commander\nBo: commander\nCy: comms, investigator"},
            "exactly one incident commander (found 2)",
        ),
        ({"members": "Ana: commander\nBo: investigator"}, "exactly one communications (found 0)"),
        ({"members": "Ana: commander\nBo: comms"}, "one investigator at least"),
        ({"members": "Ana: commander\nAna: comms, investigator"}, "each member's name once"),
        ({"members": "facilitator: commander\nBo: comms, investigator"}, "the facilitator's name"),
    ],
)
def test_bad_team_forms_get_a_message_and_create_nothing(console, form, message):
    _, client, c = console
    ft = c.store.facilitator_token
    csrf = csrf_of(client.get(f"/f/{ft}/teams").text)
    good = {"team": "Blue", "scenario": SCENARIO, "members": MEMBERS, "time_box_min": "25"}
    answer = client.post(f"/f/{ft}/teams", data={"csrf": csrf, **good, **form})
    assert answer.status_code == 400 and message in text_of(answer), text_of(answer)[-600:]
    assert TeamStore(c.store.root, c.journal.secret).teams() == []


@pytest.mark.parametrize(
    "who, path, fields, message",
    [
        ("Bo Chen", "post", {"kind": "dance"}, "kind: message, finding, severity"),
        ("Bo Chen", "post", {"kind": "message", "text": " "}, "message: 1 to 2000 characters"),
        ("Bo Chen", "post", {"kind": "message", "text": "x" * 2001}, "message: 1 to 2000"),
        ("Bo Chen", "post", {"kind": "finding", "move": "x"}, "finding: the number of one of"),
        (
            "Bo Chen",
            "post",
            {"kind": "finding", "move": "3"},
            "post.move: the number of one of your own",
        ),
        ("Ana Lima", "post", {"kind": "severity", "level": "sev9"}, "severity: sev1, sev2 or sev3"),
        (
            "Bo Chen",
            "post",
            {"kind": "severity", "level": "sev2"},
            "only the incident commander posts a severity",
        ),
        (
            "Ana Lima",
            "post",
            {"kind": "assign", "workstream": "", "owner": "Bo Chen"},
            "workstream: 1 to 120",
        ),
        (
            "Ana Lima",
            "post",
            {"kind": "assign", "workstream": "cost", "owner": "Zed"},
            "post.owner: a member of the team",
        ),
        ("Ana Lima", "post", {"kind": "decision", "text": ""}, "decision: 1 to 2000 characters"),
        (
            "Cy Park",
            "post",
            {"kind": "decision", "text": "roll back"},
            "only the incident commander posts a decision",
        ),
        ("Ana Lima", "post", {"kind": "handover", "text": ""}, "handover: 1 to 2000 characters"),
        (
            "Cy Park",
            "post",
            {"kind": "update", "status": "done", "text": "x"},
            "status: investigating, identified",
        ),
        (
            "Cy Park",
            "post",
            {"kind": "update", "status": "resolved", "text": ""},
            "update: 1 to 2000",
        ),
        (
            "Ana Lima",
            "post",
            {"kind": "update", "status": "resolved", "text": "all fixed"},
            "only the communications role",
        ),
        ("Bo Chen", "move", {"kind": "dance"}, "kind: look, query, act or conclude"),
        ("Bo Chen", "move", {"kind": "look", "panel": "nope"}, "panel: one of"),
        ("Bo Chen", "move", {"kind": "query", "sql": ""}, "query: SQL of 1 to 4000 characters"),
        ("Bo Chen", "move", {"kind": "act", "action": "explode"}, "action: one of"),
        (
            "Bo Chen",
            "move",
            {"kind": "act", "action": "scale", "args": "replicas"},
            "args: key=value pairs",
        ),
        (
            "Bo Chen",
            "move",
            {"kind": "act", "action": "scale", "args": "pool=nope replicas=2"},
            "act.args.pool: no pool",
        ),
        (
            "Ana Lima",
            "move",
            {"kind": "conclude", "cause": " "},
            "cause: the cause, in your own words",
        ),
        (
            "Bo Chen",
            "move",
            {"kind": "conclude", "cause": "a fallback"},
            "only the incident commander closes",
        ),
    ],
)
def test_bad_member_forms_get_a_message_and_change_nothing(console, who, path, fields, message):
    _, client, c = console
    _, tid, tokens = new_team(client, c)
    answer = send(client, tokens[who], path, **fields)
    assert answer.status_code == 400 and message in text_of(answer), text_of(answer)[-800:]
    assert entries(c, tid) == []


def test_bad_injects_and_a_closed_drill_get_a_message(console):
    _, client, c = console
    ft, tid, tokens = new_team(client, c)
    url = f"/f/{ft}/team/{tid}"
    csrf = csrf_of(client.get(url).text)
    for form, message in (
        ({"inject": "nope"}, "inject: one of this scenario's injects ['enterprise-tenant'"),
        ({"kind": "gossip", "text": "hi"}, "kind: a stakeholder question or a second alert"),
        ({"kind": "question", "text": " "}, "inject text: 1 to 1000 characters"),
    ):
        answer = client.post(f"{url}/inject", data={"csrf": csrf, **form})
        assert answer.status_code == 400 and message in text_of(answer), form
    assert entries(c, tid) == []
    done = client.post(f"{url}/inject", data={"csrf": csrf, "inject": "finops-eta"})
    assert done.status_code == 200 and "ETA on stopping the extra spend?" in done.text
    bo = tokens["Bo Chen"]
    bo_csrf = csrf_of(client.get(f"/t/{bo}").text)  # a page open before the end
    assert client.post(f"{url}/end", data={"csrf": csrf}).status_code == 200
    message = {"csrf": bo_csrf, "kind": "message", "text": "hello?"}
    closed = client.post(f"/t/{bo}/post", data=message)
    assert closed.status_code == 400 and "this team drill has ended" in closed.text
    again = client.post(f"{url}/inject", data={"csrf": csrf, "inject": "finops-eta"})
    assert again.status_code == 400 and "ended by the facilitator" in again.text
    assert [e.get("end") for e in entries(c, tid)] == [None, "ended by the facilitator"]


def test_team_forms_refuse_cross_site_stale_and_borrowed_posts(console):
    _, client, c = console
    ft, tid, tokens = new_team(client, c)
    ana, bo = tokens["Ana Lima"], tokens["Bo Chen"]
    message = {"kind": "message", "text": "hi"}
    assert client.post(f"/t/{bo}/post", data={"csrf": "x", **message}).status_code == 403
    ana_csrf = csrf_of(client.get(f"/t/{ana}").text)
    assert client.post(f"/t/{bo}/post", data={"csrf": ana_csrf, **message}).status_code == 403
    bo_csrf = csrf_of(client.get(f"/t/{bo}").text)
    crossing = client.post(
        f"/t/{bo}/post",
        data={"csrf": bo_csrf, **message},
        headers={"origin": "http://evil.example"},
    )
    assert crossing.status_code == 403
    assert client.post(f"/f/{ft}/team/{tid}/end", data={"csrf": bo_csrf}).status_code == 403
    assert entries(c, tid) == []


# --- one team's channel is not another's -----------------------------------------------


def test_members_of_one_team_cannot_read_another_teams_channel(console):
    _, client, c = console
    ft, blue, blues = new_team(client, c, "Blue")
    _, red, reds = new_team(client, c, "Red", members=MEMBERS.replace("Ana Lima", "Ana Red"))
    assert send(client, reds["Bo Chen"], "move", kind="query", sql=QUERY).status_code == 200
    assert (
        send(
            client, reds["Bo Chen"], "post", kind="finding", move="1", text="red-only finding"
        ).status_code
        == 200
    )
    said = send(client, reds["Ana Red"], "post", kind="message", text="the red team's secret plan")
    assert said.status_code == 200
    assert (
        send(client, blues["Ana Lima"], "post", kind="message", text="blue says hi").status_code
        == 200
    )
    for token in blues.values():
        seen = client.get(f"/t/{token}").text
        assert "blue says hi" in seen
        for secret in ("red team's secret", "red-only finding", "Ana Red", *reds.values(), ft):
            assert secret not in seen
    # a member's token reaches neither the facilitator's pages nor another team's
    bo = blues["Bo Chen"]
    for url in (f"/f/{bo}/teams", f"/f/{bo}/team/{red}", f"/f/{bo}/team/{red}/events", "/t/nope"):
        assert client.get(url).status_code == 404
    assert [e["by"] for e in entries(c, blue)] == ["Ana Lima"]


# --- a restart -------------------------------------------------------------------------


def test_a_restarted_console_resumes_a_team_drill_with_its_channel(console, tmp_path, opened):
    _, client, c = console
    ft, tid, tokens = new_team(client, c)
    ana, bo, cy = tokens["Ana Lima"], tokens["Bo Chen"], tokens["Cy Park"]
    assert (
        send(client, ana, "post", kind="severity", level="sev3", text="cost only").status_code
        == 200
    )
    assert send(client, bo, "move", kind="look", panel="cost-by-pool").status_code == 200
    assert send(client, bo, "move", kind="query", sql=QUERY).status_code == 200
    assert (
        send(client, bo, "post", kind="finding", move="2", text="embeddings on gpu").status_code
        == 200
    )
    csrf = csrf_of(client.get(f"/f/{ft}/team/{tid}").text)
    client.post(f"/f/{ft}/team/{tid}/inject", data={"csrf": csrf, "inject": "enterprise-tenant"})
    update = (
        "Impact: spend only. Scope: the fleet's bill. Investigating. Next update in 10 minutes."
    )
    assert (
        send(client, cy, "post", kind="update", status="investigating", text=update).status_code
        == 200
    )
    before = client.get(f"/t/{ana}").text
    feed_before = re.findall(r'<div class="item (\w+)">', before)
    assert feed_before == ["severity", "finding", "question", "update"]

    restarted = opened(create_app(tmp_path))  # the same home: a new process's view
    after = restarted.get(f"/t/{ana}").text
    assert re.findall(r'<div class="item (\w+)">', after) == feed_before
    for text in ("embeddings on gpu", "enterprise tenant", "Next update in 10 minutes"):
        assert text in after
    assert 'id="team-clock">4.0<' in after  # Bo's look and query; Cy's update from minute 3
    bo_page = restarted.get(f"/t/{bo}").text
    assert 'id="my-clock">3.0<' in bo_page and "<svg" in bo_page  # his look, as he saw it
    # the drill goes on where it stood
    assert send(restarted, bo, "move", kind="look", panel="traffic").status_code == 200
    assert [e.get("move", {}).get("look") for e in entries(c, tid)][-1] == "traffic"


def test_an_edited_team_log_is_refused_on_resume(console, tmp_path, opened):
    _, client, c = console
    _, tid, tokens = new_team(client, c)
    send(client, tokens["Ana Lima"], "post", kind="severity", level="sev3", text="cost only")
    with sqlite3.connect(tmp_path / "teams.sqlite") as db:
        payload = json.dumps({"by": "Ana Lima", "post": {"kind": "severity", "level": "sev1"}})
        db.execute("UPDATE entries SET payload = ? WHERE team = ? AND seq = 0", (payload, tid))
    restarted = opened(create_app(tmp_path))
    refused = restarted.get(f"/t/{tokens['Ana Lima']}")
    assert refused.status_code == 409 and "does not match its signature" in refused.text


# --- the live channel, over a real server ----------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    uvicorn = pytest.importorskip("uvicorn")
    app = create_app(tmp_path, reads=READS)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app.state.console
    running.should_exit = True
    thread.join(timeout=10)


def read_events(lines, wanted: int) -> list[tuple[str, dict]]:
    """Server-sent events off a stream's lines until `wanted` feed items have arrived."""
    events, name = [], ""
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[len("data: ") :])))
            if sum(1 for n, _ in events if n == "item") >= wanted:
                return events
    return events


def test_the_channel_reaches_every_member_live_and_no_other_team(server):
    import httpx

    base, c = server
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        _, _, blues = new_team(client, c, "Blue")
        _, _, reds = new_team(client, c, "Red")
        send(client, reds["Ana Lima"], "post", kind="message", text="red's own words")
        send(client, blues["Ana Lima"], "post", kind="message", text="blue one")
        with client.stream("GET", f"/t/{blues['Cy Park']}/events?after=0") as stream:
            lines = stream.iter_lines()
            first = read_events(lines, 1)

            def later() -> None:
                time.sleep(0.5)
                with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as other:
                    send(other, blues["Bo Chen"], "post", kind="message", text="blue two, live")

            threading.Thread(target=later).start()
            second = read_events(lines, 1)
    items = [data["html"] for name, data in first + second if name == "item"]
    assert "blue one" in items[0] and "blue two, live" in items[1]
    assert all("red's own words" not in html for html in items)
    states = [data for name, data in first + second if name == "state"]
    assert states and states[0] == {"clock": 0.0, "closed": False}


# --- three members in a real browser ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")
def test_a_three_person_team_in_a_real_browser(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, c = server
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        facilitator = browser.new_page()
        facilitator.set_default_timeout(120_000)
        facilitator.goto(f"{base}/f/{c.store.facilitator_token}/teams")
        facilitator.fill("#new-team input[name=team]", "Blue")
        facilitator.select_option("#new-team select[name=scenario]", SCENARIO)
        facilitator.fill("#new-team textarea[name=members]", MEMBERS)
        submit(facilitator, "#new-team button")
        link = {
            name: facilitator.locator(f"tr[data-member='{name}'] input.join").input_value()
            for name in ("Ana Lima", "Bo Chen", "Cy Park")
        }
        ana, bo, cy = (browser.new_page() for _ in range(3))
        for who, name in ((ana, "Ana Lima"), (bo, "Bo Chen"), (cy, "Cy Park")):
            who.set_default_timeout(120_000)
            who.goto(link[name])

        # the commander declares and assigns; communications posts the first update
        ana.select_option("#severity select[name=level]", "sev3")
        ana.fill("#severity input[name=text]", "cost only: no user-facing errors")
        submit(ana, "#severity button")
        ana.fill("#assign input[name=workstream]", "where the spend sits")
        ana.select_option("#assign select[name=owner]", "Bo Chen")
        submit(ana, "#assign button")
        cy.fill(
            "#update textarea[name=text]",
            "Impact: GPU spend about 40% above normal; no user-facing errors. Scope: the "
            "fleet's bill, all tenants served. Investigating. Next update in 10 minutes.",
        )
        submit(cy, "#update button")

        # an investigator looks, queries and shares the result: it reaches the others live
        submit(bo, "button[data-panel=cost-by-pool]")
        assert bo.locator("svg.chart").count() >= 1
        bo.fill("#query textarea", QUERY)
        submit(bo, "#query button")
        query = bo.locator("div.move[data-move='2']")
        query.locator("form.share input[name=text]").fill("embeddings run on gpu-a100")
        with bo.expect_navigation():
            query.locator("form.share button").click()
        ana.wait_for_selector("#feed .item.finding table.shared")
        assert "embeddings run on gpu-a100" in ana.inner_text("#feed")

        # the facilitator injects a stakeholder question: it reaches communications live
        submit(facilitator, "button[data-inject=enterprise-tenant]")
        cy.wait_for_selector("#feed .item.question")
        assert "enterprise tenant" in cy.inner_text("#feed .item.question")

        # a decision, an action re-simulated for the team, the answers, the close
        ana.fill("#decision input[name=text]", "Roll back the embedding release on embed-cpu")
        ana.fill(
            "#decision input[name=reason]", "embeddings moved to the GPU pool after its deploy"
        )
        submit(ana, "#decision button")
        bo.select_option("#act select", "rollback")
        bo.fill("#act input[name=args]", "target=pools.embed-cpu")
        submit(bo, "#act button")
        cy.wait_for_selector("#feed .item.act")
        assert "rollback applied" in cy.inner_text("#feed .item.act")
        cy.select_option("#update select[name=status]", "resolved")
        cy.fill(
            "#update textarea[name=text]",
            "Resolved: we rolled back the embedding release on embed-cpu; spend is back to "
            "normal and the enterprise tenant was not affected. Follow-up: an alert on cost "
            "per request by pool.",
        )
        submit(cy, "#update button")
        ana.fill("#conclude textarea[name=cause]", "embeddings fell back to the GPU pool")
        ana.fill("#conclude textarea[name=prevention]", "alert on cost per request by pool")
        submit(ana, "#conclude button")
        assert ana.locator("#closed").count() == 1
        bo.wait_for_selector("#live:has-text('closed')")

        # the facilitator ends the drill and reads the team's report
        facilitator.reload()
        submit(facilitator, "#end button")
        facilitator.click("#report-link")
        facilitator.wait_for_selector("#team-score")
        report = facilitator.inner_text("body")
        assert "Team Blue" in report and "communications" in report
        timeline = facilitator.inner_text("#timeline")
        assert "stakeholder update [resolved]" in timeline and "question from" in timeline
        browser.close()


@pytest.mark.slow
@pytest.mark.full
def test_the_facilitator_sees_several_teams_side_by_side(console):
    _, client, c = console
    ft, _, blues = new_team(client, c, "Blue")
    _, red, reds = new_team(client, c, "Red")
    rollback = {"kind": "act", "action": "rollback", "args": "target=pools.embed-cpu"}
    conclude = {"kind": "conclude", "cause": "embeddings fell back onto the GPU pool"}
    update = (
        "Impact: spend 40% above normal; no user-facing errors. Scope: the fleet's bill, all "
        "tenants served. We are investigating. Next update in 10 minutes."
    )
    for who, path, fields in (
        ("Ana Lima", "post", {"kind": "severity", "level": "sev3", "text": "cost only"}),
        ("Ana Lima", "post", {"kind": "assign", "workstream": "spend", "owner": "Bo Chen"}),
        ("Ana Lima", "post", {"kind": "assign", "workstream": "deploys", "owner": "Cy Park"}),
        ("Cy Park", "post", {"kind": "update", "status": "investigating", "text": update}),
        ("Bo Chen", "move", {"kind": "look", "panel": "cost-by-pool"}),
        (
            "Ana Lima",
            "post",
            {
                "kind": "decision",
                "text": "Roll back embed-cpu",
                "reason": "the spend sits in embed-gpu",
            },
        ),
        ("Bo Chen", "move", rollback),
        ("Ana Lima", "move", conclude),
    ):
        assert send(client, blues[who], path, **fields).status_code == 200, (who, fields)
    for who, fields in (
        ("Bo Chen", {"kind": "look", "panel": "cost-by-pool"}),
        ("Bo Chen", rollback),
        ("Ana Lima", conclude),
    ):
        assert send(client, reds[who], "move", **fields).status_code == 200
    page = client.get(f"/f/{ft}/teams/board")
    assert page.status_code == 200
    rows = {
        name: re.findall(r"<td>([^<]*)</td>", cells)
        for name, cells in re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', page.text, re.S)
    }
    assert re.findall(r"<th>(\w+) \(gpu-cost-no-traffic\)</th>", page.text) == ["Red", "Blue"]
    assert rows["communications"][0] == "0.0 / 20" and rows["communications"][1] != "0.0 / 20"
    assert rows["commander"][0] == "0.0 / 20" and rows["verdict"][0] == "not passed"
    assert rows["first update (min)"] == ["-", "0"]
    assert float(rows["score"][1]) > float(rows["score"][0])
    one = client.get(f"/f/{ft}/teams/board?team={red}")
    assert re.findall(r"<th>(\w+) \(gpu-cost-no-traffic\)</th>", one.text) == ["Red"]


def test_a_member_never_sees_the_key_or_the_team_plan(console):
    from drills.library.paths import library_root
    from drills.library.scenario import load_key, load_scenario
    from drills.team.model import load_plan

    _, client, c = console
    ft, tid, tokens = new_team(client, c)
    directory = library_root() / SCENARIO
    scenario = load_scenario(directory / "scenario.yaml")
    key, plan = load_key(directory / "key.yaml", scenario), load_plan(scenario)
    csrf = csrf_of(client.get(f"/f/{ft}/team/{tid}").text)
    client.post(f"/f/{ft}/team/{tid}/inject", data={"csrf": csrf, "inject": "finops-eta"})
    send(client, tokens["Bo Chen"], "move", kind="query", sql=QUERY)
    send(client, tokens["Bo Chen"], "post", kind="finding", move="1", text="a result")
    secrets = [key.cause, key.hidden_answer[:40], plan.severity_why[:40], ft]
    secrets += [s.description[:30] for s in key.signals if s.description]
    secrets += [m.id for m in key.all_mitigations() + key.harmful]
    secrets += [i.text[:40] for i in plan.injects if i.id != "finops-eta"]  # not injected
    for token in tokens.values():
        seen = client.get(f"/t/{token}").text
        assert "ETA on stopping the extra spend?" in seen  # the inject, once injected
        for secret in secrets:
            assert secret not in seen, secret
