"""Reference models and the profiler (needs torch, the `backend` extra; skipped without)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from real_backend import models  # noqa: E402
from real_backend.profiler import FAMILIES, fit_error, measure_family, roofline  # noqa: E402
from simulator.spec.profiles import LatencyProfile  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def test_streaming_conformer_chunks_carry_their_context():
    model = models.StreamingConformer(d=64, layers=2, heads=2, left_frames=8).eval()
    with torch.inference_mode():
        chunk = torch.randn(2, 32, models.MEL_BINS)  # 320 ms of 10 ms frames
        out, state = model.forward_chunk(chunk)
        assert out.shape == (2, 8, 256)  # 4× subsampling, CTC over the vocabulary
        assert [s.shape for s in state] == [(2, 8, 64)] * 2
        again, _ = model.forward_chunk(chunk, state)
        assert again.shape == out.shape and not torch.allclose(again, out)


def test_kv_cache_decoding_equals_recomputation():
    model = models.EncoderDecoderASR(d=64, enc_layers=1, dec_layers=2, heads=2, vocab=97).eval()
    with torch.inference_mode():
        mel = torch.randn(2, 300, models.MEL_BINS)
        memory = model.encode(mel)
        assert memory.shape == (2, 150, 64)
        assert torch.equal(
            model.decode(memory, 7, kv_cache=True), model.decode(memory, 7, kv_cache=False)
        )


def test_beam_search_of_one_is_greedy_and_a_wider_beam_scores_at_least_as_well():
    model = models.EncoderDecoderASR(d=64, enc_layers=1, dec_layers=2, heads=2, vocab=97).eval()
    with torch.inference_mode():
        memory = model.encode(torch.randn(3, 300, models.MEL_BINS))
        greedy = model.decode(memory, 6)
        assert torch.equal(model.beam_decode(memory, 6, beam=1), greedy)
        wide = model.beam_decode(memory, 6, beam=4)
        assert wide.shape == greedy.shape
        gain = model.log_likelihood(memory, wide) - model.log_likelihood(memory, greedy)
    assert (gain >= -1e-4).all()


def test_int8_dynamic_quantisation_stays_close_to_fp32_and_shrinks_the_weights():
    from torch.ao.quantization import quantize_dynamic

    from real_backend.profiler import count_parameters, parameter_bytes

    model = models.EncoderDecoderASR(d=128, enc_layers=1, dec_layers=2, heads=2, vocab=512).eval()
    quantised = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    with torch.inference_mode():
        memory = model.encode(torch.randn(2, 200, models.MEL_BINS))
        tokens = model.decode(memory, 5)
        a = model.log_likelihood(memory, tokens)
        b = quantised.log_likelihood(memory, tokens)
    assert torch.allclose(a, b, rtol=0.02)
    assert count_parameters(quantised) == models.parameters(model)
    assert parameter_bytes(quantised) < 0.6 * parameter_bytes(model)


@pytest.mark.parametrize("voice", ["small", "large"])
def test_tts_turns_tokens_into_audio_of_the_expected_length(voice):
    model = models.TTS(voice).eval()
    with torch.inference_mode():
        audio = model(torch.randint(0, 128, (1, 10)))
    assert audio.shape == (1, 1, 10 * 6 * 256)  # 6 frames per token, 256 samples per frame
    assert models.parameters(models.TTS("large")) > 2 * models.parameters(models.TTS("small"))


def test_embedder_and_classifier_shapes():
    with torch.inference_mode():
        mel = torch.randn(3, 200, models.MEL_BINS)
        assert models.SpeakerEmbedder().eval()(mel).shape == (3, 192)
        tags = models.AudioClassifier().eval()(mel)
    assert tags.shape == (3, 527) and bool(((tags >= 0) & (tags <= 1)).all())


def test_the_profiler_writes_a_valid_measured_profile_on_a_tiny_grid():
    profile = measure_family("classifier", [1, 2], [0.5, 1.0], repeats=1, threads=1)
    assert profile.source == "measured" and profile.device == "cpu"
    assert len(profile.latency_ms) == 2 and all(v > 0 for row in profile.latency_ms for v in row)
    assert profile.parameters == models.parameters(models.AudioClassifier())
    assert profile.memory_mb["parameters"] > 0 and profile.memory_mb["activations_peak"] > 0
    assert "torch" in profile.libraries and profile.hardware
    again = LatencyProfile.model_validate_json(profile.model_dump_json())
    assert again == profile


def test_roofline_rows_are_labelled_estimates_and_scale_with_work():
    l4, h100 = roofline("embedding", ["gpu-l4", "gpu-h100"], [1, 4], [1.0, 4.0])
    assert l4.source == "roofline-estimate" and "ROOFLINE ESTIMATE" in l4.note
    grid = l4.latency_ms
    assert grid[1][1] > grid[0][0]  # more batch and more audio cost more
    assert h100.latency_ms[1][1] < grid[1][1]
    assert l4.parameters == models.parameters(models.SpeakerEmbedder())


def test_roofline_charges_an_autoregressive_decoder_its_weights_every_step():
    from real_backend.profiler import FAMILIES, count_work

    work, _ = count_work(FAMILIES["asr-batch"], [1], [1.0, 10.0])
    (short_flops, short), (long_flops, long) = work[0]
    # 3 vs 30 decoding steps: launches and weight traffic grow with the steps
    assert long.launches > 5 * short.launches
    assert long.bytes_moved > 4 * short.bytes_moved and long_flops > short_flops


def test_preprocessing_kernels_resample_normalise_and_find_speech():
    import math

    from real_backend import preprocess

    t8, t16 = torch.arange(8000) / 8000, torch.arange(16000) / 16000
    up = preprocess.resample(torch.sin(2 * math.pi * 440 * t8)[None], 8000, 16000)
    assert up.shape == (1, 16000)
    assert (up[0, 200:-200] - torch.sin(2 * math.pi * 440 * t16)[200:-200]).abs().max() < 1e-3
    aliased = preprocess.resample(torch.sin(2 * math.pi * 6000 * t16)[None], 16000, 8000)
    assert aliased[0, 100:-100].pow(2).mean().sqrt() < 0.01  # above the new Nyquist: gone
    loud = preprocess.normalize_loudness(torch.randn(2, 16000) * torch.tensor([[0.01], [0.5]]))
    rms_db = 20 * torch.log10(loud.pow(2).mean(-1).sqrt())
    assert torch.allclose(rms_db, torch.tensor([-23.0, -23.0]), atol=0.1)
    wave = torch.randn(1, 48000) * 0.003  # 3 s at 16 kHz: 300 frames of 10 ms
    wave[:, 16000:32000] += torch.randn(16000) * 0.3  # speech from 1 s to 2 s
    speech = preprocess.energy_vad(wave)[0]
    assert speech[100:200].all() and not speech[:100].any()
    assert speech[200:220].all() and not speech[222:].any()  # 200 ms hangover
    features, vad = preprocess.Preprocessor()(wave[:, ::2], rate=8000)
    assert features.shape == (1, 301, models.MEL_BINS) and vad.shape == (1, 300)


def test_fit_error_is_zero_on_a_linear_grid():
    base = LatencyProfile(
        name="x",
        family="classifier",
        device="cpu",
        source="synthetic",
        batch_sizes=[1, 2, 3],
        lengths=[1.0, 2.0, 3.0],
        latency_ms=[[10 * b + 5 * s for s in (1, 2, 3)] for b in (1, 2, 3)],
    )
    assert fit_error(base) == {"median_rel": 0.0, "worst_rel": 0.0}


def test_every_family_is_declared():
    assert {f.family for f in FAMILIES.values()} == {
        "asr-streaming",
        "asr-batch",
        "tts",
        "embedding",
        "classifier",
        "preprocess",
    }


CHURN = """
import resource, sys, torch
if sys.argv[1] == "tuned":
    from real_backend.allocator import applied
    assert applied["MALLOC_MMAP_THRESHOLD_"] >= 32 << 20, applied
def churn():
    for n in [10_000_000, 20_000_000, 15_000_000] * 5:  # 40-80 MB: stock glibc mmaps these
        t = torch.empty(n)
        t.fill_(1.0)
        del t
churn()  # the first passes grow the heap (the second too at times, as a small block
churn()  # lands above a freed one); from then on it holds
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
churn()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    mine = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUN"))}
    done = subprocess.run(
        [sys.executable, "-c", CHURN, mode], env=mine, capture_output=True, text=True, check=True
    )
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_freed_activations_are_reused_not_faulted_in_again():
    """A serving loop's changing shapes: with real_backend's allocator settings, memory
    freed by one batch serves the next with no page faults; stock glibc maps every block
    over 32 MiB afresh and unmaps it on free, so each faults all its pages in again
    (15 blocks of 40-80 MB: about 220k pages a pass)."""
    assert _faults("tuned") < 500
    assert _faults("stock") > 100_000
