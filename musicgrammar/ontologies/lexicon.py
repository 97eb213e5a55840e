"""The lexicon: every ontology term carries a one-sentence description.

`DescribedEnum` members are plain strings in JSON (so the grammar stays readable) and carry a
`description`. The lexicon is the text the offline engine embeds to understand prompts and the text
LLM agents are shown; `lexicon_entries()` gathers it from every registered vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["DescribedEnum", "LexiconEntry", "register_vocabulary", "lexicon_entries", "describe"]


class DescribedEnum(str, Enum):
    """A string enum whose members are declared as ``NAME = "value", "One-sentence description."``."""

    description: str

    def __new__(cls, value: str, description: str = "") -> "DescribedEnum":
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.description = description
        return obj

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def choices(cls) -> list[str]:
        return [member.value for member in cls]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)


@dataclass(frozen=True)
class LexiconEntry:
    """One term of the grammar: which vocabulary it belongs to, its value and its description."""

    vocabulary: str
    term: str
    description: str

    @property
    def text(self) -> str:
        """The sentence that is embedded and shown to agents."""
        return f"{self.term.replace('_', ' ')}: {self.description}"


_VOCABULARIES: dict[str, Callable[[], Iterable[tuple[str, str]]]] = {}


def register_vocabulary(name: str, entries: Callable[[], Iterable[tuple[str, str]]]) -> None:
    """Register a vocabulary (a callable yielding (term, description) pairs) under `name`."""
    _VOCABULARIES[name] = entries


def register_enum(enum_cls: type[DescribedEnum], name: str | None = None) -> type[DescribedEnum]:
    """Register a DescribedEnum as a vocabulary; usable as a class decorator."""
    register_vocabulary(name or enum_cls.__name__, lambda: ((m.value, m.description) for m in enum_cls))
    return enum_cls


def lexicon_entries(vocabulary: str | None = None) -> list[LexiconEntry]:
    """All lexicon entries, or those of one vocabulary."""
    names = [vocabulary] if vocabulary else sorted(_VOCABULARIES)
    entries: list[LexiconEntry] = []
    for name in names:
        if name not in _VOCABULARIES:
            raise KeyError(f"unknown vocabulary {name!r}; known: {', '.join(sorted(_VOCABULARIES))}")
        entries.extend(LexiconEntry(name, term, text) for term, text in _VOCABULARIES[name]())
    return entries


def describe(term: str) -> str | None:
    """The description of a term in any vocabulary (first match), or None."""
    for entry in lexicon_entries():
        if entry.term == term:
            return entry.description
    return None
