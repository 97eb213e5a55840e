"""Do the statistics read against the beat (meter.py) carry what they are for? On build_data.py's clips:

1. the beat estimated from the onsets against the clip's true tempo (held-out clips, per degradation);
2. a gradient-boosted model on the clip statistics, trained on the training clips of one degradation
   (and the clean ones) to predict the grade, without and with the meter statistics: per-piece
   Spearman(prediction, grade) on the held-out clips (clean + grades 1-4 of each piece; 1 is perfect).

    python benchmarks/aesthetics_meter_check.py --data .cache/aesthetics_data
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.aesthetics_model import per_piece_spearman  # noqa: E402
from musicgrammar.tools.aesthetics_model.config import cpu_config  # noqa: E402
from musicgrammar.tools.aesthetics_model.descriptors import clip_statistics, descriptors  # noqa: E402
from musicgrammar.tools.aesthetics_model.features import from_uint8  # noqa: E402
from musicgrammar.tools.aesthetics_model.lines import line_statistics  # noqa: E402
from musicgrammar.tools.aesthetics_model.meter import METER_STATISTICS, beat_of  # noqa: E402
from training.aesthetics_model.train import load_split  # noqa: E402

CFG = cpu_config(seam_reader=False)


def statistics(feats: np.ndarray) -> np.ndarray:
    """(N, 3, T, F) uint8 -> (N, statistics): descriptor statistics of the three streams, then the line
    statistics, the meter statistics last."""
    out = []
    for i in range(0, len(feats), 64):
        x = torch.from_numpy(from_uint8(feats[i : i + 64]))
        parts = [clip_statistics(descriptors(x[:, s], CFG)) for s in range(3)]
        out.append(torch.cat(parts + [line_statistics(x[:, 0], x[:, 1], x[:, 2], CFG)], dim=-1).numpy())
    return np.concatenate(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--kinds", default="shuffled_segments,part_offset")
    args = ap.parse_args()
    torch.set_num_threads(1)
    feats, grades, meta = load_split(args.data, "heldout")
    x = torch.from_numpy(from_uint8(feats))
    beat = beat_of([x[:, s] for s in range(3)], CFG).numpy()
    subframe_s = CFG.hop / CFG.onset_subframes / CFG.sample_rate
    error = np.abs(beat - np.array([60.0 / m["tempo"] / subframe_s for m in meta]))
    kinds = np.array([m["kind"] for m in meta])
    print("| clips | beat within 1 sub-frame (7.8 ms) | median error (sub-frames) |\n|---|---|---|")
    print(f"| all held-out ({len(kinds)}) | {np.mean(error < 1):.1%} | {np.median(error):.2f} |")
    for k in sorted(set(kinds)):
        print(f"| {k} | {np.mean(error[kinds == k] < 1):.1%} | {np.median(error[kinds == k]):.2f} |")
    from sklearn.ensemble import HistGradientBoostingRegressor

    print("\n| degradation | without the meter statistics | with them |\n|---|---|---|")
    for kind in args.kinds.split(","):
        sets = []
        for split in ("train", "heldout"):
            f, g, m = load_split(args.data, split)
            keep = np.array([r["kind"] in ("clean", kind) for r in m])
            sets.append((statistics(f[keep]), g[keep].max(axis=1), [r["piece"] for r, k in zip(m, keep) if k]))
        (x_tr, y_tr, _), (x_te, y_te, pieces) = sets
        row = []
        for columns in (slice(0, x_tr.shape[1] - METER_STATISTICS), slice(None)):
            model = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=0).fit(x_tr[:, columns], y_tr)
            row.append(f"{per_piece_spearman(pieces, model.predict(x_te[:, columns]), y_te)[0]:.3f}")
        print(f"| {kind} | {row[0]} | {row[1]} |")


if __name__ == "__main__":
    main()
