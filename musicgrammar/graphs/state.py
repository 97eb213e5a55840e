"""The design graph's typed state and its run context (kept apart: the state is checkpointed, the
context holds the live agents, settings and output folder and is rebuilt on resume)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, Field

from musicgrammar.agents import AestheticsJudge, Composer, HarmonyCritic, Librarian, LLMSession, ThemeWeaver
from musicgrammar.agents.planning import ExemplarHint
from musicgrammar.limits import MAX_ITERS
from musicgrammar.ontologies import (
    Adjustment,
    Brief,
    CompositionSpec,
    Constraints,
    Finding,
    HarmonyCritique,
    IterationRecord,
    Judgement,
    Score,
    Source,
    ValidationReport,
)

__all__ = ["DesignState", "RunContext", "Trace", "SERIALIZABLE_TYPES"]


class Snapshot(BaseModel):
    """The best valid iteration so far: what the run will deliver if later passes do no better."""

    iteration: int
    spec: CompositionSpec
    score: Score
    overall: float


class DesignState(BaseModel):
    """Everything a design run knows, checkpointed after every node."""

    run_id: str
    prompt: str
    seed: int = 0
    max_iters: int = Field(default=3, ge=MAX_ITERS[0], le=MAX_ITERS[1])
    overrides: Constraints | None = None
    iteration: int = 0
    brief: Brief | None = None
    hints: list[ExemplarHint] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    grounded: bool = False
    spec: CompositionSpec | None = None
    score: Score | None = None
    validation: ValidationReport | None = None
    critique: HarmonyCritique | None = None
    judgement: Judgement | None = None
    feedback: list[Finding] = Field(default_factory=list)
    history: list[IterationRecord] = Field(default_factory=list)
    changes: list[str] = Field(default_factory=list)
    adjustments: list[Adjustment] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    best: Snapshot | None = None
    files: dict[str, str] = Field(default_factory=dict)
    finished: bool = False
    engine: str = "local"
    strategies: dict[str, str] = Field(default_factory=dict, description="Agent -> 'engine', 'llm' or 'engine (fallback: <reason>)'.")
    lm_tokens: int = Field(default=0, description="Prompt plus completion tokens of every LLM call.")


def _state_types(root: type[BaseModel]) -> list[tuple[str, str]]:
    """(module, class) of every model and enum reachable from `root`'s fields, found by walking the
    annotations, so that a type added to the ontology is registered without a list to keep up to date."""
    found: dict[type, None] = {}
    pending: list[Any] = [root]
    while pending:
        tp = pending.pop()
        if isinstance(tp, type) and (issubclass(tp, BaseModel) or issubclass(tp, Enum)):
            if tp in found:
                continue
            found[tp] = None
            if issubclass(tp, BaseModel):
                pending.extend(f.annotation for f in tp.model_fields.values())
        else:
            pending.extend(get_args(tp))
    return [(cls.__module__, cls.__name__) for cls in found]


# Types the SQLite checkpointer may rebuild from msgpack when a run resumes in a new process (an
# unregistered one loads as a plain value, with a "Blocked deserialization" warning).
SERIALIZABLE_TYPES: list[tuple[str, str]] = _state_types(DesignState)


class Trace:
    """trace.jsonl: one line per agent turn (node, iteration, seconds, what went in and came out)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, node: str, iteration: int, seconds: float, **data: Any) -> None:
        record = {"node": node, "iteration": iteration, "seconds": round(seconds, 4), "time": time.time(), **data}
        # O_NOFOLLOW: a link planted at trace.jsonl is refused, never appended through
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")


@dataclass
class RunContext:
    """Live objects of one run: the agents (engine or LLM strategy), the output folder, options."""

    out_dir: Path
    librarian: Librarian
    weaver: ThemeWeaver
    composer: Composer
    critic: HarmonyCritic
    judge: AestheticsJudge
    trace: Trace
    render_audio: bool = True
    melody: Any = None  # a tools.realize.MelodyStrategy, None for the rule-based one
    fail_at: str | None = None  # "node:iteration" raises there once (crash-recovery tests)
    progress: Any = None  # a callable(str) for progress lines
    llm: LLMSession | None = None  # the LLM side of the run (None: every agent uses the engine)
    extras: dict[str, Any] = field(default_factory=dict)
