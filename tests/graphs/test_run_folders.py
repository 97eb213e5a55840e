"""Run folders are safe by construction: user files survive, links are never followed, one writer at a time."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from musicgrammar.cli import main
from musicgrammar.errors import RunBusyError, UserInputError
from musicgrammar.graphs.rundir import folder_lock
from musicgrammar.graphs.runner import compose, resume


def _user_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "mine"
    (folder / "stems").mkdir(parents=True)
    files = {"score.mid": "my own midi", "report.md": "my notes", "stems/keep.wav": "my stem", "trace.jsonl": "x\n"}
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder, files


def _fake_run(folder: Path) -> Path:
    """A folder that looks like an interrupted run (what resume looks for), without running anything."""
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"run_id": folder.name, "lm": "local"}))
    sqlite3.connect(folder / "checkpoint.sqlite").close()
    return folder


def test_compose_refuses_a_folder_of_user_files_and_force_moves_it_aside(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    folder, files = _user_folder(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["compose", "a march", "--out", str(folder), "--no-audio", "--max-iters", "1"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--force" in err and "Traceback" not in err
    assert {name: (folder / name).read_text() for name in files} == files  # untouched

    # a prompt with terminal escapes and table separators: report.md keeps them out of its structure
    prompt = "a march \x1b[31min red\x1b[0m | with a bell\x07 <b>"
    result = compose(prompt, out_dir=folder, force=True, seed=3, max_iters=1, audio=False)
    aside = tmp_path / "mine.old-1"
    assert result.moved_aside == aside
    assert {name: (aside / name).read_text() for name in files} == files  # moved, never deleted
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "\x1b" not in report and "\x07" not in report and "<b>" not in report
    _assert_tables_well_formed(report)
    assert result.summary()["valid"]


def _assert_tables_well_formed(report: str) -> None:
    """Every Markdown table row has as many cells as its header (escaped pipes are not separators)."""
    import re

    header_cells = None
    rows = 0
    for line in report.splitlines():
        if not line.startswith("|"):
            header_cells = None
            continue
        cells = len(re.split(r"(?<!\\)\|", line)) - 2
        if header_cells is None:
            header_cells = cells
        assert cells == header_cells, line
        rows += 1
    assert rows >= 6


def test_a_symlink_in_the_folder_is_never_written_through(tmp_path: Path):
    outside = tmp_path / "outside.mid"
    outside.write_text("precious")
    run = _fake_run(tmp_path / "run")
    (run / "score.mid").symlink_to(outside)
    with pytest.raises(UserInputError, match="symbolic link"):
        resume(run)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "stems").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(UserInputError):
        compose("a march", out_dir=fresh, max_iters=1, audio=False)
    assert outside.read_text() == "precious" and sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "outside.mid", "run"]


def test_a_second_resume_of_the_same_run_refuses_at_once(tmp_path: Path):
    run = _fake_run(tmp_path / "run")
    with folder_lock(run, "run"):  # the first resume (or the run itself) is still working
        with pytest.raises(RunBusyError, match="another musicgrammar process"):
            resume(run)
        with pytest.raises(UserInputError, match="already holds a run"):
            compose("a march", out_dir=run, max_iters=1, audio=False)
        with pytest.raises(RunBusyError):  # not even --force moves a folder from under a working run
            compose("a march", out_dir=run, max_iters=1, audio=False, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert RunBusyError("x").exit_code == 7


def test_resume_registers_every_state_type(caplog: pytest.LogCaptureFixture):
    """A checkpointed state loads back as the same typed objects, with no 'Blocked deserialization' warning."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from musicgrammar.graphs.state import SERIALIZABLE_TYPES, DesignState
    from musicgrammar.ontologies.files import load_composition

    comp = load_composition(Path(__file__).resolve().parents[2] / "examples" / "chorale_g_minor.json")
    state = DesignState(run_id="r", prompt="p", spec=comp.spec, score=comp.score)
    serde = JsonPlusSerializer(allowed_msgpack_modules=SERIALIZABLE_TYPES)
    with caplog.at_level("WARNING"):
        back = serde.loads_typed(serde.dumps_typed(state))
    assert "Blocked" not in caplog.text
    assert back == state and back.spec.key.mode.value == "minor"


def test_unique_temp_names_per_writer(tmp_path: Path):
    from musicgrammar.fileio import atomic_write

    target = tmp_path / "report.md"
    with atomic_write(target) as first, atomic_write(target) as second:
        assert first != second and first.parent == second.parent == tmp_path
        first.write_text("a")
        second.write_text("b")
    assert target.read_text() == "a" and [p.name for p in tmp_path.iterdir()] == ["report.md"]
    assert os.access(target, os.R_OK)
