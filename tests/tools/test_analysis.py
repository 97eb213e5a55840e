"""Score and audio analysis helpers on small hand-written examples."""

from __future__ import annotations

import numpy as np
import pytest

from musicgrammar.ontologies import (
    Cadence,
    CompositionSpec,
    EnsembleMember,
    Key,
    Meter,
    Note,
    Part,
    Score,
    Section,
    Tempo,
)
from musicgrammar.tools import analysis as an


def _spec(sections: list[tuple[str, str, list[str]]], meter: str = "4/4", key: str = "C major") -> CompositionSpec:
    return CompositionSpec(
        title="t", key=Key.parse(key), meter=Meter.parse(meter), tempo=Tempo(bpm=120),
        sections=[Section(id=i, role=r, bars=len(p), progression=p) for i, r, p in sections],
        ensemble=[EnsembleMember(id="lead", instrument="flute"), EnsembleMember(id="bass", instrument="cello", role="bass")],
    )  # fmt: skip


def _score(spec: CompositionSpec, lead: list[Note], bass: list[Note] | None = None, drums: list[Note] | None = None) -> Score:
    parts = [Part(id="lead", instrument="flute", role="lead", notes=lead)]
    if bass is not None:
        parts.append(Part(id="bass", instrument="cello", role="bass", notes=bass))
    if drums is not None:
        parts.append(Part(id="drums", instrument="drum_kit", role="percussion", notes=drums))
    return Score(key=spec.key, meter=spec.meter, tempo_bpm=120, bars=spec.bars, parts=parts)


def N(pitch: int, start: float, duration: float = 1.0, velocity: int = 80) -> Note:
    return Note(pitch=pitch, start=start, duration=duration, velocity=velocity)


# ---------------------------------------------------------------------------------------------
def test_chord_timeline_places_chords_bar_by_bar_across_sections() -> None:
    spec = _spec([("A", "A", ["C", "Dm7 G7"]), ("B", "B", ["Am:3 E:1"])])
    tl = an.chord_timeline(spec)
    assert [(e.onset, e.duration, e.chord.symbol) for e in tl] == [
        (0.0, 4.0, "C"), (4.0, 2.0, "Dm7"), (6.0, 2.0, "G7"), (8.0, 3.0, "Am"), (11.0, 1.0, "E")]  # fmt: skip
    assert tl[4].path == "spec.sections[1].progression[0]" and tl[4].span_index == 1


def test_chord_timeline_counts_explicit_beats_in_felt_beats() -> None:
    seven = an.chord_timeline(_spec([("A", "A", ["G7:2 C:1"])], meter="7/8"))  # beats 2+2+3 eighths
    assert [(e.onset, e.duration) for e in seven] == [(0.0, 2.0), (2.0, 1.5)]
    six = an.chord_timeline(_spec([("A", "A", ["D A", "D"])], meter="6/8", key="D major"))
    assert [(e.onset, e.duration) for e in six] == [(0.0, 1.5), (1.5, 1.5), (3.0, 3.0)]


def test_chord_index_at_finds_the_sounding_chord() -> None:
    tl = an.chord_timeline(_spec([("A", "A", ["C", "F G"])]))
    assert an.chord_index_at(tl, np.array([0.0, 3.99, 4.0, 6.5, 8.0])).tolist() == [0, 0, 1, 2, -1]


@pytest.mark.parametrize(
    ("chords", "cadence"),
    [(["C", "G7 C"], Cadence.AUTHENTIC), (["C", "F C"], Cadence.PLAGAL), (["C", "Dm G"], Cadence.HALF),
     (["C", "G Am"], Cadence.DECEPTIVE), (["C", "Bdim C"], Cadence.AUTHENTIC), (["C", "Bb C"], Cadence.MODAL),
     (["C", "G Em"], None)],
)  # fmt: skip
def test_cadence_shape_reads_the_last_two_chords(chords: list[str], cadence: Cadence | None) -> None:
    spec = _spec([("A", "A", chords)])
    assert an.cadence_shape(spec.sections[0], spec.key) is cadence


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8", "7/8", "2/2", "12/8"])
def test_beat_strengths_agree_with_the_meter(meter: str) -> None:
    m = Meter.parse(meter)
    times = np.arange(0, 2 * m.bar_quarters, 0.125)
    assert an.beat_strengths(m, times).tolist() == [m.beat_strength(t % m.bar_quarters) for t in times]


def test_on_grid_accepts_sixteenths_and_triplets_but_not_jitter() -> None:
    m = Meter.parse("4/4")
    assert an.on_grid(m, np.array([0.0, 0.25, 0.75, 1 / 3, 2 + 2 / 3])).all()
    assert not an.on_grid(m, np.array([0.13, 1.1])).any()


def test_outer_voices_hold_sustained_notes_and_skip_drums() -> None:
    spec = _spec([("A", "A", ["C"])])
    lead = [N(72, 0, 1), N(74, 1, 1), N(76, 2, 2)]
    bass = [N(48, 0, 4)]  # held under the whole bar
    drums = [N(36, t, 0.5) for t in range(4)]
    ov = an.outer_voices(_score(spec, lead, bass, drums))
    assert ov.onsets.tolist() == [0.0, 1.0, 2.0]  # the drum strokes at 3.0 are no voice
    assert ov.high.tolist() == [72, 74, 76] and ov.low.tolist() == [48, 48, 48]
    assert ov.count.tolist() == [2, 2, 2] and ov.low_part.tolist() == [1, 1, 1]
    assert ov.high_note.tolist() == [0, 1, 2]


def test_motif_recurrence_is_transposition_invariant_and_spots_copies() -> None:
    spec = _spec([("A", "A", ["C", "C"]), ("B", "B", ["G", "G"])])
    motif = [0, 2, 4, 5, 7, 5, 4, 2]
    a = [N(60 + s, i, 1) for i, s in enumerate(motif)]
    sequenced = [N(62 + s, 8 + i, 1) for i, s in enumerate(motif)]  # the same shape a step higher
    stats = an.motif_recurrence(spec, _score(spec, a + sequenced))
    assert stats.cross_section == 1.0 and stats.copy_ratio == 0.0
    copy = [N(60 + s, 8 + i, 1) for i, s in enumerate(motif)]
    assert an.motif_recurrence(spec, _score(spec, a + copy)).copies == [(1, 0)]
    other = [N(p, 8 + i, 1) for i, p in enumerate([60, 67, 61, 70, 58, 66, 59, 71])]
    assert an.motif_recurrence(spec, _score(spec, a + other)).cross_section == 0.0


def test_interval_ngrams() -> None:
    assert an.interval_ngrams([60, 62, 64, 65], 2) == [(2, 2), (2, 1)]
    assert an.interval_ngrams([60, 62], 3) == []


def test_section_similarity_is_high_for_a_return_and_lower_for_a_contrast() -> None:
    spec = _spec([("A1", "A", ["C", "G"]), ("B", "B", ["Am", "E"]), ("A2", "A", ["C", "G"])])
    tune = [64, 67, 65, 62, 64, 72, 71, 67]
    contrast = [69, 68, 69, 71, 72, 64, 68, 71]
    lead = [N(p, i, 1) for i, p in enumerate(tune)] + [N(p, 8 + i, 1) for i, p in enumerate(contrast)]
    lead += [N(p, 16 + i, 1) for i, p in enumerate(tune)]
    sim = an.section_similarity(spec, _score(spec, lead))
    assert sim.shape == (3, 3) and np.allclose(sim, sim.T)
    assert sim[0, 2] == pytest.approx(1.0)
    assert sim[0, 1] < 0.5


def test_density_and_velocity_per_bar() -> None:
    spec = _spec([("A", "A", ["C", "C", "C"])])
    lead = [N(60, t * 0.5, 0.5, 100) for t in range(8)] + [N(62, 4, 4, 50)]  # 8 eighths, one whole note, bar 3 empty
    score = _score(spec, lead)
    assert an.density_per_bar(score).tolist() == [8.0, 1.0, 0.0]
    vel = an.velocity_per_bar(score)
    assert vel[:2].tolist() == [100.0, 50.0] and np.isnan(vel[2])


# ---------------------------------------------------------------------------------------------
def _sine(amp: float, seconds: float, sr: int = 8000) -> np.ndarray:
    return amp * np.sin(2 * np.pi * 440 * np.arange(int(seconds * sr)) / sr)


def test_rms_of_a_full_scale_sine_is_minus_three_db() -> None:
    assert an.rms_dbfs(_sine(1.0, 1.0)) == pytest.approx(-3.01, abs=0.01)
    assert an.rms_dbfs(np.zeros(100)) == -120.0


def test_loudness_per_bar_follows_the_signal() -> None:
    x = np.concatenate([_sine(1.0, 2.0), _sine(0.1, 2.0)])  # two 2-second bars, the second 20 dB down
    loud = an.loudness_per_bar(x, 8000, 2.0, 3)
    assert loud[0] == pytest.approx(-3.01, abs=0.05) and loud[1] == pytest.approx(-23.01, abs=0.05)
    assert loud[2] == -120.0  # past the end of the audio


def test_clipping_and_silence_ratios() -> None:
    x = np.clip(_sine(2.0, 1.0), -1.0, 1.0)
    assert 0.5 < an.clipping_ratio(x) < 0.8  # a sine at twice full scale sits on the rails two thirds of the time
    assert an.clipping_ratio(_sine(0.5, 1.0)) == 0.0
    half = np.concatenate([_sine(0.5, 1.0), np.zeros(8000)])
    assert an.silence_ratio(half, 8000) == pytest.approx(0.5)
    stereo = np.stack([half, half], axis=1)  # (samples, 2)
    assert an.silence_ratio(stereo, 8000) == pytest.approx(0.5)


def test_strong_beats_are_the_downbeat_and_the_middle_of_two_or_four_felt_beats() -> None:
    times = np.array([0.0, 1.0, 2.0, 3.0, 2.5])
    assert an.strong_beat_mask(Meter.parse("4/4"), times).tolist() == [True, False, True, False, False]
    assert an.strong_beat_mask(Meter.parse("3/4"), times[:3]).tolist() == [True, False, False]
    # 6/8 is felt in two: the second dotted quarter carries the secondary accent, the eighths do not
    assert an.strong_beat_mask(Meter.parse("6/8"), np.array([0.0, 0.5, 1.5, 2.0, 3.0])).tolist() == [True, False, True, False, True]
    # 7/8 (2+2+3) has three felt beats: only the downbeat is strong
    assert an.strong_beat_mask(Meter.parse("7/8"), np.array([0.0, 1.0, 2.0])).tolist() == [True, False, False]
