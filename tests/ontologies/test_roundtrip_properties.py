"""Property tests: random valid specs and scores survive the JSON round trip and the MIDI round trip."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from musicgrammar.ontologies import ChordSymbol, CompositionSpec, Key, Meter, Mode, Note, Part, Score
from musicgrammar.ontologies.rhythm import SUPPORTED_METERS

TONICS = ("C", "C#", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
CHORDS = ("C", "Dm", "Em7", "F", "G7", "Am", "Bm7b5", "Bb", "Eb/G", "D7/F#", "Csus4", "Fmaj7", "E", "Abdim7")
# Pitched instruments with their ranges, and one percussion kit.
PITCHED = (("acoustic_grand_piano", 36, 96), ("flute", 60, 96), ("violin", 55, 100), ("kora", 41, 77), ("acoustic_bass", 28, 55))
GRID = 1.0 / 12.0

keys = st.builds(Key, tonic=st.sampled_from(TONICS), mode=st.sampled_from(list(Mode)))
meters = st.sampled_from(SUPPORTED_METERS).map(Meter.parse)


@st.composite
def bar_harmony(draw: st.DrawFn) -> str:
    return " ".join(draw(st.lists(st.sampled_from(CHORDS), min_size=0, max_size=2)))


@st.composite
def specs(draw: st.DrawFn) -> CompositionSpec:
    n_sections = draw(st.integers(1, 3))
    sections = []
    for i in range(n_sections):
        bars = draw(st.integers(1, 4))
        sections.append({"id": f"s{i}", "role": draw(st.sampled_from(["A", "B", "verse", "chorus"])), "bars": bars,
                         "progression": [draw(bar_harmony()) for _ in range(bars)],
                         "cadence": draw(st.sampled_from(["authentic", "half", "open", "plagal"])),
                         "affect": {"valence": draw(st.floats(-1, 1)), "arousal": draw(st.floats(-1, 1))}})  # fmt: skip
    return CompositionSpec.model_validate({
        "title": draw(st.text(min_size=1, max_size=30).filter(str.strip)),
        "key": draw(keys).model_dump(), "meter": draw(meters).model_dump(),
        "tempo": {"bpm": draw(st.floats(20, 320))}, "sections": sections,
        "ensemble": [{"id": "lead", "instrument": draw(st.sampled_from([p[0] for p in PITCHED])), "role": "lead"}],
    })  # fmt: skip


@st.composite
def scores(draw: st.DrawFn) -> Score:
    meter = draw(meters)
    bars = draw(st.integers(1, 6))
    length_units = round(bars * meter.bar_quarters / GRID)
    parts = []
    n_parts = draw(st.integers(1, 3))
    for index in range(n_parts):
        drum = index == n_parts - 1 and draw(st.booleans())
        instrument, low, high = ("drum_kit", 35, 81) if drum else draw(st.sampled_from(PITCHED))
        notes, t = [], draw(st.integers(0, 12))
        # A monophonic line on the 1/12 grid: (gap, length) in grid units, never past the last bar.
        while t < length_units and len(notes) < 24:
            length = draw(st.integers(1, 48))
            if t + length > length_units:
                break
            notes.append(Note(pitch=draw(st.integers(low, high)), start=round(t * GRID, 6), duration=round(length * GRID, 6),
                              velocity=draw(st.integers(1, 127))))  # fmt: skip
            t += length + draw(st.integers(0, 12))
        if notes:
            parts.append(Part(id=f"p{index}", instrument=instrument, role="percussion" if drum else "lead", notes=notes))
    if not parts:
        parts = [Part(id="p0", instrument="flute", notes=[Note(pitch=72, start=0.0, duration=1.0)])]
    return Score(title=draw(st.text(min_size=1, max_size=20).filter(str.strip)), key=draw(keys), meter=meter,
                 tempo_bpm=draw(st.integers(20, 319)) + draw(st.sampled_from([0.0, 0.5])), bars=bars, parts=parts)  # fmt: skip


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_spec_survives_json_round_trip(spec: CompositionSpec) -> None:
    again = CompositionSpec.model_validate_json(spec.model_dump_json())
    assert again == spec
    for section in again.sections:
        for bar in section.progression:
            for name in bar.split():
                ChordSymbol.parse(name)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(scores())
def test_score_survives_json_round_trip(score: Score) -> None:
    assert Score.model_validate_json(score.model_dump_json()) == score


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(scores())
def test_score_survives_midi_round_trip(score: Score) -> None:
    from musicgrammar.tools.io import load_midi, save_midi

    with tempfile.TemporaryDirectory() as tmp:
        path = save_midi(score, Path(tmp) / "s.mid")
        back = load_midi(path)
    assert (back.meter.numerator, back.meter.denominator) == (score.meter.numerator, score.meter.denominator)
    assert math.isclose(back.tempo_bpm, score.tempo_bpm, abs_tol=0.01)
    assert back.bars == score.bars and back.title == score.title.strip()
    assert [p.id for p in back.parts] == [p.id for p in score.parts]
    for original, loaded in zip(score.parts, back.parts):
        assert loaded.instrument == original.instrument and loaded.is_drum == original.is_drum
        assert [(n.pitch, n.velocity) for n in loaded.notes] == [(n.pitch, n.velocity) for n in original.notes]
        for a, b in zip(original.notes, loaded.notes):
            assert math.isclose(a.start, b.start, abs_tol=1e-5) and math.isclose(a.duration, b.duration, abs_tol=1e-5)
    # Major and minor keys come back exactly; other modes come back as the key whose signature spells them.
    if score.key.mode in (Mode.MAJOR, Mode.MINOR):
        assert (back.key.tonic_pc, back.key.mode) == (score.key.tonic_pc, score.key.mode)
    if score.key.mode in (Mode.MAJOR, Mode.MINOR, Mode.DORIAN, Mode.PHRYGIAN, Mode.LYDIAN, Mode.MIXOLYDIAN, Mode.LOCRIAN):
        assert back.key.pitch_classes() == score.key.pitch_classes()
