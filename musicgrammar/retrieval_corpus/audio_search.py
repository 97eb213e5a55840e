"""Retrieval from what was heard: the recording's chroma against the audio index, the transcribed
notes and top line against the melody index, the identified work's composer facts, and the other works
that carry the same tune.

The margin of a match is measured against the best hit of a *different* title, so that two
harmonizations of one chorale tune do not make each other look uncertain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from musicgrammar.retrieval_corpus.audio_index import AudioHit
from musicgrammar.retrieval_corpus.exemplar import Exemplar
from musicgrammar.retrieval_corpus.store import Store

__all__ = ["MelodyMatch", "SAME_MELODY_MIN", "match_audio", "match_melody", "match_polyphony", "same_melody"]

SAME_MELODY_MIN = 0.6  # alignment score above which another work is said to use the same tune


@dataclass(frozen=True)
class MelodyMatch:
    """The best hit, its score and its lead over the best hit with another title (0 when none)."""

    best: Exemplar | None
    score: float
    margin: float
    hits: list[Exemplar]
    aligned: AudioHit | None = None  # the audio index's alignment of the best hit (transposition, tempo)


def match_melody(line: list[tuple[int, float, float]], store: Store, top: int = 5) -> MelodyMatch:
    """Search the melody index with a heard top line of (pitch, onset s, duration s); onsets in
    seconds are fine, the search is tempo-invariant."""
    from musicgrammar.retrieval_corpus.api import melody_search

    if len(line) < 6:
        return MelodyMatch(None, 0.0, 0.0, [])
    hits = melody_search(line, top=top, store=store)
    return _match([(h.id, float(h.score or 0.0)) for h in hits], store)


def _match(ranked: list[tuple[str, float]], store: Store) -> MelodyMatch:
    by_id = {e.id: e for e in store.get([i for i, _ in ranked])}
    hits = [by_id[i].model_copy(update={"score": s}) for i, s in ranked if i in by_id]
    if not hits:
        return MelodyMatch(None, 0.0, 0.0, [])
    best = hits[0]
    other = next((h for h in hits[1:] if h.title != best.title), None)
    score = float(best.score or 0.0)
    return MelodyMatch(best, score, score - float(other.score or 0.0) if other is not None else score, hits)


def match_audio(levels: list[list[int]], store: Store, index_path: Path | None = None, top: int = 5) -> tuple[MelodyMatch, int]:
    """Search the audio index (`default_index_path()` unless `index_path`) with a recording's quantized
    chroma; also returns how many works the index covers."""
    import numpy as np

    from musicgrammar.retrieval_corpus.audio_index import audio_search, default_index_path, load_audio_index

    index = load_audio_index(Path(index_path) if index_path else default_index_path())
    hits = audio_search(np.asarray(levels, dtype=np.uint8).reshape(-1, 12), index, top=top)
    match = _match([(h.id, h.score) for h in hits], store)
    if match.best is not None and hits[0].id == match.best.id:
        match = MelodyMatch(match.best, match.score, match.margin, match.hits, aligned=hits[0])
    return match, len(index.ids)


def match_polyphony(heard: list[tuple[int, float]], store: Store, top: int = 5) -> MelodyMatch:
    """Search every indexed tune inside all the transcribed notes (pitch, onset s) at once."""
    from musicgrammar.retrieval_corpus.melody_index import load_melody_index
    from musicgrammar.retrieval_corpus.poly_search import polyphonic_search

    index = load_melody_index(store.melody_index_path())
    ranked = polyphonic_search(heard, index.arrays["pitches"], index.arrays["note_offsets"], top=top)
    return _match([(str(index.ids[i]), s) for i, s in ranked], store)


def same_melody(work: Exemplar, store: Store, top: int = 6) -> list[Exemplar]:
    """Other works of the library whose top line carries this work's tune (best first)."""
    from musicgrammar.retrieval_corpus.api import get_melody, melody_search

    hits = melody_search(get_melody(work.id, store), top=top, store=store)
    return [h for h in hits if h.id != work.id and float(h.score or 0.0) >= SAME_MELODY_MIN]
