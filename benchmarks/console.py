"""The drill console under a cohort: a real server on 127.0.0.1 (uvicorn, one process) and
N candidates playing at once, each in its own thread with a think time between moves.

Per move kind, the p50 and p95 of the server's answer as the browser gets it (the POST and
the page it redirects to), against the targets (a look or query ≤ 300 ms p95, an action
≤ 2 s p95), and the server's memory per session. The first look after an action is timed
apart: it waits for the action's re-simulation (started in the background when the action
was confirmed), so its figure is the action's true cost to the candidate. Bounded: N ×
MOVES requests, all local.

The facilitator's pages are timed too, each the first load of its moment: the cohort page
and the cohort report while the candidates play (no drill finished: nothing to score), and
after every candidate has concluded (each finished drill scored once, in the background,
when it finished), against a 2 s target for a cohort of 20."""

from __future__ import annotations

import os
import re
import resource
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

SCENARIO = "gpu-cost-no-traffic"
TARGET_S = {"look": 0.3, "query": 0.3, "act": 2.0, "look_after_act": 2.0 + 3.0, "conclude": 2.0}
PAGE_TARGET_S = 2.0  # a facilitator's page, first load, cohort of 20
PLAN = [
    ("look", {"panel": "traffic"}),
    ("look", {"panel": "cost-by-pool"}),
    ("query", {"sql": "SELECT kind, device, count(*) AS n FROM requests GROUP BY ALL"}),
    ("look", {"panel": "latency-by-kind"}),
    ("query", {"sql": "SELECT pool, tags, count(*) AS n FROM requests GROUP BY ALL"}),
    ("act", {"action": "rollback", "args": "target=pools.embed-cpu", "confirm": "yes"}),
    ("look_after_act", {"panel": "cost-by-pool"}),
    # the longest wander (3 looks, 4 queries) and this plan end at minute 24: all conclude
    ("conclude", {"cause": "embeddings fell back to the GPU pool", "prevention": "cost alert"}),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def console_latency(
    candidates: int = 20, think_s: tuple[float, float] = (2.0, 5.0)
) -> dict[str, Any]:
    from drills.console.app import create_app

    home = tempfile.mkdtemp(prefix="speechdrill-console-bench-")
    os.environ["SPEECHDRILL_CACHE"] = os.path.join(home, "runs")
    app = create_app(Path(home))
    c = app.state.console
    server, base = _serve(app)
    members = _cohort(base, c, candidates)
    before = _rss_mb()
    # the facilitator hands out the links once the cohort is ready: its run simulated and
    # the panels at the page run (about 5 s after creating it here)
    first = c.drills.get(members[0].session)
    ready_start = time.perf_counter()
    c.drills.warm(first, first.scenario.timeline, prime=True)
    ready_s = time.perf_counter() - ready_start
    timings: dict[str, list[float]] = {kind: [] for kind in TARGET_S}
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_play, args=(base, i, m.token, think_s, timings, lock))
        for i, m in enumerate(members)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(think_s[1])  # every candidate under way, none finished
    pages = {f"{k}_while_playing": v for k, v in _facilitator_pages(base, c).items()}
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    _scored(c, members)
    pages |= {f"{k}_all_concluded": v for k, v in _facilitator_pages(base, c).items()}
    server.should_exit = True
    pages |= {f"{k}_within_target": v <= PAGE_TARGET_S for k, v in pages.items()}
    return (
        _figures(timings, candidates)
        | pages
        | {
            "cohort_ready_s": ready_s,
            "wall_s": wall,
            "server_rss_growth_mb_per_session": (_rss_mb() - before) / candidates,
        }
    )


def _facilitator_pages(base: str, console: Any) -> dict[str, float]:
    """The first load of the cohort page and of the cohort report, as the browser gets them."""
    import httpx

    ft = console.store.facilitator_token
    cohort = console.store.cohorts()[0].id
    out = {}
    with httpx.Client(base_url=base, timeout=300) as client:
        for name, url in (
            ("cohort_page_s", f"/f/{ft}/cohort/{cohort}"),
            ("report_s", f"/f/{ft}/cohort/{cohort}/report"),
        ):
            start = time.perf_counter()
            answer = client.get(url)
            out[name] = time.perf_counter() - start
            assert answer.status_code == 200, answer.text[:300]
    return out


def _scored(console: Any, members: list[Any], limit_s: float = 600.0) -> None:
    """Wait for the background scoring of the finished drills (started as each concluded):
    the report's first load after the cohort is over reads them."""
    deadline = time.monotonic() + limit_s
    while any(m.session not in console.scores for m in members):
        if time.monotonic() > deadline:
            raise RuntimeError("the finished drills were not scored in time")
        time.sleep(0.5)


def _serve(app: Any) -> tuple[Any, str]:
    """The console on a free local port, in a thread; the server and its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def _cohort(base: str, console: Any, candidates: int) -> list[Any]:
    """A cohort of this many candidates created through the facilitator's form."""
    import httpx

    ft = console.store.facilitator_token
    with httpx.Client(base_url=base, timeout=120) as client:
        names = "\n".join(f"candidate {i:02d}" for i in range(candidates))
        form = {"scenario": SCENARIO, "candidates": names, "time_box_min": "25"}
        client.post(f"/f/{ft}/cohorts", data={"csrf": _csrf(client.get(f"/f/{ft}").text), **form})
    return list(console.store.candidates(console.store.cohorts()[0].id))


def _play(
    base: str,
    index: int,
    token: str,
    think_s: tuple[float, float],
    timings: dict[str, list[float]],
    lock: threading.Lock,
) -> None:
    """One candidate's drill, a think time before each move; each answer's time kept."""
    import httpx

    rng = np.random.default_rng(index)
    with httpx.Client(base_url=base, timeout=120, follow_redirects=True) as client:
        csrf = _csrf(client.get(f"/c/{token}").text)
        # 0-3 extra looks and 0-4 extra queries first: each of 20 candidates walks its
        # own clock, so their looks, actions and runs differ (no two share a path)
        extra_query = ("query", {"sql": "SELECT status, count(*) AS n FROM requests GROUP BY ALL"})
        wander = [("look", {"panel": "errors"})] * (index % 4) + [extra_query] * (index // 4 % 5)
        for kind, fields in wander + PLAN:
            time.sleep(float(rng.uniform(*think_s)))
            start = time.perf_counter()
            move = {"csrf": csrf, "kind": kind.removesuffix("_after_act"), **fields}
            answer = client.post(f"/c/{token}/move", data=move)
            elapsed = time.perf_counter() - start
            if answer.status_code != 200:
                alert = re.search(r"role=\"alert\">([^<]*)", answer.text)
                shown = alert.group(1) if alert else answer.text[:300]
                raise RuntimeError(f"{kind}: {answer.status_code} {shown}")
            with lock:
                timings[kind].append(elapsed)


def _figures(timings: dict[str, list[float]], candidates: int) -> dict[str, Any]:
    """p50 and p95 per kind of move, each p95 against its target."""
    out: dict[str, Any] = {"candidates": candidates, "moves": sum(map(len, timings.values()))}
    for kind, values in timings.items():
        out[f"{kind}_p50_s"] = statistics.median(values)
        out[f"{kind}_p95_s"] = float(np.percentile(values, 95))
        out[f"{kind}_p95_within_target"] = out[f"{kind}_p95_s"] <= TARGET_S[kind]
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(console_latency(int(os.environ.get("CANDIDATES", "20"))), indent=2))
