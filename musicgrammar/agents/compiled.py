"""Compiled agents on disk: one dspy program state per agent (`<role>.json`, its predictors' instructions
and demonstrations) in a folder written by `musicgrammar agents compile`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from musicgrammar.errors import UserInputError

__all__ = ["MANIFEST", "check_compiled_dir", "load_compiled", "save_compiled"]

MANIFEST = "agents.json"


def check_compiled_dir(folder: Path) -> dict[str, Any]:
    """The folder's manifest, or one clear error naming the folder."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise UserInputError(f"not a compiled-agents folder (no {MANIFEST}; make one with `musicgrammar agents compile`)", path=str(folder))
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserInputError(f"unreadable manifest: {exc}", path=str(manifest)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("agents"), list):
        raise UserInputError("the manifest has no 'agents' list", path=str(manifest))
    for role in data["agents"]:
        if not (folder / f"{role}.json").is_file():
            raise UserInputError(f"the manifest lists {role!r} but {role}.json is missing", path=str(folder))
    return data


def load_compiled(agents: dict[str, Any], folder: Path) -> list[str]:
    """Load each compiled agent's program into the matching live agent; returns the roles loaded."""
    data = check_compiled_dir(folder)
    by_role = {getattr(agent, "role", None): agent for agent in agents.values()}
    loaded = []
    for role in data["agents"]:
        agent = by_role.get(role)
        if agent is None:
            continue
        try:
            agent.load(str(folder / f"{role}.json"))
        except (OSError, ValueError, KeyError) as exc:
            raise UserInputError(f"cannot load the compiled {role}: {exc}", path=str(folder / f"{role}.json")) from exc
        loaded.append(role)
    return loaded


def save_compiled(agents: list[Any], folder: Path, info: dict[str, Any]) -> None:
    """Write each agent's program state and the manifest (with how it was compiled)."""
    folder.mkdir(parents=True, exist_ok=True)
    for agent in agents:
        agent.save(str(folder / f"{agent.role}.json"))
    (folder / MANIFEST).write_text(json.dumps(info | {"agents": [a.role for a in agents]}, indent=2), encoding="utf-8")
