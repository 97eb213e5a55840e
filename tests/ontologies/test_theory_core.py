"""The one theory core: chord timeline, beat strengths, diatonic chords and spelling, cadence reading.

The realizer writes its notes on the ontology's chord timeline and the critics measure against the
same one, so in 7/8 (2+2+3) and 6/8 every chord is heard exactly where it is checked.
"""

from __future__ import annotations

import numpy as np
import pytest

from musicgrammar.agents.harmony_rules import critique_harmony
from musicgrammar.ontologies import (
    Cadence,
    ChordSymbol,
    CompositionSpec,
    EnsembleMember,
    Key,
    Meter,
    Section,
    Tempo,
    beat_strengths,
    cadence_shape,
    cadences_made,
    chord_at,
    chord_timeline,
    diatonic_chord,
    diatonic_chords,
)
from musicgrammar.tools import analysis as an
from musicgrammar.tools import harmony_metrics as hm
from musicgrammar.tools.realize import realize


def _spec(meter: str, bars: list[str], key: str = "C major") -> CompositionSpec:
    return CompositionSpec(
        title="meter test",
        key=Key.parse(key),
        meter=Meter.parse(meter),
        tempo=Tempo(bpm=100),
        sections=[Section(id="A", role="A", bars=len(bars), progression=bars, cadence=Cadence.AUTHENTIC)],
        ensemble=[
            EnsembleMember(id="lead", instrument="flute", role="lead"),
            EnsembleMember(id="keys", instrument="acoustic_grand_piano", role="harmony"),
            EnsembleMember(id="bass", instrument="acoustic_bass", role="bass"),
        ],
    )


@pytest.mark.parametrize(
    ("meter", "bars", "onsets"),
    [
        # 7/8 as 2+2+3: G7 on the first two felt beats (two quarters), C on the last (a dotted quarter)
        ("7/8", ["Am:2 G7:1", "G7:2 C:1"], [0.0, 2.0, 3.5, 5.5]),
        # 6/8 in two: one chord per dotted quarter
        ("6/8", ["Dm:1 G7:1", "G:1 C:1"], [0.0, 1.5, 3.0, 4.5]),
    ],
)
def test_realizer_and_critic_agree_on_every_chord_onset(meter: str, bars: list[str], onsets: list[float]) -> None:
    spec = _spec(meter, bars)
    events = chord_timeline(spec)
    assert [e.onset for e in events] == pytest.approx(onsets)
    assert [e.onset for e in an.chord_timeline(spec)] == pytest.approx(onsets)  # the critics' timeline is the same one
    score = realize(spec, seed=3)
    bass = next(p for p in score.parts if p.id == "bass")
    bass_onsets = {round(n.start, 6): n for n in bass.notes}
    for event in events:
        note = bass_onsets.get(round(event.onset, 6))
        assert note is not None, f"no bass note where {event.chord} starts ({event.onset})"
        assert note.pitch % 12 == event.chord.bass_pc  # the root sounds on the chord's onset
    # every accompaniment note is a tone of the chord the critic reads at its onset
    for part in score.parts:
        if part.id == "lead":
            continue
        for note in part.notes:
            assert note.pitch % 12 in chord_at(events, note.start).pcs, (part.id, note)
    critique = critique_harmony(spec, score)
    # the critic measures chord-tone ratio on the same chords: the accompaniment never clashes with them
    assert not [f for f in critique.findings if f.code.startswith("CLASH") and ".parts[0]" not in f.path]


def test_beat_strengths_come_from_the_grouping() -> None:
    seven = Meter.parse("7/8")  # 2+2+3: felt beats at 0, 1, 2 quarters
    assert beat_strengths(seven, np.array([0.0, 1.0, 2.0, 2.5, 3.0, 0.125])).tolist() == [0, 2, 2, 3, 3, 4]
    three_two_two = Meter.parse("7/8(3+2+2)")
    assert beat_strengths(three_two_two, np.array([0.0, 1.0, 1.5, 2.5])).tolist() == [0, 3, 2, 2]
    assert [seven.beat_strength(t) for t in (0.0, 1.0, 2.0)] == [0, 2, 2]
    # the CBS metric reads the same strengths: chords on 0 and on the 6/8 middle beat average 0.5
    six = Meter.parse("6/8")
    chords = [(0.0, 1.5, ChordSymbol.parse("C")), (1.5, 1.5, ChordSymbol.parse("G"))]
    assert hm.chord_beat_strength(chords, meter=six) == pytest.approx(0.5)
    assert hm.chord_beat_strength(chords, 3.0, 1.5) == pytest.approx(0.5)
    assert Meter.from_beat_lengths(3.0, 1.5).groups == (3, 3)


def test_chords_are_spelled_by_letter() -> None:
    assert ChordSymbol.parse("A").tone_names() == ["A", "C#", "E"]
    assert ChordSymbol.parse("Bb7").tone_names() == ["Bb", "D", "F", "Ab"]
    assert ChordSymbol.parse("Bdim7").tone_names() == ["B", "D", "F", "Ab"]
    assert ChordSymbol.parse("Ebm").tone_names() == ["Eb", "Gb", "Bb"]
    assert ChordSymbol.parse("Caug").tone_names() == ["C", "E", "G#"]
    assert ChordSymbol.parse("C/Bb").tone_names() == ["Bb", "C", "E", "G"]


def test_keys_spell_their_degrees_with_one_letter_each() -> None:
    assert [Key.parse("F# major").spell(pc) for pc in (6, 8, 10, 11, 1, 3, 5)] == ["F#", "G#", "A#", "B", "C#", "D#", "E#"]
    assert Key.parse("Gb major").spell(11) == "Cb"
    assert Key.parse("F major").spell(10) == "Bb" and Key.parse("E major").spell(8) == "G#"
    assert Key.parse("A minor_pentatonic").spell(0) == "C"  # letters of the parent A minor


def test_diatonic_chords_of_a_key() -> None:
    c = Key.parse("C major")
    assert [diatonic_chord(c, d).symbol for d in range(1, 8)] == ["C", "Dm", "Em", "F", "G", "Am", "Bdim"]
    assert diatonic_chord(Key.parse("F# major"), 7).symbol == "E#dim"
    assert diatonic_chord(Key.parse("A minor"), 5, dominant_major=True).symbol == "E"
    assert {"G7", "Dm7", "Cmaj7", "Bm7b5"} <= {ch.symbol for ch in diatonic_chords(c)}
    # a minor key also lends the harmonic-minor dominant
    assert {"E", "E7"} <= {ch.symbol for ch in diatonic_chords(Key.parse("A minor"))}
    # a pentatonic scale keeps the triads whose notes are all in the scale
    pentatonic = Key.parse("A minor_pentatonic")
    assert all(ch.pitch_classes() <= pentatonic.pitch_classes() for ch in diatonic_chords(pentatonic))


@pytest.mark.parametrize(
    ("before", "last", "strongest", "also"),
    [
        ("G7", "C", Cadence.AUTHENTIC, {Cadence.MODAL}),
        ("Bdim", "C", Cadence.AUTHENTIC, {Cadence.MODAL}),
        ("F", "C", Cadence.PLAGAL, {Cadence.MODAL}),
        ("Bb", "C", Cadence.MODAL, set()),
        ("G", "Am", Cadence.DECEPTIVE, set()),
        ("Dm", "G", Cadence.HALF, set()),
    ],
)
def test_one_cadence_reading(before: str, last: str, strongest: Cadence, also: set[Cadence]) -> None:
    key = Key.parse("C major")
    made = cadences_made(ChordSymbol.parse(before), ChordSymbol.parse(last), key)
    assert made == {strongest} | also
    section = Section(id="A", role="A", bars=2, progression=["C " + before, last])
    assert cadence_shape(section, key) is strongest
    assert an.cadence_shape is cadence_shape  # the judge reads cadences with the validators' function
