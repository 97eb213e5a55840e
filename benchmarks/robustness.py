"""Robustness benchmark: well over 100 bad inputs thrown at every command, each as its own subprocess.

Every probe runs in a sandbox folder that also holds the user's files (canaries: a notes file, a MIDI
file, a project folder) and symbolic links pointing out of the places where the program writes. After
each probe the whole sandbox is compared with its state before, and the probe's stderr is read:

- tracebacks: a Python traceback on stderr;
- not one line: a failing probe whose error is not exactly one line (progress and `warning:` lines aside);
- exit 0: a bad input that was accepted;
- user files changed: a canary (or a link's target) modified, moved or deleted;
- writes outside: a file created or changed anywhere but in the probe's own output path;
- batches stopped: a `run` batch whose later entries did not run after one entry failed.

    nice -n 10 .venv/bin/python benchmarks/robustness.py [--only compose,run] [--out benchmarks/results/robustness.md]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHORALE = ROOT / "examples" / "chorale_g_minor.json"


@dataclass
class Probe:
    """One bad input: the command line, where it may write, what else it needs."""

    command: str
    name: str
    argv: list[str | bytes]
    allowed: list[str] = field(default_factory=list)  # sandbox-relative paths the probe may create
    env: dict[str, str] = field(default_factory=dict)
    expect_exit: int | None = None  # None: any non-zero exit
    batch_entries: list[str] = field(default_factory=list)  # for `run`: entries that must run despite a failure
    batch_root: str = ""


@dataclass
class Outcome:
    probe: Probe
    code: int
    seconds: float
    traceback: bool
    one_line: bool
    changed: list[str]
    outside: list[str]
    batch_stopped: bool
    stderr: str


# ---------------------------------------------------------------------------------------------
# The sandbox: input files (bad ones and good ones), the user's files, and links pointing out.


def _write_midi(path: Path, notes: int, step: float = 0.25, length: float = 0.2) -> None:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(0)
    inst.notes = [pretty_midi.Note(velocity=80, pitch=60 + i % 12, start=i * step, end=i * step + length) for i in range(notes)]
    pm.instruments.append(inst)
    pm.write(str(path))


def build_sandbox(box: Path) -> None:
    """Inputs under in/, the user's own files under home/ and outside/ (canaries)."""
    import numpy as np
    import soundfile as sf

    inp = box / "in"
    inp.mkdir(parents=True)
    chorale = json.loads(CHORALE.read_text())
    (inp / "good.json").write_text(json.dumps(chorale))
    _write_midi(inp / "tune.mid", 32)
    (inp / "tune.abc").write_text("X:1\nT:t\nM:4/4\nL:1/4\nK:C\nC D E F | G A B c | c B A G | F E D C |]\n")
    (inp / "empty.json").write_text("")
    (inp / "binary.json").write_bytes(b"\xff\xfe\x00\x01garbage")
    (inp / "malformed.json").write_text('{"spec": {"title": "x",}')
    (inp / "list.json").write_text("[1, 2, 3]")
    (inp / "string.json").write_text('"a string"')
    (inp / "deep.json").write_text("[" * 5000 + "]" * 5000)
    (inp / "deep_dict.json").write_text('{"a":' * 3000 + "1" + "}" * 3000)
    (inp / "huge.json").write_text('{"pad": "' + "x" * (11 * 1024 * 1024) + '"}')
    for name, change in {
        "nan.json": lambda d: d["spec"]["tempo"].__setitem__("bpm", float("nan")),
        "inf.json": lambda d: d["score"].__setitem__("tempo_bpm", float("inf")),
        "unknown_field.json": lambda d: d["spec"]["sections"][0].__setitem__("colour", "red"),
        "wrong_type.json": lambda d: d["score"].__setitem__("bars", "twelve"),
        "tempo_5000.json": lambda d: d["spec"]["tempo"].__setitem__("bpm", 5000),
        "negative_pitch.json": lambda d: d["score"]["parts"][0]["notes"][0].__setitem__("pitch", -3),
    }.items():
        data = json.loads(json.dumps(chorale))
        change(data)
        (inp / name).write_text(json.dumps(data))
    spec_only = {k: v for k, v in chorale["spec"].items()}
    (inp / "spec_only.json").write_text(json.dumps(spec_only))
    (inp / "garbage.mid").write_bytes(b"MThd\x00\x00\x00\x06garbage")
    (inp / "truncated.mid").write_bytes((inp / "tune.mid").read_bytes()[:40])
    (inp / "empty.mid").write_bytes(b"")
    _write_midi(inp / "many_notes.mid", 60_000, step=0.05, length=0.05)
    _write_midi(inp / "many_bars.mid", 4500, step=2.0, length=0.5)
    (inp / "broken.musicxml").write_text("<?xml version='1.0'?><score-partwise><part id='P1'><measure>")
    (inp / "no_notes.abc").write_text("X:1\nT:t\nK:C\n")
    (inp / "text.wav").write_text("not audio at all")
    sf.write(str(inp / "silence_21min.wav"), np.zeros(21 * 60 * 8000, dtype=np.int16), 8000, subtype="PCM_16")
    sf.write(str(inp / "short.wav"), (0.1 * np.sin(np.arange(8000) / 8)).astype(np.float32), 8000)
    (inp / "empty.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00")
    np.savez(inp / "nokeys.npz", something=np.zeros(3))
    (inp / "not.npz").write_text("not a zip")
    os.mkfifo(inp / "fifo.json")
    (inp / "loop.json").symlink_to(inp / "loop.json")
    for name, text in {
        "unknown_key.yaml": "runs:\n  - name: a\n    promt: x\n",
        "bad_constraint.yaml": "runs:\n  - name: a\n    constraints: {tempo: 90}\n",
        "tempo_neg.yaml": "runs:\n  - name: a\n    constraints: {tempo_bpm: -5}\n",
        "long.yaml": "runs:\n  - name: a\n    constraints: {duration_s: 36000}\n",
        "nan.yaml": "runs:\n  - name: a\n    constraints: {tempo_bpm: .nan}\n",
        "dupes.yaml": "runs:\n  - name: a\n  - name: a\n",
        "seed.yaml": "runs:\n  - name: a\n    seed: 18446744073709551616\n",
        "iters.yaml": "max_iters: 50\nruns:\n  - name: a\n",
        "no_runs.yaml": "out: x\n",
        "bad_name.yaml": "runs:\n  - name: ../escape\n",
        "not_yaml.yaml": "runs: [\n  - {",
        "deep.yaml": "runs: " + "[" * 3000 + "]" * 3000 + "\n",
        "scalar.yaml": "just a string\n",
        "bad_lm_type.yaml": "lm: [1, 2]\nruns:\n  - name: a\n",
        "out_is_file.yaml": f"out: {box / 'home' / 'notes.txt'}\nruns:\n  - name: a\n",
    }.items():
        (inp / name).write_text(text)
    # the user's own files, which no probe may change
    home = box / "home"
    (home / "project" / "stems").mkdir(parents=True)
    (home / "notes.txt").write_text("my notes, not to be touched\n")
    shutil.copy(inp / "tune.mid", home / "song.mid")
    for name in ("score.mid", "report.md", "trace.jsonl", "stems/mine.wav"):
        (home / "project" / name).write_text(f"the user's {name}\n")
    outside = box / "outside"
    outside.mkdir()
    (outside / "target.mid").write_text("a link points here\n")
    # an empty-looking output folder that holds only links pointing out
    trap = box / "trap"
    trap.mkdir()
    (trap / "score.mid").symlink_to(outside / "target.mid")
    (trap / "stems").symlink_to(outside, target_is_directory=True)
    (box / "link_to_outside").symlink_to(outside, target_is_directory=True)
    # a folder that looks like an interrupted run of ours, with a planted link
    planted = box / "planted_run"
    planted.mkdir()
    (planted / "run.json").write_text(json.dumps({"run_id": "planted_run", "lm": "local"}))
    (planted / "checkpoint.sqlite").write_bytes(b"")
    (planted / "trace.jsonl").symlink_to(outside / "target.mid")
    garbage_run = box / "garbage_run"
    garbage_run.mkdir()
    (garbage_run / "run.json").write_text("{not json")


# ---------------------------------------------------------------------------------------------
# The probes


def probes(box: Path) -> list[Probe]:
    i = lambda name: str(box / "in" / name)  # noqa: E731
    fresh = lambda name: str(box / "out" / name)  # noqa: E731  (not there yet: the probe may create it)
    home = str(box / "home")
    P: list[Probe] = []

    def add(command: str, name: str, argv: list[str | bytes], allowed: list[str] | None = None, **kw) -> None:  # type: ignore[no-untyped-def]
        P.append(Probe(command, name, argv, allowed or [], **kw))

    quick = ["--no-audio", "--max-iters", "1"]
    for name, extra in {
        "seed abc": ["--seed", "abc"], "seed 2^64": ["--seed", str(2**64)], "seed -1": ["--seed", "-1"],
        "max-iters 0": ["--max-iters", "0"], "max-iters 50": ["--max-iters", "50"], "max-iters abc": ["--max-iters", "x"],
        "duration -5": ["--duration", "-5"], "duration nan": ["--duration", "nan"], "duration inf": ["--duration", "inf"],
        "duration 1e9": ["--duration", "1e9"], "fallback remote": ["--fallback", "remote"], "unknown option": ["--bogus"],
        "lm empty": ["--lm", ""], "option without value": ["--seed"],
    }.items():  # fmt: skip
        add("compose", name, ["compose", "a march", "--out", fresh(name.replace(" ", "_"))] + extra, [])
    add("compose", "no prompt", ["compose", "--out", fresh("noprompt")])
    add("compose", "invalid UTF-8 prompt", [b"compose", b"a march \xff\xfe", b"--out", fresh("utf8").encode()])
    add("compose", "out is a user file", ["compose", "a march", "--out", str(box / "home" / "notes.txt")] + quick)
    add("compose", "out is a user folder", ["compose", "a march", "--out", str(box / "home" / "project")] + quick)
    add("compose", "out holds links out", ["compose", "a march", "--out", str(box / "trap")] + quick)
    add("compose", "out is a link out", ["compose", "a march", "--out", str(box / "link_to_outside")] + quick)
    add("compose", "out under /proc", ["compose", "a march", "--out", "/proc/musicgrammar-run"] + quick)
    add("compose", "out below a file", ["compose", "a march", "--out", str(box / "home" / "notes.txt" / "run")] + quick)
    add("compose", "resume nothing", ["compose", "--resume", fresh("nothing")])
    add("compose", "resume a user folder", ["compose", "--resume", str(box / "home" / "project")])
    add("compose", "resume a planted link", ["compose", "--resume", str(box / "planted_run")])
    add("compose", "resume garbage run.json", ["compose", "--resume", str(box / "garbage_run")])
    for var, value in {"MUSICGRAMMAR_MAX_ITERS": "50", "MUSICGRAMMAR_LM_TIMEOUT_S": "-1", "MUSICGRAMMAR_SAMPLE_RATE": "abc",
                       "MUSICGRAMMAR_LM_RETRIES": "99", "MUSICGRAMMAR_TORCH_THREADS": "0"}.items():  # fmt: skip
        add("compose", f"env {var}={value}", ["compose", "a march", "--out", fresh(var)] + quick, env={var: value})
    add("compose", "LLM without a key", ["compose", "a march", "--out", fresh("llm"), "--lm", "openai/gpt-4o-mini"] + quick,
        [fresh("llm")], expect_exit=4)  # fmt: skip

    bad_inputs = {
        "missing file": i("nope.json"), "a folder": i(""), "empty": i("empty.json"), "binary": i("binary.json"),
        "malformed JSON": i("malformed.json"), "JSON list": i("list.json"), "JSON string": i("string.json"),
        "deep JSON": i("deep.json"), "deep JSON object": i("deep_dict.json"), "11 MB JSON": i("huge.json"),
        "NaN": i("nan.json"), "Infinity": i("inf.json"), "wrong type": i("wrong_type.json"), "tempo 5000": i("tempo_5000.json"),
        "negative pitch": i("negative_pitch.json"), "garbage MIDI": i("garbage.mid"), "truncated MIDI": i("truncated.mid"),
        "empty MIDI": i("empty.mid"), "60k-note MIDI": i("many_notes.mid"), "4500-bar MIDI": i("many_bars.mid"),
        "broken MusicXML": i("broken.musicxml"), "ABC without notes": i("no_notes.abc"), "FIFO": i("fifo.json"),
        "symlink loop": i("loop.json"), "/dev/zero": "/dev/zero",
    }  # fmt: skip
    for name, path in bad_inputs.items():
        add("validate", name, ["validate", path])
    add("validate", "unknown field", ["validate", i("unknown_field.json")], expect_exit=1)
    for name in ("missing file", "binary", "deep JSON", "NaN", "garbage MIDI", "60k-note MIDI", "4500-bar MIDI", "FIFO", "symlink loop"):
        add("render", name, ["render", bad_inputs[name], "--out", fresh(f"render_{name}")])
    add("render", "unknown field", ["render", i("unknown_field.json"), "--out", fresh("render_unknown")])
    add("render", "spec has no notes", ["render", i("spec_only.json"), "--out", fresh("render_spec")])
    add("render", "out is a user file", ["render", i("tune.mid"), "--out", str(box / "home" / "notes.txt")])
    add("render", "out is a user folder", ["render", i("tune.mid"), "--out", str(box / "home" / "project")])
    add("render", "out holds links out", ["render", i("tune.mid"), "--out", str(box / "trap")])
    add("render", "out under /proc", ["render", i("tune.mid"), "--out", "/proc/musicgrammar-render"])
    add("render", "tail -1", ["render", i("tune.mid"), "--out", fresh("render_tail"), "--tail", "-1"])
    add("render", "missing soundfont", ["render", i("tune.mid"), "--out", fresh("render_sf"), "--soundfont", i("none.sf2")])
    add("render", "no --out", ["render", i("tune.mid")])

    for name in ("missing file", "garbage MIDI", "empty MIDI", "60k-note MIDI", "4500-bar MIDI", "broken MusicXML", "ABC without notes", "FIFO"):
        add("harmonize", name, ["harmonize", bad_inputs[name], "--out", fresh("h.mid")])
    for name, extra in {"method x": ["--method", "x"], "order x": ["--order", "x"], "top-p 2": ["--top-p", "2"],
                        "key H major": ["--key", "H major"], "per-pass 0": ["--per-pass", "0"], "seed abc": ["--seed", "abc"],
                        "seed 2^64": ["--seed", str(2**64)], "top-p nan": ["--top-p", "nan"]}.items():  # fmt: skip
        add("harmonize", name, ["harmonize", i("tune.abc"), "--out", fresh("h2.mid")] + extra)
    add("harmonize", "out is a folder", ["harmonize", i("tune.abc"), "--out", home, "--method", "rules"])
    add("harmonize", "out in a missing folder", ["harmonize", i("tune.abc"), "--out", fresh("no/such/h.mid"), "--method", "rules"])
    add("harmonize", "out under /proc", ["harmonize", i("tune.abc"), "--out", "/proc/h.mid", "--method", "rules"])

    for name, path in {"missing file": i("none.wav"), "text as audio": i("text.wav"), "empty WAV": i("empty.wav"),
                       "21 minutes of audio": i("silence_21min.wav"), "a folder": i("")}.items():  # fmt: skip
        add("tokenize", name, ["tokenize", path, "--out", fresh("t.npz")])
    add("tokenize", "levels 0", ["tokenize", i("short.wav"), "--out", fresh("t0.npz"), "--levels", "0"])
    add("tokenize", "levels 99", ["tokenize", i("short.wav"), "--out", fresh("t1.npz"), "--levels", "99"])
    add("tokenize", "out is a folder", ["tokenize", i("short.wav"), "--out", home])
    add("tokenize", "out in a missing folder", ["tokenize", i("short.wav"), "--out", fresh("no/such/t.npz")])
    for name, path in {"missing file": i("none.npz"), "not a zip": i("not.npz"), "missing keys": i("nokeys.npz"),
                       "JSON as codes": i("good.json")}.items():  # fmt: skip
        add("detokenize", name, ["detokenize", path, "--out", fresh("d.wav")])
    add("detokenize", "sample rate abc", ["detokenize", i("nokeys.npz"), "--out", fresh("d2.wav"), "--sample-rate", "abc"])

    for name in ("missing file", "deep JSON", "NaN", "garbage MIDI", "binary", "FIFO"):
        add("profile", name, ["profile", bad_inputs[name]])
    for name, extra in {"inject bogus": ["--inject", "bogus"], "at without inject": ["--at", "3"], "length abc": ["--length", "x"]}.items():
        add("profile", name, ["profile", i("tune.mid")] + extra)

    add("ontology", "schema out is a file", ["ontology", "schema", "--out", str(box / "home" / "notes.txt")])
    add("ontology", "schema out under /proc", ["ontology", "schema", "--out", "/proc/schemas"])
    add("ontology", "lexicon unknown vocabulary", ["ontology", "lexicon", "--vocabulary", "Nope"])
    add("ontology", "unknown subcommand", ["ontology", "nope"])
    add("corpus", "search top 0", ["corpus", "search", "x", "--top", "0"])
    add("corpus", "search top 1000", ["corpus", "search", "x", "--top", "1000"])
    add("corpus", "build workers 99", ["corpus", "build", "--workers", "99"])
    add("corpus", "build limit 0", ["corpus", "build", "--limit", "0"])
    add("corpus", "melody missing file", ["corpus", "melody", i("none.mid")])
    add("corpus", "unknown subcommand", ["corpus", "nope"])
    add("(top level)", "unknown command", ["nope"])
    add("(top level)", "unknown global option", ["--nope"])

    for name in ("unknown_key", "bad_constraint", "tempo_neg", "long", "nan", "dupes", "seed", "iters", "no_runs", "bad_name",
                 "not_yaml", "deep", "scalar", "bad_lm_type", "out_is_file"):  # fmt: skip
        add("run", name.replace("_", " "), ["run", i(f"{name}.yaml")])
    add("run", "missing file", ["run", i("none.yaml")])
    add("run", "binary", ["run", i("binary.json")])
    # a real batch whose middle entry's folder is the user's: it must fail alone
    batch = box / "in" / "batch.yaml"
    batch.write_text(f"out: {box / 'home'}\nmax_iters: 1\naudio: false\nruns:\n  - name: first\n    prompt: a minuet\n"
                     "  - name: project\n    prompt: a jig\n  - name: third\n    prompt: a march in D major\n")  # fmt: skip
    add("run", "bad middle entry", ["run", str(batch), "--json"], [str(box / "home" / n) for n in ("first", "third", ".musicgrammar-batch.json")],
        expect_exit=1, batch_entries=["first", "third"], batch_root=str(box / "home"))  # fmt: skip
    return P


# ---------------------------------------------------------------------------------------------
# Running and checking


def snapshot(box: Path) -> dict[str, str]:
    """Every entry under the sandbox: a link's target, a file's content hash, or 'dir'."""
    state: dict[str, str] = {}
    for root, dirs, files in os.walk(box, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
            rel = str(path.relative_to(box))
            if rel.startswith("in/"):
                continue  # inputs are read, not watched (a FIFO cannot be hashed)
            if path.is_symlink():
                state[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                state[rel] = "dir"
            elif path.is_file():
                state[rel] = hashlib.sha1(path.read_bytes()).hexdigest()
    return state


def _inside(rel: str, allowed: list[str], box: Path) -> bool:
    path = box / rel
    return any(path == Path(a) or Path(a) in path.parents for a in allowed)


def run_probe(probe: Probe, box: Path, base_env: dict[str, str]) -> Outcome:
    before = snapshot(box)
    env = base_env | probe.env
    argv: list[str | bytes] = [sys.executable, "-m", "musicgrammar", *probe.argv]
    started = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=600, env=env, cwd=box / "home", stdin=subprocess.DEVNULL)
        code, err, out = proc.returncode, proc.stderr.decode("utf-8", "replace"), proc.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        code, err, out = -9, "timed out", ""
    seconds = time.perf_counter() - started
    after = snapshot(box)
    changed = sorted(rel for rel, value in before.items() if after.get(rel) != value and not _inside(rel, probe.allowed, box))
    outside = sorted(rel for rel in after if rel not in before and not _inside(rel, probe.allowed, box))
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("… ", "warning:", "note:"))]
    stopped = False
    if probe.batch_entries:
        try:
            ran = {s["name"] for s in json.loads(out) if s.get("status") != "failed"}
        except ValueError:
            ran = set()
        stopped = not set(probe.batch_entries) <= ran
    # remove what the probe was allowed to write, so the next probe starts from the same sandbox
    for path in probe.allowed:
        p = Path(path)
        if p.is_symlink() or p.is_file():
            p.unlink()
        elif p.is_dir():
            shutil.rmtree(p)
    return Outcome(probe, code, seconds, "Traceback" in err, code == 0 or len(lines) == 1, changed, outside, stopped, err)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="Comma-separated commands to probe (default: all).")
    parser.add_argument("--out", type=Path, default=None, help="Also write the table (Markdown) here.")
    parser.add_argument("--verbose", action="store_true", help="Print each failing probe's stderr.")
    parser.add_argument("--code", action="append", default=None, metavar="[LABEL=]PATH",
                        help="A checkout of MusicGrammar to probe (repeatable, for a side-by-side run); default this one.")  # fmt: skip
    args = parser.parse_args(argv)
    tables, failed = [], False
    for given in args.code or [str(ROOT)]:
        label, _, path = given.rpartition("=")
        outcomes, seconds = probe_checkout(Path(path).resolve(), args.only, args.verbose)
        table = render_table(outcomes, seconds)
        tables.append(f"**{label or path}**\n\n{table}" if args.code else table)
        failed = failed or any(_problems(o) for o in outcomes)
    table = "\n\n".join(tables)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")
    return 1 if failed else 0


def probe_checkout(code: Path, only: str, verbose: bool) -> tuple[list[Outcome], float]:
    """Run every chosen probe against the checkout at `code`, in a fresh sandbox."""
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="mg-robust-") as tmp:
        tmp_path = Path(tmp)
        box = tmp_path / "box"
        build_sandbox(box)
        (box / "out").mkdir()
        base_env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith("MUSICGRAMMAR_")}
        base_env |= {"PYTHONPATH": str(code), "HOME": str(tmp_path / "userhome"), "MUSICGRAMMAR_CACHE_DIR": str(tmp_path / "cache"),
                     "MUSICGRAMMAR_RUNS_DIR": str(box / "out" / "runs"), "DSPY_CACHEDIR": str(tmp_path / "dspy"),
                     "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}  # fmt: skip
        chosen = [p for p in probes(box) if not only or p.command in only.split(",")]
        outcomes: list[Outcome] = []
        for index, probe in enumerate(chosen, 1):
            args_text = [a.decode("utf-8", "replace") if isinstance(a, bytes) else a for a in probe.argv]
            probe.allowed = probe.allowed + [a for a in args_text if a.startswith(str(box / "out"))]
            outcome = run_probe(probe, box, base_env)
            outcomes.append(outcome)
            bad = _problems(outcome)
            line = f"[{index:3d}/{len(chosen)}] {probe.command:11s} {probe.name:32s} exit {outcome.code:3d} {outcome.seconds:5.1f} s"
            print(line + (f"  <-- {', '.join(bad)}" if bad else ""), file=sys.stderr, flush=True)
            if bad and verbose:
                print("      " + outcome.stderr.strip().replace("\n", "\n      ")[-1500:], file=sys.stderr)
    return outcomes, time.time() - started


def _problems(o: Outcome) -> list[str]:
    problems = []
    if o.traceback:
        problems.append("traceback")
    if not o.one_line:
        problems.append("not one line")
    if o.code == 0 and o.probe.expect_exit is None:
        problems.append("accepted (exit 0)")
    if o.probe.expect_exit is not None and o.code != o.probe.expect_exit:
        problems.append(f"exit {o.code}, expected {o.probe.expect_exit}")
    if o.changed:
        problems.append(f"user files changed: {', '.join(o.changed[:3])}")
    if o.outside:
        problems.append(f"writes outside: {', '.join(o.outside[:3])}")
    if o.batch_stopped:
        problems.append("batch stopped")
    return problems


def render_table(outcomes: list[Outcome], seconds: float) -> str:
    commands: dict[str, list[Outcome]] = {}
    for o in outcomes:
        commands.setdefault(o.probe.command, []).append(o)
    count: Callable[[list[Outcome], Callable[[Outcome], bool]], int] = lambda os_, f: sum(1 for o in os_ if f(o))  # noqa: E731
    lines = ["| command | bad inputs | tracebacks | not one line | wrong exit | user files changed | writes outside the output | batches stopped by one entry |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    rows = list(commands.items()) + [("**all**", outcomes)]
    for name, group in rows:
        wrong_exit = count(group, lambda o: (o.code == 0 if o.probe.expect_exit is None else o.code != o.probe.expect_exit))
        lines.append(f"| {name} | {len(group)} | {count(group, lambda o: o.traceback)} | {count(group, lambda o: not o.one_line)} | "
                     f"{wrong_exit} | {count(group, lambda o: bool(o.changed))} | {count(group, lambda o: bool(o.outside))} | "
                     f"{count(group, lambda o: o.batch_stopped)} |")  # fmt: skip
    lines.append("")
    lines.append(f"{len(outcomes)} probes in {seconds:.0f} s; exit codes seen: "
                 + ", ".join(f"{c} ×{n}" for c, n in sorted(_exit_counts(outcomes).items())))  # fmt: skip
    return "\n".join(lines)


def _exit_counts(outcomes: list[Outcome]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for o in outcomes:
        counts[o.code] = counts.get(o.code, 0) + 1
    return counts


if __name__ == "__main__":
    sys.exit(main())
