"""Audio question answering in the grammar: the kinds of question, and the typed answer with its sources.

A question is mapped to one `QuestionKind`; the kind says where the answer comes from (the audio
analysis, the identified work's metadata, or a fact about its composer) and how many retrieval hops
it needs. An `Answer` always carries its confidence and the sources its facts came from; "I cannot
tell" with a low confidence is a valid answer, a guess presented as fact is not.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum

__all__ = ["AnswerSource", "Answer", "CANNOT_TELL", "KindGroup", "QuestionKind"]

CANNOT_TELL = "I cannot tell"


@register_enum
class KindGroup(DescribedEnum):
    PERCEPTION = "perception", "Answered by listening: key, tempo, meter, voices, range, duration, loudness."
    IDENTIFICATION = "identification", "Answered by recognising the work in the library and reading its metadata."
    MULTI_HOP = "multi_hop", "Answered by recognising the work, then looking up a further fact about it."
    UNKNOWN = "unknown", "Not a question the audio and the library can answer."


@register_enum
class QuestionKind(DescribedEnum):
    """What is asked. The description is the text the question is matched against."""

    KEY = "key", "What key is this music in; which tonic and mode does it sound in?"
    TEMPO = "tempo", "How fast is it; what is the tempo in beats per minute?"
    METER = "meter", "What is the meter or time signature; how many beats in a bar; is it in 3/4 or 4/4 time?"
    VOICES = "voices", "How many voices or instruments can be heard playing at the same time?"
    RANGE = "range", "What are the lowest and highest notes; what register or pitch range does it cover?"
    DURATION = "duration", "How long is this recording; how many seconds or minutes does it last?"
    LOUDNESS = "loudness", "How loud is the recording; what is its level in decibels?"
    TITLE = "title", "What is the title of this piece; what is this tune called; which piece is this?"
    COMPOSER = "composer", "Who composed this music; who wrote this; who is the composer?"
    CATALOGUE = "catalogue", "What is the catalogue number of this work, such as its BWV number?"
    COLLECTION = "collection", "Which collection, book or anthology is this tune from?"
    ORIGIN = "origin", "Where does this folk tune come from; which region or country is it from?"
    SCORE_PARTS = "score_parts", "How many parts or voices does the full score of this work have?"
    COMPOSER_DEATH = "composer_death", ("When did the composer of this piece die; in which year did they die; who composed "
                                        "it and when did they die?")
    COMPOSER_BIRTH = "composer_birth", "When was the composer of this piece born; in which year?"
    SAME_MELODY = "same_melody", "Which other pieces or chorales use this same melody or tune?"
    UNKNOWN = "unknown", "A question that is not about this music's sound, identity or composer."

    @property
    def group(self) -> KindGroup:
        return _GROUPS.get(self, KindGroup.UNKNOWN)


_GROUPS: dict[QuestionKind, KindGroup] = {
    **{k: KindGroup.PERCEPTION for k in (QuestionKind.KEY, QuestionKind.TEMPO, QuestionKind.METER, QuestionKind.VOICES,
                                         QuestionKind.RANGE, QuestionKind.DURATION, QuestionKind.LOUDNESS)},
    **{k: KindGroup.IDENTIFICATION for k in (QuestionKind.TITLE, QuestionKind.COMPOSER, QuestionKind.CATALOGUE,
                                             QuestionKind.COLLECTION, QuestionKind.ORIGIN)},
    **{k: KindGroup.MULTI_HOP for k in (QuestionKind.SCORE_PARTS, QuestionKind.COMPOSER_DEATH,
                                        QuestionKind.COMPOSER_BIRTH, QuestionKind.SAME_MELODY)},
}  # fmt: skip


class AnswerSource(BaseModel):
    """Where a fact came from: a library exemplar, the composer facts table, or a composition file."""

    id: str = Field(description="Exemplar id, 'facts/<composer>' or the composition file path.")
    title: str
    catalogue: str | None = None
    collection: str | None = None
    licence: str = ""


class Answer(BaseModel):
    """The answer to one question about one piece of audio."""

    answer: str = Field(description="The answer, or 'I cannot tell' with the reason.")
    confidence: float = Field(ge=0.0, le=1.0, description="0..1; below 0.5 the answer is not to be trusted.")
    kind: QuestionKind
    sources: list[AnswerSource] = Field(default_factory=list, description="The sources of every fact the answer uses.")
    evidence: list[str] = Field(default_factory=list, description="What was heard and found, one line each, in order.")
    hops: int = Field(default=0, ge=0, le=3, description="Retrieval hops taken (at most 3).")

    @property
    def refused(self) -> bool:
        return self.answer.startswith(CANNOT_TELL)
