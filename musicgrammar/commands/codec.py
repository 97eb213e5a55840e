"""`musicgrammar tokenize` and `musicgrammar detokenize`: audio <-> codec tokens (.npz)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]

NPZ_KEYS = ("codes", "sample_rate", "source_sample_rate", "num_samples")


def _write_npz(path: Path, **arrays) -> None:
    import numpy as np

    from musicgrammar.fileio import atomic_write

    with atomic_write(path, suffix=".npz", make_parents=False) as tmp:
        with open(tmp, "wb") as handle:  # a file object: savez would otherwise append '.npz' to the name
            np.savez_compressed(handle, **arrays)


def _check_audio_length(path: Path) -> None:
    """Refuse audio longer than MAX_AUDIO_SECONDS before decoding it (the header says how long it is)."""
    import soundfile as sf

    from musicgrammar.errors import UserInputError
    from musicgrammar.limits import MAX_AUDIO_SECONDS

    try:
        seconds = sf.info(str(path)).duration
    except Exception:  # unreadable: read_audio gives the one-line reason
        return
    if seconds > MAX_AUDIO_SECONDS:
        raise UserInputError(f"{seconds:.0f} s of audio; the limit is {MAX_AUDIO_SECONDS:.0f} s", path=str(path), field="duration")


def tokenize(
    audio: Path = typer.Argument(..., help="Audio file (WAV, FLAC, OGG, MP3...; any rate, any channels)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the codes (.npz)."),
    levels: int = typer.Option(6, "--levels", "-k", help="Quantizer levels: 250 bit/s each (6 = 1.5 kbps)."),
) -> None:
    """Encode audio into CAT codec tokens: (levels x frames) codes at 25 Hz."""
    import numpy as np

    from musicgrammar.commands.progress import working
    from musicgrammar.tools.codec import api
    from musicgrammar.tools.codec.io import read_audio

    _check_audio_length(audio)
    model = api.load_codec()
    api.check_levels(model, levels)
    wave, sr = read_audio(audio)
    with working(f"tokenizing {len(wave) / sr:.0f} s of audio"):
        codes = api.encode(wave, sr, levels, model=model)
    num_samples = int(round(len(wave) * model.cfg.sample_rate / sr))
    _write_npz(
        out,
        codes=codes.astype(np.int16),
        sample_rate=np.int32(model.cfg.sample_rate),
        source_sample_rate=np.int32(sr),
        num_samples=np.int64(num_samples),
        frame_rate=np.float32(model.cfg.frame_rate),
        bitrate=np.float32(model.cfg.bitrate(levels)),
    )
    typer.echo(f"{out}: {codes.shape[0]} levels x {codes.shape[1]} frames at {model.cfg.frame_rate:g} Hz, "
               f"{model.cfg.bitrate(levels) / 1000:g} kbps, {len(wave) / sr:.2f} s of audio")


def detokenize(
    codes_file: Path = typer.Argument(..., metavar="CODES.npz", help="Codes written by `musicgrammar tokenize`."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the audio (.wav)."),
    sample_rate: int | None = typer.Option(None, "--sample-rate", help="Output rate; default: the source file's."),
) -> None:
    """Decode CAT codec tokens back to a WAV file."""
    import numpy as np

    from musicgrammar.errors import UserInputError
    from musicgrammar.tools.codec import api
    from musicgrammar.tools.codec.io import resample, write_wav

    if not codes_file.is_file():
        raise UserInputError("no such codes file", path=str(codes_file))
    try:
        with np.load(codes_file, allow_pickle=False) as data:
            missing = [k for k in NPZ_KEYS if k not in data]
            if missing:
                raise UserInputError(f"not a codes file (missing {', '.join(missing)})", path=str(codes_file))
            codes = data["codes"]
            codec_sr, src_sr, n = int(data["sample_rate"]), int(data["source_sample_rate"]), int(data["num_samples"])
    except UserInputError:
        raise
    except Exception as exc:
        raise UserInputError(f"cannot read codes ({type(exc).__name__})", path=str(codes_file)) from None
    model = api.load_codec()
    if codec_sr != model.cfg.sample_rate:
        raise UserInputError(f"codes were made for a {codec_sr} Hz codec, this one runs at {model.cfg.sample_rate} Hz",
                             path=str(codes_file))
    wave = api.decode(codes, model=model)[:n]
    rate = sample_rate or src_sr
    if not 1000 <= rate <= 384_000:
        raise UserInputError(f"sample rate {rate} is out of range", field="--sample-rate")
    write_wav(out, resample(wave, codec_sr, rate), rate)
    typer.echo(f"{out}: {len(wave) / codec_sr:.2f} s at {rate} Hz from {codes.shape[0]} levels x {codes.shape[1]} frames")


def register(app: typer.Typer) -> None:
    app.command("tokenize")(tokenize)
    app.command("detokenize")(detokenize)
