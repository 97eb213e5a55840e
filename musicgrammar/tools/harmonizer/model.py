"""The masked harmonizer: one bidirectional Transformer encoder over [melody steps; harmony steps].

Melody step i enters through a linear layer (13-d roll: pitch classes + bar flag), harmony step i
through a token embedding (chord, ``<nc>``, ``<bar>``, ``<pad>`` or ``<mask>``). Step i of both halves
shares one sinusoidal position, and a learned segment vector tells the halves apart. The encoder sees
the whole sequence (no causal mask); the head predicts a chord token at every harmony step, and
training scores only the masked target steps.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from musicgrammar.tools.harmonizer.tokens import MELODY_DIM, PAD, VOCAB_SIZE

__all__ = ["HarmonizerConfig", "Harmonizer", "save_checkpoint", "load_checkpoint"]


@dataclass
class HarmonizerConfig:
    max_len: int = 80  # steps per window: 16 bars of 4/4 + 16 bar steps
    melody_dim: int = MELODY_DIM
    vocab_size: int = VOCAB_SIZE
    d_model: int = 128
    n_layers: int = 3
    n_heads: int = 4
    d_ff: int = 512
    dropout: float = 0.2

    @classmethod
    def tiny(cls) -> "HarmonizerConfig":
        """A few-thousand-parameter model for tests."""
        return cls(d_model=32, n_layers=1, n_heads=2, d_ff=64, dropout=0.0)


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """(length, dim) fixed sin/cos position table (Vaswani et al.)."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return table


class Harmonizer(nn.Module):
    def __init__(self, config: HarmonizerConfig) -> None:
        super().__init__()
        self.config = config
        d = config.d_model
        self.melody_in = nn.Linear(config.melody_dim, d)
        self.chord_emb = nn.Embedding(config.vocab_size, d)
        self.segment = nn.Embedding(2, d)  # 0 = melody half, 1 = harmony half
        self.register_buffer("positions", sinusoidal_positions(config.max_len, d), persistent=False)
        layer = nn.TransformerEncoderLayer(
            d, config.n_heads, config.d_ff, config.dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, config.vocab_size)

    def forward(self, melody: torch.Tensor, chords: torch.Tensor) -> torch.Tensor:
        """melody (B, L, 13) float, chords (B, L) long -> chord logits (B, L, vocab).

        Steps whose harmony token is ``<pad>`` are padding in both halves.
        """
        B, L = chords.shape
        if L > self.config.max_len:
            raise ValueError(f"window of {L} steps exceeds max_len {self.config.max_len}")
        pos = self.positions[:L]  # (L, d), shared by melody step i and harmony step i
        m = self.melody_in(melody) + pos + self.segment.weight[0]  # (B, L, d)
        h = self.chord_emb(chords) + pos + self.segment.weight[1]  # (B, L, d)
        x = torch.cat([m, h], dim=1)  # (B, 2L, d)
        pad = chords == PAD  # (B, L)
        x = self.encoder(x, src_key_padding_mask=torch.cat([pad, pad], dim=1))
        return self.head(self.norm(x[:, L:]))  # harmony half only: (B, L, vocab)


def save_checkpoint(model: Harmonizer, folder: Path, extra: dict | None = None) -> None:
    """model.safetensors + config.json (config fields plus ``extra`` under "training")."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"))
    meta = {"model": asdict(model.config), "training": extra or {}}
    (folder / "config.json").write_text(json.dumps(meta, indent=2) + "\n")


def load_checkpoint(folder: Path, device: str = "cpu") -> Harmonizer:
    from safetensors.torch import load_file

    meta = json.loads((folder / "config.json").read_text())
    model = Harmonizer(HarmonizerConfig(**meta["model"]))
    model.load_state_dict(load_file(str(folder / "model.safetensors"), device=device))
    return model.to(device).eval()
