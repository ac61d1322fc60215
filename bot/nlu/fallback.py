"""Fallback that also catches messages with nothing to understand.

Rasa's FallbackClassifier predicts ``nlu_fallback`` when the classifier is not
confident enough. A message with no letter or digit at all (only emoji,
punctuation or spaces), or with no word that occurs in the training data
("xyz qwrt"), gives the classifier nothing to go on, and a linear model then
answers with its bias: a confident guess about nothing. This subclass sends
such messages to ``nlu_fallback`` too (the tokenizer counts known words).
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.text import is_wordlike
from bot.nlu.tokenizer import KNOWN_WORDS


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class ContentAwareFallbackClassifier(FallbackClassifier):
    def _should_fallback(self, message: Message) -> bool:
        if not is_wordlike(message.get(TEXT) or "") or message.get(KNOWN_WORDS) == 0:
            return True
        return super()._should_fallback(message)
