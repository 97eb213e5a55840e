"""Where a design's sections and chords fall in time: the one chord timeline of the ontology.

Time is in quarter notes from the start of the piece (time 0 is a downbeat). The realizer writes
its notes on this timeline and the validators, the Harmony Critic, the Aesthetics Judge and the
harmony metrics measure against the same one, so a chord is heard where it is checked: 'G7:2 C:1'
in 7/8 (2+2+3) puts G7 on the first two felt beats (2.0 quarters) and C on the last (1.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicgrammar.ontologies.composition import CompositionSpec
from musicgrammar.ontologies.form import Section
from musicgrammar.ontologies.harmony import ChordSymbol, parse_bar
from musicgrammar.ontologies.rhythm import Meter
from musicgrammar.ontologies.theory import Key

__all__ = ["SectionSpan", "ChordEvent", "section_spans", "chord_timeline", "chord_at", "chord_index_at", "bar_edges"]

_EPS = 1e-6


@dataclass(frozen=True)
class SectionSpan:
    """Where a section lies: its index, first bar (0-based) and span in quarter notes."""

    index: int
    section: Section
    start_bar: int
    start: float
    end: float

    @property
    def bars(self) -> int:
        return self.section.bars

    def contains(self, t: float) -> bool:
        return self.start - _EPS <= t < self.end - _EPS


@dataclass(frozen=True)
class ChordEvent:
    """One chord of a progression placed on the time line."""

    onset: float  # quarter notes from the start of the piece
    duration: float  # quarter notes
    chord: ChordSymbol
    section_index: int
    bar_in_section: int  # 0-based
    span_index: int  # position of the chord within its bar
    key: Key  # the section's key (its local key, else the piece's)
    pcs: frozenset[int]  # the chord's pitch classes, computed once

    @property
    def end(self) -> float:
        return self.onset + self.duration

    @property
    def path(self) -> str:
        return f"spec.sections[{self.section_index}].progression[{self.bar_in_section}]"


def section_spans(spec: CompositionSpec) -> list[SectionSpan]:
    """The sections in order with their first bar and quarter-note span."""
    bar_q = spec.meter.bar_quarters
    spans, bar = [], 0
    for index, section in enumerate(spec.sections):
        spans.append(SectionSpan(index, section, bar, bar * bar_q, (bar + section.bars) * bar_q))
        bar += section.bars
    return spans


def bar_edges(meter: Meter, beats: Sequence[float | None]) -> list[float]:
    """Onsets within a bar (plus the bar's end) of chords lasting `beats` felt beats each.

    Counts are felt beats of the meter's grouping, so fractional counts fall inside a beat group
    in proportion ('G7:2 C:1' in 7/8 (2+2+3) -> 0, 2.0, 3.5). With any count missing the chords
    share the bar equally. An overflowing bar is cut at the bar line.
    """
    bar_q = meter.bar_quarters
    if not beats or any(b is None for b in beats):
        return [bar_q * k / max(1, len(beats)) for k in range(len(beats) + 1)]
    knots_b = np.arange(len(meter.beats) + 1, dtype=np.float64)
    knots_q = np.concatenate([[0.0], np.cumsum(meter.beats)])
    edges_b = np.concatenate([[0.0], np.cumsum([float(b) for b in beats if b is not None])])
    return [float(min(q, bar_q)) for q in np.interp(edges_b, knots_b, knots_q, right=bar_q)]


def chord_timeline(spec: CompositionSpec) -> list[ChordEvent]:
    """Every chord of every section, with its onset and length in quarter notes.

    Empty bars and bars past a section's length leave no chord (see `bar_edges` for the split).
    """
    bar_q = spec.meter.bar_quarters
    events: list[ChordEvent] = []
    for span in section_spans(spec):
        key = span.section.key or spec.key
        for bar_index, text in enumerate(span.section.progression[: span.section.bars]):
            chords = parse_bar(text)
            if not chords:
                continue
            bar_start = (span.start_bar + bar_index) * bar_q
            edges = bar_edges(spec.meter, [c.beats for c in chords])
            for i, chord in enumerate(chords):
                start, end = edges[i], edges[i + 1]
                if end - start > _EPS:
                    events.append(ChordEvent(bar_start + start, end - start, chord.chord, span.index, bar_index, i, key, chord.chord.pitch_classes()))
    return events


def chord_at(events: Sequence[ChordEvent], t: float) -> ChordEvent:
    """The chord sounding at time t: the last one starting at or before it (the first before any).
    Raises ValueError on an empty timeline."""
    if not events:
        raise ValueError("the timeline has no chords")
    lo, hi = 0, len(events) - 1
    while lo < hi:  # binary search over the sorted onsets
        mid = (lo + hi + 1) // 2
        if events[mid].onset <= t + _EPS:
            lo = mid
        else:
            hi = mid - 1
    return events[lo]


def chord_index_at(events: Sequence[ChordEvent], times: np.ndarray) -> np.ndarray:
    """Index of the chord sounding at each time (-1 where none). times (N,) -> (N,) int."""
    times = np.asarray(times, dtype=np.float64)
    if not events:
        return np.full(times.shape, -1, dtype=np.int64)
    onsets = np.array([e.onset for e in events])
    ends = np.array([e.end for e in events])
    idx = np.searchsorted(onsets, times + _EPS, side="right") - 1  # last chord starting at or before t
    valid = (idx >= 0) & (times < ends[np.clip(idx, 0, None)] - _EPS)
    return np.where(valid, idx, -1)
