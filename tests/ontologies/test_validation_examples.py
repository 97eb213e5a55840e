"""The shipped examples: the valid ones validate, each invalid one yields the codes it promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from musicgrammar.ontologies import Composition, CompositionSpec, validate_composition, validate_spec
from musicgrammar.ontologies.files import load_composition

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VALID = sorted(EXAMPLES.glob("*.json"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.json"))


def _expected_codes(path: Path) -> set[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if "expect_codes" in data:
        return set(data["expect_codes"])
    sidecar = path.with_suffix(".expect.json")
    return set(json.loads(sidecar.read_text(encoding="utf-8")))


def test_there_are_three_valid_and_three_invalid_examples() -> None:
    assert len(VALID) == 3 and len([p for p in INVALID if not p.name.endswith(".expect.json")]) == 3


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_validates(path: Path) -> None:
    report = validate_composition(load_composition(path))
    assert report.valid, [f.line() for f in report.errors]
    assert not report.warnings, [f.line() for f in report.warnings]


@pytest.mark.parametrize("path", [p for p in INVALID if not p.name.endswith(".expect.json")], ids=lambda p: p.name)
def test_invalid_example_yields_its_codes(path: Path) -> None:
    expected = _expected_codes(path)
    report = validate_composition(load_composition(path))
    assert not report.valid
    assert expected and expected <= report.codes, f"missing {expected - report.codes}"


def _chorale() -> Composition:
    return load_composition(EXAMPLES / "chorale_g_minor.json")


def test_chorale_is_twelve_bars_in_g_minor_for_satb() -> None:
    comp = _chorale()
    assert comp.spec.bars == comp.score.bars == 12
    assert str(comp.spec.key) == "G minor"
    assert [p.instrument for p in comp.score.parts] == ["soprano", "alto", "tenor", "bass_voice"]
    # Every sounding note of bar 1, beat 1 belongs to the G minor triad.
    first = {n.pitch % 12 for p in comp.score.parts for n in p.notes if n.start == 0.0}
    assert first <= {7, 10, 2}
    # The last chord is G major (Picardy third): G, B natural, D.
    last = {n.pitch % 12 for p in comp.score.parts for n in p.notes if n.start == 44.0}
    assert last == {7, 11, 2}


def test_slip_jig_bars_are_nine_eighths() -> None:
    comp = load_composition(EXAMPLES / "slip_jig_d.json")
    assert str(comp.spec.meter) == "9/8" and comp.spec.tradition == "irish"
    whistle = comp.score.part("whistle")
    for bar in range(comp.score.bars):
        inside = [n for n in whistle.notes if bar * 4.5 <= n.start < (bar + 1) * 4.5]
        assert sum(n.duration for n in inside) == pytest.approx(4.5)  # the whistle fills every bar


def test_mande_dunun_plays_the_bell_timeline() -> None:
    from musicgrammar.ontologies import get_tradition

    comp = load_composition(EXAMPLES / "mande_kumbengo.json")
    timeline = next(t for t in get_tradition("mande").timelines if t.name == "mande_bell_12")
    bell = [n for n in comp.score.part("dunun").notes if n.pitch == 56]
    first_bar = sorted(n.start for n in bell if n.start < 6.0)
    assert first_bar == pytest.approx(timeline.onsets())
    assert comp.spec.key.mode.value.startswith("mande_")


def _spec_with_progression(progression: list[str]) -> CompositionSpec:
    return CompositionSpec.model_validate({
        "title": "t", "key": {"tonic": "C"}, "meter": "4/4", "tempo": {"bpm": 100},
        "sections": [{"id": "A", "role": "A", "bars": len(progression), "progression": progression, "cadence": "authentic"}],
        "ensemble": [{"id": "p", "instrument": "piano", "role": "lead"}],
    })  # fmt: skip


def test_empty_bar_three_is_reported_at_its_path() -> None:
    report = validate_spec(_spec_with_progression(["C", "F", "", "G C"]))
    empty = [f for f in report.findings if f.code == "HARMONY_BAR_EMPTY"]
    assert [f.path for f in empty] == ["spec.sections[0].progression[2]"]


def test_full_progression_with_authentic_close_is_valid() -> None:
    assert validate_spec(_spec_with_progression(["C", "F", "Dm7 G7", "C"])).valid
