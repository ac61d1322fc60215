"""Logistic regression on length-normalised features.

Rasa's LogisticRegressionClassifier is fed raw counts: the words and
character n-grams of a message, summed. A long message (a story, then the
question) has counts many times those of the short examples it was trained
on, and a linear model's scores grow with them: the longer the story, the
surer the classifier, whichever way it leans. This subclass scales each
message's features to unit length (after damping repeated features with
log(1 + count)), so a message's confidence depends on what it says rather
than on how much; ``C`` (inverse regularisation) is then chosen by
measurement (bench/nlu_pipelines.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class NormalisedLogisticRegression(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0, "sublinear": True}

    def __init__(self, config: Dict[Text, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.clf.set_params(C=float(self.config["C"]))

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        X = csr_matrix(super()._create_X(messages), dtype=np.float64)
        if self.config["sublinear"]:
            X.data = np.log1p(np.abs(X.data)) * np.sign(X.data)
        return normalize(X, norm="l2", axis=1)
