"""Melody-first harmony for four-part (SATB) pieces: the trained harmonizer chooses the chords.

A chorale is harmonized the way Bach's were: the tune first, then a chord under every beat. Once
the soprano is realized, `harmonize_soprano` runs the trained harmonizer (FF checkpoint, Bach
chorales) on it and writes its chords into the spec's section progressions, bar by bar, so that
the validators, the critic and the report read the chords that are actually voiced.

What stays planned, and why:
- a section's closing bar(s) when the harmonizer's last two chords do not make the section's
  declared cadence (the cadence is a promise of the design; the final one must close the piece);
- sections in a local key of their own (the harmonizer works in the piece's key);
- bars where the soprano is silent (the harmonizer gives no chord there);
- pieces in a meter whose felt beat is not a quarter note (the harmonizer's grid is quarters).
"""

from __future__ import annotations

from collections.abc import Sequence

from musicgrammar.ontologies import Cadence, CompositionSpec, Note, Part, Role, Score, cadences_made, parse_bar, section_spans
from musicgrammar.tools.harmonizer import HarmonizedChord, harmonize_melody

__all__ = ["harmonize_soprano", "harmonizer_bars"]

_EPS = 1e-6


def harmonizer_bars(chords: Sequence[HarmonizedChord], beat_quarters: float) -> dict[int, str]:
    """The harmonizer's chords as bar texts ('Dm:2 G:2'), keyed by 0-based bar of the piece.

    Beat counts are felt beats (`beat_quarters` quarter notes each), so each bar text fills its
    bar exactly the way `chord_timeline` reads it back.
    """
    bars: dict[int, list[tuple[str, float]]] = {}
    for c in chords:
        cells = bars.setdefault(c.bar - 1, [])
        beats = c.duration / beat_quarters
        if cells and cells[-1][0] == c.symbol:  # the same chord held on: one span
            cells[-1] = (c.symbol, cells[-1][1] + beats)
        else:
            cells.append((c.symbol, beats))
    return {bar: " ".join(f"{symbol}:{beats:g}" for symbol, beats in cells) for bar, cells in bars.items()}


def _closes(bars: Sequence[str], cadence: Cadence, key) -> bool:  # type: ignore[no-untyped-def]
    chords = [span.chord for text in bars for span in parse_bar(text)]
    return len(chords) >= 2 and cadence in cadences_made(chords[-2], chords[-1], key)


def harmonize_soprano(spec: CompositionSpec, soprano: Sequence[Note], seed: int) -> CompositionSpec:
    """`spec` with its section progressions replaced by the harmonizer's chords for `soprano`.

    Deterministic for a seed. A bar the harmonizer covers only in part (the soprano enters or
    stops inside it) keeps its planned chords, so that every bar stays filled to the meter.
    """
    meter = spec.meter
    if not soprano or any(abs(b - 1.0) > _EPS for b in meter.beats):
        return spec
    melody = Score(title=spec.title, key=spec.key, meter=meter, tempo_bpm=spec.tempo.bpm, bars=spec.bars,
                   parts=[Part(id="soprano", instrument="soprano", role=Role.LEAD, notes=list(soprano))])  # fmt: skip
    result = harmonize_melody(melody, seed=seed, method="ff")
    bar_q = meter.bar_quarters
    full = {bar for bar in {c.bar - 1 for c in result.chords}
            if abs(sum(c.duration for c in result.chords if c.bar - 1 == bar) - bar_q) < _EPS}  # fmt: skip
    texts = harmonizer_bars(result.chords, 1.0)
    sections = []
    for span in section_spans(spec):
        section = span.section
        if section.key is not None and section.key != spec.key:
            sections.append(section)
            continue
        planned = list(section.progression)
        chosen = [texts[span.start_bar + i] if span.start_bar + i in full else text for i, text in enumerate(planned)]
        if section.cadence is not Cadence.OPEN and _closes(planned, section.cadence, spec.key) and not _closes(chosen, section.cadence, spec.key):
            for keep in (1, 2):  # the planned cadence chords: the last bar, or the last two when the bar holds one chord
                chosen[-keep:] = planned[-keep:]
                if _closes(chosen, section.cadence, spec.key):
                    break
        sections.append(section.model_copy(update={"progression": chosen}))
    return spec.model_copy(update={"sections": sections})
