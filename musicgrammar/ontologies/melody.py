"""Motifs as objects, their development techniques, and where they are used."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum

__all__ = ["DevelopmentTechnique", "Motif", "MotifUse"]


@register_enum
class DevelopmentTechnique(DescribedEnum):
    """Ways a motif is transformed as the piece develops."""

    REPEAT = "repeat", "State the motif again unchanged: the listener learns it."
    SEQUENCE = "sequence", "Repeat the motif starting on another scale step: the same shape climbing or falling."
    INVERSION = "inversion", "Turn the intervals upside down: rising becomes falling."
    RETROGRADE = "retrograde", "Play the motif backwards."
    AUGMENTATION = "augmentation", "Double the note lengths: the motif slows and broadens."
    DIMINUTION = "diminution", "Halve the note lengths: the motif hurries."
    FRAGMENTATION = "fragmentation", "Keep only the motif's head and repeat it: intensifies and develops."


class Motif(BaseModel):
    """A short musical idea: steps in the scale (relative to its first note) and a rhythm.

    `steps` are scale steps from the first note (0 = the first note, 2 = two scale steps up), so a
    motif keeps its shape in any key and mode. `rhythm` gives each note's length in quarter notes.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="Motif id, e.g. m1.")
    steps: tuple[int, ...] = Field(min_length=1, max_length=32, description="Scale steps relative to the first note.")
    rhythm: tuple[float, ...] = Field(min_length=1, max_length=32, description="Note lengths in quarter notes.")
    start_degree: int = Field(default=1, ge=1, le=7, description="Scale degree of the first note.")

    @model_validator(mode="after")
    def _check(self) -> "Motif":
        if len(self.steps) != len(self.rhythm):
            raise ValueError(f"steps ({len(self.steps)}) and rhythm ({len(self.rhythm)}) must have the same length")
        if self.steps[0] != 0:
            raise ValueError("the first step of a motif is 0 (steps are relative to the first note)")
        if any(d <= 0 or d > 16 for d in self.rhythm):
            raise ValueError("rhythm values must be in (0, 16] quarter notes")
        return self

    @property
    def length_quarters(self) -> float:
        return float(sum(self.rhythm))

    @property
    def intervals(self) -> tuple[int, ...]:
        """Scale-step intervals between consecutive notes."""
        return tuple(b - a for a, b in zip(self.steps, self.steps[1:]))

    def develop(self, technique: DevelopmentTechnique | str, amount: int = 1) -> "Motif":
        """The motif transformed by a development technique (`amount`: sequence shift in scale steps)."""
        technique = DevelopmentTechnique(technique)
        steps, rhythm, degree = list(self.steps), list(self.rhythm), self.start_degree
        if technique is DevelopmentTechnique.SEQUENCE:
            degree = (self.start_degree - 1 + amount) % 7 + 1
        elif technique is DevelopmentTechnique.INVERSION:
            steps = [-s for s in steps]
        elif technique is DevelopmentTechnique.RETROGRADE:
            last = steps[-1]
            steps = [s - last for s in reversed(steps)]
            rhythm = list(reversed(rhythm))
            degree = (self.start_degree - 1 + last) % 7 + 1
        elif technique is DevelopmentTechnique.AUGMENTATION:
            rhythm = [r * 2 for r in rhythm]
        elif technique is DevelopmentTechnique.DIMINUTION:
            rhythm = [r / 2 for r in rhythm]
        elif technique is DevelopmentTechnique.FRAGMENTATION:
            head = max(1, (len(steps) + 1) // 2)
            steps, rhythm = steps[:head], rhythm[:head]
        suffix = "" if technique is DevelopmentTechnique.REPEAT else f"_{technique.value[:3]}"
        return Motif(id=f"{self.id}{suffix}", steps=tuple(steps), rhythm=tuple(rhythm), start_degree=degree)


class MotifUse(BaseModel):
    """Where a motif appears: in which section, at which bar, developed how."""

    model_config = ConfigDict(frozen=True)

    motif: str = Field(description="Id of the motif.")
    section: str = Field(description="Id of the section.")
    bar: int = Field(default=1, ge=1, description="Bar of the section (1-based) where it starts.")
    technique: DevelopmentTechnique = Field(default=DevelopmentTechnique.REPEAT)
    part: str | None = Field(default=None, description="Ensemble member that plays it; default the lead.")
