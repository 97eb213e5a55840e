"""The Librarian (audio retriever): exemplars and facts from the corpus, with their sources."""

from __future__ import annotations

import re
from typing import Any

import dspy

from musicgrammar.agents.lm import predict
from musicgrammar.agents.planning import ExemplarHint
from musicgrammar.agents.signatures import RetrieveExemplars
from musicgrammar.ontologies import Brief, Cadence, FormType, Mode

__all__ = ["Librarian", "hint_from_exemplar"]

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


class Librarian(dspy.Module):
    """Finds exemplars for a brief. Engine: text search over the corpus store with metadata filters
    drawn from the brief's constraints. LLM: the same candidates, chosen and explained by the model.
    An unavailable store makes the run ungrounded, which the result says."""

    def __init__(self, lm: dspy.LM | None = None, top: int = 3) -> None:
        super().__init__()
        self.lm = lm
        self.top = top

    def forward(self, brief: Brief) -> dspy.Prediction:
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
            return dspy.Prediction(exemplars=[], hints=[], facts=[], grounded=False, note=f"retrieval unavailable: {exc}")
        chosen = candidates[: self.top]
        facts = [e.description.split(". ")[0] for e in chosen]
        if self.lm is not None and candidates:
            lines = [f"{e.id} | {e.title} | {e.description[:200]}" for e in candidates]
            out = predict(RetrieveExemplars, self.lm, request=brief.prompt or brief.title, candidates=lines)
            by_id = {e.id: e for e in candidates}
            picked = [by_id[i] for i in out.chosen_ids if i in by_id][: self.top]  # never an invented id
            if picked:
                chosen, facts = picked, [f for f in out.facts][: len(picked)]
        return dspy.Prediction(exemplars=chosen, hints=[hint_from_exemplar(e) for e in chosen], facts=facts, grounded=bool(chosen), note="")

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
