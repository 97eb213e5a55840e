"""Constrained phrase generation with the shipped melody model.

The model proposes; a small grammar disposes. Decoding walks the token grammar of ``tokenizer.py``
and, at every step, masks the model's logits down to the tokens that keep the phrase legal:

- time: onsets on a sixteenth grid, at most one beat of rest (and rests discouraged by a logit
  penalty), no note crossing a bar line, so the phrase occupies exactly ``bars`` bars of the meter;
- pitch: only NOTE tokens of the requested voice inside ``low..high``; pitches outside the key/mode
  are discouraged (a logit penalty, not a ban) and come back marked ``chromatic``;
- harmony: the CHORD token of the chord under each onset is forced (the model never chooses it),
  so the melody is conditioned on the given progression beat by beat, and chord tones on the felt
  beats get a logit bonus so that the beats sit on the harmony;
- motif: an optional motif is forced at the start of the phrase and the model continues it.

The checkpoint in ``musicgrammar/weights/melody_model`` is loaded lazily, once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from musicgrammar.errors import ModelError, UserInputError
from musicgrammar.tools.melody_model.tokenizer import (
    DURATIONS,
    PITCH_HIGH,
    PITCH_LOW,
    QUALITY_INTERVALS,
    TICKS_PER_QUARTER,
    VOCAB,
    classify_chord,
)

if TYPE_CHECKING:
    import torch

    from musicgrammar.ontologies import ChordSymbol, Key, Meter, Note
    from musicgrammar.tools.melody_model.model import MelodyModel

__all__ = ["WEIGHTS_DIR", "load_default_model", "generate_phrase", "PhraseResult", "generate_phrase_tokens"]

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights" / "melody_model"
GRID = 3  # ticks: a sixteenth note
OUT_OF_KEY_PENALTY = 3.0  # logit penalty for pitches outside the key/mode
MAX_REST_BEATS = 1.0
REST_PENALTY = 1.5  # logit penalty for an onset that leaves a rest
# Chord-tone logit bonus on the felt beats and between them. 1.0 / 0.0 kept the interval statistics
# closest to the corpus in a sweep over (0, 1, 2) x (0, 0.5) while putting ~87% of beats on chord tones.
CHORD_TONE_BONUS_BEAT = 1.0
CHORD_TONE_BONUS_OFFBEAT = 0.0

_lock = threading.Lock()
_model: "MelodyModel | None" = None


def load_default_model() -> "MelodyModel":
    """The shipped checkpoint, loaded on first use and kept for the process."""
    global _model
    with _lock:
        if _model is None:
            import torch

            from musicgrammar.settings import get_settings
            from musicgrammar.tools.melody_model.model import MelodyModel

            torch.set_num_threads(get_settings().torch_threads)
            if not (WEIGHTS_DIR / "model.safetensors").exists():
                raise ModelError(f"melody model weights missing at {WEIGHTS_DIR}")
            try:
                _model = MelodyModel.load(WEIGHTS_DIR)
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelError(f"cannot load the melody model from {WEIGHTS_DIR}: {exc}") from exc
        return _model


@dataclass
class PhraseResult:
    """Generated notes in ticks from the phrase start, plus the tokens and their log-probabilities."""

    notes: list[tuple[int, int, int]]  # (start tick, duration ticks, MIDI pitch)
    tokens: list[int]
    logprob: float  # sum of the chosen tokens' log-probabilities under the constrained distribution
    sampled: int  # number of tokens the model chose (not forced)


def _beat_ticks(meter: "Meter") -> list[int]:
    """Onsets of the felt beats within a bar, in ticks."""
    return [round(b * TICKS_PER_QUARTER) for b in meter.beat_onsets]


def _chord_schedule(chords: Sequence["ChordSymbol"], meter: "Meter", bars: int) -> list[tuple[int, str]]:
    """One (root, quality token) per beat for ``bars`` bars; accepts one chord per beat or per bar."""
    n_beats = len(meter.beats)
    if len(chords) == bars * n_beats:
        per_beat = list(chords)
    elif len(chords) == bars:
        per_beat = [c for c in chords for _ in range(n_beats)]
    else:
        raise UserInputError(
            f"got {len(chords)} chords for {bars} bars of {meter}: give one per beat ({bars * n_beats}) or one per bar",
            field="chords",
        )
    return [(c.root_pc, classify_chord(c.root_pc, c.pitch_classes())) for c in per_beat]


def generate_phrase_tokens(
    model: "MelodyModel",
    *,
    tonic_pc: int,
    mode: str,
    key_pcs: frozenset[int],
    meter: "Meter",
    chords: list[tuple[int, str]] | None,
    bars: int,
    low: int,
    high: int,
    seed: int,
    voice: int = 0,
    motif: Sequence[tuple[int, int, int]] = (),
    temperature: float = 1.0,
    top_p: float = 0.95,
) -> PhraseResult:
    """The decoding loop on ticks and token ids (see the module docstring for the constraints)."""
    import torch

    v = VOCAB
    bar_ticks = round(meter.bar_quarters * TICKS_PER_QUARTER)
    beat_onsets = _beat_ticks(meter)
    max_rest = round(MAX_REST_BEATS * min(meter.beats) * TICKS_PER_QUARTER)
    gen = torch.Generator().manual_seed(seed)
    matrix = model.embed.matrix().detach()
    cache = model.new_cache(1)
    header = v.header(tonic_pc, mode, (meter.numerator, meter.denominator))
    tokens = header + [v.bar]
    logits = model.step(torch.tensor([tokens]), cache, matrix)[0, -1]  # (vocab,)

    # Static masks: legal pitches of the voice and the out-of-key penalty over the whole vocabulary.
    note_bias = torch.full((len(v),), float("-inf"))
    for pitch in range(max(low, PITCH_LOW), min(high, PITCH_HIGH) + 1):
        note_bias[v.note(voice, pitch)] = 0.0 if pitch % 12 in key_pcs else -OUT_OF_KEY_PENALTY
    logprob, sampled = 0.0, 0

    def choose(allowed: "torch.Tensor", forced: int | None = None) -> int:
        """Pick a token among ``allowed`` (a (vocab,) additive mask) or take ``forced``; feed it."""
        nonlocal logits, logprob, sampled
        scores = logits / temperature + allowed
        if forced is None:
            probs = torch.softmax(scores, dim=-1)
            sorted_p, order = probs.sort(descending=True)
            keep = sorted_p.cumsum(0) - sorted_p < top_p  # nucleus: smallest set with mass >= top_p
            sorted_p = sorted_p * keep
            tok = int(order[torch.multinomial(sorted_p / sorted_p.sum(), 1, generator=gen)])
            sampled += 1
            logprob += float(torch.log_softmax(scores, dim=-1)[tok])
        else:
            tok = forced
        tokens.append(tok)
        if cache.length + 1 >= model.cfg.max_len:
            # Context full (very long phrases): restart from the header and the last two bars.
            bar_idx = [i for i, x in enumerate(tokens) if x == v.bar]
            tail = tokens[bar_idx[-2] if len(bar_idx) > 1 else bar_idx[-1]:]
            context = header + tail[-(model.cfg.max_len // 2):]
            cache.length = 0
            logits = model.step(torch.tensor([context]), cache, matrix)[0, -1]
        else:
            logits = model.step(torch.tensor([[tok]]), cache, matrix)[0, -1]
        return tok

    def mask_of(ids: Sequence[int]) -> "torch.Tensor":
        m = torch.full((len(v),), float("-inf"))
        m[list(ids)] = 0.0
        return m

    bonus_cache: dict[tuple[tuple[int, str], bool], "torch.Tensor"] = {}

    def chord_bonus(chord: tuple[int, str], on_beat: bool) -> "torch.Tensor":
        """(vocab,) logit bonus for the chord's tones in the voice's NOTE block."""
        key_ = (chord, on_beat)
        if key_ not in bonus_cache:
            bonus = torch.zeros(len(v))
            tones = {(chord[0] + i) % 12 for i in QUALITY_INTERVALS[chord[1]]}
            for pitch in range(PITCH_LOW, PITCH_HIGH + 1):
                if pitch % 12 in tones:
                    bonus[v.note(voice, pitch)] = CHORD_TONE_BONUS_BEAT if on_beat else CHORD_TONE_BONUS_OFFBEAT
            bonus_cache[key_] = bonus
        return bonus_cache[key_]

    motif_by_tick = {s: (d, p) for s, d, p in motif}
    notes: list[tuple[int, int, int]] = []
    bar, t = 0, 0  # current bar and time within it (ticks)
    last_chord: tuple[int, str] | None = None
    while True:
        if t >= bar_ticks:
            if bar + 1 == bars:
                break
            choose(mask_of([v.bar]), v.bar)
            bar, t, last_chord = bar + 1, 0, None
            continue
        abs_t = bar * bar_ticks + t
        forced_note = motif_by_tick.get(abs_t)
        # 1) onset: now, or after a rest of at most one beat (never a rest at the phrase start).
        if forced_note is not None or abs_t == 0:
            onsets = [t]
        else:
            onsets = [p for p in range(t, min(bar_ticks, t + max_rest + 1), GRID)]
        onset_mask = mask_of([v.pos(p) for p in onsets])
        onset_mask[[v.pos(p) for p in onsets if p != t]] = -REST_PENALTY
        pos = v.pos_tick(choose(onset_mask, v.pos(t) if len(onsets) == 1 else None))
        abs_t = bar * bar_ticks + pos
        forced_note = motif_by_tick.get(abs_t)
        # 2) harmony under this onset, forced whenever it changes (and at the first onset of a bar).
        pitch_bias = note_bias
        if chords:
            beat = max(i for i, b in enumerate(beat_onsets) if b <= pos)
            chord = chords[bar * len(beat_onsets) + beat]
            if chord != last_chord:
                tok = v.chord(*chord)
                choose(mask_of([tok]), tok)
                last_chord = chord
            pitch_bias = note_bias + chord_bonus(chord, on_beat=pos in beat_onsets)
        # 3) pitch.
        if forced_note is not None:
            p = min(max(forced_note[1], PITCH_LOW), PITCH_HIGH)
            note_tok = choose(pitch_bias, v.note(voice, p))
        else:
            note_tok = choose(pitch_bias)
        pitch = v.note_voice_pitch(note_tok)[1]
        # 4) duration: on the grid, inside the bar (the bar line ends every note).
        room = bar_ticks - pos
        durs = [d for d in DURATIONS if d % GRID == 0 and d <= room]
        if forced_note is not None and forced_note[0] in durs:
            dur = v.dur_ticks(choose(mask_of([v.dur(forced_note[0])]), v.dur(forced_note[0])))
        else:
            dur = v.dur_ticks(choose(mask_of([v.dur(d) for d in durs])))
        notes.append((abs_t, dur, pitch))
        t = pos + dur
    return PhraseResult(notes=notes, tokens=tokens, logprob=logprob, sampled=sampled)


def _motif_ticks(motif: Sequence["Note"], total_ticks: int, low: int, high: int) -> list[tuple[int, int, int]]:
    """Motif notes -> (tick, duration, pitch) from the phrase start: on the grid, in range, monophonic."""
    if not motif:
        return []
    first = min(n.start for n in motif)
    out: list[tuple[int, int, int]] = []
    end = 0
    for n in sorted(motif, key=lambda n: n.start):
        start = round((n.start - first) * TICKS_PER_QUARTER / GRID) * GRID
        dur = max(GRID, round(n.duration * TICKS_PER_QUARTER / GRID) * GRID)
        if start < end or start + dur > total_ticks:
            continue  # overlapping or overflowing notes of the motif are left to the model
        pitch = n.pitch
        while pitch < low and pitch + 12 <= high:
            pitch += 12
        while pitch > high and pitch - 12 >= low:
            pitch -= 12
        out.append((start, dur, pitch))
        end = start + dur
    return out


def generate_phrase(
    key: "Key",
    meter: "Meter",
    chords: list["ChordSymbol"],
    bars: int,
    low: int,
    high: int,
    seed: int,
    motif: list["Note"] | None = None,
    start_quarter: float = 0.0,
    *,
    voice: int = 0,
    temperature: float = 1.0,
    model: "MelodyModel | None" = None,
) -> list["Note"]:
    """A melody of exactly ``bars`` bars over ``chords`` (one per beat, or one per bar).

    Notes lie in ``low..high``, start at ``start_quarter`` and fill the bar grid (rests of at most one
    beat); out-of-key notes are rare and flagged ``chromatic``. ``motif`` (any start; only relative
    times matter) opens the phrase and the model develops it. Same arguments and seed, same notes.
    """
    from musicgrammar.ontologies import Note

    if bars < 1:
        raise UserInputError(f"bars must be >= 1, got {bars}", field="bars")
    if not (PITCH_LOW <= low and high <= PITCH_HIGH and high - low >= 7):
        raise UserInputError(
            f"range {low}..{high} must lie in {PITCH_LOW}..{PITCH_HIGH} and span at least a fifth", field="low/high"
        )
    if round(meter.bar_quarters * TICKS_PER_QUARTER) > 8 * TICKS_PER_QUARTER:
        raise UserInputError(f"meter {meter} has bars longer than 8 quarters", field="meter")
    schedule = _chord_schedule(chords, meter, bars)
    model = model or load_default_model()
    bar_ticks = round(meter.bar_quarters * TICKS_PER_QUARTER)
    key_pcs = key.pitch_classes()
    result = generate_phrase_tokens(
        model, tonic_pc=key.tonic_pc, mode=key.mode.value, key_pcs=key_pcs, meter=meter, chords=schedule,
        bars=bars, low=low, high=high, seed=seed, voice=voice,
        motif=_motif_ticks(motif or [], bars * bar_ticks, low, high), temperature=temperature,
    )
    return [
        Note(pitch=p, start=start_quarter + s / TICKS_PER_QUARTER, duration=d / TICKS_PER_QUARTER,
             chromatic=p % 12 not in key_pcs)
        for s, d, p in result.notes
    ]

