"""The Theme Weaver: prompt -> brief. Anxiety: does the theme live in every musical decision?"""

from __future__ import annotations

import json

import dspy

from musicgrammar.agents.lm import predict
from musicgrammar.agents.signatures import WeaveTheme
from musicgrammar.agents.weaving import weave_brief
from musicgrammar.ontologies import Brief, Constraints, lexicon_entries

__all__ = ["ThemeWeaver"]


class ThemeWeaver(dspy.Module):
    """Engine: rules read the explicit constraints, MiniLM maps imagery onto the mood lexicon.
    LLM: the model writes the brief from the lexicon; the rule-read constraints are then restored
    over whatever it wrote, so an explicit constraint can never be lost."""

    def __init__(self, lm: dspy.LM | None = None) -> None:
        super().__init__()
        self.lm = lm

    def forward(self, prompt: str, overrides: Constraints | None = None) -> dspy.Prediction:
        engine_brief = weave_brief(prompt, overrides)
        if self.lm is None:
            return dspy.Prediction(brief=engine_brief)
        lexicon = "\n".join(e.text for v in ("Mood", "Instrument", "Tradition") for e in lexicon_entries(v))
        out = predict(WeaveTheme, self.lm, request=engine_brief.prompt, constraints=engine_brief.constraints.model_dump_json(exclude_defaults=True), lexicon=lexicon)
        brief: Brief = out.brief
        brief = brief.model_copy(update={"constraints": engine_brief.constraints, "prompt": engine_brief.prompt,
                                         "tradition": engine_brief.constraints.tradition or brief.tradition})  # fmt: skip
        return dspy.Prediction(brief=brief)

    @staticmethod
    def describe(brief: Brief) -> str:
        return json.dumps(brief.model_dump(mode="json", exclude_defaults=True))[:2000]
