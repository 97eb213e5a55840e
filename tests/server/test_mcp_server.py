"""`musicgrammar mcp` driven by the MCP Python client over stdio, as an agent host would."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# a C major tune ending on the tonic (ABC: L:1/4, 4/4)
TUNE = "X:1\nT:cadence\nM:4/4\nL:1/4\nQ:1/4=100\nK:C\nC E G E | F A G F | E D G B | c4 |]\n"


def _payload(result: Any) -> dict[str, Any]:
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if set(content) == {"result"} else content
    return json.loads(result.content[0].text)


def _text(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def test_mcp_tools_over_stdio(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env |= {"CI": "true", "MUSICGRAMMAR_RUNS_DIR": str(tmp_path / "runs")}  # CI: pyfluidsynth prints to stdout there
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)  # this checkout's package
    params = StdioServerParameters(command=sys.executable, args=["-m", "musicgrammar", "mcp"], env=env, cwd=str(tmp_path))
    (tmp_path / "tune.abc").write_text(TUNE)

    async def session() -> None:
        async with Client(params, read_timeout_seconds=300) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == {"compose", "validate", "render", "harmonize", "edit", "ask"}
            # the argument schemas come from the ontology
            compose_schema = json.dumps(tools["compose"].input_schema)
            assert "Constraints" in compose_schema and "no_drums" in compose_schema and "tempo_bpm" in compose_schema
            validate_schema = json.dumps(tools["validate"].input_schema)
            assert "CompositionSpec" in validate_schema and "Score" in validate_schema
            assert "mande" in json.dumps(tools["edit"].input_schema)  # a thread's tradition is one of the ontology's
            assert tools["ask"].input_schema["required"] == ["audio", "question"]

            composed = await client.call_tool("compose", {
                "prompt": "a hymn", "out": str(tmp_path / "hymn"), "seed": 2, "max_iters": 1, "audio": False,
                "constraints": {"key": {"tonic": "F", "mode": "major"}, "meter": {"numerator": 3, "denominator": 4}, "tempo_bpm": 72},
            })  # fmt: skip
            assert not composed.is_error, _text(composed)
            summary = _payload(composed)
            assert summary["valid"] and summary["key"] == "F major" and summary["meter"] == "3/4" and summary["tempo_bpm"] == 72
            assert (tmp_path / "hymn" / "composition.json").is_file()

            checked = _payload(await client.call_tool("validate", {"path": str(tmp_path / "hymn" / "composition.json")}))
            assert checked["kind"] == "composition" and checked["valid"] is True
            broken = json.loads((EXAMPLES / "invalid" / "chorale_empty_bar_open_end.json").read_text())
            inline = _payload(await client.call_tool("validate", {"document": broken}))
            assert inline["valid"] is False
            assert {"HARMONY_BAR_EMPTY", "FINAL_CADENCE_MISSING"} <= {f["code"] for f in inline["findings"]}

            rendered = _payload(await client.call_tool("render", {"path": str(tmp_path / "hymn" / "composition.json"),
                                                                  "out": str(tmp_path / "audio"), "dry": True}))  # fmt: skip
            assert {"mix.wav", "score.mid", "pianoroll.png"} <= set(rendered["files"])
            # 3/4 at 72 BPM: every bar lasts 2.5 s, so the music is a whole number of bars of 2.5 s
            assert abs(rendered["music_s"] / 2.5 - round(rendered["music_s"] / 2.5)) < 1e-6

            chords = _payload(await client.call_tool("harmonize", {"melody": str(tmp_path / "tune.abc"), "out": str(tmp_path / "h.mid"),
                                                                   "method": "rules"}))  # fmt: skip
            assert chords["key"] == "C major" and chords["chords"][-1]["symbol"] == "C"
            assert (tmp_path / "h.mid").read_bytes()[:4] == b"MThd"

            # a chat turn on a thread, then a question about the run composed above
            threads = {"thread": "waltz", "chat_dir": str(tmp_path / "chat"), "audio": False}
            first = _payload(await client.call_tool("edit", threads | {"request": "a waltz in G for flute and harp"}))
            assert first["revision"] == 1 and first["summary"]["key"] == "G major" and first["summary"]["meter"] == "3/4"
            moved = _payload(await client.call_tool("edit", threads | {"request": "transpose it to E minor"}))
            assert moved["revision"] == 2 and moved["summary"]["key"] == "E minor" and moved["thread"] == "waltz"
            answer = _payload(await client.call_tool("ask", {"audio": str(tmp_path / "hymn"), "question": "What key is it in?"}))
            assert answer["kind"] == "key" and answer["answer"] == "F major"
            empty = await client.call_tool("edit", threads | {"request": "   "})
            assert empty.is_error and "empty" in _text(empty) and "Traceback" not in _text(empty)

            missing = await client.call_tool("validate", {"path": str(tmp_path / "nope.json")})
            assert missing.is_error and "nope.json" in _text(missing) and "Traceback" not in _text(missing)
            neither = await client.call_tool("validate", {})
            assert neither.is_error and "exactly one" in _text(neither)

    anyio.run(session)
