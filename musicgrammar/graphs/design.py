"""The design graph: retrieve -> weave -> compose -> realize -> validate -> critique -> render ->
judge -> (compose again with targeted feedback | finish), on LangGraph with a SQLite checkpointer.

Every node reads and writes typed state; the agents, the output folder and options travel in the
run context. The iteration budget is explicit in the state, and a run only ever delivers a
composition that the validators pass (the best valid iteration), or says that none passed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from musicgrammar.agents.prompt_reader import read_constraints
from musicgrammar.agents.strategy import is_fallback
from musicgrammar.graphs.state import DesignState, RunContext, Snapshot
from musicgrammar.ontologies import (
    Brief,
    Composition,
    IterationRecord,
    Source,
    SourceKind,
    Verdict,
    validate_composition,
)

__all__ = ["build_design_graph", "open_checkpointer", "NODES"]

NODES = ("retrieve", "weave", "compose", "realize", "validate", "critique", "render", "judge", "finish")


def _node(name: str, fn: Callable[[DesignState, RunContext], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Wrap a node: time it, trace it, report progress, and fail on purpose where a test asks."""

    def run(state: DesignState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        if ctx.fail_at == f"{name}:{state.iteration}":
            ctx.fail_at = None
            raise RuntimeError(f"injected failure at {name} (iteration {state.iteration})")
        if ctx.progress:
            ctx.progress(f"{name}" + (f" (pass {state.iteration})" if state.iteration else ""))
        started = time.perf_counter()
        calls_before = len(ctx.llm.calls) if ctx.llm else 0
        update = fn(state, ctx)
        summary = update.pop("_trace", {})
        if ctx.llm and len(ctx.llm.calls) > calls_before:
            calls = ctx.llm.calls[calls_before:]
            summary["llm_calls"] = [c.record() for c in calls]
            update["lm_tokens"] = state.lm_tokens + sum(c.tokens for c in calls)
        ctx.trace.write(name, update.get("iteration", state.iteration), time.perf_counter() - started, **summary)
        return update

    return run


def _strategy(state: DesignState, agent: str, strategy: str) -> dict[str, Any]:
    """Record which strategy made an agent's output; a fallback is also a note of the run."""
    update: dict[str, Any] = {"strategies": state.strategies | {agent: strategy}}
    if is_fallback(strategy):
        note = f"{agent} fell back to the local engine: {strategy.removeprefix('engine (fallback: ').removesuffix(')')}"
        if note not in state.notes:
            update["notes"] = state.notes + [note]
    return update


def _retrieve(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    probe = Brief(title="request", prompt=state.prompt[:2000], constraints=read_constraints(state.prompt))
    out = ctx.librarian(brief=probe)
    sources = [Source(kind=SourceKind.EXEMPLAR, id=e.id, title=e.title, licence=e.licence, note=fact)
               for e, fact in zip(out.exemplars, out.facts)]  # fmt: skip
    notes = [] if out.grounded else [out.note or "no exemplars found: the plan is not grounded in the corpus"]
    update = _strategy(state, "librarian", out.strategy)
    update["notes"] = update.get("notes", state.notes) + notes
    return update | {"hints": out.hints, "sources": sources, "grounded": out.grounded,
                     "_trace": {"exemplars": [s.id for s in sources], "facts": out.facts, "grounded": out.grounded, "strategy": out.strategy}}  # fmt: skip


def _weave(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    out = ctx.weaver(prompt=state.prompt, overrides=state.overrides)
    brief = out.brief
    return _strategy(state, "theme_weaver", out.strategy) | {"brief": brief, "adjustments": list(brief.constraints.adjustments),
            "_trace": {"brief": brief.model_dump(mode="json", exclude={"prompt"}), "strategy": out.strategy}}  # fmt: skip


def _compose(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.brief is not None  # weave ran first
    iteration = state.iteration + 1
    proposals = state.critique.proposals if state.critique else []
    out = ctx.composer(brief=state.brief, exemplars=state.hints, seed=state.seed, previous=state.spec,
                       feedback=state.feedback if state.spec else [], proposals=proposals if state.spec else [])  # fmt: skip
    return _strategy(state, "composer", out.strategy) | {"spec": out.spec, "iteration": iteration, "changes": list(out.changes),
            "_trace": {"changes": out.changes, "feedback": [f.code for f in state.feedback], "attempts": out.attempts, "strategy": out.strategy,
                       "key": str(out.spec.key), "meter": str(out.spec.meter), "bars": out.spec.bars}}  # fmt: skip


def _realize(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    from musicgrammar.tools.realize import realize_design

    assert state.spec is not None
    spec, score = realize_design(state.spec, seed=state.seed * 101 + state.iteration, melody=ctx.melody)
    return {"spec": spec, "score": score, "_trace": {"parts": {p.id: len(p.notes) for p in score.parts}}}


def _validate(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.spec is not None and state.score is not None
    report = validate_composition(Composition(spec=state.spec, score=state.score))
    return {"validation": report, "_trace": {"valid": report.valid, "findings": [f.model_dump(mode="json") for f in report.findings]}}


def _critique(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.spec is not None and state.score is not None
    out = ctx.critic(spec=state.spec, score=state.score, seed=state.seed + state.iteration)
    critique = out.critique
    return _strategy(state, "harmony_critic", out.strategy) | {"critique": critique, "_trace": {"metrics": critique.metrics,
            "findings": [f.code for f in critique.findings], "proposals": len(critique.proposals), "strategy": out.strategy}}  # fmt: skip


def _render(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    from musicgrammar.graphs.outputs import write_score_files

    assert state.score is not None
    # each pass renders into passes/<n>/; the delivered pass is copied to the run folder at the end
    files = write_score_files(state.score, ctx.out_dir / "passes" / str(state.iteration), audio=ctx.render_audio, musicxml=False)
    return {"files": files, "_trace": {"files": sorted(files)}}


def _judge(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    from musicgrammar.graphs.outputs import read_audio

    assert state.spec is not None and state.score is not None and state.validation is not None
    mix, sr, stems = read_audio(state.files)
    judged = ctx.judge(spec=state.spec, score=state.score, mix=mix, sr=sr, stems=stems)
    judgement = judged.judgement
    critique_findings = state.critique.findings if state.critique else []
    from musicgrammar.tools.listen.plan_check import check_render_audio

    # the plan-to-audio check on the mix just read for the judge: does it sound as designed?
    heard = check_render_audio(state.score, mix, sr, stems, Path(state.files["mix"])) if mix is not None and sr else []
    record = IterationRecord(
        iteration=state.iteration,
        findings=[f.model_dump(mode="json") for f in state.validation.findings + critique_findings + judgement.findings + heard],
        scores={d.name: round(d.score, 3) for d in judgement.dimensions} | {"overall": round(judgement.overall, 3)},
        verdict=judgement.verdict.value,
        changes=list(state.changes),
    )
    best = state.best
    if state.validation.valid and (best is None or judgement.overall > best.overall):
        best = Snapshot(iteration=state.iteration, spec=state.spec, score=state.score, overall=judgement.overall)
    # the next pass hears about every error and every targeted weakness, nothing else
    feedback = [f for f in state.validation.findings if f.severity.value == "error"]
    feedback += [f for f in critique_findings if f.severity.value in ("error", "warning")]
    feedback += judgement.findings
    feedback += [f for f in heard if f.severity.value != "info"]
    return _strategy(state, "aesthetics_judge", judged.strategy) | {"judgement": judgement, "history": state.history + [record], "best": best, "feedback": feedback,
            "_trace": {"verdict": judgement.verdict.value, "overall": judgement.overall, "reasons": judgement.reasons, "strategy": judged.strategy,
                       "heard": [f.code for f in heard]}}  # fmt: skip


def _route(state: DesignState) -> str:
    accepted = state.validation is not None and state.validation.valid and state.judgement is not None and state.judgement.verdict is Verdict.ACCEPT
    if accepted or state.iteration >= state.max_iters:
        return "finish"
    return "compose"


def _finish(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    from musicgrammar.graphs.outputs import write_run

    files, delivered = write_run(state, ctx)
    return {"files": files, "finished": True, "_trace": {"delivered_iteration": delivered}}


def build_design_graph(checkpointer: Any = None) -> Any:
    """The compiled design graph (state: DesignState, context: RunContext)."""
    graph = StateGraph(DesignState, context_schema=RunContext)
    steps = {"retrieve": _retrieve, "weave": _weave, "compose": _compose, "realize": _realize, "validate": _validate,
             "critique": _critique, "render": _render, "judge": _judge, "finish": _finish}  # fmt: skip
    for name, fn in steps.items():
        graph.add_node(name, _node(name, fn))
    graph.add_edge(START, "retrieve")
    for a, b in zip(NODES[:7], NODES[1:8]):
        graph.add_edge(a, b)
    graph.add_conditional_edges("judge", _route, {"compose": "compose", "finish": "finish"})
    graph.add_edge("finish", END)
    return graph.compile(checkpointer=checkpointer)


def open_checkpointer(path: Path, extra_types: list[tuple[str, str]] | None = None) -> Any:
    """A SQLite checkpointer at `path` that can rebuild the state's Pydantic types (and
    `extra_types`, (module, class) pairs of another graph's state) on resume."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
    from langgraph.checkpoint.sqlite import SqliteSaver

    from musicgrammar.graphs.state import SERIALIZABLE_TYPES

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    serde = JsonPlusSerializer(allowed_msgpack_modules=SERIALIZABLE_TYPES + list(extra_types or []))
    return SqliteSaver(conn, serde=serde)


def fail_at_from_env() -> str | None:
    """MUSICGRAMMAR_FAIL_AT=node:iteration makes that node raise once (for crash-recovery tests)."""
    return os.environ.get("MUSICGRAMMAR_FAIL_AT") or None
