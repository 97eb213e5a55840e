"""Rule-based vs melody-model realization of the same designs, measured side by side.

For each design (prompt x seed), the lead melody is realized twice, by `RuleMelody` and by
`ModelMelody` (the trained melody model filling the bars the motifs leave open), and scored by:
the melody measures of `tools.melody_model.evaluate.score_melodies` (log-likelihood under a scoring
checkpoint, pitch-class and interval distance to the corpus, motif recurrence), the melody-harmony
metrics CTnCTR and PCS, the judge's motif-recurrence dimension and overall score, and the time to realize.

    .venv/bin/python benchmarks/realization.py [--designs 12] [--scorer PATH] [--out benchmarks/results/realization.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [
    "a gentle waltz in G major for flute and piano", "a polka in 2/4 in A major", "a slow lament in D dorian for cello and harp",
    "a cheerful march in Bb major", "a jig for fiddle and guitar", "a hymn in E minor for organ", "a tender lullaby in F major",
    "storm over the northern sea", "a minuet in 3/4, C major, harpsichord alone", "rain on a tin roof",
    "a playful scherzo in A minor for clarinet and piano", "a reel in D major for fiddle",
]  # fmt: skip


def main() -> None:
    import torch

    torch.set_num_threads(1)
    from musicgrammar.agents.aesthetics_rules import judge_piece
    from musicgrammar.agents.harmony_rules import critique_harmony
    from musicgrammar.agents.planning import PlanningContext, plan_composition
    from musicgrammar.agents.weaving import weave_brief
    from musicgrammar.ontologies import Role, chord_timeline
    from musicgrammar.tools.melody_model.evaluate import MelodySample, score_melodies
    from musicgrammar.tools.realize import ModelMelody, RuleMelody, realize

    parser = argparse.ArgumentParser()
    parser.add_argument("--designs", type=int, default=12)
    parser.add_argument("--scorer", default=None, help="checkpoint folder to score likelihood with (default: the shipped model)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "realization.md"))
    args = parser.parse_args()
    scorer = None
    if args.scorer:
        from musicgrammar.tools.melody_model.model import MelodyModel

        scorer = MelodyModel.load(Path(args.scorer))
    results: dict[str, dict[str, list[float]]] = {"rules": {}, "model": {}}
    samples: dict[str, list] = {"rules": [], "model": []}
    for index in range(args.designs):
        prompt = PROMPTS[index % len(PROMPTS)]
        spec = plan_composition(weave_brief(prompt), PlanningContext(seed=index))
        slots = chord_timeline(spec)
        beats = [b * spec.meter.bar_quarters + o for b in range(spec.bars) for o in spec.meter.beat_onsets]
        chords = [max((s for s in slots if s.onset <= t + 1e-6), key=lambda s: s.onset).chord for t in beats]
        for name, strategy in (("rules", RuleMelody()), ("model", ModelMelody())):
            t = time.perf_counter()
            score = realize(spec, seed=index, melody=strategy)
            seconds = time.perf_counter() - t
            lead = next(p for p in score.parts if p.role is Role.LEAD)
            samples[name].append(MelodySample(notes=lead.notes, key=spec.key, meter=spec.meter, chords=chords))
            critique = critique_harmony(spec, score)
            judgement = judge_piece(spec, score)
            row = results[name]
            for key, value in (("CTnCTR", critique.metrics.get("CTnCTR")), ("PCS", critique.metrics.get("PCS")),
                               ("judge motif_recurrence", judgement.score("motif_recurrence")), ("judge overall", judgement.overall),
                               ("realize ms", seconds * 1000)):  # fmt: skip
                if value is not None:
                    row.setdefault(key, []).append(float(value))
    melody = {name: score_melodies(samples[name], model=scorer) for name in samples}
    lines = [
        "## Realization: rule-based vs melody-model phrases",
        "",
        f"Command: `.venv/bin/python benchmarks/realization.py --designs {args.designs}{' --scorer ' + args.scorer if args.scorer else ''}` "
        f"on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} shared CPU cores, 1 torch thread. "
        f"{args.designs} designs from the engine's planner, the same spec and seed for both strategies; motifs are placed the same way, "
        "the strategy fills the bars they leave open.",
        "",
        "| measure | rules | melody model | better |",
        "|---|---:|---:|---|",
    ]
    better: dict[str, int] = {"rules": 0, "model": 0}
    higher = {"mean_loglik": True, "pc_distance": False, "interval_distance": False, "CTnCTR": True, "PCS": True,
              "judge motif_recurrence": True, "judge overall": True, "realize ms": False}  # fmt: skip
    for key in ("mean_loglik", "pc_distance", "interval_distance", "motif_recurrence"):
        r, m = melody["rules"][key], melody["model"][key]
        verdict = "-"
        if key in higher:
            win = ("rules" if r > m else "model") if higher[key] else ("rules" if r < m else "model")
            better[win] += 1
            verdict = win
        lines.append(f"| {key} | {r:.3f} | {m:.3f} | {verdict} |")
    for key in ("CTnCTR", "PCS", "judge motif_recurrence", "judge overall", "realize ms"):
        r, m = statistics.mean(results["rules"][key]), statistics.mean(results["model"][key])
        win = ("rules" if r > m else "model") if higher[key] else ("rules" if r < m else "model")
        if key != "realize ms":
            better[win] += 1
        lines.append(f"| {key} (mean) | {r:.3f} | {m:.3f} | {win} |")
    lines += ["", f"Measures won (speed not counted): rules {better['rules']}, melody model {better['model']}. "
              f"corpus motif recurrence for reference: {melody['rules'].get('corpus_motif_recurrence', float('nan')):.3f}.", ""]  # fmt: skip
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
