"""Configuration of the CAT-style codec: a shipped CPU config, a larger accelerator config, a tiny test config.

Frame arithmetic (the shipped config): 24 kHz samples -> patchify 240 -> 100 Hz -> x2 -> 50 Hz -> x2 ->
25 Hz. Every quantizer level spends log2(codebook_size) = 10 bits per 25 Hz frame, i.e. 250 bit/s, so
6 levels are 1.5 kbps and 12 levels are 3 kbps.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["StageConfig", "CodecConfig", "cpu_config", "accelerator_config", "tiny_config"]


@dataclass(frozen=True)
class StageConfig:
    """One Transformer stage; ``patch`` frames of the previous stage are merged before it (1 = none)."""

    dim: int
    layers: int
    heads: int
    patch: int = 2


@dataclass(frozen=True)
class CodecConfig:
    sample_rate: int = 24_000
    patch: int = 240  # samples per first-stage frame (patchify is a reshape + linear, no conv)
    stages: tuple[StageConfig, ...] = (
        StageConfig(dim=128, layers=2, heads=4, patch=1),
        StageConfig(dim=192, layers=2, heads=4, patch=2),
        StageConfig(dim=256, layers=2, heads=4, patch=2),
    )
    analysis_window: int = 240  # samples of the causal log-spectrum window that ends at each patch (>= patch)
    synth_overlap: int = 2  # decoder frames span synth_overlap * patch samples (overlap-add at hop patch)
    # Decoder head: "complex" predicts log-magnitude and phase per synthesis frame; "magnitude" predicts
    # the log-magnitude only and takes the phase from a phase-locked vocoder (model.vocoder_phase).
    head: str = "complex"
    # The magnitude head's output space: "bins" predicts every FFT bin's log magnitude; "pitch" predicts
    # the log amplitudes of partials on a third-of-a-semitone grid plus noise bands (codec.basis).
    head_basis: str = "bins"
    # Encoder input per patch, besides its samples and log spectrum: the log energies of 84 semitone
    # bands (A1..G#8) and the frame's mean log level, with that mean taken out of both spectra, so that
    # the notes, not the loudness, are what varies most in the features the quantizer sees.
    pitch_features: bool = False
    # Encoder spectra: 0 -> log10(magnitude + 1e-4); > 0 -> natural log(magnitude + input_floor). With
    # the 80 dB-deep log10 floor the noise between partials dominated the features and a probe learned
    # pitch several times slower than with ln(magnitude + 1e-2) (model card).
    input_floor: float = 0.0
    head_hidden: int = 0  # > 0: a GELU hidden layer of this width before the head's output
    ffn_mult: int = 4
    layer_scale: float = 0.01  # initial residual-branch scale (CAT: 0.01)
    context_seconds: float = 1.28  # bounded causal attention window, the same for every stage
    levels: int = 12  # residual quantizer depth (maximum)
    codebook_size: int = 1024
    code_dim: int = 8  # factorized, L2-normalized code space
    quantizer_dropout: float = 0.5  # share of training examples that use a random prefix of levels
    rope_base: float = 10_000.0

    def __post_init__(self) -> None:
        if self.stages and isinstance(self.stages[0], dict):  # built from JSON
            object.__setattr__(self, "stages", tuple(StageConfig(**s) for s in self.stages))
        if self.analysis_window < self.patch or self.synth_overlap < 2 or self.synth_overlap % 2:
            raise ValueError("analysis_window must be >= patch and synth_overlap an even number >= 2")
        if self.head not in ("complex", "magnitude"):
            raise ValueError(f"head must be 'complex' or 'magnitude', got {self.head!r}")
        if self.head_basis not in ("bins", "pitch") or (self.head_basis == "pitch" and self.head != "magnitude"):
            raise ValueError(f"head_basis must be 'bins', or 'pitch' with the magnitude head, got {self.head_basis!r}")
        if self.head == "magnitude" and self.synth_overlap < 4:
            raise ValueError("the magnitude head needs synth_overlap >= 4 (squared-Hann overlap-add)")
        if self.stages[0].patch != 1:
            raise ValueError("the first stage consumes the sample patches directly: its patch must be 1")
        for stage in self.stages:
            if stage.dim % stage.heads or (stage.dim // stage.heads) % 2:
                raise ValueError(f"stage dim {stage.dim} must split into an even head size over {stage.heads} heads")

    # --- derived quantities -------------------------------------------------------------------
    @property
    def hop(self) -> int:
        """Samples per code frame."""
        return self.patch * math.prod(s.patch for s in self.stages)

    @property
    def synth_frame(self) -> int:
        """Samples per synthesis frame of the decoder's head."""
        return self.synth_overlap * self.patch

    @property
    def delay(self) -> int:
        """Samples by which the decoder's overlap-add output lags the input.

        complex head: a synthesis frame is centred on its patch, so the lag is the frame's centre
        (synth_frame / 2 after its start) minus the patch's centre (patch / 2). magnitude head: frame t
        is trained on the spectrum of the synth_frame input samples that end with patch t (all of them
        already heard), so the lag is synth_frame - patch."""
        if self.head == "magnitude":
            return self.synth_frame - self.patch
        return self.patch * (self.synth_overlap - 1) // 2

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop

    @property
    def bits_per_level(self) -> float:
        return math.log2(self.codebook_size)

    def bitrate(self, levels: int) -> float:
        """Bits per second spent by ``levels`` quantizer levels."""
        return self.frame_rate * levels * self.bits_per_level

    def stage_rate(self, index: int) -> float:
        return self.sample_rate / (self.patch * math.prod(s.patch for s in self.stages[: index + 1]))

    def context_frames(self, index: int) -> int:
        return max(1, int(round(self.context_seconds * self.stage_rate(index))))

    # --- (de)serialisation ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CodecConfig":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def cpu_config(head_basis: str = "pitch") -> CodecConfig:
    """The shipped model: ~7 M parameters, 25 Hz codes, trainable within an hour on 2 CPU cores.

    80 ms spectra in (961 bins, 12.5 Hz apart: enough to tell semitones apart from ~200 Hz up) and a
    magnitude head over 80 ms synthesis frames with vocoder phase. The complex head with 20 ms frames
    (``CodecConfig()``) kept loudness and envelope but lost pitch (model card, history)."""
    return CodecConfig(analysis_window=1920, synth_overlap=8, head="magnitude", head_basis=head_basis,
                       head_hidden=512, pitch_features=True, input_floor=1e-2)


def accelerator_config() -> CodecConfig:
    """A larger model for a GPU run: 12.5 Hz codes, 4 stages, 32 levels (0.125-4 kbps)."""
    return CodecConfig(
        stages=(
            StageConfig(dim=256, layers=4, heads=8, patch=1),
            StageConfig(dim=384, layers=4, heads=8, patch=2),
            StageConfig(dim=512, layers=4, heads=8, patch=2),
            StageConfig(dim=768, layers=6, heads=12, patch=2),
        ),
        analysis_window=1920,
        synth_overlap=8,
        head="magnitude",
        head_hidden=1024,
        pitch_features=True,
        context_seconds=10.0,
        levels=32,
    )


def tiny_config(head: str = "complex") -> CodecConfig:
    """For tests: 4 kHz audio, hop 80 samples (50 Hz codes), a few thousand parameters."""
    return CodecConfig(
        head=head,
        head_hidden=8 if head == "magnitude" else 0,
        pitch_features=head == "magnitude",
        sample_rate=4_000,
        patch=20,
        analysis_window=60,
        synth_overlap=4,
        stages=(
            StageConfig(dim=16, layers=1, heads=2, patch=1),
            StageConfig(dim=24, layers=1, heads=2, patch=2),
            StageConfig(dim=32, layers=1, heads=2, patch=2),
        ),
        context_seconds=0.2,
        levels=4,
        codebook_size=16,
        code_dim=4,
    )

