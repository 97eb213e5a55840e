"""Reading and writing ontology objects as JSON files.

Loading checks the size (10 MB at most), reports malformed JSON with its line and column, and turns
a Pydantic `ValidationError` into one `UserInputError` that names the file, the JSON path of the
first error and how many more there are. Saving is atomic (temp file in the same folder, then
`os.replace`). `detect_kind` tells a Composition, a CompositionSpec and a Score apart by their keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from musicgrammar.fileio import MAX_INPUT_BYTES, atomic_write, check_input_file
from musicgrammar.errors import UserInputError
from musicgrammar.ontologies.composition import Composition, CompositionSpec
from musicgrammar.ontologies.score import Score

__all__ = [
    "MAX_JSON_BYTES",
    "Kind",
    "read_json",
    "detect_kind",
    "json_path",
    "describe_validation_error",
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
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserInputError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", path=str(p)) from exc


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


def describe_validation_error(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    """(JSON path, message) of the first error, the message saying how many more there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    # Drop pydantic's internal union/validator labels (e.g. 'function-after[...]') from the path.
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    path = json_path(((prefix,) if prefix else ()) + loc)
    message = first["msg"].replace("Value error, ", "")
    more = len(errors) - 1
    if more:
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return path, message


def parse_model(data: Any, model: type[M], source: str = "<data>") -> M:
    """Validate parsed JSON as `model`; one UserInputError naming the source and the JSON path."""
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in _ANNOTATION_KEYS}
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


def load_any(path: str | Path) -> Composition | CompositionSpec | Score:
    """Load whichever of Composition, CompositionSpec or Score the file holds."""
    data = read_json(path)
    try:
        kind = detect_kind(data)
    except ValueError as exc:
        raise UserInputError(str(exc), path=str(path)) from exc
    return parse_model(data, _KINDS[kind], str(path))  # type: ignore[return-value]


def save_json(obj: BaseModel, path: str | Path, indent: int = 2) -> Path:
    """Write a model as JSON atomically (a temp file in the same folder, then os.replace)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = obj.model_dump_json(indent=indent, exclude_none=False)
    with atomic_write(target, suffix=".json") as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return target
