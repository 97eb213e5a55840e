"""The line statistics of the aesthetics model: melody and bass read from stems, tuning, onsets."""

from __future__ import annotations

import numpy as np
import torch

from musicgrammar.tools.aesthetics_model.config import cpu_config
from musicgrammar.tools.aesthetics_model.features import log_mel
from musicgrammar.tools.aesthetics_model.meter import METER_STATISTICS
from musicgrammar.tools.aesthetics_model.lines import (
    LINE_STATISTICS,
    MOTION_STATISTICS,
    ONSET_STATISTICS,
    line_statistics,
    line_statistics_width,
)

SR = 16000
CFG = cpu_config()
MELODY_IV, MELODY_OUTKEY, BASS_IV, SPREAD_MIX, SYNC0 = 0, 5, 6, 10, 13
TOGETHER, LATER, EARLIER = LINE_STATISTICS, LINE_STATISTICS + 1, LINE_STATISTICS + 13  # the onset timing block
MOTION = LINE_STATISTICS + ONSET_STATISTICS  # the voice motion block: lead, accompaniment, mix


def _tone(midi: float, seconds: float, level: float = 0.2) -> np.ndarray:
    """A tone with an octave and a twelfth above it (a reed-like spectrum), faded in and out over 10 ms."""
    t = np.arange(int(seconds * SR)) / SR
    f = 440.0 * 2 ** ((midi - 69) / 12)
    wave = level * (np.sin(2 * np.pi * f * t) + 0.5 * np.sin(4 * np.pi * f * t) + 0.3 * np.sin(6 * np.pi * f * t))
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    return (wave * fade).astype(np.float32)


def _line(midi: list[float], beat: float = 0.5, level: float = 0.2) -> np.ndarray:
    return np.concatenate([_tone(m, beat, level) for m in midi])


def _db(wave: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(log_mel(wave, CFG)).unsqueeze(0)  # (1, T, features)


def _stats(mix: np.ndarray, lead: np.ndarray, acc: np.ndarray) -> torch.Tensor:
    return line_statistics(_db(mix), _db(lead), _db(acc), CFG)[0]


# A chorale-like soprano in C major over a held accompaniment, and the same bars cut into halves and
# put back in another order: the notes are the same, only the seams are new.
SOPRANO = [72, 74, 76, 77, 79, 77, 76, 74, 72, 74, 76, 74, 72, 71, 72, 72]
CHORDS = [(48, 55, 64), (53, 57, 65), (55, 59, 62), (48, 55, 64)]  # C F G C, one bar (4 beats) each


def _accompaniment(chords: list[tuple[int, int, int]], beat: float = 0.5) -> np.ndarray:
    return np.concatenate([sum(_tone(m, 4 * beat, 0.1) for m in chord) for chord in chords]).astype(np.float32)


def test_the_statistics_have_their_documented_width_with_and_without_stems() -> None:
    lead, acc = _line(SOPRANO), _accompaniment(CHORDS)
    both = _stats(lead + acc, lead, acc)
    alone = line_statistics(_db(lead + acc), _db(lead + acc), _db(lead + acc), CFG)
    width = line_statistics_width(CFG)
    assert width == LINE_STATISTICS + ONSET_STATISTICS + MOTION_STATISTICS + METER_STATISTICS == 18 + 49 + 12 + 67
    assert both.shape == (width,) and alone.shape == (1, width)
    assert torch.isfinite(both).all() and torch.isfinite(alone).all()


def test_a_stepwise_soprano_moves_by_about_a_tone_and_its_shuffled_half_bars_leap() -> None:
    lead, acc = _line(SOPRANO), _accompaniment(CHORDS)
    steps = _stats(lead + acc, lead, acc)
    halves = [SOPRANO[i : i + 2] for i in range(0, 16, 2)]
    order = [6, 2, 7, 4, 1, 0, 5, 3]  # seams: 71-79, 77-72, 72-72, 74-76, 77-72, 74-76, 74-76
    shuffled = _line([p for k in order for p in halves[k]])
    leaps = _stats(shuffled + acc, shuffled, acc)
    # 15 moves of 1-2 semitones (repeats merged): a mean near 1.7 semitones, stored / 5
    assert 1.3 / 5 < steps[MELODY_IV] < 2.1 / 5
    assert leaps[MELODY_IV] > steps[MELODY_IV] + 0.1  # the seams add a minor sixth and fourths
    # voice motion of the lead over 1/8 s either side: mean semitones moved, and big moves / 10
    lead_moved, lead_big = MOTION, MOTION + 1
    assert leaps[lead_moved] > steps[lead_moved] and leaps[lead_big] >= steps[lead_big] + 0.2  # a few more big moves


def test_notes_outside_the_key_are_counted_and_the_bass_line_is_read_from_the_accompaniment() -> None:
    acc = _accompaniment(CHORDS)
    in_key = _line(SOPRANO)
    wrong = _line([p + 1 if i % 4 == 1 else p for i, p in enumerate(SOPRANO)])  # every second beat a semitone up
    clean, bad = _stats(in_key + acc, in_key, acc), _stats(wrong + acc, wrong, acc)
    assert clean[MELODY_OUTKEY] == 0.0
    assert bad[MELODY_OUTKEY] > 0.2  # D# F# ... on every second beat: a quarter of the notes at least
    # the bass C F G C moves 5, 2 and 7 semitones: a mean of 4.67 semitones, stored / 5
    assert abs(float(clean[BASS_IV]) - 4.67 / 5) < 0.05


def test_a_part_a_quarter_tone_out_of_tune_spreads_its_power_over_two_bands() -> None:
    lead = _line(SOPRANO)
    in_tune = _accompaniment(CHORDS)
    detuned = _accompaniment([(b, t + 0.5, s) for b, t, s in CHORDS])  # the tenor 50 cents sharp
    assert _stats(lead + detuned, lead, detuned)[SPREAD_MIX] > _stats(lead + in_tune, lead, in_tune)[SPREAD_MIX] + 0.5


def test_voices_that_change_together_are_in_sync_and_a_late_one_is_not() -> None:
    lead = _line(SOPRANO)
    together = _line([c[0] for c in CHORDS for _ in range(4)], level=0.15)  # the bass on every beat with the soprano
    late = np.concatenate([np.zeros(int(0.25 * SR), np.float32), together])[: len(together)]  # an eighth late
    in_sync = _stats(lead + together, lead, together)
    apart = _stats(lead + late, lead, late)
    assert in_sync[SYNC0] > 0.5 and apart[SYNC0] < in_sync[SYNC0] - 0.3




def test_an_accompaniment_a_quarter_beat_late_shows_on_one_side_of_the_onset_correlation() -> None:
    # 120 BPM: the soprano and a chord re-struck on every beat; then the chords 125 ms late (16 sub-frames)
    lead = _line(SOPRANO)
    chords = [c for c in CHORDS for _ in range(4)]
    on_time = np.concatenate([sum(_tone(m, 0.5, 0.1) for m in chord) for chord in chords]).astype(np.float32)
    late = np.concatenate([np.zeros(SR // 8, np.float32), on_time[: -(SR // 8)]])
    sync, off = _stats(lead + on_time, lead, on_time), _stats(lead + late, lead, late)
    near = slice(3, 5)  # the pools of lags 13-16 and 17-20 sub-frames, either side of the 16-step delay
    assert sync[TOGETHER] > off[TOGETHER] + 0.3  # together: the voices strike at once only when in time
    later, earlier = off[LATER:][near].sum(), off[EARLIER:][near].sum()
    assert later > earlier + 0.25  # the accompaniment follows the lead by the delay, and never leads it
    assert abs(float(sync[LATER:][near].sum() - sync[EARLIER:][near].sum())) < 0.15
