"""What a chat says about its piece: the summary, `show`, `history`, and answers to "why ...?"
drawn from the edits' reasons, the design run's trace and the exemplars it used, and the findings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from musicgrammar.graphs.chat_state import ChatState
from musicgrammar.ontologies import Composition, get_instrument, validate_composition
from musicgrammar.ontologies.edit import Revision

__all__ = ["summary", "show", "history", "why", "HELP"]

HELP = (
    "Ask for a piece ('a waltz in G for flute and harp'), then change it: 'transpose it to E minor', 'slower', "
    "'at 90', 'give the melody to the clarinet', 'add a cello', 'no drums', 'make the B section darker', "
    "'make the A section louder', '8 more bars', 'drop the coda', 'reharmonize bar 5', 'simpler chords in the A section'. "
    "Ask how it sounds ('what tempo does it sound like?', 'does it sound like any chorale?'). "
    "Session: undo, redo, history, show, render, export musicxml|midi|wav [PATH], branch [NAME], why ...?"
)

_TOPICS: dict[str, tuple[str, ...]] = {
    "key": (r"\bkey\b", r"\bminor\b", r"\bmajor\b", r"\bmode\b", r"\btranspos"),
    "tempo": (r"\btempo\b", r"\bslow", r"\bfast", r"\bbpm\b", r"\bspeed\b"),
    "ensemble": (r"\binstrument", r"\bmelody\b", r"\bplay", r"\bensemble\b", r"\bdrums?\b"),
    "progression": (r"\bchords?\b", r"\bharmon", r"\bbar \d+", r"\bcadence\b"),
    "sections": (r"\bsection", r"\bform\b", r"\blong\b", r"\bbars\b", r"\bcoda\b", r"\bdynamic", r"\bloud", r"\bsoft", r"\bdark", r"\bbright"),
    "meter": (r"\bmeter\b", r"\btime signature\b", r"\b\d/\d\b", r"\bwaltz\b"),
}


def summary(state: ChatState) -> dict[str, Any]:
    """The `summary` object of a turn's JSON (all None before the first piece)."""
    rev = state.revision()
    if rev is None:
        return dict.fromkeys(("key", "meter", "tempo_bpm", "instruments", "bars", "duration_s", "valid"))
    spec = rev.spec
    names: list[str] = []
    for member in spec.ensemble:
        name = get_instrument(member.instrument).name
        if name not in names:
            names.append(name)
    return {"key": str(spec.key), "meter": str(spec.meter), "tempo_bpm": spec.tempo.bpm, "instruments": names,
            "bars": spec.bars, "duration_s": round(spec.duration_seconds, 2), "valid": rev.valid}  # fmt: skip


def revision_valid(rev: Revision) -> bool:
    return validate_composition(Composition(spec=rev.spec, score=rev.score)).valid


def show(state: ChatState) -> str:
    rev = state.revision()
    if rev is None:
        return "no piece yet: describe one, e.g. 'a waltz in G for flute and harp'"
    spec = rev.spec
    s = summary(state)
    lines = [f"“{spec.title}”, revision {rev.number}: {s['key']}, {s['meter']}, {spec.tempo.bpm:g} BPM, {s['bars']} bars, "
             f"{s['duration_s']:.1f} s, {'valid' if rev.valid else 'INVALID'}"]  # fmt: skip
    lines.append("ensemble: " + ", ".join(f"{m.id} ({get_instrument(m.instrument).name}, {m.role.value})" for m in spec.ensemble))
    for section in spec.sections:
        key = f" in {section.key}" if section.key else ""
        lines.append(f"  {section.id} ({section.role.value}{key}, {section.bars} bars, {section.dynamic.value}): {' | '.join(section.progression)} [{section.cadence.value}]")
    if state.tradition:
        lines.append(f"tradition: {state.tradition}; custodians: {', '.join(state.custodians) or 'none named'}")
    return "\n".join(lines)


def history(state: ChatState) -> str:
    if not state.revisions:
        return "no revisions yet"
    lines = []
    for rev in state.revisions:
        mark = "*" if rev.number == state.current else " "
        what = "; ".join(dict.fromkeys(e.reason or e.line() for e in rev.edits)) or "first piece"
        lines.append(f"{mark} r{rev.number}" + (f" (from r{rev.parent})" if rev.parent else "") + f": “{rev.request[:60]}” - {what[:160]}")
    return "\n".join(lines)


def _lineage(state: ChatState) -> list[Revision]:
    """The current revision and its ancestors, newest first."""
    out, rev = [], state.revision()
    while rev is not None:
        out.append(rev)
        rev = state.revision(rev.parent) if rev.parent else None
    return out


def _topic(question: str) -> str | None:
    lower = question.lower()
    for topic, patterns in _TOPICS.items():
        if any(re.search(p, lower) for p in patterns):
            return topic
    return None


def _design_trace(run_dir: str | None) -> list[dict[str, Any]]:
    path = Path(run_dir) / "trace.jsonl" if run_dir else None
    if path is None or not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def why(state: ChatState, question: str) -> str:
    """An answer from what the thread recorded: the reasons of the edits that touched the topic,
    then the first design's request, constraints, exemplars and changes, then open findings."""
    lineage = _lineage(state)
    if not lineage:
        return "there is no piece yet to explain"
    topic = _topic(question)
    parts: list[str] = []
    for rev in lineage:
        reasons = [e.reason for e in rev.edits if e.reason and (topic is None or topic in e.path or (topic == "sections" and e.path.startswith("sections")))]
        if reasons:
            parts.append(f"r{rev.number} (“{rev.request[:60]}”): " + "; ".join(dict.fromkeys(reasons)))
    first = lineage[-1]
    trace = _design_trace(first.run_dir)
    by_node = {r["node"]: r for r in trace}
    weave = by_node.get("weave", {}).get("brief", {})
    asked = {k: v for k, v in (weave.get("constraints") or {}).items() if v not in (None, [], False, "") and k != "adjustments"}
    if asked:
        parts.append(f"the first request (“{first.request[:80]}”) asked for " + ", ".join(f"{k} {_plain(v)}" for k, v in asked.items()))
    if weave.get("moods"):
        parts.append("its imagery read as " + ", ".join(weave["moods"]))
    retrieve = by_node.get("retrieve", {})
    for exemplar, fact in list(zip(retrieve.get("exemplars", []), retrieve.get("facts", [])))[:2]:
        parts.append(f"exemplar {exemplar}: {fact[:160]}")
    composes = [r for r in trace if r["node"] == "compose"]
    if composes and composes[-1].get("changes"):
        parts.append("the composer's last pass: " + "; ".join(composes[-1]["changes"][:3]))
    report = validate_composition(Composition(spec=lineage[0].spec, score=lineage[0].score))
    if report.findings:
        parts.append("open findings: " + "; ".join(f.line() for f in report.findings[:3]))
    return "Because " + ". ".join(parts) + "." if parts else "nothing recorded explains that"


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return "/".join(str(v) for v in value.values() if v is not None)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)
