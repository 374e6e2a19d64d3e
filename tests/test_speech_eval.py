"""The release lab's real eval: flite speech, degraded into slices, decoded by pocketsphinx;
the gate judges it, and the simulator's quality model is set beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drills.course.release import asr_eval
from drills.course.release.gate import MetricMap, judge, load_budgets
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


def recorded_eval() -> tuple[asr_eval.EvalFixture, dict[str, MetricMap]]:
    """The fixture and its recorded eval (the whole eval is 544 real decodes, about ten
    CPU-minutes: `make bench` decodes it all, the test below a sample of every slice)."""
    fixture = asr_eval.load_fixture()
    maps = asr_eval.recorded(fixture)
    assert maps is not None, (
        "the recorded eval is not this fixture's and this decoder's: "
        "speechdrill eval asr --refresh --record"
    )
    return fixture, maps


@needs_speech
@pytest.mark.full
def test_the_recorded_eval_is_what_the_decoder_gives_on_every_slice():
    """The eval's first two slices (clean speech, and speech in noise), synthesised,
    degraded and decoded afresh in both configurations (64 real decodes), have the recorded
    eval's word errors exactly."""
    fixture, maps = recorded_eval()
    assert asr_eval.spot_check(fixture, maps) == []


def test_a_recording_of_another_fixture_is_refused_and_a_recording_round_trips(tmp_path):
    fixture, maps = recorded_eval()
    # another fixture (one utterance fewer per slice): its recording is not this one
    assert asr_eval.recorded(fixture.model_copy(update={"per_slice": 15})) is None
    path = asr_eval.record(fixture, maps, tmp_path / "measured.json")
    assert asr_eval.recorded(fixture, path) == maps


@needs_speech
@pytest.mark.full
def test_recorded_word_errors_the_decoder_does_not_give_are_found():
    fixture, maps = recorded_eval()
    tampered = {name: found.model_copy(deep=True) for name, found in maps.items()}
    per_utterance = tampered["baseline"].slices["clean"].per_utterance
    assert per_utterance is not None
    first = speech_eval.utterance_id(fixture.utterances()[0].text)
    per_utterance[first] = (per_utterance[first][0] + 1, per_utterance[first][1])
    found = asr_eval.spot_check(fixture, tampered, first=2)
    assert [d.split(":")[0] for d in found] == ["baseline/clean"]
    assert asr_eval.spot_check(fixture, maps, first=2) == []


def test_the_real_eval_ranks_its_slices_and_the_gate_judges_it_with_its_noise():
    fixture, maps = recorded_eval()
    baseline, candidate = maps["baseline"].slices, maps["candidate"].slices
    wer = {name: m.wer for name, m in baseline.items()}
    assert min(wer, key=wer.__getitem__) == "clean"
    assert wer["clean"] < wer["noisy-30db"] < wer["noisy-25db"] < wer["noisy-20db"]
    assert wer["clean"] < wer["narrowband"] and wer["clean"] < wer["clipped"]
    assert all(m.n == fixture.per_slice == 16 for m in baseline.values())
    # each slice's interval is a bootstrap over its utterances, around its WER
    for m in [*baseline.values(), *candidate.values()]:
        assert m.wer_low is not None and m.wer_high is not None
        assert m.wer_low <= m.wer <= m.wer_high and len(m.per_utterance or {}) == 16
    # the narrower beams lose words everywhere; where the rise is within the paired
    # bootstrap's noise the gate pauses, and the protected domain slice's entities block
    result = judge(maps["baseline"], maps["candidate"], load_budgets(RELEASE / "eval-budgets.yaml"))
    assert result.verdict == "block"
    why = {
        f.what: " ".join(g.why for g in result.findings if g.what == f.what)
        for f in result.findings
    }
    assert "within noise" in why["far-field"] and "entity error" in why["domain-terms"]
    assert all(r.delta_interval is not None for r in result.slices)


def test_the_quality_fit_per_model_predicts_its_held_out_conditions_within_20_percent():
    """Each decoder configuration's curve, fitted on single conditions and each condition
    in noise at 25 dB, predicts noise at 35 dB and each combination at 30 dB within 20%
    of the measured WER, keeps the rank order of every slice beyond sampling error, and
    is the curve shipped for fleets to name."""
    fixture, maps = recorded_eval()
    curves = asr_eval.fit_all(fixture, maps)
    for name, curve in curves.items():
        comparison = asr_eval.compare(fixture, maps[name], curve)
        held = {c.slice: c for c in comparison if c.role == "held out"}
        assert set(held) == {"noisy-35db", "far-field-noisy", "narrowband-noisy", "clipped-noisy"}
        assert {
            s: round(c.fitted_error, 3) for s, c in held.items() if abs(c.fitted_error) > 0.2
        } == {}
        assert asr_eval.rank_kept(comparison)
        # the noise curve is smoothed through its noisy points: fitted slices within 20% too
        assert all(abs(c.fitted_error) < 0.2 for c in comparison if c.role == "fit")
        assert set(curve.shifts) == {"clipping", "narrowband", "reverb", "rate", "domain"}
        assert quality.load_curve(curve.name) == curve
    # the calibrated model keeps the real order of the conditions it models
    comparison = asr_eval.compare(fixture, maps["baseline"], curves["baseline"])
    calibrated = [c for c in comparison if c.modelled and c.role == "fit"]
    rho = asr_eval.spearman([c.real_wer for c in calibrated], [c.model_wer for c in calibrated])
    assert rho >= 0.8
