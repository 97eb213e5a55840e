"""The harmonizer: tiny-model shapes and decoding, windows, curricula, the rule baseline, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies import Key, Meter, Note, Part, Score
from musicgrammar.tools.harmonizer import harmonize_melody
from musicgrammar.tools.harmonizer.data import piece_windows, tokens_to_events
from musicgrammar.tools.harmonizer.inference import unmask
from musicgrammar.tools.harmonizer.model import Harmonizer, HarmonizerConfig
from musicgrammar.tools.harmonizer.tokens import (
    BAR,
    MASK,
    NC,
    PAD,
    VOCAB_SIZE,
    MelodyNote,
    build_grid,
    match_chord,
    melody_roll,
    token_symbol,
)

torch.set_num_threads(1)

# E D C D | F F D D | B B D D | C (whole): a melody that asks for I .. ii/IV .. V .. I
CADENCE = [(64, 0, 1), (62, 1, 1), (60, 2, 1), (62, 3, 1), (65, 4, 1), (65, 5, 1), (62, 6, 1), (62, 7, 1),
           (71, 8, 1), (71, 9, 1), (74, 10, 1), (74, 11, 1), (72, 12, 4)]  # fmt: skip


def score_of(notes, key: str = "C major", meter: str = "4/4", bars: int = 4, transpose: int = 0) -> Score:
    return Score(
        key=Key.parse(key),
        meter=Meter.parse(meter),
        tempo_bpm=96,
        bars=bars,
        parts=[Part(id="melody", instrument="flute", notes=[Note(pitch=p + transpose, start=s, duration=d) for p, s, d in notes])],
    )


@pytest.fixture(scope="module")
def tiny() -> Harmonizer:
    torch.manual_seed(0)
    return Harmonizer(HarmonizerConfig.tiny()).eval()


def test_tiny_forward_shapes(tiny: Harmonizer) -> None:
    melody = torch.zeros(2, 20, 13)
    chords = torch.full((2, 20), MASK)
    chords[1, 15:] = PAD
    assert tiny(melody, chords).shape == (2, 20, VOCAB_SIZE)


def test_unmask_fills_every_chord_step_and_is_seeded(tiny: Harmonizer) -> None:
    steps = build_grid(4.0, 16.0)  # 4 bars: 20 steps
    roll = melody_roll([MelodyNote(*n) for n in CADENCE], steps)
    tokens = np.array([BAR if s.is_bar else MASK for s in steps])
    for order in ("certain", "random", "ltr"):
        a = unmask(tiny, roll, tokens, order, 0.9, torch.Generator().manual_seed(3))
        b = unmask(tiny, roll, tokens, order, 0.9, torch.Generator().manual_seed(3))
        assert (a == b).all()
        assert (a[tokens == BAR] == BAR).all()
        chord_steps = a[tokens != BAR]
        assert ((chord_steps == NC) | (chord_steps >= 4)).all()  # no pad/mask/bar predicted
    many = unmask(tiny, roll, tokens, "certain", 0.9, torch.Generator().manual_seed(3), per_pass=4)
    assert (many != MASK).all()


def test_windows_cover_long_melodies_with_overlap() -> None:
    notes = [MelodyNote(60 + i % 7, float(i), 1.0) for i in range(160)]  # 40 bars of 4/4
    windows = piece_windows(notes, 4.0, 160.0, max_len=80)
    assert [w.first_bar for w in windows] == [0, 12, 24]
    assert all(len(w.steps) == 80 for w in windows)
    three = piece_windows(notes[:48], 3.0, 48.0, max_len=80)  # 16 bars of 3/4 fit one window of 64 steps
    assert len(three) == 1 and len(three[0].steps) == 64


def test_long_melody_in_odd_meter_gets_chords_in_every_bar(tiny: Harmonizer) -> None:
    notes = [(62 + (i * 2) % 9, i * 0.5, 0.5) for i in range(40 * 7)]  # 40 bars of 7/8
    result = harmonize_melody(score_of(notes, "D dorian", "7/8", bars=40), seed=1, model=tiny)
    assert {c.bar for c in result.chords} == set(range(1, 41))
    assert any("7/8" in w for w in result.warnings)
    assert all(c.duration > 0 for c in result.chords)


def test_match_chord_reads_a_dominant_seventh() -> None:
    w = np.zeros(12)
    w[[7, 11, 2, 5]] = 1.0  # G B D F, each a full beat
    assert token_symbol(match_chord(w, bass_pc=7)) == "G7"
    w[5] = 0.1  # a passing F is not a seventh
    assert token_symbol(match_chord(w, bass_pc=7)) == "G"


def test_events_merge_repeats_and_split_at_bars() -> None:
    steps = build_grid(2.0, 4.0)  # | x x | x x |
    c, g = match_chord(np.eye(12)[[0, 4, 7]].sum(0)), match_chord(np.eye(12)[[7, 11, 2]].sum(0))
    tokens = [BAR, c, c, BAR, c, g]
    ev = tokens_to_events(steps, tokens)
    assert [(e.onset, e.duration, e.bar, e.beat) for e in ev] == [(0, 2, 0, 1), (2, 1, 1, 1), (3, 1, 1, 2)]


def _changes(result) -> list[str]:
    """Chord symbols with repeats (a chord restated at a bar line) removed."""
    out: list[str] = []
    for c in result.chords:
        if not out or out[-1] != c.symbol:
            out.append(c.symbol)
    return out


def test_rules_cadence_in_c_major() -> None:
    result = harmonize_melody(score_of(CADENCE), method="rules")
    last3 = _changes(result)[-3:]
    assert last3[-1] == "C" and last3[-2] in ("G", "G7") and last3[-3] in ("Dm", "F", "Dm7")
    assert result.metrics["CTnCTR"] > 0.8


def test_rules_cadence_follows_the_key_bb_major() -> None:
    # the same melody a whole tone lower is in Bb: ii/IV - V - I are Cm/Eb - F - Bb
    result = harmonize_melody(score_of(CADENCE, "Bb major", transpose=-2), method="rules")
    last3 = _changes(result)[-3:]
    assert last3 == [last3[0], "F", "Bb"] and last3[0] in ("Cm", "Eb")


def test_rules_minor_cadence_uses_the_major_dominant() -> None:
    melody = [(69, 0, 1), (72, 1, 1), (71, 2, 1), (69, 3, 1), (74, 4, 2), (72, 6, 2), (71, 8, 2), (68, 10, 2), (69, 12, 4)]
    result = harmonize_melody(score_of(melody, "A minor"), method="rules")
    symbols = _changes(result)
    assert symbols[-1] == "Am" and symbols[-2] == "E"


def test_polyphonic_input_uses_the_top_line(tiny: Harmonizer) -> None:
    notes = CADENCE + [(48, 0, 4), (53, 4, 4), (55, 8, 4), (48, 12, 4)]  # a bass under the tune
    result = harmonize_melody(score_of(notes), method="rules")
    assert [n.pitch for n in result.melody] == [p for p, _, _ in CADENCE]
    assert any("polyphonic" in w for w in result.warnings)


def test_empty_melody_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="no notes"):
        harmonize_melody(score_of([]), method="rules")
    with pytest.raises(UserInputError):
        harmonize_melody(score_of(CADENCE), method="magic")  # type: ignore[arg-type]


def test_result_json_shape() -> None:
    data = harmonize_melody(score_of(CADENCE, "D major", transpose=2), method="rules").to_json()
    assert data["key"] == "D major" and data["chords"][0] == {"bar": 1, "beat": 1, "symbol": "D"}
    assert set(data["metrics"]) == {"CHE", "CC", "CTD", "CTnCTR", "PCS", "MCTD", "HRHE", "HRC", "CBS"}
    json.dumps(data)  # NaN-free


# ---- curricula (training recipe) -------------------------------------------------------------


def test_curricula_masks() -> None:
    from training.harmonizer.curricula import full_to_full, midpoint_doubling, random_ten_percent

    rng = np.random.default_rng(0)
    tokens = np.array([BAR] + [10] * 16 + [BAR] + [11] * 16)
    cs = tokens != BAR
    inp, tgt = full_to_full(tokens, cs, 0.0, rng)  # start: everything hidden, everything a target
    assert (inp[cs] == MASK).all() and tgt.sum() == 32 and (inp[~cs] == BAR).all()
    inp, tgt = full_to_full(tokens, cs, 1.0, rng)  # end: all but one visible
    assert tgt.sum() == 1 and (inp == MASK).sum() == 1
    for _ in range(20):
        inp, tgt = midpoint_doubling(tokens, cs, rng)
        visible = cs & (inp != MASK)
        assert not (visible & tgt).any() and tgt.sum() >= 1
        inp, tgt = random_ten_percent(tokens, cs, rng)
        assert tgt.sum() == 4 and not ((inp != MASK) & cs & tgt).any()


# ---- CLI -------------------------------------------------------------------------------------


def _write_midi(path: Path, notes) -> None:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=73)
    for p, s, d in notes:
        inst.notes.append(pretty_midi.Note(velocity=90, pitch=p, start=s * 0.5, end=(s + d) * 0.5))
    pm.instruments.append(inst)
    pm.write(str(path))


def _run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    from musicgrammar.cli import main

    code = 0
    try:
        main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_two_track_midi_and_json(tmp_path: Path, capsys) -> None:
    import mido

    src, out = tmp_path / "tune.mid", tmp_path / "out.mid"
    _write_midi(src, CADENCE)
    code, stdout, _ = _run_cli(["harmonize", str(src), "--out", str(out), "--json", "--seed", "2"], capsys)
    assert code == 0
    data = json.loads(stdout)
    assert data["key"] and data["chords"] and "CHE" in data["metrics"]
    mid = mido.MidiFile(str(out))
    pitches = [[m.note for m in tr if m.type == "note_on" and m.velocity > 0] for tr in mid.tracks]
    assert len(mid.tracks) == 2
    assert pitches[0] == [p for p, _, _ in CADENCE]  # the melody as given
    assert pitches[1] and all(36 <= p <= 72 for p in pitches[1])  # block chords, middle register
    code2, stdout2, _ = _run_cli(["harmonize", str(src), "--out", str(out), "--json", "--seed", "2"], capsys)
    assert json.loads(stdout2)["chords"] == data["chords"]  # same seed, same chords


def test_cli_bad_inputs_are_one_line_errors(tmp_path: Path, capsys) -> None:
    code, _, err = _run_cli(["harmonize", str(tmp_path / "missing.mid"), "--out", str(tmp_path / "o.mid")], capsys)
    assert code == 2 and err.strip().count("\n") == 0 and "missing.mid" in err
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not a midi file")
    code, _, err = _run_cli(["harmonize", str(bad), "--out", str(tmp_path / "o.mid")], capsys)
    assert code == 2 and err.startswith("error:") and err.strip().count("\n") == 0
    assert not (tmp_path / "o.mid").exists()
    src = tmp_path / "tune.mid"
    _write_midi(src, CADENCE)
    code, _, err = _run_cli(["harmonize", str(src), "--out", str(tmp_path / "nodir" / "o.mid")], capsys)
    assert code == 2 and "does not exist" in err
