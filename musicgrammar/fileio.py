"""Safe file handling shared by every reader and writer: input checks that name the file, and
atomic writes (a temp file in the target folder, then `os.replace`), so a failed write never
leaves half a file behind as if it were complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from musicgrammar.errors import UserInputError
from musicgrammar.limits import MAX_INPUT_BYTES

__all__ = ["MAX_INPUT_BYTES", "atomic_write", "check_input_file"]

# The process umask, read once at import (os.umask can only be read by setting it).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def check_input_file(path: str | Path, max_bytes: int = MAX_INPUT_BYTES) -> Path:
    """Existence, type, size and readability of an input file; UserInputError naming the file."""
    p = Path(path)
    if not p.exists():
        raise UserInputError("file not found", path=str(p))
    if not p.is_file():
        raise UserInputError("not a regular file", path=str(p))
    size = p.stat().st_size
    if size == 0:
        raise UserInputError("file is empty", path=str(p))
    if size > max_bytes:
        raise UserInputError(f"file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB", path=str(p))
    if not os.access(p, os.R_OK):
        raise UserInputError("file is not readable", path=str(p))
    return p


@contextlib.contextmanager
def atomic_write(path: str | Path, suffix: str | None = None, make_parents: bool = True) -> Iterator[Path]:
    """Yield a temp path beside `path`; on success it replaces `path`, on failure it is removed.

    With `make_parents=False` a missing output folder is a UserInputError rather than created.
    """
    target = Path(path)
    if target.is_dir():
        raise UserInputError("is a folder; give a file name", path=str(target))
    try:
        if make_parents:
            target.parent.mkdir(parents=True, exist_ok=True)
        elif not target.parent.exists():
            raise UserInputError("the output folder does not exist", path=str(target.parent))
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=target.parent)
    except OSError as exc:
        raise UserInputError(f"cannot write here ({exc.strerror})", path=str(target)) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; outputs get the usual permissions
    try:
        yield tmp
        try:
            os.replace(tmp, target)  # replaces a symbolic link at `target` rather than writing through it
        except OSError as exc:
            raise UserInputError(f"cannot write the file ({exc.strerror})", path=str(target)) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
