"""Rule-based baseline: one diatonic triad per beat, chosen by dynamic programming.

Works in the normalized key (C major / A minor) on the harmonizer's grid. Each beat scores how much
of the melody sounding in it the chord covers, with a small prior for the primary triads, a cost for
changing chord off the downbeat, a bonus for functional moves (IV/ii -> V, V -> I), and a cadence
rule: the last melody beat takes the tonic and the beat before it prefers the dominant.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from musicgrammar.tools.harmonizer.tokens import BAR, NC, QUALITIES, Step, chord_token

_Q = {name: i for i, (name, _, _) in enumerate(QUALITIES)}

# (root pc, quality, prior) in C major and in A minor (harmonic V).
_MAJOR = [(0, "major", 0.3), (2, "minor", 0.18), (4, "minor", 0.0), (5, "major", 0.2), (7, "major", 0.25), (9, "minor", 0.1), (11, "diminished", -0.4)]
_MINOR = [(9, "minor", 0.3), (11, "diminished", -0.3), (0, "major", 0.05), (2, "minor", 0.2), (4, "major", 0.25), (5, "major", 0.1), (7, "major", 0.0)]


def _functional_bonus(a: tuple[int, str], b: tuple[int, str], tonic: int) -> float:
    """Bonus for common functional successions (degrees relative to the tonic)."""
    da, db = (a[0] - tonic) % 12, (b[0] - tonic) % 12
    if da == 7 and db == 0:  # V -> I
        return 0.4
    if da in (5, 2) and db == 7:  # IV / ii -> V
        return 0.3
    if da == 0 and db in (5, 7):  # I -> IV / V
        return 0.1
    if db == (da + 5) % 12:  # any fall of a fifth
        return 0.1
    return 0.0


def harmonize_rules(roll: np.ndarray, steps: Sequence[Step], major: bool) -> np.ndarray:
    """roll (L, 13) melody of the normalized key, steps (L,) -> chord tokens (L,)."""
    chords = _MAJOR if major else _MINOR
    tonic = 0 if major else 9
    K = len(chords)
    beat_idx = [i for i, st in enumerate(steps) if not st.is_bar]
    sounding = [i for i in beat_idx if roll[i, :12].any()]
    out = np.array([BAR if st.is_bar else NC for st in steps], dtype=np.int64)
    if not sounding:
        return out
    first, last = sounding[0], sounding[-1]
    active = [i for i in beat_idx if first <= i <= last]  # beats from the first to the last melody beat
    pcs = [{(r + iv) % 12 for iv in QUALITIES[_Q[q]][2]} for r, q, _ in chords]
    # emission (T, K): coverage of the melody in each beat
    T = len(active)
    emit = np.zeros((T, K))
    for t, i in enumerate(active):
        mel = np.flatnonzero(roll[i, :12])
        for k, (_, _, prior) in enumerate(chords):
            if len(mel):
                hit = sum(1 for p in mel if p in pcs[k])
                emit[t, k] = 2.0 * hit / len(mel) - 1.5 * (len(mel) - hit) / len(mel)
            emit[t, k] += prior
    tonic_k = next(k for k, c in enumerate(chords) if c[0] == tonic)
    dominant_k = next(k for k, c in enumerate(chords) if c[0] == (tonic + 7) % 12)
    emit[T - 1, :] -= 10.0  # cadence: the last melody beat takes the tonic
    emit[T - 1, tonic_k] += 10.0
    if T >= 2:
        emit[T - 2, dominant_k] += 0.8
    # Viterbi over beats
    score = emit[0].copy()
    back = np.zeros((T, K), dtype=np.int64)
    for t in range(1, T):
        downbeat = steps[active[t]].beat == 1
        trans = np.zeros((K, K))
        for a in range(K):
            for b in range(K):
                if a != b:
                    trans[a, b] = (-0.1 if downbeat else -0.45) + _functional_bonus(chords[a][:2], chords[b][:2], tonic)
        cand = score[:, None] + trans  # (K from, K to)
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + emit[t]
    path = [int(score.argmax())]
    for t in range(T - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    path.reverse()
    for t, i in enumerate(active):
        r, q, _ = chords[path[t]]
        out[i] = chord_token(r, _Q[q])
    # after the last melody beat the tonic rings on to the end of the bar
    for i in beat_idx:
        if i > last and steps[i].bar == steps[last].bar:
            out[i] = out[last]
    return out
