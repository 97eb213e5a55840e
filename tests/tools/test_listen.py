"""Listening tools on music rendered from known facts: duration, tempo, key, voices, register, top
line, silence, bad files; and the plan-to-audio check on a render that does not match its design."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies import Key, Meter, Note, Part, Score

pytest.importorskip("basic_pitch")
pytest.importorskip("fluidsynth")

# A D major tune, one note per beat, and a bass on each bar's root: 8 bars of 4/4 at 120 BPM = 16 s.
TUNE = [62, 66, 69, 66, 67, 71, 74, 71, 69, 67, 66, 64, 62, 66, 64, 62] * 2
BASS = [38, 43, 45, 38, 38, 43, 45, 38]


def _score(key: str = "D", with_bass: bool = True) -> Score:
    melody = [Note(pitch=p, start=float(i), duration=1.0, velocity=96) for i, p in enumerate(TUNE)]
    parts = [Part(id="lead", instrument="acoustic_grand_piano", notes=melody)]
    if with_bass:
        parts.append(Part(id="bass", instrument="acoustic_bass", role="bass",
                          notes=[Note(pitch=p, start=4.0 * b, duration=4.0, velocity=80) for b, p in enumerate(BASS)]))
    return Score(title="tune", key=Key(tonic=key), meter=Meter.parse("4/4"), tempo_bpm=120, bars=8, parts=parts)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from musicgrammar.tools.listen import analyse_audio
    from musicgrammar.tools.render import render_score, timgm_soundfont

    out = tmp_path_factory.mktemp("listen")
    result = render_score(_score(), out, soundfont=timgm_soundfont(), sample_rate=22050, tail_s=1.0)
    return result, analyse_audio(result.mix)


def test_duration_and_loudness_of_16_s_of_music_plus_tail(rendered) -> None:  # type: ignore[no-untyped-def]
    _, analysis = rendered
    assert analysis.duration_s == pytest.approx(17.0, abs=0.01)
    assert not analysis.silent and -30.0 < analysis.rms_dbfs < -1.0


def test_tempo_is_120_bpm(rendered) -> None:  # type: ignore[no-untyped-def]
    _, analysis = rendered
    assert analysis.tempo_bpm == pytest.approx(120, rel=0.05)


def test_key_is_d_major(rendered) -> None:  # type: ignore[no-untyped-def]
    _, analysis = rendered
    assert analysis.key == "D major"


def test_two_voices_and_the_register_of_bass_and_tune(rendered) -> None:  # type: ignore[no-untyped-def]
    _, analysis = rendered
    assert analysis.voices == 2
    assert analysis.highest == 74  # D5, the tune's top
    assert analysis.lowest is not None and analysis.lowest <= 45  # the bass line's register (A2 and below)


def test_top_line_is_the_tune(rendered) -> None:  # type: ignore[no-untyped-def]
    from difflib import SequenceMatcher

    _, analysis = rendered
    heard = [p for p, _, _ in analysis.melody]
    assert SequenceMatcher(a=heard, b=TUNE).ratio() >= 0.75  # transcription splits and drops a few notes
    onsets = [o for _, o, _ in analysis.melody]
    assert onsets[0] == pytest.approx(0.0, abs=0.08)  # the first beat; beats are 0.5 s apart
    assert np.median(np.diff(onsets)) == pytest.approx(0.5, abs=0.05)


def test_silence_is_reported_not_analysed(tmp_path: Path) -> None:
    from musicgrammar.tools.listen import analyse_audio

    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros(22050 * 3, np.float32), 22050)
    analysis = analyse_audio(path)
    assert analysis.silent and analysis.key is None and analysis.tempo_bpm is None
    assert analysis.duration_s == pytest.approx(3.0)


@pytest.mark.parametrize("content, message", [(b"", "empty"), (b"hello, not audio\n" * 20, "not a readable audio file"),
                                              (b"RIFF\x10\x00\x00\x00WAVEfmt ", "not a readable audio file")])  # fmt: skip
def test_bad_files_are_one_line_errors(tmp_path: Path, content: bytes, message: str) -> None:
    from musicgrammar.tools.listen import load_audio

    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(UserInputError, match=message) as info:
        load_audio(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_long_file_is_analysed_on_a_bounded_window(tmp_path: Path) -> None:
    from musicgrammar.tools.listen import load_audio

    path = tmp_path / "long.flac"
    sf.write(str(path), (0.1 * np.sin(np.arange(8000 * 30) * 0.3)).astype(np.float32), 8000)  # 30 s at 8 kHz
    audio = load_audio(path, max_seconds=5.0)
    assert audio.file_duration_s == pytest.approx(30.0) and audio.analysed_s == pytest.approx(5.0, abs=1e-3)
    assert audio.truncated and audio.sr == 22050


def test_plan_check_passes_the_render_of_its_own_design(rendered) -> None:  # type: ignore[no-untyped-def]
    from musicgrammar.tools.listen.plan_check import check_render_files

    result, _ = rendered
    files = {"mix": str(result.mix)} | {f"stem:{k}": str(v) for k, v in result.stems.items()}
    codes = [f.code for f in check_render_files(_score(), files) if f.severity.value != "info"]
    assert codes == []


def test_plan_check_finds_a_render_transposed_away_from_the_design(rendered) -> None:  # type: ignore[no-untyped-def]
    from musicgrammar.tools.listen.plan_check import check_render

    _, analysis = rendered
    design = _score(key="E")  # the design says E major; the mix was rendered in D major
    findings = {f.code: f for f in check_render(design, analysis)}
    assert "RENDER_KEY_MISMATCH" in findings
    assert "D major" in findings["RENDER_KEY_MISMATCH"].message and "E major" in findings["RENDER_KEY_MISMATCH"].message


def test_plan_check_finds_an_inaudible_part_and_a_wrong_tempo(rendered) -> None:  # type: ignore[no-untyped-def]
    from musicgrammar.tools.listen.plan_check import check_render

    result, analysis = rendered
    stems = {k: sf.read(str(v), dtype="float32")[0] for k, v in result.stems.items()}
    stems["bass"] = stems["bass"] * 1e-3  # 60 dB down
    slow = _score().model_copy(update={"tempo_bpm": 84.0})
    codes = {f.code for f in check_render(slow, analysis, stems)}
    assert {"RENDER_PART_INAUDIBLE", "RENDER_TEMPO_MISMATCH"} <= codes
