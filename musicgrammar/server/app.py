"""The studio's FastAPI app: one router per capability, the job queue, the guard and the page.

A capability gets its own router module and one line in `ROUTERS`; the page at `/` is plain
HTML/JS/CSS from `static/` (no build step).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

import musicgrammar
from musicgrammar.limits import MAX_UPLOAD_BYTES
from musicgrammar.server import ask_api, chat_api, compose_api, runs_api
from musicgrammar.server.jobs import JobQueue
from musicgrammar.server.security import ApiGuard

__all__ = ["create_app", "ROUTERS", "DEFAULT_MAX_BODY_BYTES"]

STATIC_DIR = Path(__file__).parent / "static"
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024  # a prompt is at most 1 MB; JSON overhead on top

health = APIRouter(prefix="/api", tags=["health"])


@health.get("/health")
def get_health(request: Request) -> dict[str, Any]:
    """Liveness and load: version, queue counts, concurrency."""
    jobs: JobQueue = request.app.state.jobs
    return {"status": "ok", "version": musicgrammar.__version__, "jobs": jobs.counts(), "concurrency": jobs.concurrency,
            "capabilities": [name for name, _ in ROUTERS]}  # fmt: skip


# capability name -> router
ROUTERS: tuple[tuple[str, APIRouter], ...] = (
    ("health", health),
    ("compose", compose_api.router),
    ("runs", runs_api.router),
    ("chat", chat_api.router),
    ("ask", ask_api.router),
)


def create_app(
    runs_dir: Path,
    *,
    token: str | None = None,
    concurrency: int = 1,
    max_waiting: int = 100,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    chat_dir: Path | None = None,
) -> FastAPI:
    """The app: runs read from and written to `runs_dir`, chat threads in `chat_dir` (default
    `runs_dir/chat`); `token` set means every API call needs it; `max_upload_bytes` bounds an audio
    upload to `/api/ask`, `max_body_bytes` every other request body."""
    jobs = JobQueue(concurrency=concurrency, max_waiting=max_waiting)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    app = FastAPI(title="MusicGrammar studio", version=musicgrammar.__version__, lifespan=lifespan,
                  description="Compose from a prompt, follow the agents, listen to and download the results.")  # fmt: skip
    app.state.jobs = jobs
    app.state.runs_dir = runs_dir
    app.state.chat_dir = chat_dir or runs_dir / "chat"
    app.state.qa = {}  # the exemplar store, opened by the first question and kept for the next
    for _, router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.add_middleware(ApiGuard, token=token, max_body_bytes=max_body_bytes, max_upload_bytes=max_upload_bytes)
    return app
