"""A fresh incident for each candidate: a cohort created with variants draws and verifies
one variant of its scenario per candidate (drills/library/variants.py: the causal check, the expert
and naive paths replayed into their bands, the difficulty in the scenario's band), in the
background, one at a time, then opens the candidate's drill on it. A symptom family's
member is drawn the same way (`Preparer.member`) for a candidate of a cohort and for a team
of a team session (drills/console/team.py): the place in the session, under its seed.

Each variant is drawn in a child process (`speechdrill scenario variant`), niced, so that
the pages keep a core. It writes its runs into the console's own disk cache (a run is named
by what it simulates, drills/runs/cache.py: run_key), pruned to the console's size: the
faulty, no-fault and expert runs that verified the draw are the ones the console then warms
and scores against, and are read back instead of simulated a second time. A candidate
whose variant cannot be drawn plays the scenario's own incident (the facilitator's page
says why). A restarted console resumes the preparation of every candidate still without
a drill; a candidate is prepared once, whoever finishes first (the store's write is
conditional)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drills.console.store import Candidate, Cohort, Store
from drills.library.family import find_family, session_seed
from drills.library.scenario import LoadedScenario, load_scenario, resolve_scenario
from drills.play.journal import Journal

VARIANT_TIMEOUT_S = 900  # a variant redrawn several times on a busy host, and then some


def first_seed(cohort: Cohort) -> int:
    """Seeds differ between cohorts (from the cohort's random id) and between candidates
    (consecutive from there), so no two candidates of a session share an incident."""
    return session_seed(cohort.id)


class Preparer:
    def __init__(
        self,
        store: Store,
        journal: Journal,
        on_ready: Callable[[LoadedScenario], None],
        verify: bool = True,
        cache: tuple[Path, int] | None = None,
    ) -> None:
        """`cache`: the console's disk cache of runs (its folder, and the runs it keeps),
        which the draws write into; None: each draw simulates into a folder of its own."""
        self.store, self.journal, self.on_ready, self.verify = store, journal, on_ready, verify
        self.cache = cache
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._one_member = threading.Lock()  # teams' members are drawn one at a time

    def pending(self, cohort: Cohort) -> list[Candidate]:
        return [who for who in self.store.candidates(cohort.id) if not who.session]

    def start(self, cohort: Cohort) -> None:
        """Prepare the cohort's candidates still without a drill (once at a time)."""
        with self._lock:
            if cohort.id in self._running or not self.pending(cohort):
                return
            self._running.add(cohort.id)
        threading.Thread(target=self._run, args=(cohort,), daemon=True).start()

    def _run(self, cohort: Cohort) -> None:
        try:
            seed = first_seed(cohort)
            # a symptom family draws each candidate's member from (cohort seed, index):
            # drills/library/family.py `assign`, balanced across the cohort
            family = find_family(cohort.scenario) is not None
            for index, who in enumerate(self.store.candidates(cohort.id)):
                if not who.session:
                    if family:
                        drawn = self.member(cohort.scenario, seed, index, cohort.id)
                        self._open(cohort, who, *drawn)
                    else:
                        self._prepare_or_fall_back(cohort, who, seed + index)
        finally:
            with self._lock:
                self._running.discard(cohort.id)

    def _folder(self, session: str) -> Path:
        """A folder of its own per attempt: two consoles preparing one candidate (or team)
        never write into each other's draw."""
        return self.store.root.resolve() / "variants" / session / uuid.uuid4().hex[:8]

    def _prepare_or_fall_back(self, cohort: Cohort, who: Candidate, seed: int) -> None:
        try:
            self.prepare_one(cohort, who, seed)
        except Exception as exc:  # one candidate's failure stops no other
            why = f"seed {seed}: could not prepare a variant ({type(exc).__name__}: {exc})"
            self._open(cohort, who, None, f"{why}; the scenario's own incident")

    def prepare_one(self, cohort: Cohort, who: Candidate, seed: int) -> None:
        drawn = draw(cohort.scenario, seed, self._folder(cohort.id), self.verify, cache=self.cache)
        usable = drawn.get("ok") or (not self.verify and "folder" in drawn)
        folder, note = Path(drawn["folder"]) if usable else None, summary(drawn, seed)
        self._open(cohort, who, folder, note)

    def member(self, family: str, seed: int, place: int, session: str) -> tuple[Path, str]:
        """The member of `family` that place `place` of a session seeded `seed` plays,
        drawn under variants/<session>/ and verified like a variant: its folder, and the
        note the facilitator reads. A family has no incident of its own to fall back on:
        where no verified draw comes, the same member is rendered unverified and the note
        says so."""
        try:
            drawn = draw(family, seed, self._folder(session), self.verify, place, self.cache)
        except Exception as exc:  # one draw's failure stops no other
            why = f"seed {seed}: could not prepare a variant ({type(exc).__name__}: {exc})"
            note = f"{why}; their member, not verified"
            return self._unverified_member(family, seed, place, session), note
        if drawn.get("ok") or (not self.verify and "folder" in drawn):
            return Path(drawn["folder"]), summary(drawn, seed)
        note = f"seed {seed}/{place}: no verified draw; their member, not verified"
        return self._unverified_member(family, seed, place, session), note

    def _unverified_member(self, family_id: str, seed: int, place: int, session: str) -> Path:
        from drills.library.family import load_family, resolve_family
        from drills.library.family_verify import instantiate

        family = load_family(resolve_family(family_id))
        return instantiate(family, seed, place, self._folder(session), verify=False).folder

    def start_member(
        self, key: str, family: str, seed: int, place: int, drawn: Callable[[Path, str], None]
    ) -> None:
        """Draw a family's member for one place of a session in the background (once at a
        time per `key`: a team drill's id; one draw at a time, as a cohort's candidates
        are, so that verifying them keeps a core for the drills being played), then hand
        its folder and note to `drawn`."""
        with self._lock:
            if key in self._running:
                return
            self._running.add(key)

        def run() -> None:
            try:
                with self._one_member:
                    drawn(*self.member(family, seed, place, key))
            finally:
                with self._lock:
                    self._running.discard(key)

        threading.Thread(target=run, daemon=True).start()

    def _open(self, cohort: Cohort, who: Candidate, folder: Path | None, note: str) -> None:
        """The candidate's drill on their variant (or the scenario's own incident)."""
        target = str(folder) if folder is not None else cohort.scenario
        session = self.journal.create(target, who.name).id
        if self.store.prepared(who.token, session, str(folder or ""), note):
            self.on_ready(load_scenario(resolve_scenario(target)))


def draw(
    scenario_id: str,
    seed: int,
    out: Path,
    verify: bool,
    candidate: int | None = None,
    cache: tuple[Path, int] | None = None,
) -> dict[str, Any]:
    """One verified variant, drawn by `speechdrill scenario variant` in a niced child
    (its own process group, killed whole past the time limit); for a symptom family,
    candidate `candidate` of the cohort seeded `seed` (their member). Its runs go into
    `cache` (a run cache's folder and how many runs it keeps: the console's own), else
    into a temporary folder removed afterwards."""
    command = ["nice", "-n", "10", sys.executable, "-m", "drills", "scenario", "variant"]
    command += [scenario_id, "--seed", str(seed), "--out", str(out), "--json"]
    command += [] if verify else ["--no-verify"]
    command += [] if candidate is None else ["--candidate", str(candidate)]
    with tempfile.TemporaryDirectory(prefix="speechdrill-variant-") as scratch:
        env = {**os.environ, "SPEECHDRILL_CACHE": scratch}
        if cache is not None:
            env |= {"SPEECHDRILL_CACHE": str(cache[0]), "SPEECHDRILL_CACHE_KEEP": str(cache[1])}
        try:
            child = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        try:
            stdout, stderr = child.communicate(timeout=VARIANT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return {"ok": False, "error": f"no variant within {VARIANT_TIMEOUT_S} s"}
    try:
        found = json.loads(stdout)
    except json.JSONDecodeError:
        tail = stderr.strip().splitlines()[-1:] or [f"exit {child.returncode}"]
        return {"ok": False, "error": tail[0][:200]}
    return dict(found[0]) if isinstance(found, list) and found else {"ok": False}


def summary(drawn: dict[str, Any], seed: int) -> str:
    """What the facilitator sees of a candidate's variant."""
    if "params" not in drawn:
        return f"seed {seed}: no variant ({drawn.get('error', 'failed')}); the scenario's own"
    params = ", ".join(f"{k}={v}" for k, v in drawn["params"].items())
    if drawn.get("member"):  # a symptom family's draw: the facilitator's cohort groups by it
        params = f"member {drawn['member']} · {params}"
    if not drawn.get("ok") and drawn.get("checks"):
        return f"seed {seed}: no verified variant after redraws; the scenario's own incident"
    difficulty = drawn.get("difficulty") or {}
    band = f"{difficulty['band']} ({difficulty['points']})" if difficulty else "not verified"
    return f"seed {seed} · {band} · {params}"
