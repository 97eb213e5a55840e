"""Feature vectors and simple analyses of a melody line (plain numpy; no music21 needed).

A melody is three aligned arrays: MIDI pitches (int), onsets and durations in quarter notes (float),
sorted by onset, one note at a time (the top line of a texture). Everything here is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from musicgrammar.retrieval_corpus.exemplar import Features

__all__ = [
    "Melody",
    "RHYTHM_EDGES",
    "compute_features",
    "phrase_form",
    "folk_mode_from_final",
    "tempo_character",
]

# Duration bin edges in quarter notes: 16th, 8th, dotted 8th / triplet quarter, quarter, dotted quarter,
# half, dotted half, whole and longer. Bin i holds durations in [edges[i], edges[i+1]).
RHYTHM_EDGES = np.array([0.0, 0.3, 0.55, 0.8, 1.1, 1.6, 2.2, 3.5, np.inf])

# Semitones of the church modes above their final, keyed by the final's distance from the major tonic
# of the key signature: the classic way folk tunes are given a mode (the final is the tonic).
_MODE_BY_FINAL_OFFSET = {0: "major", 2: "dorian", 4: "phrygian", 5: "lydian", 7: "mixolydian", 9: "minor", 11: "locrian"}


@dataclass(frozen=True)
class Melody:
    """A monophonic line: pitches (n,) int, onsets (n,) and durations (n,) in quarter notes."""

    pitches: np.ndarray
    onsets: np.ndarray
    durations: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.pitches)
        if len(self.onsets) != n or len(self.durations) != n:
            raise ValueError("pitches, onsets and durations must have the same length")

    def __len__(self) -> int:
        return int(len(self.pitches))

    @classmethod
    def from_notes(cls, notes: list[tuple[int, float, float]]) -> "Melody":
        """From (pitch, onset, duration) triples; overlapping notes keep the highest at each onset."""
        notes = sorted((float(o), -int(p), float(d)) for p, o, d in notes if d > 0)
        kept: list[tuple[int, float, float]] = []
        last_onset = None
        for onset, neg_pitch, dur in notes:
            if last_onset is not None and abs(onset - last_onset) < 1e-6:
                continue  # same onset: the first (highest) pitch wins
            kept.append((-neg_pitch, onset, dur))
            last_onset = onset
        if not kept:
            return cls(np.zeros(0, np.int16), np.zeros(0, np.float32), np.zeros(0, np.float32))
        p, o, d = zip(*kept)
        return cls(np.asarray(p, np.int16), np.asarray(o, np.float32), np.asarray(d, np.float32))

    @property
    def end(self) -> float:
        return float(self.onsets[-1] + self.durations[-1]) if len(self) else 0.0


def _normalized(hist: np.ndarray) -> list[float]:
    total = float(hist.sum())
    return [round(float(x), 5) for x in (hist / total if total > 0 else hist)]


def compute_features(melody: Melody, tonic_pc: int | None) -> Features:
    """Histograms and contour of a melody; tonic_pc rotates the tonic-relative pitch-class histogram."""
    if len(melody) == 0:
        zeros12 = [0.0] * 12
        return Features(
            pitch_class=zeros12, pitch_class_tonic=zeros12, interval=[0.0] * 25, rhythm=[0.0] * 8,
            contour=[0.0] * 16, ambitus=0, note_density=0.0, mean_pitch=0.0,
        )
    pitches = melody.pitches.astype(np.int64)
    durations = melody.durations.astype(np.float64)
    pc = np.bincount(pitches % 12, weights=durations, minlength=12)  # (12,) duration-weighted
    rotated = np.roll(pc, -(tonic_pc or 0))
    steps = np.clip(np.diff(pitches), -12, 12) + 12  # (n-1,) bins 0..24
    interval = np.bincount(steps, minlength=25).astype(np.float64)
    rhythm = np.histogram(durations, bins=RHYTHM_EDGES)[0].astype(np.float64)  # (8,)
    # Contour: the pitch sounding at 16 evenly spaced time points, mean removed.
    times = np.linspace(float(melody.onsets[0]), melody.end, 16, endpoint=False)
    idx = np.clip(np.searchsorted(melody.onsets, times, side="right") - 1, 0, len(melody) - 1)
    contour = pitches[idx].astype(np.float64)
    contour -= contour.mean()
    span = max(melody.end - float(melody.onsets[0]), 1e-6)
    return Features(
        pitch_class=_normalized(pc),
        pitch_class_tonic=_normalized(rotated),
        interval=_normalized(interval),
        rhythm=_normalized(rhythm),
        contour=[round(float(c), 3) for c in contour],
        ambitus=int(pitches.max() - pitches.min()),
        note_density=round(len(melody) / span, 4),
        mean_pitch=round(float(pitches.mean()), 3),
    )


def folk_mode_from_final(melody: Melody, signature_major_pc: int) -> tuple[int, str] | None:
    """(tonic pc, mode) of a modal tune from its final note and key signature, or None if the final
    is outside the signature's scale (then a key-finding algorithm should decide)."""
    if len(melody) == 0:
        return None
    final = int(melody.pitches[-1]) % 12
    mode = _MODE_BY_FINAL_OFFSET.get((final - signature_major_pc) % 12)
    return (final, mode) if mode else None


def _phrase_signature(melody: Melody, start: float, end: float) -> np.ndarray:
    """Pitch (relative to the phrase's first note) on a 16th-note grid over [start, end): (steps,)."""
    grid = np.arange(start, end, 0.25)
    idx = np.searchsorted(melody.onsets, grid, side="right") - 1
    valid = idx >= 0
    out = np.full(len(grid), -999, dtype=np.int64)
    out[valid] = melody.pitches[idx[valid]]
    return out


def phrase_form(melody: Melody, bar_quarters: float, bars: int) -> str | None:
    """Letters for the phrases (4 bars, or 8 for long tunes) by repetition, e.g. 'AABA'; primes mark
    varied repeats (>= 70% of the grid equal). None when the line is too short to have phrases."""
    if len(melody) < 8 or bar_quarters <= 0 or bars < 4:
        return None
    phrase_bars = 4 if bars <= 24 else 8
    phrase_len = phrase_bars * bar_quarters
    # Align phrases to the first full bar: an anacrusis shorter than a bar belongs to phrase one.
    start0 = float(melody.onsets[0])
    count = int(round((melody.end - start0) / phrase_len))
    if count < 2 or count > 16:
        return None
    sigs = [_phrase_signature(melody, start0 + i * phrase_len, start0 + (i + 1) * phrase_len) for i in range(count)]
    labels: list[str] = []
    letters: list[int] = []  # index of the phrase that introduced each letter
    for i, sig in enumerate(sigs):
        best, best_sim = -1, 0.0
        for letter, j in enumerate(letters):
            other = sigs[j]
            n = min(len(sig), len(other))
            sim = float(np.mean(sig[:n] == other[:n])) if n else 0.0
            if sim > best_sim:
                best, best_sim = letter, sim
        if best >= 0 and best_sim >= 0.9:
            labels.append(chr(ord("A") + best))
        elif best >= 0 and best_sim >= 0.7:
            labels.append(chr(ord("A") + best) + "'")
        else:
            letters.append(i)
            labels.append(chr(ord("A") + min(len(letters) - 1, 25)))
    return "".join(labels)


_FAST_GENRES = {"jig", "reel", "hornpipe", "slip jig", "polka", "slide", "highland fling", "clog",
                "quickstep", "strathspey", "march", "single jig", "double jig"}
_SLOW_GENRES = {"air", "slow air", "lament", "hymn", "chorale", "lullaby"}


def tempo_character(genre: str | None, tempo_hint: str | None, note_density: float, meter: str | None) -> str:
    """'slow', 'moderate' or 'fast' from the genre, an explicit tempo word, else the note density."""
    hint = (tempo_hint or "").lower()
    if any(w in hint for w in ("slow", "lento", "adagio", "largo", "andante")):
        return "slow"
    if any(w in hint for w in ("quick", "fast", "lively", "allegro", "presto", "vivace", "brisk")):
        return "fast"
    if genre in _SLOW_GENRES:
        return "slow"
    if genre in _FAST_GENRES:
        return "fast"
    # Notes per beat: compound meters count the dotted quarter as the beat.
    beat = 1.5 if meter in {"6/8", "9/8", "12/8"} else 1.0
    per_beat = note_density * beat
    if per_beat >= 1.9:
        return "fast"
    if per_beat <= 1.05:
        return "slow"
    return "moderate"
