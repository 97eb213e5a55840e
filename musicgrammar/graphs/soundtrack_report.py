"""A soundtrack run's folder: composition.json, cues.json, the affect picture (the V-A curve over
the music's measured loudness and note density), report.md, and for a video the muxed video.

Measured from the written files, not from the plan: cue starts from the tempo map in score.mid,
loudness from mix.wav, note density from the rendered (performance) score, the muxed video's
duration from ffprobe.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from musicgrammar.ontologies import Composition, Provenance, Source, SourceKind
from musicgrammar.ontologies.soundtrack import CuePlan

if TYPE_CHECKING:  # pragma: no cover
    from musicgrammar.graphs.soundtrack import SoundtrackContext, SoundtrackState

__all__ = ["write_soundtrack_run", "spearman", "measure_cue_starts"]


def spearman(x: list[float], y: list[float]) -> float | None:
    """Spearman rank correlation (average ranks for ties); None with fewer than 3 points or no spread."""
    from scipy.stats import spearmanr

    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return float(spearmanr(x, y).statistic)


def measure_cue_starts(midi_path: Path, plan: CuePlan, starts_quarters: list[float]) -> list[float]:
    """The seconds at which each cue starts, read back through score.mid's tempo map."""
    import pretty_midi

    from musicgrammar.tools.cue_score import lead_in_ticks

    pm = pretty_midi.PrettyMIDI(str(midi_path))
    lead_in = lead_in_ticks(plan, pm.resolution)
    return [float(pm.tick_to_time(lead_in + int(round(q * pm.resolution)))) for q in starts_quarters]


def _loudness_db(mix: np.ndarray, sr: int, a: float, b: float) -> float:
    seg = mix[int(a * sr) : max(int(a * sr) + 1, int(b * sr))]
    return float(20 * np.log10(np.sqrt(np.mean(seg.astype(np.float64) ** 2)) + 1e-9))


def write_soundtrack_run(state: SoundtrackState, ctx: SoundtrackContext) -> tuple[dict[str, str], dict[str, Any]]:
    from musicgrammar.graphs.outputs import read_audio, save_spectrogram
    from musicgrammar.ontologies.files import save_json
    from musicgrammar.tools.cue_score import cue_bounds_quarters, performance_score
    from musicgrammar.tools.render import save_pianoroll

    assert state.spec is not None and state.score is not None and state.plan is not None and state.storyboard is not None
    out, plan, spec = ctx.out_dir, state.plan, state.spec
    files = dict(state.files)
    mix, sr, _ = read_audio(files)
    perf = performance_score(state.score, spec, plan)
    bounds = cue_bounds_quarters(spec, plan)
    measured_starts = measure_cue_starts(Path(files["midi"]), plan, [a for a, _ in bounds])
    scene_starts = [state.storyboard.scenes[c.scene].start for c in plan.cues]
    onsets = np.sort(np.array([n.start for p in perf.parts for n in p.notes]))
    per_cue = []
    for cue, measured, wanted in zip(plan.cues, measured_starts, scene_starts):
        count = int(np.searchsorted(onsets, cue.end_s - 1e-6) - np.searchsorted(onsets, cue.start_s - 1e-6))
        per_cue.append({"loudness_db": round(_loudness_db(mix, sr, cue.start_s, cue.end_s), 2) if mix is not None and sr else None,
                        "notes_per_s": round(count / (cue.end_s - cue.start_s), 3), "start_error_s": round(abs(measured - wanted), 4)})  # fmt: skip
    arousal = [c.affect.arousal for c in plan.cues]
    measures: dict[str, Any] = {
        "max_cue_start_error_s": max(p["start_error_s"] for p in per_cue),
        "spearman_arousal_loudness": spearman(arousal, [p["loudness_db"] for p in per_cue]) if mix is not None else None,
        "spearman_arousal_density": spearman(arousal, [p["notes_per_s"] for p in per_cue]),
        "keys_share_tonic": all(c.key.tonic == plan.anchor.key.tonic for c in plan.cues),
        "parts_in_palette": all(set(c.parts) <= {m.id for m in spec.ensemble} for c in plan.cues),
        "per_cue": per_cue,
    }
    composition = Composition(spec=spec, score=state.score, provenance=Provenance(
        engine="local", prompt=f"soundtrack for {Path(state.source).name}", seed=state.seed, notes=list(state.notes),
        sources=[Source(kind=SourceKind.PROMPT, id=Path(state.source).name, title=plan.title, note=f"the {state.kind}"),
                 Source(kind=SourceKind.MODEL, id="musicgrammar-soundtrack", title="MusicGrammar soundtrack graph", licence="MIT",
                        note="theme weaver, composer, realizer, harmony critic, aesthetics judge")]))  # fmt: skip
    files["composition"] = str(save_json(composition, out / "composition.json"))
    files["cues"] = str(save_json(plan, out / "cues.json"))
    files["pianoroll"] = str(save_pianoroll(state.score, out / "pianoroll.png"))
    if mix is not None and sr:
        files["spectrogram"] = str(save_spectrogram(mix, sr, out / "spectrogram.png"))
    files["affect"] = str(_plot_affect(state, perf, mix, sr, out / "affect.png"))
    if state.kind == "video":
        from musicgrammar.tools.video import mux_audio, probe_video

        source = Path(state.source)
        target = out / f"{source.stem}.soundtrack{source.suffix.lower()}"
        files["video"] = str(mux_audio(source, files["mix"], target, state.video["duration_s"]))
        muxed = probe_video(target).duration_s
        measures["video_duration_s"] = round(muxed, 3)
        measures["video_duration_error_s"] = round(abs(muxed - state.video["duration_s"]), 3)
    files["report"] = str(_write_report(out / "report.md", state, measures))
    files["trace"] = str(ctx.trace.path)
    return files, measures


def _plot_affect(state: SoundtrackState, perf: Any, mix: np.ndarray | None, sr: int | None, path: Path) -> Path:
    """Top: the smoothed valence and arousal with the cuts. Bottom: loudness (dB) and note density."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from musicgrammar.graphs.outputs import save_figure

    assert state.plan is not None
    times = np.array(state.curve["times"])
    end = float(times[-1]) if times.size else state.plan.duration_s
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 5.5), dpi=100, sharex=True)
    top.plot(times, state.curve["valence"], label="valence", color="tab:blue")
    top.plot(times, state.curve["arousal"], label="arousal", color="tab:red")
    for cue in state.plan.cues:
        top.axvline(cue.start_s, color="grey", lw=0.6, ls=":")
        bottom.axvline(cue.start_s, color="grey", lw=0.6, ls=":")
    top.set_ylim(-1.05, 1.05)
    top.set_ylabel("V-A (smoothed)")
    top.legend(loc="upper right", fontsize=8)
    grid = np.arange(0.0, end, 1.0)
    onsets = np.array([n.start for p in perf.parts for n in p.notes])
    density = np.array([np.sum((onsets >= t - 1.0) & (onsets < t + 1.0)) / 2.0 for t in grid])
    bottom.plot(grid, density, color="tab:green", label="note onsets / s")
    bottom.set_ylabel("notes / s")
    bottom.set_xlabel("seconds")
    if mix is not None and sr:
        twin = bottom.twinx()
        loud = [_loudness_db(mix, sr, max(0.0, t - 0.5), t + 0.5) for t in grid]
        twin.plot(grid, loud, color="tab:purple", label="loudness dB (RMS)")
        twin.set_ylabel("dB")
        twin.legend(loc="upper right", fontsize=8)
    bottom.legend(loc="upper left", fontsize=8)
    return save_figure(fig, path)


def _write_report(path: Path, state: SoundtrackState, measures: dict[str, Any]) -> Path:
    plan, spec = state.plan, state.spec
    assert plan is not None and spec is not None
    a = plan.anchor
    fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    lines = [
        f"# {plan.title}: soundtrack",
        "",
        f"*Run {state.run_id}, seed {state.seed}, source {state.kind} `{Path(state.source).name}`.* "
        f"{len(plan.cues)} cues over {plan.duration_s:.1f} s; realization attempt {state.attempts}; "
        f"**{'valid' if state.validation and state.validation.valid else 'INVALID'}** ({state.validation.summary() if state.validation else '-'}).",
        "",
        "## Global anchor (the whole film)",
        "",
        "| style | key centre | meter | tempo family | palette | film valence, arousal |",
        "|---|---|---|---|---|---|",
        f"| {a.style or '-'} | {a.key} | {a.meter} | {a.tempo_family[0]:g}-{a.tempo_family[1]:g} BPM (centre {a.tempo_centre:g}) | "
        f"{', '.join(a.palette)} | {a.affect.valence:+.2f}, {a.affect.arousal:+.2f} |",
        "",
        f"Consistency: every cue is in {a.key} or its parallel mode (same tonic: {'yes' if measures['keys_share_tonic'] else 'NO'}), "
        f"and every cue plays a subset of the one ensemble above (checked: {'yes' if measures['parts_in_palette'] else 'NO'}); "
        "the film's two motifs return in every cue that has the lead, developed by the cue's affect.",
        "",
        "## Cues (local affect per scene)",
        "",
        "| cue | scenes | start s | end s | valence | arousal | key | BPM | bars | dynamic | register | density | parts | into the cut | loudness dB | notes/s | start error s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cue, m in zip(plan.cues, measures["per_cue"]):
        lines.append(f"| {cue.section} | {','.join(map(str, cue.scenes))} | {cue.start_s:.2f} | {cue.end_s:.2f} | {cue.affect.valence:+.2f} | "
                     f"{cue.affect.arousal:+.2f} | {cue.key} | {cue.tempo_bpm:.1f} | {cue.bars} | {cue.dynamic.value} | {cue.register_shift:+d} | "
                     f"{cue.density:g} | {', '.join(cue.parts)} | {cue.transition.value} | {fmt(m['loudness_db'])} | {m['notes_per_s']:.2f} | {m['start_error_s']:.3f} |")  # fmt: skip
    lines += [
        "",
        "## Measured",
        "",
        f"- Largest cue-start error against its scene boundary (read back from score.mid's tempo map): {measures['max_cue_start_error_s']:.4f} s",
        f"- Spearman, cue arousal vs loudness: {fmt(measures['spearman_arousal_loudness'])}; vs note density: {fmt(measures['spearman_arousal_density'])}",
    ]
    if "video_duration_s" in measures:
        lines.append(f"- Muxed video: {measures['video_duration_s']:.3f} s against the source's {state.video['duration_s']:.3f} s "
                     f"(difference {measures['video_duration_error_s']:.3f} s)")  # fmt: skip
    if state.kind == "video":
        lines.append(f"- Cuts detected: {len(state.video.get('cuts', []))} ({', '.join(f'{c:.1f}' for c in state.video.get('cuts', [])[:40])})")
    lines += ["", "## What was adjusted, and why", ""]
    lines += [f"- {n}" for n in state.notes] or ["- nothing"]
    lines += ["", "## Critics", ""]
    if state.validation:
        lines += [f"- validator: {f.line()}" for f in state.validation.findings[:20]] or ["- validator: no findings"]
    if state.critique:
        lines += [f"- harmony critic: {f.code}: {f.message}" for f in state.critique.findings[:20]] or ["- harmony critic: no findings"]
    if state.judgement:
        lines += [f"- aesthetics judge: {state.judgement.verdict.value}, overall {state.judgement.overall:.2f}"]
        lines += [f"  - {r}" for r in state.judgement.reasons]
    lines += ["", "## Pictures", "", "![V-A curve, loudness and note density](affect.png)", "", "![piano roll](pianoroll.png)", ""]
    if (path.parent / "spectrogram.png").exists():
        lines += ["![spectrogram](spectrogram.png)", ""]
    lines += ["The piano roll and MusicXML are on the score's quarter-note line at the average tempo; score.mid and the audio "
              "carry the tempo map (one tempo per cue).", ""]  # fmt: skip
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(path)
    return path
