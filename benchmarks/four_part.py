"""A generated four-part chorale and a real Bach chorale under the same voice-leading rules.

The generated chorale is the engine's answer to "a four-voice chorale in the style of Bach"
(`--seed`), realized melody first (the trained harmonizer chooses the chords under the soprano); the real one is a Bach chorale from the music21 corpus (`--bwv`, default bwv66.6),
its four parts read as notes. `tools.four_part.check_four_parts` judges both: parallel fifths and
octaves, crossing, spacing, ranges and the leading tone over a dominant bass. Prints (and writes to
benchmarks/results/four_part.md) the findings per bar side by side and the totals per rule.

    .venv/bin/python benchmarks/four_part.py [--seed 1] [--bwv bwv66.6] [--bars 12]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from musicgrammar.agents.planning import PlanningContext, plan_composition
from musicgrammar.agents.weaving import weave_brief
from musicgrammar.ontologies import Key, Meter, Note
from musicgrammar.tools.four_part import FOUR_PART_CODES, VOICES, VoiceFinding, check_four_parts
from musicgrammar.tools.realize import realize_design

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "a four-voice chorale in the style of Bach"


def generated(seed: int) -> tuple[list[list[Note]], Key, Meter, int]:
    spec = plan_composition(weave_brief(PROMPT), PlanningContext(seed=seed))
    spec, score = realize_design(spec, seed=seed)  # melody first: the harmonizer's chords under the soprano
    by_instrument = {p.instrument: p.notes for p in score.parts}
    return [by_instrument[v] for v in VOICES], spec.key, spec.meter, spec.bars


def bach(bwv: str) -> tuple[list[list[Note]], Key, Meter, int]:
    """The four parts of a corpus chorale as ontology notes (quarter notes from the first downbeat)."""
    from music21 import corpus

    work = corpus.parse(f"bach/{bwv}")
    key21 = work.analyze("key")
    key = Key(tonic=key21.tonic.name.replace("-", "b"), mode="minor" if key21.mode == "minor" else "major")
    ts = work.recurse().getElementsByClass("TimeSignature").first()
    meter = Meter(numerator=ts.numerator, denominator=ts.denominator)
    first = work.parts[0].getElementsByClass("Measure").first()
    pickup = first.barDuration.quarterLength - first.duration.quarterLength if first.paddingLeft else 0.0
    voices = []
    for part in work.parts[:4]:
        notes = []
        for n in part.flatten().notes:
            pitch = n.pitches[0].midi  # a part is one voice: the (rare) chord is read by its top note
            notes.append(Note(pitch=pitch, start=float(n.offset) + pickup, duration=float(n.quarterLength)))
        voices.append(notes)
    bars = int(max(n.end for v in voices for n in v) // meter.bar_quarters) + 1
    return voices, key, meter, bars


def per_bar(findings: list[VoiceFinding], bars: int) -> list[str]:
    cells = []
    for bar in range(1, bars + 1):
        hits = Counter(f.code.lower().replace("_", " ") for f in findings if f.bar == bar)
        cells.append(", ".join(f"{n}x {c}" if n > 1 else c for c, n in sorted(hits.items())) or "-")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bwv", default="bwv66.6")
    parser.add_argument("--bars", type=int, default=12, help="bars shown per piece in the side-by-side table")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "four_part.md"))
    args = parser.parse_args()
    gen_voices, gen_key, gen_meter, gen_bars = generated(args.seed)
    bach_voices, bach_key, bach_meter, bach_bars = bach(args.bwv)
    gen = check_four_parts(gen_voices, gen_key, gen_meter)
    real = check_four_parts(bach_voices, bach_key, bach_meter)
    shown = min(args.bars, max(gen_bars, bach_bars))
    gen_cells, bach_cells = per_bar(gen, gen_bars), per_bar(real, bach_bars)
    lines = [
        "## Four-part writing: a generated chorale and a Bach chorale under the same rules",
        "",
        f"Command: `.venv/bin/python benchmarks/four_part.py --seed {args.seed} --bwv {args.bwv} --bars {args.bars}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Generated: \"{PROMPT}\", seed {args.seed}, {gen_key}, {gen_meter}, "
        f"{gen_bars} bars, its chords chosen by the trained harmonizer for its soprano (melody first, planned cadence chords kept where the harmonizer's do not close). Real: music21 corpus `bach/{args.bwv}`, {bach_key} (music21's key analysis), {bach_meter}, {bach_bars} bars "
        "(a pickup is placed at the end of bar 1, so the first full bar is bar 2). Rules: `tools.four_part.check_four_parts`, sampled at every onset of any voice, "
        "so passing and neighbour notes count as they sound.",
        "",
        "### Totals per rule",
        "",
        "| rule | generated | per bar | Bach | per bar |",
        "|---|---:|---:|---:|---:|",
    ]
    gen_counts, real_counts = Counter(f.code for f in gen), Counter(f.code for f in real)
    for code in FOUR_PART_CODES:
        lines.append(f"| {code.lower().replace('_', ' ')} | {gen_counts[code]} | {gen_counts[code] / gen_bars:.2f} | {real_counts[code]} | {real_counts[code] / bach_bars:.2f} |")
    lines.append(f"| all | {len(gen)} | {len(gen) / gen_bars:.2f} | {len(real)} | {len(real) / bach_bars:.2f} |")
    lines += ["", f"### Findings per bar (first {shown} bars)", "", "| bar | generated | Bach |", "|---:|---|---|"]
    for bar in range(shown):
        lines.append(f"| {bar + 1} | {gen_cells[bar] if bar < len(gen_cells) else ''} | {bach_cells[bar] if bar < len(bach_cells) else ''} |")
    lines.append("")
    text = "\n".join(lines)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
