"""Pitch, interval, scale/mode and key.

Pitches are MIDI numbers (60 = middle C); pitch classes are 0..11 with C = 0. Modes are interval
sets in 12-tone equal temperament; traditions whose tunings are not equal-tempered (the Mande
balafon and kora tunings) are given as their nearest 12-TET approximation, and say so.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum

__all__ = [
    "PitchClassName",
    "Mode",
    "Key",
    "MidiPitch",
    "parse_pitch_class",
    "pitch_class_name",
    "pitch_name",
    "parse_pitch",
    "INTERVAL_NAMES",
]

MidiPitch = Annotated[int, Field(ge=0, le=127, description="MIDI note number; 60 is middle C.")]

_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_PITCH_CLASS_RE = re.compile(r"^([A-Ga-g])((?:#|b|♯|♭|-|x){0,2})$")
_PITCH_RE = re.compile(r"^([A-Ga-g](?:#|b|♯|♭|-|x){0,2})(-?\d+)$")

PitchClassName = Annotated[str, Field(pattern=r"^[A-G](#|b)?$", description="Pitch-class name, e.g. C, F#, Bb.")]

INTERVAL_NAMES = (
    "unison",
    "minor second",
    "major second",
    "minor third",
    "major third",
    "perfect fourth",
    "tritone",
    "perfect fifth",
    "minor sixth",
    "major sixth",
    "minor seventh",
    "major seventh",
)


def parse_pitch_class(name: str) -> int:
    """'F#' -> 6, 'Bb' -> 10, 'B-' (music21 flat) -> 10. Raises ValueError on anything else."""
    match = _PITCH_CLASS_RE.match(name.strip())
    if not match:
        raise ValueError(f"not a pitch-class name: {name!r}")
    letter, accidentals = match.groups()
    shift = 0
    for char in accidentals:
        shift += {"#": 1, "♯": 1, "x": 2, "b": -1, "♭": -1, "-": -1}[char]
    return (_LETTER_PC[letter.upper()] + shift) % 12


def pitch_class_name(pc: int, prefer_flats: bool = False) -> str:
    """6 -> 'F#' (or 'Gb' with prefer_flats)."""
    return (_FLAT_NAMES if prefer_flats else _SHARP_NAMES)[pc % 12]


def pitch_name(pitch: int, prefer_flats: bool = False) -> str:
    """60 -> 'C4' (scientific pitch notation)."""
    return f"{pitch_class_name(pitch, prefer_flats)}{pitch // 12 - 1}"


def parse_pitch(name: str) -> int:
    """'C4' -> 60, 'Bb3' -> 58."""
    match = _PITCH_RE.match(name.strip())
    if not match:
        raise ValueError(f"not a pitch name: {name!r}")
    pc_name, octave = match.groups()
    letter_pc = _LETTER_PC[pc_name[0].upper()]
    # B#3 is C4 and Cb4 is B3: the octave belongs to the letter, the accidental shifts the pitch.
    shift = sum({"#": 1, "♯": 1, "x": 2, "b": -1, "♭": -1, "-": -1}[c] for c in pc_name[1:])
    midi = (int(octave) + 1) * 12 + letter_pc + shift
    if not 0 <= midi <= 127:
        raise ValueError(f"pitch out of MIDI range: {name!r}")
    return midi


@register_enum
class Mode(DescribedEnum):
    """Scales and modes, each with its interval set from the tonic in semitones."""

    MAJOR = "major", "The major scale (Ionian): bright, stable, the home of most Western tonal music."
    MINOR = "minor", "The natural minor scale (Aeolian): darker and sadder than major, with a flat third, sixth and seventh."
    HARMONIC_MINOR = "harmonic_minor", "Minor with a raised seventh: a leading tone and an exotic augmented second between sixth and seventh."
    MELODIC_MINOR = "melodic_minor", "Minor with raised sixth and seventh (ascending form): smooth minor melodies that still lead home."
    IONIAN = "ionian", "The first diatonic mode, identical to the major scale."
    DORIAN = "dorian", "Minor with a raised sixth: folk, modal jazz and Celtic tunes, melancholy yet hopeful."
    PHRYGIAN = "phrygian", "Minor with a flat second: Spanish, flamenco and dark, tense colours."
    LYDIAN = "lydian", "Major with a raised fourth: floating, dreamy, luminous and otherworldly."
    MIXOLYDIAN = "mixolydian", "Major with a flat seventh: rock, Celtic and folk tunes, bluesy brightness."
    AEOLIAN = "aeolian", "The sixth diatonic mode, identical to natural minor."
    LOCRIAN = "locrian", "The diminished mode with flat second and fifth: unstable, unresolved, eerie."
    MAJOR_PENTATONIC = "major_pentatonic", "Five notes of major without fourth and seventh: open, folk-like, found worldwide."
    MINOR_PENTATONIC = "minor_pentatonic", "Five notes of minor without second and sixth: blues, rock and West African melodies."
    BLUES = "blues", "Minor pentatonic plus the flat fifth blue note: the sound of the blues."
    WHOLE_TONE = "whole_tone", "Six equal whole steps: no leading tone, blurred, impressionist and dreamlike."
    PHRYGIAN_DOMINANT = "phrygian_dominant", "Phrygian with a major third: Middle Eastern, klezmer and flamenco colour."
    MANDE_SILABA = "mande_silaba", "Silaba kora tuning of the Mande jeli (12-TET approximation): major-like heptatonic."
    MANDE_SAUTA = "mande_sauta", "Sauta kora tuning of the Mande jeli (12-TET approximation): heptatonic with a raised fourth."
    MANDE_TOMORA = "mande_tomora", "Tomora Ba kora tuning of the Mande jeli (12-TET approximation): minor-like heptatonic with a flat second."
    MANDE_HARDINO = "mande_hardino", "Hardino kora tuning of the Mande jeli (12-TET approximation): major-like with a flat seventh."
    MANDE_BALAFON = "mande_balafon", "Near-equiheptatonic Mande balafon tuning (12-TET approximation as a major-like heptatonic)."
    MANDE_PENTATONIC = "mande_pentatonic", "The Mande anhemitonic pentatonic of Wassoulou and Bambara songs (12-TET)."
    SLENDRO = "slendro", "Javanese and Balinese gamelan slendro (12-TET approximation of five near-equal steps): calm, open, floating."
    PELOG = "pelog", "Gamelan pelog, the five-note selisir form (12-TET approximation of unequal steps): bright semitones, solemn and intense."

    @property
    def intervals(self) -> tuple[int, ...]:
        return _MODE_INTERVALS[self]

    @property
    def is_minor(self) -> bool:
        """True when the mode has a minor third above the tonic."""
        return 3 in self.intervals and 4 not in self.intervals

    @property
    def is_diatonic_heptatonic(self) -> bool:
        return len(self.intervals) == 7

    @property
    def parent(self) -> "Mode":
        """The seven-note mode that lends chords and letter names to a scale with fewer notes
        (major pentatonic -> major, blues -> mixolydian); a seven-note mode is its own parent."""
        return _PARENT_MODE.get(self, self)


_MODE_INTERVALS: dict[Mode, tuple[int, ...]] = {
    Mode.MAJOR: (0, 2, 4, 5, 7, 9, 11),
    Mode.MINOR: (0, 2, 3, 5, 7, 8, 10),
    Mode.HARMONIC_MINOR: (0, 2, 3, 5, 7, 8, 11),
    Mode.MELODIC_MINOR: (0, 2, 3, 5, 7, 9, 11),
    Mode.IONIAN: (0, 2, 4, 5, 7, 9, 11),
    Mode.DORIAN: (0, 2, 3, 5, 7, 9, 10),
    Mode.PHRYGIAN: (0, 1, 3, 5, 7, 8, 10),
    Mode.LYDIAN: (0, 2, 4, 6, 7, 9, 11),
    Mode.MIXOLYDIAN: (0, 2, 4, 5, 7, 9, 10),
    Mode.AEOLIAN: (0, 2, 3, 5, 7, 8, 10),
    Mode.LOCRIAN: (0, 1, 3, 5, 6, 8, 10),
    Mode.MAJOR_PENTATONIC: (0, 2, 4, 7, 9),
    Mode.MINOR_PENTATONIC: (0, 3, 5, 7, 10),
    Mode.BLUES: (0, 3, 5, 6, 7, 10),
    Mode.WHOLE_TONE: (0, 2, 4, 6, 8, 10),
    Mode.PHRYGIAN_DOMINANT: (0, 1, 4, 5, 7, 8, 10),
    Mode.MANDE_SILABA: (0, 2, 4, 5, 7, 9, 11),
    Mode.MANDE_SAUTA: (0, 2, 4, 6, 7, 9, 11),
    Mode.MANDE_TOMORA: (0, 1, 3, 5, 7, 8, 10),
    Mode.MANDE_HARDINO: (0, 2, 4, 5, 7, 9, 10),
    Mode.MANDE_BALAFON: (0, 2, 4, 5, 7, 9, 11),
    Mode.MANDE_PENTATONIC: (0, 2, 4, 7, 9),
    Mode.SLENDRO: (0, 2, 5, 7, 9),
    Mode.PELOG: (0, 1, 3, 7, 8),
}

# Seven-note parents of the scales with fewer notes: their chords and their letter names.
_PARENT_MODE: dict[Mode, Mode] = {
    Mode.MAJOR_PENTATONIC: Mode.MAJOR,
    Mode.MINOR_PENTATONIC: Mode.MINOR,
    Mode.BLUES: Mode.MIXOLYDIAN,
    Mode.MANDE_PENTATONIC: Mode.MAJOR,
    Mode.WHOLE_TONE: Mode.LYDIAN,
    Mode.SLENDRO: Mode.MIXOLYDIAN,
    Mode.PELOG: Mode.PHRYGIAN,
}
_LETTERS = "CDEFGAB"

# Keys whose signature is written with flats (major tonics; minor-like modes use their relative major).
_FLAT_MAJOR_TONICS = {5, 10, 3, 8, 1, 6}


class Key(BaseModel):
    """A tonic and a mode: 'G minor', 'D dorian', 'C mande_sauta'."""

    model_config = ConfigDict(frozen=True)

    tonic: PitchClassName = Field(description="Tonic pitch class, e.g. G, F#, Bb.")
    mode: Mode = Field(default=Mode.MAJOR, description="Scale or mode of the key.")

    @field_validator("tonic", mode="before")
    @classmethod
    def _normalize_tonic(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip().replace("♯", "#").replace("♭", "b")
            if len(text) == 2 and text[1] == "-":  # music21 spelling B- for Bb
                text = text[0] + "b"
            return text[:1].upper() + text[1:]
        return value

    @classmethod
    def parse(cls, text: str) -> "Key":
        """'G minor', 'f# minor', 'D dorian', 'Bb' -> Key. Raises ValueError."""
        parts = text.strip().replace("-", " ").split()
        if not parts:
            raise ValueError("empty key")
        tonic = parts[0]
        mode_name = "_".join(parts[1:]).lower() or "major"
        mode_name = {"min": "minor", "maj": "major", "m": "minor"}.get(mode_name, mode_name)
        parse_pitch_class(tonic)
        try:
            mode = Mode(mode_name)
        except ValueError as exc:
            raise ValueError(f"unknown mode {mode_name!r}") from exc
        return cls(tonic=tonic, mode=mode)

    @property
    def tonic_pc(self) -> int:
        return parse_pitch_class(self.tonic)

    def pitch_classes(self) -> frozenset[int]:
        """The key's scale as pitch classes."""
        return frozenset((self.tonic_pc + i) % 12 for i in self.mode.intervals)

    def scale_pitches(self, low: int, high: int) -> list[int]:
        """All MIDI pitches of the scale between low and high inclusive."""
        pcs = self.pitch_classes()
        return [p for p in range(low, high + 1) if p % 12 in pcs]

    def degree_pc(self, degree: int) -> int:
        """Pitch class of a 1-based scale degree (wrapping past the octave)."""
        steps = self.mode.intervals
        return (self.tonic_pc + steps[(degree - 1) % len(steps)]) % 12

    @property
    def prefers_flats(self) -> bool:
        major_tonic = (self.tonic_pc + 3) % 12 if self.mode.is_minor else self.tonic_pc
        return "b" in self.tonic or (major_tonic in _FLAT_MAJOR_TONICS and "#" not in self.tonic)

    def spell(self, pc: int) -> str:
        """The pitch class as the key writes it: one letter per scale degree (F# major has E#,
        Gb major has Cb); a tone outside the scale takes the key's sharps or flats."""
        return _scale_spelling(self.tonic, self.mode).get(pc % 12) or pitch_class_name(pc, self.prefers_flats)

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode.value.replace('_', ' ')}"


@lru_cache(maxsize=512)
def _scale_spelling(tonic: str, mode: Mode) -> dict[int, str]:
    """Pitch class -> name for the degrees of a key's (parent) seven-note scale, a letter each.

    Empty when a degree would need a double accidental (the key is then spelled by sharps or flats).
    """
    intervals = mode.parent.intervals
    if len(intervals) != 7:
        return {}
    tonic_pc, first = parse_pitch_class(tonic), _LETTERS.index(tonic[0].upper())
    names: dict[int, str] = {}
    for degree, step in enumerate(intervals):
        letter = _LETTERS[(first + degree) % 7]
        pc = (tonic_pc + step) % 12
        alter = (pc - _LETTER_PC[letter] + 6) % 12 - 6  # -6..5: semitones from the natural letter
        if abs(alter) > 1:
            return {}
        names[pc] = letter + ("#" if alter > 0 else "b" if alter < 0 else "")
    return names
