"""The Theme Weaver: prompt -> brief. Anxiety: does the theme live in every musical decision?"""

from __future__ import annotations

import json
from dataclasses import dataclass

import dspy

from musicgrammar.agents.lm import LLMSession, call_checked
from musicgrammar.agents.signatures import WeaveTheme
from musicgrammar.agents.strategy import Agent, require_session
from musicgrammar.agents.weaving import weave_brief
from musicgrammar.ontologies import Brief, Constraints, Finding, Severity, find_instrument, instrument_catalog, lexicon_entries
from musicgrammar.ontologies.tradition import get_tradition, tradition_catalog

__all__ = ["ThemeWeaver", "WeaverOutput", "check_brief", "weaver_lexicon"]


def weaver_lexicon() -> str:
    """The terms the brief is written in: moods and traditions with their descriptions, instruments as
    the ids the palette takes, grouped by family (their one-line descriptions would triple the prompt
    and only repeat the General MIDI name)."""
    families: dict[str, list[str]] = {}
    for instrument_id, instrument in instrument_catalog().items():
        families.setdefault(str(instrument.family.value), []).append(instrument_id)
    lines = ["Moods:"] + [e.text for e in lexicon_entries("Mood")] + ["Traditions:"] + [e.text for e in lexicon_entries("Tradition")]
    return "\n".join(lines + ["Instrument ids by family:"] + [f"{family}: {', '.join(ids)}" for family, ids in families.items()])


@dataclass
class WeaverOutput:
    brief: Brief
    strategy: str = "engine"


def check_brief(brief: Brief) -> list[Finding]:
    """The grammar's checks on a brief: palette entries are instruments of the lexicon, a tradition is one
    of the lexicon's, one affect per section at most (the forms here have at most 8), and a title that
    says something."""
    findings: list[Finding] = []
    for index, name in enumerate(brief.palette):
        if find_instrument(name) is None:
            findings.append(Finding(code="BRIEF_UNKNOWN_INSTRUMENT", severity=Severity.ERROR, path=f"brief.palette[{index}]",
                                    message=f"{name!r} is not an instrument id of the lexicon", fix="use an instrument id from the lexicon"))  # fmt: skip
    if brief.tradition is not None and not _known_tradition(brief.tradition):
        findings.append(Finding(code="BRIEF_UNKNOWN_TRADITION", severity=Severity.ERROR, path="brief.tradition",
                                message=f"{brief.tradition[:80]!r} is not a tradition of the lexicon",
                                fix=f"use one of {', '.join(sorted(tradition_catalog()))}, or null"))  # fmt: skip
    if len(brief.affect_arc) > 8:
        findings.append(Finding(code="BRIEF_ARC_TOO_LONG", severity=Severity.ERROR, path="brief.affect_arc",
                                message=f"{len(brief.affect_arc)} affect points; a piece here has at most 8 sections", fix="one point per section"))  # fmt: skip
    return findings


def _known_tradition(name: str) -> bool:
    try:
        get_tradition(name)
    except ValueError:
        return False
    return True


class ThemeWeaver(Agent):
    """Engine: rules read the explicit constraints, MiniLM maps imagery onto the mood lexicon.
    LLM: the model writes the brief from the lexicon, checked and retried; the rule-read constraints
    are then restored over whatever it wrote, so an explicit constraint can never be lost."""

    role = "theme_weaver"

    def __init__(self, llm: LLMSession | None = None) -> None:
        super().__init__(llm)
        self.weave = dspy.Predict(WeaveTheme)

    def forward(self, prompt: str, overrides: Constraints | None = None) -> WeaverOutput:
        engine_brief = weave_brief(prompt, overrides)
        lexicon = weaver_lexicon()
        inputs = {"request": engine_brief.prompt, "constraints": engine_brief.constraints.model_dump_json(exclude_defaults=True), "lexicon": lexicon, "feedback": []}

        def by_engine() -> Brief:
            # the demonstration leaves out the lexicon: the live call carries it, and twice would not fit a small model
            self.teach(self.weave, {k: v for k, v in inputs.items() if k != "lexicon"}, {"brief": engine_brief})
            return engine_brief

        def by_llm() -> Brief:
            answer = call_checked(require_session(self.llm), self.role, self.weave, lambda a: check_brief(a.brief), feedback_field="feedback", **inputs)
            brief: Brief = answer.brief
            return brief.model_copy(update={"constraints": engine_brief.constraints, "prompt": engine_brief.prompt,
                                            "tradition": engine_brief.constraints.tradition or brief.tradition})  # fmt: skip

        brief, strategy = self.choose(by_llm, by_engine)
        return WeaverOutput(brief=brief, strategy=strategy)

    @staticmethod
    def describe(brief: Brief) -> str:
        return json.dumps(brief.model_dump(mode="json", exclude_defaults=True))[:2000]
