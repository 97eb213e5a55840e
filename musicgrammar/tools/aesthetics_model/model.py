"""The aesthetics model: a shared frame encoder, MSAF multi-stem fusion and HiGIA interval heads.

    mix, lead, accompaniment log-spectra (B, T, semitone + mel bands) [+ music-theory descriptors]
      -> FrameEncoder (shared weights + a stream embedding)             each (B, T/2, dim)
      -> MSAF: bidirectional cross-attention mix<->lead, mix<->accompaniment, pooled and fused  (B, dim)
         [+ an MLP over the clip statistics of the three streams' descriptors                  (B, dim)
            and of the lines they carry: melody, bass, tuning, onset synchrony (lines.py)]
         [+ SeamReader: the encodings just before and after each half-bar seam of the estimated beat
            grid, scored by an MLP and pooled against the points halfway between seams       (B, dim)
            (seam_supervision: also trained to say at which seams the music broke;
             seam_evidence: also given the pitch moves and chords measured at each seam, seam_voicing: how
             the sounding pitches change there, transitions.py)]
      -> HiGIA per output (harmony, rhythm, coherence, audio_quality, overall):
         bin logits at widths 1, 1/3, 1/9 on the 1-5 scale -> hierarchical mass over the finest bins
         -> the shortest run of bins around the mode holding `interval_mass` of it = [lo, hi]
         -> score = lo + sigmoid(r) * (hi - lo)

Bins split by three so that every whole score sits in the middle of a bin at every level. Without
stems (or in the mix-only config) the mix encoding stands in for both stems, marked by a learned
"absent" embedding, so one network serves both cases.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from musicgrammar.tools.aesthetics_model.config import OUTPUTS, SCORE_RANGE, AestheticsConfig
from musicgrammar.tools.aesthetics_model.descriptors import STATISTICS, clip_statistics, descriptors
from musicgrammar.tools.aesthetics_model.lines import line_statistics, line_statistics_width
from musicgrammar.tools.aesthetics_model.meter import GRIDS, beat_of, seam_positions
from musicgrammar.tools.aesthetics_model.transitions import seam_evidence, seam_evidence_width

__all__ = ["AestheticsModel", "FrameEncoder", "BiCrossAttention", "MultiStemFusion", "SeamReader", "HigiaHead", "higia_targets",
           "loss_fn"]

_DB_CENTRE, _DB_SCALE = -60.0, 20.0  # band levels in dB -> roughly unit-scale inputs


class FrameEncoder(nn.Module):
    """(B, T, features) dB -> (B, ceil(T/2), dim): the bands (and, when the config says so, the music-theory
    descriptors of each frame), two 1-D convolutions over time (the second with stride 2), learned
    positions, a stream embedding, then Transformer layers."""

    def __init__(self, cfg: AestheticsConfig, streams: int = 3) -> None:
        super().__init__()
        self.cfg = cfg
        self.conv = nn.Sequential(
            nn.Conv1d(cfg.encoder_inputs, cfg.dim, 3, padding=1), nn.GELU(),
            nn.Conv1d(cfg.dim, cfg.dim, 3, stride=2, padding=1), nn.GELU(),
        )  # fmt: skip
        self.positions = nn.Parameter(torch.zeros(1, (cfg.clip_frames + 1) // 2, cfg.dim))
        self.streams = nn.Embedding(streams, cfg.dim)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, 4 * cfg.dim, cfg.dropout, batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)

    def forward(self, db: Tensor, stream: int, extra: Tensor | None = None) -> Tensor:
        """db: (B, T, features); extra: the frames' descriptors (B, T, DESCRIPTORS) when the config uses them."""
        x = (db - _DB_CENTRE) / _DB_SCALE
        if extra is not None:
            x = torch.cat([x, extra], dim=-1)  # (B, T, features + DESCRIPTORS)
        x = self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, T/2, dim)
        x = x + self.positions[:, : x.shape[1]] + self.streams.weight[stream]
        return self.layers(x)


class BiCrossAttention(nn.Module):
    """The mix attends to a stem and the stem to the mix (residual, pre-norm): what one hears in the
    other. Returns (mix given stem, stem given mix), each (B, T, dim)."""

    def __init__(self, cfg: AestheticsConfig) -> None:
        super().__init__()
        self.norm_mix, self.norm_stem = nn.LayerNorm(cfg.dim), nn.LayerNorm(cfg.dim)
        self.mix_to_stem = nn.MultiheadAttention(cfg.dim, cfg.heads, dropout=cfg.dropout, batch_first=True)
        self.stem_to_mix = nn.MultiheadAttention(cfg.dim, cfg.heads, dropout=cfg.dropout, batch_first=True)

    def forward(self, mix: Tensor, stem: Tensor) -> tuple[Tensor, Tensor]:
        m, s = self.norm_mix(mix), self.norm_stem(stem)
        mix_ctx = mix + self.mix_to_stem(m, s, s, need_weights=False)[0]
        stem_ctx = stem + self.stem_to_mix(s, m, m, need_weights=False)[0]
        return mix_ctx, stem_ctx


def _pool(x: Tensor) -> Tensor:
    """(B, T, D) -> (B, 2D): mean and max over time (a steady flaw and a momentary one)."""
    return torch.cat([x.mean(dim=1), x.amax(dim=1)], dim=-1)


class MultiStemFusion(nn.Module):
    """MSAF: two bidirectional cross-attention pairs, the five streams pooled and fused by an MLP."""

    def __init__(self, cfg: AestheticsConfig) -> None:
        super().__init__()
        self.lead_pair, self.acc_pair = BiCrossAttention(cfg), BiCrossAttention(cfg)
        self.fuse = nn.Sequential(nn.Linear(10 * cfg.dim, cfg.dim), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(cfg.dim, cfg.dim))
        self.norm = nn.LayerNorm(cfg.dim)

    def forward(self, mix: Tensor, lead: Tensor, acc: Tensor) -> Tensor:
        mix_l, lead_m = self.lead_pair(mix, lead)
        mix_a, acc_m = self.acc_pair(mix, acc)
        return self.norm(self.fuse(torch.cat([_pool(t) for t in (mix, mix_l, lead_m, mix_a, acc_m)], dim=-1)))


class SeamReader(nn.Module):
    """Where half-bars were cut and put back in another order, the music breaks at multiples of half a bar
    from the clip's start, and only there. Per grid (half a bar of two beats, of one and a half), the three
    streams' encodings beside each seam (B, K, 3 * len(offsets) * dim) are scored by a shared MLP, and the
    mean over seams, its excess over the same reading halfway between seams (an ordinary chord change of
    the same clip) and the maximum are fused: (B, dim).

    With ``cfg.seam_supervision`` the reading also looks two positions further out on each side (the chord
    before and after, not only the instant) and a linear layer turns each reading into the logit that the
    music breaks there, trained against the seams the data knows broke (and the halfway points, which never
    do); the mean, largest and summed probabilities at each grid's seams join the fused reading.

    With ``cfg.seam_evidence`` each reading also takes the plain measurements at the seam's frame
    (transitions.transition_evidence: how the lead and bass move, how alike the chords are, which
    chord follows which in the key); with ``cfg.seam_voicing`` also how the sounding pitches change there
    (transitions.voicing_change: how far the voices land from where they were, how many fall silent)."""

    def __init__(self, cfg: AestheticsConfig) -> None:
        super().__init__()
        self.offsets = (-3, -1, 1, 3) if cfg.seam_supervision else (-1, 1)  # encoder positions (two frames each)
        evidence = seam_evidence_width(cfg)
        self.read = nn.Sequential(nn.Linear(3 * len(self.offsets) * cfg.dim + evidence, cfg.dim), nn.GELU(), nn.Linear(cfg.dim, cfg.dim))
        self.broken = nn.Linear(cfg.dim, 1) if cfg.seam_supervision else None
        summaries = 3 * len(GRIDS) if cfg.seam_supervision else 0
        self.fuse = nn.Linear(3 * len(GRIDS) * cfg.dim + summaries, cfg.dim)

    def forward(self, streams: list[Tensor], beat_frames: Tensor, evidence: Tensor | None = None
                ) -> tuple[Tensor, Tensor | None, Tensor]:
        """streams: mix, lead, accompaniment encodings (B, T2, dim) at two frames per position; beat_frames (B,);
        evidence: (B, T, seam_evidence_width(cfg)) per frame, with cfg.seam_evidence or cfg.seam_voicing
        -> (the reading (B, dim), the break logits (B, grids, 2, K) at the seams and at the halfway points,
        or None without supervision, and which of those lie inside the clip (B, grids, 2, K) bool)."""
        x = torch.cat(streams, dim=-1)  # (B, T2, 3 * dim)
        b, t2, width = x.shape
        pooled, logits, inside = [], [], []
        for grid in GRIDS:
            seams, seam_ok, halves, half_ok = seam_positions(beat_frames, grid, 2 * t2, margin=2)
            readings = []
            for frames, ok in ((seams, seam_ok), (halves, half_ok)):
                # offset -1 covers frames 2i-2 .. 2i-1 and +1 frames 2i+2 .. 2i+3 around a seam at frame 2i
                where = [(frames // 2 + o).clamp(0, t2 - 1) for o in self.offsets]
                pair = torch.cat([x.gather(1, i[..., None].expand(b, -1, width)) for i in where], dim=-1)
                if evidence is not None:  # the measurements at the seam's own frame
                    at = frames.clamp(0, evidence.shape[1] - 1)[..., None].expand(b, -1, evidence.shape[-1])
                    pair = torch.cat([pair, evidence.gather(1, at)], dim=-1)
                readings.append((self.read(pair), ok[..., None].to(x.dtype)))  # (B, K, dim), (B, K, 1)
            (at_seam, m_seam), (at_half, m_half) = readings
            mean_seam = (at_seam * m_seam).sum(1) / m_seam.sum(1).clamp(min=1)
            mean_half = (at_half * m_half).sum(1) / m_half.sum(1).clamp(min=1)
            peak = (at_seam + (m_seam - 1) * 1e4).amax(dim=1).clamp(min=-1e3)
            pooled += [mean_seam, mean_seam - mean_half, peak]
            inside.append(torch.stack([seam_ok, half_ok], dim=1))
            if self.broken is not None:
                lg = torch.stack([self.broken(at_seam).squeeze(-1), self.broken(at_half).squeeze(-1)], dim=1)  # (B, 2, K)
                logits.append(lg)
                prob = torch.sigmoid(lg[:, 0]) * m_seam.squeeze(-1)  # (B, K)
                pooled.append(torch.stack([prob.sum(1) / m_seam.sum((1, 2)).clamp(min=1), prob.amax(1), prob.sum(1) / 8.0], dim=-1))
        reading = self.fuse(torch.cat(pooled, dim=-1))
        return reading, (torch.stack(logits, dim=1) if logits else None), torch.stack(inside, dim=1)


class HigiaHead(nn.Module):
    """Per output: bin logits at each granularity and one regression logit inside the interval."""

    def __init__(self, cfg: AestheticsConfig, outputs: int) -> None:
        super().__init__()
        self.cfg, self.outputs = cfg, outputs
        self.levels = nn.ModuleList(nn.Linear(cfg.dim, outputs * cfg.bins(level)) for level in range(cfg.granularities))
        self.inside = nn.Linear(cfg.dim, outputs)

    def forward(self, h: Tensor) -> dict[str, Tensor | list[Tensor]]:
        logits = [head(h).view(h.shape[0], self.outputs, -1) for head in self.levels]  # [(B, O, bins_l)]
        lo, hi = self.interval(logits)
        offset = self.inside(h)  # (B, O): where inside the interval, as a logit
        expected = self.expected(logits)
        if self.cfg.anchor_expected:
            # the regression starts from where the expected score sits in the interval, so the score moves
            # smoothly with the bin distribution instead of jumping with the interval's mode
            share = ((expected - lo) / (hi - lo)).clamp(0.02, 0.98)
            offset = offset + torch.log(share / (1.0 - share))
        score = lo + torch.sigmoid(offset) * (hi - lo)
        return {"score": score, "lo": lo, "hi": hi, "logits": logits, "expected": expected}

    def expected(self, logits: list[Tensor]) -> Tensor:
        """(B, O): the mean score under the hierarchical mass over the finest bins."""
        mass = self.finest_mass(logits)
        n = mass.shape[-1]
        centres = SCORE_RANGE[0] + (torch.arange(n, device=mass.device, dtype=mass.dtype) + 0.5) * (SCORE_RANGE[1] - SCORE_RANGE[0]) / n
        return mass @ centres

    def finest_mass(self, logits: list[Tensor]) -> Tensor:
        """(B, O, finest bins): the product of each finest bin's probability and its ancestors', renormalized."""
        finest = self.cfg.bins(self.cfg.granularities - 1)
        total = torch.zeros(*logits[0].shape[:2], finest, device=logits[0].device)
        for level, lg in enumerate(logits):
            ancestor = torch.arange(finest, device=lg.device) // 3 ** (self.cfg.granularities - 1 - level)
            total = total + F.log_softmax(lg.float(), dim=-1)[..., ancestor]
        return torch.softmax(total, dim=-1)

    @torch.no_grad()
    def interval(self, logits: list[Tensor]) -> tuple[Tensor, Tensor]:
        """The shortest contiguous run of finest bins around the mode holding `interval_mass` of the
        hierarchical mass, grown greedily towards the heavier neighbour: (lo, hi) each (B, O)."""
        mass = self.finest_mass(logits)
        n = mass.shape[-1]
        a = mass.argmax(dim=-1)
        b = a.clone()
        held = mass.gather(-1, a.unsqueeze(-1)).squeeze(-1)
        for _ in range(n - 1):
            open_ = held < self.cfg.interval_mass
            left = torch.where(a > 0, mass.gather(-1, (a - 1).clamp(min=0).unsqueeze(-1)).squeeze(-1), torch.zeros_like(held))
            right = torch.where(b < n - 1, mass.gather(-1, (b + 1).clamp(max=n - 1).unsqueeze(-1)).squeeze(-1), torch.zeros_like(held))
            go_left = open_ & (a > 0) & ((left >= right) | (b == n - 1))
            go_right = open_ & ~go_left & (b < n - 1)
            a, b = a - go_left.long(), b + go_right.long()
            held = held + torch.where(go_left, left, torch.zeros_like(held)) + torch.where(go_right, right, torch.zeros_like(held))
        width = (SCORE_RANGE[1] - SCORE_RANGE[0]) / n
        return SCORE_RANGE[0] + a.float() * width, SCORE_RANGE[0] + (b + 1).float() * width


class RegressionHead(nn.Module):
    """The plain-regression ablation: a bounded score per output, no interval (lo = hi = score)."""

    def __init__(self, cfg: AestheticsConfig, outputs: int) -> None:
        super().__init__()
        self.linear = nn.Linear(cfg.dim, outputs)

    def forward(self, h: Tensor) -> dict[str, Tensor | list[Tensor]]:
        mid, half = sum(SCORE_RANGE) / 2, (SCORE_RANGE[1] - SCORE_RANGE[0]) / 2
        score = mid + half * torch.tanh(self.linear(h))
        return {"score": score, "lo": score.detach(), "hi": score.detach(), "logits": [], "expected": score}


class AestheticsModel(nn.Module):
    """(mix, lead, accompaniment) feature windows -> scores and intervals for OUTPUTS."""

    def __init__(self, cfg: AestheticsConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = FrameEncoder(cfg)
        self.absent = nn.Parameter(torch.zeros(2, cfg.dim))  # marks a stem stream filled in from the mix
        self.fusion = MultiStemFusion(cfg)
        if cfg.descriptors:  # the clip statistics of the three streams' descriptors (and lines), and the stems flag
            width = 3 * STATISTICS + 1 + (line_statistics_width(cfg) if cfg.line_statistics else 0)
            self.statistics = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, cfg.dim), nn.GELU(), nn.Linear(cfg.dim, cfg.dim))
            self.joint = nn.LayerNorm(cfg.dim)
        if cfg.seam_reader:
            self.seams = SeamReader(cfg)
        self.head: nn.Module = HigiaHead(cfg, len(OUTPUTS)) if cfg.head == "higia" else RegressionHead(cfg, len(OUTPUTS))

    def forward(self, mix: Tensor, lead: Tensor | None = None, acc: Tensor | None = None,
                has_stems: Tensor | None = None) -> dict[str, Tensor | list[Tensor]]:
        """mix, lead, acc: (B, T, features) dB. Stems are used where ``has_stems`` (B,) is true (default:
        wherever they are given and the config uses stems); elsewhere the mix stands in for them."""
        use = torch.zeros(mix.shape[0], dtype=torch.bool, device=mix.device)
        if self.cfg.use_stems and lead is not None and acc is not None:
            use = torch.ones_like(use) if has_stems is None else has_stems.to(mix.device).bool()
        d_mix = d_lead = d_acc = None
        if self.cfg.descriptors:
            with torch.no_grad():  # fixed functions of the input: no gradient needed through them
                d_mix = descriptors(mix, self.cfg)
                if bool(use.any()):
                    d_lead, d_acc = descriptors(lead, self.cfg), descriptors(acc, self.cfg)  # type: ignore[arg-type]
        m = self.encoder(mix, 0, d_mix)
        keep = use.view(-1, 1, 1)
        if bool(use.any()):
            lead_t = torch.where(keep, self.encoder(lead, 1, d_lead), m + self.absent[0])  # type: ignore[arg-type]
            acc_t = torch.where(keep, self.encoder(acc, 2, d_acc), m + self.absent[1])  # type: ignore[arg-type]
        else:
            lead_t, acc_t = m + self.absent[0], m + self.absent[1]
        h = self.fusion(m, lead_t, acc_t)
        seam_out: dict[str, Tensor] = {}
        if self.cfg.seam_reader:
            beat_frames = self._beat_frames(mix, lead, acc, use)
            evidence = seam_evidence(*self._streams(mix, lead, acc, use), self.cfg)
            reading, seam_logits, seam_ok = self.seams([m, lead_t, acc_t], beat_frames, evidence)
            h = h + reading
            if seam_logits is not None:  # for the training loss: where the model thinks the music broke
                seam_out = {"seam_logits": seam_logits, "seam_ok": seam_ok, "beat_frames": beat_frames}
        if d_mix is not None:
            s_mix = clip_statistics(d_mix)  # (B, STATISTICS); a missing stem repeats the mix's statistics
            s_lead = s_mix if d_lead is None else torch.where(use.view(-1, 1), clip_statistics(d_lead), s_mix)
            s_acc = s_mix if d_acc is None else torch.where(use.view(-1, 1), clip_statistics(d_acc), s_mix)
            stats = torch.cat([s_mix, s_lead, s_acc, use.to(s_mix.dtype).view(-1, 1)], dim=-1)
            if self.cfg.line_statistics:
                stats = torch.cat([stats, self._lines(mix, lead, acc, use)], dim=-1)
            h = self.joint(h + self.statistics(stats))
        return self.head(h) | seam_out

    @staticmethod
    def _streams(mix: Tensor, lead: Tensor | None, acc: Tensor | None, use: Tensor) -> list[Tensor]:
        """The mix, lead and accompaniment band levels, the mix standing in for the stems where they are not used."""
        if lead is None or acc is None:
            return [mix, mix, mix]
        keep = use.view(-1, 1, 1)
        return [mix] + [torch.where(keep, s, mix) for s in (lead, acc)]

    @torch.no_grad()
    def _beat_frames(self, mix: Tensor, lead: Tensor | None, acc: Tensor | None, use: Tensor) -> Tensor:
        """(B,) the estimated beat in frames, from the stems' onsets where they are used."""
        return beat_of(self._streams(mix, lead, acc, use), self.cfg) / self.cfg.onset_subframes

    def _lines(self, mix: Tensor, lead: Tensor | None, acc: Tensor | None, use: Tensor) -> Tensor:
        """(B, line_statistics_width(cfg)): from the stems where they are used, from the mix alone elsewhere."""
        alone = line_statistics(mix, mix, mix, self.cfg) if not bool(use.all()) else None
        if not bool(use.any()):
            return alone  # type: ignore[return-value]
        with_stems = line_statistics(mix, lead, acc, self.cfg)  # type: ignore[arg-type]
        return with_stems if alone is None else torch.where(use.view(-1, 1), with_stems, alone)


def higia_targets(score: Tensor, cfg: AestheticsConfig, level: int) -> Tensor:
    """Bin index at ``level`` of scores on the 1-5 scale (B, O) -> (B, O) long."""
    width = (SCORE_RANGE[1] - SCORE_RANGE[0]) / cfg.bins(level)
    return ((score - SCORE_RANGE[0]) / width).floor().long().clamp(0, cfg.bins(level) - 1)


def loss_fn(out: dict[str, Tensor | list[Tensor]], target: Tensor, cfg: AestheticsConfig, mse_weight: float = 1.0,
            ce_weight: float = 1.0) -> Tensor:
    """HiGIA: ``ce_weight`` x the sum over granularities of the cross-entropy of the true bin, plus
    ``mse_weight`` x MSE of the score inside the interval; the regression ablation: MSE alone. ``target``
    (B, O) on the 1-5 scale."""
    mse = F.mse_loss(out["score"], target)  # type: ignore[arg-type]
    if cfg.head == "regression":
        return mse
    ce = sum(F.cross_entropy(lg.flatten(0, 1), higia_targets(target, cfg, level).flatten())
             for level, lg in enumerate(out["logits"]))  # type: ignore[arg-type]
    return ce_weight * ce + mse_weight * mse  # type: ignore[return-value]
