"""What a listener can tell from a recording: duration, loudness, tempo and beats, meter, key,
number of voices, register and the top line, from basic-pitch notes and librosa DSP.

Every figure is computed from the audio (nothing is read from a file's name or tags). Silence is
detected first: a silent file gets an analysis that says so instead of numbers made from noise.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from musicgrammar.ontologies.theory import pitch_name
from musicgrammar.tools.analysis import SILENCE_DB, rms_dbfs
from musicgrammar.tools.listen.audio import LoadedAudio, load_audio
from musicgrammar.tools.listen.chroma import chroma_frames, quantize
from musicgrammar.tools.listen.transcribe import TranscribedNote, transcribe

__all__ = ["AudioAnalysis", "analyse_audio", "analyse_loaded", "chroma_key", "pitch_class_energy", "top_line", "voice_count", "estimate_meter"]

_HOP = 512
_CHORD_TOLERANCE_S = 0.06  # onsets closer than this belong to one chord (transcription jitter)
_MIN_AMPLITUDE = 0.2  # quieter transcribed notes are mostly overtones and reverb
_CLEAR_AMPLITUDE = 0.5  # notes this loud define the register
_OVERTONE_RATIO = 0.7  # a doubled voice is about as loud as the voice it doubles; an overtone is much quieter
_OVERTONE_LAG_S = 0.25  # an overtone can surface a little after its note's attack (breathy winds)
_OVERTONE_LEAD_S = 0.15  # ... or a little before it, when the fundamental's onset is detected late (low notes)


class AudioAnalysis(BaseModel):
    """The listening tools' findings about one recording (times in seconds)."""

    path: str
    duration_s: float = Field(description="Length of the whole file.")
    analysed_s: float = Field(description="How much of it was analysed (bounded for long files).")
    rms_dbfs: float
    silent: bool
    tempo_bpm: float | None = None
    beats: int = 0
    beats_per_bar: int | None = Field(default=None, description="2, 3 or 4 from the accent pattern of the beats.")
    key: str | None = Field(default=None, description="Estimated key, e.g. 'G major', from the transcribed notes.")
    voices: int = 0
    lowest: int | None = None
    highest: int | None = None
    notes: int = 0
    melody: list[tuple[int, float, float]] = Field(default_factory=list, description="Top line: (pitch, onset s, duration s).")
    heard: list[tuple[int, float]] = Field(default_factory=list, description="Every transcribed note: (pitch, onset s).")
    chroma: list[list[int]] = Field(default_factory=list, description="Quantized chroma (levels 0-4, C first), 10 frames per second: "
                                    "what the audio index is searched with.")  # fmt: skip

    @property
    def meter(self) -> str | None:
        return f"{self.beats_per_bar}/4" if self.beats_per_bar else None

    @property
    def range_text(self) -> str | None:
        if self.lowest is None or self.highest is None:
            return None
        return f"{pitch_name(self.lowest)} to {pitch_name(self.highest)}"


def top_line(notes: list[TranscribedNote]) -> list[tuple[int, float, float]]:
    """The highest voice of transcribed notes: onsets within a chord tolerance are one chord (its top
    note is kept), and a note starting while a higher kept note still sounds belongs to a lower voice."""
    line: list[tuple[int, float, float]] = []
    for note in sorted(notes, key=lambda n: (n.start, -n.pitch)):
        if line:
            pitch, onset, dur = line[-1]
            if note.start - onset < _CHORD_TOLERANCE_S:
                if note.pitch > pitch:
                    line[-1] = (note.pitch, onset, max(dur, note.duration))
                continue
            if note.start < onset + dur - _CHORD_TOLERANCE_S and note.pitch < pitch:
                continue
            line[-1] = (pitch, onset, min(dur, note.start - onset))
        line.append((note.pitch, note.start, note.duration))
    return _upper_envelope(line)


def _upper_envelope(line: list[tuple[int, float, float]], window: int = 5, drop: int = 7) -> list[tuple[int, float, float]]:
    """Drop line notes far below the recent top line: when a held upper note fades from the
    transcription, the next onset of an inner or bass voice is not the melody."""
    kept: list[tuple[int, float, float]] = []
    for note in line:
        if len(kept) >= 2 and note[0] < float(np.median([p for p, _, _ in kept[-window:]])) - drop:
            continue
        kept.append(note)
    return kept


def voice_count(notes: list[TranscribedNote], duration_s: float, rate: float = 20.0) -> int:
    """How many notes usually sound together: the median count over the frames where something sounds."""
    if not notes:
        return 0
    frames = int(np.ceil(duration_s * rate)) + 1
    count = np.zeros(frames, np.int32)
    for n in notes:
        count[int(n.start * rate): max(int(n.start * rate) + 1, int(n.end * rate))] += 1
    sounding = count[count > 0]
    return int(np.round(np.median(sounding))) if sounding.size else 0


def _without_overtones(notes: list[TranscribedNote]) -> list[TranscribedNote]:
    """Notes that are not the transcribed overtone of a much louder note struck with them or just
    before (an octave, a twelfth or two octaves above it): those are one voice, not two."""
    kept = []
    for note in notes:
        overtone = any(
            note.amplitude < _OVERTONE_RATIO * other.amplitude and note.pitch - other.pitch in (12, 19, 24)
            and -_OVERTONE_LEAD_S < note.start - other.start < _OVERTONE_LAG_S
            for other in notes
        )  # fmt: skip
        if not overtone:
            kept.append(note)
    return kept


def estimate_meter(y: np.ndarray, sr: int, beat_frames: np.ndarray) -> int | None:
    """Beats per bar (2, 3 or 4): the grouping whose downbeats carry the most accent, where a beat's
    accent is its onset strength plus how much the harmony (chroma) changes on it."""
    import librosa

    if beat_frames.size < 8:
        return None
    onset = librosa.onset.onset_strength(y=y, sr=sr, hop_length=_HOP)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr, hop_length=_HOP)  # (12, frames)
    beat_chroma = librosa.util.sync(chroma, beat_frames, aggregate=np.median)  # (12, beats + 1)
    change = np.r_[0.0, np.linalg.norm(np.diff(beat_chroma, axis=1), axis=0)][: beat_frames.size]
    strength = onset[np.clip(beat_frames, 0, onset.size - 1)]
    accent = strength / (strength.mean() + 1e-9) + change / (change.mean() + 1e-9)
    best, best_score = None, -np.inf
    for per_bar in (2, 3, 4):
        usable = accent[: accent.size - accent.size % per_bar].reshape(-1, per_bar)  # (bars, per_bar)
        if usable.shape[0] < 2:
            continue
        profile = usable.mean(axis=0)
        # the downbeat's lead over the other beats of the bar; 4 must beat 2 clearly to be chosen
        score = float(profile.max() - np.delete(profile, profile.argmax()).mean()) - (0.05 if per_bar == 4 else 0.0)
        if score > best_score:
            best, best_score = per_bar, score
    return best


def pitch_class_energy(y: np.ndarray, sr: int, frame: int = 8192) -> np.ndarray:
    """Spectral energy per pitch class (C first), from 55 Hz to 4 kHz: a plain-numpy chroma, with no
    JIT compilation to pay in a fresh process. Shape (12,)."""
    if y.size < frame:
        y = np.pad(y, (0, frame - y.size))
    hop = frame // 2
    count = 1 + (y.size - frame) // hop
    frames = np.lib.stride_tricks.sliding_window_view(y, frame)[::hop][:count] * np.hanning(frame)  # (frames, frame)
    power = np.square(np.abs(np.fft.rfft(frames, axis=1))).sum(axis=0)  # (frame // 2 + 1,)
    freqs = np.fft.rfftfreq(frame, 1.0 / sr)
    band = (freqs >= 55.0) & (freqs <= 4000.0)
    pcs = np.round(12.0 * np.log2(freqs[band] / 440.0) + 69.0).astype(int) % 12
    return np.bincount(pcs, weights=power[band], minlength=12)


def chroma_key(y: np.ndarray, sr: int) -> str | None:
    """The key from the recording's pitch-class energy by the same key profiles as `estimate_key`: no
    transcription, a fraction of a second for a minute of audio."""
    from musicgrammar.ontologies import Note
    from musicgrammar.tools.io import estimate_key

    energy = np.sqrt(pitch_class_energy(y, sr))  # magnitudes: power would let one loud partial decide
    if not np.isfinite(energy).all() or float(energy.sum()) <= 0:
        return None
    shares = energy / energy.sum() * 12.0  # only the proportions matter to the profiles
    return str(estimate_key([Note(pitch=60 + pc, start=0.0, duration=max(float(s), 1e-6)) for pc, s in enumerate(shares)]))


def analyse_loaded(audio: LoadedAudio, *, transcribe_notes: bool = True, track_beats: bool = True) -> AudioAnalysis:
    """Analyse decoded audio (see :func:`load_audio`). Without `transcribe_notes` the key comes from the
    chroma and the note-level fields (voices, register, top line) stay empty: the plan-to-audio check
    needs only key, tempo, meter and level, and transcription is most of the cost. Without `track_beats`
    tempo and meter stay empty too: librosa's beat tracker compiles for ~5 s in every fresh process."""
    import librosa

    from musicgrammar.ontologies import Note
    from musicgrammar.tools.io import estimate_key

    y, sr = audio.samples, audio.sr
    level = rms_dbfs(y)
    base = {"path": str(audio.path), "duration_s": round(audio.file_duration_s, 3), "analysed_s": round(audio.analysed_s, 3),
            "rms_dbfs": round(level, 2)}  # fmt: skip
    if level < SILENCE_DB or float(np.max(np.abs(y))) < 1e-3:
        return AudioAnalysis(silent=True, **base)
    if not (transcribe_notes or track_beats):
        return AudioAnalysis(silent=False, key=chroma_key(y, sr), **base)
    tempo, beat_frames = librosa.beat.beat_track(y=y, sr=sr, hop_length=_HOP, units="frames")
    tempo_bpm = float(np.atleast_1d(tempo)[0]) if beat_frames.size >= 4 else None
    if not transcribe_notes:
        return AudioAnalysis(silent=False, tempo_bpm=round(tempo_bpm, 1) if tempo_bpm else None, beats=int(beat_frames.size),
                             beats_per_bar=estimate_meter(y, sr, beat_frames), key=chroma_key(y, sr), **base)  # fmt: skip
    notes = _without_overtones([n for n in transcribe(y, sr) if n.amplitude >= _MIN_AMPLITUDE])
    key = None
    if len(notes) >= 8:
        as_notes = [Note(pitch=n.pitch, start=n.start, duration=n.duration) for n in notes]
        key = str(estimate_key(as_notes))
    # the register: lowest and highest clear pitches heard at least twice (faint or one-off notes are
    # mostly overtones and transcription errors)
    counts = Counter(n.pitch for n in notes if n.amplitude >= _CLEAR_AMPLITUDE) or Counter(n.pitch for n in notes)
    pitches = [p for p, c in counts.items() if c >= 2] or list(counts)
    return AudioAnalysis(
        silent=False,
        tempo_bpm=round(tempo_bpm, 1) if tempo_bpm else None,
        beats=int(beat_frames.size),
        beats_per_bar=estimate_meter(y, sr, beat_frames),
        key=key,
        voices=voice_count(notes, audio.analysed_s),
        lowest=min(pitches) if pitches else None,
        highest=max(pitches) if pitches else None,
        notes=len(notes),
        melody=[(p, round(o, 4), round(d, 4)) for p, o, d in top_line(notes)],
        heard=[(n.pitch, round(n.start, 4)) for n in notes],
        chroma=quantize(chroma_frames(y, sr)).tolist(),
        **base,
    )


def analyse_audio(path: str | Path, *, transcribe_notes: bool = True, track_beats: bool = True) -> AudioAnalysis:
    """Load (bounded) and analyse an audio file."""
    return analyse_loaded(load_audio(path), transcribe_notes=transcribe_notes, track_beats=track_beats)
