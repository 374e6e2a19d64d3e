"""What the cohort report shows an examiner beside the scores: where each candidate stands
(still playing, concluded, ended), their conclusion in full, and the moves that tried to
reach past the telemetry (files, extensions, settings, the network) through the SQL box,
which the sandbox refused and which an examiner should see."""

from __future__ import annotations

import re
from dataclasses import dataclass

from drills.console.store import Candidate
from drills.play.drill import Drill, MoveRecord

# SQL that reaches for something other than the four telemetry tables: file and network
# readers, statements that change the session or the database, the server's settings
_REACHES = re.compile(
    r"\b(read_\w+|glob|sniff_csv|parquet_\w+|copy|attach|detach|install|load|pragma|set|"
    r"reset|export|import|getenv|current_setting|duckdb_settings|duckdb_extensions|"
    r"duckdb_secrets|which_secret|checkpoint|vacuum|create|insert|update|delete|drop|alter)\b"
    r"|'(?:/|~|\.\./|file:|https?:|s3:|gcs:)",
    re.IGNORECASE,
)
_REFUSED_FOR_ACCESS = re.compile(
    r"permission|disabled|external access|read-only|not allowed|extension|lock", re.IGNORECASE
)


@dataclass
class Standing:
    state: str  # "still playing", "concluded", "ended"
    why: str = ""  # why it ended


def standing(who: Candidate, drill: Drill | None) -> Standing:
    if drill is None:
        return Standing("preparing")
    if drill.concluded:
        return Standing("concluded")
    if who.ended:
        return Standing("ended", who.ended)
    return Standing("still playing")


def reaches(move: MoveRecord) -> bool:
    """Whether a query asks for something past the telemetry (whatever became of it)."""
    return move.kind == "query" and bool(_REACHES.search(_code(move.sql)))


def escape_attempts(drill: Drill) -> list[MoveRecord]:
    """Queries the sandbox refused that reached past the telemetry, by what they asked for
    or by the refusal's reason (a refusal for a misspelt column is an ordinary mistake)."""
    return [
        m
        for m in drill.moves
        if m.kind == "query" and m.error and (reaches(m) or _REFUSED_FOR_ACCESS.search(m.error))
    ]


def _code(sql: str) -> str:
    """The SQL without comments, so that a word in a comment is not a reach."""
    sql = re.sub(r"--[^\n]*", " ", sql)
    return re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)


__all__ = ["Standing", "escape_attempts", "reaches", "standing"]
