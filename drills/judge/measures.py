"""What a run did to users and to the bill, over the scoring window: SLO burn (by request
kind), spend, and how much of an incident's key signal is left.

A request counts against its SLO when it failed, missed a latency target of its kind, or
was served by a pool whose model cannot serve its kind (a transcription answered by a
speech synthesiser is no answer, however fast)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from drills.judge.signals import select, series
from drills.library.scenario import AnswerKey, LoadedScenario, Signal
from simulator.spec.fleet import FAMILIES, Fleet
from simulator.spec.timeline import TimelineEvent, with_changes
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


def _codes(column: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """A categorical column's codes (-1: no value) and its categories as text."""
    values: pd.Categorical = column.array
    return values.codes, tuple(str(c) for c in values.categories)


def _code(categories: tuple[str, ...], label: str) -> int:
    """The code of a label among categories; -2 (no row's code) where it is not one."""
    return categories.index(label) if label in categories else -2


@dataclass(frozen=True)
class UserRows:
    """The user requests (first attempts, not shadow copies) that arrived in a window:
    their rows of the requests table, and their kinds and pools as the table's category
    codes (comparing small integers, not hundreds of thousands of strings: a score reads
    these a dozen times per run)."""

    rows: np.ndarray
    kind: np.ndarray  # per row, its code among `kinds` (-1: none)
    kinds: tuple[str, ...]
    pool: np.ndarray  # per row, its code among `pools` (-1: not served)
    pools: tuple[str, ...]

    @classmethod
    def of(cls, rows: np.ndarray, kind: pd.Series, pool: pd.Series) -> UserRows:
        """The rows of a table's categorical `kind` and `pool` columns."""
        kind_codes, kinds = _codes(kind)
        pool_codes, pools = _codes(pool)
        return cls(rows, kind_codes[rows], kinds, pool_codes[rows], pools)

    def kind_name(self, code: int) -> str:
        return self.kinds[code] if code >= 0 else ""

    def by_kind(self, flags: np.ndarray, among: np.ndarray | None = None) -> dict[str, float]:
        """The share of each kind's rows (of those `among` selects) that `flags` marks,
        by kind name in name order ('' for requests with no kind)."""
        kind = self.kind if among is None else self.kind[among]
        flags = flags if among is None else flags[among]
        named = sorted((self.kind_name(int(c)), int(c)) for c in np.unique(kind))
        return {name: float(flags[kind == code].mean()) for name, code in named}

    def served_wrongly(self, fleet: Fleet) -> np.ndarray:
        """Requests served by a pool whose model is of another family than their kind (a
        request that was not served has no pool and is judged by its status). On codes:
        each pool's family as a kind code (-1: the pool serves nothing known, -2: a family
        no request here has)."""
        family = serving_families(fleet)
        served = [_code(self.kinds, family[p]) if p in family else -1 for p in self.pools]
        by_pool = np.array([*served, -1])[self.pool]  # a missing pool's -1 picks the last
        return (by_pool != -1) & (by_pool != self.kind)


def user_rows(tel: Telemetry, window: tuple[float, float]) -> UserRows:
    """The run's user requests in the window (computed once per run and window)."""

    def compute() -> UserRows:
        r = tel.requests
        status, statuses = _codes(r["status"])
        arrival = r["arrival_s"].to_numpy()
        rows = np.flatnonzero(
            (arrival >= window[0])
            & (arrival < window[1])
            & (r["attempt"].to_numpy() == 1)
            & (status != _code(statuses, "shadow"))
        )
        found = UserRows.of(rows, r["kind"], r["pool"])
        for array in (found.rows, found.kind, found.pool):
            array.flags.writeable = False  # shared by every reader of this run
        return found

    found: UserRows = tel.remembered(f"user-rows {window[0]!r} {window[1]!r}", compute)
    return found


def user_requests(tel: Telemetry, window: tuple[float, float]) -> np.ndarray:
    """Rows of user requests (first attempts, not shadow copies) arriving in the window."""
    return user_rows(tel, window).rows


def _column(tel: Telemetry, column: str, rows: np.ndarray) -> np.ndarray:
    """A numeric column's values at the rows, as float64."""
    return tel.requests[column].to_numpy()[rows].astype(float)


def slo_misses(
    scenario: LoadedScenario,
    tel: Telemetry,
    window: tuple[float, float],
    fleet: Fleet | None = None,
) -> tuple[UserRows, np.ndarray]:
    """(the user requests arriving in the window, missed per request): missed an SLO,
    failed, or was served by a model that cannot serve its kind (`fleet`: the pools as they
    stood; the scenario's fleet by default, whose pools keep their model unless a move
    changes it)."""
    users = user_rows(tel, window)
    status, statuses = _codes(tel.requests["status"])
    bad = status[users.rows] != _code(statuses, "ok")
    bad |= users.served_wrongly(fleet or scenario.fleet)
    for name, slo in scenario.fleet.slos.items():
        mine = users.kind == _code(users.kinds, name)
        for column, target in (
            ("latency_ms", slo.p95_ms),
            ("first_partial_ms", slo.first_partial_ms),
            ("first_audio_byte_ms", slo.first_audio_byte_ms),
        ):
            if target is not None and mine.any():
                bad |= mine & (_column(tel, column, users.rows) > target)
    agent = scenario.fleet.agent
    if agent is not None:
        bad |= _column(tel, "first_response_ms", users.rows) > agent.first_response_target_ms
    return users, bad


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
    users, bad = slo_misses(scenario, tel, window, fleet)
    return users.by_kind(bad)


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
        mine, theirs = _column(tel, column, rows), _column(base, column, rows)
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
    users = user_rows(tel, window)
    wrong = users.served_wrongly(fleet)
    if since_first and wrong.any():
        arrival = tel.requests["arrival_s"].to_numpy()[users.rows]
        return users.by_kind(wrong, among=arrival >= arrival[wrong].min())
    return users.by_kind(wrong)


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
    """The fleet once every event of a timeline has happened (whose pools serve what); it
    shares what the events left alone with `fleet` (`with_changes`): read it only."""
    out = fleet
    for event in sorted(timeline, key=lambda e: e.at_s):
        out = with_changes(out, event.set)
    return out


def spend(tel: Telemetry, window: tuple[float, float]) -> float:
    m = tel.metrics
    m = m[(m["name"] == "cost_usd_per_hour") & (m["t_s"] >= window[0]) & (m["t_s"] < window[1])]
    per_time = m.groupby("t_s")["value"].sum()
    return float(per_time.mean() * (window[1] - window[0]) / 3600.0) if len(per_time) else 0.0
