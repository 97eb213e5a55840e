"""Ontology ``Score`` / MIDI files -> tokenizer ``Piece`` (the melody model's view of a piece).

Voices follow part roles: lead -> 0, counter_melody -> 1, harmony -> 2, bass -> 3; percussion is
left out. Chords are not part of a ``Score``: when none are given they are estimated from the notes
(``estimate_chords``), exactly as the folk-tune training data was labelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from musicgrammar.errors import UserInputError
from musicgrammar.tools.melody_model.tokenizer import (
    MAX_BAR_TICKS,
    TICKS_PER_QUARTER,
    ChordEvent,
    NoteEvent,
    Piece,
    estimate_chords,
)

if TYPE_CHECKING:
    from musicgrammar.ontologies import Score

__all__ = ["ROLE_VOICE", "piece_from_score", "load_piece"]

ROLE_VOICE = {"lead": 0, "counter_melody": 1, "harmony": 2, "bass": 3}

# Krumhansl-Kessler key profiles, for MIDI files without a key signature.
_KK_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_KK_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


def estimate_key(notes: list[NoteEvent]) -> tuple[int, str]:
    """(tonic pc, 'major'|'minor') by correlating the duration-weighted pitch-class histogram."""
    import numpy as np

    hist = np.zeros(12)
    for n in notes:
        hist[n.pitch % 12] += n.duration
    best = (-2.0, 0, "major")
    for mode, prof in (("major", _KK_MAJOR), ("minor", _KK_MINOR)):
        for tonic in range(12):
            r = float(np.corrcoef(hist, np.roll(prof, tonic))[0, 1]) if hist.std() > 0 else 0.0
            if r > best[0]:
                best = (r, tonic, mode)
    return best[1], best[2]


def _snap(quarters: float) -> int:
    """Quarter-note time -> ticks on the nearest sixteenth (3 ticks) or triplet-eighth (4 ticks) grid."""
    ticks = quarters * TICKS_PER_QUARTER
    return min((round(ticks / g) * g for g in (3, 4)), key=lambda x: abs(x - ticks))


def _quantized(notes: list[tuple[float, float, int]], voice: int) -> list[NoteEvent]:
    """Performed or engraved notes (start, end in quarters) -> grid NoteEvents of one voice.

    Articulation gaps shorter than a sixteenth are closed (a staccato quarter reads as a quarter, as
    notated music would write it); notes never shrink below one sixteenth.
    """
    from bisect import bisect_right

    snapped = sorted((_snap(s), _snap(e), p) for s, e, p in notes)
    onsets = sorted({s for s, _, _ in snapped})
    out = []
    for s, e, p in snapped:
        k = bisect_right(onsets, s)  # the next onset after this note's
        if k < len(onsets) and 0 < onsets[k] - e <= 3:
            e = onsets[k]
        out.append(NoteEvent(s, max(3, e - s), p, voice))
    return out


def piece_from_score(score: "Score", chords: list[ChordEvent] | None = None) -> Piece:
    """A ``Piece`` from an ontology ``Score`` (times snapped to the 12-per-quarter grid)."""
    meter = (score.meter.numerator, score.meter.denominator)
    if round(score.meter.bar_quarters * TICKS_PER_QUARTER) > MAX_BAR_TICKS:
        raise UserInputError(f"meter {score.meter} has bars longer than 8 quarters", field="meter")
    notes: list[NoteEvent] = []
    for part in score.parts:
        role = part.role.value if hasattr(part.role, "value") else str(part.role)
        if role not in ROLE_VOICE or part.is_drum:
            continue
        notes += _quantized([(n.start, n.end, n.pitch) for n in part.notes], ROLE_VOICE[role])
    if not notes:
        raise UserInputError("the score has no pitched notes to profile", field="parts")
    mode = score.key.mode.value
    bar_ticks = round(score.meter.bar_quarters * TICKS_PER_QUARTER)
    if chords is None:
        chords = estimate_chords(notes, score.key.tonic_pc, mode, bar_ticks)
    return Piece(tonic=score.key.tonic_pc, mode=mode, meter=meter, notes=notes, chords=chords)


def _piece_from_midi(path: Path) -> Piece:
    import pretty_midi

    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:  # noqa: BLE001 - any parse failure is the file's fault
        raise UserInputError(f"not a readable MIDI file ({exc})", path=str(path)) from exc
    meter = (4, 4)
    if pm.time_signature_changes:
        ts = pm.time_signature_changes[0]
        meter = (ts.numerator, ts.denominator)
    bar_ticks = meter[0] * 4 * TICKS_PER_QUARTER // meter[1]
    if not 0 < bar_ticks <= MAX_BAR_TICKS:
        raise UserInputError(f"meter {meter[0]}/{meter[1]} has bars longer than 8 quarters", path=str(path))
    tracks = [inst for inst in pm.instruments if not inst.is_drum and inst.notes]
    if not tracks:
        raise UserInputError("no pitched notes in the MIDI file", path=str(path))
    # Highest-sounding track is the lead; the lowest (when 2+ tracks) the bass; others harmony.
    order = sorted(tracks, key=lambda inst: -sum(n.pitch for n in inst.notes) / len(inst.notes))
    notes: list[NoteEvent] = []
    for rank, inst in enumerate(order):
        # top line lead (0), bottom line bass (3), the next below the top alto (1), any others tenor (2)
        voice = 0 if rank == 0 else 3 if rank == len(order) - 1 else 1 if rank == 1 else 2
        notes += _quantized(
            [(pm.time_to_tick(n.start) / pm.resolution, pm.time_to_tick(n.end) / pm.resolution, n.pitch)
             for n in inst.notes],
            voice,
        )
    if pm.key_signature_changes:
        k = pm.key_signature_changes[0].key_number  # 0-11 major, 12-23 minor
        tonic, mode = k % 12, ("minor" if k >= 12 else "major")
    else:
        tonic, mode = estimate_key(notes)
    chords = estimate_chords(notes, tonic, mode, bar_ticks)
    return Piece(tonic=tonic, mode=mode, meter=meter, notes=notes, chords=chords)


def load_piece(path: Path) -> Piece:
    """A MIDI, MusicXML or ABC file, or a Composition / Score JSON file, as a ``Piece``."""
    if not path.exists():
        raise UserInputError("file not found", path=str(path))
    suffix = path.suffix.lower()
    if suffix in (".mid", ".midi"):
        return _piece_from_midi(path)
    if suffix == ".json":
        import json

        from pydantic import ValidationError

        from musicgrammar.ontologies import Composition, Score

        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise UserInputError(f"not readable JSON ({exc})", path=str(path)) from exc
        if not isinstance(data, dict):
            raise UserInputError("expected a JSON object (a Composition or a Score)", path=str(path))
        try:
            score = Composition.model_validate(data).score if "spec" in data else Score.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ()))
            raise UserInputError(f"not a Composition or Score: {first.get('msg')}", path=str(path), field=where) from exc
        return piece_from_score(score)
    if suffix in (".musicxml", ".xml", ".mxl", ".abc"):
        from musicgrammar.tools.io import load_score

        return piece_from_score(load_score(path))
    raise UserInputError("expected a .mid/.midi, .musicxml/.xml/.mxl, .abc or .json file", path=str(path))
