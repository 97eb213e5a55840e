"""Four-part (SATB) writing: voicing under a soprano and the voice-leading rules that check it."""

from __future__ import annotations

from musicgrammar.agents.harmony_rules import critique_harmony
from musicgrammar.agents.planning import PlanningContext, plan_composition
from musicgrammar.agents.weaving import weave_brief
from musicgrammar.ontologies import Cadence, CompositionSpec, EnsembleMember, Key, Meter, Note, Section, Tempo, chord_timeline, get_instrument
from musicgrammar.tools.four_part import VOICES, check_four_parts, voice_four_parts
from musicgrammar.tools.realize import realize

C = Key.parse("C major")
FOUR = Meter.parse("4/4")


def _n(pitches: list[int], length: float = 1.0) -> list[Note]:
    return [Note(pitch=p, start=k * length, duration=length) for k, p in enumerate(pitches)]


def test_i_iv_v7_i_under_a_soprano_is_voiced_by_the_rules() -> None:
    spec = CompositionSpec(
        title="cadence", key=C, meter=FOUR, tempo=Tempo(bpm=80),
        sections=[Section(id="A", role="A", bars=1, progression=["C:1 F:1 G7:1 C:1"], cadence=Cadence.AUTHENTIC)],
        ensemble=[EnsembleMember(id=v, instrument=v, role=r) for v, r in zip(VOICES, ("lead", "harmony", "harmony", "bass"))],
    )  # fmt: skip
    soprano = _n([72, 72, 71, 72])  # C5 C5 B4 C5: the leading tone rises home
    alto, tenor, bass = voice_four_parts(soprano, chord_timeline(spec), FOUR, C, 4.0)
    sampled = [[next(n.pitch for n in v if n.start <= t < n.end) for v in (soprano, alto, tenor, bass)] for t in range(4)]
    assert [voicing[3] % 12 for voicing in sampled] == [0, 5, 7, 0]  # the roots in the bass
    for voicing, pcs in zip(sampled, ({0, 4, 7}, {5, 9, 0}, {7, 11, 2, 5}, {0, 4, 7})):
        assert {p % 12 for p in voicing} <= pcs and len({p % 12 for p in voicing} & pcs) >= 3  # root, third (and fifth) present
        assert voicing == sorted(voicing, reverse=True)  # no crossing
    assert check_four_parts([soprano, alto, tenor, bass], C, FOUR) == []


def test_the_rules_find_parallels_crossing_spacing_and_an_unresolved_leading_tone() -> None:
    soprano, alto, tenor = _n([79, 81]), _n([64, 65]), _n([60, 62])
    bass = _n([48, 50])  # C-G in bass and soprano, then D-A: parallel fifths (and octaves bass/tenor)
    codes = {f.code for f in check_four_parts([soprano, alto, tenor, bass], C, FOUR)}
    assert {"PARALLEL_FIFTHS", "PARALLEL_OCTAVES", "SPACING"} <= codes
    crossing = check_four_parts([_n([64]), _n([67]), _n([55]), _n([48])], C, FOUR)
    assert [f.code for f in crossing] == ["VOICE_CROSSING"]
    # B4 over a G bass falls to G4 over the C bass in the soprano: the leading tone is left hanging
    hanging = check_four_parts([_n([71, 67]), _n([67, 64]), _n([62, 60]), _n([43, 48])], C, FOUR)
    assert [(f.code, f.voices, f.bar) for f in hanging] == [("LEADING_TONE_UNRESOLVED", ("soprano",), 1)]


def test_a_four_voice_chorale_prompt_gives_four_real_voices_in_range() -> None:
    spec = plan_composition(weave_brief("a four-voice chorale in the style of Bach"), PlanningContext(seed=2))
    score = realize(spec, seed=2)
    assert [p.instrument for p in score.parts] == list(VOICES)
    for part in score.parts:
        inst = get_instrument(part.instrument)
        assert part.notes and all(inst.low <= n.pitch <= inst.high for n in part.notes)
    critique = critique_harmony(spec, score)
    assert "four_part_parallel_fifths" in critique.metrics
    # the lower voices move together with the soprano's beats: one chord per felt beat at most
    assert critique.metrics["four_part_parallel_fifths"] + critique.metrics["four_part_parallel_octaves"] <= 2
