"""The grammar: MusicGrammar's typed music ontology.

One module per domain (theory, rhythm, form, harmony, melody, instrumentation, lyrics, affect,
tradition, provenance); `CompositionSpec` (the design) and `Score` (the notes) are the canonical
objects, bundled with provenance in `Composition`; `validation` holds the cross-domain rules.
`timing` places sections and chords on the time line (the one chord timeline every tool reads);
`knowledge` reads the named styles, ensembles and scales from `data/`.
"""

from musicgrammar.ontologies.affect import Affect, Dynamic, Mood
from musicgrammar.ontologies.brief import Adjustment, Brief, Constraints
from musicgrammar.ontologies.composition import Composition, CompositionSpec, EnsembleMember, IterationRecord
from musicgrammar.ontologies.critique import DimensionScore, HarmonyCritique, Judgement, Reharmonization, Verdict
from musicgrammar.ontologies.form import Cadence, FormType, Section, SectionRole, cadence_shape, cadences_made
from musicgrammar.ontologies.harmony import (
    ChordQuality,
    ChordSymbol,
    RomanNumeral,
    chord_for_roman,
    diatonic_chord,
    diatonic_chords,
    parse_bar,
)
from musicgrammar.ontologies.instrumentation import (
    Instrument,
    InstrumentFamily,
    Role,
    find_instrument,
    get_instrument,
    instrument_catalog,
)
from musicgrammar.ontologies.lexicon import DescribedEnum, LexiconEntry, lexicon_entries
from musicgrammar.ontologies.lyrics import LANGUAGES, LyricLine, Lyrics, split_syllables
from musicgrammar.ontologies.melody import DevelopmentTechnique, Motif, MotifUse
from musicgrammar.ontologies.provenance import Consent, Provenance, Source, SourceKind
from musicgrammar.ontologies.rhythm import Meter, Tempo, TempoTerm, Timeline, beat_strengths, tempo_term_for
from musicgrammar.ontologies.score import Note, Part, Score
from musicgrammar.ontologies.theory import Key, Mode, parse_pitch, parse_pitch_class, pitch_class_name, pitch_name
from musicgrammar.ontologies.timing import ChordEvent, SectionSpan, chord_at, chord_timeline, section_spans
from musicgrammar.ontologies.tradition import Tradition, get_tradition, tradition_catalog
from musicgrammar.ontologies.validation import (
    Finding,
    Severity,
    ValidationReport,
    validate_composition,
    validate_score,
    validate_spec,
)

__all__ = [
    "Adjustment", "Brief", "Constraints", "DimensionScore", "HarmonyCritique", "Judgement", "Reharmonization", "Verdict",
    "Affect", "Cadence", "ChordQuality", "ChordSymbol", "Composition", "CompositionSpec", "Consent",
    "DescribedEnum", "DevelopmentTechnique", "Dynamic", "EnsembleMember", "Finding", "FormType", "Instrument",
    "InstrumentFamily", "IterationRecord", "Key", "LANGUAGES", "LexiconEntry", "LyricLine", "Lyrics", "Meter",
    "Mode", "Mood", "Motif", "MotifUse", "Note", "Part", "Provenance", "Role", "RomanNumeral", "Score", "Section",
    "SectionRole", "Severity", "Source", "SourceKind", "Tempo", "TempoTerm", "Timeline", "Tradition",
    "ValidationReport", "chord_for_roman", "find_instrument", "get_instrument", "get_tradition",
    "instrument_catalog", "lexicon_entries", "parse_bar", "parse_pitch", "parse_pitch_class", "pitch_class_name",
    "pitch_name", "split_syllables", "tempo_term_for", "tradition_catalog", "validate_composition",
    "validate_score", "validate_spec", "ChordEvent", "SectionSpan", "beat_strengths", "cadence_shape", "cadences_made",
    "chord_at", "chord_timeline", "diatonic_chord", "diatonic_chords", "section_spans",
]  # fmt: skip
