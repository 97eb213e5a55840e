"""Reading and writing ontology objects as JSON files.

Loading checks the size (10 MB at most), reports malformed JSON with its line and column, and turns
a Pydantic `ValidationError` into one `UserInputError` that names the file, the JSON path of the
first error and how many more there are. Saving is atomic (temp file in the same folder, then
`os.replace`). `detect_kind` tells a Composition, a CompositionSpec and a Score apart by their keys.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from musicgrammar.fileio import MAX_INPUT_BYTES, atomic_write, check_input_file
from musicgrammar.errors import UserInputError
from musicgrammar.limits import MAX_JSON_DEPTH
from musicgrammar.ontologies.composition import Composition, CompositionSpec
from musicgrammar.ontologies.score import Score

__all__ = [
    "MAX_JSON_BYTES",
    "Kind",
    "read_json",
    "detect_kind",
    "json_path",
    "describe_validation_error",
    "check_tree",
    "unknown_fields",
    "parse_model",
    "load_model",
    "load_composition",
    "load_spec",
    "load_score_json",
    "load_any",
    "save_json",
]

MAX_JSON_BYTES = MAX_INPUT_BYTES
Kind = Literal["composition", "spec", "score"]
M = TypeVar("M", bound=BaseModel)
_KINDS: dict[str, type[BaseModel]] = {"composition": Composition, "spec": CompositionSpec, "score": Score}
# Top-level keys that annotate a file (test expectations) rather than belong to the grammar.
_ANNOTATION_KEYS = ("expect_codes", "$schema", "comment")


def read_json(path: str | Path) -> Any:
    """Read and parse a JSON file: UserInputError for a missing, empty, huge or malformed file."""
    p = check_input_file(path, MAX_JSON_BYTES)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserInputError(f"not UTF-8 text (byte {exc.start})", path=str(p)) from exc
    except OSError as exc:
        raise UserInputError(f"cannot read file ({exc.strerror})", path=str(p)) from exc
    if not text.strip():
        raise UserInputError("file is empty", path=str(p))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserInputError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", path=str(p)) from exc
    except RecursionError:
        raise UserInputError(f"nested deeper than {MAX_JSON_DEPTH} levels (the limit)", path=str(p)) from None
    check_tree(data, str(p))
    return data


def check_tree(data: Any, source: str) -> None:
    """A parsed JSON or YAML document must nest at most MAX_JSON_DEPTH deep and hold only finite numbers.

    Walks without recursion, so that a hostile file cannot exhaust the stack; errors name the JSON path.
    """
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(data, ())]
    while stack:
        node, loc = stack.pop()
        if len(loc) >= MAX_JSON_DEPTH:
            raise UserInputError(f"nested deeper than {MAX_JSON_DEPTH} levels (the limit)", path=source, field=json_path(loc))
        if isinstance(node, float) and not math.isfinite(node):
            raise UserInputError(f"{node} is not a number (NaN and infinity are not allowed)", path=source, field=json_path(loc))
        if isinstance(node, dict):
            stack.extend((value, loc + (str(key),)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, loc + (index,)) for index, value in enumerate(node))


def unknown_fields(data: Any, model: type[BaseModel]) -> list[str]:
    """JSON paths of the keys in `data` that `model` (or a model nested in it) has no field for."""
    try:
        model.model_validate(data, extra="forbid")
    except ValidationError as exc:
        return [json_path(_clean_loc(e["loc"])) for e in exc.errors(include_url=False) if e["type"] == "extra_forbidden"]
    return []


def detect_kind(data: Any) -> Kind:
    """Which top-level type a parsed JSON object is: 'composition', 'spec' or 'score'."""
    if isinstance(data, dict):
        if "spec" in data and "score" in data:
            return "composition"
        if "sections" in data or "ensemble" in data:
            return "spec"
        if "parts" in data:
            return "score"
    raise ValueError("not a Composition (spec + score), a CompositionSpec (sections, ensemble) or a Score (parts)")


def json_path(loc: tuple[int | str, ...]) -> str:
    """('spec', 'sections', 0, 'progression', 2) -> 'spec.sections[0].progression[2]'."""
    out = ""
    for item in loc:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += f".{item}" if out else str(item)
    return out or "(root)"


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop pydantic's internal union/validator labels (e.g. 'function-after[...]') from a location."""
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))


def describe_validation_error(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    """(JSON path, message) of the first error, the message saying how many more there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = _clean_loc(first["loc"])
    path = json_path(((prefix,) if prefix else ()) + loc)
    message = first["msg"].replace("Value error, ", "")
    more = len(errors) - 1
    if more:
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return path, message


def parse_model(data: Any, model: type[M], source: str = "<data>", unknown: Literal["ignore", "error", "warn"] = "ignore",
                warn: Callable[[str], None] | None = None) -> M:  # fmt: skip
    """Validate parsed JSON as `model`; one UserInputError naming the source and the JSON path.

    `unknown` says what a key the grammar has no field for does: 'error' refuses the file (naming the
    key), 'warn' drops it and calls `warn` with one line, 'ignore' drops it silently.
    """
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in _ANNOTATION_KEYS}
    if unknown != "ignore":
        extra = unknown_fields(data, model)
        if extra and unknown == "error":
            more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
            raise UserInputError(f"unknown field{more}; fix its name, or pass --lenient to drop unknown fields",
                                 path=source, field=extra[0])  # fmt: skip
        for path in extra if warn else ():
            warn(f"{source}: {path}: unknown field dropped")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        path, message = describe_validation_error(exc)
        raise UserInputError(message, path=source, field=path) from exc


def load_model(path: str | Path, model: type[M]) -> M:
    return parse_model(read_json(path), model, str(path))


def load_composition(path: str | Path) -> Composition:
    return load_model(path, Composition)


def load_spec(path: str | Path) -> CompositionSpec:
    return load_model(path, CompositionSpec)


def load_score_json(path: str | Path) -> Score:
    return load_model(path, Score)


def load_any(path: str | Path, unknown: Literal["ignore", "error", "warn"] = "ignore",
             warn: Callable[[str], None] | None = None) -> Composition | CompositionSpec | Score:  # fmt: skip
    """Load whichever of Composition, CompositionSpec or Score the file holds (see `parse_model`)."""
    data = read_json(path)
    try:
        kind = detect_kind(data)
    except ValueError as exc:
        raise UserInputError(str(exc), path=str(path)) from exc
    return parse_model(data, _KINDS[kind], str(path), unknown=unknown, warn=warn)  # type: ignore[return-value]


def save_json(obj: BaseModel, path: str | Path, indent: int = 2) -> Path:
    """Write a model as JSON atomically (a temp file in the same folder, then os.replace)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = obj.model_dump_json(indent=indent, exclude_none=False)
    with atomic_write(target, suffix=".json") as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return target
