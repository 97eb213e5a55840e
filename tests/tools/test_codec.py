"""The CAT codec: shapes, causality, streaming == batch, quantizer dropout and bitrate, CLI round trip."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from musicgrammar.errors import UserInputError
from musicgrammar.tools.codec.config import CodecConfig, cpu_config, tiny_config
from musicgrammar.tools.codec.io import read_audio
from musicgrammar.tools.codec.losses import MultiScaleMel, chroma_correlation, semitone_filterbank, si_sdr
from musicgrammar.tools.codec.model import CatCodec

torch.set_num_threads(1)


@pytest.fixture(params=["complex", "magnitude"])
def tiny(request: pytest.FixtureRequest) -> CatCodec:
    torch.manual_seed(0)
    model = CatCodec(tiny_config(request.param))
    with torch.no_grad():  # lift layer scale so that attention really mixes frames in these tests
        for name, p in model.named_parameters():
            if "gamma" in name:
                p.fill_(0.5)
    return model.eval()


def test_frame_arithmetic_and_bitrate() -> None:
    cfg = cpu_config()
    assert cfg.hop == 960 and cfg.frame_rate == 25.0
    assert cfg.bitrate(6) == 1500.0  # 25 Hz x 6 levels x 10 bits
    assert cfg.bitrate(12) == 3000.0
    assert CodecConfig.from_dict(cfg.to_dict()) == cfg


def test_shapes(tiny: CatCodec) -> None:
    cfg = tiny.cfg
    wave = torch.randn(2, cfg.hop * 10 + 7)  # not a whole number of frames: padded
    codes, _ = tiny.encode(wave, 3)
    assert codes.shape == (2, 3, 11) and codes.dtype == torch.long
    assert int(codes.max()) < cfg.codebook_size
    out, _ = tiny.decode(codes)
    assert out.shape == (2, 11 * cfg.hop)
    recon, q, frames = tiny(wave[:, : cfg.hop * 10])
    assert recon.shape == (2, cfg.hop * 10) and q.codes.shape == (2, cfg.levels, 10)
    assert frames.shape[:2] == (2, cfg.hop * 10 // cfg.patch)


def _vocoder_round_trip(wave: np.ndarray) -> np.ndarray:
    """The shipped config's magnitude head fed the input's own spectra: what the decoder can reach."""
    model = CatCodec(cpu_config())
    x = torch.from_numpy(wave[None].astype(np.float32))
    state = model.new_state()
    out = model.synthesize(model.target_log_magnitude(x), state)
    out = torch.cat((out, model.flush(state)), 1)
    return out[0, model.cfg.delay : model.cfg.delay + len(wave)].numpy()


def test_vocoder_keeps_the_pitch_of_a4() -> None:
    sr = cpu_config().sample_rate
    t = np.arange(sr * 2) / sr
    out = _vocoder_round_trip(0.3 * np.sin(2 * np.pi * 440.0 * t))
    steady = out[sr // 4 : -sr // 4]
    spectrum = np.abs(np.fft.rfft(steady * np.hanning(len(steady))))
    peak_hz = np.argmax(spectrum) * sr / len(steady)
    assert abs(peak_hz - 440.0) < 1.0
    assert 0.9 < np.sqrt(np.mean(steady**2)) / (0.3 / np.sqrt(2)) < 1.1  # same loudness


def test_vocoder_keeps_a_c_major_triad_apart_from_c_minor() -> None:
    sr = cpu_config().sample_rate
    t = np.arange(sr * 2) / sr
    triad = lambda *midi: sum(0.15 * np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in midi)  # noqa: E731
    c_major, c_minor = triad(60, 64, 67), triad(60, 63, 67)
    out = _vocoder_round_trip(c_major)
    assert chroma_correlation(c_major, out, sr) > 0.95
    assert chroma_correlation(c_minor, out, sr) < chroma_correlation(c_major, out, sr) - 0.2


def test_encoder_is_causal(tiny: CatCodec) -> None:
    hop = tiny.cfg.hop
    a = torch.randn(1, hop * 12)
    b = a.clone()
    b[:, hop * 7 :] = torch.randn(1, hop * 5)  # change the future from frame 7 on
    ca, _ = tiny.encode(a)
    cb, _ = tiny.encode(b)
    assert torch.equal(ca[..., :7], cb[..., :7])
    assert not torch.equal(ca[..., 7:], cb[..., 7:])


def test_decoder_is_causal(tiny: CatCodec) -> None:
    hop = tiny.cfg.hop
    codes, _ = tiny.encode(torch.randn(1, hop * 12))
    other = codes.clone()
    other[..., 8:] = (other[..., 8:] + 1) % tiny.cfg.codebook_size
    wa, _ = tiny.decode(codes)
    wb, _ = tiny.decode(other)
    assert torch.equal(wa[:, : 8 * hop], wb[:, : 8 * hop])
    assert not torch.allclose(wa[:, 8 * hop :], wb[:, 8 * hop :])


def test_attention_context_is_bounded(tiny: CatCodec) -> None:
    """A frame further back than the attention window of every stage cannot reach the codes."""
    hop = tiny.cfg.hop
    frames = 40
    a = torch.randn(1, hop * frames)
    b = a.clone()
    b[:, :hop] = torch.randn(1, hop)  # change the very first frame only
    la, _ = tiny.encode_latent(a)
    lb, _ = tiny.encode_latent(b)
    # Each stage adds at most its window; three stages of 0.2 s -> 0.6 s = 30 frames at 50 Hz.
    reach = int(round(len(tiny.cfg.stages) * tiny.cfg.context_seconds * tiny.cfg.frame_rate)) + 1
    assert reach < frames
    assert not torch.allclose(la[:, :2], lb[:, :2])
    assert torch.equal(la[:, reach:], lb[:, reach:])


def test_streaming_matches_batch(tiny: CatCodec) -> None:
    hop = tiny.cfg.hop
    wave = torch.randn(1, hop * 30)
    batch_codes, _ = tiny.encode(wave)
    state, parts = tiny.new_state(), []
    for start in range(0, wave.shape[1], 37):  # ragged pushes, shorter than a frame at times
        codes, state = tiny.encode(wave[:, start : start + 37], state=state)
        parts.append(codes)
    assert torch.equal(torch.cat(parts, -1), batch_codes)

    batch_wave, _ = tiny.decode(batch_codes)
    state, pieces = tiny.new_state(), []
    for start in range(0, 30, 4):
        out, state = tiny.decode(batch_codes[..., start : start + 4], state)
        pieces.append(out)
    assert torch.allclose(torch.cat(pieces, -1), batch_wave, atol=1e-5)


def test_quantizer_dropout_uses_level_prefixes(tiny: CatCodec) -> None:
    cfg = dataclasses.replace(tiny_config(), quantizer_dropout=1.0)
    torch.manual_seed(1)
    model = CatCodec(cfg)
    latent = torch.randn(1, 5, cfg.stages[-1].dim).expand(64, -1, -1).contiguous()
    model.quantizer.eval()
    prefixes = [model.quantizer(latent[:1], k).quantized for k in range(1, cfg.levels + 1)]
    model.quantizer.train()
    out = model.quantizer(latent).quantized  # every example keeps a random prefix of levels
    used = []
    for row in out:
        match = [k + 1 for k, ref in enumerate(prefixes) if torch.allclose(row, ref[0], atol=1e-6)]
        assert match, "a dropped-out example is not the sum of a prefix of levels"
        used.append(match[0])
    assert len(set(used)) >= 3  # different examples kept different numbers of levels
    # Fewer levels -> a proportionally lower bitrate; decode of a prefix is the prefix's sum.
    codes = model.quantizer.eval()(latent[:1], 2).codes
    assert codes.shape[1] == 2 and cfg.bitrate(2) == 2 * cfg.bitrate(1)
    assert torch.allclose(model.quantizer.decode(codes), prefixes[1], atol=1e-6)


def test_api_chunked_streaming_equals_one_pass(tiny: CatCodec, monkeypatch: pytest.MonkeyPatch) -> None:
    from musicgrammar.tools.codec import api

    sr = 8_000  # not the codec's rate: resampled to 4 kHz inside
    wave = np.random.default_rng(0).standard_normal(sr * 2).astype(np.float32) * 0.1
    one_pass = api.encode(wave, sr, 3, model=tiny)
    assert one_pass.shape == (3, 100)  # 2 s at 50 Hz
    monkeypatch.setattr(api, "CHUNK_FRAMES", 7)
    assert np.array_equal(api.encode(wave, sr, 3, model=tiny), one_pass)
    decoded = api.decode(one_pass, model=tiny)
    assert decoded.shape == (100 * tiny.cfg.hop,) and decoded.dtype == np.float32
    with pytest.raises(UserInputError, match="levels"):
        api.encode(wave, sr, 9, model=tiny)
    with pytest.raises(UserInputError, match="code values"):
        api.decode(np.full((2, 3), 99), model=tiny)


def test_clip_embedding_is_a_unit_vector_that_ignores_rate_and_level() -> None:
    from musicgrammar.tools.codec import api

    sr = 24_000
    t = np.arange(sr * 2) / sr
    chord = sum(0.15 * np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0)).astype(np.float32)  # C major
    noise = np.random.default_rng(0).standard_normal(len(t)).astype(np.float32) * 0.2
    e = api.clip_embedding(chord, sr)
    assert e.shape == (2 * api.load_codec().cfg.stages[-1].dim,) and abs(np.linalg.norm(e) - 1) < 1e-5
    same_at_48k = api.clip_embedding(np.repeat(chord, 2), 2 * sr)  # crude 48 kHz copy
    assert float(e @ same_at_48k) > 0.95
    assert float(e @ api.clip_embedding(noise, sr)) < float(e @ same_at_48k)


def test_mel_distance_and_si_sdr_measure_what_they_say() -> None:
    sr = 8000
    t = np.arange(sr) / sr
    a4 = 0.5 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    e5 = 0.5 * np.sin(2 * np.pi * 659.25 * t).astype(np.float32)
    mel = MultiScaleMel(sr, windows=(64, 256), mels=(10, 40))
    ta, te = torch.from_numpy(a4)[None], torch.from_numpy(e5)[None]
    assert mel.distance(ta, ta) == 0.0
    assert mel.distance(ta, 0.5 * ta) < mel.distance(ta, te)  # a level change is closer than a new pitch
    assert si_sdr(a4, 0.3 * a4) > 60  # scale-invariant
    noisy = a4 + 0.05 * np.random.default_rng(0).standard_normal(sr).astype(np.float32)
    assert 15 < si_sdr(a4, noisy) < 25  # signal power 0.125 over noise 0.0025 -> ~17 dB


def test_chroma_correlation_hears_pitch_classes() -> None:
    sr = 24_000
    t = np.arange(sr * 2) / sr

    def chord(*freqs: float) -> np.ndarray:
        return sum(np.sin(2 * np.pi * f * t) for f in freqs).astype(np.float32)

    c_major = chord(261.63, 329.63, 392.00)
    assert chroma_correlation(c_major, 0.3 * c_major, sr) > 0.99  # loudness does not matter
    a_minor = chord(220.00, 261.63, 329.63)  # shares C and E with C major
    f_sharp_major = chord(277.18, 369.99, 466.16)  # shares nothing
    assert chroma_correlation(c_major, a_minor, sr) > 0.3 > chroma_correlation(c_major, f_sharp_major, sr)


def test_read_audio_resamples_and_mixes_down(tmp_path) -> None:
    sr = 44_100
    t = np.arange(sr // 2) / sr
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], 1) * 0.4
    path = tmp_path / "a4.wav"
    sf.write(path, stereo, sr)
    wave, rate = read_audio(path, 24_000)
    assert rate == 24_000 and wave.ndim == 1 and abs(len(wave) - 12_000) <= 1
    spectrum = np.abs(np.fft.rfft(wave))
    assert abs(np.argmax(spectrum) * 24_000 / len(wave) - 440) < 3  # still an A4


@pytest.mark.parametrize("content", [b"", b"this is not audio at all"])
def test_bad_audio_is_a_one_line_user_error(tmp_path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(UserInputError) as info:
        read_audio(path)
    assert "bad.wav" in str(info.value) and "\n" not in str(info.value)


def test_empty_wav_is_rejected(tmp_path) -> None:
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros((0, 1), np.float32), 16_000)
    with pytest.raises(UserInputError, match="empty"):
        read_audio(path)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "musicgrammar", *args], capture_output=True, text=True, timeout=120)


def test_cli_round_trip_with_shipped_codec(tmp_path) -> None:
    sr = 44_100
    t = np.arange(int(sr * 1.5)) / sr
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * np.minimum(1, 10 * t)  # A3, stereo, 44.1 kHz
    src = tmp_path / "a3.wav"
    sf.write(src, np.stack([tone, tone], 1), sr)
    codes_path, out = tmp_path / "a3.npz", tmp_path / "a3_decoded.wav"
    r = _cli("tokenize", str(src), "--out", str(codes_path), "--levels", "4")
    assert r.returncode == 0, r.stderr
    with np.load(codes_path) as data:
        codes = data["codes"]
        assert codes.shape == (4, 38)  # 1.5 s at 25 Hz, padded to a whole frame
        assert float(data["bitrate"]) == 1000.0
    r = _cli("detokenize", str(codes_path), "--out", str(out))
    assert r.returncode == 0, r.stderr
    decoded, rate = sf.read(out)
    assert rate == sr and abs(len(decoded) - len(tone)) <= 2
    assert np.isfinite(decoded).all() and np.abs(decoded).max() > 0.01


def test_cli_reports_bad_input_in_one_line(tmp_path) -> None:
    bad = tmp_path / "noise.wav"
    bad.write_text("not a wav")
    r = _cli("tokenize", str(bad), "--out", str(tmp_path / "x.npz"))
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    assert not (tmp_path / "x.npz").exists()
    r = _cli("detokenize", str(bad), "--out", str(tmp_path / "x.wav"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and not (tmp_path / "x.wav").exists()
    good = tmp_path / "ok.wav"
    sf.write(good, np.zeros(2400, np.float32), 24_000)
    r = _cli("tokenize", str(good), "--out", str(tmp_path / "y.npz"), "--levels", "99")
    assert r.returncode == 2 and "levels" in r.stderr and "Traceback" not in r.stderr


def test_semitone_bands_put_a4_in_its_own_band_and_a_semitone_apart_from_b_flat() -> None:
    sr, n = 24_000, 1920
    bank = semitone_filterbank(sr, n)  # band j is MIDI 33 + j; A4 = MIDI 69 -> band 36
    t = np.arange(n) / sr
    def bands_of(hz: float) -> np.ndarray:
        return bank @ np.abs(np.fft.rfft(np.sin(2 * np.pi * hz * t) * np.hanning(n)))
    assert int(np.argmax(bands_of(440.0))) == 36
    assert int(np.argmax(bands_of(466.16))) == 37  # B-flat 4
    assert int(np.argmax(bands_of(55.0))) == 0  # A1: narrower than an FFT bin, still its own band


def test_pitch_basis_puts_a4_on_its_own_partial_a_third_of_a_semitone_grid() -> None:
    from musicgrammar.tools.codec.basis import LOW_MIDI, hann_lobe, pitch_basis

    sr, n = 24_000, 1920
    tonal, noise = pitch_basis(sr, n)  # partial p is MIDI LOW_MIDI + p / 3
    a4 = (69 - LOW_MIDI) * 3
    t = np.arange(n) / sr
    spectrum = np.abs(np.fft.rfft(np.sin(2 * np.pi * 440.0 * t) * np.hanning(n)))
    fit = tonal @ spectrum / (tonal**2).sum(1)  # each partial's least-squares amplitude alone
    assert int(np.argmax(fit)) == a4
    assert int(np.argmax(tonal[a4])) == round(440.0 / (sr / n))  # bin 35 (12.5 Hz bins)
    assert hann_lobe(np.array([0.0, 1.0, 2.0])).tolist() == [1.0, 0.5, 0.0]
    assert noise.shape[1] == n // 2 + 1 and noise.max() <= 1.0


def test_pitch_head_outputs_log_magnitudes_that_the_vocoder_plays() -> None:
    cfg = dataclasses.replace(tiny_config("magnitude"), head_basis="pitch")
    model = CatCodec(cfg).eval()
    frames = model.decode_frames(torch.zeros(1, 3, cfg.stages[-1].dim), model.new_state())
    assert frames.shape == (1, 3 * cfg.hop // cfg.patch, cfg.synth_frame // 2 + 1)
    assert torch.isfinite(frames).all()
    with pytest.raises(ValueError, match="head_basis"):
        dataclasses.replace(tiny_config("complex"), head_basis="pitch")


def _shipped_round_trip(wave: np.ndarray, levels: int = 6) -> np.ndarray:
    from musicgrammar.tools.codec import api

    model = api.load_codec()
    return api.decode(api.encode(wave, model.cfg.sample_rate, levels, model=model), model=model)


def test_shipped_codec_at_1_5_kbps_keeps_triads_apart_from_their_parallel_mode() -> None:
    """Four triads of harmonic tones through the shipped codec at 6 levels: the decoded pitch classes
    follow the chord that was played, not its parallel major/minor. (A minor against A major is the
    pair it confuses: the model card lists it.)"""
    from musicgrammar.tools.codec.losses import harmonic_tone

    sr = cpu_config().sample_rate
    chord = lambda notes: sum(harmonic_tone(m, 2.0, sr, level=0.2) for m in notes)  # noqa: E731
    pairs = [((60, 64, 67), (60, 63, 67)),  # C major against C minor
             ((55, 59, 62), (55, 58, 62)),  # G major against G minor
             ((57, 60, 64), (57, 61, 64)),  # A minor against A major
             ((62, 66, 69), (62, 65, 69))]  # D major against D minor
    played, parallel = [], []
    for notes, other in pairs:
        decoded = _shipped_round_trip(chord(notes))
        played.append(chroma_correlation(chord(notes), decoded, sr))
        parallel.append(chroma_correlation(chord(other), decoded, sr))
    assert min(played) > 0.5
    assert np.mean(played) > np.mean(parallel) + 0.2
    assert sum(p > q + 0.05 for p, q in zip(played, parallel)) >= 3


def test_fundamental_estimate_reads_the_played_note() -> None:
    from musicgrammar.tools.codec.losses import fundamental_hz, harmonic_tone

    sr = 24_000
    for midi in (40, 57, 69, 81):  # E2, A3, A4, A5
        f0 = fundamental_hz(harmonic_tone(midi, 1.0, sr), sr)
        assert abs(1200 * np.log2(f0 / (440.0 * 2 ** ((midi - 69) / 12)))) < 5
    assert fundamental_hz(np.zeros(sr, np.float32), sr) == 0.0
