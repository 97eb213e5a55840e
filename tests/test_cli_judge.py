"""`musicgrammar judge` from the outside: a rendered run folder, a bare mix, stems, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fluidsynth")

from musicgrammar.ontologies import Key, Meter, Note, Part, Score  # noqa: E402

CLI = [sys.executable, "-m", "musicgrammar", "judge"]


def _score() -> Score:
    """Two bars of 4/4 at 120 BPM (4 s): a flute line over piano half-note triads in C."""
    lead = [Note(pitch=p, start=float(i), duration=1.0) for i, p in enumerate([72, 74, 76, 77, 79, 77, 76, 72])]
    keys = [Note(pitch=p, start=s, duration=2.0, velocity=60) for s, chord in ((0.0, (60, 64, 67)), (2.0, (62, 65, 69)),
                                                                               (4.0, (64, 67, 71)), (6.0, (60, 64, 67))) for p in chord]
    return Score(key=Key.parse("C major"), meter=Meter.parse("4/4"), tempo_bpm=120, bars=2,
                 parts=[Part(id="melody", instrument="flute", role="lead", notes=lead),
                        Part(id="keys", instrument="acoustic_grand_piano", role="harmony", notes=keys)])  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from musicgrammar.ontologies import Composition
    from musicgrammar.tools.render import render_score

    out = tmp_path_factory.mktemp("run")
    score = _score()
    render_score(score, out, sample_rate=16000, reverb=False)
    # only the score matters to the judge: it names the lead part
    (out / "composition.json").write_text(json.dumps({"score": json.loads(score.model_dump_json())}))
    return out


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Untrained tiny weights: the command's plumbing does not depend on what the weights learned."""
    import torch

    from musicgrammar.tools.aesthetics_model.config import tiny_config
    from musicgrammar.tools.aesthetics_model.model import AestheticsModel
    from training.aesthetics_model.train import save

    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("weights")
    save(AestheticsModel(tiny_config()), out, {"note": "untrained, for tests"})
    return out


def _judge(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in this process (the same `main` as the console script), to spare a torch import per call."""
    from musicgrammar.cli import main

    try:
        main(["judge", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def test_a_run_folder_is_judged_with_its_stems_and_a_bare_mix_without(run_dir: Path, weights: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proc = subprocess.run(CLI + [str(run_dir), "--weights", str(weights), "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["used_stems"] is True and out["windows"] == 3  # 4 s + 1.5 s tail in 2 s windows: 2 full + the 1.5 s rest
    lo, hi = out["interval"]
    assert 1.0 <= lo <= out["overall"] <= hi <= 5.0
    assert set(out["dimensions"]) == {"harmony", "rhythm", "coherence", "audio_quality"}
    bare = json.loads(_judge(capsys, str(run_dir / "mix.wav"), "--weights", str(weights), "--json").stdout)
    assert bare["used_stems"] is False
    text = _judge(capsys, str(run_dir / "mix.wav"), "--stems", str(run_dir / "stems"), "--weights", str(weights))
    assert text.returncode == 0 and "MSAF" in text.stdout and "harmony" in text.stdout


def test_bad_input_gets_one_line_and_a_nonzero_exit(run_dir: Path, weights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = _judge(capsys, str(tmp_path / "nothing.wav"), "--weights", str(weights))
    assert missing.returncode == 2 and "nothing.wav" in missing.stderr and "Traceback" not in missing.stderr
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    bad = _judge(capsys, str(junk), "--weights", str(weights))
    assert bad.returncode == 2 and "junk.wav" in bad.stderr and "Traceback" not in bad.stderr
    loose = tmp_path / "loose"
    loose.mkdir()
    for name in ("a", "b"):
        (loose / f"{name}.wav").write_bytes((run_dir / "stems" / "melody.wav").read_bytes())
    unknown = _judge(capsys, str(run_dir / "mix.wav"), "--stems", str(loose), "--weights", str(weights))
    assert unknown.returncode == 2 and "--lead" in unknown.stderr
    named = _judge(capsys, str(run_dir / "mix.wav"), "--stems", str(loose), "--lead", "a", "--weights", str(weights), "--json")
    assert named.returncode == 0 and json.loads(named.stdout)["used_stems"] is True
    no_weights = _judge(capsys, str(run_dir), "--weights", str(tmp_path))
    assert no_weights.returncode == 3 and "weights not found" in no_weights.stderr and len(no_weights.stderr.strip().splitlines()) == 1
