"""What a run did to users and to the bill, over the scoring window: SLO burn (by request
kind), spend, and how much of an incident's key signal is left.

A request counts against its SLO when it failed, missed a latency target of its kind, or
was served by a pool whose model cannot serve its kind (a transcription answered by a
speech synthesiser is no answer, however fast)."""

from __future__ import annotations

import copy
from typing import Protocol

import numpy as np
import pandas as pd

from drills.judge.signals import select, series
from drills.library.scenario import AnswerKey, LoadedScenario, Signal
from simulator.spec.fleet import FAMILIES, Fleet
from simulator.spec.timeline import TimelineEvent, set_path
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


# a request whose recognition came back clearly worse than the no-action run gave it: its
# WER proxy up by a quarter (and a point), or its confidence down by five points
WORSE_WER_REL, WORSE_WER_ABS, WORSE_CONFIDENCE = 0.25, 0.01, 0.05


def quality_worse(tel: Telemetry, base: Telemetry, window: tuple[float, float]) -> np.ndarray:
    """Per user request in the window (as `slo_misses` orders them): did it come back with
    clearly worse quality than in `base`, the same request in another run? Runs of one
    scenario share their requests (the same arrivals, the same seed), row for row."""
    rows, base_rows = user_requests(tel, window), user_requests(base, window)
    worse = np.zeros(len(rows), dtype=bool)
    if not np.array_equal(rows, base_rows):
        return worse
    for column, limit in (("wer_proxy", None), ("confidence", WORSE_CONFIDENCE)):
        mine = tel.requests[column].to_numpy(dtype=float)[rows]
        theirs = base.requests[column].to_numpy(dtype=float)[rows]
        both = np.isfinite(mine) & np.isfinite(theirs)
        if limit is None:
            worse |= both & (mine > theirs * (1 + WORSE_WER_REL) + WORSE_WER_ABS)
        else:
            worse |= both & (mine < theirs - limit)
    return worse


def wrong_model_share(
    tel: Telemetry, window: tuple[float, float], fleet: Fleet, since_first: bool = False
) -> dict[str, float]:
    """Share of each kind's user requests in the window served by a model that cannot
    serve that kind (`since_first`: counted from the first such request on)."""
    rows = user_requests(tel, window)
    kinds = _labels(tel.requests["kind"], rows)
    wrong = wrong_model(fleet, kinds, _labels(tel.requests["pool"], rows))
    if since_first and wrong.any():
        arrival = tel.requests["arrival_s"].to_numpy()[rows]
        later = arrival >= arrival[wrong].min()
        kinds, wrong = kinds[later], wrong[later]
    return {str(k): float(wrong[kinds == k].mean()) for k in np.unique(kinds)}


def concerned_kinds(scenario: LoadedScenario, key: AnswerKey, none: Telemetry) -> set[str]:
    """The request kinds the key's focus signals are about: the kinds of the requests in a
    signal's focus (in the no-action run), a pool's kind for a signal on a pool, a kind
    named in a label; every kind where a signal says nothing narrower."""
    family = serving_families(scenario.fleet)
    out: set[str] = set()
    for signal in (s for s in key.signals if s.focus):
        wanted = {**signal.filter, **signal.focus}
        values = [v for v in wanted.values() for v in ([v] if isinstance(v, str) else v)]
        named = {family[v.split("=", 1)[-1]] for v in values if v.split("=", 1)[-1] in family}
        named |= {v.split("=", 1)[-1] for v in values if v.split("=", 1)[-1] in FAMILIES}
        if signal.table == "requests" and not named:
            start, end = signal.window_s or (0.0, none.duration_s)
            rows = none.requests[
                (none.requests["arrival_s"] >= start) & (none.requests["arrival_s"] < end)
            ]
            named = {str(k) for k in select(rows, wanted)["kind"].unique()}
        out |= named or set(FAMILIES)
    return out


def fleet_after(fleet: Fleet, timeline: list[TimelineEvent]) -> Fleet:
    """The fleet once every event of a timeline has happened (whose pools serve what)."""
    out = copy.deepcopy(fleet)
    for event in sorted(timeline, key=lambda e: e.at_s):
        for path, value in event.set.items():
            set_path(out, path, value)
    return out


def spend(tel: Telemetry, window: tuple[float, float]) -> float:
    m = tel.metrics
    m = m[(m["name"] == "cost_usd_per_hour") & (m["t_s"] >= window[0]) & (m["t_s"] < window[1])]
    per_time = m.groupby("t_s")["value"].sum()
    return float(per_time.mean() * (window[1] - window[0]) / 3600.0) if len(per_time) else 0.0
