"""Audio file reading/writing for the codec: any format libsndfile reads, any rate and channel count."""

from __future__ import annotations

import os
from math import gcd
from pathlib import Path

import numpy as np

from musicgrammar.errors import UserInputError

__all__ = ["read_audio", "resample", "write_wav"]


def resample(wave: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Polyphase resampling of a 1-D float array (scipy.signal.resample_poly)."""
    if sr_in == sr_out:
        return wave.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = gcd(int(sr_in), int(sr_out))
    return resample_poly(wave, sr_out // g, sr_in // g).astype(np.float32)


def read_audio(path: str | os.PathLike[str], sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Read an audio file as mono float32; resample to ``sample_rate`` when given.

    Returns (wave (T,), rate). Raises UserInputError (one line) for a missing, unreadable, empty or
    non-finite file.
    """
    import soundfile as sf

    p = Path(path)
    if not p.is_file():
        raise UserInputError("no such audio file", path=str(p))
    try:
        data, sr = sf.read(str(p), dtype="float32", always_2d=True)  # (T, channels)
    except Exception as exc:  # libsndfile's error for a file it cannot parse
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserInputError(f"cannot read audio ({reason})", path=str(p)) from None
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise UserInputError("the audio file is empty", path=str(p))
    if not np.isfinite(data).all():
        raise UserInputError("the audio contains NaN or infinite samples", path=str(p))
    wave = data.mean(axis=1)
    if sample_rate is not None and sr != sample_rate:
        wave, sr = resample(wave, sr, sample_rate), sample_rate
    return wave.astype(np.float32, copy=False), int(sr)


def write_wav(path: str | os.PathLike[str], wave: np.ndarray, sample_rate: int) -> None:
    """Write 16-bit PCM WAV atomically (temp file in the same folder, then rename)."""
    import soundfile as sf

    from musicgrammar.fileio import atomic_write

    with atomic_write(Path(path), suffix=".tmp", make_parents=False) as tmp:
        sf.write(str(tmp), np.clip(wave, -1.0, 1.0), int(sample_rate), format="WAV", subtype="PCM_16")
