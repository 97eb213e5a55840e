"""`POST /api/ask`: a question about an uploaded recording or about one of the studio's runs.

The answer comes from `musicgrammar.graphs.qa.ask`, the function `musicgrammar ask` calls, and the
reply is the object `ask --json` prints. An upload is refused past `MAX_UPLOAD_BYTES` (413, checked
by the guard before the body is read) or past `MAX_AUDIO_SECONDS` of audio (422); it is copied to a
temporary file the server owns and removed once answered. Questions run synchronously in a worker
thread (a warm answer takes a few seconds) and one at a time: the analysis models are shared, and the
exemplar store is opened once and kept warm for the next question.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile

from musicgrammar.errors import MusicGrammarError, UserInputError
from musicgrammar.limits import MAX_AUDIO_SECONDS, MAX_PROMPT_BYTES
from musicgrammar.server.security import resolve_run_dir

__all__ = ["router", "answer_question"]

router = APIRouter(prefix="/api", tags=["ask"])
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
_ASK_LOCK = threading.Lock()


def answer_question(question: str, target: Path, *, retrieval: bool = True, lm: str = "local",
                    store_holder: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """The `ask --json` object for `question` about an audio file, a run folder or a composition.json.

    An audio file longer than MAX_AUDIO_SECONDS is refused before it is decoded; `store_holder`
    keeps the opened exemplar store between calls.
    """
    from musicgrammar.commands.ask import qa_context, resolve_target
    from musicgrammar.graphs.qa import answer_json, ask
    from musicgrammar.tools.listen.audio import check_audio_file

    holder = store_holder if store_holder is not None else {}
    audio, piece = resolve_target(target)
    if piece is None and audio is not None:
        seconds = check_audio_file(audio)
        if seconds > MAX_AUDIO_SECONDS:
            raise UserInputError(f"{seconds:.0f} s of audio; the limit is {MAX_AUDIO_SECONDS:.0f} s (MAX_AUDIO_SECONDS)",
                                 path=str(audio), field="duration")  # fmt: skip
    with _ASK_LOCK:
        context = qa_context(lm, store=holder.get("store"))
        state = ask(question, audio=audio, piece=piece, retrieval=retrieval, context=context)
        holder["store"] = context.store
    assert state.answer is not None  # the graph always ends in the answer node
    return answer_json(state.answer)


@router.post("/ask")
def post_ask(
    request: Request,
    question: Annotated[str, Form(min_length=1, max_length=MAX_PROMPT_BYTES, description="The question, in English.")],
    run_id: Annotated[str | None, Form(description="Ask about this run of the studio (its design and mix).")] = None,
    audio: Annotated[UploadFile | None, File(description="Or an audio file: WAV, FLAC, OGG or MP3.")] = None,
    no_retrieval: Annotated[bool, Form(description="Answer from the audio analysis alone (the ablation).")] = False,
) -> dict[str, Any]:
    """Answer a question about an uploaded recording or a run; returns the `musicgrammar ask --json` object."""
    if (run_id is None) == (audio is None):
        raise HTTPException(status_code=422, detail="give exactly one of run_id or an audio file")
    holder: dict[str, Any] = request.app.state.qa
    try:
        if run_id is not None:
            folder = resolve_run_dir(request.app.state.runs_dir, run_id)
            if folder is None:
                raise HTTPException(status_code=404, detail=f"no run {run_id!r}")
            return answer_question(question, folder, retrieval=not no_retrieval, store_holder=holder)
        assert audio is not None
        return _answer_upload(question, audio, retrieval=not no_retrieval, holder=holder)
    except MusicGrammarError as exc:
        raise HTTPException(status_code=422, detail=str(exc).replace(str(request.app.state.runs_dir.resolve()), "runs")) from exc


def _answer_upload(question: str, upload: UploadFile, *, retrieval: bool, holder: dict[str, Any]) -> dict[str, Any]:
    name = Path(upload.filename or "upload").name or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise HTTPException(status_code=422, detail=f"{name}: not an audio file name (use {', '.join(AUDIO_SUFFIXES)})")
    handle, temp = tempfile.mkstemp(prefix="musicgrammar-ask-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(upload.file, out, length=1024 * 1024)
        return answer_question(question, Path(temp), retrieval=retrieval, store_holder=holder)
    except MusicGrammarError as exc:  # name the user's file, not the server's copy of it
        raise HTTPException(status_code=422, detail=str(exc).replace(temp, name)) from exc
    finally:
        Path(temp).unlink(missing_ok=True)
