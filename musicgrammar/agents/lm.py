"""The LLM strategy's plumbing: one `dspy.LM` per run, structured output from the ontology's JSON
Schema, a lenient parse, grammar-checked answers retried with their findings, one deadline per
agent call that holds, and a record of every call (attempts, tokens, seconds)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_origin

import dspy
import pydantic

from musicgrammar.agents.schema_sketch import sketch_schema
from musicgrammar.errors import MusicGrammarError, ProviderUnavailableError, UserInputError
from musicgrammar.ontologies import Finding

__all__ = [
    "LLMCall",
    "LLMOutputError",
    "LLMSession",
    "OntologyJSONAdapter",
    "DEADLINES_IN_A_ROW_BEFORE_UNAVAILABLE",
    "TIMEOUT_SETTING",
    "call_checked",
    "make_lm",
    "output_schema",
]

# The two ways a provider takes a JSON Schema for structured output: OpenAI's (also Ollama and vLLM through
# litellm) and llama.cpp's server's (a `schema` inside a json_object format). A provider that refuses one
# gets the other.
JSON_SCHEMA, JSON_OBJECT_SCHEMA = "json_schema", "json_object_schema"
SCHEMA_STYLE_ATTR = "musicgrammar_schema_style"

# How the user sets the per-call deadline: every timeout message names it.
TIMEOUT_SETTING = "MUSICGRAMMAR_LM_TIMEOUT_S or --lm-timeout"

# A server that has answered this run and then misses a deadline is slow, not gone: that one agent falls
# back and the next still asks. Only this many missed deadlines in a row (or a server that never answered,
# or refused the connection) mark the provider unavailable for the rest of the run.
DEADLINES_IN_A_ROW_BEFORE_UNAVAILABLE = 2


class LLMOutputError(MusicGrammarError):
    """The model answered, but after every attempt its answer did not parse or broke the grammar."""

    exit_code = 3


def make_lm(
    model: str,
    *,
    api_base: str | None = None,
    timeout_s: float = 60.0,
    temperature: float = 0.7,
    max_tokens: int = 3000,
) -> dspy.LM:
    """A dspy.LM for any litellm model string ('openai/gpt-4o-mini', 'ollama_chat/llama3',
    'openai/smollm2' with `api_base` for an OpenAI-compatible local server). Calls go through litellm;
    transport retries are off because `call_checked` owns retries and the deadline."""
    if "/" not in model:
        raise UserInputError(f"LLM model {model!r} must be a litellm model string like 'openai/gpt-4o-mini' or 'ollama_chat/llama3'", field="--lm")
    if api_base is not None and not api_base.startswith(("http://", "https://")):
        raise UserInputError(f"{api_base!r} is not an http(s) URL", field="--api-base")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    extra: dict[str, Any] = {}
    if api_base:
        extra["api_base"] = api_base
        # an OpenAI-compatible local server needs no key, but the client refuses to start without one
        extra["api_key"] = os.environ.get("OPENAI_API_KEY", "none")
    lm = dspy.LM(model, timeout=timeout_s, num_retries=0, max_retries=0, temperature=temperature,
                 max_tokens=max_tokens, cache=False, engine="litellm", **extra)  # fmt: skip
    # a self-hosted OpenAI-compatible server (llama.cpp) takes the schema inside a json_object format
    setattr(lm, SCHEMA_STYLE_ATTR, JSON_OBJECT_SCHEMA if api_base else JSON_SCHEMA)
    return lm


def output_schema(signature: type[dspy.Signature]) -> dict[str, Any]:
    """The JSON Schema of a signature's answer: one object whose properties are its output fields,
    each typed by the ontology (so a schema-constrained decoder can only write well-typed values)."""
    fields = {name: (f.annotation, ...) for name, f in signature.output_fields.items()}
    model = pydantic.create_model(f"{signature.__name__}Answer", **fields)  # type: ignore[call-overload]
    return model.model_json_schema()


# llama.cpp refuses a grammar whose repetitions multiply past ~2,000 ("exceeds sane defaults"): a
# string of at most 2,000 characters already does. Long bounds are left to the types' check afterwards.
MAX_DECODED_REPEAT = 256


def decodable_schema(schema: Any) -> Any:
    """The schema without length bounds a decoding grammar cannot hold (maxLength/maxItems above
    MAX_DECODED_REPEAT); the answer is still validated against the full types."""
    if isinstance(schema, dict):
        return {k: decodable_schema(v) for k, v in schema.items()
                if not (k in ("maxLength", "maxItems") and isinstance(v, int) and v > MAX_DECODED_REPEAT)}  # fmt: skip
    if isinstance(schema, list):
        return [decodable_schema(v) for v in schema]
    return schema


class OntologyJSONAdapter(dspy.JSONAdapter):
    """dspy's JSON adapter with two changes for small and local models: the answer's JSON Schema is
    always sent as the provider's structured-output format (OpenAI `json_schema`, which litellm maps
    for Ollama and vLLM and llama.cpp's server turns into a decoding grammar), and the parse is
    lenient (a lone object for a one-field answer is taken as that field)."""

    def _prepare_response_format(self, lm: Any, lm_kwargs: dict[str, Any], signature: type[dspy.Signature]) -> None:
        if not isinstance(lm, dspy.LM) or lm_kwargs.get("response_format") is not None:
            return  # a test double or a caller's own format
        schema = decodable_schema(output_schema(signature))
        if getattr(lm, SCHEMA_STYLE_ATTR, JSON_SCHEMA) == JSON_OBJECT_SCHEMA:
            lm_kwargs["response_format"] = {"type": "json_object", "schema": schema}
        else:
            lm_kwargs["response_format"] = {"type": "json_schema", "json_schema": {"name": signature.__name__, "schema": schema, "strict": False}}

    def format_field_structure(self, signature: type[dspy.Signature]) -> str:
        """dspy's layout, with each typed output described by a compact sketch of its schema instead of
        the full JSON Schema (which the provider receives as the structured-output format anyway)."""
        from dspy.adapters.chat_adapter import FieldInfoWithName
        from dspy.adapters.utils import translate_field_type

        def described(name: str, info: Any) -> str:
            text = translate_field_type(name, info)
            if "must adhere to the JSON schema" not in text:
                return text
            shape = sketch_schema(pydantic.TypeAdapter(info.annotation).json_schema())
            return f"{{{name}}}        # note: the value you produce must have this shape (a field marked ? may be left out): {shape}"

        def fields(group: dict[str, Any], role: str) -> str:
            return self.format_field_with_value({FieldInfoWithName(name=n, info=i): described(n, i) for n, i in group.items()}, role=role)

        return "\n\n".join([
            "All interactions will be structured in the following way, with the appropriate values filled in.",
            "Inputs will have the following structure:", fields(signature.input_fields, "user"),
            "Outputs will be a JSON object with the following fields.", fields(signature.output_fields, "assistant"),
        ]).strip()  # fmt: skip

    def format_user_message_content(self, signature: type[dspy.Signature], inputs: dict[str, Any], *args: Any, **kwargs: Any) -> str:
        """Inputs without their unset (null) fields and with floats to 3 places: a design shown for
        revision keeps everything it says in fewer tokens."""
        return super().format_user_message_content(signature, {k: _compact(v) for k, v in inputs.items()}, *args, **kwargs)

    def parse(self, signature: type[dspy.Signature], completion: str) -> dict[str, Any]:
        try:
            return super().parse(signature, completion)
        except dspy.utils.exceptions.AdapterParseError:
            names = list(signature.output_fields)
            try:
                value = json.loads(_outermost_object(completion))
            except ValueError:
                value = None
            # a one-field answer written as the field's object itself ({"title": ...} for {"brief": {...}})
            if len(names) == 1 and isinstance(value, dict) and names[0] not in value and get_origin(signature.output_fields[names[0]].annotation) is None:
                return super().parse(signature, json.dumps({names[0]: value}))
            raise


def _compact(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return _compact(value.model_dump(mode="json", exclude_none=True))
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return round(value, 3) if isinstance(value, float) else value


def _outermost_object(text: str) -> str:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object")
    return text[start : end + 1]


@dataclass
class LLMCall:
    """One agent's LLM turn, for trace.jsonl: how many attempts, tokens and seconds it took."""

    agent: str
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    outcome: str = "ok"  # ok | unusable | deadline (slow, the provider stays in use) | unavailable
    errors: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def record(self) -> dict[str, Any]:
        return {"agent": self.agent, "attempts": self.attempts, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "seconds": round(self.seconds, 3),
                "outcome": self.outcome, "errors": self.errors[:5]}  # fmt: skip


@dataclass
class LLMSession:
    """The LLM side of one run: the model, the per-call deadline, the retry budget, whether an agent
    that fails may fall back to the engine, and every call made so far. Once the provider is
    unreachable (refused, never answered, or missed DEADLINES_IN_A_ROW_BEFORE_UNAVAILABLE deadlines in
    a row), later agents fall back at once instead of each waiting out the deadline."""

    lm: dspy.LM
    timeout_s: float = 60.0
    retries: int = 2
    fallback_local: bool = False
    calls: list[LLMCall] = field(default_factory=list)
    unavailable: str | None = None
    answered: bool = False  # the server has returned at least one completion this run
    deadlines_in_a_row: int = 0

    @property
    def model(self) -> str:
        return str(self.lm.model)

    @property
    def tokens(self) -> int:
        return sum(c.tokens for c in self.calls)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


_CALL_THREAD = "musicgrammar-llm-call"


def abandoned_calls() -> int:
    """How many LLM calls left behind at their deadline are still waiting for an answer."""
    return sum(t.name == _CALL_THREAD and t.is_alive() for t in threading.enumerate())


def _run_with_deadline(fn: Callable[[], Any], seconds: float) -> Any:
    """Run fn in a daemon thread and wait at most `seconds`: a server that accepts and never answers
    cannot hold the run (the thread ends on its own when the client's own timeout fires)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name=_CALL_THREAD)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError
    if "error" in box:
        raise box["error"]
    return box.get("value")


def call_checked(
    session: LLMSession,
    agent: str,
    predictor: dspy.Predict,
    check: Callable[[dspy.Prediction], list[Finding]],
    *,
    feedback_field: str | None = None,
    **inputs: Any,
) -> dspy.Prediction:
    """Call `predictor` on the session's model, check the answer with the grammar (`check` returns
    findings; errors reject it), and retry with the parse error or the findings fed back, all inside
    one deadline of `session.timeout_s`. Raises ProviderUnavailableError (no answer in time, or no
    provider) or LLMOutputError (answers, but none usable)."""
    from dspy.utils.exceptions import AdapterParseError, LMError

    record = LLMCall(agent=agent)
    session.calls.append(record)
    started = time.perf_counter()
    deadline = started + session.timeout_s
    feedback: list[str] = list(inputs.pop(feedback_field, []) if feedback_field else [])
    lm = session.lm
    try:
        for _ in range(session.retries + 1):
            remaining = deadline - time.perf_counter()
            if remaining <= 0.05:
                raise TimeoutError
            call_inputs = dict(inputs)
            if feedback_field:
                call_inputs[feedback_field] = feedback
            record.attempts += 1
            seen = len(lm.history)

            def attempt(call_inputs: dict[str, Any] = call_inputs, remaining: float = remaining) -> dspy.Prediction:
                with dspy.context(lm=lm, adapter=OntologyJSONAdapter()):
                    return predictor(**call_inputs, config={"timeout": remaining} if isinstance(lm, dspy.LM) else {})

            try:
                try:
                    answer = _run_with_deadline(attempt, remaining)
                except LMError as exc:
                    if not _refuses_format(lm, exc):
                        raise
                    answer = _run_with_deadline(attempt, max(0.05, deadline - time.perf_counter()))
            except AdapterParseError as exc:
                session.answered, session.deadlines_in_a_row = True, 0

                errors = [f"LLM_UNPARSABLE: the answer is not the JSON the schema asks for ({_first_line(exc)[:200]})"]
                details = type_errors(exc)
            else:
                session.answered, session.deadlines_in_a_row = True, 0
                findings = [f for f in check(answer) if f.severity.value == "error"]
                errors = [f"{f.code} at {f.path}: {f.message}" + (f" Fix: {f.fix}" if f.fix else "") for f in findings]
                details = []
            finally:
                _count_tokens(record, lm.history[seen:])
            if not errors:
                return answer
            record.errors += errors
            feedback = feedback + errors + details
            if not feedback_field:
                feedback = []
        record.outcome = "unusable"
        raise LLMOutputError(f"{agent}: no usable answer from {session.model} in {record.attempts} attempt(s): {record.errors[-1]}")
    except TimeoutError as exc:
        raise _missed_deadline(session, record, agent) from exc
    except LMError as exc:
        reason = _first_line(exc)
        if "timeout" in reason.lower() or "timed out" in reason.lower():
            raise _missed_deadline(session, record, agent) from exc
        record.outcome = "unavailable"
        session.unavailable = f"LLM provider {session.model!r} failed: {reason}"
        raise ProviderUnavailableError(f"{agent}: {session.unavailable}") from exc
    finally:
        record.seconds = time.perf_counter() - started


def _missed_deadline(session: LLMSession, record: LLMCall, agent: str) -> ProviderUnavailableError:
    """The error of a call that ran out of time. A server that has answered this run is only slow:
    this agent gives up, the provider stays in use; a server that never answered, or one that keeps
    missing deadlines, is marked unavailable so later agents do not each wait out the deadline."""
    session.deadlines_in_a_row += 1
    missed = f"no answer from {session.model} within {session.timeout_s:g} s (set {TIMEOUT_SETTING})"
    if session.answered and session.deadlines_in_a_row < DEADLINES_IN_A_ROW_BEFORE_UNAVAILABLE:
        record.outcome = "deadline"
        return ProviderUnavailableError(f"{agent}: {missed}; the server answers, so later agents still ask it")
    record.outcome = "unavailable"
    session.unavailable = missed
    return ProviderUnavailableError(f"{agent}: {session.unavailable}")


def type_errors(exc: BaseException, limit: int = 8) -> list[str]:
    """What the types rejected in an answer, one line per error with its path ('spec.sections.1.bars:
    Input should be less than or equal to 512, got 48760'), so a retry can fix exactly that."""
    cause = exc.__cause__
    if not isinstance(cause, pydantic.ValidationError):
        return []
    field_name = str(exc).split("Failed to parse field ", 1)[-1].split(":", 1)[0] if "Failed to parse field " in str(exc) else ""
    lines = []
    for error in cause.errors()[:limit]:
        path = ".".join(str(p) for p in (field_name, *error["loc"]) if p != "")
        got = json.dumps(error.get("input"), default=str)[:60] if not isinstance(error.get("input"), dict | list) else "an object"
        lines.append(f"LLM_INVALID at {path}: {error['msg']}, got {got}")
    if cause.error_count() > limit:
        lines.append(f"LLM_INVALID: {cause.error_count() - limit} more type errors")
    return lines


def _refuses_format(lm: Any, exc: BaseException) -> bool:
    """A provider that rejects the structured-output format: switch the LM to the other style (once)."""
    text = str(exc).lower()
    if "response_format" not in text and "json_schema" not in text:
        return False
    current = getattr(lm, SCHEMA_STYLE_ATTR, None)
    if current is None or getattr(lm, "musicgrammar_style_switched", False):
        return False
    setattr(lm, SCHEMA_STYLE_ATTR, JSON_OBJECT_SCHEMA if current == JSON_SCHEMA else JSON_SCHEMA)
    setattr(lm, "musicgrammar_style_switched", True)
    return True


def _count_tokens(record: LLMCall, entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        usage = entry.get("usage") or {}
        record.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        record.completion_tokens += int(usage.get("completion_tokens") or 0)
