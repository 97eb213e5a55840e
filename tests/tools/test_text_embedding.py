"""The shared MiniLM embedder: shape, unit norm, and meaning (a hymn is nearer a chorale than a jig)."""

from __future__ import annotations

import numpy as np
import pytest


def test_embed_shapes_norms_and_meaning() -> None:
    from musicgrammar.tools.text_embedding import DIM, embed, get_model, is_loaded

    vectors = embed(["a slow Lutheran hymn in a minor key", "a four-part Bach chorale", "a fast Irish jig for fiddle"])
    assert vectors.shape == (3, DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    hymn, chorale, jig = vectors
    assert float(hymn @ chorale) > float(hymn @ jig)
    assert embed([]).shape == (0, DIM)
    assert is_loaded() and get_model() is get_model()  # loaded once per process
    with pytest.raises(TypeError):
        embed("not a list")  # type: ignore[arg-type]
