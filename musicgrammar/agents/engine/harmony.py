"""Key and mode, progressions as scale degrees of the key's mode (spelled by the ontology), cadences."""

from __future__ import annotations

import random

from musicgrammar.agents.engine.context import PlanningContext
from musicgrammar.ontologies import (
    Affect,
    Brief,
    Cadence,
    ChordQuality,
    ChordSymbol,
    Dynamic,
    EnsembleMember,
    FormType,
    Key,
    Meter,
    Mode,
    Mood,
    Section,
    SectionRole,
    diatonic_chord,
)

__all__ = ["TEMPLATES", "MODE_FAMILY", "AUTHENTIC_MODES", "plan_key", "plan_sections", "bar_progression"]

TEMPLATES: dict[str, tuple[tuple[int, ...], ...]] = {
    "major": ((1, 5, 6, 4), (1, 4, 5, 1), (1, 6, 4, 5), (1, 4, 1, 5), (6, 4, 1, 5), (1, 3, 4, 5), (2, 5, 1, 6), (4, 1, 5, 6), (1, 2, 4, 5)),
    "minor": ((1, 4, 5, 1), (1, 6, 3, 7), (1, 7, 6, 5), (1, 4, 7, 3), (1, 6, 4, 5), (1, 5, 4, 1), (4, 5, 1, 6), (1, 3, 7, 4)),
    "dorian": ((1, 4, 1, 4), (1, 2, 4, 1), (1, 7, 4, 1), (1, 4, 7, 1), (1, 3, 4, 7)),
    "mixolydian": ((1, 7, 4, 1), (1, 4, 7, 1), (1, 5, 7, 4), (1, 7, 1, 4)),
    "lydian": ((1, 2, 1, 2), (1, 2, 5, 1), (1, 3, 2, 1), (1, 2, 7, 1)),
    "phrygian": ((1, 2, 1, 2), (1, 2, 3, 2), (1, 7, 2, 1), (1, 4, 2, 1)),
    "locrian": ((1, 2, 1, 7), (1, 6, 2, 1)),
}  # fmt: skip


MODE_FAMILY = {
    Mode.MAJOR: "major", Mode.IONIAN: "major", Mode.MAJOR_PENTATONIC: "major", Mode.MANDE_SILABA: "major",
    Mode.MANDE_BALAFON: "major", Mode.MANDE_PENTATONIC: "major", Mode.MINOR: "minor", Mode.AEOLIAN: "minor",
    Mode.HARMONIC_MINOR: "minor", Mode.MELODIC_MINOR: "minor", Mode.MINOR_PENTATONIC: "minor",
    Mode.DORIAN: "dorian", Mode.MIXOLYDIAN: "mixolydian", Mode.BLUES: "mixolydian", Mode.MANDE_HARDINO: "mixolydian",
    Mode.LYDIAN: "lydian", Mode.MANDE_SAUTA: "lydian", Mode.WHOLE_TONE: "lydian", Mode.PHRYGIAN: "phrygian",
    Mode.PHRYGIAN_DOMINANT: "phrygian", Mode.MANDE_TOMORA: "phrygian", Mode.LOCRIAN: "locrian",
    Mode.SLENDRO: "mixolydian", Mode.PELOG: "phrygian",
}  # fmt: skip


# Modes whose final cadence is authentic (a major V exists or is borrowed, as in minor).
AUTHENTIC_MODES = {Mode.MAJOR, Mode.IONIAN, Mode.MINOR, Mode.AEOLIAN, Mode.HARMONIC_MINOR, Mode.MELODIC_MINOR,
                    Mode.MANDE_SILABA, Mode.MANDE_BALAFON}  # fmt: skip


_MODAL_FINAL = {"dorian": 7, "mixolydian": 7, "lydian": 2, "phrygian": 2, "locrian": 2, "major": 4, "minor": 7}


_BLUES_DEGREES = (1, 1, 1, 1, 4, 4, 1, 1, 5, 4, 1, 5)


def plan_key(brief: Brief, valence: float, tradition, ensemble: list[EnsembleMember], rng: random.Random, ctx: PlanningContext) -> Key:  # type: ignore[no-untyped-def]
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
        moods = set(brief.moods)
        if valence > 0.35:
            options = [Mode.MAJOR, Mode.MAJOR, Mode.MIXOLYDIAN] + ([Mode.LYDIAN] * 2 if Mood.ETHEREAL in moods else [])
        elif valence > -0.15:
            options = [Mode.DORIAN, Mode.MAJOR, Mode.MIXOLYDIAN, Mode.MINOR] + ([Mode.LYDIAN] if Mood.ETHEREAL in moods else [])
        else:
            options = [Mode.MINOR, Mode.HARMONIC_MINOR, Mode.DORIAN] + ([Mode.PHRYGIAN] if {Mood.EERIE, Mood.DARK, Mood.TENSE} & moods else [])
        mode = rng.choice(options)
    tonic = c.tonic or rng.choice(["C", "D", "E", "F", "G", "A", "Bb", "Eb"] if not mode.is_minor else ["A", "D", "E", "G", "C", "B", "F#"])
    return Key(tonic=tonic, mode=mode)


def _cadence_for(key: Key, final: bool, role: SectionRole, rng: random.Random) -> Cadence:
    if final:
        return Cadence.AUTHENTIC if key.mode in AUTHENTIC_MODES else Cadence.MODAL
    if role in (SectionRole.INTRO, SectionRole.VERSE):
        return Cadence.HALF
    return rng.choice([Cadence.HALF, Cadence.AUTHENTIC] if key.mode in AUTHENTIC_MODES else [Cadence.HALF, Cadence.MODAL])


def _cadence_degrees(key: Key, cadence: Cadence) -> tuple[int, int]:
    family = MODE_FAMILY.get(key.mode, "major")
    return {
        Cadence.AUTHENTIC: (5, 1),
        Cadence.PLAGAL: (4, 1),
        Cadence.HALF: (4 if family in ("major", "minor") else 1, 5),
        Cadence.DECEPTIVE: (5, 6),
        Cadence.MODAL: (_MODAL_FINAL.get(family, 4), 1),
        Cadence.OPEN: (1, 1),
    }[cadence]


def plan_sections(
    roles: list[SectionRole], bars: list[int], key: Key, meter: Meter, arc: list[Affect], form: FormType,
    rng: random.Random, ctx: PlanningContext,
) -> list[Section]:  # fmt: skip
    family = MODE_FAMILY.get(key.mode, "major")
    templates = list(TEMPLATES[family])
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
        progression = bar_progression(degrees, n_bars, key, cadence, beats, rng, blues=form is FormType.TWELVE_BAR_BLUES)
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


def bar_progression(
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
    dom = cadence in (Cadence.AUTHENTIC, Cadence.HALF, Cadence.DECEPTIVE) and key.mode in AUTHENTIC_MODES
    if n_bars >= 2:
        bars[-2] = chord(penult, dom and penult == 5)
        bars[-1] = chord(last, dom and last == 5)
    elif beats % 2 == 0:
        bars[-1] = f"{chord(penult, dom)} {chord(last, dom and last == 5)}"
    else:
        bars[-1] = chord(last, dom and last == 5)
    if n_bars >= 4 and beats % 2 == 0 and rng.random() < 0.5:
        # a pre-dominant in the second half of the bar before the cadence quickens the harmonic rhythm
        pre = 2 if MODE_FAMILY.get(key.mode) in ("major", "minor") else 4
        bars[-3] = f"{bars[-3]} {chord(pre)}" if bars[-3] != chord(pre) else bars[-3]
    return bars
