"""The Composer's offline planning: a brief (and the exemplars it drew on) -> a `CompositionSpec`.

Every explicit constraint of the brief is honoured as given; everything else is chosen from the
brief's moods and affect arc, the tradition's rules and the retrieved exemplars, with a seeded
random generator so that the same seed gives the same plan. Chords are planned as scale degrees of
the key's mode and spelled as chord symbols, so any mode (Dorian, a Mande tuning) gets chords of
its own notes.

The plan is made by concern in `agents.engine`: form (sections, bars, meter, tempo), harmony (key,
progressions, cadences), motifs, orchestration (the ensemble) and lyrics; this module puts them together.
"""

from __future__ import annotations

import random

from musicgrammar.agents.engine.context import DEFAULT_DURATION_S, ExemplarHint, PlanningContext, mean
from musicgrammar.agents.engine.form import FORM_ROLES, plan_bars, plan_form, plan_meter, plan_tempo
from musicgrammar.agents.engine.harmony import plan_key, plan_sections
from musicgrammar.agents.engine.lyrics import plan_lyrics
from musicgrammar.agents.engine.motifs import plan_motifs
from musicgrammar.agents.engine.orchestration import plan_ensemble
from musicgrammar.ontologies import (
    Affect,
    Brief,
    CompositionSpec,
    FormType,
    SectionRole,
    Tempo,
    diatonic_chord,
    get_instrument,
    get_tradition,
)

__all__ = ["ExemplarHint", "PlanningContext", "plan_composition", "diatonic_chord", "DEFAULT_DURATION_S"]


def plan_composition(brief: Brief, ctx: PlanningContext) -> CompositionSpec:
    """Plan the whole design from the brief. Deterministic for a given brief, exemplars and seed."""
    rng = random.Random(ctx.seed)
    c = brief.constraints
    tradition = get_tradition(brief.tradition) if brief.tradition else None
    valence = mean([m.affect.valence for m in brief.moods]) if brief.moods else 0.2
    arousal = mean([m.affect.arousal for m in brief.moods]) if brief.moods else 0.0

    ensemble = plan_ensemble(brief, rng, ctx)
    key = plan_key(brief, valence, tradition, ensemble, rng, ctx)
    meter = c.meter or plan_meter(arousal, tradition, brief, rng, ctx)
    bpm = c.tempo_bpm or plan_tempo(arousal, meter, rng)
    form = c.form or plan_form(brief, c.duration_s, rng, ctx)
    target = c.duration_s or (None if c.bars else DEFAULT_DURATION_S)
    roles = list(FORM_ROLES[form])
    if form is FormType.STROPHIC and target:
        roles = [SectionRole.VERSE] * max(2, min(6, round(target / 20)))
    bars_per_section, bpm = plan_bars(roles, meter, bpm, target, c.bars, explicit_tempo=c.tempo_bpm is not None, form=form)
    if len(bars_per_section) != len(roles):  # twelve-bar blues: one section per chorus
        roles = [SectionRole.A] * len(bars_per_section)
    arc = brief.affect_arc or [Affect(valence=valence, arousal=arousal)]
    sections = plan_sections(roles, bars_per_section, key, meter, arc, form, rng, ctx)
    motifs, plan = plan_motifs(sections, meter, rng)
    lyrics = plan_lyrics(brief, sections) if c.lyrics_language else None
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
