"""Every input limit of MusicGrammar, defined once.

Commands, settings, file readers and the design state import these numbers, so that a limit named in
an error message is the limit that is enforced. Each pair is an inclusive (low, high) range.
"""

from __future__ import annotations

__all__ = [
    "MAX_ITERS",
    "DURATION_S",
    "SEED",
    "MAX_PROMPT_BYTES",
    "MAX_INPUT_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_NOTES",
    "MAX_BARS",
    "MAX_AUDIO_SECONDS",
    "MAX_UPLOAD_BYTES",
    "in_range",
]

# Design-loop iteration budget (passes of compose -> ... -> judge).
MAX_ITERS = (1, 20)
# Target length of a composed piece, in seconds.
DURATION_S = (8.0, 600.0)
# Random seeds: what the checkpoint (msgpack) and torch accept, 0 .. 2**64 - 1.
SEED = (0, 2**64 - 1)
# A prompt longer than this (UTF-8 bytes) is refused; long prompts are read up to it.
MAX_PROMPT_BYTES = 1_000_000
# Input files (JSON, YAML, MIDI, MusicXML, ABC) larger than this are refused.
MAX_INPUT_BYTES = 10 * 1024 * 1024
# Nesting depth of JSON and YAML documents (a score is about 6 deep).
MAX_JSON_DEPTH = 64
# Notes in one score read from a file (harmonize, render, validate, profile).
MAX_NOTES = 50_000
# Bars of one score (also the Score model's own bound).
MAX_BARS = 4096
# Length of an audio file to tokenize, in seconds.
MAX_AUDIO_SECONDS = 10 * 60.0
# An audio file uploaded to the studio (about 6 minutes of 44.1 kHz stereo 16-bit WAV).
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def in_range(value: float, bounds: tuple[float, float]) -> bool:
    """True when low <= value <= high; NaN is never in range."""
    low, high = bounds
    return low <= value <= high
