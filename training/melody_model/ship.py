"""Copy a trained checkpoint into musicgrammar/weights/melody_model with the corpus statistics.

    python training/melody_model/ship.py --from .cache/melody_model/plain_untied \
        --metrics .cache/melody_model/{smart_untied,plain,smart}/metrics.json

Writes model.safetensors, config.json, training_metrics.json (every variant given, by folder name) and
corpus_stats.json (reference pitch-class / interval histograms of the training split's melodies).
The model card (MODEL_CARD.md) is written by hand from these numbers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import load_records, split, to_piece  # noqa: E402

from musicgrammar.tools.melody_model.evaluate import corpus_statistics  # noqa: E402
from musicgrammar.tools.melody_model.generate import WEIGHTS_DIR  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="src", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, nargs="*", default=[], help="metrics.json of other variants")
    ap.add_argument("--data", type=Path, default=Path(".cache/melody_model/corpus.jsonl"))
    args = ap.parse_args()
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("model.safetensors", "config.json"):
        shutil.copyfile(args.src / name, WEIGHTS_DIR / name)
    metrics = {}
    for path in [args.src / "metrics.json", *args.metrics]:
        m = json.loads(path.read_text())
        metrics[path.parent.name] = {k: v for k, v in m.items() if k != "history"} | {"history": m["history"]}
    (WEIGHTS_DIR / "training_metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    train, _ = split(load_records(args.data))
    stats = corpus_statistics(to_piece(r) for r in train)
    (WEIGHTS_DIR / "corpus_stats.json").write_text(json.dumps(stats) + "\n")
    print(f"shipped {args.src} to {WEIGHTS_DIR} ({stats['melodies']} melodies in the corpus statistics)")


if __name__ == "__main__":
    main()
