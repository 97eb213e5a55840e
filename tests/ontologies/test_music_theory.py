"""Music-theory facts the grammar must get right, checked against music21 where it has an opinion."""

from __future__ import annotations

import pytest

from musicgrammar.ontologies import ChordSymbol, Key, Meter, Mode, chord_for_roman


def test_d_dorian_has_b_natural_and_c_natural() -> None:
    pcs = Key(tonic="D", mode=Mode.DORIAN).pitch_classes()
    assert 11 in pcs and 10 not in pcs  # B natural, not Bb
    assert pcs == frozenset({2, 4, 5, 7, 9, 11, 0})  # the white notes


def test_modes_have_their_defining_notes() -> None:
    assert 11 in Key(tonic="F", mode=Mode.LYDIAN).pitch_classes()  # F lydian: B natural (raised fourth)
    assert 5 in Key(tonic="G", mode=Mode.MIXOLYDIAN).pitch_classes()  # G mixolydian: F natural (flat seventh)
    assert 5 in Key(tonic="E", mode=Mode.PHRYGIAN).pitch_classes()  # E phrygian: F natural (flat second)
    assert 6 not in Key(tonic="E", mode=Mode.PHRYGIAN).pitch_classes()
    assert Key(tonic="A", mode=Mode.HARMONIC_MINOR).pitch_classes() == frozenset({9, 11, 0, 2, 4, 5, 8})
    assert Key(tonic="C", mode=Mode.MINOR_PENTATONIC).pitch_classes() == frozenset({0, 3, 5, 7, 10})
    assert 11 in Key(tonic="F", mode=Mode.MANDE_SAUTA).pitch_classes()  # sauta: raised fourth over F


def test_g7_is_g_b_d_f() -> None:
    chord = ChordSymbol.parse("G7")
    assert chord.pitch_classes() == frozenset({7, 11, 2, 5})
    assert chord.root_pc == 7 and chord.quality.value == "7"


def test_slash_chord_keeps_its_bass() -> None:
    chord = ChordSymbol.parse("F#m7/C#")
    assert chord.root_pc == 6 and chord.bass_pc == 1
    assert chord.pitch_classes() == frozenset({6, 9, 1, 4})
    assert chord.symbol == "F#m7/C#"
    assert chord.voiced(48)[0] % 12 == 1  # the bass sounds lowest


# Our spelling -> music21's spelling where the two differ.
_M21_SPELLING = {"Cmaj9": "CM9", "CmMaj7": "CmM7"}
CHORD_TABLE = [
    "C", "Cm", "C7", "Cmaj7", "Cm7", "Cm7b5", "Cdim", "Cdim7", "Caug", "Csus4", "Csus2", "C6", "Cm6", "Cadd9",
    "C9", "Cmaj9", "Cm9", "CmMaj7", "C7sus4", "F#m7/C#", "G7", "Bb", "Ebmaj7", "Abm", "Db7", "F#dim7", "B-7",
    "E/G#", "D/F#", "Am/C", "G/B", "C/E", "Bbmaj7/D", "Em7/D", "A7/C#", "F/A", "D5", "E+", "Ab6",
]  # fmt: skip


@pytest.mark.parametrize("symbol", CHORD_TABLE)
def test_chord_symbols_agree_with_music21(symbol: str) -> None:
    from music21 import harmony

    m21_text = _M21_SPELLING.get(symbol, symbol)
    for flat in ("Bb", "Eb", "Ab", "Db"):
        m21_text = m21_text.replace(flat, flat[0] + "-")
    theirs = frozenset(p.pitchClass for p in harmony.ChordSymbol(m21_text).pitches)
    assert ChordSymbol.parse(symbol).pitch_classes() == theirs


ROMAN_TABLE = [
    ("I", "C"), ("ii", "C"), ("V7", "C"), ("viio7", "C"), ("IV", "C"), ("vi", "C"), ("iv", "a"), ("V", "a"),
    ("i", "a"), ("bVII", "C"), ("V/V", "C"), ("iiø7", "a"), ("ii7", "C"), ("I7", "C"), ("IV7", "C"),
    ("V7/IV", "C"), ("bVI", "C"), ("VI", "a"), ("III", "a"), ("viio", "C"), ("V7", "g"), ("iv", "g"),
    ("ii", "D"), ("V9", "C"),
]  # fmt: skip


@pytest.mark.parametrize(("figure", "key_name"), ROMAN_TABLE)
def test_roman_numerals_agree_with_music21(figure: str, key_name: str) -> None:
    from music21 import key as m21key
    from music21 import roman

    key = Key(tonic=key_name.upper(), mode=Mode.MINOR if key_name.islower() else Mode.MAJOR)
    theirs = frozenset(p.pitchClass for p in roman.RomanNumeral(figure.replace("ø", "/o"), m21key.Key(key_name)).pitches)
    assert chord_for_roman(figure, key).pitch_classes() == theirs


def test_ii_v_i_in_c_is_dm_g_c() -> None:
    key = Key(tonic="C")
    assert [chord_for_roman(f, key).symbol for f in ("ii", "V", "I")] == ["Dm", "G", "C"]


def test_six_eight_bar_is_three_quarters_with_two_beats() -> None:
    meter = Meter.parse("6/8")
    assert meter.bar_quarters == 3.0
    assert meter.beats == (1.5, 1.5)
    assert meter.is_compound
    assert Meter.parse("9/8").beats == (1.5, 1.5, 1.5)
    assert Meter.parse("7/8").beats == (1.0, 1.0, 1.5)  # 2+2+3 eighths


@pytest.mark.parametrize("text", ["0/4", "3/0", "4/3", "x/4"])
def test_impossible_meters_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        Meter.parse(text)
