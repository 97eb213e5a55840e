"""Does the aesthetics judge hear the composer engine's pieces in compound metre as rhythmically broken?

The offline engine writes pieces in 4/4, 3/4, 6/8 and 12/8 (and the Mande tradition in 12/8); the judge
was trained on Bach chorales, which are almost all in 4/4 or 3/4. This composes the same prompts in each
metre (offline engine, one design pass, rendered with stems; cached in --runs, so a second call only
judges) and scores every run with each model given: per metre the mean rhythm and overall scores and the
share of pieces whose rhythm score would raise an error finding in the design loop (under 2.5,
judge_signals.BROKEN_BELOW). A fair judge scores the metres alike.

    python benchmarks/aesthetics_composer_meters.py --runs .cache/meter_runs --seeds 5 \\
        --model shipped=musicgrammar/weights/aesthetics_model --model other=DIR
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from musicgrammar.tools.aesthetics_model.judge_signals import BROKEN_BELOW  # noqa: E402

METERS = ("4/4", "3/4", "6/8", "12/8")
PROMPTS = (("a tender lullaby", "strings and flute"), ("a bright dance", "piano and clarinet"),
           ("a calm pastorale", "oboe and strings"), ("a joyful tune", "guitar and fiddle"),
           ("a melancholy song", "piano and cello"), ("a gentle waltz of a folk song", "accordion and violin"))


def compose(runs: Path, meter: str, index: int) -> Path:
    """The run folder of prompt ``index`` in ``meter`` (composed once, then reused)."""
    what, ensemble = PROMPTS[index % len(PROMPTS)]
    out = runs / f"{meter.replace('/', '-')}_{index}"
    if not (out / "mix.wav").is_file():
        prompt = f"{what} in {meter} for {ensemble}"
        done = subprocess.run([sys.executable, "-m", "musicgrammar", "compose", prompt, "--out", str(out), "--seed", str(index + 1),
                               "--max-iters", "1", "--duration", "24", "--json"], capture_output=True, text=True)
        if done.returncode != 0:  # compose says why in one line (e.g. --out holds files it did not write)
            last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
            raise SystemExit(f"composing {out} failed: {last}")
    return out


def _written_meter(run: Path) -> str:
    """The metre the run's composition.json was written in (the prompt asks for one; the engine may differ)."""
    meter = json.loads((run / "composition.json").read_text())["score"]["meter"]
    return f"{meter['numerator']}/{meter['denominator']}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=Path, required=True, help="folder for the composed runs (reused when present)")
    ap.add_argument("--seeds", type=int, default=5, help="prompts per metre")
    ap.add_argument("--model", action="append", default=[], help="NAME=DIR, repeatable")
    args = ap.parse_args()
    from musicgrammar.tools.aesthetics_model.api import score_files

    runs = {m: [compose(args.runs, m, i) for i in range(args.seeds)] for m in METERS}
    written = {m: sorted({_written_meter(r) for r in rs}) for m, rs in runs.items()}
    print("| model | metre (as written) | pieces | rhythm, mean | overall, mean | rhythm under 2.5 |\n|---|---|---|---|---|---|")
    for spec in args.model:
        name, folder = spec.split("=", 1)
        for meter, folders in runs.items():
            heard = [score_files(r, weights_dir=Path(folder)) for r in folders]
            rhythm = np.array([h.dimensions["rhythm"]["score"] for h in heard])
            overall = np.array([h.overall for h in heard])
            print(f"| {name} | {meter} ({', '.join(written[meter])}) | {len(heard)} | {rhythm.mean():.2f} | {overall.mean():.2f} "
                  f"| {np.mean(rhythm < BROKEN_BELOW):.0%} |")


if __name__ == "__main__":
    main()
