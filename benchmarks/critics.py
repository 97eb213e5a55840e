"""Benchmark the Harmony Critic's and the Aesthetics Judge's engine computations.

On a 64-bar, 6-part piece realized by the project's own composer (`tools.realize`) and rendered by
FluidSynth (`tools.render`), this measures, side by side in one run:

1. speed: `critique_harmony` and `judge_piece` (score only, and with the mix and 6 stems), median
   wall time of repeated calls on one thread (target: well under 200 ms each);
2. detection: strong-beat clashes and parallel fifths injected at known places, the share the
   critic reports at exactly those notes, and what it reports on the piece before injection;
3. discrimination: the judge's dimensions and verdict on the piece and on copies that each break
   one thing (one chord throughout, flat or inverted dynamics, jittered onsets, a random lead,
   clipped audio).

Writes benchmarks/results/critics.md. Run: `.venv/bin/python benchmarks/critics.py [--repeats 20]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread (set before numpy loads), as inside the design loop
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402


from musicgrammar.agents.aesthetics_rules import judge_piece  # noqa: E402
from musicgrammar.agents.harmony_rules import critique_harmony  # noqa: E402
from musicgrammar.ontologies import (  # noqa: E402
    Affect,
    Cadence,
    ChordSymbol,
    CompositionSpec,
    Dynamic,
    EnsembleMember,
    Key,
    Meter,
    Motif,
    MotifUse,
    Note,
    Score,
    Section,
    Tempo,
)
from musicgrammar.tools.analysis import beat_strengths, chord_index_at, chord_timeline, lead_line, outer_voices  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "critics.md"


def piece_spec() -> CompositionSpec:
    """A 64-bar ABA form with intro and coda, six players, a motif and an arousal arc."""
    prog_a = ["C", "Am", "F", "G", "C", "Am", "Dm", "G7"] * 2
    prog_a[-2:] = ["G7", "C"]
    prog_b = ["Am", "Em", "F", "C", "Dm", "Am", "E", "E7"] * 2
    prog_b[-2:] = ["Dm", "G"]
    plan = [("intro", "intro", ["C", "F", "C", "G"] * 2, Cadence.HALF, -0.4),
            ("A1", "A", prog_a, Cadence.AUTHENTIC, 0.2),
            ("B", "B", prog_b, Cadence.HALF, 0.8),
            ("A2", "A", prog_a, Cadence.AUTHENTIC, 0.3),
            ("coda", "coda", ["F", "G", "C", "C", "F", "G7", "C", "C"], Cadence.AUTHENTIC, -0.6)]  # fmt: skip
    sections = [
        Section(id=i, role=r, bars=len(p), progression=p, cadence=c, affect=Affect(arousal=a), dynamic=Dynamic.for_arousal(a))
        for i, r, p, c, a in plan
    ]
    ensemble = [("lead", "flute", "lead"), ("counter", "violin", "counter_melody"), ("keys", "acoustic_grand_piano", "harmony"),
                ("harp", "orchestral_harp", "harmony"), ("bass", "acoustic_bass", "bass"), ("drums", "drum_kit", "percussion")]  # fmt: skip
    return CompositionSpec(
        title="critics benchmark", key=Key.parse("C major"), meter=Meter.parse("4/4"), tempo=Tempo(bpm=112),
        sections=sections, ensemble=[EnsembleMember(id=i, instrument=x, role=r) for i, x, r in ensemble],
        motifs=[Motif(id="m1", steps=(0, 2, 4, 3, 1), rhythm=(1.0, 0.5, 0.5, 1.0, 1.0))],
        motif_plan=[MotifUse(motif="m1", section=s, bar=1, technique=t)
                    for s, t in (("intro", "repeat"), ("A1", "repeat"), ("B", "inversion"), ("A2", "repeat"), ("coda", "augmentation"))],
    )  # fmt: skip


def _median_ms(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm caches (chord parsing, numpy)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _with_part_notes(score: Score, index: int, notes: list[Note]) -> Score:
    parts = list(score.parts)
    parts[index] = parts[index].model_copy(update={"notes": notes})
    return score.model_copy(update={"parts": parts})


def inject_clashes(spec: CompositionSpec, score: Score, k: int, rng: np.random.Generator) -> tuple[Score, set[int]]:
    """Move k strong-beat chord-tone lead notes a semitone above their chord's root (a minor second)."""
    events = chord_timeline(spec)
    li, line = lead_line(score)
    assert li is not None
    starts = np.array([n.start for _, n in line])
    idx = chord_index_at(events, starts)
    strong = beat_strengths(spec.meter, starts) <= 1
    ok = [j for j in range(len(line)) if strong[j] and idx[j] >= 0 and line[j][1].pitch % 12 in events[idx[j]].chord.pitch_classes()]
    chosen = rng.choice(ok, size=min(k, len(ok)), replace=False)
    notes = list(score.parts[li].notes)
    injected = set()
    for j in chosen:
        ni, note = line[int(j)]
        target = (events[idx[j]].chord.root_pc + 1) % 12
        pitch = note.pitch + min(((target - note.pitch) % 12, (target - note.pitch) % 12 - 12), key=abs)
        notes[ni] = note.model_copy(update={"pitch": pitch, "chromatic": False})
        injected.add(ni)
    return _with_part_notes(score, li, notes), injected


def inject_parallels(score: Score, k: int, rng: np.random.Generator) -> tuple[Score, set[float]]:
    """Make k pairs of consecutive outer-voice onsets parallel fifths: the bass moves with the top voice,
    a fifth (plus octaves) below it, at or under its own pitch so that it stays the lowest voice."""
    ov = outer_voices(score)
    bass_i = next(i for i, p in enumerate(score.parts) if p.id == "bass")
    bass = list(score.parts[bass_i].notes)
    low_is_bass = ov.low_part == bass_i
    candidates = np.flatnonzero((np.diff(ov.high) != 0) & low_is_bass[:-1] & low_is_bass[1:] & (ov.count[:-1] >= 2) & (ov.count[1:] >= 2))
    rng.shuffle(candidates)
    arrivals: set[float] = set()
    used: set[int] = set()
    for a in candidates.tolist():
        if len(arrivals) >= k:
            break
        if used & {a - 1, a, a + 1, a + 2}:
            continue  # keep injections apart so that they do not overlap
        m = int(np.ceil((ov.high[a] - 7 - ov.low[a]) / 12))  # octaves under the fifth below the top voice
        for t in (a, a + 1):
            ni = int(ov.low_note[t])
            start, end = bass[ni].start, bass[ni].end
            onset, pitch = float(ov.onsets[t]), int(ov.high[t]) - 7 - 12 * m
            if onset > start + 1e-6:  # split the held bass note so that a new one starts at the onset
                bass[ni] = bass[ni].model_copy(update={"duration": onset - start})
                bass.append(Note(pitch=pitch, start=onset, duration=end - onset, velocity=80))
            else:
                bass[ni] = bass[ni].model_copy(update={"pitch": pitch})
            used.add(t)
        arrivals.add(float(ov.onsets[a + 1]))
    return _with_part_notes(score, bass_i, bass), arrivals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--injections", type=int, default=12)
    parser.add_argument("--no-audio", action="store_true", help="skip the FluidSynth render")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from musicgrammar.tools.realize import realize

    spec = piece_spec()
    score = realize(spec, seed=args.seed)
    notes = sum(len(p.notes) for p in score.parts)
    mix = sr = stems = None
    render_note = "not rendered (--no-audio)"
    if not args.no_audio:
        from musicgrammar.tools.render import render_parts

        t0 = time.perf_counter()
        stems, sr, sf2 = render_parts(score)
        mix = np.sum(np.stack(list(stems.values())), axis=0)
        gain = 10 ** (-1 / 20) / float(np.max(np.abs(mix)))  # as render_score: the mix peaks at -1 dBFS
        mix, stems = mix * gain, {k: v * gain for k, v in stems.items()}
        render_note = f"FluidSynth ({sf2.name}), {len(mix) / sr:.1f} s at {sr} Hz, rendered in {time.perf_counter() - t0:.1f} s"

    lines = ["## Critics (Harmony Critic and Aesthetics Judge engines)", ""]
    lines += [f"Piece: 64 bars of 4/4 at 112 BPM, 6 parts ({', '.join(p.id for p in score.parts)}), {notes} notes, "
              f"realized by `tools.realize` (seed {args.seed}); audio: {render_note}.", ""]  # fmt: skip

    # 1. speed
    from musicgrammar.tools import harmony_metrics as hm
    from musicgrammar.tools.analysis import metric_spans

    melody, spans = [n for _, n in lead_line(score)[1]], metric_spans(chord_timeline(spec))
    rows = [("critique_harmony(spec, score)", _median_ms(lambda: critique_harmony(spec, score), args.repeats)),
            ("  of which tools.harmony_metrics.harmony_metrics(lead, chords)", _median_ms(lambda: hm.harmony_metrics(melody, spans, 4.0, 1.0), args.repeats)),
            ("judge_piece(spec, score)", _median_ms(lambda: judge_piece(spec, score), args.repeats))]  # fmt: skip
    if mix is not None:
        rows.append(("judge_piece(spec, score, mix, sr, stems)", _median_ms(lambda: judge_piece(spec, score, mix, sr, stems), args.repeats)))
    lines += ["### Speed (median of %d calls, one thread; target well under 200 ms)" % args.repeats, "",
              "| call | median ms |", "|---|---:|"] + [f"| `{n}` | {ms:.1f} |" for n, ms in rows] + [""]  # fmt: skip

    # 2. detection of injected faults
    rng = np.random.default_rng(args.seed)
    base = critique_harmony(spec, score)
    base_codes = [f.code for f in base.findings]
    clashed, injected = inject_clashes(spec, score, args.injections, rng)
    c = critique_harmony(spec, clashed, max_findings=10_000)
    li = lead_line(clashed)[0]
    found = {int(f.path.split("notes[")[1].rstrip("]")) for f in c.findings if f.code == "MELODY_CHORD_CLASH" and "notes[" in f.path}
    lead_notes = clashed.parts[li].notes
    # a proposal "holds" an injected note when the chord it puts under the note contains its pitch class
    proposals_hold = 0
    for prop in c.proposals:
        first = ChordSymbol.parse(prop.proposed.split()[0].split(":")[0])
        section_start = spec.section_start_bar(prop.section) + prop.bar - 1
        in_bar = [lead_notes[i] for i in injected if int(lead_notes[i].start // spec.meter.bar_quarters) == section_start]
        proposals_hold += any(n.pitch % 12 in first.pitch_classes() for n in in_bar)
    par, arrivals = inject_parallels(score, args.injections, rng)
    p = critique_harmony(spec, par, max_findings=10_000)
    par_found = 0
    for f in p.findings:
        if f.code == "PARALLEL_FIFTHS" and "notes[" in f.path:
            pi, ni = int(f.path.split("parts[")[1].split("]")[0]), int(f.path.split("notes[")[1].rstrip("]"))
            note = par.parts[pi].notes[ni]
            par_found += any(note.start - 1e-6 <= a < note.end - 1e-6 for a in arrivals)  # the lead note sounding at the arrival
    clean_pairs = base.metrics["parallel_fifths"]
    lines += ["### Detection of injected faults", "",
              "| fault | injected | reported at the injected notes | count metric | findings on the piece before injection |",
              "|---|---:|---:|---:|---|",
              f"| strong-beat clash (lead moved a semitone above the chord root) | {len(injected)} | {len(found & injected)} | melody_chord_clashes {base.metrics['melody_chord_clashes']:.0f} -> {c.metrics['melody_chord_clashes']:.0f} | {base_codes.count('MELODY_CHORD_CLASH')} clash findings |",
              f"| parallel fifths (bass a twelfth under two consecutive lead notes) | {len(arrivals)} | {par_found} | parallel_fifths {clean_pairs:.0f} -> {p.metrics['parallel_fifths']:.0f} | {base_codes.count('PARALLEL_FIFTHS')} fifths, {base_codes.count('PARALLEL_OCTAVES')} octaves, {base_codes.count('LEADING_TONE_UNRESOLVED')} unresolved leading tones |",
              "", f"Reharmonization proposals for the clash run: {len(c.proposals)} (bars with clashes), "
              f"{proposals_hold} whose first chord holds an injected melody pitch class.", ""]  # fmt: skip

    # 3. judge discrimination
    variants: list[tuple[str, CompositionSpec, Score, object, object]] = [("as realized", spec, score, mix, stems)]
    one_chord = spec.model_copy(update={"sections": [s.model_copy(update={"progression": ["C"] * s.bars}) for s in spec.sections]})
    variants.append(("one chord throughout (C)", one_chord, realize(one_chord, seed=args.seed), None, None))
    flat = spec.model_copy(update={"sections": [s.model_copy(update={"dynamic": Dynamic.MF}) for s in spec.sections]})
    variants.append(("flat dynamics (all mf)", flat, realize(flat, seed=args.seed), None, None))
    inverted = spec.model_copy(update={"sections": [s.model_copy(update={"dynamic": Dynamic.for_arousal(-s.affect.arousal)}) for s in spec.sections]})
    variants.append(("dynamics against the arc", inverted, realize(inverted, seed=args.seed), None, None))
    jr = np.random.default_rng(1)
    jittered = score.model_copy(update={"parts": [q.model_copy(update={"notes": [n.model_copy(update={"start": max(0.0, n.start + float(jr.normal(0, 0.08)))}) for n in q.notes]}) if not q.is_drum else q for q in score.parts]})
    variants.append(("onsets jittered (sd 0.08 quarter)", spec, jittered, None, None))
    li0 = lead_line(score)[0]
    rand_lead = _with_part_notes(score, li0, [n.model_copy(update={"pitch": int(jr.integers(62, 86))}) for n in score.parts[li0].notes])
    variants.append(("random lead pitches", spec, rand_lead, None, None))
    if mix is not None:
        variants.append(("audio clipped (mix x8)", spec, score, np.clip(mix * 8, -1, 1), stems))
    dims = ["structure_clarity", "motif_recurrence", "harmonic_variety", "rhythmic_coherence", "dynamics_arc", "audio_quality"]
    lines += ["### Judge on the piece and on copies that break one thing", "",
              "| variant | " + " | ".join(dims) + " | overall | verdict | finding codes |",
              "|---|" + "---:|" * (len(dims) + 1) + "---|---|"]  # fmt: skip
    for name, sp, sc, m, st in variants:
        j = judge_piece(sp, sc, m, sr if m is not None else None, st)  # type: ignore[arg-type]
        cells = [f"{j.score(d):.2f}" if j.score(d) is not None else "-" for d in dims]
        codes = ", ".join(sorted({f.code for f in j.findings})) or "-"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {j.overall:.2f} | {j.verdict.value} | {codes} |")
    lines += ["", f"Command: `.venv/bin/python benchmarks/critics.py --repeats {args.repeats} --seed {args.seed} --injections {args.injections}"
              + (" --no-audio" if args.no_audio else "") + "`",
              f"Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Machine: {platform.machine()}, 2 CPU cores (shared), "
              f"Python {sys.version.split()[0]}, numpy {np.__version__}; 1-minute load average {os.getloadavg()[0]:.1f} at the end "
              "(other jobs were running: timings on a quiet machine are lower).", ""]  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
