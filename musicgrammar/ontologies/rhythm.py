"""Meter, tempo, durations and timelines.

Time is counted in quarter notes throughout the ontology (a 6/8 bar is 3.0 quarters long) and
tempo is quarter-note beats per minute, as in MIDI. A meter's `beats` are its felt beats, given as
lengths in quarter notes: 6/8 has two dotted-quarter beats, 7/8 has 2+2+3 eighths.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from pydantic import BaseModel, ConfigDict, Field, model_validator

from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum

__all__ = ["Meter", "beat_strengths", "TempoTerm", "Tempo", "Timeline", "DurationName", "SUPPORTED_METERS", "tempo_term_for"]

# Default groupings, in units of the denominator, of the meters the grammar names explicitly.
_DEFAULT_GROUPING: dict[tuple[int, int], tuple[int, ...]] = {
    (2, 2): (1, 1),
    (2, 4): (1, 1),
    (3, 4): (1, 1, 1),
    (4, 4): (1, 1, 1, 1),
    (5, 4): (1, 1, 1, 1, 1),
    (6, 4): (3, 3),
    (3, 8): (3,),
    (6, 8): (3, 3),
    (9, 8): (3, 3, 3),
    (12, 8): (3, 3, 3, 3),
    (5, 8): (3, 2),
    (7, 8): (2, 2, 3),
    (11, 8): (2, 2, 3, 2, 2),
}
SUPPORTED_METERS = tuple(f"{n}/{d}" for n, d in _DEFAULT_GROUPING)


class Meter(BaseModel):
    """A time signature with its beat grouping: 4/4, 6/8 (3+3), 7/8 (2+2+3), 5/4 (3+2 accents)."""

    model_config = ConfigDict(frozen=True)

    numerator: int = Field(ge=1, le=32, description="Units per bar (the top number).")
    denominator: int = Field(description="The unit: 2 half, 4 quarter, 8 eighth, 16 sixteenth.")
    grouping: tuple[int, ...] | None = Field(
        default=None, description="Beat groups in denominator units, summing to the numerator (e.g. 2,2,3 for 7/8)."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: object) -> object:
        if isinstance(data, str):
            return cls._parse_dict(data)
        return data

    @staticmethod
    def _parse_dict(text: str) -> dict[str, object]:
        body, _, groups = text.strip().partition("(")
        num, sep, den = body.strip().partition("/")
        if not sep or not num.strip().isdigit() or not den.strip().isdigit():
            raise ValueError(f"not a meter: {text!r} (expected e.g. '6/8')")
        data: dict[str, object] = {"numerator": int(num), "denominator": int(den)}
        if groups:
            data["grouping"] = tuple(int(g) for g in groups.rstrip(")").split("+"))
        return data

    @model_validator(mode="after")
    def _check(self) -> "Meter":
        if self.denominator not in (1, 2, 4, 8, 16, 32):
            raise ValueError(f"denominator must be a power of two from 1 to 32, got {self.denominator}")
        if self.grouping is not None:
            if any(g <= 0 for g in self.grouping) or sum(self.grouping) != self.numerator:
                raise ValueError(f"grouping {self.grouping} must be positive and sum to {self.numerator}")
        return self

    @classmethod
    def parse(cls, text: str) -> "Meter":
        return cls.model_validate(cls._parse_dict(text))

    @property
    def groups(self) -> tuple[int, ...]:
        """Beat groups in denominator units (the default grouping when none is set)."""
        if self.grouping is not None:
            return self.grouping
        default = _DEFAULT_GROUPING.get((self.numerator, self.denominator))
        if default is not None:
            return default
        if self.denominator >= 8 and self.numerator % 3 == 0:
            return (3,) * (self.numerator // 3)
        return (1,) * self.numerator

    @property
    def unit_quarters(self) -> float:
        return 4.0 / self.denominator

    @property
    def bar_quarters(self) -> float:
        """Length of one bar in quarter notes (6/8 -> 3.0)."""
        return self.numerator * self.unit_quarters

    @property
    def beats(self) -> tuple[float, ...]:
        """Felt beats as lengths in quarter notes (6/8 -> (1.5, 1.5))."""
        return tuple(g * self.unit_quarters for g in self.groups)

    @property
    def beat_onsets(self) -> tuple[float, ...]:
        """Onsets of the felt beats within a bar, in quarter notes."""
        onsets, t = [], 0.0
        for length in self.beats:
            onsets.append(t)
            t += length
        return tuple(onsets)

    @property
    def is_compound(self) -> bool:
        return self.denominator >= 8 and all(g == 3 for g in self.groups) and self.numerator % 3 == 0

    @property
    def strong_beats(self) -> tuple[int, ...]:
        """Indices of the strong beats: the downbeat, plus the middle beat of bars of two or four
        felt beats (beat 3 of 4/4, the second dotted quarter of 6/8)."""
        n = len(self.beats)
        return (0, n // 2) if n in (2, 4) else (0,)

    def beat_strength(self, offset_in_bar: float) -> int:
        """0 downbeat, 1 other strong beat, 2 weak beat, 3 beat subdivision, 4 off the grid."""
        return int(beat_strengths(self, np.array([offset_in_bar]))[0])

    @classmethod
    def from_beat_lengths(cls, bar_quarters: float, beat_quarters: float) -> "Meter":
        """The meter of bars of `bar_quarters` made of equal felt beats of `beat_quarters`
        (4.0, 1.0 -> 4/4; 3.0, 1.5 -> 6/8 as 3+3). Raises ValueError when they do not fit."""
        beats = bar_quarters / beat_quarters
        for denominator in (1, 2, 4, 8, 16, 32):
            group = beat_quarters * denominator / 4
            if abs(beats - round(beats)) < _GRID_EPS and round(beats) >= 1 and any(abs(group - g) < _GRID_EPS for g in (1, 3)):
                n, g = round(beats), round(group)
                return cls(numerator=n * g, denominator=denominator, grouping=(g,) * n)
        raise ValueError(f"no meter has {beats:g} beats of {beat_quarters:g} quarters")

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


_GRID_EPS = 1e-6


def beat_strengths(meter: Meter, times: np.ndarray) -> np.ndarray:
    """Beat strength of many times (quarter notes from a downbeat) from the meter's grouping:
    0 downbeat, 1 other strong beat, 2 weak felt beat, 3 half a unit (the eighth in 4/4, the
    sixteenth in 6/8), 4 off that grid. (N,) float -> (N,) int.

    The one definition of metric weight: the realizer's strong beats, the critics' outer voices
    and the CBS metric all read it.
    """
    offsets = np.mod(np.asarray(times, dtype=np.float64), meter.bar_quarters)
    offsets = np.where(np.abs(offsets - meter.bar_quarters) < _GRID_EPS, 0.0, offsets)
    out = np.full(offsets.shape, 4, dtype=np.int64)
    ratio = offsets / (meter.unit_quarters / 2)
    out[np.abs(ratio - np.round(ratio)) < _GRID_EPS] = 3
    strong = set(meter.strong_beats)
    for index, onset in enumerate(meter.beat_onsets):
        out[np.abs(offsets - onset) < _GRID_EPS] = 0 if index == 0 else (1 if index in strong else 2)
    return out


@register_enum
class TempoTerm(DescribedEnum):
    """Italian tempo terms, from slowest to fastest, with their usual quarter-note BPM range."""

    LARGHISSIMO = "larghissimo", "As slow as possible, under 24 beats per minute."
    GRAVE = "grave", "Very slow and solemn, about 25-45 beats per minute."
    LARGO = "largo", "Broadly and slowly, about 40-60 beats per minute."
    LENTO = "lento", "Slowly, about 45-60 beats per minute."
    LARGHETTO = "larghetto", "Rather broadly, a little less slow than largo, about 60-66 beats per minute."
    ADAGIO = "adagio", "Slowly and at ease, about 66-76 beats per minute."
    ANDANTE = "andante", "At a walking pace, about 76-108 beats per minute."
    MODERATO = "moderato", "At a moderate speed, about 108-120 beats per minute."
    ALLEGRETTO = "allegretto", "Moderately fast and light, about 112-120 beats per minute."
    ALLEGRO = "allegro", "Fast, quick and bright, about 120-156 beats per minute."
    VIVACE = "vivace", "Lively and fast, about 156-176 beats per minute."
    PRESTO = "presto", "Very fast, about 168-200 beats per minute."
    PRESTISSIMO = "prestissimo", "As fast as possible, over 200 beats per minute."

    @property
    def bpm_range(self) -> tuple[float, float]:
        return _TEMPO_RANGES[self]

    @property
    def typical_bpm(self) -> float:
        low, high = self.bpm_range
        return round((low + high) / 2)


_TEMPO_RANGES: dict[TempoTerm, tuple[float, float]] = {
    TempoTerm.LARGHISSIMO: (16, 24),
    TempoTerm.GRAVE: (25, 45),
    TempoTerm.LARGO: (40, 60),
    TempoTerm.LENTO: (45, 60),
    TempoTerm.LARGHETTO: (60, 66),
    TempoTerm.ADAGIO: (66, 76),
    TempoTerm.ANDANTE: (76, 108),
    TempoTerm.MODERATO: (108, 120),
    TempoTerm.ALLEGRETTO: (112, 120),
    TempoTerm.ALLEGRO: (120, 156),
    TempoTerm.VIVACE: (156, 176),
    TempoTerm.PRESTO: (168, 200),
    TempoTerm.PRESTISSIMO: (200, 240),
}

MIN_BPM, MAX_BPM = 20.0, 320.0


def tempo_term_for(bpm: float) -> TempoTerm:
    """The Italian term whose range holds `bpm` (the first match, slowest first)."""
    for term in TempoTerm:
        low, high = term.bpm_range
        if low <= bpm <= high:
            return term
    return TempoTerm.LARGHISSIMO if bpm < 16 else TempoTerm.PRESTISSIMO


class Tempo(BaseModel):
    """Quarter-note beats per minute, with the Italian term it falls under."""

    model_config = ConfigDict(frozen=True)

    bpm: float = Field(ge=MIN_BPM, le=MAX_BPM, description="Quarter-note beats per minute (20-320).")
    term: TempoTerm | None = Field(default=None, description="Italian tempo term; derived from bpm when absent.")

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, data: object) -> object:
        if isinstance(data, (int, float)):
            return {"bpm": float(data)}
        return data

    @model_validator(mode="after")
    def _fill_term(self) -> "Tempo":
        if self.term is None:
            object.__setattr__(self, "term", tempo_term_for(self.bpm))
        return self

    @classmethod
    def from_term(cls, term: TempoTerm | str) -> "Tempo":
        term = TempoTerm(term)
        return cls(bpm=term.typical_bpm, term=term)


@register_enum
class DurationName(DescribedEnum):
    """Note values with their length in quarter notes."""

    WHOLE = "whole", "A whole note: four quarter notes."
    HALF = "half", "A half note: two quarter notes."
    QUARTER = "quarter", "A quarter note (crotchet): one beat in 4/4."
    EIGHTH = "eighth", "An eighth note (quaver): half a quarter."
    SIXTEENTH = "sixteenth", "A sixteenth note (semiquaver): a quarter of a quarter."
    DOTTED_HALF = "dotted_half", "A dotted half note: three quarter notes."
    DOTTED_QUARTER = "dotted_quarter", "A dotted quarter note: the beat of compound meters like 6/8."
    DOTTED_EIGHTH = "dotted_eighth", "A dotted eighth note: three sixteenths."
    TRIPLET_EIGHTH = "triplet_eighth", "One eighth of a triplet: a third of a quarter note."

    @property
    def quarters(self) -> float:
        return {
            "whole": 4.0,
            "half": 2.0,
            "quarter": 1.0,
            "eighth": 0.5,
            "sixteenth": 0.25,
            "dotted_half": 3.0,
            "dotted_quarter": 1.5,
            "dotted_eighth": 0.75,
            "triplet_eighth": float(Fraction(1, 3)),
        }[self.value]


class Timeline(BaseModel):
    """A repeating rhythmic key pattern (a bell or clave timeline) over a cycle of equal pulses.

    The pattern is written with 'x' for a stroke and '.' for silence, e.g. the West African
    12-pulse standard bell 'x.x.xx.x.x.x'.
    """

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, description="Name of the timeline.")
    pattern: str = Field(pattern=r"^[x.]+$", description="One character per pulse: x stroke, . rest.")
    meter: Meter = Field(description="The meter whose bar the cycle fills.")
    description: str = Field(default="", description="What the timeline is and where it is played.")

    @model_validator(mode="after")
    def _check(self) -> "Timeline":
        if "x" not in self.pattern:
            raise ValueError("a timeline needs at least one stroke")
        return self

    @property
    def pulse_quarters(self) -> float:
        return self.meter.bar_quarters / len(self.pattern)

    def onsets(self) -> list[float]:
        """Stroke onsets within one bar, in quarter notes."""
        return [i * self.pulse_quarters for i, c in enumerate(self.pattern) if c == "x"]
