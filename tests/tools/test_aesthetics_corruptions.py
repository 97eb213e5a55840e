"""The aesthetics model's graded degradations: each changes what it says, more at a higher grade."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from musicgrammar.ontologies import Key, Meter, Note, Part, Score
from training.aesthetics_model.corrupt import KINDS, corrupt_audio, corrupt_score, shuffle_segments

KIND = {k.name: k for k in KINDS}


def _chorale_like() -> Score:
    """Four bars of 4/4 in C: a stepwise lead in quarters over held triads (alto, tenor) and a bass."""
    lead = [Note(pitch=p, start=float(i), duration=1.0) for i, p in enumerate([72, 74, 76, 77, 79, 77, 76, 74, 72, 71, 72, 74, 76, 74, 72, 72])]
    chords = [(60, 64, 55), (65, 69, 53), (67, 71, 55), (60, 64, 48)]
    alto = [Note(pitch=c[1], start=4.0 * b, duration=4.0) for b, c in enumerate(chords)]
    tenor = [Note(pitch=c[0], start=4.0 * b, duration=4.0) for b, c in enumerate(chords)]
    bass = [Note(pitch=c[2] - 12 if c[2] > 50 else c[2], start=4.0 * b, duration=4.0) for b, c in enumerate(chords)]
    return Score(key=Key.parse("C major"), meter=Meter.parse("4/4"), tempo_bpm=120, bars=4, parts=[
        Part(id="lead", instrument="flute", role="lead", notes=lead),
        Part(id="alto", instrument="viola", role="harmony", notes=alto),
        Part(id="tenor", instrument="cello", role="harmony", notes=tenor),
        Part(id="bass", instrument="contrabass", role="bass", notes=bass),
    ])  # fmt: skip


def _pitches(score: Score) -> Counter[int]:
    return Counter(n.pitch for p in score.parts for n in p.notes)


def test_shuffled_segments_keep_every_note_but_move_them_and_grade_4_moves_all_half_bars() -> None:
    clean = _chorale_like()
    shuffled = corrupt_score(clean, KIND["shuffled_segments"], 4, random.Random(0))
    assert _pitches(shuffled) == _pitches(clean)
    lead_before = [(n.start, n.pitch) for n in clean.parts[0].notes]
    lead_after = [(n.start, n.pitch) for n in shuffled.parts[0].notes]
    # every half bar (2 quarters) of the lead lands somewhere else, so the melody at each onset changes
    for half in range(8):
        before = [p for s, p in lead_before if half * 2 <= s < half * 2 + 2]
        after = [p for s, p in lead_after if half * 2 <= s < half * 2 + 2]
        assert len(after) == 2
        assert before != after or before == [72, 72]  # the closing two C's are alike anywhere
    assert shuffled.parts[0].notes != clean.parts[0].notes


def test_shuffling_cuts_held_notes_only_at_broken_seams_so_damage_grows_with_the_grade() -> None:
    clean = _chorale_like()  # alto, tenor and bass hold whole notes over the middle seam of each bar

    def cut_notes(grade: int, seed: int) -> int:
        bad = corrupt_score(clean, KIND["shuffled_segments"], grade, random.Random(seed))
        return sum(n.duration < 4.0 for p in bad.parts[1:] for n in p.notes)  # whole notes cut short

    mild = [cut_notes(1, seed) for seed in range(20)]
    heavy = [cut_notes(4, seed) for seed in range(20)]
    assert all(0 < m <= 6 for m in mild)  # two moved half bars break a few seams: at most half of the 12 notes
    assert all(h >= 9 for h in heavy)  # every half bar moved: most seams break (a few pairs stay adjacent)
    assert np.mean(mild) < np.mean(heavy) - 4


def test_the_shuffle_reports_exactly_the_seams_where_the_lead_no_longer_follows_as_written() -> None:
    clean = _chorale_like()  # eight half bars of a stepwise lead: seven seams, each between two quarter notes
    steps = {(a.pitch, b.pitch) for a, b in zip(clean.parts[0].notes, clean.parts[0].notes[1:])}
    for grade in (1, 2, 3, 4):
        for seed in range(10):
            rng = random.Random(seed)
            shuffled, broken = shuffle_segments(clean, grade, rng)
            assert shuffled == corrupt_score(clean, KIND["shuffled_segments"], grade, random.Random(seed))  # same draw
            assert len(broken) == 7
            lead = shuffled.parts[0].notes
            for k, cut in enumerate(broken, start=1):  # seam k sits at quarter 2k, between lead notes 2k-1 and 2k
                if not cut:  # an intact seam joins two half bars that follow each other as written: a written step
                    assert (lead[2 * k - 1].pitch, lead[2 * k].pitch) in steps
    # two half bars swapped break the seams around them: four when apart, three when neighbours, two when
    # the neighbours open or close the clip
    assert {sum(shuffle_segments(clean, 1, random.Random(seed))[1]) for seed in range(30)} <= {2, 3, 4}
    assert np.mean([sum(shuffle_segments(clean, 4, random.Random(s))[1]) for s in range(30)]) > 5.5


def test_wrong_notes_change_more_notes_at_higher_grades_by_one_or_two_semitones() -> None:
    clean = _chorale_like()
    total = sum(len(p.notes) for p in clean.parts)
    changed = []
    for grade in (1, 4):
        counts = []
        for seed in range(20):
            bad = corrupt_score(clean, KIND["wrong_notes"], grade, random.Random(seed))
            diffs = [b.pitch - a.pitch for pa, pb in zip(clean.parts, bad.parts) for a, b in zip(pa.notes, pb.notes)]
            assert all(d in (-2, -1, 0, 1, 2) for d in diffs)
            counts.append(sum(d != 0 for d in diffs))
        changed.append(np.mean(counts) / total)
    assert changed[0] < 0.15 < 0.35 < changed[1]


def test_a_clashing_part_at_grade_4_is_one_accompaniment_voice_a_semitone_off_throughout() -> None:
    clean = _chorale_like()
    bad = corrupt_score(clean, KIND["clashing_part"], 4, random.Random(3))
    assert bad.parts[0] == clean.parts[0]  # the lead is never the clashing part
    moved = [i for i in range(1, 4) if bad.parts[i] != clean.parts[i]]
    assert len(moved) == 1
    shifts = {b.pitch - a.pitch for a, b in zip(clean.parts[moved[0]].notes, bad.parts[moved[0]].notes)}
    assert shifts in ({1}, {-1})


def test_part_offset_makes_one_accompaniment_part_late_by_an_eighth_at_grade_2() -> None:
    clean = _chorale_like()
    late = corrupt_score(clean, KIND["part_offset"], 2, random.Random(1))
    moved = [i for i in range(4) if late.parts[i] != clean.parts[i]]
    assert len(moved) == 1 and moved[0] != 0
    assert [n.start for n in late.parts[moved[0]].notes] == [n.start + 0.25 for n in clean.parts[moved[0]].notes]


def test_rhythm_jitter_spreads_onsets_off_the_beat_more_at_grade_4() -> None:
    clean = _chorale_like()
    spread = []
    for grade in (1, 4):
        bad = corrupt_score(clean, KIND["rhythm_jitter"], grade, random.Random(0))
        offsets = [b.start - a.start for a, b in zip(sorted(clean.parts[0].notes, key=lambda n: n.pitch * 100 + n.start),
                                                      sorted(bad.parts[0].notes, key=lambda n: n.pitch * 100 + n.start))]
        spread.append(float(np.std([n.start % 1.0 if n.start % 1.0 < 0.5 else n.start % 1.0 - 1.0 for n in bad.parts[0].notes])))
        assert all(0.0 <= n.start < 16.0 for p in bad.parts for n in p.notes)
        assert len(offsets) == 16
    assert spread[0] < 0.1 < 0.2 < spread[1]


def _tone(freq: float, seconds: float = 2.0, sr: int = 16000, level: float = 0.3) -> np.ndarray:
    return (level * np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


def _peak_hz(x: np.ndarray, sr: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * sr / len(x))


def test_audio_degradations_noise_at_5_db_snr_clipping_and_an_80_cent_detune() -> None:
    lead, acc = _tone(440.0), _tone(261.63)
    stems = {"lead": lead, "acc": acc}
    mix = lead + acc
    noisy, same = corrupt_audio(mix, stems, 16000, KIND["noise"], 4, random.Random(0), "lead")
    snr = 10 * np.log10(np.mean(mix**2) / np.mean((noisy - mix) ** 2))
    assert snr == pytest.approx(5.0, abs=0.3) and same["lead"] is lead  # the stems stay clean
    clipped = [corrupt_audio(mix, stems, 16000, KIND["clipping"], g, random.Random(0), "lead")[0] for g in (1, 4)]
    share = [float(np.mean(np.abs(c) >= 0.999)) for c in clipped]
    assert 0.0 < share[0] < 0.5 < 0.8 < share[1]  # 2x vs 16x drive into the full-scale limit
    detuned_mix, detuned = corrupt_audio(mix, stems, 16000, KIND["detuned_part"], 4, random.Random(0), "lead")
    assert detuned["lead"] is lead  # an accompaniment stem is the one detuned
    cents = 1200 * np.log2(_peak_hz(detuned["acc"]) / _peak_hz(acc))
    assert abs(cents) == pytest.approx(80, abs=8)
    assert np.allclose(detuned_mix, detuned["lead"] + detuned["acc"], atol=1e-6)


def test_a_second_degradation_hurts_another_dimension_and_leaves_the_first_ones_drawn_as_before() -> None:
    from training.aesthetics_model.build_data import second_degradations, variants

    plan = variants(random.Random("0:bach/bwv1.6.mxl"))
    assert plan == variants(random.Random("0:bach/bwv1.6.mxl"))  # the first degradations depend on the piece's generator only
    second = second_degradations(plan, 0.5, random.Random(1))
    assert second[0] is None  # the clean clip stays clean
    added = [(first, extra) for (first, _), extra in zip(plan[1:], second[1:]) if extra is not None]
    assert 2 <= len(added) <= 14  # about half of the 16 damaged clips
    assert all(extra[0].dimension != first.dimension and extra[1] in (1, 2, 3, 4) for first, extra in added)
    assert second_degradations(plan, 0.0, random.Random(1)) == [None] * len(plan)


def test_a_shuffle_heavy_build_makes_the_second_degradations_shuffled_half_bars() -> None:
    from training.aesthetics_model.build_data import second_degradations, variants

    plan = variants(random.Random("0:bach/bwv1.6.mxl"))
    assert second_degradations(plan, 0.5, random.Random(1), 0.0) == second_degradations(plan, 0.5, random.Random(1))
    every = second_degradations(plan, 1.0, random.Random(1), 1.0)
    for (first, _), extra in zip(plan[1:], every[1:]):
        assert extra is not None  # --second 1: every damaged clip has a second degradation
        if first.dimension == "coherence":  # a shuffled clip gets a fault of another dimension, never a second shuffle
            assert extra[0].dimension != "coherence"
        else:
            assert extra[0].name == "shuffled_segments" and extra[1] in (1, 2, 3, 4)


def test_a_chorale_heard_in_compound_metre_puts_each_beat_on_a_dotted_quarter_and_its_eighths_long_short() -> None:
    from training.aesthetics_model.build_data import half_bar, to_compound

    chorale = _chorale_like()
    # a passing eighth pair in the lead's second beat: E on the beat, F on its second eighth
    passing = [Note(pitch=76, start=1.0, duration=0.5), Note(pitch=77, start=1.5, duration=0.5)]
    chorale.parts[0].notes[1:2] = passing
    compound = to_compound(chorale)
    assert compound is not None and str(compound.meter) == "12/8" and compound.bar_quarters == 6.0
    assert half_bar(compound) == 3.0  # two dotted-quarter beats: the seams a shuffle cuts at
    lead = [(n.pitch, n.start, n.duration) for n in compound.parts[0].notes[:4]]
    assert lead == [(72, 0.0, 1.5), (76, 1.5, 1.0), (77, 2.5, 0.5), (76, 3.0, 1.5)]  # C, then E-F long-short, then E
    assert [n.start for n in compound.parts[1].notes] == [0.0, 6.0, 12.0, 18.0]  # whole bars stay whole bars
    assert sorted(n.pitch for p in compound.parts for n in p.notes) == sorted(n.pitch for p in chorale.parts for n in p.notes)
    waltz = chorale.model_copy(update={"meter": Meter.parse("3/4")})
    assert str(to_compound(waltz).meter) == "9/8"  # type: ignore[union-attr]
    assert to_compound(chorale.model_copy(update={"meter": Meter.parse("3/2")})) is None  # a half-note beat stays as it is


def test_a_partial_build_keeps_the_chorales_training_sets_aside_even_where_the_corpus_lists_one_twice() -> None:
    from training.aesthetics_model.build_data import last_distinct
    from training.aesthetics_model.train import split_off_validation

    listed = ["bwv1", "bwv2", "bwv3", "bwv2", "bwv4", "bwv5", "bwv3"]  # bwv2 and bwv3 listed twice
    assert last_distinct(listed, 2) == ["bwv4", "bwv5"]  # bwv3's first appearance is a training piece's
    assert last_distinct(listed, 3) == ["bwv3", "bwv4", "bwv5", "bwv3"]
    meta = [{"piece": p, "chorale": p} for p in listed]
    _, (_, _, whole) = split_off_validation(np.zeros(len(listed)), np.zeros((len(listed), 4)), meta, 2)
    partial = last_distinct(listed, 3)
    _, (_, _, part) = split_off_validation(np.zeros(len(partial)), np.zeros((len(partial), 4)), [{"piece": p, "chorale": p} for p in partial], 2)
    assert sorted(set(whole)) == sorted(set(part)) == ["bwv4", "bwv5"]
