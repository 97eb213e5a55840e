"""Facts about the composers of the library, for questions that need a second hop ("who composed it
and when did they die"). Each fact carries its source; dates are those of standard reference works
(circa dates are marked). Composer strings in the corpus are messy ("Josquin des Prez, 1545",
"L. van Beethoven"), so a composer is found by the distinctive words of its name.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

__all__ = ["ComposerFacts", "FACTS_SOURCE", "composer_facts", "all_composers"]

FACTS_SOURCE = "Composer dates as given in standard reference works (Grove Music Online, MGG); public facts."


class ComposerFacts(BaseModel):
    """Name and life dates of one composer."""

    id: str = Field(description="Stable id, 'facts/<surname>'.")
    name: str
    born: int | None = None
    died: int | None = None
    circa_born: bool = False
    circa_died: bool = False

    def year_text(self, which: str) -> str | None:
        year, circa = (self.born, self.circa_born) if which == "born" else (self.died, self.circa_died)
        return None if year is None else (f"c. {year}" if circa else str(year))


# (words that must all occur in the lower-cased composer string, facts). First match wins.
_TABLE: list[tuple[tuple[str, ...], ComposerFacts]] = [
    (("clara", "schumann"), ComposerFacts(id="facts/clara_schumann", name="Clara Schumann", born=1819, died=1896)),
    (("schumann",), ComposerFacts(id="facts/schumann", name="Robert Schumann", born=1810, died=1856)),
    (("bach",), ComposerFacts(id="facts/bach", name="Johann Sebastian Bach", born=1685, died=1750)),
    (("palestrina",), ComposerFacts(id="facts/palestrina", name="Giovanni Pierluigi da Palestrina", born=1525, died=1594,
                                    circa_born=True)),
    (("monteverdi",), ComposerFacts(id="facts/monteverdi", name="Claudio Monteverdi", born=1567, died=1643)),
    (("ciconia",), ComposerFacts(id="facts/ciconia", name="Johannes Ciconia", born=1370, died=1412, circa_born=True)),
    (("josquin",), ComposerFacts(id="facts/josquin", name="Josquin des Prez", born=1450, died=1521, circa_born=True)),
    (("beethoven",), ComposerFacts(id="facts/beethoven", name="Ludwig van Beethoven", born=1770, died=1827)),
    (("mozart",), ComposerFacts(id="facts/mozart", name="Wolfgang Amadeus Mozart", born=1756, died=1791)),
    (("haydn",), ComposerFacts(id="facts/haydn", name="Joseph Haydn", born=1732, died=1809)),
    (("handel",), ComposerFacts(id="facts/handel", name="George Frideric Handel", born=1685, died=1759)),
    (("schubert",), ComposerFacts(id="facts/schubert", name="Franz Schubert", born=1797, died=1828)),
    (("chopin",), ComposerFacts(id="facts/chopin", name="Frédéric Chopin", born=1810, died=1849)),
    (("joplin",), ComposerFacts(id="facts/joplin", name="Scott Joplin", born=1868, died=1917)),
    (("landini",), ComposerFacts(id="facts/landini", name="Francesco Landini", born=1325, died=1397, circa_born=True)),
    (("vitry",), ComposerFacts(id="facts/vitry", name="Philippe de Vitry", born=1291, died=1361)),
    (("webern",), ComposerFacts(id="facts/webern", name="Anton Webern", born=1883, died=1945)),
    (("corelli",), ComposerFacts(id="facts/corelli", name="Arcangelo Corelli", born=1653, died=1713)),
    (("gow",), ComposerFacts(id="facts/gow", name="Niel Gow", born=1727, died=1807)),
]  # fmt: skip


def composer_facts(composer: str | None) -> ComposerFacts | None:
    """The facts for a corpus composer string, or None (traditional, anonymous or not in the table)."""
    if not composer:
        return None
    words = set(re.findall(r"[a-zà-ÿ]+", composer.lower()))
    for needed, facts in _TABLE:
        if all(w in words for w in needed):
            return facts
    return None


def all_composers() -> list[ComposerFacts]:
    return [facts for _, facts in _TABLE]
