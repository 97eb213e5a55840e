"""MusicGrammar: a Generative Ontology for music.

The public surface is small on purpose: the package version, the root exception, and the
settings. Everything else is reached through its own subpackage (``musicgrammar.ontologies``,
``musicgrammar.graphs``, ``musicgrammar.tools``) so that ``import musicgrammar`` stays light.
"""

from __future__ import annotations

from musicgrammar.errors import MusicGrammarError

__all__ = ["MusicGrammarError", "__version__"]

__version__ = "0.1.0"
