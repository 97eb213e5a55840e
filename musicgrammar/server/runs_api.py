"""`GET /api/runs`, `GET /api/runs/{run_id}` and `GET /api/runs/{run_id}/files/{name}`.

A run is a folder under the runs directory written by `musicgrammar.graphs.runner.compose`; these
routes only read what the runner wrote (its summary, iteration history, trace and files).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from musicgrammar.server.security import resolve_run_dir, resolve_run_file

__all__ = ["router", "relative_files"]

router = APIRouter(prefix="/api/runs", tags=["runs"])
MAX_LISTED_RUNS = 500
# What a run folder may serve: scores, audio, pictures, report, composition and trace (not the checkpoint)
SERVED_SUFFIXES = {
    ".mid": "audio/midi", ".musicxml": "application/vnd.recordare.musicxml+xml", ".wav": "audio/wav",
    ".png": "image/png", ".md": "text/markdown; charset=utf-8", ".json": "application/json",
    ".jsonl": "application/x-ndjson",
}  # fmt: skip


def relative_files(run_dir: Path) -> list[str]:
    """The servable files of a run, as names relative to its folder (`stems/lead.wav`, `passes/1/mix.wav`)."""
    root = run_dir.resolve()
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and not p.is_symlink() and p.suffix.lower() in SERVED_SUFFIXES)  # fmt: skip


def _run_dir(request: Request, run_id: str) -> Path:
    folder = resolve_run_dir(request.app.state.runs_dir, run_id)
    if folder is None:
        raise HTTPException(status_code=404, detail=f"no run {run_id!r}")
    return folder


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@router.get("")
def list_runs(request: Request) -> list[dict[str, Any]]:
    """Runs newest first: id, title, whether finished, engine and seed."""
    root: Path = request.app.state.runs_dir
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if p.is_dir() and (p / "run.json").is_file()]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    out = []
    for folder in folders[:MAX_LISTED_RUNS]:
        meta = _read_json(folder / "run.json") or {}
        comp = _read_json(folder / "composition.json") if (folder / "report.md").is_file() else None
        out.append({
            "run_id": folder.name, "finished": comp is not None, "title": (comp or {}).get("spec", {}).get("title"),
            "lm": meta.get("lm"), "seed": meta.get("seed"), "modified": folder.stat().st_mtime,
        })  # fmt: skip
    return out


@router.get("/{run_id}")
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    """A run's summary (as `compose --json`), its passes with scores and findings, the agents' trace and its files."""
    folder = _run_dir(request, run_id)
    files = relative_files(folder)
    finished = (folder / "report.md").is_file() and (folder / "composition.json").is_file()
    detail: dict[str, Any] = {"run_id": folder.name, "finished": finished, "meta": _read_json(folder / "run.json"), "files": files}
    detail["passes"] = sorted(int(p.split("/")[1]) for p in files if p.startswith("passes/") and p.endswith("/mix.wav"))
    detail["trace"] = _trace(folder / "trace.jsonl")
    if finished:
        from musicgrammar.graphs.runner import RunResult, _resumed_state

        result = RunResult(folder.name, folder, _resumed_state(folder), 0.0)
        detail["summary"] = result.summary() | {"files": files}
        detail["history"] = [record.model_dump(mode="json") for record in result.composition().history]
    return detail


def _trace(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:  # a line being written right now
            continue
    return lines


@router.get("/{run_id}/files/{name:path}")
def get_run_file(run_id: str, name: str, request: Request) -> FileResponse:
    """One file of a run by its name inside the run folder; anything outside it is a 404."""
    folder = _run_dir(request, run_id)
    target = resolve_run_file(folder, name)
    if target is None or target.suffix.lower() not in SERVED_SUFFIXES:
        raise HTTPException(status_code=404, detail=f"no file {name!r} in run {run_id!r}")
    return FileResponse(target, media_type=SERVED_SUFFIXES[target.suffix.lower()], filename=target.name,
                        content_disposition_type="inline")  # fmt: skip
