"""The release lab's real eval: flite speech, degraded into slices, decoded by pocketsphinx;
the gate judges it, and the simulator's quality model is set beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drills.course.release import asr_eval
from drills.course.release.gate import judge, load_budgets
from real_backend import speech_eval
from simulator.spec import quality

RELEASE = Path(__file__).parents[1] / "scenarios" / "release"
needs_speech = pytest.mark.skipif(
    not speech_eval.available(), reason="needs flite (apt-get install flite) and pocketsphinx"
)


def test_word_errors_and_entities():
    assert speech_eval.word_errors(["a", "b", "c", "d"], ["a", "x", "c"]) == 2
    assert speech_eval.word_errors([], ["a", "b"]) == 2
    utterance = speech_eval.Utterance("refill the [metoprolol] prescription, [Thirty days]", "d")
    assert utterance.words == ["refill", "the", "metoprolol", "prescription", "thirty", "days"]
    assert utterance.entities == ["metoprolol", "thirty days"]


def test_degradations_do_what_they_say():
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    tone = (3000 * np.sin(2 * np.pi * 440 * t) + 3000 * np.sin(2 * np.pi * 6000 * t)).astype(
        np.int16
    )
    noisy = speech_eval.degrade(tone, speech_eval.Condition(snr_db=10), rng).astype(float)
    noise = noisy - tone
    snr = 10 * np.log10(np.mean(tone.astype(float) ** 2) / np.mean(noise**2))
    assert snr == pytest.approx(10, abs=0.5)
    clipped = speech_eval.degrade(tone, speech_eval.Condition(gain_db=20), rng)
    assert np.mean(np.abs(clipped.astype(int)) >= 32767) > 0.3
    narrow = speech_eval.degrade(tone, speech_eval.Condition(narrowband=True), rng).astype(float)
    spectrum = np.abs(np.fft.rfft(narrow))
    assert spectrum[6000] < 0.05 * spectrum[440]  # above the 4 kHz codec band: gone


@needs_speech
def test_synthesis_and_decoding_are_deterministic():
    text = "turn off the lights in the living room"
    first, second = speech_eval.synthesise(text), speech_eval.synthesise(text)
    assert np.array_equal(first, second) and len(first) > 16000
    (a,), (b,) = speech_eval.decode_all([first], {}), speech_eval.decode_all([second], {})
    assert a.words == b.words
    assert speech_eval.word_errors(text.split(), a.words) <= 2


# the whole eval (130 real decodes, about 150 CPU-seconds) runs in `make test-full`; `make
# test` decodes real speech in the tests above
@needs_speech
@pytest.mark.slow
@pytest.mark.full
def test_the_real_eval_ranks_its_slices_and_the_gate_judges_it():
    fixture = asr_eval.load_fixture()
    maps = asr_eval.cached(fixture)
    baseline, candidate = maps["baseline"].slices, maps["candidate"].slices
    wer = {name: m.wer for name, m in baseline.items()}
    assert min(wer, key=wer.__getitem__) == "clean"
    assert wer["clean"] < wer["noisy-30db"] < wer["noisy-20db"]  # more noise, more errors
    assert wer["clean"] < wer["narrowband"] and wer["clean"] < wer["clipped"]
    assert all(0.0 <= m.wer <= 1.5 and m.n == fixture.per_slice for m in baseline.values())
    # the narrower beams lose words on the slices the budgets protect: the gate blocks
    result = judge(maps["baseline"], maps["candidate"], load_budgets(RELEASE / "eval-budgets.yaml"))
    assert result.verdict == "block"
    assert {f.what for f in result.findings if f.verdict == "block"} >= {"far-field"}
    assert candidate["far-field"].wer > baseline["far-field"].wer
    # the calibrated quality model keeps the real order of the conditions it models
    curve = asr_eval.fit_curve(fixture, maps["baseline"], asr_eval.CURVE_NAME)
    comparison = asr_eval.compare(fixture, maps["baseline"], curve)
    calibrated = [c for c in comparison if c.modelled and c.role == "fit"]
    assert {c.slice for c in calibrated} == {
        "clean",
        "noisy-30db",
        "noisy-25db",
        "noisy-20db",
        "clipped",
        "narrowband",
    }
    rho = asr_eval.spearman([c.real_wer for c in calibrated], [c.model_wer for c in calibrated])
    assert rho >= 0.8
    # the curve fitted to it reproduces the slices it was fitted to, keeps the real order
    # of every slice, and predicts the held-out ones (a setting past the fitted points,
    # conditions combined) within 20% or two standard errors, but for reverberation in
    # noise, which compounds worse than the model's product of losses
    assert all(abs(c.fitted_error) < 0.02 for c in comparison if c.role == "fit")
    rho = asr_eval.spearman([c.real_wer for c in comparison], [c.fitted_wer for c in comparison])
    assert rho >= 0.85
    held = {c.slice: c for c in comparison if c.role == "held out"}
    assert set(held) == {"noisy-35db", "far-field-noisy", "narrowband-noisy", "clipped-noisy"}
    assert {name for name, c in held.items() if c.agrees} == set(held) - {"far-field-noisy"}
    assert held["far-field-noisy"].fitted_wer < held["far-field-noisy"].real_wer
    # the shipped curve is this fit, so fleets naming it simulate what was measured
    shipped = quality.load_curve(asr_eval.CURVE_NAME)
    assert shipped == curve
