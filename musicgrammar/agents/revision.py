"""Targeted revision: change what the findings name and keep everything else.

The design loop's feedback is structured (`Finding`s with codes and paths, `Reharmonization`
proposals), so a revision is a set of small, named edits to the previous spec, each recorded in
words for the run report. Findings about the realized notes only (clashes, parallels, rhythm) are
answered by realizing again with another seed, which the graph does; they change no design.
"""

from __future__ import annotations

import random

from musicgrammar.agents.engine.harmony import MODE_FAMILY, TEMPLATES, bar_progression
from musicgrammar.agents.planning import PlanningContext, plan_composition
from musicgrammar.ontologies import (
    Brief,
    CompositionSpec,
    DevelopmentTechnique,
    Dynamic,
    EnsembleMember,
    Finding,
    MotifUse,
    Reharmonization,
    Role,
    Tempo,
    get_instrument,
    parse_bar,
    validate_spec,
)

__all__ = ["revise_spec", "enforce_constraints", "NOTE_LEVEL_CODES"]

# Findings answered by a new realization rather than a new design.
NOTE_LEVEL_CODES = {"MELODY_CHORD_CLASH", "PARALLEL_FIFTHS", "PARALLEL_OCTAVES", "LEADING_TONE_UNRESOLVED",
                    "JUDGE_RHYTHM_OFFGRID", "JUDGE_RHYTHM_EMPTY", "JUDGE_DENSITY_ERRATIC", "JUDGE_DOWNBEAT_MISSING",
                    "NOTE_OUT_OF_RANGE", "NOTE_OUT_OF_KEY", "NOTE_BEYOND_END", "JUDGE_STEM_SILENT", "JUDGE_MOTIF_COPIED"}  # fmt: skip
_DESIGN_ERRORS = {"PROGRESSION_LENGTH", "HARMONY_BAR_EMPTY", "HARMONIC_RHYTHM_METER", "HARMONIC_RHYTHM_MIXED",
                  "FINAL_CADENCE_MISSING", "CADENCE_MISMATCH", "DURATION_OFF_TARGET", "TRADITION_INSTRUMENT",
                  "TRADITION_MODE", "TRADITION_METER", "SECTION_PART_NOT_IN_ENSEMBLE", "MOTIF_UNKNOWN",
                  "MOTIF_SECTION_UNKNOWN", "MOTIF_BAR_OUT_OF_SECTION", "SCORE_BARS_MISMATCH", "LYRICS_TOO_MANY_SYLLABLES"}  # fmt: skip


def revise_spec(
    spec: CompositionSpec, brief: Brief, findings: list[Finding], proposals: list[Reharmonization], seed: int
) -> tuple[CompositionSpec, list[str]]:
    """The previous spec with the named problems fixed; returns the new spec and what changed."""
    rng = random.Random(seed * 31 + 7)
    codes = {f.code for f in findings}
    changes: list[str] = []
    if codes & _DESIGN_ERRORS:
        # the design itself breaks the grammar: plan again from the brief with a new seed
        ctx = PlanningContext(seed=seed + 1000)
        new = plan_composition(brief, ctx)
        return new, [f"re-planned the design (seed {seed + 1000}) for {', '.join(sorted(codes & _DESIGN_ERRORS))}"]
    new = spec.model_copy(deep=True)
    changes += _apply_proposals(new, proposals)
    if codes & {"JUDGE_MOTIF_WEAK", "JUDGE_RETURN_UNCLEAR"}:
        changes += _strengthen_motifs(new)
    if codes & {"JUDGE_HARMONY_STATIC", "JUDGE_SECTIONS_ALIKE"}:
        changes += _vary_contrast_harmony(new, rng)
    if codes & {"JUDGE_DYNAMICS_FLAT", "JUDGE_DYNAMICS_AGAINST_ARC"}:
        changes += _follow_arc(new)
    if "JUDGE_AUDIO_CLIPPING" in codes:
        changes += _shift_dynamics(new, -1, "the mix clipped")
    if codes & {"JUDGE_AUDIO_SILENT", "JUDGE_AUDIO_LEVEL"}:
        changes += _shift_dynamics(new, +1, "the mix was too quiet")
    if codes & NOTE_LEVEL_CODES:
        changes.append(f"realize the notes again for {', '.join(sorted(codes & NOTE_LEVEL_CODES))}")
    if not validate_spec(new).valid:  # a revision never trades one problem for a broken design
        return spec, changes + ["kept the previous design: the revision did not validate"]
    return new, changes or ["no design change"]


def _apply_proposals(spec: CompositionSpec, proposals: list[Reharmonization]) -> list[str]:
    changes = []
    sections = {s.id: s for s in spec.sections}
    # one proposal per bar; the trained harmonizer's wins where both exist (it measured closer to Bach's
    # chord variety and harmonic rhythm than the rules, at the same chord-tone fit: benchmarks/RESULTS.md)
    chosen: dict[tuple[str, int], Reharmonization] = {}
    for p in proposals:
        key = (p.section, p.bar)
        if key not in chosen or p.source == "harmonizer":
            chosen[key] = p
    for p in chosen.values():
        section = sections.get(p.section)
        if section is None or not 1 <= p.bar <= section.bars:
            continue
        try:
            spans = parse_bar(p.proposed)
        except ValueError:
            continue
        beats = len(spec.meter.beats)
        if not spans or (all(s.beats is None for s in spans) and beats % len(spans)):
            continue
        if p.bar == section.bars:  # the cadence bar stays: the form's end condition outranks a clash
            continue
        section.progression[p.bar - 1] = p.proposed
        changes.append(f"reharmonized {p.section} bar {p.bar}: {p.current} -> {p.proposed} ({p.reason})")
    return changes


def _strengthen_motifs(spec: CompositionSpec) -> list[str]:
    """Place the main motif at the start of every phrase that has none, alternating its developments."""
    if not spec.motifs:
        return []
    techniques = [DevelopmentTechnique.REPEAT, DevelopmentTechnique.SEQUENCE, DevelopmentTechnique.FRAGMENTATION]
    added = 0
    for section in spec.sections:
        used = {u.bar for u in spec.motif_plan if u.section == section.id}
        for k, bar in enumerate(range(1, section.bars + 1, max(1, section.phrase_bars))):
            if bar not in used:
                spec.motif_plan.append(MotifUse(motif=spec.motifs[0].id, section=section.id, bar=bar, technique=techniques[k % 3]))
                added += 1
    return [f"placed motif {spec.motifs[0].id} at {added} more phrase starts"] if added else []


def _vary_contrast_harmony(spec: CompositionSpec, rng: random.Random) -> list[str]:
    """Give the contrasting sections (those whose role has not appeared before) a new progression."""
    family = MODE_FAMILY.get(spec.key.mode, "major")
    first_roles: set[str] = set()
    changes = []
    for index, section in enumerate(spec.sections):
        if section.role.value not in first_roles and index > 0 and index < len(spec.sections) - 1:
            degrees = list(rng.choice(TEMPLATES[family]))
            section.progression = bar_progression(degrees, section.bars, section.key or spec.key, section.cadence, len(spec.meter.beats), rng)
            changes.append(f"new progression for {section.id}: {' | '.join(section.progression[:4])} ...")
        first_roles.add(section.role.value)
    return changes


def _follow_arc(spec: CompositionSpec) -> list[str]:
    """Spread the dynamics over the affect arc: the most aroused section loudest, the calmest softest."""
    arousals = [s.affect.arousal for s in spec.sections]
    lo, hi = min(arousals), max(arousals)
    for section in spec.sections:
        rel = 0.5 if hi - lo < 1e-6 else (section.affect.arousal - lo) / (hi - lo)
        section.dynamic = list(Dynamic)[1 + round(rel * 4)]  # p .. ff
    return ["dynamics spread along the affect arc: " + " ".join(s.dynamic.value for s in spec.sections)]


def _shift_dynamics(spec: CompositionSpec, step: int, why: str) -> list[str]:
    order = list(Dynamic)
    for section in spec.sections:
        section.dynamic = order[max(0, min(len(order) - 1, order.index(section.dynamic) + step))]
    return [f"dynamics {'raised' if step > 0 else 'lowered'} one step: {why}"]


def enforce_constraints(spec: CompositionSpec, brief: Brief) -> tuple[CompositionSpec, list[str]]:
    """Put every explicit constraint of the brief back into a spec (an LLM may have dropped one)."""
    c = brief.constraints
    notes: list[str] = []
    update: dict = {}
    if c.key is not None and spec.key != c.key:
        update["key"] = c.key
    elif c.mode is not None and spec.key.mode != c.mode:
        update["key"] = spec.key.model_copy(update={"mode": c.mode})
    if c.meter is not None and str(spec.meter) != str(c.meter):
        update["meter"] = c.meter
    if c.tempo_bpm is not None and abs(spec.tempo.bpm - c.tempo_bpm) > 0.5:
        update["tempo"] = Tempo(bpm=c.tempo_bpm)
    if c.tradition is not None and spec.tradition != c.tradition:
        update["tradition"] = c.tradition
    ensemble = list(spec.ensemble)
    if c.no_drums:
        ensemble = [m for m in ensemble if not get_instrument(m.instrument).is_percussion]
    for inst in c.instruments:
        if all(m.instrument != inst for m in ensemble):
            role = Role.PERCUSSION if get_instrument(inst).is_percussion else (Role.LEAD if not ensemble else Role.COUNTER_MELODY)
            ensemble.append(EnsembleMember(id=inst, instrument=inst, role=role))
    if c.solo and c.instruments:
        ensemble = [m for m in ensemble if m.instrument in c.instruments]
    if [m.id for m in ensemble] != [m.id for m in spec.ensemble]:
        update["ensemble"] = ensemble
        kept = {m.id for m in ensemble}
        sections = [s.model_copy(update={"parts": [p for p in s.parts if p in kept]}) for s in spec.sections]
        update["sections"] = sections
    if c.duration_s is not None:
        update["target_duration_s"] = c.duration_s
    if update:
        notes.append("restored explicit constraints: " + ", ".join(sorted(update)))
        spec = spec.model_copy(update=update)
    return spec, notes
