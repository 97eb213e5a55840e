"""The design (`CompositionSpec`), and `Composition`: design + realized score + provenance + history."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator, model_validator

from musicgrammar.ontologies.affect import Mood
from musicgrammar.ontologies.form import FormType, Section
from musicgrammar.ontologies.instrumentation import Role, get_instrument
from musicgrammar.ontologies.lyrics import Lyrics
from musicgrammar.ontologies.melody import Motif, MotifUse
from musicgrammar.ontologies.provenance import Provenance
from musicgrammar.ontologies.rhythm import Meter, Tempo
from musicgrammar.ontologies.score import Score
from musicgrammar.ontologies.theory import Key
from musicgrammar.ontologies.tradition import get_tradition

__all__ = ["EnsembleMember", "CompositionSpec", "IterationRecord", "Composition"]


class EnsembleMember(BaseModel):
    """One player of the ensemble: which instrument, in which role."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="Member id; the score's part with this id plays it.")
    instrument: str = Field(description="Instrument id or alias (validated against the catalog).")
    role: Role = Field(default=Role.LEAD)

    @field_validator("instrument")
    @classmethod
    def _known_instrument(cls, value: str) -> str:
        return get_instrument(value).id


class CompositionSpec(BaseModel):
    """What a composer decides: key, meter, tempo, form, sections with chords, motifs, ensemble, words."""

    title: str = Field(min_length=1, max_length=200)
    key: Key
    meter: Meter
    tempo: Tempo
    form: FormType = Field(default=FormType.THROUGH_COMPOSED)
    sections: list[Section] = Field(min_length=1, max_length=64)
    ensemble: list[EnsembleMember] = Field(min_length=1, max_length=32)
    motifs: list[Motif] = Field(default_factory=list)
    motif_plan: list[MotifUse] = Field(default_factory=list)
    moods: list[Mood] = Field(default_factory=list, description="Moods of the piece, strongest first.")
    tradition: str | None = Field(default=None, description="Tradition id whose rules apply.")
    lyrics: Lyrics | None = None
    target_duration_s: float | None = Field(default=None, gt=0, le=3600, description="Wanted length in seconds.")
    style: str = Field(default="", max_length=200, description="Free style words (e.g. 'minuet', 'jig').")

    @field_validator("tradition")
    @classmethod
    def _known_tradition(cls, value: str | None) -> str | None:
        if value is not None:
            get_tradition(value)
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> "CompositionSpec":
        for label, ids in (
            ("section", [s.id for s in self.sections]),
            ("ensemble member", [m.id for m in self.ensemble]),
            ("motif", [m.id for m in self.motifs]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {label} ids: {', '.join(dupes)}")
        return self

    @property
    def bars(self) -> int:
        return sum(s.bars for s in self.sections)

    @property
    def duration_seconds(self) -> float:
        return self.bars * self.meter.bar_quarters * 60.0 / self.tempo.bpm

    def section_start_bar(self, section_id: str) -> int:
        """0-based bar where a section starts."""
        bar = 0
        for section in self.sections:
            if section.id == section_id:
                return bar
            bar += section.bars
        raise KeyError(section_id)

    def member(self, member_id: str) -> EnsembleMember:
        for member in self.ensemble:
            if member.id == member_id:
                return member
        raise KeyError(member_id)


class IterationRecord(BaseModel):
    """One pass of the design loop: what was found and what changed."""

    iteration: int = Field(ge=1)
    findings: list[dict] = Field(default_factory=list, description="Findings (code, severity, path, message, fix).")
    scores: dict[str, float] = Field(default_factory=dict, description="Judge scores by dimension.")
    verdict: str = Field(default="", description="The judges' verdict.")
    changes: list[str] = Field(default_factory=list, description="What the next pass changed, in words.")


class Composition(BaseModel):
    """A piece as MusicGrammar keeps it: the design, the notes, where it came from, how it got here."""

    spec: CompositionSpec
    score: Score
    provenance: Provenance = Field(default_factory=Provenance)
    history: list[IterationRecord] = Field(default_factory=list)
