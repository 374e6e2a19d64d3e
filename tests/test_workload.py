"""Arrival processes, labels, durations and trace replay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.spec.traces import TRACE_DIR, read_trace, resolve_trace
from simulator.spec.workload import Workload, generate

HERE = Path(__file__).parent


def workload(arrivals: dict, **stream) -> Workload:
    return Workload.model_validate(
        {"streams": [{"name": "s", "kind": "asr-batch", "arrivals": arrivals, **stream}]}
    )


def test_poisson_count_and_gaps():
    r = generate(workload({"process": "poisson", "rate_per_s": 50}), 2000, 1, HERE)
    assert len(r) == pytest.approx(100_000, rel=0.01)
    gaps = np.diff(r.arrival_s)
    assert gaps.mean() == pytest.approx(1 / 50, rel=0.01)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.02)  # exponential: CV 1


def test_diurnal_peak_and_trough():
    spec = {"process": "diurnal", "mean_rate_per_s": 100, "amplitude": 0.5, "period_s": 1000}
    r = generate(workload(spec), 1000, 2, HERE)
    counts, _ = np.histogram(r.arrival_s, bins=20, range=(0, 1000))
    assert counts.sum() == pytest.approx(100_000, rel=0.02)
    # rate(t) = 100 (1 + 0.5 sin(2πt/1000)): peak near t=250, trough near t=750
    assert counts[5] / 50 == pytest.approx(150, rel=0.05)
    assert counts[15] / 50 == pytest.approx(50, rel=0.08)


def test_piecewise_rate_ramps():
    spec = {"process": "piecewise", "points": [[0, 0], [100, 200]]}
    r = generate(workload(spec), 100, 3, HERE)
    assert len(r) == pytest.approx(10_000, rel=0.03)
    assert (r.arrival_s < 50).mean() == pytest.approx(0.25, abs=0.02)


def test_mmpp_is_burstier_than_poisson_with_the_right_mean():
    spec = {"process": "mmpp", "rates_per_s": [10, 90], "mean_dwell_s": [50, 50]}
    r = generate(workload(spec), 20_000, 4, HERE)
    assert len(r) / 20_000 == pytest.approx(50, rel=0.1)
    counts, _ = np.histogram(r.arrival_s, bins=2000, range=(0, 20_000))
    assert counts.var() / counts.mean() > 5  # Poisson would give an index of dispersion 1


def test_labels_follow_weights_and_duration_bounds():
    w = workload(
        {"process": "poisson", "rate_per_s": 100},
        tenants={"a": 3, "b": 1},
        audio_s={"dist": "lognormal", "median_s": 6, "sigma": 0.8, "min_s": 1, "max_s": 20},
    )
    r = generate(w, 200, 5, HERE)
    share_a = (np.array(r.vocab["tenant"])[r.tenant] == "a").mean()
    assert share_a == pytest.approx(0.75, abs=0.02)
    assert r.audio_s.min() >= 1 and r.audio_s.max() <= 20
    assert np.median(r.audio_s) == pytest.approx(6, rel=0.05)


def test_streams_do_not_disturb_each_other():
    one = workload({"process": "poisson", "rate_per_s": 10})
    two = Workload.model_validate(
        {
            "streams": [
                one.streams[0].model_dump(),
                {"name": "t", "kind": "tts", "arrivals": {"process": "poisson", "rate_per_s": 5}},
            ]
        }
    )
    a, b = generate(one, 100, 9, HERE), generate(two, 100, 9, HERE)
    stream0 = b.stream == 0
    assert np.array_equal(a.arrival_s, b.arrival_s[stream0])
    assert np.array_equal(a.audio_s, b.audio_s[stream0])


def test_trace_replay_uses_real_timestamps_and_ranks_durations():
    frame = read_trace(resolve_trace("azure_llm_2023_conv.csv", HERE), "TIMESTAMP")
    spec = {"process": "trace", "path": "azure_llm_2023_conv.csv"}
    w = workload(
        spec,
        audio_s={
            "dist": "lognormal",
            "median_s": 6,
            "sigma": 0.7,
            "min_s": 0.5,
            "max_s": 30,
            "from_trace_column": "ContextTokens",
        },
    )
    r = generate(w, 600, 0, HERE)
    assert len(r) == int((frame["t_s"] < 600).sum())
    np.testing.assert_allclose(r.arrival_s, frame["t_s"][frame["t_s"] < 600].to_numpy())
    # longer prompts map to longer audio: rank correlation is exactly 1 up to ties
    tokens = frame["ContextTokens"][frame["t_s"] < 600].to_numpy()
    order = np.argsort(tokens, kind="stable")
    assert (np.diff(r.audio_s[order]) >= -1e-12).all()


def trace_span() -> float:
    frame = read_trace(resolve_trace("azure_llm_2023_conv.csv", HERE), "TIMESTAMP")
    return float(frame["t_s"].max()) + 1e-6


def test_trace_rate_scaling_thins_and_superposes():
    base = {"process": "trace", "path": "azure_llm_2023_conv.csv", "loop": False}
    span = trace_span()
    n1 = len(generate(workload(base), span, 0, HERE))
    n_half = len(generate(workload({**base, "rate_scale": 0.5}), span, 0, HERE))
    n_double = len(generate(workload({**base, "rate_scale": 2.0}), span, 0, HERE))
    assert n1 == 19_366
    assert n_half / n1 == pytest.approx(0.5, rel=0.03)
    assert n_double == 2 * n1  # two full circularly shifted copies, none thinned


def test_trace_loops_past_its_end_and_ships_with_its_notice():
    base = {"process": "trace", "path": "azure_llm_2023_conv.csv"}
    frame = read_trace(resolve_trace("azure_llm_2023_conv.csv", HERE), "TIMESTAMP")
    span = trace_span()
    r = generate(workload(base), 7200, 0, HERE)
    assert len(r) == 2 * 19_366 + int((frame["t_s"] < 7200 - 2 * span).sum())
    notice = (TRACE_DIR / "NOTICE.md").read_text()
    assert "CC-BY 4.0" in notice and "Splitwise" in notice
