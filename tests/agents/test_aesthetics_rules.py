"""The Aesthetics Judge on small pieces that differ in one musical respect at a time."""

from __future__ import annotations

import numpy as np
import pytest
from critic_scores import N, block_chords, make_score, make_spec, root_bass

from musicgrammar.agents.aesthetics_rules import judge_piece, verdict_for
from musicgrammar.errors import UserInputError
from musicgrammar.ontologies import Severity, Verdict

# A four-bar phrase in C: a motif (E-G-F-D...) over I-IV-V-I; B answers with new figures over vi-ii-V-V.
A_CHORDS = ["C", "F", "G", "C"]
B_CHORDS = ["Am", "Dm", "G", "G"]
A_TUNE = [(64, 1), (67, 1), (65, 1), (62, 1), (65, 1), (69, 1), (67, 1), (64, 1), (67, 1), (71, 1), (69, 1), (65, 1), (64, 4)]
B_TUNE = [(69, 2), (72, 2), (74, 0.5), (72, 0.5), (71, 0.5), (69, 0.5), (65, 2), (67, 3), (71, 1), (74, 4)]


def _line(tune: list[tuple[int, float]], start: float, velocity: int = 80, shift: int = 0) -> list:
    notes, t = [], start
    for pitch, length in tune:
        notes.append(N(pitch + shift, t, length, velocity))
        t += length
    return notes


def _aba(b_tune=B_TUNE, b_chords=B_CHORDS, velocities=(80, 80, 80), arousal=(-0.5, 0.6, -0.5), a2_tune=A_TUNE):  # type: ignore[no-untyped-def]
    spec = make_spec([("A1", "A", A_CHORDS), ("B", "B", b_chords), ("A2", "A", A_CHORDS)],
                     cadences=["authentic", "half", "authentic"], arousal=list(arousal))  # fmt: skip
    lead = _line(A_TUNE, 0, velocities[0]) + _line(b_tune, 16, velocities[1]) + _line(a2_tune, 32, velocities[2])
    keys = [n.model_copy(update={"velocity": velocities[int(n.start // 16)]}) for n in block_chords(spec)]
    bass = [n.model_copy(update={"velocity": velocities[int(n.start // 16)]}) for n in root_bass(spec)]
    return spec, make_score(spec, {"lead": lead, "keys": keys, "bass": bass})


def _dim(judgement, name: str) -> float:  # type: ignore[no-untyped-def]
    value = judgement.score(name)
    assert value is not None, name
    return value


def test_a_coherent_aba_piece_is_accepted_and_every_reason_quotes_numbers() -> None:
    spec, score = _aba(velocities=(64, 94, 64))
    judgement = judge_piece(spec, score)
    assert judgement.verdict is Verdict.ACCEPT, judgement.reasons
    assert {d.name for d in judgement.dimensions} == {
        "structure_clarity", "motif_recurrence", "harmonic_variety", "rhythmic_coherence", "dynamics_arc"}  # fmt: skip
    assert all(any(ch.isdigit() for ch in d.reason) for d in judgement.dimensions)
    assert not [f for f in judgement.findings if f.severity is Severity.ERROR]


def test_one_chord_throughout_scores_low_harmonic_variety() -> None:
    spec, score = _aba(b_chords=["C"] * 4)
    one_chord = make_spec([("A1", "A", ["C"] * 4), ("B", "B", ["C"] * 4), ("A2", "A", ["C"] * 4)])
    judgement = judge_piece(one_chord, make_score(one_chord, {p.id: p.notes for p in score.parts}))
    assert _dim(judgement, "harmonic_variety") == 0.0
    static = [f for f in judgement.findings if f.code == "JUDGE_HARMONY_STATIC"]
    assert static and static[0].severity is Severity.ERROR and static[0].path.endswith(".progression")
    assert judgement.verdict is not Verdict.ACCEPT
    assert _dim(judge_piece(*_aba()), "harmonic_variety") > 0.8


def test_loudness_following_the_arousal_arc_scores_higher_dynamics() -> None:
    follows = judge_piece(*_aba(velocities=(60, 100, 60)))
    against = judge_piece(*_aba(velocities=(100, 60, 100)))
    flat = judge_piece(*_aba(velocities=(80, 80, 80)))
    assert _dim(follows, "dynamics_arc") > 0.9
    assert _dim(against, "dynamics_arc") < 0.2 < _dim(flat, "dynamics_arc") < _dim(follows, "dynamics_arc")
    finding = next(f for f in against.findings if f.code.startswith("JUDGE_DYNAMICS"))
    assert finding.path.startswith("spec.sections[") and finding.path.endswith("].dynamic")
    assert any(f.code == "JUDGE_DYNAMICS_FLAT" for f in flat.findings)


def _render(score, gains: list[float], sr: int = 8000, level: float = 0.2) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A tone whose amplitude per section is level * gain: a stand-in for a rendered mix."""
    seconds_per_section = 4 * 4 * 60 / score.tempo_bpm
    n = int(seconds_per_section * sr)
    t = np.arange(n) / sr
    return np.concatenate([level * g * np.sin(2 * np.pi * 220 * t) for g in gains])


def test_audio_loudness_following_the_arc_scores_higher_dynamics() -> None:
    spec, score = _aba()  # equal velocities: only the audio differs
    follows = judge_piece(spec, score, _render(score, [0.3, 1.0, 0.3]), 8000)
    against = judge_piece(spec, score, _render(score, [1.0, 0.3, 1.0]), 8000)
    assert _dim(follows, "dynamics_arc") > 0.9 > 0.2 > _dim(against, "dynamics_arc")
    assert "audio RMS" in next(d.reason for d in follows.dimensions if d.name == "dynamics_arc")


def test_clipped_audio_is_flagged_and_clean_audio_is_not() -> None:
    spec, score = _aba()
    clean = judge_piece(spec, score, _render(score, [1, 1, 1]), 8000)
    clipped = judge_piece(spec, score, np.clip(_render(score, [1, 1, 1], level=3.0), -1.0, 1.0), 8000)
    assert _dim(clean, "audio_quality") > 0.9
    assert not [f for f in clean.findings if f.code.startswith("JUDGE_AUDIO")]
    assert _dim(clipped, "audio_quality") < 0.35
    clip = next(f for f in clipped.findings if f.code == "JUDGE_AUDIO_CLIPPING")
    assert clip.severity is Severity.ERROR and clip.path.endswith(".dynamic")
    assert clipped.verdict is not Verdict.ACCEPT


def test_silence_and_silent_stems_are_flagged() -> None:
    spec, score = _aba()
    mix = _render(score, [1, 0, 1])  # section B renders silent
    judgement = judge_piece(spec, score, mix, 8000, stems={"lead": mix, "bass": np.zeros_like(mix)})
    codes = {f.code: f for f in judgement.findings}
    assert codes["JUDGE_AUDIO_SILENT"].path == "spec.sections[1].parts"
    assert codes["JUDGE_STEM_SILENT"].path == "score.parts[2]"  # the bass part


def test_verbatim_copies_and_unrelated_sections_score_lower_motif_recurrence() -> None:
    developed = judge_piece(*_aba(a2_tune=A_TUNE[:8] + [(p + 2, d) for p, d in A_TUNE[8:]]))
    copied_everywhere = judge_piece(*_aba(b_tune=A_TUNE))
    rng = np.random.default_rng(0)
    random_a2 = [(int(p), 1.0) for p in rng.integers(55, 80, size=16)]
    unrelated = judge_piece(*_aba(a2_tune=random_a2, b_tune=[(int(p), 1.0) for p in rng.integers(55, 80, size=16)]))
    assert _dim(developed, "motif_recurrence") > _dim(copied_everywhere, "motif_recurrence")
    assert _dim(developed, "motif_recurrence") > _dim(unrelated, "motif_recurrence")
    weak = [f for f in unrelated.findings if f.code == "JUDGE_MOTIF_WEAK"]
    assert weak and weak[0].path == "spec.motif_plan"


def test_structure_is_clearer_when_b_contrasts() -> None:
    contrast = judge_piece(*_aba())
    same = judge_piece(*_aba(b_tune=A_TUNE, b_chords=A_CHORDS))
    assert _dim(contrast, "structure_clarity") > _dim(same, "structure_clarity")
    assert any(f.code == "JUDGE_SECTIONS_ALIKE" and f.path == "spec.sections[1]" for f in same.findings)


def test_off_grid_onsets_lower_rhythmic_coherence() -> None:
    spec, score = _aba()
    lead = score.parts[0]
    jittered = [n.model_copy(update={"start": n.start + 0.13}) if i % 2 else n for i, n in enumerate(lead.notes)]
    rough = score.model_copy(update={"parts": [lead.model_copy(update={"notes": jittered})] + score.parts[1:]})
    assert _dim(judge_piece(spec, rough), "rhythmic_coherence") < _dim(judge_piece(spec, score), "rhythmic_coherence")


@pytest.mark.parametrize(
    ("overall", "lowest", "verdict"),
    [(0.6, 0.35, Verdict.ACCEPT), (0.8, 0.34, Verdict.REVISE), (0.59, 0.5, Verdict.REVISE), (0.29, 0.1, Verdict.REJECT)],
)
def test_verdict_thresholds(overall: float, lowest: float, verdict: Verdict) -> None:
    assert verdict_for(overall, lowest) is verdict


def test_extra_signals_join_the_mean_and_bad_audio_arguments_are_user_errors() -> None:
    spec, score = _aba()
    base = judge_piece(spec, score)
    low = judge_piece(spec, score, extra_signals={"scorer": 0.0, "broken": float("nan")})
    assert low.score("scorer") == 0.0 and low.score("broken") is None
    assert low.overall < base.overall
    with pytest.raises(UserInputError):
        judge_piece(spec, score, np.zeros(100), None)
    with pytest.raises(UserInputError):
        judge_piece(spec, score, np.full(100, np.nan), 8000)


def test_a_score_without_notes_is_rejected_and_odd_shapes_do_not_crash() -> None:
    spec, score = _aba()
    empty = score.model_copy(update={"parts": []})
    judgement = judge_piece(spec, empty)
    assert judgement.verdict is Verdict.REJECT and judgement.findings[0].code == "JUDGE_NO_MUSIC"
    shorter = score.model_copy(update={"bars": 6})  # the score stops inside section B
    stereo = np.stack([_render(score, [1, 1, 1])] * 2, axis=1)  # (samples, 2)
    assert judge_piece(spec, shorter, stereo, 8000).score("audio_quality") is not None
