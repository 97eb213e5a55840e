"""The plan-to-audio check: listen to a rendered mix and compare it with the score it was rendered
from (key, tempo, meter, duration, every part audible). A mismatch is a `Finding`; key, duration and
inaudible parts are warnings that the design loop feeds to its next pass, the same way validator and
critic findings are. Tempo and meter findings are recorded as info only: the beat tracker is not
reliable enough on slow, legato music to steer a design (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from musicgrammar.ontologies import Finding, Key, Score, Severity
from musicgrammar.tools.analysis import rms_dbfs
from musicgrammar.tools.listen.features import AudioAnalysis, analyse_loaded

__all__ = ["TEMPO_TOLERANCE", "INAUDIBLE_BELOW_MIX_DB", "check_render", "check_render_audio", "check_render_files"]

TEMPO_TOLERANCE = 0.08  # relative; a beat tracker's double or half tempo counts as a match
INAUDIBLE_BELOW_MIX_DB = 35.0  # a stem this far below the mix is not heard
_TAIL_MAX_S = 4.0  # the renderer's release tail


def _same_key(heard: str, designed: Key) -> bool:
    """Same tonic, or the same collection of pitch classes (the relative major/minor, or the mode's
    parent scale): key profiles confuse these, and either way the render is not transposed."""
    try:
        heard_key = Key.parse(heard)
    except ValueError:
        return True  # nothing to compare against
    return heard_key.tonic_pc == designed.tonic_pc or heard_key.pitch_classes() == designed.pitch_classes()


def _finding(code: str, path: str, message: str, fix: str, severity: Severity = Severity.WARNING) -> Finding:
    return Finding(code=code, severity=severity, path=path, message=message, fix=fix)


def check_render(score: Score, analysis: AudioAnalysis, stems: dict[str, np.ndarray] | None = None) -> list[Finding]:
    """Findings where the heard mix disagrees with the score; `stems` maps part id -> mono samples."""
    findings: list[Finding] = []
    if analysis.silent:
        return [_finding("RENDER_SILENT", "score", f"the rendered mix is silent ({analysis.rms_dbfs:.0f} dBFS)",
                         "check the parts' notes, velocities and instruments", Severity.ERROR)]  # fmt: skip
    designed_key = str(score.key)
    if analysis.key and not _same_key(analysis.key, score.key):
        findings.append(_finding("RENDER_KEY_MISMATCH", "score.key", f"the mix sounds in {analysis.key}, the design is in "
                                 f"{designed_key}", f"render the parts in {designed_key} (check transpositions)"))  # fmt: skip
    if analysis.tempo_bpm:
        ratio = analysis.tempo_bpm / score.tempo_bpm
        if not any(abs(ratio / k - 1.0) <= TEMPO_TOLERANCE for k in (0.5, 1.0, 2.0)):
            findings.append(_finding("RENDER_TEMPO_MISMATCH", "score.tempo_bpm", f"the mix beats at {analysis.tempo_bpm:.0f} BPM, "
                                     f"the design asks {score.tempo_bpm:g}", "keep the notes on the designed beat grid",
                                     Severity.INFO))  # the beat tracker errs on slow, legato music: recorded, not fed back  # fmt: skip
    numerator = score.meter.numerator
    if analysis.beats_per_bar and numerator in (2, 3, 4) and (analysis.beats_per_bar == 3) != (numerator == 3):
        # duple vs triple is what the accent pattern tells reliably; 2 vs 4 it does not
        findings.append(_finding("RENDER_METER_UNCLEAR", "score.meter", f"the accents group in {analysis.beats_per_bar}s, "
                                 f"the design is in {score.meter}", "stress the downbeats (velocity, bass on beat 1)",
                                 Severity.INFO))  # fmt: skip
    expected = score.duration_seconds
    if analysis.duration_s < expected - 0.5 or analysis.duration_s > expected + _TAIL_MAX_S:
        findings.append(_finding("RENDER_DURATION_MISMATCH", "score.bars", f"the mix lasts {analysis.duration_s:.1f} s, the "
                                 f"score {expected:.1f} s", "render every bar of the score"))  # fmt: skip
    if stems:
        mix_level = analysis.rms_dbfs
        for part_id, audio in stems.items():
            level = rms_dbfs(audio)
            if level < mix_level - INAUDIBLE_BELOW_MIX_DB:
                findings.append(_finding("RENDER_PART_INAUDIBLE", f"score.parts[{part_id}]", f"part {part_id} is {mix_level - level:.0f} dB "
                                         "below the mix: it is not heard", "raise its velocities or move it into a clearer register"))  # fmt: skip
    return findings


def check_render_files(score: Score, files: dict[str, str], *, track_beats: bool = False) -> list[Finding]:
    """The check on a render's files (``mix`` and ``stem:<part>`` paths); no mix, no findings."""
    if "mix" not in files:
        return []
    import soundfile as sf

    mix, sr = sf.read(files["mix"], dtype="float32", always_2d=False)
    stems = {k.split(":", 1)[1]: sf.read(v, dtype="float32", always_2d=False)[0] for k, v in files.items() if k.startswith("stem:")}
    return check_render_audio(score, mix, int(sr), stems, Path(files["mix"]), track_beats=track_beats)


def check_render_audio(score: Score, mix: np.ndarray, sr: int, stems: dict[str, np.ndarray] | None, path: Path, *,
                       track_beats: bool = False) -> list[Finding]:
    """The check on a mix (and stems, part id -> samples) already in memory; `path` names the mix.

    Inside the design loop it listens for key, length, level and every part, not for tempo and meter
    (`track_beats` False): the beat tracker's findings are info only, and it costs ~5 s to compile in
    every fresh process. `track_beats=True` adds them (benchmarks/plan_to_audio.py)."""
    from musicgrammar.errors import MissingExtraError
    from musicgrammar.tools.listen.audio import loaded_samples

    try:
        analysis = analyse_loaded(loaded_samples(mix, sr, path=path), transcribe_notes=False, track_beats=track_beats)
    except MissingExtraError as exc:
        return [_finding("RENDER_NOT_CHECKED", "score", f"the mix was not listened to: {exc}", "", Severity.INFO)]
    return check_render(score, analysis, stems)
