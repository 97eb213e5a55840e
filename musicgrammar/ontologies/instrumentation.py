"""Instruments: the 128 General MIDI programs plus named instruments of other traditions.

Every instrument has an id (snake_case), a GM program it renders through, a family, a playable
range in MIDI pitches and, for instruments of a named tradition, that tradition. Percussion
instruments render on the GM drum channel; `drum_map` names the GM drum keys their strokes use.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum, register_vocabulary

__all__ = ["Role", "InstrumentFamily", "Instrument", "get_instrument", "instrument_catalog", "find_instrument"]


@register_enum
class Role(DescribedEnum):
    """What a part does in the texture."""

    LEAD = "lead", "Carries the main melody that the listener follows."
    COUNTER_MELODY = "counter_melody", "A second melody that answers or weaves around the lead."
    HARMONY = "harmony", "Sustains or arpeggiates the chords: the harmonic bed."
    BASS = "bass", "The lowest line, anchoring the harmony and the groove."
    PERCUSSION = "percussion", "Unpitched rhythm: drums, bells and shakers."
    PAD = "pad", "Long, soft sustained tones that colour the background."


@register_enum
class InstrumentFamily(DescribedEnum):
    """Instrument families (the 16 General MIDI groups plus voice and world percussion)."""

    PIANO = "piano", "Keyboard instruments whose strings are struck by hammers."
    CHROMATIC_PERCUSSION = "chromatic_percussion", "Tuned percussion: mallets, bells, music boxes."
    ORGAN = "organ", "Sustained keyboard tones from pipes, reeds or electric tonewheels."
    GUITAR = "guitar", "Plucked fretted strings, acoustic or electric."
    BASS = "bass", "Low plucked or synthesized bass instruments."
    STRINGS = "strings", "Bowed strings of the orchestra and the harp."
    ENSEMBLE = "ensemble", "Sections and choirs playing together."
    BRASS = "brass", "Lip-buzzed metal horns: trumpets, trombones, horns, tubas."
    REED = "reed", "Single- and double-reed winds: saxophones, oboes, clarinets, bassoons."
    PIPE = "pipe", "Flutes and whistles: air across an edge."
    SYNTH_LEAD = "synth_lead", "Bright synthesizer melody voices."
    SYNTH_PAD = "synth_pad", "Soft sustained synthesizer textures."
    SYNTH_EFFECTS = "synth_effects", "Synthesizer atmospheres and effects."
    ETHNIC = "ethnic", "Plucked, bowed and blown instruments of traditions beyond the orchestra."
    PERCUSSIVE = "percussive", "Pitched and unpitched percussive sounds."
    SOUND_EFFECTS = "sound_effects", "Non-musical sounds: birds, seashore, applause."
    DRUMS = "drums", "Unpitched drums and percussion on the GM drum channel."


_GM_NAMES = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion", "Harmonica",
    "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass", "Slap Bass 1",
    "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs",
    "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
    "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)", "Pad 6 (metallic)",
    "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)",
    "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring", "Helicopter", "Applause",
    "Gunshot",
)  # fmt: skip
_GM_FAMILIES = (
    InstrumentFamily.PIANO, InstrumentFamily.CHROMATIC_PERCUSSION, InstrumentFamily.ORGAN, InstrumentFamily.GUITAR,
    InstrumentFamily.BASS, InstrumentFamily.STRINGS, InstrumentFamily.ENSEMBLE, InstrumentFamily.BRASS,
    InstrumentFamily.REED, InstrumentFamily.PIPE, InstrumentFamily.SYNTH_LEAD, InstrumentFamily.SYNTH_PAD,
    InstrumentFamily.SYNTH_EFFECTS, InstrumentFamily.ETHNIC, InstrumentFamily.PERCUSSIVE,
    InstrumentFamily.SOUND_EFFECTS,
)  # fmt: skip
_FAMILY_RANGE = {
    InstrumentFamily.PIANO: (21, 108), InstrumentFamily.CHROMATIC_PERCUSSION: (53, 96),
    InstrumentFamily.ORGAN: (36, 96), InstrumentFamily.GUITAR: (40, 86), InstrumentFamily.BASS: (28, 67),
    InstrumentFamily.STRINGS: (55, 100), InstrumentFamily.ENSEMBLE: (36, 96), InstrumentFamily.BRASS: (40, 82),
    InstrumentFamily.REED: (48, 88), InstrumentFamily.PIPE: (60, 96), InstrumentFamily.SYNTH_LEAD: (36, 96),
    InstrumentFamily.SYNTH_PAD: (36, 96), InstrumentFamily.SYNTH_EFFECTS: (36, 96), InstrumentFamily.ETHNIC: (48, 84),
    InstrumentFamily.PERCUSSIVE: (36, 84), InstrumentFamily.SOUND_EFFECTS: (36, 84),
}  # fmt: skip
# Ranges (MIDI low, high) of specific GM programs where the family default is wrong.
_PROGRAM_RANGE = {
    6: (29, 89), 8: (60, 108), 9: (79, 108), 11: (53, 89), 12: (45, 96), 13: (65, 108), 14: (60, 77),
    19: (24, 96), 21: (53, 89), 22: (60, 96),
    40: (55, 103), 41: (48, 88), 42: (36, 76), 43: (28, 67), 46: (24, 103), 47: (40, 57),
    52: (48, 81), 53: (48, 81), 56: (54, 86), 57: (40, 77), 58: (28, 58), 60: (34, 77),
    64: (56, 88), 65: (49, 81), 66: (44, 76), 67: (36, 69), 68: (58, 93), 69: (52, 81), 70: (34, 75), 71: (50, 94),
    72: (74, 108), 73: (60, 96), 74: (60, 96), 75: (60, 96), 77: (55, 91), 78: (72, 108), 79: (60, 89),
    104: (48, 84), 105: (48, 84), 106: (50, 86), 107: (50, 88), 108: (60, 84), 109: (58, 84), 110: (55, 96),
    111: (60, 89),
}  # fmt: skip


# Exceptions to the family rule of `Instrument.polyphonic`.
_POLYPHONIC_IDS = {"orchestral_harp", "string_ensemble_1", "string_ensemble_2", "synth_strings_1", "synth_strings_2",
                   "tremolo_strings", "pizzicato_strings", "choir_aahs", "voice_oohs", "brass_section", "synth_brass_1",
                   "synth_brass_2", "kora", "koto", "sitar", "banjo", "shamisen", "kalimba", "balafon", "ngoni",
                   "accordion", "tango_accordion", "harmonica", "dulcimer"}  # fmt: skip
_MONOPHONIC_IDS = {"voice", "soprano", "alto", "tenor", "bass_voice", "synth_voice"}


class Instrument(BaseModel):
    """An instrument of the grammar: how it renders, where it sounds, where it comes from."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="Stable snake_case id, e.g. acoustic_grand_piano, kora.")
    name: str = Field(description="Display name.")
    program: int = Field(ge=0, le=127, description="General MIDI program (0-based) it renders through.")
    family: InstrumentFamily
    low: int = Field(ge=0, le=127, description="Lowest playable MIDI pitch.")
    high: int = Field(ge=0, le=127, description="Highest playable MIDI pitch.")
    is_percussion: bool = Field(default=False, description="Renders on the GM drum channel.")
    drum_map: dict[str, int] = Field(default_factory=dict, description="Stroke name -> GM drum key.")
    tradition: str | None = Field(default=None, description="Tradition id when the instrument belongs to one.")
    description: str = Field(default="", description="One sentence about the instrument.")
    aliases: tuple[str, ...] = Field(default=(), description="Other names that mean this instrument.")

    def in_range(self, pitch: int) -> bool:
        return self.is_percussion or self.low <= pitch <= self.high

    @property
    def polyphonic(self) -> bool:
        """Whether one player can sound a chord (a piano, a guitar, a kora) rather than one line (a flute, a voice)."""
        if self.is_percussion:
            return False
        if self.id in _POLYPHONIC_IDS:
            return True
        if self.id in _MONOPHONIC_IDS:
            return False
        return self.family.value in ("piano", "chromatic_percussion", "organ", "guitar", "synth_pad", "synth_effects")


def _snake(name: str) -> str:
    text = name.lower().replace("+", "plus").replace("-", "_")
    out = "".join(c if c.isalnum() else "_" for c in text)
    return "_".join(part for part in out.split("_") if part)


def _gm_instruments() -> list[Instrument]:
    instruments = []
    for program, name in enumerate(_GM_NAMES):
        family = _GM_FAMILIES[program // 8]
        low, high = _PROGRAM_RANGE.get(program, _FAMILY_RANGE[family])
        instruments.append(
            Instrument(
                id=_snake(name),
                name=name,
                program=program,
                family=family,
                low=low,
                high=high,
                description=f"General MIDI program {program + 1}, {name}, of the {family.value.replace('_', ' ')} family.",
            )
        )
    return instruments


# GM drum keys used by the named percussion instruments.
_KIT = {"kick": 36, "snare": 38, "closed_hat": 42, "open_hat": 46, "low_tom": 45, "high_tom": 50, "crash": 49, "ride": 51}

_NAMED: tuple[dict, ...] = (
    dict(id="drum_kit", name="Drum kit", program=0, family="drums", low=35, high=81, is_percussion=True,
         drum_map=_KIT, description="A standard drum kit: kick, snare, hi-hats, toms and cymbals.",
         aliases=("drums", "drum set", "drumkit", "kit")),
    dict(id="voice", name="Voice", program=52, family="ensemble", low=48, high=79,
         description="A sung voice (rendered as choir aahs), carrying lyrics.", aliases=("vocals", "singer", "vocal")),
    dict(id="soprano", name="Soprano", program=52, family="ensemble", low=60, high=81,
         description="The highest choral voice.", aliases=()),
    dict(id="alto", name="Alto", program=52, family="ensemble", low=53, high=74, description="The lower female choral voice."),
    dict(id="tenor", name="Tenor", program=52, family="ensemble", low=48, high=69, description="The higher male choral voice."),
    dict(id="bass_voice", name="Bass (voice)", program=52, family="ensemble", low=40, high=64,
         description="The lowest choral voice.", aliases=("bass singer",)),
    dict(id="kora", name="Kora", program=46, family="ethnic", low=41, high=77, tradition="mande",
         description="The 21-string harp-lute of the Mande jeli (griots) of Mali, Senegal, Gambia and Guinea."),
    dict(id="ngoni", name="Ngoni", program=105, family="ethnic", low=45, high=76, tradition="mande",
         description="The Mande lute with a skin-covered wooden body, ancestor of the banjo; the jeli's ngoni and the hunters' donso ngoni.",
         aliases=("n'goni", "ngoni lute", "tamani lute")),
    dict(id="balafon", name="Balafon", program=12, family="ethnic", low=53, high=84, tradition="mande",
         description="The Mande wooden xylophone with gourd resonators, tuned near-equiheptatonic.", aliases=("balafon xylophone",)),
    dict(id="djembe", name="Djembe", program=0, family="drums", low=60, high=64, is_percussion=True, tradition="mande",
         drum_map={"bass": 64, "tone": 63, "slap": 62}, description="The goblet drum of the Mande, played with bare hands: bass, tone and slap strokes.",
         aliases=("jembe",)),
    dict(id="dunun", name="Dunun", program=0, family="drums", low=41, high=56, is_percussion=True, tradition="mande",
         drum_map={"dundunba": 41, "sangban": 43, "kenkeni": 45, "bell": 56},
         description="The Mande family of stick-played bass drums (dundunba, sangban, kenkeni) with attached bells.",
         aliases=("dundun", "doundoun", "dununba")),
    dict(id="tama", name="Tama talking drum", program=117, family="drums", low=58, high=66, is_percussion=True,
         tradition="mande", drum_map={"low": 64, "high": 63, "press": 62},
         description="The small hourglass talking drum of Mali and Senegal, pitch bent by squeezing its cords.",
         aliases=("talking drum", "tamani")),
    dict(id="shekere", name="Shekere", program=0, family="drums", low=69, high=70, is_percussion=True, tradition="mande",
         drum_map={"shake": 69, "hit": 70}, description="A gourd rattle covered with a net of beads.", aliases=("calabash rattle",)),
    dict(id="imzad", name="Imzad", program=110, family="ethnic", low=55, high=79, tradition="tuareg",
         description="The one-string bowed fiddle of Tuareg women, played in the Sahara of Mali, Niger and Algeria."),
    dict(id="tinde", name="Tinde", program=0, family="drums", low=41, high=47, is_percussion=True, tradition="tuareg",
         drum_map={"low": 41, "high": 47}, description="The Tuareg mortar drum, played by women to accompany song."),
    dict(id="koto", name="Koto", program=107, family="ethnic", low=50, high=86, tradition="japanese",
         description="The 13-string Japanese zither with movable bridges."),
    dict(id="shakuhachi_flute", name="Shakuhachi (end-blown)", program=77, family="pipe", low=55, high=84,
         tradition="japanese", description="The Japanese end-blown bamboo flute of Zen meditation music."),
    dict(id="sitar", name="Sitar", program=104, family="ethnic", low=48, high=84, tradition="hindustani",
         description="The long-necked plucked lute of Hindustani classical music, with sympathetic strings."),
    dict(id="tabla", name="Tabla", program=0, family="drums", low=60, high=65, is_percussion=True, tradition="hindustani",
         drum_map={"na": 63, "ge": 64, "tin": 62, "ka": 65}, description="The pair of hand drums of Hindustani music."),
    dict(id="kalimba", name="Kalimba", program=108, family="ethnic", low=60, high=88, tradition="southern_african",
         description="The lamellophone (thumb piano) of southern and eastern Africa, the mbira's cousin.", aliases=("mbira", "thumb piano")),
    dict(id="hand_drum", name="Hand drums", program=0, family="drums", low=60, high=64, is_percussion=True,
         drum_map={"low": 64, "high": 63, "mute": 62}, description="Congas and bongos played with the hands.", aliases=("congas", "bongos")),
    dict(id="bodhran", name="Bodhrán", program=0, family="drums", low=41, high=50, is_percussion=True, tradition="irish",
         drum_map={"low": 41, "high": 45, "rim": 37}, description="The Irish frame drum played with a double-headed stick.", aliases=("bodhran",)),
    dict(id="tin_whistle", name="Tin whistle", program=78, family="pipe", low=74, high=98, tradition="irish",
         description="The six-hole Irish penny whistle in D.", aliases=("penny whistle", "irish whistle")),
    dict(id="uilleann_pipes", name="Uilleann pipes", program=109, family="reed", low=62, high=86, tradition="irish",
         description="The bellows-blown bagpipes of Ireland, sweet-toned over two octaves."),
)  # fmt: skip


@lru_cache(maxsize=1)
def instrument_catalog() -> dict[str, Instrument]:
    """Every instrument by id: the 128 GM programs and the named instruments."""
    catalog = {inst.id: inst for inst in _gm_instruments()}
    for spec in _NAMED:
        inst = Instrument(**spec)
        catalog[inst.id] = inst
    return catalog


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for inst in instrument_catalog().values():
        for alias in (inst.id, inst.name.lower(), inst.id.replace("_", " "), *inst.aliases):
            index.setdefault(alias.lower(), inst.id)
    # common shorthands for GM programs
    for alias, target in {
        "piano": "acoustic_grand_piano", "grand piano": "acoustic_grand_piano", "guitar": "acoustic_guitar_nylon",
        "acoustic guitar": "acoustic_guitar_steel", "classical guitar": "acoustic_guitar_nylon",
        "electric guitar": "electric_guitar_clean", "bass": "acoustic_bass", "double bass": "contrabass",
        "upright bass": "acoustic_bass", "electric bass": "electric_bass_finger", "strings": "string_ensemble_1",
        "string quartet": "string_ensemble_1", "organ": "church_organ", "sax": "alto_sax", "saxophone": "alto_sax",
        "horn": "french_horn", "harp": "orchestral_harp", "choir": "choir_aahs", "synth": "lead_2_sawtooth",
        "pad": "pad_2_warm", "bells": "tubular_bells", "flute": "flute", "whistle": "tin_whistle",
        "fiddle": "fiddle", "pipes": "uilleann_pipes", "bagpipes": "bagpipe", "shakuhachi": "shakuhachi",
        "steel drum": "steel_drums", "steelpan": "steel_drums", "music box": "music_box",
    }.items():  # fmt: skip
        index[alias] = target
    return index


def find_instrument(name: str) -> Instrument | None:
    """Look an instrument up by id, name or alias (case-insensitive); None when unknown."""
    key = name.strip().lower()
    inst_id = _alias_index().get(key) or _alias_index().get(key.rstrip("s"))
    return instrument_catalog()[inst_id] if inst_id else None


def get_instrument(name: str) -> Instrument:
    """Like find_instrument, but raises ValueError naming the unknown instrument."""
    inst = find_instrument(name)
    if inst is None:
        raise ValueError(f"unknown instrument {name!r}")
    return inst


register_vocabulary("Instrument", lambda: ((i.id, i.description) for i in instrument_catalog().values()))
