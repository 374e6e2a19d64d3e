"""Team drills in SQLite ($SPEECHDRILL_HOME/teams.sqlite, WAL): each team's spec, its
members' unguessable join tokens, its log of entries, journaled like a drill's moves, and,
for a team on a symptom family, its draw: the session it was created in, the session's
seed, its place there, and the member's folder once drawn (stored as a candidate's
variant is: the folder, whose variant.json names the member, and its note).

Every entry is committed before its effect is shown, so a restarted console replays the
log and resumes the team drill with its channel intact. Each entry carries an HMAC over
the previous entry's HMAC and its own content, keyed by the drill journal's secret: an
edited, inserted or deleted entry breaks the chain and the team drill is refused.
The schema's version is `PRAGMA user_version`; a newer database than this code knows is
refused rather than misread."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drills.library.family import session_seed
from drills.team.model import TeamSpec
from simulator.errors import InputError

VERSION = 2  # 2: draws (a version 1 store gains the table, empty)
SCHEMA = """
CREATE TABLE IF NOT EXISTS teams (
    id TEXT PRIMARY KEY, spec TEXT NOT NULL, created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    token TEXT PRIMARY KEY, team TEXT NOT NULL, name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    team TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, mac TEXT NOT NULL,
    PRIMARY KEY (team, seq)
);
CREATE TABLE IF NOT EXISTS draws (
    team TEXT PRIMARY KEY, family TEXT NOT NULL, session TEXT NOT NULL,
    seed INTEGER NOT NULL, place INTEGER NOT NULL, folder TEXT NOT NULL, note TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class TeamRow:
    id: str
    spec: TeamSpec
    created: str


@dataclass(frozen=True)
class MemberRow:
    token: str
    team: str
    name: str


@dataclass(frozen=True)
class DrawRow:
    """A family team's member: place `place` of the session `session` seeded `seed`
    (drills/library/family.py `assign`), drawn into `folder` ("" until it is)."""

    team: str
    family: str
    session: str
    seed: int
    place: int
    folder: str
    note: str


class TeamStore:
    def __init__(self, root: Path, secret: bytes) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.secret = secret
        self.lock = threading.RLock()
        self.db = sqlite3.connect(root / "teams.sqlite", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        found = self.db.execute("PRAGMA user_version").fetchone()[0]
        if found > VERSION:
            raise InputError(
                str(root / "teams.sqlite"),
                "user_version",
                f"a team store of version {found}; this speechdrill reads up to {VERSION}",
            )
        with self.db:
            self.db.executescript(SCHEMA)
            self.db.execute(f"PRAGMA user_version = {VERSION}")

    def create(self, spec: TeamSpec, session: str | None = None) -> tuple[TeamRow, list[MemberRow]]:
        """A team drill and its members' tokens; with `session` (a team on a symptom
        family), its draw too: the next place among the session's teams on that family,
        under the seed of the session's first team ("": a session of its own)."""
        row = TeamRow(uuid.uuid4().hex[:10], spec, datetime.now(UTC).isoformat(timespec="seconds"))
        members = [MemberRow(secrets.token_urlsafe(18), row.id, m.name) for m in spec.members]
        with self.lock, self.db:
            self.db.execute(
                "INSERT INTO teams VALUES (?, ?, ?)", (row.id, spec.model_dump_json(), row.created)
            )
            self.db.executemany(
                "INSERT INTO members VALUES (?, ?, ?)", [(m.token, m.team, m.name) for m in members]
            )
            if session is not None:
                self._add_draw(row.id, spec.scenario, session)
        return row, members

    def _add_draw(self, team_id: str, family: str, session: str) -> None:
        seed, place = session_seed(team_id), 0
        if session:
            first = self.db.execute(
                "SELECT seed FROM draws WHERE session = ? ORDER BY rowid LIMIT 1", (session,)
            ).fetchone()
            seed = first[0] if first else seed
            place = self.db.execute(
                "SELECT count(*) FROM draws WHERE session = ? AND family = ?", (session, family)
            ).fetchone()[0]
        self.db.execute(
            "INSERT INTO draws VALUES (?, ?, ?, ?, ?, '', '')",
            (team_id, family, session, seed, place),
        )

    def draw(self, team_id: str) -> DrawRow | None:
        found = self.db.execute("SELECT * FROM draws WHERE team = ?", (team_id,)).fetchone()
        return DrawRow(*found) if found else None

    def drawn(self, team_id: str, folder: str, note: str) -> bool:
        """Store a family team's drawn member, once: False if it already had one (two
        consoles drawing one team: whoever finishes first)."""
        with self.lock, self.db:
            done = self.db.execute(
                "UPDATE draws SET folder = ?, note = ? WHERE team = ? AND folder = ''",
                (folder, note, team_id),
            )
        return done.rowcount == 1

    def last_session(self) -> str:
        """The session the latest family team was created in ("" if none was named)."""
        found = self.db.execute(
            "SELECT session FROM draws WHERE session != '' ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        return str(found[0]) if found else ""

    def teams(self) -> list[TeamRow]:
        rows = self.db.execute("SELECT * FROM teams ORDER BY rowid DESC").fetchall()  # newest first
        return [TeamRow(i, TeamSpec.model_validate_json(s), c) for i, s, c in rows]

    def team(self, team_id: str) -> TeamRow | None:
        found = self.db.execute("SELECT * FROM teams WHERE id = ?", (team_id,)).fetchone()
        return (
            TeamRow(found[0], TeamSpec.model_validate_json(found[1]), found[2]) if found else None
        )

    def members(self, team_id: str) -> list[MemberRow]:
        rows = self.db.execute(
            "SELECT * FROM members WHERE team = ? ORDER BY name", (team_id,)
        ).fetchall()
        return [MemberRow(*r) for r in rows]

    def member(self, token: str) -> MemberRow | None:
        found = self.db.execute("SELECT * FROM members WHERE token = ?", (token,)).fetchone()
        return MemberRow(*found) if found else None

    def _mac(self, team_id: str, seq: int, payload: str, previous: str) -> str:
        message = f"{previous}|team:{team_id}|{seq}|{payload}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def append(self, team_id: str, entry: dict[str, Any]) -> int:
        """Journal an entry (committed before the caller shows its effect)."""
        with self.lock:
            last = self.db.execute(
                "SELECT seq, mac FROM entries WHERE team = ? ORDER BY seq DESC LIMIT 1",
                (team_id,),
            ).fetchone()
            seq, previous = (last[0] + 1, last[1]) if last else (0, "genesis")
            payload = json.dumps(entry, sort_keys=True)
            with self.db:
                self.db.execute(
                    "INSERT INTO entries VALUES (?, ?, ?, ?)",
                    (team_id, seq, payload, self._mac(team_id, seq, payload, previous)),
                )
            return seq

    def entries(self, team_id: str) -> tuple[list[dict[str, Any]], list[str]]:
        """The journaled entries and any integrity problems found on the way."""
        problems: list[str] = []
        previous = "genesis"
        out = []
        rows = self.db.execute(
            "SELECT seq, payload, mac FROM entries WHERE team = ? ORDER BY seq", (team_id,)
        ).fetchall()
        for expected, (seq, payload, mac) in enumerate(rows):
            if seq != expected:
                problems.append(f"entry {expected} is missing (found {seq})")
            if not hmac.compare_digest(mac, self._mac(team_id, seq, payload, previous)):
                problems.append(f"entry {seq} does not match its signature (edited?)")
            previous = mac
            out.append(json.loads(payload))
        return out, problems
