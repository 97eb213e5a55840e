"""What the critics hand back: harmony critiques with proposals, and the aesthetic judgement."""

from __future__ import annotations

from pydantic import BaseModel, Field

from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum
from musicgrammar.ontologies.validation import Finding

__all__ = ["Reharmonization", "HarmonyCritique", "Verdict", "DimensionScore", "Judgement"]


class Reharmonization(BaseModel):
    """A proposed chord change in one bar of one section."""

    section: str
    bar: int = Field(ge=1, description="Bar of the section, 1-based.")
    current: str = Field(description="The bar's chords now, e.g. 'G7 C'.")
    proposed: str = Field(description="The proposed chords for the bar.")
    reason: str
    source: str = Field(default="rules", description="'rules' or 'harmonizer'.")


class HarmonyCritique(BaseModel):
    """The Harmony Critic's report: melody-harmony metrics, rule findings, proposals."""

    metrics: dict[str, float] = Field(default_factory=dict, description="CTnCTR, PCS, MCTD, CHE ... by name.")
    findings: list[Finding] = Field(default_factory=list)
    proposals: list[Reharmonization] = Field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity.value == "error"]


@register_enum
class Verdict(DescribedEnum):
    ACCEPT = "accept", "The piece holds together: finish."
    REVISE = "revise", "Worth another pass on the named weaknesses."
    REJECT = "reject", "Broken: start the weak parts again."


class DimensionScore(BaseModel):
    name: str = Field(description="structure_clarity, motif_recurrence, harmonic_variety, rhythmic_coherence, dynamics_arc, audio_quality ...")
    score: float = Field(ge=0.0, le=1.0)
    reason: str = Field(default="", description="Why this score, in one sentence with the numbers behind it.")


class Judgement(BaseModel):
    """The Aesthetics Judge's scores, verdict and reasons."""

    dimensions: list[DimensionScore] = Field(default_factory=list)
    overall: float = Field(default=0.0, ge=0.0, le=1.0)
    verdict: Verdict = Verdict.REVISE
    reasons: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list, description="Targeted feedback for the next iteration.")

    def score(self, name: str) -> float | None:
        for dim in self.dimensions:
            if dim.name == name:
                return dim.score
        return None
