"""JSON files of the grammar: size limit, malformed JSON with line/column, JSON paths of errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from musicgrammar.errors import UserInputError
from musicgrammar.ontologies import Composition, Score
from musicgrammar.ontologies.files import MAX_JSON_BYTES, detect_kind, json_path, load_any, load_composition, load_score_json, save_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chorale_g_minor.json"


def test_json_path_formats_indices() -> None:
    assert json_path(("spec", "sections", 0, "progression", 2)) == "spec.sections[0].progression[2]"


def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "title": "x",\n  "key": ,\n}\n')
    with pytest.raises(UserInputError) as info:
        load_composition(bad)
    message = str(info.value)
    assert "bad.json" in message and "line 3" in message and "column 10" in message


def test_validation_error_names_json_path_and_count(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["spec"]["sections"][1]["progression"][0] = "Hm7"  # not a chord
    data["spec"]["tempo"]["bpm"] = 5000  # out of range
    path = tmp_path / "two_errors.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserInputError) as info:
        load_composition(path)
    message = str(info.value)
    assert "two_errors.json" in message
    assert "spec.tempo.bpm" in message or "spec.sections[1].progression[0]" in message
    assert "1 more error" in message
    assert "\n" not in message


def test_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("w") as fh:
        fh.write('{"pad": "')
        fh.write("x" * (MAX_JSON_BYTES + 10))
        fh.write('"}')
    with pytest.raises(UserInputError, match="limit is 10 MB"):
        load_any(big)


def test_detect_kind_and_load_any() -> None:
    data = json.loads(EXAMPLE.read_text())
    assert detect_kind(data) == "composition"
    assert detect_kind(data["spec"]) == "spec"
    assert detect_kind(data["score"]) == "score"
    assert isinstance(load_any(EXAMPLE), Composition)
    with pytest.raises(ValueError):
        detect_kind([1, 2])


def test_save_json_round_trips_and_leaves_no_temp_files(tmp_path: Path) -> None:
    comp = load_composition(EXAMPLE)
    out = save_json(comp.score, tmp_path / "score.json")
    assert load_score_json(out) == comp.score
    assert sorted(os.listdir(tmp_path)) == ["score.json"]


def test_save_json_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "score.json"
    target.write_text("old")

    class Broken(Score):
        def model_dump_json(self, **kwargs: object) -> str:  # type: ignore[override]
            raise RuntimeError("boom")

    comp = load_composition(EXAMPLE)
    broken = Broken.model_validate(comp.score.model_dump())
    with pytest.raises(RuntimeError):
        save_json(broken, target)
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["score.json"]
