"""Provenance: where a composition came from, what it drew on, under which licences, with whose consent."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field

from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum

__all__ = ["SourceKind", "Source", "Consent", "Provenance"]


@register_enum
class SourceKind(DescribedEnum):
    """What a source of a composition is."""

    PROMPT = "prompt", "The words a person wrote to ask for the piece."
    EXEMPLAR = "exemplar", "A real piece from the corpus that a decision drew on."
    MODEL = "model", "A trained model or engine that generated part of the piece."
    PERSON = "person", "A person who co-created, approved or edited the piece."
    DATASET = "dataset", "A collection a model was trained on."


class Source(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: SourceKind
    id: str = Field(description="Stable id: exemplar id, model name, person's chosen name.")
    title: str = Field(default="", description="Human-readable title.")
    licence: str = Field(default="", description="Licence or permission under which it is used.")
    note: str = Field(default="", description="What was drawn from it.")


class Consent(BaseModel):
    model_config = ConfigDict(frozen=True)

    person: str = Field(description="Who gave (or withheld) consent.")
    granted: bool = Field(description="Whether consent was granted.")
    scope: str = Field(default="", description="What the consent covers.")


class Provenance(BaseModel):
    """The record that travels with every composition."""

    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    engine: str = Field(default="musicgrammar", description="Strategy that made it: 'local' engine or an LLM id.")
    prompt: str = Field(default="", description="The request, as given.")
    seed: int | None = Field(default=None, description="Random seed of the run.")
    sources: list[Source] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Adjustments and caveats, in words.")

    @property
    def licences(self) -> list[str]:
        return sorted({s.licence for s in self.sources if s.licence})
