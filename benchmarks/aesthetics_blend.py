"""How the overall score ranks when it is blended with the worst of the dimension scores.

A clip's overall grade is its worst dimension's (build_data.py labels overall with the highest grade of
any degradation), so a model holds two readings of the same thing: its overall head, and the lowest of
its four dimension heads. Each head errs on other clips; the blend (1 - w) * overall + w * min(dimensions)
may rank the clips of a piece better than either. Per group of data folders (the validation chorales that
training set aside, `--val`, where w is chosen; the held-out renders, `--heldout`, each folder apart and
their mean), the per-piece Spearman(blend, grade) for w = 0, 0.1, .. 1, of the reported scores and of the
expected scores (the mean under each HiGIA head's bin distribution, before the regression inside the
interval). The readings (every output, the model's own members and transpositions averaged) are cached
per group under `--cache`.

    python benchmarks/aesthetics_blend.py --model run13=musicgrammar/weights/aesthetics_model \\
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
from aesthetics_paired import READINGS, add_group_arguments, cached_readings, load_groups, model_spec, write_table  # noqa: E402

from musicgrammar.tools.aesthetics_model.api import load_model  # noqa: E402
from musicgrammar.tools.aesthetics_model.config import DIMENSIONS, OUTPUTS  # noqa: E402
from musicgrammar.tools.aesthetics_model.ensemble import AestheticsEnsemble  # noqa: E402

WEIGHTS = [round(0.1 * k, 1) for k in range(11)]


def blend_worst(scores: torch.Tensor, worst_weight: float) -> torch.Tensor:
    """(N, OUTPUTS) scores -> the same with overall replaced by (1 - w) * overall + w * min(dimensions)."""
    out = scores.clone()
    overall = OUTPUTS.index("overall")
    out[:, overall] = (1.0 - worst_weight) * scores[:, overall] + worst_weight * scores[:, : len(DIMENSIONS)].amin(dim=1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="NAME=DIR: a model or ensemble folder")
    add_group_arguments(ap)
    ap.add_argument("--cache", type=Path, default=None, help="keep the readings here (reruns only blend)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    name, folder = model_spec("--model", args.model, args)
    loaded = load_model(folder)
    judge = loaded if isinstance(loaded, AestheticsEnsemble) else AestheticsEnsemble([loaded])
    lines = [f"{name}: per-piece Spearman((1 - w) * overall + w * min(dimensions), grade)", "",
             "| data | reading | piece renders | " + " | ".join(f"w={w}" for w in WEIGHTS) + " |", "|---|---|---|" + "---|" * len(WEIGHTS)]
    held: dict[str, list[list[float]]] = {r: [] for r in READINGS}
    for label, feats, grades, pieces in load_groups(args.val, args.heldout, args.val_pieces):
        heard = torch.from_numpy(cached_readings(judge, folder, label, feats, args.cache))
        grade = grades.max(axis=1).astype(float)
        for r, reading in enumerate(READINGS):
            cells = []
            for w in WEIGHTS:
                overall = blend_worst(heard[:, r], w)[:, OUTPUTS.index("overall")].numpy()
                cells.append(float(np.mean(list(spearman_by_piece(pieces, overall, grade).values()))))
            if label.startswith("held out"):
                held[reading].append(cells)
            lines.append(f"| {label} | {reading} | {len(set(pieces))} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
            print(lines[-1], flush=True)
    for reading, rows in held.items():
        if len(rows) > 1:
            lines.append(f"| held out, mean of {len(rows)} | {reading} | | " + " | ".join(f"{c:.4f}" for c in np.mean(rows, axis=0)) + " |")
            print(lines[-1])
    if args.out is not None:
        write_table(args.out, lines)


if __name__ == "__main__":
    main()
