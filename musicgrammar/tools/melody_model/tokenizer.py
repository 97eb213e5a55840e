"""The melody model's event vocabulary: bars, positions, voiced pitches, durations and conditioning.

A piece becomes one token sequence::

    BOS KEY_<tonic pc> MODE_<mode> METER_<n/d>
    BAR  POS_<p> [CHORD_<root>_<quality>] NOTE_<voice>_<pitch> DUR_<d> [NOTE_.. DUR_..]  POS_<p> ...
    BAR  ...
    EOS

- Time is counted in ticks, ``TICKS_PER_QUARTER`` (12) per quarter note, so sixteenths (3) and
  eighth-note triplets (4) are exact. ``POS_p`` is the onset within the bar (0 .. 95: bars of up to
  8 quarters); ``DUR_d`` is a duration from a fixed list (quantized to the nearest entry).
- All notes that start together share one ``POS`` token; they are ordered by voice.
- ``CHORD`` is the harmony sounding at that onset. It is written at the first onset of every bar and
  again whenever it changes, so every bar can be read (and a training window can start) on its own.
  Pieces without chord information simply have no ``CHORD`` tokens.
- ``NOTE_v_p`` fuses a voice (0 soprano/lead, 1 alto/counter-melody, 2 tenor/harmony, 3 bass) and a
  MIDI pitch (21..108). The NOTE block is the last block of the vocabulary, voice-major, so a model can
  factorize its embedding into pitch + voice (the "smart" embedding) or keep one row per token.

The module is pure Python (no torch, no music21) so it can be used by data preparation, the model,
generation and the loss profile alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "TICKS_PER_QUARTER",
    "PITCH_LOW",
    "PITCH_HIGH",
    "N_PITCHES",
    "N_VOICES",
    "MODES",
    "METERS",
    "QUALITIES",
    "QUALITY_INTERVALS",
    "DURATIONS",
    "MAX_BAR_TICKS",
    "NoteEvent",
    "ChordEvent",
    "Piece",
    "Vocab",
    "VOCAB",
    "encode",
    "decode",
    "bar_starts",
    "classify_chord",
    "estimate_chords",
    "mode_token_name",
    "meter_token_name",
]

TICKS_PER_QUARTER = 12
PITCH_LOW, PITCH_HIGH = 21, 108  # piano range, like the smart-embedding paper's 88 keys
N_PITCHES = PITCH_HIGH - PITCH_LOW + 1
N_VOICES = 4
MAX_BAR_TICKS = 8 * TICKS_PER_QUARTER

# Modes the model is conditioned on; any other mode is mapped to its nearest ("minor-like" -> minor).
MODES: tuple[str, ...] = (
    "major", "minor", "dorian", "phrygian", "lydian", "mixolydian", "locrian",
    "harmonic_minor", "melodic_minor", "major_pentatonic", "minor_pentatonic", "blues", "other",
)
METERS: tuple[str, ...] = (
    "2/4", "3/4", "4/4", "2/2", "3/2", "6/4", "3/8", "6/8", "9/8", "12/8", "5/4", "7/8", "other",
)
# Chord qualities and their intervals above the root (the chord token vocabulary).
QUALITY_INTERVALS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
    "dom7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10), "hdim7": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9), "sus4": (0, 5, 7), "sus2": (0, 2, 7),
}
QUALITIES: tuple[str, ...] = tuple(QUALITY_INTERVALS)
# Durations in ticks: every tick up to a quarter, then musically common longer values up to 8 quarters.
DURATIONS: tuple[int, ...] = tuple(range(1, 13)) + (
    15, 18, 21, 24, 27, 30, 33, 36, 42, 48, 54, 60, 72, 84, 96,
)


@dataclass(frozen=True)
class NoteEvent:
    """One note in ticks: onset from the start of bar 0, duration, MIDI pitch, voice 0..3."""

    start: int
    duration: int
    pitch: int
    voice: int = 0


@dataclass(frozen=True)
class ChordEvent:
    """A harmony that holds from ``start`` (ticks) until the next chord event."""

    start: int
    root: int
    quality: str


@dataclass
class Piece:
    """A tokenizable piece: conditioning plus notes and chords, all in ticks, bar 0 starting at 0."""

    tonic: int
    mode: str
    meter: tuple[int, int]
    notes: list[NoteEvent]
    chords: list[ChordEvent] = field(default_factory=list)

    @property
    def bar_ticks(self) -> int:
        num, den = self.meter
        return num * 4 * TICKS_PER_QUARTER // den

    @property
    def n_bars(self) -> int:
        if not self.notes:
            return 0
        last = max(n.start for n in self.notes)
        return last // self.bar_ticks + 1


def mode_token_name(mode: str) -> str:
    """Map any mode name to one of ``MODES`` (aeolian -> minor, ionian -> major, others by colour)."""
    mode = mode.lower()
    aliases = {"ionian": "major", "aeolian": "minor", "phrygian_dominant": "phrygian",
               "whole_tone": "other", "mande_silaba": "major", "mande_balafon": "major",
               "mande_sauta": "lydian", "mande_tomora": "phrygian", "mande_hardino": "mixolydian",
               "mande_pentatonic": "major_pentatonic"}
    mode = aliases.get(mode, mode)
    return mode if mode in MODES else "other"


def meter_token_name(numerator: int, denominator: int) -> str:
    name = f"{numerator}/{denominator}"
    return name if name in METERS else "other"


class Vocab:
    """Token names <-> ids. Blocks: specials, KEY, MODE, METER, CHORD, POS, DUR, NOTE (last)."""

    def __init__(self) -> None:
        names: list[str] = ["PAD", "BOS", "EOS", "BAR"]
        names += [f"KEY_{pc}" for pc in range(12)]
        names += [f"MODE_{m}" for m in MODES]
        names += [f"METER_{m}" for m in METERS]
        self.chord_base = len(names)
        names += [f"CHORD_{root}_{q}" for root in range(12) for q in QUALITIES]
        self.pos_base = len(names)
        names += [f"POS_{p}" for p in range(MAX_BAR_TICKS)]
        self.dur_base = len(names)
        names += [f"DUR_{d}" for d in DURATIONS]
        self.note_base = len(names)  # everything before this index is a "non-note" token
        names += [f"NOTE_{v}_{p}" for v in range(N_VOICES) for p in range(PITCH_LOW, PITCH_HIGH + 1)]
        self.names: tuple[str, ...] = tuple(names)
        self.ids: dict[str, int] = {n: i for i, n in enumerate(names)}
        self.pad, self.bos, self.eos, self.bar = 0, 1, 2, 3

    def __len__(self) -> int:
        return len(self.names)

    # --- typed constructors -------------------------------------------------------------------
    def key(self, tonic_pc: int) -> int:
        return self.ids[f"KEY_{tonic_pc % 12}"]

    def mode(self, mode: str) -> int:
        return self.ids[f"MODE_{mode_token_name(mode)}"]

    def meter(self, numerator: int, denominator: int) -> int:
        return self.ids[f"METER_{meter_token_name(numerator, denominator)}"]

    def chord(self, root: int, quality: str) -> int:
        return self.chord_base + (root % 12) * len(QUALITIES) + QUALITIES.index(quality)

    def pos(self, tick: int) -> int:
        if not 0 <= tick < MAX_BAR_TICKS:
            raise ValueError(f"position {tick} outside a bar of at most {MAX_BAR_TICKS} ticks")
        return self.pos_base + tick

    def dur(self, ticks: int) -> int:
        return self.dur_base + DURATIONS.index(quantize_duration(ticks))

    def note(self, voice: int, pitch: int) -> int:
        if not 0 <= voice < N_VOICES:
            raise ValueError(f"voice {voice} outside 0..{N_VOICES - 1}")
        if not PITCH_LOW <= pitch <= PITCH_HIGH:
            raise ValueError(f"pitch {pitch} outside {PITCH_LOW}..{PITCH_HIGH}")
        return self.note_base + voice * N_PITCHES + (pitch - PITCH_LOW)

    # --- predicates / accessors ---------------------------------------------------------------
    def is_note(self, tok: int) -> bool:
        return tok >= self.note_base

    def is_pos(self, tok: int) -> bool:
        return self.pos_base <= tok < self.dur_base

    def is_dur(self, tok: int) -> bool:
        return self.dur_base <= tok < self.note_base

    def is_chord(self, tok: int) -> bool:
        return self.chord_base <= tok < self.pos_base

    def note_voice_pitch(self, tok: int) -> tuple[int, int]:
        offset = tok - self.note_base
        return offset // N_PITCHES, PITCH_LOW + offset % N_PITCHES

    def pos_tick(self, tok: int) -> int:
        return tok - self.pos_base

    def dur_ticks(self, tok: int) -> int:
        return DURATIONS[tok - self.dur_base]

    def chord_root_quality(self, tok: int) -> tuple[int, str]:
        offset = tok - self.chord_base
        return offset // len(QUALITIES), QUALITIES[offset % len(QUALITIES)]

    def header(self, tonic: int, mode: str, meter: tuple[int, int]) -> list[int]:
        return [self.bos, self.key(tonic), self.mode(mode), self.meter(*meter)]


VOCAB = Vocab()


def quantize_duration(ticks: int) -> int:
    """The nearest duration of ``DURATIONS`` (ties go to the shorter)."""
    return min(DURATIONS, key=lambda d: (abs(d - ticks), d))


def _chord_at(chords: Sequence[ChordEvent], tick: int) -> ChordEvent | None:
    current = None
    for chord in chords:  # chords are sorted by start; pieces have at most a few hundred
        if chord.start > tick:
            break
        current = chord
    return current


def encode(
    piece: Piece,
    start_bar: int = 0,
    end_bar: int | None = None,
    *,
    with_chords: bool = True,
    add_eos: bool = True,
) -> list[int]:
    """Token ids for bars ``start_bar .. end_bar - 1`` of ``piece`` (header first, EOS at the piece end).

    Notes outside the pitch range are moved by octaves into it; voices above 3 are clamped to 3.
    """
    v = VOCAB
    bar_ticks = piece.bar_ticks
    if not 0 < bar_ticks <= MAX_BAR_TICKS:
        raise ValueError(f"meter {piece.meter} gives a bar of {bar_ticks} ticks (max {MAX_BAR_TICKS})")
    n_bars = piece.n_bars
    end = n_bars if end_bar is None else min(end_bar, n_bars)
    chords = sorted(piece.chords, key=lambda c: c.start) if with_chords else []
    notes = sorted(piece.notes, key=lambda n: (n.start, n.voice, -n.pitch))
    tokens = v.header(piece.tonic, piece.mode, piece.meter)
    idx = 0
    while idx < len(notes) and notes[idx].start < start_bar * bar_ticks:
        idx += 1
    for bar in range(start_bar, end):
        tokens.append(v.bar)
        bar_start, bar_end = bar * bar_ticks, (bar + 1) * bar_ticks
        last_chord: ChordEvent | None = None
        last_pos = -1
        while idx < len(notes) and notes[idx].start < bar_end:
            note = notes[idx]
            idx += 1
            if note.start != last_pos:
                tokens.append(v.pos(note.start - bar_start))
                last_pos = note.start
                chord = _chord_at(chords, note.start)
                if chord is not None and chord != last_chord:
                    tokens.append(v.chord(chord.root, chord.quality))
                    last_chord = chord
            pitch = note.pitch
            while pitch < PITCH_LOW:
                pitch += 12
            while pitch > PITCH_HIGH:
                pitch -= 12
            tokens.append(v.note(min(max(note.voice, 0), N_VOICES - 1), pitch))
            tokens.append(v.dur(max(note.duration, 1)))
    if add_eos and end == n_bars:
        tokens.append(v.eos)
    return tokens


def decode(tokens: Iterable[int]) -> Piece:
    """Read a token sequence back into a ``Piece``; tokens out of grammar are skipped, not fatal.

    Bars are counted from the first BAR token (bar 0). A NOTE without a following DUR gets a quarter.
    """
    v = VOCAB
    tonic, mode, meter = 0, "major", (4, 4)
    notes: list[NoteEvent] = []
    chords: list[ChordEvent] = []
    bar = -1
    bar_ticks = 4 * TICKS_PER_QUARTER
    pos: int | None = None
    pending: tuple[int, int, int] | None = None  # (start, voice, pitch) waiting for its DUR
    for tok in tokens:
        name = v.names[tok] if 0 <= tok < len(v) else "PAD"
        if pending is not None and not v.is_dur(tok):
            notes.append(NoteEvent(pending[0], TICKS_PER_QUARTER, pending[2], pending[1]))
            pending = None
        if name.startswith("KEY_"):
            tonic = int(name[4:])
        elif name.startswith("MODE_"):
            mode = name[5:]
        elif name.startswith("METER_"):
            text = name[6:]
            if text != "other":
                num, den = (int(x) for x in text.split("/"))
                meter, bar_ticks = (num, den), num * 4 * TICKS_PER_QUARTER // den
        elif tok == v.bar:
            bar += 1
            pos = None
        elif v.is_pos(tok) and bar >= 0:
            pos = bar * bar_ticks + v.pos_tick(tok)
        elif v.is_chord(tok) and pos is not None:
            root, quality = v.chord_root_quality(tok)
            chords.append(ChordEvent(pos, root, quality))
        elif v.is_note(tok) and pos is not None:
            voice, pitch = v.note_voice_pitch(tok)
            pending = (pos, voice, pitch)
        elif v.is_dur(tok) and pending is not None:
            notes.append(NoteEvent(pending[0], v.dur_ticks(tok), pending[2], pending[1]))
            pending = None
        elif tok == v.eos:
            break
    if pending is not None:
        notes.append(NoteEvent(pending[0], TICKS_PER_QUARTER, pending[2], pending[1]))
    return Piece(tonic=tonic, mode=mode, meter=meter, notes=notes, chords=chords)


def bar_starts(tokens: Sequence[int]) -> list[int]:
    """Indices of the BAR tokens of a sequence (bar k starts at ``bar_starts(tokens)[k]``)."""
    return [i for i, tok in enumerate(tokens) if tok == VOCAB.bar]


# --- chord labels -------------------------------------------------------------------------------
_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MODE_SCALES: dict[str, tuple[int, ...]] = {
    "major": _MAJOR_SCALE, "minor": (0, 2, 3, 5, 7, 8, 10), "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10), "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10), "locrian": (0, 1, 3, 5, 6, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11), "melodic_minor": (0, 2, 3, 5, 7, 9, 11),
}
# Light preference for the chords a folk or chorale harmonization uses most (degree -> bonus).
_FUNCTION_BONUS = {0: 0.3, 7: 0.2, 5: 0.15}
_COMPLEXITY = {"maj": 0.0, "min": 0.0, "dim": 0.1, "aug": 0.3, "dom7": 0.1, "maj7": 0.2, "min7": 0.15,
               "hdim7": 0.2, "dim7": 0.2, "sus4": 0.25, "sus2": 0.3}


def classify_chord(root: int, pitch_classes: Iterable[int]) -> str:
    """The quality of ``QUALITIES`` whose pitch classes above ``root`` best match (Jaccard)."""
    rel = {(pc - root) % 12 for pc in pitch_classes} | {0}

    def score(q: str) -> tuple[float, float]:
        tmpl = set(QUALITY_INTERVALS[q])
        return len(rel & tmpl) / len(rel | tmpl), -_COMPLEXITY[q]

    return max(QUALITIES, key=score)


def estimate_chords(
    notes: Sequence[NoteEvent], tonic: int, mode: str, bar_ticks: int, unit_ticks: int | None = None
) -> list[ChordEvent]:
    """A heuristic harmonic analysis: the best-matching chord per harmonic unit.

    For each unit (default: a bar of up to 3 quarters, else half a bar) the sounding pitch classes
    are weighted by overlap (onsets on the unit start and the lowest note count extra), and every
    root x quality is scored: matched weight - 0.6 * unmatched weight - complexity, plus a bonus when
    all chord tones are in the key and for the tonic, dominant and subdominant. Consecutive equal
    chords are merged. Used to label folk melodies (which carry no chords) and to condition profiles
    of files without chord symbols.
    """
    if not notes:
        return []
    if unit_ticks is None:
        unit_ticks = bar_ticks if bar_ticks <= 3 * TICKS_PER_QUARTER else bar_ticks // 2
    scale = {(tonic + i) % 12 for i in _MODE_SCALES.get(mode_token_name(mode), _MAJOR_SCALE)}
    end = max(n.start + n.duration for n in notes)
    out: list[ChordEvent] = []
    for u0 in range(0, end, unit_ticks):
        u1 = u0 + unit_ticks
        weight = [0.0] * 12
        sounding = [n for n in notes if n.start < u1 and n.start + n.duration > u0]
        if not sounding:
            continue
        low = min(n.pitch for n in sounding)
        for n in sounding:
            w = min(u1, n.start + n.duration) - max(u0, n.start)
            if n.start == u0:
                w *= 1.5
            if n.pitch == low:
                w *= 1.5
            weight[n.pitch % 12] += w
        total = sum(weight)
        best: tuple[float, int, str] | None = None
        for root in range(12):
            for q, ivs in QUALITY_INTERVALS.items():
                tones = {(root + i) % 12 for i in ivs}
                matched = sum(weight[pc] for pc in tones)
                s = (matched - 0.6 * (total - matched)) / total - _COMPLEXITY[q]
                if tones <= scale:
                    s += 0.25
                s += _FUNCTION_BONUS.get((root - tonic) % 12, 0.0) * (q in ("maj", "min", "dom7"))
                if best is None or s > best[0]:
                    best = (s, root, q)
        if best is None:  # unreachable: 12 x 11 candidates were scored
            continue
        if not out or (out[-1].root, out[-1].quality) != (best[1], best[2]):
            out.append(ChordEvent(u0, best[1], best[2]))
    return out
