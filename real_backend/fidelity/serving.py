"""The real server's side: a warmed server for a case, and a replay bracketed by speed
probes (the machine's speed during the run)."""

from __future__ import annotations

import numpy as np

from real_backend.fidelity.cases import REPLICA_CORE, THREADS, Case
from real_backend.server import BatchingServer, Records, ServerConfig, replay

_WARMED: dict[str, bool] = {}  # families whose every length bucket this process has run


def server_for(case: Case) -> BatchingServer:
    """A fresh server with the case's batching, one thread on the replica's core. The
    first one of a family in this process runs every length bucket once (kernels are built
    once per process and shape); later ones warm up on the longest only."""
    config = ServerConfig(
        case.max_batch,
        case.max_wait_ms,
        threads=THREADS,
        length_bucket_s=case.bucket_s,
        cores=REPLICA_CORE,
    )
    server = BatchingServer(case.family, config, max_length=case.max_s)
    if not _WARMED.get(case.family):
        server.warm_up(server.bucket_lengths(case.max_s))
        _WARMED[case.family] = True
    else:
        server.warm_up([case.max_s])
    return server


def probed_replay(
    case: Case, arrivals: np.ndarray, lengths: np.ndarray, limit_s: float = 600.0
) -> tuple[Records, float]:
    """Replay on a fresh server with a speed probe just before and after: the machine's
    speed during the run (ms of the probe batch) as well as the records."""
    server = server_for(case)
    before = server.probe(case.median_s)
    records = replay(server, arrivals, lengths, limit_s)
    return records, (before + server.probe(case.median_s)) / 2


def throughput(records: Records) -> float:
    """Completed requests per second of the span from the first batch start to the last end."""
    ok = records.status == "ok"
    span = float(records.end_s[ok].max() - records.start_s[ok].min()) if ok.any() else 0.0
    return float(ok.sum()) / span if span > 0 else 0.0
