"""Audio rendering with FluidSynth: one stem per part, the mix as their sum, and a piano roll.

One `fluidsynth.Synth` (pyfluidsynth) loads the soundfont once per render, and each part is played
through it on its GM program (percussion on the drum channel, bank 128) from a sorted event list,
so a render costs one soundfont load however many parts there are. Every stem and the mix end
`tail_s` seconds after the score's last bar (the release and reverb tail). The mix is the sum of
the stems; both are scaled by one factor so that the mix peaks at -1 dBFS and never clips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from musicgrammar.errors import ModelError, UserInputError
from musicgrammar.ontologies import Score
from musicgrammar.tools.io import atomic_write
from musicgrammar.tools.synth_library import import_fluidsynth

__all__ = ["RenderResult", "find_soundfont", "render_parts", "render_score", "save_pianoroll", "timgm_soundfont", "FLUIDR3"]

FLUIDR3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
_PEAK = 10 ** (-1.0 / 20.0)  # -1 dBFS
_DRUM_CHANNEL = 9


def timgm_soundfont() -> Path:
    """The small GM soundfont that ships inside pretty_midi."""
    import pretty_midi

    return Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"


def find_soundfont(explicit: str | Path | None = None) -> Path:
    """The soundfont to use: `explicit`, else settings.soundfont, else FluidR3_GM when installed, else TimGM6mb."""
    from musicgrammar.settings import get_settings

    choice = explicit or get_settings().soundfont
    if choice:
        path = Path(choice)
        if not path.is_file():
            raise UserInputError("soundfont not found", path=str(path))
        return path
    return FLUIDR3 if FLUIDR3.is_file() else timgm_soundfont()


@dataclass
class RenderResult:
    """What a render wrote: paths and durations in seconds."""

    mix: Path
    stems: dict[str, Path] = field(default_factory=dict)
    duration_s: float = 0.0  # length of the WAV files (score + tail)
    music_s: float = 0.0  # length of the score's bars
    tail_s: float = 0.0
    sample_rate: int = 44100
    soundfont: Path | None = None
    render_s: float = 0.0  # wall-clock seconds spent synthesizing (soundfont load included)
    cpu_s: float = 0.0  # CPU seconds of the same (equals render_s on an idle machine)

    @property
    def realtime_factor(self) -> float:
        return self.duration_s / self.render_s if self.render_s > 0 else float("inf")


def _events(score: Score, part_index: int) -> list[tuple[float, int, int, int]]:
    """(seconds, kind 0=off 1=on, pitch, velocity), note-offs first at equal times."""
    spq = score.seconds_per_quarter
    events: list[tuple[float, int, int, int]] = []
    for n in score.parts[part_index].notes:
        events.append((n.start * spq, 1, n.pitch, n.velocity))
        events.append((n.end * spq, 0, n.pitch, 0))
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def render_parts(
    score: Score, soundfont: str | Path | None = None, sample_rate: int | None = None, tail_s: float = 1.5, reverb: bool = True
) -> tuple[dict[str, np.ndarray], int, Path]:
    """Synthesize every part: {part id: mono float32 array (n_samples,)}, all the same length.

    `reverb=False` turns FluidSynth's reverb and chorus off: a dry render costs about half the time
    because the effects run over every stem's whole length.
    """
    fluidsynth = import_fluidsynth()
    from musicgrammar.settings import get_settings

    sr = int(sample_rate or get_settings().sample_rate)
    sf2 = find_soundfont(soundfont)
    # Every stem spans the same time: the score's bars (or its last note, if later) plus the tail.
    end_s = max(score.duration_seconds, max((p.end for p in score.parts), default=0.0) * score.seconds_per_quarter)
    total = int(np.ceil((end_s + tail_s) * sr))
    effects = {} if reverb else {"synth.reverb.active": 0, "synth.chorus.active": 0}
    synth = fluidsynth.Synth(samplerate=float(sr), gain=0.5, **effects)
    try:
        sfid = synth.sfload(str(sf2))
        if sfid < 0:
            raise ModelError(f"FluidSynth could not load the soundfont {sf2}")
        stems: dict[str, np.ndarray] = {}
        for index, part in enumerate(score.parts):
            channel = _DRUM_CHANNEL if part.is_drum else 0
            synth.system_reset()
            if part.is_drum:
                if synth.program_select(channel, sfid, 128, 0) == -1:
                    raise ModelError(f"soundfont {sf2.name} has no drum kit (bank 128)")
            else:
                synth.program_select(channel, sfid, 0, part.program)
            out = np.zeros(total, dtype=np.float32)
            cursor = 0
            for time_s, kind, pitch, velocity in _events(score, index):
                sample = min(int(round(time_s * sr)), total)
                if sample > cursor:
                    out[cursor:sample] = _mono(synth.get_samples(sample - cursor))
                    cursor = sample
                if kind:
                    synth.noteon(channel, pitch, velocity)
                else:
                    synth.noteoff(channel, pitch)
            if total > cursor:
                out[cursor:] = _mono(synth.get_samples(total - cursor))
            synth.all_sounds_off(channel)
            # Flush the reverb/chorus so the next stem does not start with this one's tail.
            synth.get_samples(sr // 2)
            stems[part.id] = out
    finally:
        synth.delete()
    return stems, sr, sf2


def _mono(interleaved: np.ndarray) -> np.ndarray:
    """pyfluidsynth's interleaved int16 stereo (2n,) -> mono float32 (n,) in [-1, 1]."""
    stereo = np.asarray(interleaved, dtype=np.float32).reshape(-1, 2)
    return stereo.mean(axis=1) / 32768.0


def render_score(
    score: Score,
    out_dir: str | Path,
    soundfont: str | Path | None = None,
    sample_rate: int | None = None,
    tail_s: float = 1.5,
    reverb: bool = True,
) -> RenderResult:
    """Write mix.wav and stems/<part id>.wav under out_dir; return paths and durations."""
    import time

    import soundfile as sf

    if not score.parts or not any(p.notes for p in score.parts):
        raise UserInputError("the score has no notes to render")
    started, cpu_started = time.perf_counter(), time.process_time()
    stems, sr, sf2 = render_parts(score, soundfont, sample_rate, tail_s, reverb)
    render_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    mix = np.sum(np.stack(list(stems.values())), axis=0)
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    # One gain for the mix and the stems: the stems still add up to the mix after scaling.
    gain = _PEAK / peak if peak > 0 else 1.0
    out = Path(out_dir)
    (out / "stems").mkdir(parents=True, exist_ok=True)
    result = RenderResult(mix=out / "mix.wav", sample_rate=sr, soundfont=sf2, tail_s=tail_s, render_s=render_s, cpu_s=cpu_s)
    for part_id, audio in stems.items():
        target = out / "stems" / f"{part_id}.wav"
        with atomic_write(target, suffix=".wav") as tmp:
            sf.write(str(tmp), audio * gain, sr, subtype="PCM_16", format="WAV")
        result.stems[part_id] = target
    with atomic_write(result.mix, suffix=".wav") as tmp:
        sf.write(str(tmp), mix * gain, sr, subtype="PCM_16", format="WAV")
    result.duration_s = len(mix) / sr
    result.music_s = score.duration_seconds
    return result


def save_pianoroll(score: Score, path: str | Path, dpi: int = 110) -> Path:
    """A piano-roll PNG: one colour per part, bar lines, pitch on y and bars on x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, ax = plt.subplots(figsize=(max(6.0, min(24.0, score.bars * 0.6)), 4.5))
    colours = plt.get_cmap("tab10")
    pitches: list[int] = []
    for index, part in enumerate(score.parts):
        colour = colours(index % 10)
        for n in part.notes:
            ax.add_patch(Rectangle((n.start, n.pitch - 0.4), n.duration, 0.8, color=colour, alpha=0.85, lw=0))
            pitches.append(n.pitch)
        ax.plot([], [], color=colour, lw=6, label=f"{part.id} ({part.instrument})")
    for bar in range(score.bars + 1):
        ax.axvline(bar * score.bar_quarters, color="0.8", lw=0.6, zorder=0)
    ax.set_xlim(0, max(score.length_quarters, max((p.end for p in score.parts), default=0.0)))
    ax.set_ylim((min(pitches) - 2, max(pitches) + 2) if pitches else (48, 84))
    ax.set_xlabel(f"quarter notes ({score.meter}, {score.bars} bars, {score.tempo_bpm:g} BPM)")
    ax.set_ylabel("MIDI pitch")
    ax.set_title(f"{score.title} ({score.key})")
    if score.parts:
        ax.legend(loc="upper right", fontsize=7, framealpha=0.8)
    fig.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target, suffix=".png") as tmp:
        fig.savefig(str(tmp), dpi=dpi, format="png")
    plt.close(fig)
    return target

