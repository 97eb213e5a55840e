"""The audio index: chroma of rendered music names its pitch classes, and a rendered excerpt of a
library work, transposed, re-timed and played on another instrument and soundfont, is found in an
index of rendered works with its transposition and tempo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from musicgrammar.ontologies import Key, Meter, Note, Part, Score

pytest.importorskip("fluidsynth")

CHORALE, REEL, JIG = "bach_chorales/bwv269", "oneills/0001-0050#45", "oneills/0051-0100#75"


def _render(score: Score, out: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    from musicgrammar.tools.render import render_score, timgm_soundfont

    mix = render_score(score, out, soundfont=timgm_soundfont(), sample_rate=22050, tail_s=0.5).mix
    samples, sr = sf.read(str(mix), dtype="float32")
    return samples, sr


def test_chroma_of_a_c_major_triad_is_c_e_g(tmp_path: Path) -> None:
    from musicgrammar.tools.listen.chroma import chroma_frames, quantize

    triad = [Note(pitch=p, start=0.0, duration=4.0) for p in (48, 64, 67)]
    score = Score(title="triad", key=Key(tonic="C"), meter=Meter.parse("4/4"), tempo_bpm=60, bars=1,
                  parts=[Part(id="p", instrument="string_ensemble_1", notes=triad)])  # fmt: skip
    samples, sr = _render(score, tmp_path)
    frames = chroma_frames(samples, sr)
    assert frames.shape[1] == 12 and abs(len(frames) - len(samples) / sr * 10) <= 3  # 10 frames per second
    middle = frames[10:30].sum(axis=0)
    assert set(np.argsort(middle)[-3:]) == {0, 4, 7}
    levels = quantize(frames)
    assert levels.dtype == np.uint8 and levels.max() <= 4 and levels[20, [0, 4, 7]].min() >= 2


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three library works (a four-part chorale and two reels) rendered into an index."""
    from musicgrammar.retrieval_corpus.audio_index import build_audio_index, packaged_records

    records = {r["exemplar"]["id"]: r for r in packaged_records()}
    path = tmp_path_factory.mktemp("audio-index") / "index.npz"
    index = build_audio_index([records[i] for i in (CHORALE, REEL, JIG)], path)
    return index, path, records


def _excerpt(record: dict, first: float, beats: float, shift: int, bpm: float) -> Score:
    from musicgrammar.retrieval_corpus.audio_index import work_notes

    notes = [Note(pitch=p + shift, start=o - first, duration=min(d, first + beats - o))
             for p, o, d in work_notes(record) if first <= o < first + beats]  # fmt: skip
    return Score(title="excerpt", key=Key(tonic="C"), meter=Meter.parse("4/4"), tempo_bpm=bpm, bars=int(beats // 4),
                 parts=[Part(id="organ", instrument="church_organ", notes=notes)])  # fmt: skip


def test_a_transposed_faster_excerpt_of_the_chorale_is_found_with_its_shift_and_tempo(tiny_index, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from musicgrammar.retrieval_corpus.audio_index import REF_BPM, audio_search, load_audio_index
    from musicgrammar.tools.listen.chroma import chroma_frames, quantize

    index, path, records = tiny_index
    assert load_audio_index(path).ids == [CHORALE, REEL, JIG]
    # bars 3-10 of the chorale, all four voices, three semitones up, at 125 quarters per minute
    samples, sr = _render(_excerpt(records[CHORALE], 8.0, 32.0, 3, 125.0), tmp_path)
    hits = audio_search(quantize(chroma_frames(samples, sr)), index)
    best = hits[0]
    assert best.id == CHORALE and best.shift == 3
    assert abs(best.tempo_bpm / 125.0 - 1.0) <= 0.05
    assert abs(best.start_s - 8.0 * 60.0 / REF_BPM) <= 1.5  # it starts two bars in, at the index's tempo
    assert best.score - hits[1].score >= 0.04


def test_the_index_file_is_replaced_whole_or_not_at_all(tiny_index, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from musicgrammar.errors import StoreError
    from musicgrammar.retrieval_corpus import audio_index

    index, path, records = tiny_index
    before = path.read_bytes()
    monkeypatch.setattr(audio_index, "_render_levels", lambda notes, soundfont: (_ for _ in ()).throw(RuntimeError("no synth")))
    with pytest.raises(StoreError, match="no work"):
        audio_index.build_audio_index([records[REEL]], path)
    assert path.read_bytes() == before


def test_ask_reads_key_tempo_and_voices_from_the_aligned_work(tiny_index, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("basic_pitch")
    from musicgrammar.graphs.qa import QAContext, ask
    from musicgrammar.retrieval_corpus.api import _subset_records
    from musicgrammar.retrieval_corpus.store import build_store
    from musicgrammar.tools.render import render_score, timgm_soundfont

    index, path, records = tiny_index
    store = build_store(_subset_records(), tmp_path / "store")
    wav = render_score(_excerpt(records[CHORALE], 8.0, 32.0, 3, 125.0), tmp_path / "clip", soundfont=timgm_soundfont(),
                       sample_rate=22050, tail_s=0.5).mix  # fmt: skip
    context = QAContext(store=store, analyses={}, extras={"audio_index": path})
    written = Key(tonic=records[CHORALE]["exemplar"]["tonic"], mode=records[CHORALE]["exemplar"]["mode"])
    key = ask("What key is this in?", audio=wav, context=context).answer
    sounding = Key.parse(key.answer)
    assert (sounding.tonic_pc - written.tonic_pc) % 12 == 3 and sounding.mode == written.mode
    assert key.sources[0].id == CHORALE
    tempo = ask("How fast is this, in beats per minute?", audio=wav, context=context).answer
    assert abs(float(tempo.answer.split()[0]) / 125.0 - 1.0) <= 0.05
    assert ask("How many voices can you hear?", audio=wav, context=context).answer.answer == "4"
    title = ask("Which piece is this?", audio=wav, context=context)
    assert title.answer.sources[0].id == CHORALE and title.tried[0] == "audio"
    alone = ask("What key is this in?", audio=wav, context=context, retrieval=False)
    assert alone.tried == [] and not alone.answer.sources  # without retrieval: heard, not looked up
