"""The design graph: a full run, the iteration budget, resume after a crash."""

import json
from pathlib import Path

import pytest

from musicgrammar.agents import AestheticsJudge
from musicgrammar.graphs.runner import compose, resume
from musicgrammar.errors import ModelError
from musicgrammar.ontologies import Judgement, Verdict, validate_composition


def _nodes(run: Path) -> list[tuple[str, int]]:
    return [(r["node"], r["iteration"]) for r in map(json.loads, (run / "trace.jsonl").read_text().splitlines())]


def test_full_run_writes_a_valid_run_directory(tmp_path: Path):
    result = compose("a gentle waltz in G major for violin and piano, 20 seconds", out_dir=tmp_path / "waltz", seed=4)
    run = result.out_dir
    for name in ("composition.json", "score.mid", "score.musicxml", "mix.wav", "report.md", "trace.jsonl", "pianoroll.png", "spectrogram.png"):
        assert (run / name).is_file(), name
    assert sorted(p.name for p in (run / "stems").glob("*.wav")) == sorted(f"{m.id}.wav" for m in result.composition().spec.ensemble)
    summary = result.summary()
    assert summary["valid"] and summary["key"] == "G major" and summary["meter"] == "3/4"
    assert abs(summary["duration_s"] - 20) <= 2.0
    assert validate_composition(result.composition()).valid
    report = (run / "report.md").read_text()
    assert "Pass 1" in report and "![piano roll](pianoroll.png)" in report
    import soundfile as sf

    audio, sr = sf.read(run / "mix.wav")
    assert audio.std() > 1e-3 and len(audio) / sr >= summary["duration_s"]


class _NeverSatisfied(AestheticsJudge):
    """The real judge's scores, but a verdict that always asks for another pass."""

    def forward(self, **kwargs):  # type: ignore[override]
        out = super().forward(**kwargs)
        judgement: Judgement = out.judgement
        out.judgement = judgement.model_copy(update={"verdict": Verdict.REVISE})
        return out


def test_loop_stops_at_its_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import musicgrammar.graphs.runner as runner

    real = runner._agents
    monkeypatch.setattr(runner, "_agents", lambda *a: real(*a) | {"judge": _NeverSatisfied()})
    result = compose("a short study in D minor", out_dir=tmp_path / "budget", seed=2, max_iters=2, audio=False)
    assert result.state.iteration == 2 and len(result.state.history) == 2
    assert [n for n, _ in _nodes(result.out_dir)].count("compose") == 2


def test_resume_after_a_crash_does_not_redo_finished_nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    run = tmp_path / "crash"
    monkeypatch.setenv("MUSICGRAMMAR_FAIL_AT", "critique:1")
    with pytest.raises(ModelError, match="--resume"):
        compose("a polka in 2/4 in A major", out_dir=run, seed=2, audio=False)
    assert not (run / "composition.json").exists()  # nothing delivered as if complete
    monkeypatch.delenv("MUSICGRAMMAR_FAIL_AT")
    result = resume(run)
    nodes = [n for n, _ in _nodes(run)]
    assert nodes.count("retrieve") == 1 and nodes.count("weave") == 1 and nodes.count("realize") == result.state.iteration
    assert result.summary()["valid"] and result.summary()["meter"] == "2/4"


def test_same_seed_same_piece(tmp_path: Path):
    a = compose("rain on a tin roof", out_dir=tmp_path / "a", seed=11, audio=False, max_iters=1)
    b = compose("rain on a tin roof", out_dir=tmp_path / "b", seed=11, audio=False, max_iters=1)
    assert a.composition().score == b.composition().score
