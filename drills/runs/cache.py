"""Finished runs kept by their timeline: in memory (the most recent few) and on disk
(Parquet under $SPEECHDRILL_CACHE, else $SPEECHDRILL_HOME/runs), keyed by the scenario's
content, the timeline and the simulator's code, so that a scripted drill's second look, a
score's reference runs and another process read a run back instead of simulating it again."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

import simulator
from drills.library.scenario import LoadedScenario
from drills.play.asof import share_arrow, to_arrow
from drills.runs.child import alive
from simulator.spec.timeline import TimelineEvent
from simulator.spec.traces import TraceArrivals, trace_digest
from simulator.telemetry.bundle import TABLES, Telemetry

SHARED = "shared"  # a run's tables as the SQL sandboxes map them (uncompressed Arrow IPC)
# what a stored run holds beside the simulator's own files (Telemetry.save: covered by
# simulator.code_version): raise it when the shared files change, so that a cache kept
# from one version to the next (CI's) never maps a run written the old way
STORE_FORMAT = "shared-arrow-1"


def run_key(scenario: LoadedScenario, timeline: list[TimelineEvent]) -> str:
    """A run named by what the simulation reads (`new_simulation`: the seed and length,
    the fleet, the workload, the timeline) and the simulator's code, not by the rest of the
    scenario's words: scenarios that differ only in their faults (a family's members, or
    a library scenario and the members drawn beside it) share their fault-free run."""
    spec = scenario.spec
    traces = [
        s.arrivals for s in scenario.workload.streams if isinstance(s.arrivals, TraceArrivals)
    ]
    parts = [
        json.dumps({"seed": spec.seed, "duration_s": spec.duration_s}),
        scenario.fleet.model_dump_json(),
        scenario.workload.model_dump_json(),
        json.dumps([e.model_dump() for e in timeline], sort_keys=True, default=str),
        simulator.code_version(),
        STORE_FORMAT,
        # a trace read from outside the shipped data, by its bytes (new_simulation reads
        # it relative to the working folder, as simulator.start does)
        trace_digest(traces, Path.cwd()) if traces else "",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


class DiskReads:
    """The runs last read from disk, kept for every run cache handed this object (keyed as
    on disk: the folder and the run's key). A process that makes several run services
    over one disk cache one after another (a test session's consoles: each app its own)
    reads a run back from memory instead of decoding its Parquet again. Bounded: each run
    is tens of megabytes."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._runs: OrderedDict[tuple[str, str], Telemetry] = OrderedDict()

    def holds(self, folder: Path, key: str) -> bool:
        return (str(folder), key) in self._runs

    def read(
        self, folder: Path, key: str, load: Callable[[], Telemetry | None]
    ) -> Telemetry | None:
        """The run kept, else `load`'s (kept when it found one)."""
        name = (str(folder), key)
        with self._lock:
            found = self._runs.get(name)
            if found is not None:
                self._runs.move_to_end(name)
                return found
        found = load()  # outside the lock: a read takes a while, and reads of two runs
        if found is not None:  # may overlap (the same run read twice is the same run)
            with self._lock:
                self._runs[name] = found
                while len(self._runs) > self.size:
                    self._runs.popitem(last=False)
        return found


class RunCache:
    def __init__(
        self,
        size: int = 8,
        folder: Path | None = None,
        keep_on_disk: int = 6,
        reads: DiskReads | None = None,
    ) -> None:
        self.size = size  # a score reads up to five runs
        self.folder = folder  # None: $SPEECHDRILL_CACHE, else $SPEECHDRILL_HOME/runs
        self.keep_on_disk = keep_on_disk  # each run is tens of megabytes
        self.reads = reads  # runs read from disk, shared with other caches of this process
        self._lock = threading.Lock()  # the console hands runs over from a background thread
        self._sharing = threading.Lock()  # runs being written out for the sandboxes
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

    def has(self, key: str) -> bool:
        """Whether the run is in memory or on disk, without loading it (a batch asks this
        of every run it reads: loading each only to find it there, into a memory cache
        smaller than the batch, loaded most of them twice)."""
        if key in self._runs or (self.reads and self.reads.holds(self._root(), key)):
            return True
        return self.on_disk(key)

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

    def on_disk(self, key: str) -> bool:
        return (self._root() / key / "span.json").is_file()

    def shared_arrow(self, key: str, tel: Telemetry) -> tuple[Path, dict[str, pa.Table]]:
        """The run's tables as uncompressed Arrow files beside it on disk (written once,
        one record batch each) and memory-mapped; the run's own Arrow tables become the
        mapped ones, so the settled rows of its views are slices of pages the kernel
        shares with every process that maps the same files (no copy, no load)."""
        found: tuple[Path, dict[str, pa.Table]] | None = tel.derived.get(SHARED)
        if found is not None:
            return found
        with self._sharing:  # once: the run's Arrow tables and the mapped ones must agree
            found = tel.derived.get(SHARED)
            if found is not None:
                return found
            if not self.on_disk(key):
                self.store(key, tel)
            folder = self._root() / key / SHARED
            if not all((folder / f"{name}.arrow").is_file() for name in TABLES):
                _write_shared(tel, folder)
            tables = map_shared(folder)
            share_arrow(tel, tables)
            tel.derived[SHARED] = (folder, tables)
            return folder, tables

    def root(self) -> Path:
        """The folder the runs are kept in (other processes may write into it: a run's
        name says what was simulated, and each is written atomically)."""
        return self._root()

    def _root(self) -> Path:
        if self.folder is not None:
            return self.folder
        from drills.play.journal import home

        root = os.environ.get("SPEECHDRILL_CACHE")
        return Path(root) if root else home() / "runs"

    def _from_disk(self, key: str) -> Telemetry | None:
        if self.reads is None:
            return self._load(key)
        return self.reads.read(self._root(), key, lambda: self._load(key))

    def _load(self, key: str) -> Telemetry | None:
        folder = self._root() / key
        if not (folder / "span.json").is_file():
            return None
        try:
            tel = Telemetry.load(folder)
        except (OSError, ValueError):
            return None  # a damaged cache entry: simulate again
        # a run read is a run used: the prune keeps the runs last written or read, so a
        # cache kept from one run of the suite to the next (.ci/run) keeps what each reads
        with contextlib.suppress(OSError):  # pruned meanwhile by another process
            os.utime(folder)
        return tel

    def _prune(self, root: Path) -> None:
        """Keep the disk cache to the runs last written or read, and remove the half-written
        folders of writers that were killed (a simulation host stopped mid-run)."""
        for scratch in root.glob("*.tmp"):
            pid = scratch.name.rsplit(".", 2)[-2]
            if pid.isdigit() and not alive(int(pid)):
                shutil.rmtree(scratch, ignore_errors=True)
        runs = sorted(
            (p for p in root.iterdir() if p.is_dir() and not p.name.endswith(".tmp")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in runs[self.keep_on_disk :]:
            shutil.rmtree(old, ignore_errors=True)


def _write_shared(tel: Telemetry, folder: Path) -> None:
    """Each table as the sandbox registers it (`to_arrow`), written atomically: a reader
    never maps half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        table = to_arrow(getattr(tel, name)).combine_chunks()
        path = folder / f"{name}.arrow"
        scratch = path.with_name(f"{name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with pa.OSFile(str(scratch), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)
        scratch.replace(path)


def map_shared(folder: Path) -> dict[str, pa.Table]:
    """The shared tables of a run, memory-mapped (no copy)."""
    tables = {}
    for name in TABLES:
        with pa.memory_map(str(folder / f"{name}.arrow")) as source:
            tables[name] = pa.ipc.open_file(source).read_all()
    return tables
