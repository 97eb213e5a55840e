"""Compose speed of two source trees side by side: cold (first compose in a fresh process, imports
and model loads included) and warm (a second compose in that process) for a ~60 s piece.

Each round starts one fresh process per tree, alternating, so both see the same machine load.

    .venv/bin/python benchmarks/compose_speed_ab.py --before /path/to/old/checkout --after . [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "a calm evening by the river, one minute"
CHILD = """
import json, sys, time
t0 = time.perf_counter()
from musicgrammar.graphs.runner import compose
from pathlib import Path
out = Path(sys.argv[1])
first = compose({prompt!r}, out_dir=out / "cold", seed=1)
cold = time.perf_counter() - t0
t1 = time.perf_counter()
second = compose({prompt!r}, out_dir=out / "warm", seed=2)
print(json.dumps({{"cold": cold, "warm": time.perf_counter() - t1, "audio_s": second.summary()["duration_s"]}}))
"""


def run(tree: Path, tmp: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", CHILD.format(prompt=PROMPT), str(tmp)], capture_output=True, text=True, env=env, cwd=tree, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=Path("."))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name in ("before", "after"):
                results[name].append(run(getattr(args, name).resolve(), Path(tmp) / f"{name}{r}"))
    lines = [f"Command: `.venv/bin/python benchmarks/compose_speed_ab.py --before <checkout> --after . --rounds {args.rounds}` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; \"{PROMPT}\", rounds alternate the two trees, each a fresh process; "
             f"1-minute load average {os.getloadavg()[0]:.1f} at the end.", "",
             "| tree | cold s (median) | warm s (median) | cold s (all) | warm s (all) | audio s |", "|---|---:|---:|---|---|---:|"]
    for name, runs in results.items():
        cold, warm = [x["cold"] for x in runs], [x["warm"] for x in runs]
        lines.append(f"| {name} | {statistics.median(cold):.1f} | {statistics.median(warm):.1f} | "
                     f"{', '.join(f'{c:.1f}' for c in cold)} | {', '.join(f'{w:.1f}' for w in warm)} | {runs[0]['audio_s']:.0f} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
