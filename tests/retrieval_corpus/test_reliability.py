"""Crash safety: a SIGKILLed build leaves the previous store usable; one builder at a time; corrupt
stores are detected."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from musicgrammar.errors import StoreError


def _reopen(path: Path):
    from musicgrammar.retrieval_corpus import store as store_mod

    store_mod._open_cache.clear()
    return store_mod.open_store(path)


def test_sigkilled_build_leaves_a_usable_store(small_store, small_records: list[dict], tmp_path: Path) -> None:
    root = small_store.path.parent.parent
    live_before = (root / "current").resolve()
    records_file = tmp_path / "records.json"
    records_file.write_text(json.dumps(small_records))
    # A second build of the same store that kills itself (SIGKILL, no cleanup) after chroma has
    # written its first batch: the new build folder is half made and never swapped in.
    script = textwrap.dedent(f"""
        import json, os, signal
        import numpy as np
        import musicgrammar.tools.text_embedding as te
        from musicgrammar.retrieval_corpus.store import build_store
        # Crash safety does not depend on the text model: random unit vectors keep this process light.
        te.embed = lambda texts, batch_size=64: np.random.default_rng(0).random((len(texts), 384), np.float32)
        records = json.load(open({str(records_file)!r}))
        def die(done, total):
            os.kill(os.getpid(), signal.SIGKILL)
        build_store(records, {str(root)!r}, progress=die)
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=os.environ.copy(), capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    debris = [p for p in (root / "builds").iterdir() if p.resolve() != live_before]
    assert debris, "the killed build should have started writing a new build folder"
    reopened = _reopen(root)
    assert reopened.path == live_before and reopened.count == len(small_records)
    assert reopened.search("Lutheran chorale", top=1)[0].collection == "bach_chorales"
    # The next build cleans the debris up and swaps in atomically.
    from musicgrammar.retrieval_corpus.store import build_store

    rebuilt = build_store(small_records, root)
    assert rebuilt.path != live_before and rebuilt.count == len(small_records)
    assert not any(p.exists() for p in debris)


def test_second_builder_fails_clearly(small_store, small_records: list[dict]) -> None:
    from filelock import FileLock

    from musicgrammar.retrieval_corpus.store import build_store

    root = small_store.path.parent.parent
    with FileLock(str(root / "build.lock")):
        with pytest.raises(StoreError, match="another build"):
            build_store(small_records[:3], root, lock_timeout=0.2)


def test_corrupt_store_is_detected(small_store, tmp_path: Path) -> None:
    root = small_store.path.parent.parent
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)
    live = (copy / "current").resolve()
    assert live.is_relative_to(copy)
    (live / "manifest.json").write_text("{not json")
    with pytest.raises(StoreError, match="corrupt"):
        _reopen(copy)
    with pytest.raises(StoreError, match="no exemplar store"):
        _reopen(tmp_path / "empty")


def test_corrupt_store_is_rebuilt_with_a_message(small_records: list[dict], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import gzip

    from musicgrammar.retrieval_corpus import api
    from musicgrammar.retrieval_corpus import store as store_mod

    subset = tmp_path / "subset.json.gz"
    with gzip.open(subset, "wt", encoding="utf-8") as fh:
        json.dump({"records": small_records[:8]}, fh)
    monkeypatch.setattr(api, "SUBSET_PATH", subset)
    root = tmp_path / "store"
    first = api.ensure_default_store(root)
    assert first.count == 8 and "building the default one" in capsys.readouterr().err
    (first.path / "melody.npz").unlink()  # damage the live build
    store_mod._open_cache.clear()
    again = api.ensure_default_store(root)
    assert "corrupt" in capsys.readouterr().err and again.path != first.path and again.count == 8


@pytest.mark.slow
def test_packaged_subset_is_a_usable_default_store(tmp_path: Path) -> None:
    from musicgrammar.retrieval_corpus import api

    store = api.ensure_default_store(tmp_path / "store")
    assert store.count >= 500
    assert {"bach_chorales", "essen", "oneills", "ryans", "aird", "palestrina"} <= set(store.manifest["counts"])
    assert api.search("slow minor-key Lutheran hymn", top=3, store=store)[0].collection == "bach_chorales"
