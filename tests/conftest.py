"""Test-wide settings: drills cache their runs in one temporary home shared by the xdist
workers of a test session (their parent is the same pytest process), not in the repo."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SHARED = Path(tempfile.gettempdir()) / f"speechdrill-tests-{os.getppid()}"
os.environ.setdefault("SPEECHDRILL_HOME", str(SHARED))
os.environ.setdefault("SPEECHDRILL_CACHE", str(SHARED / "runs"))
os.environ.setdefault("SPEECHDRILL_CACHE_KEEP", "48")  # every scenario's runs, for sharing


def pytest_sessionfinish(session, exitstatus):
    """The controlling process (not an xdist worker) removes the shared runs at the end."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(SHARED, ignore_errors=True)
