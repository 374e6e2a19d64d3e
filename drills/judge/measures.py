"""What a run did to users and to the bill, over the scoring window: SLO burn (by request
kind), spend, and how much of an incident's key signal is left.

A request counts against its SLO when it failed, missed a latency target of its kind, or
was served by a pool whose model cannot serve its kind (a transcription answered by a
speech synthesiser is no answer, however fast)."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from drills.judge.signals import series
from drills.library.scenario import AnswerKey, LoadedScenario, Signal
from simulator.spec.fleet import Fleet
from simulator.telemetry.bundle import Telemetry

AFTER_PAGE_S = 25 * 60.0  # how long after the page burn and recovery are measured


class Levels(Protocol):
    """A key signal's level in the reference runs (drills/judge/reference_runs.py)."""

    def level(self, run: str, signal: Signal, window: tuple[float, float]) -> float: ...


def evaluation_window(scenario: LoadedScenario) -> tuple[float, float]:
    start = scenario.spec.clock.start_s
    return start, min(scenario.spec.duration_s, start + AFTER_PAGE_S)


def signal_level(tel: Telemetry, signal: Signal, window: tuple[float, float]) -> float:
    values = series(tel, signal.model_copy(update={"window_s": window}))
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else float("nan")


def impact(
    tel: Telemetry,
    refs: Levels,
    key: AnswerKey,
    window: tuple[float, float],
    only: frozenset[str] | None = None,
) -> float:
    """How much of the unmitigated incident (or of one fault: the signals `only` names) is
    left: 1 = untouched, 0 = as if clean."""
    shares = []
    for signal in key.signals:
        if not signal.focus or (only is not None and signal.id not in only):
            continue
        base = refs.level("clean", signal, window)
        full = refs.level("none", signal, window) - base
        level = signal_level(tel, signal, window)
        if np.isfinite(full) and abs(full) > 1e-12 and np.isfinite(level):
            shares.append(abs(level - base) / abs(full))
    return float(np.mean(shares)) if shares else 1.0


def serving_families(fleet: Fleet) -> dict[str, str]:
    """The request kind each pool's model can serve, by pool."""
    return {name: fleet.models[pool.model].family for name, pool in fleet.pools.items()}


def wrong_model(fleet: Fleet, kinds: np.ndarray, pools: np.ndarray) -> np.ndarray:
    """Requests served by a pool whose model is of another family than their kind (a
    request that was not served has no pool and is judged by its status)."""
    family = serving_families(fleet)
    names, which = np.unique(pools, return_inverse=True)
    served_by = np.array([family.get(str(p), "") for p in names] + [""], dtype=str)[which]
    return (served_by != "") & (served_by != kinds)


def _labels(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """A categorical column's labels for the rows, as text ('' where it has none)."""
    values: pd.Categorical = column.array
    labels = np.append(np.asarray(values.categories, dtype=str), "")
    return labels[values.codes[rows]]  # a missing value's code, -1, picks the ''


def user_requests(tel: Telemetry, window: tuple[float, float]) -> np.ndarray:
    """Rows of user requests (first attempts, not shadow copies) arriving in the window."""
    r = tel.requests
    arrival = r["arrival_s"].to_numpy()
    return np.flatnonzero(
        (arrival >= window[0])
        & (arrival < window[1])
        & (r["attempt"].to_numpy() == 1)
        & (r["status"].to_numpy() != "shadow")
    )


def slo_misses(
    scenario: LoadedScenario,
    tel: Telemetry,
    window: tuple[float, float],
    fleet: Fleet | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(kind, missed) per user request arriving in the window: missed an SLO, failed, or
    was served by a model that cannot serve its kind (`fleet`: the pools as they stood; the
    scenario's fleet by default, whose pools keep their model unless a move changes it)."""
    r = tel.requests
    rows = user_requests(tel, window)
    bad = r["status"].to_numpy()[rows] != "ok"
    kinds = _labels(r["kind"], rows)
    bad |= wrong_model(fleet or scenario.fleet, kinds, _labels(r["pool"], rows))

    def over(column: str, target: float) -> np.ndarray:
        return r[column].to_numpy(dtype=float)[rows] > target

    for name, slo in scenario.fleet.slos.items():
        mine = kinds == name
        for column, target in (
            ("latency_ms", slo.p95_ms),
            ("first_partial_ms", slo.first_partial_ms),
            ("first_audio_byte_ms", slo.first_audio_byte_ms),
        ):
            if target is not None and mine.any():
                bad |= mine & over(column, target)
    agent = scenario.fleet.agent
    if agent is not None:
        bad |= over("first_response_ms", agent.first_response_target_ms)
    return kinds, bad


def slo_burn(
    scenario: LoadedScenario,
    tel: Telemetry,
    window: tuple[float, float],
    fleet: Fleet | None = None,
) -> float:
    """Share of user requests in the window that missed an SLO or failed."""
    _, bad = slo_misses(scenario, tel, window, fleet)
    return float(bad.mean()) if len(bad) else 0.0


def slo_burn_by_kind(
    scenario: LoadedScenario,
    tel: Telemetry,
    window: tuple[float, float],
    fleet: Fleet | None = None,
) -> dict[str, float]:
    kinds, bad = slo_misses(scenario, tel, window, fleet)
    return {str(k): float(bad[kinds == k].mean()) for k in np.unique(kinds)}


QUALITY = (("wer_proxy", 1.0), ("confidence", -1.0))  # column, sign of worse


def quality_by_kind(tel: Telemetry, window: tuple[float, float]) -> dict[str, dict[str, float]]:
    """Mean WER proxy and confidence of each kind's served user requests in the window
    (a kind a column does not apply to has none)."""
    r = tel.requests
    rows = user_requests(tel, window)
    kinds = _labels(r["kind"], rows)
    out: dict[str, dict[str, float]] = {}
    for column, _ in QUALITY:
        values = r[column].to_numpy(dtype=float)[rows]
        for kind in np.unique(kinds):
            mine = values[(kinds == kind) & np.isfinite(values)]
            if len(mine):
                out.setdefault(str(kind), {})[column] = float(mine.mean())
    return out


def spend(tel: Telemetry, window: tuple[float, float]) -> float:
    m = tel.metrics
    m = m[(m["name"] == "cost_usd_per_hour") & (m["t_s"] >= window[0]) & (m["t_s"] < window[1])]
    per_time = m.groupby("t_s")["value"].sum()
    return float(per_time.mean() * (window[1] - window[0]) / 3600.0) if len(per_time) else 0.0
