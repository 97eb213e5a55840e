"""A studio on a real socket: uvicorn on a free 127.0.0.1 port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Studio:
    url: str
    runs_dir: Path
    token: str | None
    app: object

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def start_studio(runs_dir: Path, **options: object) -> tuple[Studio, object, threading.Thread]:
    import uvicorn

    from musicgrammar.server import create_app

    app = create_app(runs_dir, **options)  # type: ignore[arg-type]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the studio did not start")
        time.sleep(0.05)
    studio = Studio(f"http://127.0.0.1:{port}", runs_dir, options.get("token"), app)  # type: ignore[arg-type]
    return studio, server, thread


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """An open studio (no token) shared by a module's tests."""
    studio, server, thread = start_studio(tmp_path_factory.mktemp("runs"), concurrency=1)
    yield studio
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def locked_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """A studio that needs a bearer token, with a small body limit."""
    studio, server, thread = start_studio(tmp_path_factory.mktemp("locked-runs"), token="s3cret-token-for-tests", max_body_bytes=4096)
    yield studio
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(timeout=30)


UPLOAD_LIMIT = 1_000_000  # the upload_studio's limit: an oversize upload is cheap to send


@pytest.fixture(scope="module")
def upload_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """An open studio whose audio uploads are limited to UPLOAD_LIMIT bytes."""
    studio, server, thread = start_studio(tmp_path_factory.mktemp("upload-runs"), max_upload_bytes=UPLOAD_LIMIT)
    yield studio
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(timeout=30)
