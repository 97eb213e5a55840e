"""Polyphonic transcription with basic-pitch's ONNX model (Apache-2.0, ships in its wheel).

basic-pitch's own entry point reads a file path; here the decoded samples are windowed the same way
(2 s windows with 30 overlapping frames), run through one ONNX session loaded once per process, and
turned into notes by its note-creation step. The first call compiles librosa/numba kernels (~20 s).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from musicgrammar.errors import MissingExtraError, ModelError

__all__ = ["TranscribedNote", "transcribe"]

_OVERLAP_FRAMES = 30
_lock = threading.Lock()
_model: Any = None


@dataclass(frozen=True)
class TranscribedNote:
    """One transcribed note: MIDI pitch, onset and offset in seconds, amplitude 0..1."""

    pitch: int
    start: float
    end: float
    amplitude: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def _get_model() -> Any:
    global _model
    with _lock:
        if _model is None:
            try:
                from basic_pitch import FilenameSuffix, build_icassp_2022_model_path
                from basic_pitch.inference import Model
            except ImportError as exc:
                raise MissingExtraError("basic-pitch", purpose="audio transcription") from exc
            try:
                _model = Model(build_icassp_2022_model_path(FilenameSuffix.onnx))
            except Exception as exc:
                raise ModelError(f"could not load basic-pitch's ONNX model: {exc}") from exc
    return _model


def transcribe(samples: np.ndarray, sr: int, onset_threshold: float = 0.5, frame_threshold: float = 0.3,
               min_note_ms: float = 100.0) -> list[TranscribedNote]:  # fmt: skip
    """Notes of mono `samples` (float32, at basic-pitch's 22050 Hz), sorted by onset then pitch."""
    from basic_pitch import note_creation
    from basic_pitch.constants import ANNOTATIONS_FPS, AUDIO_N_SAMPLES, AUDIO_SAMPLE_RATE, FFT_HOP
    from basic_pitch.inference import unwrap_output, window_audio_file

    if sr != AUDIO_SAMPLE_RATE:
        raise ModelError(f"transcription needs {AUDIO_SAMPLE_RATE} Hz audio, got {sr} Hz")
    if samples.size == 0:
        return []
    model = _get_model()
    overlap = _OVERLAP_FRAMES * FFT_HOP
    padded = np.concatenate([np.zeros(overlap // 2, np.float32), samples.astype(np.float32)])
    outputs: dict[str, list[np.ndarray]] = {"note": [], "onset": [], "contour": []}
    for window, _ in window_audio_file(padded, AUDIO_N_SAMPLES - overlap):
        for name, value in model.predict(np.expand_dims(window, 0)).items():  # window: (1, AUDIO_N_SAMPLES, 1)
            outputs[name].append(value)
    frames = {k: unwrap_output(np.concatenate(v), samples.size, _OVERLAP_FRAMES) for k, v in outputs.items()}
    min_len = int(round(min_note_ms / 1000.0 * ANNOTATIONS_FPS))
    _, events = note_creation.model_output_to_notes(
        frames, onset_thresh=onset_threshold, frame_thresh=frame_threshold, min_note_len=min_len,
        min_freq=None, max_freq=None, multiple_pitch_bends=False, melodia_trick=True,
    )  # fmt: skip
    notes = [TranscribedNote(int(p), float(s), float(e), float(a)) for s, e, p, a, _ in events if e > s]
    return sorted(notes, key=lambda n: (n.start, n.pitch))
