"""Reading a user's audio file for analysis: any format libsndfile reads (WAV, FLAC, OGG, MP3),
mono, resampled to the analysis rate, and bounded in time and memory.

Only the first ``MAX_ANALYSIS_S`` seconds are decoded (a block read, never the whole file), so an
hour-long file costs the same as a two-minute one; the analysis says how much it heard.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicgrammar.errors import UserInputError
from musicgrammar.tools.analysis import to_mono

__all__ = ["ANALYSIS_SR", "MAX_ANALYSIS_S", "LoadedAudio", "check_audio_file", "load_audio", "loaded_samples"]

ANALYSIS_SR = 22050  # the rate basic-pitch and the librosa features expect
MAX_ANALYSIS_S = 120.0  # decoded at most; longer files are analysed on their first two minutes


@dataclass(frozen=True)
class LoadedAudio:
    """Mono float32 samples at `sr`, the file's full duration and how much of it was decoded."""

    samples: np.ndarray  # (n,) float32 in [-1, 1]
    sr: int
    file_duration_s: float
    path: Path

    @property
    def analysed_s(self) -> float:
        return self.samples.size / self.sr

    @property
    def truncated(self) -> bool:
        return self.file_duration_s > self.analysed_s + 0.05


def check_audio_file(path: str | Path) -> float:
    """The file's duration in seconds if libsndfile can read it; a one-line UserInputError if not."""
    import soundfile as sf

    p = Path(path)
    if not p.is_file():
        raise UserInputError("no such audio file", path=str(p))
    if p.stat().st_size == 0:
        raise UserInputError("the audio file is empty (0 bytes)", path=str(p))
    try:
        info = sf.info(str(p))
    except Exception as exc:  # libsndfile's error for text, images, truncated headers
        raise UserInputError(f"not a readable audio file (WAV, FLAC, OGG or MP3): {str(exc).splitlines()[0][:120]}",
                             path=str(p)) from exc  # fmt: skip
    if info.frames <= 0 or info.samplerate <= 0:
        raise UserInputError("the audio file holds no samples", path=str(p))
    return info.frames / info.samplerate


def load_audio(path: str | Path, max_seconds: float = MAX_ANALYSIS_S, sr: int = ANALYSIS_SR) -> LoadedAudio:
    """Decode at most `max_seconds` of `path` to mono at `sr`; one-line UserInputError for anything unusable."""
    import soundfile as sf

    p = Path(path)
    check_audio_file(p)
    info = sf.info(str(p))
    frames = int(min(info.frames, max_seconds * info.samplerate))
    try:
        data, native_sr = sf.read(str(p), frames=frames, dtype="float32", always_2d=True)
    except Exception as exc:
        raise UserInputError(f"could not decode the audio: {str(exc).splitlines()[0][:120]}", path=str(p)) from exc
    if data.shape[0] == 0:
        raise UserInputError("the audio file holds no samples", path=str(p))
    return loaded_samples(data, native_sr, path=p, file_duration_s=info.frames / info.samplerate, sr=sr)


def loaded_samples(data: np.ndarray, native_sr: int, *, path: Path, file_duration_s: float | None = None,
                   max_seconds: float = MAX_ANALYSIS_S, sr: int = ANALYSIS_SR) -> LoadedAudio:
    """Samples already in memory ((n,) or (n, channels)) as analysis audio: at most `max_seconds`, mono at
    `sr`; `path` names them in messages. `load_audio` decodes into this; the design loop hands over the
    mix it has already read."""
    duration = file_duration_s if file_duration_s is not None else data.shape[0] / native_sr
    mono = to_mono(data[: int(max_seconds * native_sr)])
    if native_sr != sr:
        import soxr

        mono = soxr.resample(mono, native_sr, sr).astype(np.float32)
    if not np.all(np.isfinite(mono)):
        raise UserInputError("the audio holds non-finite samples", path=str(path))
    return LoadedAudio(samples=np.ascontiguousarray(mono), sr=sr, file_duration_s=duration, path=path)
