"""CAT-style codec: patchify -> causal Transformer stages -> residual factorized quantizer -> mirror.

Shapes (shipped config, B = batch, T = samples, F = 25 Hz code frames, L = levels):
    wave (B, T) -> patches (B, T/240, 240) ++ their log spectra (B, T/240, 961) ++ 84 semitone-band
    log energies ++ level (shipped config) -> Linear
    -> stage 0 (100 Hz, 128) -> merge 2 frames -> Linear -> stage 1 (50 Hz, 192) -> merge 2 -> Linear
    -> stage 2 (25 Hz, 256) = latent (B, F, 256)
    latent -> residual quantizer -> codes (B, L, F) and quantized latent (B, F, 256)
    decoder: stage 2' -> Linear -> split into 2 frames -> stage 1' -> split -> stage 0' -> head
    -> wave (B, F * 960)
There are no convolutions: patchify is a reshape. Every attention is causal over a bounded window of
``context_seconds``, so a streaming run that keeps the last window of keys/values (``StreamState``)
computes what the batch run computes.

The last inverse patchify is spectral (Vocos-style): each 100 Hz frame predicts the spectrum of a
synth_frame = synth_overlap * patch sample frame, inverse FFT, Hann window, overlap-add at hop ``patch``.
Two heads:
- "complex": log-magnitude and phase per frame. A plain Linear(128 -> 240) waveform head, trained with
  the mel loss alone, collapsed to one fixed patch repeated every frame; this head gives the mel loss a
  direct path to the magnitudes, but with 20 ms frames and a free phase it kept no pitch.
- "magnitude" (shipped): log-magnitude only, trained against the input's own spectrum of the frame
  (with ``head_basis="pitch"``, the shipped one, through partials on a third-of-a-semitone grid and
  noise bands: ``codec.basis``);
  the phase comes from a phase-locked vocoder (``vocoder_phase``): every bin takes the phase of its
  nearest spectral peak, advanced frame by frame at that peak's interpolated frequency, so a steady
  partial stays one coherent sinusoid across the overlapping frames. The rule is causal and keeps its
  running phase in the stream state.
Both are causal: frame t only adds to samples >= t * patch, so the output is the input delayed by
``CodecConfig.delay`` samples, compensated in the API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from musicgrammar.tools.codec.basis import PitchBasisHead
from musicgrammar.tools.codec.config import CodecConfig
from musicgrammar.tools.codec.losses import semitone_filterbank

__all__ = ["CatCodec", "Block", "ResidualQuantizer", "StreamState", "QuantizerOutput"]

KV = tuple[Tensor, Tensor, Tensor]  # keys (B,H,S,hd), values (B,H,S,hd), absolute positions (S,)


def rope_tables(positions: Tensor, head_dim: int, base: float) -> tuple[Tensor, Tensor]:
    """cos/sin tables (T, head_dim/2) for absolute positions; angles in float64 so that long streams
    (large positions) rotate exactly as short ones do."""
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = positions.to(torch.float64)[:, None] * inv[None, :]
    return angles.cos().float(), angles.sin().float()


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate pairs (x[..., 2i], x[..., 2i+1]); x is (B, H, T, hd), cos/sin (T, hd/2)."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    """Pre-LayerNorm Transformer block: windowed causal self-attention with RoPE, plain GELU FFN,
    layer scale on both residual branches."""

    def __init__(self, dim: int, heads: int, ffn_mult: int, layer_scale: float, context: int,
                 rope_base: float) -> None:
        super().__init__()
        self.heads, self.head_dim, self.context, self.rope_base = heads, dim // heads, context, rope_base
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_mult * dim), nn.GELU(), nn.Linear(ffn_mult * dim, dim))
        self.gamma1 = nn.Parameter(torch.full((dim,), layer_scale))
        self.gamma2 = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: Tensor, start: int, cache: KV | None = None) -> tuple[Tensor, KV]:
        """x: (B, T, D) frames at absolute positions start..start+T-1; cache: the previous window.
        Returns the output (B, T, D) and the cache for the next call (at most context-1 entries)."""
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        qpos = torch.arange(start, start + t)
        cos, sin = rope_tables(qpos, self.head_dim, self.rope_base)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        kpos = qpos
        if cache is not None and cache[2].numel():
            k, v, kpos = torch.cat((cache[0], k), 2), torch.cat((cache[1], v), 2), torch.cat((cache[2], qpos))
        # A query at p sees keys at p-context+1 .. p: causal and bounded. mask (T, S), True = attend.
        rel = qpos[:, None] - kpos[None, :]
        mask = (rel >= 0) & (rel < self.context)
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, H, T, hd)
        x = x + self.gamma1 * self.proj(att.transpose(1, 2).reshape(b, t, d))
        x = x + self.gamma2 * self.ffn(self.norm2(x))
        keep = self.context - 1
        if keep > 0:
            new_cache = (k[:, :, -keep:], v[:, :, -keep:], kpos[-keep:])
        else:
            new_cache = (k[:, :, :0], v[:, :, :0], kpos[:0])
        return x, new_cache


class Stage(nn.Module):
    def __init__(self, cfg: CodecConfig, index: int) -> None:
        super().__init__()
        s = cfg.stages[index]
        self.blocks = nn.ModuleList(
            Block(s.dim, s.heads, cfg.ffn_mult, cfg.layer_scale, cfg.context_frames(index), cfg.rope_base)
            for _ in range(s.layers)
        )
        self.norm = nn.LayerNorm(s.dim)

    def forward(self, x: Tensor, start: int, caches: list[KV] | None) -> tuple[Tensor, list[KV]]:
        new: list[KV] = []
        for i, block in enumerate(self.blocks):
            x, c = block(x, start, caches[i] if caches else None)
            new.append(c)
        return self.norm(x), new


@dataclass
class QuantizerOutput:
    quantized: Tensor  # (B, F, D) sum of the used levels' reconstructions
    codes: Tensor  # (B, L, F) int64
    commitment: Tensor  # scalar
    codebook: Tensor  # scalar
    encodings: list[Tensor] = field(default_factory=list)  # per level (B, F, c) normalized inputs


class FactorizedLevel(nn.Module):
    """One residual level: in-proj to a low-dim space, L2-normalize, nearest (cosine) code, out-proj."""

    def __init__(self, dim: int, code_dim: int, size: int) -> None:
        super().__init__()
        self.in_proj = nn.Linear(dim, code_dim)
        self.out_proj = nn.Linear(code_dim, dim)
        self.codebook = nn.Embedding(size, code_dim)

    def lookup(self, codes: Tensor) -> Tensor:
        return self.out_proj(F.normalize(self.codebook(codes), dim=-1))

    def forward(self, residual: Tensor, snap: bool = True) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """``snap=False`` passes the normalized encoding itself on (the codes are still chosen): the
        trainer's warm-up, before the codebooks are seeded from real encodings."""
        z = F.normalize(self.in_proj(residual), dim=-1)  # (B, F, c)
        book = F.normalize(self.codebook.weight, dim=-1)  # (K, c)
        codes = (z @ book.t()).argmax(-1)  # (B, F): max cosine = min L2 on the sphere
        q = book[codes] if snap else z
        commitment = (z - q.detach()).pow(2).mean(-1)  # (B, F)
        codebook = (q - z.detach()).pow(2).mean(-1)
        q_st = z + (q - z).detach()  # straight-through: gradients reach the encoder
        return self.out_proj(q_st), codes, commitment, codebook, z


class ResidualQuantizer(nn.Module):
    def __init__(self, cfg: CodecConfig) -> None:
        super().__init__()
        dim = cfg.stages[-1].dim
        self.dropout = cfg.quantizer_dropout
        self.levels = nn.ModuleList(FactorizedLevel(dim, cfg.code_dim, cfg.codebook_size) for _ in range(cfg.levels))

    def forward(self, latent: Tensor, n_levels: int | None = None, snap: bool = True) -> QuantizerOutput:
        """latent (B, F, D). In training, a random share of examples keeps only a random prefix of the
        levels (quantizer dropout), so that every prefix decodes on its own. An explicit ``n_levels``
        turns dropout off. ``snap=False``: see ``FactorizedLevel.forward``."""
        b = latent.shape[0]
        total = len(self.levels) if n_levels is None else n_levels
        if not 1 <= total <= len(self.levels):
            raise ValueError(f"levels must be in 1..{len(self.levels)}, got {total}")
        keep = torch.full((b,), total)
        if self.training and self.dropout > 0 and n_levels is None:
            drop = torch.rand(b) < self.dropout
            keep = torch.where(drop, torch.randint(1, total + 1, (b,)), keep)
        residual, out = latent, torch.zeros_like(latent)
        codes, commit, book, encodings = [], latent.new_zeros(()), latent.new_zeros(()), []
        for i, level in enumerate(self.levels[:total]):
            q, c, lc, lb, z = level(residual, snap)
            mask = (keep > i).to(latent.dtype)  # (B,)
            out = out + q * mask[:, None, None]
            residual = residual - q
            denom = mask.sum().clamp(min=1) * q.shape[1]
            commit = commit + (lc * mask[:, None]).sum() / denom
            book = book + (lb * mask[:, None]).sum() / denom
            codes.append(c)
            encodings.append(z)
        return QuantizerOutput(out, torch.stack(codes, 1), commit, book, encodings)

    def decode(self, codes: Tensor) -> Tensor:
        """codes (B, L, F) with L <= levels -> quantized latent (B, F, D)."""
        if codes.shape[1] > len(self.levels):
            raise ValueError(f"codes have {codes.shape[1]} levels, the model has {len(self.levels)}")
        return sum(level.lookup(codes[:, i]) for i, level in enumerate(self.levels[: codes.shape[1]]))


@dataclass
class StreamState:
    """What a stream carries between chunks: per stage, the absolute position of the next frame and
    each block's key/value window; for the encoder, samples not yet forming a whole code frame."""

    positions: list[int]
    caches: list[list[KV] | None]
    pending: Tensor | None = None  # encoder: (B, n < hop) samples waiting for the next push
    history: Tensor | None = None  # encoder: (B, analysis_window - patch) samples before this chunk
    tail: Tensor | None = None  # decoder: (B, (synth_overlap - 1) * patch) overlap-add still owed
    phase: Tensor | None = None  # decoder, magnitude head: (B, bins) running vocoder phase, float64


class CatCodec(nn.Module):
    def __init__(self, cfg: CodecConfig) -> None:
        super().__init__()
        self.cfg = cfg
        dims = [s.dim for s in cfg.stages]
        # Encoder: a linear after each patchify (merge `patch` frames of the previous stage).
        bins = cfg.analysis_window // 2 + 1
        features = cfg.patch + bins
        if cfg.pitch_features:
            bank = torch.from_numpy(semitone_filterbank(cfg.sample_rate, cfg.analysis_window))  # (bands, bins)
            self.register_buffer("semitone_bank", bank, persistent=False)
            features += bank.shape[0] + 1
        self.enc_in = nn.ModuleList(
            nn.Linear(features if i == 0 else dims[i - 1] * s.patch, s.dim)
            for i, s in enumerate(cfg.stages)
        )
        self.register_buffer("analysis_win", torch.hann_window(cfg.analysis_window, periodic=False), persistent=False)
        self.enc_stages = nn.ModuleList(Stage(cfg, i) for i in range(len(cfg.stages)))
        self.quantizer = ResidualQuantizer(cfg)
        # Decoder mirrors it: stage i', then a linear that splits each frame into `patch` frames of i-1.
        self.dec_stages = nn.ModuleList(Stage(cfg, i) for i in range(len(cfg.stages)))
        self.bins = cfg.synth_frame // 2 + 1
        head_out = (2 if cfg.head == "complex" else 1) * self.bins
        self.dec_out = nn.ModuleList(
            self._head(cfg, head_out) if i == 0 else nn.Linear(s.dim, dims[i - 1] * s.patch)
            for i, s in enumerate(cfg.stages)
        )
        k = cfg.synth_overlap
        hann = torch.hann_window(cfg.synth_frame, periodic=True)
        if cfg.head == "complex":
            # A periodic Hann window overlap-added at hop n/K sums to K/2: scale it to sum to 1.
            self.register_buffer("synth_window", hann * 2 / k, persistent=False)
        else:
            # The magnitude head's frames are spectra of Hann-windowed input, so a frame comes back
            # already Hann-shaped; windowed once more, the overlap-added Hann^2 sums to 3K/8.
            self.register_buffer("synth_window", hann * 8 / (3 * k), persistent=False)
            self.register_buffer("target_window", hann, persistent=False)

    @staticmethod
    def _head(cfg: CodecConfig, out: int) -> nn.Module:
        dim, hidden = cfg.stages[0].dim, cfg.head_hidden
        if cfg.head_basis == "pitch":
            return PitchBasisHead(dim, hidden, cfg.sample_rate, cfg.synth_frame)
        if hidden <= 0:
            return nn.Linear(dim, out)
        return nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, out))

    # ------------------------------------------------------------------------------------------
    def new_state(self) -> StreamState:
        return StreamState(positions=[0] * len(self.cfg.stages), caches=[None] * len(self.cfg.stages))

    def encode_latent(self, wave: Tensor, state: StreamState | None = None) -> tuple[Tensor, StreamState]:
        """wave (B, T) with T a multiple of hop -> latent (B, T/hop, D_last)."""
        b, t = wave.shape
        if t % self.cfg.hop:
            raise ValueError(f"length {t} is not a multiple of the hop {self.cfg.hop}")
        state = state or self.new_state()
        if t == 0:  # nothing to encode yet (a stream push shorter than one frame)
            return wave.new_zeros(b, 0, self.cfg.stages[-1].dim), state
        p, w = self.cfg.patch, self.cfg.analysis_window
        x = wave.reshape(b, t // p, p)  # patchify: (B, T/240, 240)
        # Each patch also brings the log spectrum of the w samples ending with it (B, T/240, w/2+1):
        # loudness, spectral envelope and pitch as features from the first step. The window never
        # reaches past the patch (causal); the samples before a chunk come from the stream state.
        history = state.history if state.history is not None else wave.new_zeros(b, w - p)
        padded = torch.cat((history, wave), 1)
        state.history = padded[:, padded.shape[1] - (w - p) :]
        frames = padded.unfold(1, w, p)  # (B, T/240, w)
        mag = torch.fft.rfft(frames * self.analysis_win).abs()
        floor = self.cfg.input_floor
        log = (lambda m: (m + floor).log()) if floor > 0 else (lambda m: (m + 1e-4).log10())
        log_spec = log(mag)
        if self.cfg.pitch_features:
            log_bands = log(mag @ self.semitone_bank.t())  # (B, T/240, 84)
            level = log_spec.mean(-1, keepdim=True)
            x = torch.cat((x, log_spec - level, log_bands - level, level), -1)
        else:
            x = torch.cat((x, log_spec), -1)
        for i, (proj, stage) in enumerate(zip(self.enc_in, self.enc_stages)):
            p = self.cfg.stages[i].patch
            x = proj(x.reshape(b, x.shape[1] // p, x.shape[2] * p))  # merge p frames: (B, T', p*D)
            x, state.caches[i] = stage(x, state.positions[i], state.caches[i])
            state.positions[i] += x.shape[1]
        return x, state

    def target_log_magnitude(self, wave: Tensor) -> Tensor:
        """The magnitude head's training target: wave (B, T), T a multiple of patch -> (B, T/patch, bins),
        the natural-log magnitude (floor 1e-2) of the synth_frame samples that end with each patch
        (zeros before the start), Hann-windowed."""
        n, p = self.cfg.synth_frame, self.cfg.patch
        frames = F.pad(wave, (n - p, 0)).unfold(1, n, p)  # (B, T/patch, n)
        return (torch.fft.rfft(frames * self.target_window).abs() + 1e-2).log()

    @torch.no_grad()
    def vocoder_phase(self, log_mag: Tensor, state: StreamState) -> Tensor:
        """Phase for magnitude-only frames: log_mag (B, F0, bins) -> phase (B, F0, bins).

        Peaks are local maxima; each peak's frequency is refined by a parabola through its log-magnitude
        and its two neighbours. Every bin belongs to its nearest peak. A bin's running phase advances by
        its peak's frequency times the hop each frame (2*pi*f_bins/K radians); a bin then takes its
        peak's running phase plus pi times its own index: a Hann-windowed sinusoid centred in the frame
        has a spectrum that alternates sign from bin to bin, so this puts each partial in the middle of
        the frame, with the running phase there."""
        b, f, bins = log_mag.shape
        lm = log_mag.double()
        idx = torch.arange(bins, device=lm.device)
        left, mid, right = lm[..., :-2], lm[..., 1:-1], lm[..., 2:]
        is_peak = torch.zeros_like(lm, dtype=torch.bool)
        is_peak[..., 1:-1] = (mid > left) & (mid >= right)
        curve = left - 2 * mid + right
        offset = torch.zeros_like(lm)
        offset[..., 1:-1] = torch.where(curve < 0, 0.5 * (left - right) / curve.clamp(max=-1e-9), 0.0).clamp(-0.5, 0.5)
        # nearest peak per bin: the last peak at or below it, the first at or above it, the closer one
        big = 2 * bins
        below = torch.where(is_peak, idx, -big).cummax(-1).values
        above = torch.where(is_peak, idx, big).flip(-1).cummin(-1).values.flip(-1)
        owner = torch.where((idx - below) <= (above - idx), below, above)
        owner = torch.where((owner < 0) | (owner >= bins), idx.expand_as(owner), owner)  # no peak: itself
        freq = owner + offset.gather(-1, owner)  # (B, F0, bins) in bins
        advance = 2 * math.pi * freq / self.cfg.synth_overlap  # radians per hop
        start = state.phase if state.phase is not None else lm.new_zeros(b, bins)
        running = torch.remainder(start[:, None] + advance.cumsum(1), 2 * math.pi)  # (B, F0, bins)
        state.phase = running[:, -1]
        return (running.gather(-1, owner) + math.pi * idx).float()

    def synthesize(self, frames: Tensor, state: StreamState) -> Tensor:
        """frames (B, F0, 2 * bins) or (B, F0, bins) -> wave (B, F0 * patch) by inverse FFT and overlap-add.

        Frame t covers samples [t*patch, (t+K)*patch), K = synth_overlap; block t is complete once
        frame t is in. What frames owe to later blocks waits in ``state.tail`` (B, (K-1)*patch).
        """
        b, f, _ = frames.shape
        p, k = self.cfg.patch, self.cfg.synth_overlap
        if self.cfg.head == "complex":
            log_mag, phase = frames.float().chunk(2, dim=-1)  # (B, F0, bins) each
        else:
            log_mag = frames.float()
            phase = self.vocoder_phase(log_mag, state)
        spec = torch.polar(log_mag.clamp(max=8.0).exp(), phase)
        seg = torch.fft.irfft(spec, n=k * p) * self.synth_window  # (B, F0, K*p)
        out = seg.new_zeros(b, (f + k - 1) * p)
        for j in range(k):  # the j-th patch of frame t lands on block t + j
            out[:, j * p : j * p + f * p] += seg[..., j * p : (j + 1) * p].reshape(b, f * p)
        if state.tail is not None:
            out[:, : (k - 1) * p] += state.tail
        state.tail = out[:, f * p :]
        return out[:, : f * p]

    def decode_frames(self, latent: Tensor, state: StreamState) -> Tensor:
        """latent (B, F, D_last) -> the head's spectral frames (B, F * hop / patch, head outputs)."""
        x = latent
        for i in reversed(range(len(self.cfg.stages))):
            x, state.caches[i] = self.dec_stages[i](x, state.positions[i], state.caches[i])
            state.positions[i] += x.shape[1]
            x = self.dec_out[i](x)  # (B, F', p * D_{i-1}), or (B, F0, 2 * bins) at the bottom
            if i:
                b, f, _ = x.shape
                x = x.reshape(b, f * self.cfg.stages[i].patch, -1)  # inverse patchify
        return x

    def decode_latent(self, latent: Tensor, state: StreamState | None = None) -> tuple[Tensor, StreamState]:
        """latent (B, F, D_last) -> wave (B, F * hop), delayed by ``cfg.delay`` samples."""
        state = state or self.new_state()
        return self.synthesize(self.decode_frames(latent, state), state), state

    def forward(self, wave: Tensor, n_levels: int | None = None, snap: bool = True, synthesize: bool = True
                ) -> tuple[Tensor | None, QuantizerOutput, Tensor]:
        """Training pass: wave (B, T) -> reconstruction (B, T) delayed by ``cfg.delay`` samples (compare
        ``recon[:, delay:]`` with ``wave[:, :-delay]``), the quantizer's losses and the head's spectral
        frames (B, T / patch, head outputs). ``snap=False`` skips the codebook lookup (warm-up);
        ``synthesize=False`` skips the waveform (None) when only the frames are trained."""
        latent, _ = self.encode_latent(wave)
        q = self.quantizer(latent, n_levels, snap)
        state = self.new_state()
        frames = self.decode_frames(q.quantized, state)
        return (self.synthesize(frames, state) if synthesize else None), q, frames

    # ------------------------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, wave: Tensor, n_levels: int | None = None, state: StreamState | None = None
               ) -> tuple[Tensor, StreamState]:
        """wave (B, T) -> codes (B, L, F). With a state, samples that do not fill a frame wait in it;
        without one, the wave is zero-padded to a whole number of frames."""
        if state is None:
            pad = (-wave.shape[1]) % self.cfg.hop
            wave = F.pad(wave, (0, pad))
        else:
            if state.pending is not None:
                wave = torch.cat((state.pending, wave), 1)
            usable = wave.shape[1] - wave.shape[1] % self.cfg.hop
            wave, state.pending = wave[:, :usable], wave[:, usable:]
        latent, state = self.encode_latent(wave, state)
        if latent.shape[1] == 0:
            levels = n_levels or len(self.quantizer.levels)
            return torch.zeros(wave.shape[0], levels, 0, dtype=torch.long), state
        return self.quantizer(latent, n_levels or len(self.quantizer.levels)).codes, state

    @torch.no_grad()
    def decode(self, codes: Tensor, state: StreamState | None = None) -> tuple[Tensor, StreamState]:
        """codes (B, L, F) -> wave (B, F * hop), delayed by ``cfg.delay`` samples; ``state.tail`` holds
        the next ``patch`` samples' share of the last frame (see ``flush``)."""
        if codes.shape[-1] == 0:
            return codes.new_zeros((codes.shape[0], 0), dtype=torch.float32), state or self.new_state()
        return self.decode_latent(self.quantizer.decode(codes), state)

    @staticmethod
    def flush(state: StreamState) -> Tensor:
        """The samples still owed at the end of a decoded stream: (B, (synth_overlap - 1) * patch)."""
        return state.tail if state.tail is not None else torch.zeros(1, 0)

    @torch.no_grad()
    def reconstruct(self, wave: Tensor, n_levels: int | None = None) -> Tensor:
        """Encode and decode in one batch pass, delay removed: wave (B, T) -> (B, T)."""
        t = wave.shape[1]
        codes, _ = self.encode(wave, n_levels)
        out, state = self.decode(codes)
        out = torch.cat((out, self.flush(state).expand(out.shape[0], -1)), 1)
        return out[:, self.cfg.delay : self.cfg.delay + t]

    @torch.no_grad()
    def embed(self, wave: Tensor) -> Tensor:
        """Clip embedding for retrieval: mean and std over time of the encoder latent, L2-normalized.
        wave (B, T) -> (B, 2 * D_last)."""
        wave = F.pad(wave, (0, (-wave.shape[1]) % self.cfg.hop))
        latent, _ = self.encode_latent(wave)
        feats = torch.cat((latent.mean(1), latent.std(1, unbiased=False)), -1)
        return F.normalize(feats, dim=-1)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

