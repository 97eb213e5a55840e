"""Chroma for audio matching: pitch-class energy per frame, and its smoothed and quantized form.

`chroma_frames` is a plain-numpy short-time chroma (10 frames per second, no JIT to compile in a fresh
process). `quantize` and `cens` follow Mueller's CENS features (chroma energy normalized statistics):
each frame's shares are quantized to 0-4 by fixed thresholds, so loudness, timbre and articulation
matter little; a long window then smooths them and the sequence is downsampled, so that two
performances of the same music at different tempi, on different instruments, still line up.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FRAME_RATE", "CENS_STEP", "CENS_WINDOW", "chroma_frames", "quantize", "cens"]

FRAME_RATE = 10.0  # chroma frames per second
CENS_WINDOW = 11  # frames of the smoothing window (1.1 s): long enough to forgive a few % of tempo, short enough to tell chords apart
CENS_STEP = 2  # CENS keeps every 2nd smoothed frame: 5 features per second
_THRESHOLDS = (0.05, 0.1, 0.2, 0.4)  # share of a frame's energy -> quantized level 1..4
_LOW_HZ, _HIGH_HZ = 55.0, 4000.0  # A1 to about B7: fundamentals and the first partials that carry pitch class
_SILENT = 1e-8  # frames quieter than this (relative to the loudest) have no chroma


def chroma_frames(y: np.ndarray, sr: int) -> np.ndarray:
    """Energy per pitch class (C first) of mono samples `y`, one row per 1/FRAME_RATE s: shape (T, 12)."""
    y = np.asarray(y, dtype=np.float32)
    frame = 1 << int(np.ceil(np.log2(0.18 * sr)))  # ~186 ms: bins narrow enough to tell semitones apart above ~90 Hz
    hop = max(1, int(round(sr / FRAME_RATE)))
    if y.size < frame:
        y = np.pad(y, (0, frame - y.size))
    count = 1 + (y.size - frame) // hop
    freqs = np.fft.rfftfreq(frame, 1.0 / sr)
    band = (freqs >= _LOW_HZ) & (freqs <= _HIGH_HZ)
    pcs = np.round(12.0 * np.log2(freqs[band] / 440.0) + 69.0).astype(np.int64) % 12
    to_pc = np.zeros((int(band.sum()), 12), np.float32)  # (bins in band, 12): which pitch class each bin feeds
    to_pc[np.arange(pcs.size), pcs] = 1.0
    window = np.hanning(frame).astype(np.float32)
    out = np.empty((count, 12), np.float32)
    for start in range(0, count, 256):  # bounded memory: 256 frames x `frame` samples at a time
        idx = np.arange(start, min(count, start + 256))
        frames = np.lib.stride_tricks.sliding_window_view(y, frame)[idx * hop] * window  # (n, frame)
        power = np.square(np.abs(np.fft.rfft(frames, axis=1)))[:, band]  # (n, bins in band)
        out[idx] = power @ to_pc
    return out


def quantize(frames: np.ndarray) -> np.ndarray:
    """Each frame's pitch-class shares quantized to levels 0-4 (uint8, shape (T, 12)); silent frames are all 0."""
    total = frames.sum(axis=1, keepdims=True)
    loud = total[:, 0] > _SILENT * max(float(total.max(initial=0.0)), 1e-30)
    shares = np.where(loud[:, None], frames / np.maximum(total, 1e-30), 0.0)
    return sum((shares > t).astype(np.uint8) for t in _THRESHOLDS).astype(np.uint8)


def cens(levels: np.ndarray, stretch: float = 1.0) -> np.ndarray:
    """CENS features from quantized levels (T, 12): optionally stretched in time by `stretch` (2.0 = twice
    as many frames, i.e. played at half the tempo), smoothed over CENS_WINDOW frames, every CENS_STEP-th
    frame kept, each unit length (all-zero frames stay zero). Shape (ceil(T * stretch / CENS_STEP), 12)."""
    seq = levels.astype(np.float32)
    if stretch != 1.0 and len(seq) > 1:
        n = max(2, int(round(len(seq) * stretch)))
        pos = np.linspace(0.0, len(seq) - 1.0, n)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, len(seq) - 1)
        frac = (pos - lo)[:, None].astype(np.float32)
        seq = seq[lo] * (1.0 - frac) + seq[hi] * frac
    window = np.hanning(CENS_WINDOW + 2)[1:-1].astype(np.float32)
    # smoothing along time, one pitch class at a time: (T, 12)
    smooth = np.stack([np.convolve(seq[:, pc], window, mode="same") for pc in range(12)], axis=1)[::CENS_STEP]
    norm = np.linalg.norm(smooth, axis=1, keepdims=True)
    return np.where(norm > 1e-9, smooth / np.maximum(norm, 1e-9), 0.0).astype(np.float32)
