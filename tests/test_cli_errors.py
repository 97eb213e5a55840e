"""One error path: usage mistakes, unwritable paths, hostile JSON, bad settings: one line, the right exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_cli_ontology import CHORALE, run


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("argv, names", [
    (["compose", "a march", "--seed", "abc"], "--seed"),
    (["compose", "a march", "--no-such-option"], "--no-such-option"),
    (["compose", "a march", "--max-iters", "50"], "--max-iters"),
    (["harmonize"], "melody"),
    (["no-such-command"], "no-such-command"),
    (["validate", str(CHORALE), "--json", "--lenient", "--extra"], "--extra"),
])  # fmt: skip
def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], names: str):
    code, _, err = run(argv + (["--out", str(tmp_path / "run")] if argv[0] == "compose" else []), capsys)
    assert code == 2 and names in one_line(err)
    assert not (tmp_path / "run").exists()  # nothing made for a mistake in the arguments


def test_seed_of_2_to_the_64_and_invalid_utf8_prompt_are_refused_before_a_folder_exists(tmp_path: Path, capsys):  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    code, _, err = run(["compose", "a march", "--seed", str(2**64), "--out", str(out)], capsys)
    assert code == 2 and "--seed" in one_line(err) and not out.exists()
    # undecodable argv bytes reach Python as lone surrogates
    code, _, err = run(["compose", "a march \udcff\udcfe", "--out", str(out)], capsys)
    assert code == 2 and "UTF-8" in one_line(err) and "PROMPT" in err and not out.exists()


def test_unwritable_outputs_name_the_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    a_file = tmp_path / "a_file"
    a_file.write_text("mine")
    code, _, err = run(["ontology", "schema", "--out", str(a_file)], capsys)
    assert code == 2 and str(a_file) in one_line(err)
    assert a_file.read_text() == "mine"
    melody = tmp_path / "tune.abc"
    melody.write_text("X:1\nT:t\nM:4/4\nL:1/4\nK:C\nC D E F | G A B c |]\n")
    code, _, err = run(["harmonize", str(melody), "--out", str(tmp_path), "--method", "rules"], capsys)
    assert code == 2 and "is a folder" in one_line(err)


def test_deep_json_nan_and_unknown_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    for command in ("validate", "profile"):
        code, _, err = run([command, str(deep)], capsys)
        assert code == 2 and "nested deeper than 64" in one_line(err), command
    data = json.loads(CHORALE.read_text())
    data["spec"]["tempo"]["bpm"] = float("nan")
    nan = tmp_path / "nan.json"
    nan.write_text(json.dumps(data))  # Python writes NaN, as many tools do
    code, _, err = run(["validate", str(nan)], capsys)
    assert code == 2 and "spec.tempo.bpm" in err and "NaN" in one_line(err)

    data = json.loads(CHORALE.read_text())
    data["spec"]["sections"][0]["colour"] = "red"
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(data))
    code, out, err = run(["validate", str(odd), "--json"], capsys)
    findings = json.loads(out)["findings"]
    assert code == 1 and findings[0]["code"] == "UNKNOWN_FIELD" and findings[0]["path"] == "spec.sections[0].colour"
    code, out, _ = run(["validate", str(odd), "--json", "--lenient"], capsys)
    assert code == 0 and json.loads(out)["warnings"] == 1


def test_a_score_over_the_bar_limit_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(0)
    inst.notes = [pretty_midi.Note(velocity=80, pitch=60, start=t * 2.0, end=t * 2.0 + 0.5) for t in range(4200)]
    pm.instruments.append(inst)
    path = tmp_path / "long.mid"
    pm.write(str(path))  # 4200 bars of 4/4 at 120 BPM: one note every bar
    code, _, err = run(["validate", str(path)], capsys)
    assert code == 2 and "4200 bars long; the limit is 4096" in one_line(err)


def test_settings_from_the_environment_work_and_are_checked(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path):  # type: ignore[no-untyped-def]
    from musicgrammar.graphs.options import RunOptions
    from musicgrammar.settings import get_settings

    monkeypatch.setenv("MUSICGRAMMAR_LM", "openai/some-model")
    monkeypatch.setenv("MUSICGRAMMAR_MAX_ITERS", "7")
    get_settings.cache_clear()
    try:
        options = RunOptions.build()
        assert options.lm == "openai/some-model" and options.max_iters == 7
        assert RunOptions.build(max_iters=2, lm="local").max_iters == 2  # the command line wins
        monkeypatch.setenv("MUSICGRAMMAR_MAX_ITERS", "50")
        get_settings.cache_clear()
        code, _, err = run(["compose", "a march", "--out", str(tmp_path / "run")], capsys)
        assert code == 2 and "MUSICGRAMMAR_MAX_ITERS" in one_line(err) and not (tmp_path / "run").exists()
    finally:
        get_settings.cache_clear()
