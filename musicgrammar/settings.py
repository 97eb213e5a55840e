"""One typed settings object, read from the environment (prefix ``MUSICGRAMMAR_``) at the edge."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from musicgrammar.errors import UserInputError
from musicgrammar.limits import MAX_ITERS

__all__ = ["Settings", "get_settings"]


def _cache_root() -> Path:
    return Path(platformdirs.user_cache_dir("musicgrammar"))


class Settings(BaseSettings):
    """Where things live and which defaults a run uses. Override any field with MUSICGRAMMAR_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="MUSICGRAMMAR_", extra="ignore")

    cache_dir: Path = Field(default_factory=_cache_root, description="Root of caches and stores.")
    store_dir: Path | None = Field(default=None, description="Chroma store folder; default cache_dir/store.")
    runs_dir: Path = Field(default=Path("runs"), description="Where `compose` writes run folders.")
    soundfont: Path | None = Field(default=None, description="A GM soundfont (.sf2) to render with.")
    lm: str = Field(default="local", description="'local' for the offline engine, else a litellm model string.")
    lm_timeout_s: float = Field(default=60.0, gt=0, description="Deadline of one agent's LLM call, all attempts together, in seconds.")
    lm_retries: int = Field(default=2, ge=0, le=10, description="Retries with validator feedback.")
    max_iters: int = Field(default=3, ge=MAX_ITERS[0], le=MAX_ITERS[1], description="Design-loop iteration budget.")
    sample_rate: int = Field(default=44100, ge=8000, le=96000, description="Render sample rate (Hz).")
    device: str = Field(default="auto", description="'auto' (cuda when available), 'cpu' or 'cuda'.")
    torch_threads: int = Field(default=1, ge=1, le=64, description="torch intra-op threads for small models.")
    chat_dir: Path = Field(default=Path("runs/chat"), description="Where `chat` keeps its threads (SQLite) and files.")
    lm_api_base: str | None = Field(default=None, description="Base URL of an OpenAI-compatible LLM server (e.g. http://127.0.0.1:8765/v1).")
    lm_agents: str = Field(default="all", description="Agents that use the LLM when one is given: 'all' or a comma list of "
                           "librarian, theme_weaver, composer, harmony_critic, aesthetics_judge (the others use the engine).")

    @property
    def resolved_store_dir(self) -> Path:
        return self.store_dir or (self.cache_dir / "store")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process; a bad MUSICGRAMMAR_* value is a one-line error naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = str(error["loc"][0]) if error["loc"] else "settings"
        raise UserInputError(error["msg"].replace("Value error, ", ""), field=f"MUSICGRAMMAR_{name.upper()}") from None
