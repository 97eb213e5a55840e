"""Video analysis with ffmpeg on films made here: cuts where the film cuts, picture affect in the
right directions, muxing that keeps the duration, one-line errors for bad files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from musicgrammar.errors import UserInputError

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (Debian package `ffmpeg`, see scripts/setup.sh)")

SHOTS = [(2.0, "color=c=0x0a1028"), (1.5, "testsrc2,hue=H=2*PI*t/3"), (2.5, "color=c=0x101418,noise=alls=70:allf=t"), (2.0, "color=c=0xf2c88a")]


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from musicgrammar.tools.video import make_film

    return make_film(tmp_path_factory.mktemp("film") / "film.mp4", SHOTS)


def test_cuts_are_found_where_the_film_cuts(film: Path):
    from musicgrammar.tools.video import analyse_video

    analysis = analyse_video(film)
    assert analysis.info.duration_s == pytest.approx(8.0, abs=0.05)
    assert analysis.info.fps == pytest.approx(25.0)
    assert len(analysis.cuts) == 3
    assert np.allclose(analysis.cuts, [2.0, 3.5, 6.0], atol=0.1)


def test_pictures_map_to_valence_and_arousal_in_the_conventional_directions(film: Path):
    from musicgrammar.tools.video import analyse_video

    analysis = analyse_video(film)
    edges = [0.0, 2.0, 3.5, 6.0, 8.0]
    shot = [(analysis.times >= a + 0.2) & (analysis.times < b - 0.2) for a, b in zip(edges, edges[1:])]
    valence = [float(analysis.valence[m].mean()) for m in shot]
    arousal = [float(analysis.arousal[m].mean()) for m in shot]
    night, festival, storm, dawn = range(4)
    assert valence[dawn] > 0.3 and valence[night] < -0.3  # a warm bright dawn reads positive, a dark night negative
    assert arousal[storm] > arousal[night] + 0.5 and arousal[festival] > arousal[dawn] + 0.5  # motion raises arousal
    assert analysis.features["brightness"][shot[dawn]].mean() > 0.7


def test_mux_keeps_the_video_duration_within_a_frame(film: Path, tmp_path: Path):
    from musicgrammar.tools.video import make_film, mux_audio, probe_video

    for audio_s, container in ((11.0, "mp4"), (3.0, "mkv")):  # longer audio is cut, shorter is padded
        wav = tmp_path / f"tone{audio_s:g}.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=f=440:d={audio_s}", str(wav)], check=True)
        out = mux_audio(film, wav, tmp_path / f"scored.{container}", 8.0)
        info = probe_video(out)
        assert abs(info.duration_s - 8.0) <= 1 / 25 and info.has_audio
    webm = make_film(tmp_path / "short.webm", [(1.0, "color=c=red"), (1.0, "color=c=blue")])
    out = mux_audio(webm, wav, tmp_path / "scored.webm", probe_video(webm).duration_s)
    assert abs(probe_video(out).duration_s - probe_video(webm).duration_s) <= 1 / 25


def test_bad_files_are_one_line_errors(film: Path, tmp_path: Path):
    from musicgrammar.tools.video import probe_video

    junk = tmp_path / "junk.mp4"
    junk.write_bytes(bytes(range(256)) * 20)
    audio = tmp_path / "audio.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", str(audio)], check=True)
    cases = [(junk, "not a readable video"), (audio, "no video stream"), (tmp_path / "missing.mp4", "not found")]
    for path, expect in cases:
        with pytest.raises(UserInputError, match=expect) as info:
            probe_video(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(UserInputError, match="the limit is 5 s"):
        probe_video(film, max_duration_s=5.0)  # a film over the limit is refused with the limit named
