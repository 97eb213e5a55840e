"""Output folders that are safe by construction.

A run (or a render) writes only inside a folder it made or already owns: an existing non-empty folder
that is not one of its own is refused unless the caller forces it, and then its content is moved aside
(renamed to ``<name>.old-<n>``), never deleted. A folder holding a symbolic link is refused, so that
no write can land outside it. One lock file per folder keeps a second writer (or a second resume) out.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from musicgrammar.errors import RunBusyError, UserInputError

__all__ = ["RUN_META", "LOCK_NAME", "is_run_folder", "prepare_output_folder", "check_no_links", "folder_lock", "move_aside"]

RUN_META = "run.json"
# Present in every folder MusicGrammar made for its output: `{"kind": "run" | "render"}`.
LOCK_NAME = ".musicgrammar.lock"


def _owner_kind(folder: Path) -> str | None:
    """'run' or 'render' when MusicGrammar made this folder, else None."""
    lock = folder / LOCK_NAME
    if lock.is_file() and not lock.is_symlink():
        try:
            kind = json.loads(lock.read_text(encoding="utf-8") or "{}").get("kind")
        except (OSError, ValueError, AttributeError):
            kind = None
        if kind in ("run", "render"):
            return kind
    meta = folder / RUN_META
    if meta.is_file() and not meta.is_symlink():  # run folders made before the lock file existed
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(data, dict) and "run_id" in data and (folder / "checkpoint.sqlite").is_file():
            return "run"
    return None


def is_run_folder(folder: Path) -> bool:
    """True when `folder` holds a MusicGrammar run (finished or not)."""
    return folder.is_dir() and not folder.is_symlink() and _owner_kind(folder) == "run"


def move_aside(folder: Path) -> Path:
    """Rename `folder` to the first free `<name>.old-<n>` beside it; nothing is deleted."""
    for n in range(1, 10_000):
        target = folder.with_name(f"{folder.name}.old-{n}")
        if not target.exists() and not target.is_symlink():
            try:
                folder.rename(target)
            except OSError as exc:
                raise UserInputError(f"cannot move the old content aside ({exc.strerror})", path=str(folder)) from exc
            return target
    raise UserInputError("too many old copies beside it; clean some up", path=str(folder))


def check_no_links(folder: Path) -> None:
    """Refuse a folder that holds a symbolic link anywhere inside: a write could follow it out."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            entry = Path(root) / name
            if entry.is_symlink():
                raise UserInputError("holds a symbolic link; output is never written through links: remove it or choose "
                                     "another folder", path=str(entry))  # fmt: skip


def prepare_output_folder(folder: Path, kind: str, force: bool = False) -> Path | None:
    """Make `folder` ready for output of `kind` ('run' or 'render'); return where old content went, if moved.

    - missing or empty: used;
    - made by an earlier render (kind 'render'): reused, its files are replaced;
    - an earlier run, or anything else that is not empty: refused unless `force`, which moves it aside.
    """
    if folder.is_symlink():
        raise UserInputError("is a symbolic link; give the folder itself", path=str(folder))
    moved: Path | None = None
    if folder.exists():
        if not folder.is_dir():
            raise UserInputError("exists and is not a folder", path=str(folder))
        try:
            empty = next(folder.iterdir(), None) is None
        except OSError as exc:
            raise UserInputError(f"cannot read the folder ({exc.strerror})", path=str(folder)) from exc
        owner = _owner_kind(folder)
        if not empty and not (kind == "render" and owner == "render"):
            if not force:
                if owner == "run":
                    raise UserInputError("already holds a run; continue it with --resume, choose another folder, "
                                         "or pass --force to move it aside", path=str(folder))  # fmt: skip
                raise UserInputError("is not empty and was not made by musicgrammar; choose another folder, or pass "
                                     "--force to move its content aside (nothing is deleted)", path=str(folder))  # fmt: skip
            _refuse_if_busy(folder)  # never move a folder from under a run that is writing to it
            moved = move_aside(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"cannot create the folder ({exc.strerror})", path=str(folder)) from exc
    check_no_links(folder)
    return moved


def _refuse_if_busy(folder: Path) -> None:
    """RunBusyError when another process holds the folder's lock."""
    path = folder / LOCK_NAME
    if not path.is_file() or path.is_symlink():
        return
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RunBusyError("another musicgrammar process is working in this folder; wait for it to finish",
                           path=str(folder)) from None  # fmt: skip
    finally:
        os.close(fd)


@contextlib.contextmanager
def folder_lock(folder: Path, kind: str) -> Iterator[None]:
    """Hold the folder's lock file for the duration; a second holder gets RunBusyError at once."""
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserInputError("is a symbolic link; output is never written through links", path=str(path)) from exc
        raise UserInputError(f"cannot create the lock file ({exc.strerror})", path=str(path)) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunBusyError("another musicgrammar process is working in this folder (a run or a resume); wait for it "
                               "to finish", path=str(folder)) from None  # fmt: skip
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"kind": kind, "pid": os.getpid()}).encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock
