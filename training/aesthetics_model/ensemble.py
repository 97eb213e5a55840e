"""Put trained aesthetics models together into one ensemble folder (musicgrammar/tools/aesthetics_model/ensemble.py).

Each member folder (config.json, model.safetensors, train_log.json) is copied under --out as member_k/,
members.json names them, and the ensemble is scored on the same validation chorales the members set
aside (same data folders and --val-pieces as their training). The mean interval is widened around the
mean score by the smallest factor of 1.00, 1.05, ... that holds --coverage (80 %) of those clips' true
overall scores (members.json's interval_scale). The ensemble's per-piece Spearman and coverage go into
ensemble_log.json, beside each member's own. --out must not exist yet.

    python training/aesthetics_model/ensemble.py --member DIR1 --member DIR2 --member DIR3 \\
        --data .cache/aesthetics_second_s0 .cache/aesthetics_second_s1 .cache/aesthetics_second_s2 --val-pieces 40 --out DIR
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from a checkout

from musicgrammar.tools.aesthetics_model.ensemble import MEMBERS_FILE  # noqa: E402
from training.aesthetics_model.train import load_sets, split_off_validation, targets_from_grades, validate  # noqa: E402

_FILES = ("config.json", "model.safetensors", "train_log.json")


@torch.no_grad()
def _overall(model: torch.nn.Module, x: torch.Tensor, batch: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The reported overall score, low and high bound (N,) each of the validation clips."""
    from training.aesthetics_model.train import _crop, _dequantize

    model.eval()
    outs = []
    for i in range(0, len(x), batch):
        db = _crop(_dequantize(x[i : i + batch]), model.cfg.clip_frames)  # type: ignore[union-attr]
        out = model(db[:, 0], db[:, 1], db[:, 2])
        outs.append(torch.stack([out[k][:, -1] for k in ("score", "lo", "hi")]))
    score, lo, hi = torch.cat(outs, dim=1)
    return score, lo, hi


def _coverage(bounds: tuple[torch.Tensor, torch.Tensor, torch.Tensor], truth: torch.Tensor, scale: float = 1.0) -> float:
    """Share of clips whose true overall score lies in the interval widened ``scale`` times around the score."""
    score, lo, hi = bounds
    return float(((score - scale * (score - lo) <= truth) & (truth <= score + scale * (hi - score))).float().mean())


def build(members: list[Path], out: Path, data: list[Path], val_pieces: int, coverage: float = 0.8, batch: int = 64,
          transpositions: tuple[int, ...] = (0,)) -> dict:
    from musicgrammar.tools.aesthetics_model.api import load_model

    if out.exists() or out.is_symlink():
        raise SystemExit(f"{out} already exists: give a new folder")
    for m in members:
        missing = [f for f in _FILES[:2] if not (m / f).is_file()]
        if missing:
            raise SystemExit(f"{m}: no {', '.join(missing)}")
    feats, grades, meta = load_sets(data, "train")
    _, (val_feats, val_grades, val_names) = split_off_validation(feats, grades, meta, val_pieces)
    x, truth = torch.from_numpy(val_feats), torch.from_numpy(targets_from_grades(val_grades)[:, -1])
    out.mkdir(parents=True)
    names = []
    for k, m in enumerate(members):
        names.append(f"member_{k}")
        (out / names[-1]).mkdir()
        for f in _FILES:
            if (m / f).is_file():
                shutil.copy2(m / f, out / names[-1] / f)
    measure = lambda model: {"val_spearman": round(validate(model, x, val_grades, val_names, batch), 4),  # noqa: E731
                             "val_interval_coverage": round(_coverage(_overall(model, x, batch), truth), 4)}
    log: dict = {"command": " ".join(sys.argv), "val_pieces": val_pieces,
                 "members": [{"folder": name, "trained_as": str(source)} | measure(load_model(out / name)) for name, source in zip(names, members)]}
    listing = {"members": names} | ({"transpositions": list(transpositions)} if transpositions != (0,) else {})
    (out / MEMBERS_FILE).write_text(json.dumps(listing, indent=1))  # unwidened, to measure
    ensemble = load_model(out)
    bounds = _overall(ensemble, x, batch)
    scale = next((s for s in (round(1.0 + 0.05 * k, 2) for k in range(181)) if _coverage(bounds, truth, s) >= coverage), 10.0)
    (out / MEMBERS_FILE).write_text(json.dumps(listing | {"interval_scale": scale}, indent=1))
    ensemble.interval_scale = scale  # the loaded ensemble, as the folder now describes it
    log |= {"interval_scale": scale, "transpositions": list(transpositions)} | measure(ensemble)
    (out / "ensemble_log.json").write_text(json.dumps(log, indent=1))
    return log


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--member", type=Path, action="append", required=True, help="a trained model folder, repeatable")
    ap.add_argument("--data", type=Path, nargs="+", required=True, help="the members' training data folders")
    ap.add_argument("--val-pieces", type=int, default=40)
    ap.add_argument("--coverage", type=float, default=0.8, help="widen the mean interval until it holds this share of validation clips")
    ap.add_argument("--transpositions", type=int, nargs="+", default=[0], metavar="SEMITONES",
                    help="hear every clip also moved by these semitones and average (members.json's transpositions)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    log = build(args.member, args.out, args.data, args.val_pieces, args.coverage, transpositions=tuple(args.transpositions))
    for m in log["members"]:
        print(f"{m['folder']} ({m['trained_as']}): validation Spearman {m['val_spearman']:.3f}, coverage {m['val_interval_coverage']:.1%}")
    print(f"ensemble: validation Spearman {log['val_spearman']:.3f}, intervals widened x{log['interval_scale']:.2f}: "
          f"coverage {log['val_interval_coverage']:.1%} ({args.out})")


if __name__ == "__main__":
    main()
