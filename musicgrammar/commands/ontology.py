"""`validate`, `render` and the `ontology` group (`schema`, `lexicon`).

`musicgrammar validate FILE.json` exits 0 when the file is valid, 1 when it breaks the grammar
(Pydantic field errors or cross-domain findings with severity error) and 2 when it cannot be read
(missing, empty, over 10 MB, malformed JSON, not a grammar object).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register", "validate_file", "render_file", "SCHEMA_TYPES"]

ontology_app = typer.Typer(help="The grammar itself: JSON Schemas and the lexicon of terms.", no_args_is_help=True)

SCHEMA_TYPES = ("Composition", "CompositionSpec", "Score")
# Score files that validate and render read directly (as a Score) instead of as grammar JSON.
_SCORE_SUFFIXES = (".mid", ".midi", ".musicxml", ".xml", ".mxl", ".abc")


def _unknown_field_findings(body: Any, model: Any, lenient: bool) -> list[Any]:
    """UNKNOWN_FIELD findings: errors, or (lenient) warnings that the key was dropped."""
    from musicgrammar.ontologies.files import unknown_fields
    from musicgrammar.ontologies.validation import Finding, Severity

    severity = Severity.WARNING if lenient else Severity.ERROR
    message = "unknown field, dropped" if lenient else "the grammar has no field of this name"
    return [Finding(code="UNKNOWN_FIELD", severity=severity, path=path, message=message,
                    fix="fix the field's name (see `musicgrammar ontology schema`), or pass --lenient to drop it")
            for path in unknown_fields(body, model)]  # fmt: skip


def validate_file(path: Path, lenient: bool = False) -> tuple[str, Any]:
    """Validate a JSON file: (kind, ValidationReport). Pydantic errors become SCHEMA findings, keys the
    grammar does not know UNKNOWN_FIELD findings (errors; warnings with `lenient`).

    Raises UserInputError when the file cannot be read or is not a grammar object at all.
    """
    from pydantic import ValidationError

    from musicgrammar.errors import UserInputError
    from musicgrammar.ontologies import Composition, CompositionSpec, Score, ValidationReport
    from musicgrammar.ontologies import validate_composition, validate_score, validate_spec
    from musicgrammar.ontologies.files import detect_kind, json_path, read_json
    from musicgrammar.ontologies.validation import Finding, Severity

    if path.suffix.lower() in _SCORE_SUFFIXES:
        from musicgrammar.tools.io import load_score

        return "score", validate_score(load_score(path))
    data = read_json(path)
    try:
        kind = detect_kind(data)
    except ValueError as exc:
        raise UserInputError(str(exc), path=str(path)) from exc
    model = {"composition": Composition, "spec": CompositionSpec, "score": Score}[kind]
    body = {k: v for k, v in data.items() if k not in ("expect_codes", "$schema", "comment")}
    try:
        obj = model.model_validate(body)
    except ValidationError as exc:
        findings = []
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
            findings.append(
                Finding(code="SCHEMA", severity=Severity.ERROR, path=json_path(loc), message=err["msg"].replace("Value error, ", ""),
                        fix="give the field a value of the documented type and range (see `musicgrammar ontology schema`)")  # fmt: skip
            )
        return kind, ValidationReport(findings=findings)
    unknown = _unknown_field_findings(body, model, lenient)
    if kind == "composition":
        report = validate_composition(obj)  # type: ignore[arg-type]
    elif kind == "spec":
        report = validate_spec(obj)  # type: ignore[arg-type]
    else:
        report = validate_score(obj)  # type: ignore[arg-type]
    return kind, ValidationReport(findings=unknown + report.findings)


def render_file(file: Path, out: Path, soundfont: Path | None = None, tail: float = 1.5, reverb: bool = True, *,
                lenient: bool = False, force: bool = False, quiet: bool = True,
                warn: Callable[[str], None] | None = None) -> Any:
    """Render a Composition/Score JSON or a MIDI/MusicXML/ABC score into `out`: score.mid, score.musicxml,
    mix.wav, stems/<part>.wav and pianoroll.png. Returns the renderer's result (durations, stems, speed)
    with `moved_aside` set to where `force` moved the folder's earlier content (None if nothing moved)."""
    from musicgrammar.commands.progress import working
    from musicgrammar.errors import UserInputError
    from musicgrammar.graphs.rundir import folder_lock, prepare_output_folder
    from musicgrammar.ontologies import Composition, CompositionSpec
    from musicgrammar.ontologies.files import load_any
    from musicgrammar.tools.io import check_score_size, load_score, save_midi, save_musicxml
    from musicgrammar.tools.render import find_soundfont, render_score, save_pianoroll

    if file.suffix.lower() in _SCORE_SUFFIXES:
        score = load_score(file)
    else:
        obj = load_any(file, unknown="warn" if lenient else "error", warn=warn or (lambda line: None))
        if isinstance(obj, CompositionSpec):
            raise UserInputError("a CompositionSpec has no notes to render; give a Composition or a Score", path=str(file))
        score = obj.score if isinstance(obj, Composition) else obj
    if not any(p.notes for p in score.parts):
        raise UserInputError("the score has no notes to render", path=str(file))
    check_score_size(score, file)
    if out.exists() and not out.is_dir():
        raise UserInputError("output path exists and is not a folder", path=str(out))
    sf2 = find_soundfont(soundfont)  # fail before anything is written
    moved = prepare_output_folder(out, "render", force=force)
    with folder_lock(out, "render"), working(f"rendering {score.duration_seconds:.0f} s of music", quiet=quiet):
        save_midi(score, out / "score.mid")
        save_musicxml(score, out / "score.musicxml")
        result = render_score(score, out, soundfont=sf2, tail_s=tail, reverb=reverb)
        save_pianoroll(score, out / "pianoroll.png")
    result.moved_aside = moved
    return result


def _print_report(path: Path, kind: str, report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    style = {"error": "bold red", "warning": "yellow", "info": "dim"}
    if report.findings:
        table = Table(title=f"{path.name} ({kind})", show_lines=False)
        table.add_column("severity", no_wrap=True)
        table.add_column("code", no_wrap=True)  # codes are what scripts and people grep for: keep them whole
        for column in ("path", "message", "fix"):
            table.add_column(column, overflow="fold")
        for f in report.findings:
            table.add_row(f"[{style[f.severity.value]}]{f.severity.value}[/]", f.code, f.path, f.message, f.fix)
        console.print(table)
    console.print(f"{path}: {report.summary()}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate(
        file: Annotated[Path, typer.Argument(help="A Composition, CompositionSpec or Score JSON file, or a MIDI/MusicXML/ABC score.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        lenient: Annotated[bool, typer.Option("--lenient", help="Unknown fields are warnings (dropped), not errors.")] = False,
    ) -> None:
        """Check a JSON file against the grammar: exit 0 valid, 1 invalid, 2 unreadable."""
        kind, report = validate_file(file, lenient=lenient)
        if as_json:
            payload = {
                "file": str(file),
                "kind": kind,
                "valid": report.valid,
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "findings": [f.model_dump(mode="json") for f in report.findings],
            }
            typer.echo(json.dumps(payload, indent=2))
        else:
            _print_report(file, kind, report)
        if not report.valid:
            from musicgrammar.errors import InvalidCompositionError

            first = report.errors[0]
            more = len(report.errors) - 1
            # InvalidCompositionError exits 1 with this one line on stderr (the report is on stdout).
            raise InvalidCompositionError(
                f"{file}: {first.path}: {first.message}" + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")
            )

    @app.command("render")
    def render(
        file: Annotated[Path, typer.Argument(help="A Composition or Score JSON file, or a MIDI/MusicXML/ABC score.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
        soundfont: Annotated[Path | None, typer.Option(help="GM soundfont (.sf2); default FluidR3_GM or TimGM6mb.")] = None,
        tail: Annotated[float, typer.Option(help="Seconds of release tail after the last bar.", min=0.0, max=10.0)] = 1.5,
        dry: Annotated[bool, typer.Option("--dry", help="No reverb or chorus (renders about twice as fast).")] = False,
        lenient: Annotated[bool, typer.Option("--lenient", help="Drop unknown fields of a JSON file with a warning.")] = False,
        force: Annotated[bool, typer.Option("--force", help="Use --out even if it holds other files: they are moved aside to <out>.old-N.")] = False,
    ) -> None:
        """Render to score.mid, score.musicxml, mix.wav, stems/<part>.wav and pianoroll.png."""
        result = render_file(file, out, soundfont=soundfont, tail=tail, reverb=not dry, lenient=lenient, force=force,
                             quiet=False, warn=lambda line: typer.echo(f"warning: {line}", err=True))
        if result.moved_aside is not None:
            typer.echo(f"note: the earlier content of {out} was moved to {result.moved_aside}", err=True)
        typer.echo(
            f"wrote {out}/score.mid, score.musicxml, mix.wav ({result.duration_s:.2f} s = {result.music_s:.2f} s of music "
            f"+ {result.tail_s:.2f} s tail), {len(result.stems)} stems, pianoroll.png "
            f"[{result.soundfont.name if result.soundfont else '?'}, {result.realtime_factor:.1f}x real time]"
        )

    @ontology_app.command("schema")
    def schema(out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the schema files.")]) -> None:
        """Write one JSON Schema per top-level type, plus the lexicon as lexicon.json."""
        from musicgrammar.ontologies import Composition, CompositionSpec, Score, lexicon_entries
        from musicgrammar.tools.io import atomic_write

        out.mkdir(parents=True, exist_ok=True)
        written = []
        for model in (Composition, CompositionSpec, Score):
            target = out / f"{model.__name__}.schema.json"
            with atomic_write(target, suffix=".json") as tmp:
                tmp.write_text(json.dumps(model.model_json_schema(), indent=2) + "\n", encoding="utf-8")
            written.append(target.name)
        lexicon = [{"vocabulary": e.vocabulary, "term": e.term, "description": e.description} for e in lexicon_entries()]
        with atomic_write(out / "lexicon.json", suffix=".json") as tmp:
            tmp.write_text(json.dumps(lexicon, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append("lexicon.json")
        typer.echo(f"wrote {', '.join(written)} to {out}")

    @ontology_app.command("lexicon")
    def lexicon(
        vocabulary: Annotated[str | None, typer.Option("--vocabulary", "-v", help="Only this vocabulary (e.g. Mode).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List the grammar's terms with their descriptions."""
        from musicgrammar.errors import UserInputError
        from musicgrammar.ontologies import lexicon_entries

        try:
            entries = lexicon_entries(vocabulary)
        except KeyError as exc:
            raise UserInputError(str(exc.args[0]), field="--vocabulary") from exc
        if as_json:
            typer.echo(json.dumps([{"vocabulary": e.vocabulary, "term": e.term, "description": e.description} for e in entries], indent=2, ensure_ascii=False))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"lexicon ({len(entries)} terms)")
        for column in ("vocabulary", "term", "description"):
            table.add_column(column, overflow="fold")
        for e in entries:
            table.add_row(e.vocabulary, e.term, e.description)
        Console().print(table)

    app.add_typer(ontology_app, name="ontology")
