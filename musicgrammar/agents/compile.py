"""Compiling the agents with a DSPy optimizer: BootstrapFewShot with the engine as teacher (its decisions
on training requests become the LLM predictors' demonstrations) and the grammar as the metric (a
demonstration is kept only when the engine's output passes the same checks an LLM answer must pass:
the validators, the explicit constraints, the lexicon, the candidates, the measurements)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dspy

from musicgrammar.agents.aesthetics_judge import AestheticsJudge, check_verdict
from musicgrammar.agents.composer import Composer
from musicgrammar.agents.harmony_critic import HarmonyCritic, check_proposals
from musicgrammar.agents.librarian import Librarian, check_choice
from musicgrammar.agents.revision import enforce_constraints
from musicgrammar.agents.strategy import Agent
from musicgrammar.agents.theme_weaver import ThemeWeaver, check_brief
from musicgrammar.errors import UserInputError
from musicgrammar.ontologies import validate_spec

__all__ = ["TRAIN_PROMPTS", "CompileReport", "compile_agents", "default_students"]

# Training requests: varied keys, meters, forms, ensembles and traditions; none is an ablation prompt.
TRAIN_PROMPTS = [
    "a gavotte in D major for string quartet",
    "a melancholy waltz in E minor for accordion",
    "a sea shanty in 6/8 for fiddle and voice",
    "a calm nocturne in Ab major for piano, 90 seconds",
    "a bright reel in G major for flute and bodhran",
    "a hymn in 4/4 at 70 BPM for organ",
    "a mysterious theme in C phrygian for clarinet and strings",
    "a playful scherzo in 3/4 for bassoon and pizzicato strings",
]


@dataclass
class CompileReport:
    """What compiling did: demonstrations kept per agent out of the engine's tries."""

    agents: list[Agent]
    demos: dict[str, int]
    examples: int


def _ok(findings: list[Any]) -> bool:
    return not [f for f in findings if f.severity.value == "error"]


def _metrics() -> dict[str, Callable[[dspy.Example, Any, Any], bool]]:
    """Per role: does the teacher's output pass the checks an LLM answer must pass?"""
    return {
        "theme_weaver": lambda ex, out, trace=None: _ok(check_brief(out.brief)),
        "librarian": lambda ex, out, trace=None: out.grounded and _ok(check_choice([e.id for e in out.exemplars], [e.id for e in out.exemplars], out.facts)),
        "composer": lambda ex, out, trace=None: validate_spec(out.spec).valid and not enforce_constraints(out.spec, ex.brief)[1],
        "harmony_critic": lambda ex, out, trace=None: _ok(check_proposals(ex.spec, out.critique.proposals)),
        "aesthetics_judge": lambda ex, out, trace=None: _ok(check_verdict(out.judgement, out.judgement.verdict)),
    }  # fmt: skip


def _examples(prompts: list[str], seed: int) -> dict[str, list[dspy.Example]]:
    """Each agent's inputs for every training request, from one engine pass of the design flow."""
    from musicgrammar.tools.realize import realize

    weaver, librarian, composer = ThemeWeaver(), Librarian(), Composer()
    examples: dict[str, list[dspy.Example]] = {role: [] for role in _metrics()}
    for index, prompt in enumerate(prompts):
        brief = weaver(prompt=prompt).brief
        hints = librarian(brief=brief).hints
        spec = composer(brief=brief, exemplars=hints, seed=seed + index).spec
        score = realize(spec, seed=seed + index)
        examples["theme_weaver"].append(dspy.Example(prompt=prompt).with_inputs("prompt"))
        examples["librarian"].append(dspy.Example(brief=brief).with_inputs("brief"))
        examples["composer"].append(dspy.Example(brief=brief, exemplars=hints, seed=seed + index).with_inputs("brief", "exemplars", "seed"))
        examples["harmony_critic"].append(dspy.Example(spec=spec, score=score, seed=seed + index).with_inputs("spec", "score", "seed"))
        examples["aesthetics_judge"].append(dspy.Example(spec=spec, score=score).with_inputs("spec", "score"))
    return examples


def compile_agents(students: list[Agent], prompts: list[str] | None = None, *, demos: int = 1, seed: int = 0) -> CompileReport:
    """Compile each student (an agent with an LLM session) against its engine twin as teacher; keeps at
    most `demos` demonstrations per predictor (small local models have small contexts)."""
    if not 1 <= demos <= 8:
        raise UserInputError("must be between 1 and 8", field="--demos")
    prompts = prompts or TRAIN_PROMPTS
    if not prompts:
        raise UserInputError("no training prompts", field="--prompts")
    examples = _examples(prompts, seed)
    metrics = _metrics()
    compiled: list[Agent] = []
    kept: dict[str, int] = {}
    for student in students:
        teacher = type(student)() if not isinstance(student, HarmonyCritic) else HarmonyCritic(harmonizer=student.harmonizer)
        optimizer = dspy.BootstrapFewShot(metric=metrics[student.role], max_bootstrapped_demos=demos, max_labeled_demos=0, max_rounds=1)
        llm = student.llm
        student.llm = None  # the engine teaches; no LLM call is made while compiling
        try:
            program = optimizer.compile(student, teacher=teacher, trainset=examples[student.role])
        finally:
            student.llm = llm
        program.llm = llm
        compiled.append(program)
        kept[student.role] = sum(len(p.demos) for _, p in program.named_predictors())
    return CompileReport(agents=compiled, demos=kept, examples=len(prompts))


def default_students() -> list[Agent]:
    """The five agents, uncompiled, without a session (the session is attached when a run loads them)."""
    return [Librarian(), ThemeWeaver(), Composer(), HarmonyCritic(harmonizer="ff"), AestheticsJudge()]
