"""How an aesthetics model ranks when it hears every clip at several transpositions and averages.

Each clip is scored once per shift of -K .. K semitones (features.transpose_bands, as the ensemble's
``transpositions`` and the training augmentation move the semitone bands); the readings of the ranges
0, +-1, .. +-K are averaged, and each range's per-piece Spearman(overall, grade) is given per group of
data folders: the validation chorales that training set aside (`--val`, where the range is chosen) and
the held-out renders (`--heldout`, each folder apart and their mean). The model's own transpositions,
where its members.json has them, are replaced by each single shift.

    python benchmarks/aesthetics_transpositions.py --model RUN=DIR --max-shift 3 \\
        --val .cache/aesthetics_second_s2 .cache/aesthetics_second_s3 \\
        --val .cache/aesthetics_compound_s6 .cache/aesthetics_compound_s7 \\
        --heldout .cache/aesthetics_data --heldout .cache/aesthetics_data_s1h --out benchmarks/results/X.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aesthetics_model import spearman_by_piece  # noqa: E402
from aesthetics_paired import READINGS, add_group_arguments, load_groups, model_spec, readings, write_table  # noqa: E402

from musicgrammar.tools.aesthetics_model.api import load_model  # noqa: E402
from musicgrammar.tools.aesthetics_model.config import OUTPUTS  # noqa: E402
from musicgrammar.tools.aesthetics_model.ensemble import MAX_TRANSPOSITION, AestheticsEnsemble  # noqa: E402


def shifted_readings(judge: AestheticsEnsemble, feats: np.ndarray, shifts: list[int]) -> np.ndarray:
    """The overall score (len(shifts), N) of (N, 3, T, features) uint8 clips heard at each single shift."""
    score, overall = READINGS.index("score"), OUTPUTS.index("overall")
    out = np.zeros((len(shifts), len(feats)), dtype=np.float32)
    for k, shift in enumerate(shifts):
        judge.transpositions = (shift,)
        out[k] = readings(judge, feats)[:, score, overall]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="NAME=DIR: a model or ensemble folder")
    ap.add_argument("--max-shift", type=int, default=3, help="the widest range, +-K semitones")
    add_group_arguments(ap)
    args = ap.parse_args()
    torch.set_num_threads(1)
    name, folder = model_spec("--model", args.model, args)
    if not 0 <= args.max_shift <= MAX_TRANSPOSITION:
        raise SystemExit(f"--max-shift {args.max_shift}: give 0 .. {MAX_TRANSPOSITION}")
    loaded = load_model(folder)
    judge = loaded if isinstance(loaded, AestheticsEnsemble) else AestheticsEnsemble([loaded])
    saved = judge.transpositions
    shifts = list(range(-args.max_shift, args.max_shift + 1))
    groups = load_groups(args.val, args.heldout, args.val_pieces)
    ranges = list(range(args.max_shift + 1))
    lines = [f"{name}: per-piece Spearman(overall, grade), readings at -K .. K semitones averaged", "",
             "| data | piece renders | " + " | ".join("no shift" if k == 0 else f"+-{k}" for k in ranges) + " |",
             "|---|---|" + "---|" * len(ranges)]
    try:
        for label, feats, grades, pieces in groups:
            heard, grade = shifted_readings(judge, feats, shifts), grades.max(axis=1).astype(float)
            cells = []
            for k in ranges:
                rho = spearman_by_piece(pieces, heard[args.max_shift - k : args.max_shift + k + 1].mean(axis=0), grade)
                cells.append(f"{np.mean(list(rho.values())):.4f}")
            lines.append(f"| {label} | {len(set(pieces))} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    finally:
        judge.transpositions = saved  # the cached model stays as its folder describes it
    if args.out is not None:
        write_table(args.out, lines)


if __name__ == "__main__":
    main()
