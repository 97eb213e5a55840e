"""The retrieval corpus: real public-domain music from the music21 corpus as exemplars.

Public API (cheap to import; chromadb, music21 and the text model load on first use)::

    from musicgrammar.retrieval_corpus import search, melody_search, ensure_default_store
    search("slow minor-key Lutheran hymn", where={"collection": "bach_chorales"}, top=5)
    melody_search("tune.mid", top=5)
"""

from musicgrammar.retrieval_corpus.api import (
    build,
    ensure_default_store,
    get_melody,
    load_query_melody,
    melody_search,
    search,
    similar,
    stats,
)
from musicgrammar.retrieval_corpus.exemplar import COLLECTIONS, Exemplar, Features
from musicgrammar.retrieval_corpus.features import Melody
from musicgrammar.retrieval_corpus.store import Store, open_store, parse_where

__all__ = [
    "COLLECTIONS",
    "Exemplar",
    "Features",
    "Melody",
    "Store",
    "build",
    "ensure_default_store",
    "get_melody",
    "load_query_melody",
    "melody_search",
    "open_store",
    "parse_where",
    "search",
    "similar",
    "stats",
]
