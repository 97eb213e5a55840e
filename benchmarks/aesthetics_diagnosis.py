"""Where the aesthetics model's per-piece ranking is lost, on the held-out clips of build_data.py.

For each model folder given: the per-piece Spearman(overall, grade) of the reported score and of the
HiGIA head's expected score (the mean of its bin distribution, before the interval); per dimension the
same two; per degradation (the clean clip and that degradation's clips of each piece); and what the
overall metric would become if one thing were known exactly, the model's other predictions unchanged:
the clean clip ranked first, or one degradation's clips scored by their true grade. Then every pair
of models averaged (an ensemble).

    python benchmarks/aesthetics_diagnosis.py --data .cache/aesthetics_data --model A=DIR --model B=DIR
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.aesthetics_model import KIND_NAMES, per_piece_spearman  # noqa: E402
from musicgrammar.tools.aesthetics_model.api import load_model  # noqa: E402
from musicgrammar.tools.aesthetics_model.config import DIMENSIONS  # noqa: E402
from musicgrammar.tools.aesthetics_model.features import from_uint8  # noqa: E402
from training.aesthetics_model.train import load_split  # noqa: E402


def outputs(model_dir: Path, feats: np.ndarray, batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(reported scores, expected scores), each (N, outputs), with stems."""
    model = load_model(model_dir)
    scores, expected = [], []
    with torch.no_grad():
        for i in range(0, len(feats), batch):
            x = torch.from_numpy(from_uint8(feats[i : i + batch, :, :, : model.cfg.features]))
            out = model(x[:, 0], x[:, 1], x[:, 2])
            scores.append(out["score"].numpy())  # type: ignore[union-attr]
            expected.append(out["expected"].numpy())  # type: ignore[union-attr]
    return np.concatenate(scores), np.concatenate(expected)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", action="append", default=[], help="NAME=DIR, repeatable")
    args = ap.parse_args()
    torch.set_num_threads(1)
    feats, grades, meta = load_split(args.data, "heldout")
    worst = grades.max(axis=1).astype(float)
    pieces = [m["piece"] for m in meta]
    kinds = np.array([m["kind"] for m in meta])
    rho = lambda pred, sel=None: per_piece_spearman(  # noqa: E731
        pieces if sel is None else [p for p, s in zip(pieces, sel) if s], pred if sel is None else pred[sel],
        worst if sel is None else worst[sel])[0]
    overall: dict[str, np.ndarray] = {}
    print("| model | overall: reported | overall: expected | " + " | ".join(f"{d}: reported / expected" for d in DIMENSIONS) + " |")
    print("|---|---|---|" + "---|" * len(DIMENSIONS))
    rows = []
    for spec in args.model:
        name, folder = spec.split("=", 1)
        score, expected = outputs(Path(folder), feats)
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
        rows.append((name, per_kind, oracles))
    print("\nPer degradation: per-piece Spearman(overall, grade) over the clean clip and that degradation's clips.\n")
    print("| model | " + " | ".join(KIND_NAMES) + " |\n|---|" + "---|" * len(KIND_NAMES))
    for name, per_kind, _ in rows:
        print(f"| {name} | " + " | ".join(per_kind) + " |")
    print("\nThe overall metric if one thing were known exactly (the other predictions unchanged).\n")
    print("| model | clean clip first | " + " | ".join(f"{k} exact" for k in KIND_NAMES) + " |\n|---|---|" + "---|" * len(KIND_NAMES))
    for name, _, oracles in rows:
        print(f"| {name} | " + " | ".join(oracles) + " |")
    if len(overall) > 1:
        print("\nPairs averaged (reported overall scores).\n\n| models | per-piece Spearman |\n|---|---|")
        for a, b in itertools.combinations(overall, 2):
            print(f"| {a} + {b} | {rho(overall[a] + overall[b]):.3f} |")


if __name__ == "__main__":
    main()
