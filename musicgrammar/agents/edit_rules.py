"""The musical edits a chat turn can ask for, computed on the current design as typed `Edit`s.

Each builder returns the edits (with their reasons) or raises `EditError` saying why the request
cannot apply to this piece; nothing here changes the design itself (see `ontologies.edit`).
"""

from __future__ import annotations

from musicgrammar.agents.planning import diatonic_chord
from musicgrammar.ontologies import (
    Cadence,
    ChordQuality,
    ChordSymbol,
    CompositionSpec,
    Dynamic,
    Key,
    Mode,
    Mood,
    Role,
    Score,
    Section,
    get_instrument,
    parse_bar,
)
from musicgrammar.ontologies.edit import Edit, EditError, EditOperation
from musicgrammar.ontologies.harmony import ChordSpan

__all__ = [
    "change_key", "scale_tempo", "set_tempo", "lead_to", "add_instrument", "remove_instruments", "section_dynamic",
    "section_mood", "add_bars", "drop_section", "reharmonize_bar", "simplify_chords", "find_section", "set_lyrics",
]  # fmt: skip

_SET, _INSERT, _REMOVE = EditOperation.SET, EditOperation.INSERT, EditOperation.REMOVE
# Modes whose own fifth degree makes a dominant (V-I closes them with an authentic cadence).
_AUTHENTIC_MODES = {Mode.MAJOR, Mode.IONIAN, Mode.MINOR, Mode.AEOLIAN, Mode.HARMONIC_MINOR, Mode.MELODIC_MINOR}
_SIMPLER = {
    ChordQuality.DOMINANT7: ChordQuality.MAJOR, ChordQuality.MAJOR7: ChordQuality.MAJOR, ChordQuality.SIXTH: ChordQuality.MAJOR,
    ChordQuality.ADD9: ChordQuality.MAJOR, ChordQuality.DOMINANT9: ChordQuality.MAJOR, ChordQuality.MAJOR9: ChordQuality.MAJOR,
    ChordQuality.SEVEN_SUS4: ChordQuality.SUS4, ChordQuality.MINOR7: ChordQuality.MINOR, ChordQuality.MINOR6: ChordQuality.MINOR,
    ChordQuality.MINOR_ADD9: ChordQuality.MINOR, ChordQuality.MINOR9: ChordQuality.MINOR, ChordQuality.MINOR_MAJOR7: ChordQuality.MINOR,
    ChordQuality.HALF_DIMINISHED7: ChordQuality.DIMINISHED, ChordQuality.DIMINISHED7: ChordQuality.DIMINISHED,
}  # fmt: skip


def _spell(chord: ChordSymbol, key: Key) -> str:
    """A chord written back as text, spelled for the key (C#m7 in A major, Dbmaj7 in Ab)."""
    bass = chord.bass_pc if chord.bass else None
    return ChordSymbol.from_pitch_classes(chord.root_pc, chord.quality, bass_pc=bass, prefer_flats=key.prefers_flats).symbol


def _bar_text(spans: list[ChordSpan], key: Key) -> str:
    return " ".join(_spell(s.chord, key) + (f":{s.beats:g}" if s.beats is not None else "") for s in spans)


def _degree(chord: ChordSymbol, key: Key) -> int | None:
    """1-based scale degree of a chord's root in the key, None when the root is outside the scale."""
    steps = key.mode.intervals
    offset = (chord.root_pc - key.tonic_pc) % 12
    return steps.index(offset) + 1 if offset in steps else None


def _map_chord(chord: ChordSymbol, old: Key, new: Key) -> ChordSymbol:
    """The chord in the new key: transposed when the mode stays, rebuilt on its degree when it changes."""
    shift = (new.tonic_pc - old.tonic_pc) % 12
    degree = _degree(chord, old)
    if old.mode is new.mode or degree is None or len(new.mode.intervals) < 7 or len(old.mode.intervals) < 7:
        bass = (chord.bass_pc + shift) % 12 if chord.bass else None
        return ChordSymbol.from_pitch_classes((chord.root_pc + shift) % 12, chord.quality, bass_pc=bass)
    dominant = degree == 5 and chord.quality in (ChordQuality.MAJOR, ChordQuality.DOMINANT7)
    triad = diatonic_chord(new, degree, dominant_major=dominant)
    if chord.quality is ChordQuality.DOMINANT7 and triad.quality is ChordQuality.MAJOR:
        return triad.model_copy(update={"quality": ChordQuality.DOMINANT7})
    return triad


def _remap_section(section: Section, old: Key, new: Key, index: int, why: str) -> list[Edit]:
    progression = [_bar_text([s.model_copy(update={"chord": _map_chord(s.chord, old, new)}) for s in parse_bar(bar)], new)
                   for bar in section.progression]  # fmt: skip
    return [Edit(op=_SET, path=f"sections[{index}].progression", value=progression, reason=why)]


def change_key(spec: CompositionSpec, new: Key) -> list[Edit]:
    """The piece in a new key and/or mode: the key, every section's chords and local keys."""
    old = spec.key
    if new == old:
        raise EditError(f"the piece is already in {old}", field="key")
    why = f"{old} -> {new}"
    edits = [Edit(op=_SET, path="key", value=new.model_dump(mode="json"), reason=why)]
    shift = (new.tonic_pc - old.tonic_pc) % 12
    for index, section in enumerate(spec.sections):
        local_old = section.key or old
        if section.key is None:
            local_new = new
        else:  # a modulating section moves by the same interval; it takes the new mode when it shared the old one
            mode = new.mode if section.key.mode is old.mode else section.key.mode
            local_new = Key(tonic=new.spell((section.key.tonic_pc + shift) % 12), mode=mode)
            edits.append(Edit(op=_SET, path=f"sections[{index}].key", value=local_new.model_dump(mode="json"), reason=why))
        edits += _remap_section(section, local_old, local_new, index, why)
    return edits


def _tempo_edits(spec: CompositionSpec, bpm: float, why: str) -> list[Edit]:
    from musicgrammar.ontologies.rhythm import MAX_BPM, MIN_BPM

    if not MIN_BPM <= bpm <= MAX_BPM:
        raise EditError(f"{bpm:g} BPM is outside {MIN_BPM:g}-{MAX_BPM:g}", field="tempo")
    bpm = round(bpm, 1)
    if abs(bpm - spec.tempo.bpm) < 0.05:
        raise EditError(f"the piece is already at {bpm:g} BPM", field="tempo")
    edits = [Edit(op=_SET, path="tempo", value={"bpm": bpm}, reason=why)]
    if spec.target_duration_s:  # the new tempo is the musician's choice: the length follows it
        seconds = round(spec.bars * spec.meter.bar_quarters * 60.0 / bpm, 2)
        edits.append(Edit(op=_SET, path="target_duration_s", value=seconds, reason="the length follows the new tempo"))
    return edits


def scale_tempo(spec: CompositionSpec, factor: float, words: str) -> list[Edit]:
    return _tempo_edits(spec, spec.tempo.bpm * factor, f"{words}: {spec.tempo.bpm:g} -> {spec.tempo.bpm * factor:.0f} BPM")


def set_tempo(spec: CompositionSpec, bpm: float) -> list[Edit]:
    return _tempo_edits(spec, bpm, f"tempo {spec.tempo.bpm:g} -> {bpm:g} BPM as asked")


def _member_index(spec: CompositionSpec, instrument_id: str) -> int | None:
    return next((i for i, m in enumerate(spec.ensemble) if m.instrument == instrument_id), None)


def _new_member_id(spec: CompositionSpec, instrument_id: str) -> str:
    ids = {m.id for m in spec.ensemble}
    candidate, n = instrument_id, 2
    while candidate in ids:
        candidate, n = f"{instrument_id}_{n}", n + 1
    return candidate


def lead_to(spec: CompositionSpec, instrument_id: str) -> list[Edit]:
    """Give the melody to an instrument: it takes the lead role (joining when absent); the old lead
    answers as a counter-melody."""
    inst = get_instrument(instrument_id)
    if inst.is_percussion:
        raise EditError(f"the {inst.name} is unpitched and cannot carry a melody", field="ensemble")
    index = _member_index(spec, inst.id)
    if index is not None and spec.ensemble[index].role is Role.LEAD:
        raise EditError(f"the {inst.name} already has the melody", field=f"ensemble[{index}].role")
    edits: list[Edit] = []
    for i, member in enumerate(spec.ensemble):
        if member.role is Role.LEAD:
            edits.append(Edit(op=_SET, path=f"ensemble[{i}].role", value=Role.COUNTER_MELODY.value,
                              reason=f"the {get_instrument(member.instrument).name} hands the melody to the {inst.name}"))  # fmt: skip
    if index is None:
        member = {"id": _new_member_id(spec, inst.id), "instrument": inst.id, "role": Role.LEAD.value}
        edits.append(Edit(op=_INSERT, path="ensemble[0]", value=member, reason=f"the {inst.name} joins to play the melody"))
        edits += _join_sections(spec, member["id"])
    else:
        edits.append(Edit(op=_SET, path=f"ensemble[{index}].role", value=Role.LEAD.value, reason=f"the {inst.name} takes the melody"))
    return edits


def _join_sections(spec: CompositionSpec, member_id: str) -> list[Edit]:
    """A new player plays in every section, including those that list their players."""
    return [Edit(op=_SET, path=f"sections[{i}].parts", value=list(s.parts) + [member_id], reason=f"{member_id} plays here too")
            for i, s in enumerate(spec.sections) if s.parts]  # fmt: skip


def add_instrument(spec: CompositionSpec, instrument_id: str) -> list[Edit]:
    inst = get_instrument(instrument_id)
    if _member_index(spec, inst.id) is not None:
        raise EditError(f"the {inst.name} is already in the ensemble", field="ensemble")
    roles = {m.role for m in spec.ensemble}
    if inst.is_percussion:
        role = Role.PERCUSSION
    elif inst.high <= 76 and Role.BASS not in roles:
        role = Role.BASS
    elif Role.LEAD not in roles:
        role = Role.LEAD
    elif inst.polyphonic:
        role = Role.HARMONY
    else:
        role = Role.COUNTER_MELODY
    member = {"id": _new_member_id(spec, inst.id), "instrument": inst.id, "role": role.value}
    edits = [Edit(op=_INSERT, path="ensemble[-]", value=member, reason=f"the {inst.name} joins as {role.value.replace('_', '-')}")]
    return edits + _join_sections(spec, member["id"])


def remove_instruments(spec: CompositionSpec, instrument_ids: list[str], words: str) -> list[Edit]:
    """Remove players (from the ensemble, the sections' player lists and the motif plan)."""
    gone = [m for m in spec.ensemble if m.instrument in instrument_ids]
    if not gone:
        names = ", ".join(get_instrument(m.instrument).name for m in spec.ensemble)
        raise EditError(f"there {'are' if words.endswith('s') else 'is'} no {words} in the ensemble ({names})", field="ensemble")
    kept = [m for m in spec.ensemble if m not in gone]
    if not [m for m in kept if not get_instrument(m.instrument).is_percussion]:
        raise EditError("that would leave no pitched instrument to play the music", field="ensemble")
    ids = {m.id for m in gone}
    why = f"{words} removed as asked"
    edits = [Edit(op=_REMOVE, path=f"ensemble[{i}]", reason=why) for i in reversed(range(len(spec.ensemble))) if spec.ensemble[i].id in ids]
    if any(m.role is Role.LEAD for m in gone) and not any(m.role is Role.LEAD for m in kept):
        heir = next(m for m in kept if not get_instrument(m.instrument).is_percussion)
        edits.append(Edit(op=_SET, path=f"ensemble[{kept.index(heir)}].role", value=Role.LEAD.value,
                          reason=f"the {get_instrument(heir.instrument).name} takes over the melody"))  # fmt: skip
    for i, section in enumerate(spec.sections):
        if ids & set(section.parts):
            edits.append(Edit(op=_SET, path=f"sections[{i}].parts", value=[p for p in section.parts if p not in ids], reason=why))
    for i in reversed(range(len(spec.motif_plan))):
        if spec.motif_plan[i].part in ids:
            edits.append(Edit(op=_SET, path=f"motif_plan[{i}].part", value=None, reason=why))
    return edits


def find_section(spec: CompositionSpec, name: str) -> int:
    """A section by id ('A2'), by role ('B', 'coda', 'chorus') or by place ('first', 'last')."""
    wanted = name.strip().lower()
    if wanted in ("last", "final", "ending", "end"):
        return len(spec.sections) - 1
    if wanted in ("first", "opening", "beginning", "start"):
        return 0
    for by in (lambda s: s.id.lower(), lambda s: s.role.value.lower()):
        for i, section in enumerate(spec.sections):
            if by(section) == wanted:
                return i
    names = ", ".join(f"{s.id} ({s.role.value})" for s in spec.sections)
    raise EditError(f"there is no {name} section; the sections are {names}", field="sections")


def section_dynamic(spec: CompositionSpec, index: int, step: int) -> list[Edit]:
    section = spec.sections[index]
    levels = list(Dynamic)
    target = levels[min(len(levels) - 1, max(0, levels.index(section.dynamic) + step))]
    if target is section.dynamic:
        raise EditError(f"section {section.id} is already {section.dynamic.value}, the {'loudest' if step > 0 else 'softest'} level", field=f"sections[{index}].dynamic")
    return [Edit(op=_SET, path=f"sections[{index}].dynamic", value=target.value, reason=f"section {section.id}: {section.dynamic.value} -> {target.value}")]


def section_mood(spec: CompositionSpec, index: int, mood: Mood, words: str) -> list[Edit]:
    """A section's mood: its affect and dynamic follow the mood; a darker (brighter) mood turns a
    major (minor) section to its parallel minor (major), with its chords rebuilt on their degrees."""
    section = spec.sections[index]
    affect = mood.affect
    why = f"section {section.id} {words} ({mood.value})"
    edits = [Edit(op=_SET, path=f"sections[{index}].affect", value=affect.model_dump(mode="json"), reason=why)]
    dynamic = Dynamic.for_arousal(affect.arousal)
    if dynamic is not section.dynamic:
        edits.append(Edit(op=_SET, path=f"sections[{index}].dynamic", value=dynamic.value, reason=why))
    key = section.key or spec.key
    parallel = {Mode.MAJOR: Mode.MINOR, Mode.IONIAN: Mode.AEOLIAN} if affect.valence < 0 else {Mode.MINOR: Mode.MAJOR, Mode.AEOLIAN: Mode.IONIAN}
    if key.mode in parallel and not spec.tradition:
        new = Key(tonic=key.tonic, mode=parallel[key.mode])
        edits.append(Edit(op=_SET, path=f"sections[{index}].key", value=new.model_dump(mode="json"), reason=f"{why}: {key} -> {new}"))
        edits += _remap_section(section, key, new, index, f"{why}: chords in {new}")
    return edits


def add_bars(spec: CompositionSpec, bars: int) -> list[Edit]:
    """More bars: a return of the opening material, placed before the closing section."""
    if not 1 <= bars <= 128:
        raise EditError("add between 1 and 128 bars at a time", field="sections")
    first = spec.sections[0]
    ids = {s.id for s in spec.sections}
    new_id = next(f"{first.id.rstrip('0123456789')}{n}" for n in range(2, 100) if f"{first.id.rstrip('0123456789')}{n}" not in ids)
    progression = [first.progression[i % len(first.progression)] for i in range(bars)]
    section = first.model_copy(update={"id": new_id, "bars": bars, "progression": progression, "cadence": Cadence.OPEN,
                                       "phrase_bars": min(first.phrase_bars, bars)})  # fmt: skip
    at = max(0, len(spec.sections) - 1)
    edits = [Edit(op=_INSERT, path=f"sections[{at}]", value=section.model_dump(mode="json"),
                  reason=f"{bars} more bars: {new_id} returns to the material of {first.id} before the close")]  # fmt: skip
    if spec.target_duration_s:
        seconds = round((spec.bars + bars) * spec.meter.bar_quarters * 60.0 / spec.tempo.bpm, 2)
        edits.append(Edit(op=_SET, path="target_duration_s", value=seconds, reason="the length follows the added bars"))
    return edits


def drop_section(spec: CompositionSpec, index: int) -> list[Edit]:
    """Remove a section; when it was the last, the new last section closes on the tonic."""
    if len(spec.sections) == 1:
        raise EditError("the piece has only one section", field="sections")
    section = spec.sections[index]
    why = f"section {section.id} ({section.role.value}) dropped as asked"
    edits = [Edit(op=_REMOVE, path=f"sections[{index}]", reason=why)]
    for i in reversed(range(len(spec.motif_plan))):
        if spec.motif_plan[i].section == section.id:
            edits.append(Edit(op=_REMOVE, path=f"motif_plan[{i}]", reason=why))
    if spec.lyrics:
        for i in reversed(range(len(spec.lyrics.lines))):
            if spec.lyrics.lines[i].section == section.id:
                edits.append(Edit(op=_REMOVE, path=f"lyrics.lines[{i}]", reason=why))
    if index == len(spec.sections) - 1:
        closing = spec.sections[index - 1]
        key = closing.key or spec.key
        authentic = key.mode in _AUTHENTIC_MODES
        before = diatonic_chord(key, 5, dominant_major=True) if authentic else diatonic_chord(key, 4)
        progression = list(closing.progression)
        progression[-1] = _spell(diatonic_chord(key, 1), key)
        if len(progression) > 1:
            progression[-2] = _spell(before, key)
        close = "the new last section closes"
        edits += [Edit(op=_SET, path=f"sections[{index - 1}].progression", value=progression, reason=f"{close} {_spell(before, key)} - {progression[-1]}"),
                  Edit(op=_SET, path=f"sections[{index - 1}].cadence", value=(Cadence.AUTHENTIC if authentic else Cadence.MODAL).value, reason=close)]  # fmt: skip
    if spec.target_duration_s:
        seconds = round((spec.bars - section.bars) * spec.meter.bar_quarters * 60.0 / spec.tempo.bpm, 2)
        edits.append(Edit(op=_SET, path="target_duration_s", value=seconds, reason="the length follows the dropped section"))
    return edits


def _locate_bar(spec: CompositionSpec, bar: int) -> tuple[int, int]:
    if not 1 <= bar <= spec.bars:
        raise EditError(f"the piece has bars 1-{spec.bars}; there is no bar {bar}", field="sections")
    start = 0
    for index, section in enumerate(spec.sections):
        if bar <= start + section.bars:
            return index, bar - start - 1
        start += section.bars
    raise EditError(f"no bar {bar}", field="sections")  # unreachable: the range was checked


def reharmonize_bar(spec: CompositionSpec, score: Score | None, bar: int) -> list[Edit]:
    """A new chord for one bar: the diatonic chord, other than the current one, that holds the most
    of the melody's notes in that bar (ties: the one that shares most tones with the old chord)."""
    index, bar_index = _locate_bar(spec, bar)
    section = spec.sections[index]
    key = section.key or spec.key
    spans = parse_bar(section.progression[bar_index])
    if bar_index == section.bars - 1 and section.cadence is not Cadence.OPEN:
        raise EditError(f"bar {bar} is the {section.cadence.value} cadence of section {section.id}; reharmonize another bar", field=f"sections[{index}].progression[{bar_index}]")
    lead = score.lead() if score is not None else None  # without notes, the chord that shares most tones wins
    bar_len = spec.meter.bar_quarters
    t0 = (bar - 1) * bar_len
    melody = [n.pitch % 12 for n in (lead.notes if lead else []) if t0 <= n.start < t0 + bar_len]
    old = {s.chord.root_pc for s in spans}
    best: tuple[float, ChordSymbol] | None = None
    for degree in range(1, len(key.mode.intervals) + 1):
        chord = diatonic_chord(key, degree)
        if chord.root_pc in old:
            continue
        fit = sum(pc in chord.pitch_classes() for pc in melody) + 0.1 * sum(len(chord.pitch_classes() & s.chord.pitch_classes()) for s in spans)
        if best is None or fit > best[0]:
            best = (fit, chord)
    if best is None:
        raise EditError(f"no other chord of {key} fits bar {bar}", field=f"sections[{index}].progression[{bar_index}]")
    text = _spell(best[1], key)
    held = sum(pc in best[1].pitch_classes() for pc in melody)
    return [Edit(op=_SET, path=f"sections[{index}].progression[{bar_index}]", value=text,
                 reason=f"bar {bar}: {section.progression[bar_index]} -> {text}, which holds {held} of the melody's {len(melody)} notes there")]  # fmt: skip


def simplify_chords(spec: CompositionSpec, indices: list[int]) -> list[Edit]:
    """Sevenths, ninths and added tones reduced to their triads."""
    edits = []
    for index in indices:
        section = spec.sections[index]
        key = section.key or spec.key
        bars = [_bar_text([s.model_copy(update={"chord": s.chord.model_copy(update={"quality": _SIMPLER.get(s.chord.quality, s.chord.quality), "bass": None})})
                           for s in parse_bar(text)], key) for text in section.progression]  # fmt: skip
        if bars != [" ".join(b.split()) for b in section.progression]:
            edits.append(Edit(op=_SET, path=f"sections[{index}].progression", value=bars, reason=f"section {section.id}: chords reduced to triads"))
    if not edits:
        where = ", ".join(spec.sections[i].id for i in indices)
        raise EditError(f"the chords of {where} are already plain triads", field="sections")
    return edits


def set_lyrics(spec: CompositionSpec, index: int, text: str) -> list[Edit]:
    """New words for one section (the syllables follow the text)."""
    if spec.lyrics is None:
        raise EditError("the piece has no lyrics; ask for a sung piece first", field="lyrics")
    section = spec.sections[index]
    line = {"section": section.id, "text": text}
    for i, existing in enumerate(spec.lyrics.lines):
        if existing.section == section.id:
            return [Edit(op=_SET, path=f"lyrics.lines[{i}]", value=line, reason=f"new words for section {section.id}")]
    return [Edit(op=_INSERT, path="lyrics.lines[-]", value=line, reason=f"words for section {section.id}")]
