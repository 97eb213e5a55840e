"""Prepared chorales (see prepare.py), the fixed split by piece, and random training windows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicgrammar.tools.harmonizer.data import window_bars
from musicgrammar.tools.harmonizer.tokens import (
    BAR,
    PAD,
    MelodyNote,
    Step,
    build_grid,
    melody_roll,
    transpose_token,
)

SPLIT_PATH = Path(__file__).with_name("split.json")


@dataclass
class Piece:
    id: str
    major: bool
    meter: str
    bar_quarters: float
    total_quarters: float
    notes: list[MelodyNote]  # normalized key (C major / A minor)
    steps: list[Step]
    roll: np.ndarray  # (L, 13)
    tokens: np.ndarray  # (L,) ground-truth tokens, normalized key


def load_pieces(path: Path) -> dict[str, Piece]:
    data = json.loads(Path(path).read_text())
    out: dict[str, Piece] = {}
    for p in data["pieces"]:
        notes = [MelodyNote(int(n[0]), float(n[1]), float(n[2])) for n in p["melody"]]
        steps = build_grid(p["bar_quarters"], p["total_quarters"])
        tokens = np.asarray(p["tokens"], dtype=np.int64)
        if len(tokens) != len(steps):
            raise ValueError(f"{p['id']}: {len(tokens)} tokens for {len(steps)} steps")
        out[p["id"]] = Piece(
            p["id"], p["major"], p["meter"], p["bar_quarters"], p["total_quarters"], notes, steps,
            melody_roll(notes, steps), tokens,
        )
    return out


def make_split(ids: list[str], seed: int = 0, test_frac: float = 0.1, valid_frac: float = 0.05) -> dict:
    rng = np.random.default_rng(seed)
    order = sorted(ids)
    rng.shuffle(order)
    n_test = round(len(order) * test_frac)
    n_valid = round(len(order) * valid_frac)
    return {
        "seed": seed,
        "test": sorted(order[:n_test]),
        "valid": sorted(order[n_test : n_test + n_valid]),
        "train": sorted(order[n_test + n_valid :]),
    }


def load_split() -> dict:
    return json.loads(SPLIT_PATH.read_text())


def random_window(
    piece: Piece, max_len: int, rng: np.random.Generator, transpose: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A random window of whole bars: melody (l, 13) and tokens (l,), optionally transposed by
    a random shift in [-transpose, transpose] semitones (melody roll rotated, chord roots moved)."""
    wb = window_bars(piece.bar_quarters, max_len)
    per_bar = len(piece.steps) // (piece.steps[-1].bar + 1)
    n_bars = piece.steps[-1].bar + 1
    b0 = int(rng.integers(0, max(0, n_bars - wb) + 1))
    lo, hi = b0 * per_bar, min(n_bars, b0 + wb) * per_bar
    mel = piece.roll[lo:hi].copy()
    tok = piece.tokens[lo:hi].copy()
    if transpose:
        k = int(rng.integers(-transpose, transpose + 1))
        if k:
            mel[:, :12] = np.roll(mel[:, :12], k, axis=1)
            tok = np.array([transpose_token(int(t), k) for t in tok], dtype=np.int64)
    return mel, tok


def chord_steps(tokens: np.ndarray) -> np.ndarray:
    """Positions that carry a chord or <nc> (the ones a curriculum may hide)."""
    return (tokens != BAR) & (tokens != PAD)


__all__ = ["Piece", "load_pieces", "make_split", "load_split", "random_window", "chord_steps"]
