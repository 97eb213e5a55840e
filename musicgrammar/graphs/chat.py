"""The chat graph: read -> (approve) -> act, one invocation per turn, on LangGraph with a SQLite
checkpointer so that a thread resumes in any later process.

A new piece is made by the design graph (its agents and tools, its run folder); an edit is applied
to the design as typed `Edit`s, validated, and realized only where it reaches. In a thread that
names a tradition and its custodians, edits that change the lyrics or the tradition's instruments
or modes stop at an approval interrupt; the decision is recorded in the provenance.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from musicgrammar.agents.edit_reader import TurnKind
from musicgrammar.errors import UserInputError
from musicgrammar.graphs import chat_answers as answers
from musicgrammar.graphs.chat_state import CHAT_SERIALIZABLE_TYPES, ChatContext, ChatState, ChatTurn, PendingApproval
from musicgrammar.ontologies import Composition, Consent, get_instrument, get_tradition, validate_composition
from musicgrammar.ontologies.edit import Edit, EditError, Revision, apply_edits, diff_paths

__all__ = ["build_chat_graph", "ChatSession", "approval_reasons"]

_EXPORTS = {"musicxml": "score.musicxml", "midi": "score.mid", "wav": "mix.wav", "json": "composition.json"}


def approval_reasons(state: ChatState, edits: list[Edit]) -> list[str]:
    """What in the edits the thread's custodians must approve: lyrics, the tradition's instruments, its modes."""
    if not state.tradition or state.spec is None:
        return []
    tradition = get_tradition(state.tradition)
    spec = state.spec
    own = set(tradition.instruments)
    reasons: list[str] = []
    for edit in edits:
        if edit.path.startswith("lyrics"):
            reasons.append(f"the words change ({edit.path})")
        elif edit.path.startswith("ensemble"):
            touched = set()
            if isinstance(edit.value, dict) and edit.value.get("instrument"):
                touched.add(get_instrument(edit.value["instrument"]).id)
            match = re.match(r"ensemble\[(\d+)\]", edit.path)
            if match and int(match.group(1)) < len(spec.ensemble):
                touched.add(spec.ensemble[int(match.group(1))].instrument)
            for inst in sorted(touched & own):
                reasons.append(f"the {get_instrument(inst).name} of the {tradition.id} tradition changes: {edit.line()}")
        elif re.fullmatch(r"key|sections\[\d+\]\.key", edit.path) and _mode_of(edit.value) != _mode_at(spec, edit.path):
            reasons.append(f"a mode of the {tradition.id} tradition changes: {edit.line()}")
    return list(dict.fromkeys(reasons))


def _mode_of(value: Any) -> str | None:
    return value.get("mode") if isinstance(value, dict) else None


def _mode_at(spec: Any, path: str) -> str | None:
    match = re.match(r"sections\[(\d+)\]", path)
    key = (spec.sections[int(match.group(1))].key or spec.key) if match and int(match.group(1)) < len(spec.sections) else spec.key
    return key.mode.value


def _read(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.say("reading the request")
    recent = [f"{t.request} -> {t.reply[:120]}" for t in state.turns[-3:]]
    reading = ctx.reader(request=state.request, spec=state.spec, score=state.score, recent=recent).reading
    update: dict[str, Any] = {"kind": reading.kind, "edits": reading.edits, "argument": reading.argument, "refusal": reading.refusal,
                              "pending": None, "reply": "", "changed": [], "files": {}, "answer": None, "branch_to": None}  # fmt: skip
    if reading.kind == TurnKind.EDIT and reading.edits and not reading.refusal:
        reasons = approval_reasons(state, reading.edits)
        if reasons:
            update["pending"] = PendingApproval(request=state.request, edits=reading.edits, reasons=reasons, custodians=state.custodians)
    return update


def _approve(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    pending = state.pending
    assert pending is not None  # routed here only with a pending approval
    decision = interrupt({"request": pending.request, "reasons": pending.reasons, "custodians": pending.custodians,
                          "edits": [e.line() for e in pending.edits]})  # fmt: skip
    approved = bool(decision.get("approved")) if isinstance(decision, dict) else False
    person = (decision.get("by") if isinstance(decision, dict) else None) or (", ".join(pending.custodians) or "the custodians")
    consent = Consent(person=person, granted=approved, scope=f"“{pending.request[:120]}”: " + "; ".join(pending.reasons)[:400])
    update: dict[str, Any] = {"consents": state.consents + [consent], "pending": None}
    if not approved:
        update["refusal"] = f"{person} did not approve ({'; '.join(pending.reasons)})"
        update["edits"] = []
    return update


def _new_piece(state: ChatState, ctx: ChatContext) -> dict[str, Any]:
    from musicgrammar.graphs.runner import compose

    number = len(state.revisions) + 1
    run_dir = ctx.out_dir / f"r{number}-design"
    while run_dir.exists():
        run_dir = run_dir.with_name(run_dir.name + "x")
    ctx.say("composing a new piece (design graph)")
    result = compose(state.argument or state.request, out_dir=run_dir, lm=ctx.lm, seed=state.seed, max_iters=2, audio=False, progress=ctx.progress)
    comp = result.composition()
    rev = Revision(number=number, parent=state.current or None, request=state.request, spec=comp.spec, score=comp.score, run_dir=str(run_dir))
    rev.valid = answers.revision_valid(rev)
    before = state.spec
    changed = diff_paths(before, comp.spec) if before is not None else ["spec"]
    return _arrive(state, ctx, rev, changed, f"new piece “{comp.spec.title}” (r{number})")


def _apply(state: ChatState, ctx: ChatContext) -> dict[str, Any]:
    from musicgrammar.graphs.revisions import realize_edit

    current = state.revision()
    assert current is not None
    try:
        spec = apply_edits(current.spec, state.edits)
    except EditError as exc:
        return {"reply": f"cannot apply that: {exc}; nothing changed"}
    number = len(state.revisions) + 1
    ctx.say("realizing where the edit reaches")
    # one realization seed per thread: a re-realized section keeps its melodic shape (transposed, re-voiced)
    score, rewritten = realize_edit(current.spec, current.score, spec, seed=state.seed * 101 + 1, melody=ctx.melody)
    rev = Revision(number=number, parent=current.number, request=state.request, edits=state.edits, spec=spec, score=score,
                   changed=diff_paths(current.spec, spec))  # fmt: skip
    report = validate_composition(Composition(spec=rev.spec, score=rev.score))
    rev.valid = report.valid
    if not rev.valid:
        return {"reply": f"cannot apply that: the result breaks the grammar ({report.errors[0].line()}); nothing changed"}
    reasons = "; ".join(dict.fromkeys(e.reason for e in state.edits if e.reason))
    where = f"re-realized {', '.join(rewritten)}" if rewritten else "every note kept"
    return _arrive(state, ctx, rev, rev.changed, f"r{number}: {reasons} ({where})")


def _arrive(state: ChatState, ctx: ChatContext, rev: Revision, changed: list[str], reply: str) -> dict[str, Any]:
    """A new revision becomes the current one (what undo had set aside can no longer be redone)."""
    files = _render(state, ctx, rev, audio=ctx.audio)
    return {"revisions": state.revisions + [rev], "current": rev.number, "redo": [], "changed": changed, "reply": reply, "files": files}


def _render(state: ChatState, ctx: ChatContext, rev: Revision, audio: bool) -> dict[str, str]:
    from musicgrammar.graphs.outputs import write_score_files

    ctx.say("rendering" + (" audio" if audio else " MIDI"))
    files = write_score_files(rev.score, ctx.out_dir / f"r{rev.number}", audio=audio, musicxml=False)
    return {k: v for k, v in files.items() if not k.startswith("stem:")}


def _move(state: ChatState, ctx: ChatContext, target: int, redo: list[int], verb: str) -> dict[str, Any]:
    before, after = state.revision(), state.revision(target)
    assert before is not None and after is not None
    files = {"midi": str(ctx.out_dir / f"r{after.number}" / "score.mid")}
    if not Path(files["midi"]).exists():
        files = _render(state, ctx, after, audio=ctx.audio)
    return {"current": target, "redo": redo, "changed": diff_paths(before.spec, after.spec), "files": files,
            "reply": f"{verb}: now at r{target} ({after.spec.key}, {after.spec.tempo.bpm:g} BPM)"}  # fmt: skip


def _export(state: ChatState, ctx: ChatContext) -> dict[str, Any]:
    rev = state.revision()
    assert rev is not None
    fmt, _, target = state.argument.partition(" ")
    fmt = fmt.lower() or "musicxml"
    if fmt not in _EXPORTS:
        return {"reply": f"export what? one of {', '.join(_EXPORTS)}"}
    folder = ctx.out_dir / f"r{rev.number}"
    made = folder / _EXPORTS[fmt]
    if fmt == "musicxml":
        from musicgrammar.tools.io import save_musicxml

        ctx.say("engraving MusicXML")
        save_musicxml(rev.score, made)
    elif fmt == "json":
        from musicgrammar.ontologies.files import save_json

        save_json(_composition(state, rev, ctx.lm), made)
    elif fmt == "wav" and not made.exists():
        _render(state, ctx, rev, audio=True)
    path = made
    if target.strip():
        path = Path(target.strip()).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # 'x': never over an existing file or through a link to one
            with path.open("xb") as handle:
                handle.write(made.read_bytes())
        except FileExistsError:
            raise UserInputError("already exists; the export never overwrites a file", path=str(path)) from None
    return {"files": {fmt: str(path)}, "reply": f"exported r{rev.number} as {fmt}: {path}"}


def _listen(state: ChatState, ctx: ChatContext, rev: Revision) -> dict[str, Any]:
    """A question about how the piece sounds: the audio QA graph listens to the revision's mix
    (rendered now if it is missing and audio is on); without audio it answers from the design."""
    from musicgrammar.agents.audio_qa.engine import PieceFacts
    from musicgrammar.graphs.qa import QAContext, answer_json, answer_lines, ask

    mix = ctx.out_dir / f"r{rev.number}" / "mix.wav"
    files: dict[str, str] = {}
    if not mix.is_file() and ctx.audio:
        files = _render(state, ctx, rev, audio=True)
    # one QA context per process: the library store is opened once, a mix is analysed once
    qa = ctx.extras.setdefault("qa", QAContext(analyses={}))
    ctx.say("listening")
    if mix.is_file():
        result = ask(state.argument or state.request, audio=mix, context=qa)
        heading = f"heard r{rev.number}:"
    else:
        piece = PieceFacts.from_design(rev.spec, rev.score, f"{state.thread_id}@r{rev.number}")
        result = ask(state.argument or state.request, piece=piece, context=qa)
        heading = f"the audio of r{rev.number} was not rendered (audio is off), so from the design:"
    answer = result.answer
    assert answer is not None  # the QA graph always ends in its answer node
    return {"reply": heading + "\n" + "\n".join(answer_lines(answer)), "answer": answer_json(answer), "files": files}


def _composition(state: ChatState, rev: Revision, engine: str) -> Any:
    """The revision as a Composition whose provenance carries the thread's requests and decisions."""
    from musicgrammar.ontologies import Composition, Provenance, Source, SourceKind

    requests = [t.request for t in state.turns] + [state.request]
    sources = [Source(kind=SourceKind.PROMPT, id=f"turn{i + 1}", title=text[:120], note="a chat request") for i, text in enumerate(requests)]
    sources += [Source(kind=SourceKind.PERSON, id=c.person, note=("approved " if c.granted else "refused ") + c.scope[:200]) for c in state.consents]
    notes = [f"chat thread {state.thread_id}, revision {rev.number}"] + (
        [f"tradition {state.tradition}; custodians: {', '.join(state.custodians)}"] if state.tradition else [])
    provenance = Provenance(engine=engine, prompt=requests[0][:2000], seed=state.seed,
                            sources=sources, consents=state.consents, notes=notes)  # fmt: skip
    return Composition(spec=rev.spec, score=rev.score, provenance=provenance)


def _act(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:  # noqa: C901 (one branch per turn kind)
    ctx = runtime.context
    kind, rev = state.kind, state.revision()
    if kind == TurnKind.NEW:
        update = _new_piece(state, ctx)
    elif kind == TurnKind.HELP:
        update = {"reply": answers.HELP}
    elif rev is None:
        update = {"reply": "there is no piece yet: describe one first, e.g. 'a waltz in G for flute and harp'"}
    elif state.refusal:
        update = {"reply": f"cannot apply that: {state.refusal}; nothing changed"}
    elif kind == TurnKind.EDIT:
        update = _apply(state, ctx)
    elif kind == TurnKind.UNDO:
        update = _move(state, ctx, rev.parent, [rev.number] + state.redo, "undone") if rev.parent else {"reply": "nothing to undo"}
    elif kind == TurnKind.REDO:
        update = _move(state, ctx, state.redo[0], state.redo[1:], "redone") if state.redo else {"reply": "nothing to redo"}
    elif kind == TurnKind.HISTORY:
        update = {"reply": answers.history(state)}
    elif kind == TurnKind.SHOW:
        update = {"reply": answers.show(state)}
    elif kind == TurnKind.RENDER:
        update = {"files": _render(state, ctx, rev, audio=True), "reply": f"rendered r{rev.number}"}
    elif kind == TurnKind.EXPORT:
        update = _export(state, ctx)
    elif kind == TurnKind.BRANCH:
        name = re.sub(r"[^A-Za-z0-9_\-]+", "-", state.argument).strip("-") or f"{state.thread_id}-b{len(state.turns) + 1}"
        update = {"branch_to": name, "reply": f"branched r{rev.number} into thread {name}"}
    elif kind == TurnKind.WHY:
        update = {"reply": answers.why(state, state.argument)}
    elif kind == TurnKind.LISTEN:
        update = _listen(state, ctx, rev)
    elif kind == TurnKind.QUESTION:  # a question about the design: the design answers
        update = {"reply": "from the design:\n" + answers.show(state)}
    else:
        update = {"reply": state.refusal or "I did not understand that; try 'help'"}
    reply = update.get("reply", "")
    turn = ChatTurn(request=state.request, reply=reply, revision=update.get("current", state.current), changed=update.get("changed", []))
    return update | {"turns": state.turns + [turn]}


def _after_read(state: ChatState) -> str:
    return "approve" if state.pending is not None else "act"


def build_chat_graph(checkpointer: Any = None) -> Any:
    """The compiled chat graph (state: ChatState, context: ChatContext)."""
    graph = StateGraph(ChatState, context_schema=ChatContext)
    graph.add_node("read", _read)
    graph.add_node("approve", _approve)
    graph.add_node("act", _act)
    graph.add_edge(START, "read")
    graph.add_conditional_edges("read", _after_read, {"approve": "approve", "act": "act"})
    graph.add_edge("approve", "act")
    graph.add_edge("act", END)
    return graph.compile(checkpointer=checkpointer)


class ChatSession:
    """One thread of the chat graph in this process: open (or create) it, take turns, branch."""

    def __init__(self, chat_dir: Path, thread_id: str | None = None, *, lm: str = "local", audio: bool = True, seed: int = 0,
                 tradition: str | None = None, custodians: list[str] | None = None, progress: Any = None, melody: str = "model") -> None:  # fmt: skip
        from musicgrammar.agents.edit_reader import EditReader
        from musicgrammar.graphs.design import open_checkpointer

        if thread_id is not None and not re.fullmatch(r"[A-Za-z0-9_\-]{1,80}", thread_id):
            raise UserInputError("use letters, digits, '-' and '_' (at most 80)", field="--thread")
        if melody not in ("model", "rules"):
            raise UserInputError("use 'model' or 'rules'", field="--melody")
        if tradition is not None:
            try:
                get_tradition(tradition)
            except ValueError as exc:  # an unknown tradition is the caller's mistake: say so now
                raise UserInputError(str(exc), field="--tradition") from None
        self.chat_dir = chat_dir
        self.checkpointer = open_checkpointer(chat_dir / "threads.sqlite", CHAT_SERIALIZABLE_TYPES)
        self.graph = build_chat_graph(self.checkpointer)
        lm_obj = None
        if lm != "local":
            from musicgrammar.agents import make_lm
            from musicgrammar.settings import get_settings

            settings = get_settings()
            lm_obj = make_lm(lm, timeout_s=settings.lm_timeout_s, retries=settings.lm_retries)
        self.reader = EditReader(lm=lm_obj)
        self.lm, self.progress, self.melody, self.audio = lm, progress, melody, audio
        self.extras: dict[str, Any] = {}  # live objects kept across this process's turns (the QA context)
        self.thread_id = thread_id or time.strftime("t%Y%m%d-%H%M%S")
        state = self.state()
        if state is None:
            start = ChatState(thread_id=self.thread_id, seed=seed, tradition=tradition, custodians=list(custodians or []))
            self.graph.update_state(self._config(), start.model_dump(), as_node="act")
        elif tradition is not None and tradition != state.tradition:
            raise UserInputError(f"thread {self.thread_id} is {'for the ' + state.tradition + ' tradition' if state.tradition else 'not a tradition thread'}",
                                 field="--tradition")  # fmt: skip

    def _config(self, thread_id: str | None = None) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id or self.thread_id}, "recursion_limit": 50}

    def _context(self) -> ChatContext:
        from musicgrammar.tools.realize import ModelMelody, RuleMelody

        out = self.chat_dir / self.thread_id
        out.mkdir(parents=True, exist_ok=True)
        melody = ModelMelody() if self.melody == "model" else RuleMelody()
        return ChatContext(out_dir=out, reader=self.reader, lm=self.lm, melody=melody, progress=self.progress, audio=self.audio,
                           extras=self.extras)  # fmt: skip

    def state(self, thread_id: str | None = None) -> ChatState | None:
        snapshot = self.graph.get_state(self._config(thread_id))
        return ChatState.model_validate(snapshot.values) if snapshot.values else None

    def pending(self) -> dict[str, Any] | None:
        """The approval the thread waits for (its question), or None."""
        snapshot = self.graph.get_state(self._config())
        for task in snapshot.tasks:
            for item in task.interrupts:
                return dict(item.value)
        return None

    def turn(self, text: str) -> dict[str, Any]:
        """One turn; returns the JSON object the CLI prints for it."""
        text = text.strip()
        if not text:
            raise UserInputError("empty request", field="request")
        pending = self.pending()
        if pending is None and _decision(text) is not None and re.match(r"(approve|refuse)", text, re.I):
            state = self.state()
            assert state is not None
            return self._result(state, "nothing is waiting for approval", [])
        if pending is not None:
            decision = _decision(text)
            if decision is None:
                state = self.state()
                assert state is not None
                reply = (f"waiting for approval by {', '.join(pending['custodians']) or 'the custodians'}: " + "; ".join(pending["reasons"])
                         + ". Answer 'approve [by NAME]' or 'refuse [by NAME]'.")  # fmt: skip
                return self._result(state, reply, [])
            custodians = pending["custodians"]
            if custodians and decision["by"] is None and len(custodians) == 1:
                decision["by"] = custodians[0]
            if custodians and decision["by"] not in custodians:
                state = self.state()
                assert state is not None
                who = f"{decision['by']} is not" if decision["by"] else "say who decides:"
                return self._result(state, f"{who} a custodian of this thread ({', '.join(custodians)}); the change still waits", [])
            result = self.graph.invoke(Command(resume=decision), self._config(), context=self._context())
        else:
            result = self.graph.invoke({"request": text}, self._config(), context=self._context())
        state = ChatState.model_validate(result)
        question = self.pending()
        if question is not None:
            reply = (f"this needs the approval of {', '.join(question['custodians']) or 'the custodians'}: " + "; ".join(question["reasons"])
                     + ". Answer 'approve [by NAME]' or 'refuse [by NAME]'.")  # fmt: skip
            return self._result(state, reply, [])
        if state.branch_to:
            self._branch(state, state.branch_to)
        return self._result(state, state.reply, state.changed, state.files, state.answer)

    def _branch(self, state: ChatState, name: str) -> None:
        if self.state(name) is not None:
            raise UserInputError(f"thread {name} already exists", field="branch")
        rev = state.revision()
        assert rev is not None
        first = rev.model_copy(update={"number": 1, "parent": None})
        start = ChatState(thread_id=name, seed=state.seed, tradition=state.tradition, custodians=state.custodians,
                          consents=state.consents, revisions=[first], current=1, branched_from=f"{state.thread_id}@r{rev.number}")  # fmt: skip
        self.graph.update_state(self._config(name), start.model_dump(), as_node="act")
        self.thread_id = name

    def _result(self, state: ChatState, reply: str, changed: list[str], files: dict[str, str] | None = None,
                answer: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        result = {"thread": self.thread_id, "revision": state.current, "reply": reply, "changed": changed,
                  "summary": answers.summary(state), "files": files or {}}  # fmt: skip
        return result | ({"answer": answer} if answer is not None else {})

    def close(self) -> None:
        self.checkpointer.conn.close()


def _decision(text: str) -> dict[str, Any] | None:
    match = re.fullmatch(r"(approve[sd]?|yes|ok|agreed?|granted|refuse[sd]?|no|declined?|rejected?)(?:\s+by\s+(.+?))?[\s.!]*", text.strip(), re.I)
    if not match:
        return None
    approved = match.group(1).lower().startswith(("approve", "yes", "ok", "agree", "grant"))
    return {"approved": approved, "by": (match.group(2) or "").strip() or None}
