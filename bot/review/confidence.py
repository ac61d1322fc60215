"""How sure the assistant was of an answer it gave: the answered procedure's
score as ``bot.knowledge.answers.resolve`` weighs it (the classifier's
confidence plus the evidence of the words). An answer to a new typed
question scoring below ``low_confidence_below`` (data/review.yml) is kept
for content staff."""

from __future__ import annotations

from typing import Any, Dict, Optional

from bot.knowledge import answers
from bot.knowledge.store import KnowledgeBase
from bot.review.settings import settings


def answer_score(kb: KnowledgeBase, config: answers.AnswerConfig, latest: Dict[str, Any], procedure: str) -> float:
    """The score of ``procedure`` for the latest message (Rasa's parse of it)."""
    intent = (latest.get("intent") or {}).get("name")
    confidence = {r["name"]: r.get("confidence", 0.0) for r in latest.get("intent_ranking") or []}
    if intent and intent not in confidence:
        confidence[intent] = 1.0
    text = config.expand(latest.get("text") or "")
    scores = answers.procedure_scores(kb, config, confidence, text, answers.named_procedures(kb, text))
    return scores.get(procedure, 0.0)


def low_confidence(kb: KnowledgeBase, config: answers.AnswerConfig, latest: Dict[str, Any],
                   slots: Dict[str, Any], procedure: str) -> Optional[float]:
    """The answer's score if the answer was to a new typed question (not a
    button, not the reply to a question back, not a follow-up such as "lệ
    phí bao nhiêu") and scored below the line; else None."""
    text = latest.get("text") or ""
    intent = (latest.get("intent") or {}).get("name")
    if text.startswith("/") or slots.get("clarifying") or config.aspect_of_intent(intent):
        return None
    score = answer_score(kb, config, latest, procedure)
    return score if score < settings()["low_confidence_below"] else None
