"""What-if sweep speed: serial vs a 2-process pool vs a 2-worker loopback Dask cluster on
the same tasks (identical numbers required), and Dask's overhead per task."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from drills.library.paths import library_root
from drills.library.whatif import load_sweep
from simulator.studies.sweep_run import Executor, run_sweep


def sweep_speedup(duration_s: float = 300.0) -> dict[str, Any]:
    loaded = load_sweep(library_root() / "whatif" / "batching-window.yaml")
    spec = loaded.spec.model_copy(update={"duration_s": duration_s, "seeds": 2})
    sweep = replace(loaded, spec=spec)
    tasks = sweep.tasks()[:12]

    def timed(executor: Executor) -> tuple[float, dict[Any, Any]]:
        start = time.perf_counter()
        runs = run_sweep(sweep, executor, tasks=tasks)
        return time.perf_counter() - start, {(r["point"], r["seed"]): r["metrics"] for r in runs}

    serial_s, serial = timed(Executor("serial"))
    pool_s, pooled = timed(Executor("processes", workers=2))
    results: dict[str, Any] = {
        "tasks": len(tasks),
        "serial_s": serial_s,
        "process_pool_2_s": pool_s,
        "speedup_2_processes": serial_s / pool_s,
        "target_speedup": 1.8,
        "identical_process_pool": pooled == serial,
    }
    try:
        import distributed  # noqa: F401
    except ImportError:
        results["dask"] = "skipped: install the dist extra"
        return results
    dask_s, on_dask = timed(Executor("dask-local", workers=2))
    results.update(
        {
            "dask_local_2_s_including_cluster_start": dask_s,
            "speedup_dask_local_2": serial_s / dask_s,
            "dask_overhead_per_task_s": (dask_s - pool_s) / len(tasks),
            "identical_dask": on_dask == serial,
        }
    )
    return results
