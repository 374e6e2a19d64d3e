"""The console as a candidate meets it: every scenario's expert path plays through the
page's own forms (the preview, then the confirm, of every action), and nothing a full drill
shows a candidate (pages, previews, errors, action results) names the fault."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import yaml

from drills.console.app import create_app
from drills.judge.scoring import replay
from drills.library.scenario import AlertRule, load_key, load_scenario, scenario_dirs
from drills.play.actions import format_args
from drills.play.transcript import load_transcript
from tests.helpers import QUICK, READS, RUNS, library_params
from tests.test_console import csrf_of

SCENARIOS = [d for d in scenario_dirs() if (d / "transcripts" / "expert.yaml").is_file()]


def join(client, c, scenario: str, names: str = "Ana Lima"):
    ft = c.store.facilitator_token
    form = {"csrf": csrf_of(client.get(f"/f/{ft}").text), "scenario": scenario}
    box = c.scenarios[scenario].time_box_min  # the longest the scenario allows
    made = client.post(f"/f/{ft}/cohorts", data={**form, "candidates": names, "time_box_min": box})
    assert made.status_code == 200, made.text
    return c.store.candidates(c.store.cohorts()[-1].id)


def form_of(move) -> dict[str, str]:
    """A transcript move as the console's forms send it."""
    if move.look is not None:
        return {"kind": "look", "panel": move.look}
    if move.query is not None:
        return {"kind": "query", "sql": move.query}
    if move.act is not None:
        return {"kind": "act", "action": move.act.action, "args": format_args(move.act.args)}
    k = move.conclude
    rules = [p.model_dump(by_alias=True) for p in k.prevention if isinstance(p, AlertRule)]
    return {
        "kind": "conclude",
        "cause": k.cause,
        "mitigations": "\n".join(k.mitigations),
        "prevention": "\n".join(p for p in k.prevention if isinstance(p, str)),
        "rules": yaml.safe_dump(rules) if rules else "",
        "notes": k.notes,
    }


@pytest.mark.slow
@pytest.mark.parametrize("folder", library_params(SCENARIOS, QUICK))
def test_every_expert_path_plays_through_the_page(tmp_path, folder: Path, opened):
    """Each expert move sent as the page's form sends it; each action previewed, then
    confirmed from the preview's own form: the drill the console plays is the expert's."""
    app = create_app(tmp_path, reads=READS)
    client, c = opened(app), app.state.console
    scenario = load_scenario(folder / "scenario.yaml")
    (who,) = join(client, c, scenario.spec.id)
    expert = load_transcript(folder / "transcripts" / "expert.yaml", scenario)
    for move in expert.moves:
        fields = form_of(move)
        page = client.get(f"/c/{who.token}").text
        sent = client.post(f"/c/{who.token}/move", data={"csrf": csrf_of(page), **fields})
        assert sent.status_code == 200, (fields, _alert(sent.text))
        if fields["kind"] == "act":  # the preview; its confirm form carries the move on
            assert 'id="confirm"' in sent.text, _alert(sent.text)
            confirm = _confirm_form(sent.text)
            done = client.post(f"/c/{who.token}/move", data=confirm)
            assert done.status_code == 200 and 'id="confirm"' not in done.text, _alert(done.text)
    played = c.drills.get(who.session)
    headless = replay(scenario, expert, RUNS)
    assert [m.text for m in played.moves] == [m.text for m in headless.moves]
    assert played.timeline == headless.timeline
    assert played.concluded and played.moves[-1].conclusion == headless.moves[-1].conclusion


def _confirm_form(page: str) -> dict[str, str]:
    box = page[page.index('id="confirm"') :]
    box = box[: box.index("</form>")]
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', box)
    }


def _alert(page: str) -> str:
    found = re.search(r'role="alert">([^<]*)', page)
    return unescape(found.group(1)) if found else page[:300]


@pytest.mark.slow
def test_nothing_a_candidate_reaches_names_the_fault(tmp_path, opened):
    """A hostile candidate's full drill on gpu-cost-no-traffic, every answer kept: probing
    previews of every pool, of the faulted field and of the routes, unknown settings, bad
    values, queries at the page (running batches included) and past the sandbox, the fix
    itself and its result. No answer names the key's cause, a mitigation, the hidden
    answer or a key signal; no answer shows a faulted field's name or value unless the
    candidate typed it; previews of the faulted pool and of a healthy one read alike."""
    app = create_app(tmp_path, reads=READS)
    client, c = opened(app), app.state.console
    folder = next(d for d in SCENARIOS if d.name == "gpu-cost-no-traffic")
    scenario = load_scenario(folder / "scenario.yaml")
    key = load_key(folder / "key.yaml", scenario)
    (ana, zelda) = join(client, c, scenario.spec.id, "Ana Lima\nZelda Quint")
    typed: list[str] = []
    seen: list[str] = []

    def send(**fields: str) -> str:
        page = client.get(f"/c/{ana.token}").text
        seen.append(page)
        answer = client.post(f"/c/{ana.token}/move", data={"csrf": csrf_of(page), **fields})
        assert answer.status_code in (200, 400), answer.status_code
        typed.extend(v for k, v in fields.items() if k in ("args", "sql"))
        typed.extend(w.partition("=")[2] for w in fields.get("args", "").split())
        seen.append(answer.text)
        return answer.text

    previews = {}
    for pool in scenario.fleet.pools:
        text = send(kind="act", action="rollback", args=f"target=pools.{pool}")
        previews[pool] = _box(text).replace(f"pools.{pool}", "P")
    assert len(set(previews.values())) == 1, previews  # the faulted pool reads as any other
    for args in (
        "target=pools.embed-cpu.healthy",
        "target=routes",
        "target=pools.embed-cpu.nope",
    ):
        send(kind="act", action="rollback", args=args)
    for action, args in (
        ("set", "path=pools.embed-cpu.nope value=1"),
        ("set", "path=pools.embed-cpu.healthy value=lots"),
        ("set", "path=pools.embed-cpu.replicas value=1000000000000"),
        ("scale", "pool=embed-cpu replicas=lots"),
        ("scale", "pool=embed-gpu replicas=1000000000000000000000000000000"),
        ("reroute", "match={kind: embedding} pool=embed-cpu"),
        ("set-split", "route=3 split={embed-cpu: 1}"),
    ):
        send(kind="act", action=action, args=args)
    for sql in (
        "SELECT batch_id, start_s, end_s, cost_usd FROM batches WHERE end_s IS NULL",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM duckdb_tables()",
    ):
        send(kind="query", sql=sql)
    send(kind="look", panel="cost-by-pool")
    send(kind="act", action="rollback", args="target=pools.embed-cpu", confirm="yes")
    send(kind="look", panel="events")
    send(kind="conclude", cause="embeddings fell back to the GPU pool", prevention="x")
    seen.append(client.get(f"/c/{ana.token}").text)
    everything = "\n".join(unescape(t) for t in seen)
    for own in sorted(typed, key=len, reverse=True):  # what they typed comes back: no leak
        everything = everything.replace(own, "")
    secrets = [key.cause, key.hidden_answer[:40], "expert", zelda.name, zelda.token]
    secrets += [s.description[:30] for s in key.signals if s.description]
    secrets += [m.id for m in [*key.all_mitigations(), *key.harmful]]
    for secret in secrets:
        assert secret not in everything, f"a candidate saw {secret!r}"
    # what a move's own answer says (previews, refusals, action results: telemetry may
    # show a canary, these may not name one): no faulted field, by path or by name
    answers = "\n".join(_answers(unescape(t)) for t in seen)
    for own in sorted(typed, key=len, reverse=True):
        answers = answers.replace(own, "")
    assert "rolled back" in answers and "no such setting" in answers  # the scan saw them
    for path in {p for e in scenario.timeline for p in e.set}:
        assert path not in everything, path
        leaf = re.search(rf".{{0,60}}\b{re.escape(path.rsplit('.', 1)[-1])}\b.{{0,60}}", answers)
        assert leaf is None, leaf.group(0)
    assert "runs spk-embed" in everything  # the fix's result: the version it runs


def _answers(page: str) -> str:
    """The parts of a page that answer a move: the preview, the refusals, action results."""
    parts = re.findall(r'id="confirm"><p>(.*?)</p>', page, re.DOTALL)
    parts += re.findall(r'role="alert">([^<]*)', page)
    parts += re.findall(r'class="muted act-view">([^<]*)', page)
    return "\n".join(re.sub(r"<[^>]+>", "", p) for p in parts)


def _box(page: str) -> str:
    start = page.index('id="confirm"')
    return re.sub(r"<[^>]+>", "", page[start : page.index("</p>", start)])
