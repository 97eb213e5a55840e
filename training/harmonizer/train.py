"""Train the masked harmonizer on the prepared chorales with one curriculum (ff, md or r10).

    nice -n 10 python -m training.harmonizer.train --curriculum ff --minutes 12 \
        --data .cache/harmonizer/chorales.json --out .cache/harmonizer/ff

Training progress q in [0, 1] drives the FF schedule (v = q^5) and the learning-rate decay. With
``--minutes M`` the budget is wall-clock time (q = elapsed / M, so the FF schedule completes on a
shared, variably loaded CPU); without it q = step / ``--steps``. A longer run is a larger budget.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from musicgrammar.tools.harmonizer.data import pad_batch
from musicgrammar.tools.harmonizer.model import Harmonizer, HarmonizerConfig, save_checkpoint
from musicgrammar.tools.harmonizer.tokens import MASK
from training.harmonizer.curricula import CURRICULA, make_example
from training.harmonizer.dataset import (
    SPLIT_PATH,
    chord_steps,
    load_pieces,
    load_split,
    make_split,
    random_window,
)


def evaluate(model: Harmonizer, pieces, max_len: int, seed: int = 0) -> dict:
    """All-masked loss and one-pass accuracy on whole windows (a curriculum-neutral yardstick)."""
    rng = np.random.default_rng(seed)
    model.eval()
    losses, correct, total = [], 0, 0
    with torch.no_grad():
        for p in pieces:
            mel, tok = random_window(p, max_len, rng)
            cs = chord_steps(tok)
            inp = tok.copy()
            inp[cs] = MASK
            m, i = pad_batch([mel], [inp], len(tok))
            logits = model(torch.from_numpy(m), torch.from_numpy(i))[0]
            tgt = torch.from_numpy(tok)
            sel = torch.from_numpy(cs)
            losses.append(F.cross_entropy(logits[sel], tgt[sel]).item())
            correct += int((logits[sel].argmax(-1) == tgt[sel]).sum())
            total += int(sel.sum())
    model.train()
    return {"loss": float(np.mean(losses)), "accuracy": correct / max(1, total)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--curriculum", choices=CURRICULA, default="ff")
    ap.add_argument("--data", type=Path, default=Path(".cache/harmonizer/chorales.json"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff-dim", type=int, default=512)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--transpose", type=int, default=0, help="augment with random shifts in [-N, N] semitones")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=0.0, help="wall-clock budget (0 = use --steps)")
    ap.add_argument("--make-split", action="store_true", help="(re)write split.json from the data")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    pieces = load_pieces(args.data)
    if args.make_split or not SPLIT_PATH.exists():
        SPLIT_PATH.write_text(json.dumps(make_split(list(pieces), seed=0), indent=1) + "\n")
    split = load_split()
    train = [pieces[i] for i in split["train"] if i in pieces]
    valid = [pieces[i] for i in split["valid"] if i in pieces]
    cfg = HarmonizerConfig(
        d_model=args.d_model, n_layers=args.layers, n_heads=args.heads, d_ff=args.ff_dim, dropout=args.dropout
    )
    model = Harmonizer(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.curriculum}: {len(train)} train / {len(valid)} valid pieces, {n_params / 1e6:.2f} M params", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)

    def progress(s: int) -> float:
        if args.minutes:
            return min(1.0, (time.time() - t0) / (args.minutes * 60))
        return s / args.steps

    def lr_at(s: int, q: float) -> float:  # linear warmup, cosine decay to 10 %
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * q)))

    t0 = time.time()
    run_loss, done = 0.0, 0
    step = 0
    while True:
        q = progress(step)
        if q >= 1.0 or (not args.minutes and step >= args.steps):
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step, q)
        mels, inps, tgts, masks = [], [], [], []
        for _ in range(args.batch):
            piece = train[int(rng.integers(len(train)))]
            mel, tok = random_window(piece, cfg.max_len, rng, args.transpose)
            inp, target = make_example(args.curriculum, tok, chord_steps(tok), q, rng)
            mels.append(mel), inps.append(inp), tgts.append(tok), masks.append(target)
        width = max(len(x) for x in inps)  # pad to the longest window in the batch
        m, i = pad_batch(mels, inps, width)
        _, t = pad_batch(mels, tgts, width)
        sel = np.zeros_like(t, dtype=bool)
        for b, mk in enumerate(masks):
            sel[b, : len(mk)] = mk
        logits = model(torch.from_numpy(m), torch.from_numpy(i))  # (B, L, V)
        sel_t = torch.from_numpy(sel)
        if not sel.any():  # no target in the whole batch: nothing to learn from
            continue
        loss = F.cross_entropy(logits[sel_t], torch.from_numpy(t)[sel_t])  # CE on targets only
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run_loss += loss.item()
        step += 1
        done = step
        if done % 100 == 0:
            el = time.time() - t0
            print(f"step {done} q {q:.3f} loss {run_loss / 100:.3f} lr {lr_at(step, q):.2e} {done / el:.2f} it/s {el / 60:.1f} min", flush=True)
            run_loss = 0.0
    minutes = (time.time() - t0) / 60
    metrics = evaluate(model, valid, cfg.max_len)
    print(f"valid all-masked: {metrics}", flush=True)
    extra = {
        "curriculum": args.curriculum,
        "steps_done": done,
        "budget": f"{args.minutes} min wall clock" if args.minutes else f"{args.steps} steps",
        "batch": args.batch,
        "lr": args.lr,
        "transpose": args.transpose,
        "seed": args.seed,
        "threads": args.threads,
        "wall_minutes": round(minutes, 2),
        "params": n_params,
        "valid_all_masked": metrics,
        "data": str(args.data),
    }
    save_checkpoint(model, args.out, extra)
    print(f"saved {args.out} after {minutes:.1f} min", flush=True)


if __name__ == "__main__":
    main()
