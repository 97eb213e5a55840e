"""Harmonizer benchmark: FF vs MD vs R10% vs the rule baseline (PAPERS.md section 5 tables).

Held-out chorales (training/harmonizer/split.json "test"): metric means next to the ground truth and
per-piece MAE vs the ground truth; folk melodies (Essen, O'Neill's; no ground truth): metric means;
inference time per 16-bar 4/4 melody on CPU (1 thread).

    python benchmarks/harmonizer.py --ckpt-dir .cache/harmonizer --folk 60
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from musicgrammar.tools import harmony_metrics as hm  # noqa: E402
from musicgrammar.tools.harmonizer.data import piece_windows, tokens_to_events  # noqa: E402
from musicgrammar.tools.harmonizer.inference import harmonize_windows  # noqa: E402
from musicgrammar.tools.harmonizer.model import load_checkpoint  # noqa: E402
from musicgrammar.tools.harmonizer.rules import harmonize_rules  # noqa: E402
from musicgrammar.tools.harmonizer.tokens import (  # noqa: E402
    MelodyNote,
    build_grid,
    melody_roll,
    normalization_shift,
    token_pitch_classes,
)
from training.harmonizer.dataset import load_pieces, load_split  # noqa: E402

NAMES = hm.METRIC_NAMES


def spans_of(steps, tokens) -> list[tuple[float, float, frozenset[int]]]:
    return [(e.onset, e.duration, token_pitch_classes(e.token)) for e in tokens_to_events(steps, tokens, False)]


def run_method(method: str, model, notes, bar_q: float, total: float, major: bool, seed: int, order: str, per_pass: int):
    steps = build_grid(bar_q, total)
    if method == "rules":
        return steps, harmonize_rules(melody_roll(notes, steps), steps, major)
    windows = piece_windows(notes, bar_q, total, model.config.max_len)
    return steps, harmonize_windows(model, windows, len(steps), order, 0.9, seed, per_pass)


def metrics_of(notes, spans, bar_q: float, beat_q: float) -> dict[str, float]:
    return hm.harmony_metrics([(n.pitch, n.start, n.duration) for n in notes], spans, bar_q, beat_q)


def nanmean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.nanmean([r[k] for r in rows])) if rows else float("nan") for k in NAMES}


def folk_melodies(collection: str, n: int, seed: int, max_bars: int = 16) -> list[dict]:
    """n tunes sampled (seeded) from a music21 ABC collection: normalized notes, first 16 bars."""
    import music21
    from music21 import converter

    folder = Path(music21.__file__).parent / "corpus" / collection
    refs = []
    for f in sorted(folder.glob("*.abc")):
        for x in re.findall(r"^X:\s*(\d+)", f.read_text(errors="ignore"), flags=re.M):
            refs.append((f, int(x)))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(refs))
    out: list[dict] = []
    for i in order:
        if len(out) >= n:
            break
        f, x = refs[i]
        try:
            s = converter.parse(str(f), number=x)
            tss = {t.ratioString for t in s.recurse().getElementsByClass("TimeSignature")}
            if len(tss) != 1:
                continue
            ts = s.recurse().getElementsByClass("TimeSignature")[0]
            bar_q = float(ts.barDuration.quarterLength)
            part = s.parts[0] if s.parts else s
            measures = part.getElementsByClass("Measure")
            pad = float(measures[0].paddingLeft) if len(measures) else 0.0
            key = s.analyze("key")
            major = key.mode == "major"
            shift = normalization_shift(key.tonic.pitchClass, major)
            notes = []
            for el in part.stripTies().flatten().notes:
                d = float(el.duration.quarterLength)
                start = float(el.getOffsetInHierarchy(part)) + pad
                if d > 0 and start < max_bars * bar_q:
                    notes.append(MelodyNote(max(p.midi for p in el.pitches) + shift, start, min(d, max_bars * bar_q - start)))
        except Exception:  # an unparsable tune is skipped
            continue
        if len(notes) < 8:
            continue
        total = min(max_bars * bar_q, max(nn.start + nn.duration for nn in notes))
        out.append({"id": f"{collection}/{f.name}#{x}", "notes": notes, "bar_q": bar_q, "total": total,
                    "major": major, "beat_q": hm.beat_quarters_for(ts.numerator, ts.denominator)})
    return out


def fmt(x: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(x) else f"{x:.{digits}f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / ".cache/harmonizer/chorales.json")
    ap.add_argument("--ckpt-dir", type=Path, default=ROOT / ".cache/harmonizer", help="holds ff/, md/, r10/")
    ap.add_argument("--folk", type=int, default=60, help="tunes per folk collection")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/harmonizer.md")
    ap.add_argument("--extra", action="append", default=[], metavar="LABEL=DIR",
                    help="another checkpoint to compare (most-certain order, one step per pass)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    models = {}
    for name in ("ff", "md", "r10"):
        folder = args.ckpt_dir / name
        if (folder / "model.safetensors").exists():
            models[name] = load_checkpoint(folder)
    methods = [("FF", "ff", "certain", 1), ("FF (random order)", "ff", "random", 1), ("FF (4 per pass)", "ff", "certain", 4),
               ("MD", "md", "certain", 1), ("R10%", "r10", "certain", 1), ("rules", "rules", "", 1)]
    methods = [m for m in methods if m[1] == "rules" or m[1] in models]
    for spec in args.extra:
        label, _, folder = spec.partition("=")
        models[label] = load_checkpoint(Path(folder))
        methods.insert(-1, (label, label, "certain", 1))

    pieces = load_pieces(args.data)
    test = [pieces[i] for i in load_split()["test"] if i in pieces]
    truth_rows = []
    rows: dict[str, list[dict[str, float]]] = {m[0]: [] for m in methods}
    acc: dict[str, list[float]] = {m[0]: [] for m in methods}
    for p in test:
        beat_q = 1.0  # chorales are in 3/4 and 4/4
        truth_rows.append(metrics_of(p.notes, spans_of(p.steps, p.tokens), p.bar_quarters, beat_q))
        for label, key, order, per_pass in methods:
            steps, tok = run_method(key, models.get(key), p.notes, p.bar_quarters, p.total_quarters, p.major, args.seed, order, per_pass)
            rows[label].append(metrics_of(p.notes, spans_of(steps, tok), p.bar_quarters, beat_q))
            sel = np.array([not s.is_bar for s in steps])
            acc[label].append(float((tok[sel] == p.tokens[sel]).mean()))
    print(f"chorales: {len(test)} held-out pieces", flush=True)

    folk = {c: folk_melodies(c, args.folk, args.seed) for c in ("essenFolksong", "oneills1850")} if args.folk else {}
    folk_rows: dict[str, dict[str, dict[str, float]]] = {}
    for c, tunes in folk.items():
        folk_rows[c] = {}
        for label, key, order, per_pass in methods:
            r = []
            for t in tunes:
                steps, tok = run_method(key, models.get(key), t["notes"], t["bar_q"], t["total"], t["major"], args.seed, order, per_pass)
                r.append(metrics_of(t["notes"], spans_of(steps, tok), t["bar_q"], t["beat_q"]))
            folk_rows[c][label] = nanmean(r)
        print(f"{c}: {len(tunes)} tunes", flush=True)

    # timing: 16-bar 4/4 windows cut from the held-out chorales, whole harmonization per call
    timing = {}
    bench = [p for p in test if p.meter == "4/4"][:20]
    for label, key, order, per_pass in methods:
        if label == "FF (random order)":
            continue
        ts = []
        for p in bench:
            notes = [n for n in p.notes if n.start < 64]
            t0 = time.perf_counter()
            run_method(key, models.get(key), notes, 4.0, 64.0, p.major, args.seed, order, per_pass)
            ts.append((time.perf_counter() - t0) * 1000)
        timing[label] = (float(np.median(ts)), float(np.mean(ts)))

    truth = nanmean(truth_rows)
    lines = ["## Harmonizer (issue 5)", ""]
    lines.append(f"Held-out Bach chorales: {len(test)} pieces (training/harmonizer/split.json), normalized to C major / "
                 "A minor, one chord per quarter note; nucleus p = 0.9, seed "
                 f"{args.seed}. Closest to ground truth per column in **bold** (CTnCTR and PCS: higher is not better, "
                 "closer is). `acc` = share of quarter steps whose chord token equals the ground truth.")
    lines.append("")
    lines.append("| method | " + " | ".join(NAMES) + " | acc |")
    lines.append("|---|" + "---|" * (len(NAMES) + 1))
    lines.append("| ground truth | " + " | ".join(fmt(truth[k]) for k in NAMES) + " | 1.000 |")
    means = {label: nanmean(r) for label, r in rows.items()}
    best = {k: min(means, key=lambda lab: abs(means[lab][k] - truth[k])) for k in NAMES}
    for label in rows:
        cells = [f"**{fmt(means[label][k])}**" if best[k] == label else fmt(means[label][k]) for k in NAMES]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {np.mean(acc[label]):.3f} |")
    lines += ["", "MAE vs ground truth per piece (lower is better):", ""]
    lines.append("| method | " + " | ".join(NAMES) + " |")
    lines.append("|---|" + "---|" * len(NAMES))
    maes = {label: hm.mean_absolute_error(r, truth_rows) for label, r in rows.items()}
    best = {k: min(maes, key=lambda lab: maes[lab][k]) for k in NAMES}
    for label in rows:
        lines.append(f"| {label} | " + " | ".join(f"**{fmt(maes[label][k])}**" if best[k] == label else fmt(maes[label][k]) for k in NAMES) + " |")
    for c, table in folk_rows.items():
        lines += ["", f"Folk melodies, {c} ({len(folk[c])} tunes sampled with seed {args.seed}, first 16 bars, key by "
                  "Krumhansl-Schmuckler, no ground truth; meters include 2/4 and 6/8, unseen in training): metric means", ""]
        lines.append("| method | " + " | ".join(NAMES) + " |")
        lines.append("|---|" + "---|" * len(NAMES))
        for label, m in table.items():
            lines.append(f"| {label} | " + " | ".join(fmt(m[k]) for k in NAMES) + " |")
    lines += ["", f"Inference time per 16-bar 4/4 melody (64 chord steps), CPU, 1 thread, {len(bench)} melodies:", ""]
    lines.append("| method | median ms | mean ms |")
    lines.append("|---|---|---|")
    for label, (med, mean) in timing.items():
        lines.append(f"| {label} | {med:.1f} | {mean:.1f} |")
    extra = "".join(f" --extra '{e}'" for e in args.extra)
    lines += ["", f"Command: `python benchmarks/harmonizer.py --ckpt-dir {os.path.relpath(args.ckpt_dir, ROOT)} --folk {args.folk} "
              f"--seed {args.seed}{extra}`  ", f"Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; machine: "
              f"{platform.machine()}, 2 CPU cores shared with other jobs (timings are indicative), torch {torch.__version__}.", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, args.out)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
