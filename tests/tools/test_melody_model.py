"""The melody model: both embeddings, the KV-cache fast path, persistence and constrained phrases."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies import ChordSymbol, Key, Meter, Note
from musicgrammar.tools.melody_model.generate import WEIGHTS_DIR, generate_phrase
from musicgrammar.tools.melody_model.model import MelodyModel, MelodyModelConfig
from musicgrammar.tools.melody_model.tokenizer import N_PITCHES, N_VOICES, VOCAB, NoteEvent, Piece, encode

torch.set_num_threads(1)


def _tiny(embedding: str = "smart", seed: int = 0) -> MelodyModel:
    torch.manual_seed(seed)
    return MelodyModel(MelodyModelConfig.tiny(embedding)).eval()  # type: ignore[arg-type]


def test_smart_embedding_saves_the_note_rows() -> None:
    plain, smart = _tiny("plain"), _tiny("smart")
    d = plain.cfg.d_model
    assert plain.embedding_parameters() == len(VOCAB) * d
    assert smart.embedding_parameters() == (VOCAB.note_base + N_PITCHES + N_VOICES) * d
    saved = (N_VOICES * N_PITCHES - N_PITCHES - N_VOICES) * d
    assert plain.total_parameters() - smart.total_parameters() == saved


def test_smart_note_vector_is_pitch_plus_voice() -> None:
    emb = _tiny("smart").embed
    table = emb.matrix()
    assert table.shape == (len(VOCAB), emb.cfg.d_model)
    row = table[VOCAB.note(2, 67)]
    assert torch.allclose(row, emb.pitch.weight[67 - 21] + emb.voice.weight[2])
    assert torch.allclose(table[VOCAB.bar], emb.other.weight[VOCAB.bar])


@pytest.mark.parametrize("embedding", ["plain", "smart"])
def test_kv_cache_step_matches_the_full_forward(embedding: str) -> None:
    model = _tiny(embedding)
    ids = torch.randint(3, len(VOCAB), (2, 30))
    with torch.no_grad():
        full, _ = model(ids)
        matrix = model.embed.matrix()
        cache = model.new_cache(2)
        parts = [model.step(ids[:, :17], cache, matrix), model.step(ids[:, 17:18], cache, matrix),
                 model.step(ids[:, 18:], cache, matrix)]
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=1e-4)


def test_tiny_model_learns_a_repeated_tune() -> None:
    notes = [NoteEvent(i * 12, 12, p) for i, p in enumerate([60, 62, 64, 65, 67, 65, 64, 62] * 4)]
    ids = torch.tensor([encode(Piece(0, "major", (4, 4), notes))])
    model = _tiny("smart")
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    first = model.loss(ids).item()
    for _ in range(60):
        loss = model.loss(ids)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = _tiny("plain")
    model.save(tmp_path, half=True)
    loaded = MelodyModel.load(tmp_path)
    ids = torch.randint(3, len(VOCAB), (1, 12))
    with torch.no_grad():
        assert torch.allclose(model(ids)[0], loaded(ids)[0], atol=5e-2)
    assert loaded.cfg.embedding == "plain"


def _check_phrase(notes: list[Note], start: float, bars: int, bar_q: float, low: int, high: int, key: Key,
                  beat_q: float = 1.0) -> None:
    assert notes, "a phrase has notes"
    assert notes[0].start == start  # a phrase starts on its downbeat
    end = start + bars * bar_q
    previous_end = start
    for n in notes:
        assert low <= n.pitch <= high
        assert n.start >= previous_end - 1e-9  # monophonic, in order
        assert n.start - previous_end <= beat_q + 1e-9  # rests of at most a beat
        assert abs(n.start * 4 - round(n.start * 4)) < 1e-9  # sixteenth grid
        bar_of_start = int((n.start - start) // bar_q)
        assert n.end <= start + (bar_of_start + 1) * bar_q + 1e-9  # never across a bar line
        assert n.chromatic == (n.pitch % 12 not in key.pitch_classes())
        previous_end = n.end
    assert end - beat_q - 1e-9 <= notes[-1].end <= end + 1e-9  # the phrase fills its bars


def test_generate_phrase_fills_the_bar_grid_and_the_range() -> None:
    model = _tiny()
    key, meter = Key.parse("D minor"), Meter.parse("4/4")
    chords = [ChordSymbol.parse(c) for c in ("Dm", "Dm", "A7", "A7", "Gm", "Gm", "A", "A")] * 2
    notes = generate_phrase(key, meter, chords, bars=4, low=62, high=81, seed=3, start_quarter=8.0, model=model)
    _check_phrase(notes, 8.0, 4, 4.0, 62, 81, key)
    again = generate_phrase(key, meter, chords, bars=4, low=62, high=81, seed=3, start_quarter=8.0, model=model)
    assert again == notes  # same seed, same phrase


def test_generate_phrase_in_six_eight_with_one_chord_per_bar_and_a_motif() -> None:
    model = _tiny()
    key, meter = Key.parse("G major"), Meter.parse("6/8")
    motif = [Note(pitch=67, start=10.0, duration=1.0), Note(pitch=71, start=11.0, duration=0.5)]
    chords = [ChordSymbol.parse(c) for c in ("G", "C", "D7", "G")]
    notes = generate_phrase(key, meter, chords, bars=4, low=60, high=84, seed=0, motif=motif, model=model)
    _check_phrase(notes, 0.0, 4, 3.0, 60, 84, key, beat_q=1.5)
    assert [(n.start, n.duration, n.pitch) for n in notes[:2]] == [(0.0, 1.0, 67), (1.0, 0.5, 71)]


def test_generate_phrase_rejects_a_progression_of_the_wrong_length() -> None:
    with pytest.raises(UserInputError, match="chords"):
        generate_phrase(Key.parse("C major"), Meter.parse("3/4"), [ChordSymbol.parse("C")] * 5, bars=2,
                        low=60, high=79, seed=0, model=_tiny())
    with pytest.raises(UserInputError):
        generate_phrase(Key.parse("C major"), Meter.parse("3/4"), [ChordSymbol.parse("C")] * 2, bars=2,
                        low=60, high=62, seed=0, model=_tiny())


@pytest.mark.skipif(not (WEIGHTS_DIR / "model.safetensors").exists(), reason="no shipped checkpoint")
def test_shipped_model_writes_tonal_phrases_that_follow_the_chords() -> None:
    key, meter = Key.parse("C major"), Meter.parse("4/4")
    chords = [ChordSymbol.parse(c) for c in ("C", "F", "G7", "C")] * 2  # one per bar, 8 bars
    in_key = chord_tone_downbeats = downbeats = total = 0
    for seed in range(3):
        notes = generate_phrase(key, meter, chords, bars=8, low=60, high=81, seed=seed)
        _check_phrase(notes, 0.0, 8, 4.0, 60, 81, key)
        total += len(notes)
        in_key += sum(not n.chromatic for n in notes)
        for n in notes:
            if n.start % 4.0 == 0:
                downbeats += 1
                chord_tone_downbeats += n.pitch % 12 in chords[int(n.start // 4)].pitch_classes()
    assert in_key / total >= 0.9
    assert chord_tone_downbeats / downbeats >= 0.6


@pytest.mark.slow
@pytest.mark.skipif(not (WEIGHTS_DIR / "model.safetensors").exists(), reason="no shipped checkpoint")
def test_shipped_model_prefers_a_held_out_folk_tune_to_its_scrambled_pitches() -> None:
    """A real Essen tune from the committed held-out split scores better than the same rhythm with random pitches."""
    import json
    import sys

    from musicgrammar.tools.loss_profile import Corruption, corrupt_tokens, per_token_loss
    from musicgrammar.tools.melody_model.generate import load_default_model

    root = Path(__file__).resolve().parents[2] / "training" / "melody_model"
    sys.path.insert(0, str(root))
    try:
        import prepare_data  # the corpus preparation of the training recipe (music21, offline)
    finally:
        sys.path.remove(str(root))
    from music21 import corpus

    val_ids = [i for i in json.loads((root / "split.json").read_text())["val"] if i.startswith("essenFolksong/")]
    base = Path(corpus.__file__).parent
    model = load_default_model()
    checked = 0
    for piece_id in val_ids[:40]:
        collection, stem, number = piece_id.split("/")
        tunes = dict(prepare_data._split_abc(base / collection / f"{stem}.abc"))
        rec = prepare_data._folk_piece((piece_id, tunes[piece_id])) if piece_id in tunes else None
        if rec is None:
            continue
        notes = [NoteEvent(*n) for n in rec["notes"]]
        piece = Piece(rec["tonic"], rec["mode"], tuple(rec["meter"]), notes)
        tokens = encode(piece)[: model.cfg.max_len]
        n_bars = sum(1 for t in tokens if t == VOCAB.bar)
        scrambled = corrupt_tokens(tokens, Corruption.RANDOM_PITCHES, 0, n_bars, seed=0)[0]
        real_loss = per_token_loss(lambda x: model(x)[0], tokens, model.cfg.max_len).mean()
        bad_loss = per_token_loss(lambda x: model(x)[0], scrambled, model.cfg.max_len).mean()
        assert real_loss < bad_loss, piece_id
        checked += 1
        if checked == 3:
            break
    assert checked == 3
