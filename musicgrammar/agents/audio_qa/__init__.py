"""The audio question answerer: question understanding, the offline engine and the LLM strategy."""

from musicgrammar.agents.audio_qa.engine import Knowledge, PieceFacts, answer_question
from musicgrammar.agents.audio_qa.question import QuestionReading, read_question

__all__ = ["Knowledge", "PieceFacts", "QuestionReading", "answer_question", "read_question"]
