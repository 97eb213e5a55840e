"""The learned aesthetics model inside the Aesthetics Judge: extra dimensions, findings, and no weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from critic_scores import block_chords, make_score, make_spec, root_bass

from musicgrammar.agents.aesthetics_judge import AestheticsJudge
from musicgrammar.ontologies.validation import Severity
from musicgrammar.tools.aesthetics_model import api
from musicgrammar.tools.aesthetics_model.api import HeardScores
from musicgrammar.tools.aesthetics_model.judge_signals import as_signals, with_findings

A = ["C", "F", "G", "C"]


def _piece():  # type: ignore[no-untyped-def]
    """Three 4-bar sections at 120 BPM: 8 s each."""
    spec = make_spec([("A1", "A", A), ("B", "B", ["Am", "F", "G", "G"]), ("A2", "A", A)])
    lead = [n for n in block_chords(spec, low=72) if n.start % 4 == 0]
    return spec, make_score(spec, {"lead": lead, "keys": block_chords(spec), "bass": root_bass(spec)})


def _audio(seconds: float = 24.0, sr: int = 8000) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    t = np.arange(int(seconds * sr)) / sr
    stems = {"lead": 0.2 * np.sin(2 * np.pi * 523.25 * t), "keys": 0.2 * np.sin(2 * np.pi * 261.63 * t),
             "bass": 0.2 * np.sin(2 * np.pi * 65.4 * t)}  # fmt: skip
    stems = {k: v.astype(np.float32) for k, v in stems.items()}
    return sum(stems.values()), stems  # type: ignore[return-value]


@pytest.fixture
def no_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "WEIGHTS_DIR", tmp_path / "absent")


@pytest.fixture
def tiny_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from musicgrammar.tools.aesthetics_model.config import tiny_config
    from musicgrammar.tools.aesthetics_model.model import AestheticsModel
    from training.aesthetics_model.train import save

    torch.manual_seed(0)
    save(AestheticsModel(tiny_config()), tmp_path / "w", {})
    monkeypatch.setattr(api, "WEIGHTS_DIR", tmp_path / "w")


def test_the_judge_works_without_the_model_weights(no_weights: None) -> None:
    spec, score = _piece()
    mix, stems = _audio()
    judgement = AestheticsJudge()(spec=spec, score=score, mix=mix, sr=8000, stems=stems).judgement
    assert judgement.score("audio_quality") is not None
    assert not any(d.name.startswith("heard_") for d in judgement.dimensions)


def test_the_models_dimensions_join_the_judges_beside_the_rules(tiny_weights: None) -> None:
    spec, score = _piece()
    mix, stems = _audio()
    judgement = AestheticsJudge()(spec=spec, score=score, mix=mix, sr=8000, stems=stems).judgement
    heard = {d.name: d.score for d in judgement.dimensions if d.name.startswith("heard_")}
    assert set(heard) == {"heard_harmony", "heard_rhythm", "heard_coherence", "heard_audio_quality"}
    assert all(0.0 <= v <= 1.0 for v in heard.values())
    assert judgement.score("harmonic_variety") is not None  # the rules still judge
    no_audio = AestheticsJudge()(spec=spec, score=score).judgement  # nothing to hear: rules only
    assert not any(d.name.startswith("heard_") for d in no_audio.dimensions)


def test_findings_name_the_damaged_dimension_and_the_section_of_its_worst_window() -> None:
    spec, score = _piece()
    from musicgrammar.agents.aesthetics_rules import judge_piece

    heard = HeardScores(overall=1.8, interval=(1.4, 2.2), used_stems=True, windows=3, window_seconds=8.0,
                        dimensions={"harmony": {"score": 1.6, "interval": [1.2, 2.0]}, "rhythm": {"score": 4.8, "interval": [4.6, 5.0]},
                                    "coherence": {"score": 3.2, "interval": [2.9, 3.6]}, "audio_quality": {"score": 4.9, "interval": [4.7, 5.0]}},
                        worst_window={"harmony": 1, "rhythm": 0, "coherence": 2, "audio_quality": 0})  # fmt: skip
    assert as_signals(heard)["heard_harmony"] == pytest.approx(0.15)
    judgement = with_findings(judge_piece(spec, score), heard, spec)
    found = {f.code: f for f in judgement.findings if f.code.startswith("JUDGE_HEARD_")}
    assert set(found) == {"JUDGE_HEARD_HARMONY", "JUDGE_HEARD_COHERENCE"}
    harmony = found["JUDGE_HEARD_HARMONY"]
    assert harmony.severity is Severity.ERROR and harmony.path == "spec.sections[1].progression"  # 8-16 s is section B
    assert "1.6/5" in harmony.message and "8-16 s" in harmony.message
    assert found["JUDGE_HEARD_COHERENCE"].severity is Severity.WARNING and found["JUDGE_HEARD_COHERENCE"].path == "spec.sections[2]"
