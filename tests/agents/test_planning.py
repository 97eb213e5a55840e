"""The offline engine's plans honour the prompt and are real music."""

import pytest

from musicgrammar.agents.planning import PlanningContext, diatonic_chord, plan_composition
from musicgrammar.agents.weaving import weave_brief
from musicgrammar.ontologies import Composition, Key, Role, chord_timeline, get_instrument, parse_bar, validate_composition
from musicgrammar.tools.realize import realize


def _plan(prompt: str, seed: int = 3):
    spec = plan_composition(weave_brief(prompt), PlanningContext(seed=seed))
    score = realize(spec, seed=seed)
    return spec, score


def test_diatonic_chords_of_c_major_and_a_minor():
    c = Key.parse("C major")
    assert [diatonic_chord(c, d).symbol for d in range(1, 8)] == ["C", "Dm", "Em", "F", "G", "Am", "Bdim"]
    a = Key.parse("A minor")
    assert diatonic_chord(a, 5).symbol == "Em" and diatonic_chord(a, 5, dominant_major=True).symbol == "E"
    assert diatonic_chord(Key.parse("D dorian"), 4).symbol == "G"  # Dorian's major IV


def test_minuet_in_f_for_harpsichord_alone():
    spec, score = _plan("a minuet in 3/4, F major, 104 BPM, harpsichord alone")
    assert (str(spec.key), str(spec.meter), spec.tempo.bpm) == ("F major", "3/4", 104.0)
    assert {m.instrument for m in spec.ensemble} == {"harpsichord"}
    assert validate_composition(Composition(spec=spec, score=score)).valid


def test_no_drums_means_no_percussion_part():
    spec, score = _plan("no drums, an energetic piece for piano, guitar and bass")
    assert not any(get_instrument(m.instrument).is_percussion for m in spec.ensemble)
    assert not any(p.is_drum for p in score.parts)


def test_polka_in_two_four_in_a_major():
    spec, _ = _plan("a polka in 2/4 in A major")
    assert (str(spec.key), str(spec.meter)) == ("A major", "2/4")


def test_final_cadence_is_authentic_in_major():
    spec, _ = _plan("a cheerful march in G major")
    last = spec.sections[-1]
    chords = [s.chord for text in last.progression for s in parse_bar(text)]
    assert chords[-1].symbol == "G" and chords[-2].root == "D"  # V - I


def test_melody_sits_on_chord_tones_at_downbeats():
    spec, score = _plan("a gentle waltz in C major for flute and piano")
    slots = chord_timeline(spec)
    lead = next(p for p in score.parts if p.role is Role.LEAD)
    bar = spec.meter.bar_quarters
    downbeats = [n for n in lead.notes if abs(n.start % bar) < 1e-6]
    on_chord = 0
    for note in downbeats:
        slot = max((s for s in slots if s.onset <= note.start + 1e-6), key=lambda s: s.onset)
        on_chord += note.pitch % 12 in slot.chord.pitch_classes()
    assert on_chord / len(downbeats) >= 0.8


def test_target_duration_is_met_within_ten_percent():
    spec, score = _plan("a tender lullaby, 30 seconds long")
    assert abs(spec.duration_seconds - 30.0) <= 3.0 and score.duration_seconds == pytest.approx(spec.duration_seconds)


def test_same_seed_same_piece_and_different_prompts_differ():
    a1, s1 = _plan("storm over the northern sea", seed=5)
    a2, s2 = _plan("storm over the northern sea", seed=5)
    assert a1 == a2 and s1 == s2
    b, _ = _plan("a playful polka for accordion and tuba in 2/4", seed=5)
    assert (str(b.key), str(b.meter), [m.instrument for m in b.ensemble]) != (str(a1.key), str(a1.meter), [m.instrument for m in a1.ensemble])


def test_mande_piece_follows_its_tradition():
    spec, score = _plan("a Mande piece for kora, ngoni and dunun")
    assert spec.tradition == "mande" and spec.key.mode.value.startswith("mande") or spec.key.mode.value.endswith("pentatonic")
    report = validate_composition(Composition(spec=spec, score=score))
    assert report.valid and "TRADITION_TIMELINE" not in report.codes


def test_motifs_return_and_develop():
    spec, _ = _plan("a hopeful theme in D major for violin and piano")
    techniques = {u.technique.value for u in spec.motif_plan}
    assert {"repeat", "sequence"} <= techniques
    sections_with_m1 = {u.section for u in spec.motif_plan if u.motif == "m1"}
    assert len(sections_with_m1) >= 2  # the main idea comes back
