"""A learned judge of how broken a rendering is: semitone-band and mel frames of the mix and its lead and
accompaniment stems, fused by multi-stem cross-attention (MSAF), scored on a 1-5 scale per dimension
by hierarchical interval heads (HiGIA).

It is trained on synthetic degradations of rendered corpus pieces (wrong notes, clashing or detuned
parts, rhythm jitter, shuffled segments, noise, clipping), so it measures damage, not human taste.

``config`` (dataclasses), ``features`` (band levels in dB), ``model`` (the nn.Modules), ``transitions`` (what
changes at each frame, for the seam reader), ``ensemble`` (several models heard together), ``api`` (load once,
score audio), ``judge_signals`` (scores -> the Aesthetics Judge's dimensions and findings).
"""

__all__: list[str] = []
