"""`musicgrammar judge`: the learned aesthetics model's scores of a rendering (or a run folder)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

__all__ = ["register"]


def judge(
    audio: Path = typer.Argument(..., help="An audio file (WAV, FLAC, OGG...) or a run folder with mix.wav and stems/."),
    stems: Path | None = typer.Option(None, "--stems", help="A folder of per-part WAVs (the lead and the others)."),
    lead: str | None = typer.Option(None, "--lead", help="Which stem is the lead (its file name without .wav)."),
    weights: Path | None = typer.Option(None, "--weights", help="A folder with config.json + model.safetensors, or an ensemble's members.json."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a summary."),
) -> None:
    """Score AUDIO on 1-5 per dimension (harmony, rhythm, coherence, audio quality) and overall, each with an
    interval. A model of how broken a rendering sounds, trained on synthetic degradations, not of taste."""
    from musicgrammar.errors import UserInputError
    from musicgrammar.tools.aesthetics_model.api import score_files

    if not audio.exists():
        raise UserInputError("no such file or folder", path=str(audio))
    if lead is not None and stems is None and not audio.is_dir():
        raise UserInputError("--lead needs --stems (or a run folder)", field="--lead")
    heard = score_files(audio, stems, lead, weights)
    if as_json:
        typer.echo(json.dumps(heard.to_dict()))
        return
    lo, hi = heard.interval
    source = "mix + lead and accompaniment stems (MSAF)" if heard.used_stems else "mix only"
    typer.echo(f"{audio}: overall {heard.overall:.2f}/5 (interval {lo:.2f}-{hi:.2f}) from {source}, "
               f"{heard.windows} window(s) of {heard.window_seconds:g} s")
    for name, dim in heard.dimensions.items():
        a, b = dim["interval"]
        typer.echo(f"  {name:14} {dim['score']:.2f}  [{a:.2f}, {b:.2f}]")
    typer.echo("scale: 5 = sounds like an undamaged rendering, 1 = as broken as the heaviest synthetic degradation")


def register(app: typer.Typer) -> None:
    app.command("judge")(judge)
