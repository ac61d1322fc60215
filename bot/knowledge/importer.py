"""Rasa training-data importer for the knowledge base.

Named in config.yml next to Rasa's own file importer. From the procedure
files it adds, for every procedure, an intent named by its catalogue id, the
procedure's examples as training data, and the rule that answers it; for
every topic, an intent ``topic.<id>`` and the rule that answers it with a
question: which procedure is meant. Content staff therefore add or change a procedure in YAML only: no
intent list, NLU file or rule to keep in step by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Text

import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.core.paths import DATA
from bot.knowledge.referrals import Referrals
from bot.knowledge.store import KnowledgeBase
from bot.knowledge.validate import load_checked

ANSWER_ACTION = "action_answer_procedure"
OUT_OF_SCOPE = "out_of_scope"


class KnowledgeBaseImporter(TrainingDataImporter):
    def __init__(
        self,
        config_file: Optional[Text] = None,
        domain_path: Optional[Text] = None,
        training_data_paths: Optional[Text] = None,
        data_dir: Optional[Text] = None,
    ) -> None:
        self.kb: KnowledgeBase = load_checked(Path(data_dir) if data_dir else DATA)

    def _intents(self) -> Dict[str, str]:
        """intent -> the action its rule runs."""
        intents = {pid: ANSWER_ACTION for pid in self.kb.procedures}
        intents.update({topic.intent: ANSWER_ACTION for topic in self.kb.topics.values()})
        return intents

    def get_domain(self) -> Domain:
        return Domain.from_dict({"intents": list(self._intents())})

    def get_stories(self, exclusion_percentage: Optional[int] = None) -> StoryGraph:
        rules = [
            {"rule": f"answer {intent}", "steps": [{"intent": intent}, {"action": action}]}
            for intent, action in self._intents().items()
        ]
        text = yaml.safe_dump({"version": "3.1", "rules": rules}, allow_unicode=True, sort_keys=False)
        steps = YAMLStoryReader(self.get_domain()).read_from_string(text)
        return StoryGraph(steps)

    def get_conversation_tests(self) -> StoryGraph:
        return StoryGraph([])

    def get_config(self) -> Dict:
        return {}

    def get_config_file_for_auto_config(self) -> Optional[Text]:
        return None

    def get_nlu_data(self, language: Optional[Text] = "en") -> TrainingData:
        examples = [
            Message.build(text=text, intent=procedure.id)
            for procedure in self.kb.procedures.values()
            for text in procedure.examples
        ]
        examples += [
            Message.build(text=text, intent=topic.intent)
            for topic in self.kb.topics.values()
            for text in topic.examples
        ]
        # other agencies' matters, as citizens ask them (data/referrals.yml): not ours
        examples += [Message.build(text=text, intent=OUT_OF_SCOPE)
                     for referral in Referrals.load().referrals for text in referral.examples]
        return TrainingData(training_examples=examples)
