"""The specialists: each a `dspy.Module` around a typed signature, with an offline engine strategy
(the default) and an LLM strategy (any litellm model) behind the same signature."""

from musicgrammar.agents.aesthetics_judge import AestheticsJudge
from musicgrammar.agents.composer import Composer
from musicgrammar.agents.harmony_critic import HarmonyCritic
from musicgrammar.agents.librarian import Librarian
from musicgrammar.agents.lm import LLMSession, make_lm
from musicgrammar.agents.theme_weaver import ThemeWeaver

__all__ = ["AestheticsJudge", "Composer", "HarmonyCritic", "LLMSession", "Librarian", "ThemeWeaver", "make_lm"]
