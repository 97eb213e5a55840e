"""Score I/O: MIDI, MusicXML and ABC, melody extraction, key estimation, errors, atomic writes."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies import Key, Meter, Mode, Note, Part, Score
from musicgrammar.tools.io import estimate_key, load_melody, load_midi, load_musicxml, load_score, save_midi, save_musicxml

ABC_TUNE = """X:1
T:Test Reel
M:4/4
L:1/8
K:G
GABc dBAG | FGAB cAFA | GABc dedB | cAFA G4 |]
"""


def _score() -> Score:
    # 2 bars of 6/8 in G minor: a melody with a triplet and a lyric, a bass, and a bell on the drum channel.
    melody = [
        Note(pitch=67, start=0.0, duration=1.5, lyric="sing"),
        Note(pitch=70, start=1.5, duration=1 / 3, lyric="a"),
        Note(pitch=69, start=1.5 + 1 / 3, duration=1 / 3),
        Note(pitch=67, start=1.5 + 2 / 3, duration=1 / 3 + 3.0, lyric="song"),  # tied across the barline
    ]
    return Score(title="Little Song", key=Key(tonic="G", mode=Mode.MINOR), meter=Meter.parse("6/8"), tempo_bpm=96, bars=2,
                 parts=[Part(id="lead", instrument="flute", role="lead", notes=melody),
                        Part(id="bass", instrument="acoustic_bass", role="bass", notes=[Note(pitch=43, start=0, duration=3), Note(pitch=38, start=3, duration=3)]),
                        Part(id="bell", instrument="dunun", role="percussion", notes=[Note(pitch=56, start=i * 0.5, duration=0.5) for i in (0, 2, 4)])])  # fmt: skip


def test_midi_round_trip_keeps_parts_programs_drums_meta(tmp_path: Path) -> None:
    import pretty_midi

    path = save_midi(_score(), tmp_path / "s.mid")
    pm = pretty_midi.PrettyMIDI(str(path))
    assert [(i.program, i.is_drum) for i in pm.instruments] == [(73, False), (32, False), (0, True)]
    assert pm.key_signature_changes[0].key_number == 12 + 7  # G minor
    assert (pm.time_signature_changes[0].numerator, pm.time_signature_changes[0].denominator) == (6, 8)
    back = load_midi(path)
    assert back.tempo_bpm == pytest.approx(96)
    assert str(back.key) == "G minor" and str(back.meter) == "6/8" and back.bars == 2
    assert [(p.id, p.instrument) for p in back.parts] == [("lead", "flute"), ("bass", "acoustic_bass"), ("bell", "dunun")]
    lead = back.part("lead").notes
    assert [n.pitch for n in lead] == [67, 70, 69, 67]
    assert lead[1].duration == pytest.approx(1 / 3, abs=1e-5)
    assert [n.lyric for n in lead] == ["sing", "a", None, "song"]


def test_midi_without_names_maps_programs_back_to_catalog(tmp_path: Path) -> None:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=100)
    violin = pretty_midi.Instrument(program=40)
    violin.notes = [pretty_midi.Note(velocity=90, pitch=p, start=i * 0.6, end=(i + 1) * 0.6) for i, p in enumerate([69, 71, 73, 74, 76, 78, 80, 81])]
    kit = pretty_midi.Instrument(program=0, is_drum=True)
    kit.notes = [pretty_midi.Note(velocity=100, pitch=36, start=0.0, end=0.1), pretty_midi.Note(velocity=100, pitch=38, start=0.6, end=0.7)]
    pm.instruments += [violin, kit]
    pm.write(str(tmp_path / "raw.mid"))
    score = load_midi(tmp_path / "raw.mid")
    assert [p.instrument for p in score.parts] == ["violin", "drum_kit"]
    assert str(score.meter) == "4/4"  # no time signature: 4/4
    assert str(score.key) == "A major"  # no key signature: estimated from the A major scale


def test_key_estimate_finds_minor_from_its_notes() -> None:
    # A harmonic-minor melody in D minor, tonic and dominant weighted.
    pitches = [62, 64, 65, 67, 69, 70, 73, 74, 69, 65, 62, 62, 69, 57]
    notes = [Note(pitch=p, start=float(i), duration=2.0 if p % 12 in (2, 9) else 1.0) for i, p in enumerate(pitches)]
    key = estimate_key(notes)
    assert (key.tonic_pc, key.mode) == (2, Mode.MINOR)


def test_musicxml_has_names_key_meter_tempo_lyrics_and_ties(tmp_path: Path) -> None:
    path = save_musicxml(_score(), tmp_path / "s.musicxml")
    text = path.read_text()
    for needle in ("<work-title>Little Song</work-title>", "<part-name>Flute</part-name>", "<fifths>-2</fifths>",
                   "<beats>6</beats>", "<beat-type>8</beat-type>", 'tempo="96"', "<text>sing</text>", '<tie type="start"'):  # fmt: skip
        assert needle in text, needle
    back = load_musicxml(path)
    assert str(back.key) == "G minor" and str(back.meter) == "6/8" and back.tempo_bpm == pytest.approx(96)
    assert [n.pitch for n in back.parts[0].notes] == [67, 70, 69, 67]
    assert back.parts[0].notes[-1].duration == pytest.approx(1 / 3 + 3, abs=1e-5)  # the tie is one note again
    assert [n.lyric for n in back.parts[0].notes] == ["sing", "a", None, "song"]


def test_load_melody_from_abc(tmp_path: Path) -> None:
    path = tmp_path / "reel.abc"
    path.write_text(ABC_TUNE)
    score = load_melody(path)
    assert score.title == "Test Reel" and str(score.meter) == "4/4" and score.key.tonic == "G"
    notes = score.parts[0].notes
    assert [n.pitch for n in notes[:4]] == [67, 69, 71, 72]  # G A B c
    assert notes[0].duration == 0.5 and notes[-1].duration == 2.0 and score.bars == 4


def test_load_melody_takes_top_line_of_polyphony_with_a_warning(tmp_path: Path) -> None:
    chords = Score(title="c", key=Key(tonic="C"), meter=Meter.parse("4/4"), tempo_bpm=120, bars=1,
                   parts=[Part(id="piano", instrument="piano", notes=[Note(pitch=p, start=float(b), duration=1.0) for b, triad in enumerate([(60, 64, 67), (60, 65, 69), (59, 62, 67), (60, 64, 72)]) for p in triad])])  # fmt: skip
    path = save_midi(chords, tmp_path / "chords.mid")
    with pytest.warns(UserWarning, match="top line"):
        melody = load_melody(path)
    assert [n.pitch for n in melody.parts[0].notes] == [67, 69, 67, 72]
    assert len(melody.parts) == 1 and melody.parts[0].role.value == "lead"


def test_load_melody_of_a_bach_chorale_is_the_soprano() -> None:
    from music21 import corpus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        melody = load_melody(corpus.getWork("bach/bwv66.6"))
    assert str(melody.key) == "F# minor"
    assert [n.pitch for n in melody.parts[0].notes[:3]] == [73, 71, 69]  # C#5 B4 A4


@pytest.mark.parametrize(("name", "content", "match"), [
    ("empty.mid", b"", "empty"),
    ("junk.mid", b"this is not a midi file at all", "not a readable MIDI"),
    ("junk.musicxml", b"<score-partwise><oops>", "not a readable"),
    ("tune.txt", b"hello", "unsupported file type"),
])  # fmt: skip
def test_bad_files_raise_user_input_error_naming_the_file(tmp_path: Path, name: str, content: bytes, match: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UserInputError, match=match) as info:
        load_score(path)
    assert name in str(info.value)


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="not found"):
        load_melody(tmp_path / "nope.mid")
    big = tmp_path / "big.mid"
    with big.open("wb") as fh:
        fh.seek(10 * 1024 * 1024 + 1)
        fh.write(b"\0")
    with pytest.raises(UserInputError, match="limit is 10 MB"):
        load_melody(big)


def test_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pretty_midi

    def explode(self: object, filename: str) -> None:
        Path(filename).write_bytes(b"MThd half")
        raise OSError("disk full")

    monkeypatch.setattr(pretty_midi.PrettyMIDI, "write", explode)
    with pytest.raises(OSError):
        save_midi(_score(), tmp_path / "out.mid")
    assert os.listdir(tmp_path) == []


def test_musicxml_spells_notes_by_key_and_function(tmp_path: Path) -> None:
    from music21 import converter

    # G minor: Bb and Eb from the signature, the leading tone as F#, the raised fourth as C#.
    pitches = [67, 70, 75, 66, 61, 62]
    score = Score(title="spell", key=Key(tonic="G", mode=Mode.MINOR), meter=Meter.parse("3/4"), tempo_bpm=90, bars=2,
                  parts=[Part(id="v", instrument="violin", notes=[Note(pitch=p, start=float(i), duration=1.0) for i, p in enumerate(pitches)])])  # fmt: skip
    path = save_musicxml(score, tmp_path / "spell.musicxml")
    names = [n.pitch.name for n in converter.parse(str(path)).parts[0].flatten().notes]
    assert names == ["G", "B-", "E-", "F#", "C#", "D"]


@pytest.mark.slow
@pytest.mark.skipif(not any(__import__("shutil").which(b) for b in ("mscore3", "mscore", "musescore3", "musescore")), reason="MuseScore not installed")
def test_musescore_opens_the_musicxml_of_every_example(tmp_path: Path) -> None:
    import shutil
    import subprocess

    from musicgrammar.ontologies.files import load_composition

    binary = next(shutil.which(b) for b in ("mscore3", "mscore", "musescore3", "musescore") if shutil.which(b))
    examples = Path(__file__).resolve().parents[2] / "examples"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    for path in sorted(examples.glob("*.json")):
        xml = save_musicxml(load_composition(path).score, tmp_path / f"{path.stem}.musicxml")
        pdf = tmp_path / f"{path.stem}.pdf"
        subprocess.run([str(binary), "-o", str(pdf), str(xml)], env=env, check=True, timeout=180, capture_output=True)
        assert pdf.stat().st_size > 10_000, path.name


def test_musicxml_with_a_percussion_staff_loads_as_drums(tmp_path: Path) -> None:
    from music21 import instrument, meter, note, percussion, stream

    drums = stream.Part()
    drums.insert(0, instrument.SnareDrum())
    drums.append(meter.TimeSignature("4/4"))
    for _ in range(4):
        drums.append(note.Unpitched(displayName="C5", quarterLength=1))
    both = percussion.PercussionChord([note.Unpitched(displayName="F4"), note.Unpitched(displayName="C5")])
    both.quarterLength = 4
    drums.append(both)
    tune = stream.Part([meter.TimeSignature("4/4")] + [note.Note(n, quarterLength=2) for n in ("C4", "E4", "G4", "C5")])
    m21 = stream.Score()
    m21.insert(0, tune)
    m21.insert(0, drums)
    path = tmp_path / "drums.musicxml"
    m21.write("musicxml", fp=str(path))
    score = load_musicxml(path)
    assert [p.instrument for p in score.parts] == ["acoustic_grand_piano", "drum_kit"]
    assert len(score.parts[1].notes) == 6 and score.parts[1].is_drum
    assert [n.pitch for n in load_melody(path).parts[0].notes] == [60, 64, 67, 72]


def test_abc_pickup_is_padded_so_bar_lines_fall_on_the_downbeats(tmp_path):
    from musicgrammar.tools.io import load_melody

    tune = tmp_path / "pickup.abc"
    tune.write_text("X:1\nT:Pickup\nM:6/8\nL:1/8\nK:G\nD|GAB d2B|c2A F2D|GAB d2B|c2A G2|]\n")
    score = load_melody(tune)
    notes = score.parts[0].notes
    assert notes[0].pitch == 62 and notes[0].start == 2.5  # the D pickup is the last eighth of bar 0
    assert notes[1].pitch == 67 and notes[1].start % score.meter.bar_quarters == 0  # G on the downbeat of bar 1
