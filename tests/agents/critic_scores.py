"""Small hand-written pieces for the critics' tests: a spec with chords and a score that realizes it."""

from __future__ import annotations

from musicgrammar.ontologies import (
    Affect,
    Cadence,
    CompositionSpec,
    EnsembleMember,
    Key,
    Meter,
    Note,
    Part,
    Score,
    Section,
    Tempo,
)
from musicgrammar.tools.analysis import chord_timeline

ENSEMBLE = {"lead": ("flute", "lead"), "keys": ("acoustic_grand_piano", "harmony"), "bass": ("acoustic_bass", "bass")}


def N(pitch: int, start: float, duration: float = 1.0, velocity: int = 80, chromatic: bool = False) -> Note:
    return Note(pitch=pitch, start=start, duration=duration, velocity=velocity, chromatic=chromatic)


def make_spec(
    sections: list[tuple[str, str, list[str]]],
    key: str = "C major",
    meter: str = "4/4",
    cadences: list[str] | None = None,
    arousal: list[float] | None = None,
) -> CompositionSpec:
    """sections: (id, role, bar-by-bar chords)."""
    return CompositionSpec(
        title="test piece",
        key=Key.parse(key),
        meter=Meter.parse(meter),
        tempo=Tempo(bpm=120),
        sections=[
            Section(id=sid, role=role, bars=len(prog), progression=prog,
                    cadence=Cadence(cadences[i]) if cadences else Cadence.OPEN,
                    affect=Affect(arousal=arousal[i]) if arousal else Affect())
            for i, (sid, role, prog) in enumerate(sections)
        ],  # fmt: skip
        ensemble=[EnsembleMember(id=i, instrument=inst, role=role) for i, (inst, role) in ENSEMBLE.items()],
    )


def make_score(spec: CompositionSpec, parts: dict[str, list[Note]]) -> Score:
    return Score(
        title=spec.title, key=spec.key, meter=spec.meter, tempo_bpm=spec.tempo.bpm, bars=spec.bars,
        parts=[Part(id=pid, instrument=ENSEMBLE[pid][0], role=ENSEMBLE[pid][1], notes=notes) for pid, notes in parts.items()],
    )  # fmt: skip


def block_chords(spec: CompositionSpec, low: int = 55, velocity: int = 70) -> list[Note]:
    """Every chord of the spec held as a close-position block from `low`."""
    return [N(p, e.onset, e.duration, velocity) for e in chord_timeline(spec) for p in e.chord.voiced(low)]


def root_bass(spec: CompositionSpec, low: int = 36, velocity: int = 80) -> list[Note]:
    """The chord roots (or slash basses) on every chord onset, in the octave from `low`."""
    return [N(low + (e.chord.bass_pc - low) % 12, e.onset, e.duration, velocity) for e in chord_timeline(spec)]
