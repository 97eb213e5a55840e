"""The LLM strategy of every agent, with dspy's DummyLM: answers parse into ontology types, every answer
is checked by the grammar and retried with its findings, measured facts are kept, a failing agent falls
back alone, and the engine and LLM strategies return the same types."""

import json

import dspy
import pytest

from musicgrammar.agents import AestheticsJudge, Composer, HarmonyCritic, Librarian, LLMSession, ThemeWeaver
from musicgrammar.agents.composer import ComposerOutput
from musicgrammar.agents.lm import LLMOutputError, OntologyJSONAdapter, call_checked, make_lm, output_schema
from musicgrammar.agents.signatures import ComposeSpec, JudgeAesthetics
from musicgrammar.agents.weaving import weave_brief
from musicgrammar.errors import ProviderUnavailableError
from musicgrammar.ontologies import CompositionSpec, Finding, Reharmonization, Verdict
from musicgrammar.tools.realize import realize


def _spec(progression_a: list[str]) -> dict:
    return {
        "title": "Test", "key": {"tonic": "C", "mode": "major"}, "meter": "4/4", "tempo": {"bpm": 100},
        "sections": [{"id": "A", "role": "A", "bars": 4, "progression": progression_a, "cadence": "authentic"}],
        "ensemble": [{"id": "piano", "instrument": "piano", "role": "lead"}],
    }  # fmt: skip


def _session(answers: list[dict], fallback: bool = False, retries: int = 2) -> LLMSession:
    return LLMSession(lm=dspy.utils.DummyLM(answers, adapter=dspy.JSONAdapter()), timeout_s=30, retries=retries, fallback_local=fallback)


def _prompts(session: LLMSession) -> list[str]:
    return ["\n".join(m["content"] for m in entry["messages"]) for entry in session.lm.history]


def test_answer_parses_into_a_composition_spec():
    session = _session([{"spec": json.dumps(_spec(["C", "F", "G7", "C"]))}])
    out = Composer(llm=session)(brief=weave_brief("a piece in C major for piano"), exemplars=[], seed=1)
    assert isinstance(out, ComposerOutput) and out.strategy == "llm" and out.attempts == 1
    assert [str(c) for c in out.spec.sections[0].progression] == ["C", "F", "G7", "C"]  # a I-IV-V7-I in C


def test_invalid_answer_is_retried_with_its_findings():
    bad = _spec(["C", "F", "", "C"])  # bar 3 empty, and no V-I at the end
    session = _session([{"spec": json.dumps(bad)}, {"spec": json.dumps(_spec(["C", "F", "G7", "C"]))}])
    out = Composer(llm=session)(brief=weave_brief("a piece in C major for piano"), exemplars=[], seed=1)
    assert out.attempts == 2 and session.calls[-1].attempts == 2
    assert out.spec.sections[0].progression[2] == "G7"
    second_prompt = _prompts(session)[-1]
    assert "HARMONY_BAR_EMPTY" in second_prompt and "sections[0].progression[2]" in second_prompt


def test_unparsable_answer_is_retried_with_the_parse_error():
    session = _session([{"spec": '{"title": "no key, no meter"}'}, {"spec": json.dumps(_spec(["C", "F", "G7", "C"]))}])
    out = Composer(llm=session)(brief=weave_brief("a piece in C major"), exemplars=[], seed=1)
    assert out.attempts == 2 and "LLM_UNPARSABLE" in _prompts(session)[-1]


def test_revision_pass_sees_the_previous_design_the_findings_and_the_proposals():
    previous = CompositionSpec.model_validate(_spec(["C", "Am", "G7", "C"]))
    proposal = Reharmonization(section="A", bar=2, current="Am", proposed="F", reason="the melody's F clashes with Am")
    finding = Finding(code="HARMONY_CLASH", severity="warning", path="spec.sections[0].progression[1]", message="F against Am")
    session = _session([{"spec": json.dumps(_spec(["C", "F", "G7", "C"]))}])
    out = Composer(llm=session)(brief=weave_brief("a piece in C major"), exemplars=[], seed=1, previous=previous,
                                feedback=[finding], proposals=[proposal])  # fmt: skip
    prompt = _prompts(session)[-1]
    assert "the melody's F clashes with Am" in prompt and "HARMONY_CLASH" in prompt and '"Am"' in prompt
    assert str(out.spec.sections[0].progression[1]) == "F"


def test_explicit_constraints_are_enforced_on_llm_output():
    session = _session([{"spec": json.dumps(_spec(["C", "F", "G7", "C"]))}])
    out = Composer(llm=session)(brief=weave_brief("a piece at 72 BPM for flute"), exemplars=[], seed=1)
    assert out.spec.tempo.bpm == 72.0
    assert "flute" in {m.instrument for m in out.spec.ensemble}


def test_a_lone_object_is_taken_as_the_one_output_field():
    adapter = OntologyJSONAdapter()
    parsed = adapter.parse(ComposeSpec, "Here it is: " + json.dumps(_spec(["C", "F", "G7", "C"])) + " Enjoy.")
    assert parsed["spec"].key.tonic == "C"


def test_output_schema_is_the_ontology_schema_of_the_answer():
    schema = output_schema(JudgeAesthetics)
    assert schema["required"] == ["verdict", "reasons", "findings"]
    verdict = schema["$defs"]["Verdict"]
    assert set(verdict["enum"]) == {"accept", "revise", "reject"}
    assert "CompositionSpec" in output_schema(ComposeSpec)["$defs"]


def test_unreachable_provider_is_one_clear_error():
    session = LLMSession(lm=make_lm("openai/gpt-4o-mini", api_base="http://127.0.0.1:9/v1", timeout_s=5), timeout_s=5)
    with pytest.raises(ProviderUnavailableError, match="openai/gpt-4o-mini"):
        call_checked(session, "composer", dspy.Predict(ComposeSpec), lambda a: [], brief=weave_brief("x"), exemplars=[],
                     previous=None, proposals=[], feedback=[])  # fmt: skip
    assert session.unavailable is not None


def test_theme_weaver_llm_keeps_the_explicit_constraints():
    answer = {"title": "Night Market", "imagery": ["lanterns"], "moods": ["joyful"], "palette": ["flute"],
              "constraints": {"tempo_bpm": 60, "meter": "4/4"}}  # fmt: skip
    session = _session([{"brief": json.dumps(answer)}])
    out = ThemeWeaver(llm=session)(prompt="a night market waltz at 132 BPM")
    brief = out.brief
    assert out.strategy == "llm" and brief.title == "Night Market" and brief.imagery == ["lanterns"]  # the model's creative choices ...
    assert brief.constraints.tempo_bpm == 132.0 and str(brief.constraints.meter) == "3/4"  # ... never its constraints
    lexicon_prompt = _prompts(session)[-1]
    assert "ethereal" in lexicon_prompt and "kora" in lexicon_prompt  # the lexicon is what the model reads


def test_theme_weaver_rejects_an_instrument_outside_the_lexicon():
    bad = {"title": "T", "palette": ["theremin-of-doom"]}
    good = {"title": "T", "palette": ["violin"]}
    session = _session([{"brief": json.dumps(bad)}, {"brief": json.dumps(good)}])
    brief = ThemeWeaver(llm=session)(prompt="a quiet evening").brief
    assert brief.palette == ["violin"] and "BRIEF_UNKNOWN_INSTRUMENT" in _prompts(session)[-1]


def test_theme_weaver_rejects_an_invented_tradition():
    bad = {"title": "T", "palette": ["kora"], "tradition": "Aleph_Bagdabba_Jakbarin"}
    good = {"title": "T", "palette": ["kora"], "tradition": "mande"}
    session = _session([{"brief": json.dumps(bad)}, {"brief": json.dumps(good)}])
    brief = ThemeWeaver(llm=session)(prompt="a praise song").brief
    assert brief.tradition == "mande" and "BRIEF_UNKNOWN_TRADITION" in _prompts(session)[-1]


def test_librarian_llm_cannot_invent_an_exemplar():
    invented = {"chosen_ids": json.dumps(["invented/bwv9999"]), "facts": json.dumps(["made up"])}
    session = _session([invented, invented, invented], fallback=True)
    out = Librarian(llm=session)(brief=weave_brief("a slow minor-key Lutheran hymn"))
    assert out.grounded and all(not e.id.startswith("invented/") for e in out.exemplars)
    assert "made up" not in out.facts
    assert out.strategy.startswith("engine (fallback:") and "LIBRARIAN_UNKNOWN_EXEMPLAR" in out.strategy
    assert session.calls[-1].attempts == 3


def _piece():
    spec = CompositionSpec.model_validate(_spec(["C", "F", "G7", "C"]))
    return spec, realize(spec, seed=3)


def test_harmony_critic_llm_keeps_the_measurements_and_checks_its_proposals():
    spec, score = _piece()
    engine = HarmonyCritic()(spec=spec, score=score)
    wrong = {"findings": "[]", "proposals": json.dumps([{"section": "Z", "bar": 9, "current": "C", "proposed": "Dm", "reason": "colour"}])}
    right = {"findings": json.dumps([{"code": "LLM_WEAK_CADENCE", "severity": "warning", "path": "spec.sections[0]", "message": "the V7 arrives late"}]),
             "proposals": json.dumps([{"section": "A", "bar": 2, "current": "F", "proposed": "Dm7", "reason": "smoother bass"}])}  # fmt: skip
    session = _session([wrong, right])
    out = HarmonyCritic(llm=session)(spec=spec, score=score)
    assert type(out) is type(engine) and out.strategy == "llm" and engine.strategy == "engine"
    assert out.critique.metrics == engine.critique.metrics  # measured, not re-estimated
    assert [f.code for f in out.critique.findings][: len(engine.critique.findings)] == [f.code for f in engine.critique.findings]
    assert out.critique.findings[-1].code == "LLM_WEAK_CADENCE"
    assert out.critique.proposals[-1].proposed == "Dm7" and out.critique.proposals[-1].source == "llm"
    assert "PROPOSAL_UNKNOWN_SECTION" in _prompts(session)[-1]


def test_aesthetics_judge_llm_adds_its_verdict_on_top_of_the_measurements():
    spec, score = _piece()
    engine = AestheticsJudge()(spec=spec, score=score)
    answer = {"verdict": "revise", "reasons": json.dumps(["the motif never returns"]),
              "findings": json.dumps([{"code": "LLM_MOTIF", "severity": "warning", "path": "spec.motifs", "message": "no motif"}])}  # fmt: skip
    session = _session([answer])
    out = AestheticsJudge(llm=session)(spec=spec, score=score)
    assert type(out) is type(engine) and out.strategy == "llm"
    assert out.judgement.dimensions == engine.judgement.dimensions and out.judgement.overall == engine.judgement.overall
    assert out.judgement.verdict is Verdict.REVISE and out.judgement.reasons[-1] == "LLM: the motif never returns"
    assert {f.code for f in engine.judgement.findings} | {"LLM_MOTIF"} == {f.code for f in out.judgement.findings}


def test_aesthetics_judge_cannot_accept_a_piece_the_measurements_fail():
    spec, score = _piece()
    silent = score.model_copy(update={"parts": [p.model_copy(update={"notes": []}) for p in score.parts]})
    accept = {"verdict": "accept", "reasons": "[]", "findings": "[]"}
    session = _session([accept, accept, accept], retries=1)
    with pytest.raises(LLMOutputError, match="JUDGE_ACCEPTS_BROKEN"):
        AestheticsJudge(llm=session)(spec=spec, score=silent)


def test_garbage_answers_fall_back_to_the_engine_for_that_agent_alone():
    garbage = {"spec": "I would write something in C major, with love."}
    session = _session([garbage] * 3, fallback=True)
    out = Composer(llm=session)(brief=weave_brief("a piece in D minor for cello"), exemplars=[], seed=4)
    assert out.strategy.startswith("engine (fallback: no usable answer from")
    assert str(out.spec.key) == "D minor" and session.calls[-1].outcome == "unusable"
    engine = Composer()(brief=weave_brief("a piece in D minor for cello"), exemplars=[], seed=4)
    assert out.spec == engine.spec  # exactly the engine's design


def test_compiled_demonstrations_survive_save_and_load(tmp_path):
    composer = Composer()
    composer.write.demos = [dspy.Example(brief=weave_brief("x"), exemplars=[], previous=None, proposals=[], feedback=[],
                                         spec=CompositionSpec.model_validate(_spec(["C", "F", "G7", "C"])))]  # fmt: skip
    composer.save(str(tmp_path / "composer.json"))
    loaded = Composer()
    loaded.load(str(tmp_path / "composer.json"))
    assert len(loaded.write.demos) == 1 and [name for name, _ in loaded.named_predictors()] == ["write"]


def test_compile_turns_engine_decisions_into_checked_demonstrations(tmp_path):
    from musicgrammar.agents.compile import compile_agents
    from musicgrammar.agents.compiled import load_compiled, save_compiled

    report = compile_agents([Composer(), ThemeWeaver()], ["a minuet in G major for harpsichord"], demos=1, seed=0)
    assert report.demos == {"composer": 1, "theme_weaver": 1}
    demo = report.agents[0].write.demos[0]
    assert str(demo.spec.key) == "G major" and str(demo.spec.meter) == "3/4"  # the engine's minuet, as a demonstration
    save_compiled(report.agents, tmp_path / "compiled", {"lm": "openai/smollm2"})
    session = _session([{"spec": json.dumps(_spec(["C", "F", "G7", "C"]))}])
    composer = Composer(llm=session)
    assert load_compiled({"composer": composer}, tmp_path / "compiled") == ["composer"]
    composer(brief=weave_brief("a piece in C major"), exemplars=[], seed=1)
    assert "harpsichord" in _prompts(session)[-1]  # the compiled demonstration reaches the model


def test_an_agents_folder_that_was_not_compiled_is_refused_before_the_run(tmp_path):
    from musicgrammar.errors import UserInputError
    from musicgrammar.graphs.runner import compose

    (tmp_path / "empty").mkdir()
    with pytest.raises(UserInputError, match="not a compiled-agents folder"):
        compose("a waltz", out_dir=tmp_path / "run", lm="openai/smollm2", agents_dir=tmp_path / "empty")
    assert not (tmp_path / "run").exists()  # nothing half-made
