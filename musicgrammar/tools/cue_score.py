"""A soundtrack's score after realization: each cue's local texture, the transitions at the cuts,
and the tempo map that puts every cue on its scene's clock.

The realizer writes one `Score` on a quarter-note line with one tempo; here each cue's notes are
shaped (register, density, the smoothed arousal curve on the velocities, an accent on the cut, a
pickup into the next cue) and the cue tempi become a tempo map: `performance_score` re-times the
notes in seconds (for rendering: 60 BPM, one quarter = one second) and `save_tempo_mapped_midi`
writes the musical score with one tempo change per cue.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from musicgrammar.ontologies import CompositionSpec, Meter, Note, Part, Role, Score, get_instrument
from musicgrammar.ontologies.soundtrack import CuePlan, Transition

__all__ = ["shape_cues", "performance_score", "save_tempo_mapped_midi", "quarters_to_seconds", "cue_bounds_quarters", "lead_in_ticks"]

_EPS = 1e-6


def cue_bounds_quarters(spec: CompositionSpec, plan: CuePlan) -> list[tuple[float, float]]:
    """(start, end) of every cue in quarter notes of the score."""
    out, q = [], 0.0
    for cue in plan.cues:
        out.append((q, q + cue.bars * spec.meter.bar_quarters))
        q = out[-1][1]
    return out


def quarters_to_seconds(spec: CompositionSpec, plan: CuePlan) -> Callable[[float], float]:
    """The tempo map as a function: a time in quarter notes -> seconds in the film."""
    bounds = cue_bounds_quarters(spec, plan)
    starts = np.array([a for a, _ in bounds])
    seconds = np.array([c.start_s for c in plan.cues])
    spq = np.array([60.0 / c.tempo_bpm for c in plan.cues])

    def convert(q: float) -> float:
        i = max(0, int(np.searchsorted(starts, q + _EPS, side="right")) - 1)
        return float(seconds[i] + (q - starts[i]) * spq[i])

    return convert


def shape_cues(score: Score, spec: CompositionSpec, plan: CuePlan, arousal_at: Callable[[float], float]) -> Score:
    """Each cue's register, density and dynamics shaping, and the transitions at its cut.

    `arousal_at(seconds)` is the smoothed V-A curve's arousal: within a cue, velocities follow it
    (a crescendo into an excited scene starts before the cut, as the smoothed curve does).
    """
    bounds = cue_bounds_quarters(spec, plan)
    to_s = quarters_to_seconds(spec, plan)
    meter = spec.meter
    parts = []
    for part in score.parts:
        inst = get_instrument(part.instrument)
        notes: list[Note] = []
        for cue, (a, b) in zip(plan.cues, bounds):
            chunk = [n for n in part.notes if a - _EPS <= n.start < b - _EPS]
            if part.role is Role.LEAD and cue.register_shift and chunk:
                shift = 12 * cue.register_shift
                if all(inst.low <= n.pitch + shift <= inst.high for n in chunk):
                    chunk = [n.model_copy(update={"pitch": n.pitch + shift}) for n in chunk]
            chunk = _density(chunk, part.role, cue.density, meter, b)
            chunk = [_shaped_velocity(n, a, cue.affect.arousal, arousal_at(to_s(n.start))) for n in chunk]
            notes.extend(chunk)
        parts.append(part.model_copy(update={"notes": notes}))
    shaped = score.model_copy(update={"parts": parts})
    return _transitions(shaped, spec, plan, bounds)


def _density(notes: list[Note], role: Role, density: float, meter: Meter, cue_end: float) -> list[Note]:
    """Thin or subdivide the accompaniment, in proportion: below 1, that share of the off-beat notes
    is dropped (0.5: all of them; what remains is held to the next onset); above 1, that share of
    the notes of a beat or longer repeats in half-beats (2: all of them). The lead is left alone.
    The choice runs through the notes with an accumulator, so it is deterministic and even."""
    if role is Role.LEAD or abs(density - 1.0) < _EPS or not notes:
        return notes
    bar = meter.bar_quarters
    if density < 1.0:
        share, credit, kept = min(1.0, (1.0 - density) / 0.5), 0.0, []
        for n in notes:
            on_beat = any(abs((n.start % bar) - o) < _EPS for o in meter.beat_onsets)
            if not on_beat:
                credit += share
                if credit >= 1.0 - _EPS:
                    credit -= 1.0
                    continue
            kept.append(n)
        if role is Role.PERCUSSION:
            return kept
        starts = sorted({n.start for n in kept})
        out = []
        for n in kept:
            later = [s for s in starts if s > n.start + _EPS]
            end = min(later[0] if later else cue_end, cue_end)
            out.append(n.model_copy(update={"duration": max(n.duration, end - n.start)}))
        return out
    if role is Role.PERCUSSION:
        return notes
    step = meter.unit_quarters / 2 if meter.is_compound else 0.5
    share, credit, out = min(1.0, density - 1.0), 0.0, []
    for n in notes:
        if n.duration >= 2 * step - _EPS:
            credit += share
            if credit >= 1.0 - _EPS:
                credit -= 1.0
                count = int(n.duration / step + _EPS)
                out += [n.model_copy(update={"start": n.start + k * step, "duration": step, "velocity": max(1, n.velocity - (6 if k % 2 else 0))})
                        for k in range(count)]  # fmt: skip
                continue
        out.append(n)
    return out


def _shaped_velocity(note: Note, cue_start: float, cue_arousal: float, arousal_now: float) -> Note:
    """Velocity follows the smoothed arousal around the cue's own level, and the cue's arousal between
    the six dynamic steps (the section's dynamic is the nearest step); the cut's downbeat is accented."""
    step = round((cue_arousal + 1.0) / 2.0 * 5)  # Dynamic.for_arousal's step
    between = cue_arousal - (step / 5 * 2.0 - 1.0)  # within +-0.2 of the step's own arousal
    scale = 1.0 + 0.35 * (arousal_now - cue_arousal) + 0.5 * between
    accent = 10 if abs(note.start - cue_start) < _EPS else 0
    return note.model_copy(update={"velocity": int(max(1, min(127, round(note.velocity * scale) + accent)))})


def _transitions(score: Score, spec: CompositionSpec, plan: CuePlan, bounds: list[tuple[float, float]]) -> Score:
    """A pickup before every PICKUP cut: the lead's last beat becomes two notes climbing by step to
    the next cue's first lead note, which lands on the cut."""
    lead = score.lead()
    if lead is None:
        return score
    notes = list(lead.notes)
    beat = spec.meter.beats[-1]
    for cue, nxt, (a, b) in zip(plan.cues, plan.cues[1:], bounds):
        if cue.transition is not Transition.PICKUP:
            continue
        target = next((n for n in notes if abs(n.start - b) < _EPS), None)
        if target is None or b - beat < a:
            continue
        pickup_start = b - beat
        kept = []
        for n in notes:
            if pickup_start - _EPS <= n.start < b - _EPS:
                continue  # the pickup replaces what the lead played on the cue's last beat
            if n.start < pickup_start - _EPS < n.end - _EPS and n.start >= a:
                n = n.model_copy(update={"duration": pickup_start - n.start})
            kept.append(n)
        scale = nxt.key.scale_pitches(target.pitch - 12, target.pitch - 1)
        inst = lead.spec
        steps = [p for p in scale[-2:] if inst.low <= p <= inst.high]
        half = beat / len(steps) if steps else beat
        pitches = cue.key.pitch_classes()
        pickups = [Note(pitch=p, start=pickup_start + k * half, duration=half, velocity=max(1, target.velocity - 8),
                        chromatic=(p % 12) not in pitches) for k, p in enumerate(steps)]  # fmt: skip
        notes = sorted(kept + pickups, key=lambda n: (n.start, n.pitch))
    parts = [p.model_copy(update={"notes": notes}) if p.id == lead.id else p for p in score.parts]
    return score.model_copy(update={"parts": parts})


def performance_score(score: Score, spec: CompositionSpec, plan: CuePlan) -> Score:
    """The same notes re-timed in seconds (60 BPM in 4/4: one quarter is one second) for rendering:
    every cue at its own tempo, starting at its cut."""
    to_s = quarters_to_seconds(spec, plan)
    parts = []
    for part in score.parts:
        notes = []
        for n in part.notes:
            start = to_s(n.start)
            end = to_s(n.end - _EPS) + _EPS
            notes.append(n.model_copy(update={"start": round(start, 6), "duration": max(0.01, round(end - start, 6))}))
        parts.append(part.model_copy(update={"notes": notes}))
    end_s = plan.cues[-1].end_s
    return Score(title=score.title, key=score.key, meter=Meter.parse("4/4"), tempo_bpm=60.0, bars=max(1, int(np.ceil(end_s / 4.0))), parts=parts)


def lead_in_ticks(plan: CuePlan, resolution: int) -> int:
    """MIDI ticks of silence before the first cue (a film whose first scene starts late), at the
    file's opening tempo of 120 BPM."""
    return int(round(plan.cues[0].start_s * 2 * resolution))


def save_tempo_mapped_midi(score: Score, spec: CompositionSpec, plan: CuePlan, path: str | Path) -> Path:
    """The score as MIDI with a tempo change at every cue (after the lead-in silence, if any)."""
    import mido

    from musicgrammar.fileio import atomic_write
    from musicgrammar.tools.io import save_midi

    target = Path(path)
    save_midi(score, target)  # one tempo; the tempo map replaces it below
    midi = mido.MidiFile(str(target))
    ticks = midi.ticks_per_beat
    lead_in = lead_in_ticks(plan, ticks)
    conductor: list[tuple[int, mido.MetaMessage]] = []
    t = 0
    for message in midi.tracks[0]:
        t += message.time
        if message.type != "set_tempo":
            conductor.append((t if t == 0 and message.type != "end_of_track" else t + lead_in, message))
    if lead_in:
        conductor.append((0, mido.MetaMessage("set_tempo", tempo=500_000)))
        for track in midi.tracks[1:]:
            if track:
                track[0] = track[0].copy(time=track[0].time + lead_in)
    for cue, (a, _) in zip(plan.cues, cue_bounds_quarters(spec, plan)):
        conductor.append((lead_in + int(round(a * ticks)), mido.MetaMessage("set_tempo", tempo=int(round(60_000_000 / cue.tempo_bpm)))))
    conductor.sort(key=lambda item: (item[0], item[1].type == "end_of_track", item[1].type != "set_tempo"))
    rebuilt, last = mido.MidiTrack(), 0
    for tick, message in conductor:
        rebuilt.append(message.copy(time=tick - last))
        last = tick
    midi.tracks[0] = rebuilt
    with atomic_write(target, suffix=".mid") as tmp:
        midi.save(str(tmp))
    return target
