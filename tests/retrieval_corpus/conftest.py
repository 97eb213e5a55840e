"""A small exemplar store built once per test session in a temp dir (store and cache dirs set)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Chorales by known number and key, Ryan's jigs and a few Essen songs: enough for every musical
# assertion, small enough to analyse and embed in seconds.
PATTERNS = [
    "bach/bwv66.6.mxl",  # F# minor, BWV 66.6
    "bach/bwv269.mxl",  # Riemenschneider 1, G major
    "bach/bwv38.6.mxl",  # Riemenschneider 10
    "bach/bwv4.8.mxl",  # Riemenschneider 184, E minor
    "bach/bwv40.8.mxl",
    "ryansMammoth/B[aeo]*Jig.abc",
    "essenFolksong/han1.abc#1[0-4]",
]


@pytest.fixture(scope="session")
def store_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point the settings at a session temp dir; yields the store dir."""
    from musicgrammar.settings import get_settings

    root = tmp_path_factory.mktemp("corpus")
    old = {k: os.environ.get(k) for k in ("MUSICGRAMMAR_CACHE_DIR", "MUSICGRAMMAR_STORE_DIR")}
    os.environ["MUSICGRAMMAR_CACHE_DIR"] = str(root / "cache")
    os.environ["MUSICGRAMMAR_STORE_DIR"] = str(root / "store")
    get_settings.cache_clear()
    yield root / "store"
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def small_records(store_env: Path) -> list[dict]:
    from musicgrammar.retrieval_corpus.builder import analyse_items, select_items
    from musicgrammar.settings import get_settings

    items = select_items(["bach_chorales", "ryans", "essen"], None, PATTERNS)
    records, report = analyse_items(items, get_settings().cache_dir, workers=1)
    assert report.counts["bach_chorales"] == 5, report.as_dict()
    return records


@pytest.fixture(scope="session")
def small_store(store_env: Path, small_records: list[dict]):
    from musicgrammar.retrieval_corpus.store import build_store

    return build_store(small_records, store_env)
