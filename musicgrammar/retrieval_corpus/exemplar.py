"""An exemplar: one real piece of the library, summarized at the level a composer decides things.

An exemplar is a spec-level summary of a corpus work (key, mode, meter, form, texture, harmony habits)
plus feature vectors and a generated text description. The notes of its top line live in the melody
index (see :mod:`musicgrammar.retrieval_corpus.melody_index`), not here, so exemplars stay small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pragma: no cover
    from musicgrammar.ontologies.rhythm import Meter
    from musicgrammar.ontologies.theory import Key

__all__ = ["Exemplar", "Features", "COLLECTIONS", "SCHEMA_VERSION"]

# Bumped whenever the analysis changes, so cached analyses of an older version are recomputed.
SCHEMA_VERSION = 3

# Collection id -> (display name, tradition, licence / provenance note). The builder's source of truth.
COLLECTIONS: dict[str, tuple[str, str, str]] = {
    "bach_chorales": (
        "Bach chorales",
        "lutheran_chorale",
        "Public domain (J. S. Bach, d. 1750); encoding from the music21 corpus (BSD-licensed distribution).",
    ),
    "essen": (
        "Essen Folksong Collection",
        "folk",
        "Essen Folksong Collection (H. Schaffrath), distributed in the music21 corpus with permission "
        "for non-commercial use only.",
    ),
    "oneills": (
        "O'Neill's Music of Ireland (1850)",
        "irish_folk",
        "Public domain (F. O'Neill, 1903 collection of traditional tunes); ABC from the music21 corpus.",
    ),
    "ryans": (
        "Ryan's Mammoth Collection",
        "irish_folk",
        "Public domain (W. B. Ryan, 1883); ABC from the music21 corpus.",
    ),
    "aird": (
        "Aird's Airs",
        "scottish_folk",
        "Public domain (J. Aird, 1782-1797); ABC from the music21 corpus.",
    ),
    "misc_folk": ("Miscellaneous folk tunes", "folk", "Traditional tunes from the music21 corpus (public domain)."),
    "palestrina": (
        "Palestrina",
        "renaissance_polyphony",
        "Public domain (G. P. da Palestrina, d. 1594); Humdrum encodings from the music21 corpus.",
    ),
    "monteverdi": (
        "Monteverdi madrigals",
        "renaissance_madrigal",
        "Public domain (C. Monteverdi, d. 1643); encodings from the music21 corpus.",
    ),
    "renaissance": (
        "Renaissance and medieval polyphony",
        "early_polyphony",
        "Public domain (Trecento, Josquin, Ciconia, Luca, Lusitano); encodings from the music21 corpus.",
    ),
    "bach_other": ("Bach (other works)", "baroque", "Public domain (J. S. Bach); encodings from the music21 corpus."),
    "classical": (
        "Classical and Romantic works",
        "western_classical",
        "Public domain composers (Beethoven, Mozart, Haydn, Schumann, Chopin...); music21 corpus encodings.",
    ),
}


class Features(BaseModel):
    """Musical feature vectors of the top line (all normalized histograms unless said otherwise)."""

    model_config = ConfigDict(frozen=True)

    pitch_class: list[float] = Field(description="12 bins, C=0, duration-weighted, sums to 1.")
    pitch_class_tonic: list[float] = Field(description="12 bins rotated so the tonic is bin 0.")
    interval: list[float] = Field(description="25 bins for melodic intervals -12..+12 semitones (clipped).")
    rhythm: list[float] = Field(description="8 bins of note durations relative to the beat (see features.RHYTHM_EDGES).")
    contour: list[float] = Field(description="16 samples of the pitch contour, mean 0, in semitones.")
    ambitus: int = Field(description="Range of the top line in semitones.")
    note_density: float = Field(description="Notes of the top line per quarter note.")
    mean_pitch: float = Field(description="Mean MIDI pitch of the top line.")

    def vector(self) -> list[float]:
        """One flat vector (tonic-relative pitch classes, intervals, rhythm, contour / 12): 61 numbers."""
        return [*self.pitch_class_tonic, *self.interval, *self.rhythm, *[c / 12.0 for c in self.contour]]


class Exemplar(BaseModel):
    """One work (or one tune) of the retrieval corpus, with its source, analysis and description."""

    id: str = Field(description="Stable id: '<collection>/<corpus path stem>[#<tune number>]'.")
    title: str
    composer: str | None = Field(default=None, description="Composer, or None for traditional tunes.")
    collection: str = Field(description="Collection id, a key of COLLECTIONS.")
    catalogue: str | None = Field(default=None, description="e.g. 'BWV 66.6, Riemenschneider 8'.")
    source: str = Field(description="music21 corpus path (and tune number) the exemplar was built from.")
    licence: str = Field(description="Licence and provenance note.")
    tradition: str
    origin: str | None = Field(default=None, description="Geographic origin when the source gives one.")
    tonic: str | None = Field(default=None, description="Tonic pitch class, e.g. 'F#'.")
    mode: str | None = Field(default=None, description="A musicgrammar Mode value, e.g. 'minor', 'dorian'.")
    meter: str | None = Field(default=None, description="Time signature, e.g. '6/8'.")
    form: str | None = Field(default=None, description="Phrase-letter form from repetition, e.g. 'AABB'.")
    genre: str | None = Field(default=None, description="Dance or genre type when known: jig, reel, hymn...")
    texture: str = Field(description="'monophonic', 'homophonic' or 'polyphonic'.")
    voices: int = Field(ge=1)
    bars: int = Field(ge=0)
    duration_quarters: float = Field(ge=0)
    tempo_character: str = Field(description="'slow', 'moderate' or 'fast', from meter and note density.")
    chords: list[str] = Field(default_factory=list, description="Chord symbols per beat (chorales), first bars.")
    roman_numerals: list[str] = Field(default_factory=list, description="Roman numerals per beat (chorales).")
    cadences: list[str] = Field(default_factory=list, description="Cadence types at phrase ends, e.g. 'PAC'.")
    features: Features
    description: str = Field(description="Text generated from the analysed features; what text search embeds.")
    score: float | None = Field(default=None, description="Search similarity (higher is better), when returned by a search.")

    @property
    def key(self) -> "Key | None":
        """The ontology Key, when tonic and mode parse."""
        if not self.tonic or not self.mode:
            return None
        from musicgrammar.ontologies.theory import Key

        try:
            return Key(tonic=self.tonic, mode=self.mode)
        except ValueError:
            return None

    @property
    def meter_obj(self) -> "Meter | None":
        """The ontology Meter, when the time signature parses."""
        if not self.meter:
            return None
        from musicgrammar.ontologies.rhythm import Meter

        try:
            return Meter.parse(self.meter)
        except ValueError:
            return None

    @property
    def key_name(self) -> str | None:
        return f"{self.tonic} {self.mode}" if self.tonic and self.mode else None

    def metadata(self) -> dict[str, Any]:
        """Flat scalar metadata for the vector store's filters (None values dropped)."""
        raw: dict[str, Any] = {
            "title": self.title,
            "composer": self.composer,
            "collection": self.collection,
            "catalogue": self.catalogue,
            "tradition": self.tradition,
            "origin": self.origin,
            "tonic": self.tonic,
            "mode": self.mode,
            "key": self.key_name,
            "meter": self.meter,
            "form": self.form,
            "genre": self.genre,
            "texture": self.texture,
            "voices": self.voices,
            "bars": self.bars,
            "tempo_character": self.tempo_character,
        }
        return {k: v for k, v in raw.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        """The short record the CLI prints: id, title, composer, collection, catalogue, score."""
        return {
            "id": self.id,
            "title": self.title,
            "composer": self.composer,
            "collection": self.collection,
            "catalogue": self.catalogue,
            "score": None if self.score is None else round(float(self.score), 4),
        }
