"""The Composer: brief + exemplars (+ feedback) -> `CompositionSpec`.
Anxiety: is there a motif worth remembering, and does it develop?"""

from __future__ import annotations

import dspy

from musicgrammar.agents.lm import predict_validated
from musicgrammar.agents.planning import ExemplarHint, PlanningContext, plan_composition
from musicgrammar.agents.revision import enforce_constraints, revise_spec
from musicgrammar.agents.signatures import ComposeSpec
from musicgrammar.ontologies import Brief, CompositionSpec, Finding, Reharmonization, validate_spec

__all__ = ["Composer"]


class Composer(dspy.Module):
    """Engine: plans from the brief and the exemplars; on later passes revises only what the
    findings name. LLM: writes the spec, retried with the validator's errors fed back; the brief's
    explicit constraints are enforced on the result either way."""

    def __init__(self, lm: dspy.LM | None = None, retries: int = 2) -> None:
        super().__init__()
        self.lm = lm
        self.retries = retries

    def forward(
        self,
        brief: Brief,
        exemplars: list[ExemplarHint],
        seed: int,
        previous: CompositionSpec | None = None,
        feedback: list[Finding] | None = None,
        proposals: list[Reharmonization] | None = None,
    ) -> dspy.Prediction:
        feedback = feedback or []
        ctx = PlanningContext(seed=seed, exemplars=exemplars)
        if self.lm is None:
            if previous is None:
                spec = plan_composition(brief, ctx)
                changes = ["first plan"] + ctx.notes
            else:
                spec, changes = revise_spec(previous, brief, feedback, proposals or [], seed)
            return dspy.Prediction(spec=spec, changes=changes, attempts=1)
        lines = [f"{e.id}: {e.title} (form {e.form.value if e.form else '?'}, meter {e.meter}, mode {e.mode.value if e.mode else '?'})" for e in exemplars]
        spec, errors, attempts = predict_validated(
            ComposeSpec, self.lm, "spec", lambda s: validate_spec(s).findings, retries=self.retries,
            brief=brief, exemplars=lines, feedback=[f"{f.code} at {f.path}: {f.message} Fix: {f.fix}" for f in feedback],
        )  # fmt: skip
        if spec is None:
            spec = plan_composition(brief, ctx)
            return dspy.Prediction(spec=spec, changes=["the LLM gave no parsable design; the engine planned it"], attempts=attempts)
        spec, enforced = enforce_constraints(spec, brief)
        return dspy.Prediction(spec=spec, changes=[f"LLM design after {attempts} attempt(s)"] + enforced, attempts=attempts, errors=errors)
