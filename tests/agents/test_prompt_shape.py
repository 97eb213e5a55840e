"""What a small model reads: the schema as a compact sketch in the prompt (the full schema goes to the
provider as its decoding format), inputs without nulls, a grammar llama.cpp can build, and type errors
fed back with their paths."""

import json

import dspy

from musicgrammar.agents import Composer, LLMSession
from musicgrammar.agents.lm import OntologyJSONAdapter, decodable_schema, output_schema
from musicgrammar.agents.schema_sketch import sketch_schema
from musicgrammar.agents.signatures import ComposeSpec, WeaveTheme
from musicgrammar.agents.weaving import weave_brief
from musicgrammar.ontologies import CompositionSpec


def _spec(bars: int, instrument: str = "piano") -> dict:
    return {"title": "T", "key": {"tonic": "C", "mode": "major"}, "meter": "4/4", "tempo": {"bpm": 100},
            "sections": [{"id": "A", "role": "A", "bars": bars, "progression": ["C", "F", "G7", "C"][:bars] or ["C"], "cadence": "authentic"}],
            "ensemble": [{"id": "p", "instrument": instrument, "role": "lead"}]}  # fmt: skip


def test_the_sketch_names_every_required_field_of_a_design_in_a_fraction_of_the_schema():
    schema = CompositionSpec.model_json_schema()
    sketch = sketch_schema(schema)
    for name in schema["required"]:
        assert f'"{name}":' in sketch  # required: no "?" mark
    assert '"form"?:' in sketch  # has a default: may be left out
    assert '"authentic"|"plagal"' in sketch and "/^[A-G](#|b)?$/" in sketch  # cadences as values, the tonic's spelling
    assert len(sketch) < len(json.dumps(schema)) / 3


def test_the_composer_prompt_shows_the_sketch_not_the_json_schema():
    messages = OntologyJSONAdapter().format(ComposeSpec, demos=[], inputs={"brief": weave_brief("a minuet in F major"), "exemplars": [],
                                                                          "previous": None, "proposals": [], "feedback": []})  # fmt: skip
    system, user = messages[0]["content"], messages[-1]["content"]
    assert "$defs" not in system and 'sections\\": [{\\"id\\": string' in system  # (escaped inside the JSON layout)
    assert len(system) < 6000
    assert ": null" not in user.split("[[ ## brief ## ]]")[1].split("[[ ##")[0]  # unset fields are left out of the brief


def test_the_decoding_schema_drops_bounds_a_grammar_cannot_hold_and_keeps_the_rest():
    schema = output_schema(WeaveTheme)
    assert "2000" in json.dumps(schema)  # the brief's prompt may be 2,000 characters long
    decodable = json.dumps(decodable_schema(schema))
    assert '"maxLength": 2000' not in decodable and '"maxLength": 200' in decodable and '"pattern"' in decodable


def test_a_type_error_is_fed_back_with_its_path_and_the_value_given():
    too_long, unknown = _spec(5000), _spec(4, instrument="piano_bass_SIDES")
    good = _spec(4)
    lm = dspy.utils.DummyLM([{"spec": json.dumps(too_long)}, {"spec": json.dumps(unknown)}, {"spec": json.dumps(good)}], adapter=dspy.JSONAdapter())
    session = LLMSession(lm=lm, timeout_s=30, retries=2)
    out = Composer(llm=session)(brief=weave_brief("a piece in C major for piano"), exemplars=[], seed=1)
    assert out.attempts == 3 and out.spec.sections[0].bars == 4
    second = "\n".join(m["content"] for m in lm.history[1]["messages"])
    third = "\n".join(m["content"] for m in lm.history[2]["messages"])
    assert "spec.sections.0.bars: Input should be less than or equal to 512, got 5000" in second
    assert "spec.ensemble.0.instrument" in third and "piano_bass_SIDES" in third
