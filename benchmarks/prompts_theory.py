"""24 prompts across collective ensembles, named scales and modes, four-part textures, dances and
traditions: every piece must be valid and honour every explicit constraint of its prompt.

Checked per prompt: validity, key or mode, meter, tempo, the exact parts of a named ensemble (by
instrument id), no drums, tradition, an SATB texture (four voices, with the four-part rule breaches
per bar), and for a named scale the share of pitched note time inside it. Also: the same seed
gives the same piece (a second compose of one prompt, compared note for note).

    .venv/bin/python benchmarks/prompts_theory.py [--out benchmarks/results/prompts_theory.md]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from musicgrammar.graphs.runner import compose  # noqa: E402
from musicgrammar.ontologies import Composition, Mode  # noqa: E402
from musicgrammar.tools.four_part import VOICES, check_four_parts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SATB = list(VOICES)

# (class, prompt, the constraints the piece must honour)
PROMPTS: list[tuple[str, str, dict[str, Any]]] = [
    ("ensemble", "an autumn evening for string orchestra", {"parts": {"violin", "viola", "cello", "contrabass"}}),
    ("ensemble", "a jazz ballad for saxophone and piano trio", {"parts": {"alto_sax", "acoustic_grand_piano", "acoustic_bass", "drum_kit"}}),
    ("ensemble", "a sunrise for piano trio", {"parts": {"violin", "acoustic_grand_piano", "cello"}}),
    ("ensemble", "a gavotte for brass quintet", {"meter": "4/4", "parts": {"trumpet", "french_horn", "trombone", "tuba"}}),
    ("ensemble", "a festive fanfare for big band, 160 BPM", {"tempo_bpm": 160,
     "parts": {"trumpet", "alto_sax", "tenor_sax", "trombone", "baritone_sax", "acoustic_grand_piano", "acoustic_bass", "drum_kit"}}),
    ("ensemble", "a rainy afternoon for string quartet in G minor", {"key": "G minor", "parts": {"violin", "viola", "cello"}}),
    ("ensemble", "a pastoral for wind quintet in F major", {"key": "F major", "parts": {"flute", "oboe", "clarinet", "french_horn", "bassoon"}}),
    ("ensemble", "a rock band anthem in E minor, no drums", {"key": "E minor", "no_drums": True,
     "parts": {"overdriven_guitar", "electric_guitar_clean", "electric_bass_pick"}}),
    ("scale", "a melody in A minor pentatonic for flute", {"key": "A minor pentatonic", "in_scale": 0.9}),
    ("scale", "a folk tune for tin whistle, pentatonic", {"mode": Mode.MAJOR_PENTATONIC, "in_scale": 0.9}),
    ("scale", "a dreamy piece in C whole-tone for celesta and harp", {"key": "C whole tone", "in_scale": 0.9}),
    ("scale", "a lament in D dorian for cello and harp", {"key": "D dorian"}),
    ("scale", "a flamenco dance in E phrygian dominant", {"key": "E phrygian dominant"}),
    ("scale", "a slow blues in A, blues scale", {"key": "A blues"}),
    ("scale", "a lullaby in G lydian for music box", {"key": "G lydian"}),
    ("texture", "a four-voice chorale in the style of Bach", {"parts_exact": SATB}),
    ("texture", "a hymn for SATB choir in Eb major", {"key": "Eb major", "parts_exact": SATB}),
    ("texture", "an evening prayer in four-part harmony, D minor", {"key": "D minor", "parts_exact": SATB}),
    ("texture", "a chorale in G major, 3/4", {"key": "G major", "meter": "3/4", "parts_exact": SATB}),
    ("dance", "a minuet in 3/4, F major, 104 BPM, harpsichord alone", {"key": "F major", "meter": "3/4", "tempo_bpm": 104, "parts": {"harpsichord"}}),
    ("dance", "a slip jig for tin whistle and guitar", {"meter": "9/8"}),
    ("dance", "a tango in D harmonic minor", {"key": "D harmonic minor", "meter": "4/4"}),
    ("tradition", "a griot ensemble praise song", {"tradition": "mande", "parts": {"kora", "balafon", "ngoni", "dunun"}}),
    ("tradition", "a gamelan piece at dusk", {"mode": Mode.SLENDRO, "parts": {"glockenspiel", "vibraphone", "marimba", "tubular_bells", "hand_drum"}}),
]


def in_scale_share(comp: Composition) -> float:
    """Share of the pitched parts' note time whose pitch class is in its section's key."""
    spec, score = comp.spec, comp.score
    bar_q = spec.meter.bar_quarters
    keys, bar = [], 0
    for section in spec.sections:
        keys += [(section.key or spec.key).pitch_classes()] * section.bars
    inside = total = 0.0
    for part in score.parts:
        if part.is_drum:
            continue
        for note in part.notes:
            pcs = keys[min(int(note.start // bar_q), len(keys) - 1)]
            total += note.duration
            inside += note.duration * (note.pitch % 12 in pcs)
    return inside / total if total else 0.0


def check(comp: Composition, valid: bool, expect: dict[str, Any]) -> tuple[list[str], str]:
    """The broken constraints (empty when all hold) and a short note of what was measured."""
    spec = comp.spec
    ids = [m.instrument for m in spec.ensemble]
    broken, notes = [] if valid else ["invalid"], []
    if "key" in expect and str(spec.key) != expect["key"]:
        broken.append(f"key {spec.key}")
    if "mode" in expect and spec.key.mode is not expect["mode"]:
        broken.append(f"mode {spec.key.mode.value}")
    if "meter" in expect and str(spec.meter) != expect["meter"]:
        broken.append(f"meter {spec.meter}")
    if "tempo_bpm" in expect and abs(spec.tempo.bpm - expect["tempo_bpm"]) > 0.5:
        broken.append(f"tempo {spec.tempo.bpm:g}")
    if "parts" in expect and set(ids) != expect["parts"]:
        broken.append(f"parts {sorted(set(ids))}")
    if "parts_exact" in expect and ids != expect["parts_exact"]:
        broken.append(f"parts {ids}")
    if expect.get("no_drums") and any(p.is_drum for p in comp.score.parts):
        broken.append("drums present")
    if "tradition" in expect and spec.tradition != expect["tradition"]:
        broken.append(f"tradition {spec.tradition}")
    share = in_scale_share(comp)
    notes.append(f"{share:.0%} in scale")
    if "in_scale" in expect and share < expect["in_scale"]:
        broken.append(f"only {share:.0%} of the note time in {spec.key}")
    if ids == SATB:
        voices = {p.instrument: p.notes for p in comp.score.parts}
        breaches = check_four_parts([voices[v] for v in SATB], spec.key, spec.meter)
        notes.append(f"{len(breaches) / spec.bars:.2f} four-part breaches/bar")
    return broken, "; ".join(notes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "prompts_theory.md"))
    args = parser.parse_args()
    rows, all_ok, times = [], True, []
    with tempfile.TemporaryDirectory() as tmp:
        for index, (kind, prompt, expect) in enumerate(PROMPTS):
            t = time.perf_counter()
            result = compose(prompt, out_dir=Path(tmp) / f"p{index}", seed=index, audio=False)
            times.append(time.perf_counter() - t)
            comp = result.composition()
            summary = result.summary()
            broken, measured = check(comp, summary["valid"], expect)
            all_ok &= not broken
            parts = ", ".join(f"{m.instrument} ({m.role.value})" for m in comp.spec.ensemble)
            rows.append(f"| {kind} | {prompt} | {'yes' if summary['valid'] else 'NO'} | {'yes' if not broken else 'NO: ' + '; '.join(broken)} "
                        f"| {comp.spec.key} | {comp.spec.meter} | {comp.spec.tempo.bpm:g} | {parts} | {measured} | {summary['title']} | {times[-1]:.1f} |")  # fmt: skip
        # the same seed gives the same piece: one prompt composed again, compared note for note
        again = [compose(PROMPTS[1][1], out_dir=Path(tmp) / f"same{k}", seed=11, audio=False).composition() for k in range(2)]
        same = again[0].score == again[1].score and again[0].spec == again[1].spec
    out = [
        "## Theory prompts: ensembles, scales, four-part textures, dances, traditions",
        "",
        f"Command: `.venv/bin/python benchmarks/prompts_theory.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; engine `--lm local`, "
        f"seed = prompt index, no audio. All {len(PROMPTS)} valid and honouring every explicit constraint: **{'yes' if all_ok else 'NO'}**. "
        f"Same seed, same piece (\"{PROMPTS[1][1]}\", seed 11, composed twice, spec and notes compared): **{'yes' if same else 'NO'}**. "
        f"Median compose {sorted(times)[len(times) // 2]:.1f} s.",
        "",
        "| class | prompt | valid | constraints honoured | key | meter | BPM | parts (role) | measured | title | s |",
        "|---|---|---|---|---|---|---:|---|---|---|---:|",
        *rows,
    ]
    text = "\n".join(out) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
