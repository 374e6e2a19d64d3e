"""A hand-written heapq event loop for M/M/c — the speed yardstick for the SimPy engine.

It records the same telemetry the engine records for a request (router time, enqueue
time, pool, route, batch row with start/end/cost, completion time and status), so the
comparison charges both sides for observing what they simulate.
"""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np


def heapq_mmc(
    arrivals: np.ndarray, service: np.ndarray, servers: int, price_per_s: float = 0.0
) -> dict[str, object]:
    """FIFO c-server queue; arrivals sorted; service[i] is customer i's service time."""
    n = len(arrivals)
    enqueue = np.full(n, np.nan)
    done = np.full(n, np.nan)
    status = np.zeros(n, dtype=np.int8)
    pool = np.full(n, -1, dtype=np.int16)
    route = np.full(n, -1, dtype=np.int16)
    batch_id = np.full(n, -1, dtype=np.int32)
    batches: list[tuple[int, int, int, int, int, float, float, float, float, float]] = []
    events: list[tuple[float, int, int]] = []  # (time, 0 departure / 1 arrival, customer)
    arrival_list, service_list = arrivals.tolist(), service.tolist()
    push, pop = heapq.heappush, heapq.heappop
    if n:
        push(events, (arrival_list[0], 1, 0))
    queue: deque[int] = deque()
    busy = 0

    def start(i: int, t: float) -> None:
        s = service_list[i]
        batch_id[i] = len(batches)
        batches.append((0, 0, 0, 1, 1, 1.0, 1.0, t, t + s, s * price_per_s))
        push(events, (t + s, 0, i))

    while events:
        t, kind, i = pop(events)
        if kind == 1:
            if i + 1 < n:
                push(events, (arrival_list[i + 1], 1, i + 1))
            enqueue[i] = t
            pool[i] = 0
            route[i] = 0
            if busy < servers:
                busy += 1
                start(i, t)
            else:
                queue.append(i)
        else:
            done[i] = t
            status[i] = 1
            if queue:
                start(queue.popleft(), t)
            else:
                busy -= 1
    return {
        "enqueue_s": enqueue,
        "done_s": done,
        "status": status,
        "pool": pool,
        "route": route,
        "batch_id": batch_id,
        "batches": batches,
    }
