"""The library's small public API (what the Librarian agent and the CLI call).

``search`` (text), ``melody_search`` (a tune, whatever its key and tempo), ``build`` (corpus -> store),
``ensure_default_store`` (a usable store fast: built from the packaged subset when none exists or
the existing one is corrupt), ``stats`` and ``get_melody``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from musicgrammar.errors import StoreError, UserInputError
from musicgrammar.retrieval_corpus.exemplar import Exemplar
from musicgrammar.retrieval_corpus.features import Melody
from musicgrammar.retrieval_corpus.store import Store, build_store, open_store, store_root, warn

__all__ = [
    "SUBSET_PATH",
    "build",
    "ensure_default_store",
    "get_melody",
    "load_query_melody",
    "melody_search",
    "search",
    "similar",
    "stats",
]

SUBSET_PATH = Path(__file__).parent / "data" / "default_subset.json.gz"
_MELODY_EXT = {".mid", ".midi", ".musicxml", ".xml", ".mxl", ".abc", ".krn"}


def build(
    collections: list[str] | None = None,
    limit: int | None = None,
    patterns: list[str] | None = None,
    workers: int = 2,
    path: Path | None = None,
    lock_timeout: float = 10.0,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[Store, dict[str, Any]]:
    """Analyse the corpus selection (cached) and write it as the live store; returns (store, report).
    ``progress(stage, done, total)`` with stage 'analyse' or 'store'."""
    from musicgrammar.retrieval_corpus.builder import analyse_items, select_items
    from musicgrammar.settings import get_settings

    items = select_items(collections, limit, patterns)
    if not items:
        raise UserInputError("the selection matches no corpus item", field="collections")
    records, report = analyse_items(
        items, get_settings().cache_dir, workers=workers,
        progress=(lambda d, t: progress("analyse", d, t)) if progress else None,
    )
    rep = report.as_dict()
    store = build_store(records, path, lock_timeout=lock_timeout, report=rep,
                        progress=(lambda d, t: progress("store", d, t)) if progress else None)
    return store, rep


def _subset_records() -> list[dict[str, Any]]:
    if not SUBSET_PATH.exists():
        raise StoreError(f"the packaged exemplar subset is missing ({SUBSET_PATH}); run `musicgrammar corpus build --limit 500`")
    with gzip.open(SUBSET_PATH, "rt", encoding="utf-8") as fh:
        return json.load(fh)["records"]


def ensure_default_store(path: Path | None = None, lock_timeout: float = 120.0) -> Store:
    """The live store; when there is none, or it is corrupt, build one from the packaged subset
    (about a thousand exemplars, a few seconds) and say so on stderr."""
    try:
        return open_store(path)
    except StoreError as exc:
        root = store_root(path)
        corrupt = (root / "current").exists()
        if corrupt:
            warn(f"{exc}; rebuilding from the packaged subset")
        else:
            warn(f"no exemplar store at {root}; building the default one from the packaged subset")
    return build_store(_subset_records(), path, lock_timeout=lock_timeout, report={"source": "packaged subset"},
                       keep_valid=True)


def search(query: str, where: dict[str, Any] | None = None, top: int = 5, store: Store | None = None) -> list[Exemplar]:
    """Text search over exemplar descriptions with optional metadata filters; best first, with score."""
    return (store or ensure_default_store()).search(query, where=where, top=top)


def _melody_from_midi(path: Path) -> Melody:
    import pretty_midi

    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:
        raise UserInputError(f"not a readable MIDI file ({exc})", path=str(path)) from exc
    notes = []
    for inst in pm.instruments:
        if inst.is_drum:
            continue
        for n in inst.notes:
            # Times in beats of the file's tempo map: a uniform tempo change leaves them unchanged,
            # and the search itself is tempo-invariant anyway.
            start = float(pm.time_to_tick(n.start)) / pm.resolution
            end = float(pm.time_to_tick(n.end)) / pm.resolution
            notes.append((int(n.pitch), start, max(end - start, 1e-3)))
    return _skyline(notes)


def _skyline(notes: list[tuple[int, float, float]]) -> Melody:
    """The top line of possibly polyphonic notes: at each onset the highest pitch, and a note that
    starts while a higher one still sounds is dropped (it belongs to a lower voice)."""
    notes = sorted(notes, key=lambda n: (n[1], -n[0]))
    kept: list[tuple[int, float, float]] = []
    for pitch, onset, dur in notes:
        if kept and abs(kept[-1][1] - onset) < 1e-6:
            continue
        if kept and onset < kept[-1][1] + kept[-1][2] - 1e-6 and pitch < kept[-1][0]:
            continue
        kept.append((pitch, onset, dur))
    return Melody.from_notes(kept)


def load_query_melody(source: Any) -> Melody:
    """A query melody from a file path (MIDI, MusicXML, ABC, Humdrum), an ontology Score (its lead
    part, else its first part), a Melody, or a list of (pitch, onset, duration)."""
    if isinstance(source, Melody):
        return source
    if isinstance(source, (list, tuple)):
        return Melody.from_notes([(int(p), float(o), float(d)) for p, o, d in source])
    if hasattr(source, "parts") and hasattr(source, "key"):  # an ontology Score
        parts = [p for p in source.parts if not getattr(p, "is_drum", False)]
        if not parts:
            raise UserInputError("the score has no pitched part", field="parts")
        lead = next((p for p in parts if str(getattr(p.role, "value", p.role)) == "lead"), parts[0])
        return _skyline([(n.pitch, n.start, n.duration) for n in lead.notes])
    path = Path(source)
    if not path.is_file():
        raise UserInputError("no such file", path=str(path))
    ext = path.suffix.lower()
    if ext not in _MELODY_EXT:
        raise UserInputError(f"unsupported melody file type {ext!r}; use .mid, .musicxml, .abc", path=str(path))
    if ext in (".mid", ".midi"):
        return _melody_from_midi(path)
    from music21 import converter

    from musicgrammar.retrieval_corpus.analysis import melody_of_stream

    try:
        parsed = converter.parse(str(path), forceSource=True)
    except Exception as exc:
        raise UserInputError(f"could not parse the file ({type(exc).__name__}: {exc})", path=str(path)) from exc
    if hasattr(parsed, "scores") and len(parsed.scores):  # an ABC book: its first tune
        parsed = parsed.scores[0]
    parts = list(getattr(parsed, "parts", [])) or [parsed]
    return melody_of_stream(parts[0])


def melody_search(query: Any, top: int = 5, store: Store | None = None) -> list[Exemplar]:
    """Exemplars carrying the query's tune, whatever its key and tempo; best first, score in 0..1."""
    from musicgrammar.retrieval_corpus.melody_index import load_melody_index

    if top < 1:
        raise UserInputError("must be at least 1", field="top")
    melody = load_query_melody(query)
    store = store or ensure_default_store()
    index = load_melody_index(store.melody_index_path())
    try:
        hits = index.search(melody, top=top)
    except ValueError as exc:
        raise UserInputError(str(exc), path=str(query) if isinstance(query, (str, Path)) else None) from exc
    by_id = {e.id: e for e in store.get([i for i, _ in hits])}
    return [by_id[i].model_copy(update={"score": s}) for i, s in hits if i in by_id]


def similar(query: Any, top: int = 5, store: Store | None = None) -> list[Exemplar]:
    """Exemplars whose musical features (tonic-relative pitch classes, intervals, rhythm, contour) are
    nearest the query's: an exemplar id, or a melody as accepted by ``load_query_melody`` (its tonic
    is taken to be its final note, as in most tonal and modal tunes)."""
    from musicgrammar.retrieval_corpus.features import compute_features
    from musicgrammar.retrieval_corpus.melody_index import load_melody_index

    store = store or ensure_default_store()
    index = load_melody_index(store.melody_index_path())
    exclude = None
    if isinstance(query, str) and index.position(query) is not None:
        vector = index.arrays["features"][index.position(query)]
        exclude = query
    else:
        melody = load_query_melody(query)
        if len(melody) < 2:
            raise UserInputError("the melody has fewer than 2 notes")
        vector = np.asarray(compute_features(melody, int(melody.pitches[-1]) % 12).vector(), np.float32)
    hits = index.similar(vector, top=top, exclude=exclude)
    by_id = {e.id: e for e in store.get([i for i, _ in hits])}
    return [by_id[i].model_copy(update={"score": s}) for i, s in hits if i in by_id]


def get_melody(exemplar_id: str, store: Store | None = None) -> Melody:
    """The indexed top line of an exemplar (pitches, onsets and durations in quarter notes)."""
    from musicgrammar.retrieval_corpus.melody_index import load_melody_index

    store = store or ensure_default_store()
    index = load_melody_index(store.melody_index_path())
    pos = index.position(exemplar_id)
    if pos is None:
        raise UserInputError(f"no exemplar {exemplar_id!r} in the store", field="id")
    return index.melody(pos)


def stats(store: Store | None = None) -> dict[str, Any]:
    """Counts per collection, per mode and per meter, plus the build's manifest."""
    store = store or open_store()
    result = store.collection.get(include=["metadatas"])
    by: dict[str, dict[str, int]] = {"collection": {}, "mode": {}, "meter": {}, "tradition": {}}
    for meta in result["metadatas"]:
        for field in by:
            value = str(meta.get(field, "unknown"))
            by[field][value] = by[field].get(value, 0) + 1
    manifest = dict(store.manifest)
    return {
        "path": str(store.path),
        "count": store.count,
        "created": manifest.get("created"),
        "by_collection": dict(sorted(by["collection"].items())),
        "by_mode": dict(sorted(by["mode"].items(), key=lambda kv: -kv[1])),
        "by_meter": dict(sorted(by["meter"].items(), key=lambda kv: -kv[1])[:12]),
        "by_tradition": dict(sorted(by["tradition"].items())),
        "skipped": manifest.get("report", {}).get("skipped", {}),
        "skipped_total": manifest.get("report", {}).get("skipped_total", 0),
    }
