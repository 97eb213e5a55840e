"""Masking curricula for the harmonizer (PAPERS.md section 5).

Each function takes the ground-truth tokens of one window (L,), the boolean ``chord_steps`` (L,)
marking the positions that carry a chord (not bar, not pad), and returns
``(inputs, targets)``: the input tokens with hidden positions set to ``<mask>``, and the boolean
positions scored by the loss. Bar tokens are always visible.

- FF (full-to-full): visible fraction v = (s/S)^5 of training progress; num_visible = min(floor(vL), L-1)
  random positions are shown and ALL other chord positions are targets.
- MD (midpoint doubling): stage t ~ U{0..K} with K = ceil(log2 L); targets on a grid of spacing
  2^(K-t), visible on twice that spacing; the rest stays masked and unscored.
- R10%: t ~ U{0..9}; a random t*10% of positions is visible, the next 10% of the same permutation is
  the target; the rest stays masked and unscored.
"""

from __future__ import annotations

import math

import numpy as np

from musicgrammar.tools.harmonizer.tokens import MASK

CURRICULA = ("ff", "md", "r10")


def _apply(tokens: np.ndarray, chord_steps: np.ndarray, visible_idx: np.ndarray, target_idx: np.ndarray):
    inputs = tokens.copy()
    inputs[chord_steps] = MASK
    inputs[visible_idx] = tokens[visible_idx]
    targets = np.zeros(len(tokens), dtype=bool)
    targets[target_idx] = True
    return inputs, targets


def full_to_full(tokens: np.ndarray, chord_steps: np.ndarray, progress: float, rng: np.random.Generator):
    idx = np.flatnonzero(chord_steps)
    L = len(idx)
    v = min(1.0, max(0.0, progress)) ** 5
    n_visible = min(int(math.floor(v * L)), L - 1)
    perm = rng.permutation(idx)
    return _apply(tokens, chord_steps, perm[:n_visible], perm[n_visible:])


def midpoint_doubling(tokens: np.ndarray, chord_steps: np.ndarray, rng: np.random.Generator):
    idx = np.flatnonzero(chord_steps)  # chord positions in time order; j indexes them
    k = max(1, math.ceil(math.log2(len(idx))))  # 2^k >= L: stage 0 targets only j = 0, and every
    t = int(rng.integers(0, k + 1))  # later stage has a spacing < L, so it always has targets
    spacing = 2 ** (k - t)
    j = np.arange(len(idx))
    visible = (j % (2 * spacing) == 0) if t > 0 else np.zeros(len(idx), dtype=bool)
    target = (j % spacing == 0) & ~visible
    return _apply(tokens, chord_steps, idx[visible], idx[target])


def random_ten_percent(tokens: np.ndarray, chord_steps: np.ndarray, rng: np.random.Generator):
    idx = np.flatnonzero(chord_steps)
    L = len(idx)
    t = int(rng.integers(0, 10))
    n_visible = int(math.floor(t * 0.1 * L))
    n_target = max(1, int(math.ceil(0.1 * L)))
    perm = rng.permutation(idx)
    return _apply(tokens, chord_steps, perm[:n_visible], perm[n_visible : n_visible + n_target])


def make_example(name: str, tokens: np.ndarray, chord_steps: np.ndarray, progress: float, rng: np.random.Generator):
    if name == "ff":
        return full_to_full(tokens, chord_steps, progress, rng)
    if name == "md":
        return midpoint_doubling(tokens, chord_steps, rng)
    if name == "r10":
        return random_ten_percent(tokens, chord_steps, rng)
    raise ValueError(f"unknown curriculum {name!r}; choose from {CURRICULA}")
