"""Symptom families in the console (issue 39): the facilitator's form lists each family
beside the scenarios, a family cohort draws each candidate's member by the family's
balanced rule, each candidate plays and concludes their own member and is scored against
its key, the cohort page and report group by member, and nothing a candidate reads tells
them which member they drew or what the others are.

The default tier prepares one cohort of four (members drawn without verification, which
tests/test_families.py covers) and checks the drawing, the pages and the diagnosis against
each candidate's own key; the full tier scores real drills end to end (a tipped candidate
replays another member's expert path) and plays a family cohort in Chromium."""

from __future__ import annotations

import re
import time
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from drills.console.app import create_app
from drills.console.prepare import first_seed
from drills.judge.lines import diagnosis_line
from drills.judge.scoring import gather_evidence
from drills.library.family import assign
from tests.helpers import READS, DrawnMember, expect
from tests.test_console import CHROMIUM, csrf_of, move, server  # noqa: F401  (a fixture)

FAMILY = "gpu-bill-up"
NAMES = ["Ana Lima", "Bo Chen", "Cai Rios", "Dee Moss"]


def _prepared(c: Any, cohort_id: str, seconds: float = 600) -> list[Any]:
    deadline = time.monotonic() + seconds
    while any(not who.session for who in c.store.candidates(cohort_id)):
        assert time.monotonic() < deadline, "the members were never drawn"
        time.sleep(0.2)
    return c.store.candidates(cohort_id)


def family_cohort(client: TestClient, c: Any, names: list[str] = NAMES) -> tuple[Any, list[Any]]:
    """A family cohort made through the facilitator's form (its incident choice left at
    'the same for everyone': a family draws a member for each whatever it says)."""
    ft = c.store.facilitator_token
    form = {"csrf": csrf_of(client.get(f"/f/{ft}").text), "scenario": FAMILY}
    form |= {"candidates": "\n".join(names), "time_box_min": "20", "variants": "same"}
    made = client.post(f"/f/{ft}/cohorts", data=form)
    assert made.status_code == 200, made.text
    cohort = c.store.cohorts()[0]
    return cohort, _prepared(c, cohort.id)


class Drawn(DrawnMember):
    """A prepared candidate and what only the examiner knows of their incident."""

    def __init__(self, who: Any) -> None:
        super().__init__(Path(who.scenario))
        self.who = who

    def secrets(self, *also: str) -> list[str]:
        return super().secrets(self.who.variant, *also)


@pytest.fixture(scope="module")
def cohort_of_four(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One family cohort of four, prepared once for the module's read-only checks. The
    warm-ups (each member's run and its panels at the page, simulated in the background
    for a quick first look) are recorded rather than run: what is asked to be warmed is
    checked, and this tier simulates nothing."""
    app = create_app(tmp_path_factory.mktemp("console"), reads=READS)
    c = app.state.console
    c.preparer.verify = False
    warmed: list[Path] = []
    c.preparer.on_ready = lambda scenario: warmed.append(scenario.directory)
    c.drills.warm_scenario = lambda scenario, references=False: warmed.append(scenario.directory)
    with TestClient(app) as client:
        cohort, candidates = family_cohort(client, c)
        yield client, c, cohort, [Drawn(w) for w in candidates], warmed


def test_the_form_lists_each_family_marked_with_its_member_count(cohort_of_four):
    client, c, *_ = cohort_of_four
    ft = c.store.facilitator_token
    home = client.get(f"/f/{ft}").text
    families = home[home.index('<optgroup label="Symptom families') :]
    families = families[: families.index("</optgroup>")]
    for family in c.families.values():
        option = re.search(
            rf'<option value="{family.spec.id}" data-family="(\d+)">([^<]*)', families
        )
        assert option is not None, family.spec.id
        assert int(option.group(1)) == len(family.spec.members) == 4
        assert option.group(2).startswith(f"Family: {family.spec.title} — 4 member causes")
    scenarios = home[
        home.index('<optgroup label="Scenarios') : home.index('<optgroup label="Symptom')
    ]
    assert "data-family" not in scenarios and len(c.families) == 4
    assert all(f'<option value="{sid}">' in scenarios for sid in c.scenarios)
    # the cohort list marks the family cohort
    assert f"{FAMILY}</a> (symptom family: a member each)" in home
    # bad input: an unknown id is refused listing the families too; the family's own time
    # box (25 minutes: its page at minute 20 of a 45-minute window) bounds the form's
    form = {"csrf": csrf_of(home), "scenario": "nope", "candidates": "a", "time_box_min": "20"}
    unknown = client.post(f"/f/{ft}/cohorts", data=form)
    assert unknown.status_code == 400 and FAMILY in unknown.text
    form |= {"scenario": FAMILY, "time_box_min": "26"}
    too_long = client.post(f"/f/{ft}/cohorts", data=form)
    assert too_long.status_code == 400 and "a number from 5 to 25" in too_long.text
    assert len(c.store.cohorts()) == 1  # nothing created


def test_each_candidate_draws_their_member_by_the_balanced_rule(cohort_of_four):
    """Four candidates, four members, each the one `assign` gives their place in the
    cohort from the cohort's own seed; stored on the candidate as a variant is (their
    folder and its note), shown to the facilitator with its key cause; each member's own
    run is what the console warms."""
    client, c, cohort, drawn, warmed = cohort_of_four
    spec = c.families[FAMILY].spec
    assert cohort.scenario == FAMILY and cohort.variants
    assert [d.who.name for d in drawn] == NAMES
    seed = first_seed(cohort)
    assert [d.member for d in drawn] == [assign(spec, seed, i) for i in range(4)]
    assert sorted(d.member for d in drawn) == sorted(m.id for m in spec.members)  # balanced
    for d in drawn:
        assert f"member {d.member} · " in d.who.variant
        assert d.folder.parents[1] == c.store.root.resolve() / "variants" / cohort.id
        assert c.journal.session(d.who.session).scenario == d.who.scenario
        assert c.drills.get(d.who.session).scenario.directory == d.folder
        assert d.scenario.spec.id == FAMILY  # the family's id on every member's files
    assert set(warmed) == {d.folder for d in drawn}
    page = client.get(f"/f/{c.store.facilitator_token}/cohort/{cohort.id}").text
    assert f"<h1>{spec.title}</h1>" in page and "a symptom family of 4 member causes" in page
    for d in drawn:
        row = page[page.index(f'<tr data-candidate="{d.who.name}">') :]
        row = row[: row.index("</tr>")]
        cause = d.key.faults()[0].cause
        assert f'data-member="{d.member}"><code>{d.member}</code> (<code>{cause}</code>)' in row
        assert f"0 / {len(d.key.signals)}" in row  # evidence read, out of their own key's
        listed = page[page.index(f'<tr data-member="{d.member}">') :]
        assert '<td class="drawn">1</td>' in listed[: listed.index("</tr>")]


def _page(client: TestClient, who: Any) -> str:
    return client.get(f"/c/{who.token}").text


def _same(text: str, who: Any) -> str:
    """A candidate's page with what is theirs by name (their name, token, form token)
    taken out: what is left is what the incident shows."""
    text = re.sub(r'name="csrf" value="[^"]+"', 'name="csrf" value=""', text)
    return text.replace(who.token, "TOKEN").replace(who.name, "NAME")


def test_nothing_a_candidate_reads_tells_their_member_and_each_is_judged_on_their_own(
    cohort_of_four,
):
    """Each candidate's page, the preview of every member's fix and a refusal read the
    same for all four (their names and tokens aside) and name no member, mechanism or key
    of any member; then each concludes: a right conclusion for member A names the
    diagnosis on A's key, the same words on B's incident do not (its own key judges it)."""
    client, c, cohort, drawn, _ = cohort_of_four
    secrets = [s for d in drawn for s in d.secrets()]
    secrets += [d.member.replace("-", " ") for d in drawn] + [str(first_seed(cohort))]
    fixes = [d.key.all_mitigations()[0] for d in drawn]
    from drills.play.actions import format_args

    seen: dict[str, list[str]] = {}
    for d in drawn:
        answers = [_page(client, d.who)]
        for fix in fixes:  # every member's fix, previewed: free, and the same for all
            shown = move(
                client, d.who.token, kind="act", action=fix.action, args=format_args(fix.args)
            )
            assert shown.status_code == 200 and 'id="confirm"' in shown.text, fix
            answers.append(shown.text)
        refused = move(
            client, d.who.token, kind="act", action="set", args="path=pools.embed-cpu.x value=1"
        )
        assert refused.status_code == 400 and "no such setting" in unescape(refused.text)
        answers.append(refused.text)
        assert c.drills.get(d.who.session).moves == []  # previews and refusals play nothing
        seen[d.who.name] = [_same(a, d.who) for a in answers]
        for answer in seen[d.who.name]:
            text = unescape(answer)
            for secret in secrets:
                assert secret not in text, f"{d.who.name} ({d.member}) read {secret!r}"
    assert len({tuple(pages) for pages in seen.values()}) == 1  # four candidates, one page

    # Ana's member's expert conclusion, sent by Ana and (a tip) by Bo; Cai and Dee conclude
    # their own members' experts' words
    ana, bo, cai, dee = drawn
    scored: list[str] = []
    c.scorer.request = lambda session, name: scored.append(session)  # no simulation here
    tipped = ana.expert.moves[-1].conclude
    assert tipped is not None
    for d, words in ((ana, tipped), (bo, tipped), (cai, None), (dee, None)):
        conclusion = words or d.expert.moves[-1].conclude
        done = move(client, d.who.token, kind="conclude", cause=conclusion.cause)
        assert done.status_code == 200 and 'id="closed"' in done.text
    verdicts = {}
    for d in drawn:
        drill = c.drills.get(d.who.session)
        key = c.scorer.key(drill.scenario)  # the key the console scores this drill against
        assert key.faults()[0].cause == d.key.faults()[0].cause
        _, correct = diagnosis_line(key, drill.moves[-1], gather_evidence(drill, key))
        verdicts[d.who.name] = correct
    assert verdicts == {"Ana Lima": True, "Bo Chen": False, "Cai Rios": True, "Dee Moss": True}
    assert set(scored) == {d.who.session for d in drawn}  # each sent to be scored, once done


# --- the full tier: real scores, a real browser ----------------------------------------


def _play(client: TestClient, who: Any, moves: list[Any]) -> None:
    """Moves as the page's forms send them; each action previewed, then confirmed from
    the preview's own form (tests/test_console_play.py)."""
    from tests.test_console_play import _alert, _confirm_form, form_of

    for step in moves:
        fields = form_of(step)
        page = client.get(f"/c/{who.token}").text
        sent = client.post(f"/c/{who.token}/move", data={"csrf": csrf_of(page), **fields})
        assert sent.status_code == 200, (fields, _alert(sent.text))
        if fields["kind"] == "act":
            done = client.post(f"/c/{who.token}/move", data=_confirm_form(sent.text))
            assert done.status_code == 200, _alert(done.text)


@pytest.mark.full
@pytest.mark.xdist_group("families")  # with the families' checks: memory
def test_a_family_cohort_is_scored_member_by_member_and_a_tip_is_worth_nothing(
    tmp_path, pinned_seed
):
    """Verified draws, real scores: Ana plays her member's expert path; Bo, on another
    member, plays Ana's path word for word (a tip from an earlier candidate); Cai and Dee
    conclude their own members' causes at once. Each is scored by the console against
    their own member's key and expert path, and the report groups them by member."""
    app = create_app(tmp_path, reads=READS)
    c = app.state.console
    with TestClient(app) as client:
        cohort, candidates = family_cohort(client, c)
        assert first_seed(cohort) == pinned_seed
        ana, bo, cai, dee = drawn = [Drawn(w) for w in candidates]
        assert all("not verified" not in d.who.variant for d in drawn), [
            d.who.variant for d in drawn
        ]
        _play(client, ana.who, ana.expert.moves)
        _play(client, bo.who, ana.expert.moves)  # the tip
        for d in (cai, dee):
            conclusion = d.expert.moves[-1].conclude
            assert conclusion is not None
            move(client, d.who.token, kind="conclude", cause=conclusion.cause)
        scores = {d.who.name: c.scorer.wait(d.who.session, d.who.name) for d in drawn}
        assert scores["Ana Lima"].diagnosis_correct and scores["Ana Lima"].score >= 85
        assert not scores["Bo Chen"].diagnosis_correct and scores["Bo Chen"].score <= 40
        assert scores["Cai Rios"].diagnosis_correct and scores["Dee Moss"].diagnosis_correct
        for d in drawn:  # each score read its own member's key
            assert scores[d.who.name].signals_total == len(d.key.signals)
        report = client.get(f"/f/{c.store.facilitator_token}/cohort/{cohort.id}/report").text
        table = report[report.index('<table id="scores">') : report.index("</table>")]
        rows = re.findall(r'<tr (class="member-group" )?data-(member|candidate)="([^"]+)"', table)
        # each member's heading, then the candidate who drew it
        expected = []
        for member in c.families[FAMILY].spec.members:
            expected.append(("member", member.id))
            expected += [("candidate", d.who.name) for d in drawn if d.member == member.id]
        assert [(kind, name) for _, kind, name in rows] == expected
        for d in drawn:
            row = table[table.index(f'data-candidate="{d.who.name}"') :]
            row = row[: row.index("</tr>")]
            verdict = "right" if d is not bo else "wrong"
            assert f'data-member="{d.member}"' in row and f'<td class="cause">{verdict}</td>' in row
            assert f"{scores[d.who.name].score:.1f}" in row


@pytest.mark.full
@pytest.mark.xdist_group("families")  # with the families' checks: memory
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")
def test_a_family_cohort_in_a_real_browser(server, pinned_seed):  # noqa: F811
    """The facilitator picks the family from the form, sends four links once the cohort
    page says ready; each candidate sees the family's page and nothing of their member;
    two conclude with the same words, each scored against their own member."""
    sync_api = pytest.importorskip("playwright.sync_api")
    base, c = server
    c.preparer.verify = False  # verification: tests/test_families.py and the test above
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        facilitator = browser.new_page(viewport={"width": 1400, "height": 900})
        facilitator.set_default_timeout(120_000)
        facilitator.goto(f"{base}/f/{c.store.facilitator_token}")
        option = facilitator.locator(f"select[name=scenario] option[value={FAMILY}]")
        assert (
            option.inner_text().startswith("Family: ") and "4 member causes" in option.inner_text()
        )
        facilitator.select_option("select[name=scenario]", FAMILY)
        facilitator.fill("textarea[name=candidates]", "\n".join(NAMES))
        facilitator.fill("input[name=time_box_min]", "20")
        facilitator.click("#new-cohort button")
        # the cohort page updates itself: ready once every member is drawn and warmed
        ready = facilitator.locator("#readiness strong", has_text=re.compile(r"^ready$"))
        ready.wait_for(timeout=900_000)
        members = {
            name: facilitator.locator(f"tr[data-candidate='{name}'] td.member").get_attribute(
                "data-member"
            )
            for name in NAMES
        }
        assert sorted(members.values()) == sorted(m.id for m in c.families[FAMILY].spec.members)
        links = {
            name: facilitator.locator(f"tr[data-candidate='{name}'] input.join").input_value()
            for name in NAMES
        }
        drawn = {d.who.name: d for d in map(Drawn, c.store.candidates(c.store.cohorts()[0].id))}
        secrets = [s for d in drawn.values() for s in d.secrets()]
        title = c.families[FAMILY].spec.title
        pages = {}
        for name in NAMES:
            page = browser.new_page()
            page.set_default_timeout(120_000)
            page.goto(links[name])
            assert page.inner_text("h1") == title
            text = page.inner_text("body")
            for secret in secrets:
                assert secret not in text, (name, secret)
            pages[name] = page
        ana, bo = pages["Ana Lima"], pages["Bo Chen"]
        ana.click("button[data-panel=cost-by-pool]")
        expect(ana.locator("svg.chart").first).to_be_visible()  # waits for the look
        words = drawn["Ana Lima"].expert.moves[-1].conclude
        for page in (ana, bo):  # the same words: Ana's member's cause
            page.fill("#conclude textarea[name=cause]", words.cause)
            page.click("#conclude button")
            expect(page.locator("#closed")).to_have_count(1)
        facilitator.click("#report-link")
        deadline = time.monotonic() + 600
        rows = [f"#scores tr[data-candidate='{n}']" for n in ("Ana Lima", "Bo Chen")]
        while any("being scored" in facilitator.inner_text(row) for row in rows):
            assert time.monotonic() < deadline, "the concluded drills were never scored"
            time.sleep(2)
            facilitator.reload()
        scores = facilitator.locator("#scores")
        for name, verdict in (("Ana Lima", "right"), ("Bo Chen", "wrong")):
            row = scores.locator(f"tr[data-candidate='{name}']")
            assert row.get_attribute("data-member") == members[name]
            assert row.locator(".cause").inner_text() == verdict
        groups = scores.locator("tr.member-group")
        assert groups.count() == 4
        cause = drawn["Ana Lima"].key.faults()[0].cause
        heading = scores.locator(f"tr.member-group[data-member='{members['Ana Lima']}']")
        assert cause in heading.inner_text()
        for name in ("Cai Rios", "Dee Moss"):
            standing = scores.locator(f"tr[data-candidate='{name}'] .standing").inner_text()
            assert standing.startswith("still playing")
        browser.close()
