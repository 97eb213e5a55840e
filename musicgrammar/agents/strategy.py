"""What every agent shares: the choice between the engine and the LLM strategy, per-agent fallback
to the engine, and the engine acting as teacher when the agents are compiled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import dspy

from musicgrammar.agents.lm import LLMOutputError, LLMSession
from musicgrammar.errors import ProviderUnavailableError

__all__ = ["Agent", "ENGINE", "LLM", "fallback_strategy", "is_fallback", "require_session"]

T = TypeVar("T")

ENGINE = "engine"
LLM = "llm"


def fallback_strategy(reason: str) -> str:
    """How a run reports an agent that fell back: 'engine (fallback: <reason>)'."""
    return f"{ENGINE} (fallback: {reason})"


def is_fallback(strategy: str) -> bool:
    return strategy.startswith(f"{ENGINE} (fallback")


def require_session(session: LLMSession | None) -> LLMSession:
    """The session of an LLM strategy (the strategy is only chosen when there is one)."""
    if session is None:
        raise RuntimeError("the LLM strategy needs an LLMSession")
    return session


class Agent(dspy.Module):
    """A specialist with an engine strategy and, when given an `LLMSession`, an LLM strategy whose
    predictors are attributes (so dspy's save, load and optimizers see them)."""

    role: ClassVar[str] = "agent"

    def __init__(self, llm: LLMSession | None = None) -> None:
        super().__init__()
        self.llm = llm

    def choose(self, by_llm: Callable[[], T], by_engine: Callable[[], T]) -> tuple[T, str]:
        """Run the LLM strategy when there is one, else the engine. With fallback allowed, an agent
        whose model is unreachable, too slow or keeps answering outside the grammar falls back to the
        engine alone, and the returned strategy says why."""
        if self.llm is None:
            return by_engine(), ENGINE
        if self.llm.unavailable is not None and self.llm.fallback_local:
            return by_engine(), fallback_strategy(self.llm.unavailable)
        try:
            return by_llm(), LLM
        except (ProviderUnavailableError, LLMOutputError) as exc:
            if not self.llm.fallback_local:
                raise
            return by_engine(), fallback_strategy(str(exc).removeprefix(f"{self.role}: "))

    @staticmethod
    def teach(predictor: dspy.Predict, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """When a dspy optimizer traces this agent with the engine as teacher, record the engine's
        decision as what the LLM predictor should have answered for these inputs."""
        trace = dspy.settings.trace
        if trace is not None:
            trace.append((predictor, inputs, dspy.Prediction(**outputs)))
