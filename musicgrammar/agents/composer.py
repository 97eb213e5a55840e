"""The Composer: brief + exemplars (+ previous design, findings, proposals) -> `CompositionSpec`.
Anxiety: is there a motif worth remembering, and does it develop?"""

from __future__ import annotations

from dataclasses import dataclass, field

import dspy

from musicgrammar.agents.lm import LLMSession, call_checked
from musicgrammar.agents.planning import ExemplarHint, PlanningContext, plan_composition
from musicgrammar.agents.revision import enforce_constraints, revise_spec
from musicgrammar.agents.signatures import ComposeSpec
from musicgrammar.agents.strategy import Agent, require_session
from musicgrammar.ontologies import Brief, CompositionSpec, Finding, Reharmonization, validate_spec

__all__ = ["Composer", "ComposerOutput", "exemplar_lines", "feedback_lines"]


@dataclass
class ComposerOutput:
    """The design, what changed and why, how many LLM attempts it took, and which strategy made it."""

    spec: CompositionSpec
    changes: list[str] = field(default_factory=list)
    attempts: int = 1
    strategy: str = "engine"


def exemplar_lines(exemplars: list[ExemplarHint]) -> list[str]:
    return [f"{e.id}: {e.title} (form {e.form.value if e.form else '?'}, meter {e.meter}, mode {e.mode.value if e.mode else '?'})" for e in exemplars]


def feedback_lines(findings: list[Finding]) -> list[str]:
    return [f"{f.code} at {f.path}: {f.message}" + (f" Fix: {f.fix}" if f.fix else "") for f in findings]


class Composer(Agent):
    """Engine: plans from the brief and the exemplars; on later passes revises only what the
    findings name. LLM: writes (or revises) the spec, checked by the validators and retried with their
    errors fed back. The brief's explicit constraints are enforced on the result either way."""

    role = "composer"

    def __init__(self, llm: LLMSession | None = None) -> None:
        super().__init__(llm)
        self.write = dspy.Predict(ComposeSpec)

    def forward(
        self,
        brief: Brief,
        exemplars: list[ExemplarHint],
        seed: int,
        previous: CompositionSpec | None = None,
        feedback: list[Finding] | None = None,
        proposals: list[Reharmonization] | None = None,
    ) -> ComposerOutput:
        feedback, proposals = feedback or [], proposals or []
        inputs = {"brief": brief, "exemplars": exemplar_lines(exemplars), "previous": previous,
                  "proposals": proposals, "feedback": feedback_lines(feedback)}  # fmt: skip

        def by_engine() -> ComposerOutput:
            if previous is None:
                ctx = PlanningContext(seed=seed, exemplars=exemplars)
                spec = plan_composition(brief, ctx)
                changes = ["first plan"] + ctx.notes
            else:
                spec, changes = revise_spec(previous, brief, feedback, proposals, seed)
            self.teach(self.write, inputs, {"spec": spec})
            return ComposerOutput(spec=spec, changes=changes)

        def by_llm() -> ComposerOutput:
            session = require_session(self.llm)
            answer = call_checked(session, self.role, self.write, lambda a: validate_spec(a.spec).findings,
                                  feedback_field="feedback", **inputs)  # fmt: skip
            attempts = session.calls[-1].attempts
            spec, enforced = enforce_constraints(answer.spec, brief)
            return ComposerOutput(spec=spec, changes=[f"LLM design after {attempts} attempt(s)"] + enforced, attempts=attempts)

        out, strategy = self.choose(by_llm, by_engine)
        out.strategy = strategy
        return out
