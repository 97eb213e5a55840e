"""The one exception tree of MusicGrammar.

Caller errors (a bad file, a bad prompt, a bad argument) are kept apart from runtime errors (a model
that fails, a provider that is unreachable), so that the CLI can print a one-line message with the
right exit code and never a traceback for a user's mistake.
"""

from __future__ import annotations

__all__ = [
    "MusicGrammarError",
    "UserInputError",
    "InvalidCompositionError",
    "ModelError",
    "ProviderUnavailableError",
    "MissingExtraError",
    "StoreError",
    "RunBusyError",
]


class MusicGrammarError(Exception):
    """Root of every error MusicGrammar raises on purpose."""

    exit_code: int = 2


class UserInputError(MusicGrammarError):
    """The caller gave something unusable: an unreadable file, a bad field, an impossible value.

    The message names the file and/or the field path, in one line.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None) -> None:
        self.path = path
        self.field = field
        where = ": ".join(part for part in (path, field) if part)
        super().__init__(f"{where}: {message}" if where else message)


class InvalidCompositionError(MusicGrammarError):
    """A composition parsed but breaks the grammar (its validation report has errors)."""

    exit_code = 1


class ModelError(MusicGrammarError):
    """A model or tool failed at run time (missing weights, a shape that cannot be processed)."""

    exit_code = 3


class ProviderUnavailableError(MusicGrammarError):
    """An LLM provider could not be reached or did not answer in time."""

    exit_code = 4


class MissingExtraError(MusicGrammarError):
    """An optional dependency is not installed; the message names the package or extra."""

    exit_code = 5

    def __init__(self, package: str, extra: str | None = None, purpose: str = "") -> None:
        hint = f"pip install 'musicgrammar[{extra}]'" if extra else f"pip install {package}"
        why = f" (needed for {purpose})" if purpose else ""
        super().__init__(f"missing optional dependency {package!r}{why}: {hint}")


class StoreError(MusicGrammarError):
    """The retrieval store is missing, locked by another builder, or corrupt."""

    exit_code = 6


class RunBusyError(MusicGrammarError):
    """Another process holds the folder's lock (a run, or a resume of it, is already working there)."""

    exit_code = 7

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)
