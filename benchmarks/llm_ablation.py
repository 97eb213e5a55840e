"""The ablation of the Generative Ontology paper, done for music, with a real local LLM: what each layer of
the grammar adds to a small model's designs. Same prompts and seeds for every row.

  (a) one free-text call, its JSON parsed afterwards      (b) the typed signature (dspy's JSON adapter)
  (c) + structured output from the ontology's schema      (d) + validator-feedback repair (the Composer)
  (e) + the critics and judge loop (every agent on the LLM, 2 passes, no retrieval)
  (f) + retrieval (the Librarian)                          (g) + compiled agents (`agents compile`)
  and the engine (no LLM) as the reference row.

Columns: parse rate, schema-valid, cross-domain-valid, explicit constraints honoured, LLM attempts,
tokens and seconds per piece; for (e)-(g) also the share of agent outputs that came from the LLM (the
rest fell back to the engine with a note).

    python benchmarks/llm_ablation.py [--prompts 20] [--rows abcdefgE] [--out benchmarks/results/llm_ablation.jsonl]

It starts the packaged SmolLM2 server itself (the [llm] extra) unless --api-base is given. Results are
appended one JSON line per (row, prompt), so an interrupted run keeps what it measured; --table prints the
Markdown table from that file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dspy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from compose import PROMPTS as COMPOSE_PROMPTS  # noqa: E402  (the compose benchmark's 10 prompts with their checks)
from compose import check  # noqa: E402

# ten more, each with the explicit constraints the result must honour
MORE_PROMPTS: list[tuple[str, dict]] = [
    ("a waltz in G major for violin", {"key": "G major", "meter": "3/4", "has": {"Violin"}}),
    ("a lullaby in F major for flute at 66 BPM", {"key": "F major", "tempo_bpm": 66, "has": {"Flute"}}),
    ("a hornpipe in D major for tin whistle", {"key": "D major", "has": {"Tin whistle"}}),
    ("a sad song in A minor for piano", {"key": "A minor", "has": {"Acoustic Grand Piano"}}),
    ("a chorale in Eb major for organ, 30 seconds", {"key": "Eb major", "duration_s": 30, "has": {"Church Organ"}}),
    ("a tango in D minor for accordion and bass", {"key": "D minor", "has": {"Accordion"}}),
    ("a fanfare in C major for trumpet at 120 BPM", {"key": "C major", "tempo_bpm": 120, "has": {"Trumpet"}}),
    ("a barcarolle in 6/8 for cello", {"meter": "6/8", "has": {"Cello"}}),
    ("a pastoral in F major for oboe and strings", {"key": "F major", "has": {"Oboe"}}),
    ("a gigue in B minor for harpsichord", {"key": "B minor", "has": {"Harpsichord"}}),
]
PROMPTS = COMPOSE_PROMPTS + MORE_PROMPTS
ROWS = {
    "a": "(a) one free-text call, parsed afterwards",
    "b": "(b) typed signature",
    "c": "(c) + structured output (schema)",
    "d": "(d) + validator-feedback repair",
    "e": "(e) + critics and judge loop",
    "f": "(f) + retrieval",
    "g": "(g) + compiled agents",
    "E": "engine (no LLM), reference",
}
SEED = 7


class FreeTextDesign(dspy.Signature):
    """Design a piece of music for the request. Answer with the design as JSON: title, key (tonic,
    mode), meter, tempo (bpm), form, sections (id, role, bars, progression: one chord string per bar,
    cadence) and ensemble (id, instrument, role)."""

    request: str = dspy.InputField()
    design: str = dspy.OutputField()


def _summary_of(spec: Any) -> dict:
    """The fields of a compose summary that `check` reads, from a bare spec."""
    from musicgrammar.ontologies import get_instrument

    names = []
    for member in spec.ensemble:
        try:
            names.append(get_instrument(member.instrument).name)
        except ValueError:
            names.append(member.instrument)
    return {"key": str(spec.key), "meter": str(spec.meter), "tempo_bpm": spec.tempo.bpm, "duration_s": spec.duration_seconds,
            "instruments": names, "tradition": spec.tradition, "lyrics_language": spec.lyrics.language if spec.lyrics else None}  # fmt: skip


def _tokens(lm: Any, since: int) -> int:
    return sum(int((e.get("usage") or {}).get("prompt_tokens") or 0) + int((e.get("usage") or {}).get("completion_tokens") or 0)
               for e in lm.history[since:])  # fmt: skip


def _single_call(row: str, prompt: str, expect: dict, lm: Any, timeout_s: float) -> dict:
    """Rows (a)-(c): one call for the design, nothing repaired."""
    from musicgrammar.agents.lm import OntologyJSONAdapter
    from musicgrammar.agents.signatures import ComposeSpec
    from musicgrammar.agents.weaving import weave_brief
    from musicgrammar.ontologies import CompositionSpec, validate_spec

    since, started = len(lm.history), time.perf_counter()
    parsed = schema_ok = cross_ok = honoured = timed_out = False
    try:
        if row == "a":
            with dspy.context(lm=lm, adapter=dspy.ChatAdapter()):
                text = dspy.Predict(FreeTextDesign)(request=prompt, config={"timeout": timeout_s}).design
            start, end = text.find("{"), text.rfind("}")
            data = json.loads(text[start : end + 1]) if 0 <= start < end else None
            parsed = isinstance(data, dict)
            spec = CompositionSpec.model_validate(data) if parsed else None
        else:
            adapter = dspy.JSONAdapter() if row == "b" else OntologyJSONAdapter()
            with dspy.context(lm=lm, adapter=adapter):
                answer = dspy.Predict(ComposeSpec)(brief=weave_brief(prompt), exemplars=[], previous=None, proposals=[], feedback=[],
                                                   config={"timeout": timeout_s})  # fmt: skip
            parsed, spec = True, answer.spec
        schema_ok = spec is not None
        if spec is not None:
            cross_ok = validate_spec(spec).valid
            honoured = not check(_summary_of(spec), expect)
    except dspy.utils.exceptions.AdapterParseError as exc:
        parsed = "cannot be serialized to a JSON object" not in str(exc)
    except (ValueError, TypeError):
        pass  # json or pydantic rejected it: parsed stays as measured, schema invalid
    except Exception as exc:  # a provider failure counts as a failed piece, and is said
        timed_out = "timeout" in f"{type(exc).__name__} {exc}".lower() or "timed out" in str(exc).lower()
        print(f"  {row} {prompt[:30]!r}: {type(exc).__name__}: {str(exc)[:120]}", file=sys.stderr)
    return {"parsed": parsed, "schema_valid": schema_ok, "cross_valid": cross_ok, "honoured": honoured, "attempts": 1, "timed_out": timed_out,
            "tokens": _tokens(lm, since), "seconds": time.perf_counter() - started, "llm_share": 1.0}  # fmt: skip


def _repaired(prompt: str, expect: dict, lm: Any, timeout_s: float) -> dict:
    """Row (d): the Composer's LLM strategy, checked by the validators and retried with their findings."""
    from musicgrammar.agents import Composer, LLMSession
    from musicgrammar.agents.lm import LLMOutputError
    from musicgrammar.agents.weaving import weave_brief
    from musicgrammar.errors import ProviderUnavailableError
    from musicgrammar.ontologies import validate_spec

    session = LLMSession(lm=lm, timeout_s=timeout_s, retries=2)
    started = time.perf_counter()
    result = {"parsed": False, "schema_valid": False, "cross_valid": False, "honoured": False}
    try:
        out = Composer(llm=session)(brief=weave_brief(prompt), exemplars=[], seed=SEED)
        result = {"parsed": True, "schema_valid": True, "cross_valid": validate_spec(out.spec).valid,
                  "honoured": not check(_summary_of(out.spec), expect)}  # fmt: skip
    except (LLMOutputError, ProviderUnavailableError) as exc:
        errors = session.calls[-1].errors if session.calls else []
        # parsed: some attempt was JSON (a type error says "Failed to parse field"), as in the other rows
        result["parsed"] = any(not e.startswith("LLM_UNPARSABLE") or "Failed to parse field" in e for e in errors) or "LLM_UNPARSABLE" not in str(exc)
        result["schema_valid"] = any(not e.startswith("LLM_UNPARSABLE") for e in errors)
    call = session.calls[-1] if session.calls else None
    return result | {"attempts": call.attempts if call else 0, "tokens": session.tokens, "seconds": time.perf_counter() - started, "llm_share": 1.0,
                     "timed_out": bool(call and call.outcome in ("unavailable", "deadline"))}  # fmt: skip


def _full_run(row: str, prompt: str, expect: dict, model: str, api_base: str | None, timeout_s: float, agents_dir: Path | None, work: Path,
              passes: int = 2) -> dict:  # fmt: skip
    """Rows (e)-(g) and the engine: the whole design graph; an agent whose answers stay unusable falls
    back to the engine (so every row delivers a valid piece; the LLM share says how much the model wrote)."""
    from musicgrammar.agents.librarian import Librarian, LibrarianOutput
    from musicgrammar.graphs import runner

    original = runner._agents

    class NoRetrieval(Librarian):
        def forward(self, brief: Any) -> LibrarianOutput:
            return LibrarianOutput(note="retrieval switched off for this ablation row")

    def agents_without_retrieval(meta: dict, lm_name: str) -> dict:
        agents = original(meta, lm_name)
        return agents | {"librarian": NoRetrieval(llm=agents["llm"])}

    if row == "e":
        runner._agents = agents_without_retrieval
    started = time.perf_counter()
    try:
        result = runner.compose(prompt, out_dir=work / f"{row}-{abs(hash(prompt))}", lm="local" if row == "E" else model, seed=SEED,
                                max_iters=1 if row == "E" else passes, fallback_local=True, audio=False, lm_api_base=api_base,
                                lm_timeout_s=timeout_s, agents_dir=agents_dir if row == "g" else None)  # fmt: skip
    finally:
        runner._agents = original
    summary = result.summary()
    lines = [json.loads(line) for line in (result.out_dir / "trace.jsonl").read_text().splitlines()]
    calls = [c for line in lines for c in line.get("llm_calls", [])]
    errors = [e for c in calls for e in c["errors"]]
    attempts = sum(c["attempts"] for c in calls)
    unparsable = sum(1 for e in errors if e.startswith("LLM_UNPARSABLE") and "Failed to parse field" not in e)
    schema_bad = sum(1 for e in errors if e.startswith("LLM_UNPARSABLE"))
    strategies = [s for a, s in summary["strategies"].items() if not (row == "e" and a == "librarian")]
    return {"timed_out": any(c["outcome"] in ("unavailable", "deadline") for c in calls), "parsed": (attempts - unparsable) / attempts if attempts else 1.0, "schema_valid": (attempts - schema_bad) / attempts if attempts else 1.0,
            "cross_valid": summary["valid"], "honoured": not check(summary, expect), "attempts": attempts, "tokens": summary["lm_tokens"],
            "seconds": time.perf_counter() - started, "calls": [[c["agent"], c["outcome"], c["attempts"], c["completion_tokens"], round(c["seconds"], 1)] for c in calls],
            "llm_share": sum(s == "llm" for s in strategies) / len(strategies) if strategies and row != "E" else 0.0}  # fmt: skip


def _table(path: Path) -> str:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    lines = ["| row | pieces | parse rate | schema-valid | cross-domain-valid | constraints honoured | LLM attempts / piece | tokens / piece | s / piece | deadline hit | agent outputs by the LLM |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row, label in ROWS.items():
        rs = [r for r in records if r["row"] == row]
        if not rs:
            continue
        n = len(rs)

        def mean(key: str) -> float:
            return sum(float(r[key]) for r in rs) / n

        share = "-" if row in "abcdE" else f"{mean('llm_share'):.0%}"
        lines.append(f"| {label} | {n} | {mean('parsed'):.0%} | {mean('schema_valid'):.0%} | {mean('cross_valid'):.0%} | {mean('honoured'):.0%} | "
                     f"{mean('attempts'):.1f} | {mean('tokens'):.0f} | {mean('seconds'):.1f} | {sum(bool(r.get('timed_out')) for r in rs)}/{n} | {share} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=20, help="How many of the 20 prompts (the same ones for every row).")
    parser.add_argument("--first", type=int, default=0, help="Index of the first prompt (to split a run over several workers).")
    parser.add_argument("--passes", type=int, default=2, help="Design passes of rows (e)-(g) (the engine row makes one).")
    parser.add_argument("--max-tokens", type=int, default=800, help="Most tokens of one LLM answer.")
    parser.add_argument("--threads", type=int, default=2, help="Threads of the packaged server.")
    parser.add_argument("--resume", action="store_true", help="Skip the (row, prompt) pairs already in --out.")
    parser.add_argument("--rows", default="abcdefgE", help="Which rows, e.g. 'abcE'.")
    parser.add_argument("--api-base", default=None, help="An OpenAI-compatible server (default: start the packaged SmolLM2).")
    parser.add_argument("--model", default="openai/smollm2")
    parser.add_argument("--timeout", type=float, default=240.0, help="Deadline of one agent's LLM call (s).")
    parser.add_argument("--agents", type=Path, default=None, help="Compiled agents for row (g) (default: compile now).")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "llm_ablation.jsonl")
    parser.add_argument("--table", action="store_true", help="Only print the table of --out.")
    args = parser.parse_args()
    if args.table:
        print(_table(args.out))
        return
    import contextlib

    import torch

    from musicgrammar.agents.lm import make_lm
    from musicgrammar.agents.local_llm import local_server

    torch.set_num_threads(1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="llm-ablation-"))
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(contextlib.ExitStack())

        def start() -> tuple[str, Any]:
            """(Re)start the packaged server: llama.cpp's server keeps generating an answer nobody waits for
            any more, so after a deadline the next row would queue behind it and time out in turn."""
            server.close()
            base = args.api_base or server.enter_context(local_server(threads=args.threads, log=work / "server.log"))
            return base, make_lm(args.model, api_base=base, timeout_s=args.timeout, max_tokens=args.max_tokens)

        api_base, lm = start()
        agents_dir = args.agents
        if "g" in args.rows and agents_dir is None:
            from musicgrammar.agents.compile import compile_agents, default_students
            from musicgrammar.agents.compiled import save_compiled

            report = compile_agents(default_students(), demos=1, seed=0)
            agents_dir = work / "compiled"
            save_compiled(report.agents, agents_dir, {"lm": args.model})
        done = set()
        if args.resume and args.out.exists():
            done = {(r["row"], r["prompt"]) for r in map(json.loads, args.out.read_text().splitlines()) if r.get("row")}
        prompts = PROMPTS[args.first : args.first + args.prompts]
        # single-call rows one row at a time (the server reuses the cached prefix of the same instructions),
        # then the whole-graph rows one prompt at a time (so a stopped run has the same prompts in each)
        order = [(row, p) for row in args.rows if row in "abcdE" for p in prompts] + [(row, p) for p in prompts for row in args.rows if row in "efg"]
        for row, (prompt, expect) in order:
            if (row, prompt) in done:
                continue
            if row in "abc":
                record = _single_call(row, prompt, expect, lm, args.timeout)
            elif row == "d":
                record = _repaired(prompt, expect, lm, args.timeout)
            else:
                record = _full_run(row, prompt, expect, args.model, api_base, args.timeout, agents_dir, work, args.passes)
            record |= {"row": row, "prompt": prompt, "seed": SEED, "passes": args.passes if row in "efg" else 1, "max_tokens": args.max_tokens}
            print(json.dumps(record), flush=True)
            with args.out.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
            if record.get("timed_out") and not args.api_base:
                api_base, lm = start()
    print(_table(args.out))


if __name__ == "__main__":
    main()
