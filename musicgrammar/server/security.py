"""What keeps the studio safe to run: where it may listen, who may call it, how much they may send,
and which files they may read.

- Bound to loopback by default; any other address refuses to start without a token.
- With a token, every API request needs `Authorization: Bearer <token>` (compared in constant time);
  the page shell (`/`, `/static/*`) and the API description (`/docs`, `/openapi.json`) hold no user
  data and stay readable so that a browser can load the page and then send the token itself.
- Request bodies over a size limit get 413, whether they announce their length or stream it.
- Run files are resolved inside their run folder only; anything else is a 404.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from musicgrammar.errors import UserInputError

__all__ = ["LOCAL_HOSTS", "check_bind", "ApiGuard", "resolve_run_file", "resolve_run_dir", "RUN_ID_PATTERN"]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_TOKEN_CHARS = 16
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
_PUBLIC_PREFIXES = ("/static/",)
_PUBLIC_PATHS = frozenset({"/", "/favicon.ico", "/docs", "/openapi.json", "/docs/oauth2-redirect"})
UPLOAD_PATHS = frozenset({"/api/ask"})  # routes that take an audio file: their own, larger body limit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback address without a token, and a token too short to resist guessing."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise UserInputError(f"the token needs at least {MIN_TOKEN_CHARS} characters", field="--token")
    if host not in LOCAL_HOSTS and not token:
        raise UserInputError(f"refusing to listen on {host} without a token (other machines could reach it)", field="--token")


class ApiGuard:
    """ASGI middleware: bearer-token check and a request-body size limit, before any route runs."""

    def __init__(self, app: ASGIApp, token: str | None, max_body_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_body_bytes if max_upload_bytes is None else max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.expected is not None and not (path in _PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES)):
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):  # constant time: no timing hint about the token
                await _reply(send, 401, "missing or wrong bearer token", {b"www-authenticate": b"Bearer"})
                return
        limit = self.max_upload_bytes if path in UPLOAD_PATHS else self.max_body_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _reply(send, 413, f"the request body is over {limit} bytes")
            return
        await self.app(scope, self._limited(receive, send, limit), send)

    def _limited(self, receive: Receive, send: Send, limit: int) -> Receive:
        """Count streamed body bytes; past the limit the request reads as a disconnect (413 is sent)."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    await _reply(send, 413, f"the request body is over {limit} bytes")
                    return {"type": "http.disconnect"}
            return message

        return counted


async def _reply(send: Send, status: int, detail: str, headers: dict[bytes, bytes] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    head += list((headers or {}).items())
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


def resolve_run_dir(runs_dir: Path, run_id: str) -> Path | None:
    """The folder of run `run_id` under `runs_dir`, or None when the id is malformed or unknown."""
    if not RUN_ID_PATTERN.match(run_id) or run_id in (".", ".."):
        return None
    root = runs_dir.resolve()
    folder = (root / run_id).resolve()
    if folder.parent != root or not (folder / "run.json").is_file():
        return None
    return folder


def resolve_run_file(run_dir: Path, name: str) -> Path | None:
    """`name` (e.g. `mix.wav`, `stems/lead.wav`, `passes/2/mix.wav`) inside `run_dir`, or None.

    The path is fully resolved (symlinks included) and must stay inside the run folder, so `..`,
    absolute paths and links pointing out all come back as None.
    """
    if not name or "\x00" in name or name.startswith(("/", "\\")):
        return None
    root = run_dir.resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target
