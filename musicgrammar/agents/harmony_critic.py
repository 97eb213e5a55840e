"""The Harmony Critic: spec + score -> metrics, findings and reharmonization proposals.
Anxiety: what clashes, and where does the harmony stop serving the melody?"""

from __future__ import annotations

from dataclasses import dataclass

import dspy

from musicgrammar.agents.harmony_rules import critique_harmony
from musicgrammar.agents.lm import LLMSession, call_checked
from musicgrammar.agents.signatures import CritiqueHarmony
from musicgrammar.agents.strategy import Agent, require_session
from musicgrammar.ontologies import CompositionSpec, Finding, HarmonyCritique, Reharmonization, Score, Severity, parse_bar

__all__ = ["CriticOutput", "HarmonyCritic", "check_proposals", "merge_findings"]


@dataclass
class CriticOutput:
    critique: HarmonyCritique
    strategy: str = "engine"


def check_proposals(spec: CompositionSpec, proposals: list[Reharmonization]) -> list[Finding]:
    """The grammar's checks on proposals: each names a section of the design and one of its bars,
    and its chords parse."""
    sections = {s.id: s for s in spec.sections}
    findings: list[Finding] = []
    for index, p in enumerate(proposals):
        path = f"proposals[{index}]"
        section = sections.get(p.section)
        if section is None:
            findings.append(Finding(code="PROPOSAL_UNKNOWN_SECTION", severity=Severity.ERROR, path=f"{path}.section",
                                    message=f"no section {p.section!r}", fix=f"use one of {', '.join(sections)}"))  # fmt: skip
        elif p.bar > section.bars:
            findings.append(Finding(code="PROPOSAL_BAR_OUT_OF_RANGE", severity=Severity.ERROR, path=f"{path}.bar",
                                    message=f"section {p.section} has {section.bars} bars, not {p.bar}", fix=f"a bar in 1-{section.bars}"))  # fmt: skip
        try:
            if not parse_bar(p.proposed):
                raise ValueError("no chord")
        except ValueError as exc:
            findings.append(Finding(code="PROPOSAL_BAD_CHORD", severity=Severity.ERROR, path=f"{path}.proposed",
                                    message=f"{p.proposed!r} is not a bar of chord symbols ({exc})", fix="chord symbols such as 'Dm7 G7'"))  # fmt: skip
    return findings


def merge_findings(measured: list[Finding], added: list[Finding]) -> list[Finding]:
    """The measured findings, then those the LLM added that are not already there (same code and path)."""
    seen = {(f.code, f.path) for f in measured}
    return measured + [f for f in added if (f.code, f.path) not in seen]


class HarmonyCritic(Agent):
    """Engine: the melody-harmony metrics and the rules (parallels, unresolved leading tones, strong-beat
    clashes) with rule-based and, when asked, harmonizer-based proposals. LLM: the model reads the same
    measurements and adds the problems it finds most important and its own proposals, checked against
    the design; the measured metrics, findings and proposals are kept as measured."""

    role = "harmony_critic"

    def __init__(self, llm: LLMSession | None = None, harmonizer: str | None = None) -> None:
        super().__init__(llm)
        self.harmonizer = harmonizer
        self.critique = dspy.Predict(CritiqueHarmony)

    def forward(self, spec: CompositionSpec, score: Score, seed: int = 0) -> CriticOutput:
        measured = critique_harmony(spec, score, harmonizer=self.harmonizer, seed=seed)  # type: ignore[arg-type]
        inputs = {"spec": spec, "metrics": measured.metrics, "rule_findings": measured.findings, "feedback": []}

        def by_engine() -> HarmonyCritique:
            self.teach(self.critique, inputs, {"findings": measured.findings[:5], "proposals": measured.proposals[:8]})
            return measured

        def by_llm() -> HarmonyCritique:
            answer = call_checked(require_session(self.llm), self.role, self.critique, lambda a: check_proposals(spec, a.proposals), feedback_field="feedback", **inputs)
            proposals = measured.proposals + [p.model_copy(update={"source": "llm"}) for p in answer.proposals]
            return measured.model_copy(update={"findings": merge_findings(measured.findings, answer.findings), "proposals": proposals})

        critique, strategy = self.choose(by_llm, by_engine)
        return CriticOutput(critique=critique, strategy=strategy)
