"""The three SQLite stores (the drill journal, the history, the console's store) share one
migration helper (drills/migrations.py): a file from before versioning is migrated and keeps
what it held; a file from a newer build is refused with a message naming it, and is left as
it was."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3

import pytest

from drills.cli.main import main
from drills.console.store import Store
from drills.judge.history import History
from drills.migrations import migrate, version_of
from drills.play.journal import Journal
from simulator.errors import InputError

# the files as the first releases wrote them, before `PRAGMA user_version`
OLD_JOURNAL = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, scenario TEXT NOT NULL, trainee TEXT NOT NULL,
    created TEXT NOT NULL);
CREATE TABLE moves (session_id TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL,
    mac TEXT NOT NULL, PRIMARY KEY (session_id, seq));
"""
OLD_HISTORY = """
CREATE TABLE results (key TEXT PRIMARY KEY, kind TEXT NOT NULL, trainee TEXT NOT NULL,
    subject TEXT NOT NULL, at TEXT NOT NULL, score REAL NOT NULL, parts TEXT NOT NULL);
"""
OLD_STORE = """
CREATE TABLE cohorts (id TEXT PRIMARY KEY, scenario TEXT NOT NULL, time_box_min REAL NOT NULL,
    created TEXT NOT NULL);
CREATE TABLE candidates (token TEXT PRIMARY KEY, cohort TEXT NOT NULL, name TEXT NOT NULL,
    session TEXT NOT NULL, ended TEXT NOT NULL DEFAULT '');
CREATE TABLE sittings (id TEXT PRIMARY KEY, item TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE examinees (token TEXT PRIMARY KEY, sitting TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE hints (token TEXT NOT NULL, seq INTEGER NOT NULL, clock_min REAL NOT NULL,
    text TEXT NOT NULL, cost REAL NOT NULL, PRIMARY KEY (token, seq));
"""


def old_journal(home, secret: bytes, moves: list[str]) -> None:
    """A journal written by the first release: a signed chain, no head, no version."""
    (home / "journal.key").write_bytes(secret)
    db = sqlite3.connect(home / "sessions.sqlite")
    db.executescript(OLD_JOURNAL)
    db.execute("INSERT INTO sessions VALUES ('s1', 'gpu-cost-no-traffic', 'ana', 't')")
    previous = "genesis"
    for seq, payload in enumerate(moves):
        message = f"{previous}|s1|{seq}|{payload}".encode()
        previous = hmac.new(secret, message, hashlib.sha256).hexdigest()
        db.execute("INSERT INTO moves VALUES ('s1', ?, ?, ?)", (seq, payload, previous))
    db.commit()


def test_an_old_journal_is_migrated_keeps_its_moves_and_then_catches_a_cut(tmp_path):
    old_journal(tmp_path, b"k" * 32, ['{"look": "traffic"}', '{"look": "events"}'])
    journal = Journal(tmp_path)
    assert version_of(journal.db) == 4
    assert journal.moves("s1") == ([{"look": "traffic"}, {"look": "events"}], [])
    assert journal.head("s1")[0] == 2
    journal.append("s1", {"look": "errors"})
    assert journal.moves("s1")[1] == []
    journal.db.execute("DELETE FROM moves WHERE seq = 2")
    journal.db.commit()
    assert "recorded 3" in journal.moves("s1")[1][0]
    assert version_of(Journal(tmp_path).db) == 4  # opened again: nothing to do


def test_an_old_console_store_is_migrated_with_its_cohorts(tmp_path):
    db = sqlite3.connect(tmp_path / "console.sqlite")
    db.executescript(OLD_STORE)
    db.execute("INSERT INTO cohorts VALUES ('c1', 'gpu-cost-no-traffic', 20, 't')")
    db.execute("INSERT INTO candidates VALUES ('tok', 'c1', 'Ana', 's1', '')")
    db.commit()
    store = Store(tmp_path)
    assert version_of(store.db) == 3
    cohort = store.cohort("c1")
    assert cohort is not None and not cohort.variants
    ana = store.candidate("tok")
    assert ana is not None and (ana.name, ana.session, ana.scenario, ana.variant) == (
        "Ana",
        "s1",
        "",
        "",
    )


def test_a_store_with_some_added_columns_already_is_migrated_too(tmp_path):
    """A file from between the first release and versioning: the columns it has are kept."""
    db = sqlite3.connect(tmp_path / "console.sqlite")
    db.executescript(OLD_STORE)
    db.execute("ALTER TABLE cohorts ADD COLUMN variants INTEGER NOT NULL DEFAULT 0")
    db.execute("INSERT INTO cohorts VALUES ('c1', 'gpu-cost-no-traffic', 20, 't', 1)")
    db.commit()
    store = Store(tmp_path)
    cohort = store.cohort("c1")
    assert cohort is not None and cohort.variants == 1


def test_an_old_history_is_migrated_with_its_results(tmp_path):
    db = sqlite3.connect(tmp_path / "history.sqlite")
    db.executescript(OLD_HISTORY)
    db.execute("INSERT INTO results VALUES ('drill:1', 'drill', 'ana', 'x', 't', 55.0, '{}')")
    db.commit()
    history = History(tmp_path)
    assert version_of(history.db) == 1
    assert [r.score for r in history.of("ana")] == [55.0]


def newer(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()


@pytest.mark.parametrize(
    "name, opener",
    [("sessions.sqlite", Journal), ("history.sqlite", History), ("console.sqlite", Store)],
)
def test_a_store_from_a_newer_build_is_refused_and_left_as_it_was(tmp_path, name, opener):
    opener(tmp_path)  # a current file, then marked as written by a later build
    newer(tmp_path / name)
    with pytest.raises(InputError) as info:
        opener(tmp_path)
    message = info.value.render()
    assert name in message and "schema version 99" in message and "newer" in message
    assert version_of(sqlite3.connect(tmp_path / name)) == 99


def test_the_command_line_refuses_a_newer_history_with_exit_code_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPEECHDRILL_HOME", str(tmp_path))
    History(tmp_path)
    newer(tmp_path / "history.sqlite")
    with pytest.raises(SystemExit) as exited:
        main(["history", "ana"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "history.sqlite" in err and "newer" in err
    assert "Traceback" not in err


def test_a_failed_migration_changes_nothing(tmp_path):
    """Each step runs in the transaction that sets the version: a step that fails leaves
    the file at its old version with none of the earlier steps applied."""
    path = tmp_path / "x.sqlite"
    db = sqlite3.connect(path)

    def broken(_db):
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        migrate(db, path, [["CREATE TABLE a (x INTEGER)"], broken])
    assert version_of(db) == 0
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'a'").fetchone()[0] == 0
    assert migrate(db, path, [["CREATE TABLE a (x INTEGER)"]]) == 1
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'a'").fetchone()[0] == 1
