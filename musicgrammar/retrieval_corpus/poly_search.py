"""Finding a known tune inside polyphony: every indexed top line is aligned against the onset
clusters of a transcription (all the notes heard at once), not against one extracted line.

In a chorale texture the transcription loses soprano notes, splits held ones and adds inner voices,
so the highest transcribed note is often not the tune. Here a tune note scores best when it is the
cluster's highest note, less when it is an octave from it or an inner note of the cluster (the top
was lost), and a cluster where only inner voices move can be skipped cheaply. Local alignment over
(tune note i, cluster j), for all works and 12 transpositions at once, vectorized over the notes:

    H[j, i] = max(0, H[j-1, i-1] + s(i, j),            tune note i heard in cluster j (see _score_table)
                     H[j-1, i-2] + s(i, j) - SKIP_NOTE, the previous tune note was not transcribed
                     H[j-1, i]   - SKIP_CLUSTER)        only inner voices moved at cluster j

The score of a work is its best cell divided by the number of clusters (share of the excerpt explained).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_CLUSTERS", "polyphonic_search", "onset_clusters"]

MAX_CLUSTERS = 160  # about 40 s of four-part music: bounds the cost of one search
SKIP_NOTE, SKIP_CLUSTER = 0.8, 0.2
TOP, OCTAVE, INNER, MISMATCH = 1.0, 0.5, 0.25, -1.0
_TOLERANCE_S = 0.06
_SHIFTS = np.arange(-6, 6)  # transpositions tried, semitones
_PAD = 24  # room for shifted pitches outside 0..127


def onset_clusters(notes: list[tuple[int, float]]) -> list[set[int]]:
    """Pitch sets of notes (pitch, onset s) whose onsets lie within the tolerance of a cluster's first."""
    clusters: list[set[int]] = []
    start = -1.0
    for pitch, onset in sorted(notes, key=lambda n: n[1]):
        if not clusters or onset - start > _TOLERANCE_S:
            clusters.append(set())
            start = onset
        clusters[-1].add(int(pitch))
    return clusters[:MAX_CLUSTERS]


def _score_table(cluster: set[int]) -> np.ndarray:
    """s(pitch) for one cluster over padded pitches, shape (128 + 2 * _PAD,): the cluster's highest
    note is where a tune usually is (TOP), its octaves are the transcription's commonest error
    (OCTAVE), an inner note may be the tune when the top was lost (INNER); anything else MISMATCH."""
    table = np.full(128 + 2 * _PAD, MISMATCH, np.float32)
    top = max(cluster)
    for p in cluster:
        table[p + _PAD] = INNER
    for octave in (-12, 12):
        table[top + octave + _PAD] = max(table[top + octave + _PAD], OCTAVE)
    table[top + _PAD] = TOP
    return table


def polyphonic_search(notes: list[tuple[int, float]], pitches: np.ndarray, offsets: np.ndarray, top: int = 5) -> list[tuple[int, float]]:
    """(work index, score 0..1) best first, for transcribed notes (pitch, onset s) against the
    concatenated indexed top lines `pitches` (N,) with work boundaries `offsets` (E + 1,)."""
    clusters = onset_clusters(notes)
    if len(clusters) < 6 or pitches.size == 0:
        return []
    n = pitches.size
    starts = np.zeros(n, bool)
    starts[offsets[:-1][offsets[:-1] < n]] = True
    second = np.roll(starts, 1)  # the second note of each work cannot look two notes back
    idx = pitches.astype(np.int64)[None, :] + _SHIFTS[:, None] + _PAD  # (12, N)
    h = np.zeros((_SHIFTS.size, n), np.float32)
    best = np.zeros_like(h)
    for cluster in clusters:
        s = _score_table(cluster)[idx]  # (12, N)
        back1 = np.roll(h, 1, axis=1)
        back1[:, starts] = 0.0
        back2 = np.roll(h, 2, axis=1)
        back2[:, starts | second] = 0.0
        h = np.maximum.reduce([np.zeros_like(h), back1 + s, back2 + s - SKIP_NOTE, h - SKIP_CLUSTER])
        np.maximum(best, h, out=best)
    per_note = best.max(axis=0)  # (N,)
    work_best = np.maximum.reduceat(per_note, offsets[:-1].clip(max=n - 1))  # (E,)
    work_best[np.diff(offsets) == 0] = 0.0
    order = np.argsort(-work_best)[:top]
    return [(int(i), float(work_best[i]) / len(clusters)) for i in order]
