"""`musicgrammar ask AUDIO "QUESTION"`: answer a question about a recording or a generated piece,
grounded in the audio analysis and the library, with sources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

__all__ = ["register", "resolve_target", "qa_context"]


def resolve_target(target: Path) -> tuple[Path | None, object | None]:
    """(audio file or None, PieceFacts or None) for an audio file, a run folder or a composition.json."""
    from musicgrammar.agents.audio_qa.engine import PieceFacts
    from musicgrammar.errors import UserInputError
    from musicgrammar.ontologies.files import load_composition

    if not target.exists():
        raise UserInputError("no such file or folder", path=str(target))
    composition_path = None
    if target.is_dir():
        composition_path = target / "composition.json"
        if not composition_path.is_file():
            raise UserInputError("a run folder must hold composition.json", path=str(target))
    elif target.suffix.lower() == ".json":
        composition_path = target
    if composition_path is None:
        return target, None
    comp = load_composition(composition_path)
    piece = PieceFacts.from_design(comp.spec, comp.score, str(composition_path))
    mix = composition_path.parent / "mix.wav"
    return (mix if mix.is_file() else None), piece


def qa_context(lm: str = "local", store: Any = None) -> Any:
    """The QAContext of one question: the offline engine, or the LLM strategy for a litellm model string;
    `store` (an open exemplar store) keeps the library warm across questions."""
    from musicgrammar.graphs.qa import QAContext

    context = QAContext(store=store)
    if lm != "local":
        from musicgrammar.agents.audio_qa.llm import llm_answerer
        from musicgrammar.agents.lm import make_lm
        from musicgrammar.settings import get_settings

        settings = get_settings()
        context.answerer = llm_answerer(make_lm(lm, timeout_s=settings.lm_timeout_s, retries=settings.lm_retries, temperature=0.0))
    return context


def ask_command(
    audio: Path = typer.Argument(..., metavar="AUDIO", help="WAV/FLAC/OGG/MP3 file, a run folder or a composition.json."),
    question: str = typer.Argument(..., metavar="QUESTION", help="The question, in English."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
    lm: str = typer.Option("local", "--lm", help="'local' (offline engine) or a litellm model string."),
    no_retrieval: bool = typer.Option(False, "--no-retrieval", help="Answer from the audio analysis alone."),
    trace: Path | None = typer.Option(None, "--trace", help="Append the graph's trace (JSON lines) to this file."),
) -> None:
    """Answer a question about a piece of music, citing the library works and facts it used."""
    from musicgrammar.graphs.qa import answer_json, answer_lines, ask

    target, piece = resolve_target(audio)
    state = ask(question, audio=target, piece=piece, retrieval=not no_retrieval, context=qa_context(lm), trace_path=trace)
    answer = state.answer
    assert answer is not None  # the graph always ends in the answer node
    if as_json:
        typer.echo(json.dumps(answer_json(answer), indent=2, ensure_ascii=False))
        return
    typer.echo("\n".join(answer_lines(answer)))


def register(app: typer.Typer) -> None:
    app.command("ask")(ask_command)
