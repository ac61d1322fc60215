"""The NLU pipeline's first component: a message typed in Telex with the
keyboard off is read as its writer meant it (bot/nlu/telex.py)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.telex import untelex


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class TelexDecoder(GraphComponent):
    """Sets the message's text to what it says once decoded; the tokens, and
    the text the answers read (parse data), are the decoded text's."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TelexDecoder":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text:
                decoded = untelex(text)
                if decoded != text:
                    message.set(TEXT, decoded)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
