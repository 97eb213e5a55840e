"""The `musicgrammar` command line.

Each command group lives in ``musicgrammar/commands/<name>.py`` and exposes ``register(app)``; heavy
imports stay inside the command functions so that ``musicgrammar --help`` is fast. Every
``MusicGrammarError`` becomes a one-line message on stderr and the error's exit code.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

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
    "serve",  # serve (the studio: HTTP API + web page)
    "mcp",  # mcp (Model Context Protocol server over stdio)
    "chat",  # chat (REPL, threads, typed edits, approvals)
    "soundtrack",  # soundtrack (storyboard or video)
    "judge",  # judge (the learned aesthetics model)
    "ask",  # ask (audio question answering)
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


def _click_exception_types() -> tuple[type[BaseException], ...]:
    """Click's exception classes: typer raises those of the click it bundles, not of `import click`."""
    types: list[type[BaseException]] = []
    for module_name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        types.append(module.ClickException)
    return tuple(types)


def _usage_line(exc: Any) -> str:
    """One line for a usage error: the message, and which command's --help to read."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "musicgrammar"
    return f"error: {message} (see `{command} --help`)"


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; every error a user can cause ends as one line on stderr and an exit code.

    Exit codes: 0 done, 1 invalid result, 2 bad input or usage, 3 model error, 4 LLM provider
    unavailable, 5 missing optional dependency, 6 store error, 7 folder busy, 130 interrupted.
    """
    try:
        _main(argv)
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    _leave(code, whole_process=argv is None)


def _leave(code: int | str | None, whole_process: bool) -> None:
    """Exit with ``code``. When an LLM call was abandoned at its deadline (a server that accepted and never
    answered), its client thread may still sit in a socket read, and the client library's exit handlers can
    wait on it: the run is done and its files are closed, so a process that is only this command (the
    console script, ``python -m musicgrammar``) ends without them."""
    lm = sys.modules.get("musicgrammar.agents.lm")  # loaded only by runs that talk to an LLM
    if whole_process and lm is not None and lm.abandoned_calls():
        if isinstance(code, str):
            print(code, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else (0 if code is None else 1))
    if code:
        sys.exit(code)


def _main(argv: list[str] | None) -> None:
    from musicgrammar.errors import MusicGrammarError

    _import_fluidsynth_quietly()
    click_errors = _click_exception_types()

    try:
        # with standalone_mode=False click returns the code of `typer.Exit(n)` instead of exiting
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except MusicGrammarError as exc:
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except click_errors as exc:
        # usage mistakes (bad option value, unknown option or command, missing argument): one line, exit 2
        typer.echo(_usage_line(exc), err=True)
        sys.exit(2)
    except OSError as exc:
        # an input or output path the system refused: name it, in one line
        where = ": ".join(str(part) for part in (exc.filename, exc.filename2) if part)
        typer.echo(f"error: {where + ': ' if where else ''}{exc.strerror or exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
