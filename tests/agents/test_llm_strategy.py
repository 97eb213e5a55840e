"""The LLM strategy, with dspy's DummyLM: answers parse into ontology types, and an answer that fails
validation is retried with its findings."""

import json

import dspy
import pytest

from musicgrammar.agents import Composer
from musicgrammar.agents.lm import predict
from musicgrammar.agents.signatures import ComposeSpec
from musicgrammar.agents.weaving import weave_brief
from musicgrammar.errors import ProviderUnavailableError
from musicgrammar.ontologies import CompositionSpec


def _spec(progression_a: list[str]) -> dict:
    return {
        "title": "Test", "key": {"tonic": "C", "mode": "major"}, "meter": "4/4", "tempo": {"bpm": 100},
        "sections": [{"id": "A", "role": "A", "bars": 4, "progression": progression_a, "cadence": "authentic"}],
        "ensemble": [{"id": "piano", "instrument": "piano", "role": "lead"}],
    }  # fmt: skip


def test_answer_parses_into_a_composition_spec():
    lm = dspy.utils.DummyLM([{"spec": json.dumps(_spec(["C", "F", "G7", "C"]))}], adapter=dspy.JSONAdapter())
    out = predict(ComposeSpec, lm, brief=weave_brief("a piece in C major"), exemplars=[], feedback=[])
    assert isinstance(out.spec, CompositionSpec)
    assert [str(c) for c in out.spec.sections[0].progression] == ["C", "F", "G7", "C"]


def test_invalid_answer_is_retried_with_its_findings():
    bad = _spec(["C", "F", "", "C"])  # bar 3 empty, and no V-I at the end
    good = _spec(["C", "F", "G7", "C"])
    lm = dspy.utils.DummyLM([{"spec": json.dumps(bad)}, {"spec": json.dumps(good)}], adapter=dspy.JSONAdapter())
    out = Composer(lm=lm, retries=2)(brief=weave_brief("a piece in C major for piano"), exemplars=[], seed=1)
    assert out.attempts == 2
    assert out.spec.sections[0].progression[2] == "G7"
    second_prompt = json.dumps(lm.history[-1]["messages"])
    assert "HARMONY_BAR_EMPTY" in second_prompt and "sections[0].progression[2]" in second_prompt


def test_explicit_constraints_are_enforced_on_llm_output():
    answer = _spec(["C", "F", "G7", "C"])
    lm = dspy.utils.DummyLM([{"spec": json.dumps(answer)}], adapter=dspy.JSONAdapter())
    out = Composer(lm=lm)(brief=weave_brief("a piece at 72 BPM for flute"), exemplars=[], seed=1)
    assert out.spec.tempo.bpm == 72.0
    assert "flute" in {m.instrument for m in out.spec.ensemble}


def test_unreachable_provider_is_one_clear_error():
    lm = dspy.LM("openai/gpt-4o-mini", api_base="http://127.0.0.1:9/v1", api_key="x", num_retries=0, timeout=2)
    with pytest.raises(ProviderUnavailableError, match="openai/gpt-4o-mini"):
        predict(ComposeSpec, lm, brief=weave_brief("x"), exemplars=[], feedback=[])


def test_theme_weaver_llm_keeps_the_explicit_constraints():
    from musicgrammar.agents import ThemeWeaver

    answer = {"title": "Night Market", "imagery": ["lanterns"], "moods": ["joyful"], "palette": ["flute"],
              "constraints": {"tempo_bpm": 60, "meter": "4/4"}}  # fmt: skip
    lm = dspy.utils.DummyLM([{"brief": json.dumps(answer)}], adapter=dspy.JSONAdapter())
    brief = ThemeWeaver(lm=lm)(prompt="a night market waltz at 132 BPM").brief
    assert brief.title == "Night Market" and brief.imagery == ["lanterns"]  # the model's creative choices ...
    assert brief.constraints.tempo_bpm == 132.0 and str(brief.constraints.meter) == "3/4"  # ... never its constraints
    lexicon_prompt = json.dumps(lm.history[-1]["messages"])
    assert "ethereal" in lexicon_prompt and "kora" in lexicon_prompt  # the lexicon is what the model reads


def test_librarian_llm_cannot_invent_an_exemplar():
    from musicgrammar.agents import Librarian
    from musicgrammar.agents.weaving import weave_brief

    lm = dspy.utils.DummyLM([{"chosen_ids": json.dumps(["invented/bwv9999"]), "facts": json.dumps(["made up"])}],
                            adapter=dspy.JSONAdapter())  # fmt: skip
    out = Librarian(lm=lm)(brief=weave_brief("a slow minor-key Lutheran hymn"))
    assert out.grounded and all(not e.id.startswith("invented/") for e in out.exemplars)
    assert "made up" not in out.facts
