"""A film as the soundtrack graph reads it: a storyboard (YAML) or a video turned into one, each
scene's affect, and the smoothed valence-arousal curve over the film.

Scene affect, in order of precedence: the storyboard's explicit valence/arousal; for a video, the
pictures' mapped affect (tools.video), blended half and half with the description's when a scene
has words; for a storyboard scene with only words, the Theme Weaver's reading of the description.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies import Affect, Brief
from musicgrammar.ontologies.soundtrack import MAX_SCENES, Scene, Storyboard
from musicgrammar.tools.video import SAMPLE_FPS, VideoAnalysis

__all__ = ["VIDEO_SUFFIXES", "load_storyboard", "storyboard_from_video", "scene_affects", "affect_curve"]

VIDEO_SUFFIXES = {".mp4", ".webm", ".mkv", ".mov", ".m4v"}
MAX_STORYBOARD_BYTES = 5 * 1024 * 1024
SMOOTHING_S = 1.5  # Gaussian sigma of the V-A curve: transitions take a few seconds, as in NarraScore's smoothed trajectory


def load_storyboard(path: str | Path) -> Storyboard:
    """Read and check a storyboard YAML (or JSON) file; errors name the file and the field."""
    import yaml
    from pydantic import ValidationError

    from musicgrammar.fileio import check_input_file
    from musicgrammar.ontologies.files import describe_validation_error

    p = check_input_file(path, MAX_STORYBOARD_BYTES)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UserInputError(f"not valid YAML: {str(exc).splitlines()[0]}", path=str(p)) from exc
    if not isinstance(data, dict):
        raise UserInputError("a storyboard is a mapping with title, style and scenes", path=str(p))
    if not data.get("scenes"):
        raise UserInputError("the storyboard has no scenes", path=str(p), field="scenes")
    try:
        return Storyboard.model_validate(data)
    except ValidationError as exc:
        field, message = describe_validation_error(exc)
        raise UserInputError(message, path=str(p), field=field) from exc


def storyboard_from_video(analysis: VideoAnalysis, title: str) -> Storyboard:
    """One scene per shot between detected cuts, carrying no words and no explicit affect."""
    if len(analysis.cuts) >= MAX_SCENES:
        raise UserInputError(f"the video has {len(analysis.cuts) + 1} shots; the limit is {MAX_SCENES}", path=str(analysis.info.path))
    bounds = [0.0] + list(analysis.cuts) + [analysis.info.duration_s]
    scenes = [Scene(start=a, end=b) for a, b in zip(bounds, bounds[1:]) if b > a]
    return Storyboard(title=title[:200] or "Untitled film", scenes=scenes)


def scene_affects(board: Storyboard, weave: Callable[[str], Brief], analysis: VideoAnalysis | None = None) -> list[Affect]:
    """Each scene's (valence, arousal), by the precedence in the module docstring."""
    out = []
    for scene in board.scenes:
        if scene.valence is not None and scene.arousal is not None:
            out.append(Affect(valence=scene.valence, arousal=scene.arousal))
            continue
        words = _description_affect(scene.description, weave) if scene.description.strip() else None
        pictures = _picture_affect(analysis, scene.start, scene.end) if analysis is not None else None
        if pictures is not None and words is not None:
            base = Affect(valence=(pictures.valence + words.valence) / 2, arousal=(pictures.arousal + words.arousal) / 2)
        else:
            base = pictures or words or _description_affect(board.title, weave)
        out.append(Affect(valence=scene.valence if scene.valence is not None else base.valence,
                          arousal=scene.arousal if scene.arousal is not None else base.arousal))  # fmt: skip
    return out


def _description_affect(text: str, weave: Callable[[str], Brief]) -> Affect:
    arc = weave(text).affect_arc
    if not arc:
        return Affect()
    return Affect(valence=float(np.mean([a.valence for a in arc])), arousal=float(np.mean([a.arousal for a in arc])))


def _picture_affect(analysis: VideoAnalysis, start: float, end: float) -> Affect | None:
    inside = (analysis.times >= start - 1e-6) & (analysis.times < end - 1e-6)
    if not inside.any():
        return None
    return Affect(valence=float(np.clip(analysis.valence[inside].mean(), -1, 1)), arousal=float(np.clip(analysis.arousal[inside].mean(), -1, 1)))


def affect_curve(board: Storyboard, affects: Sequence[Affect], analysis: VideoAnalysis | None = None, step_s: float = 0.25
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(times, valence, arousal), sampled every `step_s` over the film and Gaussian-smoothed.

    The raw curve is each scene's affect; for a video, the per-frame picture affect moves around it
    inside the scene (its deviation from the scene mean), so motion within a shot shows.
    """
    end = board.scenes[-1].end
    times = np.arange(0.0, end + step_s / 2, step_s)
    valence, arousal = np.zeros_like(times), np.zeros_like(times)
    for scene, affect in zip(board.scenes, affects):
        inside = (times >= scene.start - 1e-9) & (times <= scene.end + 1e-9)
        valence[inside], arousal[inside] = affect.valence, affect.arousal
        if analysis is not None and analysis.times.size:
            frames = np.clip(np.round(times[inside] * SAMPLE_FPS).astype(int), 0, analysis.times.size - 1)
            shot = (analysis.times >= scene.start) & (analysis.times < scene.end)
            if shot.any():
                valence[inside] += 0.5 * (analysis.valence[frames] - analysis.valence[shot].mean())
                arousal[inside] += 0.5 * (analysis.arousal[frames] - analysis.arousal[shot].mean())
    return times, np.clip(_smooth(valence, step_s), -1, 1), np.clip(_smooth(arousal, step_s), -1, 1)


def _smooth(values: np.ndarray, step_s: float) -> np.ndarray:
    sigma = SMOOTHING_S / step_s
    radius = int(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(values, radius, mode="edge")
    return np.convolve(padded, kernel, mode="valid")
