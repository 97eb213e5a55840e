"""`musicgrammar serve`: the studio (HTTP API + web page) on uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["register"]


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    token: Annotated[Optional[str], typer.Option("--token", envvar="MUSICGRAMMAR_TOKEN", help="Bearer token every API call must send (env MUSICGRAMMAR_TOKEN).")] = None,
    runs: Annotated[Optional[Path], typer.Option("--runs", help="Runs folder (default: the runs_dir setting).")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=16, help="Design runs at the same time; the rest wait.")] = 1,
    max_waiting: Annotated[int, typer.Option("--max-waiting", min=1, max=10000, help="Queued runs beyond which requests get 429.")] = 100,
) -> None:
    """Serve the studio: compose from a web page, follow the agents live, listen and download."""
    from musicgrammar.errors import MissingExtraError, UserInputError
    from musicgrammar.server.security import check_bind
    from musicgrammar.settings import get_settings

    check_bind(host, token)
    try:
        import uvicorn

        from musicgrammar.server import create_app
    except ModuleNotFoundError as exc:
        raise MissingExtraError(exc.name or "fastapi", extra="server", purpose="musicgrammar serve") from exc
    runs_dir = runs or get_settings().runs_dir
    if runs_dir.exists() and not runs_dir.is_dir():
        raise UserInputError("exists and is not a folder", path=str(runs_dir))
    runs_dir.mkdir(parents=True, exist_ok=True)
    _check_port(host, port)
    app = create_app(runs_dir, token=token, concurrency=concurrency, max_waiting=max_waiting)
    typer.echo(f"MusicGrammar studio on http://{'[' + host + ']' if ':' in host else host}:{port}/ (runs in {runs_dir}/)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _check_port(host: str, port: int) -> None:
    """Fail with one line when the address cannot be bound (port taken, address not on this machine)."""
    import socket

    from musicgrammar.errors import UserInputError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no obstacle
            probe.bind(infos[0][4])
    except OSError as exc:
        raise UserInputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", field="--port") from exc


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
