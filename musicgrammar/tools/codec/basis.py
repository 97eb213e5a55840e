"""A pitch-aligned spectral basis for the magnitude head: partials on a log-frequency grid plus noise bands.

The bin head predicts the 961 log magnitudes of an 80 ms frame directly: to sound a note it must learn
sharp peaks at the right bins for every pitch, and a short run settles on one average spectrum. The
pitch head predicts instead the log amplitudes of

- tonal partials on a grid of ``per_semitone`` steps per equal-tempered semitone (default a third of a
  semitone, E1 = 41.2 Hz .. G8 = 6.3 kHz), each drawn as the main lobe of a Hann-windowed sinusoid at its
  frequency, the shape the analysis gives a steady partial; and
- broad noise bands (triangular on the mel scale, 0 Hz .. Nyquist) for breath, bow and everything
  between the partials.

The magnitude of a bin is the sum of what the partials and the bands put there, so one output unit is
one pitch: a note is a handful of units (its harmonics), whatever its register. Partials between grid
points (detuned or stretched harmonics) fall on the nearest grid partials, at most 17 cents away; the
head assumes music, not speech.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["hann_lobe", "pitch_basis", "PitchBasisHead"]

LOW_MIDI = 28  # E1, 41.2 Hz: the lowest note of a bass guitar / double bass
HIGH_MIDI = 115  # G8, 6.3 kHz: partials above it are left to the noise bands
NOISE_BANDS = 40


def hann_lobe(offset: np.ndarray) -> np.ndarray:
    """Magnitude of a periodic Hann window's spectrum ``offset`` bins from its centre, normalized to 1 at
    0 and cut to the main lobe (|offset| < 2): |sinc(d) / (1 - d^2)|, which is 1/2 at d = +-1."""
    d = np.abs(offset)
    out = np.zeros_like(d, dtype=np.float64)
    lobe = d < 2.0
    near_one = np.abs(d - 1.0) < 1e-6
    dd = d[lobe & ~near_one]
    out[lobe & ~near_one] = np.abs(np.sinc(dd) / (1.0 - dd**2))
    out[near_one] = 0.5
    return out


@lru_cache(maxsize=8)
def pitch_basis(sample_rate: int, n_fft: int, per_semitone: int = 3, low_midi: int = LOW_MIDI,
                high_midi: int = HIGH_MIDI, noise_bands: int = NOISE_BANDS) -> tuple[np.ndarray, np.ndarray]:
    """Returns (tonal (n_partials, bins), noise (noise_bands, bins)) float32 kernels, each peaking at 1.

    Partial p sits at MIDI low_midi + p / per_semitone; its kernel is the Hann main lobe around that
    frequency in bins of sample_rate / n_fft Hz."""
    bins = n_fft // 2 + 1
    bin_hz = sample_rate / n_fft
    midi = low_midi + np.arange((high_midi - low_midi) * per_semitone + 1) / per_semitone
    freqs = 440.0 * 2.0 ** ((midi - 69) / 12)
    freqs = freqs[freqs < sample_rate / 2 - 2 * bin_hz]
    tonal = hann_lobe(np.arange(bins)[None, :] - freqs[:, None] / bin_hz)
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    edges = 700.0 * (10 ** (np.linspace(0.0, mel(sample_rate / 2), noise_bands + 2) / 2595.0) - 1.0)
    hz = np.arange(bins) * bin_hz
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    noise = np.maximum(0.0, np.minimum((hz - lower) / (centre - lower), (upper - hz) / (upper - centre)))
    return tonal.astype(np.float32), noise.astype(np.float32)


class PitchBasisHead(nn.Module):
    """Decoder frames (B, F0, dim) -> natural-log magnitudes (B, F0, bins) of one synthesis frame each,
    through the log amplitudes of the pitch basis (B, F0, partials + noise bands)."""

    def __init__(self, dim: int, hidden: int, sample_rate: int, n_fft: int, per_semitone: int = 3) -> None:
        super().__init__()
        tonal, noise = pitch_basis(sample_rate, n_fft, per_semitone)
        kernel = torch.from_numpy(np.concatenate((tonal, noise)))  # (partials + bands, bins)
        self.register_buffer("kernel", kernel, persistent=False)
        layers: list[nn.Module] = [nn.Linear(dim, hidden), nn.GELU()] if hidden > 0 else []
        out = nn.Linear(hidden if hidden > 0 else dim, kernel.shape[0])
        # Start quiet (every amplitude e^-4 of full scale): the first steps learn where the sound is,
        # not how to silence a spectrum full of every partial at once.
        nn.init.constant_(out.bias, -4.0)
        self.amplitudes = nn.Sequential(*layers, out)

    def forward(self, x: Tensor) -> Tensor:
        log_amp = self.amplitudes(x).clamp(max=12.0)  # (B, F0, partials + bands)
        return (log_amp.exp() @ self.kernel + 1e-3).log()  # (B, F0, bins)
