"""Finished runs kept by their timeline: in memory (the most recent few) and on disk
(Parquet under $SPEECHDRILL_CACHE, else $SPEECHDRILL_HOME/runs), keyed by the scenario's
content, the timeline and the simulator's code, so that a scripted drill's second look, a
score's reference runs and another process read a run back instead of simulating it again."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections import OrderedDict
from pathlib import Path

import simulator
from drills.library.scenario import LoadedScenario
from simulator.spec.timeline import TimelineEvent
from simulator.telemetry.bundle import Telemetry


def run_key(scenario: LoadedScenario, timeline: list[TimelineEvent]) -> str:
    parts = [
        scenario.spec.model_dump_json(),
        scenario.fleet.model_dump_json(),
        scenario.workload.model_dump_json(),
        json.dumps([e.model_dump() for e in timeline], sort_keys=True, default=str),
        simulator.code_version(),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


class RunCache:
    def __init__(self, size: int = 8, folder: Path | None = None, keep_on_disk: int = 6) -> None:
        self.size = size  # a score reads up to five runs
        self.folder = folder  # None: $SPEECHDRILL_CACHE, else $SPEECHDRILL_HOME/runs
        self.keep_on_disk = keep_on_disk  # each run is tens of megabytes
        self._lock = threading.Lock()  # the console hands runs over from a background thread
        self._runs: OrderedDict[str, Telemetry] = OrderedDict()

    def known(self, key: str) -> Telemetry | None:
        """The finished run if it is in memory or on disk; None without simulating."""
        found = self._runs.get(key)
        if found is None:
            found = self._from_disk(key)
            if found is None:
                return None
            self.remember(key, found)
        with self._lock:
            if key in self._runs:
                self._runs.move_to_end(key)
        return found

    def remember(self, key: str, tel: Telemetry) -> None:
        with self._lock:
            self._runs[key] = tel
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)

    def store(self, key: str, tel: Telemetry) -> None:
        """Write a run to disk (atomically: concurrent writers never see half a run)."""
        folder = self._root() / key
        scratch = folder.with_name(f"{key}.{os.getpid()}.tmp")
        try:
            tel.save(scratch)
            scratch.replace(folder)
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
        self._prune(folder.parent)

    def _root(self) -> Path:
        if self.folder is not None:
            return self.folder
        from drills.play.journal import home

        root = os.environ.get("SPEECHDRILL_CACHE")
        return Path(root) if root else home() / "runs"

    def _from_disk(self, key: str) -> Telemetry | None:
        folder = self._root() / key
        if not (folder / "span.json").is_file():
            return None
        try:
            return Telemetry.load(folder)
        except (OSError, ValueError):
            return None  # a damaged cache entry: simulate again

    def _prune(self, root: Path) -> None:
        """Keep the disk cache to the most recent runs."""
        runs = sorted(
            (p for p in root.iterdir() if p.is_dir() and not p.name.endswith(".tmp")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in runs[self.keep_on_disk :]:
            shutil.rmtree(old, ignore_errors=True)
