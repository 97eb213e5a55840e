"""Retrieval-corpus benchmark: full build, text-query latency, melody-search latency and accuracy.

Two stages, so the long build can run once and the query stage can be repeated on its store:

    MUSICGRAMMAR_CACHE_DIR=/tmp/mg_bench2/cache MUSICGRAMMAR_STORE_DIR=/tmp/mg_bench2/store \
        nice -n 10 python benchmarks/corpus.py build      # cold full build -> results/corpus_build.json
    MUSICGRAMMAR_CACHE_DIR=/tmp/mg_bench2/cache MUSICGRAMMAR_STORE_DIR=/tmp/mg_bench2/store \
        python benchmarks/corpus.py query                 # latency + accuracy -> results/corpus.md

Melody accuracy: 100 queries (50 chorale sopranos, 50 folk tunes; seeded), each an 8-bar excerpt
of the indexed top line, transposed by a random -6..+6 (non-zero) semitones and re-timed by a random
factor 0.5..2.0 (a tempo change), searched over the whole store. A query is a strict hit when the
exemplar it came from is returned; a same-tune hit also counts an exemplar whose indexed melody
contains the query's exact interval and rhythm sequence (the corpus holds some tunes twice, e.g. one
chorale melody in several harmonizations, or a tune in both O'Neill's and Ryan's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
BUILD_JSON = RESULTS / "corpus_build.json"
TEXT_QUERIES = [
    "slow minor-key Lutheran hymn", "fast Irish jig in 6/8", "Scottish strathspey", "Chinese folk song",
    "German children's song in major", "Renaissance polyphonic mass movement", "madrigal by Monteverdi",
    "string quartet by Beethoven", "dorian mode reel", "lament in a minor key", "four-part chorale with a half cadence",
    "lively hornpipe", "waltz in 3/4", "march for fife", "slow air", "Palestrina Agnus Dei", "cheerful major-key dance tune",
    "modal mixolydian tune", "sacred music for four voices", "ballad from Germany",
]


def _env() -> None:
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False")):
        os.environ.setdefault(key, value)


def stage_cached_store() -> None:
    """Fallback when the full build cannot finish in the time at hand: store every unit the analysis
    cache already holds (a partial library, labelled as such in the results)."""
    from musicgrammar.retrieval_corpus.builder import _Cache, _units, cache_path, select_items
    from musicgrammar.retrieval_corpus.analysis import refresh_description
    from musicgrammar.retrieval_corpus.store import build_store
    from musicgrammar.settings import get_settings

    cache = _Cache(cache_path(get_settings().cache_dir))
    records, counts, seen = [], {}, set()
    units = _units(select_items())
    for key, _its in units:
        hit = cache.get(key)
        for rec in hit or []:
            if "error" in rec or rec["exemplar"]["id"] in seen:
                continue
            seen.add(rec["exemplar"]["id"])
            records.append(refresh_description(rec))
            counts[rec["exemplar"]["collection"]] = counts.get(rec["exemplar"]["collection"], 0) + 1
    started = time.perf_counter()
    store = build_store(records, report={"partial": True, "counts": counts})
    print(f"stored {store.count} cached exemplars of {sum(len(i) for _, i in units)} items in {time.perf_counter() - started:.0f} s: {counts}")


SAMPLE_JSON = RESULTS / "corpus_sample.json"


def stage_sample(per_collection: int, seed: int) -> None:
    """Analyse a seeded random sample of every collection in one process and record the CPU time per
    item by collection (the basis of the full-build estimate when the machine is too busy for a full
    build), then store the sample (the packaged subset is exported from that store)."""
    import random

    from musicgrammar.retrieval_corpus.builder import analyse_items, enumerate_items
    from musicgrammar.retrieval_corpus.store import build_store
    from musicgrammar.settings import get_settings

    rng = random.Random(seed)
    per = enumerate_items()
    chosen = []
    for collection, items in per.items():
        k = min(len(items), per_collection if collection != "classical" else max(per_collection // 6, 1))
        chosen += sorted(rng.sample(items, k), key=lambda it: (it.relpath, it.index or 0))
    started = time.perf_counter()
    records, report = analyse_items(chosen, get_settings().cache_dir, workers=1)
    analyse_s = time.perf_counter() - started
    store = build_store(records, report=report.as_dict())
    rep = report.as_dict()
    per_item = {c: rep["cpu_seconds"].get(c, 0.0) / max(rep["counts"].get(c, 0) + rep["skipped"].get(c, 0), 1) for c in per}
    estimate_cpu = sum(per_item[c] * len(items) for c, items in per.items())
    RESULTS.mkdir(parents=True, exist_ok=True)
    SAMPLE_JSON.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seed": seed, "per_collection": per_collection,
        "items_total": {c: len(v) for c, v in per.items()}, "report": rep, "cpu_s_per_item": per_item,
        "estimated_full_cpu_s": round(estimate_cpu, 1), "analyse_wall_s": round(analyse_s, 1),
        "store_wall_s": round(time.perf_counter() - started - analyse_s, 1), "stored": store.count,
    }, indent=1))
    print(f"sampled {store.count}; estimated full analysis CPU {estimate_cpu:.0f} s")


def stage_build(workers: int) -> None:
    from musicgrammar.retrieval_corpus import build

    started = time.perf_counter()
    phases: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        phases.setdefault(stage + "_start", time.perf_counter() - started)
        if done == total:
            phases[stage + "_end"] = time.perf_counter() - started

    store, report = build(workers=workers, progress=progress)
    total = time.perf_counter() - started
    RESULTS.mkdir(parents=True, exist_ok=True)
    BUILD_JSON.write_text(json.dumps({
        "total_seconds": round(total, 1), "phases": {k: round(v, 1) for k, v in phases.items()},
        "count": store.count, "report": report, "workers": workers,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load_avg_after": os.getloadavg(),
    }, indent=1))
    print(f"built {store.count} exemplars in {total:.0f} s")


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def stage_query(n_melody: int, seed: int) -> None:
    import torch

    torch.set_num_threads(1)
    from musicgrammar.retrieval_corpus import Melody, open_store
    from musicgrammar.retrieval_corpus.melody_index import load_melody_index, tokens
    from musicgrammar.tools.text_embedding import embed

    store = open_store()
    t0 = time.perf_counter()
    embed(["warm-up"])
    load_s = time.perf_counter() - t0
    # Text latency with the model loaded: each query timed end to end (embed + chroma query + parse).
    store.search(TEXT_QUERIES[0], top=5)
    text_ms = []
    for _ in range(5):
        for q in TEXT_QUERIES:
            t = time.perf_counter()
            store.search(q, top=5)
            text_ms.append((time.perf_counter() - t) * 1000)
    filt_ms = []
    for q in TEXT_QUERIES:
        t = time.perf_counter()
        store.search(q, where={"mode": "minor"}, top=5)
        filt_ms.append((time.perf_counter() - t) * 1000)

    index = load_melody_index(store.melody_index_path())
    ids = [str(i) for i in index.ids]
    rng = np.random.default_rng(seed)
    pools = {
        "chorale soprano": [i for i, x in enumerate(ids) if x.startswith("bach_chorales/")],
        "folk": [i for i, x in enumerate(ids) if x.split("/")[0] in ("essen", "oneills", "ryans", "aird")],
    }
    rows = []
    mel_ms: list[float] = []
    for name, pool in pools.items():
        picks = rng.permutation(pool)
        strict1 = strict5 = tune1 = tune5 = done = 0
        for i in picks:
            if done >= n_melody // 2:
                break
            m = index.melody(int(i))
            exemplar = store.get([ids[i]])[0]
            bar = exemplar.meter_obj.bar_quarters if exemplar.meter_obj else 4.0
            start_candidates = np.nonzero(m.onsets <= max(m.end - 8 * bar, m.onsets[0]))[0]
            s = int(rng.choice(start_candidates))
            sel = (m.onsets >= m.onsets[s]) & (m.onsets < m.onsets[s] + 8 * bar)
            if sel.sum() < 8:
                continue
            shift = int(rng.choice([k for k in range(-6, 7) if k != 0]))
            factor = float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
            q = Melody(m.pitches[sel] + shift, (m.onsets[sel] - m.onsets[s]) * factor, m.durations[sel] * factor)
            t = time.perf_counter()
            hits = index.search(q, top=5)
            mel_ms.append((time.perf_counter() - t) * 1000)
            got = [h for h, _ in hits]
            strict1 += got[:1] == [ids[i]]
            strict5 += ids[i] in got
            # Same tune: the returned exemplar's indexed line contains the query's exact token sequence.
            q_iv, q_rh = tokens(q)
            def contains(hid: str) -> bool:
                hm = index.melody(ids.index(hid))
                c_iv, c_rh = tokens(hm)
                n = len(q_iv)
                for k in range(len(c_iv) - n + 1):
                    if np.array_equal(c_iv[k : k + n], q_iv) and np.array_equal(c_rh[k : k + n - 1], q_rh[:-1]):
                        return True
                return False
            tune1 += bool(got) and (got[0] == ids[i] or contains(got[0]))
            tune5 += any(g == ids[i] or contains(g) for g in got)
            done += 1
        rows.append((name, done, strict1, strict5, tune1, tune5))

    build = json.loads(BUILD_JSON.read_text()) if BUILD_JSON.exists() else None
    lines = ["## Retrieval corpus", ""]
    lines.append(f"Machine: {platform.processor() or platform.machine()}, 2 CPU cores shared with other jobs; "
                 f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; Python {platform.python_version()}.")
    lines.append("")
    if build:
        rep = build["report"]
        lines += [f"### Full build ({build['date']}, {build['workers']} worker processes, cold analysis cache)", "",
                  "| collection | exemplars | skipped | worker CPU s |", "|---|---:|---:|---:|"]
        for c in sorted(rep["counts"]):
            lines.append(f"| {c} | {rep['counts'][c]} | {rep['skipped'].get(c, 0)} | {rep.get('cpu_seconds', {}).get(c, 0)} |")
        lines.append(f"| **total** | **{rep['total']}** | **{rep['skipped_total']}** | {round(sum(rep.get('cpu_seconds', {}).values()), 1)} |")
        ph = build["phases"]
        store_s = ph.get("store_end", 0) - ph.get("store_start", 0)
        lines += ["", f"Wall clock: **{build['total_seconds']:.0f} s** total (analysis {ph.get('analyse_end', 0):.0f} s, "
                  f"embedding + chroma + melody index {store_s:.0f} s); load average after the build "
                  f"{build['load_avg_after'][0]:.1f} on 2 cores (the machine is shared: other jobs ran during the build). "
                  f"Target: < 1200 s.", "",
                  f"The workers' measured CPU time was {sum(rep.get('cpu_seconds', {}).values()):.0f} s in all, i.e. about "
                  f"{sum(rep.get('cpu_seconds', {}).values()) / 2:.0f} s of analysis wall clock on 2 unshared cores (an estimate "
                  "from CPU time, not a measurement of an unshared run); analysis is cached per unit, so a rebuild "
                  "re-analyses nothing and costs only the store phase.", ""]
        sample = json.loads(SAMPLE_JSON.read_text()) if SAMPLE_JSON.exists() else None
        if sample:
            lines += [f"Packaged default store: a seeded sample of {sample['stored']} exemplars from every collection "
                      f"(`python benchmarks/corpus.py sample --per-collection {sample['per_collection']}` then "
                      "`python -m musicgrammar.retrieval_corpus.subset`); building it into an empty store took "
                      f"{sample['store_wall_s']:.0f} s on the shared machine.", ""]
    lines += ["### Query latency (model loaded)", "", "| query | n | p50 ms | p95 ms | target |", "|---|---:|---:|---:|---|",
              f"| text search, top 5 | {len(text_ms)} | {_percentile(text_ms, 50):.1f} | {_percentile(text_ms, 95):.1f} | p50 <= 15 ms |",
              f"| text search + `mode=minor` filter | {len(filt_ms)} | {_percentile(filt_ms, 50):.1f} | {_percentile(filt_ms, 95):.1f} | |",
              f"| melody search, top 5, {len(index)} melodies | {len(mel_ms)} | {_percentile(mel_ms, 50):.1f} | {_percentile(mel_ms, 95):.1f} | <= 200 ms |",
              "", f"Text-model load (first embed in the process): {load_s:.1f} s.", "",
              "### Melody search accuracy (8-bar excerpts, random transposition -6..+6 and tempo factor 0.5-2.0)", "",
              "| queries | n | top-1 strict | top-5 strict | top-1 same tune | top-5 same tune |", "|---|---:|---:|---:|---:|---:|"]
    tot = [0] * 5
    for name, n, s1, s5, t1, t5 in rows:
        lines.append(f"| {name} | {n} | {s1 / n:.0%} | {s5 / n:.0%} | {t1 / n:.0%} | {t5 / n:.0%} |")
        for k, v in enumerate((n, s1, s5, t1, t5)):
            tot[k] += v
    n = tot[0]
    lines.append(f"| **all** | {n} | **{tot[1] / n:.0%}** | **{tot[2] / n:.0%}** | **{tot[3] / n:.0%}** | **{tot[4] / n:.0%}** |")
    lines += ["", "Targets: top-1 >= 80 %, top-5 >= 90 %. 'Strict' demands the very exemplar the excerpt came from; "
              "'same tune' also accepts an exemplar whose indexed melody contains the identical excerpt.", "",
              "Commands:", "", "```",
              "MUSICGRAMMAR_CACHE_DIR=/tmp/mg_bench2/cache MUSICGRAMMAR_STORE_DIR=/tmp/mg_bench2/store python benchmarks/corpus.py build",
              f"MUSICGRAMMAR_CACHE_DIR=/tmp/mg_bench2/cache MUSICGRAMMAR_STORE_DIR=/tmp/mg_bench2/store python benchmarks/corpus.py query --melody {n_melody} --seed {seed}",
              "```", ""]
    (RESULTS / "corpus.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    _env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["build", "cached-store", "sample", "query"])
    parser.add_argument("--per-collection", type=int, default=60, help="sample stage: items per collection")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--melody", type=int, default=100, help="melody queries (half chorales, half folk)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.stage == "build":
        stage_build(args.workers)
    elif args.stage == "sample":
        stage_sample(args.per_collection, args.seed)
    elif args.stage == "cached-store":
        stage_cached_store()
    else:
        stage_query(args.melody, args.seed)


if __name__ == "__main__":
    sys.exit(main())
