"""Build the melody model's training corpus from the music21 corpus (offline).

Sources (licences recorded per piece):
- Essen folksong collection (``essenFolksong``): non-commercial permission, see its licence.txt.
- O'Neill's 1850, Ryan's Mammoth, Aird's Airs, misc folk (ABC): public domain.
- Bach chorales (four voices, soprano/alto/tenor/bass = voices 0..3): public domain.

Every piece becomes one JSON line: id, source, licence, tonic, mode, meter, notes [start, dur, pitch,
voice] and chords [start, root, quality] in ticks (12 per quarter), bar 0 starting at 0 (a pickup is
padded to a full bar). Folk tunes get heuristic chord labels (``estimate_chords`` per bar or half
bar); chorales get one chord per beat from their four sounding voices. Pieces with a meter change,
an unsupported meter or fewer than 8 notes are skipped.

    python training/melody_model/prepare_data.py --out .cache/melody_model/corpus.jsonl [--max-folk N] [--limit N]

The shipped checkpoint used ``--limit 6372`` (329 chorales + the first 6,043 Essen tunes, through part
of lot.abc): the CPU budget of the run did not allow parsing the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from multiprocessing import Pool
from pathlib import Path

from musicgrammar.tools.melody_model.tokenizer import (
    MAX_BAR_TICKS,
    TICKS_PER_QUARTER,
    NoteEvent,
    estimate_chords,
)

FOLK_SOURCES = {
    "essenFolksong": "Essen folksong collection: non-commercial use permission (music21 corpus licence.txt)",
    "oneills1850": "public domain (O'Neill's Music of Ireland, 1850)",
    "ryansMammoth": "public domain (Ryan's Mammoth Collection, 1883)",
    "airdsAirs": "public domain (Aird's Selection of Scotch, English, Irish and Foreign Airs)",
    "miscFolk": "public domain (music21 misc folk ABC)",
}
CHORALE_LICENCE = "public domain (J. S. Bach chorales, music21 corpus)"
# Final-note rule: the degree of the last note over the signature's major tonic names the mode. Rarer
# finals (phrygian, lydian, locrian) are more often a tune ending off its tonic: those go to key analysis.
_DEGREE_MODE = {0: "major", 9: "minor", 2: "dorian", 7: "mixolydian"}


def _split_abc(path: Path) -> list[tuple[str, str]]:
    """(tune id, ABC text) for each X: tune of a file."""
    text = path.read_text(encoding="latin-1")
    chunks = re.split(r"(?m)^(?=X:)", text)
    out = []
    for chunk in chunks:
        if not chunk.startswith("X:"):
            continue
        number = chunk[2:chunk.find("\n")].strip() or "0"
        out.append((f"{path.parent.name}/{path.stem}/{number}", chunk))
    return out


def _part_notes(part, shift_q: float, voice: int) -> list[NoteEvent]:
    notes = []
    for n in part.flatten().notes:
        dur_q = float(n.quarterLength)
        if dur_q <= 0:
            continue  # grace notes
        pitch = max(p.midi for p in n.pitches) if n.isChord else n.pitch.midi
        start = round((float(n.getOffsetInHierarchy(part)) + shift_q) * TICKS_PER_QUARTER)
        dur = max(1, round(dur_q * TICKS_PER_QUARTER))
        notes.append(NoteEvent(start, dur, int(pitch), voice))
    return notes


def _pickup_shift(part, bar_q: float) -> float:
    measures = list(part.getElementsByClass("Measure"))
    if len(measures) < 2:
        return 0.0
    first_len = float(measures[1].offset - measures[0].offset)
    return bar_q - first_len if 0 < first_len < bar_q - 1e-6 else 0.0


def _meter(stream) -> tuple[int, int] | None:
    from music21 import meter

    sigs = {(ts.numerator, ts.denominator) for ts in stream.recurse().getElementsByClass(meter.TimeSignature)}
    if len(sigs) > 1:  # music21 reads some ABC "L:" lines as a 1/x signature: drop those
        sigs = {s for s in sigs if s[0] != 1}
    if len(sigs) != 1:
        return None
    num, den = sigs.pop()
    bar_ticks = num * 4 * TICKS_PER_QUARTER // den
    return (num, den) if 0 < bar_ticks <= MAX_BAR_TICKS and (num * 48) % den == 0 else None


def _folk_piece(task: tuple[str, str]) -> dict | None:
    from music21 import converter, key

    piece_id, text = task
    try:
        score = converter.parseData(text, format="abc")
        ts = _meter(score)
        if ts is None:
            return None
        part = score.parts[0] if score.parts else score
        part = part.stripTies()
        bar_q = ts[0] * 4 / ts[1]
        notes = _part_notes(part, _pickup_shift(part, bar_q), 0)
        if len(notes) < 8:
            return None
        sigs = list(score.recurse().getElementsByClass(key.KeySignature))
        last_pc = notes[-1].pitch % 12
        mode = None
        if sigs:
            major_tonic = (sigs[0].sharps * 7) % 12
            mode = _DEGREE_MODE.get((last_pc - major_tonic) % 12)
        if mode is None:  # final outside the signature's scale: ask Krumhansl-Schmuckler
            k = score.analyze("key")
            tonic, mode = k.tonic.pitchClass, k.mode
        else:
            tonic = last_pc
        bar_ticks = ts[0] * 4 * TICKS_PER_QUARTER // ts[1]
        chords = estimate_chords(notes, tonic, mode, bar_ticks)
    except Exception:  # noqa: BLE001 - a malformed tune is skipped, the corpus goes on
        return None
    source = piece_id.split("/")[0]
    return {
        "id": piece_id, "source": source, "licence": FOLK_SOURCES[source], "tonic": tonic, "mode": mode,
        "meter": list(ts), "notes": [[n.start, n.duration, n.pitch, n.voice] for n in notes],
        "chords": [[c.start, c.root, c.quality] for c in chords],
    }


def _chorale_piece(path: str) -> dict | None:
    from music21 import corpus

    try:
        score = corpus.parse(path)
        parts = list(score.parts)
        if len(parts) != 4:
            return None
        ts = _meter(score)
        if ts is None:
            return None
        bar_q = ts[0] * 4 / ts[1]
        shift = _pickup_shift(parts[0], bar_q)
        notes: list[NoteEvent] = []
        for voice, part in enumerate(parts):
            notes += _part_notes(part.stripTies(), shift, voice)
        k = score.analyze("key")
        tonic, mode = k.tonic.pitchClass, k.mode
        bar_ticks = ts[0] * 4 * TICKS_PER_QUARTER // ts[1]
        beat = bar_ticks // ts[0] if ts[1] == 4 else bar_ticks
        chords = estimate_chords(notes, tonic, mode, bar_ticks, unit_ticks=beat)
    except Exception:  # noqa: BLE001
        return None
    return {
        "id": f"bach/{Path(path).name}", "source": "bach_chorales", "licence": CHORALE_LICENCE, "tonic": tonic,
        "mode": mode, "meter": list(ts), "notes": [[n.start, n.duration, n.pitch, n.voice] for n in notes],
        "chords": [[c.start, c.root, c.quality] for c in chords],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(".cache/melody_model/corpus.jsonl"))
    parser.add_argument("--max-folk", type=int, default=0, help="cap on folk tunes per source (0: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="stop after this many kept pieces (0: no limit); "
                        "pieces are kept in a fixed order: chorales, then Essen, O'Neill, Ryan, Aird, misc")
    args = parser.parse_args()
    from music21 import corpus

    base = Path(corpus.__file__).parent
    folk_tasks: list[tuple[str, str]] = []
    for source in FOLK_SOURCES:
        tunes = [t for f in sorted((base / source).glob("*.abc")) if not f.stem.startswith("test")
                 for t in _split_abc(f)]
        folk_tasks += tunes[: args.max_folk] if args.max_folk else tunes
    chorale_paths = sorted({str(p) for p in corpus.chorales.Iterator(returnType="filename")})
    print(f"{len(folk_tasks)} folk tunes, {len(chorale_paths)} chorales", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    t0 = time.time()
    kept = 0
    with Pool(args.workers) as pool, tmp.open("w") as fh:
        for i, rec in enumerate(pool.imap(_chorale_piece, chorale_paths, chunksize=4)):
            if rec:
                fh.write(json.dumps(rec) + "\n")
                kept += 1
        for i, rec in enumerate(pool.imap(_folk_piece, folk_tasks, chunksize=32)):
            if args.limit and kept >= args.limit:
                break
            if rec:
                fh.write(json.dumps(rec) + "\n")
                kept += 1
            if i % 1000 == 0:
                print(f"folk {i}/{len(folk_tasks)} kept {kept} {time.time() - t0:.0f}s", flush=True)
    os.replace(tmp, args.out)
    print(f"wrote {kept} pieces to {args.out} in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
