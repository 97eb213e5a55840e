"""Video analysis and muxing through ffmpeg/ffprobe (subprocesses; Debian `ffmpeg`).

Frames are read as raw, downscaled RGB through a pipe, one frame at a time, so memory stays
bounded whatever the film's length (a 48x27 frame is 3.9 kB; the per-frame features are five
floats). From them: hard cuts (colour-histogram jumps), and per frame brightness, saturation,
colour temperature and motion energy; with the local cut rate they map to valence and arousal.

The mapping (`AFFECT_WEIGHTS`) is linear and clipped to [-1, 1]. Its directions follow the film-
affect conventions (brighter, warmer and more saturated pictures read as more positive; motion,
cutting pace and saturation raise arousal); its scale was fitted by least squares on labelled
clips that ffmpeg makes (`training/video_affect/calibrate.py`, which also prints the fit's error).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from musicgrammar.errors import ModelError, UserInputError
from musicgrammar.ontologies.soundtrack import MAX_FILM_S, MIN_FILM_S

__all__ = [
    "VideoInfo", "VideoAnalysis", "AFFECT_WEIGHTS", "FEATURES", "probe_video", "analyse_video",
    "features_to_affect", "mux_audio", "require_ffmpeg", "make_film",
]  # fmt: skip

FEATURES = ("brightness", "saturation", "warmth", "motion", "cut_rate")
# valence/arousal = clip(bias + sum(weight * feature)); features: brightness (mean luma), saturation (mean chroma, max-min of RGB) in [0, 1],
# warmth = mean(R - B) in [-1, 1], motion = mean |luma change| per frame at SAMPLE_FPS in [0, 1],
# cut_rate = cuts per second in a 10 s window. Fitted by training/video_affect/calibrate.py.
AFFECT_WEIGHTS: dict[str, dict[str, float]] = {
    "valence": {"bias": -0.778, "brightness": 1.155, "saturation": 0.879, "warmth": 0.021, "motion": 3.756, "cut_rate": -0.195},
    "arousal": {"bias": -0.227, "brightness": -0.507, "saturation": 0.069, "warmth": 0.218, "motion": 38.193, "cut_rate": 1.028},
}  # fmt: skip
SAMPLE_FPS = 10.0  # analysis frame rate: cuts are placed to 0.1 s
FRAME_W, FRAME_H = 48, 27
CUT_THRESHOLD = 0.4  # histogram distance (0..1) that marks a hard cut
MIN_SHOT_S = 0.5  # two cuts closer than this are one (flashes, dissolves)
_CONTAINERS = {".mp4": "aac", ".m4v": "aac", ".mov": "aac", ".mkv": "aac", ".webm": "libopus"}


def require_ffmpeg() -> tuple[str, str]:
    """Paths of ffmpeg and ffprobe, or a one-line error saying how to install them."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if not ffmpeg or not ffprobe:
        raise ModelError("ffmpeg/ffprobe not found: install the Debian package `ffmpeg` (scripts/setup.sh does)")
    return ffmpeg, ffprobe


@dataclass
class VideoInfo:
    path: Path
    duration_s: float
    fps: float
    width: int
    height: int
    has_audio: bool


@dataclass
class VideoAnalysis:
    """Per analysed frame (SAMPLE_FPS): times and features; the detected cut times; the V-A curve."""

    info: VideoInfo
    times: np.ndarray  # (n,) seconds
    features: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (n,)
    cuts: list[float] = field(default_factory=list)  # seconds, ascending, excluding 0
    valence: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n,)
    arousal: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n,)


def probe_video(path: str | Path, max_duration_s: float = MAX_FILM_S) -> VideoInfo:
    """Duration, frame rate and size of the first video stream; one-line errors for bad files."""
    _, ffprobe = require_ffmpeg()
    p = Path(path)
    if not p.is_file():
        raise UserInputError("file not found", path=str(p))
    cmd = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(p)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown format"])[-1]
        raise UserInputError(f"not a readable video ({reason[:160]})", path=str(p))
    data = json.loads(proc.stdout or "{}")
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")), None)
    if video is None:
        raise UserInputError("the file has no video stream", path=str(p))
    duration = _float(data.get("format", {}).get("duration")) or _float(video.get("duration"))
    if not duration or duration <= 0:
        raise UserInputError("the video's duration is unknown or zero", path=str(p))
    if duration < MIN_FILM_S:
        raise UserInputError(f"the video lasts {duration:.2f} s; a soundtrack needs at least {MIN_FILM_S:g} s", path=str(p))
    if duration > max_duration_s:
        limit = f"{max_duration_s / 60:.0f} min" if max_duration_s >= 60 else f"{max_duration_s:g} s"
        raise UserInputError(f"the video lasts {duration / 60:.1f} min; the limit is {limit}", path=str(p))
    num, _, den = str(video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/1").partition("/")
    fps = _float(num) / (_float(den) or 1.0) if _float(num) else 0.0
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    return VideoInfo(p, float(duration), fps, int(video.get("width", 0)), int(video.get("height", 0)), has_audio)


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def analyse_video(path: str | Path, max_duration_s: float = MAX_FILM_S) -> VideoAnalysis:
    """Cuts, per-frame features and the raw (unsmoothed) V-A curve of a video."""
    info = probe_video(path, max_duration_s)
    ffmpeg, _ = require_ffmpeg()
    cmd = [ffmpeg, "-v", "error", "-nostdin", "-i", str(info.path), "-map", "0:v:0", "-an",
           "-vf", f"fps={SAMPLE_FPS:g},scale={FRAME_W}:{FRAME_H}:flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # fmt: skip
    frame_bytes = FRAME_W * FRAME_H * 3
    rows: list[tuple[float, float, float, float]] = []
    hist_dist: list[float] = []
    previous_luma: np.ndarray | None = None
    previous_hist: np.ndarray | None = None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        while True:
            buf = proc.stdout.read(frame_bytes)
            if len(buf) < frame_bytes:
                break
            rgb = np.frombuffer(buf, dtype=np.uint8).reshape(FRAME_H, FRAME_W, 3).astype(np.float32) / 255.0
            luma = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
            high, low = rgb.max(axis=2), rgb.min(axis=2)
            saturation = float(np.mean(high - low))  # chroma: a dark or grey frame reads as unsaturated
            warmth = float(np.mean(rgb[..., 0] - rgb[..., 2]))
            hist = _colour_histogram(rgb)
            motion = float(np.mean(np.abs(luma - previous_luma))) if previous_luma is not None else 0.0
            hist_dist.append(0.5 * float(np.abs(hist - previous_hist).sum()) if previous_hist is not None else 0.0)
            rows.append((float(luma.mean()), saturation, warmth, motion))
            previous_luma, previous_hist = luma, hist
    finally:
        proc.stdout.close()
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        proc.wait()
    if proc.returncode != 0 or not rows:
        reason = (stderr.strip().splitlines() or ["no frames decoded"])[-1]
        raise UserInputError(f"could not decode the video ({reason[:160]})", path=str(info.path))
    table = np.array(rows, dtype=np.float64)
    times = np.arange(len(rows)) / SAMPLE_FPS
    cuts = _cuts(np.array(hist_dist), times)
    features = {"brightness": table[:, 0], "saturation": table[:, 1], "warmth": table[:, 2], "motion": table[:, 3]}
    # the luma jump of a cut is not motion inside the shot: carry the previous frame's value over it
    for t in cuts:
        i = int(round(t * SAMPLE_FPS))
        if 0 < i < len(times):
            features["motion"][i] = features["motion"][i - 1]
    features["cut_rate"] = _cut_rate(cuts, times)
    valence, arousal = features_to_affect(features)
    return VideoAnalysis(info, times, features, cuts, valence, arousal)


def _colour_histogram(rgb: np.ndarray) -> np.ndarray:
    """A normalized 8x8x8 RGB histogram (512 bins) of one frame (fine enough to split dark shots)."""
    q = np.minimum((rgb * 8).astype(np.int32), 7)
    index = q[..., 0] * 64 + q[..., 1] * 8 + q[..., 2]
    hist = np.bincount(index.ravel(), minlength=512).astype(np.float64)
    return hist / hist.sum()


def _cuts(distance: np.ndarray, times: np.ndarray) -> list[float]:
    """Frames whose histogram jumps past the threshold and stand out from the frames on at least one
    side (a pan or a colour drift changes every frame; a cut changes one frame a lot), at least
    MIN_SHOT_S after the previous cut."""
    cuts: list[float] = []
    for i in np.flatnonzero(distance > CUT_THRESHOLD):
        before, after = distance[max(0, i - 5) : i], distance[i + 1 : i + 6]
        # a cut into (or out of) a busy shot stands out from the quiet side
        baseline = min(float(np.median(side)) if side.size else 0.0 for side in (before, after))
        t = float(times[i])
        if distance[i] < 3.0 * baseline + 0.1 or distance[i] < distance[max(0, i - 5) : i + 6].max():
            continue  # not a spike, or a bigger jump (the cut itself) is within half a second
        if t >= MIN_SHOT_S and (not cuts or t - cuts[-1] >= MIN_SHOT_S) and times[-1] - t >= MIN_SHOT_S / 2:
            cuts.append(round(t, 3))
    return cuts


def _cut_rate(cuts: list[float], times: np.ndarray, window_s: float = 10.0) -> np.ndarray:
    """Cuts per second in a window centred on each frame."""
    if not cuts:
        return np.zeros_like(times)
    c = np.array(cuts)
    lo = np.searchsorted(c, times - window_s / 2)
    hi = np.searchsorted(c, times + window_s / 2)
    return (hi - lo) / window_s


def features_to_affect(features: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The documented linear mapping of picture features to (valence, arousal), each clipped to [-1, 1]."""
    out = []
    for axis in ("valence", "arousal"):
        w = AFFECT_WEIGHTS[axis]
        value = w["bias"] + sum(w[name] * np.asarray(features[name], dtype=np.float64) for name in FEATURES)
        out.append(np.clip(value, -1.0, 1.0))
    return out[0], out[1]


def mux_audio(video: str | Path, audio: str | Path, out: str | Path, duration_s: float) -> Path:
    """The video with `audio` as its only sound track, cut or padded to the video's duration.

    The picture is copied untouched; the audio is encoded for the container (AAC, Opus for WebM).
    Written to a temp file beside `out` and moved into place, so a failure leaves nothing behind.
    """
    from musicgrammar.fileio import atomic_write

    ffmpeg, _ = require_ffmpeg()
    target = Path(out)
    codec = _CONTAINERS.get(target.suffix.lower())
    if codec is None:
        raise UserInputError(f"cannot write a {target.suffix or 'suffixless'} video (use one of {', '.join(sorted(_CONTAINERS))})", path=str(target))
    with atomic_write(target) as tmp:
        cmd = [ffmpeg, "-v", "error", "-nostdin", "-y", "-i", str(video), "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0",
               "-c:v", "copy", "-af", "apad", "-c:a", codec, "-b:a", "160k", "-t", f"{duration_s:.3f}", str(tmp)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=max(120.0, duration_s))
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
            raise ModelError(f"ffmpeg could not mux the soundtrack ({reason[:200]})")
    return target


def make_film(path: str | Path, shots: list[tuple[float, str]], size: tuple[int, int] = (320, 180), fps: int = 25) -> Path:
    """Write a film of shots, each (seconds, an ffmpeg lavfi source such as 'color=c=0x0a1028',
    'testsrc2', 'mandelbrot'), joined by hard cuts: test and calibration material whose cuts and
    picture qualities are known. H.264 in MP4/MKV/MOV, VP9 in WebM."""
    from musicgrammar.fileio import atomic_write

    ffmpeg, _ = require_ffmpeg()
    if not shots:
        raise UserInputError("a film needs at least one shot", field="shots")
    target = Path(path)
    inputs: list[str] = []
    chains: list[str] = []
    for index, (seconds, source) in enumerate(shots):
        inputs += ["-f", "lavfi", "-t", f"{seconds:.3f}", "-i", source]
        chains.append(f"[{index}:v]scale={size[0]}:{size[1]},fps={fps},format=yuv420p,setsar=1[v{index}]")
    joined = "".join(f"[v{i}]" for i in range(len(shots)))
    graph = ";".join(chains) + f";{joined}concat=n={len(shots)}:v=1:a=0[out]"
    codec = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"] if target.suffix.lower() == ".webm" \
        else ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "28"]  # fmt: skip
    with atomic_write(target) as tmp:
        cmd = [ffmpeg, "-v", "error", "-nostdin", "-y", *inputs, "-filter_complex", graph, "-map", "[out]", *codec, str(tmp)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise ModelError(f"ffmpeg could not make the film ({(proc.stderr.strip().splitlines() or ['?'])[-1][:200]})")
    return target
