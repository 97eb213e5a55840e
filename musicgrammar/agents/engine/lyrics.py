"""Lines for the sung sections, syllabified for the melody."""

from __future__ import annotations

from musicgrammar.ontologies import (
    Brief,
    LyricLine,
    Lyrics,
    Section,
    SectionRole,
    split_syllables,
)

__all__ = ["plan_lyrics"]


def plan_lyrics(brief: Brief, sections: list[Section]) -> Lyrics:
    """Lines for the sung sections. English lines are made from the prompt's own words; other
    languages get vocables (la, na, e) as placeholders for the co-creators' words."""
    language = brief.constraints.lyrics_language or "en"
    phrases = brief.imagery or [brief.title]
    sung = [s for s in sections if s.role not in (SectionRole.INTRO, SectionRole.OUTRO, SectionRole.INTERLUDE, SectionRole.CODA)]
    lines = []
    for index, section in enumerate(sung):
        # about one and a half syllables per bar, so the melody can carry them
        budget = max(4, int(section.bars * 1.5))
        words: list[str] = []
        if language == "en":
            source = " ".join(phrases[(index + k) % len(phrases)] for k in range(3)).split()
            for word in source:  # whole words, as long as their syllables fit the budget
                if len(split_syllables(" ".join(words + [word]))) > budget:
                    break
                words.append(word)
        if words:
            text = " ".join(words)
            syllables = split_syllables(text)
        else:
            syllables = [("la", "na", "e", "yo")[k % 4] for k in range(budget)]
            text = " ".join(syllables)
        lines.append(LyricLine(section=section.id, text=text, syllables=syllables))
    return Lyrics(language=language, theme=brief.lyric_theme or brief.title, lines=lines)
