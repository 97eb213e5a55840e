"""The Theme Weaver's offline strategy: prompt -> `Brief` (title, imagery, moods, affect arc, palette)."""

from __future__ import annotations

import re

from musicgrammar.agents.prompt_reader import MAX_PROMPT_CHARS, read_constraints, read_moods, split_request, vocabulary_words
from musicgrammar.ontologies import Affect, Brief, Constraints, Mood, get_tradition
from musicgrammar.ontologies.knowledge import mood_palettes, style

__all__ = ["weave_brief", "affect_arc"]

_STOPWORDS = {
    "a", "an", "the", "in", "of", "for", "and", "with", "to", "on", "at", "by", "from", "about", "into", "that",
    "this", "is", "are", "be", "piece", "music", "song", "tune", "some", "please", "write", "make", "compose",
    "me", "my", "your", "our", "it", "its", "as", "like", "very", "bpm", "major", "minor", "alone", "solo",
    "ignore", "previous", "instructions", "all", "you", "now", "system", "prompt", "instead", "just", "only",
}  # fmt: skip
_MOOD_PALETTE = {
    Mood.JOYFUL: "bright", Mood.PLAYFUL: "bright", Mood.TRIUMPHANT: "energetic", Mood.ENERGETIC: "energetic",
    Mood.AGGRESSIVE: "energetic", Mood.TENSE: "dark", Mood.DARK: "dark", Mood.EERIE: "ethereal",
    Mood.MYSTERIOUS: "ethereal", Mood.ETHEREAL: "ethereal", Mood.SERENE: "tender", Mood.TENDER: "tender",
    Mood.MELANCHOLY: "tender", Mood.NOSTALGIC: "tender", Mood.SOLEMN: "dark", Mood.HOPEFUL: "bright",
}  # fmt: skip


def affect_arc(base: Affect, sections: int = 5) -> list[Affect]:
    """A rise-climax-resolve arc around the piece's affect: calmer start, peak at two thirds, settle."""
    shape = [-0.35, -0.1, 0.25, 0.35, -0.2][:sections] if sections <= 5 else [
        -0.35 + 0.7 * min(i / (sections * 0.66), 1.0) - (0.55 if i >= sections * 0.8 else 0.0) for i in range(sections)
    ]  # fmt: skip
    clamp = lambda x: max(-1.0, min(1.0, x))  # noqa: E731
    return [Affect(valence=clamp(base.valence + 0.1 * s), arousal=clamp(base.arousal + s)) for s in shape]


def _content_words(prompt: str) -> list[str]:
    """The prompt's words that are imagery, not grammar (instruments, keys, tempi, forms are dropped)."""
    vocab = vocabulary_words()
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", prompt[:MAX_PROMPT_CHARS]) if w.lower() not in _STOPWORDS]
    # a hyphenated word of grammar ('whole-tone', 'four-part') is grammar too
    return [w for w in words if not all(p in vocab for p in w.lower().split("-")) and not re.fullmatch(r"[A-G][b#]?", w)]


def _title(prompt: str, constraints: Constraints) -> str:
    words = _content_words(prompt)
    if words:
        return " ".join(w.capitalize() for w in words[:5])[:80]
    head = (constraints.style or "study").title()
    key = constraints.key or (constraints.tonic and f"{constraints.tonic}")
    return f"{head} in {key}" if key else head


def _imagery(prompt: str) -> list[str]:
    """Short noun phrases of the prompt: its pictures, for the brief and for English lyrics."""
    text = re.sub(r"\s+", " ", prompt[:MAX_PROMPT_CHARS])
    chunks = re.split(r"[,.;:!?]| and | with | in a | in an | in the | of the ", text)
    pictures = []
    for chunk in chunks:
        words = [w for w in _content_words(chunk) if len(w) > 2]
        if words and not re.search(r"\d", chunk):
            pictures.append(" ".join(words[:4]).lower())
    return pictures[:6]


def weave_brief(prompt: str, overrides: Constraints | None = None) -> Brief:
    """Read the prompt into a brief. `overrides` (from a scripted run) win over the prompt."""
    constraints = read_constraints(prompt)
    music = split_request(prompt).music  # imagery, moods and the title come from the music request only
    if overrides is not None:
        data = constraints.model_dump(exclude_unset=True)
        data.update(overrides.model_dump(exclude_unset=True, exclude={"adjustments"}))
        data["adjustments"] = constraints.adjustments + overrides.adjustments
        constraints = Constraints.model_validate(data)
    scored = read_moods(music) if music.strip() else [(Mood.SERENE, 1.0)]
    named = style(constraints.style)
    if named is not None and named.mood is not None:  # a named dance carries its own character
        scored = [(named.mood, 1.0)] + [(m, s) for m, s in scored if m is not named.mood][:2]
    moods = [m for m, _ in scored]
    weights = [max(0.05, s) for _, s in scored]
    valence = sum(m.affect.valence * w for m, w in zip(moods, weights)) / sum(weights)
    arousal = sum(m.affect.arousal * w for m, w in zip(moods, weights)) / sum(weights)
    if constraints.tempo_bpm is not None:  # an explicit tempo says how much energy the piece has
        arousal = 0.5 * arousal + 0.5 * max(-1.0, min(1.0, (constraints.tempo_bpm - 100) / 60))
    palette_name = _MOOD_PALETTE.get(moods[0], "bright")
    palette = list(named.palette if named is not None else ()) + list(mood_palettes()[palette_name])
    if constraints.tradition:
        palette = list(get_tradition(constraints.tradition).instruments) + palette
    palette = list(dict.fromkeys(palette))  # first mention wins
    return Brief(
        title=_title(music, constraints),
        prompt=prompt[:MAX_PROMPT_CHARS],
        imagery=_imagery(music),
        moods=moods,
        affect_arc=affect_arc(Affect(valence=max(-1, min(1, valence)), arousal=max(-1, min(1, arousal)))),
        palette=palette,
        tradition=constraints.tradition,
        lyric_theme=", ".join(_imagery(music)[:2]),
        constraints=constraints,
    )
