"""The chat graph's typed state (checkpointed per thread) and its run context (live, rebuilt per process)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from musicgrammar.ontologies import Consent, CompositionSpec, Score
from musicgrammar.ontologies.edit import Edit, Revision

__all__ = ["ChatTurn", "PendingApproval", "ChatState", "ChatContext", "CHAT_SERIALIZABLE_TYPES"]


class ChatTurn(BaseModel):
    """One exchange: what was asked, what was answered, which revision it left, what changed."""

    request: str
    reply: str
    revision: int = 0
    changed: list[str] = Field(default_factory=list)


class PendingApproval(BaseModel):
    """Edits of a tradition thread waiting for its custodians' decision."""

    request: str
    edits: list[Edit]
    reasons: list[str] = Field(description="What in the edits touches the tradition.")
    custodians: list[str] = Field(default_factory=list)


class ChatState(BaseModel):
    """A chat thread: its revisions (the whole design and notes of each), undo/redo, the
    conversation, the thread's tradition and custodians with their decisions, and the turn in hand."""

    thread_id: str
    seed: int = 0
    tradition: str | None = None
    custodians: list[str] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)
    revisions: list[Revision] = Field(default_factory=list)
    current: int = Field(default=0, description="Number of the revision in hand; 0 before the first piece.")
    redo: list[int] = Field(default_factory=list, description="Revision numbers that redo brings back, last first.")
    turns: list[ChatTurn] = Field(default_factory=list)
    branched_from: str | None = None
    # the turn in hand
    request: str = ""
    kind: str = ""
    edits: list[Edit] = Field(default_factory=list)
    argument: str = ""
    refusal: str = ""
    pending: PendingApproval | None = None
    reply: str = ""
    changed: list[str] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict)
    answer: dict[str, Any] | None = Field(default=None, description="The audio QA answer of a question about the sound (as `ask --json`).")
    branch_to: str | None = None

    def revision(self, number: int | None = None) -> Revision | None:
        wanted = self.current if number is None else number
        return next((r for r in self.revisions if r.number == wanted), None)

    @property
    def spec(self) -> CompositionSpec | None:
        rev = self.revision()
        return rev.spec if rev else None

    @property
    def score(self) -> Score | None:
        rev = self.revision()
        return rev.score if rev else None


def _ontology_types() -> list[tuple[str, str]]:
    """Every model and enum of the grammar: a revision's design holds most of them."""
    import enum

    from musicgrammar import ontologies
    from musicgrammar.ontologies.edit import EditOperation

    classes = [getattr(ontologies, name) for name in ontologies.__all__] + [EditOperation]
    return [(c.__module__, c.__name__) for c in classes if isinstance(c, type) and issubclass(c, (BaseModel, enum.Enum))]


# Types the SQLite checkpointer may rebuild from msgpack when a thread resumes in a new process.
CHAT_SERIALIZABLE_TYPES: list[tuple[str, str]] = [
    (cls.__module__, cls.__name__) for cls in (ChatState, ChatTurn, PendingApproval, Revision, Edit)
] + _ontology_types()


@dataclass
class ChatContext:
    """Live objects of a chat process: the edit reader, the engine or LLM name, where files go."""

    out_dir: Path
    reader: Any  # an agents.edit_reader.EditReader
    lm: str = "local"
    melody: Any = None  # a tools.realize.MelodyStrategy, None for the rule-based one
    progress: Any = None  # a callable(str)
    audio: bool = True  # write WAV files after each change (this process's choice, not the thread's)
    extras: dict[str, Any] = field(default_factory=dict)

    def say(self, step: str) -> None:
        if self.progress:
            self.progress(step)
