"""Realizing an edited design only where the edit reaches.

The realizer writes a whole piece from a design. After an edit, the edited design is realized in
full and then, part by part, every section the edit did not reach takes back the previous
revision's notes (moved in time when sections before it changed length), so a section nobody
touched sounds exactly as before.
"""

from __future__ import annotations

from typing import Any

from musicgrammar.ontologies import CompositionSpec, Note, Part, Score

__all__ = ["realize_edit", "section_spans", "reached_sections"]

# Design fields written into every section's notes; tempo, title, moods, style and target length
# change no note (the score's time line is in quarter notes). The motif plan reaches the sections
# whose motif uses change.
_NOTE_FIELDS = ("key", "meter", "motifs", "lyrics", "tradition")


def section_spans(spec: CompositionSpec) -> dict[str, tuple[float, float]]:
    """Section id -> (start, end) in quarter notes."""
    bar_len = spec.meter.bar_quarters
    spans, bar = {}, 0
    for section in spec.sections:
        spans[section.id] = (bar * bar_len, (bar + section.bars) * bar_len)
        bar += section.bars
    return spans


def reached_sections(before: CompositionSpec, after: CompositionSpec) -> set[str]:
    """Ids of the sections of `after` whose notes an edit from `before` can change (all parts)."""
    if any(getattr(before, name) != getattr(after, name) for name in _NOTE_FIELDS):
        return {s.id for s in after.sections}
    old = {s.id: s for s in before.sections}

    def uses(spec: CompositionSpec, section_id: str) -> list[Any]:
        return [u for u in spec.motif_plan if u.section == section_id]

    return {s.id for s in after.sections if s.id not in old or old[s.id] != s or uses(before, s.id) != uses(after, s.id)}


def _member_key(spec: CompositionSpec, member_id: str) -> tuple[str, str] | None:
    for member in spec.ensemble:
        if member.id == member_id:
            return member.instrument, member.role.value
    return None


def realize_edit(before: CompositionSpec, old_score: Score, after: CompositionSpec, seed: int, melody: Any = None) -> tuple[Score, list[str]]:
    """The notes of `after`: freshly realized where the edit reaches, the old notes elsewhere.

    Returns the score and the ids of the sections that were re-realized (in any part).
    """
    from musicgrammar.tools.realize import realize

    fresh = realize(after, seed=seed, melody=melody)
    reached = reached_sections(before, after)
    old_spans, new_spans = section_spans(before), section_spans(after)
    old_parts = {p.id: p for p in old_score.parts}
    rewritten: set[str] = set(reached)
    parts: list[Part] = []
    for part in fresh.parts:
        old = old_parts.get(part.id)
        if old is None or _member_key(before, part.id) != _member_key(after, part.id):
            rewritten.update(new_spans)  # a new or re-cast player: all of its notes are new
            parts.append(part)
            continue
        notes: list[Note] = []
        for section_id, (start, end) in new_spans.items():
            if section_id in reached or section_id not in old_spans:
                notes += [n for n in part.notes if start <= n.start < end]
                continue
            old_start, old_end = old_spans[section_id]
            shift = start - old_start
            kept = [n for n in old.notes if old_start <= n.start < old_end]
            notes += [n if shift == 0 else n.model_copy(update={"start": n.start + shift}) for n in kept]
        parts.append(part.model_copy(update={"notes": sorted(notes, key=lambda n: (n.start, n.pitch))}))
    score = fresh.model_copy(update={"parts": parts})
    return score, [s.id for s in after.sections if s.id in rewritten]
