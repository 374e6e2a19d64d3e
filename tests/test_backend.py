"""Reference models and the profiler (needs torch, the `backend` extra; skipped without)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from real_backend import models  # noqa: E402
from real_backend.profiler import FAMILIES, fit_error, measure_family, roofline  # noqa: E402
from simulator.profiles import LatencyProfile  # noqa: E402


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


def test_int8_dynamic_quantisation_of_the_decoder_stays_close_to_fp32():
    from torch.ao.quantization import quantize_dynamic

    class Decoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(models.DecoderLayer(128, 2) for _ in range(2))
            self.out = torch.nn.Linear(128, 512)

        def forward(self, x, memory):
            for layer in self.layers:
                x, _ = layer(x, memory)
            return self.out(x[:, -1])

    decoder = Decoder().eval()
    quantised = quantize_dynamic(decoder, {torch.nn.Linear}, dtype=torch.qint8)
    with torch.inference_mode():
        x, memory = torch.randn(1, 3, 128), torch.randn(1, 100, 128)
        a, b = decoder(x, memory), quantised(x, memory)
    assert "Quantized" in type(quantised.out).__module__ + type(quantised.out).__name__ or (
        type(quantised.out) is not type(decoder.out)
    )
    cosine = torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0)
    assert cosine > 0.99


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
    assert "torch" in profile.libraries and profile.hardware
    again = LatencyProfile.model_validate_json(profile.model_dump_json())
    assert again == profile


def test_roofline_rows_are_labelled_estimates_and_scale_with_work():
    row = roofline("embedding", "gpu-l4", [1, 4], [1.0, 4.0])
    assert row.source == "roofline-estimate" and "ROOFLINE ESTIMATE" in row.note
    grid = row.latency_ms
    assert grid[1][1] > grid[0][0]  # more batch and more audio cost more
    faster = roofline("embedding", "gpu-h100", [1, 4], [1.0, 4.0]).latency_ms
    assert faster[1][1] < grid[1][1]


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
    }
