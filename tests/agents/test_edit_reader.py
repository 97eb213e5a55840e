"""The Edit Reader: requests read into typed edits by rule, and the LLM strategy's edits checked by
applying them (an edit that does not apply is retried with the error fed back)."""

import json

import dspy

from musicgrammar.agents.edit_reader import EditReader, TurnKind, read_request
from musicgrammar.ontologies import CompositionSpec, Key, Mode
from musicgrammar.ontologies.edit import apply_edits


def _spec() -> CompositionSpec:
    return CompositionSpec.model_validate({
        "title": "Test", "key": {"tonic": "C", "mode": "major"}, "meter": "4/4", "tempo": {"bpm": 100},
        "sections": [{"id": "A", "role": "A", "bars": 4, "progression": ["C", "Am7", "G7", "C"], "cadence": "authentic"},
                     {"id": "B", "role": "B", "bars": 4, "progression": ["F", "Dm", "G", "C"], "cadence": "authentic"},
                     {"id": "coda", "role": "coda", "bars": 2, "progression": ["G7", "C"], "cadence": "authentic"}],
        "ensemble": [{"id": "piano", "instrument": "piano", "role": "lead"}, {"id": "drums", "instrument": "drum_kit", "role": "percussion"}],
    })  # fmt: skip


def _apply(text: str) -> CompositionSpec:
    reading = read_request(text, _spec())
    assert reading.kind == TurnKind.EDIT and not reading.refusal, reading.refusal
    return apply_edits(_spec(), reading.edits)


def test_keys_chords_and_cadences_follow_a_transposition():
    spec = _apply("transpose it to A minor")
    assert spec.key == Key(tonic="A", mode=Mode.MINOR)
    assert spec.sections[0].progression == ["Am", "F", "E7", "Am"]  # I vi V7 I -> i VI V7 i (V major in minor)
    assert _apply("transpose up 2 semitones").sections[1].progression == ["G", "Em", "A", "D"]


def test_simpler_chords_drop_sevenths_and_no_drums_removes_the_kit():
    assert _apply("simpler chords in the A section").sections[0].progression == ["C", "Am", "G", "C"]
    assert [m.id for m in _apply("no drums").ensemble] == ["piano"]


def test_dropping_the_last_section_closes_the_piece_on_the_tonic():
    spec = _apply("drop the coda")
    assert [s.id for s in spec.sections] == ["A", "B"] and spec.sections[-1].progression[-2:] == ["G", "C"]


def test_requests_that_cannot_apply_say_why():
    assert "no Trumpet" in read_request("make the trumpet louder", _spec()).refusal
    assert "no bridge section" in read_request("drop the bridge", _spec()).refusal
    assert "bars 1-10" in read_request("reharmonize bar 40", _spec()).refusal
    assert read_request("undo", _spec()).kind == TurnKind.UNDO
    assert read_request("export midi out.mid", _spec()).argument == "midi out.mid"


def test_llm_edits_are_applied_and_retried_on_error():
    bad = [{"op": "set", "path": "sections[7].dynamic", "value": "f", "reason": "louder"}]
    good = [{"op": "set", "path": "sections[1].dynamic", "value": "f", "reason": "the B section louder"}]
    lm = dspy.utils.DummyLM([{"edits": json.dumps(bad)}, {"edits": json.dumps(good)}], adapter=dspy.JSONAdapter())
    out = EditReader(lm=lm, retries=2)(request="let the second part swell", spec=_spec())
    assert out.attempts == 2 and out.reading.edits[0].path == "sections[1].dynamic"
    assert apply_edits(_spec(), out.reading.edits).sections[1].dynamic.value == "f"
    assert "sections[7]" in json.dumps(lm.history[-1]["messages"])


def test_questions_about_the_sound_are_told_from_questions_about_the_design():
    for question in ("what tempo does it sound like?", "how many voices can you hear?", "does it sound like any chorale?",
                     "what key does it sound in?", "which tune does it remind you of?"):  # fmt: skip
        reading = read_request(question, _spec())
        assert reading.kind == TurnKind.LISTEN and reading.argument == question and not reading.edits, question
    assert read_request("what key is it in?", _spec()).kind == TurnKind.QUESTION
    assert read_request("make it sound darker", _spec()).kind == TurnKind.EDIT  # not a question: an edit
