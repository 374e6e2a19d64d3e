"""The drill console under a cohort: a real `speechdrill serve` process on 127.0.0.1 and N
candidates playing at once, each in its own thread of this process with a think time
between moves (the server runs apart, so the load generator never shares its cores'
interpreter lock).

Per move kind, the p50 and p95 of the server's answer as the browser gets it (the POST and
the page it redirects to), against the targets (a look or query ≤ 300 ms p95, an action
≤ 2 s p95), and the server's memory per session. The first look after an action is timed
apart: it waits for the action's re-simulation (started in the background when the action
was confirmed), so its figure is the action's true cost to the candidate.

`console_isolation` adds the hostile load of issue 37: one candidate sends only queries
that run into the sandbox's time limit and then concludes with every free-text field at
its limit, while a facilitator reloads the cohort report; the figures are the other
candidates'. Its capacity figure is the server's CPU time (its own and its workers', all
processes) per move and per candidate: what one core can carry at a candidate's pace.
Bounded: N × moves requests, all local.

The facilitator's pages are timed too, each the first load of its moment: the cohort page
and the cohort report while the candidates play (no drill finished: nothing to score), and
after every candidate has concluded (each finished drill scored once, in the background,
when it finished), against a 2 s target for a cohort of 20."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCENARIO = "gpu-cost-no-traffic"
TARGET_S = {
    "look": 0.3,
    "query": 0.3,
    "act": 2.0,
    "look_after_act": 2.0 + 3.0,
    "conclude": 2.0,
}
PAGE_TARGET_S = 2.0  # a facilitator's page, first load, cohort of 20
PLAN = [
    ("look", {"panel": "traffic"}),
    ("look", {"panel": "cost-by-pool"}),
    ("query", {"sql": "SELECT kind, device, count(*) AS n FROM requests GROUP BY ALL"}),
    ("look", {"panel": "latency-by-kind"}),
    ("query", {"sql": "SELECT pool, tags, count(*) AS n FROM requests GROUP BY ALL"}),
    ("act", {"action": "rollback", "args": "target=pools.embed-cpu", "confirm": "yes"}),
    ("look_after_act", {"panel": "cost-by-pool"}),
    ("look", {"panel": "replicas"}),
]
CONCLUDE = (
    "conclude",
    {
        "cause": "embedding requests fell back to the GPU pool after a routing change",
        "mitigations": "roll back the embed route to the CPU pool",
        "prevention": "alert on cost per request by device",
    },
)
# a query that runs until the sandbox's time limit stops it (a self-join of every request)
LIMIT_QUERY = (
    "SELECT count(*) AS n FROM requests a, requests b "
    "WHERE a.latency_ms + b.latency_ms < -1 + a.audio_s * b.audio_s"
)
# a conclusion with every free-text field as long as the console accepts
LONG = {"cause": 2000, "line": 500, "lines": 20, "notes": 5000}
HOSTILE_QUERIES = 11  # 22 of the 25 clock minutes
# a candidate's drill as the capacity figure assumes it: 20 looks and queries and 3 actions
# over 30 minutes of wall time (the 25-minute incident clock, thinking time between moves)
DRILL = {"looks": 20, "actions": 3, "wall_s": 30 * 60.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    ft: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds of the server and every process under it, live or reaped (each
        process's own time and its reaped children's), by job: re-simulation (the
        simulation host and the runs it forks), SQL (the sandboxes) and the server itself
        (pages, scoring, and any helper it reaped)."""
        import psutil

        root = psutil.Process(self.process.pid)
        out = {"server": sum(root.cpu_times()[:4]), "resimulation": 0.0, "sql": 0.0}
        for child in root.children(recursive=False):
            with contextlib.suppress(psutil.Error):
                command = " ".join(child.cmdline())
                job = "resimulation" if "host_process" in command else "server"
                job = "sql" if "sql_child" in command else job
                out[job] += sum(child.cpu_times()[:4])
                for grandchild in child.children(recursive=True):
                    out[job] += sum(grandchild.cpu_times()[:4])
        return out

    def rss_mb(self) -> float:
        import psutil

        root = psutil.Process(self.process.pid)
        return float(root.memory_info().rss / 2**20)


@contextlib.contextmanager
def served(home: str) -> Iterator[Server]:
    """`speechdrill serve` on a free local port with its own home; stopped on exit."""
    port = _free_port()
    env = {**os.environ, "SPEECHDRILL_HOME": home, "SPEECHDRILL_CACHE": f"{home}/runs"}
    command = [sys.executable, "-m", "drills", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"/f/(\S+)", line)
    assert found is not None, f"the server did not start: {line}"
    server = Server(f"http://127.0.0.1:{port}", found.group(1), process)
    reader = threading.Thread(target=_drain, args=(process, server.log), daemon=True)
    reader.start()
    _wait_listening(port)
    try:
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _drain(process: subprocess.Popen[str], log: list[str]) -> None:
    assert process.stdout is not None
    log.extend(process.stdout)


def _wait_listening(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the server never listened")


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def _cohort(server: Server, candidates: int, box_min: float) -> tuple[str, list[str]]:
    """A cohort created through the facilitator's form; its page's id and the join tokens
    in name order, once the page says the links can go out."""
    import httpx

    ft = server.ft
    with httpx.Client(base_url=server.base, timeout=120, follow_redirects=True) as client:
        names = "\n".join(f"candidate {i:02d}" for i in range(candidates))
        form = {"scenario": SCENARIO, "candidates": names, "time_box_min": f"{box_min:g}"}
        csrf = _csrf(client.get(f"/f/{ft}").text)
        page = client.post(f"/f/{ft}/cohorts", data={"csrf": csrf, **form})
        cohort = page.url.path.rsplit("/", 1)[1]
        while "<strong>ready</strong>" not in page.text:
            time.sleep(0.5)
            page = client.get(f"/f/{ft}/cohort/{cohort}")
    return cohort, re.findall(r"/c/([\w-]+)\" class=\"join\"", page.text)


Timings = dict[str, list[float]]


def _post(client: Any, token: str, csrf: str, kind: str, fields: dict[str, str]) -> float:
    start = time.perf_counter()
    move = {"csrf": csrf, "kind": kind.removesuffix("_after_act"), **fields}
    answer = client.post(f"/c/{token}/move", data=move)
    elapsed = time.perf_counter() - start
    if answer.status_code != 200:
        alert = re.search(r"role=\"alert\">([^<]*)", answer.text)
        shown = alert.group(1) if alert else answer.text[:300]
        raise RuntimeError(f"{kind}: {answer.status_code} {shown}")
    return elapsed


def _play(
    base: str,
    index: int,
    token: str,
    think_s: tuple[float, float],
    timings: Timings,
    lock: threading.Lock,
    conclude: bool,
) -> None:
    """One candidate's drill, a think time before each move; each answer's time kept."""
    import httpx

    rng = np.random.default_rng(index)
    with httpx.Client(base_url=base, timeout=300, follow_redirects=True) as client:
        csrf = _csrf(client.get(f"/c/{token}").text)
        # 0-3 extra looks and 0-4 extra queries first: each of 20 candidates walks its
        # own clock, so their looks, actions and runs differ (no two share a path)
        extra_query = ("query", {"sql": "SELECT status, count(*) AS n FROM requests GROUP BY ALL"})
        wander = [("look", {"panel": "errors"})] * (index % 4) + [extra_query] * (index // 4 % 5)
        for kind, fields in wander + PLAN + ([CONCLUDE] if conclude else []):
            time.sleep(float(rng.uniform(*think_s)))
            try:
                elapsed = _post(client, token, csrf, kind, fields)
            except RuntimeError as exc:
                if kind == "conclude" and "ended" in str(exc):
                    continue  # the longest path ran out of time before it concluded
                raise
            with lock:
                timings[kind].append(elapsed)


def _hostile(base: str, token: str, timings: Timings, lock: threading.Lock, stop: Any) -> None:
    """Queries that run into the time limit, back to back, until the others are done or
    the time box nearly over (HOSTILE_QUERIES of them at two clock minutes each); then a
    conclusion with every free-text field at its limit."""
    import httpx

    with httpx.Client(base_url=base, timeout=300, follow_redirects=True) as client:
        csrf = _csrf(client.get(f"/c/{token}").text)
        for _ in range(HOSTILE_QUERIES):
            if stop.is_set():
                break
            elapsed = _post(client, token, csrf, "query", {"sql": LIMIT_QUERY})
            with lock:
                timings["hostile_query"].append(elapsed)
        line = "x" * (LONG["line"] - 1)
        fields = {
            "cause": "y " * (LONG["cause"] // 2),
            "mitigations": "\n".join([line] * LONG["lines"]),
            "prevention": "\n".join([line] * LONG["lines"]),
            "notes": "z" * LONG["notes"],
        }
        elapsed = _post(client, token, csrf, "conclude", fields)
        with lock:
            timings["hostile_conclude"].append(elapsed)


def _facilitator(
    server: Server, cohort: str, timings: Timings, lock: threading.Lock, stop: Any
) -> None:
    """The cohort report, reloaded every two seconds while the cohort plays."""
    import httpx

    with httpx.Client(base_url=server.base, timeout=300) as client:
        while not stop.wait(2.0):
            start = time.perf_counter()
            answer = client.get(f"/f/{server.ft}/cohort/{cohort}/report")
            elapsed = time.perf_counter() - start
            assert answer.status_code == 200, answer.text[:300]
            with lock:
                timings["report"].append(elapsed)


def console_latency(
    candidates: int = 20, think_s: tuple[float, float] = (2.0, 5.0)
) -> dict[str, Any]:
    """A cohort playing, nothing else."""
    return _cohort_run(candidates, think_s, hostile=False)


def console_isolation(
    candidates: int = 20, think_s: tuple[float, float] = (2.0, 5.0)
) -> dict[str, Any]:
    """One hostile candidate and a facilitator reloading the report beside the others."""
    return _cohort_run(candidates, think_s, hostile=True)


def _cohort_run(candidates: int, think_s: tuple[float, float], hostile: bool) -> dict[str, Any]:
    home = tempfile.mkdtemp(prefix="speechdrill-console-bench-")
    try:
        return _cohort_in(home, candidates, think_s, hostile)
    finally:
        shutil.rmtree(home, ignore_errors=True)  # a cohort's runs: gigabytes


def _cohort_in(
    home: str, candidates: int, think_s: tuple[float, float], hostile: bool
) -> dict[str, Any]:
    kinds = [*TARGET_S, "hostile_query", "hostile_conclude", "report"]
    timings: Timings = {kind: [] for kind in kinds}
    lock, stop = threading.Lock(), threading.Event()
    with served(home) as server:
        ready_start = time.perf_counter()
        cohort, tokens = _cohort(server, candidates, 25.0)
        ready_s = time.perf_counter() - ready_start
        rss_before, cpu_before = server.rss_mb(), server.cpu_s()
        players = [
            threading.Thread(
                target=_play,
                args=(server.base, i, t, think_s, timings, lock, hostile),
            )
            for i, t in enumerate(tokens)
            if not (hostile and i == 0)
        ]
        extra = []
        if hostile:
            extra = [
                threading.Thread(
                    target=_hostile, args=(server.base, tokens[0], timings, lock, stop)
                ),
                threading.Thread(target=_facilitator, args=(server, cohort, timings, lock, stop)),
            ]
        start = time.perf_counter()
        for t in players + extra:
            t.start()
        pages: dict[str, Any] = {}
        if not hostile:  # every candidate under way, none finished
            time.sleep(think_s[1])
            pages |= _facilitator_pages(server, cohort, "while_playing")
        for t in players:
            t.join()
        stop.set()
        for t in extra:
            t.join()
        wall = time.perf_counter() - start
        if not hostile:
            _all_scored(server, cohort)
            pages |= _facilitator_pages(server, cohort, "all_concluded")
        after = server.cpu_s()
        cpu = {job: after[job] - cpu_before[job] for job in after}
        rss = server.rss_mb() - rss_before
        tracebacks = sum("Traceback" in line for line in server.log)
    return (
        _figures(timings)
        | pages
        | {
            "candidates": candidates,
            "moves": sum(len(v) for k, v in timings.items() if k != "report"),
            "cohort_ready_s": ready_s,
            "wall_s": wall,
            "server_rss_growth_mb_per_session": rss / candidates,
            **_capacity(timings, cpu),
            "cores": os.cpu_count() or 1,
            "load_avg_1m": os.getloadavg()[0],
            "server_log_tracebacks": tracebacks,
        }
    )


def _facilitator_pages(server: Server, cohort: str, moment: str) -> dict[str, Any]:
    """The first load of the cohort page and of the cohort report, as the browser gets them."""
    import httpx

    out: dict[str, Any] = {}
    with httpx.Client(base_url=server.base, timeout=300) as client:
        for name, url in (
            ("cohort_page_s", f"/f/{server.ft}/cohort/{cohort}"),
            ("report_s", f"/f/{server.ft}/cohort/{cohort}/report"),
        ):
            start = time.perf_counter()
            answer = client.get(url)
            seconds = time.perf_counter() - start
            assert answer.status_code == 200, answer.text[:300]
            out[f"{name}_{moment}"] = seconds
            out[f"{name}_{moment}_within_target"] = seconds <= PAGE_TARGET_S
    return out


def _all_scored(server: Server, cohort: str, limit_s: float = 600.0) -> None:
    """Wait for the background scoring of the finished drills (started as each concluded):
    the report's first load after the cohort is over reads them."""
    import httpx

    deadline = time.monotonic() + limit_s
    with httpx.Client(base_url=server.base, timeout=300) as client:
        while "being scored" in client.get(f"/f/{server.ft}/cohort/{cohort}/report").text:
            if time.monotonic() > deadline:
                raise RuntimeError("the finished drills were not scored in time")
            time.sleep(0.5)


def _capacity(timings: Timings, cpu: dict[str, float]) -> dict[str, float]:
    """CPU per action (every re-simulation of the run, the scores' own runs included,
    charged to the actions) and per other move or page (the server and the sandboxes),
    and what one core carries of DRILL-shaped drills at once."""
    acts = max(1, len(timings["act"]))
    pages = max(1, sum(len(v) for k, v in timings.items() if k not in ("act",)))
    per_act = cpu["resimulation"] / acts
    per_page = (cpu["server"] + cpu["sql"]) / pages
    per_drill = DRILL["looks"] * per_page + DRILL["actions"] * per_act
    return {
        "cpu_s_resimulation": cpu["resimulation"],
        "cpu_s_sql": cpu["sql"],
        "cpu_s_server": cpu["server"],
        "cpu_s_per_action": per_act,
        "cpu_ms_per_look_or_page": 1000 * per_page,
        "cpu_s_per_drill": per_drill,
        "capacity_candidates_per_core": DRILL["wall_s"] / max(1e-9, per_drill),
    }


def _figures(timings: Timings) -> dict[str, Any]:
    """p50 and p95 per kind of move, each p95 against its target where it has one."""
    out: dict[str, Any] = {}
    for kind, values in timings.items():
        if not values:
            continue
        out[f"{kind}_n"] = len(values)
        out[f"{kind}_p50_s"] = statistics.median(values)
        out[f"{kind}_p95_s"] = float(np.percentile(values, 95))
        if kind in TARGET_S:
            out[f"{kind}_p95_within_target"] = out[f"{kind}_p95_s"] <= TARGET_S[kind]
    return out


if __name__ == "__main__":
    import json

    which = console_isolation if "--isolation" in sys.argv else console_latency
    print(json.dumps(which(int(os.environ.get("CANDIDATES", "20"))), indent=2))
