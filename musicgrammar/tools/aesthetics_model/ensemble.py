"""Several aesthetics models trained apart, heard together: their scores and intervals averaged.

Models trained by different recipes misjudge different clips (one hears a shuffled seam another
misses), so the mean of their scores ranks the clips of a piece better than any one of them
(benchmarks/RESULTS.md). A weights folder holding ``members.json`` is an ensemble: the file names the
member folders beside it, each an ordinary model folder (config.json, model.safetensors), and the
factor by which the mean interval is widened around the mean score (``interval_scale``, calibrated on
validation clips by training/aesthetics_model/ensemble.py: where members disagree about where a clip
sits, the mean of their intervals holds less than each of them).

``transpositions`` (members.json, default [0]) hears every clip also moved by those semitones
(features.transpose_bands, the training augmentation) and averages over them as over members: a
judgement of how broken a piece sounds should not hang on its key, and the average of the readings
in nearby keys ranks the clips of a piece more steadily than one reading (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from musicgrammar.tools.aesthetics_model.config import SCORE_RANGE, AestheticsConfig
from musicgrammar.tools.aesthetics_model.features import transpose_bands
from musicgrammar.tools.aesthetics_model.model import AestheticsModel

__all__ = ["MEMBERS_FILE", "SHARED_INPUTS", "AestheticsEnsemble"]

MEMBERS_FILE = "members.json"
# what every member must read alike: the same windows of the same features
SHARED_INPUTS = ("sample_rate", "n_fft", "hop", "semitone_low", "semitone_bands", "n_mels", "clip_frames", "onset_subframes", "use_stems")
_AVERAGED = ("score", "lo", "hi", "expected")
MAX_TRANSPOSITION = 6  # semitones: the training augmentation moves up to 3


class AestheticsEnsemble(nn.Module):
    """(mix, lead, accompaniment) -> the mean over members and transpositions of the score, interval bounds
    and expected score per output; with members that all learned the seam breaks, their mean break logits
    (the first member's grid)."""

    def __init__(self, members: list[AestheticsModel], interval_scale: float = 1.0, transpositions: tuple[int, ...] = (0,)) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        if not 1.0 <= interval_scale <= 10.0:
            raise ValueError(f"interval_scale must lie in [1, 10], got {interval_scale}")
        if not transpositions or len(set(transpositions)) != len(transpositions) or \
                not all(isinstance(t, int) and not isinstance(t, bool) and abs(t) <= MAX_TRANSPOSITION for t in transpositions):
            raise ValueError(f"transpositions must be distinct whole semitones within +-{MAX_TRANSPOSITION}, got {list(transpositions)}")
        self.interval_scale = interval_scale
        self.transpositions = tuple(transpositions)
        first = members[0].cfg
        for m in members[1:]:
            differ = [k for k in SHARED_INPUTS if getattr(m.cfg, k) != getattr(first, k)]
            if differ:
                raise ValueError(f"ensemble members read different inputs: {', '.join(differ)}")
        self.members = nn.ModuleList(members)

    @property
    def cfg(self) -> AestheticsConfig:
        """The first member's config: the inputs every member reads (SHARED_INPUTS) and its head."""
        return self.members[0].cfg  # type: ignore[union-attr, return-value]

    def forward(self, mix: Tensor, lead: Tensor | None = None, acc: Tensor | None = None,
                has_stems: Tensor | None = None) -> dict[str, Tensor | list[Tensor]]:
        outs = []
        for t in self.transpositions:
            heard = [None if x is None else transpose_bands(x, self.cfg.semitone_bands, t) for x in (mix, lead, acc)]
            outs += [m(*heard, has_stems) for m in self.members]
        mean: dict[str, Tensor | list[Tensor]] = {k: torch.stack([o[k] for o in outs]).mean(0) for k in _AVERAGED}  # type: ignore[misc]
        score, lo, hi = mean["score"], mean["lo"], mean["hi"]
        # widened, but never past the bins' own edges: no member can place a score outside them
        mean["lo"] = (score - self.interval_scale * (score - lo)).clamp(min=SCORE_RANGE[0])  # type: ignore[operator]
        mean["hi"] = (score + self.interval_scale * (hi - score)).clamp(max=SCORE_RANGE[1])  # type: ignore[operator]
        mean["logits"] = []  # bins differ per member; the interval is the mean of theirs
        if all("seam_logits" in o for o in outs):
            mean["seam_logits"] = torch.stack([o["seam_logits"] for o in outs]).mean(0)  # type: ignore[misc]
            mean["seam_ok"], mean["beat_frames"] = outs[0]["seam_ok"], outs[0]["beat_frames"]
        return mean
