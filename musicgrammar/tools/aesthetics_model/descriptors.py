"""Music-theory descriptors of a clip, computed from its band levels (no extra audio analysis).

The log-spectral frames hold the notes, but a small network trained on a few thousand clips does not
learn from them that a chorale with wrong notes sounds wrong: what "wrong" means is relative to the
key and the chord, and the same clash sits in a different band in every key. These descriptors state
it in a transposition-invariant form, per frame (B, T, DESCRIPTORS):

- interval-class content of the frame's chroma (6): how much of the sounding energy stands a minor
  second, major second, ... tritone apart; wrong notes, a clashing part and a detuned part raise the
  seconds, consonant chorale harmony lives in thirds, fourths and fifths;
- chroma concentration (1): a chord's few pitch classes against a smear;
- out-of-key energy (1 per frame, 1 clip mean): the share of the frame's chroma outside the scale of
  the clip's best-fitting key;
- key clarity (1, clip level): the correlation of the clip's chroma with that key's profile;
- step and leap (2): whether the strongest band moved by one or two semitones, or by more, since the
  previous frame; in a lead stem (one voice) that is its melodic motion, mostly stepwise in a chorale
  and full of leaps where bars were cut and shuffled (coherence);
- spectral flux (1): the mean rise of the band levels, where onsets are (rhythm).

`clip_statistics` pools them over the clip (mean, spread, peak of each, and the autocorrelation of the
flux at lags of 2-16 frames: a steady beat repeats, jittered onsets do not), which is the level at
which a judgement about the whole clip is made.
"""

from __future__ import annotations

import torch
from torch import Tensor

from musicgrammar.tools.aesthetics_model.config import AestheticsConfig

__all__ = ["DESCRIPTORS", "STATISTICS", "descriptors", "clip_statistics", "key_scales", "best_key_index"]

DESCRIPTORS = 13
_LAGS = range(2, 17)  # flux autocorrelation lags in frames: 1/8 s to 1 s at 16 frames per second
STATISTICS = 3 * DESCRIPTORS + len(_LAGS)
_CHROMA_LOW = 55  # G3: below it a semitone is narrower than the bands' resolution (the bass still
                  # shows through its harmonics, which carry its pitch class)
_LEAK = 0.3  # a tone's triangular band filters hand about 20-30 % of its power to each neighbour band

# Krumhansl-Kessler key profiles (tonic first) and the scales they stand for (harmonic minor adds
# the raised seventh, which chorales use at every cadence).
_MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)


def _key_templates(device: torch.device) -> tuple[Tensor, Tensor]:
    """(24, 12) z-scored profiles and (24, 12) scale masks: 12 major keys, then 12 minor keys."""
    profiles, masks = [], []
    for profile, scale in ((_MAJOR_PROFILE, _MAJOR_SCALE), (_MINOR_PROFILE, _MINOR_SCALE)):
        p = torch.tensor(profile, device=device)
        m = torch.zeros(12, device=device)
        m[list(scale)] = 1.0
        for tonic in range(12):
            profiles.append(torch.roll(p, tonic))
            masks.append(torch.roll(m, tonic))
    prof = torch.stack(profiles)
    prof = (prof - prof.mean(dim=1, keepdim=True)) / prof.std(dim=1, keepdim=True)
    return prof, torch.stack(masks)


def _fit_keys(clip_chroma: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 12) energy per pitch class -> (B, 24) Pearson correlations with the 24 key profiles, and the
    keys' (24, 12) scale masks."""
    clip_chroma = clip_chroma / (clip_chroma.sum(dim=-1, keepdim=True) + 1e-10)
    z = (clip_chroma - clip_chroma.mean(dim=-1, keepdim=True)) / (clip_chroma.std(dim=-1, keepdim=True) + 1e-8)
    profiles, masks = _key_templates(clip_chroma.device)
    return z @ profiles.T / 11.0, masks


def _best_key(clip_chroma: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 12) energy per pitch class -> the best-fitting key's correlation (B,) and scale mask (B, 12)."""
    fit, masks = _fit_keys(clip_chroma)
    clarity, best = fit.max(dim=-1)
    return clarity, masks[best]


def best_key_index(clip_chroma: Tensor) -> Tensor:
    """(B, 12) energy per pitch class -> (B,) the best-fitting key: its tonic's pitch class, plus 12 when minor."""
    return _fit_keys(clip_chroma)[0].argmax(dim=-1)


def key_scales(clip_chroma: Tensor) -> Tensor:
    """(B, 12) energy per pitch class -> (B, 12) 1 for the pitch classes of the best-fitting key's scale."""
    return _best_key(clip_chroma)[1]


def descriptors(db: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, features) band levels in dB -> (B, T, DESCRIPTORS), each roughly on a unit scale."""
    b, t, _ = db.shape
    first = max(0, _CHROMA_LOW - cfg.semitone_low)
    power = torch.pow(10.0, db[..., first : cfg.semitone_bands] / 10.0)  # (B, T, semitones from G3)
    # Undo most of the neighbour leakage, so that one tone does not read as a cluster of three.
    padded = torch.nn.functional.pad(power, (1, 1))
    power = torch.relu(power - _LEAK * (padded[..., :-2] + padded[..., 2:]))
    classes = (torch.arange(first, cfg.semitone_bands, device=db.device) + cfg.semitone_low) % 12
    fold = torch.nn.functional.one_hot(classes, 12).to(power.dtype)  # (semitones, 12)
    chroma = power @ fold  # (B, T, 12)
    frame_energy = chroma.sum(dim=-1, keepdim=True)
    c = chroma / (frame_energy + 1e-10)  # (B, T, 12), sums to 1 where anything sounds
    audible = (frame_energy > 1e-7).to(c.dtype)  # frames above -70 dB carry notes
    # c_i * c_(i+k), both directions of an interval class summed: k and 12-k are the same class.
    rolled = torch.stack([torch.roll(c, -k, dims=-1) for k in range(1, 7)], dim=-2)  # (B, T, 6, 12)
    ic = (c.unsqueeze(-2) * rolled).sum(dim=-1)  # (B, T, 6)
    ic = torch.cat([2.0 * ic[..., :5], ic[..., 5:]], dim=-1) * audible
    concentration = (c * c).sum(dim=-1, keepdim=True) * audible

    clarity, scale = _best_key(chroma.sum(dim=1))  # (B,), (B, 12)
    outside = 1.0 - scale  # (B, 12) pitch classes outside the key's scale
    out_of_key = (c * outside.unsqueeze(1)).sum(dim=-1, keepdim=True) * audible  # (B, T, 1)
    weights = audible.sum(dim=1).clamp(min=1.0)  # (B, 1)
    out_of_key_mean = (out_of_key.sum(dim=1) / weights).unsqueeze(1).expand(b, t, 1)

    # Melodic motion of the strongest band (the lead stem has one voice).
    strongest = power.argmax(dim=-1).to(db.dtype)  # (B, T) band index
    sounding = power.amax(dim=-1) > 1e-6  # the strongest band above -60 dB
    moved = torch.zeros_like(strongest)
    moved[:, 1:] = (strongest[:, 1:] - strongest[:, :-1]).abs() * (sounding[:, 1:] & sounding[:, :-1])
    step = ((moved > 0) & (moved <= 2)).to(db.dtype).unsqueeze(-1)
    leap = (moved > 2).to(db.dtype).unsqueeze(-1)

    rise = torch.relu(db[:, 1:] - db[:, :-1]).mean(dim=-1, keepdim=True)  # (B, T-1, 1) dB
    flux = torch.cat([torch.zeros_like(rise[:, :1]), rise], dim=1) / 10.0
    return torch.cat([5.0 * ic, 3.0 * concentration, 3.0 * out_of_key, 3.0 * out_of_key_mean,
                      clarity.view(b, 1, 1).expand(b, t, 1), step, leap, flux], dim=-1)


def clip_statistics(d: Tensor) -> Tensor:
    """(B, T, DESCRIPTORS) -> (B, STATISTICS): per descriptor its mean, standard deviation and maximum
    over the clip, then the flux's autocorrelation at each lag (1 = the same onset pattern again)."""
    flux = d[..., -1] - d[..., -1].mean(dim=1, keepdim=True)  # (B, T)
    var = flux.pow(2).mean(dim=1) + 1e-6
    auto = torch.stack([(flux[:, :-k] * flux[:, k:]).mean(dim=1) / var for k in _LAGS], dim=-1)  # (B, lags)
    return torch.cat([d.mean(dim=1), d.std(dim=1), d.amax(dim=1), auto], dim=-1)
