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
from musicgrammar.graphs.options import RunOptions, check_prompt
from musicgrammar.graphs.rundir import RUN_META, check_no_links, folder_lock, is_run_folder, prepare_output_folder
from musicgrammar.graphs.state import DesignState, RunContext, Trace
from musicgrammar.limits import MAX_PROMPT_BYTES
from musicgrammar.ontologies import Constraints, get_instrument

__all__ = ["RunResult", "compose", "resume", "check_prompt", "find_run", "new_run_id", "MAX_PROMPT_BYTES"]

_META = RUN_META


@dataclass
class RunResult:
    run_id: str
    out_dir: Path
    state: DesignState
    seconds: float
    moved_aside: Path | None = None  # where --force moved the folder's earlier content

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


def new_run_id(prompt: str, seed: int) -> str:
    """The default run id (and folder name): start time, the prompt's first words, the seed."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{_slug(prompt)}-s{seed}"


def _agents(options: RunOptions, lm_name: str) -> dict[str, Any]:
    """The five agents of a run, on the engine (`lm_name` 'local') or on one LLM session."""
    from musicgrammar.agents import AestheticsJudge, Composer, HarmonyCritic, Librarian, LLMSession, ThemeWeaver, make_lm
    from musicgrammar.settings import get_settings

    settings = get_settings()
    llm = None
    if lm_name != "local":
        lm = make_lm(lm_name, api_base=options.lm_api_base, timeout_s=options.lm_timeout_s)
        llm = LLMSession(lm=lm, timeout_s=options.lm_timeout_s, retries=options.lm_retries, fallback_local=options.fallback_local)
    roles = {"librarian": Librarian, "weaver": ThemeWeaver, "composer": Composer, "critic": HarmonyCritic, "judge": AestheticsJudge}
    on_llm = {cls.role for cls in roles.values()} if settings.lm_agents.strip() == "all" else {r.strip() for r in settings.lm_agents.split(",") if r.strip()}
    unknown = on_llm - {cls.role for cls in roles.values()}
    if unknown:
        raise UserInputError(f"unknown agent(s) {', '.join(sorted(unknown))}; use 'all' or some of {', '.join(c.role for c in roles.values())}",
                             field="MUSICGRAMMAR_LM_AGENTS")  # fmt: skip
    agents = {key: cls(llm=llm if cls.role in on_llm else None) for key, cls in roles.items()}
    agents["critic"] = HarmonyCritic(llm=llm if HarmonyCritic.role in on_llm else None, harmonizer="ff")
    if llm is not None and options.agents_dir:
        from musicgrammar.agents.compiled import load_compiled

        load_compiled(agents, Path(options.agents_dir))
    return agents | {"llm": llm}


def _write_meta(out_dir: Path, meta: dict[str, Any]) -> None:
    from musicgrammar.fileio import atomic_write

    with atomic_write(out_dir / _META, suffix=".json") as tmp:
        tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")


def _run_graph(out_dir: Path, start: DesignState | None, meta: dict[str, Any], options: RunOptions,
               progress: Callable[[str], None] | None) -> DesignState:  # fmt: skip
    checkpointer = open_checkpointer(out_dir / "checkpoint.sqlite")
    graph = build_design_graph(checkpointer)
    config = {"configurable": {"thread_id": meta["run_id"]}, "recursion_limit": 200}

    def context(lm_name: str) -> RunContext:
        from musicgrammar.tools.realize import ModelMelody, RuleMelody

        melody = RuleMelody() if meta.get("melody") == "rules" else ModelMelody()
        return RunContext(out_dir=out_dir, trace=Trace(out_dir / "trace.jsonl"), render_audio=options.audio,
                          fail_at=fail_at_from_env(), progress=progress, melody=melody, **_agents(options, lm_name))  # fmt: skip

    try:
        result = _invoke(graph, start, config, context(meta["lm"]), out_dir)
    except ProviderUnavailableError as exc:
        if not options.fallback_local or meta["lm"] == "local":
            raise
        # carry on from the last checkpoint with the offline engine, and say so
        if progress:
            progress(f"LLM unavailable ({exc}); continuing with the local engine")
        meta["lm"] = "local"
        meta["fell_back"] = str(exc)
        _write_meta(out_dir, meta)
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
    options: RunOptions | None = None,
    overrides: Constraints | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    **given: Any,
) -> RunResult:
    """Run the design graph on a prompt and write the run directory. Deterministic per seed.

    `options` (or the RunOptions fields as keywords: lm, seed, max_iters, duration_s, fallback_local,
    audio, ...) say how. Everything is checked before the folder is made; the folder must be new or
    empty (`force` moves an existing one aside), and is locked while the run writes to it.
    """
    check_prompt(prompt)
    options = options or RunOptions.build(**given)
    if options.agents_dir is not None:
        from musicgrammar.agents.compiled import check_compiled_dir

        check_compiled_dir(Path(options.agents_dir))
    if options.duration_s is not None:
        overrides = (overrides or Constraints()).model_copy(update={"duration_s": options.duration_s})
    from musicgrammar.settings import get_settings

    run_id = (out_dir.resolve().name or "run") if out_dir is not None else new_run_id(prompt, options.seed)
    out_dir = out_dir or get_settings().runs_dir / run_id
    engine = "local" if options.lm == "local" else options.lm
    start = DesignState(run_id=run_id, prompt=prompt, seed=options.seed, max_iters=options.max_iters, overrides=overrides,
                        engine=engine)  # fmt: skip
    moved = prepare_output_folder(out_dir, "run", force=force)
    with folder_lock(out_dir, "run"):
        meta = {"run_id": run_id, **options.model_dump(mode="json")}
        _write_meta(out_dir, meta)
        started = time.perf_counter()
        state = _run_graph(out_dir, start, meta, options, progress)
    return RunResult(run_id, out_dir, state, time.perf_counter() - started, moved_aside=moved)


def find_run(run: str | Path) -> Path:
    """The folder of a run given as its folder or as its id under the runs folder."""
    from musicgrammar.settings import get_settings

    for candidate in (Path(run), get_settings().runs_dir / str(run)):
        if is_run_folder(candidate):
            return candidate
    raise UserInputError("no resumable run there (expected a run folder with run.json and checkpoint.sqlite)", path=str(run))


def _read_meta(out_dir: Path) -> tuple[dict[str, Any], RunOptions]:
    path = out_dir / _META
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserInputError(f"unreadable run record ({exc})", path=str(path)) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("run_id"), str) or not isinstance(meta.get("lm"), str):
        raise UserInputError("not a run record (needs run_id and lm)", path=str(path))
    fields = {name: meta.get(name) for name in RunOptions.model_fields}
    return meta, RunOptions.build(**fields)


def resume(run: str | Path, progress: Callable[[str], None] | None = None) -> RunResult:
    """Continue an interrupted run from its last checkpoint; finished nodes are not run again.

    A second resume (or a run still writing) of the same folder gets RunBusyError at once.
    """
    out_dir = find_run(run)
    check_no_links(out_dir)  # before the lock file is made: a refused folder is left exactly as it was
    with folder_lock(out_dir, "run"):
        check_no_links(out_dir)  # and again once no other writer can be at work
        meta, options = _read_meta(out_dir)
        started = time.perf_counter()
        state = _run_graph(out_dir, None, meta, options, progress)
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
