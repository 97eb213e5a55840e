"""`musicgrammar harmonize MELODY --out OUT.mid`: chords for a melody, as a two-track MIDI file."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from musicgrammar.limits import SEED

__all__ = ["register", "write_two_track_midi", "harmonize_file"]

TICKS = 480  # per quarter note


def write_two_track_midi(path: Path, score, result) -> None:
    """Type-1 MIDI: track 0 the melody part as given (with tempo, meter, key), track 1 the chords.

    Written to a temporary file in the same folder and moved into place, so no half file is left.
    """
    import mido

    from musicgrammar.errors import UserInputError

    if not path.parent.exists():
        raise UserInputError("the output folder does not exist", path=str(path.parent))
    chosen = _chosen_part_id(score)  # the part that was harmonized, written back unchanged
    melody_part = next((p for p in score.parts if p.id == chosen), None)
    melody_notes = melody_part.notes if melody_part is not None else result.melody
    program = melody_part.program if melody_part is not None else 0
    chords = result.chord_part()

    def events(notes, channel: int) -> list[tuple[int, int, mido.Message]]:
        out = []
        for n in notes:
            on, off = round(n.start * TICKS), round((n.start + n.duration) * TICKS)
            out.append((on, 1, mido.Message("note_on", note=n.pitch, velocity=n.velocity, channel=channel)))
            out.append((off, 0, mido.Message("note_off", note=n.pitch, velocity=0, channel=channel)))
        return sorted(out, key=lambda e: (e[0], e[1]))  # note-offs before note-ons at the same tick

    def track(name: str, meta: list, notes, channel: int, prog: int) -> mido.MidiTrack:
        tr = mido.MidiTrack()
        tr.append(mido.MetaMessage("track_name", name=name, time=0))
        for m in meta:
            tr.append(m)
        tr.append(mido.Message("program_change", program=prog, channel=channel, time=0))
        now = 0
        for tick, _, msg in events(notes, channel):
            tr.append(msg.copy(time=tick - now))
            now = tick
        tr.append(mido.MetaMessage("end_of_track", time=0))
        return tr

    meta = [
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(score.tempo_bpm), time=0),
        mido.MetaMessage(
            "time_signature", numerator=score.meter.numerator, denominator=score.meter.denominator, time=0
        ),
    ]
    if score.key.mode.value in ("major", "minor"):
        name = score.key.tonic + ("m" if score.key.mode.value == "minor" else "")
        try:
            meta.append(mido.MetaMessage("key_signature", key=name, time=0))
        except ValueError:  # a spelling mido does not list (e.g. A#): leave the key out
            pass
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    mid.tracks.append(track("melody", meta, melody_notes, 0, program))
    mid.tracks.append(track("chords", [], chords.notes, 1, chords.program))
    from musicgrammar.fileio import atomic_write

    with atomic_write(path, suffix=".mid") as tmp:
        mid.save(str(tmp))


def _chosen_part_id(score) -> str | None:
    lead = score.lead()
    if lead is not None and lead.notes:
        return lead.id
    pitched = [p for p in score.parts if not p.is_drum and p.notes]
    return pitched[0].id if pitched else None


def harmonize_file(melody: Path, *, seed: int = 0, method: str = "ff", order: str = "certain", top_p: float = 0.9,
                   key: str = "", per_pass: int = 4, quiet: bool = True):  # type: ignore[no-untyped-def]
    """Read a melody file and harmonize it: (HarmonizationResult, the melody's Score as read)."""
    from musicgrammar.errors import UserInputError
    from musicgrammar.tools.harmonizer import harmonize_melody
    from musicgrammar.tools.io import load_melody

    if method not in ("ff", "rules"):
        raise UserInputError(f"unknown method {method!r} (choose ff or rules)", field="--method")
    if order not in ("certain", "random", "ltr"):
        raise UserInputError(f"unknown order {order!r} (choose certain, random or ltr)", field="--order")
    if not melody.exists():
        raise UserInputError("no such file", path=str(melody))
    score = load_melody(melody)
    if key:
        from musicgrammar.ontologies import Key

        try:
            score = score.model_copy(update={"key": Key.parse(key)})
        except ValueError as exc:
            raise UserInputError(str(exc), field="--key") from exc
    from musicgrammar.commands.progress import working

    notes = sum(len(p.notes) for p in score.parts)
    with working(f"harmonizing {notes} notes", quiet=quiet):
        result = harmonize_melody(score, seed=seed, method=method, order=order, top_p=top_p, per_pass=per_pass)  # type: ignore[arg-type]
    return result, score


def harmonize(
    melody: Path = typer.Argument(..., help="Melody file: MIDI (.mid), MusicXML (.musicxml/.xml/.mxl) or ABC (.abc)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the two-track MIDI (melody + chords)."),
    seed: int = typer.Option(0, "--seed", min=SEED[0], max=SEED[1], help="Sampling seed (same seed, same chords)."),
    method: str = typer.Option("ff", "--method", help="'ff' (trained model) or 'rules' (diatonic baseline)."),
    json_out: bool = typer.Option(False, "--json", help="Print key, chords and metrics as JSON."),
    top_p: float = typer.Option(0.9, "--top-p", min=0.0, max=1.0, help="Nucleus sampling mass (0 = greedy)."),
    order: str = typer.Option("certain", "--order", help="Unmasking order: certain, random or ltr."),
    key: str = typer.Option("", "--key", help="Override the melody's key, e.g. 'F major', 'D dorian'."),
    per_pass: int = typer.Option(4, "--per-pass", min=1, help="Chord steps unmasked per model pass (1 = one at a time)."),
) -> None:
    """Harmonize a melody: one chord decision per beat, in the melody's own key."""
    from musicgrammar.errors import UserInputError

    if out.is_dir():
        raise UserInputError("is a folder; give a file name for the MIDI", path=str(out))
    result, score = harmonize_file(melody, seed=seed, method=method, order=order, top_p=top_p, key=key, per_pass=per_pass,
                                   quiet=json_out)  # fmt: skip
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    write_two_track_midi(out, score, result)
    if json_out:
        typer.echo(json.dumps(result.to_json()))
    else:
        bars: dict[int, list[str]] = {}
        for c in result.chords:
            bars.setdefault(c.bar, []).append(c.symbol)
        typer.echo(f"{result.key} ({result.method}): " + " | ".join(" ".join(v) for _, v in sorted(bars.items())))
        typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command("harmonize")(harmonize)
