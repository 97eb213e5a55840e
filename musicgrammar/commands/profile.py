"""`musicgrammar profile`: the melody model's per-token loss curve of a piece, with optional noise injection."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from musicgrammar.limits import SEED

__all__ = ["register"]

_SPARK = " ▁▂▃▄▅▆▇█"


def _sparkline(values: list[float], width: int = 72) -> str:
    """A one-line picture of a curve (max-pooled to ``width`` characters)."""
    if not values:
        return ""
    step = max(1, -(-len(values) // width))
    pooled = [max(values[i : i + step]) for i in range(0, len(values), step)]
    lo, hi = min(pooled), max(pooled)
    span = (hi - lo) or 1.0
    return "".join(_SPARK[int((v - lo) / span * (len(_SPARK) - 1))] for v in pooled)


def profile(
    file: Path = typer.Argument(..., help="A .mid, .musicxml or .abc file, or a Composition/Score .json file."),
    inject: str | None = typer.Option(
        None, "--inject", help="Corruption to inject: random_pitches, shuffled_bars or noise_tokens."
    ),
    at: int | None = typer.Option(None, "--at", help="First corrupted bar (0-based; default: the middle bar)."),
    length: int = typer.Option(2, "--length", help="Number of corrupted bars."),
    seed: int = typer.Option(0, "--seed", min=SEED[0], max=SEED[1], help="Seed of the corruption."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (curves included) instead of a summary."),
) -> None:
    """Per-token loss of FILE under the melody model; with --inject, the Peak/Assimilation/Recovery profile."""
    import numpy as np

    from musicgrammar.errors import UserInputError
    from musicgrammar.tools.loss_profile import Corruption, piece_loss_curve, profile_piece
    from musicgrammar.tools.melody_model.convert import load_piece
    from musicgrammar.tools.melody_model.tokenizer import bar_starts

    from musicgrammar.fileio import check_input_file
    from musicgrammar.ontologies.files import read_json

    check_input_file(file)  # exists, readable, within the size limit
    if file.suffix.lower() == ".json":
        read_json(file)  # nesting depth and NaN checked before the melody reader parses it
    piece = load_piece(file)
    if inject is None:
        if at is not None:
            raise UserInputError("--at needs --inject", field="--at")
        tokens, curve = piece_loss_curve(piece)
        starts = bar_starts(tokens) + [len(tokens)]
        per_bar = [float(np.mean(curve[a - 1 : b - 1])) for a, b in zip(starts, starts[1:]) if b - 1 > a - 1]
        result = {"file": str(file), "tokens": len(tokens), "bars": len(starts) - 1,
                  "mean_loss": float(np.mean(curve)), "per_bar_loss": per_bar}
        if as_json:
            typer.echo(json.dumps({**result, "loss": curve.tolist()}))
            return
        typer.echo(f"{file}: {result['tokens']} tokens, {result['bars']} bars, mean loss {result['mean_loss']:.3f} nats/token")
        typer.echo("loss  " + _sparkline(curve.tolist()))
        typer.echo("per-bar loss: " + " ".join(f"{x:.2f}" for x in per_bar))
        return
    try:
        kind = Corruption(inject)
    except ValueError:
        choices = ", ".join(c.value for c in Corruption)
        raise UserInputError(f"unknown corruption {inject!r} (choose {choices})", field="--inject") from None
    prof = profile_piece(piece, kind, at_bar=at, length=length, seed=seed)
    summary = prof.summary()
    if as_json:
        typer.echo(json.dumps({"file": str(file), **summary, "clean": prof.clean, "noisy": prof.noisy,
                               "diff": prof.diff.tolist()}))
        return
    m = prof.meta
    typer.echo(f"{file}: {kind.value} at bar {m['at_bar']} for {m['length']} bar(s); "
               f"{m['tokens_scored']} tokens / {m['bars_scored']} bars scored")
    typer.echo(f"mean loss clean {summary['mean_clean_loss']:.3f}, corrupted {summary['mean_noisy_loss']:.3f} nats/token")
    typer.echo("diff  " + _sparkline(prof.diff.tolist()))
    typer.echo(f"Peak tokens {prof.peak[0]}..{prof.peak[1]}  mean {prof.peak_mean:.3f}  max {prof.peak_max:.3f}  "
               f"area {prof.peak_area:.2f}")
    regions = summary["region_mean_diff"]
    typer.echo(f"Assimilation {prof.assimilation[0]}..{prof.assimilation[1]} (mean diff {regions['assimilation']:.3f}); "
               f"Recovery {prof.recovery[0]}..{prof.recovery[1]} (mean diff {regions['recovery']:.3f})")


def register(app: typer.Typer) -> None:
    app.command("profile")(profile)
