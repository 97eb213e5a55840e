"""Analysis of one music21 corpus work (or one ABC tune) into an exemplar record.

Runs inside builder worker processes: every function takes a source and returns plain data (a dict
with the exemplar's JSON and its melody arrays) so results pickle cheaply and cache as JSON.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from musicgrammar.retrieval_corpus.exemplar import COLLECTIONS, Exemplar
from musicgrammar.retrieval_corpus.features import (
    Melody,
    compute_features,
    folk_mode_from_final,
    phrase_form,
    tempo_character,
)

__all__ = ["analyse_abc_tune", "analyse_file", "refresh_description", "split_abc", "abc_header_fields", "melody_of_stream"]

_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_ABC_MODES = {"m": "minor", "min": "minor", "minor": "minor", "aeo": "minor", "maj": "major", "ion": "major",
              "major": "major", "dor": "dorian", "phr": "phrygian", "lyd": "lydian", "mix": "mixolydian",
              "loc": "locrian"}
_MODE_WORDS = {
    "major": "major-key, bright",
    "minor": "minor-key, dark and sad",
    "dorian": "dorian-mode, modal minor",
    "phrygian": "phrygian-mode, dark modal",
    "lydian": "lydian-mode, bright modal",
    "mixolydian": "mixolydian-mode, modal major",
    "locrian": "locrian-mode",
}
_STYLE_WORDS = {
    "renaissance_polyphony": "Renaissance sacred vocal polyphony",
    "renaissance_madrigal": "Renaissance / early Baroque secular madrigal",
    "early_polyphony": "Medieval and Renaissance polyphony",
    "western_classical": "Classical or Romantic concert music",
    "baroque": "Baroque keyboard or instrumental music",
}
_GENRE_WORDS = [  # title / rhythm-field keyword -> genre (first match wins; order matters)
    ("slip jig", "slip jig"), ("slipjig", "slip jig"), ("jig", "jig"), ("reel", "reel"),
    ("hornpipe", "hornpipe"), ("strathspey", "strathspey"), ("highland fling", "highland fling"),
    ("quick step", "march"), ("quickstep", "march"), ("march", "march"), ("waltz", "waltz"),
    ("polka", "polka"), ("clog", "clog"), ("lament", "lament"), ("air", "air"), ("minuet", "minuet"),
    ("country dance", "country dance"), ("set dance", "set dance"), ("slide", "slide"), ("song", "song"),
]
_ORIGIN_WORDS = {
    "Europa": "Europe", "Mitteleuropa": "Central Europe", "Deutschland": "Germany", "Schweiz": "Switzerland",
    "Oesterreich": "Austria", "Frankreich": "France", "Polen": "Poland", "Irland": "Ireland",
    "Luxemburg": "Luxembourg", "Lothringen": "Lorraine", "Elsass": "Alsace", "Tschechien": "Czechia",
    "Niederlande": "Netherlands", "Russland": "Russia", "Ungarn": "Hungary", "Rumaenien": "Romania",
    "Schweden": "Sweden", "Daenemark": "Denmark", "Italien": "Italy", "Jugoslavija": "Yugoslavia",
    "Jugoslawien": "Yugoslavia", "Nordeuropa": "Northern Europe", "Osteuropa": "Eastern Europe",
    "Westeuropa": "Western Europe", "Suedeuropa": "Southern Europe", "Asien": "Asia", "Amerika": "America",
    "Nordamerika": "North America", "Mexiko": "Mexico", "Brasilien": "Brazil", "Nordwesten": "north-west",
}


# ----------------------------------------------------------------------------------------------- ABC


def split_abc(text: str) -> list[tuple[str, str]]:
    """Split a multi-tune ABC file into (reference number, tune text); the file header (before the
    first X:) is prepended to every tune, as ABC requires."""
    parts = re.split(r"(?m)^(?=X:)", text)
    header = parts[0] if parts and not parts[0].lstrip().startswith("X:") else ""
    tunes = []
    for part in parts:
        match = re.match(r"X:\s*(\S*)", part)
        if match:
            tunes.append((match.group(1) or str(len(tunes) + 1), header + part))
    return tunes


def abc_header_fields(tune: str) -> dict[str, list[str]]:
    """Header fields (letter -> values in order) up to and including K:."""
    fields: dict[str, list[str]] = {}
    for line in tune.splitlines():
        match = re.match(r"^([A-Za-z]):\s*(.*)$", line)
        if match:
            fields.setdefault(match.group(1), []).append(match.group(2).strip().strip('"').strip())
            if match.group(1) == "K":
                break
    return fields


def _strip_annotations(tune: str) -> str:
    """Drop quoted strings from the tune body: in these books they are fingerings, not chords."""
    head, sep, body = tune.partition("\nK:")
    if not sep:
        return tune
    first, nl, rest = body.partition("\n")
    return head + sep + first + nl + re.sub(r'"[^"\n]*"', "", rest)


def _parse_abc_key(value: str) -> tuple[int, str | None] | None:
    """'Ador' -> (9, 'dorian'); 'G' -> (7, None) (mode not stated); None if unparsable."""
    match = re.match(r"^\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)", value)
    if not match:
        return None
    pc = _NAMES.index(match.group(1).upper()) if match.group(1).upper() in _NAMES else None
    if pc is None:
        return None
    pc = (pc + {"#": 1, "b": -1}.get(match.group(2), 0)) % 12
    word = match.group(3).lower()
    mode = _ABC_MODES.get(word[:3] if word not in _ABC_MODES else word) if word else None
    return pc, mode


def _genre_from(texts: list[str]) -> str | None:
    joined = " ".join(texts).lower()
    for word, genre in _GENRE_WORDS:
        if re.search(rf"\b{re.escape(word)}s?\b", joined):
            return genre
    return None


def _origin(value: str | None) -> str | None:
    if not value:
        return None
    words = [w.strip() for w in re.split(r"[,;]", value) if w.strip()]
    words = [_ORIGIN_WORDS.get(w, w) for w in words if w.isprintable()]
    words = [re.sub(r"[^\w\s().'-]", "", w) for w in words]
    return ", ".join(words) or None


# ------------------------------------------------------------------------------------------- melody


def melody_of_stream(part: Any, expand_repeats: bool = False) -> Melody:
    """Top line of a music21 Part/Score: ties merged, rests and grace notes dropped, chords -> top.

    With expand_repeats, simple |: :| repeats (without volta brackets) are played twice, so a tune
    written A:|B:| reads AABB; tunes with first/second endings are left as written.
    """
    from music21 import bar, harmony, spanner

    notes: list[tuple[int, float, float, bool]] = []  # (pitch, onset, duration, tied to the previous)
    measures = list(part.recurse().getElementsByClass("Measure")) if expand_repeats else []
    has_voltas = bool(measures) and bool(part.spannerBundle.getByClass(spanner.RepeatBracket))
    if measures and not has_voltas:
        # Replay measure ranges at end-repeat barlines; offsets are rebuilt by accumulating bar lengths.
        order: list[Any] = []
        start = 0
        for i, m in enumerate(measures):
            if isinstance(m.leftBarline, bar.Repeat) and m.leftBarline.direction == "start":
                start = i
            order.append(m)
            if isinstance(m.rightBarline, bar.Repeat) and m.rightBarline.direction == "end":
                order.extend(measures[start : i + 1])
                start = i + 1
        elements = []
        cursor = 0.0
        for m in order:
            for el in m.flatten().notes:
                elements.append((el, cursor + float(el.offset)))
            cursor += float(m.duration.quarterLength)
    else:
        elements = [(el, float(el.offset)) for el in part.flatten().notes]
    for el, onset in elements:
        if isinstance(el, harmony.Harmony):
            continue
        dur = float(el.quarterLength)
        if dur <= 0:
            continue
        pitches = [p.midi for p in getattr(el, "pitches", ())]
        if not pitches:
            continue
        tie = getattr(el, "tie", None)
        tied = tie is not None and tie.type in ("stop", "continue")
        top = int(max(pitches))
        if tied and notes and notes[-1][0] == top and abs(notes[-1][1] + notes[-1][2] - onset) < 1e-3:
            p, o, d, _ = notes[-1]
            notes[-1] = (p, o, d + dur, True)  # merge the tied continuation into its note
            continue
        notes.append((top, onset, dur, False))
    return Melody.from_notes([(p, o, d) for p, o, d, _ in notes])


def _time_signature(stream: Any) -> str | None:
    from music21 import meter

    for ts in stream.recurse().getElementsByClass(meter.TimeSignature):
        return f"{ts.numerator}/{ts.denominator}"
    return None


def _bar_quarters(meter_text: str | None) -> float:
    if not meter_text:
        return 4.0
    num, den = meter_text.split("/")
    return int(num) * 4.0 / int(den)


def _key_name(name: str) -> str | None:
    text = name.replace("-", "b")
    text = text[:1].upper() + text[1:]
    return text if re.fullmatch(r"[A-G](#|b)?", text) else None


def _analysed_key(stream: Any) -> tuple[str | None, str | None]:
    try:
        key = stream.analyze("key")
    except Exception:
        return None, None
    return _key_name(key.tonic.name), ("minor" if key.mode == "minor" else "major")


def _motion_words(melody: Melody) -> str:
    if len(melody) < 2:
        return ""
    steps = np.abs(np.diff(melody.pitches.astype(int)))
    stepwise = float(np.mean(steps <= 2))
    motion = "mostly stepwise" if stepwise >= 0.7 else ("leaping, disjunct" if stepwise < 0.45 else "mixed steps and leaps")
    ambitus = int(melody.pitches.max() - melody.pitches.min())
    span = "narrow range" if ambitus <= 9 else ("wide range" if ambitus >= 17 else "moderate range")
    return f"{motion} melody with a {span} ({ambitus} semitones)"


def _describe(ex: dict[str, Any], melody: Melody, kind: str) -> str:
    """The text that text search embeds: generated from the analysed fields, one template per kind."""
    display = COLLECTIONS[ex["collection"]][0]
    key = f"{ex['tonic']} {ex['mode']}" if ex.get("tonic") and ex.get("mode") else "unknown key"
    mode_words = _MODE_WORDS.get(ex.get("mode") or "", "")
    meter = ex.get("meter") or "free meter"
    parts = []
    if kind == "chorale":
        parts.append(
            f"Lutheran chorale (church hymn) \"{ex['title']}\" harmonized in four parts by Johann Sebastian Bach"
            + (f" ({ex['catalogue']})" if ex.get("catalogue") else "")
        )
        parts.append(f"{ex['tempo_character']} sacred hymn in {key} ({mode_words}), {meter}, homophonic four-voice SATB texture")
    elif kind == "folk":
        genre = ex.get("genre") or "folk song"
        origin = f" from {ex['origin']}" if ex.get("origin") else ""
        trad = {"irish_folk": "Irish traditional", "scottish_folk": "Scottish traditional"}.get(ex["tradition"], "traditional")
        parts.append(f"{trad} {genre}{origin} \"{ex['title']}\" from {display}")
        dance = "dance tune" if ex.get("genre") in {"jig", "reel", "hornpipe", "slip jig", "polka", "strathspey", "clog", "highland fling", "set dance", "slide", "waltz", "minuet", "country dance"} else "tune"
        parts.append(f"{ex['tempo_character']} {dance} in {key} ({mode_words}), {meter}, a single unaccompanied melody line")
    else:
        who = ex.get("composer") or display
        style = _STYLE_WORDS.get(ex["tradition"], "")
        mass = " mass movement" if ex["collection"] == "palestrina" and re.match(
            r"(kyrie|gloria|credo|sanctus|benedictus|agnus|osanna|hosanna)", ex["title"], re.I) else ""
        parts.append(f"{style}{mass} \"{ex['title']}\" by {who} ({display})".strip())
        parts.append(f"{ex['tempo_character']} {ex['texture']} piece for {ex['voices']} voices or parts in {key} ({mode_words}), {meter}")
    if ex.get("form"):
        parts.append(f"phrase form {ex['form']}")
    parts.append(f"{ex['bars']} bars")
    if ex.get("cadences"):
        parts.append("cadences " + " ".join(ex["cadences"][:8]))
    if ex.get("roman_numerals"):
        parts.append("opening progression " + " ".join(ex["roman_numerals"][:8]))
    motion = _motion_words(melody)
    if motion:
        parts.append(motion)
    return "; ".join(parts) + "."


def _record(ex: dict[str, Any], melody: Melody, kind: str) -> dict[str, Any]:
    tonic_pc = _NAMES.index(ex["tonic"]) if ex.get("tonic") in _NAMES else _sharp_pc(ex.get("tonic"))
    feats = compute_features(melody, tonic_pc)
    ex["features"] = feats.model_dump()
    ex["duration_quarters"] = round(melody.end, 3)
    ex["tempo_character"] = tempo_character(ex.get("genre"), ex.pop("tempo_hint", None), feats.note_density, ex.get("meter"))
    ex["description"] = _describe(ex, melody, kind)
    exemplar = Exemplar.model_validate(ex)  # validate in the worker: bad records are skipped and counted
    return {
        "exemplar": exemplar.model_dump(mode="json", exclude={"score"}),
        "melody": [melody.pitches.tolist(), [round(float(x), 4) for x in melody.onsets], [round(float(x), 4) for x in melody.durations]],
    }


def refresh_description(record: dict[str, Any]) -> dict[str, Any]:
    """Regenerate a cached record's description with the current templates (no re-analysis)."""
    ex = record["exemplar"]
    p, o, d = record["melody"]
    melody = Melody(np.asarray(p, np.int16), np.asarray(o, np.float32), np.asarray(d, np.float32))
    kind = {"bach_chorales": "chorale"}.get(ex["collection"]) or ("folk" if ex["texture"] == "monophonic" and ex["collection"] in ("essen", "oneills", "ryans", "aird", "misc_folk") else "work")
    return {**record, "exemplar": {**ex, "description": _describe(ex, melody, kind)}}


def _sharp_pc(name: str | None) -> int | None:
    if not name:
        return None
    base = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}.get(name[0])
    if base is None:
        return None
    return (base + name[1:].count("#") - name[1:].count("b")) % 12


def analyse_abc_tune(tune: str, collection: str, source: str, ref: str) -> dict[str, Any]:
    """One ABC tune -> record. Key and mode come from K: when it states a mode, else from the final
    note against the key signature (church modes), else from key finding."""
    from music21 import converter

    fields = abc_header_fields(tune)
    score = converter.parse(_strip_annotations(tune), format="abc", forceSource=True)
    part = score.parts[0] if getattr(score, "parts", None) else score
    melody = melody_of_stream(part, expand_repeats=True)
    if len(melody) < 4:
        raise ValueError("fewer than 4 notes")
    meter_text = _time_signature(part) or (fields.get("M", [None])[0])
    if meter_text in ("C", "C|"):
        meter_text = "4/4" if meter_text == "C" else "2/2"
    if meter_text and not re.fullmatch(r"\d+/\d+", meter_text):
        meter_text = None
    tonic, mode = None, None
    parsed = _parse_abc_key(fields.get("K", [""])[-1])
    if parsed and parsed[1]:
        tonic, mode = _NAMES[parsed[0]], parsed[1]
    elif parsed:
        # The signature's major tonic is K:'s tonic when no mode is given.
        found = folk_mode_from_final(melody, parsed[0])
        if found:
            tonic, mode = _NAMES[found[0]], found[1]
    if tonic is None:
        tonic, mode = _analysed_key(part)
    titles = fields.get("T", [])
    title = titles[0] if titles and titles[0] else f"{COLLECTIONS[collection][0]} no. {ref}"
    if title.isupper():  # Ryan's titles are in capitals
        title = " ".join(w[:1].upper() + w[1:].lower() for w in title.split())
    rhythm = fields.get("R", [])
    # The book's own title ("... -- Jig") names the genre as printed; the R: field was added by transcribers.
    genre = _genre_from(titles) or _genre_from(rhythm)
    if genre is None and collection in ("oneills", "ryans", "aird") and "slow" not in " ".join(fields.get("N", [])).lower():
        # Irish and Scottish books: the meter names the dance when no rhythm field does.
        genre = {"6/8": "jig", "9/8": "slip jig", "12/8": "slide"}.get(meter_text or "")
    if collection == "essen":
        stem = Path(source).stem
        genre = genre or ("children's song" if stem.startswith("kinder") else "ballad" if stem.startswith("ballad") else "folk song")
    notes = fields.get("N", [])
    catalogue = None
    if collection == "essen":
        catalogue = next((f"Essen {n}" for n in notes if re.fullmatch(r"[A-Z]\d{3,5}[A-Z]?", n)), None)
    elif collection == "oneills":
        catalogue = fields.get("B", [None])[0]
    elif collection == "aird":
        catalogue = f"Aird {Path(source).stem} no. {ref.lstrip('0') or ref}"
    bars = int(round((melody.end - float(melody.onsets[0])) / _bar_quarters(meter_text)))
    composer = fields.get("C", [None])[0]
    ex: dict[str, Any] = {
        "id": f"{collection}/{Path(source).stem}#{ref}",
        "title": title,
        "composer": composer.title() if composer and composer.isupper() else composer,
        "collection": collection,
        "catalogue": catalogue,
        "source": f"{source}#X:{ref}",
        "licence": COLLECTIONS[collection][2],
        "tradition": COLLECTIONS[collection][1],
        "origin": _origin(fields.get("O", [None])[0]),
        "tonic": tonic,
        "mode": mode,
        "meter": meter_text,
        "form": phrase_form(melody, _bar_quarters(meter_text), bars),
        "genre": genre,
        "texture": "monophonic",
        "voices": 1,
        "bars": bars,
        "tempo_hint": " ".join(notes + fields.get("Q", [])),
    }
    return _record(ex, melody, "folk")


# ------------------------------------------------------------------------------------ scored works


def _chord_symbol(pcs: set[int], bass: int) -> str:
    """Template match of a pitch-class set to a chord symbol (root + quality, '/bass' if inverted)."""
    templates = [("", {0, 4, 7}), ("m", {0, 3, 7}), ("7", {0, 4, 7, 10}), ("maj7", {0, 4, 7, 11}),
                 ("m7", {0, 3, 7, 10}), ("dim", {0, 3, 6}), ("m7b5", {0, 3, 6, 10}), ("dim7", {0, 3, 6, 9}),
                 ("aug", {0, 4, 8}), ("", {0, 4}), ("m", {0, 3}), ("5", {0, 7})]
    best, best_score = None, -1.0
    for root in sorted(pcs, key=lambda r: (r != bass, r)):
        rel = {(p - root) % 12 for p in pcs}
        for quality, tpl in templates:
            score = len(rel & tpl) - 0.6 * len(rel - tpl) - 0.4 * len(tpl - rel) + (0.1 if root == bass else 0)
            if score > best_score:
                best, best_score = (root, quality), score
    if best is None:
        return "N.C."
    root, quality = best
    symbol = _NAMES[root] + quality
    return symbol if bass == root else f"{symbol}/{_NAMES[bass]}"


def _chorale_harmony(score: Any, tonic: str | None, mode: str | None) -> tuple[list[str], list[str], list[str]]:
    """Chord symbols and roman numerals per beat (chordify), and cadences at the soprano's fermatas."""
    from music21 import expressions, key as m21key, roman

    chordified = score.chordify()
    k = m21key.Key(tonic.replace("b", "-") if tonic else "C", "minor" if mode == "minor" else "major")
    beats: list[tuple[float, Any, Any]] = []  # (offset, music21 chord, RomanNumeral)
    for chord in chordified.flatten().getElementsByClass("Chord"):
        try:
            on_beat = float(chord.beat) % 1 == 0
        except Exception:
            on_beat = True
        if not on_beat or not chord.pitches:
            continue
        try:
            rn = roman.romanNumeralFromChord(chord, k)
        except Exception:
            rn = None
        beats.append((float(chord.offset), chord, rn))
    symbols = [_chord_symbol({p.pitchClass for p in c.pitches}, c.bass().pitchClass) for _, c, _ in beats]
    romans = [rn.figure if rn is not None else "?" for _, _, rn in beats]
    soprano = score.parts[0].flatten()
    fermatas = sorted({float(n.offset) for n in soprano.notes if any(isinstance(e, expressions.Fermata) for e in n.expressions)})
    cadences: list[str] = []
    offsets = [b[0] for b in beats]
    for end in fermatas:
        i = max((j for j, off in enumerate(offsets) if off <= end + 1e-6), default=-1)
        if i < 1 or beats[i][2] is None or beats[i - 1][2] is None:
            continue
        last, prev = beats[i][2], beats[i - 1][2]
        degree, before = last.scaleDegree, prev.scaleDegree
        top_pc = max(beats[i][1].pitches).pitchClass
        if degree == 1 and before == 5:
            perfect = last.inversion() == 0 and prev.inversion() == 0 and top_pc == k.tonic.pitchClass
            cadences.append("PAC" if perfect else "IAC")
        elif degree == 1 and before == 4:
            cadences.append("PC")
        elif degree == 5:
            cadences.append("HC")
        elif degree == 6 and before == 5:
            cadences.append("DC")
        else:
            cadences.append("other")
    return symbols, romans, cadences


def _texture(score: Any, melody: Melody) -> tuple[str, int]:
    parts = list(getattr(score, "parts", []))
    if len(parts) <= 1:
        return "monophonic", 1
    onsets = set(np.round(melody.onsets, 3).tolist())
    shared = []
    for part in parts[1:]:
        other = {round(float(n.offset), 3) for n in part.flatten().notes}
        shared.append(len(onsets & other) / max(len(onsets), 1))
    return ("homophonic" if float(np.mean(shared)) >= 0.6 else "polyphonic"), len(parts)


def analyse_file(path: str, collection: str, source: str, catalogue: str | None = None, title: str | None = None) -> dict[str, Any]:
    """A scored work (MusicXML / Humdrum) -> record; chorales also get chords, numerals and cadences."""
    from music21 import converter

    score = converter.parse(path, forceSource=True)
    parts = list(getattr(score, "parts", [])) or [score]
    # Top line: the part with the highest mean pitch (Humdrum and some MusicXML list parts low to high).
    best, best_mean = parts[0], -1.0
    for part in parts:
        pitches = [p.midi for n in part.flatten().notes for p in getattr(n, "pitches", ())]
        if pitches and float(np.mean(pitches)) > best_mean:
            best, best_mean = part, float(np.mean(pitches))
    melody = melody_of_stream(best)
    if len(melody) < 4:
        raise ValueError("fewer than 4 notes in the top line")
    tonic, mode = _analysed_key(score)
    meter_text = _time_signature(score)
    md = score.metadata
    name = title or (md.title if md and md.title else None) or Path(path).stem
    if collection == "bach_chorales" and title is None:
        name = f"Chorale {catalogue}" if catalogue else name  # music21's title is the file name here
    if title is None and collection != "bach_chorales" and md and md.movementName and md.movementName != name and not re.search(r"\.(mxl|xml|krn)$", md.movementName):
        name = f"{name}: {md.movementName}"
    texture, voices = _texture(score, melody)
    bars = len(best.getElementsByClass("Measure")) or int(round(melody.end / _bar_quarters(meter_text)))
    default_composer = {"bach_chorales": "Johann Sebastian Bach", "bach_other": "Johann Sebastian Bach",
                        "palestrina": "Giovanni Pierluigi da Palestrina", "monteverdi": "Claudio Monteverdi"}
    composer = default_composer.get(collection) or (md.composer if md and md.composer else None)
    # Stable id: the corpus path without its extension (and without the top folder where the
    # collection already names it).
    rel_parts = source[: -len(Path(source).suffix)].split("/")
    keep_top = collection in ("classical", "renaissance", "misc_folk")
    ex: dict[str, Any] = {
        "id": f"{collection}/" + "/".join(rel_parts if keep_top else rel_parts[1:] or rel_parts),
        "title": name,
        "composer": composer,
        "collection": collection,
        "catalogue": catalogue,
        "source": source,
        "licence": COLLECTIONS[collection][2],
        "tradition": COLLECTIONS[collection][1],
        "tonic": tonic,
        "mode": mode,
        "meter": meter_text,
        "form": phrase_form(melody, _bar_quarters(meter_text), bars) if bars <= 64 else None,
        "genre": "chorale" if collection == "bach_chorales" else None,
        "texture": texture,
        "voices": voices,
        "bars": bars,
    }
    kind = "work"
    if collection == "bach_chorales":
        kind = "chorale"
        ex["chords"], ex["roman_numerals"], ex["cadences"] = _chorale_harmony(score, tonic, mode)
        ex["genre"] = "hymn"
    return _record(ex, melody, kind)
