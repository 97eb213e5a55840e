"""Train the CAT-style codec on rendered corpus audio (see render_data.py), time-budgeted.

    python training/codec/train.py --data ~/.cache/musicgrammar/codec_data --out musicgrammar/weights/codec \
        --config cpu --minutes 50 --mel-weight 0 --chroma-weight 10 --clip-seconds 1.28 --vq-warmup 300 \
        --dropout-after 0.35 --revive-every 200 --threads 2 --seed 0

Losses of the shipped recipe (magnitude head): the head's own 80 ms spectra against the input's, x 10
(``spectral_loss``: L1 of log magnitudes and of log semitone bands, both floored 40 dB below the clip's
peak, plus 0.1 x the same with an absolute floor) and the pitch-class agreement of those spectra x 10
(``profile_loss``; --note-weight adds it over the 84 semitone bands); commitment x 0.25 and codebook x 1 (factorized L2-normalized codes learned by
gradient). With --mel-weight > 0 (and always for the complex head) the decoded wave also gets the
multi-scale mel loss (7 windows 32..2048), which costs the vocoder and overlap-add on every step.
Schedules that keep the codes alive in a short run: the first --vq-warmup steps pass the encodings on
unsnapped, then the codebooks are seeded from them; quantizer dropout (inside the model) starts after
--dropout-after of the budget; codes unused for a while are re-seeded from current encodings.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch

from musicgrammar.tools.codec.config import CodecConfig, accelerator_config, cpu_config, tiny_config
from musicgrammar.tools.codec.losses import (MultiScaleMel, chroma_correlation, pitch_class_matrix,
                                              semitone_filterbank)
from musicgrammar.tools.codec.model import CatCodec, QuantizerOutput

CONFIGS = {
    "cpu": cpu_config,
    "cpu-bins": lambda: cpu_config("bins"),  # the earlier bin head, for side-by-side runs
    "accelerator": accelerator_config,
    "tiny": tiny_config,  # for tests: complex head
    "tiny-magnitude": lambda: tiny_config("magnitude"),
}


def batches(audio: np.ndarray, batch: int, length: int, rng: np.random.Generator):
    """Endless random crops (B, length) float32 from the concatenated int16 array; near-silent crops
    are redrawn (they teach nothing)."""
    while True:
        out = np.empty((batch, length), np.float32)
        for i in range(batch):
            for _ in range(10):
                start = int(rng.integers(0, len(audio) - length))
                crop = audio[start : start + length].astype(np.float32) / 32768.0
                if np.sqrt(np.mean(crop**2)) > 1e-3:
                    break
            out[i] = crop
        yield torch.from_numpy(out)


def spectral_loss(target: torch.Tensor, predicted: torch.Tensor, bands: torch.Tensor | None,
                  band_weight: float, floor_rel: float = 0.0, abs_weight: float = 0.0) -> torch.Tensor:
    """Magnitude head: target and predicted natural-log magnitudes (B, frames, bins) -> L1 of the log
    magnitudes + band_weight x L1 of the log semitone-band magnitudes (bands: (n_bands, bins),
    losses.semitone_filterbank), the term in which a wrong note costs as much in the bass, where FFT
    bins are coarse, as in the treble.

    floor_rel > 0 (the shipped recipe, 0.01): both sides are floored at floor_rel x the clip's loudest
    bin, i.e. 40 dB below it, before the log. Measured on a per-frame probe: with an absolute floor
    (1e-2, about 80 dB down) the L1 is spent on the noise between partials and the frame chroma stayed
    at 0.00 after 300 steps; with the relative floor it reached 0.45 at 300 and 0.64 at 800 steps.

    floor_rel = 0: the earlier loss, L1 of the raw prediction against the floored target (floor 1e-2)
    plus spectral convergence of the magnitudes. The prediction is left unfloored there: floored, it
    could sink far below the floor where the gradient vanishes, and a silent bin would never learn to
    sound.

    abs_weight (with floor_rel > 0) adds that weight x the L1 of log magnitudes floored at 1e-2 on both
    sides: the quiet passages and reverb tails under the relative floor keep their level."""
    pred_mag = predicted.clamp(max=8.0).exp()
    ref_mag = target.exp()
    if floor_rel > 0:
        floor = floor_rel * ref_mag.amax(dim=(1, 2), keepdim=True)  # (B, 1, 1)
        loss = ((ref_mag + floor).log() - (pred_mag + floor).log()).abs().mean()
        if bands is not None and band_weight:
            ref_bands, pred_bands = ref_mag @ bands.t(), pred_mag @ bands.t()  # (B, frames, n_bands)
            loss = loss + band_weight * ((ref_bands + floor).log() - (pred_bands + floor).log()).abs().mean()
        if abs_weight:
            loss = loss + abs_weight * ((ref_mag + 1e-2).log() - (pred_mag + 1e-2).log()).abs().mean()
        return loss
    convergence = torch.linalg.norm(ref_mag - pred_mag) / torch.linalg.norm(ref_mag).clamp(min=1e-6)
    loss = (target - predicted).abs().mean() + convergence
    if bands is not None and band_weight:
        ref_bands, pred_bands = ref_mag @ bands.t(), pred_mag @ bands.t()  # (B, frames, n_bands)
        loss = loss + band_weight * ((ref_bands + 1e-2).log() - (pred_bands + 1e-2).log()).abs().mean()
    return loss


def profile_loss(target: torch.Tensor, predicted: torch.Tensor, projection: torch.Tensor) -> torch.Tensor:
    """1 - centred cosine of the powers of target and predicted frames (B, frames, bins; natural-log
    magnitudes) summed into the columns of ``projection`` (bins, P), weighted by each frame's share of the
    batch's power. With the 12 pitch classes (losses.pitch_class_matrix) it is the benchmark's chroma
    agreement as a loss; with the 84 semitone bands (losses.semitone_filterbank, transposed) the same for
    notes, octave included.

    Measured on a probe that merges 4 frames into one code frame: without the pitch-class term the frame
    chroma stayed at -0.02 after 400 steps, with it (weight 1 beside the spectral loss) it reached 0.34."""
    ref_pow, pred_pow = (2 * target).exp(), (2 * predicted.clamp(max=8.0)).exp()
    ref_p, pred_p = ref_pow @ projection, pred_pow @ projection  # (B, frames, P)
    cos = torch.nn.functional.cosine_similarity(ref_p - ref_p.mean(-1, keepdim=True),
                                                pred_p - pred_p.mean(-1, keepdim=True), dim=-1, eps=1e-6)
    weight = ref_pow.sum(-1)
    return ((1 - cos) * weight).sum() / weight.sum().clamp(min=1e-9)


def seed_codebooks(model: CatCodec, q: QuantizerOutput, noise: float = 0.05) -> None:
    """End of the warm-up: fill every level's codebook with this batch's encodings at that level
    (drawn with replacement, plus noise), so that the codes start where the encodings are."""
    with torch.no_grad():
        for level, z in zip(model.quantizer.levels, q.encodings):
            pool = z.detach().reshape(-1, z.shape[-1])  # (B*F, c)
            pick = torch.randint(0, pool.shape[0], (level.codebook.weight.shape[0],))
            level.codebook.weight.copy_(pool[pick] + noise * torch.randn_like(pool[pick]))


def revive_dead_codes(model: CatCodec, usage: torch.Tensor, q: QuantizerOutput, threshold: float) -> int:
    """Replace codes whose usage EMA fell below ``threshold`` with random current encodings.
    usage: (levels, codebook_size). Returns how many codes were re-seeded."""
    revived = 0
    for i, level in enumerate(model.quantizer.levels):
        dead = (usage[i] < threshold).nonzero().flatten()
        if dead.numel() == 0 or i >= len(q.encodings):
            continue
        pool = q.encodings[i].detach().reshape(-1, q.encodings[i].shape[-1])  # (B*F, c)
        pick = torch.randint(0, pool.shape[0], (dead.numel(),))
        with torch.no_grad():
            level.codebook.weight[dead] = pool[pick] + 0.01 * torch.randn_like(pool[pick])
        usage[i, dead] = threshold * 4  # give a re-seeded code time to be chosen
        revived += dead.numel()
    return revived


@torch.no_grad()
def evaluate(model: CatCodec, mel: MultiScaleMel, audio: np.ndarray, levels: list[int], seconds: float,
             clips: int) -> dict[str, float]:
    """Mel distance and chroma correlation on fixed held-out crops at several bitrates."""
    model.eval()
    length = int(seconds * model.cfg.sample_rate) // model.cfg.hop * model.cfg.hop
    starts = np.linspace(0, len(audio) - length - 1, clips).astype(int)
    x = torch.from_numpy(np.stack([audio[s : s + length] for s in starts]).astype(np.float32) / 32768.0)
    out = {}
    for k in levels:
        y = model.reconstruct(x, k)
        out[f"mel@{k}"] = round(mel.distance(x, y), 4)
        out[f"chroma@{k}"] = round(float(np.mean([chroma_correlation(a, b, model.cfg.sample_rate)
                                                  for a, b in zip(x.cpu().numpy(), y.cpu().numpy())])), 4)
    model.train()
    return out


def save(model: CatCodec, out: Path, log: dict) -> None:
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".model.safetensors.tmp"
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(tmp))
    os.replace(tmp, out / "model.safetensors")
    for name, text in (("config.json", model.cfg.to_json()), ("train_log.json", json.dumps(log, indent=1))):
        tmp = out / f".{name}.tmp"
        tmp.write_text(text)
        os.replace(tmp, out / name)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--config", choices=sorted(CONFIGS), default="cpu")
    p.add_argument("--minutes", type=float, default=15.0, help="wall-clock training budget")
    p.add_argument("--max-steps", type=int, default=1_000_000)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--clip-seconds", type=float, default=1.92)
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--mel-weight", type=float, default=15.0)
    p.add_argument("--spec-weight", type=float, default=10.0,
                   help="magnitude head: L1 log-magnitude + spectral convergence of its frames")
    p.add_argument("--band-weight", type=float, default=1.0,
                   help="magnitude head: weight of the semitone-band term inside the spectral loss")
    p.add_argument("--floor-rel", type=float, default=0.01,
                   help="magnitude head: floor of the spectral loss relative to the clip's loudest bin (0: absolute 1e-2)")
    p.add_argument("--chroma-weight", type=float, default=1.0,
                   help="magnitude head: weight of the pitch-class agreement term (profile_loss)")
    p.add_argument("--note-weight", type=float, default=0.0,
                   help="magnitude head: weight of the semitone-band agreement term (octave-aware profile_loss)")
    p.add_argument("--init", type=Path, default=None, help="start from this codec folder (a second stage)")
    p.add_argument("--abs-weight", type=float, default=0.1,
                   help="magnitude head, with --floor-rel: weight of the absolute-floor (1e-2) log-magnitude L1")
    p.add_argument("--wave-weight", type=float, default=0.0, help="L1 on the waveform (EnCodec uses 0.1 x mel)")
    p.add_argument("--commit-weight", type=float, default=0.25)
    p.add_argument("--codebook-weight", type=float, default=1.0)
    p.add_argument("--vq-warmup", type=int, default=300,
                   help="steps that pass the encodings on unsnapped before the codebooks are seeded from them")
    p.add_argument("--dropout-after", type=float, default=0.35,
                   help="share of the budget trained with every level before quantizer dropout starts")
    p.add_argument("--revive-every", type=int, default=0, help="re-seed dead codes every N steps (0: never)")
    p.add_argument("--eval-every", type=int, default=500, help="held-out mel and chroma every N steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="auto")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    cfg: CodecConfig = CONFIGS[args.config]()
    if args.init is not None:
        from safetensors.torch import load_file

        cfg = CodecConfig.from_dict(json.loads((args.init / "config.json").read_text()))
        model = CatCodec(cfg)
        model.load_state_dict(load_file(str(args.init / "model.safetensors")))
        model = model.to(device)
    else:
        model = CatCodec(cfg).to(device)
    mel = MultiScaleMel(cfg.sample_rate).to(device)
    bands = torch.from_numpy(semitone_filterbank(cfg.sample_rate, cfg.synth_frame)).to(device)
    pitch_classes = torch.from_numpy(pitch_class_matrix(cfg.sample_rate, cfg.synth_frame)).to(device)
    train = np.load(args.data / "train.npy", mmap_mode="r")
    heldout = np.load(args.data / "heldout.npy", mmap_mode="r")
    length = int(args.clip_seconds * cfg.sample_rate) // cfg.hop * cfg.hop
    delay = cfg.delay
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.8, 0.99), weight_decay=0.0)
    usage = torch.full((cfg.levels, cfg.codebook_size), 1.0 / cfg.codebook_size)
    print(f"params {model.num_parameters():,}  hop {cfg.hop}  frame rate {cfg.frame_rate} Hz  "
          f"train {len(train) / cfg.sample_rate / 60:.1f} min  device {device}", flush=True)

    log: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "steps": []}
    budget = args.minutes * 60
    t0 = time.time()
    step = 0
    for x in batches(train, args.batch, length, rng):
        elapsed = time.time() - t0
        if elapsed > budget or step >= args.max_steps:
            break
        progress = min(1.0, elapsed / budget)
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for group in opt.param_groups:
            group["lr"] = lr
        x = x.to(device)
        warm = step < args.vq_warmup
        # Quantizer dropout from the first step collapses the decoder onto one average spectrum (the
        # one-level examples carry too little to learn from); it starts once the codes mean something.
        model.quantizer.dropout = cfg.quantizer_dropout if progress >= args.dropout_after else 0.0
        # Without a waveform loss the decoder's frames are trained directly: no vocoder, no overlap-add.
        need_wave = args.mel_weight > 0 or args.wave_weight > 0 or cfg.head != "magnitude"
        recon, q, frames = model(x, snap=not warm, synthesize=need_wave)
        commit_weight = 0.0 if warm else args.commit_weight  # during the warm-up the codes are not used yet
        loss = commit_weight * q.commitment + args.codebook_weight * q.codebook
        loss_mel = torch.zeros(())
        if need_wave:
            recon = recon[:, delay:]  # the decoder lags the input by `delay` samples
            loss_mel = mel(x[:, :-delay], recon)
            loss = loss + args.mel_weight * loss_mel
        loss_spec = loss_chroma = torch.zeros(())
        if cfg.head == "magnitude" and args.spec_weight:
            target = model.target_log_magnitude(x)
            loss_spec = spectral_loss(target, frames, bands, args.band_weight,
                                      args.floor_rel, args.abs_weight)
            loss = loss + args.spec_weight * loss_spec
            if args.chroma_weight:
                loss_chroma = profile_loss(target, frames, pitch_classes)
                loss = loss + args.chroma_weight * loss_chroma
            if args.note_weight:
                loss = loss + args.note_weight * profile_loss(target, frames, bands.t())
        if args.wave_weight:
            loss = loss + args.wave_weight * (recon - x[:, :-delay]).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step == args.vq_warmup - 1:
            seed_codebooks(model, q)
            usage.fill_(1.0 / cfg.codebook_size)
        with torch.no_grad():  # usage EMA per level (B*F codes per step)
            for i in range(q.codes.shape[1]):
                counts = torch.bincount(q.codes[:, i].flatten().cpu(), minlength=cfg.codebook_size).float()
                usage[i] = 0.95 * usage[i] + 0.05 * counts / counts.sum()
        revived = 0
        if args.revive_every and step % args.revive_every == 0 and step > args.vq_warmup and progress < 0.8:
            revived = revive_dead_codes(model, usage, q, threshold=0.02 / cfg.codebook_size)
        if step % 25 == 0:
            used = int((usage > 0.1 / cfg.codebook_size).sum())
            row = {"step": step, "t": round(elapsed, 1), "lr": lr, "mel": round(loss_mel.item(), 4),
                   "spec": round(loss_spec.item(), 4), "chroma": round(loss_chroma.item(), 4),
                   "commit": round(float(q.commitment), 4), "codebook": round(float(q.codebook), 4),
                   "codes_in_use": used, "revived": revived,
                   "batch_codes_level0": int(q.codes[:, 0].unique().numel())}
            if step % 100 == 0:  # do the codes matter? decode the batch with its codes shuffled across clips
                with torch.no_grad():
                    wrong, _ = model.decode_latent(q.quantized.roll(1, 0))
                    right, _ = model.decode_latent(q.quantized)
                    ref = x[:, :-delay]
                    row["code_gain"] = round(mel.distance(ref, wrong[:, delay:]) - mel.distance(ref, right[:, delay:]), 4)
            log["steps"].append(row)
            print(json.dumps(row), flush=True)
        if args.eval_every and step % args.eval_every == 0 and step > 0:
            row = {"step": step, "t": round(elapsed, 1), **evaluate(model, mel, heldout, [cfg.levels // 2], 3.84, 8)}
            log.setdefault("evals", []).append(row)
            print(json.dumps(row), flush=True)
        if step % 400 == 0 and step > 0:
            save(model, args.out, log)
        step += 1

    log["train_seconds"] = round(time.time() - t0, 1)
    log["train_steps"] = step
    levels = sorted({k for k in (1, 2, 4, 6, 8, cfg.levels) if k <= cfg.levels})
    log["heldout"] = evaluate(model, mel, heldout, levels, 3.84, 16)
    print(json.dumps(log["heldout"]), flush=True)
    save(model, args.out, log)


if __name__ == "__main__":
    main()
