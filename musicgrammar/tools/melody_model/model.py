"""The symbolic melody model: a small GPT-2 decoder over the event vocabulary of ``tokenizer.py``.

Two token embeddings, selected by ``MelodyModelConfig.embedding``:

- ``plain``: one learned row per token, so every NOTE_<voice>_<pitch> token has its own row
  (n_voices x n_pitches rows for notes).
- ``smart`` (factorized, after the Smart Embedding paper): a NOTE token's vector is
  E_pitch[pitch] + E_voice[voice] (n_pitches + n_voices rows); every other token keeps its own row.
  It relies on pitch and voice being nearly independent (low NMI), saves embedding parameters and
  shares what is learnt about a pitch across voices.

By default the output layer is tied to the same (possibly composed) embedding matrix; with
``tie_output=False`` both variants get the same free output head and differ only in the input
embedding. Either way both predict over the identical vocabulary, so their losses are comparable. The transformer body is
``transformers.GPT2Model`` built from a config (no hub weights); tokens enter as ``inputs_embeds``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from musicgrammar.tools.melody_model.tokenizer import N_PITCHES, N_VOICES, VOCAB

__all__ = ["MelodyModelConfig", "TokenEmbedding", "MelodyModel", "KVCache"]


@dataclass
class KVCache:
    """Keys and values of every layer, (n_layer, B, n_head, max_len, head_dim), filled up to ``length``."""

    k: Tensor
    v: Tensor
    length: int

    def clone(self) -> "KVCache":
        return KVCache(self.k.clone(), self.v.clone(), self.length)


@dataclass
class MelodyModelConfig:
    """Model size and embedding variant. ``tiny()`` is the test-sized config."""

    embedding: Literal["plain", "smart"] = "smart"
    d_model: int = 128
    n_layer: int = 4
    n_head: int = 4
    max_len: int = 512
    dropout: float = 0.1
    tie_output: bool = True  # output layer = the (composed) embedding matrix; False: a separate full head
    vocab_size: int = len(VOCAB)
    note_base: int = VOCAB.note_base  # ids >= note_base are NOTE tokens, voice-major
    n_pitches: int = N_PITCHES
    n_voices: int = N_VOICES

    def __post_init__(self) -> None:
        if self.embedding not in ("plain", "smart"):
            raise ValueError(f"embedding must be 'plain' or 'smart', not {self.embedding!r}")
        if self.vocab_size != self.note_base + self.n_voices * self.n_pitches:
            raise ValueError("vocab_size must equal note_base + n_voices * n_pitches")

    @classmethod
    def tiny(cls, embedding: Literal["plain", "smart"] = "smart") -> "MelodyModelConfig":
        return cls(embedding=embedding, d_model=32, n_layer=1, n_head=2, max_len=128, dropout=0.0)


class TokenEmbedding(nn.Module):
    """Token id -> vector, plain or factorized; ``matrix()`` is the full (vocab, d) table."""

    def __init__(self, cfg: MelodyModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        if cfg.embedding == "plain":
            self.table = nn.Embedding(cfg.vocab_size, cfg.d_model)
        else:
            self.other = nn.Embedding(cfg.note_base, cfg.d_model)
            self.pitch = nn.Embedding(cfg.n_pitches, cfg.d_model)
            self.voice = nn.Embedding(cfg.n_voices, cfg.d_model)
        for p in self.parameters():
            nn.init.normal_(p, std=0.02)

    def matrix(self) -> Tensor:
        """(vocab, d). For ``smart`` the NOTE rows are voice-major sums E_voice[v] + E_pitch[p]."""
        if self.cfg.embedding == "plain":
            return self.table.weight
        # (V, 1, d) + (1, P, d) -> (V, P, d) -> (V*P, d): row v*P + p is NOTE_v_p, as in the vocab.
        notes = (self.voice.weight[:, None, :] + self.pitch.weight[None, :, :]).reshape(-1, self.cfg.d_model)
        return torch.cat([self.other.weight, notes], dim=0)

    def forward(self, ids: Tensor, matrix: Tensor | None = None) -> Tensor:
        """(B, T) ids -> (B, T, d). Pass a precomputed ``matrix()`` to skip recomposing it."""
        return F.embedding(ids, self.matrix() if matrix is None else matrix)


class MelodyModel(nn.Module):
    """Decoder-only Transformer: embedding -> GPT-2 blocks -> tied output projection."""

    def __init__(self, cfg: MelodyModelConfig) -> None:
        super().__init__()
        from transformers import GPT2Config, GPT2Model

        self.cfg = cfg
        self.embed = TokenEmbedding(cfg)
        gpt_cfg = GPT2Config(
            vocab_size=1,  # GPT-2's own token table is unused (inputs_embeds); keep it one row
            n_positions=cfg.max_len,
            n_embd=cfg.d_model,
            n_layer=cfg.n_layer,
            n_head=cfg.n_head,
            resid_pdrop=cfg.dropout,
            embd_pdrop=cfg.dropout,
            attn_pdrop=cfg.dropout,
        )
        self.body = GPT2Model(gpt_cfg)
        # Untied: one free output row per token for both variants, so only the input embedding differs.
        self.head = None if cfg.tie_output else nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)

    def output_matrix(self, table: Tensor) -> Tensor:
        """(vocab, d) output projection: the embedding table when tied, else the separate head."""
        return table if self.head is None else self.head.weight

    def forward(
        self, ids: Tensor, past: Any = None, matrix: Tensor | None = None
    ) -> tuple[Tensor, Any]:
        """(B, T) ids -> logits (B, T, vocab) and the KV cache (feed it back with the next ids)."""
        table = self.embed.matrix() if matrix is None else matrix
        x = F.embedding(ids, table)  # (B, T, d)
        out = self.body(inputs_embeds=x, past_key_values=past, use_cache=past is not None or not self.training)
        h = out.last_hidden_state  # (B, T, d)
        return h @ self.output_matrix(table).T, out.past_key_values  # (B, T, vocab)

    def token_losses(self, ids: Tensor) -> Tensor:
        """(B, T) ids -> (B, T-1) next-token cross-entropy (nats); PAD targets give 0."""
        logits, _ = self.forward(ids[:, :-1])
        target = ids[:, 1:]
        loss = F.cross_entropy(logits.transpose(1, 2), target, reduction="none")  # (B, T-1)
        return loss * (target != VOCAB.pad)

    def loss(self, ids: Tensor) -> Tensor:
        """Mean next-token cross-entropy over non-PAD targets (the training objective)."""
        losses = self.token_losses(ids)
        return losses.sum() / (ids[:, 1:] != VOCAB.pad).sum().clamp(min=1)

    # --- fast incremental inference -------------------------------------------------------------
    @torch.no_grad()
    def step(self, ids: Tensor, cache: "KVCache", matrix: Tensor) -> Tensor:
        """Inference-only forward with a preallocated KV cache: (B, T) new ids -> (B, T, vocab) logits.

        Same maths as ``forward`` in eval mode (a test checks it), without the per-call overhead of
        the generic transformers cache: decoding one token costs a handful of small matmuls per layer.
        """
        b = self.body
        n_new = ids.shape[1]
        start = cache.length
        if start + n_new > self.cfg.max_len:
            raise ValueError(f"sequence longer than the model's {self.cfg.max_len} positions")
        pos = torch.arange(start, start + n_new)
        h = F.embedding(ids, matrix) + b.wpe.weight[pos]  # (B, T, d)
        n_head, d = self.cfg.n_head, self.cfg.d_model
        hd = d // n_head
        for i, (ln1_w, ln1_b, attn_w, attn_b, proj_w, proj_b, ln2_w, ln2_b, fc_w, fc_b, out_w, out_b) in enumerate(
            self._layer_weights()
        ):
            a = F.layer_norm(h, (d,), ln1_w, ln1_b, self._eps)
            qkv = torch.addmm(attn_b, a.reshape(-1, d), attn_w)  # Conv1D: x @ W + b, (B*T, 3d)
            q, k, v = qkv.view(ids.shape[0], n_new, 3, n_head, hd).permute(2, 0, 3, 1, 4)  # 3 x (B, H, T, hd)
            cache.k[i, :, :, start:start + n_new] = k
            cache.v[i, :, :, start:start + n_new] = v
            keys, values = cache.k[i, :, :, : start + n_new], cache.v[i, :, :, : start + n_new]
            if n_new == 1:
                att = F.scaled_dot_product_attention(q, keys, values)
            else:  # a block of new tokens: each sees the cache and the new tokens up to itself
                mask = torch.ones(n_new, start + n_new, dtype=torch.bool).tril(diagonal=start)
                att = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)
            att = att.transpose(1, 2).reshape(-1, d)  # (B*T, d)
            h = h + torch.addmm(proj_b, att, proj_w).view_as(h)
            m = F.layer_norm(h, (d,), ln2_w, ln2_b, self._eps)
            m = F.gelu(torch.addmm(fc_b, m.reshape(-1, d), fc_w), approximate="tanh")
            h = h + torch.addmm(out_b, m, out_w).view_as(h)
        cache.length = start + n_new
        h = F.layer_norm(h, (d,), b.ln_f.weight, b.ln_f.bias, b.ln_f.eps)
        return h @ self.output_matrix(matrix).T

    def _layer_weights(self) -> list[tuple[Tensor, ...]]:
        """Per-layer weight tensors in ``step`` order, gathered once (module attribute lookups are slow)."""
        cached = self.__dict__.get("_fast_weights")
        if cached is None:
            cached = [
                (blk.ln_1.weight, blk.ln_1.bias, blk.attn.c_attn.weight, blk.attn.c_attn.bias, blk.attn.c_proj.weight,
                 blk.attn.c_proj.bias, blk.ln_2.weight, blk.ln_2.bias, blk.mlp.c_fc.weight, blk.mlp.c_fc.bias,
                 blk.mlp.c_proj.weight, blk.mlp.c_proj.bias)
                for blk in self.body.h
            ]
            self.__dict__["_fast_weights"] = cached
            self.__dict__["_eps"] = self.body.h[0].ln_1.eps
        return cached

    def train(self, mode: bool = True) -> "MelodyModel":
        self.__dict__.pop("_fast_weights", None)  # parameters may be replaced by training or loading
        return super().train(mode)

    def new_cache(self, batch: int = 1) -> "KVCache":
        hd = self.cfg.d_model // self.cfg.n_head
        shape = (self.cfg.n_layer, batch, self.cfg.n_head, self.cfg.max_len, hd)
        return KVCache(torch.zeros(shape), torch.zeros(shape), 0)

    # --- parameter accounting -------------------------------------------------------------------
    def embedding_parameters(self) -> int:
        """Input embedding parameters (the tied output layer shares them; an untied head is not counted)."""
        return sum(p.numel() for p in self.embed.parameters())

    def total_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # --- persistence ----------------------------------------------------------------------------
    def save(self, folder: Path, half: bool = True, extra: dict[str, Any] | None = None) -> None:
        """Write ``model.safetensors`` (fp16 when ``half``) and ``config.json`` into ``folder``."""
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        state = {k: (v.half() if half else v).contiguous() for k, v in self.state_dict().items()}
        tmp = folder / "model.safetensors.tmp"
        save_file(state, str(tmp))
        tmp.replace(folder / "model.safetensors")
        meta = {"model": asdict(self.cfg), **(extra or {})}
        tmp_cfg = folder / "config.json.tmp"
        tmp_cfg.write_text(json.dumps(meta, indent=2) + "\n")
        tmp_cfg.replace(folder / "config.json")

    @classmethod
    def load(cls, folder: Path) -> "MelodyModel":
        """Read a folder written by ``save`` (weights as float32, eval mode)."""
        from safetensors.torch import load_file

        meta = json.loads((folder / "config.json").read_text())
        cfg = MelodyModelConfig(**meta["model"])
        if cfg.vocab_size != len(VOCAB) or cfg.note_base != VOCAB.note_base:
            raise ValueError(f"{folder}: checkpoint vocabulary does not match this tokenizer")
        model = cls(cfg)
        state = {k: v.float() for k, v in load_file(str(folder / "model.safetensors")).items()}
        model.load_state_dict(state)
        return model.eval()
