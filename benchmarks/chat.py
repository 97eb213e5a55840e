"""Per-turn latency of `musicgrammar chat` by kind of turn, warm (one process, models loaded).

One thread is started from a prompt; then each kind of turn is run `--repeats` times (each edit is
undone after it is measured, so every repeat edits the same piece), with the turn's files written
as MIDI only and as MIDI + WAV (the WAV renders the whole piece). A one-section edit re-realizes
one section and keeps the others' notes.

    .venv/bin/python benchmarks/chat.py [--repeats 3] [--prompt "..."] [--out benchmarks/results/chat.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's package, not an installed one

TURNS: list[tuple[str, str]] = [
    ("tempo (no notes change)", "slower"),
    ("one section: dynamic", "make the {B} section louder"),
    ("one section: mood (MiniLM)", "make the {B} section darker"),
    ("one section: reharmonize a bar", "reharmonize bar 5"),
    ("instrument added", "add a cello"),
    ("melody to another instrument", "give the melody to the clarinet"),
    ("transposition (every section)", "transpose it to E minor"),
    ("length: 8 more bars", "8 more bars"),
    ("undo", None),  # type: ignore[list-item]
    ("show", "show"),
    ("why", "why is it in this key?"),
]


def main() -> None:
    import torch

    torch.set_num_threads(1)
    from musicgrammar.graphs.chat import ChatSession

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--prompt", default="a waltz in G for flute and harp")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "chat.md")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="chat-bench-"))
    rows: dict[str, dict[str, list[float]]] = {}
    cpu: dict[str, dict[str, list[float]]] = {}
    first: dict[str, float] = {}
    for audio in (False, True):
        label = "MIDI + WAV" if audio else "MIDI"
        chat = ChatSession(folder, f"bench-{int(audio)}", audio=audio)
        started = time.perf_counter()
        out = chat.turn(args.prompt)
        first[label] = time.perf_counter() - started
        section_b = chat.state().spec.sections[1].role.value
        chat.turn("make the A section softer")  # warm-up: the first edit of a process loads the melody model
        chat.turn("undo")
        for name, text in TURNS:
            times = rows.setdefault(name, {}).setdefault(label, [])
            cpu_times = cpu.setdefault(name, {}).setdefault(label, [])
            for _ in range(args.repeats):
                if text is None:  # undo: time the undo of a one-section edit
                    chat.turn(f"make the {section_b} section louder")
                started, cpu_started = time.perf_counter(), time.process_time()
                result = chat.turn("undo" if text is None else text.format(B=section_b))
                times.append(time.perf_counter() - started)
                cpu_times.append(time.process_time() - cpu_started)
                if text is None:
                    continue
                if result["changed"] and text not in ("show",):
                    chat.turn("undo")
        chat.close()
    lines = [
        "## Chat: per-turn latency by kind of turn (warm)",
        "",
        f"Command: `.venv/bin/python benchmarks/chat.py --repeats {args.repeats}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"2 shared CPU cores, 1 torch thread. Piece: “{args.prompt}” ({out['summary']['bars']} bars, {out['summary']['duration_s']:.0f} s, "
        f"{', '.join(out['summary']['instruments'])}). Each turn: read the request, apply and validate the edits, realize where they reach, "
        "write the files; the WAV columns render the whole piece and its stems with FluidSynth. Medians of the repeats, seconds: "
        "wall clock, and CPU seconds of the process (the wall time of an idle machine; this one is shared by several jobs). "
        f"Load average at the end: {os.getloadavg()[0]:.1f} on 2 cores.",
        "",
        "| turn | MIDI wall | MIDI CPU | MIDI + WAV wall | MIDI + WAV CPU | MIDI + WAV CPU max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    med = statistics.median
    for name, by in rows.items():
        c = cpu[name]
        lines.append(f"| {name} | {med(by['MIDI']):.2f} | {med(c['MIDI']):.2f} | {med(by['MIDI + WAV']):.2f} | {med(c['MIDI + WAV']):.2f} | {max(c['MIDI + WAV']):.2f} |")
    lines += ["", f"First turn of a thread (a new piece through the design graph, cold process for the MIDI column): "
              + ", ".join(f"{k} {v:.1f} s" for k, v in first.items()) + "."]  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
