"""Test-wide guards: offline (network blocked), one torch thread, caches in a temp dir."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="musicgrammar-tests-"))
for key, value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "DSPY_CACHEDIR": str(_TMP / "dspy"),
    "MUSICGRAMMAR_CACHE_DIR": str(_TMP / "cache"),
}.items():
    os.environ[key] = value

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:  # type: ignore[override]
    """Allow loopback and Unix sockets only: tests must never reach the network."""
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and host not in ("127.0.0.1", "::1", "localhost"):
        raise OSError(f"network access blocked in tests: {address!r}")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # torch is a hard dependency; this only keeps collection alive without it
    pass


@pytest.fixture
def tmp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh MUSICGRAMMAR cache dir for one test."""
    from musicgrammar.settings import get_settings

    monkeypatch.setenv("MUSICGRAMMAR_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield tmp_path / "cache"
    get_settings.cache_clear()
