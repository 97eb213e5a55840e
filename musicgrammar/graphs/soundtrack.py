"""The soundtrack graph, beside the design graph and with its agents and tools:

read (storyboard, or video analysis) -> weave (the Theme Weaver reads every scene; the V-A curve)
-> compose (the Composer plans the anchor and every cue) -> realize (+ each cue's texture and its
transition at the cut) -> validate (-> realize again with a new seed while invalid, up to 3 times)
-> critique (Harmony Critic) -> render (tempo-mapped MIDI, MusicXML, audio on the film's clock)
-> judge (Aesthetics Judge) -> finish (run folder, report, the video with the music muxed in).

One pass: the critics' findings go into the report; they do not trigger re-planning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from musicgrammar.graphs.state import Trace
from musicgrammar.ontologies import (
    Affect,
    Composition,
    CompositionSpec,
    HarmonyCritique,
    Judgement,
    Score,
    ValidationReport,
    validate_composition,
)
from musicgrammar.ontologies.soundtrack import CuePlan, Storyboard

__all__ = ["SoundtrackState", "SoundtrackContext", "SoundtrackResult", "build_soundtrack_graph", "run_soundtrack", "NODES", "MAX_REALIZE_ATTEMPTS"]

NODES = ("read", "weave", "compose", "realize", "validate", "critique", "render", "judge", "finish")
MAX_REALIZE_ATTEMPTS = 3
DRY_RENDER_AFTER_S = 300.0


class SoundtrackState(BaseModel):
    """Everything a soundtrack run knows."""

    run_id: str
    source: str
    seed: int = 0
    kind: str = "storyboard"  # or "video"
    storyboard: Storyboard | None = None
    video: dict[str, Any] = Field(default_factory=dict, description="duration_s, fps, size, cuts of a video source")
    affects: list[Affect] = Field(default_factory=list)
    curve: dict[str, list[float]] = Field(default_factory=dict, description="times, valence, arousal (smoothed)")
    plan: CuePlan | None = None
    spec: CompositionSpec | None = None
    score: Score | None = None
    attempts: int = 0
    validation: ValidationReport | None = None
    critique: HarmonyCritique | None = None
    judgement: Judgement | None = None
    files: dict[str, str] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    measures: dict[str, Any] = Field(default_factory=dict)


@dataclass
class SoundtrackContext:
    """Live objects of one run: the agents, the output folder, options."""

    out_dir: Path
    weaver: Any
    composer: Any
    critic: Any
    judge: Any
    trace: Trace
    melody: Any = None
    progress: Callable[[str], None] | None = None
    analysis: Any = None  # the VideoAnalysis of a video source (frames are not kept)
    extras: dict[str, Any] = field(default_factory=dict)

    def weave(self, text: str) -> Any:
        return self.weaver(prompt=text).brief

    def compose(self, brief: Any, seed: int) -> CompositionSpec:
        return self.composer(brief=brief, exemplars=[], seed=seed).spec


def _node(name: str, fn: Callable[[SoundtrackState, SoundtrackContext], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def run(state: SoundtrackState, runtime: Runtime[SoundtrackContext]) -> dict[str, Any]:
        ctx = runtime.context
        if ctx.progress:
            ctx.progress(name)
        started = time.perf_counter()
        update = fn(state, ctx)
        summary = update.pop("_trace", {})
        ctx.trace.write(name, state.attempts, time.perf_counter() - started, **summary)
        return update

    return run


def _read(state: SoundtrackState, ctx: SoundtrackContext) -> dict[str, Any]:
    from musicgrammar.tools.film import VIDEO_SUFFIXES, load_storyboard, storyboard_from_video

    path = Path(state.source)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        from musicgrammar.tools.video import analyse_video

        analysis = analyse_video(path)
        ctx.analysis = analysis
        board = storyboard_from_video(analysis, path.stem.replace("_", " ").replace("-", " "))
        info = analysis.info
        video = {"duration_s": info.duration_s, "fps": info.fps, "width": info.width, "height": info.height,
                 "has_audio": info.has_audio, "cuts": analysis.cuts}  # fmt: skip
        return {"kind": "video", "storyboard": board, "video": video, "_trace": {"cuts": analysis.cuts, "duration_s": info.duration_s}}
    board = load_storyboard(path)
    return {"kind": "storyboard", "storyboard": board, "_trace": {"scenes": len(board.scenes)}}


def _weave(state: SoundtrackState, ctx: SoundtrackContext) -> dict[str, Any]:
    from musicgrammar.tools.film import affect_curve, scene_affects

    assert state.storyboard is not None
    affects = scene_affects(state.storyboard, ctx.weave, ctx.analysis)
    times, valence, arousal = affect_curve(state.storyboard, affects, ctx.analysis)
    curve = {"times": times.round(3).tolist(), "valence": valence.round(4).tolist(), "arousal": arousal.round(4).tolist()}
    return {"affects": affects, "curve": curve, "_trace": {"affects": [a.model_dump() for a in affects]}}


def _compose(state: SoundtrackState, ctx: SoundtrackContext) -> dict[str, Any]:
    from musicgrammar.agents.cue_planning import plan_cues

    assert state.storyboard is not None
    plan, spec = plan_cues(state.storyboard, state.affects, ctx.weave, ctx.compose, seed=state.seed)
    return {"plan": plan, "spec": spec, "notes": state.notes + plan.notes,
            "_trace": {"key": str(spec.key), "meter": str(spec.meter), "cues": len(plan.cues), "notes": plan.notes}}  # fmt: skip


def _realize(state: SoundtrackState, ctx: SoundtrackContext) -> dict[str, Any]:
    from musicgrammar.tools.cue_score import shape_cues
    from musicgrammar.tools.realize import realize_design

    assert state.spec is not None and state.plan is not None
    attempt = state.attempts + 1
    spec, score = realize_design(state.spec, seed=state.seed * 101 + attempt, melody=ctx.melody)
    times, arousal = np.array(state.curve["times"]), np.array(state.curve["arousal"])
    score = shape_cues(score, spec, state.plan, lambda t: float(np.interp(t, times, arousal)))
    return {"spec": spec, "score": score, "attempts": attempt, "_trace": {"parts": {p.id: len(p.notes) for p in score.parts}}}


def _validate(state: SoundtrackState, ctx: SoundtrackContext) -> dict[str, Any]:
    assert state.spec is not None and state.score is not None
    report = validate_composition(Composition(spec=state.spec, score=state.score))
    return {"validation": report, "_trace": {"valid": report.valid, "findings": [f.code for f in report.findings]}}


def _after_validate(state: SoundtrackState) -> str:
    if state.validation is not None and not state.validation.valid and state.attempts < MAX_REALIZE_ATTEMPTS:
        return "realize"
    return "critique"


def _critique(state: SoundtrackState, ctx: SoundtrackContext) -> dict[str, Any]:
    assert state.spec is not None and state.score is not None
    critique = ctx.critic(spec=state.spec, score=state.score, seed=state.seed).critique
    return {"critique": critique, "_trace": {"metrics": critique.metrics, "findings": [f.code for f in critique.findings]}}


def _render(state: SoundtrackState, ctx: SoundtrackContext) -> dict[str, Any]:
    from musicgrammar.graphs.outputs import write_score_files
    from musicgrammar.tools.cue_score import performance_score, save_tempo_mapped_midi
    from musicgrammar.tools.render import render_score

    assert state.spec is not None and state.score is not None and state.plan is not None
    out = ctx.out_dir
    files = write_score_files(state.score, out, audio=False, musicxml=True)
    files["midi"] = str(save_tempo_mapped_midi(state.score, state.spec, state.plan, out / "score.mid"))
    # a long film renders dry: FluidSynth's reverb and chorus run over every stem's whole length and
    # double the render time (tools.render); the report says so
    dry = state.plan.duration_s > DRY_RENDER_AFTER_S
    result = render_score(performance_score(state.score, state.spec, state.plan), out, reverb=not dry)
    notes = state.notes + ([f"the film lasts over {DRY_RENDER_AFTER_S / 60:g} minutes: rendered without reverb to stay fast"] if dry else [])
    files["mix"] = str(result.mix)
    files.update({f"stem:{part}": str(path) for part, path in result.stems.items()})
    return {"files": files, "notes": notes, "_trace": {"render_s": round(result.render_s, 2), "dry": dry, "files": sorted(files)}}


def _judge(state: SoundtrackState, ctx: SoundtrackContext) -> dict[str, Any]:
    from musicgrammar.graphs.outputs import read_audio

    assert state.spec is not None and state.score is not None
    mix, sr, stems = read_audio(state.files)
    judgement = ctx.judge(spec=state.spec, score=state.score, mix=mix, sr=sr, stems=stems).judgement
    return {"judgement": judgement, "_trace": {"verdict": judgement.verdict.value, "overall": judgement.overall}}


def _finish(state: SoundtrackState, ctx: SoundtrackContext) -> dict[str, Any]:
    from musicgrammar.graphs.soundtrack_report import write_soundtrack_run

    files, measures = write_soundtrack_run(state, ctx)
    return {"files": files, "measures": measures, "_trace": {"measures": measures}}


def build_soundtrack_graph() -> Any:
    """The compiled soundtrack graph (state: SoundtrackState, context: SoundtrackContext)."""
    graph = StateGraph(SoundtrackState, context_schema=SoundtrackContext)
    steps = {"read": _read, "weave": _weave, "compose": _compose, "realize": _realize, "validate": _validate,
             "critique": _critique, "render": _render, "judge": _judge, "finish": _finish}  # fmt: skip
    for name, fn in steps.items():
        graph.add_node(name, _node(name, fn))
    graph.add_edge(START, "read")
    for a, b in (("read", "weave"), ("weave", "compose"), ("compose", "realize"), ("realize", "validate"),
                 ("critique", "render"), ("render", "judge"), ("judge", "finish")):  # fmt: skip
        graph.add_edge(a, b)
    graph.add_conditional_edges("validate", _after_validate, {"realize": "realize", "critique": "critique"})
    graph.add_edge("finish", END)
    return graph.compile()


@dataclass
class SoundtrackResult:
    run_id: str
    out_dir: Path
    state: SoundtrackState
    seconds: float

    def summary(self) -> dict[str, Any]:
        """The object `musicgrammar soundtrack --json` prints."""
        plan, spec = self.state.plan, self.state.spec
        assert plan is not None and spec is not None
        cues = [{"scene": c.scene, "start_s": round(c.start_s, 3), "end_s": round(c.end_s, 3), "valence": round(c.affect.valence, 3),
                 "arousal": round(c.affect.arousal, 3), "key": str(c.key), "tempo_bpm": round(c.tempo_bpm, 2)} for c in plan.cues]  # fmt: skip
        files = {k: v for k, v in self.state.files.items() if not k.startswith("stem:")} | {"stems": str(self.out_dir / "stems")}
        measures = {k: v for k, v in self.state.measures.items() if k != "per_cue"}
        return {"run_id": self.run_id, "valid": bool(self.state.validation and self.state.validation.valid), "title": plan.title,
                "key": str(spec.key), "meter": str(spec.meter), "duration_s": round(plan.duration_s, 3), "cues": cues,
                "measures": measures, "notes": list(self.state.notes), "files": files}  # fmt: skip


def run_soundtrack(source: Path, *, out_dir: Path | None = None, seed: int = 0, progress: Callable[[str], None] | None = None) -> SoundtrackResult:
    """Score a storyboard or a video into a run folder. Deterministic per seed."""
    import re

    from musicgrammar.agents import AestheticsJudge, Composer, HarmonyCritic, ThemeWeaver
    from musicgrammar.errors import UserInputError
    from musicgrammar.settings import get_settings
    from musicgrammar.tools.realize import ModelMelody

    from musicgrammar.tools.film import VIDEO_SUFFIXES, load_storyboard

    # a bad input fails here, before anything is written
    if source.suffix.lower() in VIDEO_SUFFIXES:
        from musicgrammar.tools.video import probe_video

        probe_video(source)
    else:
        load_storyboard(source)
    slug = "-".join(re.findall(r"[a-z0-9]+", source.stem.lower())[:4]) or "film"
    run_id = out_dir.name if out_dir is not None else f"{time.strftime('%Y%m%d-%H%M%S')}-soundtrack-{slug}-s{seed}"
    out_dir = out_dir or get_settings().runs_dir / run_id
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UserInputError("the output folder is not empty; choose another --out", path=str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = SoundtrackContext(out_dir=out_dir, weaver=ThemeWeaver(), composer=Composer(), critic=HarmonyCritic(harmonizer="ff"),
                            judge=AestheticsJudge(), trace=Trace(out_dir / "trace.jsonl"), melody=ModelMelody(), progress=progress)  # fmt: skip
    started = time.perf_counter()
    result = build_soundtrack_graph().invoke(SoundtrackState(run_id=run_id, source=str(source), seed=seed), context=ctx,
                                             config={"recursion_limit": 60})  # fmt: skip
    return SoundtrackResult(run_id, out_dir, SoundtrackState.model_validate(result), time.perf_counter() - started)
