"""Public API of the aesthetics model: load the shipped weights once, score a rendering.

    from musicgrammar.tools.aesthetics_model import api
    heard = api.score_audio(mix, sr, lead=lead_wave, accompaniment=acc_wave)   # stems optional
    heard.overall, heard.interval, heard.dimensions["harmony"], heard.used_stems
    heard = api.score_files(Path("runs/x"))            # a run folder: mix.wav, stems/, composition.json

Scores are on a 1-5 scale: 5 = sounds like an undamaged rendering, 1 = as broken as the heaviest
synthetic degradation the model was trained on. Audio longer than one window (8 s with the shipped
config) is scored window by window and averaged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from musicgrammar.errors import ModelError, UserInputError

if TYPE_CHECKING:
    from musicgrammar.tools.aesthetics_model.ensemble import AestheticsEnsemble
    from musicgrammar.tools.aesthetics_model.model import AestheticsModel

    Judge = AestheticsModel | AestheticsEnsemble

__all__ = ["WEIGHTS_DIR", "HeardScores", "has_weights", "load_model", "score_audio", "score_files", "read_stems"]

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights" / "aesthetics_model"


@dataclass
class HeardScores:
    """What the model heard: per output a score and interval on the 1-5 scale, and which inputs it used."""

    overall: float
    interval: tuple[float, float]
    dimensions: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"score", "interval"}
    used_stems: bool = False
    windows: int = 1
    window_seconds: float = 8.0
    worst_window: dict[str, int] = field(default_factory=dict)  # name -> index of its lowest-scoring window

    def to_dict(self) -> dict[str, Any]:
        return {"overall": round(self.overall, 3), "interval": [round(v, 3) for v in self.interval],
                "dimensions": self.dimensions, "used_stems": self.used_stems, "windows": self.windows,
                "scale": "1 (as broken as the worst synthetic degradation) .. 5 (undamaged rendering)"}


def has_weights(weights_dir: str | Path | None = None) -> bool:
    """Whether the folder holds a model (config.json + model.safetensors) or an ensemble (members.json)."""
    from musicgrammar.tools.aesthetics_model.ensemble import MEMBERS_FILE

    folder = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
    return (folder / MEMBERS_FILE).is_file() or ((folder / "config.json").is_file() and (folder / "model.safetensors").is_file())


def load_model(weights_dir: str | Path | None = None) -> "Judge":
    """Load (once per process and folder) config.json + model.safetensors, or the members an ensemble's
    members.json names (ensemble.py); ModelError when absent or unreadable."""
    folder = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
    return _load(str(folder.resolve()))


@lru_cache(maxsize=4)
def _load(folder: str) -> "Judge":
    import torch

    from musicgrammar.settings import get_settings
    from musicgrammar.tools.aesthetics_model.ensemble import MEMBERS_FILE, AestheticsEnsemble

    settings = get_settings()
    torch.set_num_threads(settings.torch_threads)
    device = settings.device if settings.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    listing = Path(folder) / MEMBERS_FILE
    if not listing.is_file():
        return _load_one(Path(folder)).to(device).eval()
    try:
        listed = json.loads(listing.read_text())
        names = listed["members"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and "/" not in n and n not in (".", "..") for n in names):
            raise ValueError("members must be a non-empty list of folder names")
        shifts = listed.get("transpositions", [0])
        if not isinstance(shifts, list):
            raise ValueError("transpositions must be a list of whole semitones")
        ensemble = AestheticsEnsemble([_load_one(Path(folder) / n) for n in names], float(listed.get("interval_scale", 1.0)), tuple(shifts))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot load the aesthetics ensemble from {folder}: {exc}") from exc
    return ensemble.to(device).eval()


def _load_one(folder: Path) -> "AestheticsModel":
    from safetensors.torch import load_file

    from musicgrammar.tools.aesthetics_model.config import AestheticsConfig
    from musicgrammar.tools.aesthetics_model.model import AestheticsModel

    config, weights = folder / "config.json", folder / "model.safetensors"
    if not config.is_file() or not weights.is_file():
        raise ModelError(f"aesthetics model weights not found in {folder} (config.json and model.safetensors)")
    try:
        model = AestheticsModel(AestheticsConfig.from_dict(json.loads(config.read_text())))
        model.load_state_dict(load_file(str(weights)))
    except Exception as exc:  # a corrupt or mismatched checkpoint: one line, not a traceback
        raise ModelError(f"cannot load the aesthetics model from {folder}: {exc}") from exc
    return model


def _wave(x: np.ndarray, sr: int, target_sr: int, length: int | None, name: str) -> np.ndarray:
    """Mono float32 at target_sr, cropped or zero-padded to ``length`` samples when given."""
    from musicgrammar.tools.analysis import to_mono
    from musicgrammar.tools.codec.io import resample

    try:
        mono = to_mono(np.asarray(x, dtype=np.float32))
    except ValueError as exc:
        raise UserInputError(str(exc), field=name) from exc
    if mono.size == 0 or not np.isfinite(mono).all():
        raise UserInputError("the audio is empty or holds NaN or infinite samples", field=name)
    out = resample(mono, int(sr), target_sr)
    if length is not None:
        out = np.pad(out[:length], (0, max(0, length - len(out))))
    return out


def score_audio(mix: np.ndarray, sr: int, lead: np.ndarray | None = None, accompaniment: np.ndarray | None = None,
                *, model: "Judge | None" = None) -> HeardScores:
    """Score a mix (mono or (samples, channels)) at ``sr`` Hz, with its lead and accompaniment stems
    when both are given (same rate as the mix)."""
    import torch

    from musicgrammar.tools.aesthetics_model.config import OUTPUTS
    from musicgrammar.tools.aesthetics_model.features import log_mel, windows

    if sr is None or int(sr) <= 0:
        raise UserInputError("a sample rate > 0 is needed", field="sr")
    model = model or load_model()
    cfg = model.cfg
    m = _wave(mix, sr, cfg.sample_rate, None, "mix")
    streams = [m]
    use_stems = cfg.use_stems and lead is not None and accompaniment is not None
    if lead is not None and accompaniment is not None and use_stems:
        streams += [_wave(lead, sr, cfg.sample_rate, len(m), "lead"), _wave(accompaniment, sr, cfg.sample_rate, len(m), "accompaniment")]
    device = next(model.parameters()).device
    feats = [torch.from_numpy(windows(log_mel(x, cfg), cfg.clip_frames)).to(device) for x in streams]  # each (W, T, M)
    with torch.no_grad():
        out = model(*feats) if use_stems else model(feats[0])
    # Bin edges reach 0.5 and 5.5; what is reported stays on the 1-5 scale.
    score, lo, hi = (out[k].mean(dim=0).clamp(1.0, 5.0).cpu().tolist() for k in ("score", "lo", "hi"))  # type: ignore[union-attr]
    worst = out["score"].argmin(dim=0).tolist()  # type: ignore[union-attr]
    dims = {name: {"score": round(score[i], 3), "interval": [round(lo[i], 3), round(hi[i], 3)]}
            for i, name in enumerate(OUTPUTS) if name != "overall"}
    k = OUTPUTS.index("overall")
    return HeardScores(overall=score[k], interval=(lo[k], hi[k]), dimensions=dims, used_stems=use_stems,
                       windows=int(feats[0].shape[0]), window_seconds=cfg.clip_seconds,
                       worst_window=dict(zip(OUTPUTS, worst)))


def _lead_from_composition(path: Path) -> str | None:
    """The lead part's id from a run's composition.json (None when the file is absent or unreadable)."""
    if not path.is_file():
        return None
    try:
        parts = json.loads(path.read_text())["score"]["parts"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    pitched = [p for p in parts if isinstance(p, dict) and p.get("notes")]
    for p in pitched:
        if p.get("role") == "lead":
            return str(p.get("id"))
    return str(pitched[0]["id"]) if pitched else None


def read_stems(stems_dir: Path, sample_rate: int, lead: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lead, accompaniment) from a folder of per-part WAVs: the lead is ``lead`` (a file stem), else the
    lead part of composition.json beside the folder, else lead.wav; the accompaniment is the sum of the rest."""
    from musicgrammar.tools.codec.io import read_audio

    if not stems_dir.is_dir():
        raise UserInputError("not a folder of stems", path=str(stems_dir))
    files = {p.stem: p for p in sorted(stems_dir.glob("*.wav")) if p.stem != "mix"}
    if len(files) < 2:
        raise UserInputError("a stems folder needs the lead and at least one other part (*.wav)", path=str(stems_dir))
    name = lead or _lead_from_composition(stems_dir.parent / "composition.json") or ("lead" if "lead" in files else None)
    if name is None:
        raise UserInputError("cannot tell which stem is the lead: pass --lead NAME", path=str(stems_dir))
    if name not in files:
        raise UserInputError(f"no stem named {name}.wav", path=str(stems_dir))
    waves = {k: read_audio(p, sample_rate)[0] for k, p in files.items()}
    n = max(len(w) for w in waves.values())
    padded = {k: np.pad(w, (0, n - len(w))) for k, w in waves.items()}
    return padded[name], np.sum(np.stack([w for k, w in padded.items() if k != name]), axis=0)


def score_files(audio: Path, stems_dir: Path | None = None, lead: str | None = None,
                weights_dir: Path | None = None) -> HeardScores:
    """Score an audio file, or a run folder (its mix.wav, and its stems/ unless ``stems_dir`` is given)."""
    from musicgrammar.tools.codec.io import read_audio

    model = load_model(weights_dir)
    sr = model.cfg.sample_rate
    if audio.is_dir():
        if not (audio / "mix.wav").is_file():
            raise UserInputError("a run folder needs mix.wav", path=str(audio))
        if stems_dir is None and (audio / "stems").is_dir():
            stems_dir = audio / "stems"
        audio = audio / "mix.wav"
    mix, _ = read_audio(audio, sr)
    if stems_dir is None or not model.cfg.use_stems:
        return score_audio(mix, sr, model=model)
    lead_wave, acc = read_stems(stems_dir, sr, lead)
    return score_audio(mix, sr, lead_wave, acc, model=model)
