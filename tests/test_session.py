"""Drill sessions: a tamper-evident SQLite journal, scripted moves, resume, the prompt."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from drills.cli.session import DrillPrompt
from drills.library import scenario as scenario_model
from drills.play.drill import load_drill
from drills.play.journal import Journal
from tests.helpers import RUNS


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEECHDRILL_HOME", str(tmp_path))
    return tmp_path


def speechdrill(home, *args: str) -> subprocess.CompletedProcess[str]:
    # share simulated runs, and keep them as the suite does (the default keep of six
    # pruned the shared cache under the other tests' feet)
    shared = ("SPEECHDRILL_CACHE", "SPEECHDRILL_CACHE_KEEP", "SPEECHDRILL_WORKERS")
    env = {
        "SPEECHDRILL_HOME": str(home),
        "PATH": "/usr/bin:/bin",
        **{name: os.environ[name] for name in shared},
    }
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


def journal_of(home, moves=3):
    journal = Journal(home)
    session = journal.create("tts-first-audio-byte", "ana")
    for move in ({"look": "traffic"}, {"look": "latency-by-kind"}, {"look": "events"})[:moves]:
        journal.append(session.id, move)
    return journal, session.id


def tamper(home, *statements):
    """Edit the journal's file as anyone who can write it could (without its key)."""
    db = sqlite3.connect(home / "sessions.sqlite")
    for statement in statements:
        db.execute(*statement) if isinstance(statement, tuple) else db.execute(statement)
    db.commit()


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_a_journal_cut_short_is_refused(home, cut):
    """Deleting the last entries leaves a valid chain; the session's signed head (its
    entry count and last HMAC) still tells, and a scripted move on it is refused."""
    journal, session = journal_of(home)
    tamper(home, f"DELETE FROM moves WHERE seq >= {3 - cut}")
    moves, problems = journal.moves(session)
    assert len(moves) == 3 - cut and problems == [
        f"the journal holds {3 - cut} entries but its session recorded 3 "
        "(entries removed or added outside speechdrill?)"
    ]
    from drills.cli.session import perform
    from simulator.errors import InputError

    with pytest.raises(InputError, match="integrity check"):
        perform(journal, session, {"look": "errors"}, RUNS)


def test_a_cut_journal_with_its_count_rewritten_is_refused(home):
    """Without the key the head cannot be re-signed: rewriting the count to match, and the
    head to the last remaining entry's HMAC, is still caught."""
    journal, session = journal_of(home)
    last = journal.db.execute("SELECT mac FROM moves WHERE seq = 1").fetchone()[0]
    tamper(
        home,
        "DELETE FROM moves WHERE seq = 2",
        ("UPDATE sessions SET entries = 2, head = ? WHERE id = ?", (last, session)),
    )
    _, problems = journal.moves(session)
    assert problems == ["the session's head does not match its entries (cut short, or re-signed?)"]


def test_a_session_moved_to_another_trainee_or_scenario_is_refused(home):
    journal, session = journal_of(home)
    tamper(home, f"UPDATE sessions SET trainee = 'bo' WHERE id = '{session}'")
    assert journal.moves(session)[1]
    journal, other = journal_of(home)
    tamper(home, f"UPDATE sessions SET scenario = 'gpu-cost-no-traffic' WHERE id = '{other}'")
    assert journal.moves(other)[1]


@pytest.mark.parametrize("moves", [0, 1, 3])
def test_an_untouched_journal_passes_its_check(home, moves):
    """The near miss the other way: a whole journal, empty or not, raises nothing."""
    journal, session = journal_of(home, moves)
    assert journal.moves(session) == (
        [{"look": "traffic"}, {"look": "latency-by-kind"}, {"look": "events"}][:moves],
        [],
    )
    assert journal.head(session)[0] == moves


def test_a_stored_score_is_read_back_only_for_the_journal_it_scored(home):
    journal, session = journal_of(home)
    head = journal.head(session)
    assert journal.store_score(session, head, '{"score": 71.0}')
    assert journal.stored_score(session) == '{"score": 71.0}'
    tamper(home, "UPDATE scores SET score = '{\"score\": 100.0}'")  # edited: not read
    assert journal.stored_score(session) is None
    assert journal.store_score(session, head, '{"score": 71.0}')
    journal.append(session, {"look": "errors"})  # the journal moved on: not read either
    assert journal.stored_score(session) is None
    assert not journal.store_score(session, head, '{"score": 71.0}')


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
        "query " + "SELECT " + "(" * 1990 + "1" + ")" * 1990,  # within the 4000 characters
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
    # while the drill is played, neither its report (the answer key) nor its export (every
    # table at once) is written: each would tell at no clock what the drill charts in minutes
    early = home / "early"
    peek = speechdrill(home, "drill", "report", session, "--out", str(early))
    assert peek.returncode == 2 and "still being played (minute 6.0" in peek.stderr
    assert "--end" in peek.stderr  # how an examiner closes an abandoned drill
    peek = speechdrill(home, "export", session, "--openmetrics", str(early / "x.om"))
    assert peek.returncode == 2 and "still being played" in peek.stderr
    assert not early.exists() and Journal(home).stored_score(session) is None
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
    stored = Journal(home).stored_score(session)  # kept with the journal's head
    assert stored is not None and json.loads(stored)["score"] == data["score"]
    exported = speechdrill(home, "export", session, "--openmetrics", str(early / "x.om"))
    assert exported.returncode == 0 and "# EOF" in (early / "x.om").read_text()
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


LIMITS = {
    "cause": scenario_model.TEXT_CHARS,
    "line": scenario_model.LINE_CHARS,
    "lines": scenario_model.LINES,
    "notes": scenario_model.NOTES_CHARS,
    "query": scenario_model.QUERY_CHARS,
}


@pytest.mark.parametrize(
    "move, where",
    [
        ({"conclude": {"cause": "x" * (LIMITS["cause"] + 1)}}, "conclude.cause"),
        ({"conclude": {"cause": "c", "notes": "n" * (LIMITS["notes"] + 1)}}, "conclude.notes"),
        ({"conclude": {"cause": "c", "mitigations": ["m"] * 21}}, "conclude.mitigations"),
        ({"conclude": {"cause": "c", "mitigations": ["m" * 501]}}, "conclude.mitigations.0"),
        ({"conclude": {"cause": "c", "prevention": ["p" * 501]}}, "conclude.prevention.0"),
        ({"query": "SELECT 1 " + " " * LIMITS["query"]}, "query"),
        ({"act": {"action": "set", "args": {"path": "x", "value": "v" * 2000}}}, "act"),
    ],
)
def test_every_free_text_field_is_bounded_with_a_clear_message(tmp_path, move, where):
    """Past its limit a field is refused, naming the field and the limit, and nothing is
    played or journaled; at its limit it is accepted (the near miss the other way)."""
    from drills.cli.session import perform
    from simulator.errors import InputError

    journal = Journal(tmp_path)
    session = journal.create("gpu-cost-no-traffic", "ana").id
    with pytest.raises(InputError) as info:
        perform(journal, session, move, RUNS)
    assert info.value.field_path.startswith(where) and "at most" in info.value.expected
    assert journal.moves(session) == ([], [])
    line = "x" * LIMITS["line"]
    longest = {
        "cause": "y" * LIMITS["cause"],
        "mitigations": [line] * LIMITS["lines"],
        "prevention": [line] * LIMITS["lines"],
        "notes": "z" * LIMITS["notes"],
    }
    perform(journal, session, {"conclude": longest}, RUNS)
    assert journal.moves(session)[0] == [{"conclude": longest}]


def test_a_look_keeps_the_simulators_notes_for_authors_off_the_trainees_terminal(home, monkeypatch):
    """The fault pushes tts-cpu to batches of eight, past its measured grid: the profile's
    extrapolation warning would name that batch size on the trainee's terminal at no clock
    (the console keeps it in the server's log)."""
    out = speechdrill(
        home, "drill", "start", "tts-slow-after-config-push", "--trainee", "cy", "--no-prompt"
    )
    session = out.stdout.split("session ")[1].split()[0]
    # a run cache of its own: the look simulates (a run read back warns of nothing)
    monkeypatch.setenv("SPEECHDRILL_CACHE", str(home / "runs"))
    look = speechdrill(home, "drill", "look", session, "traffic")
    assert look.returncode == 0, look.stderr
    assert look.stderr == ""
    assert list((home / "runs").iterdir())  # it did simulate


def test_a_drill_once_scored_takes_no_more_moves_and_an_examiner_may_end_one(home):
    """A report at the time box showed the key: a conclusion after it would score 100 on
    what the report said. A scored drill is closed; an abandoned one is ended, not
    concluded for the trainee."""
    from drills.usecases import MoveRefused, finished_session, play_move
    from simulator.errors import InputError

    journal = Journal(home)
    session = journal.create("tts-first-audio-byte", "di")
    drill, _ = load_drill(journal, session.id, RUNS)
    play_move(drill, journal, session.id, {"look": "events"})
    with pytest.raises(InputError, match=r"still being played.*--end"):
        finished_session(journal, session.id, RUNS)
    assert finished_session(journal, session.id, RUNS, end=True)[0].clock_min == 1.0
    journal.store_score(session.id, journal.head(session.id), '{"score": 60.0}')
    with pytest.raises(MoveRefused, match="has been scored") as refused:
        play_move(drill, journal, session.id, {"conclude": {"cause": "what the report said"}})
    assert refused.value.closed and not drill.concluded
    assert len(load_drill(journal, session.id, RUNS)[0].moves) == 1  # nothing journaled
