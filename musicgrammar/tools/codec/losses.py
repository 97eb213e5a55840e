"""Multi-scale mel spectrogram loss/distance, SI-SDR and chroma agreement: training and benchmark metrics."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

__all__ = ["mel_filterbank", "semitone_filterbank", "MultiScaleMel", "si_sdr", "chroma", "chroma_correlation",
           "harmonic_tone", "fundamental_hz", "pitch_class_matrix"]

# CAT/DAC-style scales: windows 2^5 .. 2^11 samples with mel bands growing with the window.
DEFAULT_WINDOWS: tuple[int, ...] = (32, 64, 128, 256, 512, 1024, 2048)
DEFAULT_MELS: tuple[int, ...] = (5, 10, 20, 40, 80, 160, 320)


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


@lru_cache(maxsize=32)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Triangular HTK-mel filters, area-normalized: (n_mels, n_fft // 2 + 1) float32."""
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(0.0, _hz_to_mel(np.array(sample_rate / 2)), n_mels + 2))
    lower, center, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (freqs[None] - lower) / np.maximum(center - lower, 1e-9)
    down = (upper - freqs[None]) / np.maximum(upper - center, 1e-9)
    bank = np.maximum(0.0, np.minimum(up, down))
    bank *= 2.0 / np.maximum(upper - lower, 1e-9)
    return bank.astype(np.float32)


@lru_cache(maxsize=8)
def semitone_filterbank(sample_rate: int, n_fft: int, low_midi: int = 33, bands: int = 84) -> np.ndarray:
    """Triangular filters centred on equal-tempered semitones (MIDI low_midi, low_midi+1, ...; default
    A1 = 55 Hz up to G#8), each spanning the neighbouring semitones, or at least the two nearest FFT bins
    where a semitone is narrower than a bin: (bands, n_fft // 2 + 1) float32. A log-frequency view in
    which a wrong note is as costly in the bass as in the treble."""
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    bin_hz = sample_rate / n_fft
    centres = 440.0 * 2.0 ** ((np.arange(low_midi, low_midi + bands) - 69) / 12)
    centres = centres[centres < sample_rate / 2 - bin_hz]
    half_width = np.maximum(centres * (2 ** (1 / 12) - 1), bin_hz)[:, None]
    bank = np.maximum(0.0, 1.0 - np.abs(freqs[None] - centres[:, None]) / half_width)
    return (bank / bank.sum(1, keepdims=True)).astype(np.float32)


class MultiScaleMel(torch.nn.Module):
    """Sum over scales of L1(log10 mel) (+ optional L1(mel)) between two waves (B, T).

    ``distance`` (the benchmark metric) is the mean over scales of the log10-mel L1 alone.
    """

    def __init__(self, sample_rate: int, windows: tuple[int, ...] = DEFAULT_WINDOWS,
                 mels: tuple[int, ...] = DEFAULT_MELS, mag_weight: float = 1.0, eps: float = 1e-5) -> None:
        super().__init__()
        self.windows, self.mag_weight, self.eps = windows, mag_weight, eps
        for w, m in zip(windows, mels):
            self.register_buffer(f"fb{w}", torch.from_numpy(mel_filterbank(sample_rate, w, m)), persistent=False)
            self.register_buffer(f"win{w}", torch.hann_window(w), persistent=False)

    def mel(self, x: Tensor, w: int) -> Tensor:
        spec = torch.stft(x, n_fft=w, hop_length=w // 4, window=getattr(self, f"win{w}"), center=True,
                          return_complex=True).abs()  # (B, w/2+1, frames)
        return torch.einsum("mf,bft->bmt", getattr(self, f"fb{w}"), spec)

    def per_scale(self, ref: Tensor, est: Tensor) -> list[tuple[Tensor, Tensor]]:
        out = []
        for w in self.windows:
            a, b = self.mel(ref, w), self.mel(est, w)
            log_l1 = (a.clamp(min=self.eps).log10() - b.clamp(min=self.eps).log10()).abs().mean()
            out.append((log_l1, (a - b).abs().mean()))
        return out

    def forward(self, ref: Tensor, est: Tensor) -> Tensor:
        return sum(lg + self.mag_weight * mag for lg, mag in self.per_scale(ref, est))

    @torch.no_grad()
    def distance(self, ref: Tensor, est: Tensor) -> float:
        scales = self.per_scale(ref, est)
        return float(sum(lg for lg, _ in scales) / len(scales))


def si_sdr(ref: np.ndarray, est: np.ndarray, eps: float = 1e-9) -> float:
    """Scale-invariant signal-to-distortion ratio in dB of 1-D signals (zero-mean first)."""
    ref = ref.astype(np.float64) - ref.mean()
    est = est.astype(np.float64) - est.mean()
    alpha = float(np.dot(est, ref) / (np.dot(ref, ref) + eps))
    target = alpha * ref
    noise = est - target
    return float(10 * np.log10((np.dot(target, target) + eps) / (np.dot(noise, noise) + eps)))


@lru_cache(maxsize=8)
def pitch_class_matrix(sample_rate: int, n_fft: int, low: float = 60.0, high: float = 2000.0) -> np.ndarray:
    """(n_fft // 2 + 1, 12) float32: 1 where an FFT bin between low and high Hz belongs to a pitch class
    (C = 0, each bin to its nearest equal-tempered semitone), else 0."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    keep = (freqs > low) & (freqs < high)
    out = np.zeros((len(freqs), 12), np.float32)
    pcs = np.round(12 * np.log2(freqs[keep] / 261.6256)).astype(int) % 12
    out[np.nonzero(keep)[0], pcs] = 1.0
    return out


def chroma(wave: np.ndarray, sample_rate: int, frame: int = 4096) -> np.ndarray:
    """Pitch-class energy per frame: (frames, 12), from STFT bins between 60 Hz and 2 kHz (C = 0)."""
    n = len(wave) // frame
    if n == 0:
        return np.zeros((0, 12))
    frames = wave[: n * frame].reshape(n, frame) * np.hanning(frame)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return spec @ pitch_class_matrix(sample_rate, frame).astype(np.float64)


def chroma_correlation(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """Mean per-frame Pearson correlation of the 12 pitch-class energies of two signals: 1 = the same
    pitch content, about 0 = unrelated. Frames where the reference is near silent are skipped."""
    a, b = chroma(ref, sample_rate), chroma(est[: len(ref)], sample_rate)
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    loud = a.sum(1) > 1e-3 * max(float(a.sum(1).max(initial=0.0)), 1e-12)
    vals = [np.corrcoef(x, y)[0, 1] for x, y in zip(a[loud], b[loud]) if x.std() > 0 and y.std() > 0]
    return float(np.mean(vals)) if vals else 0.0


def harmonic_tone(midi: float, seconds: float, sample_rate: int, partials: int = 6, level: float = 0.3) -> np.ndarray:
    """A steady bowed-string-like note: partials at n x f0 with amplitudes 1/n, 20 ms fade in and out."""
    f0 = 440.0 * 2.0 ** ((midi - 69) / 12)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    wave = sum(np.sin(2 * np.pi * n * f0 * t) / n for n in range(1, partials + 1) if n * f0 < sample_rate / 2)
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02)
    return (level * wave / np.abs(wave).max() * fade).astype(np.float32)


def fundamental_hz(wave: np.ndarray, sample_rate: int, low: float = 40.0, high: float = 1500.0) -> float:
    """The fundamental of a steady note: the candidate f0 (1-cent grid, low..high Hz) whose first five
    harmonics gather the most log-spectral energy, each harmonic read at its nearest FFT bin; the middle
    half of the wave is analysed. 0.0 for silence."""
    mid = wave[len(wave) // 4 : 3 * len(wave) // 4].astype(np.float64)
    if not len(mid) or np.abs(mid).max() < 1e-6:
        return 0.0
    spec = np.abs(np.fft.rfft(mid * np.hanning(len(mid))))
    log_spec = np.log(spec + 1e-3 * spec.max())
    bin_hz = sample_rate / len(mid)
    cands = low * 2.0 ** (np.arange(int(1200 * np.log2(high / low))) / 1200)
    score = np.zeros_like(cands)
    for n in range(1, 6):
        idx = np.round(n * cands / bin_hz).astype(int)
        ok = idx < len(spec)
        score[ok] += log_spec[idx[ok]] / n  # lower harmonics count more: no octave-below answers
    return float(cands[int(np.argmax(score))])
