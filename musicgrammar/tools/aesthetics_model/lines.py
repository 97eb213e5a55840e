"""Clip statistics of the musical lines a rendering carries, read from its stems' semitone bands.

The frame descriptors (descriptors.py) say what sounds at each moment; these say how the lines move
and fit together over the clip, which is where three of the four judged faults live:

- the lead's melody (6): a pitch track of the lead stem (harmonic-sum salience over the semitone
  bands, so an instrument's octave and twelfth count towards its fundamental), cut into notes (runs of
  two or more frames on one pitch), and the intervals between consecutive notes: mean size, share of
  leaps over a major third and over a fifth, number of leaps of a fourth or more, number of notes,
  share of notes outside the clip's key. A chorale soprano moves by step; where half-bars were cut
  and shuffled its line jumps at every seam (coherence), and wrong notes leave the key (harmony);
- the bass line (3): the lowest strong band of the accompaniment stem, as notes: mean interval, share
  of leaps over a fifth, share outside the key;
- the tuning spread (3, of the mix, the lead and the accompaniment): at every spectral peak, how much
  of its power its stronger neighbour band holds. An in-tune note hands a band's filter leakage to each
  side; a part detuned by a quarter tone splits evenly between two bands (harmony), and smeared onsets
  and noise raise it too;
- onset synchrony (3): the correlation of the lead's and the accompaniment's spectral flux at lags of
  0, 1 and 2 frames. Chorale voices change together; jittered or late voices move apart (rhythm);
- chord continuity (2, accompaniment and mix): the mean cosine distance between the chroma of the
  quarter second before and after each frame. Wrong and clashing notes blur the chords;
- onset timing (49, with the config's ``onset_subframes``): correlations of the sub-frame spectral
  flux (7.8 ms steps) at lags up to 375 ms, pooled four lags at a time: the lead's with the
  accompaniment's later (12) and earlier (12) and at lag 0, the accompaniment's and the mix's with
  themselves (12 each). Chorale voices strike together; an accompaniment part played late by part of
  a beat shows as a second peak at its delay, on one side only;
- voice motion (12, with the config's ``voice_motion``): how far the sounding pitches move between the
  1/8 s (and the 1/4 s) just before and just after each frame, as the earth mover's distance in
  semitones between the two spectra over the semitone bands: its mean, and the number of moves of more
  than three semitones / 10, for the lead, the accompaniment and the mix. Voices that move by step
  move little; at each seam where shuffled half-bars meet, every voice jumps at once.

With the config's ``metric_grid``, the statistics read against the estimated beat follow (meter.py).

Without stems the mix stands in for both lines (its strongest voice and its lowest band).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from musicgrammar.tools.aesthetics_model.config import AestheticsConfig
from musicgrammar.tools.aesthetics_model.descriptors import key_scales
from musicgrammar.tools.aesthetics_model.meter import METER_STATISTICS, fine_flux, meter_statistics

__all__ = ["LINE_STATISTICS", "ONSET_STATISTICS", "MOTION_STATISTICS", "line_statistics", "line_statistics_width", "tone_power",
           "lead_track", "bass_track", "chroma_of"]

LINE_STATISTICS = 18  # 6 melody + 3 bass + 1 joint leaps + 3 spread + 3 synchrony + 2 continuity
_ONSET_LAGS, _LAG_POOL = 48, 4  # sub-frame lags 1..48 (to 375 ms at 7.8 ms), pooled in fours
ONSET_STATISTICS = 1 + 4 * (_ONSET_LAGS // _LAG_POOL)
_MOTION_SPANS, _BIG_MOVE = (2, 4), 3.0  # frames either side (1/8 s, 1/4 s); a move of more than 3 semitones
MOTION_STATISTICS = 2 * len(_MOTION_SPANS) * 3
_LEAD_RANGE = (48, 86)  # C3..C#6 candidate fundamentals of a lead line
_BASS_TOP = 64  # the bass is looked for from the lowest band up to E4
_SOUNDING = 10 ** (-5.5)  # -55 dB: quieter frames carry no note
_HARMONICS = ((12, 0.5), (19, 0.33), (24, 0.25))  # octave, twelfth, double octave and their weights
_NOVELTY_FRAMES = 4  # a quarter second at 16 frames per second


def tone_power(db: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, features) dB -> (B, T, semitone bands) linear power with most of the neighbour leakage undone."""
    power = torch.pow(10.0, db[..., : cfg.semitone_bands] / 10.0)
    padded = F.pad(power, (1, 1))
    return torch.relu(power - 0.3 * (padded[..., :-2] + padded[..., 2:]))


def lead_track(power: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, bands) -> (B, T) MIDI pitch of the strongest harmonic-sum candidate, -1 where silent."""
    lo = max(0, _LEAD_RANGE[0] - cfg.semitone_low)
    hi = min(cfg.semitone_bands, _LEAD_RANGE[1] - cfg.semitone_low)
    padded = F.pad(power, (0, 24))
    salience = power[..., lo:hi].clone()
    for shift, weight in _HARMONICS:
        salience = salience + weight * padded[..., lo + shift : hi + shift]
    strength, best = salience.max(dim=-1)
    return torch.where(strength > _SOUNDING, best + lo + cfg.semitone_low, torch.full_like(best, -1))


def bass_track(power: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, bands) -> (B, T) MIDI pitch of the lowest spectral peak within 10 dB of the frame's strongest
    band below E4, -1 where silent. A peak, not just a loud band: low notes leak into the band below."""
    low = power[..., : max(1, _BASS_TOP - cfg.semitone_low)]
    padded = F.pad(low, (1, 1))
    peak = (low >= padded[..., :-2]) & (low >= padded[..., 2:])
    strong = peak & (low > low.amax(dim=-1, keepdim=True) * 0.1) & (low > _SOUNDING)
    first = strong.to(torch.int64).argmax(dim=-1)
    return torch.where(strong.any(dim=-1), first + cfg.semitone_low, torch.full_like(first, -1))


def _notes(track: Tensor) -> tuple[Tensor, Tensor]:
    """(T,) frame pitches (-1 silent) -> the pitches (notes,) of the runs of two or more frames, repeats
    merged, and the frame (notes,) where each starts."""
    change = torch.ones_like(track, dtype=torch.bool)
    change[1:] = track[1:] != track[:-1]
    starts = torch.nonzero(change).squeeze(-1)
    lengths = torch.diff(starts, append=torch.tensor([len(track)], device=track.device))
    real = (track[starts] >= 0) & (lengths >= 2)
    values, starts = track[starts][real], starts[real]
    if len(values) < 2:
        return values, starts
    keep = torch.ones_like(values, dtype=torch.bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep], starts[keep]


def _joint_leaps(lead: tuple[Tensor, Tensor], bass: tuple[Tensor, Tensor]) -> Tensor:
    """Leaps of a third or more in the lead that land within a frame of a bass leap of a fourth or more
    (both lines broken at once, as at a cut), per clip / 5."""
    (lv, lt), (bv, bt) = lead, bass
    if len(lv) < 2 or len(bv) < 2:
        return torch.zeros(())
    lead_at = lt[1:][torch.diff(lv).abs() >= 3]
    bass_at = bt[1:][torch.diff(bv).abs() >= 5]
    if len(lead_at) == 0 or len(bass_at) == 0:
        return torch.zeros(())
    near = (lead_at[:, None] - bass_at[None, :]).abs().amin(dim=1) <= 1
    return near.float().sum() / 5.0


def _line(notes: Tensor, in_key: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """One row's notes (notes,) -> (mean interval / 5, leaps > 4, leaps > 7, leaps >= 5 / 10, notes / 30,
    out-of-key share)."""
    zero = torch.zeros(())
    if len(notes) == 0:
        return zero, zero, zero, zero, zero, zero
    outside = 1.0 - in_key[notes % 12].float().mean()
    if len(notes) < 2:
        return zero, zero, zero, zero, torch.tensor(len(notes) / 30.0), outside
    steps = torch.diff(notes).abs().float()
    return (steps.mean() / 5.0, (steps > 4).float().mean(), (steps > 7).float().mean(), (steps >= 5).float().sum() / 10.0,
            torch.tensor(len(notes) / 30.0), outside)


def _spread(db: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, features) -> (B,) mean over spectral peaks of the stronger neighbour band's share of the peak."""
    p = torch.pow(10.0, db[..., : cfg.semitone_bands] / 10.0)
    mid, left, right = p[..., 1:-1], p[..., :-2], p[..., 2:]
    peak = (mid > left) & (mid >= right) & (mid > 0.05 * p.amax(dim=-1, keepdim=True)) & (mid > 1e-6)
    share = torch.maximum(left, right) / (mid + 1e-12)
    return (share * peak).sum(dim=(1, 2)) / peak.sum(dim=(1, 2)).clamp(min=1)


def _flux(db: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, features) -> (B, T-1) mean rise of the semitone bands, centred per clip."""
    rise = torch.relu(db[:, 1:, : cfg.semitone_bands] - db[:, :-1, : cfg.semitone_bands]).mean(dim=-1)
    return rise - rise.mean(dim=1, keepdim=True)


def _synchrony(a: Tensor, b: Tensor, lag: int) -> Tensor:
    """(B, T) centred fluxes -> (B,) their correlation at ``lag`` frames, both directions averaged."""
    norm = a.std(dim=1) * b.std(dim=1) + 1e-9
    if lag == 0:
        return (a * b).mean(dim=1) / norm
    both = (a[:, lag:] * b[:, :-lag]).mean(dim=1) + (a[:, :-lag] * b[:, lag:]).mean(dim=1)
    return both / 2 / norm


def chroma_of(power: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, bands) -> (B, T, 12) chroma from G3 up, each frame summing to 1 where anything sounds."""
    first = max(0, 55 - cfg.semitone_low)
    classes = (torch.arange(first, cfg.semitone_bands, device=power.device) + cfg.semitone_low) % 12
    chroma = power[..., first:] @ F.one_hot(classes, 12).to(power.dtype)
    return chroma / (chroma.sum(dim=-1, keepdim=True) + 1e-10)


def _novelty(chroma: Tensor) -> Tensor:
    """(B, T, 12) -> (B,) mean cosine distance between the chroma of the frames just before and just after."""
    k = _NOVELTY_FRAMES
    if chroma.shape[1] < 2 * k + 1:
        return chroma.new_zeros(chroma.shape[0])
    mean = F.avg_pool1d(chroma.transpose(1, 2), k, stride=1).transpose(1, 2)  # (B, T-k+1, 12): frames t..t+k-1
    before, after = mean[:, : -k], mean[:, k:]
    return (1.0 - F.cosine_similarity(before, after, dim=-1, eps=1e-9)).mean(dim=1)


def line_statistics_width(cfg: AestheticsConfig) -> int:
    """How many statistics line_statistics returns under ``cfg``."""
    return (LINE_STATISTICS + (ONSET_STATISTICS if cfg.onset_subframes else 0) + (MOTION_STATISTICS if cfg.voice_motion else 0)
            + (METER_STATISTICS if cfg.metric_grid else 0))


def _lagged(a: Tensor, b: Tensor) -> Tensor:
    """(B, N) centred signals -> (B, _ONSET_LAGS // _LAG_POOL): correlation of a with b later by 1.._ONSET_LAGS
    steps, averaged over each pool of lags."""
    norm = a.std(dim=1) * b.std(dim=1) + 1e-9
    values = torch.stack([(a[:, :-lag] * b[:, lag:]).mean(dim=1) for lag in range(1, _ONSET_LAGS + 1)], dim=-1)
    return (values / norm[:, None]).reshape(a.shape[0], -1, _LAG_POOL).mean(dim=-1)


def _onset_timing(f_mix: Tensor, f_lead: Tensor, f_acc: Tensor) -> Tensor:
    """Centred sub-frame fluxes (B, N) of the mix, lead and accompaniment -> (B, ONSET_STATISTICS)."""
    together = (f_lead * f_acc).mean(dim=1) / (f_lead.std(dim=1) * f_acc.std(dim=1) + 1e-9)
    return torch.cat([together[:, None], _lagged(f_lead, f_acc), _lagged(f_acc, f_lead), _lagged(f_acc, f_acc),
                      _lagged(f_mix, f_mix)], dim=-1)


def _motion(power: Tensor, span: int) -> Tensor:
    """(B, T, bands) tone power -> (B, 2): mean earth mover's distance (semitones) between the mean spectra of
    the ``span`` frames before and after each frame where both sound, and the number of moves over
    _BIG_MOVE semitones / 10. In one dimension the distance is the L1 distance between the cumulative shares."""
    loud = power.sum(dim=-1)  # (B, T)
    cdf = torch.cumsum(power / (loud[..., None] + 1e-12), dim=-1)
    if cdf.shape[1] < 2 * span + 1:
        return power.new_zeros(power.shape[0], 2)
    mean = F.avg_pool1d(cdf.transpose(1, 2), span, stride=1).transpose(1, 2)  # (B, T-span+1, bands)
    moved = (mean[:, :-span] - mean[:, span:]).abs().sum(dim=-1)  # (B, T-2*span+1)
    sounding = (loud[:, : moved.shape[1]] > _SOUNDING) & (loud[:, span : span + moved.shape[1]] > _SOUNDING)
    count = sounding.sum(dim=1).clamp(min=1)
    return torch.stack([(moved * sounding).sum(dim=1) / count, ((moved > _BIG_MOVE) & sounding).sum(dim=1) / 10.0], dim=-1)


@torch.no_grad()
def line_statistics(mix: Tensor, lead: Tensor, acc: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, features) dB each (pass the mix for a missing stem) -> (B, line_statistics_width(cfg)), each
    roughly unit scale."""
    p_mix, p_lead, p_acc = (tone_power(x, cfg) for x in (mix, lead, acc))
    in_key = key_scales(chroma_of(p_mix, cfg).sum(dim=1))  # (B, 12) the clip key's scale
    lead_line, bass_line = lead_track(p_lead, cfg), bass_track(p_acc, cfg)
    rows = []
    for i in range(mix.shape[0]):
        melody_notes, bass_notes = _notes(lead_line[i]), _notes(bass_line[i])
        melody, bass = _line(melody_notes[0], in_key[i]), _line(bass_notes[0], in_key[i])
        rows.append(torch.stack([*melody, bass[0], bass[2], bass[5], _joint_leaps(melody_notes, bass_notes)]))
    lines = torch.stack(rows).to(mix.dtype)  # (B, 10)
    spread = (torch.stack([_spread(x, cfg) for x in (mix, lead, acc)], dim=-1) - 0.25) * 10.0  # (B, 3), 0 = leakage alone
    f_lead, f_acc = _flux(lead, cfg), _flux(acc, cfg)
    sync = torch.stack([_synchrony(f_lead, f_acc, lag) for lag in (0, 1, 2)], dim=-1)  # (B, 3)
    novelty = torch.stack([_novelty(chroma_of(p, cfg)) for p in (p_acc, p_mix)], dim=-1) * 3.0  # (B, 2)
    fine = [fine_flux(x, cfg) for x in (mix, lead, acc)] if cfg.onset_subframes else []
    timing = [_onset_timing(*fine)] if fine else []
    motion = [_motion(p, span) for p in (p_lead, p_acc, p_mix) for span in _MOTION_SPANS] if cfg.voice_motion else []
    meter = [meter_statistics(fine, lead_line, [p_lead, p_acc, p_mix],
                              [chroma_of(p_acc, cfg), chroma_of(p_mix, cfg)], cfg)] if cfg.metric_grid else []
    return torch.cat([lines, spread, sync, novelty, *timing, *motion, *meter], dim=-1)
