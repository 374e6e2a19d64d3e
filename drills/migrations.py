"""One way to bring a SQLite file up to the schema this build writes, shared by the
drill journal, the history and the console's store.

A file's schema version is its `PRAGMA user_version`: the number of migrations applied to
it. Opening a file applies the ones it lacks, in order, in one transaction taken with a
write lock (two processes opening an old file at once migrate it once). A file written by a
newer build (a version past the last migration this build knows) is refused with a clear
message instead of failing later on a column count: an older build must not write into it.

Files from before versioning read as version 0, so every store's first migration creates
its tables only where they are missing (`IF NOT EXISTS`) and later ones check before they
add: a pre-versioning file migrates like a new one."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from simulator.errors import InputError

Migration = Callable[[sqlite3.Connection], None] | Sequence[str]


def version_of(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, path: Path, migrations: Sequence[Migration]) -> int:
    """Apply the migrations `path` lacks (a list of SQL statements, or a function of the
    connection); the file's version afterwards. Raises InputError for a newer file."""
    known = len(migrations)
    if version_of(db) == known:  # the common case: no write lock taken
        return known
    saved = db.isolation_level
    db.isolation_level = None  # transactions by hand: DDL and the version commit together
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            found = version_of(db)  # again, under the lock: another process may have won
            if found > known:
                raise newer_file(path, found, known)
            for step in migrations[found:]:
                if callable(step):
                    step(db)
                else:
                    for statement in step:
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {known:d}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    finally:
        db.isolation_level = saved
    return known


def newer_file(path: Path, found: int, known: int) -> InputError:
    return InputError(
        str(path),
        "PRAGMA user_version",
        f"schema version {found} was written by a newer speechdrill (this one reads up to "
        f"{known}); upgrade speechdrill, or give this one a home of its own "
        "($SPEECHDRILL_HOME)",
    )


def columns_of(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}


def add_columns(table: str, columns: Sequence[tuple[str, str]]) -> Migration:
    """A migration adding these columns where they are missing (a pre-versioning file may
    have some of them already)."""

    def step(db: sqlite3.Connection) -> None:
        have = columns_of(db, table)
        for name, declaration in columns:
            if name not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")

    return step
