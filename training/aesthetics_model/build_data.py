"""Training and held-out data for the aesthetics model: graded degradations of rendered Bach chorales.

Per chorale (music21 corpus, public domain): an 8-second window of whole bars at the tempo that makes
those bars last exactly 8 s (100-160 BPM), random GM instruments for the soprano (the lead) and the
lower voices (the accompaniment), a random soundfont (FluidR3_GM when installed, else TimGM6mb) and
reverb on or off. From that clean clip come 17 clips: the clean one (grade 0) and, for each judged
dimension and grade 1..4, one degradation of a kind drawn for that dimension (corrupt.py). Every
score-level variant is rendered in one FluidSynth pass (the variants' parts side by side in one Score),
so a piece costs one soundfont load. Features (semitone and mel band levels, uint8) of the mix, the lead stem and the
accompaniment (the sum of the other stems); labels: the grade of each dimension (0 where untouched), and
in the meta records the half bar (quarter notes) and which of its seams broke (shuffled clips; none elsewhere).

Chorales whose corpus path hashes into the held-out bucket (1 in 8) only ever appear in the held-out
set; for those the mix audio and each clip's score are kept too, so the benchmark can run the rule
judge and the loss-profile signal on the very same clips.

    python training/aesthetics_model/build_data.py --out .cache/aesthetics_data --shard 0/2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from a checkout

from training.aesthetics_model.corrupt import GRADES, KINDS, Kind, corrupt_audio, corrupt_score, shuffle_segments  # noqa: E402
from training.codec.render_data import heldout_piece  # noqa: E402

from musicgrammar.ontologies import Meter, Note, Part, Score  # noqa: E402
from musicgrammar.ontologies.instrumentation import Role  # noqa: E402
from musicgrammar.tools.aesthetics_model.config import DIMENSIONS, cpu_config  # noqa: E402
from musicgrammar.tools.aesthetics_model.features import log_mel, to_uint8  # noqa: E402
from musicgrammar.tools.harmony_metrics import beat_quarters_for  # noqa: E402

LICENCE = "public domain (J. S. Bach chorales, music21 corpus)"
HELDOUT_EVERY = 8
CLIP_SECONDS = 8.0
LEADS = ("flute", "oboe", "clarinet", "violin", "trumpet", "soprano_sax", "recorder", "english_horn", "vibraphone")
ACCOMPANIMENTS = ("string_ensemble_1", "church_organ", "acoustic_grand_piano", "french_horn", "bassoon", "cello",
                  "choir_aahs", "acoustic_guitar_nylon", "electric_piano_1", "viola", "reed_organ", "trombone")
BASSES = ("cello", "contrabass", "acoustic_bass", "bassoon", "tuba", "church_organ", "acoustic_grand_piano")


def chorale_paths() -> list[str]:
    from music21 import corpus

    return [str(p) for p in corpus.chorales.Iterator(returnType="filename")]


def last_distinct(pieces: list[str], count: int) -> list[str]:
    """The entries of the last ``count`` distinct pieces, every appearance of each, in their order. The corpus
    lists a few chorales twice, and train.py orders chorales by their first appearance when it sets the last
    ones aside: a piece whose first appearance is early is a training piece, however late it appears again."""
    last = set(list(dict.fromkeys(pieces))[-count:])
    return [p for p in pieces if p in last]


def clip_of(score: Score, rng: random.Random) -> Score | None:
    """A window of whole bars lasting CLIP_SECONDS at a tempo in 100-160 BPM, instruments reassigned;
    None when the piece is too short or has too few lead notes in every candidate window."""
    bar_q = score.bar_quarters
    choices = [bars for bars in range(2, 12) if 100 <= bars * bar_q * 60 / CLIP_SECONDS <= 160]
    if not choices:
        return None
    bars = rng.choice(choices)
    tempo = bars * bar_q * 60 / CLIP_SECONDS
    starts = list(range(0, score.bars - bars + 1))
    if not starts:
        return None
    lead = score.lead()
    rng.shuffle(starts)
    for first in starts[:4]:
        lo, hi = first * bar_q, (first + bars) * bar_q
        if lead is None or sum(lo <= n.start < hi for n in lead.notes) < 4:
            continue
        same = rng.random() < 0.4
        acc_choice = rng.choice(ACCOMPANIMENTS)
        velocity = rng.uniform(0.7, 1.2)
        parts = []
        pitched = [p for p in score.parts if not p.is_drum]
        for index, part in enumerate(pitched):
            if part is lead:
                instrument, role = rng.choice(LEADS), Role.LEAD
            elif index == len(pitched) - 1:
                instrument, role = (acc_choice if same else rng.choice(BASSES)), Role.BASS
            else:
                instrument, role = (acc_choice if same else rng.choice(ACCOMPANIMENTS)), Role.HARMONY
            notes = [Note(pitch=n.pitch, start=n.start - lo, duration=min(n.duration, hi - n.start),
                          velocity=int(min(127, max(20, n.velocity * velocity))))
                     for n in part.notes if lo <= n.start < hi]
            parts.append(Part(id=f"p{index}", instrument=instrument, role=role, notes=notes))
        return Score(title=score.title, key=score.key, meter=score.meter, tempo_bpm=tempo, bars=bars, parts=parts)
    return None


def compound_time(quarters: float) -> float:
    """Where a moment of a simple-metre score falls once each quarter-note beat is a dotted quarter: the
    beat's first eighth lasts two eighths and its second one eighth (a long-short pair, as a chorale's
    passing eighths read in 12/8); beats land on beats, so bars keep their beat count."""
    beat = math.floor(quarters + 1e-9)
    within = max(0.0, quarters - beat)
    return 1.5 * beat + (2.0 * within if within < 0.5 else 1.0 + (within - 0.5))


def to_compound(score: Score) -> Score | None:
    """The piece in compound metre (4/4 -> 12/8, 3/4 -> 9/8, 2/4 -> 6/8), every note moved by compound_time;
    None for a metre whose unit is not the quarter note. The judge otherwise never hears a pulse divided
    in three (one Bach chorale of 300 is in 12/8), and reads such a piece's rhythm as broken."""
    if score.meter.denominator != 4:
        return None
    parts = []
    for part in score.parts:
        notes = []
        for n in part.notes:
            start, end = compound_time(n.start), compound_time(n.start + n.duration)
            notes.append(n.model_copy(update={"start": start, "duration": max(end - start, 0.125)}))
        parts.append(part.model_copy(update={"notes": notes}))
    return score.model_copy(update={"meter": Meter(numerator=3 * score.meter.numerator, denominator=8), "parts": parts})


def variants(rng: random.Random) -> list[tuple[Kind | None, int]]:
    """The clean clip, then per grade and dimension one degradation of a randomly drawn kind."""
    out: list[tuple[Kind | None, int]] = [(None, 0)]
    for grade in GRADES:
        for dim in DIMENSIONS:
            out.append((rng.choice([k for k in KINDS if k.dimension == dim]), grade))
    return out


def second_degradations(plan: list[tuple[Kind | None, int]], share: float, rng: random.Random,
                        shuffle_share: float = 0.0) -> list[tuple[Kind, int] | None]:
    """For each degraded variant, with probability ``share``, a second degradation of a kind that hurts
    another dimension, at a grade drawn from 1..4 (None elsewhere, and always for the clean clip). Drawn
    from its own generator, so the first degradations are the same with and without. With
    ``shuffle_share`` > 0 that share of the second degradations of variants whose first one is not the
    shuffle are shuffled half-bars (coherence is the dimension the judge ranks worst); the rest are drawn
    as before, and with 0 the draws are exactly those of a build without it."""
    out: list[tuple[Kind, int] | None] = []
    shuffle = next(k for k in KINDS if k.name == "shuffled_segments")
    for kind, _ in plan:
        if kind is None or rng.random() >= share:
            out.append(None)
            continue
        if shuffle_share and kind.dimension != shuffle.dimension and rng.random() < shuffle_share:
            out.append((shuffle, rng.choice(GRADES)))
            continue
        out.append((rng.choice([k for k in KINDS if k.dimension != kind.dimension]), rng.choice(GRADES)))
    return out


def _score_damage(score: Score, kind: Kind | None, grade: int, rng: random.Random, seams: int) -> tuple[Score, list[bool]]:
    """A score-level degradation (the score itself for none or an audio-level one) and the seams it broke."""
    if kind is not None and kind.name == "shuffled_segments":
        return shuffle_segments(score, grade, rng)
    damaged = score if kind is None or kind.level == "audio" else corrupt_score(score, kind, grade, rng)
    return damaged, [False] * seams


def render_variants(clip: Score, plan: list[tuple[Kind | None, int]], rng: random.Random, soundfont: Path,
                    reverb: bool, sr: int, second: list[tuple[Kind, int] | None] | None = None,
                    second_rng: random.Random | None = None) -> list[tuple[Score, np.ndarray, dict[str, np.ndarray], list[bool]]]:
    """(score, mix, stems, broken seams) per planned variant, all CLIP_SECONDS long, mix == sum(stems); the
    last says for each half-bar seam of the clip whether the music there no longer follows as written.
    ``second`` adds a further degradation to variants (second_degradations), drawn from ``second_rng``;
    ``rng`` is used exactly as without them."""
    from musicgrammar.tools.render import render_parts

    second = second or [None] * len(plan)
    other = second_rng or random.Random(0)
    seams = max(0, int(clip.length_quarters // half_bar(clip)) - 1)
    scores, broken = [], []
    for (kind, grade), extra in zip(plan, second):
        score, cut = _score_damage(clip, kind, grade, rng, seams)
        if extra is not None and extra[0].level == "score":
            score, more = _score_damage(score, extra[0], extra[1], other, seams)
            cut = [a or b for a, b in zip(cut, more)]
        scores.append(score)
        broken.append(cut)
    rendered_at = [i for i, ((kind, _), extra) in enumerate(zip(plan, second))
                   if kind is None or kind.level == "score" or (extra is not None and extra[0].level == "score")]
    combo = clip.model_copy(update={"parts": [p.model_copy(update={"id": f"v{i}_{p.id}"})
                                              for i in rendered_at for p in scores[i].parts if p.notes]})
    waves, _, _ = render_parts(combo, soundfont, sr, tail_s=0.05, reverb=reverb)
    n = int(CLIP_SECONDS * sr)
    clean_peak = max(float(np.max(np.abs(sum(waves[f"v0_{p.id}"][:n] for p in clip.parts if p.notes)))), 1e-6)
    gain = rng.uniform(0.3, 0.9) / clean_peak  # one gain per piece: the variants keep their relative level
    silent = np.zeros(n, dtype=np.float32)
    rendered: dict[int, dict[str, np.ndarray]] = {
        i: {p.id: waves[f"v{i}_{p.id}"][:n] * gain if p.notes else silent for p in scores[i].parts} for i in rendered_at}
    lead_id = clip.lead().id  # type: ignore[union-attr]
    out = []
    for i, ((kind, grade), extra) in enumerate(zip(plan, second)):
        stems = rendered[i] if i in rendered else rendered[0]
        mix = np.sum(np.stack(list(stems.values())), axis=0).astype(np.float32)
        audio = [(k, g, r) for k, g, r in ((kind, grade, rng), (*(extra or (None, 0)), other)) if k is not None and k.level == "audio"]
        for k, g, r in sorted(audio, key=lambda a: a[0].name != "detuned_part"):  # a stem detuned before the mix is mastered
            mix, stems = corrupt_audio(mix, stems, sr, k, g, r, lead_id)
        out.append((scores[i], mix, stems, broken[i]))
    return out


def half_bar(clip: Score) -> float:
    """The segment shuffled_segments cuts the clip into, in quarter notes."""
    return clip.bar_quarters / 2 if clip.bar_quarters >= 2 else clip.bar_quarters


def stream_features(mix: np.ndarray, stems: dict[str, np.ndarray], lead_id: str, cfg) -> np.ndarray:  # type: ignore[no-untyped-def]
    """(3, frames, features) uint8: mix, lead, accompaniment."""
    acc = np.sum(np.stack([w for k, w in stems.items() if k != lead_id]), axis=0)
    return np.stack([to_uint8(log_mel(x, cfg)) for x in (mix, stems[lead_id], acc)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--shard", default="0/1", help="i/n: this process builds every n-th chorale from the i-th")
    ap.add_argument("--train-pieces", type=int, default=200, help="cap on training chorales (all shards together)")
    ap.add_argument("--heldout-pieces", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--splits", default="heldout,train", help="which splits to build, comma-separated")
    ap.add_argument("--second", type=float, default=0.0,
                    help="training split: share of degraded clips given a second degradation of another dimension")
    ap.add_argument("--shuffle-share", type=float, default=0.0,
                    help="with --second: share of the second degradations that are shuffled half-bars (coherence)")
    ap.add_argument("--compound", type=float, default=0.0,
                    help="training split: share of chorales heard in compound metre (to_compound: 4/4 as 12/8, 3/4 as 9/8)")
    ap.add_argument("--last-pieces", type=int, default=0,
                    help="training split: only the last N distinct chorales (train.py --val-pieces M < N sets aside the last M), "
                         "to validate a model without building the whole split")
    ap.add_argument("--max-minutes", type=float, default=0.0, help="per split: stop taking new pieces after this long")
    args = ap.parse_args()
    if args.last_pieces < 0:
        raise SystemExit(f"--last-pieces {args.last_pieces}: give a count of chorales, 0 for all")
    if not all(0.0 <= share <= 1.0 for share in (args.second, args.shuffle_share, args.compound)):
        raise SystemExit("--second, --shuffle-share and --compound are shares: give a number from 0 to 1")
    import torch

    torch.set_num_threads(1)
    from music21 import corpus

    from musicgrammar.tools.io import load_score
    from musicgrammar.tools.render import FLUIDR3, timgm_soundfont

    shard, shards = (int(x) for x in args.shard.split("/"))
    cfg = cpu_config()
    soundfonts = [timgm_soundfont()] + ([FLUIDR3] if FLUIDR3.is_file() else [])
    paths = chorale_paths()
    heldout = [p for p in paths if heldout_piece(p, HELDOUT_EVERY)][: args.heldout_pieces]
    train = [p for p in paths if not heldout_piece(p, HELDOUT_EVERY)][: args.train_pieces]
    if args.last_pieces:  # each chorale draws from generators seeded by its own name: the same clips as in the whole build
        train = last_distinct(train, args.last_pieces)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, pieces in (("heldout", heldout), ("train", train)):
        if split not in args.splits.split(","):
            continue
        feats, labels, meta, mixes, scores = [], [], [], [], []
        started = time.time()
        mine = pieces[shard::shards]
        for count, rel in enumerate(mine):
            if args.max_minutes and time.time() - started > 60 * args.max_minutes:
                print(f"{split} shard {shard}: time budget spent after {count} pieces", flush=True)
                break
            rng = random.Random(f"{args.seed}:{rel}")
            try:
                work = corpus.getWork(rel)
                source = load_score(work[0] if isinstance(work, list) else work)
            except Exception as exc:  # a corpus file that does not convert: skip it, say so
                print(f"skip {rel}: {type(exc).__name__}: {exc}", flush=True)
                continue
            # the beat the seams are counted in: the dotted quarter in compound metre (12/8 as written, or made so)
            beat_quarters = 1.5 if beat_quarters_for(source.meter.numerator, source.meter.denominator) == 1.5 else 1.0
            compound_rng = random.Random(f"{args.seed}:{rel}:compound")  # its own: the other draws stay as they were
            if split == "train" and args.compound and compound_rng.random() < args.compound:
                converted = to_compound(source)
                if converted is not None:
                    source, beat_quarters = converted, 1.5
            clip = clip_of(source, rng)
            if clip is None:
                print(f"skip {rel}: no usable 8 s window", flush=True)
                continue
            soundfont, reverb = rng.choice(soundfonts), rng.random() < 0.5
            plan = variants(rng)
            second_rng = random.Random(f"{args.seed}:{rel}:second")
            second = second_degradations(plan, args.second if split == "train" else 0.0, second_rng, args.shuffle_share)
            rendered = render_variants(clip, plan, rng, soundfont, reverb, cfg.sample_rate, second, second_rng)
            for (kind, grade), extra, (score, mix, stems, broken) in zip(plan, second, rendered):
                feats.append(stream_features(mix, stems, clip.lead().id, cfg))  # type: ignore[union-attr]
                damage = [(k, g) for k, g in ((kind, grade), extra or (None, 0)) if k is not None]
                labels.append([max([g for k, g in damage if k.dimension == d], default=0) for d in DIMENSIONS])
                meta.append({"piece": rel, "kind": kind.name if kind else "clean", "grade": grade, "soundfont": soundfont.name,
                             "reverb": reverb, "tempo": round(clip.tempo_bpm, 2), "half_bar": half_bar(clip), "beat_quarters": beat_quarters,
                             "broken_seams": [int(b) for b in broken], "licence": LICENCE}
                            | ({"second": extra[0].name, "second_grade": extra[1]} if extra else {}))
                if split == "heldout":
                    mixes.append(np.clip(mix * 32767, -32768, 32767).astype(np.int16))
                    scores.append(score.model_dump_json())
            if (count + 1) % 10 == 0:
                print(f"{split} shard {shard}: {count + 1}/{len(mine)} pieces, {len(feats)} clips, "
                      f"{time.time() - started:.0f} s", flush=True)
        stem = args.out / f"{split}-{shard}"
        tmp = stem.with_suffix(".tmp.npz")
        extra = {"mix": np.stack(mixes)} if mixes else {}
        np.savez_compressed(tmp, features=np.stack(feats), labels=np.asarray(labels, dtype=np.int8), **extra)
        os.replace(tmp, stem.with_suffix(".npz"))
        stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "scores": scores}))
        print(f"{split} shard {shard}: {len(feats)} clips from {len({m['piece'] for m in meta})} pieces in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
