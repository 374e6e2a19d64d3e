"""Test-wide settings: drills cache their runs in one temporary home shared by the xdist
workers of a test session (they inherit the controlling process's environment), never in
the repo or in a user's own $SPEECHDRILL_HOME."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

if "PYTEST_XDIST_WORKER" not in os.environ:  # the controlling process (or a plain run)
    home = Path(tempfile.gettempdir()) / f"speechdrill-tests-{os.getpid()}"
    os.environ["SPEECHDRILL_HOME"] = str(home)
    os.environ["SPEECHDRILL_CACHE"] = str(home / "runs")
    os.environ["SPEECHDRILL_CACHE_KEEP"] = "200"  # every scenario's runs, for sharing
    # each xdist worker simulates a score's runs in one forked process at a time (two
    # workers already fill the two cores; more processes would only contend)
    os.environ["SPEECHDRILL_WORKERS"] = "1"
SHARED = Path(os.environ["SPEECHDRILL_HOME"])


def pytest_sessionfinish(session, exitstatus):
    """The controlling process removes the temporary home it made."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        shutil.rmtree(SHARED, ignore_errors=True)


def pytest_collection_modifyitems(session, config, items):
    """The long tests first: xdist hands tests out in this order, so the short ones fill in
    at the end instead of one worker idling while the other finishes a long one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
