"""Log-spectral features of the mix and its stems, shared by the data builder and inference.

Per frame: the power in semitone bands (C2..B6, so a note a semitone off lands in another band and
a clash shows as two neighbours sounding together) and in a few mel bands over the whole range (noise
and distortion live above the notes), in dB relative to a full-scale sine so that levels, clipping
and noise floors stay visible, clipped to [-100, 0] dB. Stored as uint8 in 100/84 dB steps (85
levels), which keeps the training set small and compresses well.

With ``onset_subframes`` the frame also carries the spectral flux of that many sub-frames (7.8 ms at
8): a part played an eighth of a beat late, or a note cut where half-bars were shuffled, moves onsets
by less than a 62.5 ms frame. Stored on the same scale as the bands: 5 x the mean dB rise per bin,
minus 100 (a silent sub-frame is the floor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from musicgrammar.tools.aesthetics_model.config import AestheticsConfig
from musicgrammar.tools.codec.losses import mel_filterbank, semitone_filterbank

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["log_mel", "to_uint8", "from_uint8", "windows", "transpose_bands", "DB_FLOOR", "LEVELS"]

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
    db = np.clip(10.0 * np.log10(np.concatenate([tones, mel], axis=1) + 1e-12), DB_FLOOR, 0.0)
    if cfg.onset_subframes:
        db = np.concatenate([db, _subframe_flux(np.asarray(wave, dtype=np.float32), frames, cfg)], axis=1)
    return db.astype(np.float32)


_FLUX_FFT, _FLUX_FLOOR_DB, _FLUX_SCALE = 512, -80.0, 5.0


def _subframe_flux(x: np.ndarray, frames: int, cfg: AestheticsConfig) -> np.ndarray:
    """(samples,) -> (frames, onset_subframes): the mean rise in dB per frequency bin (bins below -80 dB
    count as -80) from one 32 ms window to the next, hop / onset_subframes samples apart."""
    step = cfg.hop // cfg.onset_subframes
    count = frames * cfg.onset_subframes
    x = np.pad(x, (_FLUX_FFT // 2, _FLUX_FFT // 2 + count * step + step - len(x)))
    idx = np.arange(_FLUX_FFT)[None, :] + step * np.arange(count + 1)[:, None]  # (count + 1, fft)
    window = np.hanning(_FLUX_FFT).astype(np.float32)
    spec = np.abs(np.fft.rfft(x[idx] * window, axis=1)) / (window.sum() / 2)
    level = np.maximum(20.0 * np.log10(spec + 1e-12), _FLUX_FLOOR_DB)
    rise = np.maximum(np.diff(level, axis=0), 0.0).mean(axis=1)  # (count,)
    return np.clip(_FLUX_SCALE * rise + DB_FLOOR, DB_FLOOR, 0.0).reshape(frames, cfg.onset_subframes)


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


def transpose_bands(db: "Tensor", bands: int, shift: int) -> "Tensor":
    """(..., features) with the first ``bands`` features semitone bands -> the same frames heard ``shift``
    semitones higher (lower when negative): the bands move, the ones moved in from outside are silent.
    The mel bands and the flux stay (a few semitones barely move them). Training moves its batches so
    (free extra keys for the harmony features); an ensemble may hear each clip at several shifts."""
    if shift == 0:
        return db
    if abs(shift) >= bands:
        raise ValueError(f"a shift of {shift} semitones moves every one of the {bands} bands out")
    out = db.clone()
    tones = db[..., :bands].roll(shift, dims=-1)
    if shift > 0:
        tones[..., :shift] = DB_FLOOR
    else:
        tones[..., shift:] = DB_FLOOR
    out[..., :bands] = tones
    return out
