"""Train the aesthetics model on the precomputed feature clips of build_data.py (no rendering here).

Targets on the 1-5 scale: each dimension 5 - its degradation grade; overall 5 - the largest grade.
AdamW with a linear warm-up and cosine decay; stems are hidden from a share of the examples
(config.stem_dropout) so that the model also judges a mix alone. Writes config.json,
model.safetensors and train_log.json into --out.

    python training/aesthetics_model/train.py --data .cache/aesthetics_data --config cpu --out .cache/aesthetics_cpu
    python training/aesthetics_model/train.py ... --mix-only      # ablation: no stems, no cross-attention
    python training/aesthetics_model/train.py ... --head regression  # ablation: plain MSE regression
    python training/aesthetics_model/train.py --data DIR1 DIR2 ...   # builds with other seeds together
    python training/aesthetics_model/train.py --data ... --out DIR --calibrate-only  # widen a saved model's intervals

After the best epoch is restored, the HiGIA interval mass is raised until the overall intervals hold
--coverage (80 %) of the validation clips' true scores.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from a checkout

from musicgrammar.tools.aesthetics_model import config as configs  # noqa: E402
from musicgrammar.tools.aesthetics_model.config import AestheticsConfig  # noqa: E402
from musicgrammar.tools.aesthetics_model.features import DB_FLOOR, LEVELS, transpose_bands  # noqa: E402
from musicgrammar.tools.aesthetics_model.meter import GRIDS, MAX_SEAMS  # noqa: E402
from musicgrammar.tools.aesthetics_model.model import AestheticsModel, loss_fn  # noqa: E402

__all__ = ["load_split", "load_sets", "split_off_validation", "calibrate_intervals", "calibrate_saved", "targets_from_grades", "piece_batches", "ranking_loss", "seam_targets", "own_grid", "seam_loss", "train", "validate", "save"]


def load_split(data: Path, split: str) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """All shards of a split: features (N, 3, T, features) uint8, grades (N, 4) int8, meta records."""
    files = sorted(data.glob(f"{split}-*.npz"))
    if not files:
        raise SystemExit(f"no {split}-*.npz in {data}: run build_data.py first")
    feats, grades, meta = [], [], []
    for f in files:
        with np.load(f) as z:
            feats.append(z["features"])
            grades.append(z["labels"])
        meta += json.loads(f.with_suffix(".json").read_text())["meta"]
    return np.concatenate(feats), np.concatenate(grades), meta


def targets_from_grades(grades: np.ndarray) -> np.ndarray:
    """(N, 4) grades 0..4 -> (N, 5) scores 1..5: the four dimensions, then overall (worst dimension)."""
    g = grades.astype(np.float32)
    return np.concatenate([5.0 - g, 5.0 - g.max(axis=1, keepdims=True)], axis=1)


def _crop(x: torch.Tensor, frames: int) -> torch.Tensor:
    """(B, S, T, M) -> (B, S, frames, M): a random window when T > frames (tiny configs), floor-padded when shorter."""
    t = x.shape[2]
    if t > frames:
        start = int(torch.randint(0, t - frames + 1, ()).item())
        return x[:, :, start : start + frames]
    if t < frames:
        return torch.nn.functional.pad(x, (0, 0, 0, frames - t), value=DB_FLOOR)
    return x


def piece_batches(pieces: list[str], per_batch: int, generator: torch.Generator) -> list[torch.Tensor]:
    """Clip indices grouped by piece, ``per_batch`` whole pieces per batch, pieces in a random order."""
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(pieces):
        groups.setdefault(p, []).append(i)
    names = list(groups)
    order = torch.randperm(len(names), generator=generator).tolist()
    return [torch.tensor([i for k in order[j : j + per_batch] for i in groups[names[k]]])
            for j in range(0, len(order), per_batch)]


def ranking_loss(overall: torch.Tensor, worst: torch.Tensor, pieces: torch.Tensor) -> torch.Tensor:
    """Within each piece, every pair of clips whose grades differ: the less damaged one should score
    higher (logistic loss on the score difference). overall (B,), worst grade (B,), piece ids (B,)."""
    same = pieces[:, None] == pieces[None, :]
    better = same & (worst[:, None] < worst[None, :])  # [i, j]: clip i is less damaged than clip j
    if not bool(better.any()):
        return overall.new_zeros(())
    gap = overall[:, None] - overall[None, :]  # should be > 0 where `better`
    return torch.nn.functional.softplus(-gap[better]).mean()


def seam_targets(meta: list[dict], cfg: AestheticsConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From build_data's meta records: per clip, whether each half-bar seam k = 1 .. K broke (N, K) float
    (1 broke, 0 held, -1 unknown or outside the clip), the index in meter.GRIDS of the clip's half bar in beats
    (N,) (-1: neither grid, or data built without seam records) and the true beat in frames (N,): the quarter
    note, or the dotted quarter where the record says the clip is in compound metre (beat_quarters 1.5)."""
    labels = np.full((len(meta), MAX_SEAMS), -1.0, dtype=np.float32)
    grid = np.full(len(meta), -1, dtype=np.int64)
    beat = np.zeros(len(meta), dtype=np.float32)
    for i, m in enumerate(meta):
        beat_quarters = m.get("beat_quarters", 1.0)  # 1.5 in compound metre: the beat is the dotted quarter
        if "broken_seams" not in m or m.get("half_bar", 0.0) / beat_quarters not in GRIDS:
            continue
        cut = m["broken_seams"][:MAX_SEAMS]
        labels[i, : len(cut)] = cut
        grid[i] = GRIDS.index(m["half_bar"] / beat_quarters)
        beat[i] = 60.0 / m["tempo"] * beat_quarters * cfg.sample_rate / cfg.hop
    return labels, grid, beat


def own_grid(out: dict, grid: torch.Tensor, beat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The break logits on each clip's own grid (B, 2, K): [:, 0] at the seams, [:, 1] halfway between;
    where they may be read (B, 2, K) bool: inside the clip, for clips with seam records whose beat the model
    judged within 1 % (its seams otherwise sit elsewhere); and those clips (B,) bool. grid (B,), beat (B,) frames."""
    logits, inside, estimated = out["seam_logits"], out["seam_ok"], out["beat_frames"]  # (B, G, 2, K), same, (B,)
    rows = torch.arange(len(grid), device=grid.device)
    usable = (grid >= 0) & ((estimated - beat).abs() <= 0.01 * beat)
    return logits[rows, grid.clamp(min=0)], inside[rows, grid.clamp(min=0)] & usable[:, None, None], usable


def seam_loss(out: dict, labels: torch.Tensor, grid: torch.Tensor, beat: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the seam reader's break logits on the clip's own grid (own_grid): at its seams
    against whether they broke, at the halfway points against 0 (nothing is ever cut there). labels (B, K)."""
    lg, ok, _ = own_grid(out, grid, beat)
    at_seam = ok[:, 0] & (labels >= 0)
    terms = [torch.nn.functional.binary_cross_entropy_with_logits(lg[:, 0][at_seam], labels[at_seam], reduction="sum"),
             torch.nn.functional.binary_cross_entropy_with_logits(lg[:, 1][ok[:, 1]], torch.zeros_like(lg[:, 1][ok[:, 1]]), reduction="sum")]
    count = at_seam.sum() + ok[:, 1].sum()
    return (terms[0] + terms[1]) / count.clamp(min=1)


def _rankable_overall(model: AestheticsModel, out: dict, column: int = -1) -> list[torch.Tensor]:
    """The scores (B,) of one output (default: overall) the ranking loss moves: the regression head's
    score; for HiGIA, whose interval is chosen without gradients, the expected score over the finest bins,
    and the reported score too when its regression is anchored there (config.anchor_expected)."""
    if model.cfg.head != "higia":
        return [out["score"][:, column]]
    return [out["expected"][:, column]] + ([out["score"][:, column]] if model.cfg.anchor_expected else [])


def _dequantize(q: torch.Tensor) -> torch.Tensor:
    return q.float() * (-DB_FLOOR / LEVELS) + DB_FLOOR


@torch.no_grad()
def validate(model: AestheticsModel, x: torch.Tensor, grades: np.ndarray, pieces: list[str], batch: int) -> float:
    """Mean over validation pieces of Spearman(predicted overall, worst grade); lower (towards -1) is better."""
    from scipy.stats import spearmanr

    model.eval()
    scores = []
    for i in range(0, len(x), batch):
        db = _crop(_dequantize(x[i : i + batch]), model.cfg.clip_frames)
        scores.append(model(db[:, 0], db[:, 1], db[:, 2])["score"][:, -1].cpu().numpy())  # type: ignore[index]
    model.train()
    pred, worst = np.concatenate(scores), grades.max(axis=1)
    rhos = []
    for piece in sorted(set(pieces)):
        idx = [j for j, p in enumerate(pieces) if p == piece]
        if np.ptp(pred[idx]) > 0:
            rhos.append(spearmanr(pred[idx], worst[idx]).statistic)
    return float(np.mean(rhos)) if rhos else 0.0


@torch.no_grad()
def calibrate_intervals(model: AestheticsModel, x: torch.Tensor, grades: np.ndarray, batch: int,
                        coverage: float) -> tuple[float, float]:
    """Set the model's interval_mass to the smallest of 0.80, 0.81, ... 0.99 whose overall intervals hold
    at least ``coverage`` of the validation clips' true overall scores (HiGIA's mass is overconfident
    after training: the nominal 80 % covered about 70 % of held-out clips). Returns (mass, coverage)."""
    model.eval()
    target = torch.from_numpy(targets_from_grades(grades)[:, -1])
    logits = []
    for i in range(0, len(x), batch):
        db = _crop(_dequantize(x[i : i + batch]), model.cfg.clip_frames)
        logits.append(model(db[:, 0], db[:, 1], db[:, 2])["logits"])
    model.train()
    head = model.head
    chosen = (0.99, 0.0)
    for mass in [round(0.80 + 0.01 * k, 2) for k in range(20)]:
        head.cfg = replace(model.cfg, interval_mass=mass)  # type: ignore[union-attr]
        bounds = [head.interval(lg) for lg in logits]  # type: ignore[operator]
        lo, hi = torch.cat([b[0][:, -1] for b in bounds]).cpu(), torch.cat([b[1][:, -1] for b in bounds]).cpu()
        held = float(((lo <= target) & (target <= hi)).float().mean())
        chosen = (mass, held)
        if held >= coverage:
            break
    model.cfg = head.cfg = replace(model.cfg, interval_mass=chosen[0])  # type: ignore[union-attr]
    return chosen


def load_sets(data: list[Path], split: str) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Several data folders of one split together (e.g. builds with other seeds: other windows, instruments
    and damage of the same chorales). A chorale's clips from the k-th folder (k > 0) are another piece for
    the ranking loss ("name#k": only clips of one window are compared) but the same chorale for the
    validation split, which sets whole chorales aside; each record also keeps its folder's index ("source")."""
    parts = [load_split(d, split) for d in data]
    meta = [dict(m, piece=m["piece"] + (f"#{k}" if k else ""), chorale=m["piece"], source=k) for k, (_, _, ms) in enumerate(parts) for m in ms]
    return np.concatenate([f for f, _, _ in parts]), np.concatenate([g for _, g, _ in parts]), meta


def split_off_validation(feats: np.ndarray, grades: np.ndarray, meta: list[dict], val_pieces: int
                         ) -> tuple[tuple[np.ndarray, np.ndarray, list[dict]], tuple[np.ndarray, np.ndarray, list[str]]]:
    """The last ``val_pieces`` chorales (all their clips, from every data folder) set aside:
    ((features, grades, meta) to train on, (features, grades, piece names) to validate on)."""
    chorales = list(dict.fromkeys(m["chorale"] for m in meta))
    if val_pieces >= len(chorales):
        raise SystemExit(f"--val-pieces {val_pieces} leaves nothing to train on ({len(chorales)} pieces)")
    held = set(chorales[len(chorales) - val_pieces :]) if val_pieces else set()
    is_val = np.array([m["chorale"] in held for m in meta], dtype=bool)
    kept = [m for m in meta if m["chorale"] not in held]
    return (feats[~is_val], grades[~is_val], kept), (feats[is_val], grades[is_val], [m["piece"] for m in meta if m["chorale"] in held])


def grow_state(saved: dict[str, torch.Tensor], fresh: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Saved weights fitted to a model that reads more inputs (a config grown by --seam-voicing): a matrix with
    fewer input columns than the fresh model's gets zero columns for the new inputs, which come last, so the
    grown model starts out computing what the saved one did. Other shapes are left for load_state_dict to refuse."""
    grown = {}
    for name, w in saved.items():
        target = fresh.get(name)
        if target is not None and w.ndim == 2 == target.ndim and w.shape[0] == target.shape[0] and w.shape[1] < target.shape[1]:
            w = torch.cat([w, w.new_zeros(w.shape[0], target.shape[1] - w.shape[1])], dim=1)
        grown[name] = w
    return grown


def train(cfg: AestheticsConfig, data: Path | list[Path], out: Path, epochs: int, batch: int, lr: float, seed: int,
          device: str, limit: int = 0, val_pieces: int = 0, max_minutes: float = 0.0, transpose: int = 0,
          rank_weight: float = 0.0, coverage: float = 0.8, dim_rank_weight: float = 0.0, average_last: int = 0,
          seam_weight: float = 1.0, ce_weight: float = 1.0, init: Path | None = None) -> dict:
    """Train; with ``val_pieces`` > 0 the last that many training pieces are set aside, scored after
    every epoch, and the weights of the epoch with the best validation Spearman are the ones saved;
    ``transpose`` > 0 moves every training batch by a random number of semitones in [-transpose, transpose];
    ``rank_weight`` > 0 makes batches of whole pieces (about ``batch`` clips) and adds that weight times
    the within-piece ranking loss of the overall score (the benchmark's metric is a within-piece ranking);
    ``dim_rank_weight`` adds that weight times the same loss of each dimension's score against its own grade;
    ``average_last`` > 1 also validates the mean of the last that many epochs' weights, kept when it beats
    the best single epoch (one noisy validation score picks less than an average of several epochs);
    with ``cfg.seam_supervision`` the seam reader's break logits add ``seam_weight`` times seam_loss;
    ``ce_weight`` scales HiGIA's bin cross-entropy against the other terms; ``init`` starts from the weights of
    a model saved by an earlier run (its config is ``cfg``: see main) instead of a random initialisation."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    feats, grades, meta = load_sets(data if isinstance(data, list) else [data], "train")
    if feats.shape[-1] != cfg.features:
        raise SystemExit(f"the data has {feats.shape[-1]} values per frame, the config {cfg.features}: rebuild it with build_data.py")
    if limit:
        feats, grades, meta = feats[:limit], grades[:limit], meta[:limit]
    (feats, grades, meta), (val_feats, val_grades, val_names) = split_off_validation(feats, grades, meta, val_pieces)
    held = set(val_names)
    names = list(dict.fromkeys(m["piece"] for m in meta))
    x_val = torch.from_numpy(val_feats).to(device)
    x = torch.from_numpy(feats).to(device)  # uint8 on the device; dequantized per batch
    y = torch.from_numpy(targets_from_grades(grades)).to(device)
    worst = torch.from_numpy(grades.max(axis=1).astype(np.int64)).to(device)
    dim_grades = torch.from_numpy(grades.astype(np.int64)).to(device)  # (N, dimensions)
    seam_labels, seam_grid, true_beat = (torch.from_numpy(a).to(device) for a in seam_targets(meta, cfg))
    piece_names = [m["piece"] for m in meta]
    number = {name: i for i, name in enumerate(names)}
    piece_ids = torch.tensor([number[p] for p in piece_names], device=device)
    shuffler = torch.Generator().manual_seed(seed)
    model = AestheticsModel(cfg)
    if init is not None:
        from safetensors.torch import load_file

        try:
            model.load_state_dict(grow_state(load_file(str(init / "model.safetensors")), model.state_dict()))
        except (OSError, RuntimeError, ValueError) as exc:  # a corrupt file or weights of another config: one line
            raise SystemExit(f"--init {init}: cannot load its weights: {str(exc).splitlines()[0]}") from exc
    model = model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(x) / batch)
    total = epochs * steps_per_epoch
    warmup = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / total))))
    log: dict = {"config": cfg.to_dict(), "clips": len(x), "pieces": len({m["piece"] for m in meta}),
                 "chorales": len({m["chorale"] for m in meta}),
                 "val_pieces": len(held), "val_spearman": [],
                 "epochs": epochs, "batch": batch, "lr": lr, "seed": seed, "device": device, "transpose": transpose,
                 "init": str(init) if init is not None else None, "rank_weight": rank_weight, "dim_rank_weight": dim_rank_weight, "seam_weight": seam_weight if cfg.seam_supervision else 0.0, "ce_weight": ce_weight,
                 "parameters": sum(p.numel() for p in model.parameters()), "loss": []}
    if init is not None and (init / "train_log.json").is_file():  # the starting weights' own history, kept with the new one
        log["init_log"] = json.loads((init / "train_log.json").read_text())
    if init is not None and held:
        log["init_val_spearman"] = round(validate(model, x_val, val_grades, val_names, batch), 4)
        print(f"the starting weights: validation Spearman {log['init_val_spearman']:.3f}", flush=True)
    started = time.time()
    best: tuple[float, int, dict] = (float("inf"), 0, {})
    recent: list[dict] = []  # the last `average_last` epochs' weights
    model.train()
    for epoch in range(epochs):
        if rank_weight:
            batches = [b.to(device) for b in piece_batches(piece_names, max(1, round(batch / 17)), shuffler)]
        else:
            order = torch.randperm(len(x), device=device)
            batches = [order[i : i + batch] for i in range(0, len(x), batch)]
        running, seen = 0.0, 0
        for idx in batches:
            db = _crop(_dequantize(x[idx]), cfg.clip_frames)
            if transpose:
                db = transpose_bands(db, cfg.semitone_bands, int(torch.randint(-transpose, transpose + 1, ()).item()))
            has_stems = torch.rand(len(idx), device=device) >= cfg.stem_dropout
            out_ = model(db[:, 0], db[:, 1], db[:, 2], has_stems)
            loss = loss_fn(out_, y[idx], cfg, ce_weight=ce_weight)
            if cfg.seam_supervision and x.shape[2] == cfg.clip_frames:  # a cropped window's seams sit elsewhere
                loss = loss + seam_weight * seam_loss(out_, seam_labels[idx], seam_grid[idx], true_beat[idx])
            if rank_weight:
                ranked = _rankable_overall(model, out_)
                loss = loss + rank_weight * sum(ranking_loss(r, worst[idx], piece_ids[idx]) for r in ranked) / len(ranked)
                if dim_rank_weight:
                    for d in range(dim_grades.shape[1]):
                        ranked = _rankable_overall(model, out_, d)
                        loss = loss + dim_rank_weight * sum(ranking_loss(r, dim_grades[idx, d], piece_ids[idx]) for r in ranked) / len(ranked)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            running += loss.item() * len(idx)
            seen += len(idx)
        log["loss"].append(round(running / seen, 4))
        note = ""
        if held:
            rho = validate(model, x_val, val_grades, val_names, batch)
            log["val_spearman"].append(round(rho, 4))
            if rho < best[0]:
                best = (rho, epoch + 1, {k: v.detach().clone() for k, v in model.state_dict().items()})
            if average_last > 1:
                recent = (recent + [{k: v.detach().clone() for k, v in model.state_dict().items()}])[-average_last:]
            note = f", validation Spearman {rho:.3f}"
        print(f"epoch {epoch + 1}/{epochs} loss {running / seen:.4f}{note} ({time.time() - started:.0f} s)", flush=True)
        if max_minutes and time.time() - started > 60 * max_minutes:
            print(f"time budget of {max_minutes:g} min spent after epoch {epoch + 1}", flush=True)
            break
    log["train_seconds"] = round(time.time() - started, 1)
    if held and len(recent) > 1:
        model.load_state_dict({k: torch.stack([r[k].float() for r in recent]).mean(0).to(v.dtype) for k, v in recent[-1].items()})
        rho = validate(model, x_val, val_grades, val_names, batch)
        log["averaged_val_spearman"] = round(rho, 4)
        print(f"the mean of the last {len(recent)} epochs' weights: validation Spearman {rho:.3f}", flush=True)
        if rho < best[0]:
            best = (rho, -len(recent), model.state_dict())
    if held:
        model.load_state_dict(best[2])
        log["best_epoch"], log["best_val_spearman"] = best[1], round(best[0], 4)  # best_epoch -k: the mean of the last k
        if coverage and cfg.head == "higia":
            mass, reached = calibrate_intervals(model, x_val, val_grades, batch, coverage)
            log["interval_mass"], log["val_interval_coverage"] = mass, round(reached, 4)
            print(f"interval mass {mass:.2f}: validation coverage {reached:.1%}", flush=True)
    save(model.cpu(), out, log)
    return log


def calibrate_saved(out: Path, data: list[Path], val_pieces: int, batch: int, coverage: float) -> None:
    """calibrate_intervals for a model saved by an earlier run; rewrites its config.json and train_log.json."""
    from musicgrammar.tools.aesthetics_model.api import load_model

    model = load_model(out)
    feats, grades, meta = load_sets(data, "train")
    _, (val_feats, val_grades, _) = split_off_validation(feats, grades, meta, val_pieces)
    mass, reached = calibrate_intervals(model, torch.from_numpy(val_feats), val_grades, batch, coverage)
    log = json.loads((out / "train_log.json").read_text())
    log.update({"interval_mass": mass, "val_interval_coverage": round(reached, 4), "calibrate_command": " ".join(sys.argv)})
    save(model, out, log)
    print(f"interval mass {mass:.2f}: validation coverage {reached:.1%} ({out})")


def save(model: AestheticsModel, out: Path, log: dict) -> None:
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(model.cfg.to_dict(), indent=1))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / "model.safetensors"))
    (out / "train_log.json").write_text(json.dumps(log, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, nargs="+", help="one or more build_data.py folders")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--config", choices=("tiny", "cpu", "accelerator"), default="cpu")
    ap.add_argument("--mix-only", action="store_true", help="ablation: the mix alone, no cross-attention")
    ap.add_argument("--head", choices=("higia", "regression"), default="higia")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="only the first N clips (smoke tests)")
    ap.add_argument("--val-pieces", type=int, default=20, help="training pieces set aside to pick the best epoch")
    ap.add_argument("--max-minutes", type=float, default=0.0, help="stop after the epoch that passes this budget")
    ap.add_argument("--transpose", type=int, default=3, help="augmentation: move batches up to this many semitones")
    ap.add_argument("--rank-weight", type=float, default=0.0, help="within-piece ranking loss of the overall score (batches of whole pieces)")
    ap.add_argument("--average-last", type=int, default=0,
                    help="also validate the mean of the last N epochs' weights; keep it when it beats the best epoch")
    ap.add_argument("--dim-rank-weight", type=float, default=0.0,
                    help="with --rank-weight: the same loss for each dimension's score against its own grade")
    ap.add_argument("--coverage", type=float, default=0.8,
                    help="widen the HiGIA intervals until they hold this share of validation clips (0: keep the nominal mass)")
    ap.add_argument("--calibrate-only", action="store_true",
                    help="no training: calibrate the intervals of the model already in --out on the same validation split")
    ap.add_argument("--no-descriptors", action="store_true", help="ablation: the bands alone, no music-theory descriptors")
    ap.add_argument("--seam-reader", action="store_true", help="add the learned reading of the half-bar seams (model.SeamReader)")
    ap.add_argument("--seam-supervision", type=float, default=0.0, metavar="WEIGHT",
                    help="train the seam reader to say which seams broke (data with seam records), at this loss weight")
    ap.add_argument("--seam-evidence", action="store_true",
                    help="give the seam reader the pitch moves and chords measured at each seam (transitions.py)")
    ap.add_argument("--seam-voicing", action="store_true",
                    help="give the seam reader how the sounding pitches change at each seam (transitions.voicing_change); "
                         "with --init it grows the saved model, whose readings start unchanged")
    ap.add_argument("--beat-max-ms", type=float, default=None, metavar="MS",
                    help="the longest beat the meter statistics look for (the config's beat_max_ms); with --init it "
                         "replaces the saved model's, which then reads such clips' beat anew")
    ap.add_argument("--ce-weight", type=float, default=1.0, help="weight of HiGIA's bin cross-entropy in the loss")
    ap.add_argument("--init", type=Path, default=None, metavar="DIR",
                    help="fine-tune: start from the model an earlier run saved in DIR, with its config (the config flags are ignored but --seam-voicing and --beat-max-ms)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if args.ce_weight < 0 or args.seam_supervision < 0:
        raise SystemExit("--ce-weight and --seam-supervision are loss weights: give 0 or more")
    torch.set_num_threads(args.threads)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    overrides = {"head": args.head} | ({"use_stems": False, "stem_dropout": 0.0} if args.mix_only else {})
    if args.no_descriptors:
        overrides["descriptors"] = False
    if args.seam_reader or args.seam_supervision or args.seam_evidence or args.seam_voicing:
        overrides["seam_reader"] = True
    if args.seam_evidence:
        overrides["seam_evidence"] = True
    if args.seam_supervision:
        overrides["seam_supervision"] = True
    if args.seam_voicing:
        overrides["seam_voicing"] = True
    if args.beat_max_ms is not None:
        overrides["beat_max_ms"] = args.beat_max_ms
    try:  # the config checks its own settings (--beat-max-ms out of range, say): one line, not a traceback
        cfg = getattr(configs, f"{args.config}_config")(**overrides)
    except ValueError as exc:
        raise SystemExit(f"--config {args.config} with these flags: {exc}") from exc
    if args.init is not None:
        if not (args.init / "config.json").is_file() or not (args.init / "model.safetensors").is_file():
            raise SystemExit(f"--init {args.init}: no config.json and model.safetensors there")
        if args.init.resolve() == args.out.resolve():
            raise SystemExit("--init and --out name the same folder: give the fine-tuned model a folder of its own")
        try:
            cfg = AestheticsConfig.from_dict(json.loads((args.init / "config.json").read_text()))
        except (ValueError, TypeError, AttributeError) as exc:  # not JSON, not an object, or settings this code refuses
            raise SystemExit(f"--init {args.init}: config.json: {str(exc).splitlines()[0]}") from exc
        if args.seam_voicing:
            if not cfg.seam_reader:
                raise SystemExit(f"--init {args.init}: --seam-voicing grows a seam reader, and this model has none")
            cfg = replace(cfg, seam_voicing=True)
        if args.beat_max_ms is not None:
            cfg = replace(cfg, beat_max_ms=args.beat_max_ms)  # already checked on the flags' config above
    if args.calibrate_only:
        calibrate_saved(args.out, args.data, args.val_pieces, args.batch, args.coverage or 0.8)
        return
    log = train(cfg, args.data, args.out, args.epochs, args.batch, args.lr, args.seed, device, args.limit, args.val_pieces, args.max_minutes, args.transpose, args.rank_weight,
                args.coverage, args.dim_rank_weight, args.average_last, args.seam_supervision or 1.0, args.ce_weight, args.init)
    log["command"] = " ".join(sys.argv)
    (args.out / "train_log.json").write_text(json.dumps(log, indent=1))
    print(f"saved {args.out} ({log['parameters']} parameters, {log['train_seconds']} s)")


if __name__ == "__main__":
    main()
