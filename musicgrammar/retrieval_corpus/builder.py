"""music21 corpus -> exemplar records, in parallel worker processes, with an analysis cache.

The corpus is enumerated into *items* (one per scored file, one per ABC tune), a selection is made
(collections, a limit spread evenly over them, optional source patterns), items are grouped into
work units (one file, or a run of up to ``ABC_CHUNK`` tunes of one ABC file) and analysed by a pool of
worker processes. Each unit's result is cached in a SQLite file under the cache directory, keyed by
the unit and ``SCHEMA_VERSION``, so a rebuild re-analyses nothing. An item that fails to parse is
skipped and counted, never aborting the build.
"""

from __future__ import annotations

import fnmatch
import json
import multiprocessing as mp
import os
import re
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from musicgrammar.retrieval_corpus.exemplar import COLLECTIONS, SCHEMA_VERSION

__all__ = ["Item", "BuildReport", "corpus_root", "enumerate_items", "select_items", "analyse_items"]

ABC_CHUNK = 40  # tunes per work unit: big enough to amortize process overhead, small for progress
UNIT_TIMEOUT_S = 120  # CPU seconds: a pathological item is abandoned (and counted as skipped)

# Corpus top folder -> collection id. Folders not listed (demos, exercises, lead sheets) are not music
# the library should offer as precedent.
_FOLDERS = {
    "essenFolksong": "essen", "oneills1850": "oneills", "ryansMammoth": "ryans", "airdsAirs": "aird",
    "miscFolk": "misc_folk", "nottingham-dataset": "misc_folk", "palestrina": "palestrina",
    "monteverdi": "monteverdi", "trecento": "renaissance", "josquin": "renaissance", "ciconia": "renaissance",
    "luca": "renaissance", "lusitano": "renaissance",
}
_CLASSICAL = {"beethoven", "mozart", "haydn", "schumann_robert", "schumann_clara", "chopin", "beach", "corelli",
              "cpebach", "handel", "johnson_j_r", "joplin", "liliuokalani", "schubert", "verdi", "weber",
              "webern", "schoenberg"}
_SCORE_EXT = {".mxl", ".xml", ".musicxml", ".krn"}


@dataclass(frozen=True)
class Item:
    """One exemplar-to-be: a scored file, or tune number ``ref`` (ordinal ``index``) of an ABC file."""

    collection: str
    relpath: str  # path inside the music21 corpus
    ref: str | None = None
    index: int | None = None
    catalogue: str | None = None
    title: str | None = None


@dataclass
class BuildReport:
    """What a build produced: counts per collection, skipped items with reasons, cache hits."""

    counts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_examples: list[str] = field(default_factory=list)
    cached_units: int = 0
    analysed_units: int = 0
    cpu_seconds: Counter[str] = field(default_factory=Counter)  # worker CPU time per collection

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts), "total": sum(self.counts.values()), "skipped": dict(self.skipped),
            "skipped_total": sum(self.skipped.values()), "skipped_examples": self.skipped_examples[:20],
            "cached_units": self.cached_units, "analysed_units": self.analysed_units,
            "cpu_seconds": {c: round(v, 1) for c, v in self.cpu_seconds.items()},
        }


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _chorale_catalogue() -> dict[str, tuple[str, str]]:
    """Chorale file stem ('bwv66.6') -> (catalogue text, title), from music21's BWV/Riemenschneider list."""
    from music21.corpus.chorales import ChoraleListRKBWV

    out: dict[str, tuple[str, str]] = {}
    for number, info in sorted(ChoraleListRKBWV().byRiemenschneider.items()):
        stem = f"bwv{info['bwv']}"
        if stem not in out:
            out[stem] = (f"BWV {info['bwv']}, Riemenschneider {number}", str(info["title"]))
    return out


def enumerate_items(collections: list[str] | None = None) -> dict[str, list[Item]]:
    """Every item of the corpus per collection, in a deterministic order (chorales by Riemenschneider)."""
    root = corpus_root()
    wanted = set(collections or COLLECTIONS)
    unknown = wanted - set(COLLECTIONS)
    if unknown:
        from musicgrammar.errors import UserInputError

        raise UserInputError(f"unknown collection(s) {sorted(unknown)}; choose from {sorted(COLLECTIONS)}", field="collections")
    chorales = _chorale_catalogue() if wanted & {"bach_chorales", "bach_other"} else {}
    order = {stem: i for i, stem in enumerate(chorales)}
    items: dict[str, list[Item]] = {c: [] for c in COLLECTIONS if c in wanted}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        top = rel.split("/", 1)[0]
        ext = path.suffix.lower()
        if top == "bach":
            stem = path.name[: -len(path.suffix)]
            # Listed chorales, plus the cantata / passion chorale movements (bwvN.M) music21's list omits.
            is_chorale = stem in chorales or re.fullmatch(r"bwv\d+\.\d+(-[a-z0-9]+)?", stem) is not None
            collection = "bach_chorales" if is_chorale else "bach_other"
        elif top in _CLASSICAL:
            collection = "classical"
        else:
            collection = _FOLDERS.get(top, "")
        if collection not in wanted:
            continue
        if ext == ".abc":
            for index, (ref, _tune) in enumerate(_abc_tunes(path)):
                items[collection].append(Item(collection, rel, ref=ref, index=index))
        elif ext in _SCORE_EXT:
            stem_path = path.with_suffix("")
            if ext != ".mxl" and stem_path.with_suffix(".mxl").exists():
                continue  # the same work in two encodings: keep the MusicXML one
            if collection == "bach_chorales":
                stem = path.name[: -len(path.suffix)]
                number = re.sub(r"^bwv", "", stem)
                cat, title = chorales.get(stem, (f"BWV {number}", None))
                items[collection].append(Item(collection, rel, catalogue=cat, title=title))
            else:
                items[collection].append(Item(collection, rel))
    if "bach_chorales" in items:
        items["bach_chorales"].sort(key=lambda it: order.get(Path(it.relpath).name[: -len(Path(it.relpath).suffix)], 10**6))
    return items


def _abc_tunes(path: Path) -> list[tuple[str, str]]:
    from musicgrammar.retrieval_corpus.analysis import split_abc

    return split_abc(_read_text(path))


def select_items(
    collections: list[str] | None = None, limit: int | None = None, patterns: list[str] | None = None
) -> list[Item]:
    """Items to build: optional glob patterns on 'relpath' or 'relpath#ref', then at most ``limit``
    items spread evenly over the collections (each collection's share in its own order)."""
    per_collection = enumerate_items(collections)
    if patterns:
        def keep(it: Item) -> bool:
            names = [it.relpath] + ([f"{it.relpath}#{it.ref}"] if it.ref is not None else [])
            return any(fnmatch.fnmatch(n, pat) for n in names for pat in patterns)

        per_collection = {c: [it for it in its if keep(it)] for c, its in per_collection.items()}
    if limit is None:
        return [it for its in per_collection.values() for it in its]
    if limit < 1:
        from musicgrammar.errors import UserInputError

        raise UserInputError("must be at least 1", field="limit")
    # Water-filling: each collection gets an equal share, leftovers go to the collections that have more.
    remaining = {c: len(its) for c, its in per_collection.items() if its}
    quota = dict.fromkeys(remaining, 0)
    budget = limit
    while budget > 0 and remaining:
        share = max(budget // len(remaining), 1)
        for c in sorted(remaining):
            take = min(share, remaining[c], budget)
            quota[c] += take
            remaining[c] -= take
            budget -= take
        remaining = {c: n for c, n in remaining.items() if n > 0}
    return [it for c, its in per_collection.items() for it in its[: quota.get(c, 0)]]


def _units(items: list[Item]) -> list[tuple[str, list[Item]]]:
    """Group items into (cache key, items) units: one per scored file, runs of ABC_CHUNK tunes per ABC file."""
    units: list[tuple[str, list[Item]]] = []
    by_file: dict[str, list[Item]] = {}
    for it in items:
        if it.ref is None:
            units.append((f"{it.collection}|{it.relpath}", [it]))
        else:
            by_file.setdefault(it.relpath, []).append(it)
    for rel, its in by_file.items():
        for start in range(0, len(its), ABC_CHUNK):
            chunk = its[start : start + ABC_CHUNK]
            key = f"{chunk[0].collection}|{rel}|" + ",".join(str(it.index) for it in chunk)
            units.append((key, chunk))
    return units


class _Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout()


def _worker_init() -> None:
    import warnings

    warnings.filterwarnings("ignore")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C


def _analyse_unit(unit: tuple[str, list[Item]]) -> tuple[str, list[dict[str, Any]], float]:
    """Worker: analyse every item of a unit. Returns (key, [record | {"error": ..., "source": ...}],
    CPU seconds spent)."""
    from musicgrammar.retrieval_corpus.analysis import analyse_abc_tune, analyse_file

    key, items = unit
    started = time.process_time()
    root = corpus_root()
    out: list[dict[str, Any]] = []
    tunes: dict[int, tuple[str, str]] | None = None
    # A CPU-time timer (not wall time): on a busy machine a slow item is not mistaken for a hung one.
    use_alarm = hasattr(signal, "SIGVTALRM")
    if use_alarm:
        signal.signal(signal.SIGVTALRM, _alarm)
    for it in items:
        source = it.relpath if it.ref is None else f"{it.relpath}#X:{it.ref}"
        try:
            if use_alarm:
                signal.setitimer(signal.ITIMER_VIRTUAL, UNIT_TIMEOUT_S)
            if it.ref is None:
                out.append(analyse_file(str(root / it.relpath), it.collection, it.relpath, it.catalogue, it.title))
            else:
                if tunes is None:
                    tunes = dict(enumerate(_abc_tunes(root / it.relpath)))
                ref, text = tunes[it.index or 0]
                out.append(analyse_abc_tune(text, it.collection, it.relpath, ref))
        except _Timeout:
            out.append({"error": f"timeout after {UNIT_TIMEOUT_S} CPU s", "source": source, "collection": it.collection})
        except Exception as exc:  # any parse / analysis failure: skip and count
            out.append({"error": f"{type(exc).__name__}: {str(exc)[:160]}", "source": source, "collection": it.collection})
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_VIRTUAL, 0)
    return key, out, time.process_time() - started


class _Cache:
    """Unit results as JSON in SQLite, written by the parent process only."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=60)
        self.db.execute("CREATE TABLE IF NOT EXISTS units (key TEXT PRIMARY KEY, payload TEXT NOT NULL)")

    def get(self, key: str) -> list[dict[str, Any]] | None:
        row = self.db.execute("SELECT payload FROM units WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, records: list[dict[str, Any]]) -> None:
        self.db.execute("INSERT OR REPLACE INTO units VALUES (?, ?)", (key, json.dumps(records)))
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def cache_path(cache_dir: Path) -> Path:
    return cache_dir / "corpus_analysis" / f"v{SCHEMA_VERSION}.sqlite"


def analyse_items(
    items: list[Item],
    cache_dir: Path,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[dict[str, Any]], BuildReport]:
    """Analyse items (cached units first, the rest in ``workers`` processes); returns records in item
    order, duplicate ids made unique, plus a report. ``progress(done_items, total_items)`` is called
    as units finish."""
    from musicgrammar.retrieval_corpus.analysis import refresh_description

    units = _units(items)
    total = sum(len(its) for _, its in units)
    report = BuildReport()
    cache = _Cache(cache_path(cache_dir))
    results: dict[str, list[dict[str, Any]]] = {}
    todo: list[tuple[str, list[Item]]] = []
    done = 0
    try:
        for key, its in units:
            hit = cache.get(key)
            if hit is None:
                todo.append((key, its))
            else:
                results[key] = hit
                done += len(its)
                report.cached_units += 1
        if progress:
            progress(done, total)
        sizes = {key: len(its) for key, its in todo}
        collection_of = {key: its[0].collection for key, its in todo}
        for key, records, seconds in _run(todo, workers):
            report.cpu_seconds[collection_of[key]] += seconds
            cache.put(key, records)
            results[key] = records
            report.analysed_units += 1
            done += sizes[key]
            if progress:
                progress(done, total)
    finally:
        cache.close()
    records: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()
    for key, _its in units:
        for rec in results[key]:
            if "error" in rec:
                report.skipped[rec["collection"]] += 1
                report.skipped_examples.append(f"{rec['source']}: {rec['error']}")
                continue
            ex = rec["exemplar"]
            seen[ex["id"]] += 1
            if seen[ex["id"]] > 1:  # e.g. an ABC book reusing a reference number
                ex = {**ex, "id": f"{ex['id']}-{seen[ex['id']]}"}
                rec = {**rec, "exemplar": ex}
            report.counts[ex["collection"]] += 1
            records.append(refresh_description(rec))
    return records, report


def _run(todo: list[tuple[str, list[Item]]], workers: int) -> Iterator[tuple[str, list[dict[str, Any]], float]]:
    if not todo:
        return
    # The core of the library first (chorales, folk tunes), then the big polyphonic works; longest
    # units first within each tier so both workers stay busy to the end.
    todo = sorted(todo, key=lambda u: (_PRIORITY.get(u[1][0].collection, 5), -_unit_cost(u), u[0]))
    if workers <= 1:  # in-process (tests, debugging): keep the caller's signal handlers
        for unit in todo:
            yield _analyse_unit(unit)
        return
    # fork is fast and works from any entry point; spawn when the parent already runs threaded
    # libraries (torch, chromadb) whose locks must not be inherited mid-use.
    threaded = any(name in sys.modules for name in ("torch", "chromadb", "onnxruntime"))
    ctx = mp.get_context("spawn" if threaded or not hasattr(os, "fork") else "fork")
    with ctx.Pool(processes=workers, initializer=_worker_init, maxtasksperchild=200) as pool:
        yield from pool.imap_unordered(_analyse_unit, todo, chunksize=1)


_PRIORITY = {"bach_chorales": 0, "essen": 1, "oneills": 1, "ryans": 1, "aird": 1, "misc_folk": 1, "palestrina": 2,
             "monteverdi": 2, "renaissance": 3, "bach_other": 3, "classical": 4}


def _unit_cost(unit: tuple[str, list[Item]]) -> float:
    key, items = unit
    if items[0].ref is not None:
        return 0.08 * len(items)
    try:
        return (corpus_root() / items[0].relpath).stat().st_size / 50_000
    except OSError:
        return 1.0


def parse_collections(text: str | None) -> list[str] | None:
    """'bach_chorales,essen' -> list (None for all)."""
    if not text:
        return None
    return [c for c in re.split(r"[,\s]+", text.strip()) if c]
