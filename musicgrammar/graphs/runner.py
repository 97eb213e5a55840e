"""Running the design graph: a fresh run, a resumed run, and the one-object summary of a run."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from musicgrammar.errors import ProviderUnavailableError, UserInputError
from musicgrammar.graphs.design import build_design_graph, fail_at_from_env, open_checkpointer
from musicgrammar.graphs.state import DesignState, RunContext, Trace
from musicgrammar.ontologies import Constraints, get_instrument

__all__ = ["RunResult", "compose", "resume", "MAX_PROMPT_BYTES"]

MAX_PROMPT_BYTES = 1_000_000
_META = "run.json"


@dataclass
class RunResult:
    run_id: str
    out_dir: Path
    state: DesignState
    seconds: float

    @property
    def valid(self) -> bool:
        comp = self.composition()
        from musicgrammar.ontologies import validate_composition

        return validate_composition(comp).valid

    def composition(self) -> Any:
        from musicgrammar.ontologies.files import load_composition

        return load_composition(self.out_dir / "composition.json")

    def summary(self) -> dict[str, Any]:
        """The object `musicgrammar compose --json` prints."""
        from musicgrammar.ontologies import validate_composition

        comp = self.composition()
        spec = comp.spec
        report = validate_composition(comp)
        names: list[str] = []
        for member in spec.ensemble:
            name = get_instrument(member.instrument).name
            if name not in names:
                names.append(name)
        warnings = list(comp.provenance.notes) + [f.line() for f in report.warnings]
        return {
            "run_id": self.run_id,
            "valid": report.valid,
            "iterations": self.state.iteration,
            "title": spec.title,
            "key": str(spec.key),
            "meter": str(spec.meter),
            "tempo_bpm": spec.tempo.bpm,
            "duration_s": round(spec.duration_seconds, 2),
            "instruments": names,
            "tradition": spec.tradition,
            "lyrics_language": spec.lyrics.language if spec.lyrics else None,
            "warnings": warnings,
            "strategies": dict(self.state.strategies),
            "lm_tokens": self.state.lm_tokens,
            "files": {k: v for k, v in self.state.files.items() if not k.startswith("stem:")} | {"stems": str(self.out_dir / "stems")},
        }


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:4]
    return "-".join(words) or "untitled"


def _agents(meta: dict[str, Any], lm_name: str) -> dict[str, Any]:
    """The five agents of a run, on the engine (`lm_name` 'local') or on one LLM session."""
    from musicgrammar.agents import AestheticsJudge, Composer, HarmonyCritic, Librarian, LLMSession, ThemeWeaver, make_lm
    from musicgrammar.settings import get_settings

    settings = get_settings()
    llm = None
    if lm_name != "local":
        timeout_s = float(meta.get("lm_timeout_s") or settings.lm_timeout_s)
        lm = make_lm(lm_name, api_base=meta.get("api_base") or settings.lm_api_base, timeout_s=timeout_s)
        llm = LLMSession(lm=lm, timeout_s=timeout_s, retries=settings.lm_retries, fallback_local=bool(meta.get("fallback_local")))
    roles = {"librarian": Librarian, "weaver": ThemeWeaver, "composer": Composer, "critic": HarmonyCritic, "judge": AestheticsJudge}
    on_llm = {cls.role for cls in roles.values()} if settings.lm_agents.strip() == "all" else {r.strip() for r in settings.lm_agents.split(",") if r.strip()}
    unknown = on_llm - {cls.role for cls in roles.values()}
    if unknown:
        raise UserInputError(f"unknown agent(s) {', '.join(sorted(unknown))}; use 'all' or some of {', '.join(c.role for c in roles.values())}",
                             field="MUSICGRAMMAR_LM_AGENTS")  # fmt: skip
    agents = {key: cls(llm=llm if cls.role in on_llm else None) for key, cls in roles.items()}
    agents["critic"] = HarmonyCritic(llm=llm if HarmonyCritic.role in on_llm else None, harmonizer="ff")
    if llm is not None and meta.get("agents_dir"):
        from musicgrammar.agents.compiled import load_compiled

        load_compiled(agents, Path(meta["agents_dir"]))
    return agents | {"llm": llm}


def _run_graph(out_dir: Path, start: DesignState | None, meta: dict[str, Any], progress: Callable[[str], None] | None) -> DesignState:
    checkpointer = open_checkpointer(out_dir / "checkpoint.sqlite")
    graph = build_design_graph(checkpointer)
    config = {"configurable": {"thread_id": meta["run_id"]}, "recursion_limit": 200}

    def context(lm_name: str) -> RunContext:
        from musicgrammar.tools.realize import ModelMelody, RuleMelody

        melody = RuleMelody() if meta.get("melody") == "rules" else ModelMelody()
        return RunContext(out_dir=out_dir, trace=Trace(out_dir / "trace.jsonl"), render_audio=meta.get("audio", True),
                          fail_at=fail_at_from_env(), progress=progress, melody=melody,
                          **_agents(meta, lm_name))  # fmt: skip

    try:
        result = _invoke(graph, start, config, context(meta["lm"]), out_dir)
    except ProviderUnavailableError as exc:
        if not meta.get("fallback_local") or meta["lm"] == "local":
            raise
        # carry on from the last checkpoint with the offline engine, and say so
        if progress:
            progress(f"LLM unavailable ({exc}); continuing with the local engine")
        meta["lm"] = "local"
        meta["fell_back"] = str(exc)
        (out_dir / _META).write_text(json.dumps(meta, indent=2))
        graph.update_state(config, {"engine": "local (fallback)", "notes": [f"LLM unavailable, fell back to the local engine: {exc}"]})
        result = _invoke(graph, None, config, context("local"), out_dir)
    finally:
        checkpointer.conn.close()
    return DesignState.model_validate(result)


def _invoke(graph: Any, start: DesignState | None, config: dict[str, Any], ctx: RunContext, out_dir: Path) -> Any:
    """Run the graph; an unexpected failure inside a node leaves the checkpoint and says how to resume."""
    from musicgrammar.errors import ModelError, MusicGrammarError

    try:
        return graph.invoke(start, config, context=ctx)
    except MusicGrammarError:
        raise
    except Exception as exc:
        raise ModelError(f"the run stopped ({type(exc).__name__}: {exc}); its finished steps are checkpointed: "
                         f"continue with `musicgrammar compose --resume {out_dir}`") from exc


def compose(
    prompt: str,
    *,
    out_dir: Path | None = None,
    lm: str = "local",
    seed: int = 0,
    max_iters: int = 3,
    overrides: Constraints | None = None,
    fallback_local: bool = False,
    audio: bool = True,
    progress: Callable[[str], None] | None = None,
    api_base: str | None = None,
    lm_timeout_s: float | None = None,
    agents_dir: Path | None = None,
) -> RunResult:
    """Run the design graph on a prompt and write the run directory. Deterministic per seed (with the
    engine; an LLM is as deterministic as its provider). `api_base` points litellm at a server,
    `lm_timeout_s` is the deadline of one agent's LLM call, `agents_dir` holds compiled agents."""
    if len(prompt.encode("utf-8", "replace")) > MAX_PROMPT_BYTES:
        raise UserInputError(f"the prompt is {len(prompt.encode())} bytes; the limit is {MAX_PROMPT_BYTES}", field="PROMPT")
    if not 1 <= max_iters <= 20:
        raise UserInputError("must be between 1 and 20", field="--max-iters")
    if lm_timeout_s is not None and not 0 < lm_timeout_s <= 3600:
        raise UserInputError(f"{lm_timeout_s:g} s is outside 0-3600 s", field="--lm-timeout")
    if agents_dir is not None:
        from musicgrammar.agents.compiled import check_compiled_dir

        check_compiled_dir(agents_dir)
    from musicgrammar.settings import get_settings

    run_id = out_dir.name if out_dir is not None else f"{time.strftime('%Y%m%d-%H%M%S')}-{_slug(prompt)}-s{seed}"
    out_dir = out_dir or get_settings().runs_dir / run_id
    if (out_dir / "checkpoint.sqlite").exists() or (out_dir / "composition.json").exists():
        raise UserInputError("already holds a run; use --resume or another --out", path=str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {"run_id": run_id, "lm": lm, "seed": seed, "max_iters": max_iters, "fallback_local": fallback_local, "audio": audio,
            "api_base": api_base, "lm_timeout_s": lm_timeout_s, "agents_dir": str(agents_dir) if agents_dir else None}  # fmt: skip
    (out_dir / _META).write_text(json.dumps(meta, indent=2))
    engine = "local" if lm == "local" else lm
    start = DesignState(run_id=run_id, prompt=prompt, seed=seed, max_iters=max_iters, overrides=overrides, engine=engine)
    started = time.perf_counter()
    state = _run_graph(out_dir, start, meta, progress)
    return RunResult(run_id, out_dir, state, time.perf_counter() - started)


def resume(run: str | Path, progress: Callable[[str], None] | None = None) -> RunResult:
    """Continue an interrupted run from its last checkpoint; finished nodes are not run again."""
    from musicgrammar.settings import get_settings

    out_dir = Path(run)
    if not (out_dir / _META).exists():
        out_dir = get_settings().runs_dir / str(run)
    if not (out_dir / _META).exists() or not (out_dir / "checkpoint.sqlite").exists():
        raise UserInputError("no resumable run there (expected run.json and checkpoint.sqlite)", path=str(out_dir))
    meta = json.loads((out_dir / _META).read_text())
    started = time.perf_counter()
    state = _run_graph(out_dir, None, meta, progress)
    return RunResult(meta["run_id"], out_dir, state, time.perf_counter() - started)


def _resumed_state(out_dir: Path) -> DesignState:
    """The final state of a finished run, read from its checkpoint (nothing is run)."""
    meta = json.loads((out_dir / _META).read_text())
    checkpointer = open_checkpointer(out_dir / "checkpoint.sqlite")
    try:
        graph = build_design_graph(checkpointer)
        snapshot = graph.get_state({"configurable": {"thread_id": meta["run_id"]}})
        return DesignState.model_validate(snapshot.values)
    finally:
        checkpointer.conn.close()
