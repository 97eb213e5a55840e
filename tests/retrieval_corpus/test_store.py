"""The store end to end on real corpus pieces: catalogue facts, text search, melody search."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest


def _by_id(records: list[dict], exemplar_id: str) -> dict:
    return next(r["exemplar"] for r in records if r["exemplar"]["id"] == exemplar_id)


def test_chorale_exemplar_has_key_and_catalogue(small_records: list[dict]) -> None:
    from musicgrammar.ontologies.theory import Mode
    from musicgrammar.retrieval_corpus import Exemplar

    bwv66 = Exemplar.model_validate(_by_id(small_records, "bach_chorales/bwv66.6"))
    assert bwv66.key is not None and bwv66.key.tonic == "F#" and bwv66.key.mode == Mode.MINOR
    assert bwv66.catalogue == "BWV 66.6"
    assert bwv66.meter == "4/4" and bwv66.voices == 4 and bwv66.texture == "homophonic"
    first = Exemplar.model_validate(_by_id(small_records, "bach_chorales/bwv269"))
    assert first.catalogue == "BWV 269, Riemenschneider 1"
    assert first.title == "Aus meines Herzens Grunde"
    assert first.key is not None and str(first.key.tonic) == "G" and first.key.mode == Mode.MAJOR
    # Chordify per beat: the G major chorale's harmony is mostly tonic-family chords, and it ends on I.
    assert first.chords[-1].split("/")[0] == "G" and first.roman_numerals[-1] == "I"
    assert "PAC" in first.cadences
    assert "public domain" in first.licence.lower()


def test_jig_exemplar_is_a_jig(small_records: list[dict]) -> None:
    jigs = [r["exemplar"] for r in small_records if r["exemplar"]["collection"] == "ryans"]
    assert len(jigs) >= 8 and all(j["genre"] == "jig" for j in jigs)  # the book's titles say '-- Jig'
    assert sum(j["meter"] == "6/8" for j in jigs) >= 0.7 * len(jigs)  # most jigs are in 6/8
    assert all("jig" in j["description"] for j in jigs)
    essen = [r["exemplar"] for r in small_records if r["exemplar"]["collection"] == "essen"]
    assert essen and all(e["origin"].startswith("China") for e in essen)
    assert all("non-commercial" in e["licence"] for e in essen)


def test_hymn_query_ranks_chorales_above_jigs(small_store) -> None:
    results = small_store.search("slow minor-key Lutheran hymn", top=small_store.count)
    collections = [e.collection for e in results]
    last_chorale = max(i for i, c in enumerate(collections) if c == "bach_chorales")
    first_jig = min(i for i, c in enumerate(collections) if c == "ryans")
    assert last_chorale < first_jig
    minor = small_store.search("slow minor-key Lutheran hymn", where={"mode": "minor"}, top=3)
    assert minor and all(e.mode == "minor" for e in minor)


def test_melody_search_finds_transposed_soprano_at_another_tempo(small_store, tmp_path: Path) -> None:
    import pretty_midi
    from music21 import corpus

    from musicgrammar.retrieval_corpus import melody_search

    soprano = corpus.parse("bach/bwv66.6").parts[0].stripTies().flatten().notes
    pm = pretty_midi.PrettyMIDI(initial_tempo=137.0)  # another tempo than the chorale's notation
    inst = pretty_midi.Instrument(program=73)
    spb = 60.0 / 137.0
    for n in soprano:
        start = float(n.offset) * spb
        inst.notes.append(pretty_midi.Note(velocity=80, pitch=n.pitch.midi + 5, start=start,
                                           end=start + float(n.quarterLength) * spb))
    pm.instruments.append(inst)
    path = tmp_path / "soprano_up_a_fourth.mid"
    pm.write(str(path))
    results = melody_search(path, top=3, store=small_store)
    assert results[0].id == "bach_chorales/bwv66.6"
    assert results[0].score > 0.95 and (len(results) < 2 or results[1].score < 0.7)


def test_melody_search_excerpt_of_a_jig(small_store) -> None:
    from musicgrammar.retrieval_corpus import Melody, get_melody, melody_search

    jig = next(e for e in small_store.search("Irish jig", where={"collection": "ryans"}, top=1))
    m = get_melody(jig.id, store=small_store)
    sel = slice(10, 34)  # a middle excerpt, down a minor third, twice as slow
    q = Melody(m.pitches[sel] - 3, (m.onsets[sel] - m.onsets[sel][0]) * 2, m.durations[sel] * 2)
    assert melody_search(q, top=1, store=small_store)[0].id == jig.id


def test_cli_json_outputs(small_store, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from musicgrammar.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["corpus", "search", "Lutheran chorale", "--top", "2", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert len(rows) == 2 and rows[0]["collection"] == "bach_chorales"
    from music21 import corpus

    xml = tmp_path / "q.musicxml"
    corpus.parse("bach/bwv269").parts[0].transpose(-2).write("musicxml", fp=str(xml))
    out = runner.invoke(app, ["corpus", "melody", str(xml), "--top", "3", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert set(rows[0]) == {"id", "title", "composer", "collection", "catalogue", "score"}
    assert rows[0]["id"] == "bach_chorales/bwv269" and rows[0]["catalogue"] == "BWV 269, Riemenschneider 1"
    out = runner.invoke(app, ["corpus", "stats", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["count"] == small_store.count


def test_bad_inputs_are_user_errors(small_store, tmp_path: Path) -> None:
    from musicgrammar.errors import UserInputError
    from musicgrammar.retrieval_corpus import melody_search, parse_where

    with pytest.raises(UserInputError):
        parse_where(["flavour=sweet"])
    with pytest.raises(UserInputError):
        melody_search(tmp_path / "missing.mid", store=small_store)
    with pytest.raises(UserInputError):
        melody_search([(60, 0.0, 1.0), (62, 1.0, 1.0)], store=small_store)  # too short to search
    assert np.isfinite(small_store.count)


def test_similar_by_features_keeps_chorales_together(small_store) -> None:
    from musicgrammar.retrieval_corpus import similar

    near = similar("bach_chorales/bwv4.8", top=3, store=small_store)
    assert "bach_chorales/bwv4.8" not in [e.id for e in near]
    assert near[0].collection == "bach_chorales"
