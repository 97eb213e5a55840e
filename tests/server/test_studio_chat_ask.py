"""Chat threads and audio questions through the studio's HTTP API on a real socket."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

UPLOAD_LIMIT = 1_000_000  # as the upload_studio fixture


def _turn(studio, thread: str, text: str) -> dict:  # type: ignore[no-untyped-def]
    reply = httpx.post(f"{studio.url}/api/threads/{thread}/turns", json={"text": text, "audio": False, "melody": "rules"}, timeout=300)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_thread_of_three_turns_keeps_its_key_history(upload_studio) -> None:  # type: ignore[no-untyped-def]
    created = httpx.post(f"{upload_studio.url}/api/threads", json={"thread": "waltz"})
    assert created.status_code == 201 and created.json() == {"thread": "waltz", "revision": 0, "tradition": None, "custodians": []}

    first = _turn(upload_studio, "waltz", "a waltz in G for flute and harp")
    assert first["thread"] == "waltz" and first["revision"] == 1
    summary = first["summary"]
    assert summary["key"] == "G major" and summary["meter"] == "3/4" and summary["valid"]
    names = " ".join(summary["instruments"]).lower()
    assert "flute" in names and "harp" in names
    assert first["files"]["midi"] == "r1/score.mid"  # a name inside the thread folder, not a server path

    minor = _turn(upload_studio, "waltz", "transpose it to E minor")
    assert minor["revision"] == 2 and minor["summary"]["key"] == "E minor" and "key" in " ".join(minor["changed"])
    assert minor["summary"]["meter"] == "3/4" and minor["summary"]["bars"] == summary["bars"]

    undone = _turn(upload_studio, "waltz", "undo")
    assert undone["revision"] == 1 and undone["summary"]["key"] == "G major"

    detail = httpx.get(f"{upload_studio.url}/api/threads/waltz").json()
    assert detail["current"] == 1 and [r["key"] for r in detail["revisions"]] == ["G major", "E minor"]
    assert detail["revisions"][1]["request"] == "transpose it to E minor" and len(detail["turns"]) == 3
    midi = httpx.get(f"{upload_studio.url}/api/threads/waltz/files/r2/score.mid")
    assert midi.status_code == 200 and midi.content[:4] == b"MThd"
    assert httpx.get(f"{upload_studio.url}/api/threads/waltz/files/../threads.sqlite").status_code == 404
    assert httpx.get(f"{upload_studio.url}/api/threads/nobody").status_code == 404
    missing = httpx.post(f"{upload_studio.url}/api/threads/nobody/turns", json={"text": "undo"})
    assert missing.status_code == 404 and httpx.get(f"{upload_studio.url}/api/threads/nobody").status_code == 404
    fresh = {httpx.post(f"{upload_studio.url}/api/threads", json={}).json()["thread"] for _ in range(2)}
    assert len(fresh) == 2  # two new threads in the same second are two threads
    unknown = httpx.post(f"{upload_studio.url}/api/threads", json={"thread": "x", "tradition": "klingon"})
    assert unknown.status_code == 422 and "klingon" in unknown.json()["detail"]


def _composed_run(studio) -> str:  # type: ignore[no-untyped-def]
    body = {"prompt": "a march", "seed": 1, "max_iters": 1, "audio": False,
            "constraints": {"key": {"tonic": "D", "mode": "major"}, "meter": {"numerator": 2, "denominator": 4}, "tempo_bpm": 110}}  # fmt: skip
    accepted = httpx.post(f"{studio.url}/api/compose", json=body).json()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = httpx.get(f"{studio.url}/api/jobs/{accepted['job']}").json()
        if status["status"] in ("done", "failed"):
            assert status["status"] == "done", status["error"]
            return str(accepted["run_id"])
        time.sleep(0.2)
    raise AssertionError("the compose job did not finish")


def _rendered_wav(folder: Path) -> Path:
    """Eight bars of an A minor arpeggio tune at 120 BPM, rendered by the project."""
    from musicgrammar.ontologies import Key, Meter, Note, Part, Score
    from musicgrammar.tools.render import render_score, timgm_soundfont

    tune = [57, 60, 64, 69, 64, 60, 57, 64] * 4
    notes = [Note(pitch=p, start=float(i), duration=1.0) for i, p in enumerate(tune)]
    score = Score(title="arpeggios", key=Key(tonic="A", mode="minor"), meter=Meter.parse("4/4"), tempo_bpm=120, bars=8,
                  parts=[Part(id="lead", instrument="acoustic_grand_piano", notes=notes)])  # fmt: skip
    return render_score(score, folder, soundfont=timgm_soundfont(), sample_rate=22050, tail_s=0.5).mix


def test_ask_about_a_run_and_an_upload_with_limits(upload_studio, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("basic_pitch")
    run_id = _composed_run(upload_studio)
    about_run = httpx.post(f"{upload_studio.url}/api/ask", data={"run_id": run_id, "question": "What key is it in?"}, timeout=300)
    assert about_run.status_code == 200, about_run.text
    answer = about_run.json()
    assert answer["kind"] == "key" and answer["answer"] == "D major" and answer["confidence"] > 0.5
    assert set(answer) == {"answer", "confidence", "kind", "sources", "evidence", "hops"}

    wav = _rendered_wav(tmp_path / "clip")
    assert wav.stat().st_size < UPLOAD_LIMIT
    with wav.open("rb") as handle:
        uploaded = httpx.post(f"{upload_studio.url}/api/ask", data={"question": "How many beats per minute?"},
                              files={"audio": ("arpeggios.wav", handle, "audio/wav")}, timeout=300)  # fmt: skip
    assert uploaded.status_code == 200, uploaded.text
    tempo = uploaded.json()
    assert tempo["kind"] == "tempo" and abs(float(tempo["answer"].split()[0]) - 120) <= 6, tempo

    oversize = httpx.post(f"{upload_studio.url}/api/ask", data={"question": "What key?"},
                          files={"audio": ("big.wav", b"\0" * (UPLOAD_LIMIT + 1), "audio/wav")})  # fmt: skip
    assert oversize.status_code == 413 and str(UPLOAD_LIMIT) in oversize.json()["detail"]
    import numpy as np
    import soundfile as sf

    long_wav = tmp_path / "long.wav"  # 601 s at 1 kHz, 8-bit: under the byte limit, over the duration limit
    sf.write(long_wav, np.zeros(601_000, dtype=np.float32), 1000, subtype="PCM_U8")
    too_long = httpx.post(f"{upload_studio.url}/api/ask", data={"question": "What key?"},
                          files={"audio": ("long.wav", long_wav.read_bytes(), "audio/wav")})  # fmt: skip
    assert too_long.status_code == 422 and "long.wav" in too_long.json()["detail"] and "600 s" in too_long.json()["detail"]
    not_audio = httpx.post(f"{upload_studio.url}/api/ask", data={"question": "What key?"},
                           files={"audio": ("notes.wav", b"not a wave file", "audio/wav")})  # fmt: skip
    assert not_audio.status_code == 422 and "notes.wav" in not_audio.json()["detail"]
    assert "musicgrammar-ask-" not in not_audio.json()["detail"]  # the server's temp copy is never named
    both = httpx.post(f"{upload_studio.url}/api/ask", data={"question": "What key?"})
    assert both.status_code == 422 and "exactly one" in both.json()["detail"]
    assert httpx.post(f"{upload_studio.url}/api/ask", data={"run_id": "nope", "question": "What key?"}).status_code == 404
