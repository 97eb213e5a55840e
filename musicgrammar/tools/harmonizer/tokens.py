"""The harmonizer's representation: chord vocabulary, quarter-note grid with bar steps, melody roll.

A melody window is a sequence of L steps. Every bar opens with one *bar step*, followed by one step per
quarter note of the bar (``ceil(bar_quarters)``; 6/8 has 3 steps, 5/8 has 3, the last one short).
Per step the melody is a 13-d vector: the pitch classes sounding in the step (12) plus a bar flag; the
harmony is one token: a chord (12 roots x ``len(QUALITIES)``), ``<nc>`` (no chord), ``<bar>`` on bar
steps, ``<pad>`` after the end, and ``<mask>`` for positions still to predict. Melody and chords are
transposed so that the key is C major or A minor before encoding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

__all__ = [
    "QUALITIES",
    "PAD",
    "NC",
    "MASK",
    "BAR",
    "N_SPECIAL",
    "VOCAB_SIZE",
    "MELODY_DIM",
    "Step",
    "MelodyNote",
    "chord_token",
    "token_root_quality",
    "token_pitch_classes",
    "token_symbol",
    "match_chord",
    "build_grid",
    "melody_roll",
    "normalization_shift",
    "transpose_token",
]

# (name, suffix used in chord symbols, intervals above the root). Order fixes the token ids.
QUALITIES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("major", "", (0, 4, 7)),
    ("minor", "m", (0, 3, 7)),
    ("diminished", "dim", (0, 3, 6)),
    ("augmented", "aug", (0, 4, 8)),
    ("dominant7", "7", (0, 4, 7, 10)),
    ("major7", "maj7", (0, 4, 7, 11)),
    ("minor7", "m7", (0, 3, 7, 10)),
    ("half_diminished7", "m7b5", (0, 3, 6, 10)),
    ("diminished7", "dim7", (0, 3, 6, 9)),
    ("sus4", "sus4", (0, 5, 7)),
    ("sus2", "sus2", (0, 2, 7)),
    ("minor_major7", "mMaj7", (0, 3, 7, 11)),
)
N_QUALITIES = len(QUALITIES)

PAD, NC, MASK, BAR = 0, 1, 2, 3
N_SPECIAL = 4
VOCAB_SIZE = N_SPECIAL + 12 * N_QUALITIES  # 148
MELODY_DIM = 13  # 12 pitch classes + bar flag

_SHARP_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True)
class MelodyNote:
    """A melody note in quarter-note units (pitch is MIDI)."""

    pitch: int
    start: float
    duration: float


@dataclass(frozen=True)
class Step:
    """One grid step. ``beat`` is 0 for a bar step, else 1-based quarter index within the bar."""

    bar: int  # 0-based bar index within the piece
    beat: int
    onset: float  # quarter notes from the piece start
    duration: float  # 0 for bar steps

    @property
    def is_bar(self) -> bool:
        return self.beat == 0


def chord_token(root_pc: int, quality: int) -> int:
    return N_SPECIAL + (root_pc % 12) * N_QUALITIES + quality


def token_root_quality(token: int) -> tuple[int, int] | None:
    """(root pitch class, quality index) for a chord token; None for specials."""
    if token < N_SPECIAL or token >= VOCAB_SIZE:
        return None
    k = token - N_SPECIAL
    return k // N_QUALITIES, k % N_QUALITIES


def token_pitch_classes(token: int) -> frozenset[int]:
    rq = token_root_quality(token)
    if rq is None:
        return frozenset()
    root, q = rq
    return frozenset((root + i) % 12 for i in QUALITIES[q][2])


def token_symbol(token: int, flats: bool = False) -> str:
    """Chord symbol text ("F#m7", "Bbdim") for a chord token; "N.C." for ``<nc>``."""
    rq = token_root_quality(token)
    if rq is None:
        return "N.C."
    root, q = rq
    names = _FLAT_NAMES if flats else _SHARP_NAMES
    return names[root] + QUALITIES[q][1]


def transpose_token(token: int, semitones: int) -> int:
    rq = token_root_quality(token)
    if rq is None:
        return token
    return chord_token((rq[0] + semitones) % 12, rq[1])


# Template matrix (12 * Q, 12): row k is the 0/1 pitch-class template of chord token N_SPECIAL + k.
_TEMPLATES = np.zeros((12 * N_QUALITIES, 12), dtype=np.float64)
for _root in range(12):
    for _q, (_n, _s, _iv) in enumerate(QUALITIES):
        for _i in _iv:
            _TEMPLATES[_root * N_QUALITIES + _q, (_root + _i) % 12] = 1.0
_ROOTS = np.repeat(np.arange(12), N_QUALITIES)
# Quality prior: a seventh (or sus/aug colour) must be held for most of a beat by one voice to beat
# the plain triad (covered - uncovered gains 2 x its weight), so passing tones do not make sevenths.
_QUALITY_PRIOR = np.tile(
    np.array([0.06, 0.06, 0.03, -0.1, -0.3, -0.4, -0.35, -0.3, -0.3, -0.3, -0.4, -0.5]), 12
)


def match_chord(weights: np.ndarray, bass_pc: int | None = None, min_weight: float = 1e-6) -> int:
    """The chord token that best explains a pitch-class weight vector (e.g. durations in one beat).

    Score = weight of covered pitch classes - weight of uncovered ones - 0.35 * (missing template
    tones, normalized), plus a bonus when the bass is the root. Empty input gives ``<nc>``.
    """
    w = np.asarray(weights, dtype=np.float64)
    total = w.sum()
    if total < min_weight:
        return NC
    w = w / total
    present = (w > 0).astype(np.float64)
    covered = _TEMPLATES @ w  # (12Q,)
    missing = _TEMPLATES @ (1.0 - present)  # template tones not sounding
    size = _TEMPLATES.sum(axis=1)
    score = covered - (1.0 - covered) - 0.35 * missing / size + _QUALITY_PRIOR
    if bass_pc is not None:
        score = score + 0.15 * (_ROOTS == bass_pc)
    return N_SPECIAL + int(np.argmax(score))


def build_grid(bar_quarters: float, total_quarters: float) -> list[Step]:
    """Bar step + one step per quarter note for every bar that covers [0, total_quarters)."""
    if bar_quarters <= 0:
        raise ValueError("bar length must be positive")
    n_bars = max(1, math.ceil(total_quarters / bar_quarters - 1e-9))
    per_bar = max(1, math.ceil(bar_quarters - 1e-9))
    steps: list[Step] = []
    for b in range(n_bars):
        start = b * bar_quarters
        steps.append(Step(b, 0, start, 0.0))
        for j in range(per_bar):
            onset = start + j
            steps.append(Step(b, j + 1, onset, min(1.0, start + bar_quarters - onset)))
    return steps


def melody_roll(notes: Iterable[MelodyNote], steps: Sequence[Step], shift: int = 0) -> np.ndarray:
    """(L, 13) float32: pitch classes (transposed by ``shift``) sounding in each step, bar flag last."""
    roll = np.zeros((len(steps), MELODY_DIM), dtype=np.float32)
    notes = sorted(notes, key=lambda n: n.start)
    for i, st in enumerate(steps):
        if st.is_bar:
            roll[i, 12] = 1.0
            continue
        lo, hi = st.onset, st.onset + st.duration
        for n in notes:
            if n.start >= hi - 1e-9:
                break
            if n.start + n.duration > lo + 1e-9:
                roll[i, (n.pitch + shift) % 12] = 1.0
    return roll


def normalization_shift(tonic_pc: int, major: bool) -> int:
    """Semitones that move the key to C major (major) or A minor (minor)."""
    target = 0 if major else 9
    return (target - tonic_pc) % 12
