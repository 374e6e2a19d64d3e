"""Reference speech models in torch, with random weights (timing does not depend on them).

Each mirrors the shape of a real production model, scaled to stay measurable on a 2-core
CPU; `parameters()` counts are reported in every profile:
- StreamingConformer: a Conformer-CTC encoder (like NeMo Conformer-CTC small) over log-mel
  chunks, chunked attention with a carried left context.
- EncoderDecoderASR: a Whisper-tiny-like encoder and autoregressive decoder, greedy decoding
  with or without a KV cache, or beam search (with the cache).
- AcousticModel + Vocoder: a FastSpeech-style text-to-mel model and a HiFi-GAN-style vocoder,
  in a small and a large voice.
- SpeakerEmbedder: an ECAPA-like 1-D conv stack with attentive statistics pooling.
- AudioClassifier: a small PANNs-like CNN over log-mel frames.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

MEL_BINS = 80
FRAMES_PER_S = 100  # 10 ms hop
TOKENS_PER_AUDIO_S = 3.0  # decoded tokens per second of speech


def feed_forward(d: int) -> nn.Sequential:
    return nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.SiLU(), nn.Linear(4 * d, d))


class ConformerBlock(nn.Module):
    def __init__(self, d: int, heads: int, kernel: int = 15) -> None:
        super().__init__()
        self.ff1 = nn.Sequential(
            nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.SiLU(), nn.Linear(4 * d, d)
        )
        self.norm_att = nn.LayerNorm(d)
        self.att = nn.MultiheadAttention(d, heads, batch_first=True)
        self.norm_conv = nn.LayerNorm(d)
        self.pointwise = nn.Conv1d(d, 2 * d, 1)
        self.depthwise = nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d)
        self.conv_out = nn.Conv1d(d, d, 1)
        self.ff2 = nn.Sequential(
            nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.SiLU(), nn.Linear(4 * d, d)
        )
        self.norm = nn.LayerNorm(d)

    def forward(self, x: Tensor, left: Tensor | None = None) -> Tensor:
        x = x + 0.5 * self.ff1(x)
        q = self.norm_att(x)
        kv = q if left is None else torch.cat([self.norm_att(left), q], dim=1)
        x = x + self.att(q, kv, kv, need_weights=False)[0]
        c = self.norm_conv(x).transpose(1, 2)
        c = nn.functional.glu(self.pointwise(c), dim=1)
        x = x + self.conv_out(nn.functional.silu(self.depthwise(c))).transpose(1, 2)
        x = x + 0.5 * self.ff2(x)
        return self.norm(x)


class StreamingConformer(nn.Module):
    """Conv subsampling (4×) → conformer blocks → CTC head; streams chunk by chunk."""

    def __init__(
        self, d: int = 176, layers: int = 8, heads: int = 4, vocab: int = 256, left_frames: int = 64
    ) -> None:
        super().__init__()
        self.subsample = nn.Sequential(
            nn.Conv1d(MEL_BINS, d, 3, stride=2, padding=1),
            nn.SiLU(),
            nn.Conv1d(d, d, 3, stride=2, padding=1),
            nn.SiLU(),
        )
        self.blocks = nn.ModuleList(ConformerBlock(d, heads) for _ in range(layers))
        self.ctc = nn.Linear(d, vocab)
        self.left_frames = left_frames

    def forward_chunk(
        self, mel: Tensor, state: list[Tensor] | None = None
    ) -> tuple[Tensor, list[Tensor]]:
        """mel: (batch, frames, 80) for one chunk; state: each layer's carried left context."""
        x = self.subsample(mel.transpose(1, 2)).transpose(1, 2)
        new_state = []
        for i, block in enumerate(self.blocks):
            left = state[i] if state else None
            context = x if left is None else torch.cat([left, x], dim=1)
            new_state.append(context[:, -self.left_frames :].detach())
            x = block(x, left)
        return self.ctc(x).log_softmax(-1), new_state

    def forward(self, mel: Tensor) -> Tensor:
        return self.forward_chunk(mel)[0]


KV = tuple[Tensor, Tensor]


class Attention(nn.Module):
    """Multi-head attention with the key/value projection exposed, so a decoder can cache
    it: its own past tokens (the KV cache) and the encoder memory (projected once)."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def _split(self, x: Tensor) -> Tensor:
        b, t, d = x.shape
        return x.view(b, t, self.heads, d // self.heads).transpose(1, 2)

    def project(self, x: Tensor) -> KV:
        return self._split(self.k(x)), self._split(self.v(x))

    def forward(self, x: Tensor, kv: KV, mask: Tensor | None = None) -> Tensor:
        out = nn.functional.scaled_dot_product_attention(self._split(self.q(x)), *kv, mask)
        b, _, t, _ = out.shape
        return self.o(out.transpose(1, 2).reshape(b, t, -1))


class DecoderLayer(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.self_att = Attention(d, heads)
        self.cross_att = Attention(d, heads)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)

    def forward(self, x: Tensor, memory: KV, past: KV | None = None) -> tuple[Tensor, KV]:
        """x: new positions (b, t, d); memory: the projected encoder output; past: this
        layer's keys and values of earlier positions (the KV cache)."""
        h = self.n1(x)
        keys, values = self.self_att.project(h)
        if past is not None:
            keys, values = torch.cat([past[0], keys], dim=2), torch.cat([past[1], values], dim=2)
        steps, start = keys.shape[2], keys.shape[2] - x.shape[1]
        causal = torch.ones(x.shape[1], steps, dtype=torch.bool).tril(start)
        x = x + self.self_att(h, (keys, values), causal)
        x = x + self.cross_att(self.n2(x), memory)
        return x + self.ff(self.n3(x)), (keys, values)


class EncoderDecoderASR(nn.Module):
    """Whisper-tiny-like: conv stem + transformer encoder; greedy autoregressive decoder."""

    def __init__(
        self,
        d: int = 384,
        enc_layers: int = 4,
        dec_layers: int = 4,
        heads: int = 6,
        vocab: int = 4096,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(MEL_BINS, d, 3, padding=1),
            nn.GELU(),
            nn.Conv1d(d, d, 3, stride=2, padding=1),
            nn.GELU(),
        )
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, enc_layers, enable_nested_tensor=False)
        self.embed = nn.Embedding(vocab, d)
        self.positions = nn.Embedding(512, d)
        self.layers = nn.ModuleList(DecoderLayer(d, heads) for _ in range(dec_layers))
        self.out = nn.Linear(d, vocab)

    def encode(self, mel: Tensor) -> Tensor:
        return self.encoder(self.stem(mel.transpose(1, 2)).transpose(1, 2))

    def project_memory(self, memory: Tensor) -> list[KV]:
        """Each layer's cross-attention keys/values of the encoder output, computed once."""
        return [layer.cross_att.project(memory) for layer in self.decoder_layers]

    @property
    def decoder_layers(self) -> list[DecoderLayer]:
        return [layer for layer in self.layers if isinstance(layer, DecoderLayer)]

    def _step(self, x: Tensor, memory: list[KV], caches: list[KV | None]) -> Tensor:
        for i, layer in enumerate(self.layers):
            x, caches[i] = layer(x, memory[i], caches[i])
        return self.out(x[:, -1])

    def decode(self, memory: Tensor, steps: int, kv_cache: bool = True) -> Tensor:
        """Greedy decoding. With the KV cache each step feeds one new token; without it,
        each step recomputes self-attention over every token so far."""
        batch, projected = memory.shape[0], self.project_memory(memory)
        tokens = torch.zeros(batch, 1, dtype=torch.long)
        caches: list[KV | None] = [None] * len(self.layers)
        for _ in range(steps):
            if kv_cache:
                x = self.embed(tokens[:, -1:]) + self.positions.weight[tokens.shape[1] - 1]
                logits = self._step(x, projected, caches)
            else:
                x = self.embed(tokens) + self.positions.weight[: tokens.shape[1]]
                logits = self._step(x, projected, [None] * len(self.layers))
            tokens = torch.cat([tokens, logits.argmax(-1, keepdim=True)], dim=1)
        return tokens

    def log_likelihood(self, memory: Tensor, tokens: Tensor) -> Tensor:
        """Teacher-forced log-probability of each sequence (the beam search's objective)."""
        x = self.embed(tokens[:, :-1]) + self.positions.weight[: tokens.shape[1] - 1]
        projected, total = self.project_memory(memory), torch.zeros(tokens.shape[0])
        for layer, kv in zip(self.layers, projected, strict=True):
            x, _ = layer(x, kv)
        logp = torch.log_softmax(self.out(x), dim=-1)
        return total + logp.gather(2, tokens[:, 1:, None]).sum(dim=(1, 2))

    def beam_decode(self, memory: Tensor, steps: int, beam: int) -> Tensor:
        """Beam search with the KV cache: each step scores beam × vocabulary continuations
        per item, keeps the best `beam`, and reorders every layer's cache to follow them."""
        batch = memory.shape[0]
        projected = self.project_memory(memory.repeat_interleave(beam, dim=0))
        tokens = torch.zeros(batch * beam, 1, dtype=torch.long)
        scores = torch.full((batch, beam), float("-inf"))
        scores[:, 0] = 0.0  # one live hypothesis until the first expansion
        caches: list[KV | None] = [None] * len(self.layers)
        offsets = (torch.arange(batch) * beam)[:, None]
        for step in range(steps):
            x = self.embed(tokens[:, -1:]) + self.positions.weight[step]
            logp = torch.log_softmax(self._step(x, projected, caches), dim=-1)
            vocab = logp.shape[-1]
            total = (scores[..., None] + logp.view(batch, beam, vocab)).view(batch, -1)
            scores, index = total.topk(beam, dim=-1)
            rows = (index // vocab + offsets).view(-1)
            tokens = torch.cat([tokens[rows], (index % vocab).view(-1, 1)], dim=1)
            caches = [(c[0][rows], c[1][rows]) if c is not None else None for c in caches]
        best = scores.argmax(-1)
        return tokens.view(batch, beam, -1)[torch.arange(batch), best]

    def forward(self, mel: Tensor, kv_cache: bool = True, beam: int = 1) -> Tensor:
        audio_s = mel.shape[1] / FRAMES_PER_S
        steps = max(1, round(audio_s * TOKENS_PER_AUDIO_S))
        memory = self.encode(mel)
        if beam > 1:
            return self.beam_decode(memory, steps, beam)
        return self.decode(memory, steps, kv_cache)


class AcousticModel(nn.Module):
    """FastSpeech-style: phoneme embedding → encoder → upsample to frames → decoder → mel."""

    def __init__(self, d: int = 192, layers: int = 4, frames_per_token: int = 6) -> None:
        super().__init__()
        self.embed = nn.Embedding(128, d)
        enc = nn.TransformerEncoderLayer(d, 2, 4 * d, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(enc, layers, enable_nested_tensor=False)
        dec = nn.TransformerEncoderLayer(d, 2, 4 * d, batch_first=True, norm_first=True)
        self.decoder = nn.TransformerEncoder(dec, layers, enable_nested_tensor=False)
        self.mel = nn.Linear(d, MEL_BINS)
        self.frames_per_token = frames_per_token

    def forward(self, tokens: Tensor) -> Tensor:
        x = self.encoder(self.embed(tokens))
        x = x.repeat_interleave(self.frames_per_token, dim=1)  # a fixed-duration regulator
        return self.mel(self.decoder(x))


class ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, 3, dilation=d, padding=d) for d in (1, 3, 5)
        )

    def forward(self, x: Tensor) -> Tensor:
        for conv in self.convs:
            x = x + conv(nn.functional.leaky_relu(x, 0.1))
        return x


class Vocoder(nn.Module):
    """HiFi-GAN-style generator: mel frames → waveform, 4 upsampling stages (×256 total)."""

    def __init__(self, channels: int = 256) -> None:
        super().__init__()
        self.pre = nn.Conv1d(MEL_BINS, channels, 7, padding=3)
        stages, c = [], channels
        for rate in (8, 8, 2, 2):
            stages += [
                nn.ConvTranspose1d(c, c // 2, 2 * rate, rate, padding=rate // 2),
                ResBlock(c // 2),
            ]
            c //= 2
        self.stages = nn.Sequential(*stages)
        self.post = nn.Conv1d(c, 1, 7, padding=3)

    def forward(self, mel: Tensor) -> Tensor:
        return torch.tanh(self.post(self.stages(self.pre(mel.transpose(1, 2)))))


class TTS(nn.Module):
    def __init__(self, voice: str = "small") -> None:
        super().__init__()
        large = voice == "large"
        self.acoustic = AcousticModel(d=256 if large else 192, layers=6 if large else 4)
        self.vocoder = Vocoder(channels=512 if large else 192)

    def forward(self, tokens: Tensor) -> Tensor:
        return self.vocoder(self.acoustic(tokens))


class SpeakerEmbedder(nn.Module):
    def __init__(self, channels: int = 512, dim: int = 192) -> None:
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv1d(MEL_BINS, channels, 5, padding=2),
            nn.ReLU(),
            nn.BatchNorm1d(channels),
            nn.Conv1d(channels, channels, 3, dilation=2, padding=2),
            nn.ReLU(),
            nn.BatchNorm1d(channels),
            nn.Conv1d(channels, channels, 3, dilation=3, padding=3),
            nn.ReLU(),
            nn.BatchNorm1d(channels),
        )
        self.attention = nn.Conv1d(channels, 1, 1)
        self.out = nn.Linear(2 * channels, dim)

    def forward(self, mel: Tensor) -> Tensor:
        h = self.convs(mel.transpose(1, 2))
        w = torch.softmax(self.attention(h), dim=-1)
        mean = (h * w).sum(-1)
        std = ((h - mean.unsqueeze(-1)) ** 2 * w).sum(-1).clamp_min(1e-6).sqrt()
        return self.out(torch.cat([mean, std], dim=1))


class AudioClassifier(nn.Module):
    def __init__(self, classes: int = 527) -> None:
        super().__init__()
        layers, c = [], 1
        for out in (32, 64, 128, 256):
            layers += [
                nn.Conv2d(c, out, 3, padding=1),
                nn.BatchNorm2d(out),
                nn.ReLU(),
                nn.AvgPool2d(2),
            ]
            c = out
        self.cnn = nn.Sequential(*layers)
        self.head = nn.Linear(c, classes)

    def forward(self, mel: Tensor) -> Tensor:
        h = self.cnn(mel.unsqueeze(1)).mean(dim=(2, 3))
        return torch.sigmoid(self.head(h))


def parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def mel_frames(audio_s: float) -> int:
    return max(8, math.ceil(audio_s * FRAMES_PER_S))
