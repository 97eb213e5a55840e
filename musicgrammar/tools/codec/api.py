"""Public API of the audio tokenizer: load the shipped codec once, encode, decode, embed.

    from musicgrammar.tools.codec import api
    codes = api.encode(wave, sr, levels=6)      # (levels, frames) int, 25 Hz, 250 bit/s per level
    audio = api.decode(codes)                   # float32 at api.load_codec().cfg.sample_rate
    vec = api.clip_embedding(wave, sr)          # (512,) L2-normalized, for retrieval
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from musicgrammar.errors import ModelError, UserInputError

if TYPE_CHECKING:
    from musicgrammar.tools.codec.model import CatCodec

__all__ = ["WEIGHTS_DIR", "DEFAULT_LEVELS", "load_codec", "check_levels", "encode", "decode", "clip_embedding"]

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights" / "codec"
DEFAULT_LEVELS = 6  # 1.5 kbps with the shipped config
CHUNK_FRAMES = 750  # long inputs are streamed in 30 s chunks: memory stays bounded, codes are identical

_LOCK = threading.Lock()
_CACHE: dict[str, "CatCodec"] = {}


def load_codec(weights_dir: str | Path | None = None) -> "CatCodec":
    """Load (once per process and folder) the codec from config.json + model.safetensors."""
    folder = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
    key = str(folder.resolve())
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        import torch
        from safetensors.torch import load_file

        from musicgrammar.settings import get_settings
        from musicgrammar.tools.codec.config import CodecConfig
        from musicgrammar.tools.codec.model import CatCodec

        cfg_path, weights = folder / "config.json", folder / "model.safetensors"
        if not cfg_path.is_file() or not weights.is_file():
            raise ModelError(f"codec weights not found in {folder} (config.json and model.safetensors)")
        torch.set_num_threads(get_settings().torch_threads)
        try:
            model = CatCodec(CodecConfig.from_dict(json.loads(cfg_path.read_text())))
            model.load_state_dict(load_file(str(weights)))
        except Exception as exc:
            raise ModelError(f"cannot load the codec from {folder}: {exc}") from exc
        model.eval()
        _CACHE[key] = model
        return model


def check_levels(model: "CatCodec", levels: int | None) -> int:
    """The number of levels to use (default 1.5 kbps); a one-line UserInputError when out of range."""
    total = len(model.quantizer.levels)
    levels = DEFAULT_LEVELS if levels is None else int(levels)
    if not 1 <= levels <= total:
        raise UserInputError(f"levels must be between 1 and {total}, got {levels}", field="levels")
    return levels


def _prepare(wave: np.ndarray, sample_rate: int, model: "CatCodec") -> np.ndarray:
    from musicgrammar.tools.codec.io import resample

    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim == 2:  # (T, channels) as soundfile returns it
        wave = wave.mean(axis=1)
    if wave.ndim != 1 or wave.size == 0:
        raise UserInputError("audio must be a non-empty 1-D (or time x channels) array", field="wave")
    if not np.isfinite(wave).all():
        raise UserInputError("audio contains NaN or infinite samples", field="wave")
    return resample(wave, int(sample_rate), model.cfg.sample_rate)


def encode(
    wave: np.ndarray, sample_rate: int, levels: int | None = None, *, model: "CatCodec | None" = None
) -> np.ndarray:
    """Mono or (T, channels) audio at any rate -> codes (levels, frames) int64.

    The wave is resampled to the codec's rate and zero-padded to a whole number of frames; long
    inputs are processed as a stream of 30 s chunks (same codes as one batch pass).
    """
    import torch

    model = model or load_codec()
    levels = check_levels(model, levels)
    x = _prepare(wave, sample_rate, model)
    hop = model.cfg.hop
    x = np.pad(x, (0, (-len(x)) % hop))
    state, parts = model.new_state(), []
    step = CHUNK_FRAMES * hop
    for start in range(0, len(x), step):
        chunk = torch.from_numpy(x[start : start + step])[None]
        codes, state = model.encode(chunk, levels, state=state)
        parts.append(codes[0])
    return torch.cat(parts, -1).numpy()


def decode(codes: np.ndarray, *, model: "CatCodec | None" = None) -> np.ndarray:
    """codes (levels, frames) -> float32 wave at the codec's sample rate (frames * hop samples),
    aligned with the encoded input (the decoder's delay, ``cfg.delay`` samples, is removed)."""
    import torch

    model = model or load_codec()
    codes = np.asarray(codes)
    if codes.ndim != 2 or not np.issubdtype(codes.dtype, np.integer):
        raise UserInputError("codes must be a 2-D integer array (levels, frames)", field="codes")
    if not 1 <= codes.shape[0] <= len(model.quantizer.levels):
        raise UserInputError(f"codes have {codes.shape[0]} levels; the codec has 1..{len(model.quantizer.levels)}",
                             field="codes")
    if codes.size and (codes.min() < 0 or codes.max() >= model.cfg.codebook_size):
        raise UserInputError(f"code values must be in 0..{model.cfg.codebook_size - 1}", field="codes")
    state, parts = model.new_state(), []
    for start in range(0, codes.shape[1], CHUNK_FRAMES):
        chunk = torch.from_numpy(codes[:, start : start + CHUNK_FRAMES].astype(np.int64))[None]
        wave, state = model.decode(chunk, state)
        parts.append(wave[0])
    if not parts:
        return np.zeros(0, np.float32)
    parts.append(model.flush(state)[0])  # the last frame's overlap-add tail
    total = codes.shape[1] * model.cfg.hop
    # The decoder lags by cfg.delay samples: drop them so that output sample n matches input sample n.
    return torch.cat(parts)[model.cfg.delay : model.cfg.delay + total].numpy().astype(np.float32)


def clip_embedding(wave: np.ndarray, sample_rate: int, *, model: "CatCodec | None" = None) -> np.ndarray:
    """A fixed-size, L2-normalized clip vector (2 x latent dim) from the encoder, for audio retrieval.

    Clips longer than 30 s are embedded per 30 s window and averaged (then re-normalized).
    """
    import torch

    model = model or load_codec()
    x = _prepare(wave, sample_rate, model)
    window = CHUNK_FRAMES * model.cfg.hop
    vecs = [model.embed(torch.from_numpy(x[s : s + window])[None])[0] for s in range(0, len(x), window)
            if len(x[s : s + window]) >= model.cfg.hop or s == 0]
    v = torch.stack(vecs).mean(0)
    return (v / v.norm().clamp(min=1e-12)).numpy().astype(np.float32)
