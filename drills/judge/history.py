"""A trainee's history across drills and written exams: every scored drill session and
marked exam attempt, kept in SQLite beside the drill journal ($SPEECHDRILL_HOME/
history.sqlite), and what it says: the score over time, each component's share of its
points, and what is still weak (scenarios below the bar, rubric items missed).

A result is keyed by what was scored (a session id, an attempt's candidate, exam and
submission time), so scoring it again (after an examiner's override) replaces it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drills.course.exam import now_iso
from drills.migrations import Migration, migrate
from drills.play.journal import home

# the history's schema, version by version (drills/migrations.py)
MIGRATIONS: list[Migration] = [
    [
        "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        "trainee TEXT NOT NULL, subject TEXT NOT NULL, at TEXT NOT NULL, score REAL NOT NULL, "
        "parts TEXT NOT NULL)"
    ],
]
WEAK_SHARE = 0.6  # a component or a scenario below this share of its points is weak


@dataclass(frozen=True)
class Result:
    kind: str  # drill | exam
    trainee: str
    subject: str  # the scenario or the exam item
    at: str  # ISO time
    score: float  # 0-100
    parts: dict[str, float]  # component (drill) or rubric item (exam) -> share earned, 0-1


class History:
    def __init__(self, root: Path | None = None) -> None:
        folder = root or home()
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "history.sqlite"
        self.db = sqlite3.connect(self.path)
        migrate(self.db, self.path, MIGRATIONS)

    def record(self, key: str, result: Result) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    result.kind,
                    result.trainee,
                    result.subject,
                    result.at,
                    result.score,
                    json.dumps(result.parts, sort_keys=True),
                ),
            )

    def of(self, trainee: str) -> list[Result]:
        rows = self.db.execute(
            "SELECT kind, trainee, subject, at, score, parts FROM results "
            "WHERE trainee = ? ORDER BY at, key",
            (trainee,),
        )
        return [Result(k, t, s, a, sc, json.loads(p)) for k, t, s, a, sc, p in rows]

    def trainees(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT trainee FROM results ORDER BY 1")]


def record_drill(
    session_id: str, trainee: str, scenario_id: str, score: Any, root: Path | None = None
) -> None:
    """Keep a drill's score (replaced if the session is scored again)."""
    parts = {line.component: line.points / line.max_points for line in score.breakdown}
    result = Result("drill", trainee, scenario_id, now_iso(), score.score, parts)
    History(root).record(f"drill:{session_id}", result)


def record_exam(attempt: Any, marking: Any, root: Path | None = None) -> None:
    """Keep an exam attempt's marking (replaced when it is marked again)."""
    parts = {i.id: (1.0 if i.met else 0.0) for i in marking.items}
    at = attempt.submitted_at or now_iso()
    key = f"exam:{attempt.candidate}:{attempt.exam}:{at}"
    result = Result("exam", attempt.candidate, attempt.exam, at, marking.score, parts)
    History(root).record(key, result)


@dataclass
class Summary:
    """What a trainee's results say, for the history report."""

    trainee: str
    results: list[Result]
    trend: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # part -> (at, share)
    weak_components: dict[str, float] = field(default_factory=dict)  # latest drill share
    weak_scenarios: dict[str, float] = field(default_factory=dict)  # latest score
    weak_items: dict[str, list[str]] = field(default_factory=dict)  # exam -> items missed


def summarise(trainee: str, results: list[Result]) -> Summary:
    out = Summary(trainee, results)
    drills = [r for r in results if r.kind == "drill"]
    for result in drills:
        for part, share in result.parts.items():
            out.trend.setdefault(part, []).append((result.at, share))
    for part, points in out.trend.items():
        latest = points[-1][1]
        if latest < WEAK_SHARE:
            out.weak_components[part] = latest
    latest_by_subject: dict[tuple[str, str], Result] = {}
    for result in results:
        latest_by_subject[(result.kind, result.subject)] = result  # in time order
    for (kind, subject), result in sorted(latest_by_subject.items()):
        if kind == "drill" and result.score < 100 * WEAK_SHARE:
            out.weak_scenarios[subject] = result.score
        if kind == "exam":
            missed = [item for item, share in result.parts.items() if share < 1.0]
            if missed:
                out.weak_items[subject] = missed
    return out
