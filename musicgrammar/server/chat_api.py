"""`POST /api/threads`, `POST /api/threads/{id}/turns`, `GET /api/threads/{id}` and the thread's files.

Each call opens `musicgrammar.graphs.chat.ChatSession`, the object `musicgrammar chat` talks to, so a
turn here is the CLI's turn: same graph, same SQLite threads (under the app's chat folder), same
JSON object per turn, except that `files` are names inside the thread folder (served by
`/api/threads/{id}/files/{name}`), never server paths.

Turns run synchronously in FastAPI's worker threads rather than through the job queue: an edit takes
a second or two and its reply is what the musician waits for, while the queue holds design runs of
minutes; a turn queued behind twenty compose jobs would leave the chat panel silent. Turns on one
thread are serialized by a per-thread lock (a thread's revisions form one line); turns on different
threads run side by side.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from musicgrammar.errors import MusicGrammarError
from musicgrammar.server.runs_api import SERVED_SUFFIXES, relative_files
from musicgrammar.server.security import RUN_ID_PATTERN, resolve_run_file

__all__ = ["router", "NewThread", "TurnRequest", "run_turn"]

router = APIRouter(prefix="/api/threads", tags=["chat"])
_THREAD_ID = r"[A-Za-z0-9_\-]{1,80}"  # what ChatSession accepts
_locks_guard = threading.Lock()
_locks: dict[tuple[str, str], threading.Lock] = {}


class NewThread(BaseModel):
    """A new chat thread, with the choices of `musicgrammar chat` for a new thread."""

    model_config = ConfigDict(extra="forbid")

    thread: str | None = Field(default=None, pattern=f"^{_THREAD_ID}$", description="Thread id (default: a time stamp).")
    tradition: str | None = Field(default=None, max_length=80, description="The thread's tradition (e.g. mande): its changes need approval.")
    custodians: list[str] = Field(default_factory=list, max_length=20, description="Custodians of the tradition who approve changes.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed of the thread's pieces.")


class TurnRequest(BaseModel):
    """One turn: what a musician would type to `musicgrammar chat`."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000, description="A new piece, an edit, undo/redo, 'why ...?', render, export ...")
    audio: bool = Field(default=True, description="Render a WAV of the new revision (false: MIDI only).")
    melody: str = Field(default="model", pattern="^(model|rules)$", description="Melody filler for re-realized sections.")
    lm: str = Field(default="local", max_length=200, description="'local' (offline engine) or a litellm model string.")


def _chat_dir(request: Request) -> Path:
    return request.app.state.chat_dir


def _lock(chat_dir: Path, thread: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((str(chat_dir), thread), threading.Lock())


def _session(chat_dir: Path, thread: str | None, **options: Any) -> Any:
    from musicgrammar.graphs.chat import ChatSession

    try:
        return ChatSession(chat_dir, thread, **options)
    except MusicGrammarError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


def _read_thread(request: Request, thread: str) -> tuple[Any, dict[str, Any] | None]:
    """(ChatState, pending approval or None) of an existing thread, else a 404; nothing is created
    (a ChatSession would start a thread that does not exist)."""
    from musicgrammar.graphs.chat import build_chat_graph
    from musicgrammar.graphs.chat_state import CHAT_SERIALIZABLE_TYPES, ChatState
    from musicgrammar.graphs.design import open_checkpointer

    database = _chat_dir(request) / "threads.sqlite"
    if not RUN_ID_PATTERN.match(thread) or not database.is_file():
        raise HTTPException(status_code=404, detail=f"no thread {thread!r}")
    checkpointer = open_checkpointer(database, CHAT_SERIALIZABLE_TYPES)
    try:
        snapshot = build_chat_graph(checkpointer).get_state({"configurable": {"thread_id": thread}})
    finally:
        checkpointer.conn.close()
    if not snapshot.values:
        raise HTTPException(status_code=404, detail=f"no thread {thread!r}")
    pending = next((dict(item.value) for task in snapshot.tasks for item in task.interrupts), None)
    return ChatState.model_validate(snapshot.values), pending


def run_turn(chat_dir: Path, thread: str, text: str, **options: Any) -> dict[str, Any]:
    """One turn on `thread` under the thread's lock; `files` relative to the thread folder."""
    with _lock(chat_dir, thread):
        session = _session(chat_dir, thread, **options)
        try:
            out = session.turn(text)
        finally:
            session.close()
    folder = (chat_dir / out["thread"]).resolve()
    out["files"] = {kind: _inside(folder, path) for kind, path in out["files"].items()}
    return out


def _inside(folder: Path, path: str) -> str:
    target = Path(path).resolve()
    return str(target.relative_to(folder)) if target.is_relative_to(folder) else target.name


@router.post("", status_code=201)
def create_thread(body: NewThread, request: Request) -> dict[str, Any]:
    """Open a thread (an existing id is resumed, as `chat --thread ID` does); its first turn makes a piece."""
    thread = body.thread or time.strftime("t%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]  # unique within a second too
    session = _session(_chat_dir(request), thread, seed=body.seed, tradition=body.tradition, custodians=body.custodians)
    try:
        state = session.state()
        return {"thread": session.thread_id, "revision": state.current if state else 0,
                "tradition": state.tradition if state else None, "custodians": state.custodians if state else []}  # fmt: skip
    finally:
        session.close()


@router.post("/{thread}/turns")
def post_turn(thread: str, body: TurnRequest, request: Request) -> dict[str, Any]:
    """One turn; returns the object `musicgrammar chat --json` prints for it. A turn that cannot apply is a 422."""
    _read_thread(request, thread)
    try:
        return run_turn(_chat_dir(request), thread, body.text, audio=body.audio, melody=body.melody, lm=body.lm)
    except MusicGrammarError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


@router.get("/{thread}")
def get_thread(thread: str, request: Request) -> dict[str, Any]:
    """The thread's revisions (request, edits, changed paths, key, tempo), the one in hand, its summary,
    the conversation, a pending approval, and the files of its revisions."""
    from musicgrammar.graphs import chat_answers as answers

    state, pending = _read_thread(request, thread)
    revisions = [{"number": r.number, "parent": r.parent, "request": r.request, "changed": r.changed, "valid": r.valid,
                  "edits": [e.model_dump(mode="json") for e in r.edits], "key": str(r.spec.key), "tempo_bpm": r.spec.tempo.bpm}
                 for r in state.revisions]  # fmt: skip
    folder = _chat_dir(request) / thread
    return {"thread": thread, "current": state.current, "summary": answers.summary(state), "revisions": revisions,
            "turns": [t.model_dump(mode="json") for t in state.turns], "tradition": state.tradition,
            "custodians": state.custodians, "pending": pending, "branched_from": state.branched_from,
            "files": relative_files(folder) if folder.is_dir() else []}  # fmt: skip


@router.get("/{thread}/files/{name:path}")
def get_thread_file(thread: str, name: str, request: Request) -> FileResponse:
    """A file a thread wrote (`r3/mix.wav`, `r3/score.mid`, `r3/pianoroll.png`); anything else is a 404."""
    if not RUN_ID_PATTERN.match(thread):
        raise HTTPException(status_code=404, detail=f"no thread {thread!r}")
    folder = _chat_dir(request) / thread
    target = resolve_run_file(folder, name) if folder.is_dir() else None
    if target is None or target.suffix.lower() not in SERVED_SUFFIXES:
        raise HTTPException(status_code=404, detail=f"no file {name!r} in thread {thread!r}")
    return FileResponse(target, media_type=SERVED_SUFFIXES[target.suffix.lower()], filename=target.name,
                        content_disposition_type="inline")  # fmt: skip
