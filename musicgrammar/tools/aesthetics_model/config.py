"""Configuration of the aesthetics model: a tiny config for tests, the CPU config, an accelerator config.

Scores live on a 1-5 scale (5 = an undamaged rendering, 1 = the heaviest degradation). HiGIA bins
split [0.5, 5.5] into 5 * 3**g bins at granularity g (widths 1, 1/3, 1/9 by default): each bin has
three children, so every whole score sits in the middle of a bin at every level.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["DIMENSIONS", "OUTPUTS", "SCORE_RANGE", "AestheticsConfig", "tiny_config", "cpu_config", "accelerator_config"]

DIMENSIONS: tuple[str, ...] = ("harmony", "rhythm", "coherence", "audio_quality")
OUTPUTS: tuple[str, ...] = DIMENSIONS + ("overall",)
SCORE_RANGE: tuple[float, float] = (0.5, 5.5)  # bin edges around the whole scores 1..5


@dataclass(frozen=True)
class AestheticsConfig:
    sample_rate: int = 16_000
    n_fft: int = 2048  # 7.8 Hz bins: semitones apart from about C3 up
    hop: int = 1000  # 16 frames per second
    semitone_low: int = 36  # MIDI note of the lowest semitone band (C2)
    semitone_bands: int = 60  # C2..B6: where the notes (and their clashes) are
    n_mels: int = 16  # coarse mel bands over the whole range: noise, distortion, brightness
    clip_frames: int = 128  # 8 s windows; longer audio is scored window by window and averaged
    dim: int = 64
    layers: int = 1  # Transformer layers of the frame encoder (shared by the three streams)
    heads: int = 4
    dropout: float = 0.1
    use_stems: bool = True  # False: the mix-only ablation (no cross-attention, stems ignored)
    head: str = "higia"  # "higia" (bins -> interval -> regression inside) or "regression" (plain MSE)
    granularities: int = 3  # HiGIA levels: bin widths 1, 1/3, 1/9
    interval_mass: float = 0.8  # the interval holds this share of the finest level's hierarchical mass
    anchor_expected: bool = False  # HiGIA's regression inside the interval starts at the expected score
    stem_dropout: float = 0.25  # training: share of examples shown without stems (mix-only operation)
    descriptors: bool = False  # add the music-theory descriptors (descriptors.py) to every frame's input
    line_statistics: bool = False  # add the clip statistics of the melody, bass, tuning and onsets (lines.py)
    onset_subframes: int = 0  # per frame, the spectral flux of this many sub-frames (8: 7.8 ms), and their timing statistics
    voice_motion: bool = False  # add how far the sounding pitches move around each frame to the line statistics
    metric_grid: bool = False  # add onset delays in fractions of the estimated beat and the half-bar seams (meter.py)
    seam_reader: bool = False  # a learned reading of the encodings on both sides of each half-bar seam (model.SeamReader)
    seam_supervision: bool = False  # the seam reader also learns which seams broke (training data that knows them)
    seam_evidence: bool = False  # the seam reader also weighs plain measurements at each seam (transitions.py)
    seam_voicing: bool = False  # ... and how the sounding pitches change at each seam (transitions.voicing_change)
    beat_max_ms: float = 656.25  # the longest beat meter.py looks for (84 sub-frames); 687.5 also holds 12/8's dotted quarter at 135 BPM

    def __post_init__(self) -> None:
        if self.head not in ("higia", "regression"):
            raise ValueError(f"head must be 'higia' or 'regression', got {self.head!r}")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} must split over {self.heads} heads")
        if not 1 <= self.granularities <= 4 or not 0.0 < self.interval_mass < 1.0:
            raise ValueError("granularities must be 1..4 and interval_mass in (0, 1)")
        if self.onset_subframes < 0 or (self.onset_subframes and self.hop % self.onset_subframes):
            raise ValueError(f"onset_subframes must split the hop {self.hop} evenly, got {self.onset_subframes}")
        if (self.onset_subframes or self.voice_motion) and not self.line_statistics:
            raise ValueError("onset_subframes and voice_motion extend the line statistics: set line_statistics too")
        if (self.metric_grid or self.seam_reader) and not self.onset_subframes:
            raise ValueError("metric_grid and seam_reader read the beat from the sub-frame onsets: set onset_subframes too")
        if (self.seam_supervision or self.seam_evidence or self.seam_voicing) and not self.seam_reader:
            raise ValueError("seam_supervision, seam_evidence and seam_voicing extend the seam reader: set seam_reader too")
        if not 400.0 <= self.beat_max_ms <= 1000.0:
            raise ValueError(f"beat_max_ms must lie in 400..1000 ms (beats of 60-150 BPM at the slowest), got {self.beat_max_ms}")
        if self.line_statistics and not self.descriptors:
            raise ValueError("line_statistics join the descriptors' clip statistics: set descriptors too")
        if self.descriptors and self.semitone_low + self.semitone_bands < 67:
            raise ValueError("the descriptors read chroma from the semitone bands G3 and up: semitone bands must reach G4")

    @property
    def features(self) -> int:
        """Values per frame: the semitone bands, the mel bands, then the sub-frames' spectral flux."""
        return self.semitone_bands + self.n_mels + self.onset_subframes

    @property
    def encoder_inputs(self) -> int:
        """Values per frame entering the encoder: the bands, and the descriptors when used."""
        from musicgrammar.tools.aesthetics_model.descriptors import DESCRIPTORS

        return self.features + (DESCRIPTORS if self.descriptors else 0)

    @property
    def clip_seconds(self) -> float:
        return self.clip_frames * self.hop / self.sample_rate

    def bins(self, level: int) -> int:
        """Number of bins at granularity ``level`` (0 = coarsest)."""
        return 5 * 3**level

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AestheticsConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# The inputs and settings every new model takes (the dataclass defaults are what older saved configs lack).
_CURRENT: dict[str, Any] = {"descriptors": True, "line_statistics": True, "onset_subframes": 8, "voice_motion": True,
                            "metric_grid": True, "anchor_expected": True, "beat_max_ms": 687.5}


def tiny_config(**overrides: Any) -> AestheticsConfig:
    """For tests: a few thousand parameters, short windows."""
    return AestheticsConfig(**{"dim": 16, "heads": 2, "layers": 1, "clip_frames": 32, **_CURRENT, **overrides})


def cpu_config(**overrides: Any) -> AestheticsConfig:
    """Trains in under an hour on 2 CPU cores (training/aesthetics_model/README.md)."""
    return AestheticsConfig(**{**_CURRENT, **overrides})


def accelerator_config(**overrides: Any) -> AestheticsConfig:
    """Wider and deeper, for a GPU; stays under 10 MB of float32 weights."""
    return AestheticsConfig(**{"dim": 160, "layers": 3, "heads": 5, **_CURRENT, **overrides})
