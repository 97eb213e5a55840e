"""`musicgrammar soundtrack STORYBOARD.yaml|VIDEO`: score a film, cue by cue, on its cuts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["register"]


def soundtrack_command(
    source: Annotated[Path, typer.Argument(help="A storyboard (YAML: title, style, scenes with start/end/description) or a video (mp4, webm, mkv).")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: runs/<run id>); must be new or empty.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same soundtrack.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object (cues and files) instead of text.")] = False,
) -> None:
    """Score a storyboard or a video: an affect curve, one anchor for the film, one cue per scene starting on its cut."""
    from rich.console import Console

    from musicgrammar.commands.compose import _progress
    from musicgrammar.graphs.soundtrack import run_soundtrack

    result = run_soundtrack(source, out_dir=out, seed=seed, progress=_progress(json_out))
    summary = result.summary()
    if json_out:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        out_console = Console()
        state = "[green]valid[/green]" if summary["valid"] else "[red]INVALID[/red]"
        m = summary["measures"]
        out_console.print(f"{state} “{summary['title']}”: {len(summary['cues'])} cues, {summary['key']}, {summary['meter']}, "
                          f"{summary['duration_s']:.1f} s ({result.seconds:.1f} s)")  # fmt: skip
        for cue in summary["cues"]:
            out_console.print(f"  scene {cue['scene']:>3}  {cue['start_s']:8.2f}-{cue['end_s']:8.2f} s  V {cue['valence']:+.2f} A {cue['arousal']:+.2f}  "
                              f"{cue['key']:<12} {cue['tempo_bpm']:6.1f} BPM")  # fmt: skip
        out_console.print(f"  largest cue-start error {m['max_cue_start_error_s']:.3f} s")
        for note in summary["notes"]:
            out_console.print(f"  [yellow]note[/yellow] {note}")
        out_console.print(f"Files in {result.out_dir}/ (report: {result.out_dir / 'report.md'})" + (f", video: {summary['files']['video']}" if "video" in summary["files"] else ""))
    raise typer.Exit(0 if summary["valid"] else 1)


def register(app: typer.Typer) -> None:
    app.command("soundtrack")(soundtrack_command)
