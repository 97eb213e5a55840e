"""The Model Context Protocol server: compose, validate, render, harmonize, edit and ask as tools for agent hosts.

Each tool calls the function the CLI command calls (`graphs.runner.compose`, `commands.ontology.
validate_file` / `render_file`, `commands.harmonize.harmonize_file` / `write_two_track_midi`), so the
MCP answers are the CLI's answers. Argument schemas come from the ontology: `constraints` is the
`Constraints` model, and a document to validate is described by the Composition, CompositionSpec
and Score schemas (it is still checked by the grammar's own reader, so a broken document gets
findings rather than a protocol error). `edit` is one turn of `musicgrammar chat` on a thread
(`graphs.chat.ChatSession`), `ask` is `musicgrammar ask` (`graphs.qa.ask`); a thread's tradition is
one of the ontology's traditions. A user's mistake comes back as a one-line tool error.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, WithJsonSchema

from musicgrammar.errors import MusicGrammarError, UserInputError
from musicgrammar.ontologies import Composition, CompositionSpec, Constraints, Score

__all__ = ["build_mcp_server", "TOOL_NAMES"]

TOOL_NAMES = ("compose", "validate", "render", "harmonize", "edit", "ask")
_T = TypeVar("_T")


def _document_schema() -> dict[str, Any]:
    """JSON Schema of a grammar document: any of the three top-level ontology types, with every
    `$ref` written out in place (a tool's argument schema must stand alone)."""
    return {"anyOf": [{"title": model.__name__} | _inline_refs(model.model_json_schema()) for model in (Composition, CompositionSpec, Score)],
            "description": "A Composition, CompositionSpec or Score object (see `musicgrammar ontology schema`)."}  # fmt: skip


def _tradition_schema() -> dict[str, Any]:
    """A new thread's tradition: one of the ontology's traditions, or none."""
    from musicgrammar.ontologies import tradition_catalog

    return {"anyOf": [{"type": "string", "enum": sorted(tradition_catalog())}, {"type": "null"}], "default": None,
            "description": "A new thread's tradition: its changes to lyrics, instruments or modes wait for a custodian's approval."}  # fmt: skip


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.get("$defs", {})

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name in seen:  # a recursive type: stop at any object rather than loop
                    return {"type": "object", "title": name}
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return walk(defs[name], seen + (name,)) | walk(rest, seen)
            return {k: walk(v, seen) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v, seen) for v in node]
        return node

    return walk(schema, ())


def build_mcp_server() -> Any:
    """An `MCPServer` with the six tools registered; `.run()` serves it over stdio."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    import musicgrammar

    server = MCPServer(
        name="musicgrammar", version=musicgrammar.__version__,
        instructions="Compose music from a prompt, validate grammar documents, render scores to audio, "
                     "harmonize melodies, edit a piece in a chat thread, answer questions about a recording. "
                     "Paths are on the machine running the server.",
    )  # fmt: skip

    stores: dict[str, Any] = {}

    def one_line_errors(fn: Callable[[], _T]) -> _T:
        try:
            return fn()
        except MusicGrammarError as exc:  # the CLI's one-line message, as a tool error
            raise ToolError(str(exc)) from exc

    @server.tool()
    def compose(
        prompt: Annotated[str, Field(description="What to compose, in words (may be empty).")],
        out: Annotated[str | None, Field(description="Run folder; default runs/<run id> under the runs_dir setting.")] = None,
        seed: Annotated[int, Field(ge=0, description="The same seed gives the same piece.")] = 0,
        max_iters: Annotated[int, Field(ge=1, le=20, description="Iteration budget of the design loop.")] = 3,
        constraints: Annotated[Constraints | None, Field(description="Explicit overrides: key, meter, tempo_bpm, instruments ...")] = None,
        audio: Annotated[bool, Field(description="Render mix.wav and stems (false: MIDI and MusicXML only).")] = True,
    ) -> dict[str, Any]:
        """Compose a piece from a prompt through the full design loop; returns the run summary with its file paths."""
        from musicgrammar.graphs.runner import compose as run_compose

        def go() -> dict[str, Any]:
            result = run_compose(prompt, out_dir=Path(out) if out else None, seed=seed, max_iters=max_iters,
                                 overrides=constraints, audio=audio)  # fmt: skip
            return result.summary() | {"out_dir": str(result.out_dir), "seconds": round(result.seconds, 2)}

        return one_line_errors(go)

    @server.tool()
    def validate(
        path: Annotated[str | None, Field(description="A grammar JSON file or a MIDI/MusicXML/ABC score to check.")] = None,
        document: Annotated[dict[str, Any] | None, WithJsonSchema(_document_schema())] = None,
    ) -> dict[str, Any]:
        """Check a file or an inline document against the grammar; returns validity and every finding (code, path, message, fix)."""
        from musicgrammar.commands.ontology import validate_file

        if (path is None) == (document is None):
            raise ToolError("give exactly one of path or document")

        def go() -> dict[str, Any]:
            if path is not None:
                kind, report = validate_file(Path(path))
            else:  # the inline document goes through the same reader as a file
                with tempfile.TemporaryDirectory(prefix="musicgrammar-mcp-") as folder:
                    target = Path(folder) / "document.json"
                    target.write_text(json.dumps(document), encoding="utf-8")
                    kind, report = validate_file(target)
            return {"kind": kind, "valid": report.valid, "summary": report.summary(),
                    "findings": [f.model_dump(mode="json") for f in report.findings]}  # fmt: skip

        return one_line_errors(go)

    @server.tool()
    def render(
        path: Annotated[str, Field(description="A Composition or Score JSON file, or a MIDI/MusicXML/ABC score.")],
        out: Annotated[str, Field(description="Output folder (created if missing).")],
        tail: Annotated[float, Field(ge=0, le=10, description="Seconds of release tail after the last bar.")] = 1.5,
        dry: Annotated[bool, Field(description="No reverb or chorus (renders about twice as fast).")] = False,
    ) -> dict[str, Any]:
        """Render a score to score.mid, score.musicxml, mix.wav, stems/<part>.wav and pianoroll.png."""
        from musicgrammar.commands.ontology import render_file

        def go() -> dict[str, Any]:
            result = render_file(Path(path), Path(out), tail=tail, reverb=not dry)
            folder = Path(out)
            return {"out": str(folder), "files": sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()),
                    "duration_s": round(result.duration_s, 3), "music_s": round(result.music_s, 3),
                    "stems": sorted(result.stems), "soundfont": result.soundfont.name if result.soundfont else None}  # fmt: skip

        return one_line_errors(go)

    @server.tool()
    def harmonize(
        melody: Annotated[str, Field(description="Melody file: MIDI, MusicXML or ABC.")],
        out: Annotated[str, Field(description="Where to write the two-track MIDI (melody + chords).")],
        seed: Annotated[int, Field(ge=0, description="Sampling seed (same seed, same chords).")] = 0,
        method: Annotated[Literal["ff", "rules"], Field(description="'ff' (trained model) or 'rules' (diatonic baseline).")] = "ff",
        key: Annotated[str, Field(description="Override the melody's key, e.g. 'F major', 'D dorian'.")] = "",
    ) -> dict[str, Any]:
        """Harmonize a melody, one chord per beat in its key; writes a two-track MIDI and returns key, chords and metrics."""
        from musicgrammar.commands.harmonize import harmonize_file, write_two_track_midi

        def go() -> dict[str, Any]:
            melody_path = Path(melody)
            if not melody_path.exists():
                raise UserInputError("no such file", path=melody)
            result, score = harmonize_file(melody_path, seed=seed, method=method, key=key)
            write_two_track_midi(Path(out), score, result)
            return result.to_json() | {"out": out}

        return one_line_errors(go)

    @server.tool()
    def edit(
        thread: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{1,80}$", description="Chat thread id: resumed if it exists, else started.")],
        request: Annotated[str, Field(min_length=1, max_length=4000, description="A new piece, an edit ('transpose it to E minor', 'slower', 'add a cello'), undo, redo, 'why ...?'.")],
        chat_dir: Annotated[str | None, Field(description="Where threads live (default: the chat_dir setting).")] = None,
        tradition: Annotated[str | None, WithJsonSchema(_tradition_schema())] = None,
        custodians: Annotated[list[str] | None, Field(description="A new thread's custodians, who approve changes to its tradition.")] = None,
        audio: Annotated[bool, Field(description="Render a WAV of the new revision (false: MIDI only).")] = True,
    ) -> dict[str, Any]:
        """One chat turn on a thread; returns the object `musicgrammar chat --json` prints: thread, revision, reply, changed JSON paths, summary (key, meter, tempo_bpm, instruments, bars, duration_s, valid) and files."""
        from musicgrammar.graphs.chat import ChatSession
        from musicgrammar.settings import get_settings

        def go() -> dict[str, Any]:
            session = ChatSession(Path(chat_dir) if chat_dir else get_settings().chat_dir, thread, audio=audio, tradition=tradition,
                                  custodians=custodians)  # fmt: skip
            try:
                return session.turn(request)
            finally:
                session.close()

        return one_line_errors(go)

    @server.tool()
    def ask(
        audio: Annotated[str, Field(description="An audio file (WAV, FLAC, OGG, MP3), a run folder or a composition.json.")],
        question: Annotated[str, Field(min_length=1, description="The question, in English: key, tempo, title, composer, ...")],
        no_retrieval: Annotated[bool, Field(description="Answer from the audio analysis alone (the ablation).")] = False,
    ) -> dict[str, Any]:
        """Answer a question about a piece of music; returns the `musicgrammar ask --json` object: answer, confidence, kind, sources, evidence, hops."""
        from musicgrammar.commands.ask import qa_context, resolve_target
        from musicgrammar.graphs.qa import answer_json
        from musicgrammar.graphs.qa import ask as answer

        def go() -> dict[str, Any]:
            target, piece = resolve_target(Path(audio))
            context = qa_context("local", store=stores.get("store"))
            state = answer(question, audio=target, piece=piece, retrieval=not no_retrieval, context=context)
            stores["store"] = context.store  # opened once, warm for the next question
            assert state.answer is not None  # the graph always ends in the answer node
            return answer_json(state.answer)

        return one_line_errors(go)

    return server
