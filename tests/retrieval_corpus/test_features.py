"""Melody features and analyses on small melodies written as music."""

from __future__ import annotations

import numpy as np

from musicgrammar.retrieval_corpus.features import Melody, compute_features, folk_mode_from_final, phrase_form


def _melody(pitches: list[int], durations: list[float]) -> Melody:
    onsets = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    return Melody(np.asarray(pitches, np.int16), onsets.astype(np.float32), np.asarray(durations, np.float32))


def test_histograms_of_a_c_major_scale() -> None:
    scale = _melody([60, 62, 64, 65, 67, 69, 71, 72], [1.0] * 8)
    f = compute_features(scale, tonic_pc=0)
    assert f.pitch_class[0] == 0.25 and f.pitch_class[1] == 0.0  # C twice in 8 equal notes
    assert np.isclose(sum(f.interval), 1.0)
    assert np.isclose(f.interval[12 + 2], 5 / 7, atol=1e-4) and np.isclose(f.interval[12 + 1], 2 / 7, atol=1e-4)  # 5 whole, 2 half steps
    assert f.rhythm[3] == 1.0  # all quarters
    assert f.ambitus == 12 and f.contour[0] < 0 < f.contour[-1]  # rising line
    up_a_fifth = compute_features(_melody([p + 7 for p in scale.pitches], [1.0] * 8), tonic_pc=7)
    assert up_a_fifth.pitch_class_tonic == f.pitch_class_tonic and up_a_fifth.interval == f.interval


def test_modal_final_against_the_key_signature() -> None:
    # No sharps or flats, ends on D: D dorian; ends on G: G mixolydian; ends on A: A minor.
    assert folk_mode_from_final(_melody([62, 65, 69, 62], [1.0] * 4), 0) == (2, "dorian")
    assert folk_mode_from_final(_melody([67, 71, 74, 67], [1.0] * 4), 0) == (7, "mixolydian")
    assert folk_mode_from_final(_melody([69, 72, 76, 69], [1.0] * 4), 0) == (9, "minor")
    assert folk_mode_from_final(_melody([60, 61], [1.0, 1.0]), 0) is None  # C# final is not in C major


def test_phrase_form_from_repetition() -> None:
    a = [60, 62, 64, 65, 67, 65, 64, 62] * 2  # 4 bars of 4/4 in half notes -> 16 notes
    b = [69, 67, 65, 64, 62, 64, 65, 67] * 2
    pitches = a + a + b + a
    m = _melody(pitches, [1.0] * len(pitches))
    assert phrase_form(m, bar_quarters=4.0, bars=16) == "AABA"


def test_melody_tokens_ignore_key_and_tempo() -> None:
    from musicgrammar.retrieval_corpus.melody_index import tokens

    m = _melody([60, 62, 64, 60, 67, 65], [1.0, 0.5, 0.5, 1.0, 2.0, 1.0])
    moved = Melody(m.pitches + 5, m.onsets * 1.7, m.durations * 1.7)
    for a, b in zip(tokens(m), tokens(moved)):
        assert np.array_equal(a, b)


def test_chord_symbol_templates() -> None:
    from musicgrammar.retrieval_corpus.analysis import _chord_symbol

    assert _chord_symbol({6, 9, 1, 4}, bass=1) == "F#m7/C#"
    assert _chord_symbol({7, 11, 2, 5}, bass=7) == "G7"
    assert _chord_symbol({0, 4, 7}, bass=4) == "C/E"
