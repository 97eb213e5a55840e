"""The Aesthetics Judge's offline analysis: interpretable scores in [0, 1], a verdict, targeted findings.

`judge_piece(spec, score, mix, sr)` scores a realized piece on dimensions a listener notices, each
with a reason that quotes the numbers behind it:

- structure_clarity: sections of different roles are distinct, returning sections (same role) are
  alike (`tools.analysis.section_similarity`), and sections end on cadences, with the melody
  landing on a chord tone;
- motif_recurrence: the lead's interval 3-grams recur across sections, without sections being
  verbatim copies of each other;
- harmonic_variety: the chord histogram entropy (CHE) lies in a band between one chord and chaos;
- rhythmic_coherence: onsets sit on the meter's grid, note density is steady within sections,
  bars are anchored on their downbeats;
- dynamics_arc: per-section loudness (audio RMS when a mix is given, else note velocities) follows
  the sections' affect arousal;
- audio_quality (only with audio): no clipping, little silence, a sane RMS level, no silent stems.

`overall` is the weighted mean; the verdict is accept when overall >= 0.6 and no dimension is below
0.35, reject when overall < 0.3, else revise. Each dimension under 0.6 yields a finding (an error
under 0.35) whose path and fix name what the composer should change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies.affect import Dynamic
from musicgrammar.ontologies.composition import CompositionSpec
from musicgrammar.ontologies.critique import DimensionScore, Judgement, Verdict
from musicgrammar.ontologies.form import Cadence
from musicgrammar.ontologies.score import Score
from musicgrammar.ontologies.validation import Finding, Severity
from musicgrammar.tools import analysis as an
from musicgrammar.tools.harmony_metrics import chord_coverage, chord_histogram_entropy

__all__ = ["judge_piece", "verdict_for", "WEIGHTS", "ACCEPT_OVERALL", "REJECT_OVERALL", "MIN_DIMENSION", "WEAK_DIMENSION"]

WEIGHTS = {
    "structure_clarity": 0.2,
    "motif_recurrence": 0.2,
    "harmonic_variety": 0.15,
    "rhythmic_coherence": 0.15,
    "dynamics_arc": 0.15,
    "audio_quality": 0.15,
}
EXTRA_SIGNAL_WEIGHT = 0.1
ACCEPT_OVERALL, REJECT_OVERALL, MIN_DIMENSION = 0.6, 0.3, 0.35
WEAK_DIMENSION = 0.6  # dimensions under this get a finding
ALWAYS_REPORTED = {"JUDGE_AUDIO_CLIPPING", "JUDGE_STEM_SILENT"}  # render faults are reported even when the dimension holds up
CHE_BAND = (0.9, 2.3)  # chord histogram entropy (nats) of a varied but coherent progression


@dataclass(frozen=True)
class _Audio:
    """The mix as given, as float32 mono, its sample rate and its RMS dBFS per bar (bars,)."""

    raw: np.ndarray
    mono: np.ndarray
    sr: int
    bar_db: np.ndarray


@dataclass
class _Dim:
    name: str
    score: float
    reason: str
    findings: list[tuple[str, str, str, str]] = field(default_factory=list)  # (code, path, message, fix)


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 at or below lo, 1 at or above hi, linear between."""
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


# ---------------------------------------------------------------------------------------------
# Entry point
def judge_piece(
    spec: CompositionSpec,
    score: Score,
    mix: np.ndarray | None = None,
    sr: int | None = None,
    stems: dict[str, np.ndarray] | None = None,
    extra_signals: dict[str, float] | None = None,
) -> Judgement:
    """Score a realized piece (and its rendered audio, when given) and decide accept / revise / reject.

    `mix` is the rendered mix (mono or (samples, channels)) at `sr` Hz; `stems` maps part ids to
    their rendered audio; `extra_signals` adds named scores in [0, 1] (e.g. a learned aesthetics
    model's) as extra dimensions with a small weight.
    """
    audio: _Audio | None = None
    if mix is not None:
        if sr is None or sr <= 0:
            raise UserInputError("a sample rate > 0 is needed with the mix", field="sr")
        try:
            x = an.to_mono(mix)
        except ValueError as exc:
            raise UserInputError(str(exc), field="mix") from exc
        if not math.isfinite(float(np.dot(x, x))):  # any NaN or inf (or absurd sample) poisons the energy
            raise UserInputError("the mix holds NaN, infinite or absurdly large samples", field="mix")
        bar_s = spec.meter.bar_quarters * 60.0 / score.tempo_bpm
        audio = _Audio(mix, x, int(sr), an.loudness_per_bar(x, int(sr), bar_s, score.bars))
    events = an.chord_timeline(spec)
    dims = [
        _structure(spec, score, events),
        _motifs(spec, score),
        _harmony(spec, events),
        _rhythm(spec, score),
        _dynamics(spec, score, audio),
    ]
    if audio is not None:
        dims.append(_audio(spec, score, audio, stems or {}))
    silent = not any(p.notes for p in score.parts if not p.is_drum)
    if silent:  # nothing to listen to, whatever the spec promises: rejected below
        dims[0].score = 0.0
        dims[0].findings.insert(0, ("JUDGE_NO_MUSIC", "score.parts", "the score has no pitched notes", "realize the spec's parts"))
    weights = [WEIGHTS[d.name] for d in dims]
    for name, value in (extra_signals or {}).items():
        if value is None or not math.isfinite(float(value)):
            continue
        label = f"signal:{name}" if name in WEIGHTS else name  # never shadow a measured dimension
        dims.append(_Dim(label, min(1.0, max(0.0, float(value))), f"external signal {name} = {float(value):.2f}"))
        weights.append(EXTRA_SIGNAL_WEIGHT)
    overall = float(np.average([d.score for d in dims], weights=weights))
    lowest = min(dims, key=lambda d: d.score)
    verdict = Verdict.REJECT if silent else verdict_for(overall, lowest.score)
    findings = []
    for d in dims:
        severity = Severity.ERROR if d.score < MIN_DIMENSION else Severity.WARNING
        for code, path, message, fix in d.findings:
            if d.score >= WEAK_DIMENSION and code not in ALWAYS_REPORTED:
                continue
            findings.append(Finding(code=code, severity=severity, path=path, message=f"{d.name} {d.score:.2f}: {message}", fix=fix))
    head = f"overall {overall:.2f} -> {verdict.value}"
    if verdict is not Verdict.ACCEPT:
        head += f" (weakest: {lowest.name} {lowest.score:.2f})"
    return Judgement(
        dimensions=[DimensionScore(name=d.name, score=round(d.score, 4), reason=d.reason) for d in dims],
        overall=round(overall, 4),
        verdict=verdict,
        reasons=[head] + [f"{d.name} {d.score:.2f}: {d.reason}" for d in dims],
        findings=findings,
    )


def verdict_for(overall: float, lowest: float) -> Verdict:
    """Accept at overall >= 0.6 with no dimension under 0.35; reject under 0.3; else revise."""
    if overall >= ACCEPT_OVERALL and lowest >= MIN_DIMENSION:
        return Verdict.ACCEPT
    if overall < REJECT_OVERALL:
        return Verdict.REJECT
    return Verdict.REVISE


# ---------------------------------------------------------------------------------------------
# structure_clarity
def _structure(spec: CompositionSpec, score: Score, events: list[an.ChordEvent]) -> _Dim:
    spans = an.section_spans(spec)
    sim = an.section_similarity(spec, score, events)
    same = [(i, j) for i in range(len(spans)) for j in range(i + 1, len(spans)) if spans[i].section.role == spans[j].section.role]
    diff = [(i, j) for i in range(len(spans)) for j in range(i + 1, len(spans)) if spans[i].section.role != spans[j].section.role]
    parts: list[tuple[float, float]] = []  # (weight, score)
    words, findings = [], []
    if same:
        ret = float(np.mean([sim[i, j] for i, j in same]))
        parts.append((0.35, _ramp(ret, 0.3, 0.75)))
        words.append(f"returning sections alike {ret:.2f}")
        i, j = min(same, key=lambda p: sim[p])
        if sim[i, j] < 0.5:
            findings.append(("JUDGE_RETURN_UNCLEAR", f"spec.sections[{j}]",
                             f"section {spans[j].section.id!r} returns as {spans[j].section.role.value} but resembles {spans[i].section.id!r} only {sim[i, j]:.2f}",
                             f"let {spans[j].section.id!r} restate the motif and chords of {spans[i].section.id!r} (vary at most the ending)"))  # fmt: skip
    contrast = 1.0
    if diff:
        dif = float(np.mean([sim[i, j] for i, j in diff]))
        contrast = _ramp(0.95 - dif, 0.0, 0.45)
        parts.append((0.35, contrast))
        words.append(f"contrasting sections alike {dif:.2f}")
        i, j = max(diff, key=lambda p: sim[p])
        if sim[i, j] > 0.7:
            findings.append(("JUDGE_SECTIONS_ALIKE", f"spec.sections[{j}]",
                             f"section {spans[j].section.id!r} ({spans[j].section.role.value}) is {sim[i, j]:.2f} alike {spans[i].section.id!r} ({spans[i].section.role.value})",
                             f"give {spans[j].section.id!r} its own chords, register or a developed motif (inversion, sequence) to contrast with {spans[i].section.id!r}"))  # fmt: skip
    cad = [_cadence_score(spec, score, s, events, final=s.index == len(spans) - 1) for s in spans]
    parts.append((0.3, float(np.mean(cad))))
    words.append(f"cadences {np.mean(cad):.2f}")
    k = int(np.argmin(cad))
    if cad[k] < 0.6:
        key = spans[k].section.key or spec.key
        findings.append(("JUDGE_CADENCE_WEAK", f"spec.sections[{k}].progression[{spans[k].bars - 1}]",
                         f"section {spans[k].section.id!r} ends without a clear close ({cad[k]:.2f})",
                         f"end it V-I ({key.spell((key.tonic_pc + 7) % 12)} to {key.spell(key.tonic_pc)}) or on V for a half cadence, "
                         "with the melody held on a chord tone for at least a beat"))  # fmt: skip
    w = np.array([p[0] for p in parts])
    # sections that should contrast but sound the same blur the form whatever else holds
    value = float(np.dot(w, [p[1] for p in parts]) / w.sum()) * (0.6 + 0.4 * contrast)
    return _Dim("structure_clarity", value, f"{len(spans)} sections; " + ", ".join(words), findings)


def _cadence_score(spec: CompositionSpec, score: Score, span: an.SectionSpan, events: list[an.ChordEvent], final: bool) -> float:
    """0.6 for the harmonic close of the section's last two chords, 0.4 for the melody landing on a chord tone."""
    key = span.section.key or spec.key
    shape = an.cadence_shape(span.section, key)
    if final:
        harmonic = 1.0 if shape is not None and shape.is_final else 0.2
    else:
        harmonic = {None: 0.3, Cadence.MODAL: 0.8}.get(shape, 1.0)  # type: ignore[arg-type]
    _, line = an.lead_line(score)
    inside = [n for _, n in line if span.start - 1e-6 <= n.start < span.end - 1e-6]
    own = [e for e in events if e.section_index == span.index]
    if not inside or not own:
        melodic = 0.5
    else:
        last = inside[-1]
        tone = last.pitch % 12 in own[-1].pcs
        held = last.duration >= min(spec.meter.beats) - 1e-6
        melodic = 1.0 if tone and held else 0.7 if tone else 0.3
    return 0.6 * harmonic + 0.4 * melodic


# ---------------------------------------------------------------------------------------------
# motif_recurrence
def _motifs(spec: CompositionSpec, score: Score) -> _Dim:
    stats = an.motif_recurrence(spec, score, n=3)
    S = len(spec.sections)
    path = "spec.motif_plan"
    if stats.occurrences < 4:
        return _Dim("motif_recurrence", 0.2, f"the lead has only {stats.occurrences} interval 3-grams: too few notes to hold a motif",
                    [("JUDGE_MOTIF_WEAK", path, "the lead is too short or sparse to carry a motif", _motif_fix(spec))])  # fmt: skip
    distinct = len(set().union(*stats.per_section)) if stats.per_section else 0
    within = _ramp(stats.recurrence, 0.1, 0.5)
    if S == 1:
        value = within
        reason = f"{stats.recurrence:.0%} of the lead's {stats.occurrences} interval 3-grams recur"
    else:
        value = 0.5 * within + 0.5 * _ramp(stats.cross_section, 0.1, 0.5)
        reason = (f"{stats.recurrence:.0%} of {stats.occurrences} interval 3-grams recur, later sections reuse "
                  f"{stats.cross_section:.0%} of theirs from earlier ones, {stats.copy_ratio:.0%} of later sections are verbatim copies")
    if stats.copy_ratio > 0.5:
        value *= 1.0 - (stats.copy_ratio - 0.5)  # all copies: half the score
    if distinct <= 2:
        value *= 0.5  # one figure hammered (a scale, a trill) is repetition, not a motif
        reason += f"; only {distinct} distinct 3-grams"
    findings = []
    if value < WEAK_DIMENSION:
        if stats.copy_ratio > 0.5 and stats.copies:
            i, j = stats.copies[-1]
            findings.append(("JUDGE_MOTIF_COPIED", path,
                             f"section {spec.sections[i].id!r} repeats {spec.sections[j].id!r} note for note",
                             f"develop the motif in {spec.sections[i].id!r} (sequence, inversion, fragmentation) instead of a verbatim repeat"))  # fmt: skip
        else:
            findings.append(("JUDGE_MOTIF_WEAK", path, "the lead's figures rarely return across sections", _motif_fix(spec)))
    return _Dim("motif_recurrence", value, reason, findings)


def _motif_fix(spec: CompositionSpec) -> str:
    if not spec.motifs:
        return "define a 3-6 note motif in spec.motifs and place it at the start of every section, developed in the contrasting ones"
    used = {(u.motif, u.section) for u in spec.motif_plan}
    motif = spec.motifs[0].id
    missing = [s.id for s in spec.sections if (motif, s.id) not in used]
    if missing:
        return f"place motif {motif!r} in sections {', '.join(repr(m) for m in missing)} (repeat where a section returns, sequence or inversion elsewhere)"
    return f"state motif {motif!r} more than once per section (sequence it a step higher in the next phrase)"


# ---------------------------------------------------------------------------------------------
# harmonic_variety
def _harmony(spec: CompositionSpec, events: list[an.ChordEvent]) -> _Dim:
    spans = an.metric_spans(events)
    che, cc = chord_histogram_entropy(spans), chord_coverage(spans)
    lo, hi = CHE_BAND
    if cc <= 1:
        value = 0.0
    elif che < lo:
        value = _ramp(che, 0.0, lo)
    else:
        value = 1.0 - 0.7 * _ramp(che, hi, hi + 0.9)
    reason = f"chord histogram entropy {che:.2f} nats over {cc} distinct chords (band {lo}-{hi})"
    findings = []
    if value < WEAK_DIMENSION:
        per = []
        for s in an.section_spans(spec):
            own = [x for x, e in zip(spans, events) if e.section_index == s.index]
            per.append(chord_histogram_entropy(own) if own else 0.0)
        from musicgrammar.ontologies import diatonic_chords

        if che < lo:
            k = int(np.argmin(per))
            key = spec.sections[k].key or spec.key
            palette = " ".join(c.symbol for c in diatonic_chords(key) if len(c.quality.intervals) == 3)
            findings.append(("JUDGE_HARMONY_STATIC", f"spec.sections[{k}].progression",
                             f"section {spec.sections[k].id!r} has chord entropy {per[k]:.2f}: the harmony hardly moves",
                             f"use more chords of {key} ({palette}), e.g. a I-IV-V-I or I-vi-ii-V motion, changing at least every bar or two"))  # fmt: skip
        else:
            k = int(np.argmax(per))
            findings.append(("JUDGE_HARMONY_RESTLESS", f"spec.sections[{k}].progression",
                             f"section {spec.sections[k].id!r} has chord entropy {per[k]:.2f}: too many different chords to follow",
                             "repeat a 2-4 chord progression and keep to the diatonic chords of the key"))  # fmt: skip
    return _Dim("harmonic_variety", value, reason, findings)


# ---------------------------------------------------------------------------------------------
# rhythmic_coherence
def _rhythm(spec: CompositionSpec, score: Score) -> _Dim:
    table = an.note_table(score, pitched_only=False)
    if len(table) == 0:
        return _Dim("rhythmic_coherence", 0.0, "the score has no notes",
                    [("JUDGE_RHYTHM_EMPTY", "score.parts", "no notes to judge", "realize the parts")])  # fmt: skip
    grid = an.on_grid(spec.meter, table.start)
    alignment = float(grid.mean())
    dens = an.density_per_bar(score, [p for p in score.parts if not p.is_drum])
    cvs = []
    for s in an.section_spans(spec):
        d = dens[s.start_bar : s.start_bar + s.bars]
        if s.bars > 2:
            d = d[:-1]  # the cadence bar is sparser by design
        cvs.append(float(d.std() / d.mean()) if d.size and d.mean() > 0 else 0.0)
    stability = float(np.mean([1.0 - _ramp(cv, 0.25, 1.0) for cv in cvs]))
    bars = an.density_per_bar(score) > 0
    downbeat = np.zeros(score.bars, dtype=bool)
    on_one = an.beat_strengths(spec.meter, table.start) == 0
    downbeat[np.clip((table.start[on_one] / score.bar_quarters + 1e-9).astype(int), 0, score.bars - 1)] = True
    anchored = float(downbeat[bars].mean()) if bars.any() else 0.0
    value = 0.5 * _ramp(alignment, 0.7, 0.98) + 0.3 * stability + 0.2 * anchored
    reason = (f"{alignment:.0%} of onsets on the {spec.meter} grid, density variation within sections "
              f"(CV) {np.mean(cvs):.2f}, {anchored:.0%} of sounding bars start on the downbeat")
    findings = []
    if alignment < 0.9:
        off = np.bincount(table.part[~grid], minlength=len(score.parts))
        worst = int(np.argmax(off))
        findings.append(("JUDGE_RHYTHM_OFFGRID", f"score.parts[{worst}]",
                         f"{int(off[worst])} onsets of {score.parts[worst].id!r} fall off the beat grid",
                         f"quantize its onsets to the sixteenth (or beat-triplet) grid of {spec.meter}"))  # fmt: skip
    if stability < 0.6:
        k = int(np.argmax(cvs))
        findings.append(("JUDGE_DENSITY_ERRATIC", f"spec.sections[{k}]",
                         f"note density in section {spec.sections[k].id!r} varies bar to bar (CV {cvs[k]:.2f})",
                         "keep one accompaniment pattern through the section; change density between sections instead"))  # fmt: skip
    if anchored < 0.6:
        findings.append(("JUDGE_DOWNBEAT_MISSING", "score.parts",
                         f"only {anchored:.0%} of sounding bars have a note on beat 1",
                         "let the bass or the accompaniment strike every downbeat"))  # fmt: skip
    return _Dim("rhythmic_coherence", value, reason, findings)


# ---------------------------------------------------------------------------------------------
# dynamics_arc
def _section_loudness(spec: CompositionSpec, score: Score, audio: _Audio | None) -> tuple[np.ndarray, str, float]:
    """Per-section loudness (S,), its unit, and the range that counts as a clear dynamic change."""
    spans = an.section_spans(spec)
    if audio is not None:
        power = 10.0 ** (audio.bar_db / 10.0)
        values = []
        for s in spans:
            bars = power[s.start_bar : s.start_bar + s.bars]  # empty when the score is shorter than the spec
            values.append(10.0 * math.log10(max(float(bars.mean()), 1e-12)) if bars.size else -120.0)
        return np.array(values), "dB", 3.0
    vel = an.velocity_per_bar(score)
    dens = an.density_per_bar(score)
    values = []
    for s in spans:
        v, d = vel[s.start_bar : s.start_bar + s.bars], dens[s.start_bar : s.start_bar + s.bars]
        values.append(float(np.nansum(v * d) / d.sum()) if d.sum() > 0 else 0.0)  # note-weighted mean velocity
    return np.array(values), "velocity", 8.0


def _dynamics(spec: CompositionSpec, score: Score, audio: _Audio | None) -> _Dim:
    arousal = np.array([s.affect.arousal for s in spec.sections])
    loud, unit, clear = _section_loudness(spec, score, audio)
    spread, a_spread = float(loud.max() - loud.min()), float(arousal.max() - arousal.min())
    source = "audio RMS" if unit == "dB" else "note velocity"
    findings = []
    if len(arousal) == 1 or a_spread < 0.15:
        if len(arousal) == 1:
            expected = Dynamic.for_arousal(float(arousal[0]))
            vel, _, _ = _section_loudness(spec, score, None)
            gap = abs(float(vel[0]) - expected.velocity)
            value = 1.0 - _ramp(gap, 10.0, 40.0)
            reason = f"one section at arousal {arousal[0]:+.1f}: mean velocity {vel[0]:.0f} vs {expected.velocity} for {expected.value}"
            if value < WEAK_DIMENSION:
                findings.append(("JUDGE_DYNAMICS_FLAT", "spec.sections[0].dynamic", f"the loudness does not match the mood ({reason})",
                                 f"set the dynamic to {expected.value} (velocity about {expected.velocity})"))  # fmt: skip
            return _Dim("dynamics_arc", value, reason, findings)
        value = 1.0 - 0.6 * _ramp(spread, clear, 4 * clear)  # a flat arc wants steady loudness
        return _Dim("dynamics_arc", value, f"flat affect arc (arousal spread {a_spread:.2f}); {source} spread {spread:.1f} {unit}", findings)
    r = 0.0 if spread < 1e-9 else float(np.corrcoef(loud, arousal)[0, 1])
    value = (0.5 + 0.5 * r) * (0.5 + 0.5 * _ramp(spread, 0.0, clear))
    reason = f"{source} per section follows arousal with r = {r:+.2f}; loudness spread {spread:.1f} {unit} for arousal spread {a_spread:.2f}"
    if value < WEAK_DIMENSION:
        # the section whose loudness rank is furthest from its arousal rank
        z = lambda x: (x - x.mean()) / (x.std() or 1.0)  # noqa: E731
        k = int(np.argmax(np.abs(z(loud) - z(arousal))))
        want = Dynamic.for_arousal(float(arousal[k]))
        code = "JUDGE_DYNAMICS_FLAT" if spread < clear else "JUDGE_DYNAMICS_AGAINST_ARC"
        findings.append((code, f"spec.sections[{k}].dynamic",
                         f"section {spec.sections[k].id!r} (arousal {arousal[k]:+.1f}) sounds at {loud[k]:.1f} {unit}; the loudness does not follow the arc",
                         f"set its dynamic to {want.value} and its velocities near {want.velocity}, so loud sections are the aroused ones"))  # fmt: skip
    return _Dim("dynamics_arc", value, reason, findings)


# ---------------------------------------------------------------------------------------------
# audio_quality
def _audio(spec: CompositionSpec, score: Score, audio: _Audio, stems: dict[str, np.ndarray]) -> _Dim:
    x, sr = audio.mono, audio.sr
    body = x[: max(1, int(round(score.duration_seconds * sr)))]  # the tail after the last bar may ring out
    clip = an.clipping_ratio(audio.raw)
    silence = an.silence_ratio(body, sr)
    level = an.rms_dbfs(body)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    parts = [1.0 - _ramp(clip, 1e-4, 1e-2), 1.0 - _ramp(silence, 0.1, 0.5), _ramp(level, -45.0, -30.0) * (1.0 - _ramp(level, -8.0, -3.0))]
    value = 0.5 * min(parts) + 0.5 * float(np.mean(parts))
    reason = f"clipping {clip:.2%} of samples, silence {silence:.0%} of the piece, RMS {level:.1f} dBFS, peak {peak:.2f}"
    findings = []
    bar_db = audio.bar_db
    section_of_bar = np.concatenate([[s.index] * s.bars for s in an.section_spans(spec)])[: score.bars]
    if clip > 1e-4:
        k = int(section_of_bar[int(np.argmax(bar_db[: section_of_bar.size]))])
        findings.append(("JUDGE_AUDIO_CLIPPING", f"spec.sections[{k}].dynamic", f"{clip:.2%} of the samples clip (peak {peak:.2f})",
                         f"lower the dynamic of section {spec.sections[k].id!r} a step, or the mix gain by at least 3 dB"))  # fmt: skip
    if silence > 0.1:
        quiet = bar_db[: section_of_bar.size] < an.SILENCE_DB
        k = int(np.argmax(np.bincount(section_of_bar[quiet], minlength=len(spec.sections)))) if quiet.any() else 0
        findings.append(("JUDGE_AUDIO_SILENT", f"spec.sections[{k}].parts", f"{silence:.0%} of the piece is silent",
                         f"let a sustaining part (pad, strings, bass) play through section {spec.sections[k].id!r}"))  # fmt: skip
    if level < -30.0 or level > -8.0:
        findings.append(("JUDGE_AUDIO_LEVEL", "spec.sections", f"the mix sits at {level:.1f} dBFS RMS",
                         "normalize the mix to about -18 dBFS RMS" if level < -30 else "lower the mix gain to about -18 dBFS RMS"))  # fmt: skip
    silent_stems = []
    for pi, part in enumerate(score.parts):
        audio = stems.get(part.id)
        # every 32nd sample (0.7 ms apart at 44.1 kHz) is plenty to tell a silent stem, at a fraction of the reads
        if audio is not None and part.notes and an.rms_dbfs(an.to_mono(audio)[::32]) < -70.0:
            silent_stems.append(part.id)
            findings.append(("JUDGE_STEM_SILENT", f"score.parts[{pi}]", f"part {part.id!r} has notes but its stem is silent",
                             f"check the instrument of {part.id!r} ({part.instrument}) renders, or give it notes in range"))  # fmt: skip
    if stems:
        value *= 1.0 - 0.5 * len(silent_stems) / max(1, len([p for p in score.parts if p.id in stems]))
        reason += f"; {len(silent_stems)} of {len(stems)} stems silent"
    return _Dim("audio_quality", value, reason, findings)
