"""Drill sessions: a tamper-evident SQLite journal, scripted moves, resume, the prompt."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from drills.cli.session import DrillPrompt
from drills.play.drill import load_drill
from drills.play.journal import Journal
from tests.helpers import RUNS


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEECHDRILL_HOME", str(tmp_path))
    return tmp_path


def speechdrill(home, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "SPEECHDRILL_HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "SPEECHDRILL_CACHE": os.environ["SPEECHDRILL_CACHE"],
    }  # share simulated runs
    return subprocess.run(
        [sys.executable, "-m", "drills", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_journal_round_trip_in_wal_mode(home):
    journal = Journal(home)
    session = journal.create("tts-first-audio-byte", "ana")
    journal.append(session.id, {"look": "traffic"})
    journal.append(session.id, {"query": "SELECT 1"})
    moves, problems = journal.moves(session.id)
    assert moves == [{"look": "traffic"}, {"query": "SELECT 1"}] and problems == []
    mode = journal.db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert (home / "journal.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "tamper",
    [
        'UPDATE moves SET payload = \'{"look": "events"}\' WHERE seq = 0',
        "DELETE FROM moves WHERE seq = 0",
        "UPDATE moves SET seq = 5 WHERE seq = 1",
    ],
)
def test_any_edit_to_the_journal_breaks_the_chain(home, tamper):
    journal = Journal(home)
    session = journal.create("tts-first-audio-byte", "ana")
    for move in ({"look": "traffic"}, {"look": "latency-by-kind"}, {"look": "events"}):
        journal.append(session.id, move)
    db = sqlite3.connect(home / "sessions.sqlite")
    db.execute(tamper)
    db.commit()
    _, problems = journal.moves(session.id)
    assert problems


def test_the_prompt_plays_moves_and_journals_them(home, capsys):
    journal = Journal(home)
    session = journal.create("recognition-collapse-after-release", "ana")
    prompt = DrillPrompt(journal, session.id)
    assert prompt.complete_look("qual") == ["quality-by-slice", "quality-by-cohort"]
    prompt.onecmd("look events")
    prompt.onecmd("act rollback target=stages.preprocess")
    prompt.onecmd("act scale pool=nowhere replicas=2")  # refused: a clear message
    prompt.onecmd("status")
    out = capsys.readouterr().out
    assert "preprocessing service 2.0" in out  # the announced deploy, from the events panel
    # what an operator sees of a rollback: what it touched, never the restored configuration
    assert "stages.preprocess rolled back to its release at the incident's start" in out
    assert "logmel80-16k" not in out
    assert "error:" in out and "nowhere" in out
    drill, problems = load_drill(journal, session.id, RUNS)
    assert [m.kind for m in drill.moves] == ["look", "act"] and not problems
    assert drill.clock_min == pytest.approx(6.0)  # a panel: 1 minute, an action: 5
    assert prompt.onecmd("quit") is True


def test_a_look_never_shows_the_future(home):
    journal = Journal(home)
    session = journal.create("recognition-collapse-after-release", "ana")
    prompt = DrillPrompt(journal, session.id)
    prompt.onecmd("query SELECT max(arrival_s) AS last, max(t_s) FROM requests, events")
    drill, _ = load_drill(journal, session.id, RUNS)
    frame = drill.show(drill.moves[0]).frame()
    assert frame.iloc[0, 0] < drill.scenario.spec.clock.start_s


def test_no_input_can_break_a_session(home, capsys):
    """Whatever a trainee types gets an answer or a one-line refusal, and the session goes
    on: a move is journaled only once it has been played."""
    journal = Journal(home)
    session = journal.create("recognition-collapse-after-release", "ana")
    prompt = DrillPrompt(journal, session.id)
    for line in (
        "query WITH x AS (SELECT kind FROM requests) SELECT kind, count(*) FROM x GROUP BY ALL",
        "query WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) "
        "SELECT * FROM n",
        "query SELECT nope FROM requests",
        "query " + "SELECT " + "(" * 3000 + "1" + ")" * 3000,
        "query SELECT kind FROM requests WHERE 1 = 0",
        "query PIVOT requests ON kind USING count(*)",
        "query EXPLAIN SELECT 1",
        "act scale pool=nowhere replicas=2",
        "act set path=pools.asr-batch-gpu.nope value=1",
        "act set path=pools.asr-batch-gpu.replicas value=lots",
        "look events",
    ):
        prompt.onecmd(line)
    out = capsys.readouterr().out
    assert "Traceback" not in out and "internal error" not in out
    assert out.count("error:") == 3  # the three invalid actions, refused and not journaled
    assert "query refused" in out and "(no rows)" in out
    drill, problems = load_drill(journal, session.id, RUNS)
    assert not problems
    assert [m.kind for m in drill.moves] == ["query"] * 7 + ["look"]


@pytest.mark.slow
def test_a_scripted_drill_resumes_reports_and_refuses_tampering(home):
    out = speechdrill(
        home, "drill", "start", "tts-first-audio-byte", "--trainee", "bo", "--no-prompt"
    )
    assert out.returncode == 0, out.stderr
    session = out.stdout.split("session ")[1].split()[0]
    assert speechdrill(home, "drill", "look", session, "tts-first-audio-byte").returncode == 0
    act = speechdrill(home, "drill", "act", session, "rollback", "--arg", "target=pools.tts-cpu")
    assert act.returncode == 0 and "tts-voice-a" in act.stdout
    resumed = speechdrill(home, "drill", "start", "--resume", session, "--no-prompt")
    assert resumed.returncode == 0 and "bo" in resumed.stdout
    done = speechdrill(
        home,
        "drill",
        "conclude",
        session,
        "--cause",
        "heavier-voice-model",
        "--prevention",
        "a latency gate on first audio byte",
    )
    assert done.returncode == 0
    late = speechdrill(home, "drill", "look", session, "events")
    assert late.returncode == 2 and "concluded" in late.stderr
    report = speechdrill(home, "drill", "report", session, "--json")
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["diagnosis_correct"] and data["score"] >= 60 and data["integrity"] == []
    db = sqlite3.connect(home / "sessions.sqlite")
    db.execute("UPDATE moves SET payload = replace(payload, 'tts-cpu', 'tts-gpx') WHERE seq = 1")
    db.commit()
    refused = speechdrill(home, "drill", "report", session)
    assert refused.returncode == 1 and "integrity" in refused.stderr
    flagged = speechdrill(home, "drill", "report", session, "--allow-tampered", "--json")
    assert flagged.returncode == 0 and json.loads(flagged.stdout)["integrity"]


def test_the_time_box_ends_a_scripted_drill_and_unknown_ids_list_nothing(tmp_path):
    from drills.cli.session import perform
    from simulator.errors import InputError

    journal = Journal(tmp_path)
    mine = journal.create("gpu-cost-no-traffic", "ana").id
    other = journal.create("gpu-cost-no-traffic", "bo").id
    perform(journal, mine, {"look": "events", "at_min": 59.5}, RUNS)
    with pytest.raises(InputError, match="time box"):
        perform(journal, mine, {"look": "traffic"}, RUNS)
    perform(
        journal, mine, {"conclude": {"cause": "out of time"}}, RUNS
    )  # concluding is still allowed
    with pytest.raises(InputError) as info:
        journal.session("nope")
    assert other not in info.value.render() and mine not in info.value.render()


def test_the_journal_key_can_live_away_from_the_journal(tmp_path, monkeypatch):
    key = tmp_path / "facilitator" / "journal.key"
    monkeypatch.setenv("SPEECHDRILL_JOURNAL_KEY", str(key))
    journal = Journal(tmp_path / "home")
    session = journal.create("gpu-cost-no-traffic", "ana").id
    journal.append(session, {"look": "traffic"})
    assert key.is_file() and not (tmp_path / "home" / "journal.key").exists()
    monkeypatch.setenv("SPEECHDRILL_JOURNAL_KEY", str(tmp_path / "a-trainee-guess.key"))
    _, problems = Journal(tmp_path / "home").moves(session)
    assert problems  # signed with another key: the entries do not verify


def test_the_prompt_lists_the_actions_and_the_tables_for_free(home, capsys):
    """`act` alone and the schema browser answer at no clock cost; the prompt reads the
    arguments the console's form and the script form read (a reroute's `match` mapping)."""
    journal = Journal(home)
    session = journal.create("code-switching-canary", "ana")
    prompt = DrillPrompt(journal, session.id)
    for line in ("act", "tables", "describe batches", "describe nope", "panels"):
        prompt.onecmd(line)
    out = capsys.readouterr().out
    from drills.play.actions import ACTIONS

    for name, action in ACTIONS.items():
        assert f"act {name} {action.syntax}".rstrip() in out
    assert "batches" in out and "cost_usd" in out and "USD" in out and "no table 'nope'" in out
    prompt.onecmd("act reroute match={kind: asr-batch, language: es-en} pool=asr-batch-gpu")
    prompt.onecmd("act scale pool=asr-batch-gpu replicas=lots")
    out = capsys.readouterr().out
    assert "send requests with kind=asr-batch, language=es-en to pool asr-batch-gpu" in out
    assert "error:" in out and "valid integer" in out
    drill, _ = load_drill(journal, session.id, RUNS)
    assert [m.kind for m in drill.moves] == ["act"]
    assert drill.clock_min == pytest.approx(5.0)  # only the action cost clock


@pytest.mark.slow
def test_the_script_form_speaks_the_prompts_syntax_and_refusals_exit_2(home):
    out = speechdrill(home, "drill", "start", "gpu-cost-no-traffic", "--no-prompt")
    session = out.stdout.split("session ")[1].split()[0]
    helped = speechdrill(home, "drill", "act", "--help")
    assert helped.returncode == 0
    for name in ("rollback", "set-split", "reroute", "warm-pool"):
        assert f"act {name} " in helped.stdout
    assert "match={LABEL: VALUE, ...} pool=POOL" in helped.stdout
    listed = speechdrill(home, "drill", "act", session)
    assert listed.returncode == 0 and "target=PATH" in listed.stdout
    free = speechdrill(home, "drill", "describe", "requests")
    assert free.returncode == 0 and "latency_ms" in free.stdout
    assert speechdrill(home, "drill", "describe", "nope").returncode == 2
    bad = speechdrill(home, "drill", "act", session, "scale", "pool=nope", "replicas=2")
    assert bad.returncode == 2 and "no pool 'nope'" in bad.stderr
    escape = speechdrill(home, "drill", "query", session, "SELECT * FROM read_csv('/etc/passwd')")
    assert escape.returncode == 2 and "query refused" in escape.stdout
    done = speechdrill(home, "drill", "act", session, "rollback", "target=pools.embed-cpu")
    assert done.returncode == 0 and "rolled back" in done.stdout
    drill, _ = load_drill(Journal(home), session, RUNS)
    assert [m.kind for m in drill.moves] == ["query", "act"]  # the refused query spent clock
