"""Melody model benchmark: plain vs smart embedding, loss-profile Peak statistics, generation speed, melody scores.

    python benchmarks/melody_model.py --plain .cache/melody_model/plain --smart .cache/melody_model/smart

Writes benchmarks/results/melody_model.md. Needs the prepared corpus (.cache/melody_model/corpus.jsonl)
for the held-out pieces of training/melody_model/split.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training" / "melody_model"))
from data import load_records, split, to_piece  # noqa: E402

from musicgrammar.ontologies import ChordSymbol, Key, Meter, Note  # noqa: E402
from musicgrammar.tools.loss_profile import Corruption, corrupt_tokens, profile_tokens  # noqa: E402
from musicgrammar.tools.melody_model.evaluate import MelodySample, corpus_statistics, score_melodies  # noqa: E402
from musicgrammar.tools.melody_model.generate import generate_phrase, generate_phrase_tokens  # noqa: E402
from musicgrammar.tools.melody_model.model import MelodyModel  # noqa: E402
from musicgrammar.tools.melody_model.tokenizer import (  # noqa: E402
    TICKS_PER_QUARTER,
    VOCAB,
    Piece,
    bar_starts,
    encode,
)

PHRASE_BARS = 8
PROBE_POSITIONS = (0.25, 0.5, 0.75)  # relative bar positions of the probe (as loss_profile.probe_piece)


def _auc(pos: list[float], neg: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([1] * len(pos) + [0] * len(neg), list(pos) + list(neg)))


def _fit(tokens: list[int], limit: int) -> list[int]:
    """Whole bars of ``tokens`` that fit in ``limit`` tokens."""
    if len(tokens) <= limit:
        return tokens
    starts = [i for i in bar_starts(tokens) if i <= limit]
    return tokens[: starts[-1]]


def _val_losses(model: MelodyModel, pieces: list[Piece]) -> dict[str, float]:
    """Mean loss over all targets, over NOTE targets only, and over all targets of chorales / folk tunes."""
    sums = {k: [0.0, 0] for k in ("all", "note", "chorales", "folk")}
    for p in pieces:
        ids = torch.tensor([encode(p)[: model.cfg.max_len]])
        with torch.no_grad():
            losses = model.token_losses(ids)[0]
        target = ids[0, 1:]
        is_note = target >= VOCAB.note_base
        group = "chorales" if any(n.voice > 0 for n in p.notes) else "folk"
        for key, mask in (("all", None), ("note", is_note), (group, None)):
            vals = losses if mask is None else losses[mask]
            sums[key][0] += float(vals.sum())
            sums[key][1] += int(vals.numel())
    return {k: v[0] / max(v[1], 1) for k, v in sums.items()}


def _key_meter(piece: Piece) -> tuple[Key, Meter]:
    from musicgrammar.ontologies.theory import pitch_class_name

    mode = piece.mode if piece.mode in ("major", "minor", "dorian", "mixolydian") else "major"
    return Key.parse(f"{pitch_class_name(piece.tonic)} {mode}"), Meter.parse(f"{piece.meter[0]}/{piece.meter[1]}")


_QUALITY_SUFFIX = {"maj": "", "min": "m", "dim": "dim", "aug": "aug", "dom7": "7", "maj7": "maj7", "min7": "m7",
                   "hdim7": "m7b5", "dim7": "dim7", "sus4": "sus4", "sus2": "sus2"}


def _chords_per_beat(piece: Piece, meter: Meter, bars: int) -> list[ChordSymbol]:
    """The piece's own chord labels sampled on every beat of its first ``bars`` bars."""
    from musicgrammar.ontologies.theory import pitch_class_name

    bar_ticks = piece.bar_ticks
    out = []
    chords = sorted(piece.chords, key=lambda c: c.start)
    for b in range(bars):
        for onset in meter.beat_onsets:
            t = b * bar_ticks + round(onset * TICKS_PER_QUARTER)
            cur = next((c for c in reversed(chords) if c.start <= t), None)
            root, q = (cur.root, cur.quality) if cur else (piece.tonic, "maj")
            out.append(ChordSymbol.parse(pitch_class_name(root) + _QUALITY_SUFFIX[q]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plain", type=Path, default=Path(".cache/melody_model/plain"))
    ap.add_argument("--smart", type=Path, default=Path(".cache/melody_model/smart"))
    ap.add_argument("--also", nargs="*", default=[], help="more checkpoints as name=folder (e.g. plain_untied=...)")
    ap.add_argument("--data", type=Path, default=Path(".cache/melody_model/corpus.jsonl"))
    ap.add_argument("--pieces", type=int, default=60, help="held-out pieces for the profile statistics")
    ap.add_argument("--phrases", type=int, default=30, help="generated phrases")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "melody_model.md")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t_start = time.time()
    load0 = os.getloadavg()[0]

    paths = {"plain": args.plain, "smart": args.smart}
    for item in args.also:
        name, _, path = item.partition("=")
        paths[name] = Path(path)
    models = {name: MelodyModel.load(path) for name, path in paths.items()}
    metrics = {name: json.loads((path / "metrics.json").read_text()) for name, path in paths.items()}
    records = load_records(args.data)
    train_recs, val_recs = split(records)
    val_pieces = [to_piece(r) for r in sorted(val_recs, key=lambda r: r["id"])]
    lines: list[str] = []
    cmd = "python benchmarks/melody_model.py " + " ".join(sys.argv[1:])

    # 1) plain vs smart -------------------------------------------------------------------------
    hist = {n: {h["step"]: h["val_loss"] for h in m["history"]} for n, m in metrics.items()}
    lines += ["## Melody model (issue 6)", "",
              f"Command: `{cmd}`  ", f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: 2 CPU cores "
              f"shared with other jobs (load average {load0:.1f} at start), torch {torch.__version__}, 1 thread.", "",
              "### Plain vs smart (factorized pitch + voice) embedding", "",
              "Each pair ran side by side with the same data stream, seed, optimizer, step plan and a 12-minute "
              "wall-clock budget (`--max-minutes 12`; steps = what fitted). *tied*: the output layer is the "
              "(composed) embedding; *untied*: both variants have the same free output head, so only the input "
              f"embedding differs. Validation: all {len(val_pieces)} held-out pieces (split by piece), first "
              f"{models['smart'].cfg.max_len} tokens each, re-scored here from the stored fp16 weights (also on "
              "NOTE targets only, and on chorale / folk pieces apart); the last column is the training log's "
              "validation loss (150 held-out pieces) at the last step both variants of the pair reached.", "",
              "| variant | output | embedding params | total params | steps | train minutes | val loss (nats/token) | "
              "NOTE-token loss | chorales | folk tunes | val loss at common step (log) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    vl = {}
    for name, model in models.items():
        m = metrics[name]
        parts = _val_losses(model, val_pieces)
        vl[name] = parts["all"]
        partner = {"plain": "smart", "smart": "plain"}.get(name) or (
            name.replace("plain", "smart") if "plain" in name else name.replace("smart", "plain"))
        common = sorted(set(hist[name]) & set(hist.get(partner, {})))
        at_common = f"{hist[name][common[-1]]:.4f} (step {common[-1]})" if common else "n/a"
        lines.append(f"| {name} | {'tied' if model.cfg.tie_output else 'untied'} | {model.embedding_parameters():,} | "
                     f"{model.total_parameters():,} | {m['steps']} | {m['minutes']:.1f} | {vl[name]:.4f} | {parts['note']:.4f} | "
                     f"{parts['chorales']:.4f} | {parts['folk']:.4f} | {at_common} |")
    nmi = metrics["smart"]["nmi_pitch_voice"]
    lines.append("")
    for a, b in (("plain", "smart"), ("plain_untied", "smart_untied")):
        if a in vl and b in vl:
            rel = (vl[a] - vl[b]) / vl[a] * 100
            saving = 1 - models[b].embedding_parameters() / models[a].embedding_parameters()
            lines.append(f"- {b} vs {a}: validation loss {rel:+.2f}% lower (negative = smart is worse), "
                         f"{saving * 100:.1f}% fewer embedding parameters.")
    lines += [f"- NMI(pitch, voice) on the training notes: {nmi['all']:.3f} over all {nmi['all_notes']:,} notes "
              f"(folk tunes are all voice 0), {nmi['chorales']:.3f} over the {nmi['chorales_notes']:,} four-voice "
              "chorale notes (the paper reports 0.167 for pitch vs hand on piano).", ""]
    winner = min(vl, key=vl.get)
    family = "smart" if "smart" in winner else "plain"
    other = min((n for n in vl if family not in n), key=vl.get)
    model = models[winner]
    lines += [f"Best validation loss: **{winner}**, used below (and shipped).", ""]
    print("\n".join(lines), flush=True)

    # 2) loss-profile Peak statistics -------------------------------------------------------------
    limit = model.cfg.max_len
    rng = random.Random(0)
    chosen = [p for p in val_pieces if sum(1 for t in _fit(encode(p), limit) if t == VOCAB.bar) >= 6]
    rng.shuffle(chosen)
    chosen = chosen[: args.pieces]
    groups: dict[str, list[list[int]]] = {"real (held-out)": [], "pitch-scrambled": [], "bar-shuffled": [],
                                          "generated": []}
    gen_samples, real_samples = [], []
    for i, piece in enumerate(chosen):
        tokens = _fit(encode(piece), limit)
        n_bars = sum(1 for t in tokens if t == VOCAB.bar)
        groups["real (held-out)"].append(tokens)
        groups["pitch-scrambled"].append(corrupt_tokens(tokens, Corruption.RANDOM_PITCHES, 0, n_bars, seed=i)[0])
        groups["bar-shuffled"].append(corrupt_tokens(tokens, Corruption.SHUFFLED_BARS, 0, n_bars, seed=i)[0])
    # Generated phrases: the key, meter and chord labels of held-out pieces, 8 bars, lead voice.
    t0 = time.time()
    for i, piece in enumerate(chosen[: args.phrases]):
        key, meter = _key_meter(piece)
        chords = _chords_per_beat(piece, meter, PHRASE_BARS)
        melody = [n for n in piece.notes if n.voice == 0]
        low = max(36, min(n.pitch for n in melody) - 2)
        high = min(96, max(max(n.pitch for n in melody) + 2, low + 12))
        notes = generate_phrase(key, meter, chords, bars=PHRASE_BARS, low=low, high=high, seed=i, model=model)
        gen_samples.append(MelodySample(notes, key, meter, chords))
        first_bars = [Note(pitch=n.pitch, start=n.start / TICKS_PER_QUARTER, duration=n.duration / TICKS_PER_QUARTER)
                      for n in melody if n.start < PHRASE_BARS * piece.bar_ticks]
        real_samples.append(MelodySample(first_bars, key, meter, chords))
        from musicgrammar.tools.melody_model.evaluate import sample_to_piece

        groups["generated"].append(_fit(encode(sample_to_piece(gen_samples[-1])), limit))
    gen_seconds = time.time() - t0

    def logits_fn(x: torch.Tensor) -> torch.Tensor:
        return model(x)[0]

    stats: dict[tuple[str, str], dict[str, list[float]]] = {}
    for kind in Corruption:
        for group, seqs in groups.items():
            acc: dict[str, list[float]] = {"area": [], "mean": [], "max": [], "loss": []}
            for j, toks in enumerate(seqs):
                n_bars = sum(1 for t in toks if t == VOCAB.bar)
                profs = []
                for k, q in enumerate(PROBE_POSITIONS):  # the probe, at three places; statistics averaged
                    at = min(max(0, round(q * (n_bars - 2))), n_bars - 1)
                    bad, b0, b1 = corrupt_tokens(toks, kind, at, 2, seed=1000 + 10 * j + k)
                    profs.append(profile_tokens(logits_fn, toks, bad, b0, b1, limit))
                acc["area"].append(float(np.mean([p.peak_area for p in profs])))
                acc["mean"].append(float(np.mean([p.peak_mean for p in profs])))
                acc["max"].append(float(np.mean([p.peak_max for p in profs])))
                acc["loss"].append(float(np.mean(profs[0].clean)))
            stats[(kind.value, group)] = acc
    lines += ["### Noise-injection loss profile (PAPERS.md §10, symbolic)", "",
              f"Model: {winner}. {len(chosen)} held-out pieces (whole bars within the first {limit} tokens), their "
              "pitch-scrambled and bar-shuffled versions (the whole piece corrupted), and "
              f"{len(groups['generated'])} generated {PHRASE_BARS}-bar phrases (keys, meters and chord labels of held-out "
              "pieces). Probe: the injected corruption, 2 bars, at 1/4, 1/2 and 3/4 of the piece, statistics averaged over "
              "the three (as `loss_profile.probe_piece`). Peak = from 5 tokens before the onset "
              "until 5 tokens are back at the baseline (fallback 50). Values: mean ± sd over pieces.", "",
              "| probe | material | Peak mean | Peak max | Peak area | mean clean loss |", "|---|---|---|---|---|---|"]
    for (kind, group), acc in stats.items():
        lines.append(f"| {kind} | {group} | {np.mean(acc['mean']):.3f} ± {np.std(acc['mean']):.3f} | "
                     f"{np.mean(acc['max']):.2f} ± {np.std(acc['max']):.2f} | "
                     f"{np.mean(acc['area']):.1f} ± {np.std(acc['area']):.1f} | {np.mean(acc['loss']):.3f} |")
    lines += ["", "AUC of telling real held-out pieces from their corrupted versions (score: higher = real):", "",
              "| probe | real vs pitch-scrambled, by Peak area | real vs bar-shuffled, by Peak area | "
              "real vs pitch-scrambled, by -mean loss | real vs bar-shuffled, by -mean loss |", "|---|---|---|---|---|"]
    for kind in Corruption:
        real = stats[(kind.value, "real (held-out)")]
        row = [f"| {kind.value} "]
        for key_, sign in (("area", 1), ("loss", -1)):
            for other_group in ("pitch-scrambled", "bar-shuffled"):
                neg = stats[(kind.value, other_group)]
                row.append(f"{_auc([sign * x for x in real[key_]], [sign * x for x in neg[key_]]):.3f}")
        lines.append(row[0] + "| " + " | ".join(row[1:]) + " |")
    lines.append("")
    print("\n".join(lines[-20:]), flush=True)

    # 3) generation speed ---------------------------------------------------------------------------
    key, meter = Key.parse("C major"), Meter.parse("4/4")
    schedule = [(0, "maj"), (0, "maj"), (5, "maj"), (5, "maj"), (7, "dom7"), (7, "dom7"), (0, "maj"), (0, "maj")] * 4
    n_tok, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    for seed in range(10):
        res = generate_phrase_tokens(model, tonic_pc=0, mode="major", key_pcs=key.pitch_classes(), meter=meter,
                                     chords=schedule[: PHRASE_BARS * 4], bars=PHRASE_BARS, low=60, high=81, seed=seed)
        n_tok += len(res.tokens)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    load1 = os.getloadavg()[0]
    lines += ["### Generation speed (one thread, KV cache, constrained decoding)", "",
              "| phrases | tokens | wall s | tokens/s (wall) | CPU s | tokens/s per CPU-second |", "|---|---|---|---|---|---|",
              f"| 10 x {PHRASE_BARS} bars 4/4 | {n_tok} | {wall:.2f} | {n_tok / wall:.0f} | {cpu:.2f} | {n_tok / cpu:.0f} |",
              "", f"Load average during the run: {load1:.1f} on 2 cores (wall-clock rates suffer when the box is "
              "shared; the per-CPU-second rate is what one free core gives). The "
              f"{len(gen_samples)} phrases of the profile section took {gen_seconds:.1f} s in all.", ""]

    # 4) melody scores --------------------------------------------------------------------------------
    scorer = models[other]
    corpus = corpus_statistics(to_piece(r) for r in train_recs)
    rng = random.Random(7)
    random_samples = []
    for s in gen_samples:  # baseline: the generated rhythm with uniformly random in-key pitches
        scale = s.key.scale_pitches(min(n.pitch for n in s.notes), max(n.pitch for n in s.notes))
        random_samples.append(MelodySample([n.model_copy(update={"pitch": rng.choice(scale), "chromatic": False})
                                            for n in s.notes], s.key, s.meter, s.chords))
    lines += ["### Melody scores vs the corpus", "",
              f"Likelihood under the *{other}* checkpoint (a different model trained on the same split, so the "
              f"{winner} model's own samples are not scored by themselves). Distances are total variation to the "
              f"training melodies' histograms (0 = identical). Corpus motif recurrence: {corpus['motif_recurrence']:.3f}.",
              "", "| melodies | n | mean log-lik (nats/token) | pitch-class distance | interval distance | motif recurrence |",
              "|---|---|---|---|---|---|"]
    for name, samples in (("held-out real (first 8 bars)", real_samples), (f"generated ({winner})", gen_samples),
                          ("random in-key pitches, generated rhythm", random_samples)):
        sc = score_melodies(samples, model=scorer, stats=corpus)
        lines.append(f"| {name} | {len(samples)} | {sc['mean_loglik']:.3f} | {sc['pc_distance']:.3f} | "
                     f"{sc['interval_distance']:.3f} | {sc['motif_recurrence']:.3f} |")
    lines += ["", f"Benchmark wall time: {time.time() - t_start:.0f} s.", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(args.out)
    print("\n".join(lines[-12:]))


if __name__ == "__main__":
    main()
