"""Aesthetics model benchmark on held-out chorales: does the score fall as the degradation grows?

On the held-out clips of training/aesthetics_model/build_data.py (chorales never seen in training;
each piece: a clean clip and 16 degraded ones, grades 1-4 in each of four dimensions), side by side
in one run on the same clips:

- each trained model folder given (the shipped MSAF + HiGIA model, the mix-only ablation, the
  plain-regression ablation, ...), with stems and, for stem models, also from the mix alone;
- the rule judge (`agents.aesthetics_rules.judge_piece` on the clip's score and mix, with a spec whose
  progression is the clean clip's chords, one per bar, read from its notes);
- the loss-profile signal (`agents.aesthetics_judge.loss_profile_signal` on the clip's score; it needs
  16 or more lead notes, so it is defined on part of the clips only).

Metrics: per piece, Spearman between the predicted overall score and the corruption grade (-1 is
perfect: scores fall as damage grows), averaged over pieces (and the same for the lowest of the four
dimension scores, the label's own definition of overall); the overall score's MSE and coverage of
the true score by the interval (HiGIA models); per dimension, Spearman between the dimension's score
and its grade over the clips where that dimension is the damaged one or the clip is clean.

    python benchmarks/aesthetics_model.py --data .cache/aesthetics_data \
        --model shipped=musicgrammar/weights/aesthetics_model --model mix_only=DIR --model regression=DIR

Several --data folders (the held-out split rendered with other seeds: other windows, instruments and
damage of the same held-out chorales) are scored together, each render of a chorale a piece of its
own; the table also gives each folder's mean apart, which shows how much one render's number moves.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from musicgrammar.tools.aesthetics_model.api import load_model  # noqa: E402
from musicgrammar.tools.aesthetics_model.config import DIMENSIONS, OUTPUTS  # noqa: E402
from musicgrammar.tools.aesthetics_model.features import from_uint8  # noqa: E402
from training.aesthetics_model.corrupt import KINDS  # noqa: E402

KIND_NAMES = [k.name for k in KINDS]


def spearman_by_piece(pieces: list[str], pred: np.ndarray, grade: np.ndarray) -> dict[str, float]:
    """Spearman(pred, grade) of each piece among its clips with a defined prediction (pieces with fewer
    than 4 such clips, or one prediction for all, are left out)."""
    from scipy.stats import spearmanr

    values = {}
    for piece in sorted(set(pieces)):
        idx = np.array([i for i, p in enumerate(pieces) if p == piece and math.isfinite(pred[i])])
        if len(idx) < 4 or np.ptp(pred[idx]) == 0:
            continue
        values[piece] = float(spearmanr(pred[idx], grade[idx]).statistic)
    return values


def per_piece_spearman(pieces: list[str], pred: np.ndarray, grade: np.ndarray) -> tuple[float, int]:
    """Mean over pieces of Spearman(pred, grade) among that piece's clips with a defined prediction."""
    values = list(spearman_by_piece(pieces, pred, grade).values())
    return (float(np.mean(values)) if values else float("nan")), len(values)


def predict(model_dir: Path, feats: np.ndarray, stems: bool, batch: int = 64) -> dict[str, np.ndarray]:
    """Scores, lows and highs (N, outputs) of a model on (N, 3, T, features) uint8 features; a model with
    shorter windows scores back-to-back windows of each clip and averages them, as inference does."""
    model = load_model(model_dir)
    frames = model.cfg.clip_frames
    count = max(1, feats.shape[2] // frames)
    outs: dict[str, list[np.ndarray]] = {"score": [], "lo": [], "hi": []}
    with torch.no_grad():
        for i in range(0, len(feats), batch):
            # the bands come first in every frame: a model made without sub-frame flux reads the first ones
            x = torch.from_numpy(from_uint8(feats[i : i + batch, :, : count * frames, : model.cfg.features]))
            b = x.shape[0]
            x = x.reshape(b, 3, count, frames, -1).transpose(1, 2).reshape(b * count, 3, frames, -1)
            out = model(x[:, 0], x[:, 1], x[:, 2]) if stems else model(x[:, 0])
            for k in outs:
                outs[k].append(out[k].reshape(b, count, -1).mean(dim=1).numpy())  # type: ignore[union-attr]
    return {k: np.concatenate(v) for k, v in outs.items()}


def spec_for(clean):  # type: ignore[no-untyped-def]
    """A one-section spec for a clip: its key, meter, tempo, ensemble, and one chord per bar read from
    the clean clip's notes (pitch-class durations matched to a chord, the bass as a tie-break)."""
    from musicgrammar.ontologies import CompositionSpec, EnsembleMember, Section, Tempo
    from musicgrammar.tools.harmonizer.api import _chord_symbol
    from musicgrammar.tools.harmonizer.tokens import NC, match_chord

    bar_q = clean.bar_quarters
    progression = []
    for bar in range(clean.bars):
        lo, hi = bar * bar_q, (bar + 1) * bar_q
        weights, bass = np.zeros(12), None
        for part in clean.parts:
            for n in part.notes:
                overlap = min(n.end, hi) - max(n.start, lo)
                if overlap > 0:
                    weights[n.pitch % 12] += overlap
                    if n.start <= lo + 1e-6 and (bass is None or n.pitch < bass):
                        bass = n.pitch
        token = match_chord(weights, None if bass is None else bass % 12)
        progression.append("" if token == NC else str(_chord_symbol(token, clean.key)))
    return CompositionSpec(
        title=clean.title, key=clean.key, meter=clean.meter, tempo=Tempo(bpm=round(clean.tempo_bpm, 1)),
        sections=[Section(id="A", role="A", bars=clean.bars, progression=progression)],
        ensemble=[EnsembleMember(id=p.id, instrument=p.instrument, role=p.role) for p in clean.parts],
    )


def baselines(data: Path) -> dict[str, np.ndarray]:
    """The rule judge's overall and the loss-profile signal on every held-out clip (NaN where undefined)."""
    from musicgrammar.agents.aesthetics_judge import loss_profile_signal
    from musicgrammar.agents.aesthetics_rules import judge_piece
    from musicgrammar.ontologies import Score

    rules, profile = [], []
    for f in sorted(data.glob("heldout-*.npz")):
        with np.load(f) as z:
            mixes = z["mix"]
        scores = json.loads(f.with_suffix(".json").read_text())["scores"]
        records = json.loads(f.with_suffix(".json").read_text())["meta"]
        spec = None
        for i, (text, rec) in enumerate(zip(scores, records)):
            score = Score.model_validate_json(text)
            if rec["kind"] == "clean":
                spec = spec_for(score)
            rules.append(judge_piece(spec, score, mixes[i].astype(np.float32) / 32767, 16000).overall)
            signal = loss_profile_signal(score)
            profile.append(float("nan") if signal is None else signal)
    return {"rule judge": np.array(rules), "loss-profile signal": np.array(profile)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, nargs="+", help="one or more build_data.py folders with a held-out split")
    ap.add_argument("--model", action="append", default=[], help="NAME=DIR, repeatable")
    ap.add_argument("--no-baselines", action="store_true", help="skip the rule judge and the loss-profile signal")
    ap.add_argument("--baselines-from", type=Path, default=None,
                    help="a data folder whose baselines.json to reuse for the first --data folder (the same clips rendered again)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/aesthetics_model.md"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    from training.aesthetics_model.train import load_sets, targets_from_grades

    feats, grades, meta = load_sets(args.data, "heldout")  # a chorale's k-th render (k > 0) is piece "name#k"
    pieces = [m["piece"] for m in meta]
    render = np.array([m["source"] for m in meta])  # which --data folder each clip came from

    def per_render(pred: np.ndarray) -> str:
        """Each data folder's per-piece mean apart, "a / b / ..."."""
        return " / ".join(f"{per_piece_spearman([p for p, r in zip(pieces, render) if r == k], pred[render == k], grade[render == k])[0]:.3f}"
                          for k in range(len(args.data)))

    grade = grades.max(axis=1).astype(float)
    target = targets_from_grades(grades)
    rows, dim_rows, kind_rows = [], [], []
    for spec_ in args.model:
        name, folder = spec_.split("=", 1)
        uses_stems = load_model(Path(folder)).cfg.use_stems
        for stems in ([True, False] if uses_stems else [False]):
            started = time.perf_counter()
            out = predict(Path(folder), feats, stems)
            ms = (time.perf_counter() - started) / len(feats) * 1000
            k = OUTPUTS.index("overall")
            rho, n = per_piece_spearman(pieces, out["score"][:, k], grade)
            worst_rho, _ = per_piece_spearman(pieces, out["score"][:, :k].min(axis=1), grade)
            higia = load_model(Path(folder)).cfg.head == "higia"
            covered = (out["lo"][:, k] <= target[:, k]) & (target[:, k] <= out["hi"][:, k])
            label = f"{name} ({'mix + stems, MSAF' if stems else 'mix only'}, {'HiGIA' if higia else 'regression'})"
            rows.append([label, f"{rho:.3f}", per_render(out["score"][:, k]), f"{worst_rho:.3f}", str(n), f"{np.mean((out['score'][:, k] - target[:, k]) ** 2):.3f}",
                         f"{covered.mean():.1%}" if higia else "-",
                         f"{np.mean(out['hi'][:, k] - out['lo'][:, k]):.2f}" if higia else "-", f"{ms:.1f}"])
            dim_rho = []
            for d, dim in enumerate(DIMENSIONS):
                sel = (grades[:, d] > 0) | (grades.max(axis=1) == 0)
                r, _ = per_piece_spearman([p for p, s in zip(pieces, sel) if s], out["score"][sel, d], grades[sel, d].astype(float))
                dim_rho.append(f"{r:.3f}")
            dim_rows.append([label] + dim_rho)
            kind_rho = []
            for kind in KIND_NAMES:  # which degradations the overall score hears, one at a time
                sel = np.array([m["kind"] in (kind, "clean") for m in meta])
                r, _ = per_piece_spearman([p for p, s in zip(pieces, sel) if s], out["score"][sel, k], grade[sel])
                kind_rho.append(f"{r:.2f}")
            kind_rows.append([label] + kind_rho)
    if not args.no_baselines:
        parts, times = [], []
        for k, folder in enumerate(args.data):
            source = args.baselines_from if (args.baselines_from and k == 0) else folder
            cache = source / "baselines.json"  # they depend on the clips only: computed once per folder
            if cache.is_file():
                saved = json.loads(cache.read_text())
                parts.append({name: np.array(v, dtype=float) for name, v in saved["values"].items()})
                times.append(saved["ms_per_clip"])
            else:
                started = time.perf_counter()
                parts.append(baselines(folder))
                times.append((time.perf_counter() - started) / int((render == k).sum()) * 1000)
                if not cache.is_symlink():  # a link the user put there is never written through
                    cache.write_text(json.dumps({"values": {n: v.tolist() for n, v in parts[-1].items()}, "ms_per_clip": times[-1]}))
        base, ms = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}, float(np.mean(times))
        for name, values in base.items():
            rho, n = per_piece_spearman(pieces, values, grade)
            defined = np.isfinite(values).mean()
            rows.append([f"{name} (defined on {defined:.0%} of clips)", f"{rho:.3f}", per_render(values), "-", str(n), "-", "-", "-",
                         f"{ms:.0f} (the two baselines together)"])
    chorales = len({m["chorale"] for m in meta})
    lines = [f"Held-out: {len(feats)} clips from {chorales} chorales never seen in training, {len(args.data)} render(s) of each "
             f"({', '.join(str(d) for d in args.data)}; 17 clips per piece: clean + grades 1-4 x 4 dimensions).", "",
             "| judge | per-piece Spearman(overall, grade), mean | the same per render | the same for the worst dimension's score | pieces | overall MSE (1-5) | interval coverage | mean interval width | ms per clip |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "Per dimension: per-piece Spearman(dimension score, its grade) over the clean clip and that dimension's damaged clips.", "",
              "| model | " + " | ".join(DIMENSIONS) + " |", "|---|" + "---|" * len(DIMENSIONS)]
    lines += ["| " + " | ".join(r) + " |" for r in dim_rows]
    lines += ["", "Per degradation: per-piece Spearman(overall score, grade) over the clean clip and that degradation's clips.", "",
              "| model | " + " | ".join(KIND_NAMES) + " |", "|---|" + "---|" * len(KIND_NAMES)]
    lines += ["| " + " | ".join(r) + " |" for r in kind_rows]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
