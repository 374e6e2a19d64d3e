"""Drill sessions in SQLite (WAL), journaled move by move, tamper-evident.

Every move is written — and committed — before its effect is shown, so a killed process
loses nothing and `drill start --resume ID` carries on. Each entry carries an HMAC over the
previous entry's HMAC and its own content, keyed by a secret kept beside the database
(created on first use, readable by its owner only): editing, inserting or deleting an
entry breaks the chain, and `drill report` flags the session.
"""

from __future__ import annotations

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

from simulator.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, scenario TEXT NOT NULL, trainee TEXT NOT NULL, created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS moves (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL,
    mac TEXT NOT NULL, PRIMARY KEY (session_id, seq)
);
"""


def home() -> Path:
    return Path(os.environ.get("SPEECHDRILL_HOME", ".speechdrill"))


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
        # one connection shared by the console's threads, its writes serialised by `lock`
        self.db = sqlite3.connect(self.root / "sessions.sqlite", check_same_thread=False)
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self.secret = self._secret()

    def _secret(self) -> bytes:
        """The key that signs the journal: $SPEECHDRILL_JOURNAL_KEY (a file a facilitator
        keeps where trainees cannot read it), else journal.key beside the journal (enough
        to catch an edited entry, not a trainee who can read the key and re-sign)."""
        override = os.environ.get("SPEECHDRILL_JOURNAL_KEY")
        path = Path(override) if override else self.root / "journal.key"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        return path.read_bytes()

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
        with self.db:
            self.db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (row.id, row.scenario, row.trainee, row.created),
            )
        return row

    def session(self, session_id: str) -> SessionRow:
        found = self.db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if found is None:
            # never list the sessions: another trainee's id is a way into their drill
            raise InputError(session_id, "", f"no such drill session in {self.root}")
        return SessionRow(*found)

    def _mac(self, session_id: str, seq: int, payload: str, previous: str) -> str:
        message = f"{previous}|{session_id}|{seq}|{payload}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def append(self, session_id: str, move: dict[str, Any]) -> int:
        """Journal a move (committed before the caller shows its effect)."""
        with self.lock:
            return self._append(session_id, move)

    def _append(self, session_id: str, move: dict[str, Any]) -> int:
        entries = self.db.execute(
            "SELECT seq, mac FROM moves WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        seq, previous = (entries[0] + 1, entries[1]) if entries else (0, "genesis")
        payload = json.dumps(move, sort_keys=True)
        with self.db:
            self.db.execute(
                "INSERT INTO moves VALUES (?, ?, ?, ?)",
                (session_id, seq, payload, self._mac(session_id, seq, payload, previous)),
            )
        return seq

    def moves(self, session_id: str) -> tuple[list[dict[str, Any]], list[str]]:
        """The journaled moves and any integrity problems found on the way."""
        problems: list[str] = []
        previous = "genesis"
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
        return moves, problems
