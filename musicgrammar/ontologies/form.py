"""Form: sections with bar counts, harmony, cadences as end conditions, and whole-piece forms."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from musicgrammar.ontologies.affect import Affect, Dynamic
from musicgrammar.ontologies.harmony import BarHarmony, ChordQuality, ChordSymbol, parse_bar
from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum
from musicgrammar.ontologies.theory import Key

__all__ = ["Cadence", "SectionRole", "FormType", "Section", "cadences_made", "cadence_shape", "CADENCE_SHAPES"]


@register_enum
class Cadence(DescribedEnum):
    """How a section ends harmonically."""

    AUTHENTIC = "authentic", "Dominant to tonic (V-I): the full stop, the strongest close."
    PLAGAL = "plagal", "Subdominant to tonic (IV-I): the 'amen' close, gentle and final."
    HALF = "half", "Ending on the dominant (x-V): a comma, the music must go on."
    DECEPTIVE = "deceptive", "Dominant to submediant (V-vi): the surprise, an expected close denied."
    MODAL = "modal", "A close on the tonic from a modal chord (bVII-I, bII-i, iv-i): final without a leading tone."
    OPEN = "open", "No cadence: the section runs on into the next or fades."

    @property
    def is_final(self) -> bool:
        """Whether the cadence can end a piece."""
        return self in (Cadence.AUTHENTIC, Cadence.PLAGAL, Cadence.MODAL)


@register_enum
class SectionRole(DescribedEnum):
    """The function of a section in its form."""

    INTRO = "intro", "Opening that sets up key, tempo and colour before the main material."
    A = "A", "The first main theme section."
    B = "B", "A contrasting section: new key area, motif or texture."
    C = "C", "A third contrasting section."
    VERSE = "verse", "A section whose melody repeats with new words each time."
    CHORUS = "chorus", "The refrain: the memorable hook that returns with the same words."
    BRIDGE = "bridge", "A contrasting passage that leads back to the chorus or main theme."
    INTERLUDE = "interlude", "An instrumental passage between sung sections."
    DEVELOPMENT = "development", "A section that fragments and transforms earlier motifs."
    VARIATION = "variation", "A restatement of the theme with changes in melody, harmony or rhythm."
    CODA = "coda", "The tail that closes the piece."
    OUTRO = "outro", "The closing section of a song, often fading."


@register_enum
class FormType(DescribedEnum):
    """Whole-piece forms."""

    BINARY = "binary", "Two halves, AB, often each repeated: dances and folk tunes."
    TERNARY = "ternary", "ABA: statement, contrast, return."
    RONDO = "rondo", "ABACA: a refrain returning between episodes."
    VERSE_CHORUS = "verse_chorus", "Alternating verses and choruses, the form of popular song."
    STROPHIC = "strophic", "The same music repeated for each stanza: hymns and ballads."
    AABA = "aaba", "Thirty-two-bar song form: a theme twice, a bridge, the theme again."
    THROUGH_COMPOSED = "through_composed", "New music throughout, following a story or image."
    THEME_AND_VARIATIONS = "theme_and_variations", "A theme followed by varied restatements."
    TWELVE_BAR_BLUES = "twelve_bar_blues", "The twelve-bar I-IV-V chorus of the blues, repeated."
    CYCLIC = "cyclic", "A repeating cycle with variations and solos, as in Mande and other West African music."


class Section(BaseModel):
    """One section: its length in bars, its chords bar by bar, and how it ends."""

    model_config = ConfigDict(frozen=False)

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="Section id, unique in the piece, e.g. A1, verse2.")
    role: SectionRole = Field(description="The section's function in the form.")
    bars: int = Field(ge=1, le=512, description="Length in bars.")
    progression: list[BarHarmony] = Field(description="Chords bar by bar; must have one entry per bar.")
    cadence: Cadence = Field(default=Cadence.OPEN, description="How the section ends.")
    key: Key | None = Field(default=None, description="Local key when the section modulates; else the piece's key.")
    affect: Affect = Field(default_factory=Affect, description="The section's place in the affect arc.")
    dynamic: Dynamic = Field(default=Dynamic.MF, description="The section's overall dynamic.")
    parts: list[str] = Field(default_factory=list, description="Ids of the ensemble members that play; empty: all.")
    phrase_bars: int = Field(default=4, ge=1, le=64, description="Bars per melodic phrase.")


# ---------------------------------------------------------------------------------------------
# Reading a cadence from the chords that end a section
CADENCE_SHAPES: dict[Cadence, str] = {
    Cadence.AUTHENTIC: "V (or vii°) to I",
    Cadence.PLAGAL: "IV to I",
    Cadence.HALF: "ending on V",
    Cadence.DECEPTIVE: "V to vi",
    Cadence.MODAL: "a modal chord to I",
}
_LEADING_TONE_QUALITIES = (ChordQuality.DIMINISHED, ChordQuality.DIMINISHED7, ChordQuality.HALF_DIMINISHED7)


def cadences_made(before: ChordSymbol, last: ChordSymbol, key: Key) -> frozenset[Cadence]:
    """Every cadence two closing chords make in a key, by their roots: V (any quality) or a
    diminished vii to I is authentic (and modal), IV-I plagal (and modal), any chord to I modal,
    V to vi or bVI deceptive, anything to V half."""
    last_root = (last.root_pc - key.tonic_pc) % 12
    before_root = (before.root_pc - key.tonic_pc) % 12
    dominant = before_root == 7 or (before_root == 11 and before.quality in _LEADING_TONE_QUALITIES)
    made = set()
    if last_root == 0:
        made.add(Cadence.MODAL)
        if dominant:
            made.add(Cadence.AUTHENTIC)
        if before_root == 5:
            made.add(Cadence.PLAGAL)
    if dominant and last_root in (8, 9):
        made.add(Cadence.DECEPTIVE)
    if last_root == 7:
        made.add(Cadence.HALF)
    return frozenset(made)


def cadence_shape(section: Section, key: Key) -> Cadence | None:
    """The strongest cadence a section's last two chords make in `key` (None: fewer than two chords,
    or no cadence)."""
    chords = [span.chord for text in section.progression for span in parse_bar(text)]
    if len(chords) < 2:
        return None
    made = cadences_made(chords[-2], chords[-1], key)
    order = (Cadence.AUTHENTIC, Cadence.PLAGAL, Cadence.MODAL, Cadence.DECEPTIVE, Cadence.HALF)
    return next((c for c in order if c in made), None)
