"""The soundtrack graph: cue plans on the cuts, the tempo map in MIDI and audio, whole runs on a
storyboard and on a video, and bad storyboards refused in one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies.soundtrack import Storyboard

FFMPEG = shutil.which("ffmpeg") is not None


@pytest.fixture(scope="module")
def agents():  # type: ignore[no-untyped-def]
    from musicgrammar.agents import Composer, ThemeWeaver

    weaver, composer = ThemeWeaver(), Composer()
    return (lambda text: weaver(prompt=text).brief), (lambda brief, seed: composer(brief=brief, exemplars=[], seed=seed).spec)


def _board(*scenes: tuple[float, float, float, float], title: str = "Harbour") -> Storyboard:
    return Storyboard(title=title, style="strings and piano",
                      scenes=[{"start": s, "end": e, "valence": v, "arousal": a} for s, e, v, a in scenes])  # fmt: skip


def test_every_cue_starts_on_its_cut_in_whole_bars(agents):  # type: ignore[no-untyped-def]
    from musicgrammar.agents.cue_planning import plan_cues
    from musicgrammar.ontologies import Affect, Dynamic

    board = _board((0, 7.3, 0.3, -0.8), (7.3, 7.5, 0.3, 0.0), (7.5, 15.1, -0.6, 0.9), (15.1, 21.0, 0.6, 0.1), (21.0, 29.4, 0.5, -0.6))
    weave, compose = agents
    plan, spec = plan_cues(board, [Affect(valence=s.valence, arousal=s.arousal) for s in board.scenes], weave, compose, seed=3)
    # the 0.2 s scene is shorter than a bar: it joins the first cue, and the plan says so
    assert [c.scenes for c in plan.cues] == [[0, 1], [2], [3], [4]]
    assert any("scene 1 lasts 0.20 s" in n for n in plan.notes)
    bar_q = spec.meter.bar_quarters
    for cue, nxt_start in zip(plan.cues, [7.5, 15.1, 21.0, 29.4]):
        assert cue.end_s == pytest.approx(nxt_start)
        # whole bars at the cue's tempo last exactly its scene: the next cue starts on the cut
        assert cue.bars * bar_q * 60.0 / cue.tempo_bpm == pytest.approx(cue.end_s - cue.start_s, abs=1e-3)
    low, high = plan.anchor.tempo_family
    assert all(low - 0.5 <= c.tempo_bpm <= high + 0.5 for c in plan.cues) or plan.notes
    # one key centre: every cue is in the anchor key or its parallel mode; one ensemble, cues take subsets
    assert {c.key.tonic for c in plan.cues} == {spec.key.tonic}
    assert all(set(c.parts) <= {m.id for m in spec.ensemble} for c in plan.cues)
    calm, storm = plan.cues[3], plan.cues[1]
    assert storm.dynamic is Dynamic.FF and calm.dynamic.velocity < storm.dynamic.velocity
    assert len(calm.parts) <= len(storm.parts) and calm.density < storm.density
    # the composition is one piece whose sections are the cues, lasting the film
    assert [s.id for s in spec.sections] == [c.section for c in plan.cues]
    assert spec.duration_seconds == pytest.approx(29.4, abs=1e-3)


def test_tempo_map_puts_cues_on_the_film_clock_in_midi_and_audio(agents, tmp_path: Path):  # type: ignore[no-untyped-def]
    import pretty_midi

    from musicgrammar.agents.cue_planning import plan_cues
    from musicgrammar.ontologies import Affect
    from musicgrammar.tools.cue_score import cue_bounds_quarters, performance_score, save_tempo_mapped_midi, shape_cues
    from musicgrammar.tools.realize import realize

    board = _board((0, 6.0, 0.2, -0.5), (6.0, 13.7, 0.5, 0.8), (13.7, 20.0, -0.4, -0.2))
    weave, compose = agents
    plan, spec = plan_cues(board, [Affect(valence=s.valence, arousal=s.arousal) for s in board.scenes], weave, compose)
    score = shape_cues(realize(spec, seed=1), spec, plan, lambda t: 0.0)
    pm = pretty_midi.PrettyMIDI(str(save_tempo_mapped_midi(score, spec, plan, tmp_path / "score.mid")))
    starts = [pm.tick_to_time(int(round(a * pm.resolution))) for a, _ in cue_bounds_quarters(spec, plan)]
    assert np.allclose(starts, [0.0, 6.0, 13.7], atol=1e-3)
    assert np.allclose(pm.get_tempo_changes()[1], [c.tempo_bpm for c in plan.cues], atol=0.01)
    perf = performance_score(score, spec, plan)
    assert perf.tempo_bpm == 60.0  # one quarter is one second: onsets are film seconds
    onsets = sorted(n.start for p in perf.parts for n in p.notes)
    assert any(abs(t - 6.0) < 1e-3 for t in onsets) and any(abs(t - 13.7) < 1e-3 for t in onsets)
    assert max(n.end for p in perf.parts for n in p.notes) <= 20.0 + 1e-3


def test_storyboard_run_follows_the_requested_arousal(tmp_path: Path):
    from musicgrammar.graphs.soundtrack import run_soundtrack

    path = tmp_path / "board.yaml"
    scenes = [(0, 6.4, 0.2, -0.8), (6.4, 12.0, 0.6, 0.9), (12.0, 19.3, -0.5, -0.2), (19.3, 25.0, 0.4, 0.4), (25.0, 31.5, 0.3, -0.5)]
    path.write_text(yaml.safe_dump({"title": "Harbour", "scenes": [{"start": s, "end": e, "valence": v, "arousal": a} for s, e, v, a in scenes]}))
    result = run_soundtrack(path, out_dir=tmp_path / "run", seed=2)
    summary = result.summary()
    assert summary["valid"]
    assert [c["start_s"] for c in summary["cues"]] == [0, 6.4, 12.0, 19.3, 25.0]
    m = summary["measures"]
    assert m["max_cue_start_error_s"] < 0.01  # read back from score.mid's tempo map
    # the target is >= 0.8 (with five cues, one swapped neighbour pair gives exactly 0.8)
    assert m["spearman_arousal_loudness"] >= 0.8 - 1e-9 and m["spearman_arousal_density"] >= 0.8 - 1e-9
    for key in ("mix", "midi", "musicxml", "composition", "cues", "report", "affect"):
        assert Path(summary["files"][key]).is_file()
    import soundfile as sf

    info = sf.info(summary["files"]["mix"])
    assert 31.5 + 1.5 <= info.duration <= 31.5 + 1.5 + 4.0  # the film, padded to a whole 4 s bar of the render, plus the tail
    report = Path(summary["files"]["report"]).read_text()
    assert "Global anchor" in report and "Spearman" in report


@pytest.mark.skipif(not FFMPEG, reason="ffmpeg is not installed (Debian package `ffmpeg`, see scripts/setup.sh)")
def test_video_run_in_process_scores_the_cuts_and_keeps_the_duration(tmp_path: Path):
    from musicgrammar.graphs.soundtrack import run_soundtrack
    from musicgrammar.tools.video import make_film, probe_video

    film = make_film(tmp_path / "film.mp4", [(3.0, "color=c=0x0a1028"), (3.2, "color=c=0x101418,noise=alls=70:allf=t"), (3.3, "color=c=0xf2c88a")])
    out = run_soundtrack(film, out_dir=tmp_path / "run").summary()
    assert out["valid"]
    assert np.allclose([c["start_s"] for c in out["cues"]], [0.0, 3.0, 6.2], atol=0.5)
    night, storm, dawn = out["cues"]
    assert storm["arousal"] > night["arousal"] and dawn["valence"] > night["valence"]
    assert out["measures"]["video_duration_error_s"] <= 1 / 25
    assert abs(probe_video(out["files"]["video"]).duration_s - 9.5) <= 1 / 25


@pytest.mark.slow
@pytest.mark.skipif(not FFMPEG, reason="ffmpeg is not installed (Debian package `ffmpeg`, see scripts/setup.sh)")
def test_video_run_scores_the_cuts_and_muxes_the_music(tmp_path: Path):
    from musicgrammar.tools.video import make_film, probe_video

    film = make_film(tmp_path / "film.mkv", [(4.0, "color=c=0x0a1028"), (3.5, "testsrc2,hue=H=2*PI*t/3"), (4.5, "color=c=0xf2c88a")])
    proc = subprocess.run([sys.executable, "-m", "musicgrammar", "soundtrack", str(film), "--out", str(tmp_path / "run"), "--json", "--seed", "1"],
                          capture_output=True, text=True, timeout=300, env={**__import__("os").environ, "CI": "true"})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out["cues"][0]) == {"scene", "start_s", "end_s", "valence", "arousal", "key", "tempo_bpm"}
    assert np.allclose([c["start_s"] for c in out["cues"]], [0.0, 4.0, 7.5], atol=0.5)
    night, festival, dawn = out["cues"]
    assert festival["arousal"] > night["arousal"] and dawn["valence"] > night["valence"]
    muxed = probe_video(out["files"]["video"])
    assert abs(muxed.duration_s - probe_video(film).duration_s) <= 1 / 25 and muxed.has_audio


@pytest.mark.parametrize(
    "text, expect",
    [
        ("title: x\nscenes: []\n", "scenes: the storyboard has no scenes"),
        ("title: x\nscenes:\n  - {start: 0, end: 5}\n  - {start: 4, end: 8}\n", "scenes overlap"),
        ("title: x\nscenes:\n  - {start: 5, end: 9}\n  - {start: 0, end: 4}\n", "time order"),
        ("title: x\nscenes:\n  - {start: 3, end: 2}\n", "not after its start"),
        ("title: x\nscenes:\n  - {start: 0, end: 2, arousal: 3}\n", "scenes[0].arousal"),
        ("title: x\nscenes:\n  - {start: 0, end: 99999}\n", "the limit is 3600 s"),
        ("title: [unclosed\n", "not valid YAML"),
        ("title: x\nscenes:\n  - {start: 0, end: 0.5}\n", "at least 2 s"),
    ],
)
def test_bad_storyboards_are_refused_in_one_line(tmp_path: Path, text: str, expect: str):
    from musicgrammar.graphs.soundtrack import run_soundtrack

    path = tmp_path / "board.yaml"
    path.write_text(text)
    with pytest.raises(UserInputError) as info:
        run_soundtrack(path, out_dir=tmp_path / "run")
    assert expect in str(info.value) and str(path) in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "run").exists()  # nothing written for a bad input


def test_cli_bad_input_is_one_line_and_nonzero(tmp_path: Path):
    path = tmp_path / "board.yaml"
    path.write_text("title: x\nscenes: []\n")
    proc = subprocess.run([sys.executable, "-m", "musicgrammar", "soundtrack", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no scenes" in proc.stderr
