"""The recipe of the second reader's weights (drills/judge/second_reader.npz; docs/
judge-rounds.md, "The second reader"): fine-tune all-MiniLM-L6-v2, read as a cross-encoder,
on the tuning writers' labelled answers. Needs torch (the `backend` extra).

    python -m tests.blind.reader --out DIR [--writers ABCDEFGHIJKLMNOPQS] [--epochs 3]

writes DIR/second_reader.npz (layers 4–5, the pooler and the head) and DIR/meta.json. To
measure it, put the file in place of drills/judge/second_reader.npz and run
`python -m tests.blind.second NAME...`; validate a threshold on writers left out of
`--writers`, never on a held-out corpus. The weights shipped were fitted so (3 epochs on
A–Q and S, threshold 0.35 from a fit on A–N validated on O, P, Q and S); a refit draws the
same batches and dropout from its seeds, but torch's kernels may differ by machine.

The writers' pairs: each cause answer against each of its incident's causes (`right` asserts
all, `first-only`/`second-only` one, every other label none); each prevention phrasing
against each of its scenario's items (its own item 1); every negative 0 against every item;
the hard-polarity sets: `for` 1, `against` 0, `mixed` 1 for the measure and 0 for the item
waved away. Held-out writers (R, T, U, V) are refused.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch import nn

from drills.judge.referrals import cause_prose, item_prose
from drills.judge.second_reader import MAX_TOKENS, TRAINED_LAYERS, base_dir
from tests.blind.corpus import HERE, _files, _key

TUNING = "ABCDEFGHIJKLMNOPQS"
SPLIT = TRAINED_LAYERS[0]  # layers below are frozen: their outputs are computed once a pair
Pair = tuple[str, str, int]  # prose, answer, asserts


def _causes(corpus: Path) -> list[Pair]:
    out = []
    for path in _files(corpus, "causes", "all"):
        wanted = [f.cause for f in _key(path.stem).faults()]
        for e in yaml.safe_load(path.read_text()):
            yes = {"right": set(wanted), "first-only": {wanted[0]}, "second-only": {wanted[-1]}}
            asserted = yes.get(e["label"], set())
            out += [(cause_prose(c), e["text"], int(c in asserted)) for c in wanted]
    return out


def _prevention(corpus: Path) -> list[Pair]:
    out = []
    for path in _files(corpus, "prevention", "all"):
        items = item_prose(_key(path.stem))
        doc = yaml.safe_load(path.read_text())
        for item in doc["items"]:
            for text in item["answers"]:
                out += [(p, text, int(i == item["item"])) for i, p in items.items()]
        for neg in doc.get("negatives", []):
            out += [(p, neg["text"], 0) for p in items.values()]
    for path in _files(corpus, "polarity", "all"):
        items = item_prose(_key(path.stem))
        doc = yaml.safe_load(path.read_text())
        out += [(items.get(e["item"], e["item"]), e["text"], 1) for e in doc.get("for", [])]
        out += [(items.get(e["item"], e["item"]), e["text"], 0) for e in doc.get("against", [])]
        for e in doc.get("mixed", []):
            out.append((items.get(e["for"], e["for"]), e["text"], 1))
            if e.get("against") in items:
                out.append((items[e["against"]], e["text"], 0))
    return out


def pairs(writers: str) -> list[Pair]:
    if not set(writers) <= set(TUNING):
        raise SystemExit(f"tuning writers only ({TUNING}); held-out corpora are never fitted")
    return [p for w in writers for p in _causes(HERE / w) + _prevention(HERE / w)]


class Layer(nn.Module):
    def __init__(self, h: int, heads: int, inner: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(h, eps=eps), nn.LayerNorm(h, eps=eps)
        self.i, self.out = nn.Linear(h, inner), nn.Linear(inner, h)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        q, k, v = (
            f(x).view(b, t, self.heads, -1).transpose(1, 2) for f in (self.q, self.k, self.v)
        )
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * -1e4
        att = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        x = self.ln1(x + self.drop(self.o(att.transpose(1, 2).reshape(b, t, h))))
        return self.ln2(x + self.drop(self.out(nn.functional.gelu(self.i(x)))))


class Bert(nn.Module):
    """all-MiniLM-L6-v2 as a cross-encoder: [CLS] → pooler (tanh) → one logit."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        super().__init__()
        h = cfg["hidden_size"]
        self.word = nn.Embedding(cfg["vocab_size"], h)
        self.pos = nn.Embedding(cfg["max_position_embeddings"], h)
        self.typ = nn.Embedding(cfg["type_vocab_size"], h)
        self.ln = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])
        self.layers = nn.ModuleList(
            Layer(h, cfg["num_attention_heads"], cfg["intermediate_size"], cfg["layer_norm_eps"])
            for _ in range(cfg["num_hidden_layers"])
        )
        self.drop = nn.Dropout(0.1)
        self.pool, self.cls = nn.Linear(h, h), nn.Linear(h, 1)

    def lower(self, ids: torch.Tensor, types: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.word(ids) + self.pos(torch.arange(ids.shape[1])[None, :]) + self.typ(types)
        x = self.drop(self.ln(x))
        for layer in self.layers[:SPLIT]:
            x = layer(x, mask)
        return x

    def upper(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[SPLIT:]:
            x = layer(x, mask)
        return self.cls(self.drop(torch.tanh(self.pool(self.drop(x[:, 0]))))).squeeze(-1)


_NAMES = {  # the base checkpoint's names for a layer's parts
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "o": "attention.output.dense",
    "ln1": "attention.output.LayerNorm",
    "i": "intermediate.dense",
    "out": "output.dense",
    "ln2": "output.LayerNorm",
}


def load_base() -> Bert:
    from safetensors.torch import load_file

    cfg = json.loads((base_dir() / "config.json").read_text())
    model = Bert(cfg)
    base = load_file(str(base_dir() / "model.safetensors"))
    own = {
        "word.weight": base["embeddings.word_embeddings.weight"],
        "pos.weight": base["embeddings.position_embeddings.weight"],
        "typ.weight": base["embeddings.token_type_embeddings.weight"],
        "ln.weight": base["embeddings.LayerNorm.weight"],
        "ln.bias": base["embeddings.LayerNorm.bias"],
        "pool.weight": base["pooler.dense.weight"],
        "pool.bias": base["pooler.dense.bias"],
    }
    for n in range(cfg["num_hidden_layers"]):
        for short, long in _NAMES.items():
            for part in ("weight", "bias"):
                own[f"layers.{n}.{short}.{part}"] = base[f"encoder.layer.{n}.{long}.{part}"]
    missing = model.load_state_dict(own, strict=False).missing_keys
    assert missing == ["cls.weight", "cls.bias"], missing
    torch.manual_seed(0)
    nn.init.normal_(model.cls.weight, std=0.02)
    nn.init.zeros_(model.cls.bias)
    return model


def _padded(rows: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(r.shape[0] for r in rows)
    x = torch.zeros(len(rows), n, *rows[0].shape[1:], dtype=torch.float32)
    mask = torch.zeros(len(rows), n, dtype=torch.long)
    for r, row in enumerate(rows):
        x[r, : row.shape[0]] = row.float()
        mask[r, : row.shape[0]] = 1
    return x, mask


@torch.inference_mode()
def lower_states(model: Bert, asked: list[Pair]) -> list[torch.Tensor]:
    """The frozen layers' output for every pair, once (fp16, unpadded)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(base_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS, strategy="only_second")
    tok.no_padding()  # the base's tokenizer pads to 128: padding would be read as words
    encoded = tok.encode_batch([(prose, answer) for prose, answer, _ in asked])
    model.eval()
    states: list[torch.Tensor] = [torch.empty(0)] * len(asked)
    order = sorted(range(len(asked)), key=lambda i: len(encoded[i].ids))
    for s in range(0, len(order), 64):
        idx = order[s : s + 64]
        ids, mask = _padded([torch.tensor(encoded[i].ids)[:, None] for i in idx])
        types, _ = _padded([torch.tensor(encoded[i].type_ids)[:, None] for i in idx])
        h = model.lower(ids[..., 0].long(), types[..., 0].long(), mask)
        for r, i in enumerate(idx):
            states[i] = h[r, : len(encoded[i].ids)].to(torch.float16).clone()
    return states


def _batches(n: int, states: list[torch.Tensor], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled, then sorted by length within chunks of 50 batches (less padding)."""
    order = list(range(n))
    rng.shuffle(order)
    out = []
    for c in range(0, n, size * 50):
        chunk = sorted(order[c : c + size * 50], key=lambda i: states[i].shape[0])
        out += [chunk[b : b + size] for b in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def train(writers: str, epochs: int, lr: float = 5e-5, head_lr: float = 5e-4) -> Bert:
    torch.set_num_threads(2)
    asked = pairs(writers)
    model = load_base()
    states = lower_states(model, asked)
    labels = torch.tensor([float(y) for _, _, y in asked])
    body = [p for layer in model.layers[SPLIT:] for p in layer.parameters()]
    head = [*model.pool.parameters(), *model.cls.parameters()]
    for p in model.parameters():
        p.requires_grad = False
    for p in body + head:
        p.requires_grad = True
    opt = torch.optim.AdamW(
        [{"params": body, "lr": lr}, {"params": head, "lr": head_lr}], weight_decay=0.01
    )
    rng = random.Random(0)
    steps = epochs * len(_batches(len(asked), states, 32, random.Random(0)))
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm))
    )
    loss_of = nn.BCEWithLogitsLoss()
    model.train()
    for epoch in range(epochs):
        total = 0.0
        for batch in _batches(len(asked), states, 32, rng):
            x, mask = _padded([states[i] for i in batch])
            loss = loss_of(model.upper(x, mask), labels[batch])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(body + head, 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1}: loss {total / len(asked):.4f}", flush=True)
    return model


def save(model: Bert, out: Path, meta: dict[str, Any]) -> None:
    """The weights the fit changed, named as drills/judge/second_reader.py reads them."""
    out.mkdir(parents=True, exist_ok=True)
    kept = (*(f"layers.{n}." for n in range(SPLIT, len(model.layers))), "pool.", "cls.")
    state = {
        k: v.detach().numpy().astype(np.float32)
        for k, v in model.state_dict().items()
        if k.startswith(kept)
    }
    np.savez(out / "second_reader.npz", **state)
    (out / "meta.json").write_text(json.dumps(meta, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--writers", default=TUNING)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    start = time.process_time()
    model = train(args.writers, args.epochs)
    meta = {"writers": args.writers, "epochs": args.epochs, "frozen": f"layers 0-{SPLIT - 1}"}
    save(model, args.out, {**meta, "cpu_s": round(time.process_time() - start)})
    print(f"wrote {args.out / 'second_reader.npz'}")


if __name__ == "__main__":
    main()
