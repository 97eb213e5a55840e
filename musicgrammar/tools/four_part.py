"""Four-part (SATB) homophonic writing and the voice-leading rules that judge it.

`voice_four_parts` sets alto, tenor and bass under a soprano, one chord per felt beat, choosing
for every beat the voicing (from all chord-tone combinations in the voices' ranges) that moves the
voices least while keeping the rules: no crossing, upper voices within an octave of each other,
the chord complete (root and third), the leading tone not doubled, no parallel fifths or octaves
with the previous beat, and a leading tone over the dominant rising to the tonic.

`check_four_parts` reads any four voices (generated, or a Bach chorale from the music21 corpus)
under the same rules and reports each breach with its bar, so the two can be compared bar by bar.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from musicgrammar.ontologies import ChordEvent, Key, Meter, Note, chord_at, get_instrument

__all__ = ["VOICES", "VoiceFinding", "voice_four_parts", "check_four_parts", "FOUR_PART_CODES"]

VOICES = ("soprano", "alto", "tenor", "bass_voice")  # instrument ids, top down
FOUR_PART_CODES = ("PARALLEL_FIFTHS", "PARALLEL_OCTAVES", "VOICE_CROSSING", "SPACING", "VOICE_RANGE", "LEADING_TONE_UNRESOLVED")
_EPS = 1e-6


@dataclass(frozen=True)
class VoiceFinding:
    """One breach of a four-part rule: its code, the bar (1-based), the voices and what happened."""

    code: str
    bar: int
    voices: tuple[str, ...]
    message: str


def _ranges() -> list[tuple[int, int]]:
    return [(get_instrument(v).low, get_instrument(v).high) for v in VOICES]


def _leading_tone(key: Key) -> int:
    return (key.tonic_pc + 11) % 12


def _motion_breaches(prev: Sequence[int], cur: Sequence[int]) -> list[tuple[str, int, int]]:
    """Parallel fifths and octaves between any two voices moving from `prev` to `cur` (top down)."""
    out = []
    for i, j in itertools.combinations(range(4), 2):
        before, after = (prev[i] - prev[j]) % 12, (cur[i] - cur[j]) % 12
        moved = prev[i] != cur[i] and prev[j] != cur[j]
        same_way = (cur[i] - prev[i]) * (cur[j] - prev[j]) > 0
        if moved and same_way and before == after and before in (0, 7):
            out.append(("PARALLEL_OCTAVES" if before == 0 else "PARALLEL_FIFTHS", i, j))
    return out


def _is_dominant(bass_pc: int, key: Key) -> bool:
    return (bass_pc - key.tonic_pc) % 12 in (7, 11)


def voice_four_parts(soprano: Sequence[Note], events: Sequence[ChordEvent], meter: Meter, key: Key, length: float) -> list[list[Note]]:
    """Alto, tenor and bass notes (three lists) under the soprano, one voicing per felt beat."""
    ranges = _ranges()
    onsets = [bar * meter.bar_quarters + o for bar in range(int(round(length / meter.bar_quarters))) for o in meter.beat_onsets]
    onsets = sorted({round(t, 6) for t in onsets} | {round(e.onset, 6) for e in events})
    lower: list[list[Note]] = [[], [], []]
    previous: tuple[int, ...] | None = None
    for k, t in enumerate(onsets):
        end = onsets[k + 1] if k + 1 < len(onsets) else length
        top = next((n.pitch for n in soprano if n.start - _EPS <= t < n.end - _EPS), None)
        if top is None or end - t <= _EPS:
            previous = None  # a rest in the soprano: the lower voices rest too, the next chord starts afresh
            continue
        event = chord_at(events, t)
        voicing = _best_voicing(top, event, key, ranges, previous)
        for v in range(3):
            lower[v].append(Note(pitch=voicing[v + 1], start=t, duration=end - t))
        previous = voicing
    return [_tie_repeats(notes) for notes in lower]


def _best_voicing(top: int, event: ChordEvent, key: Key, ranges: list[tuple[int, int]], previous: tuple[int, ...] | None) -> tuple[int, ...]:
    pcs = event.pcs
    root, bass_pc = event.chord.root_pc, event.chord.bass_pc
    third = next(((root + i) % 12 for i in event.chord.quality.intervals if i in (3, 4)), None)
    fifth = (root + 7) % 12
    leading = _leading_tone(key)
    basses = [p for p in range(ranges[3][0], ranges[3][1] + 1) if p % 12 == bass_pc]
    altos = [p for p in range(ranges[1][0], ranges[1][1] + 1) if p % 12 in pcs]
    tenors = [p for p in range(ranges[2][0], ranges[2][1] + 1) if p % 12 in pcs]
    best, best_cost = None, float("inf")
    for alto in altos:
        if not (top - 12 <= alto <= top):
            continue
        for tenor in tenors:
            if not (alto - 12 <= tenor <= alto):
                continue
            for bass in basses:
                if not (tenor - 19 <= bass < tenor):
                    continue
                voicing = (top, alto, tenor, bass)
                cost = _cost(voicing, previous, pcs, root, third, fifth, leading, key)
                if cost < best_cost:
                    best, best_cost = voicing, cost
    if best is None:  # nothing fits the rules: the chord in close position under the soprano
        close = [p for p in range(top - 1, top - 25, -1) if p % 12 in pcs][:2]
        bass = max((p for p in basses if p < min(close, default=top)), default=basses[0] if basses else top - 24)
        best = (top, *(close + [top - 5] * (2 - len(close))), bass)
    return best


def _cost(voicing: tuple[int, ...], previous: tuple[int, ...] | None, pcs: frozenset[int], root: int, third: int | None,
          fifth: int, leading: int, key: Key) -> float:  # fmt: skip
    sounding = [p % 12 for p in voicing]
    cost = 0.0
    if root not in sounding:
        cost += 20
    if third is not None and third not in sounding:
        cost += 12
    if fifth in pcs and fifth not in sounding:
        cost += 2
    if sounding.count(leading) > 1 and leading in pcs:
        cost += 15  # a doubled leading tone has two voices that must rise to the same tonic
    if third is not None and sounding.count(third) > 1:
        cost += 2  # doubling the root is the habit; the third only when the line asks for it
    if previous is not None:
        cost += sum(abs(a - b) for a, b in zip(voicing[1:3], previous[1:3])) + 0.5 * abs(voicing[3] - previous[3])
        cost += 30 * len(_motion_breaches(previous, voicing))
        for v in range(1, 4):  # the leading tone over a dominant rises to the tonic
            if previous[v] % 12 == leading and _is_dominant(previous[3] % 12, key) and voicing[3] % 12 == key.tonic_pc:
                step = voicing[v] - previous[v]  # as `check_four_parts` reads it: up a semitone, or an inner voice down a third
                cost += 0 if step == 1 or (v in (1, 2) and step in (-3, -4)) else 25
    return cost


def _tie_repeats(notes: list[Note]) -> list[Note]:
    """Join a voice's repeated pitch across beats into one held note (how a chorale part is sung)."""
    out: list[Note] = []
    for note in notes:
        if out and out[-1].pitch == note.pitch and abs(out[-1].end - note.start) < _EPS:
            out[-1] = out[-1].model_copy(update={"duration": out[-1].duration + note.duration})
        else:
            out.append(note)
    return out


def check_four_parts(voices: Sequence[Sequence[Note]], key: Key, meter: Meter) -> list[VoiceFinding]:
    """Every breach of the four-part rules in four voices (soprano, alto, tenor, bass), by bar.

    The voices are sampled at every onset of any voice; a voice that rests there is skipped for
    that onset's rules. Parallel fifths and octaves: two voices moving the same way from one
    perfect fifth (or octave/unison) to the next. Crossing: a lower voice above a higher one.
    Spacing: more than an octave between soprano and alto or alto and tenor. Range: outside the
    voice's range. Leading tone: a leading tone over a dominant bass (V or vii) that does not rise
    to the tonic when the bass arrives on the tonic (inner voices may fall a third to the fifth).
    """
    names = ("soprano", "alto", "tenor", "bass")
    ranges = _ranges()
    onsets = sorted({round(n.start, 6) for voice in voices for n in voice})
    leading = _leading_tone(key)

    def at(v: int, t: float) -> int | None:
        return next((n.pitch for n in voices[v] if n.start - _EPS <= t < n.end - _EPS), None)

    findings: list[VoiceFinding] = []
    previous: list[int | None] = [None] * 4
    for t in onsets:
        bar = int(t // meter.bar_quarters + _EPS) + 1
        current = [at(v, t) for v in range(4)]
        for v in range(3):
            if current[v] is not None and current[v + 1] is not None and current[v + 1] > current[v]:
                findings.append(VoiceFinding("VOICE_CROSSING", bar, (names[v], names[v + 1]), f"{names[v + 1]} {current[v + 1]} above {names[v]} {current[v]}"))
        for v in range(2):
            if current[v] is not None and current[v + 1] is not None and current[v] - current[v + 1] > 12:
                findings.append(VoiceFinding("SPACING", bar, (names[v], names[v + 1]), f"{current[v] - current[v + 1]} semitones between {names[v]} and {names[v + 1]}"))
        for v in range(4):
            if current[v] is not None and not ranges[v][0] <= current[v] <= ranges[v][1]:
                findings.append(VoiceFinding("VOICE_RANGE", bar, (names[v],), f"{names[v]} {current[v]} outside {ranges[v][0]}-{ranges[v][1]}"))
        if all(p is not None for p in previous) and all(p is not None for p in current):
            prev4, cur4 = [int(p) for p in previous if p is not None], [int(p) for p in current if p is not None]
            for code, i, j in _motion_breaches(prev4, cur4):
                findings.append(VoiceFinding(code, bar, (names[i], names[j]), f"{names[i]}/{names[j]} {prev4[i]}/{prev4[j]} -> {cur4[i]}/{cur4[j]}"))
            if _is_dominant(prev4[3] % 12, key) and cur4[3] % 12 == key.tonic_pc and prev4[3] != cur4[3]:
                for v in range(3):
                    step = cur4[v] - prev4[v]
                    if prev4[v] % 12 == leading and step != 1 and not (v in (1, 2) and step in (-3, -4)):
                        findings.append(VoiceFinding("LEADING_TONE_UNRESOLVED", bar, (names[v],), f"{names[v]} leading tone {prev4[v]} goes to {cur4[v]}, not the tonic"))
        previous = current
    return findings
