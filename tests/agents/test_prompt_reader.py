"""Reading prompts: explicit constraints are read exactly; impossible requests become adjustments."""

from musicgrammar.agents.prompt_reader import read_constraints
from musicgrammar.ontologies import FormType, Mode


def test_minuet_constraints_are_read_exactly():
    c = read_constraints("a minuet in 3/4, F major, 104 BPM, harpsichord alone")
    assert (str(c.key), str(c.meter), c.tempo_bpm) == ("F major", "3/4", 104.0)
    assert c.instruments == ["harpsichord"] and c.solo
    assert c.style == "minuet"


def test_no_drums_is_not_a_request_for_drums():
    c = read_constraints("no drums, a slow piece in D dorian for flute and strings")
    assert c.no_drums and c.key is not None and c.key.mode is Mode.DORIAN
    assert "drum_kit" not in c.instruments and c.adjustments == []
    assert c.tempo_bpm is not None and c.tempo_bpm < 80


def test_style_supplies_its_meter_unless_told_otherwise():
    assert str(read_constraints("a slip jig for whistle").meter) == "9/8"
    c = read_constraints("a jig in 4/4")
    assert str(c.meter) == "4/4"  # the explicit meter wins ...
    assert any(a.field == "meter" and "6/8" in a.reason for a in c.adjustments)  # ... and the report says why


def test_absurd_tempo_is_clamped_and_reported():
    c = read_constraints("5000 BPM techno")
    assert c.tempo_bpm == 320.0
    assert c.adjustments[0].field == "tempo" and "5000" in c.adjustments[0].requested


def test_impossible_meter_is_reported():
    c = read_constraints("a waltz in 3/0")
    assert str(c.meter) == "3/4"
    assert any(a.field == "meter" and "3/0" in a.requested for a in c.adjustments)


def test_language_form_duration_and_tradition():
    c = read_constraints("a Mande peace song for kora, ngoni and dunun with lyrics in Bambara, 90 seconds, ABA")
    assert c.lyrics_language == "bm" and c.tradition == "mande" and c.duration_s == 90.0
    assert c.instruments == ["kora", "ngoni", "dunun"] and c.form is FormType.TERNARY


def test_key_spellings():
    assert str(read_constraints("string quartet in E-flat major").key) == "Eb major"
    assert str(read_constraints("a lament in f# minor").key) == "F# minor"
    assert read_constraints("in A").tonic == "A"


def test_unknown_instruments_are_substituted_and_reported():
    c = read_constraints("a duet for musical saw and waterphone")
    assert c.solo and len(c.instruments) == 2
    assert {a.requested for a in c.adjustments if a.field == "instruments"} == {"musical saw", "waterphone"}
