"""CAT-style audio tokenizer: a CNN-free causal-Transformer codec with a residual factorized quantizer.

``config`` (dataclasses), ``model`` (the nn.Module), ``losses`` (multi-scale mel, SI-SDR), ``io``
(audio files), ``api`` (load once, encode/decode/clip_embedding). Heavy imports stay in those modules.
"""
