"""Scripted batches: the whole file is checked first; a failing entry fails alone; reruns retry failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from musicgrammar.errors import UserInputError
from musicgrammar.graphs.batch import RECORD_NAME, load_design, run_batch


def _design(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "design.yaml"
    path.write_text(f"out: {tmp_path / 'batch'}\nmax_iters: 1\naudio: false\n" + body)
    return path


@pytest.mark.parametrize("body, field, words", [
    ("runs:\n  - name: a\n    promt: x\n", "runs[0].promt", "did you mean 'prompt'"),
    ("runs:\n  - name: a\n  - name: b\n    constraints: {tempo: 90}\n", "runs[1].constraints.tempo", "did you mean 'tempo_bpm'"),
    ("runs:\n  - name: a\n    constraints: {tempo_bpm: -5}\n", "runs[0].constraints.tempo_bpm", "outside 20-320"),
    ("runs:\n  - name: a\n    constraints: {duration_s: 36000}\n", "runs[0].constraints.duration_s", "outside 8-600"),
    ("runs:\n  - name: a\n    constraints: {tempo_bpm: .nan}\n", "runs[0].constraints.tempo_bpm", "NaN"),
    ("runs:\n  - name: a\n    seed: 18446744073709551616\n", "runs[0].seed", "less than or equal"),
    ("runs:\n  - name: a\n    max_iters: 50\n", "runs[0].max_iters", "less than or equal"),
    ("runs:\n  - name: a\n  - name: a\n", "runs", "duplicate"),
])  # fmt: skip
def test_every_entry_is_checked_before_anything_runs(tmp_path: Path, body: str, field: str, words: str):
    with pytest.raises(UserInputError) as info:
        load_design(_design(tmp_path, body))
    assert f"design.yaml: {field}: " in str(info.value) and words in str(info.value)
    assert not (tmp_path / "batch").exists()


def test_a_bad_middle_entry_fails_alone_and_a_rerun_retries_it(tmp_path: Path):
    design_path = _design(tmp_path, "runs:\n  - name: first\n    prompt: a minuet in F major\n"
                                    "  - name: mid\n    prompt: a jig\n  - name: third\n    prompt: a march in D major\n")  # fmt: skip
    user_file = tmp_path / "batch" / "mid" / "notes.txt"  # the middle entry's folder holds a user's file
    user_file.parent.mkdir(parents=True)
    user_file.write_text("mine")
    design = load_design(design_path)
    summaries = {s["name"]: s for s in run_batch(design)}
    assert [summaries[n]["status"] for n in ("first", "mid", "third")] == ["ran", "failed", "ran"]
    assert "was not made by musicgrammar" in summaries["mid"]["error"] and "\n" not in summaries["mid"]["error"]
    assert summaries["third"]["key"] == "D major" and summaries["first"]["key"] == "F major"
    assert user_file.read_text() == "mine"

    # the record says which entries failed; a rerun keeps finished runs and retries a failed one afresh
    record_path = tmp_path / "batch" / RECORD_NAME
    record = json.loads(record_path.read_text())["entries"]
    assert record["mid"]["status"] == "failed" and record["first"]["status"] == "done"
    record["third"] = {"status": "failed", "error": "pretend it failed"}
    record_path.write_text(json.dumps({"entries": record}))
    again = {s["name"]: s["status"] for s in run_batch(design)}
    assert again == {"first": "done before", "mid": "failed", "third": "retried"}
    assert (tmp_path / "batch" / "third.old-1" / "composition.json").is_file()  # the old attempt is kept
