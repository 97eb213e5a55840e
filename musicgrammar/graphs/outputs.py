"""The run directory: score files, audio, pictures, composition.json and report.md."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from musicgrammar.ontologies import Composition, Provenance, Score, Source, SourceKind, validate_composition

if TYPE_CHECKING:  # pragma: no cover
    from musicgrammar.graphs.state import DesignState, RunContext

__all__ = ["write_score_files", "read_audio", "write_run", "save_spectrogram", "save_figure", "report_text"]

# Terminal escape sequences (CSI ... final byte, OSC ... BEL/ST) that a pasted prompt may carry.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
# Characters that would start markup, a link or a table cell inside one line of Markdown.
_MARKDOWN = str.maketrans({"|": "\\|", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "`": "\\`"})


def report_text(text: str) -> str:
    """Free text (a prompt, a title, a message) made safe for one line or table cell of report.md.

    Terminal escapes and control or bidirectional-override characters are dropped, whitespace (newlines
    included) collapses to single spaces, and Markdown's |, <, >, [, ] and backtick are escaped, so that
    a table row keeps as many cells as its header.
    """
    text = _ESCAPES.sub("", text)
    text = "".join(" " if ch.isspace() else ch for ch in text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return " ".join(text.split()).translate(_MARKDOWN)


def write_score_files(score: Score, out_dir: Path, audio: bool = True, musicxml: bool = True) -> dict[str, str]:
    """score.mid, score.musicxml, and (with audio) mix.wav and stems/<part>.wav, under out_dir."""
    from musicgrammar.tools.io import save_midi, save_musicxml

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"midi": str(save_midi(score, out_dir / "score.mid"))}
    if musicxml:  # engraving is slow (music21): a run writes it once, for the delivered pass
        files["musicxml"] = str(save_musicxml(score, out_dir / "score.musicxml"))
    if audio:
        from musicgrammar.tools.render import render_score

        result = render_score(score, out_dir)
        files["mix"] = str(result.mix)
        files.update({f"stem:{part}": str(path) for part, path in result.stems.items()})
    return files


def read_audio(files: dict[str, str]) -> tuple[np.ndarray | None, int | None, dict[str, np.ndarray] | None]:
    """The rendered mix and stems as mono float arrays, or Nones when audio was not rendered."""
    if "mix" not in files:
        return None, None, None
    import soundfile as sf

    mix, sr = sf.read(files["mix"], dtype="float32", always_2d=False)
    stems = {k.split(":", 1)[1]: sf.read(v, dtype="float32")[0] for k, v in files.items() if k.startswith("stem:")}
    return mix, int(sr), stems


def _deliver_pass(out: Path, pass_dir: Path, audio: bool, score: Score) -> dict[str, str]:
    """Copy the delivered pass's files into the run folder (render them again only if missing)."""
    import shutil

    from musicgrammar.fileio import atomic_write
    from musicgrammar.tools.io import save_musicxml

    if not (pass_dir / "score.mid").exists() or (audio and not (pass_dir / "mix.wav").exists()):
        write_score_files(score, pass_dir, audio=audio, musicxml=False)
    files: dict[str, str] = {"musicxml": str(save_musicxml(score, out / "score.musicxml"))}
    for name, key in (("score.mid", "midi"), ("mix.wav", "mix")):
        if (pass_dir / name).exists():
            with atomic_write(out / name) as tmp:  # never writes through a link at the target
                shutil.copyfile(pass_dir / name, tmp)
            files[key] = str(out / name)
    if (pass_dir / "stems").is_dir():
        if (out / "stems").exists():
            shutil.rmtree(out / "stems")
        shutil.copytree(pass_dir / "stems", out / "stems")
        files.update({f"stem:{p.stem}": str(p) for p in sorted((out / "stems").glob("*.wav"))})
    return files


def save_spectrogram(mix: np.ndarray, sr: int, path: Path) -> Path:
    """A log-magnitude spectrogram picture of the mix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.2), dpi=100)
    ax.specgram(mix[:: 2], NFFT=1024, Fs=sr // 2, noverlap=512, cmap="magma")
    ax.set_xlabel("seconds")
    ax.set_ylabel("Hz")
    ax.set_ylim(0, 8000)
    return save_figure(fig, path)


def save_figure(fig: Any, path: Path) -> Path:
    """Lay out, write (to a temp file, then moved into place) and close a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    from musicgrammar.fileio import atomic_write

    with atomic_write(path, suffix=".png") as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return path


def write_run(state: DesignState, ctx: RunContext) -> tuple[dict[str, str], int]:
    """Write the delivered composition (the best valid pass, else the last) and its report."""
    from musicgrammar.ontologies.files import save_json
    from musicgrammar.tools.render import save_pianoroll

    out = ctx.out_dir
    delivered = state.best.iteration if state.best else state.iteration
    spec = state.best.spec if state.best else state.spec
    score = state.best.score if state.best else state.score
    assert spec is not None and score is not None
    files = _deliver_pass(out, out / "passes" / str(delivered), ctx.render_audio, score)
    report = validate_composition(Composition(spec=spec, score=score))
    sources = [Source(kind=SourceKind.PROMPT, id="prompt", title=state.prompt[:120], note="the request")]
    sources += state.sources
    sources.append(Source(kind=SourceKind.MODEL, id=f"musicgrammar-{state.engine}", title="MusicGrammar design graph",
                          licence="MIT", note="theme weaver, composer, harmony critic, aesthetics judge"))  # fmt: skip
    notes = [f"{a.field}: asked {a.requested or '-'}, used {a.applied or '-'} ({a.reason})" for a in state.adjustments]
    notes += state.notes
    if spec.lyrics and spec.lyrics.language != "en":
        notes.append(f"lyrics in {spec.lyrics.language}: the syllables are vocables (la, na, e, yo) for the co-creators to replace with their words")
    composition = Composition(
        spec=spec, score=score, history=state.history,
        provenance=Provenance(engine=state.engine, prompt=state.prompt[:2000], seed=state.seed, sources=sources, notes=notes),
    )  # fmt: skip
    files["composition"] = str(save_json(composition, out / "composition.json"))
    files["pianoroll"] = str(save_pianoroll(score, out / "pianoroll.png"))
    mix, sr, _ = read_audio(files)
    if mix is not None and sr:
        files["spectrogram"] = str(save_spectrogram(mix, sr, out / "spectrogram.png"))
    files["report"] = str(_write_report(out / "report.md", state, composition, report, delivered))
    files["trace"] = str(ctx.trace.path)
    return files, delivered


def _write_report(path: Path, state: DesignState, comp: Composition, report: Any, delivered: int) -> Path:
    from musicgrammar.fileio import atomic_write

    spec = comp.spec
    cell = report_text
    lines = [
        f"# {cell(spec.title)}",
        "",
        f"*Run {cell(state.run_id)}, seed {state.seed}, engine {cell(state.engine)}.* Request: “{cell(state.prompt[:300])}”",
        "",
        f"**{'Valid' if report.valid else 'INVALID'}** ({report.summary()}); delivered pass {delivered} of {state.iteration}.",
        "",
        "| key | meter | tempo | form | bars | duration | tradition |",
        "|---|---|---|---|---|---|---|",
        f"| {cell(str(spec.key))} | {spec.meter} | {spec.tempo.bpm:g} BPM ({spec.tempo.term.value if spec.tempo.term else ''}) | {spec.form.value} | {spec.bars} | {spec.duration_seconds:.1f} s | {cell(spec.tradition or '-')} |",
        "",
        "## Ensemble",
        "",
    ]
    lines += [f"- **{cell(m.id)}**: {cell(m.instrument)} ({m.role.value})" for m in spec.ensemble]
    lines += ["", "## Sections", "", "| section | bars | chords | cadence | dynamic |", "|---|---|---|---|---|"]
    lines += [f"| {cell(s.id)} | {s.bars} | {cell(' | '.join(s.progression))} | {s.cadence.value} | {s.dynamic.value} |" for s in spec.sections]
    if comp.provenance.notes:
        lines += ["", "## What was adjusted, and why", ""] + [f"- {cell(n)}" for n in comp.provenance.notes]
    lines += ["", "## Exemplars drawn on", ""]
    exemplars = [s for s in comp.provenance.sources if s.kind is SourceKind.EXEMPLAR]
    lines += [f"- `{s.id}` {cell(s.title)} ({cell(s.licence or '')}): {cell(s.note or '')}" for s in exemplars] or ["- none (the plan is not grounded in the corpus)"]
    lines += ["", "## Iterations", ""]
    for record in state.history:
        lines += [f"### Pass {record.iteration}: {record.verdict}", ""]
        lines += ["Changes: " + "; ".join(cell(c) for c in record.changes), ""] if record.changes else []
        lines += ["| dimension | score |", "|---|---|"] + [f"| {cell(k)} | {v:.2f} |" for k, v in record.scores.items()] + [""]
        if record.findings:
            lines += ["| severity | code | path | message |", "|---|---|---|---|"]
            lines += [f"| {f['severity']} | {cell(f['code'])} | {cell(f['path'])} | {cell(f['message'])} |" for f in record.findings[:40]]
            if len(record.findings) > 40:
                lines.append(f"| | | | … and {len(record.findings) - 40} more |")
        else:
            lines.append("No findings.")
        lines.append("")
    if state.judgement:
        lines += ["## The judge's reasons", ""] + [f"- {cell(r)}" for r in state.judgement.reasons] + [""]
    lines += ["## Pictures", "", "![piano roll](pianoroll.png)", ""]
    if (path.parent / "spectrogram.png").exists() or "mix" in state.files:
        lines += ["![spectrogram](spectrogram.png)", ""]
    with atomic_write(path, suffix=".md") as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")
    return path
