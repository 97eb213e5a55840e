"""The LLM strategy's plumbing: one `dspy.LM` per run, provider errors turned into one clear
error, and structured-output calls retried with the validator's findings fed back."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import dspy

from musicgrammar.errors import ProviderUnavailableError, UserInputError
from musicgrammar.ontologies import Finding

__all__ = ["make_lm", "predict", "predict_validated"]

T = TypeVar("T")


def make_lm(model: str, *, timeout_s: float = 60.0, retries: int = 2, temperature: float = 0.7) -> dspy.LM:
    """A dspy.LM for any litellm model string ('openai/gpt-4o-mini', 'anthropic/...', 'ollama_chat/llama3')."""
    if "/" not in model:
        raise UserInputError(f"LLM model {model!r} must be a litellm model string like 'openai/gpt-4o-mini' or 'ollama_chat/llama3'", field="--lm")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return dspy.LM(model, timeout=timeout_s, num_retries=retries, temperature=temperature, max_tokens=8000, cache=False)


def predict(signature: type[dspy.Signature], lm: dspy.LM, **inputs: Any) -> dspy.Prediction:
    """One structured call. Provider failures (unreachable, no key, timeout) become ProviderUnavailableError."""
    from dspy.utils.exceptions import LMError

    try:
        with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
            return dspy.Predict(signature)(**inputs)
    except LMError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ProviderUnavailableError(f"LLM provider {lm.model!r} failed: {first}") from exc


def predict_validated(
    signature: type[dspy.Signature],
    lm: dspy.LM,
    output: str,
    check: Callable[[Any], list[Finding]],
    *,
    feedback_field: str | None = "feedback",
    retries: int = 2,
    **inputs: Any,
) -> tuple[Any, list[Finding], int]:
    """Call, check the output with the grammar, and retry with the errors fed back.

    Returns (output, remaining error findings, attempts). An unparsable answer counts as a failed
    attempt whose parse error is fed back like a finding.
    """
    from dspy.utils.exceptions import AdapterParseError

    feedback = list(inputs.pop(feedback_field, []) if feedback_field else [])
    last: Any = None
    errors: list[Finding] = []
    for attempt in range(1, retries + 2):
        call_inputs = dict(inputs)
        if feedback_field:
            call_inputs[feedback_field] = feedback
        try:
            last = getattr(predict(signature, lm, **call_inputs), output)
        except AdapterParseError as exc:
            errors = [Finding(code="LLM_UNPARSABLE", severity="error", path=output, message=str(exc).splitlines()[0][:300])]
        else:
            errors = [f for f in check(last) if f.severity.value == "error"]
            if not errors:
                return last, [], attempt
        feedback = feedback + [f"{f.code} at {f.path}: {f.message} Fix: {f.fix}" for f in errors]
        if not feedback_field:
            break
    return last, errors, retries + 1
