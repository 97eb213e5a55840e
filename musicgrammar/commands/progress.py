"""Progress for long work: a spinner with elapsed time on stderr, so that stdout (and `--json`) stays clean."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["working"]


@contextlib.contextmanager
def working(message: str, quiet: bool = False) -> Iterator[None]:
    """Show `message` with a spinner on stderr while the block runs (nothing when `quiet` or not a terminal)."""
    if quiet:
        yield
        return
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with console.status(f"{message} …"):
        yield
