"""The LLM strategy for audio questions: a DSPy signature that answers only from the evidence and
the numbered facts it is given, and must cite the facts it used. An answer citing no known source
for a library question, or citing an id it was not given, is replaced by "I cannot tell".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dspy

from musicgrammar.agents.audio_qa.engine import answer_question
from musicgrammar.ontologies.answer import CANNOT_TELL, Answer, AnswerSource, KindGroup

__all__ = ["AnswerAudioQuestion", "llm_answerer"]


class AnswerAudioQuestion(dspy.Signature):
    """You answer a question about a piece of music that was listened to by analysis tools and looked up
    in a library of real scores. Use ONLY the evidence lines and the facts given; every fact is labelled
    with its source id. Cite the ids of every source you used. If the evidence and facts do not hold
    the answer, answer exactly "I cannot tell" and give a low confidence: a guess presented as fact is
    worse than no answer. Your worry: is this grounded, or am I guessing?"""

    question: str = dspy.InputField()
    kind: str = dspy.InputField(desc="The question's kind, as read by the question reader.")
    evidence: list[str] = dspy.InputField(desc="What the analysis heard and what retrieval found, in order.")
    facts: list[str] = dspy.InputField(desc="Facts as '[source id] field: value'.")
    draft: str = dspy.InputField(desc="The offline engine's answer to the same question, for comparison.")
    answer: str = dspy.OutputField(desc="A short answer, or 'I cannot tell'.")
    cited: list[str] = dspy.OutputField(desc="Source ids used; empty only when the answer is from the evidence lines.")
    confidence: float = dspy.OutputField(desc="0..1")


def _facts(state: Any) -> list[str]:
    """The facts the LLM may use: the identified work's metadata and the sources the engine found."""
    lines: list[str] = []
    work = state.knowledge.identified
    if work is not None:
        for name in ("title", "composer", "catalogue", "collection", "origin", "meter", "voices", "key_name"):
            value = getattr(work, name, None)
            if value not in (None, ""):
                lines.append(f"[{work.id}] {name}: {value}")
    composer = state.knowledge.composer
    if composer is not None:
        lines.append(f"[{composer.id}] {composer.name}: born {composer.year_text('born')}, died {composer.year_text('died')}")
    for related in state.knowledge.related:
        lines.append(f"[{related.id}] uses the same tune: {related.title}")
    return lines


def llm_answerer(lm: dspy.LM) -> Callable[[Any], Answer]:
    """An answerer for the QA graph that calls `lm` through the signature and checks its citations."""
    from musicgrammar.agents.lm import LLMOutputError, LLMSession, call_checked
    from musicgrammar.settings import get_settings

    settings = get_settings()
    predictor = dspy.Predict(AnswerAudioQuestion)

    def answer(state: Any) -> Answer:
        draft = answer_question(state.kind, state.analysis, state.knowledge, state.retrieval)
        facts = _facts(state)
        known: dict[str, AnswerSource] = {s.id: s for s in draft.sources}
        for line in facts:
            sid = line[1:line.index("]")]
            known.setdefault(sid, AnswerSource(id=sid, title=sid))
        session = LLMSession(lm=lm, timeout_s=settings.lm_timeout_s, retries=settings.lm_retries)
        try:  # one deadline, parse errors retried; the citation gate below judges what parses
            out = call_checked(session, "audio_qa", predictor, lambda _: [], question=state.question, kind=state.kind.value,
                               evidence=state.evidence, facts=facts, draft=draft.answer)  # fmt: skip
        except LLMOutputError as exc:
            return Answer(answer=f"{CANNOT_TELL}: the language model gave no usable answer ({exc})", confidence=0.1, kind=state.kind)
        text = str(out.answer).strip() or CANNOT_TELL
        cited = [str(c).strip().strip("[]") for c in (out.cited or [])]
        confidence = min(1.0, max(0.0, float(out.confidence or 0.0)))
        unknown = [c for c in cited if c not in known]
        needs_source = state.kind.group in (KindGroup.IDENTIFICATION, KindGroup.MULTI_HOP)
        if text.startswith(CANNOT_TELL):
            return Answer(answer=text, confidence=min(confidence, 0.3), kind=state.kind)
        if unknown or (needs_source and not cited):
            why = f"cited unknown sources {unknown}" if unknown else "cited no source"
            return Answer(answer=f"{CANNOT_TELL}: the language model's answer {text!r} {why}", confidence=0.1, kind=state.kind)
        return Answer(answer=text, confidence=confidence, kind=state.kind, sources=[known[c] for c in dict.fromkeys(cited)])

    return answer
