"""The audio QA graph end to end on rendered excerpts of library tunes: identification, a second hop
to composer facts, honest refusals, the ablation without retrieval, the LLM strategy's citations,
and the `ask` command's JSON and bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from musicgrammar.ontologies import Key, Meter, Note, Part, Score

pytest.importorskip("basic_pitch")
pytest.importorskip("fluidsynth")


def _excerpt(store, exemplar_id: str, first_beat: float, beats: float, shift: int, bpm: float) -> Score:  # type: ignore[no-untyped-def]
    """An excerpt of an indexed tune that does not start at its beginning, transposed and re-timed."""
    from musicgrammar.retrieval_corpus import get_melody

    m = get_melody(exemplar_id, store)
    notes = [Note(pitch=int(p) + shift, start=float(o) - first_beat, duration=float(min(d, first_beat + beats - o)))
             for p, o, d in zip(m.pitches, m.onsets, m.durations) if first_beat <= o < first_beat + beats]  # fmt: skip
    return Score(title="excerpt", key=Key(tonic="C"), meter=Meter.parse("4/4"), tempo_bpm=bpm, bars=int(beats // 4),
                 parts=[Part(id="lead", instrument="acoustic_grand_piano", notes=notes)])  # fmt: skip


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The packaged library subset as a store in a temp dir, and two rendered excerpts."""
    from musicgrammar.retrieval_corpus.api import _subset_records
    from musicgrammar.retrieval_corpus.store import build_store
    from musicgrammar.tools.render import render_score, timgm_soundfont

    root = tmp_path_factory.mktemp("qa")
    store = build_store(_subset_records(), root / "store")
    wavs = {}
    for name, ex_id, first, shift, bpm in (("reel", "oneills/0001-0050#45", 6.0, 2, 100), ("chorale", "bach_chorales/bwv269", 8.0, -3, 80)):
        score = _excerpt(store, ex_id, first, 32.0, shift, bpm)
        wavs[name] = render_score(score, root / name, soundfont=timgm_soundfont(), sample_rate=22050, tail_s=1.0).mix
    return store, wavs, {}


def _ask(library, name: str, question: str, **kw):  # type: ignore[no-untyped-def]
    from musicgrammar.graphs.qa import QAContext, ask

    store, wavs, analyses = library
    return ask(question, audio=wavs[name], context=QAContext(store=store, analyses=analyses, **kw.pop("ctx", {})), **kw)


def test_a_transposed_excerpt_is_identified_with_its_source(library) -> None:  # type: ignore[no-untyped-def]
    state = _ask(library, "reel", "What is this tune called?")
    answer = state.answer
    assert answer.kind.value == "title" and answer.answer == "Down by the River Side"
    assert answer.sources[0].id == "oneills/0001-0050#45" and answer.sources[0].catalogue == "O'Neill's 45"
    assert answer.confidence >= 0.6 and 1 <= answer.hops <= 3
    assert [r["node"] for r in state.trace][:2] == ["analyse", "retrieve"] and state.trace[-1]["node"] == "answer"


def test_collection_is_read_from_the_identified_work(library) -> None:  # type: ignore[no-untyped-def]
    answer = _ask(library, "reel", "Which collection is this tune from?").answer
    assert answer.answer == "O'Neill's Music of Ireland (1850)"


def test_composer_death_takes_a_second_hop_to_the_facts(library) -> None:  # type: ignore[no-untyped-def]
    state = _ask(library, "chorale", "Who composed it and when did they die?")
    answer = state.answer
    assert answer.kind.value == "composer_death" and answer.answer == "1750"
    assert [s.id for s in answer.sources] == ["bach_chorales/bwv269", "facts/bach"]
    assert answer.hops == state.tried.index("composer_facts") + 1 >= 2


def test_a_traditional_tune_has_no_composer_dates_and_says_so(library) -> None:  # type: ignore[no-untyped-def]
    answer = _ask(library, "reel", "When did the composer of this piece die?").answer
    assert answer.refused and answer.confidence < 0.5
    assert "Down by the River Side" in answer.answer  # it says what it did find


def test_without_retrieval_identity_is_refused_and_perception_still_answered(library) -> None:  # type: ignore[no-untyped-def]
    title = _ask(library, "reel", "What is this tune called?", retrieval=False).answer
    assert title.refused and title.hops == 0 and title.sources == []
    key = _ask(library, "reel", "What key is this in?", retrieval=False).answer
    assert key.kind.value == "key" and not key.refused and key.hops == 0


@pytest.mark.parametrize("question", ["What colour is the singer's hat?", "¿Quién compuso esta pieza?"])
def test_questions_it_cannot_answer_get_an_honest_low_confidence_answer(library, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = _ask(library, "reel", question).answer
    assert answer.kind.value == "unknown" and answer.refused and answer.confidence < 0.5


def test_llm_strategy_must_cite_known_sources(library) -> None:  # type: ignore[no-untyped-def]
    import dspy

    from musicgrammar.agents.audio_qa.llm import llm_answerer

    cited = dspy.utils.DummyLM([{"answer": "Down by the River Side", "cited": ["oneills/0001-0050#45"], "confidence": 0.8}],
                               adapter=dspy.JSONAdapter())  # fmt: skip
    good = _ask(library, "reel", "What is this tune called?", ctx={"answerer": llm_answerer(cited)}).answer
    assert good.answer == "Down by the River Side" and [s.id for s in good.sources] == ["oneills/0001-0050#45"]
    invented = dspy.utils.DummyLM([{"answer": "Greensleeves", "cited": ["web/greensleeves"], "confidence": 0.9}],
                                  adapter=dspy.JSONAdapter())  # fmt: skip
    bad = _ask(library, "reel", "What is this tune called?", ctx={"answerer": llm_answerer(invented)}).answer
    assert bad.refused and bad.confidence <= 0.1 and bad.sources == []


def test_ask_command_prints_the_json_shape(library, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from musicgrammar.cli import main

    store, wavs, _ = library
    monkeypatch.setenv("MUSICGRAMMAR_STORE_DIR", str(store.path.parent.parent))
    from musicgrammar.settings import get_settings

    get_settings.cache_clear()
    try:
        main(["ask", str(wavs["reel"]), "Which piece is this?", "--json"])
    finally:
        get_settings.cache_clear()
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"answer", "confidence", "kind", "sources", "evidence", "hops"}
    assert payload["answer"] == "Down by the River Side"
    assert set(payload["sources"][0]) == {"id", "title", "catalogue", "collection", "licence"}


@pytest.mark.parametrize("make, question, message", [
    (lambda p: p.write_text("not audio at all\n" * 50), "What key is this in?", "not a readable audio file"),
    (lambda p: p.write_bytes(b""), "What key is this in?", "empty"),
    (lambda p: None, "What key is this in?", "no such file"),
    (lambda p: p.write_text("x"), "   ", "the question is empty"),
])  # fmt: skip
def test_ask_command_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], make, question: str, message: str) -> None:  # type: ignore[no-untyped-def]
    from musicgrammar.cli import main

    target = tmp_path / "input.wav"
    make(target)
    with pytest.raises(SystemExit) as exit_info:
        main(["ask", str(target), question])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and err.count("\n") == 1


def test_questions_about_a_generated_piece_are_answered_from_its_design() -> None:
    from musicgrammar.commands.ask import resolve_target
    from musicgrammar.graphs.qa import ask

    example = Path(__file__).resolve().parents[2] / "examples" / "chorale_g_minor.json"
    audio, piece = resolve_target(example)
    assert audio is None and piece is not None  # no mix.wav beside it: the design is the only source
    key = ask("What key is it in?", piece=piece).answer
    assert key.answer == "G minor" and key.sources[0].id == str(example)
    parts = ask("How many parts does the full score have?", piece=piece).answer
    assert parts.answer == "4" and parts.hops == 0
