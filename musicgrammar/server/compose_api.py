"""`POST /api/compose`, `GET /api/jobs/{job}` and its SSE stream `GET /api/jobs/{job}/events`.

A compose request becomes a queued job that calls `musicgrammar.graphs.runner.compose`, the same
function as `musicgrammar compose`; the graph's node progress lines become job events.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from musicgrammar.graphs.runner import MAX_PROMPT_BYTES
from musicgrammar.ontologies import Constraints
from musicgrammar.server.jobs import Job, JobQueue, QueueFullError
from musicgrammar.server.runs_api import relative_files

__all__ = ["router", "ComposeRequest"]

router = APIRouter(prefix="/api", tags=["compose"])
_NODE_LINE = re.compile(r"^(?P<node>[a-z_]+)(?: \(pass (?P<pass>\d+)\))?$")
_POLL_S = 0.2  # how often the event stream looks for new events


class ComposeRequest(BaseModel):
    """One design run: the same choices as `musicgrammar compose`."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=MAX_PROMPT_BYTES, description="What to compose, in words (may be empty).")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="The same seed gives the same piece.")
    max_iters: int = Field(default=3, ge=1, le=20, description="Iteration budget of the design loop.")
    lm: str = Field(default="local", max_length=200, description="'local' (offline engine) or a litellm model string.")
    fallback: Literal["local"] | None = Field(default=None, description="'local': use the engine if the LLM is unreachable.")
    audio: bool = Field(default=True, description="Render mix.wav and stems (false: MIDI and MusicXML only).")
    constraints: Constraints | None = Field(default=None, description="Explicit overrides: key, meter, tempo, instruments ...")


class JobAccepted(BaseModel):
    job: str
    run_id: str | None


def _queue(request: Request) -> JobQueue:
    return request.app.state.jobs


def progress_event(line: str) -> dict[str, Any]:
    """A runner progress line ("compose (pass 2)") as an event; any other line is a note."""
    from musicgrammar.graphs.design import NODES

    match = _NODE_LINE.match(line)
    if match and match["node"] in NODES:
        return {"event": "node", "node": match["node"], "pass": int(match["pass"] or 0)}
    return {"event": "note", "message": line}


@router.post("/compose", response_model=JobAccepted, status_code=202)
def post_compose(body: ComposeRequest, request: Request) -> JobAccepted:
    """Queue a design run; poll `/api/jobs/{job}` or follow `/api/jobs/{job}/events`."""
    from musicgrammar.graphs.runner import compose, new_run_id

    runs_dir = request.app.state.runs_dir
    # unique even for identical requests in the same second
    run_id = f"{new_run_id(body.prompt, body.seed)}-{uuid.uuid4().hex[:6]}"

    def work(emit: Any) -> dict[str, Any]:
        result = compose(body.prompt, out_dir=runs_dir / run_id, lm=body.lm, seed=body.seed, max_iters=body.max_iters,
                         overrides=body.constraints, fallback_local=body.fallback == "local", audio=body.audio,
                         progress=lambda line: emit(progress_event(line)))  # fmt: skip
        summary = result.summary()
        summary["files"] = relative_files(result.out_dir)  # names for /api/runs/{id}/files/, never server paths
        summary["seconds"] = round(result.seconds, 2)
        return summary

    try:
        job = _queue(request).submit("compose", work, run_id=run_id)
    except QueueFullError as exc:
        raise HTTPException(status_code=429, detail=str(exc)) from exc
    return JobAccepted(job=job.id, run_id=job.run_id)


def _job(request: Request, job_id: str) -> Job:
    job = _queue(request).get(job_id)
    if job is None:
        raise HTTPException(status_code=404, detail=f"no job {job_id!r}")
    return job


@router.get("/jobs/{job_id}")
def get_job(job_id: str, request: Request) -> dict[str, Any]:
    """`status` is queued, running, done or failed; `error` says why a job failed."""
    return _job(request, job_id).public()


@router.get("/jobs/{job_id}/events", response_class=StreamingResponse)
async def job_events(job_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: queued, running, one `node` per graph step (with its pass), then done or failed."""
    job = _job(request, job_id)
    queue = _queue(request)

    async def stream() -> AsyncIterator[str]:
        index = 0
        while True:
            events = queue.events_since(job, index)
            for event in events:
                yield f"event: {event['event']}\ndata: {json.dumps(event)}\n\n"
            index += len(events)
            if job.ended and not queue.events_since(job, index):
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(_POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
