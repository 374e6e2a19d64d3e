"""Drill sessions in SQLite (WAL), journaled move by move, tamper-evident.

Every move is written — and committed — before its effect is shown, so a killed process
loses nothing and `drill start --resume ID` carries on. Each entry carries an HMAC over the
previous entry's HMAC and its own content, keyed by a secret kept beside the database
(created on first use, readable by its owner only): editing, inserting or deleting an
entry breaks the chain, and `drill report` flags the session.

A chain alone cannot tell a journal cut short from one that ended there: its last entries
can be deleted and what remains still verifies. So the session row keeps the journal's
head — its entry count and an HMAC over the session, that count and the last entry's HMAC —
written in the same transaction as each entry: removing entries (or re-pointing the
session at another scenario or trainee) without the key no longer matches the head.

A session's score is kept beside it, signed, with the head it scored (`store_score`): a
concluded drill is scored once, and a stored score whose head or signature no longer
matches is not read back.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drills.migrations import Migration, add_columns, migrate
from simulator.errors import InputError

GENESIS = "genesis"


def home() -> Path:
    return Path(os.environ.get("SPEECHDRILL_HOME", ".speechdrill"))


def signing_key(root: Path) -> bytes:
    """The key that signs what only an examiner may write (the journal, a score, an exam
    override): $SPEECHDRILL_JOURNAL_KEY (a file a facilitator keeps where trainees cannot
    read it), else journal.key in `root` (enough to catch an edited entry, not a trainee
    who can read the key and re-sign)."""
    override = os.environ.get("SPEECHDRILL_JOURNAL_KEY")
    path = Path(override) if override else root / "journal.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
    return path.read_bytes()


@dataclass
class SessionRow:
    id: str
    scenario: str
    trainee: str
    created: str


class Journal:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or home()
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "sessions.sqlite"
        # one connection shared by the console's threads, its writes serialised by `lock`
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.secret = self._secret()
        migrate(self.db, self.path, self._migrations())

    def _migrations(self) -> list[Migration]:
        """The journal's schema, version by version (drills/migrations.py)."""
        return [
            [
                "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, scenario TEXT NOT "
                "NULL, trainee TEXT NOT NULL, created TEXT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS moves (session_id TEXT NOT NULL, seq INTEGER NOT "
                "NULL, payload TEXT NOT NULL, mac TEXT NOT NULL, PRIMARY KEY (session_id, seq))",
            ],
            add_columns(
                "sessions",
                [("entries", "INTEGER NOT NULL DEFAULT 0"), ("head", "TEXT NOT NULL DEFAULT ''")],
            ),
            self._sign_heads,
            [
                "CREATE TABLE IF NOT EXISTS scores (session_id TEXT PRIMARY KEY, entries "
                "INTEGER NOT NULL, head TEXT NOT NULL, at TEXT NOT NULL, score TEXT NOT NULL, "
                "mac TEXT NOT NULL)"
            ],
        ]

    def _sign_heads(self, db: sqlite3.Connection) -> None:
        """Journals from before heads: each session's head as its entries stand when this
        build first opens the file (what was cut before then cannot be told)."""
        sessions = db.execute("SELECT id, scenario, trainee FROM sessions").fetchall()
        for session_id, scenario, trainee in sessions:
            macs = db.execute(
                "SELECT mac FROM moves WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
            last = macs[-1][0] if macs else GENESIS
            head = self._head(session_id, scenario, trainee, len(macs), last)
            db.execute(
                "UPDATE sessions SET entries = ?, head = ? WHERE id = ?",
                (len(macs), head, session_id),
            )

    def _secret(self) -> bytes:
        return signing_key(self.root)

    def create(self, scenario: str, trainee: str) -> SessionRow:
        with self.lock:
            return self._create(scenario, trainee)

    def _create(self, scenario: str, trainee: str) -> SessionRow:
        row = SessionRow(
            uuid.uuid4().hex[:12],
            scenario,
            trainee,
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        head = self._head(row.id, scenario, trainee, 0, GENESIS)
        with self.db:
            self.db.execute(
                "INSERT INTO sessions (id, scenario, trainee, created, entries, head) "
                "VALUES (?, ?, ?, ?, 0, ?)",
                (row.id, row.scenario, row.trainee, row.created, head),
            )
        return row

    def session(self, session_id: str) -> SessionRow:
        found = self.db.execute(
            "SELECT id, scenario, trainee, created FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if found is None:
            # never list the sessions: another trainee's id is a way into their drill
            raise InputError(session_id, "", f"no such drill session in {self.root}")
        return SessionRow(*found)

    def _mac(self, session_id: str, seq: int, payload: str, previous: str) -> str:
        message = f"{previous}|{session_id}|{seq}|{payload}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def _head(self, session_id: str, scenario: str, trainee: str, entries: int, last: str) -> str:
        """The signed head: who plays what, how many entries, and the last one's HMAC."""
        message = f"head|{session_id}|{scenario}|{trainee}|{entries}|{last}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def head(self, session_id: str) -> tuple[int, str]:
        """The session's entry count and head as recorded (what a stored score is tied to)."""
        found = self.db.execute(
            "SELECT entries, head FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        return (int(found[0]), str(found[1])) if found else (0, "")

    def append(self, session_id: str, move: dict[str, Any]) -> int:
        """Journal a move (committed before the caller shows its effect), with the
        session's new head in the same transaction."""
        with self.lock:
            return self._append(session_id, move)

    def _append(self, session_id: str, move: dict[str, Any]) -> int:
        row = self.session(session_id)
        entries = self.db.execute(
            "SELECT seq, mac FROM moves WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        seq, previous = (entries[0] + 1, entries[1]) if entries else (0, GENESIS)
        payload = json.dumps(move, sort_keys=True)
        mac = self._mac(session_id, seq, payload, previous)
        head = self._head(session_id, row.scenario, row.trainee, seq + 1, mac)
        with self.db:
            self.db.execute(
                "INSERT INTO moves VALUES (?, ?, ?, ?)", (session_id, seq, payload, mac)
            )
            self.db.execute(
                "UPDATE sessions SET entries = ?, head = ? WHERE id = ?",
                (seq + 1, head, session_id),
            )
        return seq

    def moves(self, session_id: str) -> tuple[list[dict[str, Any]], list[str]]:
        """The journaled moves and any integrity problems found on the way."""
        problems: list[str] = []
        previous = GENESIS
        moves = []
        rows = self.db.execute(
            "SELECT seq, payload, mac FROM moves WHERE session_id = ? ORDER BY seq", (session_id,)
        ).fetchall()
        for expected, (seq, payload, mac) in enumerate(rows):
            if seq != expected:
                problems.append(f"entry {expected} is missing (found {seq})")
            if not hmac.compare_digest(mac, self._mac(session_id, seq, payload, previous)):
                problems.append(f"entry {seq} does not match its signature (edited?)")
            previous = mac
            moves.append(json.loads(payload))
        problems += self._head_problems(session_id, len(rows), previous)
        return moves, problems

    def _head_problems(self, session_id: str, count: int, last: str) -> list[str]:
        found = self.db.execute(
            "SELECT scenario, trainee, entries, head FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if found is None:
            return []
        scenario, trainee, entries, head = found
        if count != entries:
            return [
                f"the journal holds {count} entries but its session recorded {entries} "
                "(entries removed or added outside speechdrill?)"
            ]
        if not hmac.compare_digest(
            str(head), self._head(session_id, scenario, trainee, count, last)
        ):
            return ["the session's head does not match its entries (cut short, or re-signed?)"]
        return []

    def store_score(self, session_id: str, head: tuple[int, str], score: str) -> bool:
        """Keep a session's score (JSON) with the head it scored; False (nothing kept) if
        the journal has moved on since."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        mac = self._score_mac(session_id, head, score)
        with self.lock, self.db:
            if self.head(session_id) != head:
                return False
            self.db.execute(
                "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, head[0], head[1], now, score, mac),
            )
        return True

    def _score_mac(self, session_id: str, head: tuple[int, str], score: str) -> str:
        message = f"score|{session_id}|{head[0]}|{head[1]}|{score}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def stored_score(self, session_id: str) -> str | None:
        """The stored score (JSON) if it scored the journal as it stands now."""
        found = self.db.execute(
            "SELECT entries, head, score, mac FROM scores WHERE session_id = ?", (session_id,)
        ).fetchone()
        if found is None:
            return None
        head, score = (int(found[0]), str(found[1])), str(found[2])
        signed = hmac.compare_digest(str(found[3]), self._score_mac(session_id, head, score))
        return score if signed and head == self.head(session_id) else None
