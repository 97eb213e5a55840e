"""A scripted chat session: every turn's musical effect, asserted on the thread's revisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from musicgrammar.errors import UserInputError
from musicgrammar.graphs.chat import ChatSession
from musicgrammar.graphs.revisions import section_spans
from musicgrammar.ontologies import Key, Mode, Role, Score, validate_composition, Composition
from musicgrammar.ontologies.edit import Edit, EditError, apply_edits, diff_paths


def _section_notes(score: Score, spans: dict[str, tuple[float, float]], section: str, shift: float = 0.0) -> dict[str, list[str]]:
    """Each part's notes in one section, as JSON text (byte-for-byte comparable), moved by `shift`."""
    start, end = spans[section]
    return {p.id: [n.model_copy(update={"start": n.start - shift}).model_dump_json() for n in p.notes if start <= n.start < end] for p in score.parts}


def test_a_scripted_session_of_twenty_turns(tmp_path: Path) -> None:
    chat = ChatSession(tmp_path, "waltz", audio=False, melody="rules")
    try:
        out = chat.turn("a waltz in G for flute and harp")
        s = out["summary"]
        assert (s["key"], s["meter"], s["instruments"], s["valid"]) == ("G major", "3/4", ["Flute", "Orchestral Harp"], True)
        assert s["duration_s"] == pytest.approx(s["bars"] * 3 * 60 / s["tempo_bpm"], abs=0.01)
        r1 = chat.state().revision()
        assert Path(out["files"]["midi"]).is_file()

        out = chat.turn("transpose it to E minor")  # the key, every chord and every pitch move
        spec = chat.state().spec
        assert out["summary"]["key"] == "E minor" and spec.key == Key(tonic="E", mode=Mode.MINOR)
        assert "key.tonic" in out["changed"] and "key.mode" in out["changed"]
        # the tonic chord follows the key: bars that were G (I of G major) are now Em (i of E minor)
        assert [bar for bar in spec.sections[0].progression if bar == "Em"] == ["Em"] * r1.spec.sections[0].progression.count("G")
        lead = chat.state().score.lead()
        e_minor = Key(tonic="E", mode=Mode.HARMONIC_MINOR).pitch_classes() | {1, 3}  # raised 6th/7th as colour
        assert sum(n.pitch % 12 in e_minor for n in lead.notes) / len(lead.notes) >= 0.9
        r2 = chat.state().revision()

        out = chat.turn("slower")  # the tempo drops; no note changes (times are in beats)
        assert out["summary"]["tempo_bpm"] == pytest.approx(96 * 0.85, abs=0.1) and out["changed"] == ["tempo.bpm"]
        assert chat.state().score.parts == r2.score.parts

        out = chat.turn("undo")
        assert out["revision"] == 2 and out["summary"]["tempo_bpm"] == 96.0
        out = chat.turn("redo")
        assert out["revision"] == 3 and out["summary"]["tempo_bpm"] == pytest.approx(81.6)

        out = chat.turn("at 90")
        assert out["summary"]["tempo_bpm"] == 90.0 and out["summary"]["duration_s"] == pytest.approx(out["summary"]["bars"] * 3 * 60 / 90, abs=0.01)

        before = chat.state().revision()
        spans = section_spans(before.spec)
        b_id = before.spec.sections[1].id
        out = chat.turn(f"make the {before.spec.sections[1].role.value} section louder")
        after = chat.state().revision()
        assert after.spec.sections[1].dynamic.velocity > before.spec.sections[1].dynamic.velocity
        assert out["changed"] == ["sections[1].dynamic"]
        for untouched in (before.spec.sections[0].id, before.spec.sections[2].id):  # byte-identical notes elsewhere
            assert _section_notes(after.score, spans, untouched) == _section_notes(before.score, spans, untouched)
        assert _section_notes(after.score, spans, b_id) != _section_notes(before.score, spans, b_id)

        out = chat.turn("make the trumpet louder")  # cannot apply: nothing changes, the reply says why
        assert out["revision"] == after.number and "no Trumpet" in out["reply"] and out["changed"] == []

        out = chat.turn("give the melody to the clarinet")
        roles = {m.instrument: m.role for m in chat.state().spec.ensemble}
        assert roles["clarinet"] is Role.LEAD and roles["flute"] is Role.COUNTER_MELODY
        assert chat.state().score.lead().instrument == "clarinet"

        out = chat.turn("add a cello")
        cello = chat.state().score.part("cello")
        assert "Cello" in out["summary"]["instruments"] and cello.role is Role.BASS
        assert cello.notes and max(n.pitch for n in cello.notes) <= 76

        before = chat.state().revision()
        out = chat.turn("8 more bars")
        after = chat.state().revision()
        assert out["summary"]["bars"] == before.spec.bars + 8
        last = before.spec.sections[-1].id  # the closing section moved 8 bars later, its notes unchanged
        old_spans, new_spans = section_spans(before.spec), section_spans(after.spec)
        shift = new_spans[last][0] - old_spans[last][0]
        assert shift == 8 * 3
        assert _section_notes(after.score, new_spans, last, shift=shift) == _section_notes(before.score, old_spans, last)

        before = chat.state().spec
        out = chat.turn("reharmonize bar 5")
        assert out["changed"] == ["sections[0].progression[4]"]
        assert chat.state().spec.sections[0].progression[4] != before.sections[0].progression[4]

        out = chat.turn(f"drop the {before.sections[1].role.value} section")
        assert out["summary"]["bars"] == before.bars - before.sections[1].bars and out["summary"]["valid"]

        out = chat.turn("why is it in E minor?")
        assert "transpose it to E minor" in out["reply"] and "exemplar" in out["reply"]

        out = chat.turn("what key is it in?")
        assert out["reply"].count("E minor") >= 1 and out["changed"] == []

        out = chat.turn("history")
        assert out["reply"].count("\n") + 1 == len(chat.state().revisions) and "* r" in out["reply"]

        mine = tmp_path / "mine.mid"
        mine.write_bytes(b"a file of the user's")
        with pytest.raises(UserInputError, match="never overwrites"):
            chat.turn(f"export midi {mine}")
        assert mine.read_bytes() == b"a file of the user's"
        out = chat.turn(f"export midi {tmp_path / 'exported.mid'}")
        assert Path(out["files"]["midi"]).read_bytes()[:4] == b"MThd"

        comp = chat.state().revision()
        assert validate_composition(Composition(spec=comp.spec, score=comp.score)).valid
        out = chat.turn("branch variant")
        assert out["thread"] == "variant" and chat.state().revision().spec == comp.spec
        assert chat.state().current == 1 and chat.state().branched_from == f"waltz@r{comp.number}"
        out = chat.turn("faster")  # the branch moves on; the original thread stays where it was
        assert out["thread"] == "variant" and chat.state("waltz").current == comp.number
    finally:
        chat.close()


def test_an_edit_that_does_not_fit_the_grammar_changes_nothing() -> None:
    from musicgrammar.ontologies.files import load_composition

    spec = load_composition(Path(__file__).parents[2] / "examples" / "slip_jig_d.json").spec
    with pytest.raises(EditError, match="sections\\[99\\]"):
        apply_edits(spec, [Edit(op="set", path="sections[99].dynamic", value="f")])
    with pytest.raises(EditError, match="tempo"):
        apply_edits(spec, [Edit(op="set", path="tempo", value={"bpm": 5000})])
    moved = apply_edits(spec, [Edit(op="set", path="tempo", value={"bpm": 100})])
    assert diff_paths(spec, moved) in (["tempo.bpm"], ["tempo.bpm", "tempo.term"])


def test_a_question_about_the_sound_is_answered_by_listening_to_the_current_revision(tmp_path: Path) -> None:
    pytest.importorskip("basic_pitch")
    pytest.importorskip("fluidsynth")
    chat = ChatSession(tmp_path, "hymn", audio=False, melody="rules")
    try:
        first = chat.turn("a chorale in G for piano, 4 bars")
        bpm = first["summary"]["tempo_bpm"]
        unheard = chat.turn("what tempo does it sound like?")  # no audio in this process: the design answers, and says so
        assert "was not rendered" in unheard["reply"] and unheard["answer"]["kind"] == "tempo"
        assert unheard["answer"]["answer"] == f"{bpm:.0f} BPM" and unheard["answer"]["sources"][0]["id"] == "hymn@r1"
    finally:
        chat.close()
    chat = ChatSession(tmp_path, "hymn", audio=True, melody="rules")  # a later process with audio: the mix is rendered and heard
    try:
        heard = chat.turn("what tempo does it sound like?")
        answer = heard["answer"]
        assert heard["files"]["mix"].endswith("r1/mix.wav") and heard["reply"].startswith("heard r1:")
        assert answer["kind"] == "tempo" and 0.5 <= answer["confidence"] <= 1.0 and answer["answer"] in heard["reply"]
        assert abs(float(answer["answer"].split()[0]) - bpm) <= 0.05 * bpm  # the heard tempo is the designed one
        assert any(line.startswith("heard ") for line in answer["evidence"])
        design = chat.turn("what key is it in?")  # a question about the design stays with the design
        assert "answer" not in design and design["reply"].startswith("from the design:") and first["summary"]["key"] in design["reply"]
    finally:
        chat.close()
