"""The options of a design run, built once from Settings (the environment) and the command line.

A command passes what the user typed (None for an option left out); every other value comes from
`Settings`, so ``MUSICGRAMMAR_LM`` or ``MUSICGRAMMAR_MAX_ITERS`` in the environment take effect. A new
option is one field here (and its `--flag` in `CLI_NAMES` when it differs from the field name).
Ranges come from `musicgrammar.limits`; an out-of-range value is a UserInputError naming the option.
"""

from __future__ import annotations

import math
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from musicgrammar.errors import UserInputError
from musicgrammar.limits import DURATION_S, MAX_ITERS, MAX_PROMPT_BYTES, SEED
from musicgrammar.settings import Settings, get_settings

__all__ = ["RunOptions", "CLI_NAMES", "check_prompt"]

# Field name -> the command-line option that sets it (for error messages).
CLI_NAMES = {"duration_s": "--duration", "fallback_local": "--fallback", "audio": "--no-audio", "lm_timeout_s": "--lm-timeout", "lm_api_base": "--api-base",
             "agents_dir": "--agents"}


class RunOptions(BaseModel):
    """How one design run is made: engine, seed, budget, length, audio."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lm: str = Field(min_length=1, description="'local' (offline engine) or a litellm model string.")
    seed: int = Field(default=0, ge=SEED[0], le=SEED[1], description="The same seed gives the same piece.")
    max_iters: int = Field(ge=MAX_ITERS[0], le=MAX_ITERS[1], description="Iteration budget of the design loop.")
    duration_s: float | None = Field(default=None, ge=DURATION_S[0], le=DURATION_S[1], description="Target length (s).")
    fallback_local: bool = Field(default=False, description="Use the local engine when the LLM is unreachable.")
    audio: bool = Field(default=True, description="Render WAV mix and stems.")
    lm_timeout_s: float = Field(gt=0, le=3600, description="Deadline of one agent's LLM call, all attempts together (s).")
    lm_retries: int = Field(ge=0, le=10, description="LLM retries with validator feedback.")
    lm_api_base: str | None = Field(default=None, description="Base URL of an OpenAI-compatible server for the LLM.")
    agents_dir: str | None = Field(default=None, description="A folder of compiled agents (`musicgrammar agents compile`).")

    @field_validator("duration_s", "lm_timeout_s", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        # before the range check, which would call NaN "greater than 600"
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} is not a number of seconds (NaN and infinity are not allowed)")
        return value

    @field_validator("agents_dir", mode="before")
    @classmethod
    def _path_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, PurePath) else value  # kept as text: the options go into run.json

    @classmethod
    def build(cls, settings: Settings | None = None, **given: Any) -> RunOptions:
        """Options from the command line (`given`, None = not given) over the Settings defaults."""
        settings = settings or get_settings()
        values = {name: getattr(settings, name) for name in cls.model_fields if hasattr(settings, name)}
        values.update({name: value for name, value in given.items() if value is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            name = str(error["loc"][0]) if error["loc"] else "options"
            if given.get(name) is not None:
                where = CLI_NAMES.get(name, "--" + name.replace("_", "-"))
            else:  # the value came from the environment
                where = f"MUSICGRAMMAR_{name.upper()}"
            raise UserInputError(error["msg"].replace("Value error, ", ""), field=where) from None


def check_prompt(prompt: str, field: str = "PROMPT") -> None:
    """A prompt must be UTF-8 text within MAX_PROMPT_BYTES; UserInputError naming `field` otherwise."""
    try:
        size = len(prompt.encode("utf-8"))
    except UnicodeEncodeError as exc:  # undecodable bytes of argv arrive as lone surrogates
        raise UserInputError(f"is not valid UTF-8 text (character {exc.start})", field=field) from None
    if size > MAX_PROMPT_BYTES:
        raise UserInputError(f"is {size} bytes; the limit is {MAX_PROMPT_BYTES}", field=field)
