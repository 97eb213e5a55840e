"""Graded degradations of a rendered piece: each hurts one judged dimension at severity 1..4.

Score-level kinds change the notes before rendering; audio-level kinds change the rendered mix (or
one stem, and with it the mix) afterwards. Grade 0 is the clean rendering. Every kind is monotone in
its grade: a higher grade changes more notes, moves them further or degrades the audio more.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from musicgrammar.ontologies import Note, Part, Score
from musicgrammar.ontologies.instrumentation import Role
from musicgrammar.tools.codec.io import resample

__all__ = ["Kind", "KINDS", "GRADES", "corrupt_score", "corrupt_audio", "shuffle_segments"]

GRADES = (1, 2, 3, 4)


@dataclass(frozen=True)
class Kind:
    name: str
    dimension: str  # the judged dimension it hurts (config.DIMENSIONS)
    level: str  # "score" (before rendering) or "audio" (after)


KINDS: tuple[Kind, ...] = (
    Kind("wrong_notes", "harmony", "score"),
    Kind("clashing_part", "harmony", "score"),
    Kind("detuned_part", "harmony", "audio"),
    Kind("rhythm_jitter", "rhythm", "score"),
    Kind("part_offset", "rhythm", "score"),
    Kind("shuffled_segments", "coherence", "score"),
    Kind("noise", "audio_quality", "audio"),
    Kind("clipping", "audio_quality", "audio"),
)

_WRONG_SHARE = {1: 0.08, 2: 0.16, 3: 0.3, 4: 0.5}  # share of notes moved by 1-2 semitones
_CLASH_SHARE = {1: 0.25, 2: 0.5, 3: 0.75, 4: 1.0}  # share of the clip where one part is a semitone off
_JITTER_STD = {1: 0.06, 2: 0.12, 3: 0.22, 4: 0.35}  # onset jitter, quarter notes
_OFFSET = {1: 0.125, 2: 0.25, 3: 0.375, 4: 0.5}  # one part late by this many quarters
_SHUFFLED = {1: 2, 2: 3, 3: 5, 4: 99}  # half-bar segments displaced (99: all of them)
_DETUNE_CENTS = {1: 15.0, 2: 30.0, 3: 50.0, 4: 80.0}
_NOISE_SNR_DB = {1: 30.0, 2: 20.0, 3: 12.0, 4: 5.0}
_CLIP_DRIVE = {1: 2.0, 2: 4.0, 3: 8.0, 4: 16.0}  # gain before the hard clip at full scale


def _accompaniment(score: Score) -> list[int]:
    lead = score.lead()
    return [i for i, p in enumerate(score.parts) if p is not lead and not p.is_drum and p.notes]


def _replace(score: Score, index: int, notes: list[Note]) -> Score:
    parts = list(score.parts)
    parts[index] = parts[index].model_copy(update={"notes": sorted(notes, key=lambda n: (n.start, n.pitch))})
    return score.model_copy(update={"parts": parts})


def _clamp_pitch(p: int) -> int:
    return int(min(108, max(21, p)))


def corrupt_score(score: Score, kind: Kind, grade: int, rng: random.Random) -> Score:
    """A degraded copy of ``score`` (the original is left alone); notes stay inside its length."""
    if kind.level != "score" or grade not in GRADES:
        raise ValueError(f"{kind.name} at grade {grade} is not a score-level degradation")
    end = score.length_quarters
    if kind.name == "wrong_notes":
        parts = []
        for part in score.parts:
            notes = [n.model_copy(update={"pitch": _clamp_pitch(n.pitch + rng.choice((-2, -1, 1, 2)))})
                     if rng.random() < _WRONG_SHARE[grade] else n for n in part.notes]
            parts.append(part.model_copy(update={"notes": notes}))
        return score.model_copy(update={"parts": parts})
    acc = _accompaniment(score) or [0]
    if kind.name == "clashing_part":
        index, shift = rng.choice(acc), rng.choice((-1, 1))
        span = _CLASH_SHARE[grade] * end
        lo = rng.uniform(0.0, end - span)
        notes = [n.model_copy(update={"pitch": _clamp_pitch(n.pitch + shift)}) if lo <= n.start < lo + span else n
                 for n in score.parts[index].notes]
        return _replace(score, index, notes)
    if kind.name == "rhythm_jitter":
        parts = []
        for part in score.parts:
            notes = []
            for n in part.notes:
                start = min(max(0.0, n.start + rng.gauss(0.0, _JITTER_STD[grade])), end - 0.05)
                notes.append(n.model_copy(update={"start": start, "duration": max(0.05, min(n.duration, end - start))}))
            parts.append(part.model_copy(update={"notes": sorted(notes, key=lambda n: n.start)}))
        return score.model_copy(update={"parts": parts})
    if kind.name == "part_offset":
        index = rng.choice(acc)
        shift = _OFFSET[grade]
        notes = [n.model_copy(update={"start": n.start + shift, "duration": min(n.duration, end - n.start - shift)})
                 for n in score.parts[index].notes if n.start + shift < end - 0.05]
        return _replace(score, index, notes)
    if kind.name == "shuffled_segments":
        return shuffle_segments(score, grade, rng)[0]
    raise ValueError(f"unknown degradation {kind.name}")


def shuffle_segments(score: Score, grade: int, rng: random.Random) -> tuple[Score, list[bool]]:
    """Cut the clip into half-bar segments and move _SHUFFLED[grade] of them to each other's places
    (a derangement of the chosen ones, so every chosen segment really moves). Only the seams around
    moved segments break: the damage grows with the grade. Returns the shuffled score and, for each
    seam k * segment (k = 1 .. segments - 1), whether the music there no longer follows as written."""
    if grade not in GRADES:
        raise ValueError(f"shuffled_segments has no grade {grade}")
    displaced = _SHUFFLED[grade]
    seg = score.bar_quarters / 2 if score.bar_quarters >= 2 else score.bar_quarters
    count = int(score.length_quarters // seg)
    if count < 2:
        return score, [False] * max(0, count - 1)
    chosen = rng.sample(range(count), min(count, max(2, displaced)))
    target = chosen[1:] + chosen[:1]  # a cyclic shift of the chosen segments: none stays put
    mapping = dict(zip(chosen, target))
    source_at = {dst: src for src, dst in mapping.items()}  # position -> the segment now played there
    parts = []
    for part in score.parts:
        notes = []
        for n in part.notes:
            src = int(n.start // seg)
            if src >= count:
                continue
            dst = mapping.get(src, src)
            start = n.start + (dst - src) * seg
            # A held note is cut at the first seam after it where the music changed: where segments still
            # follow each other as they did, it rings on as written.
            ahead = 1
            while dst + ahead < count and source_at.get(dst + ahead, dst + ahead) == src + ahead:
                ahead += 1
            notes.append(n.model_copy(update={"start": start, "duration": min(n.duration, (dst + ahead) * seg - start)}))
        parts.append(part.model_copy(update={"notes": sorted(notes, key=lambda n: n.start)}))
    broken = [source_at.get(k, k) != source_at.get(k - 1, k - 1) + 1 for k in range(1, count)]
    return score.model_copy(update={"parts": parts}), broken


def corrupt_audio(mix: np.ndarray, stems: dict[str, np.ndarray], sr: int, kind: Kind, grade: int,
                  rng: random.Random, lead_id: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Degrade a rendering after the fact: (mix, stems) -> new (mix, stems); inputs are left alone.

    Noise and clipping are mastering faults: they reach the mix only, the stems stay clean. A
    detuned part is one accompaniment stem (the lead when there is none) played ``cents`` sharp or
    flat by resampling, and the mix is rebuilt as the sum of the stems (mix == sum(stems) going in)."""
    if kind.level != "audio" or grade not in GRADES:
        raise ValueError(f"{kind.name} at grade {grade} is not an audio-level degradation")
    n = len(mix)
    if kind.name == "noise":
        signal_power = float(np.mean(mix**2)) + 1e-12
        noise = np.random.default_rng(rng.randrange(2**32)).standard_normal(n).astype(np.float32)
        noise *= np.sqrt(signal_power / 10 ** (_NOISE_SNR_DB[grade] / 10))
        return (mix + noise).astype(np.float32), dict(stems)
    if kind.name == "clipping":
        peak = float(np.max(np.abs(mix))) + 1e-9
        return np.clip(mix / peak * _CLIP_DRIVE[grade], -1.0, 1.0).astype(np.float32), dict(stems)
    if kind.name == "detuned_part":
        others = [k for k in stems if k != lead_id] or [lead_id]
        victim = rng.choice(others)
        cents = _DETUNE_CENTS[grade] * rng.choice((-1.0, 1.0))
        ratio = 2 ** (cents / 1200)  # played back faster by `ratio`: pitch up by `cents`
        base = 1000
        shifted = resample(stems[victim], int(round(base * ratio)), base)[:n]
        out = dict(stems)
        out[victim] = np.pad(shifted, (0, n - len(shifted))).astype(np.float32)
        return np.sum(np.stack(list(out.values())), axis=0).astype(np.float32), out
    raise ValueError(f"unknown degradation {kind.name}")
