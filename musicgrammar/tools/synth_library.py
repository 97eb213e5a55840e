"""Importing pyfluidsynth without its stdout chatter (kept light: the CLI calls it at start-up)."""

from __future__ import annotations

import contextlib
import io
from types import ModuleType

from musicgrammar.errors import ModelError

__all__ = ["import_fluidsynth"]


def import_fluidsynth() -> ModuleType:
    """The pyfluidsynth module, or ModelError when libfluidsynth is missing.

    pyfluidsynth (imported by pretty_midi too) prints where it found the library to stdout whenever
    the CI environment variable is set; that line would corrupt `--json` output and one-line errors,
    so it is discarded. Python caches the module, so the first call decides for the whole process.
    """
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import fluidsynth
    except (ImportError, OSError) as exc:  # pyfluidsynth without libfluidsynth raises ImportError too
        raise ModelError(f"FluidSynth is not available ({exc}); install libfluidsynth3 / fluidsynth") from exc
    return fluidsynth
