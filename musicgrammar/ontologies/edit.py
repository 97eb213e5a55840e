"""Edits of a design: a typed change to one JSON path of a `CompositionSpec`, and the revisions a
chat thread keeps.

Paths are written the way validation findings name them, without the ``spec.`` prefix:
``key``, ``tempo``, ``sections[1].dynamic``, ``ensemble[2]``. An edit is applied to the design's
JSON form and the result is validated as a whole, so an edit can never leave a design that the
grammar would not accept as a file.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies.composition import CompositionSpec
from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum
from musicgrammar.ontologies.score import Score

__all__ = ["EditOperation", "Edit", "EditError", "Revision", "apply_edits", "diff_paths"]

_STEP_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+|-)\]")


@register_enum
class EditOperation(DescribedEnum):
    """What an edit does at its path."""

    SET = "set", "Replace the value at the path (a field, or one element of a list)."
    INSERT = "insert", "Insert the value into a list before the element at the path ('[-]' appends)."
    REMOVE = "remove", "Remove the list element at the path, or clear an optional field."


class Edit(BaseModel):
    """One change to a design: operation, JSON path, the new value, and why."""

    op: EditOperation = Field(description="set, insert or remove.")
    path: str = Field(min_length=1, max_length=200, description="Path in the design, e.g. 'tempo' or 'sections[1].dynamic'.")
    value: Any = Field(default=None, description="The new value as JSON (ignored by remove).")
    reason: str = Field(default="", max_length=500, description="Why the change serves the request.")

    def line(self) -> str:
        shown = "" if self.op is EditOperation.REMOVE else f" = {_short(self.value)}"
        return f"{self.op.value} {self.path}{shown}" + (f" ({self.reason})" if self.reason else "")


class EditError(UserInputError):
    """An edit that cannot apply: the path does not exist or the result breaks the grammar."""


class Revision(BaseModel):
    """One state of a piece in a chat thread: the design, its notes, and how it got here."""

    number: int = Field(ge=1, description="1 for the first piece of the thread, then one per change.")
    parent: int | None = Field(default=None, description="The revision this one was made from.")
    request: str = Field(default="", description="The words that asked for it.")
    edits: list[Edit] = Field(default_factory=list, description="The edits applied to the parent.")
    changed: list[str] = Field(default_factory=list, description="Paths whose value differs from the parent.")
    spec: CompositionSpec
    score: Score
    valid: bool = True
    run_dir: str | None = Field(default=None, description="The design run that made a first revision.")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _steps(path: str) -> list[str | int]:
    """'sections[1].dynamic' -> ['sections', 1, 'dynamic'] ('[-]' is the append position -1)."""
    steps: list[str | int] = []
    for part in path.split("."):
        pos = 0
        for match in _STEP_RE.finditer(part):
            if match.start() != pos:
                raise EditError(f"not a design path: {path!r}", field="path")
            pos = match.end()
            if match.group(1):
                steps.append(match.group(1))
            else:
                steps.append(-1 if match.group(2) == "-" else int(match.group(2)))
        if pos != len(part) or not part:
            raise EditError(f"not a design path: {path!r}", field="path")
    return steps


def _apply_one(data: dict[str, Any], edit: Edit) -> None:
    steps = _steps(edit.path)
    node: Any = data
    for step in steps[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise EditError(f"the design has no {edit.path!r}", field="path") from None
        if node is None:
            raise EditError(f"the design has no {edit.path!r} (its parent is empty)", field="path")
    last = steps[-1]
    if isinstance(last, int):
        if not isinstance(node, list):
            raise EditError(f"{edit.path!r} does not index a list", field="path")
        if edit.op is EditOperation.INSERT:
            node.insert(len(node) if last == -1 else last, copy.deepcopy(edit.value))
            return
        if not -len(node) <= last < len(node):
            raise EditError(f"the design has no {edit.path!r} (the list has {len(node)} entries)", field="path")
        if edit.op is EditOperation.REMOVE:
            del node[last]
        else:
            node[last] = copy.deepcopy(edit.value)
        return
    if not isinstance(node, dict) or (last not in node and edit.op is not EditOperation.SET):
        raise EditError(f"the design has no {edit.path!r}", field="path")
    if edit.op is EditOperation.INSERT:
        raise EditError(f"insert needs a list position, e.g. {edit.path}[0]", field="path")
    node[last] = None if edit.op is EditOperation.REMOVE else copy.deepcopy(edit.value)


def apply_edits(spec: CompositionSpec, edits: list[Edit]) -> CompositionSpec:
    """The design with every edit applied in order, validated as a whole. Raises EditError."""
    data = spec.model_dump(mode="json")
    for edit in edits:
        _apply_one(data, edit)
    try:
        return CompositionSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "spec"
        raise EditError(f"{error['msg']}", field=where) from exc


def diff_paths(before: Any, after: Any, prefix: str = "") -> list[str]:
    """The innermost paths whose values differ between two JSON values (lists of equal length are
    compared element by element; a list that changes length is one changed path)."""
    if isinstance(before, BaseModel):
        before = before.model_dump(mode="json")
    if isinstance(after, BaseModel):
        after = after.model_dump(mode="json")
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in list(before) + [k for k in after if k not in before]:
            out += diff_paths(before.get(key), after.get(key), f"{prefix}.{key}" if prefix else key)
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for index, (a, b) in enumerate(zip(before, after)):
            out += diff_paths(a, b, f"{prefix}[{index}]")
        return out
    return [prefix or "spec"]
