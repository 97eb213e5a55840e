"""Grammar benchmark: validation time of a 64-bar 6-part composition, score I/O time, and rendering
speed (multiple of real time) with FluidR3_GM and with TimGM6mb, measured side by side in one run.

Targets: validation <= 50 ms; rendering >= 10x real time.

    python benchmarks/ontology.py [--repeats 20] [--bars 64]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from musicgrammar.ontologies import Composition, CompositionSpec, Note, Part, Score, validate_composition  # noqa: E402
from musicgrammar.ontologies import ChordSymbol, validate_score, validate_spec  # noqa: E402

PROGRESSION = ["C", "Am", "F", "G7", "C", "Em", "Dm7", "G7"]  # one chord per bar, 8-bar phrases


def build_piece(bars: int) -> Composition:
    """A deterministic 64-bar, 6-part piece in C major, 4/4, 112 BPM: every part in range and in key."""
    sections, ensemble = [], [
        ("lead", "flute", "lead"), ("counter", "violin", "counter_melody"), ("keys", "acoustic_grand_piano", "harmony"),
        ("harp", "orchestral_harp", "harmony"), ("bass", "acoustic_bass", "bass"), ("drums", "drum_kit", "percussion"),
    ]  # fmt: skip
    for i in range(bars // 8):
        sections.append({"id": f"s{i}", "role": "A" if i % 2 == 0 else "B", "bars": 8, "progression": PROGRESSION,
                         "cadence": "open" if i < bars // 8 - 1 else "authentic"})  # fmt: skip
    sections[-1]["progression"] = PROGRESSION[:6] + ["G7", "C"]
    spec = CompositionSpec.model_validate({
        "title": "benchmark piece", "key": {"tonic": "C"}, "meter": "4/4", "tempo": {"bpm": 112},
        "sections": sections, "ensemble": [{"id": a, "instrument": b, "role": c} for a, b, c in ensemble],
    })  # fmt: skip
    chords = [ChordSymbol.parse(c) for s in spec.sections for c in s.progression]
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79]
    parts: dict[str, list[Note]] = {p[0]: [] for p in ensemble}
    for bar, chord in enumerate(chords):
        t = bar * 4.0
        tones = sorted(p for p in range(60, 84) if p % 12 in chord.pitch_classes() and (p % 12) in {0, 2, 4, 5, 7, 9, 11})
        for beat in range(8):  # lead: eighth notes walking chord tones and scale steps
            pitch = tones[beat % len(tones)] if beat % 2 == 0 else scale[(bar + beat) % len(scale)]
            parts["lead"].append(Note(pitch=pitch, start=t + beat * 0.5, duration=0.5, velocity=88))
        for beat in range(4):  # counter: quarter notes on other chord tones
            parts["counter"].append(Note(pitch=tones[(beat + 1) % len(tones)], start=t + beat, duration=1.0, velocity=70))
        for p in chord.voiced(52)[:4]:  # keys: a whole-bar chord
            parts["keys"].append(Note(pitch=p, start=t, duration=4.0, velocity=60))
        for k, p in enumerate((chord.voiced(48) * 2)[:8]):  # harp: eighth-note arpeggio
            parts["harp"].append(Note(pitch=p + (12 if k >= 4 else 0), start=t + k * 0.5, duration=0.5, velocity=58))
        root = 36 + (chord.root_pc - 0) % 12
        parts["bass"] += [Note(pitch=root, start=t, duration=2.0, velocity=84), Note(pitch=root + 7, start=t + 2, duration=2.0, velocity=76)]
        for k in range(8):  # drums: kick/snare backbeat and eighth hats
            parts["drums"].append(Note(pitch=42, start=t + k * 0.5, duration=0.25, velocity=60))
        parts["drums"] += [Note(pitch=36, start=t, duration=0.25, velocity=100), Note(pitch=38, start=t + 1, duration=0.25, velocity=90),
                           Note(pitch=36, start=t + 2, duration=0.25, velocity=100), Note(pitch=38, start=t + 3, duration=0.25, velocity=90)]  # fmt: skip
    score = Score(title=spec.title, key=spec.key, meter=spec.meter, tempo_bpm=112, bars=bars,
                  parts=[Part(id=a, instrument=b, role=c, notes=parts[a]) for a, b, c in ensemble])  # fmt: skip
    return Composition(spec=spec, score=score)


def median_ms(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--bars", type=int, default=64)
    parser.add_argument("--render-repeats", type=int, default=2, help="renders per soundfont (median)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ontology.md")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    comp = build_piece(args.bars)
    n_notes = sum(len(p.notes) for p in comp.score.parts)
    report = validate_composition(comp)
    if not report.valid:
        raise SystemExit(f"benchmark piece is invalid: {[f.line() for f in report.errors]}")
    json_text = comp.model_dump_json()

    rows_validate = [
        ("`validate_composition(comp)` (spec + score + cross checks)", median_ms(lambda: validate_composition(comp), args.repeats)),
        ("`validate_spec(spec)`", median_ms(lambda: validate_spec(comp.spec), args.repeats)),
        ("`validate_score(score, spec)`", median_ms(lambda: validate_score(comp.score, comp.spec), args.repeats)),
        ("`Composition.model_validate_json` (parse + field validation)", median_ms(lambda: Composition.model_validate_json(json_text), args.repeats)),
    ]

    from musicgrammar.tools.io import load_midi, save_midi, save_musicxml
    from musicgrammar.tools.render import FLUIDR3, render_score, timgm_soundfont

    tmp = Path(tempfile.mkdtemp(prefix="mg-bench-"))
    midi = save_midi(comp.score, tmp / "s.mid")
    rows_io = [
        ("`save_midi`", median_ms(lambda: save_midi(comp.score, tmp / "s.mid"), max(3, args.repeats // 4))),
        ("`load_midi`", median_ms(lambda: load_midi(midi), max(3, args.repeats // 4))),
        ("`save_musicxml` (music21, makeNotation)", median_ms(lambda: save_musicxml(comp.score, tmp / "s.musicxml"), 3)),
    ]

    import pretty_midi

    from musicgrammar.tools.synth_library import import_fluidsynth

    fluidsynth = import_fluidsynth()

    rows_render = []
    for label, sf2 in (("FluidR3_GM (148 MB)", FLUIDR3), ("TimGM6mb (6 MB)", timgm_soundfont())):
        if not sf2.is_file():
            rows_render.append((label, "-", None, None, None, None))
            continue
        synth = fluidsynth.Synth(samplerate=44100.0)
        start = time.perf_counter()
        synth.sfload(str(sf2))
        load_s = time.perf_counter() - start
        synth.delete()
        for reverb in (True, False):
            results = [render_score(comp.score, tmp / "render", soundfont=sf2, sample_rate=44100, tail_s=1.5, reverb=reverb)
                       for _ in range(args.render_repeats)]  # fmt: skip
            wall = statistics.median(r.render_s for r in results)
            cpu = statistics.median(r.cpu_s for r in results)
            audio_s = results[0].duration_s
            rows_render.append((label, "reverb + chorus" if reverb else "dry", audio_s, load_s, (wall, cpu), (audio_s / wall, audio_s / cpu)))
        # The alternative the renderer replaced: pretty_midi's Instrument.fluidsynth(synthesizer=path),
        # which builds a synth and loads the soundfont for every part (stems only, no mix or WAV files).
        pm = pretty_midi.PrettyMIDI(str(midi))
        start, cpu_start = time.perf_counter(), time.process_time()
        for inst in pm.instruments:
            inst.fluidsynth(fs=44100, synthesizer=str(sf2))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        rows_render.append((label + ", pretty_midi per part", "reverb + chorus", audio_s, load_s, (wall, cpu), (audio_s / wall, audio_s / cpu)))

    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    seconds = comp.score.duration_seconds
    lines = [
        "## Ontology: validation, score I/O and rendering",
        "",
        f"Piece: {args.bars} bars of 4/4 at 112 BPM, 6 parts (flute, violin, piano, harp, bass, drum kit), {n_notes} notes, "
        f"{seconds:.1f} s of music; built deterministically by `benchmarks/ontology.py`. Machine: {platform.machine()}, "
        f"{os.cpu_count()} CPU cores (shared), Python {platform.python_version()}, one torch thread; {now}.",
        "",
        f"### Validation (median of {args.repeats} calls; target <= 50 ms)",
        "",
        "| call | median ms |",
        "|---|---:|",
        *[f"| {name} | {ms:.1f} |" for name, ms in rows_validate],
        "",
        "### Score I/O (median)",
        "",
        "| call | median ms |",
        "|---|---:|",
        *[f"| {name} | {ms:.1f} |" for name, ms in rows_io],
        "",
        f"### Rendering (6 stems + mix, 44.1 kHz, 1.5 s tail; median of {args.render_repeats}; target >= 10x real time)",
        "",
        "| soundfont | effects | audio s | soundfont load s | synth wall s | synth CPU s | x real time (wall) | x real time (CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, effects, audio_s, load_s, times, factors in rows_render:
        if audio_s is None:
            lines.append(f"| {label} | not installed | - | - | - | - | - | - |")
        else:
            lines.append(f"| {label} | {effects} | {audio_s:.1f} | {load_s:.2f} | {times[0]:.2f} | {times[1]:.2f} | {factors[0]:.1f} | {factors[1]:.1f} |")
    lines += [
        "",
        "Each stem is synthesized over the whole piece, so the work grows with parts x length: a 6-part piece",
        "renders 6 x its duration of audio. The real-time factor is the mix duration over the synthesis time",
        "(soundfont load included, WAV writing not). The machine's 2 cores were shared with other jobs during",
        "the run: the wall column is what a user waited, the CPU column what the render itself cost.",
        "The `pretty_midi per part` rows synthesize the same stems with `Instrument.fluidsynth(synthesizer=path)`",
        "(a new synth and soundfont load per part, no mix, no files): the synthesis itself dominates, so the two",
        "cost about the same; the renderer keeps one synth so that a soundfont loads once per render.",
        "",
        f"Command: `python benchmarks/ontology.py --repeats {args.repeats} --bars {args.bars} --render-repeats {args.render_repeats}`",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
