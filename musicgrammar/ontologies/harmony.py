"""Chord symbols, roman numerals and progressions with their harmonic rhythm.

Chord symbols follow the lead-sheet spelling music21's `harmony.ChordSymbol` reads (C, Cm, C7,
Cmaj7, Cm7b5, Cdim7, Csus4, Cadd9, C/E ...). A progression is written bar by bar: each bar is a
string of chords that share the bar equally ("Dm7 G7"), or with explicit lengths in beats of the
meter ("G7:2 C:1" in 3/4). An empty string is an empty bar.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum
from musicgrammar.ontologies.theory import Key, Mode, parse_pitch_class, pitch_class_name

__all__ = [
    "ChordQuality",
    "ChordSymbol",
    "RomanNumeral",
    "BarHarmony",
    "ChordSpan",
    "parse_bar",
    "chord_for_roman",
    "diatonic_chord",
    "diatonic_chords",
]


@register_enum
class ChordQuality(DescribedEnum):
    """Chord qualities with their intervals above the root."""

    MAJOR = "maj", "Major triad: root, major third, perfect fifth; stable and bright."
    MINOR = "min", "Minor triad: root, minor third, perfect fifth; stable and dark."
    DIMINISHED = "dim", "Diminished triad: two minor thirds; tense, wants to resolve."
    AUGMENTED = "aug", "Augmented triad: two major thirds; unstable, floating, suspenseful."
    SUS2 = "sus2", "Suspended second: the third replaced by a second; open and ambiguous."
    SUS4 = "sus4", "Suspended fourth: the third replaced by a fourth; wants to fall to the third."
    POWER = "5", "Power chord: root and fifth only; neither major nor minor."
    DOMINANT7 = "7", "Dominant seventh: major triad plus minor seventh; the strongest pull home."
    MAJOR7 = "maj7", "Major seventh: major triad plus major seventh; lush and mellow."
    MINOR7 = "m7", "Minor seventh: minor triad plus minor seventh; soft, jazzy, the ii of a ii-V-I."
    HALF_DIMINISHED7 = "m7b5", "Half-diminished seventh: diminished triad plus minor seventh; the ii of minor keys."
    DIMINISHED7 = "dim7", "Diminished seventh: stacked minor thirds; maximal tension, symmetric."
    MINOR_MAJOR7 = "mMaj7", "Minor-major seventh: minor triad plus major seventh; noir and suspenseful."
    SIXTH = "6", "Major sixth: major triad plus major sixth; sweet and settled."
    MINOR6 = "m6", "Minor sixth: minor triad plus major sixth; bittersweet."
    ADD9 = "add9", "Major triad with an added ninth; bright and open."
    MINOR_ADD9 = "madd9", "Minor triad with an added ninth; wistful."
    DOMINANT9 = "9", "Dominant ninth: dominant seventh plus ninth; funky and rich."
    MAJOR9 = "maj9", "Major ninth: major seventh plus ninth; dreamy."
    MINOR9 = "m9", "Minor ninth: minor seventh plus ninth; smooth."
    SEVEN_SUS4 = "7sus4", "Dominant seventh with suspended fourth; a soft dominant."

    @property
    def intervals(self) -> tuple[int, ...]:
        return _QUALITY_INTERVALS[self]


_QUALITY_INTERVALS: dict[ChordQuality, tuple[int, ...]] = {
    ChordQuality.MAJOR: (0, 4, 7),
    ChordQuality.MINOR: (0, 3, 7),
    ChordQuality.DIMINISHED: (0, 3, 6),
    ChordQuality.AUGMENTED: (0, 4, 8),
    ChordQuality.SUS2: (0, 2, 7),
    ChordQuality.SUS4: (0, 5, 7),
    ChordQuality.POWER: (0, 7),
    ChordQuality.DOMINANT7: (0, 4, 7, 10),
    ChordQuality.MAJOR7: (0, 4, 7, 11),
    ChordQuality.MINOR7: (0, 3, 7, 10),
    ChordQuality.HALF_DIMINISHED7: (0, 3, 6, 10),
    ChordQuality.DIMINISHED7: (0, 3, 6, 9),
    ChordQuality.MINOR_MAJOR7: (0, 3, 7, 11),
    ChordQuality.SIXTH: (0, 4, 7, 9),
    ChordQuality.MINOR6: (0, 3, 7, 9),
    ChordQuality.ADD9: (0, 4, 7, 2),
    ChordQuality.MINOR_ADD9: (0, 3, 7, 2),
    ChordQuality.DOMINANT9: (0, 4, 7, 10, 2),
    ChordQuality.MAJOR9: (0, 4, 7, 11, 2),
    ChordQuality.MINOR9: (0, 3, 7, 10, 2),
    ChordQuality.SEVEN_SUS4: (0, 5, 7, 10),
}

# Suffix spellings accepted on input (music21 / lead-sheet usage) -> quality. Longest match wins.
_SUFFIXES: dict[str, ChordQuality] = {
    "": ChordQuality.MAJOR,
    "M": ChordQuality.MAJOR,
    "maj": ChordQuality.MAJOR,
    "m": ChordQuality.MINOR,
    "min": ChordQuality.MINOR,
    "dim": ChordQuality.DIMINISHED,
    "o": ChordQuality.DIMINISHED,
    "°": ChordQuality.DIMINISHED,
    "aug": ChordQuality.AUGMENTED,
    "+": ChordQuality.AUGMENTED,
    "sus2": ChordQuality.SUS2,
    "sus4": ChordQuality.SUS4,
    "sus": ChordQuality.SUS4,
    "5": ChordQuality.POWER,
    "7": ChordQuality.DOMINANT7,
    "dom7": ChordQuality.DOMINANT7,
    "maj7": ChordQuality.MAJOR7,
    "M7": ChordQuality.MAJOR7,
    "Δ": ChordQuality.MAJOR7,
    "Δ7": ChordQuality.MAJOR7,
    "m7": ChordQuality.MINOR7,
    "min7": ChordQuality.MINOR7,
    "m7b5": ChordQuality.HALF_DIMINISHED7,
    "ø": ChordQuality.HALF_DIMINISHED7,
    "ø7": ChordQuality.HALF_DIMINISHED7,
    "dim7": ChordQuality.DIMINISHED7,
    "o7": ChordQuality.DIMINISHED7,
    "°7": ChordQuality.DIMINISHED7,
    "mMaj7": ChordQuality.MINOR_MAJOR7,
    "mM7": ChordQuality.MINOR_MAJOR7,
    "minmaj7": ChordQuality.MINOR_MAJOR7,
    "6": ChordQuality.SIXTH,
    "m6": ChordQuality.MINOR6,
    "add9": ChordQuality.ADD9,
    "add2": ChordQuality.ADD9,
    "madd9": ChordQuality.MINOR_ADD9,
    "9": ChordQuality.DOMINANT9,
    "maj9": ChordQuality.MAJOR9,
    "M9": ChordQuality.MAJOR9,
    "m9": ChordQuality.MINOR9,
    "7sus4": ChordQuality.SEVEN_SUS4,
    "7sus": ChordQuality.SEVEN_SUS4,
}
# A "-" right after the root letter is a flat, as music21 writes it (B-7 is B flat seven).
_CHORD_RE = re.compile(r"^([A-G](?:#|b|-|♯|♭)?)(.*?)(?:/([A-G](?:#|b|♯|♭|-)?))?$")


class ChordSymbol(BaseModel):
    """A chord: root pitch class, quality and an optional bass note (slash chord)."""

    model_config = ConfigDict(frozen=True)

    root: str = Field(description="Root pitch-class name, e.g. G, Bb, F#.")
    quality: ChordQuality = Field(default=ChordQuality.MAJOR, description="Chord quality.")
    bass: str | None = Field(default=None, description="Bass note of a slash chord, e.g. E in C/E.")

    @classmethod
    def parse(cls, text: str) -> "ChordSymbol":
        """'F#m7/C#' -> ChordSymbol(root='F#', quality=m7, bass='C#'). Raises ValueError."""
        return _parse_chord(text.strip())

    @classmethod
    def from_pitch_classes(
        cls, root_pc: int, quality: ChordQuality | str, *, bass_pc: int | None = None, prefer_flats: bool = False
    ) -> "ChordSymbol":
        bass = pitch_class_name(bass_pc, prefer_flats) if bass_pc is not None and bass_pc != root_pc else None
        return cls(root=pitch_class_name(root_pc, prefer_flats), quality=ChordQuality(quality), bass=bass)

    @property
    def root_pc(self) -> int:
        return parse_pitch_class(self.root)

    @property
    def bass_pc(self) -> int:
        return parse_pitch_class(self.bass) if self.bass else self.root_pc

    def pitch_classes(self) -> frozenset[int]:
        """The chord's pitch classes, the slash bass included."""
        pcs = {(self.root_pc + i) % 12 for i in self.quality.intervals}
        if self.bass:
            pcs.add(self.bass_pc)
        return frozenset(pcs)

    def voiced(self, low: int = 48) -> list[int]:
        """Close-position MIDI pitches, bass first, starting at or above `low`."""
        bass = low + (self.bass_pc - low) % 12
        pitches = [bass]
        root = bass + (self.root_pc - self.bass_pc) % 12
        for interval in self.quality.intervals:
            pitch = root + interval
            while pitch <= pitches[-1]:
                pitch += 12
            if pitch % 12 != bass % 12:
                pitches.append(pitch)
        return pitches

    def transpose(self, semitones: int, prefer_flats: bool = False) -> "ChordSymbol":
        bass = None if self.bass is None else (self.bass_pc + semitones) % 12
        return ChordSymbol.from_pitch_classes(
            (self.root_pc + semitones) % 12, self.quality, bass_pc=bass, prefer_flats=prefer_flats
        )

    def tone_names(self) -> list[str]:
        """The chord's tones spelled in thirds from its written root (A -> A C# E, Bb7 -> Bb D F Ab,
        Bdim7 -> B D F Ab), the slash bass first when it is not a chord tone."""
        root_letter = _LETTER_ORDER.index(self.root[0])
        names = []
        for interval in self.quality.intervals:
            step = _GENERIC_STEP[interval % 12]
            if self.quality is ChordQuality.DIMINISHED7 and interval == 9:
                step = 6  # the diminished seventh: B-D-F-Ab, not B-D-F-G#
            names.append(_name_on_letter((self.root_pc + interval) % 12, _LETTER_ORDER[(root_letter + step) % 7]))
        if self.bass and self.bass_pc not in {(self.root_pc + i) % 12 for i in self.quality.intervals}:
            names.insert(0, self.bass)
        return names

    @property
    def symbol(self) -> str:
        suffix = {ChordQuality.MAJOR: "", ChordQuality.MINOR: "m"}.get(self.quality, self.quality.value)
        return f"{self.root}{suffix}" + (f"/{self.bass}" if self.bass else "")

    def __str__(self) -> str:
        return self.symbol


_LETTER_ORDER = "CDEFGAB"
_NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Semitones above the root -> letters above it (a third is two letters up, a flat fifth is still a fifth).
_GENERIC_STEP = {0: 0, 1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 4, 7: 4, 8: 4, 9: 5, 10: 6, 11: 6}


def _name_on_letter(pc: int, letter: str) -> str:
    """Pitch class `pc` written on `letter` (up to double accidentals: 'Ebb', 'Fx')."""
    alter = (pc - _NATURAL_PC[letter] + 6) % 12 - 6
    if abs(alter) > 2:
        return pitch_class_name(pc)
    return letter + {-2: "bb", -1: "b", 0: "", 1: "#", 2: "x"}[alter]


@lru_cache(maxsize=4096)
def _parse_chord(text: str) -> ChordSymbol:
    match = _CHORD_RE.match(text.replace("♯", "#").replace("♭", "b"))
    if not match:
        raise ValueError(f"unknown chord symbol {text!r}")
    root, suffix, bass = match.groups()
    suffix = suffix.strip().strip("()")
    if suffix not in _SUFFIXES:
        raise ValueError(f"unknown chord symbol {text!r} (quality {suffix!r} not recognised)")
    root = root.replace("-", "b")
    return ChordSymbol(root=root, quality=_SUFFIXES[suffix], bass=bass.replace("-", "b") if bass else None)


# ---------------------------------------------------------------------------------------------
# Roman numerals
_ROMAN_RE = re.compile(r"^(b|#|♭|♯)?(VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)(o|°|ø|\+)?(maj7|M7|7|9)?$")
_ROMAN_DEGREE = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}


class RomanNumeral(BaseModel):
    """A chord as a scale degree of a key: 'ii', 'V7', 'viio7', 'bVII', 'iiø7', 'V/V' (secondary)."""

    model_config = ConfigDict(frozen=True)

    figure: str = Field(description="Roman numeral figure as music21 writes it, e.g. V7, viio7, bVI.")

    def to_chord(self, key: Key) -> ChordSymbol:
        return chord_for_roman(self.figure, key)


def chord_for_roman(figure: str, key: Key) -> ChordSymbol:
    """The chord symbol of a roman numeral in a key ('V7' in C major -> G7; 'V/V' -> D).

    Case gives the triad (upper major, lower minor; 'o' diminished, '+' augmented, 'ø' half-
    diminished); a 7 adds the seventh: dominant on a major triad whose degree is V, a minor seventh
    on minor and half-diminished triads, a diminished seventh after 'o', a major seventh elsewhere
    (I7/IV7 in major). Minor keys take their degrees from natural minor, as music21 does.
    """
    figure = figure.strip()
    if "/" in figure:
        head, _, tonicized = figure.partition("/")
        target = chord_for_roman(tonicized, key)
        local = Key(tonic=target.root, mode=Mode.MINOR if target.quality == ChordQuality.MINOR else Mode.MAJOR)
        return chord_for_roman(head, local)
    match = _ROMAN_RE.match(figure)
    if not match:
        raise ValueError(f"unknown roman numeral {figure!r}")
    accidental, numeral, mark, seventh = match.groups()
    degree = _ROMAN_DEGREE[numeral.lower()]
    scale = (
        Mode.MINOR.intervals if key.mode.is_minor else Mode.MAJOR.intervals
    )  # roman numerals are read against major or natural minor
    root = (key.tonic_pc + scale[degree - 1] + {None: 0, "b": -1, "♭": -1, "#": 1, "♯": 1}[accidental]) % 12
    upper = numeral.isupper()
    if mark in ("o", "°"):
        quality = ChordQuality.DIMINISHED7 if seventh else ChordQuality.DIMINISHED
    elif mark == "ø":
        quality = ChordQuality.HALF_DIMINISHED7
    elif mark == "+":
        quality = ChordQuality.AUGMENTED
    elif seventh in ("maj7", "M7"):
        quality = ChordQuality.MAJOR7 if upper else ChordQuality.MINOR_MAJOR7
    elif seventh == "9":
        quality = ChordQuality.DOMINANT9 if upper else ChordQuality.MINOR9
    elif seventh == "7":
        if not upper:
            quality = ChordQuality.MINOR7
        else:
            # the seventh above the root that the key's scale provides decides dom7 vs maj7
            seventh_pc = (key.tonic_pc + scale[(degree + 5) % 7]) % 12
            quality = ChordQuality.DOMINANT7 if (seventh_pc - root) % 12 == 10 or degree == 5 else ChordQuality.MAJOR7
    else:
        quality = ChordQuality.MAJOR if upper else ChordQuality.MINOR
    prefer_flats = key.prefers_flats or accidental in ("b", "♭")
    return ChordSymbol.from_pitch_classes(root, quality, prefer_flats=prefer_flats)


# ---------------------------------------------------------------------------------------------
# The chords of a key
_TRIAD_BY_STACK = {(4, 7): ChordQuality.MAJOR, (3, 7): ChordQuality.MINOR, (3, 6): ChordQuality.DIMINISHED, (4, 8): ChordQuality.AUGMENTED}
_SEVENTH_BY_STACK = {(4, 7, 10): ChordQuality.DOMINANT7, (4, 7, 11): ChordQuality.MAJOR7, (3, 7, 10): ChordQuality.MINOR7,
                     (3, 6, 10): ChordQuality.HALF_DIMINISHED7, (3, 6, 9): ChordQuality.DIMINISHED7, (3, 7, 11): ChordQuality.MINOR_MAJOR7}  # fmt: skip


def _stack(key: Key, degree: int, size: int) -> tuple[int, tuple[int, ...]]:
    """Root pitch class and the intervals above it of `size` thirds stacked on a degree of the key's
    seven-note parent mode (degree is 1-based and wraps)."""
    steps = key.mode.parent.intervals
    n = len(steps)
    index = (degree - 1) % n
    root = steps[index]
    above = tuple((steps[(index + 2 * k) % n] - root) % 12 for k in range(1, size))
    return (key.tonic_pc + root) % 12, above


def diatonic_chord(key: Key, degree: int, *, dominant_major: bool = False) -> ChordSymbol:
    """The triad on a scale degree, named as the key spells it (ii in C is Dm, vii in F# is E#dim).

    `dominant_major` raises the third of a minor V (the harmonic-minor dominant of a cadence).
    A scale with fewer notes keeps its chords inside the scale: the parent mode's triad when it
    fits, else its sus2, sus4 or bare fifth, else the same on the degree a third below or above
    (A minor pentatonic: VI F -> Dsus2). The blues keeps its dominant chords: their thirds are the
    blue-note clash the style is made of, and the validators report them as such.
    """
    plain = _stacked_triad(key, degree, dominant_major)
    if key.mode.is_diatonic_heptatonic or key.mode is Mode.BLUES:
        return plain
    for shift in (0, -2, 2):
        fitted = _fit_to_scale(_stacked_triad(key, degree + shift, dominant_major and shift == 0), key)
        if fitted is not None:
            return fitted
    return plain


def _stacked_triad(key: Key, degree: int, dominant_major: bool) -> ChordSymbol:
    root, (third, fifth) = _stack(key, degree, 3)
    if dominant_major and (degree - 1) % 7 == 4:
        third = 4
    quality = _TRIAD_BY_STACK.get((third, fifth), ChordQuality.POWER)
    if key.mode is Mode.WHOLE_TONE and quality is ChordQuality.MAJOR:
        quality = ChordQuality.AUGMENTED  # the whole-tone colour: its triads are augmented
    return ChordSymbol(root=key.spell(root), quality=quality)


def _fit_to_scale(chord: ChordSymbol, key: Key) -> ChordSymbol | None:
    """The chord, or its sus2, sus4, bare fifth or augmented triad on the same root, with every tone in the scale."""
    scale = key.pitch_classes()
    for quality in (chord.quality, ChordQuality.SUS2, ChordQuality.SUS4, ChordQuality.POWER, ChordQuality.AUGMENTED):
        if {(chord.root_pc + i) % 12 for i in quality.intervals} <= scale:
            return chord.model_copy(update={"quality": quality})
    return None


def diatonic_chords(key: Key) -> list[ChordSymbol]:
    """The chords of a key: triads and sevenths stacked in thirds on each degree of a seven-note
    mode (natural minor adds the harmonic-minor V and V7); for other scales every major, minor,
    diminished, augmented, sus2 and sus4 triad whose notes all lie in the scale."""
    chords: list[ChordSymbol] = []
    if key.mode.is_diatonic_heptatonic:
        for degree in range(1, 8):
            root, stack = _stack(key, degree, 4)
            for table, size in ((_TRIAD_BY_STACK, 2), (_SEVENTH_BY_STACK, 3)):
                if stack[:size] in table:
                    chords.append(ChordSymbol(root=key.spell(root), quality=table[stack[:size]]))
        if key.mode in (Mode.MINOR, Mode.AEOLIAN):
            dominant = key.spell((key.tonic_pc + 7) % 12)
            chords += [ChordSymbol(root=dominant, quality=q) for q in (ChordQuality.MAJOR, ChordQuality.DOMINANT7)]
        return chords
    pcs = key.pitch_classes()
    for interval in key.mode.intervals:
        root = (key.tonic_pc + interval) % 12
        for quality in (ChordQuality.MAJOR, ChordQuality.MINOR, ChordQuality.SUS2, ChordQuality.SUS4, ChordQuality.DIMINISHED, ChordQuality.AUGMENTED):
            if {(root + i) % 12 for i in quality.intervals} <= pcs:
                chords.append(ChordSymbol(root=key.spell(root), quality=quality))
    return chords


# ---------------------------------------------------------------------------------------------
# Progressions, bar by bar
class ChordSpan(BaseModel):
    """One chord in a bar and how many beats of the meter it lasts (None: an equal share)."""

    model_config = ConfigDict(frozen=True)

    chord: ChordSymbol
    beats: float | None = None


def parse_bar(text: str) -> list[ChordSpan]:
    """'Dm7 G7' -> two spans; 'G7:2 C:1' -> spans with explicit beats; '' -> []. Raises ValueError."""
    spans: list[ChordSpan] = []
    for token in text.replace("|", " ").split():
        name, sep, beats = token.partition(":")
        if sep:
            try:
                length = float(beats)
            except ValueError as exc:
                raise ValueError(f"bad beat count in {token!r}") from exc
            if length <= 0:
                raise ValueError(f"beat count must be positive in {token!r}")
            spans.append(ChordSpan(chord=ChordSymbol.parse(name), beats=length))
        else:
            spans.append(ChordSpan(chord=ChordSymbol.parse(name)))
    return spans


def _check_bar(text: str) -> str:
    parse_bar(text)
    return " ".join(text.split())


BarHarmony = Annotated[
    str,
    AfterValidator(_check_bar),
    Field(description="The chords of one bar, e.g. 'Dm7 G7' or 'G7:2 C:1' (beats); '' is an empty bar."),
]
