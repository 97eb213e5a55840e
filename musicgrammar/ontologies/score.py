"""The realized music: parts of notes on a quarter-note time line.

`Score` is the one canonical note-level object: every tool reads and writes it. Times are in
quarter notes from the start of the piece; the tempo is quarter-note BPM; a score has one meter
and one tempo (sections may change key, the meter and tempo hold for the piece).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from musicgrammar.limits import MAX_BARS
from musicgrammar.ontologies.instrumentation import Instrument, Role, get_instrument
from musicgrammar.ontologies.rhythm import MAX_BPM, MIN_BPM, Meter
from musicgrammar.ontologies.theory import Key, MidiPitch

__all__ = ["Note", "Part", "Score"]


class Note(BaseModel):
    """One note: MIDI pitch, onset and length in quarter notes, loudness."""

    model_config = ConfigDict(frozen=True)

    pitch: MidiPitch
    start: float = Field(ge=0.0, description="Onset in quarter notes from the start of the piece.")
    duration: float = Field(gt=0.0, le=1024.0, description="Length in quarter notes.")
    velocity: int = Field(default=80, ge=1, le=127, description="MIDI velocity.")
    chromatic: bool = Field(default=False, description="Deliberately outside the key/mode (passing or colour tone).")
    lyric: str | None = Field(default=None, description="The syllable sung on this note.")

    @property
    def end(self) -> float:
        return self.start + self.duration


class Part(BaseModel):
    """The notes one instrument plays."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="Part id; matches an ensemble member of the spec.")
    instrument: str = Field(description="Instrument id (see the instrument catalog).")
    role: Role = Field(default=Role.LEAD)
    notes: list[Note] = Field(default_factory=list)

    @field_validator("instrument")
    @classmethod
    def _known_instrument(cls, value: str) -> str:
        return get_instrument(value).id

    @property
    def spec(self) -> Instrument:
        return get_instrument(self.instrument)

    @property
    def program(self) -> int:
        return self.spec.program

    @property
    def is_drum(self) -> bool:
        return self.spec.is_percussion

    @property
    def end(self) -> float:
        return max((n.end for n in self.notes), default=0.0)


class Score(BaseModel):
    """Parts with notes, in one key signature, meter and tempo, `bars` bars long."""

    title: str = Field(default="Untitled", max_length=200)
    key: Key
    meter: Meter
    tempo_bpm: float = Field(ge=MIN_BPM, le=MAX_BPM, description="Quarter-note beats per minute.")
    bars: int = Field(ge=1, le=MAX_BARS, description="Length in whole bars.")
    parts: list[Part] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_part_ids(self) -> "Score":
        ids = [p.id for p in self.parts]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate part ids: {', '.join(duplicates)}")
        return self

    @property
    def bar_quarters(self) -> float:
        return self.meter.bar_quarters

    @property
    def length_quarters(self) -> float:
        return self.bars * self.bar_quarters

    @property
    def seconds_per_quarter(self) -> float:
        return 60.0 / self.tempo_bpm

    @property
    def duration_seconds(self) -> float:
        """Length of the score's bars in seconds (8 bars of 4/4 at 120 BPM -> 16.0)."""
        return self.length_quarters * self.seconds_per_quarter

    def part(self, part_id: str) -> Part:
        for part in self.parts:
            if part.id == part_id:
                return part
        raise KeyError(part_id)

    def lead(self) -> Part | None:
        """The lead part (the first with role lead, else the first pitched part)."""
        pitched = [p for p in self.parts if not p.is_drum]
        for part in pitched:
            if part.role is Role.LEAD:
                return part
        return pitched[0] if pitched else None

    def bar_of(self, quarter: float) -> int:
        """0-based bar index of a time in quarter notes."""
        return int(quarter // self.bar_quarters + 1e-9)
