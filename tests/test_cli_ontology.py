"""`musicgrammar validate / render / ontology`: exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from musicgrammar.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CHORALE = EXAMPLES / "chorale_g_minor.json"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err: str) -> None:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err


def _mutated(tmp_path: Path, name: str, change) -> Path:  # type: ignore[no-untyped-def]
    data = json.loads(CHORALE.read_text())
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_validate_valid_example_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["validate", str(CHORALE)], capsys)
    assert code == 0 and "valid: 0 error(s)" in out and err == ""


def test_validate_invalid_example_exits_1_with_table_and_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["validate", str(EXAMPLES / "invalid" / "chorale_empty_bar_open_end.json")], capsys)
    assert code == 1
    assert "HARMONY_BAR_EMPTY" in out and "FINAL_CADENCE_MISSING" in out
    _one_line_error(err)
    assert "spec.sections[0].progression[2]" in err


def test_validate_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate", str(EXAMPLES / "invalid" / "mande_rules_broken.json"), "--json"], capsys)
    report = json.loads(out)
    assert code == 1 and report["valid"] is False and report["kind"] == "composition"
    assert {"TRADITION_INSTRUMENT", "TRADITION_MODE", "TRADITION_METER"} <= {f["code"] for f in report["findings"]}


@pytest.mark.parametrize(("name", "change", "where"), [
    ("wrong_type.json", lambda d: d["score"].__setitem__("bars", "twelve"), "score.bars"),
    ("unknown_instrument.json", lambda d: d["spec"]["ensemble"][0].__setitem__("instrument", "theremin_x"), "spec.ensemble[0].instrument"),
    ("unknown_chord.json", lambda d: d["spec"]["sections"][0]["progression"].__setitem__(1, "Gm H7"), "spec.sections[0].progression[1]"),
    ("meter_0_4.json", lambda d: d["spec"].__setitem__("meter", "0/4"), "spec.meter.numerator"),
    ("meter_3_0.json", lambda d: d["spec"].__setitem__("meter", {"numerator": 3, "denominator": 0}), "spec.meter"),
    ("tempo_5000.json", lambda d: d["spec"]["tempo"].__setitem__("bpm", 5000), "spec.tempo.bpm"),
])  # fmt: skip
def test_schema_errors_are_invalid_for_validate_and_unusable_for_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, change, where: str  # type: ignore[no-untyped-def]
) -> None:
    path = _mutated(tmp_path, name, change)
    code, out, err = run(["validate", str(path), "--json"], capsys)
    assert code == 1
    findings = json.loads(out)["findings"]
    assert findings[0]["code"] == "SCHEMA" and findings[0]["path"].startswith(where)
    _one_line_error(err)
    out_dir = tmp_path / "out"
    code, _, err = run(["render", str(path), "--out", str(out_dir)], capsys)
    assert code == 2 and where in err
    _one_line_error(err)
    assert not out_dir.exists()  # nothing written


@pytest.mark.parametrize(("name", "content", "match"), [
    ("malformed.json", b'{"spec": {"title": "x",}', "malformed JSON at line 1, column 24"),
    ("empty.json", b"", "empty"),
    ("list.json", b"[1, 2, 3]", "not a Composition"),
    ("binary.json", b"\xff\xfe\x00garbage", "not UTF-8"),
    ("broken.mid", b"MThd\x00\x00\x00\x06garbage", "not a readable MIDI"),
])  # fmt: skip
def test_unreadable_inputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, match: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    for command in (["validate", str(path)], ["render", str(path), "--out", str(tmp_path / "out")]):
        code, _, err = run(command, capsys)
        assert code == 2, command
        _one_line_error(err)
        assert match in err and name in err
    assert not (tmp_path / "out").exists()


def test_oversized_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:
        fh.seek(10 * 1024 * 1024 + 1)
        fh.write(b" ")
    code, _, err = run(["validate", str(path)], capsys)
    assert code == 2 and "limit is 10 MB" in err
    _one_line_error(err)


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["validate", str(tmp_path / "nope.json")], capsys)
    assert code == 2 and "file not found" in err


def test_validate_reads_midi_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from musicgrammar.ontologies.files import load_composition
    from musicgrammar.tools.io import save_midi

    path = save_midi(load_composition(CHORALE).score, tmp_path / "chorale.mid")
    code, out, _ = run(["validate", str(path)], capsys)
    assert code == 0 and "(score)" in out


def test_render_writes_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("fluidsynth")
    from musicgrammar.ontologies.files import load_composition, save_json
    from musicgrammar.tools.render import timgm_soundfont

    # Two bars of the chorale keep the test fast.
    score = load_composition(CHORALE).score
    short = score.model_copy(update={"bars": 2, "parts": [p.model_copy(update={"notes": [n for n in p.notes if n.end <= 8]}) for p in score.parts]})
    src = save_json(short, tmp_path / "short.json")
    out = tmp_path / "out"
    code, stdout, err = run(["render", str(src), "--out", str(out), "--soundfont", str(timgm_soundfont()), "--tail", "0.5"], capsys)
    assert code == 0, err
    # the outputs, plus the lock file that marks the folder as a render's own
    assert sorted(os.listdir(out)) == [".musicgrammar.lock", "mix.wav", "pianoroll.png", "score.mid", "score.musicxml", "stems"]
    assert sorted(os.listdir(out / "stems")) == ["alto.wav", "bass.wav", "soprano.wav", "tenor.wav"]
    assert "6.67 s = 6.67 s of music" not in stdout and "s of music + 0.50 s tail" in stdout


def test_render_rejects_a_bare_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(json.loads(CHORALE.read_text())["spec"]))
    code, _, err = run(["render", str(spec), "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and "no notes" in err


def test_schema_command_writes_one_file_per_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(["ontology", "schema", "--out", str(tmp_path)], capsys)
    assert code == 0
    assert sorted(os.listdir(tmp_path)) == ["Composition.schema.json", "CompositionSpec.schema.json", "Score.schema.json", "lexicon.json"]
    schema = json.loads((tmp_path / "CompositionSpec.schema.json").read_text())
    assert {"key", "meter", "tempo", "sections", "ensemble"} <= set(schema["required"])
    lexicon = json.loads((tmp_path / "lexicon.json").read_text())
    assert any(e["vocabulary"] == "Mode" and e["term"] == "dorian" for e in lexicon)


def test_lexicon_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ontology", "lexicon", "--vocabulary", "Cadence", "--json"], capsys)
    terms = {e["term"] for e in json.loads(out)}
    assert code == 0 and terms == {"authentic", "plagal", "half", "deceptive", "modal", "open"}
    code, _, err = run(["ontology", "lexicon", "--vocabulary", "Nope"], capsys)
    assert code == 2 and "unknown vocabulary" in err
