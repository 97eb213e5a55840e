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

With `--cache DIR` each model's readings of each group are kept there (as benchmarks/aesthetics_blend.py
keeps them, members and transpositions averaged) and reused by later runs.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aesthetics_model import predict, spearman_by_piece  # noqa: E402

from musicgrammar.tools.aesthetics_model.api import load_model  # noqa: E402
from musicgrammar.tools.aesthetics_model.config import OUTPUTS  # noqa: E402
from musicgrammar.tools.aesthetics_model.ensemble import AestheticsEnsemble  # noqa: E402
from musicgrammar.tools.aesthetics_model.features import from_uint8  # noqa: E402
from training.aesthetics_model.train import load_sets, split_off_validation  # noqa: E402


READINGS = ("score", "expected")


def folder_digest(folder: Path) -> str:
    """A digest of every file under a model or ensemble folder, their names and contents."""
    digest = hashlib.sha1()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@torch.no_grad()
def readings(judge: AestheticsEnsemble, feats: np.ndarray, batch: int = 64) -> np.ndarray:
    """(N, 2, len(OUTPUTS)) reported and expected scores of (N, 3, T, features) uint8 clips, unblended."""
    frames = judge.cfg.clip_frames
    out = np.zeros((len(feats), len(READINGS), len(OUTPUTS)), dtype=np.float32)
    for i in range(0, len(feats), batch):
        x = torch.from_numpy(from_uint8(feats[i : i + batch, :, :frames, : judge.cfg.features]))
        heard = judge(x[:, 0], x[:, 1], x[:, 2])
        out[i : i + batch] = torch.stack([heard[k] for k in READINGS], dim=1).numpy()  # type: ignore[misc]
    return out


def cached_readings(judge: AestheticsEnsemble, folder: str | Path, label: str, feats: np.ndarray, cache: Path | None) -> np.ndarray:
    """readings(), kept in ``cache`` under a name of the model's files (their contents: new weights in the same
    folder are read afresh), the group and the clip count."""
    if cache is None:
        return readings(judge, feats)
    key = hashlib.sha1(f"{folder_digest(Path(folder))}|{label}|{len(feats)}".encode()).hexdigest()[:16]
    path = cache / f"readings-{key}.npy"
    if path.is_file():
        return np.load(path)
    heard = readings(judge, feats)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, heard)
    return heard


def overall_of(folder: Path, label: str, feats: np.ndarray, cache: Path | None) -> np.ndarray:
    """(N,) the overall score of a model or ensemble folder on the clips: read afresh, or kept in ``cache``."""
    if cache is None:
        return predict(folder, feats, True)["score"][:, OUTPUTS.index("overall")]
    loaded = load_model(folder)
    judge = loaded if isinstance(loaded, AestheticsEnsemble) else AestheticsEnsemble([loaded])
    return cached_readings(judge, folder, label, feats, cache)[:, READINGS.index("score"), OUTPUTS.index("overall")]


def compare(pred_a: np.ndarray, pred_b: np.ndarray, grades: np.ndarray, pieces: list[str]) -> dict[str, float]:
    """Per-piece Spearman of two models' overall scores (N,) on the same clips, and the paired difference."""
    grade = grades.max(axis=1).astype(float)
    rho_a = spearman_by_piece(pieces, pred_a, grade)
    rho_b = spearman_by_piece(pieces, pred_b, grade)
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


def add_group_arguments(ap: argparse.ArgumentParser) -> None:
    """--val, --val-pieces, --heldout and --out, as every script that scores groups of data folders takes them."""
    ap.add_argument("--val", type=Path, nargs="+", action="append", default=[], help="data folders whose set-aside chorales are one group (repeatable)")
    ap.add_argument("--val-pieces", type=int, default=40)
    ap.add_argument("--heldout", type=Path, nargs="+", action="append", default=[], help="data folders whose held-out split is one group (repeatable)")
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")


def model_spec(flag: str, spec: str, args: argparse.Namespace) -> tuple[str, Path]:
    """NAME=DIR -> (NAME, DIR), once DIR and every data folder of the groups are known to exist (else one line, exit)."""
    if "=" not in spec:
        raise SystemExit(f"{flag} {spec}: give NAME=DIR")
    name, folder = spec.split("=", 1)
    for d in [Path(folder)] + [d for group in args.val + args.heldout for d in group]:
        if not d.is_dir():
            raise SystemExit(f"{d}: no such folder")
    return name, Path(folder)


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
    add_group_arguments(ap)
    ap.add_argument("--cache", type=Path, default=None, help="keep each model's readings here and reuse them")
    args = ap.parse_args()
    torch.set_num_threads(1)
    (name_a, dir_a), (name_b, dir_b) = model_spec("--a", args.a, args), model_spec("--b", args.b, args)
    groups = load_groups(args.val, args.heldout, args.val_pieces)
    lines = [f"| data | piece renders | {name_a} | {name_b} | {name_a} - {name_b} (+- SE) | {name_a} better / worse |", "|---|---|---|---|---|---|"]
    for label, feats, grades, pieces in groups:
        r = compare(overall_of(dir_a, label, feats, args.cache), overall_of(dir_b, label, feats, args.cache), grades, pieces)
        lines.append(f"| {label} | {r['pieces']} | {r['a']:.4f} | {r['b']:.4f} | {r['diff']:+.4f} +- {r['se']:.4f} | {r['a_better']} / {r['a_worse']} |")
        print(lines[-1], flush=True)
    if args.out is not None:
        write_table(args.out, lines)


if __name__ == "__main__":
    main()
