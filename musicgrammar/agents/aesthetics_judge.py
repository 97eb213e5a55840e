"""The Aesthetics Judge: the rendered piece -> per-dimension scores and a verdict.
Anxiety: would anyone listen to this twice?"""

from __future__ import annotations

import numpy as np
import dspy

from musicgrammar.agents.aesthetics_rules import judge_piece
from musicgrammar.agents.lm import predict
from musicgrammar.agents.signatures import JudgeAesthetics
from musicgrammar.ontologies import CompositionSpec, Judgement, Score
from musicgrammar.tools.aesthetics_model.judge_signals import as_signals, hear, with_findings

__all__ = ["AestheticsJudge", "loss_profile_signal"]

# Peak area of the random-pitch probe (PAPERS.md §10) on held-out real melodies vs pitch-scrambled ones
# (benchmarks/RESULTS.md, melody model): means 17.6 and 4.1. The signal ramps between them.
_PEAK_AREA_INCOHERENT, _PEAK_AREA_COHERENT = 4.1, 17.6


def loss_profile_signal(score: Score) -> float | None:
    """How strongly the melody model's loss reacts to a local disruption of the lead (0..1): a coherent
    melody sets up expectations that injected random pitches break. None when the model is unavailable."""
    from musicgrammar.errors import ModelError

    try:
        from musicgrammar.tools.loss_profile import probe_piece
        from musicgrammar.tools.melody_model.convert import piece_from_score

        lead = score.lead()
        if lead is None or len(lead.notes) < 16:
            return None
        solo = score.model_copy(update={"parts": [lead]})
        area = probe_piece(piece_from_score(solo))["peak_area"]
    except (ModelError, ValueError, KeyError):
        return None
    return float(min(1.0, max(0.0, (area - _PEAK_AREA_INCOHERENT) / (_PEAK_AREA_COHERENT - _PEAK_AREA_INCOHERENT))))


class AestheticsJudge(dspy.Module):
    """Engine: interpretable measurements of structure, motifs, harmony, rhythm, dynamics against the
    affect arc and audio quality. LLM: the model weighs the same measurements into its verdict."""

    def __init__(self, lm: dspy.LM | None = None) -> None:
        super().__init__()
        self.lm = lm

    def forward(
        self,
        spec: CompositionSpec,
        score: Score,
        mix: np.ndarray | None = None,
        sr: int | None = None,
        stems: dict[str, np.ndarray] | None = None,
        extra_signals: dict[str, float] | None = None,
    ) -> dspy.Prediction:
        signals = dict(extra_signals or {})
        coherence = loss_profile_signal(score)
        if coherence is not None:
            signals["loss_profile"] = coherence
        heard = hear(mix, sr, stems, score)  # the learned audio model; None without audio or weights
        if heard is not None:
            signals.update(as_signals(heard))
        measured = judge_piece(spec, score, mix, sr, stems, signals)
        if heard is not None:
            measured = with_findings(measured, heard, spec)
        if self.lm is None:
            return dspy.Prediction(judgement=measured)
        measurements = {d.name: d.score for d in measured.dimensions} | {"overall": measured.overall}
        out = predict(JudgeAesthetics, self.lm, spec=spec, measurements=measurements)
        judgement: Judgement = out.judgement
        return dspy.Prediction(judgement=judgement)
