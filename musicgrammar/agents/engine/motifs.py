"""Motifs worth remembering and the plan of where each returns and how it develops."""

from __future__ import annotations

import random

from musicgrammar.ontologies import (
    DevelopmentTechnique,
    Meter,
    Motif,
    MotifUse,
    Section,
    SectionRole,
)

__all__ = ["plan_motifs"]


def plan_motifs(sections: list[Section], meter: Meter, rng: random.Random) -> tuple[list[Motif], list[MotifUse]]:
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
