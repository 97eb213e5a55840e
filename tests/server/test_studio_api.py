"""The studio's HTTP API on a real socket: compose through the queue, follow the events, read the run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from musicgrammar.errors import UserInputError
from musicgrammar.server.jobs import JobQueue, QueueFullError
from musicgrammar.server.security import check_bind


def _wait_job(studio, job: str, timeout_s: float = 240) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = httpx.get(f"{studio.url}/api/jobs/{job}", headers=studio.headers()).json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish in {timeout_s} s")


def _sse_events(studio, job: str) -> list[dict]:  # type: ignore[no-untyped-def]
    events = []
    with httpx.stream("GET", f"{studio.url}/api/jobs/{job}/events", headers=studio.headers(), timeout=240) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    return events


def test_health_and_docs(studio) -> None:  # type: ignore[no-untyped-def]
    health = httpx.get(f"{studio.url}/api/health").json()
    assert health["status"] == "ok" and health["concurrency"] == 1
    assert {"compose", "runs"} <= set(health["capabilities"])
    assert httpx.get(f"{studio.url}/docs").status_code == 200
    paths = httpx.get(f"{studio.url}/openapi.json").json()["paths"]
    assert {"/api/compose", "/api/jobs/{job_id}", "/api/jobs/{job_id}/events", "/api/runs/{run_id}/files/{name}"} <= set(paths)
    assert "Studio" in httpx.get(f"{studio.url}/").text or "studio" in httpx.get(f"{studio.url}/").text


def test_compose_streams_every_node_and_serves_the_run(studio) -> None:  # type: ignore[no-untyped-def]
    body = {"prompt": "a polka for accordion", "seed": 3, "max_iters": 1, "audio": False,
            "constraints": {"key": {"tonic": "A", "mode": "major"}, "meter": {"numerator": 2, "denominator": 4}, "no_drums": True}}  # fmt: skip
    accepted = httpx.post(f"{studio.url}/api/compose", json=body)
    assert accepted.status_code == 202
    job, run_id = accepted.json()["job"], accepted.json()["run_id"]
    events = _sse_events(studio, job)
    nodes = [e["node"] for e in events if e["event"] == "node"]
    assert nodes == ["retrieve", "weave", "compose", "realize", "validate", "critique", "render", "judge", "finish"]
    assert events[0]["event"] == "queued" and events[-1]["event"] == "done"

    status = httpx.get(f"{studio.url}/api/jobs/{job}").json()
    assert status["status"] == "done" and status["run_id"] == run_id and status["error"] is None
    summary = status["result"]
    assert summary["key"] == "A major" and summary["meter"] == "2/4" and "Drum kit" not in summary["instruments"]
    assert "score.mid" in summary["files"] and not any(f.startswith("/") for f in summary["files"])

    runs = httpx.get(f"{studio.url}/api/runs").json()
    assert run_id in [r["run_id"] for r in runs]
    detail = httpx.get(f"{studio.url}/api/runs/{run_id}").json()
    assert detail["finished"] and detail["summary"]["key"] == "A major"
    assert [t["node"] for t in detail["trace"]][:3] == ["retrieve", "weave", "compose"]
    assert detail["history"][0]["iteration"] == 1
    midi = httpx.get(f"{studio.url}/api/runs/{run_id}/files/score.mid")
    assert midi.status_code == 200 and midi.content[:4] == b"MThd"
    xml = httpx.get(f"{studio.url}/api/runs/{run_id}/files/score.musicxml")
    assert xml.status_code == 200 and b"<score-partwise" in xml.content


def test_file_names_stay_inside_the_run_folder(studio, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = studio.runs_dir / "hand-made-run"
    run.mkdir()
    (run / "run.json").write_text("{}")
    (run / "report.md").write_text("# report\n")
    secret = tmp_path / "secret.md"
    secret.write_text("not yours")
    (run / "leak.md").symlink_to(secret)
    (studio.runs_dir / "outside.md").write_text("also not yours")
    base = f"{studio.url}/api/runs/hand-made-run/files"
    assert httpx.get(f"{base}/report.md").text == "# report\n"
    for name in ("..%2Foutside.md", "%2e%2e/outside.md", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "leak.md",
                 "checkpoint.sqlite", "nothing.wav", "stems/..%2F..%2Foutside.md"):  # fmt: skip
        response = httpx.get(f"{base}/{name}")
        assert 400 <= response.status_code < 500, name
        assert b"not yours" not in response.content
    for run_id in ("..", "%2e%2e", ".hidden", "hand-made-run%2F.."):
        assert 400 <= httpx.get(f"{studio.url}/api/runs/{run_id}").status_code < 500, run_id


def test_a_failing_job_is_reported_and_the_server_carries_on(studio, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    for key in [k for k in os.environ if k.endswith("_API_KEY")]:
        monkeypatch.delenv(key)
    # an LLM that cannot be reached (the network is blocked) and no fallback: the run must fail, cleanly
    job = httpx.post(f"{studio.url}/api/compose", json={"prompt": "a march", "lm": "openai/gpt-4o-mini", "max_iters": 1, "audio": False}).json()["job"]
    status = _wait_job(studio, job)
    assert status["status"] == "failed" and "openai/gpt-4o-mini" in status["error"] and "Traceback" not in status["error"]
    assert httpx.get(f"{studio.url}/api/health").json()["status"] == "ok"
    bad = httpx.post(f"{studio.url}/api/compose", json={"prompt": "x", "max_iters": 50})
    assert bad.status_code == 422 and "max_iters" in bad.text
    assert httpx.get(f"{studio.url}/api/jobs/nope").status_code == 404


def test_token_is_required_everywhere_but_the_page_shell(locked_studio) -> None:  # type: ignore[no-untyped-def]
    url = locked_studio.url
    for path in ("/api/health", "/api/runs", "/api/jobs/x", "/api/runs/x/files/mix.wav"):
        assert httpx.get(url + path).status_code == 401, path
        assert httpx.get(url + path, headers={"Authorization": "Bearer wrong-token-of-same-size"}).status_code == 401
    assert httpx.post(f"{url}/api/compose", json={"prompt": "x"}).status_code == 401
    assert httpx.get(f"{url}/api/health", headers=locked_studio.headers()).json()["status"] == "ok"
    assert httpx.get(f"{url}/").status_code == 200 and httpx.get(f"{url}/static/studio.js").status_code == 200


def test_bodies_over_the_limit_get_413(locked_studio) -> None:  # type: ignore[no-untyped-def]
    url, headers = locked_studio.url, locked_studio.headers()
    big = {"prompt": "a hymn " * 2000}
    assert httpx.post(f"{url}/api/compose", json=big, headers=headers).status_code == 413

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"prompt": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    streamed = httpx.post(f"{url}/api/compose", content=chunks(), headers=headers | {"Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_bind_rules() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "a-long-enough-token-1234")
    with pytest.raises(UserInputError, match="without a token"):
        check_bind("0.0.0.0", None)
    with pytest.raises(UserInputError, match="at least"):
        check_bind("127.0.0.1", "short")
    proc = subprocess.run([sys.executable, "-m", "musicgrammar", "serve", "--host", "0.0.0.0", "--port", "1"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2 and "without a token" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "musicgrammar", "serve", "--port", str(port)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "already in use" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_queue_runs_at_most_its_concurrency_and_survives_a_crash() -> None:
    queue = JobQueue(concurrency=2, max_waiting=3)
    release = threading.Event()
    running, peak, lock = [0], [0], threading.Lock()

    def work(emit):  # type: ignore[no-untyped-def]
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        release.wait(10)
        with lock:
            running[0] -= 1
        return {"ok": True}

    def crash(emit):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("a bug in a run")

    jobs = [queue.submit("test", work) for _ in range(2)]
    time.sleep(0.2)  # the two workers are busy now; three more wait
    waiting = [queue.submit("test", crash)] + [queue.submit("test", work) for _ in range(2)]
    with pytest.raises(QueueFullError):
        queue.submit("test", work)
    release.set()
    deadline = time.monotonic() + 10
    while not all(j.ended for j in jobs + waiting) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert peak[0] == 2
    assert [j.status for j in jobs + waiting] == ["done", "done", "failed", "done", "done"]
    assert "ZeroDivisionError" in (waiting[0].error or "")
    queue.shutdown()
