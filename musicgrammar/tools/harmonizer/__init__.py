"""Melodic harmonization: the FF-curriculum masked Transformer and a rule-based baseline.

``harmonize_melody(score, seed=0, method="ff")`` returns a ``HarmonizationResult`` with chords per
bar and beat in the melody's own key and the harmony metrics of the result.
"""

from musicgrammar.tools.harmonizer.api import (
    HarmonizationResult,
    HarmonizedChord,
    harmonize_melody,
    load_model,
    melody_line,
)

__all__ = ["HarmonizationResult", "HarmonizedChord", "harmonize_melody", "load_model", "melody_line"]
