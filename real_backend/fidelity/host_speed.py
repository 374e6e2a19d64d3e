"""The host's speed: how it drifts (measured on a back-to-back trace, `DriftFit`), and
how fast a real run's batches actually went, over the whole run (`run_slowdown`) and window
by window (`speed_trace`), against the fitted model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from real_backend.fidelity.cases import Case, model_times
from real_backend.fidelity.serving import server_for
from real_backend.server import Records
from simulator.spec.fleet import HostDrift
from simulator.spec.profiles import LatencyProfile, ServiceTimeModel
from simulator.spec.timeline import TimelineEvent

SPEED_WINDOW_S = 2.0  # the host's speed, read off real batches, is held per window this long
DRIFT_LAGS_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # faster than the first: batch noise
DRIFT_TIMES_S = np.geomspace(0.25, 60.0, 64)  # correlation times tried (up to trace/5)
# a host speed outside this range (relative to calibration) is a broken estimate, not a
# host: a window or run that gives one is left out, counted, and never passed on
USABLE_SPEED = (0.2, 5.0)


@dataclass(frozen=True)
class DriftFit:
    """The host's speed as a drifting factor, fitted on one shape run back to back."""

    cv: float  # the drift's spread, as a log-normal CV
    correlation_s: float  # how long a slow or fast spell lasts
    lags: int  # lags fitted; under 3 no drift is fitted (cv 0)
    host_cv: float  # the trace's whole spread: drift and batch noise

    def host_drift(self) -> HostDrift:
        """The simulator's `HostDrift` with this spread and correlation time."""
        return HostDrift(cv=self.cv, correlation_s=self.correlation_s)


def host_drift(case: Case, seconds: float) -> DriftFit:
    """Measure stage of the host's drift: full batches of the family's median length
    (where a queue forms, batches are full), back to back on the replica's core for
    `seconds`, fitted by `fit_host_drift`."""
    server = server_for(case)
    return fit_host_drift(*server.back_to_back(case.median_s, seconds=seconds, size=case.max_batch))


def fit_host_drift(starts: np.ndarray, durations: np.ndarray) -> DriftFit:
    """The host's speed as a drifting factor (`HostDrift`), from one shape run back to
    back: the covariance of log batch times `h` seconds apart is s²·exp(−h/τ) plus an
    offset ≤ 0 (the trace's own mean, taken out, pulls every lag down alike). Lags under
    DRIFT_LAGS_S[0] are left to batch noise. For each τ up to a fifth of the trace (a
    longer one the trace cannot tell from its offset) the lags are fitted by weighted
    least squares and the best τ wins. s is returned as a log-normal CV; `lags` says how
    many lags were fitted (under 3: no drift is fitted)."""
    y = np.log(durations)
    y = y - y.mean()
    step = float(np.mean(np.diff(starts))) if len(starts) > 1 else np.inf
    gaps = sorted({int(np.ceil(h / step)) for h in DRIFT_LAGS_S if np.isfinite(step)})
    gaps = [k for k in gaps if 1 <= k < len(y) // 2]  # batches apart, each lag once
    lag = np.array([k * step for k in gaps])
    cov = np.array([float(np.mean(y[:-k] * y[k:])) for k in gaps])
    weight = np.sqrt([len(y) - k for k in gaps])
    span = float(starts[-1] - starts[0] + durations[-1]) if len(starts) else 0.0
    best = (np.inf, 0.0, float(DRIFT_TIMES_S[0]))
    for tau in DRIFT_TIMES_S[span / 5 >= DRIFT_TIMES_S] if len(gaps) >= 3 else []:
        slow, sse = _drift_at(lag, cov, weight, float(tau))
        if sse < best[0]:
            best = (sse, slow, float(tau))
    _, slow, tau = best
    slow = min(slow, float(np.mean(y**2)))  # the drift is part of the spread, never more
    return DriftFit(
        cv=round(float(np.sqrt(np.expm1(slow))), 4),
        correlation_s=round(tau, 3),
        lags=len(gaps),
        host_cv=round(float(np.std(durations) / np.mean(durations)), 4),
    )


def _drift_at(
    lag: np.ndarray, cov: np.ndarray, weight: np.ndarray, tau: float
) -> tuple[float, float]:
    """(s², weighted squared error) of offset + s²·exp(−lag/τ) at this τ, with s² ≥ 0
    and offset ≤ 0: the best of the fits with both terms, either or neither that keep
    to those signs."""
    decay = np.exp(-lag / tau)
    fits = []
    for with_offset, with_drift in ((True, True), (False, True), (True, False), (False, False)):
        columns = [np.ones_like(lag)] * with_offset + [decay] * with_drift
        design = np.column_stack(columns) if columns else np.zeros((len(lag), 0))
        coef = np.linalg.lstsq(design * weight[:, None], cov * weight, rcond=None)[0]
        offset = float(coef[0]) if with_offset else 0.0
        slow = float(coef[-1]) if with_drift else 0.0
        if offset <= 0 <= slow:
            fits.append((float(np.sum((weight * (design @ coef - cov)) ** 2)), slow))
    sse, slow = min(fits)
    return slow, sse


def window_speeds(windows: np.ndarray, served: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per batch, its window's speed: the summed served over the summed expected time of
    all batches in the same window (a time-weighted mean ratio)."""
    factor = np.empty(len(served))
    for w in np.unique(windows):
        inside = windows == w
        factor[inside] = served[inside].sum() / expected[inside].sum()
    return factor


def within_window_cv(windows: np.ndarray, served: np.ndarray, expected: np.ndarray) -> float:
    """The spread of batch times around their window's own speed: what is left for
    service noise once the host's drift is given, as a speed trace gives it. Each
    window's speed comes from its own batches, so the squares are summed over N − W
    degrees of freedom (a window of one batch tells nothing); windows whose speed is not
    positive (idle penalty over-subtracted) are left out."""
    factor = window_speeds(windows, served, expected)
    keep = factor > 0
    residual = served[keep] / expected[keep] / factor[keep] - 1.0
    dof = int(keep.sum()) - len(np.unique(windows[keep]))
    return float(np.sqrt(np.sum(residual**2) / dof)) if dof > 0 else 0.0


def usable_speed(speed: float) -> bool:
    return bool(np.isfinite(speed)) and USABLE_SPEED[0] <= speed <= USABLE_SPEED[1]


def batch_times(profile: LatencyProfile, real: Records) -> tuple[np.ndarray, ...]:
    """Per real batch: its start, its service time less the modelled idle penalty (which
    never takes more than the batch's own measured time), and the fitted model's time for
    its size and padded length."""
    model = ServiceTimeModel(profile)
    measured = np.asarray(real.batch_service_s, dtype=float)
    penalty = np.array([model.idle_penalty_s(idle) for idle in real.batch_idle_s], dtype=float)
    served = measured - np.minimum(penalty, measured)
    base = model_times(model, real.batch_sizes, real.batch_longest_s)
    return np.asarray(real.batch_start_s, dtype=float), served, base


def run_slowdown(profile: LatencyProfile, reals: list[Records]) -> float:
    """How much slower than the fitted model the real batches ran, over whole runs: their
    summed service time (idle penalty taken out) over the summed model time; 1 (the
    calibration's speed) when that is not a usable speed."""
    times = [batch_times(profile, real) for real in reals]
    base = sum(float(model_s.sum()) for _, _, model_s in times)
    speed = sum(float(served.sum()) for _, served, _ in times) / base if base > 0 else 1.0
    return speed if usable_speed(speed) else 1.0


def speed_trace(
    profile: LatencyProfile, real: Records, window_s: float = SPEED_WINDOW_S
) -> list[TimelineEvent]:
    """The host's speed as the real run saw it: for each window, the real batches' summed
    service time over the model's (a time-weighted mean ratio), set on the simulated
    pool as its `slowdown` from the window's start. A window without batches, or whose
    speed is not usable (`unusable_windows` counts them), keeps the speed before it (the
    whole run's, for the first)."""
    window, speeds = _window_speeds(profile, real, window_s)
    first = np.unique(window, return_index=True)[1]
    return [
        TimelineEvent(
            at_s=float(window[i] * window_s),
            set={"pools.server.slowdown": round(float(speeds[i]), 4)},
        )
        for i in first
        if usable_speed(float(speeds[i]))
    ]


def unusable_windows(
    profile: LatencyProfile, real: Records, window_s: float = SPEED_WINDOW_S
) -> int:
    """How many windows of the speed trace gave no usable speed (left out of it)."""
    window, speeds = _window_speeds(profile, real, window_s)
    first = np.unique(window, return_index=True)[1]
    return sum(1 for i in first if not usable_speed(float(speeds[i])))


def _window_speeds(
    profile: LatencyProfile, real: Records, window_s: float
) -> tuple[np.ndarray, np.ndarray]:
    starts, served, model_s = batch_times(profile, real)
    window = (starts // window_s).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        return window, window_speeds(window, served, model_s)
