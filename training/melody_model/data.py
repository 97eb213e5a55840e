"""Corpus loading, the held-out split by piece, training windows and NMI(pitch, voice)."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import replace
from pathlib import Path

from musicgrammar.tools.melody_model.tokenizer import (
    PITCH_HIGH,
    PITCH_LOW,
    VOCAB,
    ChordEvent,
    NoteEvent,
    Piece,
    encode,
)

SPLIT_FILE = Path(__file__).with_name("split.json")
VAL_FRACTION = 0.05


def load_records(path: Path) -> list[dict]:
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def to_piece(rec: dict) -> Piece:
    return Piece(
        tonic=int(rec["tonic"]),
        mode=str(rec["mode"]),
        meter=(int(rec["meter"][0]), int(rec["meter"][1])),
        notes=[NoteEvent(int(s), int(d), int(p), int(v)) for s, d, p, v in rec["notes"]],
        chords=[ChordEvent(int(s), int(r), str(q)) for s, r, q in rec["chords"]],
    )


def _is_val(piece_id: str) -> bool:
    digest = hashlib.sha1(piece_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < VAL_FRACTION


def split(records: list[dict], split_file: Path = SPLIT_FILE) -> tuple[list[dict], list[dict]]:
    """(train, val) by piece. The val ids are committed in ``split.json``; new pieces go by hash."""
    if split_file.exists():
        val_ids = set(json.loads(split_file.read_text())["val"])
    else:
        val_ids = {r["id"] for r in records if _is_val(r["id"])}
        split_file.write_text(json.dumps({"val": sorted(val_ids), "rule": "sha1(id) < 5%"}, indent=0) + "\n")
    train = [r for r in records if r["id"] not in val_ids]
    val = [r for r in records if r["id"] in val_ids]
    return train, val


def transpose(piece: Piece, semitones: int) -> Piece:
    return replace(
        piece,
        tonic=(piece.tonic + semitones) % 12,
        notes=[replace(n, pitch=n.pitch + semitones) for n in piece.notes],
        chords=[replace(c, root=(c.root + semitones) % 12) for c in piece.chords],
    )


def random_window(piece: Piece, rng: random.Random, seq_len: int, chord_dropout: float = 0.3) -> list[int]:
    """A training window: random transposition (kept in range), start at bar 0 (30%) or a random bar,
    chords dropped for the whole window with probability ``chord_dropout``; up to seq_len + 1 ids."""
    low = min(n.pitch for n in piece.notes)
    high = max(n.pitch for n in piece.notes)
    shifts = [k for k in range(-6, 6) if low + k >= PITCH_LOW and high + k <= PITCH_HIGH] or [0]
    piece = transpose(piece, rng.choice(shifts))
    start = 0 if rng.random() < 0.3 else rng.randrange(piece.n_bars)
    # ~40 tokens per bar is an upper bound for these corpora; encode a bit more than needed, then crop.
    end = start + max(4, seq_len // 8)
    ids = encode(piece, start, end, with_chords=rng.random() >= chord_dropout)
    return ids[: seq_len + 1]


def val_windows(records: list[dict], seq_len: int) -> list[list[int]]:
    """Deterministic validation windows: each held-out piece from bar 0, untransposed, with chords."""
    return [encode(to_piece(r), 0, None)[: seq_len + 1] for r in records]


def pad_batch(seqs: list[list[int]]) -> list[list[int]]:
    width = max(len(s) for s in seqs)
    return [s + [VOCAB.pad] * (width - len(s)) for s in seqs]


def nmi_pitch_voice(records: list[dict]) -> dict[str, float]:
    """Normalized mutual information between pitch and voice over note events (sklearn, arithmetic).

    ``all``: every note of the corpus (folk tunes are all voice 0); ``chorales``: the four-voice
    chorales only, the setting that matches the paper's left/right hand measurement.
    """
    from sklearn.metrics import normalized_mutual_info_score

    out = {}
    for name, recs in (("all", records), ("chorales", [r for r in records if r["source"] == "bach_chorales"])):
        pitches = [n[2] for r in recs for n in r["notes"]]
        voices = [n[3] for r in recs for n in r["notes"]]
        out[name] = float(normalized_mutual_info_score(pitches, voices)) if pitches else float("nan")
        out[f"{name}_notes"] = len(pitches)
    return out
