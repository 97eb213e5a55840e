"""The creative brief (what the Theme Weaver hands the Composer) and the prompt's explicit constraints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from musicgrammar.ontologies.affect import Affect, Mood
from musicgrammar.ontologies.form import FormType
from musicgrammar.ontologies.rhythm import Meter
from musicgrammar.ontologies.theory import Key, Mode

__all__ = ["Constraints", "Brief", "Adjustment"]


class Adjustment(BaseModel):
    """Something the system changed or could not honour in a request, and why."""

    field: str = Field(description="What was adjusted: tempo, instruments, meter ...")
    requested: str = Field(default="", description="What was asked for.")
    applied: str = Field(default="", description="What was used instead.")
    reason: str = Field(description="Why, in one sentence.")


class Constraints(BaseModel):
    """Explicit constraints read from a prompt or given as overrides; every set field is honoured."""

    key: Key | None = None
    tonic: str | None = Field(default=None, description="A tonic without a mode ('in D'); the mode is left open.")
    mode: Mode | None = Field(default=None, description="A mode without a tonic ('in dorian').")
    meter: Meter | None = None
    tempo_bpm: float | None = Field(default=None, description="Quarter-note BPM (already clamped to 20-320).")
    instruments: list[str] = Field(default_factory=list, description="Instrument ids asked for.")
    solo: bool = Field(default=False, description="Only the instruments asked for ('alone', 'solo').")
    no_drums: bool = Field(default=False, description="No percussion part.")
    duration_s: float | None = Field(default=None, description="Wanted length in seconds.")
    form: FormType | None = None
    lyrics_language: str | None = Field(default=None, description="ISO 639 code of the lyrics' language.")
    tradition: str | None = None
    style: str | None = Field(default=None, description="A named style or dance: minuet, jig, polka, reel, waltz ...")
    bars: int | None = Field(default=None, ge=1, le=1024, description="Wanted number of bars.")
    ensemble: str | None = Field(default=None, description="A collective ensemble named in the request (string_quartet, big_band ...).")
    texture: Literal["satb"] | None = Field(default=None, description="'satb': four real voices in homophonic four-part writing.")
    adjustments: list[Adjustment] = Field(default_factory=list, description="Requests changed while reading.")


class Brief(BaseModel):
    """The Theme Weaver's brief: the idea the whole piece must serve."""

    title: str = Field(min_length=1, max_length=200)
    prompt: str = Field(default="", max_length=2000, description="The request (truncated when very long).")
    imagery: list[str] = Field(default_factory=list, description="Images the music should evoke.")
    moods: list[Mood] = Field(default_factory=list, description="Moods, strongest first.")
    affect_arc: list[Affect] = Field(default_factory=list, description="Valence/arousal per section, in order.")
    palette: list[str] = Field(default_factory=list, description="Instrument ids that suit the imagery.")
    tradition: str | None = None
    lyric_theme: str = Field(default="", max_length=400)
    constraints: Constraints = Field(default_factory=Constraints)
