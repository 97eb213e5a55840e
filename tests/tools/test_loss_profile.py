"""Noise-injection loss profiles: regions and statistics, windowed losses, corruptions, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from musicgrammar.errors import UserInputError
from musicgrammar.tools.loss_profile import (
    FALLBACK,
    PRE,
    Corruption,
    compute_profile,
    corrupt_tokens,
    per_token_loss,
    probe_piece,
    profile_piece,
    profile_tokens,
)
from musicgrammar.tools.melody_model.generate import WEIGHTS_DIR
from musicgrammar.tools.melody_model.model import MelodyModel, MelodyModelConfig
from musicgrammar.tools.melody_model.tokenizer import VOCAB, NoteEvent, Piece, bar_starts, encode

torch.set_num_threads(1)


def _tune(bars: int = 8) -> Piece:
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    notes = [NoteEvent(b * 48 + i * 12, 12, scale[(b + i) % 8], 0) for b in range(bars) for i in range(4)]
    notes += [NoteEvent(b * 48, 48, 48, 3) for b in range(bars)]  # a bass voice, one note per bar
    return Piece(tonic=0, mode="major", meter=(4, 4), notes=notes)


def test_peak_assimilation_and_recovery_regions() -> None:
    clean = np.ones(300)
    noisy = clean.copy()
    noisy[100:110] += np.linspace(3.0, 0.3, 10)  # spike at the onset, settling back by token 110
    noisy[110:150] -= 0.2  # the model assimilates the noise: lower than clean
    prof = compute_profile(clean, noisy, onset=100, end=150)
    assert prof.baseline == 0.0
    assert prof.peak == (100 - PRE, 110)
    assert prof.assimilation == (110, 150) and prof.recovery == (150, 300)
    assert prof.peak_max == pytest.approx(3.0)
    assert prof.peak_area == pytest.approx(float(np.linspace(3.0, 0.3, 10).sum()))
    assert prof.peak_mean == pytest.approx(prof.peak_area / 15)
    assert prof.region_means()["assimilation"] == pytest.approx(-0.2)


def test_peak_falls_back_when_the_loss_never_settles() -> None:
    clean = np.zeros(400)
    noisy = clean.copy()
    noisy[200:] += 1.0
    prof = compute_profile(clean, noisy, onset=200, end=220)
    assert prof.peak == (200 - PRE, 200 + FALLBACK)
    assert prof.assimilation == (220, 220)  # the Peak outlasted the noise: nothing assimilated
    assert prof.recovery == (250, 400)


def test_windowed_losses_equal_a_single_pass_for_a_local_model() -> None:
    torch.manual_seed(0)
    table = torch.randn(50, 50)

    def bigram(ids: torch.Tensor) -> torch.Tensor:  # logits depend on the previous token only
        return table[ids]

    tokens = torch.randint(0, 50, (230,)).tolist()
    full = per_token_loss(bigram, tokens, context=1000)
    windowed = per_token_loss(bigram, tokens, context=64)
    assert len(full) == 229 and not np.isnan(windowed).any()
    assert np.allclose(full, windowed, atol=1e-5)


def test_random_pitches_change_only_pitches_inside_the_bars() -> None:
    tokens = encode(_tune())
    bad, begin, stop = corrupt_tokens(tokens, Corruption.RANDOM_PITCHES, at_bar=3, length=2, seed=1)
    bars = bar_starts(tokens)
    assert (begin, stop) == (bars[3], bars[5]) and len(bad) == len(tokens)
    changed = [i for i, (a, b) in enumerate(zip(tokens, bad)) if a != b]
    assert changed and all(begin <= i < stop for i in changed)
    for i in changed:  # same voice, new pitch; rhythm tokens untouched
        assert VOCAB.is_note(tokens[i]) and VOCAB.is_note(bad[i])
        assert VOCAB.note_voice_pitch(tokens[i])[0] == VOCAB.note_voice_pitch(bad[i])[0]


def test_shuffled_bars_and_noise_keep_length_and_locality() -> None:
    tokens = encode(_tune())
    shuffled, begin, stop = corrupt_tokens(tokens, "shuffled_bars", at_bar=2, length=3, seed=0)
    assert sorted(shuffled[begin:stop]) == sorted(tokens[begin:stop]) and shuffled != tokens
    assert shuffled[:begin] == tokens[:begin] and shuffled[stop:] == tokens[stop:]
    noisy, begin, stop = corrupt_tokens(tokens, "noise_tokens", at_bar=7, length=4, seed=0)
    assert len(noisy) == len(tokens) and noisy[-1] == VOCAB.eos  # clipped to the last bar, EOS kept
    assert noisy[:begin] == tokens[:begin]
    with pytest.raises(UserInputError):
        corrupt_tokens(tokens, "noise_tokens", at_bar=8, length=1)
    with pytest.raises(ValueError):
        corrupt_tokens(tokens, "reverb", at_bar=1, length=1)


def test_a_model_that_knows_the_tune_peaks_at_the_corruption() -> None:
    """Overfit a tiny model to one tune, then corrupt two bars: the loss jumps there and only there."""
    torch.manual_seed(0)
    piece = _tune(8)
    tokens = encode(piece)
    model = MelodyModel(MelodyModelConfig.tiny())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    ids = torch.tensor([tokens])
    for _ in range(80):
        loss = model.loss(ids)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    prof = profile_piece(piece, Corruption.RANDOM_PITCHES, at_bar=4, length=2, seed=0, model=model)
    diff = prof.diff
    assert np.allclose(diff[: prof.onset], 0.0, atol=1e-5)  # causal: nothing changes before the onset
    assert prof.peak_max > 1.0 and prof.peak_area > 2.0
    assert prof.meta["at_bar"] == 4 and prof.meta["kind"] == "random_pitches"
    same = profile_tokens(lambda x: model(x)[0], tokens, tokens, 10, 20, model.cfg.max_len)
    assert same.peak_area == pytest.approx(0.0, abs=1e-5)
    probe = probe_piece(piece, model=model)  # three injections, averaged
    assert probe["peak_area"] > 2.0 and probe["mean_loss"] < 1.0


def _write_midi(path: Path) -> None:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    scale = [60, 62, 64, 65, 67, 65, 64, 62]
    for i in range(32):
        inst.notes.append(pretty_midi.Note(velocity=80, pitch=scale[i % 8], start=i * 0.5, end=i * 0.5 + 0.45))
    pm.instruments.append(inst)
    pm.write(str(path))


@pytest.mark.skipif(not (WEIGHTS_DIR / "model.safetensors").exists(), reason="no shipped checkpoint")
def test_profile_cli_json_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from musicgrammar.cli import main

    midi = tmp_path / "scale.mid"
    _write_midi(midi)
    main(["profile", str(midi), "--inject", "random_pitches", "--at", "2", "--length", "2", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["meta"]["at_bar"] == 2 and len(data["diff"]) == len(data["clean"])
    assert data["peak_area"] > 0 and data["peak"][0] < data["peak"][1]
    main(["profile", str(midi)])
    assert "mean loss" in capsys.readouterr().out


def test_profile_cli_reports_user_mistakes_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from musicgrammar.cli import main

    with pytest.raises(SystemExit) as done:
        main(["profile", str(tmp_path / "missing.mid")])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "file not found" in err and "\n" not in err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([1, 2]))
    with pytest.raises(SystemExit) as done:
        main(["profile", str(bad)])
    assert done.value.code == 2
