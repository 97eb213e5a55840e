"""The Edit Reader: a chat turn -> what it asks for (a new piece, typed edits, undo, a question ...).

Engine: rules for the session words (undo, redo, history, show, render, export, branch, why) and
for each kind of edit, the prompt reader's rules for keys, tempi and instruments, and the packaged
MiniLM over the mood lexicon for how a section should feel ("darker", "like a storm"). LLM: the
`ReadEdits` signature (design summary, recent turns, request -> list of Edits), validated by
applying the edits and retried with the errors fed back; the session words are read by rule either
way. Anxiety: is this exactly what the musician asked for, and nothing more?
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import dspy

from musicgrammar.agents import edit_rules as rules
from musicgrammar.agents.lm import LLMOutputError, LLMSession, call_checked
from musicgrammar.agents.prompt_reader import read_constraints, read_moods
from musicgrammar.ontologies import CompositionSpec, Finding, Key, Mode, Score, find_instrument, get_instrument
from musicgrammar.ontologies.edit import Edit, EditError, apply_edits

__all__ = ["TurnKind", "Reading", "ReadEdits", "EditReader", "read_request"]


class TurnKind:
    """What a turn asks for (plain strings: they travel in the chat state)."""

    NEW = "new"
    EDIT = "edit"
    UNDO = "undo"
    REDO = "redo"
    HISTORY = "history"
    SHOW = "show"
    RENDER = "render"
    EXPORT = "export"
    BRANCH = "branch"
    WHY = "why"
    HELP = "help"
    QUESTION = "question"  # about the design ("what key is it in?")
    LISTEN = "listen"  # about how the piece sounds or what it resembles: answered by listening to it
    NONE = "none"


@dataclass
class Reading:
    """The request as understood: its kind, the edits for an edit, or why it cannot apply."""

    kind: str
    edits: list[Edit] = field(default_factory=list)
    refusal: str = ""  # an edit that cannot apply: why
    argument: str = ""  # export format, branch name, the question of a why, the prompt of a new piece


class ReadEdits(dspy.Signature):
    """You are the Edit Reader of a composer's assistant. The musician asks for a change to the
    current piece. Express the change as the fewest edits of the design: each an operation (set,
    insert, remove), a path in the design written like 'tempo', 'key', 'sections[1].dynamic' or
    'ensemble[2]', the new value as JSON in the grammar's types, and the reason. Change nothing the
    musician did not ask for; keep every section's chords filling its bars and the last section
    closing on the tonic.
    Your anxiety: is this exactly what the musician asked for, and nothing more?"""

    design: CompositionSpec = dspy.InputField(desc="The current design.")
    recent_turns: list[str] = dspy.InputField(desc="The last requests and replies of the conversation.")
    request: str = dspy.InputField(desc="What the musician asks now.")
    feedback: list[str] = dspy.InputField(desc="Errors of the previous attempt's edits, to fix.")
    edits: list[Edit] = dspy.OutputField(desc="The edits, applied in order.")


_SESSION = (
    (re.compile(r"^(undo|go back|take that back)\b", re.I), TurnKind.UNDO),
    (re.compile(r"^(redo)\b", re.I), TurnKind.REDO),
    (re.compile(r"^(history|revisions|log)\b", re.I), TurnKind.HISTORY),
    (re.compile(r"^(show|summary|status)\b", re.I), TurnKind.SHOW),
    (re.compile(r"^(render|play)\b", re.I), TurnKind.RENDER),
    (re.compile(r"^export\b", re.I), TurnKind.EXPORT),
    (re.compile(r"^branch\b", re.I), TurnKind.BRANCH),
    (re.compile(r"^(help|\?)$", re.I), TurnKind.HELP),
    (re.compile(r"^why\b", re.I), TurnKind.WHY),
)
_NEW_RE = re.compile(r"^(?:(?:new piece|start over|compose|write|make me|give me)\b[:,]?\s*|(?=an?\s))", re.I)
_EDIT_WORDS_RE = re.compile(
    r"\b(transpose|slower|faster|tempo|melody|add|remove|drop|no|without|louder|softer|quieter|darker|brighter|"
    r"more bars|reharmoni[sz]e|simpler|make|lyrics|words|key)\b", re.I
)  # fmt: skip
_SECTION_RE = re.compile(r"\b(?:the\s+)?([A-Za-z0-9_\-]+)\s+section\b|\bsection\s+([A-Za-z0-9_\-]+)\b|\bthe\s+(coda|intro|outro|chorus|verse|bridge|interlude|ending)\b", re.I)
_TEMPO_AT_RE = re.compile(r"\b(?:at|to|tempo(?: of)?)\s+(\d{2,3}(?:\.\d+)?)\s*(?:bpm)?\b", re.I)
_MORE_BARS_RE = re.compile(r"\b(\d{1,3}|one|two|four|eight|sixteen)\s+more\s+bars?\b", re.I)
_WORD_NUMBERS = {"one": 1, "two": 2, "four": 4, "eight": 8, "sixteen": 16}
_LEAD_RE = re.compile(r"\b(?:give|hand|pass)\s+the\s+(?:melody|tune|lead)\s+to\s+(?:the\s+|a\s+|an\s+)?([a-z][a-z \-]+)|\blet\s+the\s+([a-z][a-z \-]+?)\s+(?:play|take|carry)\s+the\s+(?:melody|tune|lead)", re.I)
_ADD_RE = re.compile(r"\badd\s+(?:a|an|the|some)?\s*([a-z][a-z \-]+)", re.I)
_REMOVE_RE = re.compile(r"\b(?:remove|drop|lose|without|no|cut)\s+(?:the\s+)?([a-z][a-z \-]+)", re.I)
# every mode by its grammar name ('C mande silaba', 'D harmonic minor'), longest first
_FULL_KEY_RE = re.compile(r"\b([A-G][#b]?)\s+(" + "|".join(sorted((m.value.replace("_", " ") for m in Mode), key=len, reverse=True)) + r")\b", re.I)
# a question about the sound, not the design: "what key does it sound in?", "how many voices can you hear?"
_LISTEN_RE = re.compile(r"\b(sounds?|sounding|hear|heard|audible|resembles?|reminds?|recogni[sz]e)\b", re.I)
_DRUM_WORDS = {"drums", "drum", "percussion", "drum kit", "beat", "beats"}


def _section_name(text: str) -> str | None:
    for match in _SECTION_RE.finditer(text):
        name = next(g for g in match.groups() if g)
        if name.lower() not in ("this", "that", "each", "every", "whole", "next"):
            return name
    return None


def _instrument_in(phrase: str) -> str | None:
    """The catalog instrument a short phrase names ('the clarinet', 'a cello part')."""
    words = re.sub(r"\b(part|line|player|section|please|too|as well|instead|and .*)$", "", phrase.strip().lower()).split()
    for n in range(min(3, len(words)), 0, -1):
        inst = find_instrument(" ".join(words[:n]))
        if inst is not None:
            return inst.id
    return None


def read_request(text: str, spec: CompositionSpec | None, score: Score | None = None) -> Reading:
    """Rules (and MiniLM for moods) -> a Reading. An edit that cannot apply is a Reading with a refusal."""
    text = " ".join(text.split())
    for pattern, kind in _SESSION:
        match = pattern.match(text)
        if match:
            return Reading(kind=kind, argument=text[match.end():].strip(" :"))
    if spec is None:
        return Reading(kind=TurnKind.NEW, argument=_NEW_RE.sub("", text, count=1) or text)
    if _NEW_RE.match(text) and not _EDIT_WORDS_RE.search(text):
        return Reading(kind=TurnKind.NEW, argument=_NEW_RE.sub("", text, count=1) or text)
    if text.endswith("?") and _LISTEN_RE.search(text):
        return Reading(kind=TurnKind.LISTEN, argument=text)
    try:
        edits = _edits_for(text, spec, score)
    except EditError as exc:
        return Reading(kind=TurnKind.EDIT, refusal=str(exc).split(": ", 1)[-1])
    if edits is None and text.endswith("?"):
        return Reading(kind=TurnKind.QUESTION, argument=text)
    if edits is None:
        return Reading(kind=TurnKind.NONE, refusal="I did not find a change to make in that; try 'help' for what I understand")
    return Reading(kind=TurnKind.EDIT, edits=edits)


def _edits_for(text: str, spec: CompositionSpec, score: Score | None) -> list[Edit] | None:  # noqa: C901 (one rule per line)
    lower = text.lower()
    section = _section_name(text)
    # harmony first: 'in A' after 'chords' names a section, not a key
    match = re.search(r"\breharmoni[sz]e\s+bar\s+(\d+)", lower)
    if match:
        return rules.reharmonize_bar(spec, score, int(match.group(1)))
    if re.search(r"\b(simpler|plainer|simple) (chords|harmony)\b", lower):
        where = re.search(r"\bin (?:the )?([A-Za-z0-9_\-]+)(?: section)?\b", text)
        name = section or (where.group(1) if where else None)
        indices = [rules.find_section(spec, name)] if name else list(range(len(spec.sections)))
        return rules.simplify_chords(spec, indices)
    match = re.search(r"\b(?:lyrics|words)\b.*?\bto\s+[\"“'](.+?)[\"”']", text)
    if match:
        return rules.set_lyrics(spec, rules.find_section(spec, section or "first"), match.group(1))
    match = _LEAD_RE.search(text)
    if match:
        phrase = match.group(1) or match.group(2)
        inst = _instrument_in(phrase)
        if inst is None:
            raise EditError(f"{phrase.strip()!r} is not an instrument I know", field="ensemble")
        return rules.lead_to(spec, inst)
    match = _MORE_BARS_RE.search(lower)
    if match:
        raw = match.group(1)
        return rules.add_bars(spec, int(raw) if raw.isdigit() else _WORD_NUMBERS[raw])
    if re.search(r"\b(drop|remove|cut|lose|skip)\s+(?:the\s+)?(coda|intro|outro|ending|bridge|interlude|\w+\s+section|section\s+\w+)\b", lower):
        return rules.drop_section(spec, rules.find_section(spec, section or "last"))
    match = _REMOVE_RE.search(text)
    if match and not re.search(r"\bno\s+(?:more|less|longer)\b", lower):
        phrase = match.group(1).strip().lower()
        if phrase.split()[0] in _DRUM_WORDS or phrase in _DRUM_WORDS:
            drums = [m.instrument for m in spec.ensemble if get_instrument(m.instrument).is_percussion]
            return rules.remove_instruments(spec, drums, "drums")
        inst = _instrument_in(phrase)
        if inst is not None:
            return rules.remove_instruments(spec, [inst], get_instrument(inst).name)
    match = _ADD_RE.search(text)
    if match and not re.search(r"\badd\s+\d", lower):
        inst = _instrument_in(match.group(1))
        if inst is None:
            raise EditError(f"{match.group(1).strip()!r} is not an instrument I know", field="ensemble")
        return rules.add_instrument(spec, inst)
    if re.search(r"\b(louder|softer|quieter|stronger|gentler)\b", lower):
        inst_match = re.search(r"\b(?:make\s+)?the\s+([a-z][a-z \-]+?)\s+(?:a bit |much )?(?:louder|softer|quieter)", lower)
        inst = _instrument_in(inst_match.group(1)) if inst_match and "section" not in inst_match.group(1) else None
        if inst is not None:
            names = ", ".join(get_instrument(m.instrument).name for m in spec.ensemble)
            if inst not in {m.instrument for m in spec.ensemble}:
                raise EditError(f"there is no {get_instrument(inst).name} in the ensemble ({names})", field="ensemble")
            raise EditError(f"levels are set per section, not per player: ask e.g. 'make the {spec.sections[-1].id} section louder'", field="sections")
        step = (1 if re.search(r"\b(louder|stronger)\b", lower) else -1) * (2 if "much" in lower else 1)
        indices = [rules.find_section(spec, section)] if section else range(len(spec.sections))
        return [e for i in indices for e in rules.section_dynamic(spec, i, step)]
    mood_match = re.search(r"\bmake\s+(?:the\s+)?(?:[A-Za-z0-9_\-]+\s+section|section\s+\S+|it|the piece)\s+(?:a bit |much |more |sound )?(.+)$", text, re.I)
    if mood_match and not re.search(r"\b(slower|faster|minor|major|key)\b", lower):
        words = mood_match.group(1).strip(" .!")
        mood, _ = read_moods(f"{words} music")[0]
        indices = [rules.find_section(spec, section)] if section else range(len(spec.sections))
        return [e for i in indices for e in rules.section_mood(spec, i, mood, words)]
    return _global_edits(text, lower, spec)


def _global_edits(text: str, lower: str, spec: CompositionSpec) -> list[Edit] | None:
    match = re.search(r"\btranspose\b.*?\b(up|down)\s+(?:by\s+)?(\d{1,2})\s+semitones?", lower)
    if match:
        shift = int(match.group(2)) * (1 if match.group(1) == "up" else -1)
        return rules.change_key(spec, Key(tonic=spec.key.spell((spec.key.tonic_pc + shift) % 12), mode=spec.key.mode))
    match = _FULL_KEY_RE.search(text)
    if match and re.search(r"\b(transpose|key|mode|modulate|in|to)\b", lower):
        return rules.change_key(spec, Key(tonic=match.group(1)[0].upper() + match.group(1)[1:], mode=Mode(match.group(2).lower().replace(" ", "_"))))
    constraints = read_constraints(text)
    keyish = re.search(r"\b(transpose|key|minor|major|mode|modulate|in [A-G])", text)
    if keyish and (constraints.key or constraints.tonic or constraints.mode):
        tonic = constraints.key.tonic if constraints.key else constraints.tonic or spec.key.tonic
        mode = constraints.key.mode if constraints.key else constraints.mode or spec.key.mode
        return rules.change_key(spec, Key(tonic=tonic, mode=mode))
    factor = None
    if re.search(r"\bslower\b|\bslow (it|this) down\b", lower):
        factor = 0.7 if re.search(r"\bmuch\b", lower) else 0.92 if re.search(r"\b(bit|little|touch)\b", lower) else 0.85
    elif re.search(r"\bfaster\b|\bspeed (it|this) up\b|\bquicker\b", lower):
        factor = 1.3 if re.search(r"\bmuch\b", lower) else 1.08 if re.search(r"\b(bit|little|touch)\b", lower) else 1.15
    if factor is not None:
        return rules.scale_tempo(spec, factor, "slower" if factor < 1 else "faster")
    match = _TEMPO_AT_RE.search(text)
    bpm = float(match.group(1)) if match else constraints.tempo_bpm
    if bpm is not None:
        return rules.set_tempo(spec, bpm)
    return None


class EditReader(dspy.Module):
    """Engine: `read_request`. LLM: session words by rule, edits by `ReadEdits`, checked by
    applying them to the design (an edit that does not apply is fed back and retried)."""

    def __init__(self, lm: dspy.LM | None = None, retries: int = 2, timeout_s: float | None = None) -> None:
        super().__init__()
        from musicgrammar.settings import get_settings

        self.lm = lm
        self.retries = retries
        self.timeout_s = timeout_s if timeout_s is not None else get_settings().lm_timeout_s
        self.read_edits = dspy.Predict(ReadEdits)  # owned, so compiled demos save and load with the module

    def forward(self, request: str, spec: CompositionSpec | None, score: Score | None = None, recent: list[str] | None = None) -> dspy.Prediction:
        reading = read_request(request, spec, score)
        if self.lm is None or spec is None or reading.kind not in (TurnKind.EDIT, TurnKind.NONE):
            return dspy.Prediction(reading=reading, attempts=1)

        def check(edits: list[Edit]) -> list[Finding]:
            try:
                apply_edits(spec, list(edits or []))
            except EditError as exc:
                return [Finding(code="EDIT_DOES_NOT_APPLY", severity="error", path=exc.field or "edits", message=str(exc))]
            return [] if edits else [Finding(code="EDIT_EMPTY", severity="error", path="edits", message="no edit given")]

        session = LLMSession(lm=self.lm, timeout_s=self.timeout_s, retries=self.retries)
        try:
            answer = call_checked(session, "edit_reader", self.read_edits, lambda a: check(a.edits), feedback_field="feedback",
                                  design=spec, recent_turns=list(recent or [])[-6:], request=request, feedback=[])  # fmt: skip
        except LLMOutputError as exc:
            why = str(exc).split(": ", 2)[-1]
            return dspy.Prediction(reading=Reading(kind=TurnKind.EDIT, refusal=f"the LLM's edits do not apply ({why})"),
                                   attempts=session.calls[-1].attempts)  # fmt: skip
        edits, attempts = list(answer.edits or []), session.calls[-1].attempts
        return dspy.Prediction(reading=Reading(kind=TurnKind.EDIT, edits=list(edits)), attempts=attempts)
