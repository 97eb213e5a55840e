"""Audio question answering: accuracy with retrieval vs `--no-retrieval`, error classes, latency.

The QA set is generated from the library (the packaged exemplar subset): excerpts of Bach chorales
(all four parts) and folk tunes that never start at bar 1, transposed, re-timed, rendered with
several GM programs and both soundfonts (FluidR3_GM, TimGM6mb). Questions are asked in plain
English and scored by exact match against accepted answers (numbers: the tempo within 8 %).
Two disjoint splits of pieces: ``dev`` (seed 1; the identification thresholds of the engine were
set on it) and ``test`` (seed 2; held out, reported).

    PYTHONPATH=. python benchmarks/audio_qa.py --split test --excerpts 24 --write
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = {"acoustic_grand_piano": 0, "church_organ": 19, "string_ensemble_1": 48, "flute": 73, "violin": 40,
            "clarinet": 71, "choir_aahs": 52}  # fmt: skip
FOLK = ("oneills", "ryans", "aird", "essen", "misc_folk")
PHRASES = {
    "title": ["What is this tune called?", "Which piece is this?"],
    "composer": ["Who composed this?", "Who wrote this music?"],
    "catalogue": ["What is the catalogue number of this work?", "What is its BWV number?"],
    "collection": ["Which collection is this tune from?", "In which book of tunes can I find this?"],
    "composer_death": ["Who composed it and when did they die?", "In which year did the composer of this piece die?"],
    "score_parts": ["How many parts does the full score have?", "How many voices does the score of this work have?"],
    "key": ["What key is this in?", "What is the key of this recording?"],
    "tempo": ["What is the tempo?", "How fast is this, in beats per minute?"],
    "voices": ["How many instruments are playing at once?", "How many voices can you hear?"],
}


@dataclass
class Item:
    """One rendered excerpt and its ground truth."""

    exemplar_id: str
    title: str
    composer: str | None
    catalogue: str | None
    collection: str
    voices: int
    key: str
    tempo: float
    parts: int
    wav: Path
    program: str
    soundfont: str
    start_bar: int
    questions: list[tuple[str, str]] = field(default_factory=list)  # (kind, question text)


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).strip()


def correct(kind: str, answer: str, item: Item) -> bool:
    """Exact match against the accepted answers of one question kind."""
    from musicgrammar.ontologies import Key
    from musicgrammar.retrieval_corpus.exemplar import COLLECTIONS

    if answer.startswith("I cannot tell"):
        return False
    if kind == "title":
        return _norm(answer) == _norm(item.title)
    if kind == "composer":
        return _norm(answer) == _norm(item.composer or "traditional (no known composer)")
    if kind == "catalogue":
        return _norm(answer) == _norm(item.catalogue)
    if kind == "collection":
        return _norm(answer) in (_norm(item.collection), _norm(COLLECTIONS[item.collection][0]))
    if kind == "composer_death":
        return _norm(answer) == "1750" and item.collection == "bach_chorales"
    if kind in ("score_parts", "voices"):
        return _norm(answer) == str(item.voices if kind == "score_parts" else item.parts)
    if kind == "key":
        try:
            heard, truth = Key.parse(answer), Key.parse(item.key)
        except ValueError:
            return False
        return heard.tonic_pc == truth.tonic_pc and heard.mode == truth.mode
    if kind == "tempo":
        match = re.match(r"([0-9.]+)", answer)
        return bool(match) and abs(float(match.group(1)) / item.tempo - 1.0) <= 0.08
    raise ValueError(kind)


def _excerpt_score(record: dict, rng: random.Random, bars: int = 8):  # type: ignore[no-untyped-def]
    """(Score, start bar, transposition) of a random excerpt of one library record."""
    from musicgrammar.ontologies import Key, Meter, Note, Part, Score
    from musicgrammar.retrieval_corpus.builder import corpus_root
    from musicgrammar.tools.io import load_score

    ex = record["exemplar"]
    meter = Meter.parse(ex["meter"] or "4/4")
    bq = meter.bar_quarters
    shift = rng.randint(-4, 4)
    if ex["collection"] == "bach_chorales":
        full = load_score(corpus_root() / ex["source"])
        voices = [[(n.pitch, n.start, n.duration) for n in p.notes] for p in full.parts]
    else:
        pitches, onsets, durations = record["melody"]
        voices = [list(zip(pitches, onsets, durations))]
    end = max(o + d for v in voices for _, o, d in v)
    total_bars = int(end // bq)
    start_bar = rng.randint(1, max(1, total_bars - bars - 1))  # 0-based: never the first bar
    lo, hi = start_bar * bq, (start_bar + bars) * bq
    parts = []
    program = rng.choice(sorted(PROGRAMS))
    for index, voice in enumerate(voices):
        notes = [Note(pitch=int(p) + shift, start=round(o - lo, 4), duration=round(min(d, hi - o), 4))
                 for p, o, d in voice if lo <= o < hi and min(d, hi - o) > 0]  # fmt: skip
        if notes:
            parts.append(Part(id=f"v{index}", instrument=program, notes=notes))
    tonic = Key(tonic=ex["tonic"], mode=ex["mode"] if ex["mode"] in ("major", "minor") else "major")
    key = Key(tonic=tonic.spell((tonic.tonic_pc + shift) % 12), mode=ex["mode"])
    return Score(title=ex["title"], key=key, meter=meter, tempo_bpm=120, bars=bars, parts=parts), start_bar, program


def _bar_quarters(meter: str) -> float:
    from musicgrammar.ontologies import Meter

    return Meter.parse(meter).bar_quarters


def make_items(split: str, n: int, out: Path) -> list[Item]:
    """Render `n` excerpts of the split's pieces (chorales and folk tunes alternate)."""
    import gzip
    import json

    from musicgrammar.retrieval_corpus.api import SUBSET_PATH
    from musicgrammar.tools.render import FLUIDR3, render_score, timgm_soundfont

    records = json.load(gzip.open(SUBSET_PATH, "rt", encoding="utf-8"))["records"]
    chorales = sorted((r for r in records if r["exemplar"]["collection"] == "bach_chorales"), key=lambda r: r["exemplar"]["id"])
    folk = sorted((r for r in records if r["exemplar"]["collection"] in FOLK and len(r["melody"][0]) >= 24),
                  key=lambda r: r["exemplar"]["id"])  # fmt: skip
    # disjoint pieces per split: a fixed shuffle, dev takes the first half, test the second
    order = random.Random(0)
    order.shuffle(chorales)
    order.shuffle(folk)
    half_c, half_f = len(chorales) // 2, len(folk) // 2
    pool_c, pool_f = (chorales[:half_c], folk[:half_f]) if split == "dev" else (chorales[half_c:], folk[half_f:])
    rng = random.Random(1 if split == "dev" else 2)
    rng.shuffle(pool_c)
    rng.shuffle(pool_f)
    soundfonts = [p for p in (FLUIDR3, timgm_soundfont()) if p.is_file()]
    items: list[Item] = []
    next_c = next_f = 0
    for i in range(n):
        while True:  # chorales with obbligato instrument parts are skipped: the set asks about SATB texture
            if i % 2 == 0:
                record, next_c = pool_c[next_c % len(pool_c)], next_c + 1
            else:
                record, next_f = pool_f[next_f % len(pool_f)], next_f + 1
            tempo = float(rng.randint(70, 130))
            bar_s = (record["exemplar"]["meter"] and _bar_quarters(record["exemplar"]["meter"]) or 4.0) * 60.0 / tempo
            score, start_bar, program = _excerpt_score(record, rng, bars=max(4, min(8, int(28.0 // bar_s))))
            if record["exemplar"]["collection"] != "bach_chorales" or len(score.parts) == 4:
                break
        ex = record["exemplar"]
        score = score.model_copy(update={"tempo_bpm": tempo})
        soundfont = soundfonts[i % len(soundfonts)]
        wav_dir = out / split / f"{i:03d}"
        result = render_score(score, wav_dir, soundfont=soundfont, sample_rate=22050, tail_s=1.0)
        item = Item(exemplar_id=ex["id"], title=ex["title"], composer=ex["composer"], catalogue=ex["catalogue"],
                    collection=ex["collection"], voices=ex["voices"], key=str(score.key), tempo=tempo,
                    parts=len(score.parts), wav=result.mix, program=program, soundfont=soundfont.name, start_bar=start_bar + 1)  # fmt: skip
        if ex["collection"] == "bach_chorales":
            kinds = ["title", "composer", "catalogue", "composer_death", "score_parts", "key", "tempo", "voices"]
        else:
            kinds = ["title", "collection", "key", "tempo", "voices"] + (["catalogue"] if ex["catalogue"] else [])
        for kind in rng.sample(kinds, 3):
            item.questions.append((kind, rng.choice(PHRASES[kind])))
        items.append(item)
    return items


def classify(kind: str, state, item: Item, ok: bool) -> str:  # type: ignore[no-untyped-def]
    """Error class of one answer: correct, refused, question misread, perception wrong, retrieval miss, reasoning wrong."""
    if ok:
        return "correct"
    answer = state.answer
    if state.kind.value != kind:
        return "question misread"
    if answer.refused:
        return "refused"
    identified = state.knowledge.identified
    if kind in ("key", "tempo", "voices"):
        # read from a wrongly identified work, it is retrieval's error; heard wrong, perception's
        return "retrieval miss" if identified is not None and identified.id != item.exemplar_id else "perception wrong"
    if identified is None or identified.id != item.exemplar_id:
        return "retrieval miss"
    return "reasoning wrong"


def cold_latency(wav: Path, store_dir: Path) -> float:
    """Seconds for a fresh process to answer one question about `wav` (imports, models, numba included)."""
    import os

    env = dict(os.environ, MUSICGRAMMAR_STORE_DIR=str(store_dir))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "musicgrammar", "ask", str(wav), "What is this tune called?"], env=env,
                   check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--excerpts", type=int, default=30)
    parser.add_argument("--work", type=Path, default=Path("/tmp/musicgrammar-audio-qa"))
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/audio_qa.md")
    args = parser.parse_args()

    import os

    import torch

    torch.set_num_threads(1)
    store_dir = args.work / "store"
    os.environ["MUSICGRAMMAR_STORE_DIR"] = str(store_dir)
    from musicgrammar.graphs.qa import QAContext, ask
    from musicgrammar.retrieval_corpus import ensure_default_store
    from musicgrammar.tools.listen.features import analyse_audio

    store = ensure_default_store(store_dir)
    started = time.perf_counter()
    items = make_items(args.split, args.excerpts, args.work)
    print(f"rendered {len(items)} excerpts in {time.perf_counter() - started:.0f} s", flush=True)

    # latency on a 30 s clip: cold = a fresh process; warm = analysis + graph in a warm process
    clip = next((it.wav for it in items if it.parts == 4), items[0].wav)
    cold = cold_latency(clip, store_dir)
    analyse_audio(items[0].wav)  # warm the numba kernels and the ONNX session in this process
    ask("What is this tune called?", audio=items[0].wav, context=QAContext(store=store))
    warm_times = []
    for it in items[1:6]:
        t0 = time.perf_counter()
        ask("What is this tune called?", audio=it.wav, context=QAContext(store=store))
        warm_times.append(time.perf_counter() - t0)

    results: dict[str, list[tuple[str, bool, str]]] = {"retrieval": [], "no_retrieval": []}
    analyses: dict = {}
    identified_by: Counter = Counter()
    for it in items:
        for kind, text in it.questions:
            for mode in results:
                state = ask(text, audio=it.wav, retrieval=mode == "retrieval", context=QAContext(store=store, analyses=analyses))
                ok = correct(kind, state.answer.answer, it)
                results[mode].append((kind, ok, classify(kind, state, it, ok)))
                if mode == "retrieval" and state.knowledge.identified is not None:
                    by = [t for t in state.tried if t in ("audio", "polyphony", "melody")][-1]
                    identified_by[by + (" (right work)" if state.knowledge.identified.id == it.exemplar_id else " (wrong work)")] += 1
                if mode == "retrieval" and not ok:
                    print(f"  miss {it.exemplar_id} ({it.program}, {it.soundfont}) {kind}: {state.answer.answer[:90]!r}", flush=True)
    lines = _table(args, items, results, cold, warm_times)
    lines += ["", "Questions answered from an identified work, by the search that identified it: "
              + (", ".join(f"{k} {v}" for k, v in sorted(identified_by.items())) or "none") + "."]
    print("\n".join(lines))
    if args.write:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "audio_qa.md").write_text("\n".join(lines) + "\n")


def _table(args, items, results, cold, warm_times) -> list[str]:  # type: ignore[no-untyped-def]
    kinds = sorted({k for it in items for k, _ in it.questions})
    n = len(results["retrieval"])
    acc = {m: sum(ok for _, ok, _ in r) / max(1, len(r)) for m, r in results.items()}
    lines = ["## Audio question answering (`musicgrammar ask`)", "",
             f"Command: `PYTHONPATH=. python benchmarks/audio_qa.py --split {args.split} --excerpts {args.excerpts} --write` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; 2 shared CPU cores, 1 torch thread.",
             f"{len(items)} excerpts ({sum(it.parts == 4 for it in items)} four-part Bach chorales, the rest folk tunes) "
             "of the packaged library subset (539 works), none starting at bar 1, transposed -4..+4, tempo 70-130 BPM, "
             f"programs {', '.join(sorted({it.program for it in items}))}, soundfonts "
             f"{', '.join(sorted({it.soundfont for it in items}))}; {n} questions, 3 per excerpt. Split `{args.split}` "
             "(pieces disjoint from the `dev` split the identification thresholds were set on). Exact match; "
             "tempo within 8 %. Searched: the audio index of the same 539 works (each rendered whole with FluidR3 piano at "
             "100 BPM; `musicgrammar corpus audio-index`), then the melody index of the same subset.", "",
             "| question kind | n | with retrieval | `--no-retrieval` |", "|---|---:|---:|---:|"]  # fmt: skip
    for kind in kinds:
        row = [sum(1 for k, _, _ in results["retrieval"] if k == kind)]
        cells = []
        for mode in ("retrieval", "no_retrieval"):
            hits = [ok for k, ok, _ in results[mode] if k == kind]
            cells.append(f"{sum(hits)}/{len(hits)}")
        lines.append(f"| {kind} | {row[0]} | {cells[0]} | {cells[1]} |")
    for texture, chorale in (("folk tunes (one voice)", False), ("Bach chorales (four parts)", True)):
        cells = []
        for mode in ("retrieval", "no_retrieval"):
            hits = [ok for (k, ok, _), it in zip(results[mode], _question_items(items)) if (it.parts == 4) == chorale]
            cells.append(f"{sum(hits)}/{len(hits)} ({sum(hits) / max(1, len(hits)):.0%})")
        lines.append(f"| *{texture}* | {len(hits)} | {cells[0]} | {cells[1]} |")
    lines.append(f"| **all** | {n} | **{acc['retrieval']:.0%}** | **{acc['no_retrieval']:.0%}** |")
    lines += ["", "Error classes (count of questions):", "", "| class | with retrieval | `--no-retrieval` |", "|---|---:|---:|"]
    classes = Counter(c for _, _, c in results["retrieval"]), Counter(c for _, _, c in results["no_retrieval"])
    for name in ("correct", "refused", "question misread", "perception wrong", "retrieval miss", "reasoning wrong"):
        lines.append(f"| {name} | {classes[0][name]} | {classes[1][name]} |")
    lines += ["", f"Latency, one question about a {_dur(items)} clip: cold (a fresh `musicgrammar ask` process: imports, "
              f"MiniLM, ONNX, numba) {cold:.1f} s; warm (in-process, analysis + graph) median {statistics.median(warm_times):.1f} s "
              f"(min {min(warm_times):.1f}, max {max(warm_times):.1f}, {len(warm_times)} clips)."]  # fmt: skip
    return lines


def _question_items(items):  # type: ignore[no-untyped-def]
    """The item of every question, in the order the questions were asked."""
    return [it for it in items for _ in it.questions]


def _dur(items) -> str:  # type: ignore[no-untyped-def]
    import soundfile as sf

    lengths = [sf.info(str(it.wav)).duration for it in items]
    return f"{statistics.median(lengths):.0f} s (median; {min(lengths):.0f}-{max(lengths):.0f} s)"


if __name__ == "__main__":
    main()
