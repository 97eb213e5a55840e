"""Assemble benchmarks/RESULTS.md from the sections each benchmark script writes to benchmarks/results/.

    .venv/bin/python benchmarks/collect.py          # assemble only
Each section names the command that produced it; run that command to refresh a section.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["ontology", "compose", "critics", "corpus", "harmonizer", "melody_model", "codec"]


def main() -> None:
    parts = sorted((HERE / "results").glob("*.md"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem))
    body = ["# Benchmark results", "",
            "Every table below was produced by the script and command named in its section, on the project's",
            "machines (2 shared CPU cores, no accelerator). Timings on a shared machine are noisy; ratios in one",
            "table were measured side by side in one run.", ""]  # fmt: skip
    for part in parts:
        body += [part.read_text().strip(), ""]
    (HERE / "RESULTS.md").write_text("\n".join(body))
    print(f"wrote {HERE / 'RESULTS.md'} from {len(parts)} sections")


if __name__ == "__main__":
    main()
