"""FluidSynth rendering: stems per part, the mix as their sum, durations, a piano roll."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicgrammar.ontologies import Key, Meter, Note, Part, Score

pytest.importorskip("fluidsynth")


def _eight_bars() -> Score:
    # 8 bars of 4/4 at 120 BPM: a C major scale melody, a bass on each bar, a kick/snare backbeat.
    melody = [Note(pitch=[60, 62, 64, 65, 67, 69, 71, 72][i % 8], start=float(i), duration=1.0) for i in range(32)]
    bass = [Note(pitch=[36, 41, 43, 36][b % 4], start=4.0 * b, duration=4.0) for b in range(8)]
    drums = [Note(pitch=36 if i % 2 == 0 else 38, start=float(i), duration=0.25, velocity=100) for i in range(32)]
    return Score(title="scale", key=Key(tonic="C"), meter=Meter.parse("4/4"), tempo_bpm=120, bars=8,
                 parts=[Part(id="lead", instrument="flute", notes=melody),
                        Part(id="bass", instrument="acoustic_bass", role="bass", notes=bass),
                        Part(id="drums", instrument="drum_kit", role="percussion", notes=drums)])  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from musicgrammar.tools.render import render_score, timgm_soundfont

    out = tmp_path_factory.mktemp("render")
    # TimGM6mb ships with pretty_midi, so the test does not depend on a system soundfont.
    return render_score(_eight_bars(), out, soundfont=timgm_soundfont(), sample_rate=22050, tail_s=1.0), out


def test_eight_bars_at_120_last_16_s_plus_tail(rendered) -> None:  # type: ignore[no-untyped-def]
    result, _ = rendered
    assert result.music_s == pytest.approx(16.0)
    assert result.duration_s == pytest.approx(17.0, abs=1e-3)  # 16 s of music + a 1 s release tail
    audio, sr = sf.read(str(result.mix))
    assert sr == 22050 and len(audio) / sr == pytest.approx(17.0, abs=1e-3)


def test_one_stem_per_part_all_non_silent(rendered) -> None:  # type: ignore[no-untyped-def]
    result, out = rendered
    assert sorted(result.stems) == ["bass", "drums", "lead"]
    assert sorted(os.listdir(out / "stems")) == ["bass.wav", "drums.wav", "lead.wav"]
    for path in result.stems.values():
        audio, _ = sf.read(str(path))
        assert np.sqrt(np.mean(audio**2)) > 1e-3


def test_mix_is_sum_of_stems_and_does_not_clip(rendered) -> None:  # type: ignore[no-untyped-def]
    result, _ = rendered
    mix, _ = sf.read(str(result.mix))
    stems = sum(sf.read(str(p))[0] for p in result.stems.values())
    assert 0.5 < np.max(np.abs(mix)) < 1.0
    assert np.max(np.abs(mix - stems)) < 3 / 32768  # 16-bit rounding of each file only


def test_music_sounds_during_the_score_and_fades_after(rendered) -> None:  # type: ignore[no-untyped-def]
    result, _ = rendered
    audio, sr = sf.read(str(result.stems["lead"]))
    # the flute sounds in every second of the 16 s
    for second in range(16):
        window = audio[second * sr : (second + 1) * sr]
        assert np.sqrt(np.mean(window**2)) > 1e-3, second
    assert np.max(np.abs(audio[-sr // 10 :])) < np.max(np.abs(audio)) * 0.5  # the tail decays


def test_pianoroll_png(tmp_path: Path) -> None:
    from musicgrammar.tools.render import save_pianoroll

    path = save_pianoroll(_eight_bars(), tmp_path / "roll.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_empty_score_is_a_user_error(tmp_path: Path) -> None:
    from musicgrammar.errors import UserInputError
    from musicgrammar.tools.render import render_score

    empty = Score(title="e", key=Key(tonic="C"), meter=Meter.parse("4/4"), tempo_bpm=120, bars=1, parts=[])
    with pytest.raises(UserInputError):
        render_score(empty, tmp_path)
    assert os.listdir(tmp_path) == []


def test_soundfont_choice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from musicgrammar.errors import UserInputError
    from musicgrammar.settings import get_settings
    from musicgrammar.tools.render import FLUIDR3, find_soundfont, timgm_soundfont

    assert find_soundfont(timgm_soundfont()) == timgm_soundfont()
    expected = FLUIDR3 if FLUIDR3.is_file() else timgm_soundfont()
    get_settings.cache_clear()
    try:
        monkeypatch.delenv("MUSICGRAMMAR_SOUNDFONT", raising=False)
        assert find_soundfont() == expected
        monkeypatch.setenv("MUSICGRAMMAR_SOUNDFONT", str(tmp_path / "missing.sf2"))
        get_settings.cache_clear()
        with pytest.raises(UserInputError, match="soundfont not found"):
            find_soundfont()
    finally:
        get_settings.cache_clear()
