"""Score input and output: MIDI (pretty_midi), MusicXML (music21) and ABC (music21, read only).

`save_midi` writes one track per part with its General MIDI program (percussion parts on the drum
channel), tempo, time-signature and key-signature meta events. `load_midi` maps a MIDI file back to
a `Score`: key from the key-signature meta (else estimated with the Krumhansl-Kessler profiles on
pitch-class durations), meter and tempo from the meta events, instruments mapped back to catalog
ids by program. `load_melody` reads the melody line of a MIDI, MusicXML or ABC file (the top line
when the file is polyphonic). Every write is atomic: a temp file in the target folder, then
`os.replace`, so a failed write never leaves half a file.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from musicgrammar.fileio import MAX_INPUT_BYTES, atomic_write
from musicgrammar.limits import MAX_BARS, MAX_NOTES
from musicgrammar.ontologies.theory import pitch_class_name
from musicgrammar.fileio import check_input_file as _check_input
from musicgrammar.errors import UserInputError
from musicgrammar.ontologies import Key, Meter, Mode, Note, Part, Role, Score
from musicgrammar.ontologies.instrumentation import instrument_catalog

if TYPE_CHECKING:
    import pretty_midi

__all__ = [
    "MAX_INPUT_BYTES",
    "GRID",
    "atomic_write",
    "save_midi",
    "load_midi",
    "save_musicxml",
    "load_musicxml",
    "load_abc",
    "load_melody",
    "load_score",
    "check_score_size",
    "estimate_key",
    "spell_pitch_class",
    "quantize",
]

log = logging.getLogger(__name__)

# Notation grid in quarter notes: 1/12 holds sixteenths, eighth triplets and sixteenth triplets.
GRID = 1.0 / 12.0
_MIDI_SUFFIXES = {".mid", ".midi"}
_XML_SUFFIXES = {".musicxml", ".xml", ".mxl"}
_ABC_SUFFIXES = {".abc"}
_TAG = "musicgrammar:instrument "
_TITLE_TAG = "musicgrammar:title "
_BARS_TAG = "musicgrammar:bars "
_PART_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")

# Krumhansl-Kessler key profiles (probe-tone ratings), index 0 = tonic.
_KK_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_KK_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
# Key-signature spelling: tonics written with flats.
_FLAT_TONICS_MAJOR = {5: "F", 10: "Bb", 3: "Eb", 8: "Ab", 1: "Db", 6: "Gb"}
_FLAT_TONICS_MINOR = {2: "D", 7: "G", 0: "C", 5: "F", 10: "Bb", 3: "Eb"}


# ----------------------------------------------------------------------------------------------
# helpers


def quantize(value: float, grid: float = GRID) -> float:
    """Round a time in quarter notes to the nearest grid point."""
    return round(round(value / grid) * grid, 6)


def _key_name(tonic_pc: int, minor: bool) -> str:
    table = _FLAT_TONICS_MINOR if minor else _FLAT_TONICS_MAJOR
    return table.get(tonic_pc, pitch_class_name(tonic_pc))


def estimate_key(notes: list[Note]) -> Key:
    """Krumhansl-Schmuckler key estimate: correlate duration-weighted pitch classes with the profiles."""
    hist = [0.0] * 12
    for n in notes:
        hist[n.pitch % 12] += n.duration
    if sum(hist) <= 0:
        return Key(tonic="C", mode=Mode.MAJOR)

    def corr(xs: list[float], ys: tuple[float, ...]) -> float:
        mx, my = sum(xs) / 12, sum(ys) / 12
        num = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
        den = math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))
        return num / den if den else 0.0

    best = (-2.0, 0, False)
    for tonic in range(12):
        rotated = hist[tonic:] + hist[:tonic]  # rotated[i] = weight of pitch class tonic+i
        for minor, profile in ((False, _KK_MAJOR), (True, _KK_MINOR)):
            score = corr(rotated, profile)
            if score > best[0] + 1e-12:
                best = (score, tonic, minor)
    _, tonic, minor = best
    return Key(tonic=_key_name(tonic, minor), mode=Mode.MINOR if minor else Mode.MAJOR)


def _to_meta(text: str) -> str:
    """MIDI text meta events are read and written as latin-1 by mido: carry UTF-8 bytes through them
    (a Bamanankan 'ɛ' survives; tools that read meta text as UTF-8, as most now do, show it right)."""
    return text.encode("utf-8").decode("latin-1")


def _from_meta(text: str) -> str:
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def spell_pitch_class(key: Key, pc: int) -> str:
    """Name a pitch class in `key`: scale tones by the signature, chromatic tones by their function.

    The leading tone and the raised fourth are sharps even in flat keys (F# and C# in G minor); the
    flat seventh, third and sixth are flats even in sharp keys (Bb, Eb and Ab in C major).
    """
    pc %= 12
    if pc in key.pitch_classes():
        return key.spell(pc)
    degree = (pc - key.tonic_pc) % 12
    if degree in (11, 6):  # leading tone, raised fourth (secondary dominant of V)
        return pitch_class_name(pc)
    if degree in (10, 3, 8, 1):  # flat seventh, third, sixth, second (mixture, Neapolitan)
        return pitch_class_name(pc, prefer_flats=True)
    return key.spell(pc)


def _program_index() -> dict[int, str]:
    """GM program -> the catalog id of the plain GM instrument with that program."""
    index: dict[int, str] = {}
    for inst in instrument_catalog().values():
        if not inst.is_percussion and inst.tradition is None:  # GM programs come first in the catalog
            index.setdefault(inst.program, inst.id)
    return index


def _role_for(instrument_id: str, is_drum: bool, index: int, lowest: bool) -> Role:
    if is_drum:
        return Role.PERCUSSION
    if index == 0:
        return Role.LEAD
    return Role.BASS if lowest else Role.HARMONY


# ----------------------------------------------------------------------------------------------
# MIDI


def _midi_key_number(key: Key) -> int:
    """pretty_midi key number (0-11 major, 12-23 minor) of the key signature that spells `key`.

    Modes are written with the signature of their diatonic parent: D dorian has no sharps or flats,
    which MIDI expresses as C major. Minor-like non-heptatonic modes use the minor signature.
    """
    parent_offset = {
        Mode.DORIAN: -2, Mode.PHRYGIAN: -4, Mode.LYDIAN: -5, Mode.MIXOLYDIAN: -7, Mode.LOCRIAN: -11,
        Mode.MANDE_SAUTA: -5, Mode.MANDE_HARDINO: -7, Mode.MANDE_TOMORA: -4,
    }  # fmt: skip
    tonic = key.tonic_pc
    if key.mode in parent_offset:
        return (tonic + parent_offset[key.mode]) % 12
    if key.mode.is_minor:
        return 12 + tonic
    return tonic


def save_midi(score: Score, path: str | Path) -> Path:
    """Write `score` as a type-1 MIDI file (one track per part), atomically. Returns the path."""
    import pretty_midi

    spq = score.seconds_per_quarter
    pm = pretty_midi.PrettyMIDI(initial_tempo=score.tempo_bpm, resolution=480)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(score.meter.numerator, score.meter.denominator, 0.0))
    pm.key_signature_changes.append(pretty_midi.KeySignature(_midi_key_number(score.key), 0.0))
    for part in score.parts:
        inst = pretty_midi.Instrument(program=0 if part.is_drum else part.program, is_drum=part.is_drum, name=part.id)
        for n in part.notes:
            start = n.start * spq
            inst.notes.append(pretty_midi.Note(velocity=n.velocity, pitch=n.pitch, start=start, end=start + n.duration * spq))
            if n.lyric:
                pm.lyrics.append(pretty_midi.Lyric(_to_meta(n.lyric), start))
        pm.instruments.append(inst)
        # A GM program cannot tell kora from harp or dunun from a drum kit: a text meta event keeps
        # the catalog id so that load_midi gives back the same instrument.
        pm.text_events.append(pretty_midi.Text(f"{_TAG}{part.id}={part.instrument}", 0.0))
    # The title and the bar count (which may end in silence) travel as text meta events too.
    pm.text_events.append(pretty_midi.Text(_to_meta(f"{_TITLE_TAG}{score.title}"), 0.0))
    pm.text_events.append(pretty_midi.Text(f"{_BARS_TAG}{score.bars}", 0.0))
    target = Path(path)
    with atomic_write(target, suffix=".mid") as tmp:
        pm.write(str(tmp))
    return target


def _instrument_id(program: int, is_drum: bool, name: str, pitches: set[int], program_index: dict[int, str]) -> str:
    """Catalog id for a MIDI track: by track name when it names an instrument, else by program or drum keys."""
    catalog = instrument_catalog()
    from musicgrammar.ontologies import find_instrument

    inst = find_instrument(name) if name.strip() else None
    if inst is not None and inst.is_percussion == is_drum and (is_drum or inst.program == program):
        return inst.id
    if is_drum:
        # The percussion instrument whose strokes cover the most of the keys used (the kit on ties).
        best, best_hits = "drum_kit", len(pitches & set(catalog["drum_kit"].drum_map.values()))
        for cand in catalog.values():
            hits = len(pitches & set(cand.drum_map.values()))
            if cand.is_percussion and hits > best_hits and pitches <= set(cand.drum_map.values()):
                best, best_hits = cand.id, hits
        return best
    return program_index.get(program, "acoustic_grand_piano")


def load_midi(path: str | Path, title: str | None = None) -> Score:
    """Read a MIDI file into a Score: one part per track, times in quarter notes on the 1/12 grid."""
    import pretty_midi

    p = _check_input(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm = pretty_midi.PrettyMIDI(str(p))
    except Exception as exc:  # mido/pretty_midi raise many types for corrupt files
        raise UserInputError(f"not a readable MIDI file ({type(exc).__name__}: {exc})", path=str(p)) from exc
    _check_score_size(sum(len(inst.notes) for inst in pm.instruments), 0, p)  # before any per-note work
    from pydantic import ValidationError

    try:
        return _score_from_pretty_midi(pm, title or p.stem, p)
    except ValidationError as exc:  # a value the grammar cannot hold: name the object and the field
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "value"
        raise UserInputError(f"a {exc.title} {where} the grammar cannot hold: {error['msg']}", path=str(p)) from None
    except ValueError as exc:  # no notes, or a meta event the grammar cannot hold (e.g. 0/4)
        raise UserInputError(str(exc).splitlines()[0], path=str(p)) from exc


def check_score_size(score: Score, source: str | Path) -> None:
    """Refuse a Score (from any reader) over MAX_NOTES notes or MAX_BARS bars."""
    _check_score_size(sum(len(p.notes) for p in score.parts), score.bars, Path(source))


def _check_score_size(notes: int, bars: int, source: Path) -> None:
    """Refuse a score over MAX_NOTES notes or MAX_BARS bars, naming the file, the count and the limit."""
    if notes > MAX_NOTES:
        raise UserInputError(f"{notes} notes; the limit is {MAX_NOTES}", path=str(source), field="notes")
    if bars > MAX_BARS:
        raise UserInputError(f"{bars} bars long; the limit is {MAX_BARS}", path=str(source), field="bars")


def _score_from_pretty_midi(pm: pretty_midi.PrettyMIDI, title: str, source: Path) -> Score:
    _, tempi = pm.get_tempo_changes()
    bpm = float(tempi[0]) if len(tempi) else 120.0
    bpm = min(max(bpm, 20.0), 320.0)
    if pm.time_signature_changes:
        ts = pm.time_signature_changes[0]
        meter = Meter(numerator=ts.numerator, denominator=ts.denominator)
    else:
        meter = Meter(numerator=4, denominator=4)

    def to_quarters(seconds: float) -> float:
        # pretty_midi resolves tempo changes; ticks / resolution is exact quarters.
        return pm.time_to_tick(seconds) / pm.resolution

    lyrics = {round(to_quarters(ly.time), 3): _from_meta(ly.text) for ly in pm.lyrics}
    tags: dict[str, str] = {}
    bars_meta = 0
    for event in getattr(pm, "text_events", []):
        if event.text.startswith(_TITLE_TAG):
            title = _from_meta(event.text)[len(_TITLE_TAG) :].strip() or title
        elif event.text.startswith(_BARS_TAG) and event.text[len(_BARS_TAG) :].strip().isdigit():
            bars_meta = int(event.text[len(_BARS_TAG) :])
        elif event.text.startswith(_TAG):
            part_id, _, inst_id = event.text[len(_TAG) :].partition("=")
            if inst_id in instrument_catalog():
                tags[part_id] = inst_id
    program_index = _program_index()
    raw_parts: list[tuple[str, str, bool, list[Note]]] = []
    for inst in pm.instruments:
        notes: list[Note] = []
        for n in sorted(inst.notes, key=lambda n: (n.start, -n.pitch)):
            # Grid units (integers) first, so that start + duration lands exactly on the grid.
            k_start = round(to_quarters(n.start) / GRID)
            k_end = max(round(to_quarters(n.end) / GRID), k_start + 1)
            start, duration = round(k_start * GRID, 6), round((k_end - k_start) * GRID, 6)
            notes.append(Note(pitch=n.pitch, start=start, duration=duration, velocity=max(1, n.velocity)))
        if not notes:
            continue
        name = (inst.name or "").strip()
        inst_id = tags.get(name) or _instrument_id(inst.program, inst.is_drum, name, {n.pitch for n in notes}, program_index)
        raw_parts.append((name, inst_id, inst.is_drum, notes))
    if not raw_parts:
        raise ValueError("MIDI file has no notes")
    parts: list[Part] = []
    means = [sum(n.pitch for n in ns) / len(ns) if not drum else 999.0 for _, _, drum, ns in raw_parts]
    lowest = means.index(min(means)) if len(raw_parts) > 1 else -1
    lyric_done = False
    used_ids: set[str] = set()
    for index, (name, inst_id, drum, notes) in enumerate(raw_parts):
        if lyrics and not drum and not lyric_done:
            # Lyrics attach to the first pitched part's notes that start at the lyric's time.
            notes = [n.model_copy(update={"lyric": lyrics.get(round(n.start, 3))}) for n in notes]
            lyric_done = True
        base = name if _PART_ID_RE.match(name) else inst_id
        pid, suffix = base, 2
        while pid in used_ids:
            pid, suffix = f"{base}_{suffix}", suffix + 1
        used_ids.add(pid)
        parts.append(Part(id=pid, instrument=inst_id, role=_role_for(inst_id, drum, index, index == lowest), notes=notes))
    all_pitched = [n for part in parts if not part.is_drum for n in part.notes]
    if pm.key_signature_changes:
        number = pm.key_signature_changes[0].key_number
        minor = number >= 12
        key = Key(tonic=_key_name(number % 12, minor), mode=Mode.MINOR if minor else Mode.MAJOR)
    else:
        key = estimate_key(all_pitched)
    end = max(p.end for p in parts)
    bars = max(1, math.ceil(end / meter.bar_quarters - 1e-6), min(bars_meta, MAX_BARS))
    _check_score_size(sum(len(p.notes) for p in parts), bars, source)
    return Score(title=title[:200] or "Untitled", key=key, meter=meter, tempo_bpm=round(bpm, 3), bars=bars, parts=parts)


# ----------------------------------------------------------------------------------------------
# MusicXML


def _m21_instrument(part: Part) -> object:
    from music21 import instrument

    inst = instrument.Instrument()
    spec = part.spec
    inst.partName = spec.name
    inst.instrumentName = spec.name
    inst.partId = part.id
    if part.is_drum:
        inst.midiChannel = 9
    else:
        inst.midiProgram = spec.program
    return inst


def _m21_key(key: Key) -> object:
    from music21 import key as m21key

    sharps_by_major = {0: 0, 7: 1, 2: 2, 9: 3, 4: 4, 11: 5, 6: 6, 1: 7, 5: -1, 10: -2, 3: -3, 8: -4}
    number = _midi_key_number(key)
    major_pc = (number % 12 + 3) % 12 if number >= 12 else number
    sharps = sharps_by_major[major_pc]
    if major_pc == 6 and key.prefers_flats:
        sharps = -6
    if major_pc == 1 and key.prefers_flats:
        sharps = -5
    mode_name = {Mode.MAJOR: "major", Mode.IONIAN: "major", Mode.MINOR: "minor", Mode.AEOLIAN: "minor",
                 Mode.HARMONIC_MINOR: "minor", Mode.MELODIC_MINOR: "minor", Mode.DORIAN: "dorian",
                 Mode.PHRYGIAN: "phrygian", Mode.LYDIAN: "lydian", Mode.MIXOLYDIAN: "mixolydian",
                 Mode.LOCRIAN: "locrian"}.get(key.mode)  # fmt: skip
    if mode_name is None:
        return m21key.KeySignature(sharps)
    try:
        return m21key.Key(key.tonic.replace("b", "-"), mode_name)
    except Exception:  # music21 rejects an odd tonic/mode pairing: fall back to the bare signature
        return m21key.KeySignature(sharps)


def _score_to_m21(score: Score) -> Any:
    """Build a music21 Score: one Part per part, notes quantized to the 1/12 grid, chords for overlaps."""
    from fractions import Fraction

    from music21 import chord, clef, meter, metadata, note, pitch, stream, tempo

    def spelled(midi: int) -> object:
        # Spell by the key (Bb in G minor, not A#); music21 would otherwise guess, slowly.
        name = spell_pitch_class(score.key, midi % 12).replace("b", "-")
        return pitch.Pitch(f"{name}{midi // 12 - 1}")

    def frac(x: float) -> Fraction:
        return Fraction(round(x * 12), 12)

    m21 = stream.Score()
    m21.metadata = metadata.Metadata()
    m21.metadata.title = score.title
    m21.metadata.movementName = score.title
    m21.metadata.composer = ""  # music21 would credit itself ("Music21") when no composer is set
    total = frac(score.length_quarters)
    for index, part in enumerate(score.parts):
        sp = stream.Part(id=part.id)
        sp.partName = part.spec.name
        sp.insert(0, _m21_instrument(part))
        sp.insert(0, meter.TimeSignature(str(score.meter)))
        if part.is_drum:
            sp.insert(0, clef.PercussionClef())
        else:
            sp.insert(0, _m21_key(score.key))
        if index == 0:
            sp.insert(0, tempo.MetronomeMark(number=round(score.tempo_bpm, 2), referent=1.0))
        # Group notes by quantized onset; notes sharing an onset become one chord (shortest end wins
        # would lose length, so a chord takes its longest member's duration; lyrics stay on the top).
        groups: dict[Fraction, list[Note]] = {}
        for n in part.notes:
            groups.setdefault(frac(n.start), []).append(n)
        onsets = sorted(groups)
        for i, onset in enumerate(onsets):
            members = groups[onset]
            end = max(frac(n.end) for n in members)
            if i + 1 < len(onsets):
                end = min(end, onsets[i + 1])  # a voice per part: cut overlaps at the next onset
            end = min(end, max(total, onset + Fraction(1, 12)))
            length = max(end - onset, Fraction(1, 12))
            top = max(members, key=lambda n: n.pitch)
            if len({n.pitch for n in members}) > 1:
                element = chord.Chord([spelled(p) for p in sorted({n.pitch for n in members})])
            else:
                element = note.Note(spelled(top.pitch))
            element.quarterLength = length
            element.volume.velocity = top.velocity
            if top.lyric:
                element.lyric = top.lyric
            sp.insert(onset, element)
        sp.makeRests(fillGaps=True, inPlace=True, timeRangeFromBarDuration=False, refStreamOrTimeRange=[0, total])
        if not part.is_drum and part.notes:
            sp.insert(0, _clef_for(part))
        m21.insert(0, sp)
    return m21


def _clef_for(part: Part) -> Any:
    """Treble-8vb for tenor voices and guitars (written an octave up), else bass or treble by register."""
    from music21 import clef

    if part.instrument == "tenor" or part.spec.family.value == "guitar":
        return clef.Treble8vbClef()
    mean = sum(n.pitch for n in part.notes) / len(part.notes)
    return clef.BassClef() if mean < 55 else clef.TrebleClef()


def save_musicxml(score: Score, path: str | Path) -> Path:
    """Write `score` as MusicXML (bars, ties across barlines, key, meter, tempo, names, lyrics), atomically."""
    from music21 import stream

    m21 = _score_to_m21(score)
    out = stream.Score()
    out.metadata = m21.metadata
    for sp in m21.parts:
        # makeNotation makes measures and splits notes at barlines with ties; splitAtDurations then
        # breaks lengths with no single note value (5/3 quarters) into tied notes MuseScore can show.
        made = sp.makeNotation(inPlace=True) or sp
        made.splitAtDurations(recurse=True)
        out.insert(0, made)
    target = Path(path)
    with atomic_write(target, suffix=".musicxml") as tmp:
        out.write("musicxml", fp=str(tmp), makeNotation=False)
    return target


# ----------------------------------------------------------------------------------------------
# music21 readers (MusicXML, ABC)


def _element_keys(el: Any) -> tuple[list[int], int]:
    """MIDI keys of a music21 note, chord or unpitched (percussion) note, and how many were unpitched.

    Unpitched notes carry a staff position, not a sound: their display pitch stands in for the key.
    """
    from music21 import chord

    # ChordBase covers pitched chords and PercussionChord (whose isChord is False).
    members = list(el.notes) if isinstance(el, chord.ChordBase) else [el]
    keys, unpitched = [], 0
    for member in members:
        if hasattr(member, "pitch"):
            keys.append(int(member.pitch.midi))
        elif hasattr(member, "displayPitch"):
            keys.append(int(member.displayPitch().midi))
            unpitched += 1
    return keys, unpitched


def _m21_to_score(m21: object, title: str, source: Path) -> Score:
    """Convert a parsed music21 stream into a Score: one Part per music21 part (chords kept)."""
    from music21 import stream

    if isinstance(m21, stream.Opus):
        if not m21.scores:
            raise UserInputError("no tunes in file", path=str(source))
        if len(m21.scores) > 1:
            warnings.warn(f"{source.name}: {len(m21.scores)} tunes in file; reading the first", stacklevel=3)
        m21 = m21.scores[0]
    if not isinstance(m21, stream.Stream):
        raise UserInputError("no music in file", path=str(source))
    if not isinstance(m21, stream.Score):
        wrapped = stream.Score()
        wrapped.insert(0, m21)
        m21 = wrapped
    m21_parts = list(m21.parts) or [m21]
    meter = Meter(numerator=4, denominator=4)
    ts = m21.recurse().getElementsByClass("TimeSignature").first()
    if ts is not None:
        with contextlib.suppress(ValueError):
            meter = Meter(numerator=ts.numerator, denominator=ts.denominator)
    bpm = 120.0
    mm = m21.recurse().getElementsByClass("MetronomeMark").first()
    if mm is not None and mm.number:
        bpm = float(mm.getQuarterBPM() or mm.number)
        bpm = min(max(bpm, 20.0), 320.0)
    program_index = _program_index()
    parts: list[Part] = []
    used: set[str] = set()
    # A pickup (anacrusis) bar is padded to a whole bar so that bar lines fall where the music has them.
    shift = 0.0
    measures0 = sp0.getElementsByClass("Measure") if hasattr(sp0 := m21_parts[0], "getElementsByClass") else []
    first_measure = measures0[0] if len(measures0) else None
    if first_measure is not None and getattr(first_measure, "paddingLeft", 0):
        shift = quantize(float(first_measure.paddingLeft))
    for index, sp in enumerate(m21_parts):
        notes: list[Note] = []
        percussive = 0  # unpitched (percussion-staff) notes seen in this part
        flat = sp.flatten().stripTies() if hasattr(sp, "flatten") else sp
        for el in flat.notes:
            start = quantize(float(el.offset) + shift)
            dur = max(quantize(float(el.quarterLength)), GRID)
            lyric = el.lyric if getattr(el, "lyric", None) else None
            vel = el.volume.velocity if el.volume.velocity else 80
            pitches, unpitched = _element_keys(el)
            percussive += unpitched
            for j, pitch in enumerate(sorted(pitches, reverse=True)):
                if 0 <= pitch <= 127:
                    notes.append(Note(pitch=pitch, start=start, duration=dur, velocity=int(vel), lyric=lyric if j == 0 else None))
        if not notes:
            continue
        inst_id = "acoustic_grand_piano"
        inst = sp.getInstrument(returnDefault=False) if hasattr(sp, "getInstrument") else None
        if percussive:
            inst_id = "drum_kit"
        elif inst is not None:
            name = (inst.instrumentName or inst.partName or "").strip().lower()
            from musicgrammar.ontologies import find_instrument

            found = find_instrument(name) if name else None
            if found is not None:
                inst_id = found.id
            elif inst.midiProgram is not None:
                inst_id = program_index.get(int(inst.midiProgram), inst_id)
        # The <score-part id> (our part id when we wrote the file) is kept on the instrument; ids that
        # other programs generate (P1, P4fc63...) give way to the part name.
        candidates = [getattr(inst, "partId", None) if inst is not None else None, getattr(sp, "partName", None), getattr(sp, "id", None)]
        pid = f"part{index + 1}"
        for cand in candidates:
            text = "_".join("".join(c if c.isalnum() or c in "_-" else " " for c in str(cand or "")).split())
            if text and len(text) <= 32 and not text[0].isdigit() and not re.fullmatch(r"P[0-9a-f]{6,}|P\d+", text) and text not in used:
                pid = text
                break
        used.add(pid)
        parts.append(Part(id=pid, instrument=inst_id, role=Role.LEAD if not parts else Role.HARMONY, notes=notes))
    if not parts:
        raise UserInputError("file has no notes", path=str(source))
    key_obj = m21.recurse().getElementsByClass("Key").first()
    all_notes = [n for p in parts for n in p.notes]
    if key_obj is not None:
        mode = Mode(key_obj.mode) if key_obj.mode in Mode.choices() else (Mode.MINOR if key_obj.mode == "minor" else Mode.MAJOR)
        key = Key(tonic=key_obj.tonic.name.replace("-", "b")[:2], mode=mode)
    else:
        ks = m21.recurse().getElementsByClass("KeySignature").first()
        estimated = estimate_key(all_notes)
        if ks is not None:
            # A bare signature names two keys (relative major/minor); the notes decide which.
            major_pc = (ks.sharps * 7) % 12
            minor = estimated.mode is Mode.MINOR and estimated.tonic_pc == (major_pc + 9) % 12
            tonic_pc = (major_pc + 9) % 12 if minor else major_pc
            key = Key(tonic=_key_name(tonic_pc, minor), mode=Mode.MINOR if minor else Mode.MAJOR)
        else:
            key = estimated
    end = max(p.end for p in parts)
    measures = max((len(sp.getElementsByClass("Measure")) for sp in m21_parts if hasattr(sp, "getElementsByClass")), default=0)
    bars = max(1, math.ceil(end / meter.bar_quarters - 1e-6), min(measures, MAX_BARS))
    _check_score_size(len(all_notes), bars, source)
    meta_title = None
    if m21.metadata is not None:
        meta_title = m21.metadata.title or m21.metadata.movementName
    return Score(title=(meta_title or title)[:200] or "Untitled", key=key, meter=meter, tempo_bpm=round(bpm, 3), bars=bars, parts=parts)


def _parse_with_music21(p: Path, fmt: str | None) -> object:
    from music21 import converter

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return converter.parse(str(p), format=fmt, forceSource=True)
    except UserInputError:
        raise
    except Exception as exc:  # music21 raises a zoo of exception types for malformed files
        raise UserInputError(f"not a readable {fmt or 'music'} file ({type(exc).__name__}: {exc})", path=str(p)) from exc


def load_musicxml(path: str | Path) -> Score:
    """Read a MusicXML (.musicxml, .xml, .mxl) file into a Score."""
    p = _check_input(path)
    return _m21_to_score(_parse_with_music21(p, "musicxml"), p.stem, p)


def load_abc(path: str | Path) -> Score:
    """Read an ABC file (the first tune when there are several) into a Score."""
    p = _check_input(path)
    return _m21_to_score(_parse_with_music21(p, "abc"), p.stem, p)


def load_score(path: str | Path) -> Score:
    """Read any supported file (.mid/.midi, .musicxml/.xml/.mxl, .abc) into a Score with all its parts."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in _MIDI_SUFFIXES:
        score = load_midi(p)
    elif suffix in _XML_SUFFIXES:
        score = load_musicxml(p)
    elif suffix in _ABC_SUFFIXES:
        score = load_abc(p)
    else:
        raise UserInputError(
            f"unsupported file type {suffix or '(none)'}; expected .mid, .midi, .musicxml, .xml, .mxl or .abc", path=str(p)
        )
    return score


def _top_line(notes: list[Note]) -> list[Note]:
    """Skyline: at each onset keep the highest note, cut at the next onset so the line is monophonic."""
    by_onset: dict[float, Note] = {}
    for n in notes:
        best = by_onset.get(n.start)
        if best is None or n.pitch > best.pitch or (n.pitch == best.pitch and n.duration > best.duration):
            by_onset[n.start] = n
    onsets = sorted(by_onset)
    line: list[Note] = []
    for i, t in enumerate(onsets):
        n = by_onset[t]
        if i + 1 < len(onsets) and n.end > onsets[i + 1]:
            n = n.model_copy(update={"duration": round(onsets[i + 1] - t, 6)})
        line.append(n)
    return line


def load_melody(path: str | Path) -> Score:
    """Read the melody of a MIDI, MusicXML or ABC file as a one-part Score (role lead).

    The melody is the first pitched part (the track or part that comes first); when that part, or
    the file, is polyphonic, the top line (highest note at each onset) is taken and a warning says so.
    """
    score = load_score(path)
    pitched = [p for p in score.parts if not p.is_drum]
    if not pitched:
        raise UserInputError("file has no pitched notes", path=str(path))
    first = pitched[0]
    polyphonic = len(pitched) > 1
    starts = [n.start for n in first.notes]
    ordered = sorted(first.notes, key=lambda n: n.start)
    chordal = len(set(starts)) < len(starts) or any(a.end > b.start + 1e-6 for a, b in zip(ordered, ordered[1:]))
    if polyphonic or chordal:
        msg = f"{Path(path).name}: polyphonic input ({len(pitched)} part(s)); taking the top line of part {first.id!r}"
        warnings.warn(msg, UserWarning, stacklevel=2)
        log.warning(msg)
        notes = _top_line(first.notes)
    else:
        notes = list(first.notes)
    melody = Part(id="melody", instrument=first.instrument, role=Role.LEAD, notes=notes)
    return score.model_copy(update={"parts": [melody]})
