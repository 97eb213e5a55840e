"""The Librarian (audio retriever): exemplars and facts from the corpus, with their sources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import dspy

from musicgrammar.agents.lm import LLMSession, call_checked
from musicgrammar.agents.planning import ExemplarHint
from musicgrammar.agents.signatures import RetrieveExemplars
from musicgrammar.agents.strategy import Agent, require_session
from musicgrammar.ontologies import Brief, Cadence, Finding, FormType, Mode, Severity

__all__ = ["Librarian", "LibrarianOutput", "check_choice", "hint_from_exemplar"]

_ROMAN_DEGREE = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
_FORM_LETTERS = {"AB": FormType.BINARY, "AABB": FormType.BINARY, "ABA": FormType.TERNARY, "AABA": FormType.AABA,
                 "ABAB": FormType.BINARY, "AAB": FormType.BINARY, "ABAC": FormType.RONDO, "ABACA": FormType.RONDO}  # fmt: skip
_CADENCE = {"PAC": Cadence.AUTHENTIC, "IAC": Cadence.AUTHENTIC, "PC": Cadence.PLAGAL, "HC": Cadence.HALF, "DC": Cadence.DECEPTIVE}


def hint_from_exemplar(exemplar: Any) -> ExemplarHint:
    """What planning can adopt from an exemplar: its form, meter, mode, a progression, a cadence habit."""
    degrees: list[int] = []
    beats = int((exemplar.meter or "4/4").split("/")[0]) if exemplar.meter else 4
    beats = 2 if beats == 6 else 3 if beats == 9 else 4 if beats == 12 else beats
    for index in range(0, len(exemplar.roman_numerals), max(1, beats)):  # the chord on each downbeat
        match = re.match(r"^[b#]?(vii|vi|iv|v|iii|ii|i)", exemplar.roman_numerals[index], re.I)
        if match:
            degrees.append(_ROMAN_DEGREE[match.group(1).lower()])
    form_letters = re.sub(r"[^A-Z]", "", (exemplar.form or "").upper())
    cadences = [_CADENCE[c] for c in exemplar.cadences if c in _CADENCE]
    try:
        mode = Mode(exemplar.mode) if exemplar.mode else None
    except ValueError:
        mode = None
    return ExemplarHint(
        id=exemplar.id,
        title=exemplar.title,
        licence=exemplar.licence,
        form=_FORM_LETTERS.get(form_letters),
        meter=exemplar.meter,
        mode=mode,
        degrees=tuple(degrees[:8]),
        cadence=cadences[-1] if cadences else None,
    )


@dataclass
class LibrarianOutput:
    """The chosen exemplars, what planning adopts from them, one fact each, and whether the run is grounded."""

    exemplars: list[Any] = field(default_factory=list)
    hints: list[ExemplarHint] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    grounded: bool = False
    note: str = ""
    strategy: str = "engine"


def check_choice(candidate_ids: list[str], chosen_ids: list[str], facts: list[str]) -> list[Finding]:
    """Grounding as a grammar rule: only candidates may be chosen, and each gets one fact."""
    findings = [Finding(code="LIBRARIAN_UNKNOWN_EXEMPLAR", severity=Severity.ERROR, path=f"chosen_ids[{i}]",
                        message=f"{c!r} is not a candidate", fix="choose ids from the candidates only")
                for i, c in enumerate(chosen_ids) if c not in candidate_ids]  # fmt: skip
    if not chosen_ids:
        findings.append(Finding(code="LIBRARIAN_NOTHING_CHOSEN", severity=Severity.ERROR, path="chosen_ids", message="no exemplar chosen", fix="choose 1-5 candidates"))
    if len(facts) != len(chosen_ids):
        findings.append(Finding(code="LIBRARIAN_FACTS_MISMATCH", severity=Severity.ERROR, path="facts",
                                message=f"{len(facts)} facts for {len(chosen_ids)} exemplars", fix="one fact per chosen exemplar"))  # fmt: skip
    return findings


def _repair_ids(chosen: list[str], candidates: dict[str, Any]) -> list[str]:
    """Lenient reading of chosen ids: a whole candidate line ('id | title | ...') counts as its id."""
    return [c if c in candidates else c.split("|")[0].strip() for c in chosen]


class Librarian(Agent):
    """Finds exemplars for a brief. Engine: text search over the corpus store with metadata filters
    drawn from the brief's constraints. LLM: the same candidates, chosen and explained by the model
    (an invented exemplar is rejected and retried). An unavailable store makes the run ungrounded,
    which the result says."""

    role = "librarian"

    def __init__(self, llm: LLMSession | None = None, top: int = 3) -> None:
        super().__init__(llm)
        self.top = top
        self.choose_exemplars = dspy.Predict(RetrieveExemplars)

    def forward(self, brief: Brief) -> LibrarianOutput:
        from musicgrammar.errors import MusicGrammarError

        try:
            from musicgrammar.retrieval_corpus import ensure_default_store, search

            store = ensure_default_store()
            query = self._query(brief)
            where = self._where(brief)
            candidates = search(query, where=where or None, top=self.top * 3, store=store) if where else []
            if len(candidates) < self.top:
                candidates += [e for e in search(query, top=self.top * 3, store=store) if e.id not in {c.id for c in candidates}]
        except MusicGrammarError as exc:
            return LibrarianOutput(note=f"retrieval unavailable: {exc}")
        if not candidates:
            return LibrarianOutput(note="no exemplars found: the plan is not grounded in the corpus")
        by_id = {e.id: e for e in candidates}
        inputs = {"request": brief.prompt or brief.title, "candidates": [f"{e.id} | {e.title} | {e.description[:200]}" for e in candidates], "feedback": []}

        def by_engine() -> tuple[list[Any], list[str]]:
            chosen = candidates[: self.top]
            facts = [f"{e.id}: {e.description.split('. ')[0]}" for e in chosen]
            self.teach(self.choose_exemplars, inputs, {"chosen_ids": [e.id for e in chosen], "facts": facts})
            return chosen, [e.description.split(". ")[0] for e in chosen]

        def by_llm() -> tuple[list[Any], list[str]]:
            answer = call_checked(require_session(self.llm), self.role, self.choose_exemplars,
                                  lambda a: check_choice(list(by_id), _repair_ids(a.chosen_ids, by_id), a.facts), feedback_field="feedback", **inputs)  # fmt: skip
            picked = [by_id[i] for i in _repair_ids(answer.chosen_ids, by_id)][: self.top]
            return picked, list(answer.facts)[: len(picked)]

        (chosen, facts), strategy = self.choose(by_llm, by_engine)
        return LibrarianOutput(exemplars=chosen, hints=[hint_from_exemplar(e) for e in chosen], facts=facts,
                               grounded=bool(chosen), strategy=strategy)  # fmt: skip

    @staticmethod
    def _query(brief: Brief) -> str:
        c = brief.constraints
        words = [c.style or "", str(c.key) if c.key else (c.mode.value if c.mode else ""), " ".join(m.value for m in brief.moods[:2]), brief.prompt[:200]]
        return " ".join(w for w in words if w).strip() or brief.title

    @staticmethod
    def _where(brief: Brief) -> dict[str, str]:
        c = brief.constraints
        where: dict[str, str] = {}
        if c.meter is not None:
            where["meter"] = str(c.meter)
        mode = c.key.mode if c.key else c.mode
        if mode is not None and mode.value in ("major", "minor", "dorian", "mixolydian"):
            where["mode"] = mode.value
        return where
