"""From a melody (notes + bar length) to model windows of whole bars, and back to chord events."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from musicgrammar.tools.harmonizer.tokens import (
    BAR,
    MASK,
    MELODY_DIM,
    NC,
    PAD,
    MelodyNote,
    Step,
    build_grid,
    melody_roll,
    token_pitch_classes,
)

__all__ = ["Window", "window_bars", "piece_windows", "pad_batch", "tokens_to_events", "ChordEvent"]


@dataclass
class Window:
    """A run of whole bars: ``steps[i]`` is described by ``melody[i]`` (13-d) and ``tokens[i]``."""

    first_bar: int
    steps: list[Step]
    melody: np.ndarray  # (L, 13) float32
    tokens: np.ndarray  # (L,) int64: BAR on bar steps, else a chord / NC / MASK


@dataclass(frozen=True)
class ChordEvent:
    """One chord held from ``onset`` for ``duration`` quarter notes (token in the normalized key)."""

    onset: float
    duration: float
    token: int
    bar: int  # 0-based
    beat: int  # 1-based quarter within the bar


def window_bars(bar_quarters: float, max_len: int, cap: int = 16) -> int:
    """How many whole bars fit in one window (at most ``cap``; 16 bars of 4/4 fill 80 steps)."""
    per_bar = max(1, math.ceil(bar_quarters - 1e-9)) + 1
    return min(cap, max_len // per_bar)


def piece_windows(
    notes: Sequence[MelodyNote],
    bar_quarters: float,
    total_quarters: float,
    max_len: int,
    shift: int = 0,
    overlap_bars: int = 4,
    tokens: Sequence[int] | None = None,
) -> list[Window]:
    """Cover the piece with windows of whole bars; consecutive windows share ``overlap_bars`` bars.

    ``tokens`` (one per grid step) gives the ground truth; without it every chord step is MASK.
    """
    steps = build_grid(bar_quarters, total_quarters)
    roll = melody_roll(notes, steps, shift)
    per_bar = len(steps) // max(1, steps[-1].bar + 1)
    n_bars = steps[-1].bar + 1
    wb = window_bars(bar_quarters, max_len)
    if wb < 1:
        raise ValueError(f"a bar of {bar_quarters} quarter notes does not fit a {max_len}-step window")
    hop = max(1, wb - min(overlap_bars, wb - 1))
    starts = [0]
    while starts[-1] + wb < n_bars:
        starts.append(min(starts[-1] + hop, n_bars - wb))
    out: list[Window] = []
    for b0 in starts:
        b1 = min(n_bars, b0 + wb)
        lo, hi = b0 * per_bar, b1 * per_bar
        if tokens is not None:
            tok = np.asarray(tokens[lo:hi], dtype=np.int64)
        else:
            tok = np.array([BAR if st.is_bar else MASK for st in steps[lo:hi]], dtype=np.int64)
        out.append(Window(b0, steps[lo:hi], roll[lo:hi], tok))
    return out


def pad_batch(melodies: Sequence[np.ndarray], tokens: Sequence[np.ndarray], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack windows into (B, length, 13) melody and (B, length) tokens, padded with PAD."""
    B = len(tokens)
    mel = np.zeros((B, length, MELODY_DIM), dtype=np.float32)
    tok = np.full((B, length), PAD, dtype=np.int64)
    for i, (m, t) in enumerate(zip(melodies, tokens)):
        mel[i, : len(t)] = m
        tok[i, : len(t)] = t
    return mel, tok


def tokens_to_events(steps: Sequence[Step], tokens: Sequence[int], split_at_bars: bool = True) -> list[ChordEvent]:
    """Merge repeated chord tokens into held chord events (a new event at every bar when asked).

    ``<nc>`` steps end the previous chord and produce no event.
    """
    events: list[ChordEvent] = []
    cur: list | None = None  # [onset, end, token, bar, beat]
    for st, t in zip(steps, tokens):
        if st.is_bar:
            if split_at_bars and cur is not None:
                events.append(ChordEvent(cur[0], cur[1] - cur[0], cur[2], cur[3], cur[4]))
                cur = None
            continue
        t = int(t)
        if t == NC or not token_pitch_classes(t):
            if cur is not None:
                events.append(ChordEvent(cur[0], cur[1] - cur[0], cur[2], cur[3], cur[4]))
            cur = None
            continue
        if cur is not None and cur[2] == t and abs(cur[1] - st.onset) < 1e-9:
            cur[1] = st.onset + st.duration
        else:
            if cur is not None:
                events.append(ChordEvent(cur[0], cur[1] - cur[0], cur[2], cur[3], cur[4]))
            cur = [st.onset, st.onset + st.duration, t, st.bar, st.beat]
    if cur is not None:
        events.append(ChordEvent(cur[0], cur[1] - cur[0], cur[2], cur[3], cur[4]))
    return events
