"""Question understanding: the packaged MiniLM maps a question to a `QuestionKind`.

Each kind's lexicon description lists phrasings separated by ';'; a question takes the kind of its
most similar phrasing (cosine of MiniLM embeddings). Below ``MIN_SIMILARITY`` the question is
`UNKNOWN`: the answer will say it cannot tell rather than answer a different question.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies.answer import QuestionKind

__all__ = ["MIN_SIMILARITY", "QuestionReading", "read_question"]

MIN_SIMILARITY = 0.45
MAX_QUESTION_CHARS = 500

_lock = threading.Lock()
_prototypes: tuple[np.ndarray, list[QuestionKind]] | None = None


@dataclass(frozen=True)
class QuestionReading:
    """The kind a question was read as, how similar its nearest phrasing was, and the runner-up."""

    kind: QuestionKind
    similarity: float
    runner_up: QuestionKind | None


def _phrasings() -> tuple[list[str], list[QuestionKind]]:
    texts, kinds = [], []
    for kind in QuestionKind:
        if kind is QuestionKind.UNKNOWN:
            continue
        for phrase in kind.description.split(";"):
            texts.append(phrase.strip())
            kinds.append(kind)
    return texts, kinds


def _prototype_matrix() -> tuple[np.ndarray, list[QuestionKind]]:
    global _prototypes
    with _lock:
        if _prototypes is None:
            from musicgrammar.tools.text_embedding import embed

            texts, kinds = _phrasings()
            _prototypes = (embed(texts), kinds)  # (phrasings, 384)
    return _prototypes


def read_question(question: str) -> QuestionReading:
    """The question's kind; an empty or over-long question is the caller's mistake."""
    from musicgrammar.tools.text_embedding import embed

    text = " ".join(question.split())
    if not text:
        raise UserInputError("the question is empty", field="QUESTION")
    if len(text) > MAX_QUESTION_CHARS:
        raise UserInputError(f"the question is longer than {MAX_QUESTION_CHARS} characters", field="QUESTION")
    matrix, kinds = _prototype_matrix()
    sims = matrix @ embed([text])[0]  # (phrasings,)
    best_per_kind: dict[QuestionKind, float] = {}
    for kind, sim in zip(kinds, sims.tolist()):
        best_per_kind[kind] = max(best_per_kind.get(kind, -1.0), sim)
    ranked = sorted(best_per_kind.items(), key=lambda kv: -kv[1])
    kind, sim = ranked[0]
    runner = ranked[1][0] if len(ranked) > 1 else None
    if sim < MIN_SIMILARITY:
        return QuestionReading(QuestionKind.UNKNOWN, sim, kind)
    return QuestionReading(kind, sim, runner)
