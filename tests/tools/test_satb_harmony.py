"""Melody-first four-part pieces: the trained harmonizer chooses the chords the voices sing."""

from __future__ import annotations

from musicgrammar.agents.planning import PlanningContext, plan_composition
from musicgrammar.agents.weaving import weave_brief
from musicgrammar.ontologies import Cadence, ChordSymbol, Composition, Key, Meter, cadences_made, chord_timeline, parse_bar, section_spans, validate_composition
from musicgrammar.tools.four_part import VOICES
from musicgrammar.tools.harmonizer import HarmonizedChord, harmonize_melody
from musicgrammar.tools.realize import realize_design
from musicgrammar.tools.satb_harmony import harmonizer_bars


def test_harmonizer_chords_become_bar_texts_with_held_chords_joined() -> None:
    g, c = ChordSymbol.parse("G"), ChordSymbol.parse("C")
    chords = [HarmonizedChord(1, 1, 0.0, 1.0, g), HarmonizedChord(1, 2, 1.0, 1.0, g), HarmonizedChord(1, 3, 2.0, 1.0, c),
              HarmonizedChord(2, 1, 3.0, 3.0, c)]  # fmt: skip
    assert harmonizer_bars(chords, 1.0) == {0: "G:2 C:1", 1: "C:3"}


def test_a_chorale_progression_is_the_harmonizers_chords_for_its_soprano() -> None:
    planned = plan_composition(weave_brief("a four-voice chorale in the style of Bach"), PlanningContext(seed=1))
    spec, score = realize_design(planned, seed=1)
    assert {p.instrument for p in score.parts} >= set(VOICES)
    soprano = next(p for p in score.parts if p.instrument == "soprano")
    expected = harmonizer_bars(harmonize_melody(score, seed=1).chords, 1.0)  # the lead (soprano) line, same seed
    assert harmonize_melody(score, seed=1).melody == sorted(soprano.notes, key=lambda n: n.start)
    protected, taken = 0, 0
    for before, after in zip(section_spans(planned), section_spans(spec)):
        assert len(after.section.progression) == after.section.bars  # one bar text per bar
        for i, text in enumerate(after.section.progression):
            closing = i >= after.section.bars - 2 and after.section.cadence is not Cadence.OPEN
            if closing and text == before.section.progression[i] and text != expected.get(after.start_bar + i):
                protected += 1  # a planned cadence chord kept because the harmonizer's did not close
                continue
            assert text == expected[after.start_bar + i]
            taken += 1
        if after.section.cadence is not Cadence.OPEN:
            assert after.section.cadence in _made(after.section, spec.key)  # the declared cadence still made
    assert taken >= spec.bars - 4 and protected <= 4
    last = spec.sections[-1]
    assert last.cadence in (Cadence.AUTHENTIC, Cadence.PLAGAL) and last.cadence in _made(last, spec.key)
    events = chord_timeline(spec)
    assert abs(sum(e.duration for e in events) - spec.bars * spec.meter.bar_quarters) < 1e-6  # every bar filled to the meter
    report = validate_composition(Composition(spec=spec, score=score))
    assert report.valid, [f.message for f in report.findings if f.severity.value == "error"]
    again, _ = realize_design(planned, seed=1)
    assert again == spec  # the same seed gives the same chords


def _made(section, key: Key) -> frozenset[Cadence]:  # type: ignore[no-untyped-def]
    chords = [span.chord for text in section.progression for span in parse_bar(text)]
    return cadences_made(chords[-2], chords[-1], key)


def test_a_piece_that_is_not_four_part_keeps_its_planned_chords() -> None:
    planned = plan_composition(weave_brief("a gentle waltz for piano in F major"), PlanningContext(seed=3))
    spec, score = realize_design(planned, seed=3)
    assert spec == planned and score.meter == Meter.parse("3/4")
