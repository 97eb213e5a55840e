"""The Harmony Critic's rules on small hand-written passages."""

from __future__ import annotations

import pytest
from critic_scores import N, block_chords, make_score, make_spec, root_bass

from musicgrammar.agents.harmony_rules import critique_harmony, diatonic_chords
from musicgrammar.ontologies import ChordQuality, ChordSymbol, Key, Severity


def _codes(critique) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in critique.findings]


# ---------------------------------------------------------------------------------------------
# Parallel fifths and octaves in the outer voices
def test_c_g_to_d_a_in_the_outer_voices_is_parallel_fifths() -> None:
    spec = make_spec([("A", "A", ["C:2 Dm:2", "C"])])
    lead = [N(67, 0, 2), N(69, 2, 2), N(72, 4, 4)]  # G4 -> A4 -> C5
    bass = [N(48, 0, 2), N(50, 2, 2), N(48, 4, 4)]  # C3 -> D3 -> C3
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "bass": bass}))
    fifths = [f for f in critique.findings if f.code == "PARALLEL_FIFTHS"]
    assert len(fifths) == 1
    assert fifths[0].path == "score.parts[0].notes[1]"  # the A4 that arrives on the fifth
    assert "G4/C3 -> A4/D3" in fifths[0].message
    assert critique.metrics["parallel_fifths"] == 1.0
    assert "PARALLEL_OCTAVES" not in _codes(critique)


def test_contrary_motion_into_a_fifth_is_not_parallel() -> None:
    spec = make_spec([("A", "A", ["C:2 G:2", "C"])])
    lead = [N(67, 0, 2), N(62, 2, 2), N(64, 4, 4)]  # G4 -> D4 (down)
    bass = [N(48, 0, 2), N(55, 2, 2), N(48, 4, 4)]  # C3 -> G3 (up): fifth to fifth in contrary motion
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "bass": bass}))
    assert "PARALLEL_FIFTHS" not in _codes(critique)


def test_doubled_line_in_octaves_is_parallel_octaves_and_dense_is_an_error() -> None:
    spec = make_spec([("A", "A", ["C", "F G", "C"])])
    tune = [72, 74, 76, 77, 79, 77, 76, 74, 72]
    lead = [N(p, i, 1) for i, p in enumerate(tune)] + [N(72, 9, 3)]
    bass = [N(p - 24, i, 1) for i, p in enumerate(tune)] + [N(48, 9, 3)]
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "bass": bass}))
    octaves = [f for f in critique.findings if f.code == "PARALLEL_OCTAVES"]
    assert len(octaves) == 8  # every move of the doubled line, the 9th is the 3-beat final (no move)
    assert all(f.severity is Severity.ERROR for f in octaves)


def test_a_single_parallel_fifth_is_a_warning() -> None:
    spec = make_spec([("A", "A", ["C:2 Dm:2", "G C"])])
    lead = [N(67, 0, 2), N(69, 2, 2), N(71, 4, 2), N(72, 6, 2)]
    bass = [N(48, 0, 2), N(50, 2, 2), N(43, 4, 2), N(36, 6, 2)]  # the bass leaps down against the rising line
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "bass": bass}))
    fifths = [f for f in critique.findings if f.code == "PARALLEL_FIFTHS"]
    assert len(fifths) == 1 and fifths[0].severity is Severity.WARNING


# ---------------------------------------------------------------------------------------------
# The leading tone at an authentic cadence
def _cadence(melody_end: int) -> list[str]:
    spec = make_spec([("A", "A", ["C", "G7", "C"])], cadences=["authentic"])
    keys = [N(p, 4, 4) for p in (55, 59, 62, 65)] + [N(p, 8, 4) for p in (55, 60, 64)]  # G-B-D-F then C-E-G
    lead = [N(72, 0, 2), N(67, 2, 2), N(74, 4, 2), N(71, 6, 2), N(melody_end, 8, 4)]  # ... D5 B4 | X
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "keys": keys, "bass": root_bass(spec)}))
    return [f.code for f in critique.findings if f.code == "LEADING_TONE_UNRESOLVED"], critique  # type: ignore[return-value]


def test_leading_tone_rising_to_the_tonic_resolves() -> None:
    codes, _ = _cadence(72)  # B4 -> C5
    assert codes == []


def test_leading_tone_falling_to_a_is_flagged_with_the_resolution_as_fix() -> None:
    codes, critique = _cadence(69)  # B4 -> A4
    assert codes == ["LEADING_TONE_UNRESOLVED"]
    finding = next(f for f in critique.findings if f.code == "LEADING_TONE_UNRESOLVED")
    assert finding.path == "score.parts[0].notes[3]"
    assert "B4" in finding.message and "C5" in finding.fix


def test_leading_tone_rule_ignores_a_plagal_close() -> None:
    spec = make_spec([("A", "A", ["C", "F", "C"])], cadences=["plagal"])
    lead = [N(72, 0, 4), N(71, 4, 4), N(69, 8, 4)]  # B over F (a clash, but no V-I)
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "bass": root_bass(spec)}))
    assert "LEADING_TONE_UNRESOLVED" not in _codes(critique)


# ---------------------------------------------------------------------------------------------
# Melody-chord clashes and reharmonization
def test_c_sharp_over_c_major_on_beat_one_clashes_and_gets_a_proposal_holding_c_sharp() -> None:
    spec = make_spec([("A", "A", ["F", "C", "G", "C"])])
    lead = [N(69, 0, 2), N(72, 2, 2), N(73, 4, 2), N(74, 6, 2), N(71, 8, 4), N(72, 12, 4)]
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "keys": block_chords(spec), "bass": root_bass(spec)}))
    clashes = [f for f in critique.findings if f.code == "MELODY_CHORD_CLASH"]
    assert len(clashes) == 1
    assert clashes[0].path == "score.parts[0].notes[2]" and "C#5" in clashes[0].message and "bar 2 beat 1" in clashes[0].message
    assert len(critique.proposals) == 1
    proposal = critique.proposals[0]
    assert (proposal.section, proposal.bar, proposal.current, proposal.source) == ("A", 2, "C", "rules")
    assert 1 in ChordSymbol.parse(proposal.proposed).pitch_classes()  # C# is a chord tone of the proposal
    assert proposal.proposed in clashes[0].fix


def test_clash_proposal_prefers_a_diatonic_chord_of_the_section_key() -> None:
    spec = make_spec([("A", "A", ["G", "C", "D", "G"])], key="G major")
    lead = [N(67, 0, 4), N(71, 4, 4), N(69, 8, 4), N(67, 12, 4)]  # B over C on beat 1: a minor second against C
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "bass": root_bass(spec)}))
    assert [f.code for f in critique.findings] == ["MELODY_CHORD_CLASH"]
    chord = ChordSymbol.parse(critique.proposals[0].proposed)
    assert 11 in chord.pitch_classes()
    assert chord.pitch_classes() <= Key.parse("G major").pitch_classes()
    assert critique.proposals[0].proposed in {c.symbol for c in diatonic_chords(Key.parse("G major"))}


def test_chromatic_or_weak_beat_notes_do_not_clash() -> None:
    spec = make_spec([("A", "A", ["C", "C"])])
    lead = [N(73, 0, 1, chromatic=True), N(72, 1, 1), N(73, 5, 1), N(72, 6, 2)]  # marked C# on 1; C# on beat 2
    critique = critique_harmony(spec, make_score(spec, {"lead": lead}))
    assert "MELODY_CHORD_CLASH" not in _codes(critique)
    assert critique.proposals == []


def test_dense_clashes_become_errors() -> None:
    spec = make_spec([("A", "A", ["C", "C", "C", "C"])])
    lead = [N(p, 4 * i, 4) for i, p in enumerate((73, 66, 72, 73))]  # C#, F# (tritone vs C), C, C#
    critique = critique_harmony(spec, make_score(spec, {"lead": lead}))
    clashes = [f for f in critique.findings if f.code == "MELODY_CHORD_CLASH"]
    assert len(clashes) == 3 and all(f.severity is Severity.ERROR for f in clashes)
    assert critique.metrics["strong_beat_clash_ratio"] == pytest.approx(0.75)
    assert len(critique.blocking) == 3


def test_metrics_come_from_harmony_metrics() -> None:
    spec = make_spec([("A", "A", ["C", "C"])])
    lead = [N(60, 0, 2), N(64, 2, 2), N(67, 4, 4)]  # all chord tones of C
    metrics = critique_harmony(spec, make_score(spec, {"lead": lead})).metrics
    assert metrics["CHE"] == 0.0 and metrics["CC"] == 1.0  # one chord throughout
    assert metrics["CTnCTR"] == 1.0 and metrics["PCS"] > 0.5
    assert {"MCTD", "CTD", "HRHE", "CBS"} <= metrics.keys()


def test_harmonizer_proposals_behind_the_flag() -> None:
    spec = make_spec([("A", "A", ["C", "C", "G", "C"])])
    lead = [N(64, 0, 4), N(65, 4, 4), N(62, 8, 4), N(60, 12, 4)]  # F over C on beat 1 of bar 2
    score = make_score(spec, {"lead": lead})
    assert all(p.source == "rules" for p in critique_harmony(spec, score).proposals)
    critique = critique_harmony(spec, score, harmonizer="rules")
    from_harmonizer = [p for p in critique.proposals if p.source == "harmonizer"]
    assert len(from_harmonizer) == 1 and from_harmonizer[0].bar == 2
    ChordSymbol.parse(from_harmonizer[0].proposed.split()[0].split(":")[0])  # a real chord symbol


def test_clean_chorale_like_passage_has_no_findings() -> None:
    spec = make_spec([("A", "A", ["C", "F", "G7", "C"])], cadences=["authentic"])
    lead = [N(64, 0, 2), N(67, 2, 2), N(65, 4, 2), N(69, 6, 2), N(67, 8, 2), N(71, 10, 2), N(72, 12, 4)]
    bass = [N(48, 0, 4), N(53, 4, 4), N(43, 8, 4), N(48, 12, 4)]
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "bass": bass}))
    assert critique.findings == [] and critique.proposals == []


def test_a_clash_on_a_cadence_chord_keeps_the_chord_root() -> None:
    spec = make_spec([("A", "A", ["C", "F", "G7", "C"])], cadences=["authentic"])
    lead = [N(64, 0, 4), N(65, 4, 4), N(67, 8, 4), N(71, 12, 4)]  # ends on B over the final C: a minor second
    critique = critique_harmony(spec, make_score(spec, {"lead": lead, "bass": root_bass(spec)}))
    assert [p.proposed for p in critique.proposals] == ["Cmaj7"]  # still I, now holding B


@pytest.mark.parametrize("quality", [q.value for q in ChordQuality])
def test_every_proposable_chord_symbol_parses_back(quality: str) -> None:
    chord = ChordSymbol.from_pitch_classes(10, quality, prefer_flats=True)
    assert ChordSymbol.parse(chord.symbol) == chord


@pytest.mark.slow
def test_trained_harmonizer_proposal_when_weights_are_installed() -> None:
    from musicgrammar.tools.harmonizer.api import WEIGHTS_DIR

    if not (WEIGHTS_DIR / "model.safetensors").exists():
        pytest.skip("harmonizer weights not installed")
    spec = make_spec([("A", "A", ["C", "C", "G", "C"])])
    lead = [N(64, 0, 4), N(65, 4, 4), N(62, 8, 4), N(60, 12, 4)]
    critique = critique_harmony(spec, make_score(spec, {"lead": lead}), harmonizer="ff", seed=3)
    assert "HARMONIZER_UNAVAILABLE" not in {f.code for f in critique.findings}
    for p in (p for p in critique.proposals if p.source == "harmonizer"):
        for token in p.proposed.split():
            ChordSymbol.parse(token.split(":")[0])
