"""Musical traditions as first-class grammar: their modes, instruments, meters, timelines, languages
and etiquette. A composition that names a tradition is checked against its rules."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from musicgrammar.ontologies.lexicon import register_vocabulary
from musicgrammar.ontologies.rhythm import Meter, Timeline
from musicgrammar.ontologies.theory import Mode

__all__ = ["Tradition", "get_tradition", "tradition_catalog"]


class Tradition(BaseModel):
    """A tradition's rules. `instruments` are required to come from `instruments | shared_instruments`."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    description: str
    modes: tuple[Mode, ...] = Field(description="Modes the tradition uses.")
    instruments: tuple[str, ...] = Field(description="Instrument ids that belong to the tradition.")
    shared_instruments: tuple[str, ...] = Field(default=(), description="Other instruments it accepts (e.g. voice).")
    meters: tuple[Meter, ...] = Field(description="Meters its repertoire uses.")
    timelines: tuple[Timeline, ...] = Field(default=(), description="Its rhythmic key patterns.")
    languages: tuple[str, ...] = Field(default=(), description="ISO 639 codes of its sung languages.")
    etiquette: tuple[str, ...] = Field(default=(), description="Practices to respect: attribution, consent, roles.")

    def allows_instrument(self, instrument_id: str) -> bool:
        return instrument_id in self.instruments or instrument_id in self.shared_instruments

    def allows_meter(self, meter: Meter) -> bool:
        return any(m.numerator == meter.numerator and m.denominator == meter.denominator for m in self.meters)


_VOICES = ("voice", "soprano", "alto", "tenor", "bass_voice", "choir_aahs", "voice_oohs")


@lru_cache(maxsize=1)
def tradition_catalog() -> dict[str, Tradition]:
    m = Meter.parse
    traditions = [
        Tradition(
            id="mande",
            name="Mande (Manding) jeli music of Mali, Guinea, Senegal and the Gambia",
            description="The music of the Mande jeli (griots): kora, ngoni and balafon cycles over djembe and dunun, praise and peace songs in Bamanankan and Malinke.",
            modes=(Mode.MANDE_SILABA, Mode.MANDE_SAUTA, Mode.MANDE_TOMORA, Mode.MANDE_HARDINO, Mode.MANDE_BALAFON,
                   Mode.MANDE_PENTATONIC, Mode.MAJOR_PENTATONIC, Mode.MINOR_PENTATONIC),
            instruments=("kora", "ngoni", "balafon", "djembe", "dunun", "tama", "shekere"),
            shared_instruments=_VOICES + ("acoustic_guitar_nylon", "acoustic_guitar_steel"),
            meters=(m("12/8"), m("6/8"), m("4/4")),
            timelines=(
                Timeline(name="mande_bell_12", pattern="x.x.xx.x.x.x", meter=m("12/8"),
                         description="The 12-pulse standard bell pattern that orients West African ensembles."),
                Timeline(name="dunun_4", pattern="x..x..x.x...", meter=m("4/4"),
                         description="A dununba-style bass pattern in a 4/4 cycle of 12 triplet pulses."),
                Timeline(name="mande_6", pattern="x.xx.x", meter=m("6/8"),
                         description="A six-pulse bell figure in 6/8."),
            ),
            languages=("bm", "mlq", "ff", "snk", "xsq", "fr"),
            etiquette=("Credit the jeli tradition and any living musician whose material is drawn on.",
                       "Record consent of the people who co-create; do not imitate a named recording.",
                       "Praise songs name real people: lyrics are for the co-creators to write or approve."),
        ),  # fmt: skip
        Tradition(
            id="tuareg",
            name="Tuareg music of the Sahara",
            description="Imzad fiddle and tinde drum songs of Tuareg women, and the desert guitar of the assouf.",
            modes=(Mode.MINOR_PENTATONIC, Mode.MAJOR_PENTATONIC, Mode.DORIAN, Mode.MINOR),
            instruments=("imzad", "tinde", "hand_drum"),
            shared_instruments=_VOICES + ("electric_guitar_clean", "acoustic_guitar_steel"),
            meters=(m("6/8"), m("12/8"), m("4/4"), m("3/4")),
            timelines=(Timeline(name="tinde_6", pattern="x..x.x", meter=m("6/8"), description="A tinde drum figure."),),
            languages=("tmh", "fr", "ar"),
            etiquette=("The imzad is played by women; credit its players and their community.",),
        ),
        Tradition(
            id="irish",
            name="Irish traditional dance music",
            description="Jigs, reels, slip jigs and hornpipes on fiddle, whistle, pipes and flute, with guitar and bodhrán.",
            modes=(Mode.MAJOR, Mode.DORIAN, Mode.MIXOLYDIAN, Mode.MINOR, Mode.MAJOR_PENTATONIC),
            instruments=("fiddle", "tin_whistle", "uilleann_pipes", "flute", "bodhran", "accordion", "banjo",
                         "acoustic_guitar_steel", "acoustic_guitar_nylon", "orchestral_harp"),
            shared_instruments=_VOICES + ("acoustic_grand_piano",),
            meters=(m("6/8"), m("9/8"), m("12/8"), m("4/4"), m("2/4"), m("3/4")),
            languages=("ga", "en"),
            etiquette=("Name the source collection of a traditional tune.",),
        ),  # fmt: skip
        Tradition(
            id="japanese",
            name="Japanese traditional music (hogaku)",
            description="Koto, shakuhachi and shamisen music in pentatonic modes such as in and yo.",
            modes=(Mode.MINOR_PENTATONIC, Mode.MAJOR_PENTATONIC, Mode.PHRYGIAN, Mode.DORIAN),
            instruments=("koto", "shakuhachi", "shakuhachi_flute", "shamisen", "taiko_drum"),
            shared_instruments=_VOICES,
            meters=(m("4/4"), m("2/4"), m("3/4")),
            languages=("ja",),
        ),
        Tradition(
            id="hindustani",
            name="Hindustani classical music",
            description="Raga and tala: sitar, tabla and drone, an unfolding from slow alap to fast gat.",
            modes=(Mode.MAJOR, Mode.MIXOLYDIAN, Mode.DORIAN, Mode.PHRYGIAN, Mode.LYDIAN, Mode.PHRYGIAN_DOMINANT,
                   Mode.HARMONIC_MINOR, Mode.MINOR),
            instruments=("sitar", "tabla", "shanai", "flute"),
            shared_instruments=_VOICES + ("pad_2_warm",),
            meters=(m("4/4"), m("7/8"), m("5/4"), m("6/8")),
            languages=("hi",),
        ),  # fmt: skip
        Tradition(
            id="southern_african",
            name="Southern African lamellophone music",
            description="Interlocking kalimba and mbira cycles with shaker and voice.",
            modes=(Mode.MAJOR, Mode.MAJOR_PENTATONIC, Mode.MIXOLYDIAN),
            instruments=("kalimba", "shekere", "hand_drum"),
            shared_instruments=_VOICES,
            meters=(m("12/8"), m("6/8"), m("4/4")),
            languages=("zu", "sw", "en"),
        ),
    ]
    return {t.id: t for t in traditions}


def get_tradition(tradition_id: str) -> Tradition:
    try:
        return tradition_catalog()[tradition_id]
    except KeyError:
        raise ValueError(
            f"unknown tradition {tradition_id!r}; known: {', '.join(sorted(tradition_catalog()))}"
        ) from None


register_vocabulary("Tradition", lambda: ((t.id, t.description) for t in tradition_catalog().values()))
