"""Test-wide settings: drills cache their runs in one temporary home shared by the xdist
workers of a test session (they inherit the controlling process's environment), not in
the repo."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# set in the controlling process first; xdist workers inherit it
SHARED = Path(
    os.environ.setdefault(
        "SPEECHDRILL_HOME", str(Path(tempfile.gettempdir()) / f"speechdrill-tests-{os.getpid()}")
    )
)
os.environ.setdefault("SPEECHDRILL_CACHE", str(SHARED / "runs"))
os.environ.setdefault("SPEECHDRILL_CACHE_KEEP", "48")  # every scenario's runs, for sharing


def pytest_sessionfinish(session, exitstatus):
    """The controlling process (not an xdist worker) removes the shared runs at the end."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(SHARED, ignore_errors=True)
