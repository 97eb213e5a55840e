"""`musicgrammar compose "PROMPT"` (one design run) and `musicgrammar run DESIGN.yaml` (a scripted batch)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from musicgrammar.limits import DURATION_S, MAX_ITERS

__all__ = ["register"]


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


def _note_moved(result: Any) -> None:
    if result.moved_aside is not None:
        typer.echo(f"note: the earlier content of {result.out_dir} was moved to {result.moved_aside}", err=True)


def compose_command(
    prompt: Annotated[Optional[str], typer.Argument(help="What to compose, in words.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: runs/<run id>).")] = None,
    lm: Annotated[Optional[str], typer.Option("--lm", help="'local' (offline engine) or a litellm model string [env MUSICGRAMMAR_LM; default local].")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed (0 .. 2^64-1): the same seed gives the same piece [default 0].")] = None,
    max_iters: Annotated[Optional[int], typer.Option("--max-iters", help=f"Iteration budget of the design loop, {MAX_ITERS[0]}-{MAX_ITERS[1]} [env MUSICGRAMMAR_MAX_ITERS; default 3].")] = None,
    duration: Annotated[Optional[float], typer.Option("--duration", help=f"Target length in seconds ({DURATION_S[0]:g}-{DURATION_S[1]:g}).")] = None,
    fallback: Annotated[Optional[str], typer.Option("--fallback", help="'local': use the engine if the LLM is unreachable.")] = None,
    resume_id: Annotated[Optional[str], typer.Option("--resume", help="Continue an interrupted run (RUN_ID or its folder).")] = None,
    no_audio: Annotated[bool, typer.Option("--no-audio", help="Skip WAV rendering (MIDI and MusicXML only).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Use --out even if it holds other files: they are moved aside to <out>.old-N, never deleted.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
    api_base: Annotated[Optional[str], typer.Option("--api-base", help="Base URL of an OpenAI-compatible server for --lm (e.g. http://127.0.0.1:8765/v1).")] = None,
    lm_timeout: Annotated[Optional[float], typer.Option("--lm-timeout", help="Deadline in seconds of one agent's LLM call, retries included.")] = None,
    agents_dir: Annotated[Optional[Path], typer.Option("--agents", help="A folder of compiled agents (musicgrammar agents compile).")] = None,
) -> None:
    """Compose a piece from a prompt: retrieve, weave, compose, realize, validate, critique, render, judge."""
    from musicgrammar.errors import UserInputError
    from musicgrammar.graphs.options import RunOptions, check_prompt

    if resume_id:
        from musicgrammar.graphs.runner import resume

        result = resume(resume_id, progress=_progress(json_out))
        raise typer.Exit(_print_result(result, json_out))
    if prompt is None:
        raise UserInputError("give a prompt (it may be empty: \"\"), or --resume RUN_ID", field="PROMPT")
    if fallback not in (None, "local"):
        raise UserInputError("the only fallback is 'local'", field="--fallback")
    # everything is checked before a folder is made
    check_prompt(prompt)
    options = RunOptions.build(lm=lm, seed=seed, max_iters=max_iters, duration_s=duration,
                               fallback_local=fallback == "local" or None, audio=False if no_audio else None,
                               lm_api_base=api_base, lm_timeout_s=lm_timeout, agents_dir=str(agents_dir) if agents_dir else None)  # fmt: skip
    from musicgrammar.graphs.runner import compose

    result = compose(prompt, out_dir=out, options=options, force=force, progress=_progress(json_out))
    _note_moved(result)
    raise typer.Exit(_print_result(result, json_out))


def run_command(
    design_path: Annotated[Path, typer.Argument(help="A design YAML file: prompts, overrides, seeds.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the summaries as a JSON list.")] = False,
) -> None:
    """Run a scripted batch: every entry is checked first; a failing entry fails alone; a rerun skips finished
    entries, resumes interrupted ones and retries failed ones. Exit 1 if any entry failed or is invalid."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from musicgrammar.graphs.batch import load_design, run_batch

    design = load_design(design_path)  # the whole file, before anything runs
    with Progress(console=Console(stderr=True), transient=True, disable=json_out) as bar:
        task = bar.add_task("design runs", total=len(design.runs))

        def on_entry(name: str) -> None:
            if bar.tasks[task].description != "design runs":
                bar.advance(task)
            bar.update(task, description=name)

        summaries = run_batch(design, on_entry=on_entry)
    failed = [s for s in summaries if s["status"] == "failed"]
    if json_out:
        typer.echo(json.dumps(summaries, ensure_ascii=False))
    else:
        table = Table(title=f"{len(summaries)} design runs in {design.out}/")
        for column in ("name", "status", "valid", "key", "meter", "tempo", "s", "instruments", "passes", "wall s"):
            table.add_column(column)
        for s in summaries:
            if s["status"] == "failed":
                table.add_row(s["name"], "[red]FAILED[/red]", "-", "", "", "", "", "", "", "")
                continue
            table.add_row(s["name"], s["status"], "yes" if s["valid"] else "NO", s["key"], s["meter"], f"{s['tempo_bpm']:g}",
                          f"{s['duration_s']:.0f}", ", ".join(s["instruments"]), str(s["iterations"]), f"{s['seconds']:.1f}")  # fmt: skip
        console = Console()
        console.print(table)
        for s in failed:
            console.print(f"failed {s['name']}: {s['error']}", style="red", soft_wrap=True, markup=False)
    if failed:  # one line on stderr in both modes, so that scripts see why the exit code is 1
        typer.echo(f"error: {len(failed)} of {len(summaries)} entries failed (first: {failed[0]['name']}: {failed[0]['error']}); "
                   "run the file again to retry them, finished runs are kept", err=True)  # fmt: skip
    raise typer.Exit(0 if all(s["valid"] for s in summaries) else 1)


def register(app: typer.Typer) -> None:
    app.command("compose")(compose_command)
    app.command("run")(run_command)
