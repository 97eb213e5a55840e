"""The offline answerer: reads the answer to a typed question from the audio analysis or from the
retrieved facts, each with its source, and says "I cannot tell" when neither holds it.

Identification is trusted only when a search's best match is clearly ahead (score and margin
thresholds measured on the benchmark's development split); everything else is refused with the reason
and a low confidence rather than guessed. A work identified by the audio index also comes with its
alignment (how far the recording is transposed, how fast it goes), so the key, the tempo and the number
of voices can be read from the work's score rather than only heard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from musicgrammar.ontologies.answer import CANNOT_TELL, Answer, AnswerSource, KindGroup, QuestionKind
from musicgrammar.retrieval_corpus.audio_index import AudioHit
from musicgrammar.retrieval_corpus.exemplar import COLLECTIONS, Exemplar
from musicgrammar.retrieval_corpus.facts import FACTS_SOURCE, ComposerFacts
from musicgrammar.tools.listen.features import AudioAnalysis

if TYPE_CHECKING:
    from musicgrammar.ontologies import CompositionSpec, Score

__all__ = ["AUDIO_AGREE_MARGIN", "AUDIO_MIN_MARGIN", "AUDIO_MIN_MATCH", "MIN_MATCH", "MIN_MARGIN", "SURE_MATCH", "Knowledge", "PieceFacts", "answer_question", "is_identified",
           "source_of"]  # fmt: skip

MIN_MATCH = 0.35  # melody-search score (1.0 = the excerpt occurs exactly) needed to name a work
MIN_MARGIN = 0.10  # ... and its lead over the next different work
SURE_MATCH = 0.80  # above this the margin does not matter
AUDIO_MIN_MATCH = 4.0  # audio-index score (standard deviations above the index at that tempo) needed to name a work
AUDIO_MIN_MARGIN = 0.85  # ... and its lead over the next work with another title
AUDIO_AGREE_MARGIN = 0.15  # a smaller lead suffices when a melody search's best hit is the same work


class PieceFacts(BaseModel):
    """What is known about a generated piece from its composition.json (the design is the source)."""

    path: str
    title: str
    key: str
    meter: str
    tempo_bpm: float
    parts: int
    duration_s: float

    @classmethod
    def from_design(cls, spec: CompositionSpec, score: Score, path: str) -> PieceFacts:
        """The facts of a design and its score; `path` names where they come from (the answer's source)."""
        return cls(path=path, title=spec.title, key=str(spec.key), meter=str(spec.meter), tempo_bpm=float(spec.tempo.bpm),
                   parts=len(score.parts), duration_s=spec.duration_seconds)  # fmt: skip


class Knowledge(BaseModel):
    """What retrieval found: the identified work with its match score, the composer's facts, related works."""

    identified: Exemplar | None = None
    aligned: AudioHit | None = Field(default=None, description="The audio index's alignment of the identified work.")
    candidate: Exemplar | None = Field(default=None, description="The audio index's best work when it was not sure enough alone.")
    candidate_aligned: AudioHit | None = None
    match: float = 0.0
    margin: float = 0.0
    composer: ComposerFacts | None = None
    composer_looked_up: bool = False
    related: list[Exemplar] = Field(default_factory=list)
    related_looked_up: bool = False
    piece: PieceFacts | None = None


def is_identified(score: float, margin: float, by_audio: bool = False) -> bool:
    """Whether a search's best hit is trusted: the melody searches' scores or the audio index's."""
    if by_audio:
        return score >= AUDIO_MIN_MATCH and margin >= AUDIO_MIN_MARGIN
    return score >= SURE_MATCH or (score >= MIN_MATCH and margin >= MIN_MARGIN)


def source_of(exemplar: Exemplar) -> AnswerSource:
    return AnswerSource(id=exemplar.id, title=exemplar.title, catalogue=exemplar.catalogue,
                        collection=exemplar.collection, licence=exemplar.licence)  # fmt: skip


def _composer_source(facts: ComposerFacts) -> AnswerSource:
    return AnswerSource(id=facts.id, title=f"{facts.name} (life dates)", licence=FACTS_SOURCE)


def _refuse(kind: QuestionKind, why: str, confidence: float = 0.1) -> Answer:
    return Answer(answer=f"{CANNOT_TELL}: {why}", confidence=confidence, kind=kind)


def _perception(kind: QuestionKind, a: AudioAnalysis | None) -> Answer:
    if a is None:
        return _refuse(kind, "there is no audio to listen to")
    if a.silent:
        return _refuse(kind, f"the audio is silent ({a.rms_dbfs:.0f} dBFS)")
    value: str | None
    confidence = 0.7
    if kind is QuestionKind.KEY:
        value, confidence = a.key, 0.6
    elif kind is QuestionKind.TEMPO:
        value = f"{a.tempo_bpm:.0f} BPM" if a.tempo_bpm else None
    elif kind is QuestionKind.METER:
        value, confidence = a.meter, 0.5
    elif kind is QuestionKind.VOICES:
        value = str(a.voices) if a.voices else None
    elif kind is QuestionKind.RANGE:
        value = a.range_text
    elif kind is QuestionKind.DURATION:
        value, confidence = f"{a.duration_s:.1f} s", 0.95
    elif kind is QuestionKind.LOUDNESS:
        value, confidence = f"{a.rms_dbfs:.1f} dBFS RMS", 0.95
    else:
        value = None
    if value is None:
        return _refuse(kind, f"the recording does not reveal its {kind.value}")
    return Answer(answer=value, confidence=confidence, kind=kind)


def _from_alignment(kind: QuestionKind, know: Knowledge) -> Answer | None:
    """Key, tempo and voices of a recording read from the work the audio index aligned it with: the
    work's key moved by the alignment's transposition, the alignment's tempo, the score's voices."""
    from musicgrammar.ontologies import Key

    work, hit = know.identified, know.aligned
    if work is None or hit is None or hit.id != work.id:
        return None
    if kind is QuestionKind.KEY:
        written = work.key
        if written is None:
            return None
        value = str(Key(tonic=written.spell((written.tonic_pc + hit.shift) % 12), mode=written.mode))
    elif kind is QuestionKind.TEMPO:
        value = f"{hit.tempo_bpm:.0f} BPM"
    elif kind is QuestionKind.VOICES and work.voices:
        value = str(work.voices)
    else:
        return None
    return Answer(answer=value, confidence=round(min(0.95, 0.4 + know.match / 2), 3), kind=kind, sources=[source_of(work)])


def _from_piece(kind: QuestionKind, piece: PieceFacts) -> Answer | None:
    """Questions about a generated piece answered from its design (composition.json)."""
    values = {QuestionKind.TITLE: piece.title, QuestionKind.COMPOSER: "MusicGrammar (generated)",
              QuestionKind.SCORE_PARTS: str(piece.parts), QuestionKind.METER: piece.meter,
              QuestionKind.KEY: piece.key, QuestionKind.TEMPO: f"{piece.tempo_bpm:.0f} BPM"}  # fmt: skip
    if kind not in values:
        return None
    source = AnswerSource(id=piece.path, title=piece.title, licence="generated by MusicGrammar")
    return Answer(answer=values[kind], confidence=0.95, kind=kind, sources=[source])


def _from_work(kind: QuestionKind, know: Knowledge) -> Answer:
    work = know.identified
    if work is None:
        return _refuse(kind, "the melody matches no work of the library closely enough"
                             f" (best match {know.match:.2f})")  # fmt: skip
    source = source_of(work)
    confidence = round(min(0.99, 0.5 + know.match / 2), 3)
    value: str | None
    sources = [source]
    if kind is QuestionKind.TITLE:
        value = work.title
    elif kind is QuestionKind.COMPOSER:
        value = work.composer or "traditional (no known composer)"
    elif kind is QuestionKind.CATALOGUE:
        value = work.catalogue
    elif kind is QuestionKind.COLLECTION:
        value = COLLECTIONS.get(work.collection, (work.collection,))[0]
    elif kind is QuestionKind.ORIGIN:
        value = work.origin
    elif kind is QuestionKind.SCORE_PARTS:
        value = str(work.voices)
    elif kind is QuestionKind.METER:
        value = work.meter
    elif kind in (QuestionKind.COMPOSER_DEATH, QuestionKind.COMPOSER_BIRTH):
        if know.composer is None:
            who = work.composer or "a traditional tune"
            return _refuse(kind, f"it is {work.title} ({who}), whose composer's dates are not in the library",
                           confidence=0.2).model_copy(update={"sources": sources})  # fmt: skip
        value = know.composer.year_text("died" if kind is QuestionKind.COMPOSER_DEATH else "born")
        sources.append(_composer_source(know.composer))
    elif kind is QuestionKind.SAME_MELODY:
        if not know.related:
            return Answer(answer=f"no other work of the library uses the melody of {work.title}", confidence=confidence * 0.8,
                          kind=kind, sources=sources)  # fmt: skip
        value = "; ".join(r.title for r in know.related)
        sources += [source_of(r) for r in know.related]
    else:
        value = None
    if not value:
        return _refuse(kind, f"it is {work.title}, but the library does not record its {kind.value}", 0.2).model_copy(
            update={"sources": sources})
    return Answer(answer=value, confidence=confidence, kind=kind, sources=sources)


def answer_question(kind: QuestionKind, analysis: AudioAnalysis | None, know: Knowledge | None, retrieval: bool) -> Answer:
    """The engine's answer (evidence and hops are filled in by the graph)."""
    if kind is QuestionKind.UNKNOWN:
        return _refuse(kind, "the question is not one about this music's sound, identity or composer that I can read")
    if know is not None and know.piece is not None:
        answer = _from_piece(kind, know.piece)
        if answer is not None and (kind.group is not KindGroup.PERCEPTION or analysis is None):
            return answer
    if kind is QuestionKind.METER and retrieval and know is not None and know.identified is not None and know.identified.meter:
        return _from_work(kind, know)
    if kind.group is KindGroup.PERCEPTION:
        aligned = _from_alignment(kind, know) if retrieval and know is not None else None
        return aligned or _perception(kind, analysis)
    if not retrieval:
        return _refuse(kind, "answering this needs the library, and retrieval is off")
    if analysis is not None and analysis.silent:
        return _refuse(kind, f"the audio is silent ({analysis.rms_dbfs:.0f} dBFS)")
    return _from_work(kind, know or Knowledge())
