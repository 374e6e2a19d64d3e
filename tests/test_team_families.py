"""Team drills on a symptom family (issue 41): the team form takes a family, each team of
a session draws its member by the family's balanced rule through the cohorts' own
preparer (stored as a variant is), the facilitator's pages name each team's member, the
members' pages, refusals, action results and channel read the same whichever member their
team drew (docs/candidate-view.md), and each team's conclusion is judged on its own
member's key.

The default tier draws five teams' members without verification (tests/test_families.py
verifies draws) and simulates nothing: what the console asks to be warmed is recorded.
The full tier scores two teams for real and reads their report and the board."""

from __future__ import annotations

import json
import re
import time
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from drills.console.app import create_app
from drills.judge.lines import diagnosis_line
from drills.judge.scoring import gather_evidence
from drills.library.family import assign, load_family, resolve_family, session_seed
from drills.library.scenario import load_key
from drills.team.model import load_plan
from drills.team.store import TeamStore
from drills.usecases import open_team
from tests.helpers import READS, DrawnMember
from tests.test_team_console import csrf_of, send, text_of

FAMILY = "gpu-bill-up"
TEAMS = ["Alpha Team", "Bravo Team", "Charlie Team", "Delta Team"]
MEMBERS = "Ana Lima: commander\nBo Chen: investigator\nCy Park: investigator, comms"


def create(client: TestClient, c: Any, team: str, session: str, **extra: str) -> Any:
    ft = c.store.facilitator_token
    form = {"csrf": csrf_of(client.get(f"/f/{ft}/teams").text), "team": team}
    form |= {"scenario": FAMILY, "members": MEMBERS, "time_box_min": "20", "session": session}
    return client.post(f"/f/{ft}/teams", data=form | extra)


def store(c: Any) -> TeamStore:
    return TeamStore(c.store.root, c.journal.secret)


def drawn(c: Any, tid: str, seconds: float = 300) -> Any:
    deadline = time.monotonic() + seconds
    while not store(c).draw(tid).folder:
        assert time.monotonic() < deadline, "the team's member was never drawn"
        time.sleep(0.2)
    return store(c).draw(tid)


class Team(DrawnMember):
    """A drawn family team: its members' tokens and what only the examiner knows of it."""

    def __init__(self, c: Any, tid: str) -> None:
        self.id = tid
        self.draw = drawn(c, tid)
        super().__init__(Path(self.draw.folder))
        self.name = store(c).team(tid).spec.team
        self.tokens = {m.name: m.token for m in store(c).members(tid)}

    def secrets(self, *also: str) -> list[str]:
        return super().secrets(self.draw.note, *also)


@pytest.fixture(scope="module")
def session_of_four(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Four family teams created in one session, one more in a session of its own, their
    members drawn once for the module. Nothing is simulated: the warm-ups (each member's
    runs, an action's re-simulation) are recorded."""
    app = create_app(tmp_path_factory.mktemp("console"), reads=READS)
    c = app.state.console
    c.preparer.verify = False
    warmed: list[Path] = []
    c.preparer.on_ready = lambda scenario: warmed.append(scenario.directory)
    c.drills.warm_scenario = lambda scenario, references=False: warmed.append(scenario.directory)
    c.drills.warm = lambda drill, timeline: None  # an action's re-simulation
    with TestClient(app) as client:
        for name in TEAMS:
            assert create(client, c, name, "Tuesday training").status_code == 200
        assert create(client, c, "Solo Team", "").status_code == 200
        ids = {row.spec.team: row.id for row in store(c).teams()}
        teams = {name: Team(c, ids[name]) for name in [*TEAMS, "Solo Team"]}
        yield client, c, teams, warmed


def test_each_team_of_a_session_draws_its_member_by_the_balanced_rule(session_of_four):
    """Places 0 … 3 of the session under the seed of its first team: the members `assign`
    gives them, so four teams draw the four members; each stored as a variant is (its
    folder, whose variant.json names it, and its note), each member's runs warmed. A team
    of a session of its own takes place 0 under its own seed."""
    client, c, teams, warmed = session_of_four
    spec = c.families[FAMILY].spec
    four = [teams[name] for name in TEAMS]
    seed = session_seed(four[0].id)
    assert [t.draw.place for t in four] == [0, 1, 2, 3]
    assert {t.draw.seed for t in four} == {seed}
    assert [t.member for t in four] == [assign(spec, seed, i) for i in range(4)]
    assert sorted(t.member for t in four) == sorted(m.id for m in spec.members)  # balanced
    solo = teams["Solo Team"]
    assert (solo.draw.place, solo.draw.seed, solo.draw.session) == (0, session_seed(solo.id), "")
    assert solo.member == assign(spec, solo.draw.seed, 0)
    for t in teams.values():
        assert t.draw.family == FAMILY and f"member {t.member} · " in t.draw.note
        assert t.folder.parents[1] == c.store.root.resolve() / "variants" / f"team-{t.id}"
        assert t.scenario.spec.id == FAMILY  # every file says the family's id
        # the family's team plan, rendered into the member's folder, is the team's
        plan = load_plan(t.scenario)
        assert [i.id for i in plan.injects] == ["enterprise-tenant", "finops-eta", "budget-page"]
    assert set(warmed) == {t.folder for t in teams.values()}
    # the session's name is the form's default for the next team
    assert (
        'name="session" size="30" value="Tuesday training"'
        in client.get(f"/f/{c.store.facilitator_token}/teams").text
    )


def test_the_facilitators_pages_name_each_teams_member(session_of_four):
    client, c, teams, _ = session_of_four
    ft = c.store.facilitator_token
    home = client.get(f"/f/{ft}/teams").text
    families = home[home.index('<optgroup label="Symptom families') :]
    option = re.search(rf'<option value="{FAMILY}" data-family="4">([^<]*)', families)
    assert option is not None and option.group(1).startswith("Family: ")
    for name, t in teams.items():
        listed = home[home.index(f'<li data-team="{name}">') :]
        listed = listed[: listed.index("</li>")]
        assert f'(symptom family: member <code class="member">{t.member}</code>)' in listed
        page = unescape(client.get(f"/f/{ft}/team/{t.id}").text)
        cause = t.key.faults()[0].cause
        assert f'data-drawn="{t.member}">{t.member}</code> (<code>{cause}</code>)' in page
        assert f"place {t.draw.place + 1} of the session" in page and t.draw.note in page


def _same(text: str, t: Team) -> str:
    """A member's page with what is theirs by name taken out (the team's name, tokens,
    form token): what is left is what the incident shows."""
    text = re.sub(r'name="csrf" value="[^"]+"', 'name="csrf" value=""', text)
    text = text.replace(t.name, "TEAM")
    for token in t.tokens.values():
        text = text.replace(token, "TOKEN")
    return text


def test_nothing_a_team_reads_tells_its_member_and_each_is_judged_on_its_own(session_of_four):
    """Every member's page, a refusal, an action's result in the channel and the family
    plan's injects read the same in all four teams (their tokens aside) and name no
    member, mechanism, key, draw note, folder or seed; then each commander concludes:
    member A's expert cause is right on A's key and wrong on B's (its own key judges it)."""
    client, c, teams, _ = session_of_four
    four = [teams[name] for name in TEAMS]
    secrets = [s for t in four for s in t.secrets()]
    ft = c.store.facilitator_token
    seen: dict[str, list[str]] = {}
    for t in four:
        url = f"/f/{ft}/team/{t.id}"
        csrf = csrf_of(client.get(url).text)
        for inject in ("budget-page", "enterprise-tenant"):
            done = client.post(f"{url}/inject", data={"csrf": csrf, "inject": inject})
            assert done.status_code == 200
        bo, ana = t.tokens["Bo Chen"], t.tokens["Ana Lima"]
        answers = []
        refused = send(
            client, bo, "move", kind="act", action="set", args="path=pools.embed-cpu.x value=1"
        )
        assert refused.status_code == 400 and "no such setting" in text_of(refused)
        answers.append(refused.text)
        no_pool = send(client, bo, "move", kind="act", action="scale", args="pool=nope replicas=2")
        assert no_pool.status_code == 400
        answers.append(no_pool.text)
        owner = send(
            client,
            ana,
            "post",
            kind="assign",
            workstream="the budget page",
            owner="Cy Park",
            alert="1",
        )
        assert owner.status_code == 200
        acted = send(
            client, bo, "move", kind="act", action="rollback", args="target=pools.embed-cpu"
        )
        assert acted.status_code == 200 and "rollback applied" in acted.text
        answers += [client.get(f"/t/{token}").text for token in t.tokens.values()]
        seen[t.id] = [_same(a, t) for a in answers]
        for answer in seen[t.id]:
            text = unescape(answer)
            for secret in secrets:
                assert secret not in text, f"team {t.id} ({t.member}) read {secret!r}"
        assert "passed 80% of its monthly GPU budget" in unescape(seen[t.id][-1])
    assert len({tuple(pages) for pages in seen.values()}) == 1  # four teams, one page

    # A's member's expert conclusion, sent by A's commander and (a tip) by B's
    a, b, *_ = four
    tipped = a.expert.moves[-1].conclude
    assert tipped is not None
    for t in (a, b):
        done = send(client, t.tokens["Ana Lima"], "move", kind="conclude", cause=tipped.cause)
        assert done.status_code == 200
    for t, right in ((a, True), (b, False)):
        drill = open_team(store(c), t.id, c.drills.runs).drill  # as a restart rebuilds it
        assert drill.scenario.directory == t.folder
        key = load_key(drill.scenario.directory / "key.yaml", drill.scenario)
        _, correct = diagnosis_line(key, drill.moves[-1], gather_evidence(drill, key))
        assert correct is right, (t.member, a.member)


def test_a_family_team_is_drawn_before_anyone_plays_and_a_restart_resumes_the_draw(tmp_path):
    """A console that stops before the draw: the members' pages say it is being prepared
    and take no move; a restarted console (the same home) draws it when the team's page is
    opened, and the team plays."""
    app = create_app(tmp_path, reads=READS)
    c = app.state.console
    c.preparer.start_member = lambda *args: None  # this console stops before it draws
    with TestClient(app) as client:
        assert create(client, c, "Blue", "Friday").status_code == 200
        (row,) = store(c).teams()
        assert store(c).draw(row.id).folder == ""
        ft = c.store.facilitator_token
        page = client.get(f"/f/{ft}/team/{row.id}")
        assert page.status_code == 200 and "<strong>drawing</strong>" in page.text
        bo = {m.name: m.token for m in store(c).members(row.id)}["Bo Chen"]
        waiting = client.get(f"/t/{bo}")
        assert waiting.status_code == 200 and 'id="preparing"' in waiting.text
        hello = {"csrf": c.csrf(bo), "kind": "message", "text": "first words after the draw"}
        assert client.post(f"/t/{bo}/post", data=hello).status_code == 409
        csrf = c.csrf(ft)
        early = client.post(f"/f/{ft}/team/{row.id}/inject", data={"csrf": csrf, "inject": "x"})
        assert early.status_code == 409 and "still being drawn" in early.text
        assert client.get(f"/f/{ft}/team/{row.id}/report").status_code == 409
    again = create_app(tmp_path)
    c2 = again.state.console
    c2.preparer.verify = False
    c2.preparer.on_ready = lambda scenario: None
    c2.drills.warm_scenario = lambda scenario, references=False: None
    with TestClient(again) as client:
        assert c2.store.facilitator_token == ft
        client.get(f"/f/{ft}/team/{row.id}")  # the draw starts here
        team = Team(c2, row.id)
        spec = load_family(resolve_family(FAMILY)).spec
        assert team.member == assign(spec, session_seed(row.id), 0)
        assert client.post(f"/t/{bo}/post", data=hello).status_code == 200
        assert "first words after the draw" in client.get(f"/t/{bo}").text


def test_a_family_team_plan_that_names_a_cause_fails_the_family_check():
    """The family's team plan is what every member's team reads once injected: the
    family check reads its injects with the cause matcher it reads the page with (near
    misses both ways: a symptom is no cause)."""
    from drills.library.family import naming_problems

    family = load_family(resolve_family(FAMILY)).spec
    causes = {"gpu-cost-no-traffic": ["cpu-to-gpu-fallback"]}
    leaking = [("team.yaml injects[x]", "embedding requests fell back onto the GPU pool")]
    assert naming_problems(family, causes, leaking)
    symptom = [("team.yaml injects[x]", "the GPU bill passed 80% of its monthly budget")]
    assert naming_problems(family, causes, symptom) == []


# --- the full tier: real scores, the report and the board --------------------------------


@pytest.mark.full
@pytest.mark.xdist_group("families")  # with the families' checks: memory
def test_two_family_teams_are_scored_each_against_its_own_member(tmp_path, pinned_seed):
    """Two teams of one session on different members, both playing A's member's expert
    path (B's on a tip from A): Bo reads and acts, the commander concludes. Each team's
    report names its member and scores it against its own key (A's diagnosis right, B's
    wrong); the board heads each team's column with its member."""
    from tests.test_console_play import form_of

    app = create_app(tmp_path, reads=READS)
    c = app.state.console
    c.preparer.verify = False
    with TestClient(app) as client:
        for name in ("Blue", "Red"):
            made = create(client, c, name, "Tuesday", time_box_min="25")
            assert made.status_code == 200
        ids = {row.spec.team: row.id for row in store(c).teams()}
        a, b = Team(c, ids["Blue"]), Team(c, ids["Red"])
        assert a.member != b.member
        for t in (a, b):
            for move in a.expert.moves:
                who = "Ana Lima" if move.conclude is not None else "Bo Chen"
                done = send(client, t.tokens[who], "move", **form_of(move))
                assert done.status_code == 200, text_of(done)[-400:]
        ft = c.store.facilitator_token
        for t, right in ((a, True), (b, False)):
            report = unescape(client.get(f"/f/{ft}/team/{t.id}/report").text)
            assert f"drew the member <code data-member='{t.member}'>{t.member}</code>" in report
            assert f"(key cause <code>{t.key.cause}</code>)" in report
            data = json.loads(
                (c.store.root / "team-reports" / t.id / "team-report.json").read_text()
            )
            assert data["scenario"]["member"] == t.member
            assert data["answer_key"]["cause"] == t.key.cause  # its own key
            diagnosis = next(x for x in data["components"] if x["component"] == "diagnosis")
            assert (diagnosis["points"] > 0) is right, diagnosis
        board = unescape(client.get(f"/f/{ft}/teams/board").text)
        heads = re.findall(r"<th>(\w+) \(gpu-bill-up: member ([\w-]+)\)</th>", board)
        assert sorted(heads) == sorted([("Blue", a.member), ("Red", b.member)])
