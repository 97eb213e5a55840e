"""Two aesthetics models side by side, piece by piece: the paired difference of the per-piece Spearman.

One render's per-piece mean moves by about 0.03 between renders, more than most changes between two
runs; the difference measured on the same piece renders is steadier. For each group of data folders
(the validation chorales that training set aside, `--val`, or the held-out split, `--heldout`), every
piece render's Spearman(overall score, grade) under model A minus under model B, its mean with the
standard error of the mean, and on how many piece renders A ranks better and worse.

    python benchmarks/aesthetics_paired.py --a run12=DIR --b run11=musicgrammar/weights/aesthetics_model \\
        --val .cache/aesthetics_second_s2 .cache/aesthetics_second_s3 \\
        --val .cache/aesthetics_compound_s6 .cache/aesthetics_compound_s7 \\
        --heldout .cache/aesthetics_data .cache/aesthetics_data_s1h .cache/aesthetics_data_s2h
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aesthetics_model import predict, spearman_by_piece  # noqa: E402

from musicgrammar.tools.aesthetics_model.config import OUTPUTS  # noqa: E402
from training.aesthetics_model.train import load_sets, split_off_validation  # noqa: E402


def compare(a: Path, b: Path, feats: np.ndarray, grades: np.ndarray, pieces: list[str]) -> dict[str, float]:
    """Per-piece Spearman of the overall score under models a and b on the same clips, and the paired difference."""
    grade, overall = grades.max(axis=1).astype(float), OUTPUTS.index("overall")
    rho_a = spearman_by_piece(pieces, predict(a, feats, True)["score"][:, overall], grade)
    rho_b = spearman_by_piece(pieces, predict(b, feats, True)["score"][:, overall], grade)
    shared = sorted(set(rho_a) & set(rho_b))
    diff = np.array([rho_a[p] - rho_b[p] for p in shared])
    return {"pieces": len(shared), "a": float(np.mean([rho_a[p] for p in shared])), "b": float(np.mean([rho_b[p] for p in shared])),
            "diff": float(diff.mean()), "se": float(diff.std(ddof=1) / np.sqrt(len(diff))),
            "a_better": int((diff < 0).sum()), "a_worse": int((diff > 0).sum())}


def load_groups(val: list[list[Path]], heldout: list[list[Path]], val_pieces: int
                ) -> list[tuple[str, np.ndarray, np.ndarray, list[str]]]:
    """Each group of data folders as (label, features, grades, piece names): the validation chorales that
    training set aside (the last ``val_pieces``), or the held-out split."""
    groups: list[tuple[str, np.ndarray, np.ndarray, list[str]]] = []
    for group in val:
        feats, grades, meta = load_sets(group, "train")
        _, (x, g, names) = split_off_validation(feats, grades, meta, val_pieces)
        groups.append(("validation: " + ", ".join(d.name for d in group), np.asarray(x), np.asarray(g), list(names)))
    for group in heldout:
        feats, grades, meta = load_sets(group, "heldout")
        groups.append(("held out: " + ", ".join(d.name for d in group), feats, grades, [m["piece"] for m in meta]))
    return groups


def write_table(out: Path, lines: list[str]) -> None:
    """The table's lines into ``out`` (its folder made); a link the user put there is never written through."""
    if out.is_symlink():
        raise SystemExit(f"{out}: a symbolic link; give another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True, help="NAME=DIR")
    ap.add_argument("--b", required=True, help="NAME=DIR")
    ap.add_argument("--val", type=Path, nargs="+", action="append", default=[],
                    help="training data folders whose set-aside validation chorales to score (repeatable: one group each)")
    ap.add_argument("--val-pieces", type=int, default=40)
    ap.add_argument("--heldout", type=Path, nargs="+", action="append", default=[],
                    help="data folders whose held-out split to score (repeatable: one group each)")
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for flag, spec in (("--a", args.a), ("--b", args.b)):
        if "=" not in spec:
            raise SystemExit(f"{flag} {spec}: give NAME=DIR")
    (name_a, dir_a), (name_b, dir_b) = (spec.split("=", 1) for spec in (args.a, args.b))
    for folder in [d for group in args.val + args.heldout for d in group] + [Path(dir_a), Path(dir_b)]:
        if not folder.is_dir():
            raise SystemExit(f"{folder}: no such folder")
    groups = load_groups(args.val, args.heldout, args.val_pieces)
    lines = [f"| data | piece renders | {name_a} | {name_b} | {name_a} - {name_b} (+- SE) | {name_a} better / worse |", "|---|---|---|---|---|---|"]
    for label, feats, grades, pieces in groups:
        r = compare(Path(dir_a), Path(dir_b), feats, grades, pieces)
        lines.append(f"| {label} | {r['pieces']} | {r['a']:.4f} | {r['b']:.4f} | {r['diff']:+.4f} +- {r['se']:.4f} | {r['a_better']} / {r['a_worse']} |")
        print(lines[-1], flush=True)
    if args.out is not None:
        write_table(args.out, lines)


if __name__ == "__main__":
    main()
