"""Cross-domain validation: every rule that spans domains, reported as `Finding`s.

Field validation (types, ranges, enums) is Pydantic's and happens on construction. The validators
here look across the design and the notes: harmony against meter and bars, parts against the
ensemble, notes against ranges and the key, cadences against the form's end, lyrics against the
melody, durations against the target, a tradition's rules against everything. They never stop at
the first problem; each finding says where (a JSON path), what, and how to fix it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from musicgrammar.ontologies.composition import Composition, CompositionSpec
from musicgrammar.ontologies.form import CADENCE_SHAPES, Cadence, Section, cadences_made
from musicgrammar.ontologies.harmony import parse_bar
from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum
from musicgrammar.ontologies.rhythm import tempo_term_for
from musicgrammar.ontologies.score import Score
from musicgrammar.ontologies.theory import Key, Mode
from musicgrammar.ontologies.timing import section_spans
from musicgrammar.ontologies.tradition import get_tradition

__all__ = ["Severity", "Finding", "ValidationReport", "validate_spec", "validate_score", "validate_composition"]

# At most this many note-level findings of one code per part; the rest are counted in one summary.
_MAX_NOTE_FINDINGS = 8
_EPS = 1e-6


@register_enum
class Severity(DescribedEnum):
    ERROR = "error", "Breaks the grammar: the composition is invalid until it is fixed."
    WARNING = "warning", "Allowed but worth a look: a likely mistake or a weak choice."
    INFO = "info", "A note for the record."


class Finding(BaseModel):
    """One problem: a stable code, how bad, where (JSON path), what, and a suggested fix."""

    code: str
    severity: Severity
    path: str = Field(description="JSON path into the composition, e.g. spec.sections[0].progression[2].")
    message: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.severity.value.upper():7} {self.code} at {self.path}: {self.message}"


class ValidationReport(BaseModel):
    findings: list[Finding] = Field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def extend(self, findings: Iterable[Finding]) -> "ValidationReport":
        self.findings.extend(findings)
        return self

    def summary(self) -> str:
        return f"{'valid' if self.valid else 'invalid'}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"


def _err(code: str, path: str, message: str, fix: str = "") -> Finding:
    return Finding(code=code, severity=Severity.ERROR, path=path, message=message, fix=fix)


def _info(code: str, path: str, message: str, fix: str = "") -> Finding:
    return Finding(code=code, severity=Severity.INFO, path=path, message=message, fix=fix)


def _warn(code: str, path: str, message: str, fix: str = "") -> Finding:
    return Finding(code=code, severity=Severity.WARNING, path=path, message=message, fix=fix)


# ---------------------------------------------------------------------------------------------
# The design
def validate_spec(spec: CompositionSpec, prefix: str = "spec") -> ValidationReport:
    """All design-level rules: harmony vs bars and meter, parts, cadences, motifs, duration, tradition."""
    report = ValidationReport()
    member_ids = {m.id for m in spec.ensemble}
    for index, section in enumerate(spec.sections):
        path = f"{prefix}.sections[{index}]"
        report.extend(_check_progression(spec, section, path))
        for part_id in section.parts:
            if part_id not in member_ids:
                report.findings.append(
                    _err("SECTION_PART_NOT_IN_ENSEMBLE", f"{path}.parts", f"section {section.id!r} names part {part_id!r}, which is not in the ensemble",
                         f"add {part_id!r} to the ensemble or remove it from the section")  # fmt: skip
                )
        report.extend(_check_cadence(spec, section, path, final=index == len(spec.sections) - 1))
    report.extend(_check_motifs(spec, prefix))
    if spec.target_duration_s:
        actual, target = spec.duration_seconds, spec.target_duration_s
        if abs(actual - target) > 0.1 * target:
            report.findings.append(
                _err("DURATION_OFF_TARGET", f"{prefix}.sections", f"the sections last {actual:.1f} s, the target is {target:.1f} s (more than 10% off)",
                     f"use about {target * spec.tempo.bpm / 60 / spec.meter.bar_quarters:.0f} bars at this tempo, or change the tempo")  # fmt: skip
            )
    if spec.tempo.term is not None and spec.tempo.term is not tempo_term_for(spec.tempo.bpm):
        low, high = spec.tempo.term.bpm_range
        if not low <= spec.tempo.bpm <= high:
            report.findings.append(
                _warn("TEMPO_TERM_MISMATCH", f"{prefix}.tempo", f"{spec.tempo.bpm:g} BPM is outside {spec.tempo.term.value} ({low:g}-{high:g})",
                      f"use {tempo_term_for(spec.tempo.bpm).value} or a tempo in range")  # fmt: skip
            )
    if not any(m.role.value == "lead" for m in spec.ensemble):
        report.findings.append(_warn("ENSEMBLE_NO_LEAD", f"{prefix}.ensemble", "no ensemble member has the lead role", "give the melody instrument role 'lead'"))
    if spec.lyrics is not None:
        section_ids = {s.id for s in spec.sections}
        for index, line in enumerate(spec.lyrics.lines):
            if line.section not in section_ids:
                report.findings.append(_err("LYRICS_SECTION_UNKNOWN", f"{prefix}.lyrics.lines[{index}].section", f"no section {line.section!r}"))
    if spec.tradition:
        report.extend(_check_tradition(spec, prefix))
    return report


def _check_progression(spec: CompositionSpec, section: Section, path: str) -> list[Finding]:
    findings: list[Finding] = []
    beats = len(spec.meter.beats)
    if len(section.progression) != section.bars:
        findings.append(
            _err("PROGRESSION_LENGTH", f"{path}.progression", f"section {section.id!r} has {section.bars} bars but {len(section.progression)} bars of chords",
                 "give exactly one progression entry per bar")  # fmt: skip
        )
    for bar_index, text in enumerate(section.progression):
        bar_path = f"{path}.progression[{bar_index}]"
        spans = parse_bar(text)
        if not spans:
            findings.append(_err("HARMONY_BAR_EMPTY", bar_path, f"bar {bar_index + 1} of section {section.id!r} has no chord", "give the bar a chord, or repeat the previous one"))
            continue
        explicit = [s.beats for s in spans if s.beats is not None]
        if explicit and len(explicit) != len(spans):
            findings.append(_err("HARMONIC_RHYTHM_MIXED", bar_path, "give beats for every chord of the bar or for none", "write e.g. 'G7:2 C:1'"))
        elif explicit:
            total = sum(explicit)
            if abs(total - beats) > _EPS:
                findings.append(_err("HARMONIC_RHYTHM_METER", bar_path, f"chords last {total:g} beats, a {spec.meter} bar has {beats}", f"make the beats add up to {beats}"))
            elif any(abs(b - round(b)) > _EPS for b in explicit):
                findings.append(_warn("HARMONIC_RHYTHM_OFFBEAT", bar_path, "a chord changes between beats", "change chords on beats"))
        elif beats % len(spans) != 0:
            findings.append(
                _err("HARMONIC_RHYTHM_METER", bar_path, f"{len(spans)} equal chords cannot share the {beats} beats of a {spec.meter} bar",
                     f"use {', '.join(str(d) for d in range(1, beats + 1) if beats % d == 0)} chords, or give beats explicitly")  # fmt: skip
            )
    return findings


def _check_cadence(spec: CompositionSpec, section: Section, path: str, final: bool) -> list[Finding]:
    findings: list[Finding] = []
    if final and not section.cadence.is_final:
        findings.append(
            _err("FINAL_CADENCE_MISSING", f"{path}.cadence", f"the last section ends with a {section.cadence.value} cadence; a piece must close",
                 "end the last section with an authentic, plagal or modal cadence on the tonic")  # fmt: skip
        )
    chords = [span.chord for text in section.progression for span in parse_bar(text)]
    if len(chords) < 2 or section.cadence is Cadence.OPEN:
        return findings
    key = section.key or spec.key
    if section.cadence not in cadences_made(chords[-2], chords[-1], key):
        shape = CADENCE_SHAPES[section.cadence]
        make = _err if final else _warn
        findings.append(
            make("CADENCE_MISMATCH", f"{path}.progression[{len(section.progression) - 1}]",
                 f"section {section.id!r} declares a {section.cadence.value} cadence ({shape}) but ends {chords[-2]} {chords[-1]} in {key}",
                 f"end the section with {shape} of {key}")  # fmt: skip
        )
    return findings


def _check_motifs(spec: CompositionSpec, prefix: str) -> list[Finding]:
    findings = []
    motifs = {m.id for m in spec.motifs}
    sections = {s.id: s for s in spec.sections}
    for index, use in enumerate(spec.motif_plan):
        path = f"{prefix}.motif_plan[{index}]"
        if use.motif not in motifs:
            findings.append(_err("MOTIF_UNKNOWN", f"{path}.motif", f"no motif {use.motif!r}", "define it in motifs"))
        section = sections.get(use.section)
        if section is None:
            findings.append(_err("MOTIF_SECTION_UNKNOWN", f"{path}.section", f"no section {use.section!r}"))
        elif use.bar > section.bars:
            findings.append(_err("MOTIF_BAR_OUT_OF_SECTION", f"{path}.bar", f"bar {use.bar} is past the {section.bars} bars of {use.section!r}"))
        if use.part is not None and use.part not in {m.id for m in spec.ensemble}:
            findings.append(_err("MOTIF_PART_UNKNOWN", f"{path}.part", f"no ensemble member {use.part!r}"))
    if spec.motifs and not spec.motif_plan:
        findings.append(_warn("MOTIF_UNUSED", f"{prefix}.motif_plan", "motifs are defined but never placed", "place each motif in at least one section"))
    return findings


def _check_tradition(spec: CompositionSpec, prefix: str) -> list[Finding]:
    tradition = get_tradition(spec.tradition or "")
    findings = []
    for index, member in enumerate(spec.ensemble):
        if not tradition.allows_instrument(member.instrument):
            findings.append(
                _err("TRADITION_INSTRUMENT", f"{prefix}.ensemble[{index}].instrument", f"{member.instrument} is not an instrument of the {tradition.id} tradition",
                     f"use one of {', '.join(tradition.instruments)}")  # fmt: skip
            )
    keys = [(f"{prefix}.key", spec.key)] + [(f"{prefix}.sections[{i}].key", s.key) for i, s in enumerate(spec.sections) if s.key]
    for path, key in keys:
        if key.mode not in tradition.modes:
            findings.append(_err("TRADITION_MODE", f"{path}.mode", f"{key.mode.value} is not a mode of the {tradition.id} tradition",
                                 f"use one of {', '.join(m.value for m in tradition.modes)}"))  # fmt: skip
    if not tradition.allows_meter(spec.meter):
        findings.append(_err("TRADITION_METER", f"{prefix}.meter", f"{spec.meter} is not a meter of the {tradition.id} tradition",
                             f"use one of {', '.join(str(m) for m in tradition.meters)}"))  # fmt: skip
    if spec.lyrics is not None and tradition.languages and spec.lyrics.language not in tradition.languages:
        findings.append(_warn("TRADITION_LANGUAGE", f"{prefix}.lyrics.language", f"{spec.lyrics.language} is not a language of the {tradition.id} tradition",
                              f"consider one of {', '.join(tradition.languages)}"))  # fmt: skip
    return findings


# ---------------------------------------------------------------------------------------------
# The notes
def validate_score(score: Score, spec: CompositionSpec | None = None, prefix: str = "score") -> ValidationReport:
    """Note-level rules: ranges, key membership, the bar grid, and (with a spec) parts, lyrics, tradition."""
    report = ValidationReport()
    length = score.length_quarters
    bar_len = score.bar_quarters
    bar_pcs = _bar_pitch_classes(score, spec)
    for part_index, part in enumerate(score.parts):
        path = f"{prefix}.parts[{part_index}]"
        instrument = part.spec
        counts: dict[str, int] = defaultdict(int)
        sounding = outside = 0.0  # note time of the part, and of its notes outside the bar's scale
        for note_index, note in enumerate(part.notes):
            note_path = f"{path}.notes[{note_index}]"
            if note.end > length + _EPS:
                _capped(report, counts, "NOTE_BEYOND_END", _err, note_path,
                        f"note ends at quarter {note.end:g}, after the last bar (quarter {length:g})", "shorten the note or add a bar")  # fmt: skip
            if instrument.is_percussion:
                continue
            if not instrument.low <= note.pitch <= instrument.high:
                _capped(report, counts, "NOTE_OUT_OF_RANGE", _err, note_path,
                        f"pitch {note.pitch} is outside the {instrument.name} range {instrument.low}-{instrument.high}",
                        "transpose the note by an octave into range")  # fmt: skip
            bar = min(int(note.start // bar_len + _EPS), len(bar_pcs) - 1)
            sounding += note.duration
            outside += note.duration if note.pitch % 12 not in bar_pcs[bar] else 0.0
            if not note.chromatic and note.pitch % 12 not in bar_pcs[bar]:
                _capped(report, counts, "NOTE_OUT_OF_KEY", _warn, note_path,
                        f"pitch {note.pitch} (bar {bar + 1}) is outside the key and not marked chromatic",
                        "move it to a scale tone or mark it chromatic")  # fmt: skip
        if outside > _EPS:
            report.findings.append(_scale_share_finding(part.id, path, outside / sounding, score.key))
        for code, count in counts.items():
            if count > _MAX_NOTE_FINDINGS:
                severity = _warn if code == "NOTE_OUT_OF_KEY" else _err
                report.findings.append(severity(code, f"{path}.notes", f"{count - _MAX_NOTE_FINDINGS} more notes of {part.id!r} with {code}"))
    last_end = max((p.end for p in score.parts), default=0.0)
    if score.parts and last_end < length - bar_len + _EPS:
        report.findings.append(
            _warn("PIECE_ENDS_EARLY", f"{prefix}.bars", f"the music stops at quarter {last_end:g}; the last bar (from {length - bar_len:g}) is silent",
                  "end the last note in the final bar or drop the empty bars")  # fmt: skip
        )
    if spec is not None:
        report.extend(_check_score_against_spec(score, spec, prefix))
    return report


# Above this share of a part's note time outside the scale, the scale asked for is not really heard.
_SCALE_SHARE_WARNING = 0.2


def _scale_share_finding(part_id: str, path: str, share: float, key: Key) -> Finding:
    """How much of a part lies outside the key's scale: chromatic colour (a blue note in the blues)
    is reported, and warned about when it stops the scale from being heard."""
    kind = "blue notes against the blues scale" if key.mode is Mode.BLUES else "chromatic notes"
    make = _warn if share > _SCALE_SHARE_WARNING else _info
    return make("SCALE_OUTSIDE_SHARE", f"{path}.notes",
                f"{share:.0%} of {part_id!r}'s note time lies outside {key} ({kind})",
                f"keep {part_id!r} to the notes of {key}, or keep the chromatic notes short and passing")  # fmt: skip


def _capped(report: ValidationReport, counts: dict[str, int], code: str, make, path: str, message: str, fix: str) -> None:  # type: ignore[no-untyped-def]
    counts[code] += 1
    if counts[code] <= _MAX_NOTE_FINDINGS:
        report.findings.append(make(code, path, message, fix))


def _bar_pitch_classes(score: Score, spec: CompositionSpec | None) -> list[frozenset[int]]:
    """The allowed pitch classes of every bar (sections may change key)."""
    default = score.key.pitch_classes()
    pcs = [default] * max(score.bars, 1)
    if spec is not None:
        bar = 0
        for section in spec.sections:
            local = section.key.pitch_classes() if section.key else spec.key.pitch_classes()
            for offset in range(section.bars):
                if bar + offset < len(pcs):
                    pcs[bar + offset] = local
            bar += section.bars
    return pcs


def _check_score_against_spec(score: Score, spec: CompositionSpec, prefix: str) -> list[Finding]:
    findings: list[Finding] = []
    if score.bars != spec.bars:
        findings.append(_err("SCORE_BARS_MISMATCH", f"{prefix}.bars", f"the score has {score.bars} bars, the sections add up to {spec.bars}", f"make the score {spec.bars} bars long"))
    if (score.meter.numerator, score.meter.denominator) != (spec.meter.numerator, spec.meter.denominator):
        findings.append(_err("SCORE_METER_MISMATCH", f"{prefix}.meter", f"the score is in {score.meter}, the design in {spec.meter}", f"write the score in {spec.meter}"))
    if abs(score.tempo_bpm - spec.tempo.bpm) > 0.5:
        findings.append(_warn("SCORE_TEMPO_MISMATCH", f"{prefix}.tempo_bpm", f"the score runs at {score.tempo_bpm:g} BPM, the design says {spec.tempo.bpm:g}", f"use {spec.tempo.bpm:g} BPM"))
    members = {m.id: m for m in spec.ensemble}
    section_bounds = [(span.section, span.start, span.end) for span in section_spans(spec)]
    for part_index, part in enumerate(score.parts):
        path = f"{prefix}.parts[{part_index}]"
        member = members.get(part.id)
        if member is None:
            findings.append(_err("PART_NOT_IN_ENSEMBLE", f"{path}.id", f"part {part.id!r} is not an ensemble member", "add it to the ensemble or drop the part"))
            continue
        if member.instrument != part.instrument:
            findings.append(_err("PART_INSTRUMENT_MISMATCH", f"{path}.instrument", f"part {part.id!r} plays {part.instrument}, the ensemble says {member.instrument}"))
        for section, start, end in section_bounds:
            if section.parts and part.id not in section.parts and any(start <= n.start < end for n in part.notes):
                findings.append(_err("PART_NOT_IN_SECTION", path, f"part {part.id!r} plays in section {section.id!r}, which does not list it", f"add {part.id!r} to the section's parts or silence it there"))
    if spec.lyrics is not None and spec.lyrics.lines:
        findings.extend(_check_lyrics(score, spec, section_bounds, prefix))
    if spec.tradition:
        findings.extend(_check_timeline(score, spec, prefix))
    return findings


def _check_lyrics(score: Score, spec: CompositionSpec, bounds, prefix: str) -> list[Finding]:  # type: ignore[no-untyped-def]
    findings = []
    lead = score.lead()
    for section, start, end in bounds:
        syllables = spec.lyrics.syllables_for(section.id) if spec.lyrics else []
        if not syllables:
            continue
        notes = [n for n in (lead.notes if lead else []) if start <= n.start < end]
        if len(syllables) > len(notes):
            findings.append(
                _err("LYRICS_TOO_MANY_SYLLABLES", f"spec.lyrics (section {section.id})",
                     f"section {section.id!r} has {len(syllables)} syllables for {len(notes)} melody notes",
                     "shorten the line, or give the melody more notes")  # fmt: skip
            )
    return findings


def _check_timeline(score: Score, spec: CompositionSpec, prefix: str) -> list[Finding]:
    tradition = get_tradition(spec.tradition or "")
    timelines = [t for t in tradition.timelines if t.meter.bar_quarters == spec.meter.bar_quarters]
    drums = [p for p in score.parts if p.is_drum]
    if not timelines or not drums:
        return []
    bar_len = score.bar_quarters
    onsets_in_bar = {round((n.start % bar_len) * 12) for p in drums for n in p.notes}
    for timeline in timelines:
        if {round(o * 12) for o in timeline.onsets()} <= onsets_in_bar:
            return []
    names = ", ".join(t.name for t in timelines)
    return [_warn("TRADITION_TIMELINE", f"{prefix}.parts", f"no percussion part sounds a {tradition.id} timeline ({names})", "let the bell or a drum play the timeline")]


def validate_composition(composition: Composition) -> ValidationReport:
    """The whole grammar: the design, the notes, and the notes against the design."""
    report = validate_spec(composition.spec)
    report.extend(validate_score(composition.score, composition.spec).findings)
    return report
