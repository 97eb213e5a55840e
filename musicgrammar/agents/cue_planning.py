"""Cue planning for a soundtrack: NarraScore's two branches over the project's Composer.

Global branch: the Composer plans the film once, from a brief woven from the title, the style and
the film's mean affect; its key, meter, ensemble, motifs and tempo are the anchor every cue keeps.
Local branch: each scene's affect sets the cue's tempo inside the anchor's family, its dynamic,
register, density, mode mixture (the parallel mode of the anchor key) and orchestration (a subset
of the ensemble), and the Composer plans the cue's chords in that key. Timing: a cue gets a whole
number of bars and the tempo that makes them last exactly the scene, so every cue starts on its
cut; a scene too short for one bar inside the family joins its neighbour (said in the plan's notes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from musicgrammar.agents.planning import diatonic_chord
from musicgrammar.ontologies import (
    Affect,
    Brief,
    Cadence,
    CompositionSpec,
    Constraints,
    DevelopmentTechnique,
    Dynamic,
    EnsembleMember,
    FormType,
    Key,
    Meter,
    Mode,
    MotifUse,
    Role,
    Section,
    SectionRole,
    Tempo,
)
from musicgrammar.ontologies.soundtrack import Cue, CuePlan, GlobalAnchor, Storyboard, Transition

__all__ = ["plan_cues", "TEMPO_SPAN", "tempo_map"]

TEMPO_SPAN = 1.25  # the family runs from centre / TEMPO_SPAN to centre * TEMPO_SPAN
_MAJOR_FAMILY = {Mode.MAJOR, Mode.IONIAN, Mode.LYDIAN, Mode.MIXOLYDIAN, Mode.MAJOR_PENTATONIC}
_MINOR_FAMILY = {Mode.MINOR, Mode.AEOLIAN, Mode.DORIAN, Mode.HARMONIC_MINOR, Mode.PHRYGIAN, Mode.MINOR_PENTATONIC}

# (weave: prompt -> Brief, compose: (Brief, seed) -> CompositionSpec): the Theme Weaver and Composer.
Weave = Callable[[str], Brief]
Compose = Callable[[Brief, int], CompositionSpec]


def plan_cues(board: Storyboard, affects: Sequence[Affect], weave: Weave, compose: Compose, seed: int = 0) -> tuple[CuePlan, CompositionSpec]:
    """The cue plan and the one composition whose sections are the cues."""
    notes: list[str] = []
    durations = [s.duration for s in board.scenes]
    weight = sum(durations)
    film = Affect(valence=_clamp(sum(a.valence * d for a, d in zip(affects, durations)) / weight),
                  arousal=_clamp(sum(a.arousal * d for a, d in zip(affects, durations)) / weight))  # fmt: skip
    total = board.scenes[-1].end - board.scenes[0].start  # the music's length: first cut to the end
    brief = weave(f"{board.title}. {board.style}".strip(". "))
    brief = brief.model_copy(update={"title": board.title, "affect_arc": [film],
                                     "constraints": brief.constraints.model_copy(update={"form": FormType.THROUGH_COMPOSED})})  # fmt: skip
    anchor_spec = compose(brief, seed)
    meter, key = anchor_spec.meter, anchor_spec.key
    bar_q = meter.bar_quarters
    centre = min(150.0, max(56.0, anchor_spec.tempo.bpm))
    low, high = centre / TEMPO_SPAN, centre * TEMPO_SPAN
    groups = _merge_short_scenes(board, bar_q * 60.0 / high, notes)
    cues: list[Cue] = []
    ensemble = anchor_spec.ensemble
    for index, group in enumerate(groups):
        start = board.scenes[group[0]].start
        # a gap before the next scene belongs to this cue: the music runs on to the next cut
        end = board.scenes[groups[index + 1][0]].start if index + 1 < len(groups) else board.scenes[group[-1]].end
        weights = [board.scenes[i].duration for i in group]
        affect = Affect(valence=_clamp(sum(affects[i].valence * w for i, w in zip(group, weights)) / sum(weights)),
                        arousal=_clamp(sum(affects[i].arousal * w for i, w in zip(group, weights)) / sum(weights)))  # fmt: skip
        target = centre * TEMPO_SPAN ** _clamp(affect.arousal - film.arousal)
        bars, bpm = _fit_bars(end - start, bar_q, target, low, high)
        if not low - 0.5 <= bpm <= high + 0.5:
            notes.append(f"cue {index + 1} ({end - start:.2f} s) runs at {bpm:.1f} BPM, outside the family {low:.0f}-{high:.0f}, "
                         "so that whole bars end on its cut")  # fmt: skip
        cues.append(Cue(
            scene=group[0], scenes=list(group), section=f"cue{index + 1}", start_s=start, end_s=end, affect=affect,
            key=_mixture(key, affect, film), tempo_bpm=round(bpm, 3), bars=bars, dynamic=Dynamic.for_arousal(affect.arousal),
            register_shift=1 if affect.arousal > 0.45 and affect.valence > 0.0 else -1 if affect.valence < -0.35 and affect.arousal < 0.0 else 0,
            # notes per second should follow arousal: the density also makes up for whole bars
            # having pulled the tempo off its target
            density=round(min(2.0, max(0.5, 2.0 ** (1.5 * affect.arousal) * target / bpm)), 3),
            parts=_orchestration(ensemble, affect.arousal), transition=Transition.FINAL,
            description=" / ".join(board.scenes[i].description for i in group if board.scenes[i].description)[:300],
        ))  # fmt: skip
    for cue, nxt in zip(cues, cues[1:]):
        cue.transition = Transition.PICKUP if nxt.affect.arousal > cue.affect.arousal + 0.15 else Transition.CADENCE
    sections = [_cue_section(cue, nxt, board, brief, weave, compose, seed, meter, len(cues), key)
                for cue, nxt in zip(cues, cues[1:] + [None])]  # fmt: skip
    total_bars = sum(c.bars for c in cues)
    anchor = GlobalAnchor(style=board.style, key=key, meter=meter, palette=[m.instrument for m in ensemble],
                          tempo_family=(round(low, 1), round(high, 1)), tempo_centre=round(centre, 1), affect=film)  # fmt: skip
    motifs = anchor_spec.motifs[:2]
    spec = CompositionSpec(
        title=board.title, key=key, meter=meter,
        # the composition's single tempo is the average: its bars then last exactly the film
        tempo=Tempo(bpm=round(total_bars * bar_q * 60.0 / total, 3)),
        form=FormType.THROUGH_COMPOSED, sections=sections, ensemble=ensemble, motifs=motifs,
        motif_plan=_motif_plan(cues, film, [m.id for m in motifs], ensemble), moods=brief.moods,
        target_duration_s=round(total, 3), style=board.style[:200],
    )  # fmt: skip
    return CuePlan(title=board.title, duration_s=total, anchor=anchor, cues=cues, notes=notes), spec


def _clamp(x: float) -> float:
    return max(-1.0, min(1.0, x))


def _merge_short_scenes(board: Storyboard, min_s: float, notes: list[str]) -> list[list[int]]:
    """Scene index groups: a scene shorter than one bar at the family's fastest tempo joins the
    previous cue (the next one at the start of the film)."""
    groups: list[list[int]] = []
    for index, scene in enumerate(board.scenes):
        if scene.duration < min_s and groups:
            groups[-1].append(index)
            notes.append(f"scene {index} lasts {scene.duration:.2f} s, less than a bar at the fastest tempo ({min_s:.2f} s): "
                         f"it shares the cue of scene {groups[-1][0]}")  # fmt: skip
        elif groups and board.scenes[groups[-1][-1]].end - board.scenes[groups[-1][0]].start < min_s:
            groups[-1].append(index)  # the film starts with a too-short scene: it leads into this one
            notes.append(f"scene {groups[-1][0]} lasts less than a bar at the fastest tempo ({min_s:.2f} s): it shares the cue of scene {index}")
        else:
            groups.append([index])
    if len(groups) > 1 and board.scenes[groups[-1][-1]].end - board.scenes[groups[-1][0]].start < min_s:
        tail = groups.pop()
        groups[-1].extend(tail)
    return groups


def _fit_bars(seconds: float, bar_q: float, target_bpm: float, low: float, high: float) -> tuple[int, float]:
    """Whole bars for the span and the tempo that makes them last it exactly: among the bar counts
    near the target, those whose tempo falls inside the family win, then the one nearest the target
    (in log tempo); when none falls inside, the one nearest the family."""

    def bpm_for(bars: int) -> float:
        return bars * bar_q * 60.0 / seconds

    def outside(bars: int) -> float:
        bpm = bpm_for(bars)
        return abs(math.log(bpm / min(max(bpm, low), high)))

    guess = max(1, round(seconds * target_bpm / (bar_q * 60.0)))
    options = range(max(1, guess - 2), guess + 3)
    best = min(options, key=lambda b: (outside(b), abs(math.log(bpm_for(b) / target_bpm))))
    return best, bpm_for(best)


def _mixture(key: Key, affect: Affect, film: Affect) -> Key:
    """Mode mixture: a clearly darker cue borrows the parallel minor, a clearly brighter one the major."""
    if key.mode in _MAJOR_FAMILY and affect.valence < min(0.0, film.valence - 0.4):
        return Key(tonic=key.tonic, mode=Mode.MINOR)
    if key.mode in _MINOR_FAMILY and affect.valence > max(0.0, film.valence + 0.4):
        return Key(tonic=key.tonic, mode=Mode.MAJOR)
    return key


def _orchestration(ensemble: Sequence[EnsembleMember], arousal: float) -> list[str]:
    """Calm cues: lead and one accompanying voice; moderate: all pitched parts; excited: everyone."""
    pitched = [m for m in ensemble if m.role is not Role.PERCUSSION]
    if arousal > 0.3:
        return [m.id for m in ensemble]
    if arousal > -0.3:
        return [m.id for m in pitched]
    lead = [m for m in pitched if m.role is Role.LEAD][:1] or pitched[:1]
    rest = [m for m in pitched if m not in lead and m.role in (Role.HARMONY, Role.PAD)][:1] or [m for m in pitched if m not in lead][:1]
    return [m.id for m in lead + rest]


def _cue_section(cue: Cue, nxt: Cue | None, board: Storyboard, film_brief: Brief, weave: Weave, compose: Compose,
                 seed: int, meter: Meter, n_cues: int, anchor_key: Key) -> Section:  # fmt: skip
    """The cue's section: the Composer plans its chords in the cue's key, tempo and bar count; the
    last bar prepares the cut (a cadence, or the next cue's dominant under a pickup)."""
    text = cue.description or film_brief.prompt
    brief = weave(text) if cue.description else film_brief
    constraints = Constraints(key=cue.key, meter=meter, tempo_bpm=cue.tempo_bpm, bars=cue.bars, form=FormType.THROUGH_COMPOSED)
    brief = brief.model_copy(update={"title": film_brief.title, "affect_arc": [cue.affect], "constraints": constraints,
                                     "palette": film_brief.palette, "tradition": None})  # fmt: skip
    planned = compose(brief, seed * 1009 + cue.scene)
    progression = [bar for section in planned.sections for bar in section.progression][: cue.bars]
    cadence = planned.sections[-1].cadence
    if nxt is not None and cue.transition is Transition.PICKUP:
        # a half cadence on the cut: pre-dominant, then the next cue's dominant under the pickup
        if len(progression) >= 2:
            progression[-2] = diatonic_chord(cue.key, 4).symbol
        progression[-1] = diatonic_chord(nxt.key, 5, dominant_major=nxt.key.mode in (Mode.MINOR, Mode.AEOLIAN, Mode.HARMONIC_MINOR)).symbol
        cadence = Cadence.HALF if nxt.key.tonic == cue.key.tonic else Cadence.OPEN
    index = int(cue.section[3:]) - 1
    role = SectionRole.INTRO if index == 0 and n_cues > 2 else SectionRole.CODA if index == n_cues - 1 and n_cues > 2 else SectionRole.A
    return Section(id=cue.section, role=role, bars=cue.bars, progression=progression, cadence=cadence,
                   key=None if cue.key == anchor_key else cue.key, affect=cue.affect, dynamic=cue.dynamic,
                   parts=cue.parts, phrase_bars=min(4, cue.bars))  # fmt: skip


def _motif_plan(cues: Sequence[Cue], film: Affect, motif_ids: list[str], ensemble: Sequence[EnsembleMember]) -> list[MotifUse]:
    """The film's main motif in its brighter cues, the second in its darker ones, developed by the
    cue's affect: augmented when calm, diminished when excited, inverted when dark."""
    if not motif_ids:
        return []
    lead = next((m.id for m in ensemble if m.role is Role.LEAD), None)
    plan: list[MotifUse] = []
    seen: set[str] = set()
    T = DevelopmentTechnique
    for cue in cues:
        if lead is not None and lead not in cue.parts:
            continue
        motif = motif_ids[0] if cue.affect.valence >= film.valence - 0.2 or len(motif_ids) == 1 else motif_ids[1]
        if motif not in seen:
            technique = T.REPEAT
        elif cue.affect.arousal < -0.3:
            technique = T.AUGMENTATION
        elif cue.affect.arousal > 0.4:
            technique = T.DIMINUTION
        elif cue.affect.valence < film.valence - 0.3:
            technique = T.INVERSION
        else:
            technique = T.SEQUENCE
        seen.add(motif)
        plan.append(MotifUse(motif=motif, section=cue.section, bar=1, technique=technique))
    return plan


def tempo_map(spec: CompositionSpec, plan: CuePlan) -> list[tuple[float, float, float]]:
    """(start quarter, start second, BPM) of every cue, in order."""
    out, quarter = [], 0.0
    for cue in plan.cues:
        out.append((quarter, cue.start_s, cue.tempo_bpm))
        quarter += cue.bars * spec.meter.bar_quarters
    return out
