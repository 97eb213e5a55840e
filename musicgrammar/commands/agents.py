"""`musicgrammar agents compile`: the agents compiled with a DSPy optimizer, for `compose --agents DIR`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["register"]

agents_app = typer.Typer(help="Compile the LLM agents (BootstrapFewShot, the engine as teacher).", no_args_is_help=True)


@agents_app.command("compile")
def compile_command(
    lm: Annotated[str, typer.Option("--lm", help="The litellm model the compiled agents are for (e.g. openai/smollm2).")],
    out: Annotated[Path, typer.Option("--out", help="A new folder for the compiled agents.")],
    prompts_file: Annotated[Optional[Path], typer.Option("--prompts", help="Training requests, one per line (default: a built-in set of 8).")] = None,
    demos: Annotated[int, typer.Option("--demos", min=1, max=8, help="Demonstrations per agent.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the engine teacher.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
) -> None:
    """Compile the five agents: the engine's decisions on training requests become each LLM predictor's
    demonstrations, kept only when they pass the grammar's checks. Load them with `compose --agents OUT`."""
    from musicgrammar.agents.compile import compile_agents, default_students
    from musicgrammar.agents.compiled import save_compiled
    from musicgrammar.agents.lm import make_lm
    from musicgrammar.errors import UserInputError

    make_lm(lm)  # the model string is checked now, not when a run loads the folder
    if out.is_symlink() or (out.exists() and (not out.is_dir() or any(out.iterdir()))):
        raise UserInputError("exists and is not an empty folder; choose a new --out", path=str(out))
    prompts = None
    if prompts_file is not None:
        try:
            prompts = [line.strip() for line in prompts_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise UserInputError(f"cannot read: {exc}", path=str(prompts_file)) from exc
        if not prompts:
            raise UserInputError("holds no prompt", path=str(prompts_file))
    started = time.perf_counter()
    report = compile_agents(default_students(), prompts, demos=demos, seed=seed)
    info = {"lm": lm, "optimizer": "BootstrapFewShot", "teacher": "engine", "demos_per_agent": report.demos,
            "training_prompts": report.examples, "seed": seed}  # fmt: skip
    save_compiled(report.agents, out, info)
    summary = info | {"out": str(out), "seconds": round(time.perf_counter() - started, 1)}
    if json_out:
        typer.echo(json.dumps(summary))
    else:
        kept = ", ".join(f"{role} {n}" for role, n in report.demos.items())
        typer.echo(f"compiled 5 agents for {lm} from {report.examples} requests (demonstrations: {kept}) into {out}/; "
                   f"use them with: musicgrammar compose \"...\" --lm {lm} --agents {out}")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(agents_app, name="agents")
