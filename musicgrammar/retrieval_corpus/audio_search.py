"""Retrieval from what was heard: the transcribed top line against the melody index, the identified
work's composer facts, and the other works that carry the same tune.

The margin of a match is measured against the best hit of a *different* title, so that two
harmonizations of one chorale tune do not make each other look uncertain.
"""

from __future__ import annotations

from dataclasses import dataclass

from musicgrammar.retrieval_corpus.exemplar import Exemplar
from musicgrammar.retrieval_corpus.store import Store

__all__ = ["MelodyMatch", "SAME_MELODY_MIN", "match_melody", "same_melody"]

SAME_MELODY_MIN = 0.6  # alignment score above which another work is said to use the same tune


@dataclass(frozen=True)
class MelodyMatch:
    """The best hit, its score and its lead over the best hit with another title (0 when none)."""

    best: Exemplar | None
    score: float
    margin: float
    hits: list[Exemplar]


def match_melody(line: list[tuple[int, float, float]], store: Store, top: int = 5) -> MelodyMatch:
    """Search the melody index with a heard top line of (pitch, onset s, duration s); onsets in
    seconds are fine, the search is tempo-invariant."""
    from musicgrammar.retrieval_corpus.api import melody_search

    if len(line) < 6:
        return MelodyMatch(None, 0.0, 0.0, [])
    hits = melody_search(line, top=top, store=store)
    if not hits:
        return MelodyMatch(None, 0.0, 0.0, [])
    best = hits[0]
    other = next((h for h in hits[1:] if h.title != best.title), None)
    score = float(best.score or 0.0)
    margin = score - float(other.score or 0.0) if other is not None else score
    return MelodyMatch(best, score, margin, hits)


def same_melody(work: Exemplar, store: Store, top: int = 6) -> list[Exemplar]:
    """Other works of the library whose top line carries this work's tune (best first)."""
    from musicgrammar.retrieval_corpus.api import get_melody, melody_search

    hits = melody_search(get_melody(work.id, store), top=top, store=store)
    return [h for h in hits if h.id != work.id and float(h.score or 0.0) >= SAME_MELODY_MIN]
