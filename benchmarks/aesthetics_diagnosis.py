"""Where the aesthetics model's per-piece ranking is lost, on the held-out clips of build_data.py.

For each model folder given: the per-piece Spearman(overall, grade) of the reported score and of the
HiGIA head's expected score (the mean of its bin distribution, before the interval); per dimension the
same two; per degradation (the clean clip and that degradation's clips of each piece); and what the
overall metric would become if one thing were known exactly, the model's other predictions unchanged:
the clean clip ranked first, one degradation's clips scored by their true grade, or the shuffled clips
scored by their true share of broken seams (a perfect seam counter; the data's records). For models trained
with seam supervision, how well the break logits find the seams a shuffle broke (the data's records).
Per bar length (4/4, 3/4, and the 6-quarter bars of a 12/8 chorale) the per-piece Spearman, and the piece
renders ranked worst. Then every pair of models averaged (an ensemble).

    python benchmarks/aesthetics_diagnosis.py --data .cache/aesthetics_data --model A=DIR --model B=DIR
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.aesthetics_model import KIND_NAMES, per_piece_spearman  # noqa: E402
from musicgrammar.tools.aesthetics_model.api import load_model  # noqa: E402
from musicgrammar.tools.aesthetics_model.config import DIMENSIONS  # noqa: E402
from musicgrammar.tools.aesthetics_model.features import from_uint8  # noqa: E402
from training.aesthetics_model.train import load_sets, own_grid, seam_targets  # noqa: E402


def outputs(model_dir: Path, feats: np.ndarray, batch: int = 64, meta: list[dict] | None = None
            ) -> tuple[np.ndarray, np.ndarray, dict[str, float] | None]:
    """(reported scores, expected scores), each (N, outputs), with stems; and for a model with seam
    supervision, given the clips' meta records, how well its break logits tell the broken seams."""
    model = load_model(model_dir)
    supervised = model.cfg.seam_supervision and meta is not None and any("broken_seams" in m for m in meta)
    labels, grid, beat = (torch.from_numpy(a) for a in seam_targets(meta or [], model.cfg)) if supervised else (None,) * 3
    scores, expected, logits, truth, usable = [], [], [], [], 0
    with torch.no_grad():
        for i in range(0, len(feats), batch):
            x = torch.from_numpy(from_uint8(feats[i : i + batch, :, :, : model.cfg.features]))
            out = model(x[:, 0], x[:, 1], x[:, 2])
            scores.append(out["score"].numpy())  # type: ignore[union-attr]
            expected.append(out["expected"].numpy())  # type: ignore[union-attr]
            if supervised:
                lab = labels[i : i + batch]  # type: ignore[index]
                lg, ok, right = own_grid(out, grid[i : i + batch], beat[i : i + batch])  # type: ignore[index]
                usable += int(right.sum())
                at = ok[:, 0] & (lab >= 0)
                logits.append(lg[:, 0][at].numpy())
                truth.append(lab[at].numpy())
    seams = None
    if supervised:
        p, y = np.concatenate(logits), np.concatenate(truth)
        seams = {"clips": usable, "seams": len(y), "broken": float(y.mean()), "auc": float(roc_auc_score(y, p)),
                 "accuracy": float(((p > 0) == (y > 0.5)).mean())}
    return np.concatenate(scores), np.concatenate(expected), seams


def _seams_counted(overall: np.ndarray, meta: list[dict], worst: np.ndarray) -> np.ndarray | None:
    """The overall scores with each shuffled clip's replaced by its true share of broken seams mapped to a
    score (a line fitted from share to grade over those clips): what a perfect seam counter could do."""
    at = np.array([m["kind"] == "shuffled_segments" and bool(m.get("broken_seams")) for m in meta])
    if at.sum() < 2:
        return None
    share = np.array([np.mean(m["broken_seams"]) for m, a in zip(meta, at) if a])
    counted = overall.copy()
    counted[at] = 5.0 - np.polyval(np.polyfit(share, worst[at], 1), share)
    return counted


def _by_bar(overall: dict[str, np.ndarray], meta: list[dict], worst: np.ndarray, lowest: int = 5) -> None:
    """Per-piece Spearman grouped by the clips' bar length (twice the half bar the data records), and the
    piece renders each model ranks worst: a metre the training chorales seldom have shows up here."""
    from scipy.stats import spearmanr

    pieces = sorted({m["piece"] for m in meta})
    rows = {p: [i for i, m in enumerate(meta) if m["piece"] == p] for p in pieces}
    bar = {p: 2 * meta[rows[p][0]]["half_bar"] for p in pieces}
    lengths = sorted(set(bar.values()))
    print("\nPer-piece Spearman by bar length in quarter notes (pieces: chorale renders).\n")
    print("| model | " + " | ".join(f"{b:g} ({sum(v == b for v in bar.values())})" for b in lengths) + " | worst piece renders |")
    print("|---|" + "---|" * len(lengths) + "---|")
    for name, pred in overall.items():
        rho = {p: float(spearmanr(pred[rows[p]], worst[rows[p]]).statistic) for p in pieces if np.ptp(pred[rows[p]]) > 0}
        means = [np.mean([r for p, r in rho.items() if bar[p] == b] or [np.nan]) for b in lengths]
        low = ", ".join(f"{p} {r:.2f}" for p, r in sorted(rho.items(), key=lambda kv: -kv[1])[:lowest])
        print(f"| {name} | " + " | ".join(f"{m:.3f}" for m in means) + f" | {low} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, nargs="+", help="one or more build_data.py folders (each render of a chorale a piece)")
    ap.add_argument("--model", action="append", default=[], help="NAME=DIR, repeatable")
    args = ap.parse_args()
    torch.set_num_threads(1)
    feats, grades, meta = load_sets(args.data, "heldout")
    worst = grades.max(axis=1).astype(float)
    pieces = [m["piece"] for m in meta]
    kinds = np.array([m["kind"] for m in meta])
    rho = lambda pred, sel=None: per_piece_spearman(  # noqa: E731
        pieces if sel is None else [p for p, s in zip(pieces, sel) if s], pred if sel is None else pred[sel],
        worst if sel is None else worst[sel])[0]
    overall: dict[str, np.ndarray] = {}
    print("| model | overall: reported | overall: expected | " + " | ".join(f"{d}: reported / expected" for d in DIMENSIONS) + " |")
    print("|---|---|---|" + "---|" * len(DIMENSIONS))
    rows, seam_rows = [], []
    for spec in args.model:
        name, folder = spec.split("=", 1)
        score, expected, seams = outputs(Path(folder), feats, meta=meta)
        if seams is not None:
            seam_rows.append((name, seams))
        overall[name] = score[:, -1]
        dims = []
        for d in range(len(DIMENSIONS)):
            sel = (grades[:, d] > 0) | (worst == 0)
            own = lambda pred: per_piece_spearman([p for p, s in zip(pieces, sel) if s], pred[sel], grades[sel, d])[0]  # noqa: E731
            dims.append(f"{own(score[:, d]):.3f} / {own(expected[:, d]):.3f}")
        print(f"| {name} | {rho(score[:, -1]):.3f} | {rho(expected[:, -1]):.3f} | " + " | ".join(dims) + " |")
        per_kind = [f"{rho(score[:, -1], (kinds == k) | (kinds == 'clean')):.2f}" for k in KIND_NAMES]
        known = score[:, -1].copy()
        known[kinds == "clean"] = 99.0  # above every score (a non-finite one would drop the clip)
        oracles = [f"{rho(known):.3f}"]
        for k in KIND_NAMES:
            exact = score[:, -1].copy()
            exact[kinds == k] = 5.0 - worst[kinds == k]
            oracles.append(f"{rho(exact):.3f}")
        counted = _seams_counted(score[:, -1], meta, worst)
        oracles.append("-" if counted is None else f"{rho(counted):.3f}")
        rows.append((name, per_kind, oracles))
    print("\nPer degradation: per-piece Spearman(overall, grade) over the clean clip and that degradation's clips.\n")
    print("| model | " + " | ".join(KIND_NAMES) + " |\n|---|" + "---|" * len(KIND_NAMES))
    for name, per_kind, _ in rows:
        print(f"| {name} | " + " | ".join(per_kind) + " |")
    print("\nThe overall metric if one thing were known exactly (the other predictions unchanged).\n")
    print("| model | clean clip first | " + " | ".join(f"{k} exact" for k in KIND_NAMES) + " | shuffled: broken seams counted |\n|---|---|"
          + "---|" * (len(KIND_NAMES) + 1))
    for name, _, oracles in rows:
        print(f"| {name} | " + " | ".join(oracles) + " |")
    shuffled = [m for m in meta if m["kind"] == "shuffled_segments" and "broken_seams" in m]
    if shuffled:  # what the grades of the shuffle mean in seams: the most any seam reader could count
        print("\nShuffled held-out clips: broken half-bar seams per grade (the data's records).\n")
        print("| grade | clips | broken seams, mean | seams, mean | share broken |\n|---|---|---|---|---|")
        for grade in sorted({m["grade"] for m in shuffled}):
            at = [m["broken_seams"] for m in shuffled if m["grade"] == grade]
            broken, seams = np.mean([sum(b) for b in at]), np.mean([len(b) for b in at])
            print(f"| {grade} | {len(at)} | {broken:.2f} | {seams:.2f} | {np.mean([sum(b) / max(1, len(b)) for b in at]):.0%} |")
    if seam_rows:
        print("\nThe seam reader's break logits at the held-out clips' own half-bar seams (clips whose beat it judged within 1 %).\n")
        print("| model | clips | seams | broken share | AUC | accuracy at logit 0 |\n|---|---|---|---|---|---|")
        for name, sm in seam_rows:
            print(f"| {name} | {sm['clips']} | {sm['seams']} | {sm['broken']:.1%} | {sm['auc']:.3f} | {sm['accuracy']:.1%} |")
    _by_bar(overall, meta, worst)
    if len(overall) > 1:
        print("\nPairs averaged (reported overall scores).\n\n| models | per-piece Spearman |\n|---|---|")
        for a, b in itertools.combinations(overall, 2):
            print(f"| {a} + {b} | {rho(overall[a] + overall[b]):.3f} |")


if __name__ == "__main__":
    main()
