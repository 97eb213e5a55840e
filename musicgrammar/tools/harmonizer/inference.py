"""Iterative unmasking: start with every chord step masked, fill one (or a few) steps per pass.

Orders: ``certain`` (the masked step whose best chord is most probable goes first), ``random`` and
``ltr`` (left to right). Each filled step samples from the nucleus (top-p) of its distribution with a
seeded ``torch.Generator``; ``top_p=0`` takes the argmax.
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import torch

from musicgrammar.tools.harmonizer.data import Window
from musicgrammar.tools.harmonizer.model import Harmonizer
from musicgrammar.tools.harmonizer.tokens import MASK, N_SPECIAL, NC

__all__ = ["Order", "unmask", "harmonize_windows"]

Order = Literal["certain", "random", "ltr"]


def _nucleus_sample(probs: torch.Tensor, top_p: float, gen: torch.Generator) -> int:
    """probs (V,) -> a token from the smallest set whose mass reaches top_p."""
    if top_p <= 0:
        return int(probs.argmax())
    sorted_p, idx = probs.sort(descending=True)
    keep = sorted_p.cumsum(0) - sorted_p < top_p  # always keeps the first
    kept = sorted_p * keep
    choice = torch.multinomial(kept / kept.sum(), 1, generator=gen)
    return int(idx[choice])


@torch.no_grad()
def unmask(
    model: Harmonizer,
    melody: np.ndarray,
    tokens: np.ndarray,
    order: Order = "certain",
    top_p: float = 0.9,
    generator: torch.Generator | None = None,
    per_pass: int = 1,
) -> np.ndarray:
    """melody (L, 13), tokens (L,) with MASK at the steps to fill -> tokens (L,) with none left.

    ``per_pass`` steps are filled per forward pass (1 = the paper's one-at-a-time decoding).
    """
    gen = generator or torch.Generator().manual_seed(0)
    device = next(model.parameters()).device
    mel = torch.from_numpy(np.asarray(melody, dtype=np.float32))[None].to(device)  # (1, L, 13)
    tok = torch.from_numpy(np.asarray(tokens, dtype=np.int64).copy())[None]  # (1, L), kept on CPU
    allowed = torch.full((model.config.vocab_size,), float("-inf"))
    allowed[N_SPECIAL:] = 0.0  # only chords and <nc> may be predicted
    allowed[NC] = 0.0
    while True:
        masked = (tok[0] == MASK).nonzero().flatten()
        if masked.numel() == 0:
            break
        logits = model(mel, tok.to(device))[0].float().cpu() + allowed  # (L, V)
        probs = logits.softmax(-1)
        k = min(per_pass, masked.numel())
        if order == "certain":
            conf = probs[masked].max(-1).values
            picks = masked[conf.argsort(descending=True)[:k]]
        elif order == "random":
            picks = masked[torch.randperm(masked.numel(), generator=gen)[:k]]
        elif order == "ltr":
            picks = masked[:k]
        else:
            raise ValueError(f"unknown order {order!r}")
        for pos in picks.tolist():
            tok[0, pos] = _nucleus_sample(probs[pos], top_p, gen)
    return tok[0].numpy()


def harmonize_windows(
    model: Harmonizer,
    windows: Sequence[Window],
    total_steps: int,
    order: Order = "certain",
    top_p: float = 0.9,
    seed: int = 0,
    per_pass: int = 1,
) -> np.ndarray:
    """Fill overlapping windows in turn; chords already chosen in an overlap stay fixed as context.

    Returns the piece's tokens (total_steps,), indexed like the grid the windows were cut from.
    """
    gen = torch.Generator().manual_seed(seed)
    out = np.full(total_steps, MASK, dtype=np.int64)
    for w in windows:
        lo = w.first_bar * (len(w.steps) // max(1, w.steps[-1].bar - w.first_bar + 1))
        hi = lo + len(w.steps)
        tok = w.tokens.copy()
        known = out[lo:hi] != MASK
        tok[known] = out[lo:hi][known]
        out[lo:hi] = unmask(model, w.melody, tok, order, top_p, gen, per_pass)
    return out
