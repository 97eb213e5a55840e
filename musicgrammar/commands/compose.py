"""`musicgrammar compose "PROMPT"` (one design run) and `musicgrammar run DESIGN.yaml` (a scripted batch)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

__all__ = ["register", "load_design", "BatchRun"]


def _progress(json_out: bool):  # type: ignore[no-untyped-def]
    from rich.console import Console

    console = Console(stderr=True)
    return None if json_out else (lambda step: console.print(f"[dim]… {step}[/dim]"))


def _print_result(result: Any, json_out: bool) -> int:
    summary = result.summary()
    if json_out:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        from rich.console import Console

        console = Console()
        state = "[green]valid[/green]" if summary["valid"] else "[red]INVALID[/red]"
        console.print(f"{state} “{summary['title']}”: {summary['key']}, {summary['meter']}, {summary['tempo_bpm']:g} BPM, "
                      f"{summary['duration_s']:.1f} s, {', '.join(summary['instruments'])} ({summary['iterations']} pass(es), {result.seconds:.1f} s)")  # fmt: skip
        for warning in summary["warnings"]:
            console.print(f"  [yellow]note[/yellow] {warning}")
        console.print(f"Files in {result.out_dir}/ (report: {result.out_dir / 'report.md'})")
    return 0 if summary["valid"] else 1


def compose_command(
    prompt: Annotated[Optional[str], typer.Argument(help="What to compose, in words.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: runs/<run id>).")] = None,
    lm: Annotated[str, typer.Option("--lm", help="'local' (offline engine) or a litellm model string.")] = "local",
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same piece.")] = 0,
    max_iters: Annotated[int, typer.Option("--max-iters", min=1, max=20, help="Iteration budget of the design loop.")] = 3,
    duration: Annotated[Optional[float], typer.Option("--duration", help="Target length in seconds (8-600).")] = None,
    fallback: Annotated[Optional[str], typer.Option("--fallback", help="'local': use the engine if the LLM is unreachable.")] = None,
    resume_id: Annotated[Optional[str], typer.Option("--resume", help="Continue an interrupted run (RUN_ID or its folder).")] = None,
    no_audio: Annotated[bool, typer.Option("--no-audio", help="Skip WAV rendering (MIDI and MusicXML only).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
    api_base: Annotated[Optional[str], typer.Option("--api-base", help="Base URL of an OpenAI-compatible server for --lm (e.g. http://127.0.0.1:8765/v1).")] = None,
    lm_timeout: Annotated[Optional[float], typer.Option("--lm-timeout", help="Deadline in seconds of one agent's LLM call, retries included.")] = None,
    agents_dir: Annotated[Optional[Path], typer.Option("--agents", help="A folder of compiled agents (musicgrammar agents compile).")] = None,
) -> None:
    """Compose a piece from a prompt: retrieve, weave, compose, realize, validate, critique, render, judge."""
    from musicgrammar.errors import UserInputError
    from musicgrammar.graphs.runner import compose, resume
    from musicgrammar.ontologies import Constraints

    if resume_id:
        result = resume(resume_id, progress=_progress(json_out))
        raise typer.Exit(_print_result(result, json_out))
    if prompt is None:
        raise UserInputError("give a prompt (it may be empty: \"\"), or --resume RUN_ID", field="PROMPT")
    if fallback not in (None, "local"):
        raise UserInputError("the only fallback is 'local'", field="--fallback")
    overrides = None
    if duration is not None:
        if not 8 <= duration <= 600:
            raise UserInputError(f"{duration:g} s is outside 8-600 s", field="--duration")
        overrides = Constraints(duration_s=duration)
    result = compose(prompt, out_dir=out, lm=lm, seed=seed, max_iters=max_iters, overrides=overrides,
                     fallback_local=fallback == "local", audio=not no_audio, progress=_progress(json_out),
                     api_base=api_base, lm_timeout_s=lm_timeout, agents_dir=agents_dir)  # fmt: skip
    raise typer.Exit(_print_result(result, json_out))


# ---------------------------------------------------------------------------------------------
# Scripted batches
from pydantic import BaseModel, ConfigDict, Field  # noqa: E402


class BatchRun(BaseModel):
    """One run of a design file: a prompt, its constraint overrides, a seed."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="Run folder name, unique in the file.")
    prompt: str = Field(default="", max_length=100_000)
    seed: int | None = None
    max_iters: int | None = Field(default=None, ge=1, le=20)
    constraints: dict[str, Any] = Field(default_factory=dict, description="Constraint overrides (see Constraints).")


class DesignFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    out: str = Field(default="runs/batch", description="Folder that holds one run folder per entry.")
    seed: int = 0
    max_iters: int = Field(default=3, ge=1, le=20)
    lm: str = "local"
    audio: bool = True
    runs: list[BatchRun] = Field(min_length=1)


def load_design(path: Path) -> DesignFile:
    """Read and check a design YAML file; errors name the file and the field."""
    import yaml
    from pydantic import ValidationError

    from musicgrammar.errors import UserInputError
    from musicgrammar.ontologies import Constraints
    from musicgrammar.ontologies.files import describe_validation_error

    if not path.is_file():
        raise UserInputError("no such file", path=str(path))
    if path.stat().st_size > 10 * 1024 * 1024:
        raise UserInputError("file is over 10 MB", path=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UserInputError(f"not valid YAML: {str(exc).splitlines()[0]}", path=str(path)) from exc
    try:
        design = DesignFile.model_validate(data)
        for index, run in enumerate(design.runs):
            try:
                Constraints.model_validate(run.constraints)
            except ValidationError as exc:
                field, message = describe_validation_error(exc, prefix=f"runs[{index}].constraints")
                raise UserInputError(message, path=str(path), field=field) from exc
    except ValidationError as exc:
        field, message = describe_validation_error(exc)
        raise UserInputError(message, path=str(path), field=field) from exc
    names = [r.name for r in design.runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserInputError(f"duplicate run names: {', '.join(dupes)}", path=str(path), field="runs")
    return design


def run_command(
    design_path: Annotated[Path, typer.Argument(help="A design YAML file: prompts, overrides, seeds.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the summaries as a JSON list.")] = False,
) -> None:
    """Run a scripted batch of design runs: one run folder each, resumable, a summary table at the end."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from musicgrammar.graphs.runner import compose, resume
    from musicgrammar.ontologies import Constraints

    design = load_design(design_path)
    root = Path(design.out)
    summaries: list[dict[str, Any]] = []
    console = Console(stderr=json_out)
    with Progress(console=console, transient=True, disable=json_out) as bar:
        task = bar.add_task("design runs", total=len(design.runs))
        for run in design.runs:
            out = root / run.name
            bar.update(task, description=f"{run.name}")
            if (out / "composition.json").exists() and (out / "report.md").exists():
                from musicgrammar.graphs.runner import RunResult, _resumed_state  # done before: read, don't redo

                result = RunResult(run.name, out, _resumed_state(out), 0.0)
                status = "done before"
            elif (out / "checkpoint.sqlite").exists():
                result, status = resume(out), "resumed"
            else:
                overrides = Constraints.model_validate(run.constraints) if run.constraints else None
                result = compose(run.prompt, out_dir=out, lm=design.lm, seed=design.seed if run.seed is None else run.seed,
                                 max_iters=run.max_iters or design.max_iters, overrides=overrides, audio=design.audio)  # fmt: skip
                status = "ran"
            summary = result.summary() | {"name": run.name, "status": status, "seconds": round(result.seconds, 2)}
            summaries.append(summary)
            bar.advance(task)
    if json_out:
        typer.echo(json.dumps(summaries, ensure_ascii=False))
    else:
        table = Table(title=f"{len(summaries)} design runs in {root}/")
        for column in ("name", "status", "valid", "key", "meter", "tempo", "s", "instruments", "passes", "wall s"):
            table.add_column(column)
        for s in summaries:
            table.add_row(s["name"], s["status"], "yes" if s["valid"] else "NO", s["key"], s["meter"], f"{s['tempo_bpm']:g}",
                          f"{s['duration_s']:.0f}", ", ".join(s["instruments"]), str(s["iterations"]), f"{s['seconds']:.1f}")  # fmt: skip
        Console().print(table)
    raise typer.Exit(0 if all(s["valid"] for s in summaries) else 1)


def register(app: typer.Typer) -> None:
    app.command("compose")(compose_command)
    app.command("run")(run_command)
