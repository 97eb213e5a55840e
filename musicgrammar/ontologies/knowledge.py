"""The composer's knowledge as data: styles and dances, collective ensembles, scale names.

The tables live in `ontologies/data/*.json` (one file per kind, shipped with the package) and are
read once into typed objects here. Adding a gavotte is adding an entry to `styles.json`; adding a
brass quintet is adding one to `ensembles.json`. Every entry is validated against the ontology
(instrument ids, roles, modes, forms, moods) when it is loaded, so a typo fails loudly.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from musicgrammar.ontologies.affect import Mood
from musicgrammar.ontologies.form import FormType
from musicgrammar.ontologies.instrumentation import Role, instrument_catalog
from musicgrammar.ontologies.rhythm import Meter
from musicgrammar.ontologies.theory import Mode

__all__ = [
    "StyleEntry",
    "EnsemblePart",
    "EnsembleEntry",
    "styles",
    "style",
    "mood_palettes",
    "ensembles",
    "find_ensemble",
    "scale_aliases",
    "standalone_scale_names",
]

Accompaniment = Literal["block", "afterbeat", "arpeggio"]


class StyleEntry(BaseModel):
    """A named dance, genre or style and its habits."""

    model_config = ConfigDict(frozen=True)

    name: str
    aliases: tuple[str, ...] = ()
    meter: Meter
    bpm: float = Field(ge=20, le=320)
    form: FormType | None = None
    tradition: str | None = None
    mode: Mode | None = None
    mood: Mood | None = None
    palette: tuple[str, ...] = Field(default=(), description="Instrument ids it is usually played on, first choices first.")
    accompaniment: Accompaniment | None = None
    calm: bool = Field(default=False, description="A quiet style: no drums unless asked for.")
    genre: str | None = Field(default=None, description="jazz, baroque, rock ...: the context for reading ensemble names.")
    texture: Literal["satb"] | None = Field(default=None, description="'satb': four real voices, homophonic.")

    @field_validator("palette")
    @classmethod
    def _known_instruments(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [i for i in value if i not in instrument_catalog()]
        if unknown:
            raise ValueError(f"unknown instruments {unknown}")
        return value


class EnsemblePart(BaseModel):
    """One part of a collective ensemble."""

    model_config = ConfigDict(frozen=True)

    instrument: str
    role: Role

    @field_validator("instrument")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in instrument_catalog():
            raise ValueError(f"unknown instrument {value!r}")
        return value


class EnsembleEntry(BaseModel):
    """A collective ensemble ('string quartet', 'big band') and the parts it expands into."""

    model_config = ConfigDict(frozen=True)

    id: str
    names: tuple[str, ...] = Field(min_length=1)
    parts: tuple[EnsemblePart, ...] = Field(min_length=1)
    context: str | None = Field(default=None, description="Only in this genre (jazz ...); else the default reading.")
    tradition: str | None = None
    texture: Literal["satb"] | None = None
    approximation: str | None = Field(default=None, description="How General MIDI stands in for instruments it lacks.")

    @field_validator("parts", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"instrument": p[0], "role": p[1]} if isinstance(p, (list, tuple)) else p for p in value]
        return value


def _load(name: str) -> dict:
    return json.loads(resources.files("musicgrammar.ontologies").joinpath("data", name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def styles() -> dict[str, StyleEntry]:
    """Every named style by its name and by each alias."""
    out: dict[str, StyleEntry] = {}
    for name, fields in _load("styles.json")["styles"].items():
        entry = StyleEntry(name=name, **fields)
        for alias in (name, *entry.aliases):
            out[alias] = entry
    return out


def style(name: str | None) -> StyleEntry | None:
    """The style of that name or alias (None for None or an unknown name)."""
    return styles().get(name or "")


@lru_cache(maxsize=1)
def mood_palettes() -> dict[str, tuple[str, ...]]:
    """Instrument palettes per mood family (bright, dark, ethereal, energetic, tender)."""
    return {k: tuple(v) for k, v in _load("styles.json")["mood_palettes"].items()}


@lru_cache(maxsize=1)
def ensembles() -> tuple[EnsembleEntry, ...]:
    return tuple(EnsembleEntry(**e) for e in _load("ensembles.json")["ensembles"])


@lru_cache(maxsize=1)
def _ensemble_patterns() -> tuple[tuple[re.Pattern[str], EnsembleEntry], ...]:
    pairs = [(n, e) for e in ensembles() for n in e.names]
    pairs.sort(key=lambda p: len(p[0]), reverse=True)  # 'jazz piano trio' before 'piano trio'
    return tuple((re.compile(rf"(?<![\w-]){re.escape(n)}s?(?![\w-])", re.I), e) for n, e in pairs)


def find_ensemble(text: str, genre: str | None = None) -> tuple[EnsembleEntry, re.Match[str]] | None:
    """The first collective ensemble named in `text`, read in the context of `genre`: an entry
    with a context is taken only in that genre, else the name's plain reading."""
    for pattern, entry in _ensemble_patterns():
        match = pattern.search(text)
        if match is None or (entry.context is not None and entry.context != genre):
            continue
        return entry, match
    return None


@lru_cache(maxsize=1)
def scale_aliases() -> dict[str, Mode]:
    """Scale and mode names a prompt uses -> the mode ('minor pentatonic', 'whole-tone', 'sauta')."""
    return {name: Mode(mode) for name, mode in _load("scales.json")["aliases"].items()}


@lru_cache(maxsize=1)
def standalone_scale_names() -> tuple[str, ...]:
    """Names read as a mode request on their own, longest first."""
    return tuple(sorted(_load("scales.json")["standalone"], key=len, reverse=True))
