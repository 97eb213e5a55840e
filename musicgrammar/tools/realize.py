"""Realization: a `CompositionSpec` -> a `Score`, part by part.

The melody comes from the spec's motifs (developed as the motif plan says), with chord tones on
the strong beats and phrases that breathe; the other roles get patterns chosen by meter, style and
tradition. A `MelodyStrategy` is the seam where a trained melody model can replace the rule-based
phrase filler (see `RuleMelody`); everything else reads the spec alone.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol

from musicgrammar.ontologies import (
    ChordEvent,
    ChordSymbol,
    CompositionSpec,
    DevelopmentTechnique,
    EnsembleMember,
    Key,
    Meter,
    Motif,
    Note,
    Part,
    Role,
    Score,
    Section,
    chord_at,
    chord_timeline,
    get_instrument,
    section_spans,
)
from musicgrammar.ontologies.knowledge import style
from musicgrammar.tools.four_part import VOICES, voice_four_parts

__all__ = ["MelodyStrategy", "RuleMelody", "ModelMelody", "realize", "realize_design"]

_EPS = 1e-6


def _fold(pitch: int, low: int, high: int) -> int:
    """Move a pitch by octaves into [low, high]."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return max(low, min(high, pitch))


def _nearest_in(pitch: int, pcs: frozenset[int] | set[int], low: int, high: int) -> int:
    """The pitch in [low, high] of one of `pcs` nearest to `pitch` (ties go up)."""
    best, best_d = _fold(pitch, low, high), 99
    for candidate in range(max(0, low), min(127, high) + 1):
        if candidate % 12 in pcs:
            d = abs(candidate - pitch)
            if d < best_d:
                best, best_d = candidate, d
    return best


class MelodyStrategy(Protocol):
    """Fills the bars of a melody that no motif covers. The seam for a trained melody model."""

    def phrase(
        self, key: Key, meter: Meter, slots: Sequence[ChordEvent], start: float, end: float, low: int, high: int,
        previous: int, rhythm: Sequence[float], rng: random.Random,
    ) -> list[Note]: ...  # fmt: skip


class RuleMelody:
    """Stepwise melody with chord tones on strong beats, in the rhythm of the piece's motifs."""

    def phrase(
        self, key: Key, meter: Meter, slots: Sequence[ChordEvent], start: float, end: float, low: int, high: int,
        previous: int, rhythm: Sequence[float], rng: random.Random,
    ) -> list[Note]:  # fmt: skip
        scale = key.scale_pitches(low, high)
        notes: list[Note] = []
        t, pitch, i = start, previous, 0
        direction = rng.choice([-1, 1])
        while t < end - _EPS:
            length = min(rhythm[i % len(rhythm)], end - t)
            i += 1
            strong = meter.beat_strength(t % meter.bar_quarters) <= 1
            slot = chord_at(slots, t)
            if rng.random() < 0.25:
                direction = -direction
            if pitch >= high - 3:
                direction = -1
            elif pitch <= low + 3:
                direction = 1
            step = direction * rng.choice([1, 1, 1, 2, 2, 3])
            idx = min(range(len(scale)), key=lambda k: abs(scale[k] - pitch)) if scale else 0
            target = scale[max(0, min(len(scale) - 1, idx + step))] if scale else pitch
            if strong:
                target = _nearest_in(target, slot.chord.pitch_classes() & key.pitch_classes() or slot.chord.pitch_classes(), low, high)
            notes.append(Note(pitch=target, start=t, duration=length))
            pitch, t = target, t + length
        return notes


def realize(spec: CompositionSpec, seed: int = 0, melody: MelodyStrategy | None = None) -> Score:
    """The notes of every ensemble member, for the whole spec, on its planned chords. Deterministic
    for a given seed."""
    return _realize(spec, seed, melody, None)


def realize_design(spec: CompositionSpec, seed: int = 0, melody: MelodyStrategy | None = None) -> tuple[CompositionSpec, Score]:
    """The spec as voiced and its notes. Four-part (SATB) pieces are written melody-first: the
    soprano realized on the planned chords, then the trained harmonizer's chords for that soprano
    written into the spec (`tools.satb_harmony`) and every other part realized on them. Other
    pieces come back with their spec unchanged. Deterministic for a given seed."""
    if not _is_four_part(spec):
        return spec, _realize(spec, seed, melody, None)
    from musicgrammar.tools.satb_harmony import harmonize_soprano

    first = _realize(spec, seed, melody, None, voice_lower=False)
    soprano = next(p.notes for p in first.parts if p.instrument == "soprano")
    harmonized = harmonize_soprano(spec, soprano, seed)
    return harmonized, _realize(harmonized, seed, melody, soprano)


def _realize(spec: CompositionSpec, seed: int, melody: MelodyStrategy | None, soprano: list[Note] | None,
             voice_lower: bool = True) -> Score:  # fmt: skip
    """`realize`, with the soprano's notes given (`soprano`) when the chords were chosen for them."""
    rng = random.Random(seed * 7919 + 17)
    slots = chord_timeline(spec)
    if not slots:
        tonic = ChordSymbol(root=spec.key.tonic)
        slots = [ChordEvent(0.0, spec.bars * spec.meter.bar_quarters, tonic, 0, 0, 0, spec.key, tonic.pitch_classes())]
    melody = melody or RuleMelody()
    parts: list[Part] = []
    lead_notes: list[Note] = []
    for member in spec.ensemble:
        active = _active_windows(spec, member)
        if member.role is Role.LEAD:
            notes = _lead(spec, member, slots, melody, rng)
            notes = _assign_lyrics(spec, notes) if spec.lyrics and spec.lyrics.lines else notes
            lead_notes = notes
        elif member.role is Role.COUNTER_MELODY:
            notes = _counter(spec, member, slots, lead_notes, rng)
        elif member.role is Role.BASS:
            notes = _bass(spec, member, slots, rng)
        elif member.role is Role.PERCUSSION:
            notes = _percussion(spec, member, rng)
        else:
            notes = _harmony(spec, member, slots, rng)
        notes = [n for n in notes if any(a <= n.start < b for a, b in active)]
        notes = _dynamics(spec, notes, member, rng)
        if soprano is not None and member.instrument == "soprano":
            notes = list(soprano)  # the line the chords were chosen for (rng draws above kept the same)
        parts.append(Part(id=member.id, instrument=member.instrument, role=member.role, notes=notes))
    if voice_lower and _is_four_part(spec):
        parts = _four_part_texture(spec, parts, slots, rng)
    return Score(title=spec.title, key=spec.key, meter=spec.meter, tempo_bpm=spec.tempo.bpm, bars=spec.bars, parts=parts)


def _is_four_part(spec: CompositionSpec) -> bool:
    """An SATB ensemble: soprano leads, alto, tenor and bass voices below it."""
    by_instrument = {m.instrument: m for m in spec.ensemble}
    return all(v in by_instrument for v in VOICES) and by_instrument["soprano"].role is Role.LEAD


def _four_part_texture(spec: CompositionSpec, parts: list[Part], slots: list[ChordEvent], rng: random.Random) -> list[Part]:
    """Alto, tenor and bass voiced under the soprano by the four-part rules (tools.four_part)."""
    soprano = next(p for p in parts if p.instrument == "soprano")
    lower = voice_four_parts(soprano.notes, slots, spec.meter, spec.key, spec.bars * spec.meter.bar_quarters)
    written = dict(zip(VOICES[1:], lower))
    members = {m.id: m for m in spec.ensemble}
    out = []
    for part in parts:
        if part.instrument in written and part.id in members:
            member = members[part.id]
            active = _active_windows(spec, member)
            notes = [_mark(n, chord_at(slots, n.start).key) for n in written[part.instrument] if any(a <= n.start < b for a, b in active)]
            part = part.model_copy(update={"notes": _dynamics(spec, notes, member, rng)})
        out.append(part)
    return out


def _active_windows(spec: CompositionSpec, member: EnsembleMember) -> list[tuple[float, float]]:
    bar_len = spec.meter.bar_quarters
    windows, bar = [], 0
    for section in spec.sections:
        if not section.parts or member.id in section.parts:
            windows.append((bar * bar_len, (bar + section.bars) * bar_len))
        bar += section.bars
    return windows


def _mark(note: Note, key: Key) -> Note:
    """Mark a note outside the key as a deliberate chromatic tone (a borrowed chord tone)."""
    return note if note.pitch % 12 in key.pitch_classes() else note.model_copy(update={"chromatic": True})


# ---------------------------------------------------------------------------------------------
# Lead
def _lead(spec: CompositionSpec, member: EnsembleMember, slots: list[ChordEvent], melody: MelodyStrategy, rng: random.Random) -> list[Note]:
    inst = get_instrument(member.instrument)
    # a comfortable tessitura: the middle of the range, an octave and a half wide
    center = (inst.low + inst.high) // 2
    low, high = max(inst.low, center - 10), min(inst.high, center + 10)
    motifs = {m.id: m for m in spec.motifs}
    bar_len = spec.meter.bar_quarters
    notes: list[Note] = []
    previous = _nearest_in(center, {spec.key.tonic_pc}, low, high)
    rhythm = list(spec.motifs[0].rhythm) if spec.motifs else list(spec.meter.beats)
    for s_index, span in enumerate(section_spans(spec)):
        section, start, end = span.section, span.start, span.end
        key = section.key or spec.key
        uses = sorted((u for u in spec.motif_plan if u.section == section.id and u.part in (None, member.id)), key=lambda u: u.bar)
        placed: list[tuple[float, float, list[Note]]] = []
        for use in uses:
            motif = motifs.get(use.motif)
            if motif is None:
                continue
            developed = motif.develop(use.technique, amount=rng.choice([1, 2, -1])) if use.technique is not DevelopmentTechnique.REPEAT else motif
            m_start = start + (use.bar - 1) * bar_len
            m_notes = _motif_notes(developed, key, slots, m_start, min(end, m_start + developed.length_quarters), low, high, previous, spec.meter)
            if m_notes and all(not (a < m_notes[-1].end - _EPS and m_start < b - _EPS) for a, b, _ in placed):
                placed.append((m_start, m_notes[-1].end, m_notes))
        t = start
        for m_start, m_end, m_notes in sorted(placed, key=lambda x: x[0]):
            if m_start > t + _EPS:
                notes.extend(melody.phrase(key, spec.meter, slots, t, m_start, low, high, previous, rhythm, rng))
                previous = notes[-1].pitch if notes else previous
            notes.extend(m_notes)
            previous, t = m_notes[-1].pitch, m_end
        if t < end - _EPS:
            notes.extend(melody.phrase(key, spec.meter, slots, t, end, low, high, previous, rhythm, rng))
        notes = _breathe(notes, section, start, end, bar_len, slots, key, low, high, final=s_index == len(spec.sections) - 1)
        previous = notes[-1].pitch if notes else previous
    return [_mark(n, chord_at(slots, n.start).key) for n in notes]


def _motif_notes(motif: Motif, key: Key, slots: list[ChordEvent], start: float, end: float, low: int, high: int, previous: int, meter: Meter) -> list[Note]:
    """The motif's scale steps from a chord tone near the previous note, kept whole (same intervals
    wherever it returns), shifted by octaves only as a block so its shape survives the range."""
    scale = key.scale_pitches(max(0, low - 24), min(127, high + 24))
    if not scale:
        return []
    # where each note falls, and the chord under each strong-beat note
    onsets, t = [], start
    for length in motif.rhythm:
        onsets.append(t)
        t += length
    strong = [(k, chord_at(slots, o).chord.pitch_classes()) for k, o in enumerate(onsets)
              if o < end - _EPS and meter.beat_strength(o % meter.bar_quarters) <= 1]  # fmt: skip

    def fits(base: int) -> bool:
        return all(0 <= base + s < len(scale) and low <= scale[base + s] <= high for s in motif.steps)

    def chord_hits(base: int) -> int:
        return sum(scale[base + motif.steps[k]] % 12 in pcs for k, pcs in strong if 0 <= base + motif.steps[k] < len(scale))

    # the whole motif moves as one block to the scale position whose strong beats land on chord tones
    # most often; the motif's own starting degree and closeness to the previous note break ties
    degree_pc = key.degree_pc(motif.start_degree)
    candidates = [i for i in range(len(scale)) if fits(i)] or [min(range(len(scale)), key=lambda i: abs(scale[i] - previous))]
    base = max(candidates, key=lambda i: (chord_hits(i), scale[i] % 12 == degree_pc, -abs(scale[i] - previous)))
    notes, t = [], start
    for step, length in zip(motif.steps, motif.rhythm):
        if t >= end - _EPS:
            break
        pitch = scale[max(0, min(len(scale) - 1, base + step))]
        notes.append(Note(pitch=_fold(pitch, low, high), start=t, duration=min(length, end - t)))
        t += length
    return notes


def _breathe(notes: list[Note], section: Section, start: float, end: float, bar_len: float, slots, key: Key, low: int, high: int, final: bool) -> list[Note]:  # type: ignore[no-untyped-def]
    """End each phrase on a held chord tone (the tonic at the end of the piece)."""
    phrase_len = section.phrase_bars * bar_len
    out: list[Note] = []
    cut_points = sorted({start + k * phrase_len for k in range(1, section.bars // section.phrase_bars + 1)} | {end})
    for note in notes:
        if not start - _EPS <= note.start < end:
            out.append(note)
            continue
        # the note that starts in the last beat-group of a phrase becomes its long closing note
        closing = next((c for c in cut_points if c - bar_len / 2 - _EPS <= note.start < c), None)
        if closing is not None:
            if out and out[-1].end > note.start and out[-1].start >= closing - bar_len:
                continue
            slot = chord_at(slots, note.start)
            pcs = {key.tonic_pc} if final and closing >= end - _EPS else slot.chord.pitch_classes() & key.pitch_classes() or slot.chord.pitch_classes()
            pitch = _nearest_in(note.pitch, pcs, low, high)
            out.append(note.model_copy(update={"pitch": pitch, "duration": closing - note.start}))
            continue
        if out and out[-1].end > note.start + _EPS:
            continue
        out.append(note)
    return out


def _assign_lyrics(spec: CompositionSpec, notes: list[Note]) -> list[Note]:
    """Put each section's syllables on its melody notes, splitting long notes when the words need more."""
    assert spec.lyrics is not None  # guarded by the caller
    out: list[Note] = []
    for span in section_spans(spec):
        section, start, end = span.section, span.start, span.end
        syllables = spec.lyrics.syllables_for(section.id)
        inside = [n for n in notes if start - _EPS <= n.start < end]
        while len(inside) < len(syllables):
            longest = max(range(len(inside)), key=lambda k: inside[k].duration, default=None)
            if longest is None or inside[longest].duration < 0.5:
                break
            n = inside[longest]
            half = n.duration / 2
            inside[longest : longest + 1] = [n.model_copy(update={"duration": half}), n.model_copy(update={"start": n.start + half, "duration": half})]
        out.extend(n.model_copy(update={"lyric": syllables[k]}) if k < len(syllables) else n for k, n in enumerate(inside))
    out.extend(n for n in notes if n.start >= spec.bars * spec.meter.bar_quarters)
    return sorted(out, key=lambda n: n.start)


# ---------------------------------------------------------------------------------------------
# Counter-melody, harmony, bass
def _counter(spec: CompositionSpec, member: EnsembleMember, slots: list[ChordEvent], lead: list[Note], rng: random.Random) -> list[Note]:
    """Longer notes under the lead: chord tones a third or sixth away, moving by step where it can."""
    inst = get_instrument(member.instrument)
    low, high = inst.low + 3, min(inst.high, inst.low + 24)
    beat_groups = spec.meter.beats
    notes: list[Note] = []
    previous = (low + high) // 2
    bar_len = spec.meter.bar_quarters
    for bar in range(spec.bars):
        t = bar * bar_len
        # half a bar or a whole felt beat group per note
        lengths = [sum(beat_groups[: len(beat_groups) // 2])] + [sum(beat_groups[len(beat_groups) // 2 :])] if len(beat_groups) > 1 and rng.random() < 0.7 else [bar_len]
        for length in lengths:
            if length <= 0:
                continue
            slot = chord_at(slots, t)
            above = [n for n in lead if n.start <= t < n.end]
            pcs = set(slot.chord.pitch_classes())
            if above:
                pcs -= {above[0].pitch % 12}  # no doubling of the melody note
            pitch = _nearest_in(previous + rng.choice([-2, -1, 1, 2]), pcs or slot.chord.pitch_classes(), low, high)
            if above and pitch >= above[0].pitch:
                pitch = _nearest_in(pitch - 5, pcs or slot.chord.pitch_classes(), low, min(high, above[0].pitch - 3))
            notes.append(_mark(Note(pitch=pitch, start=t, duration=length), slot.key))
            previous, t = pitch, t + length
    return notes


def _voicing(chord: ChordSymbol, previous: list[int], low: int, high: int) -> list[int]:
    """Three or four chord tones near the previous voicing (smooth voice leading)."""
    center = sum(previous) / len(previous) if previous else (low + high) / 2
    pcs = sorted(chord.pitch_classes(), key=lambda pc: (pc - chord.root_pc) % 12)[:4]
    voiced = sorted(_nearest_in(int(center) + (k - 1) * 4, {pc}, low, high) for k, pc in enumerate(pcs))
    return sorted(set(voiced))


def _harmony(spec: CompositionSpec, member: EnsembleMember, slots: list[ChordEvent], rng: random.Random) -> list[Note]:
    inst = get_instrument(member.instrument)
    # the accompaniment stays under the melody: its top is a few semitones above the lead's lowest notes
    # (under a low lead the chords still keep out of the muddy bass register: not below C3)
    ceiling = min(inst.high, 76, max(_lead_floor(spec) + 4, 62))
    low, high = max(inst.low, 48), ceiling
    if high - low < 12:
        low, high = max(inst.low, high - 14), max(high, min(inst.high, inst.low + 14))
    meter = spec.meter
    pattern = _accompaniment_style(spec, inst.family.value, rng)
    notes: list[Note] = []
    previous: list[int] = []
    single_line = not inst.polyphonic  # a flute or a voice in the harmony role sings one inner line
    for slot in slots:
        voicing = _voicing(slot.chord, previous, low, high)
        if single_line:
            # the chord's third (or fifth) nearest the line's last note: the colour tone, never the bass
            colour = [p for p in voicing if (p - slot.chord.root_pc) % 12 in (3, 4, 7)] or voicing
            voicing = [min(colour, key=lambda p: abs(p - (previous[0] if previous else (low + high) // 2)))]
        previous = voicing
        if pattern == "block":
            notes.extend(Note(pitch=p, start=slot.onset, duration=slot.duration) for p in voicing)
            continue
        t = slot.onset
        beat_onsets = [slot.onset - slot.onset % meter.bar_quarters + o for o in meter.beat_onsets]
        if pattern == "arpeggio":
            step = meter.unit_quarters if meter.is_compound else 0.5
            k = 0
            while t < slot.end - _EPS:
                order = voicing + voicing[-2:0:-1] if len(voicing) > 2 else voicing
                notes.append(Note(pitch=order[k % len(order)], start=t, duration=min(step, slot.end - t)))
                t, k = t + step, k + 1
        else:  # 'afterbeat': chords on the weak beats (waltz oom-pah-pah, march, comping)
            for onset, length in zip(beat_onsets, meter.beats):
                if slot.onset - _EPS <= onset < slot.end - _EPS and onset % meter.bar_quarters > _EPS:
                    notes.extend(Note(pitch=p, start=onset, duration=min(length * 0.9, slot.end - onset)) for p in voicing)
            if len(meter.beats) == 1:
                notes.extend(Note(pitch=p, start=slot.onset, duration=slot.duration) for p in voicing)
    return [_mark(n, chord_at(slots, n.start).key) for n in notes]


def _lead_floor(spec: CompositionSpec) -> int:
    """The bottom of the lead's tessitura (see `_lead`), or 72 when there is no pitched lead."""
    for member in spec.ensemble:
        if member.role is Role.LEAD:
            inst = get_instrument(member.instrument)
            if not inst.is_percussion:
                return max(inst.low, (inst.low + inst.high) // 2 - 10)
    return 72


def _accompaniment_style(spec: CompositionSpec, family: str, rng: random.Random) -> str:
    named = style(spec.style)
    pattern = named.accompaniment if named is not None else None
    if pattern == "arpeggio":
        return "arpeggio"
    if pattern == "block" or family in ("organ", "synth_pad", "ensemble", "strings"):
        return "block"
    if pattern == "afterbeat" or (len(spec.meter.beats) in (2, 3) and not spec.meter.is_compound and rng.random() < 0.5):
        return "afterbeat"
    if family in ("guitar", "ethnic", "chromatic_percussion") or spec.meter.is_compound:
        return "arpeggio"
    return rng.choice(["arpeggio", "block", "afterbeat"])


def _bass(spec: CompositionSpec, member: EnsembleMember, slots: list[ChordEvent], rng: random.Random) -> list[Note]:
    """Chord roots (or slash basses) on chord onsets, the fifth on the other strong beats."""
    inst = get_instrument(member.instrument)
    low, high = inst.low, min(inst.high, inst.low + 19)
    meter = spec.meter
    notes: list[Note] = []
    previous = low + 7
    busy = len(meter.beats) >= 2 and rng.random() < 0.6
    for slot in slots:
        root = _nearest_in(previous, {slot.chord.bass_pc}, low, high)
        onsets = [slot.onset]
        if busy:
            onsets += [slot.onset - slot.onset % meter.bar_quarters + o for o in meter.beat_onsets[1:]]
            onsets = sorted({o for o in onsets if slot.onset - _EPS <= o < slot.end - _EPS})
        for k, onset in enumerate(onsets):
            nxt = onsets[k + 1] if k + 1 < len(onsets) else slot.end
            if k == 0:
                pitch = root
            else:
                fifth = (slot.chord.root_pc + 7) % 12
                pitch = _nearest_in(root, {fifth} if fifth in slot.chord.pitch_classes() else {slot.chord.root_pc}, low, high)
            notes.append(_mark(Note(pitch=pitch, start=onset, duration=nxt - onset), slot.key))
        previous = root
    return notes


# ---------------------------------------------------------------------------------------------
# Percussion
def _percussion(spec: CompositionSpec, member: EnsembleMember, rng: random.Random) -> list[Note]:
    inst = get_instrument(member.instrument)
    meter = spec.meter
    bar_len = meter.bar_quarters
    drum = inst.drum_map
    hits: list[tuple[float, int, int]] = []  # (offset in bar, key, velocity)
    timeline = None
    if spec.tradition:
        from musicgrammar.ontologies import get_tradition

        timelines = [t for t in get_tradition(spec.tradition).timelines if abs(t.meter.bar_quarters - bar_len) < _EPS]
        timeline = timelines[0] if timelines else None
    onsets = meter.beat_onsets
    if inst.id == "drum_kit":
        sub = meter.unit_quarters if meter.is_compound else 0.5
        hits += [(k * sub, drum["closed_hat"], 60) for k in range(int(round(bar_len / sub)))]
        hits.append((0.0, drum["kick"], 100))
        if len(onsets) >= 4:
            hits += [(onsets[2], drum["kick"], 90), (onsets[1], drum["snare"], 92), (onsets[3], drum["snare"], 92)]
        elif len(onsets) == 3 and not meter.is_compound:
            hits += [(onsets[1], drum["snare"], 70), (onsets[2], drum["snare"], 70)]
        elif len(onsets) >= 2:
            hits += [(onsets[-1], drum["snare"], 90)] + [(o, drum["kick"], 80) for o in onsets[1:-1]]
    elif timeline is not None and inst.id in ("dunun", "tinde", "shekere", "tama"):
        stroke = next(iter(drum.values()))
        bell = drum.get("bell", stroke)
        hits += [(o, bell, 84) for o in timeline.onsets()]
        hits += [(o, drum.get("dundunba", stroke), 96) for o in onsets]
    else:
        strokes = list(drum.values())
        low_stroke, high_stroke = strokes[0], strokes[-1]
        sub = meter.unit_quarters if meter.is_compound else 0.5
        for k in range(int(round(bar_len / sub))):
            offset = k * sub
            on_beat = any(abs(offset - o) < _EPS for o in onsets)
            if on_beat:
                hits.append((offset, low_stroke, 96 if offset < _EPS else 84))
            elif rng.random() < 0.6:
                hits.append((offset, high_stroke, 64))
    notes = []
    for bar in range(spec.bars):
        fill = bar % 4 == 3 and rng.random() < 0.5  # a small fill leading into the next phrase
        for offset, key, velocity in hits:
            notes.append(Note(pitch=key, start=bar * bar_len + offset, duration=min(0.25, bar_len - offset), velocity=velocity))
        if fill and len(drum) > 1:
            keys = list(drum.values())
            notes.append(Note(pitch=keys[min(1, len(keys) - 1)], start=bar * bar_len + bar_len - 0.25, duration=0.25, velocity=90))
    return sorted(notes, key=lambda n: (n.start, n.pitch))


# ---------------------------------------------------------------------------------------------
def _dynamics(spec: CompositionSpec, notes: list[Note], member: EnsembleMember, rng: random.Random) -> list[Note]:
    """Velocities from each section's dynamic, accents on downbeats, a little humanity."""
    out = []
    bounds = section_spans(spec)
    bar_len = spec.meter.bar_quarters
    for note in notes:
        section = next((s.section for s in bounds if s.start - _EPS <= note.start < s.end), bounds[-1].section)
        base = section.dynamic.velocity
        if member.role is Role.PERCUSSION:
            base = int(base * note.velocity / 90)
        elif member.role in (Role.HARMONY, Role.PAD):
            base -= 10
        accent = 8 if abs(note.start % bar_len) < _EPS else 0
        velocity = max(1, min(127, base + accent + rng.randint(-4, 4)))
        out.append(note.model_copy(update={"velocity": velocity}))
    return out


class ModelMelody:
    """Phrases from the project's trained melody model (tools.melody_model), under the chords of the
    slots, in the key and range, filling whole bars; a span that is not whole bars falls back to
    the rule-based filler. The default of the design graph: it measured better than `RuleMelody` on
    likelihood, corpus statistics, CTnCTR, PCS and motif recurrence (benchmarks/RESULTS.md)."""

    def __init__(self, temperature: float = 0.9) -> None:
        self.temperature = temperature
        self.rules = RuleMelody()

    def phrase(
        self, key: Key, meter: Meter, slots: Sequence[ChordEvent], start: float, end: float, low: int, high: int,
        previous: int, rhythm: Sequence[float], rng: random.Random,
    ) -> list[Note]:  # fmt: skip
        from musicgrammar.errors import ModelError
        from musicgrammar.tools.melody_model.generate import generate_phrase

        bar_len = meter.bar_quarters
        bars = (end - start) / bar_len
        if abs(bars - round(bars)) > _EPS or round(bars) < 1 or abs((start / bar_len) - round(start / bar_len)) > _EPS:
            return self.rules.phrase(key, meter, slots, start, end, low, high, previous, rhythm, rng)
        beats = [start + b * bar_len + o for b in range(int(round(bars))) for o in meter.beat_onsets]
        chords = [chord_at(slots, t).chord for t in beats]
        seed = rng.randrange(1 << 30)
        try:
            notes = generate_phrase(key, meter, chords, int(round(bars)), low, high, seed=seed, start_quarter=start, temperature=self.temperature)
        except ModelError:  # weights missing or unreadable: the rules still make music
            return self.rules.phrase(key, meter, slots, start, end, low, high, previous, rhythm, rng)
        return [n for n in notes if start - _EPS <= n.start < end - _EPS]
