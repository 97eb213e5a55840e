"""The studio: an HTTP API and a web page over the same design graph and tools as the CLI, and the
MCP server for agent hosts.

`create_app(runs_dir, token=..., concurrency=...)` builds the FastAPI app (`musicgrammar serve`
runs it with uvicorn); `mcp_server.build_mcp_server()` builds the MCP server (`musicgrammar mcp`).
Both need the `server` extra; each is imported only when used, so the MCP server does not need
FastAPI loaded and the CLI starts without either.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from musicgrammar.server.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
