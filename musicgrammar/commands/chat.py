"""`musicgrammar chat`: talk a piece into shape, one typed edit at a time, in a thread that persists.

On a terminal it is a REPL (line history, multi-line input with a trailing backslash, progress while
a turn works); otherwise it reads one turn per line. `--json` prints one object per turn.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

__all__ = ["register"]

_PROMPT, _MORE = "♪ ", "… "


def _print_turn(out: dict[str, Any], json_out: bool) -> None:
    if json_out:
        typer.echo(json.dumps(out, ensure_ascii=False), nl=True)
        sys.stdout.flush()
        return
    typer.echo(out["reply"])
    s = out["summary"]
    if s["key"] is not None:
        typer.echo(f"  [{out['thread']} r{out['revision']}] {s['key']}, {s['meter']}, {s['tempo_bpm']:g} BPM, {s['bars']} bars, "
                   f"{s['duration_s']:.1f} s, {', '.join(s['instruments'])}{'' if s['valid'] else ', INVALID'}")  # fmt: skip
    for name, path in out["files"].items():
        typer.echo(f"  {name}: {path}")


def _read_turns_tty(history_file: Path):  # type: ignore[no-untyped-def]
    """Lines from a terminal, with readline history; a trailing backslash continues the turn."""
    import readline

    history_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        readline.read_history_file(str(history_file))
    except (FileNotFoundError, OSError):
        pass
    try:
        while True:
            try:
                line = input(_PROMPT)
            except EOFError:
                typer.echo("")
                return
            parts = [line]
            while parts[-1].endswith("\\"):
                parts[-1] = parts[-1][:-1]
                try:
                    parts.append(input(_MORE))
                except EOFError:
                    break
            text = "\n".join(parts).strip()
            if text.lower() in ("quit", "exit", "bye"):
                return
            if text:
                yield text
    finally:
        try:
            readline.write_history_file(str(history_file))
        except OSError:
            pass


def _read_turns_pipe():  # type: ignore[no-untyped-def]
    for line in sys.stdin:
        text = line.strip()
        if text.lower() in ("quit", "exit"):
            return
        if text:
            yield text


def chat_command(
    thread: Annotated[Optional[str], typer.Option("--thread", help="Thread id: resume it, or start it under this id.")] = None,
    lm: Annotated[str, typer.Option("--lm", help="'local' (offline engine) or a litellm model string.")] = "local",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object per turn.")] = False,
    no_audio: Annotated[bool, typer.Option("--no-audio", help="Write MIDI only after each turn ('render' still makes audio).")] = False,
    tradition: Annotated[Optional[str], typer.Option("--tradition", help="A new thread's tradition (e.g. mande): its changes need approval.")] = None,
    custodian: Annotated[Optional[list[str]], typer.Option("--custodian", help="A custodian of the tradition who approves changes (repeatable).")] = None,
    melody: Annotated[str, typer.Option("--melody", help="Melody filler for re-realized sections: 'model' (trained) or 'rules'.")] = "model",
    seed: Annotated[int, typer.Option("--seed", help="Random seed of a new thread.")] = 0,
    chat_dir: Annotated[Optional[Path], typer.Option("--dir", help="Where threads live (default: MUSICGRAMMAR_CHAT_DIR or runs/chat).")] = None,
) -> None:
    """Chat with the composer: a new piece, then edits, undo/redo, branches, exports, 'why' questions."""
    from rich.console import Console

    from musicgrammar.errors import MusicGrammarError
    from musicgrammar.graphs.chat import ChatSession
    from musicgrammar.settings import get_settings

    tty = sys.stdin.isatty()
    console = Console(stderr=True)
    folder = chat_dir or get_settings().chat_dir
    progress = None if json_out and not tty else (lambda step: console.print(f"[dim]… {step}[/dim]"))
    session = ChatSession(folder, thread, lm=lm, audio=not no_audio, seed=seed, tradition=tradition, custodians=custodian,
                          progress=progress, melody=melody)
    failed = 0
    try:
        if tty and not json_out:
            state = session.state()
            count = len(state.revisions) if state else 0
            typer.echo(f"thread {session.thread_id}" + (f" (resumed at r{state.current}, {count} revisions)" if count and state else " (new)")
                       + ": type a request, 'help', or 'quit'.")  # fmt: skip
            question = session.pending()
            if question:
                typer.echo(f"waiting for approval by {', '.join(question['custodians']) or 'the custodians'}: {'; '.join(question['reasons'])}")
        turns = _read_turns_tty(folder / ".history") if tty else _read_turns_pipe()
        for text in turns:
            try:
                out = session.turn(text)
            except MusicGrammarError as exc:  # one bad turn does not end the conversation
                failed += 1
                typer.echo(f"error: {exc}", err=True)
                continue
            _print_turn(out, json_out)
    finally:
        session.close()
    raise typer.Exit(1 if failed and not tty else 0)


def register(app: typer.Typer) -> None:
    app.command("chat")(chat_command)
