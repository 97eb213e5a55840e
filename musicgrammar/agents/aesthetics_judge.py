"""The Aesthetics Judge: the rendered piece -> per-dimension scores and a verdict.
Anxiety: would anyone listen to this twice?"""

from __future__ import annotations

from dataclasses import dataclass

import dspy
import numpy as np

from musicgrammar.agents.aesthetics_rules import judge_piece
from musicgrammar.agents.harmony_critic import merge_findings
from musicgrammar.agents.lm import LLMSession, call_checked
from musicgrammar.agents.signatures import JudgeAesthetics
from musicgrammar.agents.strategy import Agent, require_session
from musicgrammar.ontologies import CompositionSpec, Finding, Judgement, Score, Severity, Verdict
from musicgrammar.tools.aesthetics_model.judge_signals import as_signals, hear, with_findings

__all__ = ["AestheticsJudge", "JudgeOutput", "check_verdict", "loss_profile_signal"]


@dataclass
class JudgeOutput:
    judgement: Judgement
    strategy: str = "engine"

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


def check_verdict(measured: Judgement, verdict: Verdict) -> list[Finding]:
    """A verdict may weigh the measurements but not contradict them: no acceptance of a piece with a
    dimension under the floor (an error finding) or one the measurements reject."""
    blocking = [f for f in measured.findings if f.severity is Severity.ERROR]
    if verdict is Verdict.ACCEPT and (blocking or measured.verdict is Verdict.REJECT):
        why = blocking[0].message if blocking else "the measurements reject it"
        return [Finding(code="JUDGE_ACCEPTS_BROKEN", severity=Severity.ERROR, path="judgement.verdict",
                        message=f"accepted although {why}", fix="revise or reject while a measured dimension fails")]  # fmt: skip
    return []


class AestheticsJudge(Agent):
    """Engine: interpretable measurements of structure, motifs, harmony, rhythm, dynamics against the
    affect arc and audio quality. LLM: the model weighs the same measurements into its verdict, reasons
    and extra findings; the measured dimensions, overall score and findings are kept as measured."""

    role = "aesthetics_judge"

    def __init__(self, llm: LLMSession | None = None) -> None:
        super().__init__(llm)
        self.judge = dspy.Predict(JudgeAesthetics)

    def forward(
        self,
        spec: CompositionSpec,
        score: Score,
        mix: np.ndarray | None = None,
        sr: int | None = None,
        stems: dict[str, np.ndarray] | None = None,
        extra_signals: dict[str, float] | None = None,
    ) -> JudgeOutput:
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
        measurements = {d.name: d.score for d in measured.dimensions} | {"overall": measured.overall}
        inputs = {"spec": spec, "measurements": measurements, "measured_findings": measured.findings, "feedback": []}

        def by_engine() -> Judgement:
            self.teach(self.judge, inputs, {"verdict": measured.verdict, "reasons": measured.reasons[:4], "findings": []})
            return measured

        def by_llm() -> Judgement:
            answer = call_checked(require_session(self.llm), self.role, self.judge, lambda a: check_verdict(measured, a.verdict), feedback_field="feedback", **inputs)
            return measured.model_copy(update={"verdict": answer.verdict, "reasons": measured.reasons + [f"LLM: {r}" for r in answer.reasons],
                                               "findings": merge_findings(measured.findings, answer.findings)})  # fmt: skip

        judgement, strategy = self.choose(by_llm, by_engine)
        return JudgeOutput(judgement=judgement, strategy=strategy)
