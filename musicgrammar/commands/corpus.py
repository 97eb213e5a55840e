"""`musicgrammar corpus ...`: build the exemplar library, search it by text or by melody, show stats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

__all__ = ["register"]

corpus_app = typer.Typer(
    help="The retrieval corpus: real public-domain music (music21 corpus) as searchable exemplars.",
    no_args_is_help=True,
)


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return out or None


def _print_table(rows: list[Any], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("score", "id", "title", "composer / collection", "key", "meter", "catalogue"):
        table.add_column(column, overflow="fold")
    for ex in rows:
        table.add_row(
            f"{ex.score:.3f}" if ex.score is not None else "", ex.id, ex.title, ex.composer or ex.collection,
            ex.key_name or "", ex.meter or "", ex.catalogue or "",
        )
    Console().print(table)


@corpus_app.command("build")
def build_cmd(
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N exemplars, spread evenly over the collections.")] = None,
    collections: Annotated[list[str] | None, typer.Option("--collections", help="Collections (comma-separated or repeated); default all.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="Analysis processes.")] = 2,
    wait: Annotated[float, typer.Option("--wait", min=0, help="Seconds to wait for another builder's lock.")] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the build report as JSON.")] = False,
) -> None:
    """Analyse the music21 corpus into exemplars and swap them in as the live store (crash-safe)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from musicgrammar.retrieval_corpus import build
    from musicgrammar.retrieval_corpus.builder import parse_collections

    chosen = _split(collections)
    if chosen and len(chosen) == 1:
        chosen = parse_collections(chosen[0])
    from rich.console import Console

    # progress on stderr: stdout carries only the result
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=as_json, disable=as_json) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = "analysing corpus" if stage == "analyse" else "embedding + storing"
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        store, report = build(collections=chosen, limit=limit, workers=workers, lock_timeout=wait, progress=progress)
    if as_json:
        typer.echo(json.dumps({"path": str(store.path), **report}, indent=1))
        return
    counts = ", ".join(f"{c} {n}" for c, n in sorted(report["counts"].items()))
    typer.echo(f"stored {store.count} exemplars at {store.path}")
    typer.echo(f"  {counts}")
    if report["skipped_total"]:
        typer.echo(f"  skipped {report['skipped_total']} unparsable item(s): " + ", ".join(f"{c} {n}" for c, n in sorted(report["skipped"].items())))


@corpus_app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="What you are looking for, in words.")],
    where: Annotated[list[str] | None, typer.Option("--where", help="Metadata filter key=value (repeatable), e.g. mode=minor.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="How many results.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Text search over the exemplars' generated descriptions."""
    from musicgrammar.retrieval_corpus import parse_where, search

    results = search(query, where=parse_where(where), top=top)
    if as_json:
        typer.echo(json.dumps([{**e.summary(), "key": e.key_name, "meter": e.meter, "description": e.description}
                               for e in results], indent=1, ensure_ascii=False))
    else:
        _print_table(results, f"corpus search: {query!r}")


@corpus_app.command("melody")
def melody_cmd(
    file: Annotated[Path, typer.Argument(help="A melody: .mid, .musicxml / .xml / .mxl, .abc or .krn.")],
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="How many results.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find the exemplars that carry this tune, in any key and at any tempo."""
    from musicgrammar.retrieval_corpus import melody_search

    results = melody_search(file, top=top)
    if as_json:
        typer.echo(json.dumps([e.summary() for e in results], indent=1, ensure_ascii=False))
    else:
        _print_table(results, f"melody search: {file.name}")


@corpus_app.command("stats")
def stats_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Exemplar counts per collection, mode, meter and tradition of the live store."""
    from musicgrammar.retrieval_corpus import stats

    info = stats()
    if as_json:
        typer.echo(json.dumps(info, indent=1))
        return
    typer.echo(f"{info['count']} exemplars at {info['path']} (built {info['created']})")
    for name in ("by_collection", "by_tradition", "by_mode", "by_meter"):
        typer.echo(f"  {name[3:]}: " + ", ".join(f"{k} {v}" for k, v in info[name].items()))
    if info["skipped_total"]:
        typer.echo(f"  skipped at build: {info['skipped_total']}")


@corpus_app.command("audio-index")
def audio_index_cmd(
    out: Annotated[Optional[Path], typer.Option("--out", help="Where to write the index (.npz); default: the packaged one that `ask` reads.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N works of the packaged library subset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the build report as JSON.")] = False,
) -> None:
    """Render every work of the packaged library subset and index its chroma for `ask` (crash-safe: the
    old index stays until the new one is complete). `MUSICGRAMMAR_AUDIO_INDEX` makes `ask` read another."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from musicgrammar.errors import UserInputError
    from musicgrammar.retrieval_corpus.audio_index import AUDIO_INDEX_PATH, build_audio_index, load_audio_index, packaged_records

    target = out or AUDIO_INDEX_PATH
    if target.is_symlink() or target.is_dir():
        raise UserInputError(f"{target} is a symlink or a folder; give a file path for the index", field="--out")
    if target.exists():
        try:
            load_audio_index.__wrapped__(target)
        except Exception as exc:  # noqa: BLE001 - anything unreadable as an index is someone else's file
            raise UserInputError(f"{target} exists and is not an audio index; it is left alone", field="--out") from exc
    records = packaged_records()[:limit]
    started = time.perf_counter()
    with Progress(TextColumn("rendering works"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=as_json, disable=as_json) as bar:  # fmt: skip
        task = bar.add_task("render", total=len(records))
        index = build_audio_index(records, target, progress=lambda done, total, _id: bar.update(task, completed=done))
    report = {"path": str(target), "works": len(index.ids), "skipped": len(records) - len(index.ids),
              "seconds_of_audio": round(len(index.levels) / 10.0, 1), "build_s": round(time.perf_counter() - started, 1)}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report, indent=1))
    else:
        typer.echo(f"indexed {report['works']} works ({report['seconds_of_audio'] / 3600:.1f} h of rendered audio) at {target}")


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")
