"""Listening tools: read a recording and tell what is in it (transcription, key, tempo, meter,
voices, register, loudness, the top line), and check a rendered mix against its design.

Heavy libraries (librosa, basic-pitch, onnxruntime) load on first use.
"""

from musicgrammar.tools.listen.audio import LoadedAudio, load_audio
from musicgrammar.tools.listen.features import AudioAnalysis, analyse_audio, analyse_loaded

__all__ = ["AudioAnalysis", "LoadedAudio", "analyse_audio", "analyse_loaded", "load_audio"]
