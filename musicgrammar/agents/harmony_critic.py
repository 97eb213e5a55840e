"""The Harmony Critic: spec + score -> metrics, findings and reharmonization proposals.
Anxiety: what clashes, and where does the harmony stop serving the melody?"""

from __future__ import annotations

import dspy

from musicgrammar.agents.harmony_rules import critique_harmony
from musicgrammar.agents.lm import predict
from musicgrammar.agents.signatures import CritiqueHarmony
from musicgrammar.ontologies import CompositionSpec, HarmonyCritique, Score

__all__ = ["HarmonyCritic"]


class HarmonyCritic(dspy.Module):
    """Engine: the melody-harmony metrics and the rules (parallels, unresolved leading tones, strong-beat
    clashes) with rule-based and, when asked, harmonizer-based proposals. LLM: the model reads the same
    measurements and decides which problems matter; the measured metrics are kept as measured."""

    def __init__(self, lm: dspy.LM | None = None, harmonizer: str | None = None) -> None:
        super().__init__()
        self.lm = lm
        self.harmonizer = harmonizer

    def forward(self, spec: CompositionSpec, score: Score, seed: int = 0) -> dspy.Prediction:
        measured = critique_harmony(spec, score, harmonizer=self.harmonizer, seed=seed)  # type: ignore[arg-type]
        if self.lm is None:
            return dspy.Prediction(critique=measured)
        out = predict(CritiqueHarmony, self.lm, spec=spec, metrics=measured.metrics, rule_findings=measured.findings)
        critique: HarmonyCritique = out.critique
        return dspy.Prediction(critique=critique.model_copy(update={"metrics": measured.metrics}))
