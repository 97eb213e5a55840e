"""The Harmony Critic's offline analysis: melody-harmony metrics, rule findings, reharmonizations.

`critique_harmony(spec, score)` reads the spec's chords on the time line against the score's notes:

- metrics: the melodic-harmonization metrics of `tools.harmony_metrics` (CTnCTR, PCS, MCTD, CHE,
  CC, CTD, HRHE, HRC, CBS) for the lead over the progression, plus counts of the rule findings;
- PARALLEL_FIFTHS / PARALLEL_OCTAVES: consecutive onsets where the outer voices (the highest and
  lowest sounding pitches) both move the same way from one perfect fifth (octave, unison; compound
  or not) into another;
- LEADING_TONE_UNRESOLVED: a section ends V-I (or vii°-I), the lead's last note over the V is the
  leading tone, and its next note is not the tonic;
- MELODY_CHORD_CLASH: a lead note starting on a strong beat that is not a chord tone, lies a minor
  second or a tritone from a chord tone, and is not marked chromatic;
- a `Reharmonization` for every bar with clashes: the chord of the section's key (diatonic first,
  a chromatic triad only when no diatonic chord holds the melody) that contains the strong-beat
  melody notes and moves the bass by a step, third, fourth or fifth rather than a tritone.

Clashes and parallels are warnings; when they are dense (more than a quarter of the strong-beat
lead notes clash, or of the outer-voice motions are parallel, and at least two of them) they are
errors, so that the design loop has to fix them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from musicgrammar.ontologies.composition import CompositionSpec
from musicgrammar.ontologies.critique import HarmonyCritique, Reharmonization
from musicgrammar.ontologies.harmony import ChordQuality, ChordSymbol, diatonic_chords
from musicgrammar.ontologies.score import Note, Score
from musicgrammar.ontologies.theory import Key, pitch_name
from musicgrammar.ontologies.validation import Finding, Severity
from musicgrammar.tools import harmony_metrics as hm
from musicgrammar.tools.analysis import (
    ChordEvent,
    chord_index_at,
    chord_timeline,
    lead_line,
    metric_spans,
    outer_voices,
    section_spans,
    strong_beat_mask,
)

__all__ = ["critique_harmony", "diatonic_chords", "DENSE_RATIO", "MAX_FINDINGS_PER_CODE"]

DENSE_RATIO = 0.25  # above this share (and with at least two cases) clashes / parallels become errors
MAX_FINDINGS_PER_CODE = 8  # further cases of one code are summed up in one finding
_CLASH_INTERVALS = (1, 6, 11)  # minor second (either way) and tritone


@dataclass(frozen=True)
class _Clash:
    note_index: int  # index into the lead part's notes
    note: Note
    event: int  # index of the chord event
    against: int  # the chord pitch class it clashes with


# ---------------------------------------------------------------------------------------------
# Entry point
def critique_harmony(
    spec: CompositionSpec,
    score: Score,
    *,
    harmonizer: Literal["ff", "rules"] | None = None,
    seed: int = 0,
    max_findings: int = MAX_FINDINGS_PER_CODE,
) -> HarmonyCritique:
    """Metrics, rule findings and reharmonization proposals for a realized spec.

    With `harmonizer` ('ff': the trained model, 'rules': its baseline), `tools.harmonizer` adds a
    proposal per clashing bar with source 'harmonizer' (seeded by `seed`); missing weights give an
    info finding instead. At most `max_findings` findings of one code name single notes; the rest
    are summed up in one finding (the metrics count them all).
    """
    events = chord_timeline(spec)
    lead_index, line = lead_line(score)
    melody = [note for _, note in line]
    metrics = hm.harmony_metrics(melody, metric_spans(events), meter=spec.meter)
    metrics = {k: float(v) for k, v in metrics.items() if not math.isnan(v)}  # undefined metrics are left out

    findings: list[Finding] = []
    clashes, strong_total = _find_clashes(spec, line, events)
    clash_ratio = len(clashes) / strong_total if strong_total else 0.0
    metrics["melody_chord_clashes"] = float(len(clashes))
    metrics["strong_beat_clash_ratio"] = clash_ratio
    proposals = _propose(spec, line, events, clashes)
    findings += _clash_findings(spec, clashes, events, lead_index, clash_ratio, proposals, max_findings)

    par_findings, n_fifths, n_octaves = _parallel_findings(spec, score, events, max_findings)
    findings += par_findings
    metrics["parallel_fifths"], metrics["parallel_octaves"] = float(n_fifths), float(n_octaves)

    lt_findings = _leading_tone_findings(spec, line, events, lead_index)
    findings += lt_findings
    metrics["leading_tone_unresolved"] = float(len(lt_findings))

    four_part = _four_part_findings(spec, score)
    if four_part is not None:
        findings += four_part[0]
        metrics.update(four_part[1])

    if harmonizer is not None and clashes:
        extra, note = _harmonizer_proposals(spec, score, lead_index, events, clashes, harmonizer, seed)
        proposals += extra
        if note is not None:
            findings.append(note)
    return HarmonyCritique(metrics=metrics, findings=findings, proposals=proposals)


# ---------------------------------------------------------------------------------------------
# Four-part writing (an SATB ensemble): every rule of tools.four_part, one finding per rule
def _four_part_findings(spec: CompositionSpec, score: Score) -> tuple[list[Finding], dict[str, float]] | None:
    from musicgrammar.tools.four_part import FOUR_PART_CODES, VOICES, check_four_parts

    index = {p.instrument: i for i, p in enumerate(score.parts)}
    if not all(v in index for v in VOICES):
        return None
    breaches = check_four_parts([score.parts[index[v]].notes for v in VOICES], spec.key, spec.meter)
    metrics = {f"four_part_{code.lower()}": float(sum(b.code == code for b in breaches)) for code in FOUR_PART_CODES}
    findings = []
    for code in FOUR_PART_CODES:
        hits = [b for b in breaches if b.code == code]
        if hits:
            bars = ", ".join(str(b) for b in sorted({h.bar for h in hits})[:12])
            findings.append(Finding(code=f"FOUR_PART_{code}", severity=Severity.INFO, path=f"score.parts[{index[VOICES[0]]}]",
                                    message=f"{len(hits)} x {code.lower().replace('_', ' ')} in the four voices (bars {bars}); first: {hits[0].message}"))  # fmt: skip
    return findings, metrics


# ---------------------------------------------------------------------------------------------
# Melody-chord clashes on strong beats
def _pc_masks(events: list[ChordEvent]) -> np.ndarray:
    """(E, 12) bool: which pitch classes each chord event holds."""
    masks = np.zeros((len(events), 12), dtype=bool)
    for i, e in enumerate(events):
        masks[i, list(e.pcs)] = True
    return masks


def _find_clashes(spec: CompositionSpec, line: list[tuple[int, Note]], events: list[ChordEvent]) -> tuple[list[_Clash], int]:
    """The clashing strong-beat lead notes, and how many strong-beat lead notes sound over a chord."""
    if not line or not events:
        return [], 0
    starts = np.array([n.start for _, n in line])
    pcs = np.array([n.pitch % 12 for _, n in line])
    strong = strong_beat_mask(spec.meter, starts)
    idx = chord_index_at(events, starts)
    considered = strong & (idx >= 0)
    masks = _pc_masks(events)[np.clip(idx, 0, None)]  # (N, 12) chord of each note
    rows = np.arange(len(line))
    member = masks[rows, pcs]
    # which clash interval each note makes against a chord tone, first match wins: (N, 3)
    against = np.stack([masks[rows, (pcs - k) % 12] for k in _CLASH_INTERVALS], axis=1)
    chromatic = np.array([n.chromatic for _, n in line])
    hit = considered & ~member & against.any(axis=1) & ~chromatic
    clashes = []
    for i in np.flatnonzero(hit):
        k = _CLASH_INTERVALS[int(np.argmax(against[i]))]
        clashes.append(_Clash(line[i][0], line[i][1], int(idx[i]), int((pcs[i] - k) % 12)))
    return clashes, int(considered.sum())


def _where(spec: CompositionSpec, t: float) -> str:
    bar_q = spec.meter.bar_quarters
    bar = int(t // bar_q + 1e-9)
    offset = t - bar * bar_q
    beat = next((i + 1 for i, o in enumerate(spec.meter.beat_onsets) if abs(o - offset) < 1e-6), None)
    section = next((s for s in section_spans(spec) if s.contains(t)), None)
    place = f"bar {bar + 1}" + (f" beat {beat}" if beat else f" (+{offset:g} q)")
    if section is not None:
        place += f" ({section.section.id} bar {bar - section.start_bar + 1})"
    return place


def _clash_findings(
    spec: CompositionSpec,
    clashes: list[_Clash],
    events: list[ChordEvent],
    lead_index: int | None,
    ratio: float,
    proposals: list[Reharmonization],
    cap: int,
) -> list[Finding]:
    dense = ratio > DENSE_RATIO and len(clashes) >= 2
    severity = Severity.ERROR if dense else Severity.WARNING
    by_bar = {(p.section, p.bar): p for p in proposals}
    findings = []
    for c in clashes[:cap]:
        e = events[c.event]
        key = e.key
        interval = "tritone" if (c.note.pitch - c.against) % 12 == 6 else "minor second"
        tones = " ".join(e.chord.tone_names())
        nearest = min(e.pcs, key=lambda pc: min((pc - c.note.pitch) % 12, (c.note.pitch - pc) % 12))
        proposal = by_bar.get((spec.sections[e.section_index].id, e.bar_in_section + 1))
        fix = f"move the note to a chord tone ({key.spell(nearest)} is nearest)"
        if proposal is not None:
            fix = f"reharmonize the bar as '{proposal.proposed}', or {fix}"
        findings.append(Finding(
            code="MELODY_CHORD_CLASH", severity=severity, path=f"score.parts[{lead_index}].notes[{c.note_index}]",
            message=(f"lead {pitch_name(c.note.pitch, key.prefers_flats)} at {_where(spec, c.note.start)} is a {interval} "
                     f"against {key.spell(c.against)} of {e.chord} ({tones}) and not a chord tone"),
            fix=fix + ", or mark it chromatic if the colour is meant",
        ))  # fmt: skip
    if len(clashes) > cap:
        findings.append(Finding(code="MELODY_CHORD_CLASH", severity=severity, path=f"score.parts[{lead_index}].notes",
                                message=f"{len(clashes) - cap} more strong-beat clashes ({ratio:.0%} of strong-beat lead notes clash)",
                                fix="apply the proposed reharmonizations, or target chord tones on strong beats"))  # fmt: skip
    return findings


# ---------------------------------------------------------------------------------------------
# Reharmonization proposals
def _chromatic_chords(key: Key) -> list[ChordSymbol]:
    """Major, minor and dominant-seventh chords on all twelve roots (secondary and borrowed chords)."""
    qualities = (ChordQuality.MAJOR, ChordQuality.MINOR, ChordQuality.DOMINANT7)
    return [ChordSymbol(root=key.spell(r), quality=q) for r in range(12) for q in qualities]


def _bass_motion_score(a: int | None, b: int) -> float:
    """How good a bass move between pitch classes is: fourths/fifths best, a tritone worst."""
    if a is None:
        return 0.0
    step = min((b - a) % 12, (a - b) % 12)
    return {0: -0.2, 1: 0.3, 2: 0.3, 3: 0.2, 4: 0.2, 5: 0.5, 6: -1.0}[step]


def _score_candidate(chord: ChordSymbol, notes: list[tuple[Note, bool]], prev_bass: int | None, next_bass: int | None, key: Key) -> float:
    """Fit of a chord to a bar's melody (strong-beat chord tones, few clashes) and to its bass neighbours."""
    pcs = chord.pitch_classes()
    total = sum(n.duration for n, _ in notes) or 1.0
    score = sum(n.duration for n, _ in notes if n.pitch % 12 in pcs) / total
    for note, strong in notes:
        if not strong:
            continue
        pc = note.pitch % 12
        if pc in pcs:
            score += 2.0
        elif any((pc - t) % 12 in _CLASH_INTERVALS for t in pcs):
            score -= 1.5
    score += _bass_motion_score(prev_bass, chord.bass_pc) + _bass_motion_score(next_bass, chord.bass_pc)
    if (chord.root_pc - key.tonic_pc) % 12 in (0, 5, 7):
        score += 0.2  # primary chords keep the key clear
    if len(chord.quality.intervals) == 3:
        score += 0.1  # prefer the plainer chord when both fit
    return score


def _propose(spec: CompositionSpec, line: list[tuple[int, Note]], events: list[ChordEvent], clashes: list[_Clash]) -> list[Reharmonization]:
    """One proposal per bar with clashes: each clashing chord of the bar replaced by the best fitting chord."""
    if not clashes:
        return []
    starts = np.array([n.start for _, n in line])
    strong = strong_beat_mask(spec.meter, starts)
    owner = chord_index_at(events, starts)
    notes_of: dict[int, list[tuple[Note, bool]]] = defaultdict(list)
    for (_, note), s, o in zip(line, strong, owner):
        if o >= 0:
            notes_of[int(o)].append((note, bool(s)))
    protected = _cadence_events(spec, events)
    clashing_events = sorted({c.event for c in clashes})
    by_bar: dict[tuple[int, int], list[int]] = defaultdict(list)
    for ei in clashing_events:
        by_bar[(events[ei].section_index, events[ei].bar_in_section)].append(ei)
    proposals = []
    for (si, bar), eis in sorted(by_bar.items()):
        section = spec.sections[si]
        tokens = section.progression[bar].replace("|", " ").split()
        reasons = []
        for ei in eis:
            e = events[ei]
            need = {c.note.pitch % 12 for c in clashes if c.event == ei}
            prev_bass = events[ei - 1].chord.bass_pc if ei > 0 else None
            next_bass = events[ei + 1].chord.bass_pc if ei + 1 < len(events) else None
            best, kind = None, "diatonic"
            pools = [(diatonic_chords(e.key), "diatonic"), (_chromatic_chords(e.key), "chromatic")]
            if ei in protected:  # a cadence chord keeps its root, so the cadence the section declares still holds
                pools = [(_colourings(e.chord, e.key), "same root, keeps the cadence")]
            for pool, label in pools:
                fitting = [c for c in pool if need <= c.pitch_classes() and c.pitch_classes() != e.pcs]
                if fitting:
                    best = max(fitting, key=lambda c: _score_candidate(c, notes_of[ei], prev_bass, next_bass, e.key))
                    kind = label
                    break
            if best is None or e.span_index >= len(tokens):
                continue
            _, sep, beats = tokens[e.span_index].partition(":")
            tokens[e.span_index] = best.symbol + (f":{beats}" if sep else "")
            held = ", ".join(e.key.spell(pc) for pc in sorted(need))
            move = f"; bass {e.key.spell(prev_bass)} to {e.key.spell(best.bass_pc)}" if prev_bass is not None else ""
            reasons.append(f"{best} ({kind} in {e.key}) holds the strong-beat melody note {held} that clashes with {e.chord}{move}")
        proposed = " ".join(tokens)
        if reasons and proposed != section.progression[bar]:
            proposals.append(Reharmonization(section=section.id, bar=bar + 1, current=section.progression[bar],
                                             proposed=proposed, reason="; ".join(reasons), source="rules"))  # fmt: skip
    return proposals


def _colourings(chord: ChordSymbol, key: Key) -> list[ChordSymbol]:
    """Chords on the same root that keep its root and third (added sixths, sevenths, ninths) or suspend the third."""
    root = chord.root_pc
    core = {root} | {(root + i) % 12 for i in (3, 4) if (root + i) % 12 in chord.pitch_classes()}
    suspensions = (ChordQuality.SUS2, ChordQuality.SUS4, ChordQuality.SEVEN_SUS4)
    out = []
    for q in ChordQuality:
        candidate = ChordSymbol(root=chord.root, quality=q)
        if core <= candidate.pitch_classes() or q in suspensions:
            out.append(candidate)
    return out


def _cadence_events(spec: CompositionSpec, events: list[ChordEvent]) -> set[int]:
    """Indices of the last two chords of every section that declares a cadence (and of the last section)."""
    last_of: dict[int, list[int]] = defaultdict(list)
    for i, e in enumerate(events):
        last_of[e.section_index].append(i)
    out: set[int] = set()
    for si, idx in last_of.items():
        if spec.sections[si].cadence.value != "open" or si == len(spec.sections) - 1:
            out.update(idx[-2:])
    return out


def _harmonizer_proposals(
    spec: CompositionSpec, score: Score, lead_index: int | None, events: list[ChordEvent], clashes: list[_Clash],
    method: str, seed: int,
) -> tuple[list[Reharmonization], Finding | None]:
    """The trained harmonizer's chords for each bar with clashes (source 'harmonizer')."""
    from musicgrammar.errors import ModelError
    from musicgrammar.tools.harmonizer import harmonize_melody

    if lead_index is None:
        return [], None
    lead_only = score.model_copy(update={"parts": [score.parts[lead_index]]})
    try:
        result = harmonize_melody(lead_only, seed=seed, method=method)  # type: ignore[arg-type]
    except ModelError as exc:
        return [], Finding(code="HARMONIZER_UNAVAILABLE", severity=Severity.INFO, path="score",
                           message=f"no harmonizer proposals: {exc}", fix="install the harmonizer weights")  # fmt: skip
    bar_q = spec.meter.bar_quarters
    knots_b = np.arange(len(spec.meter.beats) + 1, dtype=np.float64)
    knots_q = np.concatenate([[0.0], np.cumsum(spec.meter.beats)])
    proposals = []
    seen: set[tuple[int, int]] = set()
    for c in clashes:
        e = events[c.event]
        if (e.section_index, e.bar_in_section) in seen:
            continue
        seen.add((e.section_index, e.bar_in_section))
        bar_start = int(e.onset // bar_q + 1e-9) * bar_q
        chords = [h for h in result.chords if bar_start - 1e-6 <= h.onset < bar_start + bar_q - 1e-6]
        if not chords:
            continue
        # lengths in felt beats of the meter, the unit a progression's 'G7:2' counts in
        edges = [h.onset - bar_start for h in chords] + [min(chords[-1].onset + chords[-1].duration - bar_start, bar_q)]
        beats = np.diff(np.interp(edges, knots_q, knots_b))
        equal = np.allclose(beats, beats[0]) and abs(beats.sum() - len(spec.meter.beats)) < 1e-6
        proposed = " ".join(h.symbol if equal else f"{h.symbol}:{b:g}" for h, b in zip(chords, np.round(beats, 3)))
        section = spec.sections[e.section_index]
        if proposed == section.progression[e.bar_in_section]:
            continue
        clashing = [k for k in clashes if (events[k.event].section_index, events[k.event].bar_in_section) == (e.section_index, e.bar_in_section)]
        held = sum(1 for k in clashing for h in chords
                   if h.onset - 1e-6 <= k.note.start < h.onset + h.duration - 1e-6 and k.note.pitch % 12 in h.chord.pitch_classes())  # fmt: skip
        proposals.append(Reharmonization(
            section=section.id, bar=e.bar_in_section + 1, current=section.progression[e.bar_in_section], proposed=proposed,
            reason=f"the {result.method} harmonizer's chords for the bar's melody; {held} of {len(clashing)} clashing notes become chord tones",
            source="harmonizer",
        ))  # fmt: skip
    return proposals, None


# ---------------------------------------------------------------------------------------------
# Parallel fifths and octaves between the outer voices
def _parallel_findings(spec: CompositionSpec, score: Score, events: list[ChordEvent], cap: int) -> tuple[list[Finding], int, int]:
    ov = outer_voices(score)
    if ov.onsets.shape[0] < 2:
        return [], 0, 0
    two = (ov.count >= 2) & (ov.high != ov.low)  # a real pair of voices at this onset
    dh, dl = np.diff(ov.high), np.diff(ov.low)
    ic = (ov.high - ov.low) % 12
    moving = two[:-1] & two[1:] & (dh != 0) & (dl != 0)  # both voices move into onset k+1
    similar = moving & (np.sign(dh) == np.sign(dl))
    parallel = similar & (ic[:-1] == ic[1:]) & np.isin(ic[1:], (0, 7))
    hits = np.flatnonzero(parallel) + 1  # index of the arrival onset
    n_moves = int(moving.sum())
    fifths = [int(k) for k in hits if ic[k] == 7]
    octaves = [int(k) for k in hits if ic[k] == 0]
    findings: list[Finding] = []
    key = spec.key
    for code, ks, name in (("PARALLEL_FIFTHS", fifths, "fifths"), ("PARALLEL_OCTAVES", octaves, "octaves")):
        dense = n_moves and len(ks) / n_moves > DENSE_RATIO and len(ks) >= 2
        severity = Severity.ERROR if dense else Severity.WARNING
        for k in ks[:cap]:
            hp, lp = score.parts[int(ov.high_part[k])].id, score.parts[int(ov.low_part[k])].id
            pn = lambda p: pitch_name(int(p), key.prefers_flats)  # noqa: E731
            alt = _contrary_bass(ov, k, events)
            fix = (f"let the lower voice ({lp}) move to {pn(alt)} instead (contrary motion)" if alt is not None
                   else f"move the lower voice ({lp}) in contrary motion, or give the upper voice ({hp}) a third or sixth above the bass")  # fmt: skip
            findings.append(Finding(
                code=code, severity=severity, path=f"score.parts[{int(ov.high_part[k])}].notes[{int(ov.high_note[k])}]",
                message=(f"parallel {name} between the outer voices: {pn(ov.high[k - 1])}/{pn(ov.low[k - 1])} -> "
                         f"{pn(ov.high[k])}/{pn(ov.low[k])} at {_where(spec, float(ov.onsets[k]))} ({hp} over {lp})"),
                fix=fix,
            ))  # fmt: skip
        if len(ks) > cap:
            findings.append(Finding(code=code, severity=severity, path="score.parts",
                                    message=f"{len(ks) - cap} more parallel {name} ({len(ks)} of {n_moves} outer-voice motions)",
                                    fix="vary the bass line: contrary motion against the melody, inversions of the chords"))  # fmt: skip
    return findings, len(fifths), len(octaves)


def _contrary_bass(ov: Any, k: int, events: list[ChordEvent]) -> int | None:
    """A chord tone for the lower voice that moves against the upper voice and makes no perfect fifth or octave."""
    idx = int(chord_index_at(events, np.array([ov.onsets[k]]))[0])
    if idx < 0:
        return None
    pcs = events[idx].pcs
    prev, up = int(ov.low[k - 1]), int(ov.high[k] - ov.high[k - 1]) > 0
    options = [p for p in range(prev - 7, prev + 8) if p % 12 in pcs and p != prev and (p < prev) == up
               and (int(ov.high[k]) - p) % 12 not in (0, 7) and p < int(ov.high[k])]  # fmt: skip
    return min(options, key=lambda p: abs(p - prev)) if options else None


# ---------------------------------------------------------------------------------------------
# The leading tone at authentic cadences
def _leading_tone_findings(spec: CompositionSpec, line: list[tuple[int, Note]], events: list[ChordEvent], lead_index: int | None) -> list[Finding]:
    findings: list[Finding] = []
    if not line:
        return findings
    starts = np.array([n.start for _, n in line])
    for span in section_spans(spec):
        own = [e for e in events if e.section_index == span.index]
        if len(own) < 2:
            continue
        v, i = own[-2], own[-1]
        key = i.key
        tonic, lt = key.tonic_pc, (key.tonic_pc + 11) % 12
        degree = (v.chord.root_pc - tonic) % 12
        if (i.chord.root_pc - tonic) % 12 != 0 or degree not in (7, 11) or lt not in v.pcs:
            continue  # not an authentic cadence with a leading tone in the dominant
        over_v = np.flatnonzero((starts >= v.onset - 1e-6) & (starts < v.end - 1e-6))
        if over_v.size == 0:
            continue
        j = int(over_v[-1])
        note_index, note = line[j]
        if note.pitch % 12 != lt:
            continue
        nxt = line[j + 1][1] if j + 1 < len(line) else None
        if nxt is not None and nxt.pitch % 12 == tonic:
            continue
        went = f"goes to {pitch_name(nxt.pitch, key.prefers_flats)}" if nxt is not None else "is the melody's last note"
        findings.append(Finding(
            code="LEADING_TONE_UNRESOLVED", severity=Severity.WARNING, path=f"score.parts[{lead_index}].notes[{note_index}]",
            message=(f"at the {v.chord} {i.chord} cadence ending section {span.section.id!r}, the leading tone "
                     f"{pitch_name(note.pitch, key.prefers_flats)} over {v.chord} {went}, not the tonic {key.spell(tonic)}"),
            fix=f"let {pitch_name(note.pitch, key.prefers_flats)} rise to {pitch_name(note.pitch + 1, key.prefers_flats)} on {i.chord} ({i.path})",
        ))  # fmt: skip
    return findings
