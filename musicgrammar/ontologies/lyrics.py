"""Lyrics: lines in a language, split into syllables that align one-to-one with melody notes."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["LANGUAGES", "LyricLine", "Lyrics", "split_syllables"]

# ISO 639 codes the grammar knows, with names: the Malian languages of the co-creation work first.
LANGUAGES: dict[str, str] = {
    "bm": "Bamanankan (Bambara)", "ff": "Fulfulde (Fula)", "tmh": "Tamasheq", "ses": "Songhay",
    "dgo": "Dogon", "snk": "Soninke", "mlq": "Malinke", "myk": "Minyanka (Mamara Senufo)", "sef": "Senufo",
    "bxl": "Bomu", "xsq": "Kassonke", "fr": "French", "ar": "Arabic", "en": "English", "es": "Spanish",
    "pt": "Portuguese", "de": "German", "it": "Italian", "la": "Latin", "ga": "Irish", "ja": "Japanese",
    "hi": "Hindi", "sw": "Swahili", "wo": "Wolof", "yo": "Yoruba", "zu": "Zulu", "zh": "Chinese",
}  # fmt: skip

_VOWELS = "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüɛɔŋ"
_WORD_RE = re.compile(r"[\w'’ɛɔŋ-]+", re.UNICODE)


def split_syllables(text: str) -> list[str]:
    """Split a line into sung syllables by vowel groups (a language-neutral approximation).

    Each syllable holds one vowel group with the consonants before it; trailing consonants join
    the last syllable of the word. 'gently down the stream' -> gent ly down the stream. Words with
    hyphens are split at the hyphens first, so a lyricist can always set syllables explicitly.
    """
    syllables: list[str] = []
    for word in _WORD_RE.findall(text.lower()):
        for chunk in filter(None, word.split("-")):
            syllables.extend(_word_syllables(chunk))
    return syllables


def _word_syllables(word: str) -> list[str]:
    parts: list[str] = []
    current = ""
    seen_vowel = False
    for index, char in enumerate(word):
        is_vowel = char in _VOWELS
        if seen_vowel and not is_vowel:
            # a consonant after a vowel group: it starts the next syllable if a vowel follows it
            rest = word[index + 1 :]
            if any(c in _VOWELS for c in rest[:1]):
                parts.append(current)
                current, seen_vowel = "", False
        current += char
        seen_vowel = seen_vowel or is_vowel
    if current:
        if parts and not any(c in _VOWELS for c in current):
            parts[-1] += current
        else:
            parts.append(current)
    # a silent final e in English-like words ('stone') does not make a syllable
    if len(parts) > 1 and parts[-1] in ("e", "es") and len(word) > 3:
        parts[-2] += parts.pop()
    return parts or [word]


class LyricLine(BaseModel):
    """One line of lyrics, sung in one section."""

    model_config = ConfigDict(frozen=True)

    section: str = Field(description="Id of the section that sings this line.")
    text: str = Field(min_length=1, max_length=400, description="The line as written.")
    syllables: list[str] = Field(default_factory=list, description="Sung syllables; derived from text when empty.")

    @model_validator(mode="after")
    def _fill_syllables(self) -> "LyricLine":
        if not self.syllables:
            object.__setattr__(self, "syllables", split_syllables(self.text))
        return self


class Lyrics(BaseModel):
    """The words of a piece: a language and lines assigned to sections."""

    model_config = ConfigDict(frozen=True)

    language: str = Field(description="ISO 639 code of the language, e.g. en, fr, bm (Bamanankan).")
    theme: str = Field(default="", max_length=400, description="What the words are about.")
    lines: list[LyricLine] = Field(default_factory=list)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        code = value.strip().lower()
        if code not in LANGUAGES:
            raise ValueError(f"unknown language code {value!r}; known: {', '.join(sorted(LANGUAGES))}")
        return code

    def syllables_for(self, section_id: str) -> list[str]:
        return [s for line in self.lines if line.section == section_id for s in line.syllables]
