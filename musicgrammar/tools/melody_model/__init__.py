"""The symbolic melody model: event tokenizer, GPT-2 decoder (plain or factorized "smart" embedding),
constrained phrase generation for the Composer, and melody scoring against the corpus.

    from musicgrammar.tools.melody_model import generate_phrase
    notes = generate_phrase(Key.parse("D dorian"), Meter.parse("6/8"), chords, bars=4, low=62, high=81, seed=1)

torch is imported only when a model is loaded.
"""

from musicgrammar.tools.melody_model.evaluate import MelodySample, score_melodies
from musicgrammar.tools.melody_model.generate import WEIGHTS_DIR, generate_phrase, load_default_model

__all__ = ["MelodySample", "WEIGHTS_DIR", "generate_phrase", "load_default_model", "score_melodies"]
