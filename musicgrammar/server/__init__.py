"""The studio: an HTTP API and a web page over the same design graph and tools as the CLI.

`create_app(runs_dir, token=..., concurrency=...)` builds the FastAPI app; `musicgrammar serve`
runs it with uvicorn. Needs the `server` extra (fastapi, uvicorn).
"""

from __future__ import annotations

from musicgrammar.server.app import create_app

__all__ = ["create_app"]
