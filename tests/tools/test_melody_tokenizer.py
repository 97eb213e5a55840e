"""The melody model's event vocabulary: blocks, round trips and chord labels as musical facts."""

from __future__ import annotations

import pytest

from musicgrammar.tools.melody_model.tokenizer import (
    DURATIONS,
    N_PITCHES,
    N_VOICES,
    PITCH_LOW,
    VOCAB,
    ChordEvent,
    NoteEvent,
    Piece,
    bar_starts,
    classify_chord,
    decode,
    encode,
    estimate_chords,
    mode_token_name,
    quantize_duration,
)

Q = 12  # ticks per quarter


def _names(tokens: list[int]) -> list[str]:
    return [VOCAB.names[t] for t in tokens]


def test_note_block_is_last_and_voice_major() -> None:
    assert len(VOCAB) == VOCAB.note_base + N_VOICES * N_PITCHES
    assert VOCAB.note(0, PITCH_LOW) == VOCAB.note_base
    assert VOCAB.note(1, PITCH_LOW) == VOCAB.note_base + N_PITCHES
    assert VOCAB.names[VOCAB.note(3, 60)] == "NOTE_3_60"
    for voice, pitch in [(0, 60), (2, 21), (3, 108)]:
        assert VOCAB.note_voice_pitch(VOCAB.note(voice, pitch)) == (voice, pitch)
    with pytest.raises(ValueError):
        VOCAB.note(0, 20)


def test_encode_twinkle_in_c_with_chords() -> None:
    # Twinkle twinkle: C C G G | A A G- | over C | F C in 4/4.
    pitches = [60, 60, 67, 67, 69, 69, 67]
    starts = [0, 1, 2, 3, 4, 5, 6]
    durs = [1, 1, 1, 1, 1, 1, 2]
    notes = [NoteEvent(s * Q, d * Q, p) for s, d, p in zip(starts, durs, pitches)]
    chords = [ChordEvent(0, 0, "maj"), ChordEvent(4 * Q, 5, "maj"), ChordEvent(6 * Q, 0, "maj")]
    piece = Piece(tonic=0, mode="major", meter=(4, 4), notes=notes, chords=chords)
    tokens = encode(piece)
    names = _names(tokens)
    assert names[:4] == ["BOS", "KEY_0", "MODE_major", "METER_4/4"]
    assert names[4:9] == ["BAR", "POS_0", "CHORD_0_maj", "NOTE_0_60", "DUR_12"]
    assert names.count("BAR") == 2 and names[-1] == "EOS"
    # The chord token appears once per bar start and on each change: C, then F and C in bar 2.
    assert [n for n in names if n.startswith("CHORD")] == ["CHORD_0_maj", "CHORD_5_maj", "CHORD_0_maj"]
    back = decode(tokens)
    assert back.meter == (4, 4) and back.tonic == 0 and back.mode == "major"
    assert back.notes == notes
    assert [(c.start, c.root, c.quality) for c in back.chords] == [(0, 0, "maj"), (48, 5, "maj"), (72, 0, "maj")]


def test_polyphony_shares_position_and_orders_voices() -> None:
    notes = [NoteEvent(0, 24, 48, 3), NoteEvent(0, 24, 72, 0), NoteEvent(0, 24, 64, 1), NoteEvent(0, 24, 55, 2)]
    piece = Piece(tonic=0, mode="major", meter=(2, 4), notes=notes)
    names = _names(encode(piece))
    assert names[4:] == ["BAR", "POS_0", "NOTE_0_72", "DUR_24", "NOTE_1_64", "DUR_24", "NOTE_2_55", "DUR_24",
                         "NOTE_3_48", "DUR_24", "EOS"]


def test_windows_start_at_any_bar_with_the_header() -> None:
    notes = [NoteEvent(b * 36 + i * 12, 12, 60 + i, 0) for b in range(6) for i in range(3)]  # 3/4, 6 bars
    piece = Piece(tonic=7, mode="dorian", meter=(3, 4), notes=notes)
    window = encode(piece, 2, 4)
    names = _names(window)
    assert names[:4] == ["BOS", "KEY_7", "MODE_dorian", "METER_3/4"]
    assert names.count("BAR") == 2 and "EOS" not in names
    assert decode(window).notes[0] == NoteEvent(0, 12, 60, 0)  # bar 2 read back as bar 0
    assert len(bar_starts(encode(piece))) == 6


def test_six_eight_pickup_and_rests_round_trip() -> None:
    # 6/8: bar = 36 ticks; a dotted-quarter rest then notes; a tie across the bar line keeps its length.
    notes = [NoteEvent(18, 6, 62), NoteEvent(24, 12, 64), NoteEvent(36 + 18, 30, 67)]
    piece = Piece(tonic=2, mode="minor", meter=(6, 8), notes=notes)
    assert piece.bar_ticks == 36
    assert decode(encode(piece)).notes == notes


def test_duration_quantization() -> None:
    assert quantize_duration(13) == 12 and quantize_duration(100) == 96 and quantize_duration(14) == 15
    assert all(d in DURATIONS for d in (3, 4, 6, 9, 18, 36, 48))


def test_chord_classification_facts() -> None:
    assert classify_chord(7, {7, 11, 2, 5}) == "dom7"  # G B D F
    assert classify_chord(2, {2, 5, 9}) == "min"  # D F A
    assert classify_chord(11, {11, 2, 5}) == "dim"  # B D F
    assert classify_chord(0, {0, 4, 7, 11}) == "maj7"


def test_estimate_chords_harmonizes_a_plain_melody() -> None:
    # Arpeggios in C major, one bar each in 3/4: C E G | F A C | G B D | C E G -> I IV V I.
    arps = [(60, 64, 67), (65, 69, 72), (67, 71, 74), (60, 64, 67)]
    notes = [NoteEvent(b * 36 + i * 12, 12, p) for b, arp in enumerate(arps) for i, p in enumerate(arp)]
    chords = estimate_chords(notes, 0, "major", 36)
    assert [(c.root, c.quality) for c in chords] == [(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")]
    # In A minor the E G# B bar is the major dominant.
    notes = [NoteEvent(i * 12, 12, p) for i, p in enumerate((64, 68, 71))]
    assert [(c.root, c.quality) for c in estimate_chords(notes, 9, "minor", 36)] == [(4, "maj")]


def test_mode_names_map_to_the_vocabulary() -> None:
    assert mode_token_name("aeolian") == "minor"
    assert mode_token_name("ionian") == "major"
    assert mode_token_name("mande_hardino") == "mixolydian"
    assert VOCAB.names[VOCAB.mode("whole_tone")] == "MODE_other"
    assert VOCAB.names[VOCAB.meter(6, 8)] == "METER_6/8"
    assert VOCAB.names[VOCAB.meter(11, 8)] == "METER_other"
