"""`musicgrammar mcp`: the Model Context Protocol server over stdio (tools compose, validate, render, harmonize)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def mcp_command() -> None:
    """Serve MusicGrammar's tools to an agent host over stdio (Model Context Protocol)."""
    from musicgrammar.errors import MissingExtraError

    try:
        from musicgrammar.server.mcp_server import build_mcp_server

        server = build_mcp_server()
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("mcp"):
            raise
        raise MissingExtraError("mcp", extra="server", purpose="musicgrammar mcp") from exc
    server.run("stdio")


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp_command)
