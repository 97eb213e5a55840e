"""The plan-to-audio check on a piece whose render was deliberately transposed.

Renders an example composition faithfully and transposed up a whole tone (the design unchanged),
listens to both mixes and prints the check's findings for each.

    python benchmarks/plan_to_audio.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    from musicgrammar.ontologies.files import load_composition
    from musicgrammar.tools.listen.plan_check import check_render_files
    from musicgrammar.tools.render import render_score

    example = HERE.parent / "examples" / "chorale_g_minor.json"
    comp = load_composition(example)
    design = comp.score
    transposed = design.model_copy(update={"parts": [
        p.model_copy(update={"notes": [n.model_copy(update={"pitch": n.pitch + 2}) for n in p.notes]}) for p in design.parts]})  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for label, score in (("faithful render", design), ("render transposed +2 semitones", transposed)):
            result = render_score(score, Path(tmp) / label.split()[0], sample_rate=22050)
            files = {"mix": str(result.mix)} | {f"stem:{k}": str(v) for k, v in result.stems.items()}
            findings = check_render_files(design, files, track_beats=True)
            print(f"{example.name} ({design.key}, {design.tempo_bpm:g} BPM, {design.meter}), {label}:")
            for finding in findings or []:
                print(f"  {finding.line()}")
            if not findings:
                print("  no findings")


if __name__ == "__main__":
    main()
