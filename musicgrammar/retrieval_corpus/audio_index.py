"""The library's audio index: every work rendered and kept as quantized chroma, and a recording found
in it by CENS audio matching (Mueller, Kurth and Clausen, 2005).

Building renders each work of the packaged subset once (all its parts, FluidR3 piano, REF_BPM quarters
per minute, dry) and stores the quantized chroma of the render, 10 frames per second, one uint8 row per
frame (`build_audio_index`; `musicgrammar corpus audio-index`). Searching slides the recording's CENS
features over every work at once, for the 12 transpositions and a grid of tempo ratios, by FFT
correlation; the best work's ratio is then refined, which also measures the recording's tempo:

    score(work, start j, shift t, ratio r) = mean_i  cens(recording stretched by r)[i] . roll(cens(work), t)[j + i]

The cosine is 0..1 (1: the recording's chroma follows the work's exactly), but chroma of nonnegative
energies is never far from other chroma, and the slower the tempo tried, the more the recording's
frames are averaged and the higher every cosine gets. So works are ranked by how far their cosine
stands above the whole index's at the same tempo ratio (a z-score over every start and work), and a
match is judged by that and by its lead over the best work with another title.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.fft

from musicgrammar.errors import StoreError
from musicgrammar.tools.listen.chroma import CENS_STEP, FRAME_RATE, cens

__all__ = ["AUDIO_INDEX_PATH", "REF_BPM", "AudioHit", "AudioIndex", "audio_search", "build_audio_index", "default_index_path",
           "load_audio_index", "packaged_records", "work_notes"]  # fmt: skip

AUDIO_INDEX_PATH = Path(__file__).parent / "data" / "audio_index.npz"
REF_BPM = 100.0  # quarter notes per minute of every indexed render
RENDER_INSTRUMENT = "acoustic_grand_piano"  # a plain timbre: CENS hears pitch classes, not instruments
RATIOS = 2.0 ** (np.arange(-6, 7) / 6.0)  # recording tempo / REF_BPM tried by the search: 0.5 .. 2, 12 % apart
_FINE = 2.0 ** (np.arange(-8, 9) / 48.0)  # the refinement around the best ratio: 1.5 % apart, one coarse step each way
MAX_QUERY_S = 60.0  # a longer recording is matched on its first minute


@dataclass(frozen=True)
class AudioHit:
    """One work found in a recording: its score, how many semitones the recording sounds above the
    indexed work (0-11, pitch classes only), its tempo relative to REF_BPM and where in the work it starts."""

    id: str
    score: float  # standard deviations above the index's cosines at the same tempo ratio: what ranks works
    cosine: float  # mean cosine of the aligned CENS frames, 0..1
    shift: int
    tempo_ratio: float
    start_s: float

    @property
    def tempo_bpm(self) -> float:
        """The recording's tempo in quarter notes per minute, from the alignment."""
        return REF_BPM * self.tempo_ratio


@dataclass
class AudioIndex:
    """Quantized chroma of every indexed work, concatenated: `levels` (N, 12) uint8 at FRAME_RATE with
    work boundaries `offsets` (E + 1,), and the work ids (E,)."""

    ids: list[str]
    offsets: np.ndarray
    levels: np.ndarray
    _cens: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _spectra: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def features(self) -> tuple[np.ndarray, np.ndarray]:
        """CENS of every work, concatenated: (M, 12) float32, and their boundaries (E + 1,)."""
        if self._cens is None:
            parts = [cens(self.levels[a:b]) if b > a else np.zeros((0, 12), np.float32) for a, b in zip(self.offsets[:-1], self.offsets[1:])]
            bounds = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
            self._cens = (np.concatenate(parts) if parts else np.zeros((0, 12), np.float32), bounds)
        return self._cens

    def fft_size(self) -> int:
        """One FFT length for every query: the features plus the longest query (a minute at half speed)."""
        longest = int(math.ceil(MAX_QUERY_S * FRAME_RATE * float(RATIOS.max()) / CENS_STEP)) + 1
        return int(scipy.fft.next_fast_len(len(self.features()[0]) + longest, real=True))

    def spectrum(self) -> np.ndarray:
        """The 2-D spectrum of the CENS features (real FFT over time, FFT over pitch class): (fft_size//2+1, 12)."""
        nfft = self.fft_size()
        if nfft not in self._spectra:
            feats, _ = self.features()
            self._spectra[nfft] = scipy.fft.fft(scipy.fft.rfft(feats, n=nfft, axis=0), axis=1)
        return self._spectra[nfft]


def _correlate(index: AudioIndex, query: np.ndarray) -> np.ndarray:
    """Mean cosine of `query` (L, 12) at every start frame of the index and every shift: (12, M).
    Row t is the recording sounding t semitones above the work."""
    feats, _ = index.features()
    m, length, nfft = len(feats), len(query), index.fft_size()
    # reversing the query in time and in pitch class turns the correlation into a product of spectra
    flipped = query[::-1][:, (-np.arange(12)) % 12]
    spec = index.spectrum() * scipy.fft.fft(scipy.fft.rfft(flipped, n=nfft, axis=0), axis=1)
    full = scipy.fft.irfft(scipy.fft.ifft(spec, axis=1), n=nfft, axis=0)  # (nfft, 12): [j + L - 1, s]
    corr = full[length - 1 : length - 1 + m].T / length  # (12, M), column s: query pc (d - s) met work pc d
    return corr[(-np.arange(12)) % 12]  # row t: the query sounds t semitones above the work


def _valid_starts(bounds: np.ndarray, length: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """For every start frame: whether the query fits inside one work from there, and that work's index."""
    owner = np.searchsorted(bounds, np.arange(m), side="right") - 1
    room = bounds[owner + 1] - np.arange(m)
    fits = (room >= length) | (np.arange(m) == bounds[owner])  # a work shorter than the query: from its start only
    return fits, owner


def audio_search(levels: np.ndarray, index: AudioIndex, top: int = 5) -> list[AudioHit]:
    """The works best matching a recording's quantized chroma `levels` (T, 12) at FRAME_RATE, best first,
    one hit per work."""
    levels = levels[: int(MAX_QUERY_S * FRAME_RATE)]
    feats, bounds = index.features()
    if len(feats) == 0 or len(levels) < 4 * CENS_STEP or not levels.any():
        return []
    best = np.full(len(index.ids), -np.inf)
    where: dict[int, tuple[int, float, int, float]] = {}  # work -> (shift, ratio, start frame, cosine)
    for ratio in RATIOS:
        query = cens(levels, stretch=float(ratio))
        corr = _correlate(index, query)  # (12, M)
        fits, owner = _valid_starts(bounds, len(query), len(feats))
        shift = corr.argmax(axis=0)  # (M,)
        cosine = corr[shift, np.arange(len(feats))]
        background = cosine[fits]
        z = np.where(fits, (cosine - background.mean()) / max(float(background.std()), 1e-6), -np.inf)
        per_work = np.full(len(index.ids), -np.inf)
        np.maximum.at(per_work, owner, z)
        for work in np.flatnonzero(per_work > best):
            frame = int(np.flatnonzero((owner == work) & (z == per_work[work]))[0])
            where[int(work)] = (int(shift[frame]), float(ratio), frame - int(bounds[work]), float(cosine[frame]))
        best = np.maximum(best, per_work)
    order = [w for w in np.argsort(-best)[:top] if np.isfinite(best[w])]
    hits = []
    for rank, work in enumerate(order):
        shift, ratio, start, cosine = where[int(work)]
        if rank == 0:  # the best work: a finer tempo ratio (the recording's tempo) and its cosine there
            shift, ratio, start, cosine = _refine(index, int(work), levels, shift, ratio, start, cosine)
        hits.append(AudioHit(id=index.ids[int(work)], score=round(float(best[work]), 3), cosine=round(cosine, 4), shift=shift,
                             tempo_ratio=round(ratio, 4), start_s=round(start * CENS_STEP / FRAME_RATE, 2)))  # fmt: skip
    return hits


def _refine(index: AudioIndex, work: int, levels: np.ndarray, shift: int, ratio: float, start: int, score: float) -> tuple[int, float, int, float]:
    """Try tempo ratios 1.5 % apart around `ratio` against one work (direct sums: the work is short)."""
    feats, bounds = index.features()
    span = np.roll(feats[bounds[work] : bounds[work + 1]], shift, axis=1)  # the work as the recording sounds
    for fine in ratio * _FINE:
        query = cens(levels, stretch=float(fine))
        length = len(query)
        if length > len(span):
            continue
        windows = np.lib.stride_tricks.sliding_window_view(span, (length, 12))[:, 0]  # (starts, L, 12)
        values = np.einsum("sld,ld->s", windows, query) / length
        at = int(values.argmax())
        if values[at] > score:
            score, ratio, start = float(values[at]), float(fine), at
    return shift, ratio, start, score


def work_notes(record: dict[str, Any]) -> list[tuple[int, float, float]]:
    """Every note (MIDI pitch, onset, duration in quarters) of a library record: all parts of its source
    file when it has several voices (read with music21), otherwise its stored melody."""
    if int(record["exemplar"].get("voices") or 1) > 1:
        try:
            return _source_notes(record["exemplar"]["source"])
        except Exception:  # noqa: BLE001 - an unreadable source falls back to the melody the library stores
            pass
    pitches, onsets, durations = record["melody"]
    return [(int(p), float(o), float(d)) for p, o, d in zip(pitches, onsets, durations)]


def _source_notes(source: str) -> list[tuple[int, float, float]]:
    import music21

    from musicgrammar.retrieval_corpus.builder import corpus_root

    parsed = music21.converter.parse(str(corpus_root() / source.split("#")[0]))
    notes = []
    for element in parsed.flatten().notes:
        for pitch in getattr(element, "pitches", ()):
            notes.append((int(pitch.midi), float(element.offset), float(element.quarterLength)))
    if not notes:
        raise StoreError(f"{source} has no notes")
    return notes


def _render_levels(notes: list[tuple[int, float, float]], soundfont: Path | None) -> np.ndarray:
    """Render notes (quarters) at REF_BPM on one piano and return their quantized chroma (T, 12)."""
    from musicgrammar.ontologies import Key, Meter, Note, Part, Score
    from musicgrammar.tools.listen.chroma import chroma_frames, quantize
    from musicgrammar.tools.render import render_parts

    kept = [Note(pitch=min(127, max(0, p)), start=round(o, 4), duration=round(d, 4)) for p, o, d in notes if d > 0]
    end = max(n.start + n.duration for n in kept)
    score = Score(title="index", key=Key(tonic="C", mode="major"), meter=Meter.parse("4/4"), tempo_bpm=REF_BPM,
                  bars=max(1, math.ceil(end / 4.0)), parts=[Part(id="all", instrument=RENDER_INSTRUMENT, notes=kept)])  # fmt: skip
    stems, sr, _ = render_parts(score, soundfont=soundfont, sample_rate=22050, tail_s=0.5, reverb=False)
    return quantize(chroma_frames(sum(stems.values()), sr))


def build_audio_index(records: Iterable[dict[str, Any]], out: Path, soundfont: Path | None = None,
                      progress: Callable[[int, int, str], None] | None = None) -> AudioIndex:  # fmt: skip
    """Render every record and write the index to `out` (.npz) atomically: a crash leaves the old file."""
    from musicgrammar.fileio import atomic_write

    records = list(records)
    ids, chunks, skipped = [], [], []
    for done, record in enumerate(records, 1):
        work_id = record["exemplar"]["id"]
        try:
            chunks.append(_render_levels(work_notes(record), soundfont))
            ids.append(work_id)
        except Exception as exc:  # noqa: BLE001 - one unrenderable work is left out and named, the rest is built
            skipped.append(f"{work_id}: {type(exc).__name__}: {str(exc)[:80]}")
        if progress is not None:
            progress(done, len(records), work_id)
    if not chunks:
        raise StoreError("no work of the library could be rendered for the audio index")
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in chunks])]).astype(np.int64)
    meta = {"ref_bpm": REF_BPM, "frame_rate": FRAME_RATE, "instrument": RENDER_INSTRUMENT, "skipped": skipped}
    with atomic_write(out, suffix=".npz") as tmp:
        with tmp.open("wb") as handle:
            np.savez_compressed(handle, ids=np.array(ids), offsets=offsets, levels=np.concatenate(chunks), meta=np.array(json.dumps(meta)))
    load_audio_index.cache_clear()
    return AudioIndex(ids=ids, offsets=offsets, levels=np.concatenate(chunks))


def default_index_path() -> Path:
    """`MUSICGRAMMAR_AUDIO_INDEX` when set, else the packaged index."""
    import os

    return Path(os.environ["MUSICGRAMMAR_AUDIO_INDEX"]) if os.environ.get("MUSICGRAMMAR_AUDIO_INDEX") else AUDIO_INDEX_PATH


@lru_cache(maxsize=2)
def load_audio_index(path: Path = AUDIO_INDEX_PATH) -> AudioIndex:
    """The audio index at `path` (the packaged one by default)."""
    if not Path(path).is_file():
        raise StoreError(f"the audio index is missing ({path}); run `musicgrammar corpus audio-index`")
    try:
        with np.load(path, allow_pickle=False) as data:
            return AudioIndex(ids=[str(i) for i in data["ids"]], offsets=data["offsets"].astype(np.int64), levels=data["levels"])
    except (OSError, ValueError, KeyError) as exc:
        raise StoreError(f"the audio index {path} is unreadable ({exc}); rebuild it with `musicgrammar corpus audio-index`") from exc


def packaged_records() -> list[dict[str, Any]]:
    """The records of the packaged library subset (the works the packaged audio index covers)."""
    from musicgrammar.retrieval_corpus.api import _subset_records

    return _subset_records()
