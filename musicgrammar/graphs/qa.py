"""The audio question-answering graph: analyse -> retrieve -> reason -> (retrieve again | answer).

The state is typed (Pydantic) and every node appends a trace record (node, hop, seconds, what it
found). Retrieval is bounded: at most ``MAX_HOPS`` hops, each trying something not tried before
(the recording's chroma against the audio index of rendered works, the tunes of the library inside all
the heard notes, the heard top line, the composer's facts, the works sharing the tune); the reasoner stops as soon as the question's kind has what it needs, or when
nothing new is left to try, and then the answer says what it could not tell.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from musicgrammar.agents.audio_qa.engine import AUDIO_AGREE_MARGIN, AUDIO_MIN_MATCH, Knowledge, PieceFacts, answer_question, is_identified
from musicgrammar.agents.audio_qa.question import read_question
from musicgrammar.ontologies.answer import Answer, KindGroup, QuestionKind
from musicgrammar.tools.listen.features import AudioAnalysis

__all__ = ["MAX_HOPS", "QAState", "QAContext", "build_qa_graph", "ask", "answer_json", "answer_lines"]

MAX_HOPS = 3
_NEEDS_WORK = (KindGroup.IDENTIFICATION, KindGroup.MULTI_HOP)
_READ_FROM_ALIGNMENT = (QuestionKind.KEY, QuestionKind.TEMPO, QuestionKind.VOICES)


class QAState(BaseModel):
    """Everything one question knows as it moves through the graph."""

    question: str
    audio: str | None = Field(default=None, description="The audio file analysed, if any.")
    piece: PieceFacts | None = Field(default=None, description="The design of a generated piece, when asked about a run.")
    retrieval: bool = True
    kind: QuestionKind = QuestionKind.UNKNOWN
    kind_similarity: float = 0.0
    analysis: AudioAnalysis | None = None
    knowledge: Knowledge = Field(default_factory=Knowledge)
    tried: list[str] = Field(default_factory=list, description="Retrieval strategies used, one per hop.")
    hops: int = Field(default=0, ge=0, le=MAX_HOPS)
    evidence: list[str] = Field(default_factory=list)
    answer: Answer | None = None
    trace: list[dict[str, Any]] = Field(default_factory=list)


@dataclass
class QAContext:
    """Live objects of one question: the store (opened on first need) and the answering strategy."""

    store: Any = None
    store_loader: Callable[[], Any] | None = None
    answerer: Callable[[QAState], Answer] | None = None  # None: the offline engine
    analyses: dict[str, AudioAnalysis] | None = None  # a dict here reuses analyses of one file across questions
    extras: dict[str, Any] = field(default_factory=dict)

    def get_store(self) -> Any:
        if self.store is None:
            from musicgrammar.retrieval_corpus import ensure_default_store

            self.store = (self.store_loader or ensure_default_store)()
        return self.store


def _node(name: str, fn: Callable[[QAState, QAContext], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def run(state: QAState, runtime: Runtime[QAContext]) -> dict[str, Any]:
        started = time.perf_counter()
        update = fn(state, runtime.context)
        summary = update.pop("_trace", {})
        record = {"node": name, "hop": update.get("hops", state.hops), "seconds": round(time.perf_counter() - started, 4), **summary}
        update["trace"] = state.trace + [record]
        return update

    return run


def _analyse(state: QAState, ctx: QAContext) -> dict[str, Any]:
    from musicgrammar.tools.listen.features import analyse_audio

    reading = read_question(state.question)
    evidence = [f"question read as '{reading.kind.value}' (similarity {reading.similarity:.2f})"]
    analysis = None
    if state.audio is not None:
        cached = ctx.analyses.get(state.audio) if ctx.analyses is not None else None
        analysis = cached or analyse_audio(state.audio)
        if ctx.analyses is not None:
            ctx.analyses[state.audio] = analysis
        if analysis.silent:
            evidence.append(f"heard {analysis.duration_s:.1f} s of silence ({analysis.rms_dbfs:.0f} dBFS)")
        else:
            cut = f" (first {analysis.analysed_s:.0f} s analysed)" if analysis.analysed_s < analysis.duration_s - 0.05 else ""
            evidence.append(f"heard {analysis.duration_s:.1f} s{cut}: {analysis.key or 'no clear key'}, "
                            f"{analysis.tempo_bpm or '?'} BPM, {analysis.meter or 'meter unclear'}, "
                            f"{analysis.voices} voice(s), {analysis.range_text or 'no notes'}, "
                            f"{len(analysis.melody)} top-line notes")  # fmt: skip
    if state.piece is not None:
        evidence.append(f"design of the generated piece read from {state.piece.path}")
    knowledge = state.knowledge.model_copy(update={"piece": state.piece})
    return {"kind": reading.kind, "kind_similarity": reading.similarity, "analysis": analysis, "evidence": state.evidence + evidence,
            "knowledge": knowledge,
            "_trace": {"kind": reading.kind.value, "similarity": round(reading.similarity, 3),
                       "analysis": analysis.model_dump(exclude={"melody", "chroma"}) if analysis else None}}  # fmt: skip


def _next_strategy(state: QAState) -> str | None:
    """The next retrieval to try, or None when the kind has what it needs or nothing new is left."""
    know = state.knowledge
    if not state.retrieval or state.hops >= MAX_HOPS or state.piece is not None:
        return None
    wants_work = state.kind.group in _NEEDS_WORK or state.kind is QuestionKind.METER
    aligns = state.kind in _READ_FROM_ALIGNMENT  # perception the identified work's score can answer better
    if not (wants_work or aligns) or state.analysis is None or state.analysis.silent:
        return None
    if know.identified is None:
        # perception needs the alignment: a melody search alone is only worth running to confirm the audio's candidate
        for strategy in ("audio", "polyphony", "melody") if wants_work or know.candidate is not None else ("audio",):
            if strategy not in state.tried and (strategy != "audio" or state.analysis.chroma):
                return strategy
        return None
    if state.kind in (QuestionKind.COMPOSER_DEATH, QuestionKind.COMPOSER_BIRTH) and not know.composer_looked_up:
        return "composer_facts"
    if state.kind is QuestionKind.SAME_MELODY and not know.related_looked_up:
        return "same_melody"
    return None


def _retrieve(state: QAState, ctx: QAContext) -> dict[str, Any]:
    from musicgrammar.retrieval_corpus.audio_search import match_audio, match_melody, match_polyphony, same_melody
    from musicgrammar.retrieval_corpus.facts import composer_facts

    strategy = _next_strategy(state)
    if strategy is None:
        return {"_trace": {"strategy": None}}
    know = state.knowledge.model_copy()
    evidence: list[str] = []
    trace: dict[str, Any] = {"strategy": strategy}
    assert state.analysis is not None  # _next_strategy checked it
    if strategy in ("audio", "polyphony", "melody"):
        if strategy == "audio":
            match, covered = match_audio(state.analysis.chroma, ctx.get_store(), ctx.extras.get("audio_index"))
            label, size = f"audio index of {covered} rendered works", f"{len(state.analysis.chroma) / 10:.0f} s of chroma"
        elif strategy == "polyphony":
            match, label, size = match_polyphony(state.analysis.heard, ctx.get_store()), "melody search, all heard notes", f"{len(state.analysis.heard)} notes"
        else:
            match, label, size = match_melody(state.analysis.melody, ctx.get_store()), "melody search, top line", f"{len(state.analysis.melody)} notes"
        trace.update(hits=[(h.id, round(float(h.score or 0), 3)) for h in match.hits], margin=round(match.margin, 3))
        if match.best is not None:
            evidence.append(f"{label} ({size}): best {match.best.id} '{match.best.title}' "
                            f"score {match.score:.2f}, lead {match.margin:.2f}")  # fmt: skip
        else:
            evidence.append(f"{label}: no match")
        if match.aligned is not None:
            hit = match.aligned
            evidence.append(f"aligned with {hit.id}: sounds {hit.shift} semitone(s) above it (mod 12), "
                            f"{hit.tempo_bpm:.0f} quarter notes per minute, from {hit.start_s:.0f} s into it")  # fmt: skip
        by_audio = strategy == "audio"
        if know.identified is None and match.best is not None and is_identified(match.score, match.margin, by_audio=by_audio):
            know.identified, know.margin, know.aligned = match.best, match.margin, match.aligned
            know.match = match.aligned.cosine if match.aligned is not None else match.score
        elif by_audio and match.aligned is not None and match.margin >= AUDIO_AGREE_MARGIN and match.score >= AUDIO_MIN_MATCH:
            know.candidate, know.candidate_aligned = match.best, match.aligned  # a second, independent search may confirm it
        elif know.identified is None and know.candidate is not None and match.best is not None and match.best.id == know.candidate.id:
            evidence.append(f"the {label}'s best hit is the audio index's best work: two independent searches agree")
            know.identified, know.aligned, know.margin = know.candidate, know.candidate_aligned, match.margin
            know.match = know.candidate_aligned.cosine if know.candidate_aligned is not None else match.score
        elif know.identified is None and strategy != "audio" and match.score > know.match:  # melody scores only: one scale in the refusal
            know.match, know.margin = match.score, match.margin
    elif strategy == "composer_facts":
        work = know.identified
        know.composer = composer_facts(work.composer if work else None)
        know.composer_looked_up = True
        evidence.append(f"composer facts for '{work.composer if work else None}': "
                        + (f"{know.composer.name}, {know.composer.year_text('born')}-{know.composer.year_text('died')}"
                           if know.composer else "none in the library"))  # fmt: skip
    elif strategy == "same_melody":
        assert know.identified is not None
        know.related = same_melody(know.identified, ctx.get_store())
        know.related_looked_up = True
        evidence.append(f"works sharing the tune of {know.identified.id}: {[r.id for r in know.related] or 'none'}")
    return {"knowledge": know, "tried": state.tried + [strategy], "hops": state.hops + 1,
            "evidence": state.evidence + evidence, "_trace": trace}  # fmt: skip


def _reason(state: QAState, ctx: QAContext) -> dict[str, Any]:
    know = state.knowledge
    if know.identified is not None:
        note = f"identified as {know.identified.id} (score {know.match:.2f})"
    elif state.tried:
        note = f"not identified: best score {know.match:.2f}, lead {know.margin:.2f}"
    else:
        note = "no retrieval needed" if state.retrieval else "retrieval off"
    return {"_trace": {"state": note, "next": _route(state)}}


def _route(state: QAState) -> str:
    return "retrieve" if _next_strategy(state) is not None else "answer"


def _answer(state: QAState, ctx: QAContext) -> dict[str, Any]:
    if ctx.answerer is not None:
        answer = ctx.answerer(state)
    else:
        answer = answer_question(state.kind, state.analysis, state.knowledge, state.retrieval)
    answer = answer.model_copy(update={"evidence": state.evidence, "hops": state.hops})
    return {"answer": answer, "_trace": {"answer": answer.answer, "confidence": answer.confidence}}


def build_qa_graph() -> Any:
    """The compiled QA graph (state: QAState, context: QAContext)."""
    graph = StateGraph(QAState, context_schema=QAContext)
    for name, fn in (("analyse", _analyse), ("retrieve", _retrieve), ("reason", _reason), ("answer", _answer)):
        graph.add_node(name, _node(name, fn))
    graph.add_edge(START, "analyse")
    graph.add_edge("analyse", "retrieve")
    graph.add_edge("retrieve", "reason")
    graph.add_conditional_edges("reason", _route, {"retrieve": "retrieve", "answer": "answer"})
    graph.add_edge("answer", END)
    return graph.compile()


_GRAPH: Any = None


def ask(question: str, audio: str | Path | None = None, piece: PieceFacts | None = None, retrieval: bool = True,
        context: QAContext | None = None, trace_path: Path | None = None) -> QAState:  # fmt: skip
    """Answer one question about an audio file and/or a generated piece; returns the final state."""
    from musicgrammar.errors import UserInputError
    from musicgrammar.tools.listen.audio import check_audio_file

    global _GRAPH
    if not question.strip():  # cheap checks first: nothing is loaded for a mistake
        raise UserInputError("the question is empty", field="QUESTION")
    if audio is not None:
        check_audio_file(audio)
    if audio is None and piece is None:
        raise UserInputError("nothing to listen to: give an audio file, a run folder or a composition.json", field="AUDIO")
    if _GRAPH is None:
        _GRAPH = build_qa_graph()
    state = QAState(question=question, audio=str(audio) if audio else None, piece=piece, retrieval=retrieval)
    result = QAState.model_validate(_GRAPH.invoke(state, context=context or QAContext()))
    if trace_path is not None:
        with Path(trace_path).open("a", encoding="utf-8") as handle:
            for record in result.trace:
                handle.write(json.dumps(record, default=str) + "\n")
    return result


def answer_json(answer: Answer) -> dict[str, Any]:
    """The answer as `ask --json` prints it: answer, confidence, kind, sources (with licence), evidence, hops."""
    return answer.model_dump(mode="json")


def answer_lines(answer: Answer) -> list[str]:
    """The answer as text: the answer with its confidence, kind and hops, then its sources and evidence."""
    lines = [f"{answer.answer}  (confidence {answer.confidence:.2f}, {answer.kind.value}, {answer.hops} hop(s))"]
    for source in answer.sources:
        extra = ", ".join(x for x in (source.catalogue, source.collection) if x)
        lines.append(f"  source: {source.id}: {source.title}" + (f" ({extra})" if extra else ""))
    return lines + [f"  - {line}" for line in answer.evidence]
