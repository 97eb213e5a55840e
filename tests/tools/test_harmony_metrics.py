"""Hand-computed examples for every harmony metric."""

from __future__ import annotations

import math

import numpy as np
import pytest

from musicgrammar.tools import harmony_metrics as hm

C, G, F = (0, 4, 7), (7, 11, 2), (5, 9, 0)

# C for two beats, G for two beats, C for a whole bar (two chords, three events).
CHORDS = [(0.0, 2.0, C), (2.0, 2.0, G), (4.0, 4.0, C)]
# C (chord tone), D (non-chord tone, then a leap), G (chord tone of G), A (non-chord tone resolving
# by step to G, a chord tone of C), G (chord tone).
MELODY = [(60, 0.0, 1.0), (62, 1.0, 1.0), (67, 2.0, 1.0), (69, 3.0, 1.0), (67, 4.0, 4.0)]


def test_tonal_centroid_of_a_single_pitch_class_has_the_radii_norm() -> None:
    # one pitch class lies on all three circles: |TC|^2 = 1 + 1 + 0.25
    assert np.linalg.norm(hm.tonal_centroid([3])) == pytest.approx(1.5)


def test_tritone_distance_is_sqrt8() -> None:
    # C vs F#: opposite on the circle of fifths (distance 2) and of minor thirds (2), same on major thirds
    d = np.linalg.norm(hm.tonal_centroid([0]) - hm.tonal_centroid([6]))
    assert d == pytest.approx(math.sqrt(8))


def test_chord_histogram_entropy_and_coverage() -> None:
    # C holds 6 of 8 beats, G holds 2: -(.75 ln .75 + .25 ln .25)
    assert hm.chord_histogram_entropy(CHORDS) == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    assert hm.chord_coverage(CHORDS) == 2
    assert hm.chord_histogram_entropy([(0, 4, C)]) == 0.0


def test_repeats_merge_and_no_chord_is_dropped() -> None:
    spans = hm.chord_events([(0, 1, C), (1, 1, C), (2, 1, ()), (3, 1, C)])
    assert [(s.onset, s.duration) for s in spans] == [(0, 2), (3, 1)]


def test_chord_tonal_distance() -> None:
    # single pitch classes C and F#: one transition of sqrt(8), then back: mean sqrt(8)
    assert hm.chord_tonal_distance([(0, 1, [0]), (1, 1, [6]), (2, 1, [0])]) == pytest.approx(math.sqrt(8))
    # C-G-C: both transitions are the same distance, and it equals G-D (transposition invariance)
    d_cg = hm.chord_tonal_distance([(0, 1, C), (1, 1, G)])
    assert hm.chord_tonal_distance(CHORDS) == pytest.approx(d_cg)
    assert hm.chord_tonal_distance([(0, 1, G), (1, 1, (2, 6, 9))]) == pytest.approx(d_cg)
    assert hm.chord_tonal_distance([(0, 8, C)]) == 0.0


def test_chord_tone_ratio() -> None:
    # n_c = 3 (C, G, G), n_n = 2 (D, A), n_p = 1 (A -> G by a step onto a chord tone)
    assert hm.chord_tone_ratio(MELODY, CHORDS) == pytest.approx(4 / 5)
    assert math.isnan(hm.chord_tone_ratio(MELODY, []))


def test_pitch_consonance_score() -> None:
    # E over C: intervals 4, 0, 9 -> +1; D over C: 2, 10, 7 -> -1/3; four 1/16 windows each
    melody = [(64, 0.0, 1.0), (62, 1.0, 1.0)]
    assert hm.pitch_consonance_score(melody, [(0, 2, C)]) == pytest.approx((1 - 1 / 3) / 2)
    # F over C: 5 -> 0, 1 -> -1, 10 -> -1
    assert hm.pitch_consonance_score([(65, 0, 1)], [(0, 1, C)]) == pytest.approx(-2 / 3)


def test_melody_chord_tonal_distance() -> None:
    # a note on its own pitch class is at distance 0; a tritone away is sqrt(8); weights 1 and 3
    melody = [(60, 0.0, 1.0), (66, 1.0, 3.0)]
    assert hm.melody_chord_tonal_distance(melody, [(0, 4, [0])]) == pytest.approx(3 * math.sqrt(8) / 4)


def test_harmonic_rhythm() -> None:
    chords = [(0, 2, C), (2, 2, G), (4, 1, C), (5, 3, F)]  # inter-onset intervals 2, 2, 1
    assert hm.harmonic_rhythm_entropy(chords) == pytest.approx(-(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)))
    assert hm.harmonic_rhythm_coverage(chords) == 2
    assert hm.harmonic_rhythm_entropy([(0, 4, C), (4, 4, G)]) == 0.0


def test_chord_beat_strength() -> None:
    # 4/4: downbeat 0, half bar 1, beat 2, eighth 3, sixteenth 4
    chords = [(0, 2, C), (2, 1, G), (3, 1.5, C), (4.5, 0.75, G), (5.25, 1, C)]
    assert hm.chord_beat_strength(chords, 4.0, 1.0) == pytest.approx(2.0)
    # 6/8 (two dotted-quarter beats): 1.5 is the half bar, 1.0 an eighth
    assert hm.beat_quarters_for(6, 8) == 1.5
    assert hm.chord_beat_strength([(0, 1, C), (1, 0.5, G), (1.5, 1.5, C)], 3.0, 1.5) == pytest.approx((0 + 3 + 1) / 3)
    # 3/4 has no half bar: beat 2 scores 2
    assert hm.chord_beat_strength([(0, 1, C), (1, 2, G)], 3.0, 1.0) == pytest.approx(1.0)


def test_harmony_metrics_dict_and_mae() -> None:
    m = hm.harmony_metrics(MELODY, CHORDS)
    assert set(m) == set(hm.METRIC_NAMES)
    assert m["CC"] == 2 and m["CTnCTR"] == pytest.approx(0.8)
    flat = hm.harmony_metrics(MELODY, [(0, 8, C)])
    mae = hm.mean_absolute_error([flat], [m])
    assert mae["CC"] == 1.0 and mae["CHE"] == pytest.approx(m["CHE"])


def test_accepts_objects_with_pitch_classes_method() -> None:
    class Chord:
        def pitch_classes(self) -> frozenset[int]:
            return frozenset(C)

    class N:
        pitch, start, duration = 64, 0.0, 1.0

    assert hm.pitch_consonance_score([N()], [(0, 1, Chord())]) == pytest.approx(1.0)
