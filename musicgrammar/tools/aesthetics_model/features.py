"""Log-spectral features of the mix and its stems, shared by the data builder and inference.

Per frame: the power in semitone bands (C2..B6, so a note a semitone off lands in another band and
a clash shows as two neighbours sounding together) and in a few mel bands over the whole range (noise
and distortion live above the notes), in dB relative to a full-scale sine so that levels, clipping
and noise floors stay visible, clipped to [-100, 0] dB. Stored as uint8 in 100/84 dB steps (85
levels), which keeps the training set small and compresses well.
"""

from __future__ import annotations

import numpy as np

from musicgrammar.tools.aesthetics_model.config import AestheticsConfig
from musicgrammar.tools.codec.losses import mel_filterbank, semitone_filterbank

__all__ = ["log_mel", "to_uint8", "from_uint8", "windows", "DB_FLOOR", "LEVELS"]

DB_FLOOR = -100.0
LEVELS = 84  # uint8 codes 0..84


def log_mel(wave: np.ndarray, cfg: AestheticsConfig) -> np.ndarray:
    """Mono float wave at cfg.sample_rate -> (frames, cfg.features) float32 dB, frames = ceil(len / hop):
    semitone bands, then mel bands."""
    x = np.asarray(wave, dtype=np.float32)
    frames = max(1, -(-len(x) // cfg.hop))
    x = np.pad(x, (cfg.n_fft // 2, cfg.n_fft // 2 + frames * cfg.hop - len(x)))
    idx = np.arange(cfg.n_fft)[None, :] + cfg.hop * np.arange(frames)[:, None]  # (frames, n_fft)
    window = np.hanning(cfg.n_fft).astype(np.float32)
    spec = np.abs(np.fft.rfft(x[idx] * window, axis=1)) / (window.sum() / 2)  # a full-scale sine peaks at 1
    power = spec**2
    tones = power @ semitone_filterbank(cfg.sample_rate, cfg.n_fft, cfg.semitone_low, cfg.semitone_bands).T
    mel = power @ mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels).T * (cfg.sample_rate / cfg.n_fft)
    bands = np.concatenate([tones, mel], axis=1)
    return np.clip(10.0 * np.log10(bands + 1e-12), DB_FLOOR, 0.0).astype(np.float32)


def to_uint8(db: np.ndarray) -> np.ndarray:
    return np.round((db - DB_FLOOR) * (LEVELS / -DB_FLOOR)).astype(np.uint8)


def from_uint8(q: np.ndarray) -> np.ndarray:
    return q.astype(np.float32) * (-DB_FLOOR / LEVELS) + DB_FLOOR


def windows(db: np.ndarray, clip_frames: int) -> np.ndarray:
    """(frames, features) -> (n_windows, clip_frames, features): back-to-back windows, the last padded
    with the floor; a final window shorter than half a window is dropped unless it is the only one."""
    frames = db.shape[0]
    count = max(1, frames // clip_frames + (frames % clip_frames >= clip_frames // 2))
    padded = np.full((count * clip_frames, db.shape[1]), DB_FLOOR, dtype=np.float32)
    take = min(frames, count * clip_frames)
    padded[:take] = db[:take]
    return padded.reshape(count, clip_frames, db.shape[1])
