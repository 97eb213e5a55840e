"""The codec's training recipe end to end on a tiny config: it learns, saves, and the API loads the result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from musicgrammar.tools.codec import api
from musicgrammar.tools.codec.config import tiny_config

ROOT = Path(__file__).resolve().parents[2]


def _tones(seconds: float, sr: int, seed: int) -> np.ndarray:
    """Half-second notes of a few harmonics on random MIDI pitches 55..79, as int16 like render_data."""
    rng = np.random.default_rng(seed)
    note = np.arange(sr // 2) / sr
    envelope = np.minimum(1.0, 20 * note) * np.exp(-3 * note)
    notes = []
    for _ in range(int(seconds * 2)):
        f = 440.0 * 2 ** ((rng.integers(55, 80) - 69) / 12)
        notes.append(sum(0.3 / h * np.sin(2 * np.pi * h * f * note) for h in (1, 2, 3) if h * f < sr / 2) * envelope)
    return (np.concatenate(notes) * 32767).astype(np.int16)


def test_tiny_training_run_learns_and_saves_a_loadable_codec(tmp_path: Path) -> None:
    sr = tiny_config().sample_rate
    data, out = tmp_path / "data", tmp_path / "codec"
    data.mkdir()
    np.save(data / "train.npy", _tones(60, sr, 0))
    np.save(data / "heldout.npy", _tones(20, sr, 1))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "training/codec/train.py"), "--data", str(data), "--out", str(out),
         "--config", "tiny-magnitude", "--max-steps", "60", "--warmup", "5", "--lr", "3e-3", "--batch", "4",
         "--clip-seconds", "0.8", "--revive-every", "20", "--vq-warmup", "20"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = json.loads((out / "train_log.json").read_text())
    steps = {row["step"]: row for row in log["steps"]}
    assert steps[50]["spec"] < steps[0]["spec"]  # the head's spectra move towards the input's
    assert log["train_steps"] == 60 and np.isfinite(log["heldout"]["mel@4"])
    model = api.load_codec(out)
    assert model.cfg.head == "magnitude"
    wave = _tones(2, sr, 2).astype(np.float32) / 32768
    codes = api.encode(wave, sr, 2, model=model)
    assert codes.shape == (2, len(wave) // model.cfg.hop)
    assert api.decode(codes, model=model).shape == (len(wave),)
