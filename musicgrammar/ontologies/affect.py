"""Affect (valence/arousal), dynamics and the mood vocabulary the engine maps imagery onto."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from musicgrammar.ontologies.lexicon import DescribedEnum, register_enum

__all__ = ["Affect", "Dynamic", "Mood"]


class Affect(BaseModel):
    """A point in the valence-arousal plane, both in [-1, 1]."""

    model_config = ConfigDict(frozen=True)

    valence: float = Field(default=0.0, ge=-1.0, le=1.0, description="Negative (sad, dark) to positive (happy, bright).")
    arousal: float = Field(default=0.0, ge=-1.0, le=1.0, description="Calm (low energy) to excited (high energy).")


@register_enum
class Dynamic(DescribedEnum):
    """Dynamic markings, from softest to loudest, each with a MIDI velocity."""

    PP = "pp", "Pianissimo: very soft, intimate, barely there."
    P = "p", "Piano: soft and gentle."
    MP = "mp", "Mezzo-piano: moderately soft."
    MF = "mf", "Mezzo-forte: moderately loud, the normal speaking voice of music."
    F = "f", "Forte: loud and strong."
    FF = "ff", "Fortissimo: very loud, a climax."

    @property
    def velocity(self) -> int:
        return {"pp": 36, "p": 50, "mp": 64, "mf": 78, "f": 94, "ff": 110}[self.value]

    @classmethod
    def for_arousal(cls, arousal: float) -> "Dynamic":
        """Map arousal in [-1, 1] onto the six dynamics."""
        index = min(5, max(0, int(round((arousal + 1.0) / 2.0 * 5))))
        return list(cls)[index]


@register_enum
class Mood(DescribedEnum):
    """Moods the engine recognises in a prompt, each placed in the valence-arousal plane."""

    JOYFUL = "joyful", "Happy, celebratory and bright: dancing, sunshine, festivals."
    SERENE = "serene", "Calm, peaceful and content: still water, dawn, rest."
    TENDER = "tender", "Gentle, loving and intimate: a lullaby, a quiet embrace."
    MELANCHOLY = "melancholy", "Sad, wistful and reflective: loss, rain, farewell."
    DARK = "dark", "Gloomy, heavy and ominous: night, caves, depths, shadow."
    MYSTERIOUS = "mysterious", "Strange, curious and uncertain: the unknown, glowing secrets, fog."
    EERIE = "eerie", "Unsettling and uncanny: ghosts, empty places, the alien."
    TENSE = "tense", "Anxious, suspenseful and restless: danger, conflict about to break."
    AGGRESSIVE = "aggressive", "Fierce, violent and driving: battle, competition, predators."
    TRIUMPHANT = "triumphant", "Victorious, heroic and grand: a summit reached, a parade."
    PLAYFUL = "playful", "Light, mischievous and bouncy: games, animals, children."
    ETHEREAL = "ethereal", "Airy, luminous and weightless: light, stars, bioluminescence, dreams."
    NOSTALGIC = "nostalgic", "Bittersweet longing for the past: memories, old photographs."
    SOLEMN = "solemn", "Grave, dignified and devotional: hymns, rituals, remembrance."
    ENERGETIC = "energetic", "Fast, busy and exciting: chases, machines, swarming life."
    HOPEFUL = "hopeful", "Rising, optimistic and warm: reconciliation, peace, a new day."

    @property
    def affect(self) -> Affect:
        valence, arousal = _MOOD_VA[self]
        return Affect(valence=valence, arousal=arousal)


_MOOD_VA: dict[Mood, tuple[float, float]] = {
    Mood.JOYFUL: (0.8, 0.6),
    Mood.SERENE: (0.5, -0.6),
    Mood.TENDER: (0.5, -0.4),
    Mood.MELANCHOLY: (-0.6, -0.4),
    Mood.DARK: (-0.6, 0.1),
    Mood.MYSTERIOUS: (-0.1, -0.1),
    Mood.EERIE: (-0.5, 0.0),
    Mood.TENSE: (-0.4, 0.6),
    Mood.AGGRESSIVE: (-0.5, 0.9),
    Mood.TRIUMPHANT: (0.8, 0.8),
    Mood.PLAYFUL: (0.6, 0.5),
    Mood.ETHEREAL: (0.3, -0.5),
    Mood.NOSTALGIC: (-0.1, -0.4),
    Mood.SOLEMN: (-0.2, -0.5),
    Mood.ENERGETIC: (0.4, 0.9),
    Mood.HOPEFUL: (0.6, 0.2),
}
