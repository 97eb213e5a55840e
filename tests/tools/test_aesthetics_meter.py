"""The aesthetics model's statistics read against the beat: tempo, onset delays in beats, half-bar seams."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from musicgrammar.tools.aesthetics_model.config import AestheticsConfig, cpu_config
from musicgrammar.tools.aesthetics_model.features import log_mel
from musicgrammar.tools.aesthetics_model.lines import line_statistics, line_statistics_width
from musicgrammar.tools.aesthetics_model.meter import METER_STATISTICS, beat_of

SR = 16000
CFG = cpu_config()
SUBFRAME_S = CFG.hop / CFG.onset_subframes / SR  # 7.8125 ms
METER = line_statistics_width(CFG) - METER_STATISTICS  # where the meter block starts
LEAD_TO_ACC = METER + 1  # ten onset correlations at 1/16 .. 10/16 of a beat
SEAM_MINUS_HALF_DUPLE = METER + 31 + 6  # per signal: seam means (6), seam less halfway (6), peaks (6)
LEAD_JUMP, LEAD_MOTION = 0, 1

# A stepwise chorale soprano in C and its chords, one bar (four beats) each.
SOPRANO = [72, 74, 76, 77, 79, 77, 76, 74, 72, 74, 76, 74, 72, 71, 72, 72]
CHORDS = [(48, 55, 64), (53, 57, 65), (55, 59, 62), (48, 55, 64)]


def _tone(midi: float, seconds: float, level: float) -> np.ndarray:
    t = np.arange(int(round(seconds * SR))) / SR
    f = 440.0 * 2 ** ((midi - 69) / 12)
    wave = level * (np.sin(2 * np.pi * f * t) + 0.5 * np.sin(4 * np.pi * f * t) + 0.3 * np.sin(6 * np.pi * f * t))
    return (wave * np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)).astype(np.float32)


def _piece(bpm: float, soprano: list[int] = SOPRANO) -> tuple[np.ndarray, np.ndarray]:
    """(lead, accompaniment) at ``bpm``: the soprano in quarters, the chord struck on every beat; 8 s long."""
    beat = 60.0 / bpm
    lead = np.concatenate([_tone(m, beat, 0.2) for m in soprano * 2])
    acc = np.concatenate([sum(_tone(m, beat, 0.1) for m in chord) for chord in CHORDS for _ in range(4)] * 2)
    n = 8 * SR
    return np.pad(lead, (0, max(0, n - len(lead))))[:n], np.pad(acc, (0, max(0, n - len(acc))))[:n].astype(np.float32)


def _db(wave: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(log_mel(wave, CFG)).unsqueeze(0)


def _stats(lead: np.ndarray, acc: np.ndarray) -> torch.Tensor:
    return line_statistics(_db(lead + acc), _db(lead), _db(acc), CFG)[0]


def _late(wave: np.ndarray, seconds: float) -> np.ndarray:
    shift = int(round(seconds * SR))
    return np.concatenate([np.zeros(shift, np.float32), wave[:-shift]])


@pytest.mark.parametrize("bpm", [120.0, 150.0])
def test_the_beat_is_read_from_the_onsets(bpm: float) -> None:
    lead, acc = _piece(bpm)
    beat_s = float(beat_of([_db(x) for x in (lead + acc, lead, acc)], CFG)[0]) * SUBFRAME_S
    assert abs(beat_s - 60.0 / bpm) < 0.004  # 0.5 s and 0.4 s, to a half sub-frame
    assert abs(float(_stats(lead, acc)[METER]) - (beat_s - 0.5) * 5.0) < 1e-5  # the first meter statistic


def _compound_piece(bpm: float) -> tuple[np.ndarray, np.ndarray]:
    """(lead, accompaniment) in 12/8 at ``bpm`` quarter notes: the soprano as long-short pairs (a quarter and an
    eighth) and the chord struck on every dotted-quarter beat; 8 s long."""
    quarter = 60.0 / bpm
    lead = np.concatenate([np.concatenate([_tone(m, quarter, 0.2), _tone(m - 1, 0.5 * quarter, 0.2)]) for m in SOPRANO * 2])
    acc = np.concatenate([sum(_tone(m, 1.5 * quarter, 0.1) for m in chord) for chord in CHORDS for _ in range(4)] * 2)
    n = 8 * SR
    return np.pad(lead, (0, max(0, n - len(lead))))[:n], np.pad(acc, (0, max(0, n - len(acc))))[:n].astype(np.float32)


def test_the_dotted_quarter_of_12_8_at_132_bpm_is_read_as_the_beat() -> None:
    # the dotted quarter lasts 682 ms: past the 656 ms models saved before beat_max_ms looked to, which
    # settle on a lag that is no beat at all
    lead, acc = _compound_piece(132.0)
    streams = [_db(x) for x in (lead + acc, lead, acc)]
    beat_s = float(beat_of(streams, CFG)[0]) * SUBFRAME_S
    assert abs(beat_s - 1.5 * 60.0 / 132.0) < 0.004
    saved_before = {k: v for k, v in CFG.to_dict().items() if k != "beat_max_ms"}  # a config.json without the setting
    older = float(beat_of(streams, AestheticsConfig.from_dict(saved_before))[0]) * SUBFRAME_S
    assert abs(older - 1.5 * 60.0 / 132.0) > 0.1


@pytest.mark.parametrize("bpm", [120.0, 150.0])
def test_an_accompaniment_a_quarter_beat_late_peaks_at_a_quarter_beat_at_any_tempo(bpm: float) -> None:
    # a quarter beat is 125 ms at 120 BPM and 100 ms at 150 BPM: the same fraction, different delays
    lead, acc = _piece(bpm)
    on_time, late = _stats(lead, acc), _stats(lead, _late(acc, 0.25 * 60.0 / bpm))
    quarter = LEAD_TO_ACC + 3  # the fraction 4/16
    assert late[quarter] > on_time[quarter] + 0.3
    others = [LEAD_TO_ACC + i for i in range(10) if abs(i - 3) > 1]  # away from 3/16..5/16
    assert late[quarter] > late[others].max() + 0.2


def test_half_bars_put_back_in_another_order_move_the_soprano_at_the_seams() -> None:
    halves = [SOPRANO[i : i + 2] for i in range(0, 16, 2)]
    shuffled = [p for k in (6, 2, 7, 4, 1, 0, 5, 3) for p in halves[k]]  # seams 71-79, 77-72, 74-76, ...
    lead, acc = _piece(120.0)
    cut, _ = _piece(120.0, shuffled)
    whole, broken = _stats(lead, acc), _stats(cut, acc)
    for signal in (LEAD_JUMP, LEAD_MOTION):  # seams of two beats (half a 4/4 bar) against the beats between
        assert broken[SEAM_MINUS_HALF_DUPLE + signal] > whole[SEAM_MINUS_HALF_DUPLE + signal] + 0.2


def test_the_seam_reader_reads_only_the_encodings_beside_the_half_bar_seams_and_the_points_between() -> None:
    from musicgrammar.tools.aesthetics_model.model import SeamReader

    torch.manual_seed(0)
    reader = SeamReader(CFG)
    streams = [torch.randn(1, 64, CFG.dim, requires_grad=True) for _ in range(3)]  # 128 frames, two per position
    reader(streams, torch.tensor([8.0]))[0].sum().backward()  # a beat of 8 frames: 120 BPM
    touched = set(torch.nonzero(streams[0].grad[0].abs().sum(-1)).squeeze(-1).tolist())
    # two beats: seams every 16 frames, halves 8 frames later; one and a half beats: every 12, halves at 6
    points = {f for grid in (16, 12) for f in range(grid // 2, 127, grid // 2) if 2 <= f <= 126}
    assert touched == {min(63, f // 2 + side) for f in points for side in (-1, 1)}  # the last seam reads the last position
    assert all(s.grad is not None and s.grad.abs().sum() > 0 for s in streams)  # every stream is read


def test_the_seam_loss_reads_the_clips_own_grid_and_only_where_the_beat_was_judged_right() -> None:
    from training.aesthetics_model.train import seam_loss, seam_targets

    cfg = cpu_config(seam_reader=True, seam_supervision=True)
    meta = [{"tempo": 120.0, "half_bar": 2.0, "broken_seams": [0, 1, 1, 0, 0, 0, 0]},  # 4/4: seams of two beats
            {"tempo": 135.0, "half_bar": 1.5, "broken_seams": [0] * 11},  # 3/4: seams of one and a half
            {"tempo": 120.0},  # no seam record
            # 12/8 at 135 quarter notes a minute: the beat is the dotted quarter (667 ms), the half bar two of them
            {"tempo": 135.0, "half_bar": 3.0, "beat_quarters": 1.5, "broken_seams": [0] * 5}]
    labels, grid, beat = (torch.from_numpy(a) for a in seam_targets(meta, cfg))
    assert grid.tolist() == [0, 1, -1, 0] and beat[0].item() == 8.0  # a 500 ms beat is 8 frames of 62.5 ms
    assert beat[3].item() == pytest.approx(60 / 90 / 0.0625)
    labels, grid, beat = labels[:3], grid[:3], beat[:3]
    assert labels[0, :8].tolist() == [0, 1, 1, 0, 0, 0, 0, -1] and (labels[2] == -1).all()
    logits = torch.zeros(3, 2, 2, labels.shape[1])
    inside = torch.ones(3, 2, 2, labels.shape[1], dtype=torch.bool)
    right = {"seam_logits": logits, "seam_ok": inside, "beat_frames": beat.clone()}
    # logits of 0 everywhere: log 2 per labelled point, whatever the labels
    assert abs(seam_loss(right, labels, grid, beat).item() - float(np.log(2))) < 1e-6
    # sure of a break at the second and third seams of the 4/4 clip's own grid, and of nothing elsewhere: the loss drops
    sure = logits.clone() - 8.0
    sure[0, 0, 0, 1:3] = 8.0
    assert seam_loss(dict(right, seam_logits=sure), labels, grid, beat).item() < 0.01
    # the same logits read on the other grid miss both breaks; a beat misjudged by 5 % leaves the clip out
    assert seam_loss(dict(right, seam_logits=sure.flip(1)), labels, grid, beat).item() > 0.2
    off = dict(right, seam_logits=sure.flip(1), beat_frames=beat * torch.tensor([1.05, 1.05, 1.0]))
    assert seam_loss(off, labels, grid, beat).item() == 0.0


def test_the_evidence_at_a_seam_reads_the_soprano_leap_and_the_chord_that_follows_in_the_key() -> None:
    from musicgrammar.tools.aesthetics_model.transitions import transition_evidence

    # 4 s of C major: the soprano holds C5 for 2 s, then leaps an octave up; the chord is C major, then F# major
    lead = np.concatenate([_tone(72, 2.0, 0.2), _tone(84, 2.0, 0.2)])
    acc = np.concatenate([sum(_tone(m, 2.0, 0.1) for m in (48, 55, 64)), sum(_tone(m, 2.0, 0.1) for m in (54, 61, 66))])
    evidence = transition_evidence(_db(lead + acc), _db(lead), _db(acc), CFG)[0]  # (T, 33)
    seam, held = 32, 16  # frames: the change at 2 s, and a frame in the middle of the held C chord
    lead_move, lead_signed, both_sound, chords_alike = 0, 1, 2, 6
    assert evidence[seam, lead_move] == pytest.approx(1.0) and evidence[seam, lead_signed] == pytest.approx(1.0)
    assert evidence[held, lead_move] == 0.0 and evidence[seam, both_sound] == 1.0
    assert evidence[held, chords_alike] > 0.95 > 0.5 > evidence[seam, chords_alike]
    # the chroma before the held frame, turned to the key: its tonic (C, degree 0) is among the loudest classes
    before = evidence[held, 8:20]
    assert before[0] >= before.sort(descending=True).values[2]


def test_the_seam_reader_weighs_the_evidence_at_the_seam_frames_only() -> None:
    from musicgrammar.tools.aesthetics_model.model import SeamReader
    from musicgrammar.tools.aesthetics_model.transitions import TRANSITIONS

    torch.manual_seed(0)
    cfg = cpu_config(seam_reader=True, seam_supervision=True, seam_evidence=True)
    reader = SeamReader(cfg)
    streams = [torch.randn(1, 64, cfg.dim) for _ in range(3)]
    evidence = torch.randn(1, 128, TRANSITIONS, requires_grad=True)
    _, logits, inside = reader(streams, torch.tensor([8.0]), evidence)  # a beat of 8 frames: 120 BPM
    (logits[:, 0] * inside[:, 0]).sum().backward()  # the two-beat grid's break logits inside the clip: seams, halfway points
    touched = set(torch.nonzero(evidence.grad[0].abs().sum(-1)).squeeze(-1).tolist())
    assert touched == {f for f in range(8, 127, 8) if 2 <= f <= 126}  # seams every 16 frames, halfway points between


def test_the_voicing_at_a_seam_hears_voices_that_leap_away_and_a_voice_that_falls_silent() -> None:
    from musicgrammar.tools.aesthetics_model.transitions import VOICING, voicing_change

    def chords(*held: tuple[int, ...]) -> np.ndarray:  # each chord held for 2 s
        return np.concatenate([sum(_tone(m, 2.0, 0.1) for m in chord) for chord in held])

    seam = 32  # frames: the change at 2 s
    stepwise = voicing_change(*(_db(chords((60, 64, 67), (60, 65, 69))),) * 3, CFG)[0]  # C major -> F major, 6-4: a step
    leap = voicing_change(*(_db(chords((60, 64, 67), (66, 70, 73))),) * 3, CFG)[0]  # C major -> F# major: a tritone away
    silent = voicing_change(*(_db(chords((60, 64, 67), (60,))),) * 3, CFG)[0]  # the E and the G stop
    assert stepwise.shape == (64, VOICING)  # 4 s at 16 frames a second
    to_nearest, far_share, count_change, level = 0, 2, 3, 8  # of the mix, for the three strongest pitches
    count_of_five = 7  # the change in how many of the five strongest sound (a tone's own overtones count too)
    assert stepwise[seam, to_nearest] <= 2 / 6 + 1e-6 and stepwise[seam, far_share] == 0.0  # every voice moves a tone at most
    assert leap[seam, to_nearest] >= 0.5 and leap[seam, far_share] > 0.6  # none lands within a tone of where it was
    assert silent[seam, count_of_five] < 0.0 and silent[seam, level] < -0.2  # a third of the power is gone
    assert stepwise[16, to_nearest] == 0.0 and stepwise[16, count_change] == 0.0  # inside the held chord nothing moves


def test_a_model_grown_to_weigh_the_voicing_at_the_seams_starts_out_as_the_saved_one() -> None:
    from dataclasses import replace

    from musicgrammar.tools.aesthetics_model.config import tiny_config
    from musicgrammar.tools.aesthetics_model.model import AestheticsModel
    from training.aesthetics_model.train import grow_state

    torch.manual_seed(0)
    cfg = tiny_config(seam_reader=True, seam_supervision=True, seam_evidence=True)
    saved = AestheticsModel(cfg).eval()
    grown = AestheticsModel(replace(cfg, seam_voicing=True)).eval()
    grown.load_state_dict(grow_state(saved.state_dict(), grown.state_dict()))
    lead, acc = _piece(120.0)
    x = [_db(w)[:, : cfg.clip_frames] for w in (lead + acc, lead, acc)]
    with torch.no_grad():
        # the zero columns add nothing, but a wider matrix product may sum in another order: equal to rounding
        assert torch.allclose(saved(*x)["score"], grown(*x)["score"], rtol=0.0, atol=1e-5)
    wider = grown.seams.read[0].weight
    assert wider.shape[1] == saved.seams.read[0].weight.shape[1] + 27 and not wider[:, -27:].any()
