"""Scripted batches of design runs (`musicgrammar run DESIGN.yaml`).

The whole design file is checked before the first run starts: unknown keys (with a did-you-mean), value
ranges, NaN, nesting depth, duplicate names. At run time an entry that fails fails alone: its one-line
error goes into the summary and the batch goes on. The batch folder keeps a record of which entries
finished and which failed, so that running the file again skips the finished ones, resumes interrupted
ones and retries failed ones from a fresh folder (the failed folder is moved aside, not deleted).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from musicgrammar.errors import MusicGrammarError, UserInputError
from musicgrammar.limits import DURATION_S, MAX_INPUT_BYTES, MAX_ITERS, SEED, in_range

__all__ = ["BatchRun", "DesignFile", "load_design", "run_batch", "RECORD_NAME"]

# The batch folder's record of finished and failed entries.
RECORD_NAME = ".musicgrammar-batch.json"


class BatchRun(BaseModel):
    """One run of a design file: a prompt, its constraint overrides, a seed."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", max_length=100, description="Run folder name, unique in the file.")
    prompt: str = Field(default="", max_length=100_000)
    seed: int | None = Field(default=None, ge=SEED[0], le=SEED[1])
    max_iters: int | None = Field(default=None, ge=MAX_ITERS[0], le=MAX_ITERS[1])
    lm: str | None = Field(default=None, min_length=1, description="This entry's engine; default the file's.")
    constraints: dict[str, Any] = Field(default_factory=dict, description="Constraint overrides (see Constraints).")


class DesignFile(BaseModel):
    """A design file: where the run folders go, shared defaults, and the runs."""

    model_config = ConfigDict(extra="forbid")

    out: str = Field(default="runs/batch", min_length=1, description="Folder that holds one run folder per entry.")
    seed: int = Field(default=0, ge=SEED[0], le=SEED[1])
    max_iters: int | None = Field(default=None, ge=MAX_ITERS[0], le=MAX_ITERS[1], description="Default: MUSICGRAMMAR_MAX_ITERS.")
    lm: str | None = Field(default=None, min_length=1, description="Default: MUSICGRAMMAR_LM.")
    audio: bool = True
    runs: list[BatchRun] = Field(min_length=1)


def _check_keys(data: Any, allowed: list[str], source: str, where: Callable[[str], str]) -> None:
    """Refuse a key that is not one of `allowed`, suggesting the closest one."""
    if not isinstance(data, dict):
        return
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(allowed)}"
            raise UserInputError(f"unknown key {key!r}; {hint}", path=source, field=where(str(key)))


def _check_constraints(values: dict[str, Any], source: str, prefix: str) -> Any:
    """The overrides as Constraints, with their ranges checked (the prompt reader clamps; a file must not need it)."""
    from musicgrammar.ontologies import Constraints
    from musicgrammar.ontologies.files import describe_validation_error
    from musicgrammar.ontologies.rhythm import MAX_BPM, MIN_BPM

    allowed = [name for name in Constraints.model_fields if name != "adjustments"]
    _check_keys(values, allowed, source, lambda key: f"{prefix}.{key}")
    try:
        constraints = Constraints.model_validate(values, extra="forbid")
    except ValidationError as exc:
        field, message = describe_validation_error(exc, prefix=prefix)
        raise UserInputError(message, path=source, field=field) from None
    ranges = {"tempo_bpm": (MIN_BPM, MAX_BPM), "duration_s": DURATION_S}
    for name, bounds in ranges.items():
        value = getattr(constraints, name)
        if value is not None and not in_range(value, bounds):
            raise UserInputError(f"{value:g} is outside {bounds[0]:g}-{bounds[1]:g}", path=source, field=f"{prefix}.{name}")
    return constraints


def load_design(path: Path) -> DesignFile:
    """Read and check a whole design YAML file; errors name the file and the field."""
    import yaml

    from musicgrammar.fileio import check_input_file
    from musicgrammar.graphs.options import check_prompt
    from musicgrammar.ontologies.files import check_tree, describe_validation_error

    source = str(path)
    check_input_file(path, MAX_INPUT_BYTES)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UserInputError(f"not UTF-8 text (byte {exc.start})", path=source) from None
    except yaml.YAMLError as exc:
        raise UserInputError(f"not valid YAML: {' '.join(str(exc).split())}", path=source) from None
    except RecursionError:
        raise UserInputError("nested too deeply", path=source) from None
    except OSError as exc:
        raise UserInputError(f"cannot read file ({exc.strerror})", path=source) from None
    if not isinstance(data, dict):
        raise UserInputError("a design file is a mapping with a `runs:` list", path=source)
    check_tree(data, source)
    _check_keys(data, list(DesignFile.model_fields), source, lambda key: key)
    runs = data.get("runs") if isinstance(data.get("runs"), list) else []
    for index, run in enumerate(runs):
        _check_keys(run, list(BatchRun.model_fields), source, lambda key, i=index: f"runs[{i}].{key}")
    try:
        design = DesignFile.model_validate(data)
    except ValidationError as exc:
        field, message = describe_validation_error(exc)
        raise UserInputError(message, path=source, field=field) from None
    for index, run in enumerate(design.runs):
        _check_constraints(run.constraints, source, f"runs[{index}].constraints")
        try:
            check_prompt(run.prompt, field=f"runs[{index}].prompt")
        except UserInputError as exc:
            raise UserInputError(str(exc).split(": ", 1)[1], path=source, field=f"runs[{index}].prompt") from None
    names = [r.name for r in design.runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserInputError(f"duplicate run names: {', '.join(dupes)}", path=source, field="runs")
    root = Path(design.out)
    if root.exists() and not root.is_dir():
        raise UserInputError("exists and is not a folder", path=str(root))
    return design


def _read_record(root: Path) -> dict[str, dict[str, Any]]:
    path = root / RECORD_NAME
    if not path.is_file() or path.is_symlink():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("entries", {}) if isinstance(data, dict) else {}


def _write_record(root: Path, record: dict[str, dict[str, Any]]) -> None:
    from musicgrammar.fileio import atomic_write

    with atomic_write(root / RECORD_NAME, suffix=".json") as tmp:
        tmp.write_text(json.dumps({"entries": record}, indent=1), encoding="utf-8")


def _one_line(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, MusicGrammarError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


def _run_entry(design: DesignFile, run: BatchRun, out: Path, failed_before: bool) -> tuple[Any, str]:
    """Run, resume, retry or read one entry: (RunResult, status)."""
    from musicgrammar.graphs.options import RunOptions
    from musicgrammar.graphs.rundir import is_run_folder, move_aside
    from musicgrammar.graphs.runner import RunResult, _resumed_state, compose, resume
    from musicgrammar.ontologies import Constraints

    status = "ran"
    if is_run_folder(out) and failed_before:
        move_aside(out)  # it failed last time: start afresh, keep the failed folder for inspection
        status = "retried"
    elif is_run_folder(out) and (out / "composition.json").is_file() and (out / "report.md").is_file():
        return RunResult(out.name, out, _resumed_state(out), 0.0), "done before"
    elif is_run_folder(out):
        return resume(out), "resumed"
    options = RunOptions.build(lm=run.lm or design.lm, seed=design.seed if run.seed is None else run.seed,
                               max_iters=run.max_iters or design.max_iters, audio=design.audio)  # fmt: skip
    overrides = Constraints.model_validate(run.constraints) if run.constraints else None
    return compose(run.prompt, out_dir=out, options=options, overrides=overrides), status


def run_batch(design: DesignFile, on_entry: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Run every entry; one summary per entry (failed ones with `status: failed` and `error`)."""
    root = Path(design.out)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"cannot create the batch folder ({exc.strerror})", path=str(root)) from None
    record = _read_record(root)
    summaries: list[dict[str, Any]] = []
    for run in design.runs:
        if on_entry:
            on_entry(run.name)
        out = root / run.name
        failed_before = record.get(run.name, {}).get("status") == "failed"
        try:
            result, status = _run_entry(design, run, out, failed_before)
            summary = result.summary() | {"name": run.name, "status": status, "seconds": round(result.seconds, 2), "error": None}
            record[run.name] = {"status": "done"}
        except Exception as exc:  # one entry's failure, whatever it is, must not stop the others
            line = _one_line(exc)
            summary = {"name": run.name, "status": "failed", "valid": False, "error": line, "run_dir": str(out)}
            record[run.name] = {"status": "failed", "error": line}
        summaries.append(summary)
        _write_record(root, record)
    return summaries
