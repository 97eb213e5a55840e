"""Noise-injection loss profiles: how a sequence model's per-token loss reacts to a local disruption.

Follows "When noise lowers the loss": compute the per-token next-token loss L(t) of a sequence,
inject a corruption at a position for a length, compute L'(t) on the corrupted sequence and the
difference diff(t) = L'(t) - L(t). Regions:

- **Peak**: from ``PRE`` tokens before the onset until ``RUN`` consecutive tokens are back at or
  below the baseline (the mean diff before the onset), or ``FALLBACK`` tokens after the onset;
- **Assimilation**: from the end of the Peak to the end of the corruption (the model gets used to it);
- **Recovery**: after the corruption.

Peak statistics are the mean, max and sum (area) of diff over the Peak. The shape of the curve, not
its mean, is the quality signal: a model that has formed strong expectations on a coherent piece
reacts sharply to a disruption of it; on incoherent material there is little to disrupt.

The profile maths works on any token sequence and any model given as a ``logits_fn`` (audio tokens
included); the corruptions here are the symbolic ones of the melody model's vocabulary.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "PRE",
    "RUN",
    "FALLBACK",
    "Corruption",
    "LossProfile",
    "per_token_loss",
    "corrupt_tokens",
    "compute_profile",
    "profile_tokens",
    "profile_piece",
    "piece_loss_curve",
    "probe_piece",
]

PRE = 5  # the Peak starts this many tokens before the onset
RUN = 5  # consecutive tokens at or below baseline that end the Peak
FALLBACK = 50  # Peak length when the loss never settles back


class Corruption(str, Enum):
    """How a stretch of a symbolic piece is corrupted."""

    RANDOM_PITCHES = "random_pitches"  # every note of the stretch gets a random pitch (same voice, rhythm kept)
    SHUFFLED_BARS = "shuffled_bars"  # the bars of the stretch are permuted (one bar: swapped with another)
    NOISE_TOKENS = "noise_tokens"  # every token of the stretch replaced by a uniformly random token


@dataclass
class LossProfile:
    """A clean and a corrupted loss curve and the regions and statistics of their difference."""

    clean: list[float]  # L(t) for t = 1..n-1 (loss of predicting token t), index i is token i+1
    noisy: list[float]
    onset: int  # first corrupted index (in the loss curve's indexing)
    end: int  # one past the last corrupted index
    baseline: float
    peak: tuple[int, int]
    assimilation: tuple[int, int]
    recovery: tuple[int, int]
    peak_mean: float
    peak_max: float
    peak_area: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def diff(self) -> np.ndarray:
        return np.asarray(self.noisy) - np.asarray(self.clean)

    def region_means(self) -> dict[str, float]:
        """Mean diff in each region (NaN for an empty region)."""
        d = self.diff
        out = {}
        for name, (a, b) in (("peak", self.peak), ("assimilation", self.assimilation), ("recovery", self.recovery)):
            out[name] = float(d[a:b].mean()) if b > a else float("nan")
        return out

    def summary(self) -> dict[str, Any]:
        """Everything but the curves: regions, statistics, mean losses."""
        data = {k: v for k, v in asdict(self).items() if k not in ("clean", "noisy")}
        data["mean_clean_loss"] = float(np.mean(self.clean)) if self.clean else float("nan")
        data["mean_noisy_loss"] = float(np.mean(self.noisy)) if self.noisy else float("nan")
        data["region_mean_diff"] = self.region_means()
        return data


def per_token_loss(
    logits_fn: Callable[["torch.Tensor"], "torch.Tensor"], tokens: Sequence[int], context: int
) -> np.ndarray:
    """Next-token cross-entropy (nats) for tokens 1..n-1 -> array of n-1 values.

    ``logits_fn`` maps (1, T) ids to (1, T, vocab) logits. Sequences longer than ``context`` are
    scored in windows of ``context`` tokens with a stride of half a window; each token's loss comes
    from the window where it has the most left context.
    """
    import torch
    import torch.nn.functional as F

    ids = torch.tensor([list(tokens)], dtype=torch.long)
    n = ids.shape[1]
    if n < 2:
        return np.zeros(0)
    out = np.full(n - 1, np.nan)
    stride = max(1, context // 2)
    start = 0
    with torch.no_grad():
        while True:
            window = ids[:, start : start + context]
            logits = logits_fn(window[:, :-1])  # (1, W-1, V)
            losses = F.cross_entropy(logits[0], window[0, 1:], reduction="none").numpy()  # (W-1,)
            first = 0 if start == 0 else context - stride - 1  # keep tokens with >= half a window of context
            out[start + first : start + len(losses)] = losses[first:]
            if start + context >= n:
                break
            start += stride
    return out


def corrupt_tokens(
    tokens: Sequence[int], kind: Corruption | str, at_bar: int, length: int, seed: int = 0
) -> tuple[list[int], int, int]:
    """Corrupt bars ``at_bar .. at_bar+length-1`` of a melody-model token sequence.

    Returns (corrupted tokens, first corrupted token index, one past the last). Every kind keeps the
    sequence length, so clean and corrupted losses line up token by token.
    """
    from musicgrammar.errors import UserInputError
    from musicgrammar.tools.melody_model.tokenizer import PITCH_HIGH, PITCH_LOW, VOCAB, bar_starts

    kind = Corruption(kind)
    v = VOCAB
    toks = list(tokens)
    bars = bar_starts(toks)
    if length < 1:
        raise UserInputError(f"length must be >= 1 bar, got {length}", field="length")
    if not 0 <= at_bar < len(bars):
        raise UserInputError(f"bar {at_bar} outside the piece (bars 0..{len(bars) - 1})", field="at")
    last = min(at_bar + length, len(bars))
    begin = bars[at_bar]
    stop = bars[last] if last < len(bars) else (len(toks) - 1 if toks[-1] == v.eos else len(toks))
    rng = random.Random(seed)
    if kind is Corruption.RANDOM_PITCHES:
        pitches = [v.note_voice_pitch(t)[1] for t in toks if v.is_note(t)]
        lo, hi = max(PITCH_LOW, min(pitches) - 2), min(PITCH_HIGH, max(pitches) + 2)
        for i in range(begin, stop):
            if v.is_note(toks[i]):
                voice, _ = v.note_voice_pitch(toks[i])
                toks[i] = v.note(voice, rng.randint(lo, hi))
    elif kind is Corruption.SHUFFLED_BARS:
        segments = [toks[bars[b] : (bars[b + 1] if b + 1 < len(bars) else stop)] for b in range(at_bar, last)]
        if len(segments) >= 2:
            order = list(range(len(segments)))
            while order == sorted(order):
                rng.shuffle(order)
            toks[begin:stop] = [t for k in order for t in segments[k]]
        else:  # one bar: put another bar's content here (same length needed for alignment; pad/crop)
            others = [b for b in range(len(bars)) if b != at_bar]
            if others:
                b = rng.choice(others)
                end_b = bars[b + 1] if b + 1 < len(bars) else (len(toks) - 1 if toks[-1] == v.eos else len(toks))
                donor = toks[bars[b] : end_b]
                width = stop - begin
                donor = (donor + [v.bar] * width)[:width] if len(donor) < width else donor[:width]
                toks[begin:stop] = donor
    else:  # noise tokens: anything but PAD/BOS/EOS
        for i in range(begin, stop):
            toks[i] = rng.randrange(3, len(v))
    return toks, begin, stop


def compute_profile(clean: np.ndarray, noisy: np.ndarray, onset: int, end: int) -> LossProfile:
    """Regions and Peak statistics of diff = noisy - clean for a corruption covering [onset, end).

    ``onset``/``end`` index the loss curves (loss index i is the loss of token i+1).
    """
    clean = np.asarray(clean, dtype=float)
    noisy = np.asarray(noisy, dtype=float)
    if clean.shape != noisy.shape:
        raise ValueError(f"clean and noisy curves differ in length: {clean.shape} vs {noisy.shape}")
    n = len(clean)
    onset = max(0, min(onset, n))
    end = max(onset, min(end, n))
    diff = noisy - clean
    pre = diff[:onset]
    baseline = float(pre.mean()) if len(pre) else 0.0
    peak_start = max(0, onset - PRE)
    peak_end = min(n, onset + FALLBACK)
    for t in range(onset, n - RUN + 1):
        if np.all(diff[t : t + RUN] <= baseline + 1e-9):
            peak_end = t
            break
    peak_end = max(peak_end, min(n, onset + 1))
    seg = diff[peak_start:peak_end]
    return LossProfile(
        clean=clean.tolist(),
        noisy=noisy.tolist(),
        onset=onset,
        end=end,
        baseline=baseline,
        peak=(peak_start, peak_end),
        assimilation=(min(peak_end, end), end),
        recovery=(max(end, peak_end), n),
        peak_mean=float(seg.mean()) if len(seg) else 0.0,
        peak_max=float(seg.max()) if len(seg) else 0.0,
        peak_area=float(seg.sum()),
    )


def profile_tokens(
    logits_fn: Callable[["torch.Tensor"], "torch.Tensor"],
    tokens: Sequence[int],
    corrupted: Sequence[int],
    onset_token: int,
    end_token: int,
    context: int,
) -> LossProfile:
    """Profile any pair of aligned token sequences; the corruption spans tokens [onset_token, end_token).

    ``onset``/``end`` of the result index the loss curves (the loss of token i is at index i-1).
    """
    if len(tokens) != len(corrupted):
        raise ValueError("clean and corrupted sequences must have the same length")
    clean = per_token_loss(logits_fn, tokens, context)
    noisy = per_token_loss(logits_fn, corrupted, context)
    # The onset is the first token that actually differs (a corrupted bar keeps its BAR/POS tokens,
    # whose unchanged losses would otherwise read as an instant recovery).
    onset = next((i for i in range(onset_token, end_token) if tokens[i] != corrupted[i]), onset_token)
    # Token i's loss sits at index i-1 of the curves.
    return compute_profile(clean, noisy, onset - 1, end_token - 1)


# --- the symbolic application: melody-model pieces ------------------------------------------------
def _model_logits_fn(model: Any) -> Callable[["torch.Tensor"], "torch.Tensor"]:
    def logits_fn(ids: "torch.Tensor") -> "torch.Tensor":
        return model(ids)[0]

    return logits_fn


def piece_loss_curve(piece: Any, model: Any = None) -> tuple[list[int], np.ndarray]:
    """(tokens, per-token loss) of a tokenizer ``Piece`` under the melody model (default: shipped)."""
    from musicgrammar.tools.melody_model.generate import load_default_model
    from musicgrammar.tools.melody_model.tokenizer import encode

    model = model or load_default_model()
    tokens = encode(piece)
    return tokens, per_token_loss(_model_logits_fn(model), tokens, model.cfg.max_len)


def profile_piece(
    piece: Any,
    kind: Corruption | str = Corruption.RANDOM_PITCHES,
    at_bar: int | None = None,
    length: int = 2,
    seed: int = 0,
    model: Any = None,
    max_tokens: int | None = None,
) -> LossProfile:
    """Inject ``kind`` into bars ``at_bar .. at_bar+length-1`` of a ``Piece`` and profile the loss.

    ``at_bar`` (in the piece's bars) defaults to the middle bar of the scored window. Only whole bars
    that fit in ``max_tokens`` tokens (default: the model's context) are scored, so that profiles of
    different pieces are comparable; a late ``at_bar`` moves that window forward.
    """
    from musicgrammar.tools.melody_model.generate import load_default_model
    from musicgrammar.tools.melody_model.tokenizer import VOCAB, bar_starts, encode

    from musicgrammar.errors import UserInputError

    model = model or load_default_model()
    limit = max_tokens or model.cfg.max_len
    total_bars = piece.n_bars
    if at_bar is not None and not 0 <= at_bar < total_bars:
        raise UserInputError(f"bar {at_bar} outside the piece (bars 0..{total_bars - 1})", field="at")
    # Score a window of whole bars that fits the model: from bar 0, or (for a late injection) from a
    # bar that leaves about half a window of context before the corrupted bars.
    first = 0
    if at_bar is not None:
        first = at_bar
        while first > 0 and len(encode(piece, first - 1, at_bar, add_eos=False)) <= limit // 2:
            first -= 1
    tokens = encode(piece, first)
    if len(tokens) > limit:
        starts = [i for i in bar_starts(tokens) if i <= limit]
        tokens = tokens[: starts[-1]] if len(starts) > 1 else tokens[:limit]
    n_bars = sum(1 for t in tokens if t == VOCAB.bar)
    local_at = max(0, (n_bars - length) // 2) if at_bar is None else at_bar - first
    corrupted, begin, stop = corrupt_tokens(tokens, kind, local_at, length, seed)
    prof = profile_tokens(_model_logits_fn(model), tokens, corrupted, begin, stop, model.cfg.max_len)
    prof.meta = {"kind": Corruption(kind).value, "at_bar": first + local_at, "length": length, "seed": seed,
                 "window_first_bar": first, "bars_scored": n_bars, "tokens_scored": len(tokens)}
    return prof


def probe_piece(
    piece: Any,
    kind: Corruption | str = Corruption.RANDOM_PITCHES,
    positions: Sequence[float] = (0.25, 0.5, 0.75),
    length: int = 2,
    model: Any = None,
    seed: int = 0,
) -> dict[str, float]:
    """Label-free quality probe: mean Peak statistics of ``kind`` injected at several relative positions.

    A coherent piece lets the model form expectations that a local disruption breaks (large Peak);
    on incoherent material there is little to break. Averaging over positions steadies the estimate.
    Returns ``peak_area``, ``peak_mean``, ``peak_max`` (means over the probes) and ``mean_loss``.
    """
    from musicgrammar.tools.melody_model.generate import load_default_model
    from musicgrammar.tools.melody_model.tokenizer import VOCAB, encode

    model = model or load_default_model()
    tokens = encode(piece)
    n_bars = sum(1 for t in tokens if t == VOCAB.bar)
    profiles = []
    for k, q in enumerate(positions):
        at = min(max(0, round(q * (n_bars - length))), max(0, n_bars - 1))
        profiles.append(profile_piece(piece, kind, at_bar=at, length=length, seed=seed + k, model=model))
    return {
        "peak_area": float(np.mean([p.peak_area for p in profiles])),
        "peak_mean": float(np.mean([p.peak_mean for p in profiles])),
        "peak_max": float(np.mean([p.peak_max for p in profiles])),
        "mean_loss": float(np.mean(profiles[0].clean)),
    }
