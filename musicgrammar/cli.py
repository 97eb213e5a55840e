"""The `musicgrammar` command line.

Each command group lives in ``musicgrammar/commands/<name>.py`` and exposes ``register(app)``; heavy
imports stay inside the command functions so that ``musicgrammar --help`` is fast. Every
``MusicGrammarError`` becomes a one-line message on stderr and the error's exit code.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

__all__ = ["app", "main"]

# Offline by default: no hub, no cost-map fetch, no telemetry.
for _key, _value in (
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("LITELLM_LOCAL_MODEL_COST_MAP", "True"),
    ("ANONYMIZED_TELEMETRY", "False"),
    ("TOKENIZERS_PARALLELISM", "false"),
):
    os.environ.setdefault(_key, _value)

app = typer.Typer(
    name="musicgrammar",
    help="MusicGrammar: a typed music grammar, specialist agents and trained model tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Command modules, in help order. A module that is absent is skipped.
COMMAND_MODULES = (
    "ontology",  # validate, render, ontology schema
    "compose",  # compose, run
    "corpus",  # corpus build/search/stats/melody
    "harmonize",  # harmonize
    "profile",  # profile (loss profile)
    "codec",  # tokenize, detokenize
    "llm",  # llm serve (the optional local model)
    "agents",  # agents compile
)

for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"musicgrammar.commands.{_name}")
    except ModuleNotFoundError as exc:  # only a missing command module itself is skipped
        if exc.name != f"musicgrammar.commands.{_name}":
            raise
        continue
    _module.register(app)


def _import_fluidsynth_quietly() -> None:
    """Import pyfluidsynth before any command does, with its CI-only stdout line discarded."""
    from musicgrammar.errors import ModelError
    from musicgrammar.tools.synth_library import import_fluidsynth

    try:
        import_fluidsynth()
    except ModelError:  # no libfluidsynth: rendering reports it when asked
        pass


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning project errors into one line and an exit code."""
    from musicgrammar.errors import MusicGrammarError

    _import_fluidsynth_quietly()

    try:
        # with standalone_mode=False click returns the code of `typer.Exit(n)` instead of exiting
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except MusicGrammarError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors and friends
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
