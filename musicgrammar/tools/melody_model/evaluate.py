"""Score a set of melodies against the corpus: likelihood, pitch and interval statistics, motif recurrence.

Used to compare realizations (the melody model's phrases, a rule-based realization, real tunes):

- ``mean_loglik``: mean log-likelihood per token (nats) under a melody model (default: the shipped
  one; pass another checkpoint to avoid scoring a model's own samples with itself);
- ``pc_distance``: total-variation distance between the set's pitch-class histogram (relative to
  each melody's tonic) and the corpus's (0 identical .. 1 disjoint);
- ``interval_distance``: the same for melodic intervals between consecutive notes (clipped to
  +-12 semitones);
- ``motif_recurrence``: share of 4-note shapes (3 intervals and the 4 durations) that occur more than
  once in the same melody, averaged over melodies: how much a melody repeats its own material.

The corpus reference histograms ship as ``corpus_stats.json`` beside the checkpoint.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from musicgrammar.tools.melody_model.tokenizer import TICKS_PER_QUARTER, ChordEvent, NoteEvent, Piece, estimate_chords

if TYPE_CHECKING:
    from musicgrammar.ontologies import ChordSymbol, Key, Meter, Note

__all__ = ["MelodySample", "corpus_statistics", "melody_statistics", "score_melodies", "load_corpus_stats"]

INTERVAL_CLIP = 12


@dataclass
class MelodySample:
    """One melody to score: its notes (monophonic), key, meter and optionally its chords per beat."""

    notes: list["Note"]
    key: "Key"
    meter: "Meter"
    chords: list["ChordSymbol"] | None = None


def _events(notes: Iterable[Any]) -> list[tuple[int, int, int]]:
    """(start tick, duration tick, pitch) from ontology Notes or NoteEvents, sorted by onset."""
    out = []
    for n in notes:
        if isinstance(n, NoteEvent):
            out.append((n.start, n.duration, n.pitch))
        else:
            out.append((round(n.start * TICKS_PER_QUARTER), round(n.duration * TICKS_PER_QUARTER), n.pitch))
    return sorted(out)


def melody_statistics(events: Sequence[tuple[int, int, int]], tonic: int) -> dict[str, Any]:
    """Counts for one melody: tonic-relative pitch classes, clipped intervals, motif recurrence."""
    pcs = Counter((p - tonic) % 12 for _, _, p in events)
    pitches = [p for _, _, p in events]
    intervals = [max(-INTERVAL_CLIP, min(INTERVAL_CLIP, b - a)) for a, b in zip(pitches, pitches[1:])]
    ivs = Counter(intervals)
    shapes = [
        (tuple(pitches[i + k + 1] - pitches[i + k] for k in range(3)), tuple(events[i + k][1] for k in range(4)))
        for i in range(len(events) - 3)
    ]
    counts = Counter(shapes)
    recurrence = sum(c for c in counts.values() if c > 1) / len(shapes) if shapes else 0.0
    return {"pcs": pcs, "intervals": ivs, "motif_recurrence": recurrence}


def corpus_statistics(pieces: Iterable[Piece], voice: int = 0) -> dict[str, Any]:
    """Reference histograms (normalized) and mean motif recurrence over the melodies of ``pieces``."""
    pcs: Counter[int] = Counter()
    ivs: Counter[int] = Counter()
    rec: list[float] = []
    for piece in pieces:
        events = _events(n for n in piece.notes if n.voice == voice)
        if len(events) < 4:
            continue
        st = melody_statistics(events, piece.tonic)
        pcs.update(st["pcs"])
        ivs.update(st["intervals"])
        rec.append(st["motif_recurrence"])
    return {
        "pc_hist": _normalize(pcs, range(12)),
        "interval_hist": _normalize(ivs, range(-INTERVAL_CLIP, INTERVAL_CLIP + 1)),
        "motif_recurrence": float(np.mean(rec)) if rec else 0.0,
        "melodies": len(rec),
    }


def _normalize(counts: Counter[int], support: Iterable[int]) -> list[float]:
    keys = list(support)
    total = sum(counts[k] for k in keys) or 1
    return [counts[k] / total for k in keys]


def load_corpus_stats() -> dict[str, Any]:
    from musicgrammar.errors import ModelError
    from musicgrammar.tools.melody_model.generate import WEIGHTS_DIR

    path = WEIGHTS_DIR / "corpus_stats.json"
    if not path.exists():
        raise ModelError(f"corpus statistics missing at {path}")
    return json.loads(path.read_text())


def sample_to_piece(sample: MelodySample) -> Piece:
    """A one-voice ``Piece`` for scoring (chords from the sample, else estimated from the notes)."""
    from musicgrammar.tools.melody_model.tokenizer import classify_chord

    events = _events(sample.notes)
    first = events[0][0] if events else 0
    bar_ticks = round(sample.meter.bar_quarters * TICKS_PER_QUARTER)
    shift = (first // bar_ticks) * bar_ticks  # start the piece at the bar of its first note
    notes = [NoteEvent(s - shift, d, p, 0) for s, d, p in events]
    tonic, mode = sample.key.tonic_pc, sample.key.mode.value
    if sample.chords:
        beats = [round(b * TICKS_PER_QUARTER) for b in sample.meter.beat_onsets]
        chords = [
            ChordEvent((i // len(beats)) * bar_ticks + beats[i % len(beats)], c.root_pc,
                       classify_chord(c.root_pc, c.pitch_classes()))
            for i, c in enumerate(sample.chords)
        ]
    else:
        chords = estimate_chords(notes, tonic, mode, bar_ticks)
    return Piece(tonic=tonic, mode=mode, meter=(sample.meter.numerator, sample.meter.denominator), notes=notes,
                 chords=chords)


def score_melodies(samples: Sequence[MelodySample], model: Any = None, stats: dict[str, Any] | None = None) -> dict[str, float]:
    """The four measures of the module docstring for a set of melodies (higher loglik is better;
    lower distances are closer to the corpus; recurrence is best near the corpus's own value)."""
    from musicgrammar.tools.loss_profile import per_token_loss
    from musicgrammar.tools.melody_model.generate import load_default_model
    from musicgrammar.tools.melody_model.tokenizer import encode

    if not samples:
        raise ValueError("no melodies to score")
    model = model or load_default_model()
    stats = stats or load_corpus_stats()
    pcs: Counter[int] = Counter()
    ivs: Counter[int] = Counter()
    rec, losses = [], []
    for sample in samples:
        piece = sample_to_piece(sample)
        st = melody_statistics(_events(piece.notes), piece.tonic)
        pcs.update(st["pcs"])
        ivs.update(st["intervals"])
        rec.append(st["motif_recurrence"])
        tokens = encode(piece)
        curve = per_token_loss(lambda x: model(x)[0], tokens, model.cfg.max_len)
        losses.append(curve[3:])  # skip the header predictions (key/mode/meter are given, not composed)
    pc_hist = np.array(_normalize(pcs, range(12)))
    iv_hist = np.array(_normalize(ivs, range(-INTERVAL_CLIP, INTERVAL_CLIP + 1)))
    return {
        "melodies": float(len(samples)),
        "mean_loglik": float(-np.mean(np.concatenate(losses))),
        "pc_distance": float(0.5 * np.abs(pc_hist - np.array(stats["pc_hist"])).sum()),
        "interval_distance": float(0.5 * np.abs(iv_hist - np.array(stats["interval_hist"])).sum()),
        "motif_recurrence": float(np.mean(rec)),
        "corpus_motif_recurrence": float(stats["motif_recurrence"]),
    }
