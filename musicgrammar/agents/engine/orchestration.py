"""The ensemble: parts with roles from the instruments asked for, a named collective ensemble, or the palette."""

from __future__ import annotations

import random

from musicgrammar.agents.engine.context import PlanningContext, mean
from musicgrammar.ontologies import (
    Brief,
    EnsembleMember,
    Mood,
    Role,
    get_tradition,
    instrument_catalog,
)
from musicgrammar.ontologies.knowledge import ensembles, mood_palettes, style

__all__ = ["plan_ensemble"]

_POLYPHONIC_FAMILIES = {"piano", "guitar", "organ", "chromatic_percussion"}


_BASS_CAPABLE = {"acoustic_bass", "electric_bass_finger", "electric_bass_pick", "fretless_bass", "slap_bass_1", "synth_bass_1",
                 "cello", "contrabass", "tuba", "bassoon", "trombone", "bass_voice", "ngoni", "kora", "acoustic_grand_piano"}


_BASS_BY_FAMILY = ("acoustic_bass", "cello", "contrabass", "electric_bass_finger", "bassoon", "tuba", "synth_bass_1", "fretless_bass")


_QUIET_MOODS = {Mood.SERENE, Mood.TENDER, Mood.ETHEREAL, Mood.SOLEMN, Mood.MELANCHOLY}  # no drums under these


def plan_ensemble(brief: Brief, rng: random.Random, ctx: PlanningContext) -> list[EnsembleMember]:
    """Parts with roles: the instruments asked for first, then the palette fills the open roles."""
    c = brief.constraints
    catalog = instrument_catalog()
    asked = [i for i in c.instruments if i in catalog]
    members: list[EnsembleMember] = []
    used_roles: set[Role] = set()

    def add(instrument: str, role: Role) -> None:
        member_id = instrument if all(m.id != instrument for m in members) else f"{instrument}_{len(members) + 1}"
        members.append(EnsembleMember(id=member_id, instrument=instrument, role=role))
        used_roles.add(role)

    if c.ensemble is not None:
        return _expand_ensemble(brief, asked, ctx)
    if c.texture == "satb":  # four real voices: the SATB choir, under any instruments asked for
        return _expand_ensemble(brief.model_copy(update={"constraints": c.model_copy(update={"ensemble": "satb_choir"})}), asked, ctx)
    pitched = [i for i in asked if not catalog[i].is_percussion]
    drums = [i for i in asked if catalog[i].is_percussion]
    wants_voice = c.lyrics_language is not None and not any(catalog[i].family.value == "ensemble" for i in pitched)
    if wants_voice:  # words need a singer, even in an ensemble the prompt lists exactly
        add("voice", Role.LEAD)
    for inst in pitched:
        spec = catalog[inst]
        if Role.LEAD not in used_roles:
            role = Role.LEAD
        elif (spec.high <= 67 or inst in _BASS_CAPABLE - {"kora", "acoustic_grand_piano"}) and Role.BASS not in used_roles:
            role = Role.BASS
        elif Role.HARMONY not in used_roles and spec.family.value in ("piano", "guitar", "organ", "strings", "ensemble", "synth_pad", "chromatic_percussion"):
            role = Role.HARMONY
        elif Role.COUNTER_MELODY not in used_roles:
            role = Role.COUNTER_MELODY
        elif Role.HARMONY not in used_roles:
            role = Role.HARMONY
        else:
            role = Role.COUNTER_MELODY
        add(inst, role)
    for inst in drums:
        add(inst, Role.PERCUSSION)
    if c.solo or (asked and len(asked) >= 3):
        if len(members) == 1 and catalog[members[0].instrument].family.value in _POLYPHONIC_FAMILIES | {"ethnic"} and not catalog[members[0].instrument].is_percussion:
            # one polyphonic instrument alone plays its own accompaniment: a second part, same instrument
            inst = members[0].instrument
            low_role = Role.BASS if catalog[inst].low <= 43 else Role.HARMONY
            members.append(EnsembleMember(id=f"{inst}_accompaniment", instrument=inst, role=low_role))
            ctx.notes.append(f"{inst} alone: one part carries the melody, a second part of the same instrument the accompaniment")
        return members or [EnsembleMember(id="acoustic_grand_piano", instrument="acoustic_grand_piano", role=Role.LEAD)]
    tradition = get_tradition(brief.tradition) if brief.tradition else None
    palette = [p for p in brief.palette if p in catalog and (tradition is None or tradition.allows_instrument(p))]
    if tradition is not None:
        palette += [i for i in tradition.instruments if i not in palette]
    if not palette:
        palette = list(mood_palettes()["bright"])
    pitched_palette = [p for p in palette if not catalog[p].is_percussion and p not in asked]
    drum_palette = [p for p in palette if catalog[p].is_percussion and p not in asked]
    for role in (Role.LEAD, Role.HARMONY, Role.BASS, Role.COUNTER_MELODY):
        if role in used_roles or not pitched_palette:
            continue
        if role is Role.BASS:
            choice = next((p for p in pitched_palette if p in _BASS_CAPABLE and catalog[p].low <= 43), None)
            if choice is None and tradition is None:
                choice = rng.choice(_BASS_BY_FAMILY[:4])
            if choice is None:
                continue
        elif role is Role.COUNTER_MELODY and len(members) >= 3:
            continue
        else:
            if role is Role.LEAD:  # a melody instrument sings above the accompaniment
                singers = [p for p in pitched_palette if catalog[p].family.value not in ("synth_pad", "synth_effects", "bass")]
                choice = next((p for p in singers if (catalog[p].low + catalog[p].high) / 2 >= 64), (singers or pitched_palette)[0])
            elif role is Role.HARMONY:  # chords want an instrument that can sound them
                chordal = [p for p in pitched_palette[:5] if catalog[p].polyphonic]
                choice = chordal[0] if chordal else rng.choice(pitched_palette[: max(1, min(3, len(pitched_palette)))])
            else:
                choice = rng.choice(pitched_palette[: max(1, min(3, len(pitched_palette)))])
        if choice in pitched_palette:
            pitched_palette.remove(choice)
        add(choice, role)
    if not c.no_drums and Role.PERCUSSION not in used_roles:
        energy = mean([a.arousal for a in brief.affect_arc]) if brief.affect_arc else 0.0
        named = style(c.style)
        calm_style = named is not None and named.calm
        # drums only for pieces with energy: never under a lullaby, a hymn or a slow lament
        quiet = calm_style or (c.tempo_bpm or 100) < 76 or energy < 0.0 or (brief.moods and brief.moods[0] in _QUIET_MOODS)
        if drum_palette:
            for inst in drum_palette[:2]:
                add(inst, Role.PERCUSSION)
        elif not quiet and tradition is None:
            add("drum_kit", Role.PERCUSSION)
    return members


def _expand_ensemble(brief: Brief, asked: list[str], ctx: PlanningContext) -> list[EnsembleMember]:
    """A named collective ensemble as its parts with their roles; a soloist named beside it ('for
    saxophone and piano trio') takes the lead and the ensemble's own lead turns to a counter-melody."""
    c = brief.constraints
    catalog = instrument_catalog()
    entry = next(e for e in ensembles() if e.id == c.ensemble)
    parts = [(p.instrument, p.role) for p in entry.parts if not (c.no_drums and catalog[p.instrument].is_percussion)]
    soloists = [i for i in asked if not catalog[i].is_percussion and i not in {inst for inst, _ in parts}]
    if c.lyrics_language is not None and not any(role is Role.LEAD and catalog[i].family.value == "ensemble" for i, role in parts):
        soloists = ["voice", *soloists]
    extra_drums = [i for i in asked if catalog[i].is_percussion and i not in {inst for inst, _ in parts}]
    members: list[EnsembleMember] = []
    for inst in soloists:
        members.append(EnsembleMember(id=inst, instrument=inst, role=Role.LEAD if not members else Role.COUNTER_MELODY))
    has_lead = bool(members)
    voices = {"soprano": "soprano", "alto": "alto", "tenor": "tenor", "bass_voice": "bass"}
    for inst, role in parts:
        if has_lead and role is Role.LEAD:
            role = Role.COUNTER_MELODY
        base = voices.get(inst, inst) if entry.texture == "satb" else inst
        member_id = base if all(m.id != base for m in members) else f"{base}_{sum(m.instrument == inst for m in members) + 1}"
        members.append(EnsembleMember(id=member_id, instrument=inst, role=role))
    members += [EnsembleMember(id=i, instrument=i, role=Role.PERCUSSION) for i in extra_drums]
    if Role.LEAD not in {m.role for m in members}:  # a rhythm section alone: its chord instrument sings the tune
        first = next(k for k, m in enumerate(members) if not catalog[m.instrument].is_percussion)
        members[first] = members[first].model_copy(update={"role": Role.LEAD})
    ctx.notes.append(f"{entry.names[0]}: " + ", ".join(f"{m.instrument} ({m.role.value})" for m in members)
                     + (f"; {entry.approximation}" if entry.approximation else ""))  # fmt: skip
    return members
