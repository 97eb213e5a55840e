"""Melody/harmony pairs from the music21 Bach chorales (public domain) for the harmonizer.

Per chorale: the soprano is the melody; the harmony is one chord per quarter-note step, read from
the four-part texture sounding in that step (what ``chordify`` yields, weighted by duration and
matched to root + quality by ``tokens.match_chord``, bass note as root tie-break). A pickup bar is
padded with silence so that bar lines fall on the grid. Everything is transposed to C major / A
minor (key from music21's Krumhansl-Schmuckler analysis). Pieces with a meter change are skipped.

    python -m training.harmonizer.prepare --out .cache/harmonizer/chorales.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from musicgrammar.tools.harmonizer.tokens import (
    BAR,
    build_grid,
    match_chord,
    normalization_shift,
    transpose_token,
)


def _part_notes(part) -> list[tuple[int, float, float]]:
    """(midi, start, duration) of every sounding pitch in a part (chords split), ties merged."""
    out: list[tuple[int, float, float]] = []
    for el in part.stripTies().flatten().notes:
        dur = float(el.duration.quarterLength)
        if dur <= 0:  # grace notes
            continue
        start = float(el.getOffsetInHierarchy(part))
        for p in el.pitches:
            out.append((int(p.midi), start, dur))
    return out


def prepare_chorale(path: str) -> dict | None:
    from music21 import corpus

    score = corpus.parse(path)
    tss = {str(ts.ratioString) for ts in score.recurse().getElementsByClass("TimeSignature")}
    if len(tss) != 1 or len(score.parts) < 4:
        return None
    ts = score.recurse().getElementsByClass("TimeSignature")[0]
    bar_q = float(ts.barDuration.quarterLength)
    key = score.analyze("key")
    major = key.mode == "major"
    tonic_pc = key.tonic.pitchClass
    shift = normalization_shift(tonic_pc, major)
    measures = score.parts[0].getElementsByClass("Measure")
    pad = float(measures[0].paddingLeft) if len(measures) else 0.0
    parts = [[(p, s + pad, d) for p, s, d in _part_notes(part)] for part in score.parts]
    soprano = parts[0]
    # Top line of the soprano part (a part may hold a divisi chord).
    by_start: dict[float, tuple[int, float, float]] = {}
    for n in soprano:
        if n[1] not in by_start or n[0] > by_start[n[1]][0]:
            by_start[n[1]] = n
    melody = sorted(by_start.values(), key=lambda n: n[1])
    everything = [n for part in parts for n in part]
    total = max(s + d for _, s, d in everything)
    steps = build_grid(bar_q, total)
    tokens: list[int] = []
    for st in steps:
        if st.is_bar:
            tokens.append(BAR)
            continue
        lo, hi = st.onset, st.onset + st.duration
        w = np.zeros(12)
        bass, bass_w = None, 0.0
        lowest = 999
        for p, s, d in everything:
            ov = min(hi, s + d) - max(lo, s)
            if ov > 1e-9:
                w[p % 12] += ov
                if p < lowest or (p == lowest and ov > bass_w):
                    lowest, bass, bass_w = p, p % 12, ov
        tokens.append(transpose_token(match_chord(w, bass), shift))
    return {
        "id": path,
        "tonic_pc": tonic_pc,
        "major": major,
        "meter": ts.ratioString,
        "bar_quarters": bar_q,
        "pickup_pad": pad,
        "total_quarters": total,
        # melody transposed to C major / A minor, times shifted past the padded pickup
        "melody": [[p + shift if shift <= 6 else p + shift - 12, s, d] for p, s, d in melody],
        "tokens": tokens,  # one per grid step, already transposed
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(".cache/harmonizer/chorales.json"))
    ap.add_argument("--limit", type=int, default=0, help="only the first N chorales (debugging)")
    args = ap.parse_args(argv)
    from music21 import corpus

    paths = list(corpus.chorales.Iterator(returnType="filename"))
    if args.limit:
        paths = paths[: args.limit]
    t0 = time.time()
    pieces, skipped = [], []
    for i, path in enumerate(paths):
        try:
            piece = prepare_chorale(path)
        except Exception as exc:  # a malformed file is skipped and listed, not fatal
            print(f"skip {path}: {exc}", file=sys.stderr)
            piece = None
        if piece is None:
            skipped.append(path)
        else:
            pieces.append(piece)
        if i % 50 == 0:
            print(f"{i}/{len(paths)} {time.time() - t0:.0f}s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pieces": pieces, "skipped": skipped}))
    os.replace(tmp, args.out)
    print(f"wrote {len(pieces)} pieces ({len(skipped)} skipped) to {args.out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
