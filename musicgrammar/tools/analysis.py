"""Score and audio analysis shared by the Harmony Critic and the Aesthetics Judge.

Everything is measured in quarter notes from the start of the piece (time 0 is a downbeat), as in
the ontology. The helpers are plain functions over `CompositionSpec`, `Score` and numpy arrays:

- the ontology's chord timeline, section spans, cadence reading and beat strengths, re-exported
  here for the critics (`ontologies.timing`, `ontologies.form`, `ontologies.rhythm` define them);
- the outer voices of a score (the highest and the lowest sounding pitch at every onset of the
  pitched parts) and the beat strength of onsets on the meter's grid;
- the lead's motif recurrence (transposition-invariant interval n-grams) and a section similarity
  matrix;
- note density and velocity per bar, and from audio: RMS loudness per bar (dBFS), the clipping
  ratio and the silence ratio.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from musicgrammar.ontologies.composition import CompositionSpec
from musicgrammar.ontologies.form import cadence_shape
from musicgrammar.ontologies.rhythm import Meter, beat_strengths
from musicgrammar.ontologies.score import Note, Part, Score
from musicgrammar.ontologies.timing import ChordEvent, SectionSpan, chord_index_at, chord_timeline, section_spans

__all__ = [
    "ChordEvent",
    "SectionSpan",
    "OuterVoices",
    "MotifStats",
    "section_spans",
    "chord_timeline",
    "metric_spans",
    "chord_index_at",
    "note_table",
    "outer_voices",
    "beat_strengths",
    "strong_beat_mask",
    "on_grid",
    "lead_line",
    "interval_ngrams",
    "motif_recurrence",
    "section_similarity",
    "density_per_bar",
    "velocity_per_bar",
    "cadence_shape",
    "to_mono",
    "rms_dbfs",
    "loudness_per_bar",
    "clipping_ratio",
    "silence_ratio",
    "SILENCE_DB",
]

_EPS = 1e-6
SILENCE_DB = -60.0  # frames quieter than this (RMS, dBFS) count as silence
_FLOOR_DB = -120.0  # the loudness of digital silence, so that log10(0) never appears


def metric_spans(events: list[ChordEvent]) -> list[tuple[float, float, frozenset[int]]]:
    """The timeline as (onset, duration, pitch classes) tuples, the input `harmony_metrics` reads."""
    return [(e.onset, e.duration, e.pcs) for e in events]


# ---------------------------------------------------------------------------------------------
# Notes as arrays, outer voices, the beat grid
@dataclass(frozen=True)
class NoteTable:
    """All notes of some parts as parallel arrays (N,), sorted by onset then by pitch (high first)."""

    start: np.ndarray  # float64
    end: np.ndarray  # float64
    pitch: np.ndarray  # int64
    velocity: np.ndarray  # int64
    part: np.ndarray  # int64, index into score.parts
    note: np.ndarray  # int64, index into score.parts[part].notes

    def __len__(self) -> int:
        return int(self.start.shape[0])


def note_table(score: Score, *, pitched_only: bool = True, parts: list[int] | None = None) -> NoteTable:
    """The notes of the score's (pitched) parts, or of the given part indices, as arrays."""
    rows: list[tuple[float, float, int, int, int, int]] = []
    for pi, part in enumerate(score.parts):
        if (parts is not None and pi not in parts) or (pitched_only and part.is_drum):
            continue
        rows.extend((n.start, n.start + n.duration, n.pitch, n.velocity, pi, ni) for ni, n in enumerate(part.notes))
    if not rows:
        empty_f, empty_i = np.zeros(0), np.zeros(0, dtype=np.int64)
        return NoteTable(empty_f, empty_f, empty_i, empty_i, empty_i, empty_i)
    arr = np.array(rows, dtype=np.float64)
    order = np.lexsort((-arr[:, 2], arr[:, 0]))
    arr = arr[order]
    return NoteTable(arr[:, 0], arr[:, 1], arr[:, 2].astype(np.int64), arr[:, 3].astype(np.int64),
                     arr[:, 4].astype(np.int64), arr[:, 5].astype(np.int64))  # fmt: skip


@dataclass(frozen=True)
class OuterVoices:
    """The highest and lowest sounding pitches at each onset of the pitched parts.

    Arrays are (T,) over the distinct onsets; `count` is how many notes sound there (the outer
    voices are only two voices where count >= 2). `*_part`/`*_note` locate the sounding note.
    """

    onsets: np.ndarray
    high: np.ndarray
    low: np.ndarray
    high_part: np.ndarray
    high_note: np.ndarray
    low_part: np.ndarray
    low_note: np.ndarray
    count: np.ndarray


def outer_voices(score: Score, table: NoteTable | None = None, chunk: int = 256) -> OuterVoices:
    """Highest and lowest pitch sounding at every distinct onset (sustained notes count).

    Computed on a (chunk, N) "sounding" mask at a time, so memory stays bounded for long scores.
    """
    t = table if table is not None else note_table(score)
    onsets = np.unique(np.round(t.start, 6))
    T = onsets.shape[0]
    high = np.zeros(T, dtype=np.int64)
    low = np.zeros(T, dtype=np.int64)
    hi_idx = np.zeros(T, dtype=np.int64)
    lo_idx = np.zeros(T, dtype=np.int64)
    count = np.zeros(T, dtype=np.int64)
    for a in range(0, T, chunk):
        times = onsets[a : a + chunk, None]  # (C, 1)
        sounding = (t.start[None, :] <= times + _EPS) & (t.end[None, :] > times + _EPS)  # (C, N)
        count[a : a + chunk] = sounding.sum(axis=1)
        hi = np.where(sounding, t.pitch[None, :], -1).argmax(axis=1)
        lo = np.where(sounding, t.pitch[None, :], 1000).argmin(axis=1)
        hi_idx[a : a + chunk], lo_idx[a : a + chunk] = hi, lo
        high[a : a + chunk], low[a : a + chunk] = t.pitch[hi], t.pitch[lo]
    return OuterVoices(onsets, high, low, t.part[hi_idx], t.note[hi_idx], t.part[lo_idx], t.note[lo_idx], count)


def strong_beat_mask(meter: Meter, times: np.ndarray) -> np.ndarray:
    """Whether each time falls on a strong beat: the downbeat, or the middle beat of a four-beat bar."""
    return beat_strengths(meter, times) <= 1


def on_grid(meter: Meter, times: np.ndarray) -> np.ndarray:
    """Whether each time lies on the meter's fine grid: a quarter of the unit, or a beat's triplet."""
    times = np.asarray(times, dtype=np.float64)
    offsets = np.mod(times, meter.bar_quarters)
    fine = offsets / (meter.unit_quarters / 4)
    ok = np.abs(fine - np.round(fine)) < 1e-4
    # triplets of each felt beat (in 4/4 quarter-note triplet eighths; in 6/8 three eighths already fit)
    for onset, length in zip(meter.beat_onsets, meter.beats):
        rel = (offsets - onset) / (length / 3)
        inside = (offsets >= onset - _EPS) & (offsets < onset + length - _EPS)
        ok |= inside & (np.abs(rel - np.round(rel)) < 1e-4)
    return ok


# ---------------------------------------------------------------------------------------------
# The lead line and its motifs
def lead_line(score: Score) -> tuple[int | None, list[tuple[int, Note]]]:
    """The lead part's index and its top line: one (note index, note) per onset, highest pitch kept."""
    lead = score.lead()
    if lead is None:
        return None, []
    index = next(i for i, p in enumerate(score.parts) if p is lead)
    by_onset: dict[float, tuple[int, Note]] = {}
    for ni, note in enumerate(lead.notes):
        key = round(note.start, 6)
        if key not in by_onset or note.pitch > by_onset[key][1].pitch:
            by_onset[key] = (ni, note)
    return index, [by_onset[k] for k in sorted(by_onset)]


def interval_ngrams(pitches: list[int] | np.ndarray, n: int = 3) -> list[tuple[int, ...]]:
    """Transposition-invariant n-grams of consecutive melodic intervals (n intervals = n + 1 notes)."""
    p = np.asarray(pitches, dtype=np.int64)
    if p.shape[0] < n + 1:
        return []
    steps = np.diff(p)
    return [tuple(int(x) for x in steps[i : i + n]) for i in range(steps.shape[0] - n + 1)]


@dataclass
class MotifStats:
    """How the lead's interval n-grams recur across the piece and its sections."""

    n: int
    occurrences: int  # n-grams in the whole lead line
    recurrence: float  # share of occurrences whose n-gram occurs at least twice in the piece
    cross_section: float  # mean share of a later section's n-grams heard in an earlier section
    copy_ratio: float  # share of later sections whose lead is an exact copy of an earlier section's
    copies: list[tuple[int, int]] = field(default_factory=list)  # (section, the earlier section it copies)
    per_section: list[Counter] = field(default_factory=list)  # n-gram counts by section
    top: list[tuple[tuple[int, ...], int]] = field(default_factory=list)  # most frequent n-grams


def _section_of(spans: list[SectionSpan], times: np.ndarray) -> np.ndarray:
    starts = np.array([s.start for s in spans])
    return np.clip(np.searchsorted(starts, np.asarray(times) + _EPS, side="right") - 1, 0, len(spans) - 1)


def motif_recurrence(spec: CompositionSpec, score: Score, n: int = 3) -> MotifStats:
    """Interval n-gram recurrence of the lead, overall and across sections, plus exact copies."""
    spans = section_spans(spec)
    _, line = lead_line(score)
    pitches = np.array([note.pitch for _, note in line], dtype=np.int64)
    starts = np.array([note.start for _, note in line], dtype=np.float64)
    grams = interval_ngrams(pitches, n)
    per_section: list[Counter] = [Counter() for _ in spans]
    if grams:
        owners = _section_of(spans, starts[: len(grams)])  # a gram belongs to the section of its first note
        for gram, owner in zip(grams, owners):
            per_section[int(owner)][gram] += 1
    total = Counter(grams)
    recurring = sum(c for c in total.values() if c >= 2)
    shares = []
    for i in range(1, len(spans)):
        if sum(per_section[i].values()) == 0:
            continue
        seen = set().union(*per_section[:i])
        shares.append(sum(c for g, c in per_section[i].items() if g in seen) / sum(per_section[i].values()))
    # exact copies: same pitches at the same offsets from the section start, same lengths
    owners_all = _section_of(spans, starts) if len(starts) else np.zeros(0, dtype=np.int64)
    signatures = []
    for s in spans:
        sel = [(note.pitch, round(note.start - s.start, 4), round(note.duration, 4)) for (_, note), o in zip(line, owners_all) if o == s.index]
        signatures.append(tuple(sel))
    copies = []
    for i in range(1, len(spans)):
        for j in range(i):
            if signatures[i] and signatures[i] == signatures[j]:
                copies.append((i, j))
                break
    return MotifStats(
        n=n,
        occurrences=len(grams),
        recurrence=recurring / len(grams) if grams else 0.0,
        cross_section=float(np.mean(shares)) if shares else 0.0,
        copy_ratio=len(copies) / (len(spans) - 1) if len(spans) > 1 else 0.0,
        copies=copies,
        per_section=per_section,
        top=total.most_common(3),
    )


def section_similarity(spec: CompositionSpec, score: Score, events: list[ChordEvent] | None = None) -> np.ndarray:
    """(S, S) similarity of sections in [0, 1]: 0.4 melody, 0.3 harmony, 0.3 pitch content.

    Melody: Jaccard overlap of the lead's (interval, rhythm) 3-grams. Harmony: share of aligned
    chord slots (bar by bar, over the shorter section) with the same pitch-class set. Pitch content:
    cosine of the lead's duration-weighted pitch-class histograms.
    """
    spans = section_spans(spec)
    events = events if events is not None else chord_timeline(spec)
    _, line = lead_line(score)
    S = len(spans)
    starts = np.array([note.start for _, note in line], dtype=np.float64)
    owners = _section_of(spans, starts) if len(starts) else np.zeros(0, dtype=np.int64)
    grams: list[set[tuple]] = [set() for _ in spans]
    hist = np.zeros((S, 12))
    notes_by_section: list[list[Note]] = [[] for _ in spans]
    for (_, note), owner in zip(line, owners):
        notes_by_section[int(owner)].append(note)
        hist[int(owner), note.pitch % 12] += note.duration
    for s, notes in enumerate(notes_by_section):
        for a, b, c, d in zip(notes, notes[1:], notes[2:], notes[3:]):
            grams[s].add((b.pitch - a.pitch, c.pitch - b.pitch, d.pitch - c.pitch,
                          round(a.duration, 3), round(b.duration, 3), round(c.duration, 3)))  # fmt: skip
    chords: list[list[frozenset[int]]] = [[] for _ in spans]
    for e in events:
        chords[e.section_index].append(e.pcs)
    norms = np.linalg.norm(hist, axis=1)
    unit = hist / np.where(norms > 0, norms, 1.0)[:, None]
    cosine = unit @ unit.T  # (S, S)
    sim = np.eye(S)
    for i in range(S):
        for j in range(i + 1, S):
            union = grams[i] | grams[j]
            melody = len(grams[i] & grams[j]) / len(union) if union else 0.0
            m = min(len(chords[i]), len(chords[j]))
            harmony = sum(a == b for a, b in zip(chords[i], chords[j])) / m if m else 0.0
            sim[i, j] = sim[j, i] = 0.4 * melody + 0.3 * harmony + 0.3 * float(cosine[i, j])
    return sim


# ---------------------------------------------------------------------------------------------
# Per-bar note statistics
def _bar_index(score: Score, times: np.ndarray) -> np.ndarray:
    return np.clip((np.asarray(times) / score.bar_quarters + 1e-9).astype(np.int64), 0, score.bars - 1)


def density_per_bar(score: Score, parts: list[Part] | None = None) -> np.ndarray:
    """Note onsets per bar, (bars,), over the given parts (default: every part)."""
    chosen = score.parts if parts is None else parts
    starts = np.array([n.start for p in chosen for n in p.notes], dtype=np.float64)
    return np.bincount(_bar_index(score, starts), minlength=score.bars).astype(np.float64)[: score.bars]


def velocity_per_bar(score: Score, parts: list[Part] | None = None) -> np.ndarray:
    """Mean velocity of the notes starting in each bar, (bars,); NaN for bars without notes."""
    chosen = score.parts if parts is None else parts
    starts = np.array([n.start for p in chosen for n in p.notes], dtype=np.float64)
    vel = np.array([n.velocity for p in chosen for n in p.notes], dtype=np.float64)
    bars = _bar_index(score, starts)
    total = np.bincount(bars, weights=vel, minlength=score.bars)[: score.bars]
    count = np.bincount(bars, minlength=score.bars)[: score.bars]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


# ---------------------------------------------------------------------------------------------
# Audio
def to_mono(audio: np.ndarray) -> np.ndarray:
    """A float32 mono signal from (n,), (n, channels) or (channels, n) audio (no copy when it already is one)."""
    x = np.asarray(audio)
    if x.dtype != np.float32:
        x = x.astype(np.float32)
    if x.ndim == 1:
        return x
    if x.ndim != 2:
        raise ValueError(f"audio must be 1-D or 2-D, got shape {x.shape}")
    return x.mean(axis=1) if x.shape[0] >= x.shape[1] else x.mean(axis=0)


def _db(mean_square: float) -> float:
    return max(_FLOOR_DB, 10.0 * math.log10(mean_square)) if mean_square > 0 else _FLOOR_DB


def rms_dbfs(x: np.ndarray) -> float:
    """RMS level in dBFS (a full-scale sine is -3 dB); -120 for silence or an empty signal."""
    x = to_mono(x)
    return _db(float(np.dot(x, x)) / x.size) if x.size else _FLOOR_DB  # BLAS dot: no squared copy of the signal


def loudness_per_bar(audio: np.ndarray, sr: int, seconds_per_bar: float, bars: int) -> np.ndarray:
    """RMS dBFS of each bar of the audio, (bars,); bars past the audio's end are -120."""
    x = to_mono(audio)
    out = np.full(bars, _FLOOR_DB)
    edges = np.minimum(np.round(np.arange(bars + 1) * seconds_per_bar * sr).astype(np.int64), x.size)
    for b in range(bars):
        seg = x[edges[b] : edges[b + 1]]  # a view, no copy
        if seg.size:
            out[b] = _db(float(np.dot(seg, seg)) / seg.size)
    return out


def clipping_ratio(audio: np.ndarray, threshold: float = 0.999) -> float:
    """Share of samples (of every channel) at or beyond full scale (|x| >= threshold)."""
    x = np.asarray(audio).ravel()
    if x.size == 0 or max(float(x.max()), -float(x.min())) < threshold:
        return 0.0  # two reductions settle the common case without a temporary array
    return float(np.count_nonzero(np.abs(x) >= threshold)) / x.size


def silence_ratio(audio: np.ndarray, sr: int, frame_s: float = 0.05, threshold_db: float = SILENCE_DB) -> float:
    """Share of `frame_s` frames whose RMS is below `threshold_db` dBFS."""
    x = to_mono(audio)
    frame = max(1, int(round(frame_s * sr)))
    n = x.size // frame
    if n == 0:
        return 1.0 if x.size == 0 or rms_dbfs(x) < threshold_db else 0.0
    frames = x[: n * frame].reshape(n, frame)  # (frames, samples), a view
    mean_square = np.einsum("ij,ij->i", frames, frames) / frame
    return float(np.mean(mean_square < 10.0 ** (threshold_db / 10.0)))
