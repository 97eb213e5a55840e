"""Soundtracks: a storyboard of timed scenes, the film's global anchor, and one cue per scene.

NarraScore's two branches in ontology form: `GlobalAnchor` holds what stays fixed for the whole
film (style, key centre, palette, tempo family, meter); each `Cue` holds the local affect of one
scene (tempo inside the family, dynamic, register, density, mode mixture, orchestration) and the
prepared transition that joins it to the next cue at the cut.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from musicgrammar.ontologies.affect import Affect, Dynamic
from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum
from musicgrammar.ontologies.rhythm import Meter
from musicgrammar.ontologies.theory import Key

__all__ = ["Scene", "Storyboard", "Transition", "GlobalAnchor", "Cue", "CuePlan", "MAX_FILM_S", "MIN_FILM_S", "MAX_SCENES"]

# The longest film scored: bounded time and memory (a 3-hour film is refused with this limit named).
MAX_FILM_S = 3600.0
# The shortest: one bar of any meter inside the tempo range.
MIN_FILM_S = 2.0
MAX_SCENES = 2000


class Scene(BaseModel):
    """One shot or scene of the film: when it runs and what it shows; affect is optional."""

    model_config = ConfigDict(extra="forbid")

    start: float = Field(ge=0.0, description="Start time in seconds.")
    end: float = Field(gt=0.0, description="End time in seconds (after start).")
    description: str = Field(default="", max_length=2000, description="What the scene shows, in words.")
    valence: float | None = Field(default=None, ge=-1.0, le=1.0, description="Requested valence; else read from the description or the pictures.")
    arousal: float | None = Field(default=None, ge=-1.0, le=1.0, description="Requested arousal; else read from the description or the pictures.")

    @model_validator(mode="after")
    def _ordered(self) -> "Scene":
        if self.end <= self.start:
            raise ValueError(f"the scene ends at {self.end:g} s, not after its start {self.start:g} s")
        return self

    @property
    def duration(self) -> float:
        return self.end - self.start


class Storyboard(BaseModel):
    """A film's title, optional style words, and its scenes in time order without overlaps."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    style: str = Field(default="", max_length=200, description="Style words for the whole film ('string quartet', 'synthwave').")
    scenes: list[Scene] = Field(min_length=1, max_length=MAX_SCENES)

    @field_validator("scenes")
    @classmethod
    def _timeline(cls, scenes: list[Scene]) -> list[Scene]:
        for index, (a, b) in enumerate(zip(scenes, scenes[1:]), start=1):
            if b.start < a.start:
                raise ValueError(f"scene {index} starts at {b.start:g} s, before scene {index - 1} ({a.start:g} s): scenes must be in time order")
            if b.start < a.end - 1e-6:
                raise ValueError(f"scene {index} starts at {b.start:g} s, before scene {index - 1} ends ({a.end:g} s): scenes overlap")
        if scenes and scenes[-1].end > MAX_FILM_S:
            raise ValueError(f"the film lasts {scenes[-1].end:g} s; the limit is {MAX_FILM_S:g} s")
        if scenes and scenes[-1].end - scenes[0].start < MIN_FILM_S:
            raise ValueError(f"the scenes span {scenes[-1].end - scenes[0].start:g} s; a soundtrack needs at least {MIN_FILM_S:g} s")
        return scenes

    @property
    def duration(self) -> float:
        return self.scenes[-1].end


@register_enum
class Transition(DescribedEnum):
    """How a cue hands over to the next one at a cut."""

    CADENCE = "cadence", "The cue closes with a cadence on the last bar before the cut; the next cue starts fresh on the downbeat."
    PICKUP = "pickup", "The cue ends on the next cue's dominant and the lead plays a pickup that lands on the cut's downbeat."
    FINAL = "final", "The last cue: a final cadence at the end of the film."


class GlobalAnchor(BaseModel):
    """What holds for the whole film (NarraScore's global semantic anchor)."""

    style: str = Field(default="", description="Style words for the film.")
    key: Key = Field(description="The key centre every cue returns to.")
    meter: Meter
    palette: list[str] = Field(description="Instrument ids of the film's ensemble (each cue plays a subset).")
    tempo_family: tuple[float, float] = Field(description="Lowest and highest cue tempo (quarter-note BPM).")
    tempo_centre: float = Field(description="The family's centre tempo, from the film's overall arousal.")
    affect: Affect = Field(description="The film's mean valence and arousal.")


class Cue(BaseModel):
    """The music of one scene: its timing, affect and the local choices that express it."""

    scene: int = Field(ge=0, description="Index of the scene (the first of the scenes it covers).")
    scenes: list[int] = Field(default_factory=list, description="All scene indices the cue covers (several when short scenes were merged).")
    section: str = Field(description="Id of the composition section that is this cue.")
    start_s: float = Field(ge=0.0)
    end_s: float = Field(gt=0.0)
    affect: Affect
    key: Key = Field(description="The cue's key: the anchor's, or its parallel mode (mode mixture).")
    tempo_bpm: float = Field(description="The cue's tempo, inside the anchor's tempo family.")
    bars: int = Field(ge=1)
    dynamic: Dynamic
    register_shift: int = Field(default=0, description="Octaves the lead moves from its home register (-1, 0, +1).")
    density: float = Field(ge=0.5, le=2.0, description="Relative accompaniment note density, 2 ** (1.5 arousal) x target tempo / tempo, within 0.5-2 (1 = as realized; 0.5 = on the beats only; 2 = every note split in half-beats).")
    parts: list[str] = Field(description="Ensemble members that play the cue (orchestration).")
    transition: Transition
    description: str = ""


class CuePlan(BaseModel):
    """The whole plan: anchor, cues in order, and what was adjusted (and why)."""

    title: str
    duration_s: float
    anchor: GlobalAnchor
    cues: list[Cue] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list, description="Adjustments to the request, one sentence each.")
