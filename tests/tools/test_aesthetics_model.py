"""The aesthetics model: features, HiGIA bins and intervals, MSAF with and without stems, the trainer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from musicgrammar.tools.aesthetics_model.config import OUTPUTS, cpu_config, tiny_config
from musicgrammar.tools.aesthetics_model.features import DB_FLOOR, from_uint8, log_mel, to_uint8, windows
from musicgrammar.tools.aesthetics_model.model import AestheticsModel, HigiaHead, higia_targets, loss_fn


def _sine(freq: float, seconds: float, sr: int = 16000, level: float = 0.5) -> np.ndarray:
    return (level * np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


def test_features_put_a_tone_in_its_semitone_band_a_semitone_up_in_the_next_and_silence_at_the_floor() -> None:
    cfg = cpu_config()
    a4 = log_mel(_sine(440.0, 2.0), cfg)
    assert a4.shape == (32, cfg.features) == (32, 84)  # 2 s at 16 frames per second; 60 semitone + 16 mel bands + 8 sub-frames
    assert int(np.argmax(a4[8:24, : cfg.semitone_bands].mean(axis=0))) + cfg.semitone_low == 69  # A4
    bb4 = log_mel(_sine(466.16, 2.0), cfg)
    assert int(np.argmax(bb4[8:24, : cfg.semitone_bands].mean(axis=0))) + cfg.semitone_low == 70  # B flat 4
    assert a4[8:24].max() > -20.0
    assert np.all(log_mel(np.zeros(16000, np.float32), cfg) == DB_FLOOR)
    assert np.abs(from_uint8(to_uint8(a4)) - a4).max() <= 0.6  # 100/84 dB steps
    flux = a4[:, 76:].reshape(-1)  # (256,) sub-frames of 7.8 ms: the tone starts at sample 0 and holds
    assert flux[8:240].max() < -95.0  # a held tone hardly rises
    gap = np.concatenate([np.zeros(8000, np.float32), _sine(440.0, 1.5)])  # a tone entering at 0.5 s
    onset = int(np.argmax(log_mel(gap, cfg)[:, 76:].reshape(-1)))
    assert abs(onset - 64) <= 2  # 0.5 s / 7.8 ms = sub-frame 64


def test_windows_cover_long_audio_back_to_back_and_pad_the_last() -> None:
    db = np.zeros((170, 4), np.float32)
    assert windows(db, 160).shape == (1, 160, 4)  # a 10-frame rest is dropped
    w = windows(np.zeros((250, 4), np.float32), 160)  # 90 left over: a padded second window
    assert w.shape == (2, 160, 4) and np.all(w[1, 90:] == DB_FLOOR)
    assert windows(np.zeros((30, 4), np.float32), 160).shape == (1, 160, 4)


def test_higia_bins_put_every_whole_score_in_the_middle_bin_at_every_level() -> None:
    cfg = tiny_config()
    scores = torch.tensor([[1.0, 3.0, 5.0]])
    assert higia_targets(scores, cfg, 0).tolist() == [[0, 2, 4]]
    assert higia_targets(scores, cfg, 1).tolist() == [[1, 7, 13]]  # the middle child of each
    assert higia_targets(scores, cfg, 2).tolist() == [[4, 22, 40]]


def test_a_confident_head_gives_a_narrow_interval_around_the_score_and_a_split_one_a_wider_interval() -> None:
    cfg = tiny_config()
    head = HigiaHead(cfg, outputs=1)
    target = torch.tensor([[3.0]])
    sure = [torch.nn.functional.one_hot(higia_targets(target, cfg, lv), cfg.bins(lv)).float() * 30 for lv in range(3)]
    lo, hi = head.interval(sure)
    assert lo.item() < 3.0 < hi.item() and hi.item() - lo.item() == pytest.approx(1 / 9, abs=1e-5)
    # torn between 2 and 4 at the coarse level: the interval must stretch over both
    torn = [torch.full((1, 1, cfg.bins(lv)), -30.0) for lv in range(3)]
    torn[0][0, 0, 1] = torn[0][0, 0, 3] = 30.0
    torn[1][0, 0, 4] = torn[1][0, 0, 10] = 30.0
    torn[2][0, 0, 13] = torn[2][0, 0, 31] = 30.0
    lo, hi = head.interval(torn)
    assert lo.item() <= 2.0 and hi.item() >= 4.0
    mass = head.finest_mass(torn)
    assert mass.sum().item() == pytest.approx(1.0, abs=1e-5)


def test_an_anchored_head_scores_a_torn_clip_near_its_expected_score_a_plain_one_in_the_middle() -> None:
    # torn between 2 (a third of the mass) and 4 (two thirds): expected score 3.33, interval 2..4
    torn = torch.full((1, 1, 45), -30.0)
    torn[0, 0, 13], torn[0, 0, 31] = 30.0, 30.0 + float(np.log(2.0))
    h = torch.zeros(1, 16)
    for anchored, expected_score in ((True, 10 / 3), (False, None)):
        head = HigiaHead(tiny_config(anchor_expected=anchored), outputs=1)
        torch.nn.init.zeros_(head.inside.weight)
        torch.nn.init.zeros_(head.inside.bias)  # the learned regression adds nothing
        for level, layer in enumerate(head.levels):
            torch.nn.init.zeros_(layer.weight)
            with torch.no_grad():  # coarse and middle levels: no preference; the finest one is torn
                layer.bias.copy_(torn[0, 0] if level == 2 else torch.zeros(layer.bias.shape))
        out = head(h)
        lo, hi, score = out["lo"].item(), out["hi"].item(), out["score"].item()
        assert lo <= 2.0 and hi >= 4.0 and out["expected"].item() == pytest.approx(10 / 3, abs=0.01)
        if expected_score is not None:
            assert score == pytest.approx(expected_score, abs=0.01)
        else:
            assert score == pytest.approx((lo + hi) / 2, abs=0.01)  # sigmoid(0): the interval's middle


def test_the_model_scores_inside_its_intervals_with_and_without_stems() -> None:
    torch.manual_seed(0)
    cfg = tiny_config()
    model = AestheticsModel(cfg).eval()
    x = torch.randn(3, cfg.clip_frames, cfg.features) * 15 - 50
    with torch.no_grad():
        with_stems = model(x, x.flip(0), x * 0.5)
        alone = model(x)
        hidden = model(x, x.flip(0), x * 0.5, has_stems=torch.zeros(3, dtype=torch.bool))
    for out in (with_stems, alone):
        assert out["score"].shape == (3, len(OUTPUTS))
        assert torch.all(out["lo"] <= out["score"] + 1e-6) and torch.all(out["score"] <= out["hi"] + 1e-6)
    assert torch.allclose(alone["score"], hidden["score"])  # hidden stems = no stems
    assert not torch.allclose(alone["score"], with_stems["score"])  # the stems do reach the fusion


def test_the_mix_only_config_ignores_stems() -> None:
    cfg = tiny_config(use_stems=False)
    model = AestheticsModel(cfg).eval()
    x = torch.randn(2, cfg.clip_frames, cfg.features) * 15 - 50
    with torch.no_grad():
        assert torch.allclose(model(x)["score"], model(x, -x, x + 3)["score"])


@pytest.mark.parametrize("head", ["higia", "regression"])
def test_training_steps_fit_noisy_against_clean_clips(head: str) -> None:
    """Twenty steps on eight clips: clean tones score 5, tones under loud noise 1; the loss must fall
    and the trained model must rank the clean ones above the noisy ones."""
    torch.manual_seed(0)
    cfg = tiny_config(head=head, dropout=0.0, stem_dropout=0.0)
    rng = np.random.default_rng(0)
    clips, targets = [], []
    for i in range(8):
        tone = _sine(220.0 * (1 + i % 4), 2.5, level=0.3)
        noisy = i % 2 == 1
        wave = tone + (0.3 * rng.standard_normal(len(tone)).astype(np.float32) if noisy else 0.0)
        clips.append(log_mel(wave, cfg)[: cfg.clip_frames])
        targets.append([1.0 if noisy else 5.0] * len(OUTPUTS))
    x, y = torch.from_numpy(np.stack(clips)), torch.tensor(targets)
    model = AestheticsModel(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(20):
        loss = loss_fn(model(x), y, cfg)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0]
    model.eval()
    with torch.no_grad():
        overall = model(x)["score"][:, -1]
    assert overall[0::2].min() > overall[1::2].max()


def test_the_training_script_saves_weights_the_api_loads(tmp_path: Path) -> None:
    import subprocess
    import sys

    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    feats = rng.integers(0, 85, size=(6, 3, 40, 84), dtype=np.uint8)  # 60 semitone, 16 mel bands, 8 sub-frames
    np.savez_compressed(data / "train-0.npz", features=feats, labels=np.array([[0, 0, 0, 0], [1, 0, 0, 0]] * 3, dtype=np.int8))
    (data / "train-0.json").write_text(json.dumps({"meta": [{"piece": f"p{i // 2}"} for i in range(6)], "scores": []}))
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "training/aesthetics_model/train.py", "--data", str(data), "--out", str(tmp_path / "w"),
                           "--config", "tiny", "--epochs", "2", "--batch", "4", "--threads", "1", "--val-pieces", "1"],
                          cwd=root, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    log = json.loads((tmp_path / "w" / "train_log.json").read_text())
    assert log["clips"] == 4 and log["pieces"] == 2 and log["val_pieces"] == 1 and len(log["loss"]) == 2
    assert len(log["val_spearman"]) == 2 and log["best_epoch"] in (1, 2)
    # the intervals were widened on the validation clips until they held 80 % of them (or the mass ran out)
    saved = json.loads((tmp_path / "w" / "config.json").read_text())
    assert saved["interval_mass"] == log["interval_mass"] and 0.8 <= log["interval_mass"] <= 0.99
    assert log["val_interval_coverage"] >= 0.8 or log["interval_mass"] == 0.99
    again = subprocess.run([sys.executable, "training/aesthetics_model/train.py", "--data", str(data), "--out", str(tmp_path / "w"),
                            "--config", "tiny", "--val-pieces", "1", "--calibrate-only", "--coverage", "1.0"],
                           cwd=root, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr
    wider = json.loads((tmp_path / "w" / "train_log.json").read_text())
    # (tiny windows are cropped at random, so the two calibrations see different windows)
    assert 0.8 <= wider["interval_mass"] <= 0.99 and "calibrate_command" in wider and wider["loss"] == log["loss"]  # the log is kept, extended
    from musicgrammar.tools.aesthetics_model.api import load_model, score_audio

    model = load_model(tmp_path / "w")
    heard = score_audio(_sine(440.0, 3.0), 16000, model=model)
    assert not heard.used_stems and 1.0 <= heard.interval[0] <= heard.overall <= heard.interval[1] <= 5.0
    assert set(heard.dimensions) == {"harmony", "rhythm", "coherence", "audio_quality"}


def test_the_shipped_model_hears_clipping_and_noise_in_a_rendered_chorale_phrase() -> None:
    """8 s of four-part writing rendered with FluidSynth: driven into the clip or buried under noise
    at 5 dB SNR, its audio quality and overall scores must fall well below the clean render's."""
    pytest.importorskip("fluidsynth")
    from musicgrammar.ontologies import Key, Meter, Note, Part, Score
    from musicgrammar.tools.aesthetics_model.api import has_weights, load_model, score_audio
    from musicgrammar.tools.render import render_parts, timgm_soundfont

    if not has_weights():
        pytest.skip("no shipped weights")
    soprano = [72, 74, 76, 77, 79, 77, 76, 74, 72, 71, 72, 74, 76, 74, 72, 72]
    chords = [(55, 64, 48), (57, 65, 53), (59, 67, 55), (55, 64, 48)]
    parts = [Part(id="s", instrument="oboe", role="lead", notes=[Note(pitch=p, start=float(i), duration=1.0) for i, p in enumerate(soprano)])]
    for v, (name, inst) in enumerate((("t", "viola"), ("a", "viola"), ("b", "cello"))):
        parts.append(Part(id=name, instrument=inst, role="harmony",
                          notes=[Note(pitch=c[v] if v < 2 else c[2], start=4.0 * b, duration=4.0, velocity=70) for b, c in enumerate(chords)]))
    score = Score(key=Key.parse("C major"), meter=Meter.parse("4/4"), tempo_bpm=120, bars=4, parts=parts)
    stems, sr, _ = render_parts(score, timgm_soundfont(), 16000, tail_s=0.1, reverb=False)
    stems = {k: v[: 8 * sr] for k, v in stems.items()}
    mix = sum(stems.values())
    mix = mix / np.abs(mix).max() * 0.7
    model = load_model()
    clean = score_audio(mix, sr, model=model)
    clipped = score_audio(np.clip(mix * 16, -1, 1), sr, model=model)
    noise = np.random.default_rng(0).standard_normal(len(mix)).astype(np.float32)
    noisy = score_audio(mix + noise * np.sqrt(np.mean(mix**2) / 10 ** 0.5), sr, model=model)
    for bad in (clipped, noisy):
        assert clean.dimensions["audio_quality"]["score"] - bad.dimensions["audio_quality"]["score"] > 2.0
        assert clean.overall > bad.overall


def test_the_shipped_weights_stay_under_ten_megabytes_and_name_only_members_that_load() -> None:
    """The shipped folder (one model or an ensemble of them) is small enough to ship in the package:
    its safetensors files together at most 10 MB, and every member members.json names is a model folder."""
    from musicgrammar.tools.aesthetics_model.api import WEIGHTS_DIR, has_weights
    from musicgrammar.tools.aesthetics_model.ensemble import MEMBERS_FILE

    if not has_weights():
        pytest.skip("no shipped weights")
    total = sum(f.stat().st_size for f in WEIGHTS_DIR.rglob("*.safetensors"))
    assert 0 < total <= 10_000_000
    members = WEIGHTS_DIR / MEMBERS_FILE
    if members.is_file():
        for name in json.loads(members.read_text())["members"]:
            assert (WEIGHTS_DIR / name / "model.safetensors").is_file()
            assert (WEIGHTS_DIR / name / "config.json").is_file()


def _chord_db(midi: list[int], seconds: float = 2.0) -> torch.Tensor:
    """Sine tones at the given MIDI pitches, through the model's features: (1, T, features) dB."""
    wave = sum(_sine(440.0 * 2 ** ((m - 69) / 12), seconds, level=0.2) for m in midi)
    return torch.from_numpy(log_mel(np.asarray(wave, np.float32), cpu_config())).unsqueeze(0)


def test_descriptors_hear_a_wrong_note_against_a_triad_in_any_key() -> None:
    from musicgrammar.tools.aesthetics_model.descriptors import DESCRIPTORS, descriptors

    cfg = cpu_config()
    c_major = descriptors(_chord_db([60, 64, 67]), cfg)[0, 8:24].mean(dim=0)  # C E G
    with_c_sharp = descriptors(_chord_db([60, 61, 64, 67]), cfg)[0, 8:24].mean(dim=0)  # C C# E G
    d_major = descriptors(_chord_db([62, 66, 69]), cfg)[0, 8:24].mean(dim=0)  # D F# A
    assert c_major.shape == (DESCRIPTORS,)
    # interval classes 1..6: a triad holds a minor third, a major third and a fourth/fifth, no seconds
    assert c_major[0] < 0.1 and c_major[1] < 0.1 and min(c_major[2], c_major[3], c_major[4]) > 0.5
    assert with_c_sharp[0] > c_major[0] + 0.3  # the added C# makes minor seconds
    assert with_c_sharp[7] > c_major[7]  # ... and energy outside the key's scale
    assert with_c_sharp[9] < c_major[9]  # ... and a less clear key
    assert torch.allclose(c_major[:7], d_major[:7], atol=0.1)  # the same chord a tone higher: about the same intervals


def test_descriptors_show_onsets_as_flux_and_silence_as_nothing() -> None:
    from musicgrammar.tools.aesthetics_model.descriptors import descriptors

    cfg = cpu_config()
    wave = np.concatenate([np.zeros(16000, np.float32), _sine(440.0, 1.0)])  # a note enters after 1 s
    d = descriptors(torch.from_numpy(log_mel(wave, cfg)).unsqueeze(0), cfg)[0]
    flux = d[:, -1]
    assert int(flux.argmax()) in (15, 16, 17)  # frame 16 = 1 s at 16 frames per second
    assert float(d[:14, :8].abs().max()) == 0.0  # silent frames carry no interval content


def test_clip_statistics_hear_a_steady_beat_repeat_and_a_jittered_one_not() -> None:
    from musicgrammar.tools.aesthetics_model.descriptors import DESCRIPTORS, STATISTICS, clip_statistics

    d = torch.zeros(2, 128, DESCRIPTORS)
    d[0, ::8, -1] = 1.0  # an onset every 8 frames: crotchets at 120 BPM, 16 frames per second
    gen = torch.Generator().manual_seed(0)
    jittered = (torch.arange(0, 128, 8) + torch.randint(-3, 4, (16,), generator=gen)).clamp(0, 127)
    d[1, jittered, -1] = 1.0  # the same onsets, each moved by up to 3 frames
    stats = clip_statistics(d)
    assert stats.shape == (2, STATISTICS)
    at_the_beat = 3 * DESCRIPTORS + (8 - 2)  # the autocorrelation at a lag of 8 frames
    assert stats[0, at_the_beat] > 0.8 and stats[1, at_the_beat] < stats[0, at_the_beat] - 0.3


def test_descriptors_tell_a_stepwise_line_from_a_leaping_one() -> None:
    from musicgrammar.tools.aesthetics_model.descriptors import descriptors

    cfg = cpu_config()

    def line(midi: list[int]) -> torch.Tensor:
        wave = np.concatenate([_sine(440.0 * 2 ** ((m - 69) / 12), 0.5, level=0.3) for m in midi])
        return descriptors(torch.from_numpy(log_mel(wave, cfg)).unsqueeze(0), cfg)[0]

    steps = line([60, 62, 64, 65, 67, 65, 64, 62])  # C D E F G F E D
    leaps = line([60, 67, 72, 64, 69, 60, 65, 72])  # fifths, fourths, sixths
    step, leap = -3, -2
    assert steps[:, leap].sum() == 0 and steps[:, step].sum() >= 7
    assert leaps[:, leap].sum() >= 7 and leaps[:, step].sum() == 0


def test_ranking_loss_compares_clips_of_the_same_piece_only() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from training.aesthetics_model.train import piece_batches, ranking_loss

    worst = torch.tensor([0, 2, 4, 0, 4])  # piece 0: clean, grade 2, grade 4; piece 1: clean, grade 4
    pieces = torch.tensor([0, 0, 0, 1, 1])
    in_order = torch.tensor([5.0, 3.0, 1.0, 5.0, 1.0])
    upside_down = torch.tensor([1.0, 3.0, 5.0, 1.0, 5.0])
    assert ranking_loss(in_order, worst, pieces) < 0.1 < 2.0 < ranking_loss(upside_down, worst, pieces)
    # a damaged clip of piece 1 scoring above piece 0's clean clip is no fault: only pairs within a piece count
    across = torch.tensor([2.0, 1.5, 1.0, 5.0, 4.0])
    assert ranking_loss(across, worst, pieces) < ranking_loss(torch.tensor([2.0, 1.5, 1.0, 4.0, 5.0]), worst, pieces)
    batches = piece_batches(["a", "a", "b", "b", "c"], 2, torch.Generator().manual_seed(0))
    assert sorted(len(b) for b in batches) in ([1, 4], [2, 3]) and sorted(torch.cat(batches).tolist()) == [0, 1, 2, 3, 4]


def _tiny_data(folder: Path, clips: int = 8) -> None:
    """Random uint8 feature clips of four pieces (two clips each: clean and one grade-1 fault)."""
    folder.mkdir()
    feats = np.random.default_rng(0).integers(0, 85, size=(clips, 3, 32, 84), dtype=np.uint8)
    labels = np.array([[0, 0, 0, 0], [1, 0, 0, 0]] * (clips // 2), dtype=np.int8)
    np.savez_compressed(folder / "train-0.npz", features=feats, labels=labels)
    (folder / "train-0.json").write_text(json.dumps({"meta": [{"piece": f"p{i // 2}"} for i in range(clips)], "scores": []}))


def test_the_shipped_model_hears_a_12_8_phrase_as_in_time_and_a_late_alto_in_it_as_late() -> None:
    """Four bars of 12/8 at 90 dotted-quarter beats a minute: the lead in dotted quarters and long-short
    pairs (quarter, eighth), the lower voices on every dotted-quarter beat. Played as written, its rhythm
    is not heard as off the beat (no design-loop finding, which starts under 3.5); with the alto half a
    quarter note late, the rhythm score falls by more than a point."""
    pytest.importorskip("fluidsynth")
    from musicgrammar.ontologies import Key, Meter, Note, Part, Score
    from musicgrammar.tools.aesthetics_model.api import has_weights, load_model, score_audio
    from musicgrammar.tools.aesthetics_model.judge_signals import DAMAGED_BELOW
    from musicgrammar.tools.render import render_parts, timgm_soundfont

    if not has_weights():
        pytest.skip("no shipped weights")
    figure = [(72, 0.0, 1.5), (74, 1.5, 1.0), (76, 2.5, 0.5), (77, 3.0, 1.5), (79, 4.5, 1.5)]  # C., D-E long-short, F., G.
    lead = [Note(pitch=p + shift, start=6.0 * bar + at, duration=d) for bar, shift in enumerate((0, 2, -1, 0)) for p, at, d in figure]
    chords = [(55, 64, 48), (57, 65, 53), (59, 67, 55), (55, 64, 48)]

    def rhythm(alto_late: float) -> float:
        parts = [Part(id="s", instrument="oboe", role="lead", notes=lead)]
        for v, (name, inst) in enumerate((("t", "viola"), ("a", "viola"), ("b", "cello"))):
            parts.append(Part(id=name, instrument=inst, role="harmony", notes=[
                Note(pitch=c[v], start=6.0 * bar + 1.5 * beat + (alto_late if name == "a" else 0.0), duration=1.0, velocity=70)
                for bar, c in enumerate(chords) for beat in range(4)]))
        score = Score(key=Key.parse("C major"), meter=Meter.parse("12/8"), tempo_bpm=135, bars=4, parts=parts)
        stems, sr, _ = render_parts(score, timgm_soundfont(), 16000, tail_s=0.1, reverb=False)
        n = int(score.length_quarters * 60 / 135 * sr)  # 24 quarters at 135 a minute: 10.7 s
        stems = {k: v[:n] for k, v in stems.items()}
        mix = sum(stems.values())
        gain = 0.7 / np.abs(mix).max()
        heard = score_audio(mix * gain, sr, stems["s"] * gain, (mix - stems["s"]) * gain, model=load_model())
        return float(heard.dimensions["rhythm"]["score"])

    in_time, late = rhythm(0.0), rhythm(0.5)
    assert in_time >= DAMAGED_BELOW
    assert in_time - late > 1.0


def test_fine_tuning_starts_from_the_saved_weights_and_keeps_their_config(tmp_path: Path) -> None:
    from musicgrammar.tools.aesthetics_model.api import load_model
    from training.aesthetics_model.train import save, train

    torch.manual_seed(3)
    start = AestheticsModel(tiny_config(seam_reader=True)).eval()
    save(start, tmp_path / "start", {"command": "the first run"})
    _tiny_data(tmp_path / "data")
    # a zero learning rate: the fine-tuned weights must be the starting ones, not a fresh initialisation
    log = train(start.cfg, [tmp_path / "data"], tmp_path / "tuned", epochs=1, batch=4, lr=0.0, seed=0, device="cpu",
                val_pieces=2, coverage=0.0, init=tmp_path / "start")
    tuned = load_model(tmp_path / "tuned")
    assert log["init"] == str(tmp_path / "start") and log["init_val_spearman"] == log["val_spearman"][0]
    assert log["init_log"] == {"command": "the first run"}  # the starting weights' history travels with them
    assert tuned.cfg.seam_reader
    for name, value in start.state_dict().items():
        assert torch.equal(tuned.state_dict()[name], value), name


def test_an_ensemble_reports_the_mean_of_its_members_scores_and_intervals(tmp_path: Path) -> None:
    from musicgrammar.errors import ModelError
    from musicgrammar.tools.aesthetics_model.api import has_weights, load_model
    from training.aesthetics_model.ensemble import build
    from training.aesthetics_model.train import save

    members = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        members.append(tmp_path / f"m{seed}")
        save(AestheticsModel(tiny_config()).eval(), members[-1], {"seed": seed})
    _tiny_data(tmp_path / "data")
    log = build(members, tmp_path / "both", [tmp_path / "data"], val_pieces=2)
    assert has_weights(tmp_path / "both") and len(log["members"]) == 2
    assert -1.0 <= log["val_spearman"] <= 1.0 and log["val_interval_coverage"] >= 0.8 and log["interval_scale"] >= 1.0
    both, one, two = (load_model(tmp_path / f) for f in ("both", "m0", "m1"))
    assert both.interval_scale == log["interval_scale"]
    x = torch.from_numpy(from_uint8(np.random.default_rng(1).integers(0, 85, size=(3, 32, 84), dtype=np.uint8)))[None]
    outs = [m(x[:, 0], x[:, 1], x[:, 2]) for m in (both, one, two)]
    score, lo, hi = ((outs[1][k] + outs[2][k]) / 2 for k in ("score", "lo", "hi"))
    assert torch.allclose(outs[0]["score"], score, atol=1e-5)
    # the mean interval, widened around the mean score by the calibrated factor
    assert torch.allclose(outs[0]["lo"], (score - both.interval_scale * (score - lo)).clamp(min=0.5), atol=1e-5)
    assert torch.allclose(outs[0]["hi"], (score + both.interval_scale * (hi - score)).clamp(max=5.5), atol=1e-5)
    with pytest.raises(SystemExit, match="already exists"):  # never writes into a folder it did not make
        build(members, tmp_path / "both", [tmp_path / "data"], val_pieces=2)
    # members that read other windows cannot be averaged; a listing that leaves its folder is refused
    save(AestheticsModel(tiny_config(clip_frames=64)), tmp_path / "long", {})
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "members.json").write_text(json.dumps({"members": ["../m0", "../long"]}))
    with pytest.raises(ModelError, match="members must be"):
        load_model(tmp_path / "mixed")
    for name in ("m0", "long"):
        (tmp_path / "mixed" / name).symlink_to(tmp_path / name)
    (tmp_path / "mixed" / "members.json").write_text(json.dumps({"members": ["m0", "long"]}))
    with pytest.raises(ModelError, match="clip_frames"):
        load_model(tmp_path / "mixed")


def test_transposing_the_bands_moves_a_tone_up_two_semitones_and_leaves_the_mel_bands() -> None:
    from musicgrammar.tools.aesthetics_model.features import transpose_bands

    cfg = tiny_config()
    a4 = log_mel(_sine(440.0, 1.0), cfg)  # (frames, features)
    b4 = log_mel(_sine(440.0 * 2 ** (2 / 12), 1.0), cfg)
    bands = cfg.semitone_bands
    moved = transpose_bands(torch.from_numpy(a4), bands, 2).numpy()
    assert moved[:, :bands].mean(0).argmax() == b4[:, :bands].mean(0).argmax() == a4[:, :bands].mean(0).argmax() + 2
    assert np.array_equal(moved[:, bands:], a4[:, bands:])  # mel bands and flux stay
    assert (transpose_bands(torch.from_numpy(a4), bands, -3).numpy()[:, bands - 3 : bands] == DB_FLOOR).all()
    with pytest.raises(ValueError, match="out"):
        transpose_bands(torch.from_numpy(a4), bands, bands)


def test_an_ensemble_with_transpositions_averages_the_readings_of_the_moved_clip(tmp_path: Path) -> None:
    from musicgrammar.errors import ModelError
    from musicgrammar.tools.aesthetics_model.api import _load, load_model
    from musicgrammar.tools.aesthetics_model.ensemble import AestheticsEnsemble
    from musicgrammar.tools.aesthetics_model.features import transpose_bands
    from training.aesthetics_model.ensemble import build
    from training.aesthetics_model.train import save

    torch.manual_seed(0)
    member = AestheticsModel(tiny_config()).eval()
    save(member, tmp_path / "m0", {})
    _tiny_data(tmp_path / "data")
    log = build([tmp_path / "m0"], tmp_path / "tta", [tmp_path / "data"], val_pieces=2, transpositions=(-1, 0, 1))
    heard = load_model(tmp_path / "tta")
    assert heard.transpositions == (-1, 0, 1) == tuple(log["transpositions"])
    x = torch.from_numpy(from_uint8(np.random.default_rng(1).integers(0, 85, size=(2, 3, 32, 84), dtype=np.uint8)))
    bands = member.cfg.semitone_bands
    with torch.no_grad():
        readings = [member(*(transpose_bands(x[:, s], bands, t) for s in range(3)))["score"] for t in (-1, 0, 1)]
        assert torch.allclose(heard(x[:, 0], x[:, 1], x[:, 2])["score"], torch.stack(readings).mean(0), atol=1e-5)
        # the mix alone is moved as well
        alone = torch.stack([member(transpose_bands(x[:, 0], bands, t))["score"] for t in (-1, 0, 1)]).mean(0)
        assert torch.allclose(heard(x[:, 0])["score"], alone, atol=1e-5)
    for bad in ([0, 0], [], [9]):
        with pytest.raises(ValueError, match="transpositions"):
            AestheticsEnsemble([member], 1.0, tuple(bad))
    listing = json.loads((tmp_path / "tta" / "members.json").read_text())
    (tmp_path / "tta" / "members.json").write_text(json.dumps(listing | {"transpositions": [0.5]}))
    _load.cache_clear()  # the folder was loaded above; read its listing again
    with pytest.raises(ModelError, match="whole semitones"):
        load_model(tmp_path / "tta")
