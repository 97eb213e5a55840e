"""Melodic-harmonization metrics (Yeh et al. 2021 plus harmonic rhythm), in quarter-note units.

Inputs are a melody (objects with ``pitch``, ``start``, ``duration``, e.g. ontology ``Note``s, or
``(pitch, start, duration)`` tuples) and a chord sequence (``ChordSpan``s, or ``(onset, duration,
chord)`` tuples where ``chord`` is an iterable of pitch classes or has ``pitch_classes()``, e.g. a
``ChordSymbol``). Time 0 is a downbeat. Chords are compared as pitch-class sets; consecutive,
touching spans with the same set are one chord event; empty sets (N.C.) are dropped.

Chord progression:
- CHE  chord histogram entropy, -sum p ln p over chords, p = share of the harmonized duration.
- CC   chord coverage: number of distinct chords.
- CTD  chord tonal distance: mean distance between the tonal centroids of consecutive chord events.
Melody/harmony:
- CTnCTR  (n_c + n_p) / (n_c + n_n) over melody notes against the chord at the note's onset: n_c chord
          tones, n_n non-chord tones, n_p non-chord tones followed by a chord tone within 2 semitones.
- PCS  pitch consonance score: in every 1/16-note window with a melody note and a chord, the mean
       over chord tones of +1 (interval 0, 3, 4, 7, 8, 9 mod 12), 0 (5) or -1 (other); averaged over windows.
- MCTD melody-chord tonal distance: overlap-weighted mean distance between the centroid of each melody
       note and the chord under it.
Harmonic rhythm:
- HRHE / HRC  entropy / number of distinct inter-onset intervals between consecutive chord events.
- CBS  chord beat strength: mean over chord onsets of the meter's beat strength: 0 (downbeat), 1 (middle
       of a bar of two or four felt beats), 2 (other beat), 3 (half a unit), 4 (anything else).

The tonal centroid (Harte et al. 2006) maps a pitch-class set to 6-D: the circle of fifths, of minor
thirds and of major thirds with radii 1, 1, 0.5, averaged over the set's pitch classes.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from musicgrammar.ontologies.rhythm import Meter, beat_strengths

__all__ = [
    "METRIC_NAMES",
    "ChordSpan",
    "MelodyEvent",
    "tonal_centroid",
    "chord_events",
    "chord_histogram_entropy",
    "chord_coverage",
    "chord_tonal_distance",
    "chord_tone_ratio",
    "pitch_consonance_score",
    "melody_chord_tonal_distance",
    "harmonic_rhythm_entropy",
    "harmonic_rhythm_coverage",
    "chord_beat_strength",
    "beat_quarters_for",
    "harmony_metrics",
    "mean_absolute_error",
]

METRIC_NAMES = ("CHE", "CC", "CTD", "CTnCTR", "PCS", "MCTD", "HRHE", "HRC", "CBS")
_EPS = 1e-6


@dataclass(frozen=True)
class ChordSpan:
    onset: float
    duration: float
    pitch_classes: frozenset[int]


@dataclass(frozen=True)
class MelodyEvent:
    pitch: int
    start: float
    duration: float


# (6, 12): rows are sin/cos of the circles of fifths (7 pi/6), minor thirds (3 pi/2), major thirds (2 pi/3).
_PHI = np.array(
    [
        [r * f(k * ang) for k in range(12)]
        for r, ang in ((1.0, 7 * math.pi / 6), (1.0, 3 * math.pi / 2), (0.5, 2 * math.pi / 3))
        for f in (math.sin, math.cos)
    ]
)


def tonal_centroid(pitch_classes: Iterable[int]) -> np.ndarray:
    """6-D tonal centroid of a pitch-class set (zeros for the empty set)."""
    chroma = np.zeros(12)
    for pc in pitch_classes:
        chroma[int(pc) % 12] = 1.0
    total = chroma.sum()
    return _PHI @ chroma / total if total else np.zeros(6)


def _pcs(chord: Any) -> frozenset[int]:
    if hasattr(chord, "pitch_classes"):
        value = chord.pitch_classes
        chord = value() if callable(value) else value
    return frozenset(int(pc) % 12 for pc in chord)


def _melody(melody: Iterable[Any]) -> list[MelodyEvent]:
    out = []
    for n in melody:
        if isinstance(n, (tuple, list)):
            out.append(MelodyEvent(int(n[0]), float(n[1]), float(n[2])))
        else:
            out.append(MelodyEvent(int(n.pitch), float(n.start), float(n.duration)))
    return sorted((n for n in out if n.duration > 0), key=lambda n: (n.start, -n.pitch))


def chord_events(chords: Iterable[Any]) -> list[ChordSpan]:
    """Sorted chord spans with empty sets dropped and touching repeats merged."""
    spans = []
    for c in chords:
        if isinstance(c, ChordSpan):
            spans.append(c)
        else:
            spans.append(ChordSpan(float(c[0]), float(c[1]), _pcs(c[2])))
    spans = sorted((s for s in spans if s.pitch_classes and s.duration > 0), key=lambda s: s.onset)
    merged: list[ChordSpan] = []
    for s in spans:
        if merged and merged[-1].pitch_classes == s.pitch_classes and abs(merged[-1].onset + merged[-1].duration - s.onset) < _EPS:
            last = merged.pop()
            s = ChordSpan(last.onset, s.onset + s.duration - last.onset, s.pitch_classes)
        merged.append(s)
    return merged


def _entropy(weights: Iterable[float]) -> float:
    w = np.asarray([x for x in weights if x > 0], dtype=np.float64)
    if w.size == 0:
        return 0.0
    p = w / w.sum()
    return float(-(p * np.log(p)).sum())


def chord_histogram_entropy(chords: Iterable[Any]) -> float:
    hist: Counter = Counter()
    for s in chord_events(chords):
        hist[s.pitch_classes] += s.duration
    return _entropy(hist.values())


def chord_coverage(chords: Iterable[Any]) -> int:
    return len({s.pitch_classes for s in chord_events(chords)})


def chord_tonal_distance(chords: Iterable[Any]) -> float:
    ev = chord_events(chords)
    if len(ev) < 2:
        return 0.0
    d = [np.linalg.norm(tonal_centroid(a.pitch_classes) - tonal_centroid(b.pitch_classes)) for a, b in zip(ev, ev[1:])]
    return float(np.mean(d))


def _chord_at(events: Sequence[ChordSpan], t: float) -> ChordSpan | None:
    for s in events:
        if s.onset - _EPS <= t < s.onset + s.duration - _EPS:
            return s
    return None


def chord_tone_ratio(melody: Iterable[Any], chords: Iterable[Any]) -> float:
    """CTnCTR; NaN when no melody note sounds over a chord."""
    notes, ev = _melody(melody), chord_events(chords)
    n_c = n_n = n_p = 0
    for i, n in enumerate(notes):
        c = _chord_at(ev, n.start)
        if c is None:
            continue
        if n.pitch % 12 in c.pitch_classes:
            n_c += 1
            continue
        n_n += 1
        if i + 1 < len(notes):
            nxt = notes[i + 1]
            c2 = _chord_at(ev, nxt.start)
            if c2 is not None and nxt.pitch % 12 in c2.pitch_classes and abs(nxt.pitch - n.pitch) <= 2:
                n_p += 1
    return (n_c + n_p) / (n_c + n_n) if n_c + n_n else float("nan")


_CONSONANCE = {0: 1, 3: 1, 4: 1, 7: 1, 8: 1, 9: 1, 5: 0}
# (12,) consonance of an interval class: +1 for 0,3,4,7,8,9, 0 for 5, -1 otherwise
_CONS_TABLE = np.array([_CONSONANCE.get(i, -1) for i in range(12)], dtype=np.float64)


def _time_arrays(notes: list[MelodyEvent], ev: list[ChordSpan]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Note starts and ends (N,), chord onsets and ends (E,), in quarter notes."""
    starts = np.array([n.start for n in notes])
    onsets = np.array([s.onset for s in ev])
    return starts, starts + np.array([n.duration for n in notes]), onsets, onsets + np.array([s.duration for s in ev])


def pitch_consonance_score(melody: Iterable[Any], chords: Iterable[Any], window: float = 0.25) -> float:
    """PCS over 1/16-note windows (``window`` quarter notes); NaN when no window has both."""
    notes, ev = _melody(melody), chord_events(chords)
    if not notes or not ev:
        return float("nan")
    starts, ends, onsets, offs = _time_arrays(notes, ev)
    end = max(float(ends.max()), float(offs.max()))
    t = np.arange(int(math.ceil(end / window - _EPS))) * window  # (T,) window starts
    inside = (onsets[None, :] - _EPS <= t[:, None]) & (t[:, None] < offs[None, :] - _EPS)  # (T, E)
    has_chord = inside.any(axis=1)
    chord = inside.argmax(axis=1)  # the first chord holding the window, as _chord_at
    # (E, 12): summed consonance of a melody pitch class against each chord's tones, and tone counts
    masks = np.zeros((len(ev), 12))
    for i, s in enumerate(ev):
        masks[i, list(s.pitch_classes)] = 1.0
    shift = (np.arange(12)[:, None] - np.arange(12)[None, :]) % 12  # (pc, chord pc) -> interval
    per_pc = masks @ _CONS_TABLE[shift].T  # (E, 12)
    onehot = np.zeros((len(notes), 12))
    onehot[np.arange(len(notes)), [n.pitch % 12 for n in notes]] = 1.0
    sounding = ((starts[None, :] - _EPS <= t[:, None]) & (t[:, None] < ends[None, :] - _EPS)).astype(np.float64)  # (T, N)
    counts = sounding @ onehot  # (T, 12) sounding melody notes per pitch class
    n_sound = counts.sum(axis=1)
    valid = has_chord & (n_sound > 0)
    if not valid.any():
        return float("nan")
    c = chord[valid]
    scores = (counts[valid] * per_pc[c]).sum(axis=1) / (n_sound[valid] * masks[c].sum(axis=1))
    return float(np.mean(scores))


def melody_chord_tonal_distance(melody: Iterable[Any], chords: Iterable[Any]) -> float:
    """MCTD; NaN when no melody note overlaps a chord."""
    notes, ev = _melody(melody), chord_events(chords)
    if not notes or not ev:
        return float("nan")
    starts, ends, onsets, offs = _time_arrays(notes, ev)
    overlap = np.minimum(ends[:, None], offs[None, :]) - np.maximum(starts[:, None], onsets[None, :])  # (N, E)
    overlap = np.where(overlap > _EPS, overlap, 0.0)
    tc_notes = _PHI[:, [n.pitch % 12 for n in notes]].T  # (N, 6): a single pitch class's centroid
    tc_chords = np.stack([tonal_centroid(s.pitch_classes) for s in ev])  # (E, 6)
    dist = np.linalg.norm(tc_notes[:, None, :] - tc_chords[None, :, :], axis=2)  # (N, E)
    den = overlap.sum()
    return float((overlap * dist).sum() / den) if den else float("nan")


def _iois(chords: Iterable[Any]) -> list[float]:
    ev = chord_events(chords)
    return [round((b.onset - a.onset) * 48) / 48 for a, b in zip(ev, ev[1:])]


def harmonic_rhythm_entropy(chords: Iterable[Any]) -> float:
    return _entropy(Counter(_iois(chords)).values())


def harmonic_rhythm_coverage(chords: Iterable[Any]) -> int:
    return len(set(_iois(chords)))


def beat_quarters_for(numerator: int, denominator: int) -> float:
    """Beat length in quarter notes: dotted beats for compound meters (6/8, 9/8, 12/8...)."""
    if denominator >= 8 and numerator % 3 == 0 and numerator > 3:
        return 3 * 4.0 / denominator
    return 4.0 / denominator


def chord_beat_strength(chords: Iterable[Any], bar_quarters: float = 4.0, beat_quarters: float = 1.0, *, meter: Meter | None = None) -> float:
    """Mean beat strength (`ontologies.rhythm.beat_strengths`) of the chord onsets, in `meter`
    (default: the meter of equal beats of `beat_quarters` in bars of `bar_quarters`)."""
    ev = chord_events(chords)
    if not ev:
        return float("nan")
    meter = meter or Meter.from_beat_lengths(bar_quarters, beat_quarters)
    return float(np.mean(beat_strengths(meter, np.array([s.onset for s in ev]))))


def harmony_metrics(
    melody: Iterable[Any], chords: Iterable[Any], bar_quarters: float = 4.0, beat_quarters: float = 1.0, *, meter: Meter | None = None
) -> dict[str, float]:
    """All nine metrics as a dict keyed by ``METRIC_NAMES`` (NaN where a metric is undefined)."""
    melody, spans = _melody(melody), chord_events(chords)
    return {
        "CHE": chord_histogram_entropy(spans),
        "CC": float(chord_coverage(spans)),
        "CTD": chord_tonal_distance(spans),
        "CTnCTR": chord_tone_ratio(melody, spans),
        "PCS": pitch_consonance_score(melody, spans),
        "MCTD": melody_chord_tonal_distance(melody, spans),
        "HRHE": harmonic_rhythm_entropy(spans),
        "HRC": float(harmonic_rhythm_coverage(spans)),
        "CBS": chord_beat_strength(spans, bar_quarters, beat_quarters, meter=meter),
    }


def mean_absolute_error(pred: Sequence[dict[str, float]], truth: Sequence[dict[str, float]]) -> dict[str, float]:
    """Per-metric MAE over paired pieces, skipping pairs where either value is NaN."""
    out = {}
    for name in METRIC_NAMES:
        diffs = [abs(p[name] - t[name]) for p, t in zip(pred, truth) if not (math.isnan(p[name]) or math.isnan(t[name]))]
        out[name] = float(np.mean(diffs)) if diffs else float("nan")
    return out
