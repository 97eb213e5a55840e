"""Render training and held-out audio for the codec from the music21 corpus with FluidSynth.

Pieces are public-domain works shipped in music21's corpus: Bach chorales (four-part), Palestrina
(vocal polyphony) and Ryan's Mammoth Collection (monophonic fiddle tunes). Each piece is rendered with
random GM programs per part, a random tempo factor and a random transposition, at 24 kHz mono.

The split is by piece: a piece whose SHA-1 of its corpus-relative path falls in the held-out bucket is
only ever rendered into the held-out set, so the benchmark hears music never seen in training.

Output (in --out): train.npy / heldout.npy (int16, all clips concatenated) and train.json /
heldout.json (one record per clip: source, licence, offsets, programs, tempo factor, transposition).

    python training/codec/render_data.py --out ~/.cache/musicgrammar/codec_data --train-pieces 400
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 24_000
FLUID_R3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")

# (corpus folder, licence, share of the pieces). Essen is left out: its permission is non-commercial.
SOURCES: tuple[tuple[str, str, float], ...] = (
    ("bach", "public domain (J. S. Bach chorales, music21 corpus)", 0.4),
    ("palestrina", "public domain (Palestrina, music21 corpus)", 0.25),
    ("ryansMammoth", "public domain (Ryan's Mammoth Collection, 1883, music21 corpus)", 0.35),
)

# GM programs (0-based) that sound like the project's palette: keys, organ, guitars, strings,
# brass, reeds, pipes, plucked. Drums are never used (no channel 9).
PROGRAMS: tuple[int, ...] = (
    0, 1, 4, 6, 11, 19, 21, 24, 25, 27, 32, 33, 40, 41, 42, 43, 46, 48, 52, 56, 57, 60, 64, 65,
    68, 70, 71, 73, 74, 75, 79, 104, 105, 108,
)


@dataclass
class ClipRecord:
    source: str
    licence: str
    offset: int  # first sample in the concatenated array
    length: int  # samples
    programs: list[int]
    tempo_factor: float
    transpose: int
    soundfont: str


def heldout_piece(rel_path: str, every: int = 10) -> bool:
    """True for the ~1/every of pieces reserved for evaluation, by a stable hash of the path."""
    return int(hashlib.sha1(rel_path.encode()).hexdigest(), 16) % every == 0


def list_pieces() -> dict[str, list[str]]:
    from music21 import corpus

    out: dict[str, list[str]] = {name: [] for name, _, _ in SOURCES}
    for path in corpus.getPaths():
        rel = str(path).split("/corpus/", 1)[1]
        folder = rel.split("/", 1)[0]
        if folder == "bach" and "bwv" not in rel.lower():
            continue
        if folder in out:
            out[folder].append(rel)
    return {k: sorted(v) for k, v in out.items()}


def piece_to_midi(rel_path: str):
    """Parse a corpus piece and return it as a pretty_midi.PrettyMIDI (None when it has no notes)."""
    import pretty_midi
    from music21 import corpus, midi

    score = corpus.parse(rel_path)
    if hasattr(score, "scores"):  # an ABC opus: take its first tune
        score = score.scores[0] if len(score.scores) else score
    mf = midi.translate.streamToMidiFile(score)
    pm = pretty_midi.PrettyMIDI(io.BytesIO(mf.writestr()))
    pm.instruments = [inst for inst in pm.instruments if inst.notes and not inst.is_drum]
    return pm if pm.instruments else None


class Renderer:
    """One FluidSynth instance per soundfont, loaded once; renders note lists to mono float32."""

    def __init__(self, soundfonts: list[Path]) -> None:
        from musicgrammar.tools.synth_library import import_fluidsynth

        fluidsynth = import_fluidsynth()
        self.synths = []
        for sf2 in soundfonts:
            synth = fluidsynth.Synth(samplerate=float(SAMPLE_RATE), gain=0.4)
            self.synths.append((synth, synth.sfload(str(sf2)), sf2.name))

    def render(self, pm, which: int, programs: list[int], tempo_factor: float, transpose: int,
               max_seconds: float) -> np.ndarray:
        synth, sfid, _ = self.synths[which]
        events: list[tuple[float, int, int, int, int]] = []  # (time s, on=1/off=0, channel, pitch, vel)
        for idx, inst in enumerate(pm.instruments[:15]):
            channel = idx if idx < 9 else idx + 1  # skip the GM drum channel
            synth.program_select(channel, sfid, 0, programs[idx])
            for note in inst.notes:
                start = note.start / tempo_factor
                if start >= max_seconds:
                    continue
                end = min(note.end / tempo_factor, max_seconds)
                pitch = int(np.clip(note.pitch + transpose, 21, 108))
                events.append((start, 1, channel, pitch, int(note.velocity)))
                events.append((end, 0, channel, pitch, 0))
        events.sort(key=lambda e: (e[0], e[1]))  # note-offs before note-ons at the same instant
        chunks: list[np.ndarray] = []
        cursor = 0
        for when, on, channel, pitch, vel in events:
            target = int(round(when * SAMPLE_RATE))
            if target > cursor:
                chunks.append(np.asarray(synth.get_samples(target - cursor)))
                cursor = target
            if on:
                synth.noteon(channel, pitch, vel)
            else:
                synth.noteoff(channel, pitch)
        chunks.append(np.asarray(synth.get_samples(SAMPLE_RATE // 2)))  # release tail
        for channel in range(16):
            synth.cc(channel, 123, 0)  # all notes off
        synth.get_samples(SAMPLE_RATE)  # let tails die before the next piece
        stereo = np.concatenate(chunks).astype(np.float32).reshape(-1, 2) / 32768.0
        return stereo.mean(axis=1)


def render_split(pieces: list[tuple[str, str]], renderer: Renderer, rng: random.Random,
                 max_seconds: float, out: Path, name: str) -> None:
    waves: list[np.ndarray] = []
    records: list[ClipRecord] = []
    offset = 0
    t0 = time.time()
    for i, (rel, licence) in enumerate(pieces):
        try:
            pm = piece_to_midi(rel)
        except Exception as exc:  # a corpus file music21 cannot translate: skip it, say so
            print(f"skip {rel}: {type(exc).__name__}: {exc}")
            continue
        if pm is None:
            continue
        programs = [rng.choice(PROGRAMS) for _ in pm.instruments]
        if rng.random() < 0.3:  # an ensemble of one colour (string quartet, organ, brass choir...)
            programs = [programs[0]] * len(programs)
        tempo = rng.uniform(0.8, 1.3)
        transpose = rng.randint(-5, 6)
        which = 0 if len(renderer.synths) == 1 or rng.random() < 0.75 else 1
        wave = renderer.render(pm, which, programs, tempo, transpose, max_seconds)
        peak = float(np.abs(wave).max())
        if peak < 1e-4:
            continue
        wave = wave / peak * rng.uniform(0.25, 0.95)  # varied loudness, never clipping
        waves.append((wave * 32767).astype(np.int16))
        records.append(ClipRecord(rel, licence, offset, len(wave), programs, round(tempo, 3), transpose,
                                  renderer.synths[which][2]))
        offset += len(wave)
        if (i + 1) % 25 == 0:
            print(f"{name}: {i + 1}/{len(pieces)} pieces, {offset / SAMPLE_RATE / 60:.1f} min, "
                  f"{time.time() - t0:.0f} s", flush=True)
    tmp = out / f".{name}.npy.tmp"
    with open(tmp, "wb") as fh:
        np.save(fh, np.concatenate(waves))
    os.replace(tmp, out / f"{name}.npy")
    (out / f"{name}.json").write_text(json.dumps([asdict(r) for r in records], indent=0))
    print(f"{name}: {len(records)} clips, {offset / SAMPLE_RATE / 60:.1f} min of audio")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--train-pieces", type=int, default=400)
    parser.add_argument("--heldout-pieces", type=int, default=40)
    parser.add_argument("--max-seconds", type=float, default=20.0, help="cap per rendered piece")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import pretty_midi

    rng = random.Random(args.seed)
    soundfonts = [FLUID_R3] if FLUID_R3.exists() else []
    soundfonts.append(Path(pretty_midi.__file__).parent / "TimGM6mb.sf2")
    renderer = Renderer(soundfonts)
    pieces = list_pieces()
    train: list[tuple[str, str]] = []
    heldout: list[tuple[str, str]] = []
    for folder, licence, share in SOURCES:
        paths = pieces[folder][:]
        rng.shuffle(paths)
        tr = [p for p in paths if not heldout_piece(p)][: int(args.train_pieces * share)]
        ho = [p for p in paths if heldout_piece(p)][: max(1, int(args.heldout_pieces * share))]
        train += [(p, licence) for p in tr]
        heldout += [(p, licence) for p in ho]
    args.out.mkdir(parents=True, exist_ok=True)
    render_split(heldout, renderer, rng, min(args.max_seconds, 12.0), args.out, "heldout")
    render_split(train, renderer, rng, args.max_seconds, args.out, "train")


if __name__ == "__main__":
    main()
