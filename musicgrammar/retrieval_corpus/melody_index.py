"""Transposition- and tempo-invariant melody search: interval n-grams, then local alignment.

A melody is reduced to two token streams per note transition k (notes k -> k+1):

* interval  ``iv[k] = pitch[k+1] - pitch[k]`` (clipped to +-24): invariant to transposition;
* rhythm    ``rh[k] = round(2 * log2(ioi[k+1] / ioi[k]))`` (clipped to +-6), the ratio of successive
  inter-onset intervals in half-octave steps: invariant to tempo (any uniform time scaling).

Search is two stages. (1) Recall: every interval 4-gram of the index is in a sorted posting list
(code -> exemplar, position); the query's 4-grams are looked up with ``searchsorted`` and hits are
voted per (exemplar, diagonal = candidate position - query position), so the best diagonal says
where the query sits in each candidate. (2) Precision: the best ``CANDIDATES`` are re-scored by
Smith-Waterman local alignment (affine-free, gap penalty ``GAP``) over a window around that
diagonal, vectorized over candidates; scores are normalized by the query's self-alignment (1.0 =
the query occurs exactly, transposed and re-timed).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from musicgrammar.retrieval_corpus.exemplar import Features
from musicgrammar.retrieval_corpus.features import Melody

__all__ = ["MelodyIndex", "build_melody_index", "load_melody_index", "tokens", "align_scores", "NGRAM"]

NGRAM = 4  # intervals per n-gram (5 notes): specific enough to be rare, short enough to survive variants
CANDIDATES = 48  # candidates re-scored by alignment
MAX_POSTINGS = 60_000  # n-grams more common than this (repeated notes, scales) carry no evidence
GAP = 1.5
MATCH, RHYTHM_BONUS, MISMATCH = 2.0, 0.5, -1.0
_IV_CLIP, _RH_CLIP = 24, 6
_BASE = 2 * _IV_CLIP + 1  # 49 interval symbols -> a 4-gram code fits easily in int64


def tokens(melody: Melody) -> tuple[np.ndarray, np.ndarray]:
    """(intervals, rhythm ratios), both int8 of shape (n-1,) for an n-note melody."""
    p = melody.pitches.astype(np.int64)
    if len(p) < 2:
        return np.zeros(0, np.int8), np.zeros(0, np.int8)
    iv = np.clip(np.diff(p), -_IV_CLIP, _IV_CLIP)
    # Inter-onset intervals; the last note's own duration stands in for the IOI after it.
    ioi = np.append(np.diff(melody.onsets.astype(np.float64)), float(melody.durations[-1]))
    ioi = np.maximum(ioi, 1e-3)
    rh = np.clip(np.round(2.0 * np.log2(ioi[1:] / ioi[:-1])), -_RH_CLIP, _RH_CLIP)  # (n-1,)
    return iv.astype(np.int8), rh.astype(np.int8)


def _codes(iv: np.ndarray) -> np.ndarray:
    """Integer code of every interval n-gram: shape (len(iv) - NGRAM + 1,), int64."""
    if len(iv) < NGRAM:
        return np.zeros(0, np.int64)
    shifted = iv.astype(np.int64) + _IV_CLIP
    windows = np.lib.stride_tricks.sliding_window_view(shifted, NGRAM)  # (k, NGRAM)
    return windows @ (_BASE ** np.arange(NGRAM, dtype=np.int64))


def build_melody_index(records: list[dict[str, Any]], path: Path) -> None:
    """Write the index for records ``{"exemplar": {"id": ...}, "melody": [pitches, onsets, durations]}``."""
    ids: list[str] = []
    ivs, rhs, pitches, onsets, durations, post_codes, post_ex, post_pos = [], [], [], [], [], [], [], []
    offsets = [0]
    for i, rec in enumerate(records):
        p, o, d = rec["melody"]
        melody = Melody(np.asarray(p, np.int16), np.asarray(o, np.float32), np.asarray(d, np.float32))
        iv, rh = tokens(melody)
        codes = _codes(iv)
        ids.append(rec["exemplar"]["id"])
        ivs.append(iv)
        rhs.append(rh)
        pitches.append(melody.pitches)
        onsets.append(melody.onsets)
        durations.append(melody.durations)
        offsets.append(offsets[-1] + len(iv))
        post_codes.append(codes)
        post_ex.append(np.full(len(codes), i, np.int32))
        post_pos.append(np.arange(len(codes), dtype=np.int32))
    # Feature vectors (E, 61), unit length, for "pieces like this one" search by cosine similarity.
    feats = np.asarray([Features.model_validate(r["exemplar"]["features"]).vector() for r in records], np.float32)
    feats /= np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-8)
    codes = np.concatenate(post_codes) if post_codes else np.zeros(0, np.int64)
    order = np.argsort(codes, kind="stable")
    note_offsets = np.cumsum([0] + [len(x) for x in pitches])
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        ids=np.asarray(ids),
        offsets=np.asarray(offsets, np.int64),  # (E+1,) into iv / rh
        iv=np.concatenate(ivs) if ivs else np.zeros(0, np.int8),
        rh=np.concatenate(rhs) if rhs else np.zeros(0, np.int8),
        note_offsets=np.asarray(note_offsets, np.int64),  # (E+1,) into pitches / onsets / durations
        pitches=np.concatenate(pitches) if pitches else np.zeros(0, np.int16),
        onsets=np.concatenate(onsets) if onsets else np.zeros(0, np.float32),
        durations=np.concatenate(durations) if durations else np.zeros(0, np.float32),
        codes=codes[order],
        post_ex=np.concatenate(post_ex)[order] if post_ex else np.zeros(0, np.int32),
        post_pos=np.concatenate(post_pos)[order] if post_pos else np.zeros(0, np.int32),
        features=feats.reshape(len(records), -1),
    )
    tmp.replace(path)


def align_scores(q_iv: np.ndarray, q_rh: np.ndarray, c_iv: np.ndarray, c_rh: np.ndarray) -> np.ndarray:
    """Smith-Waterman best local score of the query (m,) against K candidate windows (K, L).

    Padding in the windows must be a value outside +-24 (it never matches). Rows are query positions;
    one loop step per candidate column, vectorized over the K candidates and m rows. The vertical-gap
    recurrence H[i] = max(E[i], H[i-1] - GAP) is solved in one pass as a running maximum of
    E[k] + GAP*k, minus GAP*i.
    """
    k, length = c_iv.shape
    m = len(q_iv)
    ramp = GAP * np.arange(m, dtype=np.float32)  # (m,)
    h_prev = np.zeros((k, m), np.float32)
    best = np.zeros(k, np.float32)
    q_iv = q_iv[None, :].astype(np.int16)
    q_rh = q_rh[None, :].astype(np.int16)
    for j in range(length):
        col_iv = c_iv[:, j : j + 1].astype(np.int16)  # (K, 1)
        col_rh = c_rh[:, j : j + 1].astype(np.int16)
        match = col_iv == q_iv  # (K, m)
        s = np.where(match, MATCH + RHYTHM_BONUS * (col_rh == q_rh), MISMATCH).astype(np.float32)
        diag = np.empty_like(h_prev)
        diag[:, 0] = 0.0
        diag[:, 1:] = h_prev[:, :-1]
        e = np.maximum(np.maximum(diag + s, h_prev - GAP), 0.0)  # (K, m)
        h = np.maximum.accumulate(e + ramp, axis=1) - ramp
        best = np.maximum(best, h.max(axis=1))
        h_prev = h
    return best


@dataclass
class MelodyIndex:
    """The loaded index arrays (see build_melody_index for their shapes)."""

    arrays: dict[str, np.ndarray]

    @property
    def ids(self) -> np.ndarray:
        return self.arrays["ids"]

    def __len__(self) -> int:
        return int(len(self.arrays["ids"]))

    def melody(self, index: int) -> Melody:
        a, b = self.arrays["note_offsets"][index], self.arrays["note_offsets"][index + 1]
        return Melody(self.arrays["pitches"][a:b], self.arrays["onsets"][a:b], self.arrays["durations"][a:b])

    def position(self, exemplar_id: str) -> int | None:
        hits = np.nonzero(self.arrays["ids"] == exemplar_id)[0]
        return int(hits[0]) if len(hits) else None

    def similar(self, vector: np.ndarray, top: int = 5, exclude: str | None = None) -> list[tuple[str, float]]:
        """Nearest exemplars by cosine similarity of feature vectors (Features.vector(), 61 numbers)."""
        v = np.asarray(vector, np.float32)
        v = v / max(float(np.linalg.norm(v)), 1e-8)
        sims = self.arrays["features"] @ v  # (E,)
        order = np.argsort(-sims, kind="stable")
        out = []
        for i in order:
            if exclude is not None and str(self.arrays["ids"][i]) == exclude:
                continue
            out.append((str(self.arrays["ids"][i]), round(float(sims[i]), 4)))
            if len(out) == top:
                break
        return out

    def search(self, query: Melody, top: int = 5) -> list[tuple[str, float]]:
        """Best ``top`` (exemplar id, score in 0..1) for a query melody of at least NGRAM + 2 notes."""
        q_iv, q_rh = tokens(query)
        m = len(q_iv)
        if m < NGRAM + 1:
            raise ValueError(f"a melody query needs at least {NGRAM + 2} notes, got {len(query)}")
        a = self.arrays
        q_codes = _codes(q_iv)
        lo = np.searchsorted(a["codes"], q_codes, side="left")
        hi = np.searchsorted(a["codes"], q_codes, side="right")
        ex_hits, diag_hits = [], []
        for qpos, (start, stop) in enumerate(zip(lo, hi)):
            if stop <= start or stop - start > MAX_POSTINGS:
                continue
            ex_hits.append(a["post_ex"][start:stop])
            diag_hits.append(a["post_pos"][start:stop] - qpos)
        if not ex_hits:
            return []
        ex = np.concatenate(ex_hits).astype(np.int64)
        diag = np.concatenate(diag_hits).astype(np.int64)
        # Votes per (exemplar, diagonal); keep each exemplar's best diagonal.
        pair = ex * 1_000_000 + (diag + 500_000)
        uniq, votes = np.unique(pair, return_counts=True)
        u_ex, u_diag = uniq // 1_000_000, uniq % 1_000_000 - 500_000
        order = np.lexsort((-votes, u_ex))  # by exemplar, most votes first
        first = np.ones(len(order), bool)
        first[1:] = u_ex[order][1:] != u_ex[order][:-1]
        best_ex, best_diag, best_votes = u_ex[order][first], u_diag[order][first], votes[order][first]
        pick = np.lexsort((best_ex, -best_votes))[: max(CANDIDATES, top)]
        cand, cand_diag = best_ex[pick], best_diag[pick]
        # Alignment windows: the diagonal's span plus a margin of half the query on each side.
        pad = m // 2 + 2
        width = m + 2 * pad
        c_iv = np.full((len(cand), width), 99, np.int16)
        c_rh = np.zeros((len(cand), width), np.int16)
        offsets = a["offsets"]
        for r, (e, d) in enumerate(zip(cand, cand_diag)):
            s0, s1 = offsets[e], offsets[e + 1]
            start = s0 + d - pad
            lo_i, hi_i = max(start, s0), min(start + width, s1)
            if hi_i > lo_i:
                c_iv[r, lo_i - start : hi_i - start] = a["iv"][lo_i:hi_i]
                c_rh[r, lo_i - start : hi_i - start] = a["rh"][lo_i:hi_i]
        scores = align_scores(q_iv, q_rh, c_iv, c_rh)
        self_score = float(align_scores(q_iv, q_rh, q_iv[None, :].astype(np.int16), q_rh[None, :].astype(np.int16))[0])
        norm = scores / max(self_score, 1e-6)
        # Ties (the same tune in several sources) resolve by votes, then by index order: deterministic.
        final = np.lexsort((cand, -best_votes[pick], -norm))[:top]
        return [(str(a["ids"][cand[i]]), round(float(norm[i]), 4)) for i in final]


_cache: dict[str, tuple[float, MelodyIndex]] = {}
_lock = threading.Lock()


def load_melody_index(path: Path) -> MelodyIndex:
    """Load (and cache per process, keyed by path and modification time) a melody index."""
    key = str(Path(path).resolve())
    mtime = Path(path).stat().st_mtime
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == mtime:
            return hit[1]
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        index = MelodyIndex(arrays)
        _cache[key] = (mtime, index)
        return index
