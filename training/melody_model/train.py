"""Train the melody model (plain or smart embedding) on the prepared corpus.

Both variants see the identical batch stream (data RNG seeded apart from the model's), the same
step budget and the same optimizer; ``--max-minutes`` is a wall-clock guard that stops early and
is recorded if it fires.

    python training/melody_model/prepare_data.py --out .cache/melody_model/corpus.jsonl
    nice -n 10 python training/melody_model/train.py --variant smart --out .cache/melody_model/smart
    nice -n 10 python training/melody_model/train.py --variant plain --out .cache/melody_model/plain
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import load_records, nmi_pitch_voice, pad_batch, random_window, split, to_piece, val_windows  # noqa: E402

from musicgrammar.tools.melody_model.model import MelodyModel, MelodyModelConfig  # noqa: E402


@torch.no_grad()
def evaluate(model: MelodyModel, windows: list[list[int]], batch: int = 16) -> float:
    """Mean next-token cross-entropy (nats) over all non-PAD targets of the validation windows."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(windows), batch):
        ids = torch.tensor(pad_batch(windows[i : i + batch]))
        losses = model.token_losses(ids)
        total += losses.sum().item()
        count += int((ids[:, 1:] != 0).sum())
    model.train()
    return total / max(count, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(".cache/melody_model/corpus.jsonl"))
    ap.add_argument("--variant", choices=("plain", "smart"), default="smart")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--max-minutes", type=float, default=12.0)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--val-pieces", type=int, default=300, help="held-out pieces used for the val loss")
    ap.add_argument("--untied", action="store_true", help="separate output head (only the input embedding differs)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    records = load_records(args.data)
    train_recs, val_recs = split(records)
    # A fixed, seed-independent subset of held-out pieces keeps evaluation affordable on CPU.
    val_subset = sorted(val_recs, key=lambda r: r["id"])
    val_subset = random.Random(1234).sample(val_subset, min(args.val_pieces, len(val_subset)))
    val = val_windows(val_subset, args.seq_len)
    train_pieces = [to_piece(r) for r in train_recs]
    weights = [len(p.notes) for p in train_pieces]  # sample pieces in proportion to their length
    print(f"train {len(train_pieces)} pieces, val {len(val_recs)} pieces ({len(val)} windows)", flush=True)

    torch.manual_seed(args.seed)
    cfg = MelodyModelConfig(
        embedding=args.variant, d_model=args.d_model, n_layer=args.layers, n_head=args.heads,
        max_len=args.seq_len + 1,  # learned positions: never longer than what training saw
        tie_output=not args.untied,
    )
    model = MelodyModel(cfg)
    model.train()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))

    def lr_at(step: int) -> float:  # linear warmup, cosine decay to 10%
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))

    data_rng = random.Random(args.seed)
    history: list[dict] = []
    t0 = time.time()
    step = 0
    stopped_early = False
    train_loss = float("nan")
    for step in range(args.steps):
        if time.time() - t0 > args.max_minutes * 60:
            stopped_early = True
            break
        pieces = data_rng.choices(train_pieces, weights=weights, k=args.batch)
        ids = torch.tensor(pad_batch([random_window(p, data_rng, args.seq_len) for p in pieces]))
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        loss = model.loss(ids)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        train_loss = loss.item() if step == 0 else 0.98 * train_loss + 0.02 * loss.item()
        if (step + 1) % args.eval_every == 0:
            val_loss = evaluate(model, val)
            history.append({"step": step + 1, "train_loss": train_loss, "val_loss": val_loss,
                            "minutes": (time.time() - t0) / 60})
            print(json.dumps(history[-1]), flush=True)
    else:
        step = args.steps
    steps_done = step if stopped_early else args.steps
    val_loss = evaluate(model, val)
    minutes = (time.time() - t0) / 60
    metrics = {
        "variant": args.variant,
        "steps": steps_done,
        "stopped_early_by_time": stopped_early,
        "minutes": minutes,
        "val_loss": val_loss,
        "train_loss_ema": train_loss,
        "embedding_parameters": model.embedding_parameters(),
        "total_parameters": model.total_parameters(),
        "history": history,
        "nmi_pitch_voice": nmi_pitch_voice(train_recs),
        "train_pieces": len(train_recs),
        "val_pieces": len(val_recs),
        "val_pieces_evaluated": len(val),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    model.save(args.out, half=True, extra={"training": {k: metrics[k] for k in ("steps", "minutes", "val_loss")}})
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps({k: v for k, v in metrics.items() if k != "history"}), flush=True)


if __name__ == "__main__":
    main()
