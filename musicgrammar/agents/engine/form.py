"""Form, meter, tempo and length: which sections, how many bars each, at what pulse."""

from __future__ import annotations

import random

from musicgrammar.agents.engine.context import DEFAULT_DURATION_S, PlanningContext
from musicgrammar.ontologies import (
    Brief,
    FormType,
    Meter,
    Mood,
    SectionRole,
)

__all__ = ["FORM_ROLES", "plan_meter", "plan_tempo", "plan_form", "plan_bars"]

FORM_ROLES: dict[FormType, tuple[SectionRole, ...]] = {
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


def plan_meter(arousal: float, tradition, brief: Brief, rng: random.Random, ctx: PlanningContext) -> Meter:  # type: ignore[no-untyped-def]
    if tradition is not None:
        return tradition.meters[0]
    hinted = [e.meter for e in ctx.exemplars if e.meter]
    if hinted and rng.random() < 0.3:
        ctx.notes.append(f"meter {hinted[0]} taken from exemplar {ctx.exemplars[0].id}")
        return Meter.parse(hinted[0])
    moods = set(brief.moods)
    options = ["4/4"] * 5 + ["3/4"] * 2 + ["6/8"] * 2
    if {Mood.TENSE, Mood.AGGRESSIVE, Mood.ENERGETIC} & moods:
        options += ["7/8", "5/4"]
    if {Mood.TENDER, Mood.SERENE, Mood.NOSTALGIC} & moods:
        options += ["3/4", "6/8", "12/8"]
    return Meter.parse(rng.choice(options))


def plan_tempo(arousal: float, meter: Meter, rng: random.Random) -> float:
    bpm = 62 + (arousal + 1.0) / 2.0 * 84 + rng.uniform(-8, 8)
    if meter.is_compound:
        bpm *= 1.25  # compound beats are dotted quarters: keep the felt pulse in range
    return float(round(min(200, max(40, bpm))))


def plan_form(brief: Brief, duration: float | None, rng: random.Random, ctx: PlanningContext) -> FormType:
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


def plan_bars(
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
