"""The aesthetics model inside the Aesthetics Judge: its scores as judge dimensions, its findings.

`hear(mix, sr, stems, score)` runs the shipped model on a rendered piece (the lead stem and the sum of
the other stems when the stems are given) and returns None when there is no audio or no weights, so
the judge works without the model. `as_signals` maps each 1-5 dimension score to [0, 1] for the
judge's extra dimensions; `with_findings` adds one finding per dimension the model hears as damaged,
pointing at the section of the worst-sounding window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from musicgrammar.errors import ModelError

if TYPE_CHECKING:
    from musicgrammar.ontologies import CompositionSpec, Judgement, Score
    from musicgrammar.tools.aesthetics_model.api import HeardScores

__all__ = ["hear", "as_signals", "with_findings", "SIGNAL_PREFIX", "DAMAGED_BELOW", "BROKEN_BELOW"]

SIGNAL_PREFIX = "heard_"
DAMAGED_BELOW, BROKEN_BELOW = 3.5, 2.5  # 1-5 scores: warning under 3.5 (about grade 2), error under 2.5

_WHAT = {
    "harmony": ("wrong, clashing or out-of-tune notes", "progression",
                "check the accompaniment's notes against the chords and the melody in this section"),
    "rhythm": ("notes off the beat or parts out of step", "parts",
               "quantize the onsets and keep the parts on one grid in this section"),
    "coherence": ("phrases that do not follow on from each other", "",
                  "let the phrases of this section continue one another (motif, cadence, voice leading)"),
    "audio_quality": ("noise, distortion or clipping in the mix", "dynamic",
                      "lower the render gain or the section's dynamic so the mix stays clean"),
}


def hear(mix: np.ndarray | None, sr: int | None, stems: dict[str, np.ndarray] | None, score: "Score | None") -> "HeardScores | None":
    """The model's scores of a rendered piece, or None without audio or weights."""
    if mix is None or not sr:
        return None
    from musicgrammar.tools.aesthetics_model.api import load_model, score_audio

    try:
        model = load_model()
    except ModelError:
        return None
    lead = score.lead() if score is not None else None
    lead_wave = acc = None
    if stems and lead is not None and lead.id in stems and len(stems) > 1:
        n = max(len(w) for w in stems.values())
        lead_wave = stems[lead.id]
        acc = np.sum(np.stack([np.pad(np.asarray(w, dtype=np.float32), (0, n - len(w)))
                               for k, w in stems.items() if k != lead.id]), axis=0)
    return score_audio(mix, int(sr), lead_wave, acc, model=model)


def as_signals(heard: "HeardScores") -> dict[str, float]:
    """Each dimension's 1-5 score as a [0, 1] judge signal named heard_<dimension>."""
    return {SIGNAL_PREFIX + name: float(min(1.0, max(0.0, (d["score"] - 1.0) / 4.0))) for name, d in heard.dimensions.items()}


def _section_at(spec: "CompositionSpec", tempo_bpm: float, seconds: float) -> int:
    from musicgrammar.tools.analysis import section_spans

    quarter = seconds * tempo_bpm / 60.0
    spans = section_spans(spec)
    for span in spans:
        if span.start <= quarter < span.end:
            return span.index
    return spans[-1].index if spans else 0


def with_findings(judgement: "Judgement", heard: "HeardScores", spec: "CompositionSpec") -> "Judgement":
    """A copy of ``judgement`` with a finding for each dimension the model scores under DAMAGED_BELOW."""
    from musicgrammar.ontologies.validation import Finding, Severity

    findings = list(judgement.findings)
    for name, dim in heard.dimensions.items():
        score = float(dim["score"])
        if score >= DAMAGED_BELOW:
            continue
        what, field, fix = _WHAT[name]
        start = heard.worst_window.get(name, 0) * heard.window_seconds
        k = _section_at(spec, spec.tempo.bpm, start)
        lo, hi = dim["interval"]
        findings.append(Finding(
            code=f"JUDGE_HEARD_{name.upper()}",
            severity=Severity.ERROR if score < BROKEN_BELOW else Severity.WARNING,
            path=f"spec.sections[{k}]" + (f".{field}" if field else ""),
            message=(f"the audio model hears {what}: {name} {score:.1f}/5 (interval {lo:.1f}-{hi:.1f}), "
                     f"worst around {start:.0f}-{start + heard.window_seconds:.0f} s"),
            fix=fix,
        ))  # fmt: skip
    return judgement.model_copy(update={"findings": findings})
