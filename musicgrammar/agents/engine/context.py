"""What planning runs with: the seed, the exemplars' habits and the notes it leaves for the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from musicgrammar.ontologies import (
    Cadence,
    FormType,
    Mode,
)

__all__ = ["DEFAULT_DURATION_S", "ExemplarHint", "PlanningContext", "mean"]

DEFAULT_DURATION_S = 45.0


class ExemplarHint(BaseModel):
    """What planning takes from a retrieved exemplar: its identity and its habits."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str = ""
    licence: str = ""
    form: FormType | None = None
    meter: str | None = None
    mode: Mode | None = None
    degrees: tuple[int, ...] = ()  # a chord progression as scale degrees of its key, one per bar
    cadence: Cadence | None = None


@dataclass
class PlanningContext:
    """Run context for planning: the seed and what the loop learned so far."""

    seed: int = 0
    exemplars: Sequence[ExemplarHint] = ()
    notes: list[str] = field(default_factory=list)  # what planning decided and why, for the report


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
