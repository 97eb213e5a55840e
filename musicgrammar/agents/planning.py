"""The Composer's offline planning: a brief (and the exemplars it drew on) -> a `CompositionSpec`.

Every explicit constraint of the brief is honoured as given; everything else is chosen from the
brief's moods and affect arc, the tradition's rules and the retrieved exemplars, with a seeded
random generator so that the same seed gives the same plan. Chords are planned as scale degrees of
the key's mode and spelled as chord symbols, so any mode (Dorian, a Mande tuning) gets chords of
its own notes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from musicgrammar.ontologies import (
    Affect,
    Brief,
    Cadence,
    ChordQuality,
    ChordSymbol,
    CompositionSpec,
    DevelopmentTechnique,
    Dynamic,
    EnsembleMember,
    FormType,
    Key,
    LyricLine,
    Lyrics,
    Meter,
    Mode,
    Motif,
    MotifUse,
    Role,
    Section,
    SectionRole,
    Tempo,
    diatonic_chord,
    get_instrument,
    get_tradition,
    instrument_catalog,
    split_syllables,
)
from musicgrammar.ontologies.knowledge import ensembles, mood_palettes, style

__all__ = ["ExemplarHint", "PlanningContext", "plan_composition", "diatonic_chord", "DEFAULT_DURATION_S"]

DEFAULT_DURATION_S = 45.0


class ExemplarHint(BaseModel):
    """What planning takes from a retrieved exemplar: its identity and its habits."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str = ""
    licence: str = ""
    form: FormType | None = None
    meter: str | None = None
    mode: Mode | None = None
    degrees: tuple[int, ...] = ()  # a chord progression as scale degrees of its key, one per bar
    cadence: Cadence | None = None


@dataclass
class PlanningContext:
    """Run context for planning: the seed and what the loop learned so far."""

    seed: int = 0
    exemplars: Sequence[ExemplarHint] = ()
    notes: list[str] = field(default_factory=list)  # what planning decided and why, for the report


_TEMPLATES: dict[str, tuple[tuple[int, ...], ...]] = {
    "major": ((1, 5, 6, 4), (1, 4, 5, 1), (1, 6, 4, 5), (1, 4, 1, 5), (6, 4, 1, 5), (1, 3, 4, 5), (2, 5, 1, 6), (4, 1, 5, 6), (1, 2, 4, 5)),
    "minor": ((1, 4, 5, 1), (1, 6, 3, 7), (1, 7, 6, 5), (1, 4, 7, 3), (1, 6, 4, 5), (1, 5, 4, 1), (4, 5, 1, 6), (1, 3, 7, 4)),
    "dorian": ((1, 4, 1, 4), (1, 2, 4, 1), (1, 7, 4, 1), (1, 4, 7, 1), (1, 3, 4, 7)),
    "mixolydian": ((1, 7, 4, 1), (1, 4, 7, 1), (1, 5, 7, 4), (1, 7, 1, 4)),
    "lydian": ((1, 2, 1, 2), (1, 2, 5, 1), (1, 3, 2, 1), (1, 2, 7, 1)),
    "phrygian": ((1, 2, 1, 2), (1, 2, 3, 2), (1, 7, 2, 1), (1, 4, 2, 1)),
    "locrian": ((1, 2, 1, 7), (1, 6, 2, 1)),
}  # fmt: skip
_MODE_FAMILY = {
    Mode.MAJOR: "major", Mode.IONIAN: "major", Mode.MAJOR_PENTATONIC: "major", Mode.MANDE_SILABA: "major",
    Mode.MANDE_BALAFON: "major", Mode.MANDE_PENTATONIC: "major", Mode.MINOR: "minor", Mode.AEOLIAN: "minor",
    Mode.HARMONIC_MINOR: "minor", Mode.MELODIC_MINOR: "minor", Mode.MINOR_PENTATONIC: "minor",
    Mode.DORIAN: "dorian", Mode.MIXOLYDIAN: "mixolydian", Mode.BLUES: "mixolydian", Mode.MANDE_HARDINO: "mixolydian",
    Mode.LYDIAN: "lydian", Mode.MANDE_SAUTA: "lydian", Mode.WHOLE_TONE: "lydian", Mode.PHRYGIAN: "phrygian",
    Mode.PHRYGIAN_DOMINANT: "phrygian", Mode.MANDE_TOMORA: "phrygian", Mode.LOCRIAN: "locrian",
    Mode.SLENDRO: "mixolydian", Mode.PELOG: "phrygian",
}  # fmt: skip
# Modes whose final cadence is authentic (a major V exists or is borrowed, as in minor).
_AUTHENTIC_MODES = {Mode.MAJOR, Mode.IONIAN, Mode.MINOR, Mode.AEOLIAN, Mode.HARMONIC_MINOR, Mode.MELODIC_MINOR,
                    Mode.MANDE_SILABA, Mode.MANDE_BALAFON}  # fmt: skip
_MODAL_FINAL = {"dorian": 7, "mixolydian": 7, "lydian": 2, "phrygian": 2, "locrian": 2, "major": 4, "minor": 7}

_FORM_ROLES: dict[FormType, tuple[SectionRole, ...]] = {
    FormType.BINARY: (SectionRole.A, SectionRole.B),
    FormType.TERNARY: (SectionRole.A, SectionRole.B, SectionRole.A),
    FormType.RONDO: (SectionRole.A, SectionRole.B, SectionRole.A, SectionRole.C, SectionRole.A),
    FormType.VERSE_CHORUS: (SectionRole.INTRO, SectionRole.VERSE, SectionRole.CHORUS, SectionRole.VERSE, SectionRole.CHORUS, SectionRole.OUTRO),
    FormType.STROPHIC: (SectionRole.VERSE, SectionRole.VERSE, SectionRole.VERSE),
    FormType.AABA: (SectionRole.A, SectionRole.A, SectionRole.B, SectionRole.A),
    FormType.THROUGH_COMPOSED: (SectionRole.A, SectionRole.B, SectionRole.C, SectionRole.CODA),
    FormType.THEME_AND_VARIATIONS: (SectionRole.A, SectionRole.VARIATION, SectionRole.VARIATION, SectionRole.VARIATION),
    FormType.TWELVE_BAR_BLUES: (SectionRole.A, SectionRole.A, SectionRole.A),
    FormType.CYCLIC: (SectionRole.INTRO, SectionRole.A, SectionRole.A, SectionRole.B, SectionRole.A),
}  # fmt: skip
_ROLE_WEIGHT = {SectionRole.INTRO: 0.5, SectionRole.OUTRO: 0.5, SectionRole.CODA: 0.5}
_BLUES_DEGREES = (1, 1, 1, 1, 4, 4, 1, 1, 5, 4, 1, 5)

_POLYPHONIC_FAMILIES = {"piano", "guitar", "organ", "chromatic_percussion"}
_BASS_CAPABLE = {"acoustic_bass", "electric_bass_finger", "electric_bass_pick", "fretless_bass", "slap_bass_1", "synth_bass_1",
                 "cello", "contrabass", "tuba", "bassoon", "trombone", "bass_voice", "ngoni", "kora", "acoustic_grand_piano"}
_BASS_BY_FAMILY = ("acoustic_bass", "cello", "contrabass", "electric_bass_finger", "bassoon", "tuba", "synth_bass_1", "fretless_bass")


def plan_composition(brief: Brief, ctx: PlanningContext) -> CompositionSpec:
    """Plan the whole design from the brief. Deterministic for a given brief, exemplars and seed."""
    rng = random.Random(ctx.seed)
    c = brief.constraints
    tradition = get_tradition(brief.tradition) if brief.tradition else None
    valence = _mean([m.affect.valence for m in brief.moods]) if brief.moods else 0.2
    arousal = _mean([m.affect.arousal for m in brief.moods]) if brief.moods else 0.0

    ensemble = _plan_ensemble(brief, rng, ctx)
    key = _plan_key(brief, valence, tradition, ensemble, rng, ctx)
    meter = c.meter or _plan_meter(arousal, tradition, brief, rng, ctx)
    bpm = c.tempo_bpm or _plan_tempo(arousal, meter, rng)
    form = c.form or _plan_form(brief, c.duration_s, rng, ctx)
    target = c.duration_s or (None if c.bars else DEFAULT_DURATION_S)
    roles = list(_FORM_ROLES[form])
    if form is FormType.STROPHIC and target:
        roles = [SectionRole.VERSE] * max(2, min(6, round(target / 20)))
    bars_per_section, bpm = _plan_bars(roles, meter, bpm, target, c.bars, explicit_tempo=c.tempo_bpm is not None, form=form)
    if len(bars_per_section) != len(roles):  # twelve-bar blues: one section per chorus
        roles = [SectionRole.A] * len(bars_per_section)
    arc = brief.affect_arc or [Affect(valence=valence, arousal=arousal)]
    sections = _plan_sections(roles, bars_per_section, key, meter, arc, form, rng, ctx)
    motifs, plan = _plan_motifs(sections, meter, rng)
    lyrics = _plan_lyrics(brief, sections) if c.lyrics_language else None
    if lyrics is not None and not any(get_instrument(m.instrument).family.value == "ensemble" for m in ensemble):
        ctx.notes.append("lyrics were asked for: a voice sings the lead")
    return CompositionSpec(
        title=brief.title,
        key=key,
        meter=meter,
        tempo=Tempo(bpm=round(bpm, 1)),
        form=form,
        sections=sections,
        ensemble=ensemble,
        motifs=motifs,
        motif_plan=plan,
        moods=brief.moods,
        tradition=brief.tradition,
        lyrics=lyrics,
        target_duration_s=c.duration_s,
        style=c.style or "",
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _plan_key(brief: Brief, valence: float, tradition, ensemble: list[EnsembleMember], rng: random.Random, ctx: PlanningContext) -> Key:  # type: ignore[no-untyped-def]
    c = brief.constraints
    if c.key is not None:
        return c.key
    mode = c.mode
    if mode is None and tradition is not None:
        mode = rng.choice(tradition.modes[:4])
    if mode is None:
        hinted = [e.mode for e in ctx.exemplars if e.mode is not None]
        if hinted and rng.random() < 0.5:
            mode = hinted[0]
            ctx.notes.append(f"mode {mode.value} taken from exemplar {ctx.exemplars[0].id}")
    if mode is None:
        moods = {m.value for m in brief.moods}
        if valence > 0.35:
            options = [Mode.MAJOR, Mode.MAJOR, Mode.MIXOLYDIAN] + ([Mode.LYDIAN] * 2 if "ethereal" in moods else [])
        elif valence > -0.15:
            options = [Mode.DORIAN, Mode.MAJOR, Mode.MIXOLYDIAN, Mode.MINOR] + ([Mode.LYDIAN] if "ethereal" in moods else [])
        else:
            options = [Mode.MINOR, Mode.HARMONIC_MINOR, Mode.DORIAN] + ([Mode.PHRYGIAN] if {"eerie", "dark", "tense"} & moods else [])
        mode = rng.choice(options)
    tonic = c.tonic or rng.choice(["C", "D", "E", "F", "G", "A", "Bb", "Eb"] if not mode.is_minor else ["A", "D", "E", "G", "C", "B", "F#"])
    return Key(tonic=tonic, mode=mode)


def _plan_meter(arousal: float, tradition, brief: Brief, rng: random.Random, ctx: PlanningContext) -> Meter:  # type: ignore[no-untyped-def]
    if tradition is not None:
        return tradition.meters[0]
    hinted = [e.meter for e in ctx.exemplars if e.meter]
    if hinted and rng.random() < 0.3:
        ctx.notes.append(f"meter {hinted[0]} taken from exemplar {ctx.exemplars[0].id}")
        return Meter.parse(hinted[0])
    moods = {m.value for m in brief.moods}
    options = ["4/4"] * 5 + ["3/4"] * 2 + ["6/8"] * 2
    if {"tense", "aggressive", "energetic"} & moods:
        options += ["7/8", "5/4"]
    if {"tender", "serene", "nostalgic"} & moods:
        options += ["3/4", "6/8", "12/8"]
    return Meter.parse(rng.choice(options))


def _plan_tempo(arousal: float, meter: Meter, rng: random.Random) -> float:
    bpm = 62 + (arousal + 1.0) / 2.0 * 84 + rng.uniform(-8, 8)
    if meter.is_compound:
        bpm *= 1.25  # compound beats are dotted quarters: keep the felt pulse in range
    return float(round(min(200, max(40, bpm))))


def _plan_form(brief: Brief, duration: float | None, rng: random.Random, ctx: PlanningContext) -> FormType:
    if brief.constraints.lyrics_language:
        return FormType.VERSE_CHORUS
    if brief.tradition == "mande":
        return FormType.CYCLIC
    hinted = [e.form for e in ctx.exemplars if e.form is not None]
    if hinted and rng.random() < 0.4:
        ctx.notes.append(f"form {hinted[0].value} taken from exemplar {ctx.exemplars[0].id}")
        return hinted[0]
    if duration is not None and duration < 25:
        return FormType.BINARY
    return rng.choice([FormType.TERNARY, FormType.TERNARY, FormType.RONDO, FormType.AABA, FormType.THROUGH_COMPOSED, FormType.BINARY])


def _plan_bars(
    roles: list[SectionRole], meter: Meter, bpm: float, target: float | None, bars: int | None, *, explicit_tempo: bool, form: FormType
) -> tuple[list[int], float]:
    """Bars per section to reach the target duration (or the asked bar count); may nudge the tempo."""
    seconds_per_bar = meter.bar_quarters * 60.0 / bpm
    total = bars or max(len(roles) * 2, round((target or DEFAULT_DURATION_S) / seconds_per_bar))
    if form is FormType.TWELVE_BAR_BLUES:
        choruses = max(1, round(total / 12))
        return [12] * choruses, bpm if explicit_tempo or not target else 12 * choruses * meter.bar_quarters * 60 / target
    max_sections = max(1, total // 4)  # a short piece has fewer sections, each at least a phrase long
    if len(roles) > max_sections:
        roles[:] = roles[: max_sections - 1] + [roles[-1]] if max_sections > 1 else [roles[0]]
    weights = [_ROLE_WEIGHT.get(r, 1.0) for r in roles]
    # sections in whole phrases (4 bars, or 2 for short pieces) so that melodies can breathe
    unit = 4 if total >= len(roles) * 6 else 2
    units = max(len(roles), round(total / unit))
    raw = [units * w / sum(weights) for w in weights]
    counts = [max(1, int(round(x))) for x in raw]
    order = sorted(range(len(roles)), key=lambda i: -weights[i])
    i = 0
    while sum(counts) != units and i < 1000:
        j = order[i % len(order)]
        if sum(counts) < units:
            counts[j] += 1
        elif counts[j] > 1:
            counts[j] -= 1
        i += 1
    counts = [c * unit for c in counts]
    if bars:  # an explicit bar count is exact: settle the remainder on the main section
        counts[order[0]] += bars - sum(counts)
        if counts[order[0]] < 1:
            counts = [max(1, bars // len(roles))] * len(roles)
            counts[order[0]] += bars - sum(counts)
    elif target and explicit_tempo:
        # the tempo is fixed: add or drop single bars on the main section to land within the target
        exact = round(target / seconds_per_bar)
        counts[order[0]] = max(1, counts[order[0]] + exact - sum(counts))
    if target and not explicit_tempo and not bars:
        bpm = sum(counts) * meter.bar_quarters * 60.0 / target  # a free tempo lands on the target exactly
    return counts, bpm


def _cadence_for(key: Key, final: bool, role: SectionRole, rng: random.Random) -> Cadence:
    if final:
        return Cadence.AUTHENTIC if key.mode in _AUTHENTIC_MODES else Cadence.MODAL
    if role in (SectionRole.INTRO, SectionRole.VERSE):
        return Cadence.HALF
    return rng.choice([Cadence.HALF, Cadence.AUTHENTIC] if key.mode in _AUTHENTIC_MODES else [Cadence.HALF, Cadence.MODAL])


def _cadence_degrees(key: Key, cadence: Cadence) -> tuple[int, int]:
    family = _MODE_FAMILY.get(key.mode, "major")
    return {
        Cadence.AUTHENTIC: (5, 1),
        Cadence.PLAGAL: (4, 1),
        Cadence.HALF: (4 if family in ("major", "minor") else 1, 5),
        Cadence.DECEPTIVE: (5, 6),
        Cadence.MODAL: (_MODAL_FINAL.get(family, 4), 1),
        Cadence.OPEN: (1, 1),
    }[cadence]


def _plan_sections(
    roles: list[SectionRole], bars: list[int], key: Key, meter: Meter, arc: list[Affect], form: FormType,
    rng: random.Random, ctx: PlanningContext,
) -> list[Section]:  # fmt: skip
    family = _MODE_FAMILY.get(key.mode, "major")
    templates = list(_TEMPLATES[family])
    borrowed = [e for e in ctx.exemplars if e.degrees and len(e.degrees) >= 4]
    by_role: dict[SectionRole, tuple[int, ...]] = {}
    sections: list[Section] = []
    counts: dict[str, int] = {}
    beats = len(meter.beats)
    for index, (role, n_bars) in enumerate(zip(roles, bars)):
        final = index == len(roles) - 1
        if role not in by_role:
            if borrowed and role in (SectionRole.A, SectionRole.VERSE) and family in ("major", "minor"):
                source = borrowed[0]
                by_role[role] = tuple(d for d in source.degrees[:8] if 1 <= d <= 7) or rng.choice(templates)
                ctx.notes.append(f"the {role.value} progression follows exemplar {source.id} ({source.title})")
            elif form is FormType.TWELVE_BAR_BLUES:
                by_role[role] = _BLUES_DEGREES
            else:
                by_role[role] = rng.choice([t for t in templates if t not in by_role.values()] or templates)
        degrees = list(by_role[role])
        cadence = _cadence_for(key, final, role, rng)
        progression = _progression(degrees, n_bars, key, cadence, beats, rng, blues=form is FormType.TWELVE_BAR_BLUES)
        counts[role.value] = counts.get(role.value, 0) + 1
        affect = arc[min(len(arc) - 1, round(index * (len(arc) - 1) / max(1, len(roles) - 1)))] if arc else Affect()
        sections.append(
            Section(
                id=f"{role.value}{counts[role.value]}",
                role=role,
                bars=n_bars,
                progression=progression,
                cadence=cadence,
                affect=affect,
                dynamic=Dynamic.for_arousal(affect.arousal),
                phrase_bars=min(4, n_bars),
            )
        )
    return sections


def _progression(
    degrees: list[int], n_bars: int, key: Key, cadence: Cadence, beats: int, rng: random.Random, blues: bool = False
) -> list[str]:
    """One chord string per bar: the template cycled over the bars, the cadence in the last bars."""
    chord = lambda d, dom=False: diatonic_chord(key, d, dominant_major=dom).symbol  # noqa: E731
    if blues:
        bars = [diatonic_chord(key, d).symbol for d in (degrees * n_bars)[:n_bars]]
        bars = [ChordSymbol.parse(b).model_copy(update={"quality": ChordQuality.DOMINANT7}).symbol for b in bars]
        bars[-1] = chord(1)
        bars[-2] = ChordSymbol.parse(chord(5, True)).model_copy(update={"quality": ChordQuality.DOMINANT7}).symbol
        return bars
    slow = n_bars >= 8 and rng.random() < 0.35  # some sections change chord every two bars
    seq = [degrees[(i // (2 if slow else 1)) % len(degrees)] for i in range(n_bars)]
    bars = [chord(d) for d in seq]
    penult, last = _cadence_degrees(key, cadence)
    dom = cadence in (Cadence.AUTHENTIC, Cadence.HALF, Cadence.DECEPTIVE) and key.mode in _AUTHENTIC_MODES
    if n_bars >= 2:
        bars[-2] = chord(penult, dom and penult == 5)
        bars[-1] = chord(last, dom and last == 5)
    elif beats % 2 == 0:
        bars[-1] = f"{chord(penult, dom)} {chord(last, dom and last == 5)}"
    else:
        bars[-1] = chord(last, dom and last == 5)
    if n_bars >= 4 and beats % 2 == 0 and rng.random() < 0.5:
        # a pre-dominant in the second half of the bar before the cadence quickens the harmonic rhythm
        pre = 2 if _MODE_FAMILY.get(key.mode) in ("major", "minor") else 4
        bars[-3] = f"{bars[-3]} {chord(pre)}" if bars[-3] != chord(pre) else bars[-3]
    return bars


def _plan_motifs(sections: list[Section], meter: Meter, rng: random.Random) -> tuple[list[Motif], list[MotifUse]]:
    """Two motifs (a main idea and a contrast) and where each returns, developed how."""
    bar = meter.bar_quarters
    cells = [c for c in _rhythm_cells(meter) if len(c) >= 3]
    motifs = []
    for motif_id in ("m1", "m2"):
        # a motif of at least four notes: one bar of a long meter, two bars of a short one
        rhythm = list(rng.choice(cells))
        if bar < 3.5 or len(rhythm) < 4:
            rhythm += list(rng.choice(cells))
        steps = [0]
        for _ in rhythm[1:]:
            steps.append(max(-5, min(5, steps[-1] + rng.choice([-2, -1, -1, 1, 1, 2, 3, -3, 0]))))
        motifs.append(Motif(id=motif_id, steps=tuple(steps), rhythm=tuple(rhythm), start_degree=rng.choice([1, 3, 5])))
    plan: list[MotifUse] = []
    seen: set[SectionRole] = set()
    contrast = {SectionRole.B, SectionRole.C, SectionRole.BRIDGE, SectionRole.CHORUS, SectionRole.DEVELOPMENT}
    T = DevelopmentTechnique
    for section in sections:
        returning = section.role in seen
        seen.add(section.role)
        if section.role in (SectionRole.CODA, SectionRole.OUTRO):
            # the close recalls the main idea, broadened
            plan.append(MotifUse(motif="m1", section=section.id, bar=1, technique=T.AUGMENTATION))
            continue
        # a motif every two bars: the section's own idea, developed, with the main motif recalled
        if section.role in contrast:
            cycle = [("m2", T.REPEAT), ("m2", T.SEQUENCE), ("m1", T.REPEAT), ("m2", T.INVERSION)]
        elif section.role is SectionRole.VARIATION:
            cycle = [("m1", T.RETROGRADE), ("m1", T.REPEAT), ("m1", T.DIMINUTION), ("m1", T.SEQUENCE)]
        elif returning:
            cycle = [("m1", T.REPEAT), ("m1", T.FRAGMENTATION), ("m1", T.REPEAT), ("m1", T.SEQUENCE)]
        else:
            cycle = [("m1", T.REPEAT), ("m1", T.SEQUENCE), ("m1", T.REPEAT), ("m1", T.FRAGMENTATION)]
        for k, bar_no in enumerate(range(1, section.bars + 1, 2)):
            if bar_no == section.bars and section.bars > 2:
                break  # the cadence bar holds its closing note
            motif_id, technique = cycle[k % len(cycle)]
            plan.append(MotifUse(motif=motif_id, section=section.id, bar=bar_no, technique=technique))
    return motifs, plan


def _rhythm_cells(meter: Meter) -> list[tuple[float, ...]]:
    """One-bar rhythm cells that fit the meter exactly (in quarter notes)."""
    key = (meter.numerator, meter.denominator)
    cells = {
        (4, 4): [(1, 0.5, 0.5, 1, 1), (0.5, 0.5, 1, 0.5, 0.5, 1), (1.5, 0.5, 1, 1), (1, 1, 0.5, 0.5, 1), (0.75, 0.25, 1, 1, 1)],
        (3, 4): [(1, 0.5, 0.5, 1), (1.5, 0.5, 1), (0.5, 0.5, 1, 1), (1, 1, 1)],
        (2, 4): [(0.5, 0.5, 1), (0.5, 0.25, 0.25, 1), (1, 0.5, 0.5), (0.5, 0.5, 0.5, 0.5), (0.25, 0.25, 0.5, 1)],
        (6, 8): [(1, 0.5, 1, 0.5), (0.5, 0.5, 0.5, 1.5), (1.5, 0.5, 0.5, 0.5)],
        (9, 8): [(1, 0.5, 1, 0.5, 0.5, 0.5, 0.5), (1.5, 1, 0.5, 1.5), (0.5, 0.5, 0.5, 1, 0.5, 1.5)],
        (12, 8): [(1, 0.5, 1, 0.5, 1.5, 1.5), (0.5, 0.5, 0.5, 1, 0.5, 1.5, 1.5), (1.5, 1, 0.5, 1, 0.5, 1.5)],
        (5, 4): [(1, 0.5, 0.5, 1, 1, 1), (1.5, 0.5, 1, 1, 1)],
        (7, 8): [(0.5, 0.5, 0.5, 0.5, 0.5, 1), (1, 1, 1.5), (0.5, 0.5, 1, 1.5)],
    }.get(key)
    if cells:
        return cells
    beats = meter.beats
    return [tuple(beats), tuple(x for b in beats for x in (b / 2, b / 2))]


def _plan_ensemble(brief: Brief, rng: random.Random, ctx: PlanningContext) -> list[EnsembleMember]:
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
        energy = _mean([a.arousal for a in brief.affect_arc]) if brief.affect_arc else 0.0
        named = style(c.style)
        calm_style = named is not None and named.calm
        # drums only for pieces with energy: never under a lullaby, a hymn or a slow lament
        quiet = calm_style or (c.tempo_bpm or 100) < 76 or energy < 0.0 or (brief.moods and brief.moods[0].value in ("serene", "tender", "ethereal", "solemn", "melancholy"))
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


def _plan_lyrics(brief: Brief, sections: list[Section]) -> Lyrics:
    """Lines for the sung sections. English lines are made from the prompt's own words; other
    languages get vocables (la, na, e) as placeholders for the co-creators' words."""
    language = brief.constraints.lyrics_language or "en"
    phrases = brief.imagery or [brief.title]
    sung = [s for s in sections if s.role not in (SectionRole.INTRO, SectionRole.OUTRO, SectionRole.INTERLUDE, SectionRole.CODA)]
    lines = []
    for index, section in enumerate(sung):
        # about one and a half syllables per bar, so the melody can carry them
        budget = max(4, int(section.bars * 1.5))
        words: list[str] = []
        if language == "en":
            source = " ".join(phrases[(index + k) % len(phrases)] for k in range(3)).split()
            for word in source:  # whole words, as long as their syllables fit the budget
                if len(split_syllables(" ".join(words + [word]))) > budget:
                    break
                words.append(word)
        if words:
            text = " ".join(words)
            syllables = split_syllables(text)
        else:
            syllables = [("la", "na", "e", "yo")[k % 4] for k in range(budget)]
            text = " ".join(syllables)
        lines.append(LyricLine(section=section.id, text=text, syllables=syllables))
    return Lyrics(language=language, theme=brief.lyric_theme or brief.title, lines=lines)
