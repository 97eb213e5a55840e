"""What changes at each frame: the evidence the seam reader weighs at a half-bar seam beside its encodings.

Where shuffled half-bars meet, the music jumps from one place in the chorale to another. The learned
encodings say much of that, but a few plain measurements at the very frame say it more directly, and
they do not depend on which key the clip is in:

- the lead's and the bass's pitch just before and just after the frame (the last sounding pitch of
  frames t-4 .. t-2 and the first of t+1 .. t+3, skipping the frames a cut smears): the size of the
  move in octaves, its signed size and whether both sides sound (3 each). A chorale soprano and bass
  move by step or by a chord tone; a seam that joins two unrelated places jumps;
- how alike the chords are: the cosine similarity of the accompaniment's and the lead's chroma over
  the quarter second before and after (2);
- the accompaniment's chroma before and after, turned so that the clip's estimated tonic comes first
  (12 + 12), and whether that key is minor (1): which chord follows which, in the key's own terms.

TRANSITIONS = 33 values per frame, roughly unit scale; a frame too near the clip's edge reads zeros
where a side is missing.

With ``cfg.seam_voicing`` the seam reader also weighs how the voicing itself changes at the frame
(voicing_change, VOICING = 27 values): in the mix, the accompaniment and the lead, the sounding pitches
(the 3 and the 5 strongest semitone bands within 15 dB of the loudest) of the two frames before against
the two after. A chorale's voices move to the nearest chord tone, so most pitches after a frame lie within
a tone of one before it; where two places of the piece are joined, the voices land anywhere, and a voice
whose note began in the half-bar that was cut away falls silent until its next note (fewer pitches sound,
the level drops).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from musicgrammar.tools.aesthetics_model.config import AestheticsConfig
from musicgrammar.tools.aesthetics_model.descriptors import best_key_index
from musicgrammar.tools.aesthetics_model.lines import bass_track, chroma_of, lead_track, tone_power

__all__ = ["TRANSITIONS", "VOICING", "transition_evidence", "voicing_change", "seam_evidence_width", "seam_evidence"]

TRANSITIONS = 3 + 3 + 2 + 12 + 12 + 1
_BEFORE, _AFTER = (-2, -3, -4), (1, 2, 3)  # frames read for a pitch, nearest first
_CHORD_FRAMES = 4  # a quarter second at 16 frames per second
_VOICES = (3, 5)  # how many of the strongest bands count as the sounding pitches
_VOICING_FRAMES = ((-3, -2), (1, 2))  # frames before and after t whose spectra are compared (t itself is smeared)
_STREAM_VOICING = 4 * len(_VOICES) + 1
VOICING = 3 * _STREAM_VOICING


def _shifted(track: Tensor, offset: int) -> Tensor:
    """(B, T) -> (B, T) with out[:, t] = track[:, t + offset], -1 outside the clip."""
    out = torch.full_like(track, -1)
    t = track.shape[1]
    if offset >= 0:
        out[:, : t - offset] = track[:, offset:]
    else:
        out[:, -offset:] = track[:, : t + offset]
    return out


def _nearest_sounding(track: Tensor, offsets: tuple[int, ...]) -> Tensor:
    """(B, T) MIDI pitches (-1 silent) -> (B, T): the pitch at the first of ``offsets`` from t that sounds."""
    found = torch.full_like(track, -1)
    for offset in reversed(offsets):  # the nearest offset is written last, so it wins
        at = _shifted(track, offset)
        found = torch.where(at >= 0, at, found)
    return found


def _move(track: Tensor) -> Tensor:
    """(B, T) pitches -> (B, T, 3): |move| and signed move in octaves (0 where a side is silent), both sound."""
    before, after = _nearest_sounding(track, _BEFORE), _nearest_sounding(track, _AFTER)
    both = (before >= 0) & (after >= 0)
    step = torch.where(both, (after - before).float() / 12.0, torch.zeros_like(before, dtype=torch.float))
    return torch.stack([step.abs().clamp(max=2.0), step.clamp(-2.0, 2.0), both.float()], dim=-1)


def _around(chroma: Tensor) -> tuple[Tensor, Tensor]:
    """(B, T, 12) -> the mean chroma of frames t-4 .. t-1 and of t .. t+3, each (B, T, 12) (zeros off the clip)."""
    k = _CHORD_FRAMES
    padded = F.pad(chroma.transpose(1, 2), (k, k))  # (B, 12, T + 2k)
    mean = F.avg_pool1d(padded, k, stride=1).transpose(1, 2)  # (B, T + k + 1, 12): frames j-k .. j-1 at j
    t = chroma.shape[1]
    return mean[:, :t], mean[:, k : k + t]


@torch.no_grad()
def transition_evidence(mix: Tensor, lead: Tensor, acc: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, features) dB of the mix, lead and accompaniment (pass the mix for a missing stem)
    -> (B, T, TRANSITIONS)."""
    p_mix, p_lead, p_acc = (tone_power(x, cfg) for x in (mix, lead, acc))
    c_acc, c_lead = chroma_of(p_acc, cfg), chroma_of(p_lead, cfg)
    acc_before, acc_after = _around(c_acc)
    lead_before, lead_after = _around(c_lead)
    alike = torch.stack([F.cosine_similarity(acc_before, acc_after, dim=-1, eps=1e-9),
                         F.cosine_similarity(lead_before, lead_after, dim=-1, eps=1e-9)], dim=-1)  # (B, T, 2)
    key = best_key_index(chroma_of(p_mix, cfg).sum(dim=1))  # (B,) 0-11 major, 12-23 minor
    tonic = key % 12
    turn = (torch.arange(12, device=mix.device)[None, :] + tonic[:, None]) % 12  # (B, 12): degree -> pitch class
    in_key = lambda c: c.gather(-1, turn[:, None, :].expand(-1, c.shape[1], -1)) * 3.0  # noqa: E731
    minor = (key >= 12).float()[:, None, None].expand(-1, mix.shape[1], 1)
    return torch.cat([_move(lead_track(p_lead, cfg)), _move(bass_track(p_acc, cfg)), alike,
                      in_key(acc_before), in_key(acc_after), minor], dim=-1)


def _mean_of_frames(power: Tensor, offsets: tuple[int, ...]) -> Tensor:
    """(B, T, bands) -> (B, T, bands): at t, the mean of the frames t + offset (zeros off the clip)."""
    t, pad = power.shape[1], max(abs(o) for o in offsets)
    padded = F.pad(power, (0, 0, pad, pad))
    return sum(padded[:, pad + o : pad + o + t] for o in offsets) / len(offsets)


def _sounding(power: Tensor, voices: int) -> tuple[Tensor, Tensor]:
    """(B, T, bands) -> the indices of the ``voices`` strongest bands (B, T, voices) and which of them sound:
    within 15 dB of the frame's loudest band, in a frame where anything sounds (B, T, voices) bool."""
    level, band = power.topk(voices, dim=-1)
    loudest = level[..., :1]
    return band, (level > loudest * 10**-1.5) & (loudest > 1e-8)


def _stream_voicing(power: Tensor) -> Tensor:
    """(B, T, bands) tone power of one stream -> (B, T, _STREAM_VOICING): per voice count, the mean distance
    (semitones / 6, at most 2) from each pitch after t to the nearest before and from each before to the nearest
    after, the share of pitches after that lie 3 semitones or more from every pitch before, and the change in
    how many sound (/ voices); then the change in level (log10 of the power ratio, within +-3)."""
    before, after = (_mean_of_frames(power, o) for o in _VOICING_FRAMES)
    out = []
    for voices in _VOICES:
        (b_band, b_on), (a_band, a_on) = _sounding(before, voices), _sounding(after, voices)
        apart = (a_band[..., :, None] - b_band[..., None, :]).abs().float()  # (B, T, after, before)
        far = torch.full_like(apart, 99.0)
        to_before = torch.where(b_on[..., None, :], apart, far).amin(dim=-1).clamp(max=12.0)  # (B, T, after)
        to_after = torch.where(a_on[..., :, None], apart, far).amin(dim=-2).clamp(max=12.0)  # (B, T, before)
        n_after, n_before = a_on.float().sum(-1), b_on.float().sum(-1)
        out += [(to_before * a_on).sum(-1) / n_after.clamp(min=1) / 6.0,
                (to_after * b_on).sum(-1) / n_before.clamp(min=1) / 6.0,
                ((to_before >= 3) & a_on).float().sum(-1) / n_after.clamp(min=1),
                (n_after - n_before) / voices]
    level = torch.log10(after.sum(-1) + 1e-9) - torch.log10(before.sum(-1) + 1e-9)
    return torch.stack(out + [level.clamp(-3.0, 3.0)], dim=-1)


@torch.no_grad()
def voicing_change(mix: Tensor, lead: Tensor, acc: Tensor, cfg: AestheticsConfig) -> Tensor:
    """(B, T, features) dB of the mix, lead and accompaniment (pass the mix for a missing stem)
    -> (B, T, VOICING): _stream_voicing of the mix, the accompaniment and the lead."""
    return torch.cat([_stream_voicing(tone_power(x, cfg)) for x in (mix, acc, lead)], dim=-1)


def seam_evidence_width(cfg: AestheticsConfig) -> int:
    """Values per frame the seam reader weighs beside its encodings under ``cfg`` (0: none)."""
    return (TRANSITIONS if cfg.seam_evidence else 0) + (VOICING if cfg.seam_voicing else 0)


def seam_evidence(mix: Tensor, lead: Tensor, acc: Tensor, cfg: AestheticsConfig) -> Tensor | None:
    """(B, T, seam_evidence_width(cfg)): the transitions, then the voicing change, as the config asks; None for neither."""
    parts = [transition_evidence(mix, lead, acc, cfg)] if cfg.seam_evidence else []
    if cfg.seam_voicing:
        parts.append(voicing_change(mix, lead, acc, cfg))
    return torch.cat(parts, dim=-1) if parts else None
