"""The console's records in SQLite ($SPEECHDRILL_HOME/console.sqlite): the facilitator's
token, cohorts, candidates with their unguessable join tokens and drill sessions, and the
hints given. Moves themselves are in the drill journal (drills/play/journal.py)."""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from drills.migrations import Migration, add_columns, migrate

HINT_COST = 5.0  # points a hint costs (shown in the report)
# the store's schema, version by version (drills/migrations.py); the columns of the second
# came after the first release: a cohort of one incident for all, candidates playing the
# cohort's scenario (a pre-versioning file may have them already)
MIGRATIONS: list[Migration] = [
    [
        "CREATE TABLE IF NOT EXISTS cohorts (id TEXT PRIMARY KEY, scenario TEXT NOT NULL, "
        "time_box_min REAL NOT NULL, created TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS candidates (token TEXT PRIMARY KEY, cohort TEXT NOT NULL, "
        "name TEXT NOT NULL, session TEXT NOT NULL, ended TEXT NOT NULL DEFAULT '')",
        "CREATE TABLE IF NOT EXISTS sittings (id TEXT PRIMARY KEY, item TEXT NOT NULL, "
        "created TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS examinees (token TEXT PRIMARY KEY, sitting TEXT NOT NULL, "
        "name TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS hints (token TEXT NOT NULL, seq INTEGER NOT NULL, "
        "clock_min REAL NOT NULL, text TEXT NOT NULL, cost REAL NOT NULL, "
        "PRIMARY KEY (token, seq))",
    ],
    add_columns("cohorts", [("variants", "INTEGER NOT NULL DEFAULT 0")]),
    add_columns(
        "candidates",
        [("scenario", "TEXT NOT NULL DEFAULT ''"), ("variant", "TEXT NOT NULL DEFAULT ''")],
    ),
]


@dataclass(frozen=True)
class Cohort:
    id: str
    scenario: str
    time_box_min: float
    created: str
    variants: bool = False  # a fresh, verified variant of the scenario for each candidate


@dataclass(frozen=True)
class Candidate:
    token: str
    cohort: str
    name: str
    session: str  # "" while the candidate's variant is being prepared
    ended: str  # why the drill ended ("" while it runs)
    scenario: str = ""  # the candidate's variant folder ("": the cohort's scenario)
    variant: str = ""  # for the facilitator: the variant's seed, parameters, difficulty


@dataclass(frozen=True)
class Sitting:
    """A written exam item given to a group of candidates."""

    id: str
    item: str
    created: str


@dataclass(frozen=True)
class Examinee:
    token: str
    sitting: str
    name: str


@dataclass(frozen=True)
class Hint:
    clock_min: float
    text: str
    cost: float


def new_token() -> str:
    return secrets.token_urlsafe(18)


class Store:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.path = root / "console.sqlite"
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        migrate(self.db, self.path, MIGRATIONS)
        self.lock = threading.Lock()
        self.facilitator_token = self._secret("console.key")

    def _secret(self, name: str) -> str:
        """Kept beside the console's database, readable by its owner only."""
        path = self.root / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(new_token())
        return path.read_text().strip()

    def add_cohort(self, cohort: Cohort) -> None:
        with self.lock, self.db:
            self.db.execute("INSERT INTO cohorts VALUES (?, ?, ?, ?, ?)", _row(cohort))

    def add_candidate(self, candidate: Candidate) -> None:
        with self.lock, self.db:
            self.db.execute("INSERT INTO candidates VALUES (?, ?, ?, ?, ?, ?, ?)", _row(candidate))

    def prepared(self, token: str, session: str, scenario: str, variant: str) -> bool:
        """A candidate's variant is ready: their drill session, its folder, its summary.
        False if another preparation got there first (theirs stands)."""
        with self.lock, self.db:
            done = self.db.execute(
                "UPDATE candidates SET session = ?, scenario = ?, variant = ? "
                "WHERE token = ? AND session = ''",
                (session, scenario, variant, token),
            )
            return done.rowcount == 1

    def cohorts(self) -> list[Cohort]:
        rows = self.db.execute("SELECT * FROM cohorts ORDER BY created DESC, id")
        return [Cohort(*r) for r in rows]

    def cohort(self, cohort_id: str) -> Cohort | None:
        row = self.db.execute("SELECT * FROM cohorts WHERE id = ?", (cohort_id,)).fetchone()
        return Cohort(*row) if row else None

    def candidates(self, cohort_id: str) -> list[Candidate]:
        rows = self.db.execute(
            "SELECT * FROM candidates WHERE cohort = ? ORDER BY name", (cohort_id,)
        )
        return [Candidate(*r) for r in rows]

    def candidate(self, token: str) -> Candidate | None:
        row = self.db.execute("SELECT * FROM candidates WHERE token = ?", (token,)).fetchone()
        return Candidate(*row) if row else None

    def end(self, token: str, why: str) -> None:
        with self.lock, self.db:
            self.db.execute(
                "UPDATE candidates SET ended = ? WHERE token = ? AND ended = ''", (why, token)
            )

    def add_sitting(self, sitting: Sitting, names: list[str]) -> list[Examinee]:
        examinees = [Examinee(new_token(), sitting.id, name) for name in names]
        with self.lock, self.db:
            self.db.execute("INSERT INTO sittings VALUES (?, ?, ?)", _row(sitting))
            self.db.executemany("INSERT INTO examinees VALUES (?, ?, ?)", map(_row, examinees))
        return examinees

    def sittings(self) -> list[Sitting]:
        rows = self.db.execute("SELECT * FROM sittings ORDER BY created DESC, id")
        return [Sitting(*r) for r in rows]

    def sitting(self, sitting_id: str) -> Sitting | None:
        row = self.db.execute("SELECT * FROM sittings WHERE id = ?", (sitting_id,)).fetchone()
        return Sitting(*row) if row else None

    def examinees(self, sitting_id: str) -> list[Examinee]:
        rows = self.db.execute(
            "SELECT * FROM examinees WHERE sitting = ? ORDER BY name", (sitting_id,)
        )
        return [Examinee(*r) for r in rows]

    def examinee(self, token: str) -> Examinee | None:
        row = self.db.execute("SELECT * FROM examinees WHERE token = ?", (token,)).fetchone()
        return Examinee(*row) if row else None

    def attempt_path(self, token: str) -> Path:
        return self.root / "exams" / f"console-{token}.yaml"

    def add_hint(self, token: str, clock_min: float, text: str) -> None:
        with self.lock, self.db:
            seq = self.db.execute("SELECT count(*) FROM hints WHERE token = ?", (token,)).fetchone()
            self.db.execute(
                "INSERT INTO hints VALUES (?, ?, ?, ?, ?)",
                (token, seq[0], clock_min, text, HINT_COST),
            )

    def hints(self, token: str) -> list[Hint]:
        rows = self.db.execute(
            "SELECT clock_min, text, cost FROM hints WHERE token = ? ORDER BY seq", (token,)
        )
        return [Hint(*r) for r in rows]


def _row(record: object) -> tuple[object, ...]:
    return tuple(vars(record).values())
